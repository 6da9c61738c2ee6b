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


class BodyLimitMiddleware:
    """Refuse a request body bigger than max_bytes before anything reads it into memory."""

    def __init__(self, app: ASGIApp, max_bytes: int, on_failure: ASGIApp) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.on_failure = on_failure

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            length = Headers(scope=scope).get("content-length", "0")
            if not length.isdigit() or int(length) > self.max_bytes:
                await self.on_failure(scope, receive, send)
                return
        await self.app(scope, receive, send)
