"""The middleware that loads who is asking (and settles the page language), and the CSRF check
on every unsafe request."""

from __future__ import annotations

import hmac
import secrets
from urllib.parse import parse_qsl

from starlette.datastructures import Headers
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from pwa import i18n
from pwa.auth.sessions import load_principal, stale
from pwa.core.clock import now
from pwa.models import DeviceLink

# --- middleware ------------------------------------------------------------------------------


STATIC_PREFIXES = ("/static/", "/openmoji/")


class PrincipalMiddleware:
    """Loads who is asking and settles the page language: account or person > cookie > browser."""

    def __init__(self, app: ASGIApp, default_locale: str) -> None:
        self.app = app
        self.default_locale = default_locale

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith(STATIC_PREFIXES):
            # Files need no principal: no database work for every picture and stylesheet.
            await self.app(scope, receive, send)
            return
        who = await load_principal(scope.get("session", {}))
        if who.device is not None and stale(who.device.last_seen_at):
            await DeviceLink.filter(id=who.device.id).update(last_seen_at=now())
        scope["startrip.principal"] = who
        headers = Headers(scope=scope)
        locale = (
            who.preferred_locale
            or scope.get("session", {}).get("lang")
            or i18n.negotiate(headers.get("accept-language", ""))
            or self.default_locale
        )
        scope["startrip.locale"] = locale
        i18n.set_locale(locale)
        await self.app(scope, receive, send)


CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
UNSAFE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}


def csrf_token(request: Request) -> str:
    token = request.session.get("csrf")
    if not token:
        token = secrets.token_urlsafe(32)
        request.session["csrf"] = token
    return token


class CSRFMiddleware:
    """Every unsafe request carries the session's token: a form field, or a header for JSON."""

    def __init__(self, app: ASGIApp, on_failure: ASGIApp) -> None:
        self.app = app
        self.on_failure = on_failure

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in UNSAFE_METHODS:
            await self.app(scope, receive, send)
            return
        expected = scope.get("session", {}).get("csrf", "")
        headers = Headers(scope=scope)
        if expected and hmac.compare_digest(headers.get(CSRF_HEADER, ""), expected):
            await self.app(scope, receive, send)
            return
        # Read through BodyLimitMiddleware's counting receive (it is outside this middleware in
        # pwa/app.py): a body over the limit, chunked too, stops there with a 413.
        chunks: list[bytes] = []
        more = True
        while more:
            message = await receive()
            if message["type"] != "http.request":
                return  # the client went away: nothing to answer
            chunks.append(message.get("body", b""))
            more = message.get("more_body", False)
        body = b"".join(chunks)
        sent = await _form_token(scope, headers, body)
        if not expected or not hmac.compare_digest(sent, expected):
            await self.on_failure(scope, _replay(b""), send)
            return
        await self.app(scope, _replay(body), send)


def _replay(body: bytes) -> Receive:
    sent = False

    async def receive() -> Message:
        nonlocal sent
        if sent:
            return {"type": "http.disconnect"}
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return receive


async def _form_token(scope: Scope, headers: Headers, body: bytes) -> str:
    content_type = headers.get("content-type", "")
    if content_type.startswith("application/x-www-form-urlencoded"):
        for key, value in parse_qsl(body.decode("latin-1"), keep_blank_values=True):
            if key == CSRF_FIELD:
                return value
        return ""
    if content_type.startswith("multipart/form-data"):
        form = await Request(scope, _replay(body)).form()
        try:
            field = form.get(CSRF_FIELD)
            return field if isinstance(field, str) else ""
        finally:
            await form.close()
    return ""
