"""Throttling that slows guessing and locks nobody out (issue 15, item 4): the real client
behind a trusted proxy, backoff per account that the owner's own browser does not feel, link
codes and pay codes slowed the same way."""

from __future__ import annotations

import asyncio
import dataclasses
import uuid
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from starlette.applications import Starlette

from pwa.app import create_app
from pwa.auth import throttle
from pwa.core import clock
from pwa.models import Voucher
from pwa.settings import Settings
from pwa.vouchers import services as vouchers
from tests.conftest import Client
from tests.factories import (
    PASSWORD,
    link_phone,
    make_account,
    make_centre_and_shop,
    make_family,
    make_voucher,
)

WRONG = {"password": "not the password"}


@pytest.fixture
async def proxied_app(settings: Settings) -> AsyncIterator[Starlette]:
    """The app behind nginx on the same machine (docs/DEPLOY.md): every connection comes from
    127.0.0.1 and X-Forwarded-For names the client."""
    application = create_app(dataclasses.replace(settings, trusted_proxies=("127.0.0.1",)))
    async with application.router.lifespan_context(application):
        yield application


def from_address(client: Client, address: str) -> Client:
    client.headers["X-Forwarded-For"] = address
    return client


def later(monkeypatch: pytest.MonkeyPatch, by: timedelta) -> None:
    """Time passes for the throttle (the rest of the app keeps the real clock)."""
    monkeypatch.setattr(throttle, "now", lambda: clock.now() + by)


async def test_thirty_failed_log_ins_from_one_address_do_not_stop_another(
    proxied_app: Starlette,
) -> None:
    family = await make_family()
    others = [(await make_account(f"Guessed {n}"))[0] for n in range(31)]
    async with Client(proxied_app) as stranger, Client(proxied_app) as parent:
        from_address(stranger, "203.0.113.7")
        for account in others:
            await stranger.submit("/login", {"email": account.email, **WRONG})
        slowed = await stranger.submit("/login", {"email": family.email, "password": PASSWORD})
        assert slowed.status_code == 429
        assert "Wait 5 seconds, then try again" in slowed.text
        # The parent's own address, behind the same proxy, is not the stranger's.
        from_address(parent, "198.51.100.20")
        await parent.log_in(family.email, PASSWORD)
        assert (await parent.get("/home")).status_code == 200


async def test_a_forwarded_address_from_an_untrusted_peer_is_not_believed(
    client: Client,
) -> None:
    """Without TRUSTED_PROXIES the header is the client's own words: writing a new address in
    it each time does not get around the limit."""
    others = [(await make_account(f"Sprayed {n}"))[0] for n in range(31)]
    for n, account in enumerate(others):
        from_address(client, f"203.0.113.{n}")
        await client.submit("/login", {"email": account.email, **WRONG})
    family = await make_family()
    from_address(client, "198.51.100.99")
    slowed = await client.submit("/login", {"email": family.email, "password": PASSWORD})
    assert slowed.status_code == 429


async def test_five_wrong_passwords_slow_the_account_and_its_owner_gets_in_after_the_wait(
    client: Client, other_client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    family = await make_family()
    for _ in range(5):
        wrong = await client.submit("/login", {"email": family.email, **WRONG})
        assert wrong.status_code == 400
    # From a browser that never logged in to it, even the right password waits now.
    slowed = await other_client.submit("/login", {"email": family.email, "password": PASSWORD})
    assert slowed.status_code == 429
    assert slowed.headers["Retry-After"] == "5"
    assert "Wait 5 seconds, then try again." in slowed.text
    assert (await other_client.get("/home")).status_code == 303
    # A sixth wrong one doubles the wait; waiting it out lets the owner in.
    later(monkeypatch, timedelta(seconds=6))
    await client.submit("/login", {"email": family.email, **WRONG})
    again = await other_client.submit("/login", {"email": family.email, "password": PASSWORD})
    assert "Wait 10 seconds" in again.text
    later(monkeypatch, timedelta(seconds=17))
    await other_client.log_in(family.email, PASSWORD)
    assert (await other_client.get("/home")).status_code == 200


async def test_the_owners_own_browser_is_not_slowed_by_a_strangers_guessing(
    client: Client, other_client: Client
) -> None:
    family = await make_family()
    await client.log_in(family.email, PASSWORD)
    await client.submit("/logout")
    for _ in range(12):
        await other_client.submit("/login", {"email": family.email, **WRONG})
    assert (
        await other_client.submit("/login", {"email": family.email, "password": PASSWORD})
    ).status_code == 429
    # The browser that logged in before carries its device cookie: it gets in at once.
    await client.log_in(family.email, PASSWORD)
    assert (await client.get("/home")).status_code == 200


async def test_unknown_emails_are_slowed_like_known_ones(client: Client) -> None:
    """The wait does not tell which emails have accounts either."""
    family = await make_family()
    answers = {}
    for email in (family.email, "nobody-here@example.test"):
        for _ in range(5):
            await client.submit("/login", {"email": email, **WRONG})
        answers[email] = await client.submit("/login", {"email": email, **WRONG})
    known, unknown = answers.values()
    assert known.status_code == unknown.status_code == 429
    assert known.text.replace(family.email, "") == unknown.text.replace(
        "nobody-here@example.test", ""
    )


async def test_link_codes_are_slowed_by_the_qr_link_and_the_form(
    client: Client, other_client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    family = await make_family()
    for n in range(5):
        opened = await client.get(f"/link/WRNGC{n:03d}")
        assert "This code does not work." in opened.text
        typed = await client.submit("/link", {"code": f"TYPED{n:03d}"})
        assert typed.status_code == 400
    code = await link_phone(family)
    slowed = await client.get(f"/link/{code}")
    assert slowed.status_code == 429
    assert "Wait 5 seconds" in slowed.text
    assert (await client.submit("/link", {"code": code})).status_code == 429
    # Whoever waits gets the next try, and the right code links the phone.
    later(monkeypatch, timedelta(seconds=6))
    await client.link_phone(code)
    assert (await client.get("/me")).status_code == 200


async def test_a_till_guessing_pay_codes_is_slowed_and_other_shops_are_not(
    client: Client, other_client: Client
) -> None:
    family = await make_family()
    centre, shop, staff = await make_centre_and_shop()
    _centre, other_shop, other_staff = await make_centre_and_shop()
    voucher = await make_voucher(family, centre, yuan=50)
    code = (await vouchers.pay_tokens(voucher))[0].code

    async def pay(http: Client, shop_id: int, presented: str) -> tuple[int, dict[str, object]]:
        answer = await http.post(
            "/api/redeem",
            json={"code": presented, "amount": 100, "shop_id": shop_id},
            headers={"X-CSRF-Token": await http.csrf(), "Idempotency-Key": str(uuid.uuid4())},
        )
        return answer.status_code, answer.json()

    await client.log_in(staff.email, PASSWORD)
    for n in range(throttle.BACKOFF["till"].free):
        status, _body = await pay(client, shop.id, f"GUESS{n:03d}")
        assert status == 409
    status, body = await pay(client, shop.id, code)
    assert status == 429 and "Wait 5 seconds" in str(body["detail"])
    looked_up = await client.get("/shop/redeem", params={"shop": shop.id, "code": code})
    assert looked_up.status_code == 429
    # Nothing was paid while it waited; another shop's till takes the code at once.
    assert (await Voucher.get(id=voucher.id)).balance == 5000
    await other_client.log_in(other_staff.email, PASSWORD)
    status, body = await pay(other_client, other_shop.id, code)
    assert status == 200 and body["outcome"] == "paid"


async def test_wrong_passwords_sent_at_the_same_moment_are_counted_before_any_is_checked(
    client: Client,
) -> None:
    """Forty wrong passwords in parallel: only the free ones are tried, the rest wait (each try
    is counted before it is checked, pwa/auth/throttle.attempt)."""
    family = await make_family()
    token = await client.csrf()
    answers = await asyncio.gather(
        *(
            client.post("/login", data={"csrf_token": token, "email": family.email, **WRONG})
            for _ in range(40)
        )
    )
    statuses = sorted(answer.status_code for answer in answers)
    free = throttle.BACKOFF["account"].free
    assert statuses == [400] * free + [429] * (40 - free)
