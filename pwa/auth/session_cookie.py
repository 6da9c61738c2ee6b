"""The session cookie: starlette's SessionMiddleware, with each cookie's signature checked once
per worker.

A browser sends the same cookie with every request until an answer changes it; starlette
checks its signature (HMAC-SHA1, base64 and JSON) every time, about 25 µs a request. Here a
cookie whose signature passed is kept with its contents and the time it was signed, so the
next request with it only reads its JSON (with json, as starlette does), into a dict of its
own. The cookie, what it holds and when it is written are as starlette has them: written only
when a request changed the session, ended when it was cleared, refused once older than
max_age or signed in the future (issue 19)."""

from __future__ import annotations

import json
import time
from base64 import b64decode, b64encode

from itsdangerous.exc import BadSignature
from starlette.datastructures import MutableHeaders
from starlette.middleware.sessions import Session, SessionMiddleware
from starlette.requests import cookie_parser
from starlette.types import Message, Receive, Scope, Send

# Signed cookies kept per worker, emptied when full: a browser's cookie is at most 4 KB, so
# they hold at most about 16 MB, the usual one (a few hundred bytes) well under 2 MB.
COOKIES_KEPT = 2048


class SessionCookieMiddleware(SessionMiddleware):
    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        # cookie → (its JSON, when it was signed)
        self._checked: dict[str, tuple[bytes, int]] = {}

    def _open(self, cookie: str) -> dict[str, object] | None:
        """The session in a cookie, or None when its signature is wrong or it is too old."""
        checked = self._checked.get(cookie)
        if checked is None:
            try:
                data, stamp = self.signer.unsign(cookie, return_timestamp=True)
                payload = b64decode(data)
                if not isinstance(json.loads(payload), dict):
                    return None
            except (BadSignature, ValueError):
                return None
            if len(self._checked) >= COOKIES_KEPT:
                self._checked.clear()
            checked = self._checked[cookie] = (payload, int(stamp.timestamp()))
        payload, signed_at = checked
        age = int(time.time()) - signed_at
        if self.max_age is not None and not 0 <= age <= self.max_age:
            # As itsdangerous's unsign(max_age=…) refuses it.
            self._checked.pop(cookie, None)
            return None
        # A new dict each request: a page may change what it holds.
        opened: dict[str, object] = json.loads(payload)
        return opened

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        cookies: dict[str, str] = {}
        for name, value in scope["headers"]:
            if name == b"cookie":
                cookies.update(cookie_parser(value.decode("latin-1")))
        cookie = cookies.get(self.session_cookie)
        opened = None if cookie is None else self._open(cookie)
        initial_session_was_empty = opened is None
        scope["session"] = Session(opened or {})

        async def send_wrapper(message: Message) -> None:
            if message["type"] == "http.response.start":
                session: Session = scope["session"]
                message.setdefault("headers", [])
                headers = MutableHeaders(scope=message)
                if session.accessed:
                    headers.add_vary_header("Cookie")
                if session.modified and session:
                    data = self.signer.sign(b64encode(json.dumps(session).encode("utf-8")))
                    max_age = f"Max-Age={self.max_age}; " if self.max_age is not None else ""
                    headers.append(
                        "Set-Cookie",
                        f"{self.session_cookie}={data.decode('utf-8')}; path={self.path}; "
                        f"{max_age}{self.security_flags}",
                    )
                elif session.modified and not initial_session_was_empty:
                    headers.append(
                        "Set-Cookie",
                        f"{self.session_cookie}=null; path={self.path}; "
                        f"expires=Thu, 01 Jan 1970 00:00:00 GMT; {self.security_flags}",
                    )
            await send(message)

        await self.app(scope, receive, send_wrapper)
