"""The session cookie (pwa/auth/session_cookie.py): a cookie's signature is checked once per
worker, and what a person notices stays as it was: a logged-in browser stays logged in, a
cookie someone changed or one past its age opens nothing, a page's change to the session is
that browser's alone, and logging out ends the cookie."""

from __future__ import annotations

import time
import uuid
from types import SimpleNamespace
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from pwa.auth import session_cookie
from tests.conftest import Client
from tests.factories import PASSWORD, make_family, make_list


def session_layer(app: Starlette) -> session_cookie.SessionCookieMiddleware:
    """The app's session middleware, as built for its first request."""
    layer: Any = app.middleware_stack
    while not isinstance(layer, session_cookie.SessionCookieMiddleware):
        layer = layer.app
    return layer


async def test_a_logged_in_browser_stays_logged_in_and_a_changed_cookie_opens_nothing(
    app: Starlette, client: Client
) -> None:
    family = await make_family()
    await client.log_in(family.email, PASSWORD)
    cookie = client.cookies["startrip_session"]
    for _ in range(3):  # checked the first time, then known
        assert (await client.get("/account")).status_code == 200
    assert cookie in session_layer(app)._checked
    # One letter of what it holds changed (its JSON starts "eyJ"): the signature no longer
    # matches, so nobody is logged in.
    forged = ("f" if cookie[0] != "f" else "e") + cookie[1:]
    async with Client(app) as stranger:
        stranger.cookies.set("startrip_session", forged)
        answer = await stranger.get("/account")
        assert answer.status_code == 303 and "/login" in answer.headers["location"]
    assert forged not in session_layer(app)._checked


async def test_a_cookie_older_than_its_age_opens_nothing_even_once_known(
    app: Starlette, client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    family = await make_family()
    await client.log_in(family.email, PASSWORD)
    assert (await client.get("/account")).status_code == 200
    later = time.time() + session_layer(app).max_age + 60  # type: ignore[operator]
    # The cookie's own clock only: the session's row in the database has not ended.
    monkeypatch.setattr(session_cookie, "time", SimpleNamespace(time=lambda: later))
    answer = await client.get("/account")
    assert answer.status_code == 303 and "/login" in answer.headers["location"]


async def test_a_cookie_signed_in_the_future_opens_nothing(
    app: Starlette, client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    """As itsdangerous has it: a negative age is refused (a clock set wrong, or a forged
    time), checked again when the cookie is known."""
    family = await make_family()
    await client.log_in(family.email, PASSWORD)
    assert (await client.get("/account")).status_code == 200
    earlier = time.time() - 3600
    monkeypatch.setattr(session_cookie, "time", SimpleNamespace(time=lambda: earlier))
    answer = await client.get("/account")
    assert answer.status_code == 303 and "/login" in answer.headers["location"]


async def test_two_actions_before_a_page_show_both_notices(client: Client) -> None:
    family = await make_family()
    shopping_list = await make_list(family)
    await client.log_in(family.email, PASSWORD)
    token = await client.csrf()
    for code in ("1F34E", "1F95B"):
        fields = {"csrf_token": token, "item_id": str(uuid.uuid4()), "pictogram": code}
        await client.post(f"/lists/{shopping_list.id}/items", data={**fields, "quantity": "1"})
    page = await client.get(f"/lists/{shopping_list.id}")
    assert page.text.count('class="notice ') == 2


async def test_each_request_gets_its_own_copy_of_the_session() -> None:
    """What one request changes inside the session (a list it appends to) is not in the next
    request that sends the same cookie, though the worker knows that cookie already."""

    async def append(request: Request) -> PlainTextResponse:
        seen = request.session.setdefault("seen", [])
        seen.append(len(seen))
        request.session["first"] = request.session.get("first", len(seen))
        return PlainTextResponse(str(seen))

    app = Starlette(routes=[Route("/", append)])
    app.add_middleware(session_cookie.SessionCookieMiddleware, secret_key="test")
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as browser:
        assert (await browser.get("/")).text == "[0]"
        cookie = browser.cookies["session"]
        for _ in range(2):
            browser.cookies = httpx.Cookies({"session": cookie})
            assert (await browser.get("/")).text == "[0, 1]"


async def test_logging_out_ends_the_cookie(app: Starlette, client: Client) -> None:
    family = await make_family()
    await client.log_in(family.email, PASSWORD)
    kept = client.cookies["startrip_session"]
    await client.submit("/logout")
    async with Client(app) as replay:
        replay.cookies.set("startrip_session", kept)
        assert (await replay.get("/account")).status_code == 303


async def test_the_cookies_kept_stay_within_the_bound(
    app: Starlette, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(session_cookie, "COOKIES_KEPT", 3)
    for _ in range(7):
        async with Client(app) as browser:
            await browser.csrf()  # a first page: a new session with its token
            await browser.csrf()  # the cookie sent back, checked and kept
    assert 0 < len(session_layer(app)._checked) <= 3
