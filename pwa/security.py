"""Security headers on every response (issue 2, item 10)."""

from __future__ import annotations

from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data: blob:",
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
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
    # The camera is for scanning vouchers and photographing products, on our own pages only.
    "Permissions-Policy": "camera=(self), microphone=(), geolocation=()",
}


# Pictures, stylesheets and fonts are never documents that run anything or can be framed, so
# the page headers (about 600 bytes, sent with each of the 15–20 pictures of a trip screen) would
# only weigh on the person's phone (issue 8: under 40 KB a screen). An SVG opened on its own is a
# document, so it gets a policy that allows nothing.
SUBRESOURCE_HEADERS = {"X-Content-Type-Options": "nosniff"}
SVG_HEADERS = {**SUBRESOURCE_HEADERS, "Content-Security-Policy": "default-src 'none'"}


def headers_for(content_type: str) -> dict[str, str]:
    """The security headers a response of this type needs."""
    kind = content_type.split(";", 1)[0].strip().lower()
    if kind == "image/svg+xml":
        return SVG_HEADERS
    if kind.startswith(("image/", "font/")) or kind == "text/css":
        return SUBRESOURCE_HEADERS
    return HEADERS


class SecurityHeadersMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in headers_for(headers.get("content-type", "")).items():
                    headers.setdefault(name, value)
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
