"""Security headers on every response (issue 2, item 10), what a browser may keep of it
(issue 15), and the limit on request bodies."""

from __future__ import annotations

from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from pwa.auth import offline
from pwa.auth.rules import Action
from pwa.auth.sessions import Principal

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data: blob:",
        # A guardian plays back a recording before saving it (static/js/record.js).
        "media-src 'self' blob:",
        "connect-src 'self'",
        "manifest-src 'self'",
        "worker-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)

HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    # No Referer at all, not even to our own files: a page opened from an invitation, reset or
    # link URL would otherwise send that token with every picture it loads, into any log.
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
    # The camera is for scanning vouchers and photographing products, on our own pages only.
    # The microphone is for a guardian recording a voice clip (issue 18, item 2), on our pages only.
    # The position is for "I am lost" (issue 18, item 6), on our pages only, asked after the tap.
    "Permissions-Policy": "camera=(self), microphone=(self), geolocation=(self)",
}


# Pictures, stylesheets and fonts are never documents that run anything or can be framed, so
# the page headers (about 600 bytes, sent with each of the 15–20 pictures of a trip screen) would
# only weigh on the person's phone (issue 8: under 40 KB a screen). An SVG opened on its own is a
# document, so it gets a policy that allows nothing.
SUBRESOURCE_HEADERS = {"X-Content-Type-Options": "nosniff"}
SVG_HEADERS = {**SUBRESOURCE_HEADERS, "Content-Security-Policy": "default-src 'none'"}
# A script a page loads runs under the page's policy, never under its own answer's: of the page
# headers only the referrer rule, which a module's own imports follow, applies to it (about
# 390 bytes less on each of the 5–7 scripts of a person's screen, issue 18). The service
# worker's script is a context of its own and sends every page header itself (pwa/pages.py).
SCRIPT_HEADERS = {**SUBRESOURCE_HEADERS, "Referrer-Policy": HEADERS["Referrer-Policy"]}


def headers_for(content_type: str) -> dict[str, str]:
    """The security headers a response of this type needs."""
    kind = content_type.split(";", 1)[0].strip().lower()
    if kind == "image/svg+xml":
        return SVG_HEADERS
    if kind.startswith(("image/", "font/")) or kind == "text/css":
        return SUBRESOURCE_HEADERS
    if kind in ("text/javascript", "application/javascript"):
        return SCRIPT_HEADERS
    return HEADERS


# What a browser may keep of an answer that needs a session: nothing. A family's pages, JSON
# and exports (a shopping list, pay codes, the care record) never stay in the HTTP cache of a
# shared computer, nor in its back-forward cache. The person's phone keeps what it needs offline
# in the service worker's own cache instead, and only what the server marks as the person's
# own (pwa/auth/offline.py). "private" too, for a proxy that reads only that.
NO_STORE = "private, no-store"


def needs_session(scope: Scope) -> bool:
    """Whether the matched route's action for this method is anything but PUBLIC. Files
    (/static, /openmoji) are mounts without actions: they keep their own caching."""
    actions = getattr(scope.get("route"), "actions", None)
    if not actions:
        return False
    action = actions.get("GET" if scope["method"] == "HEAD" else scope["method"])
    return action is not None and action != Action.PUBLIC


def signed_in(scope: Scope) -> bool:
    who = scope.get("startrip.principal")
    return isinstance(who, Principal) and not who.is_anonymous


def cache_control(scope: Scope, given: str | None) -> str | None:
    """The Cache-Control an answer leaves with (None: as the route gave it).

    Every answer of a route that needs a session is not stored, whatever the route said (a
    family's photo said "private, immutable" for a year), except one the route made public on
    purpose: a friendly shop's own photo. A public page asked by someone logged in shows their
    name ("Logged in as …"): not stored either, unless the route set its own caching (the
    service worker, the manifest, the offline page)."""
    if needs_session(scope):
        return given if given and "public" in given else NO_STORE
    if signed_in(scope) and given is None:
        return NO_STORE
    return None


class SecurityHeadersMiddleware:
    """The security headers, Cache-Control (cache_control), and the mark of an answer the
    service worker may keep offline (pwa/auth/offline.py)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        with offline.collecting() as decisions:

            async def send_with_headers(message: Message) -> None:
                if message["type"] == "http.response.start":
                    headers = MutableHeaders(scope=message)
                    for name, value in headers_for(headers.get("content-type", "")).items():
                        headers.setdefault(name, value)
                    # The route and the principal are in the scope by now: the router and
                    # PrincipalMiddleware, inside this middleware, add them to the same dict.
                    caching = cache_control(scope, headers.get("cache-control"))
                    if caching is not None:
                        headers["Cache-Control"] = caching
                    if (
                        scope["method"] in ("GET", "HEAD")
                        and message["status"] == 200
                        and offline.may_keep(decisions)
                    ):
                        headers[offline.HEADER] = offline.KEEP
                await send(message)

            await self.app(scope, receive, send_with_headers)


class BodyTooLarge(Exception):
    """Raised by BodyLimitMiddleware's receive once the body passes the limit: whatever was
    reading it stops there, and the middleware answers 413."""


class BodyLimitMiddleware:
    """Refuse a request body bigger than max_bytes before anything reads it into memory.

    A Content-Length over the limit is refused at once. A body without one (chunked) or one
    longer than it said is counted as it streams in: the receive the app gets raises BodyTooLarge
    at the chunk that passes the limit, so the CSRF check, a form or a JSON route (all inside
    this middleware, pwa/app.py) never hold more than max_bytes of it, and the answer is 413.
    If the app had already started its answer, a second one cannot be sent: the request simply
    ends there and the server closes the connection without reading the rest."""

    def __init__(self, app: ASGIApp, max_bytes: int, on_failure: ASGIApp) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.on_failure = on_failure

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        length = Headers(scope=scope).get("content-length")
        if length is not None and (not length.isdigit() or int(length) > self.max_bytes):
            await self.on_failure(scope, _disconnected, send)
            return
        received = 0
        too_large = started = False

        async def counted_receive() -> Message:
            nonlocal received, too_large
            if too_large:
                raise BodyTooLarge
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    too_large = True
                    raise BodyTooLarge
            return message

        async def tracked_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counted_receive, tracked_send)
        except Exception as exc:
            # BodyTooLarge itself, or what the app made of it (wrapped in an exception group,
            # or another error raised while handling it).
            if not too_large:
                raise
            if not started:
                await self.on_failure(scope, _disconnected, send)
            elif not isinstance(exc, BodyTooLarge):
                raise
            # Started: no second answer. Returning with the answer unfinished, the server
            # closes the connection, and the rest of the body is never read.


async def _disconnected() -> Message:
    """The receive of the 413 answer: the rest of the body is never read."""
    return {"type": "http.disconnect"}
