"""Hostile input on every JSON endpoint (issue 8): Hypothesis sends random JSON, and JSON shaped
almost like what the phone and the till send. Never a 500; a refusal (4xx) changes nothing."""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pwa.app import create_app
from pwa.auth import throttle
from pwa.models import ListItem, Voucher
from pwa.settings import Settings
from tests import databases
from tests.conftest import BASE_URL, CSRF_RE
from tests.factories import (
    PASSWORD,
    link_phone,
    make_centre_and_shop,
    make_family,
    make_list,
    make_plan,
    make_voucher,
)

JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**63), 2**63)
    | st.floats(allow_nan=False)
    | st.text(max_size=40),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4)
    ),
    max_leaves=12,
)
# Issue 15's cases: amounts that are not a whole number of fen, or not numbers at all.
MONEY = st.sampled_from(
    [2**63, 2**64, -(2**63) - 1, 10**60, 5.9, True, False, "1e400", "NaN", "１０", "5" * 60, 1e308]
)
TABLES = (
    "shopping_list",
    "list_item",
    "item_mark",
    "trip",
    "trip_event",
    "voucher",
    "ledger_entry",
    "push_subscription",
    "field_history",
    "plan_step",
)


class World:
    """One app with a family (a list, a plan, a voucher), its parent, its phone and a shop."""

    def __init__(self, tmp_path: Path, database_url: str) -> None:
        self.app = create_app(
            Settings(
                port=0,
                database_url=database_url,
                secret_key="fuzz",
                debug=False,
                default_locale="en",
                data_dir=tmp_path,
            )
        )
        self.loop = asyncio.new_event_loop()
        self.lifespan = self.app.router.lifespan_context(self.app)
        self.run(self.lifespan.__aenter__())
        self.run(self.setup())

    def run(self, coroutine: Any) -> Any:
        return self.loop.run_until_complete(coroutine)

    async def client(
        self, email: str | None = None, code: str | None = None
    ) -> tuple[httpx.AsyncClient, str]:
        http = httpx.AsyncClient(transport=httpx.ASGITransport(app=self.app), base_url=BASE_URL)
        token = CSRF_RE.search((await http.get("/login")).text).group(1)
        if email:
            await http.post(
                "/login", data={"csrf_token": token, "email": email, "password": PASSWORD}
            )
        if code:
            await http.post(f"/link/{code}", data={"csrf_token": token, "confirm": "yes"})
        token = CSRF_RE.search((await http.get("/help")).text).group(1)
        return http, token

    async def setup(self) -> None:
        family = await make_family()
        self.family = family
        self.list = await make_list(family, pictures={"1F34E": 1, "1F95B": 2})
        self.items = [str(i.id) for i in await ListItem.filter(list=self.list)]
        self.plan = await make_plan(family)
        centre, self.shop, staff = await make_centre_and_shop()
        self.voucher: Voucher = await make_voucher(family, centre)
        self.parent, self.parent_token = await self.client(family.email)
        self.phone, self.phone_token = await self.client(code=await link_phone(family))
        self.till, self.till_token = await self.client(staff.email)

    def snapshot(self) -> dict[str, Any]:
        counts: dict[str, Any] = self.run(databases.table_counts(list(TABLES)))
        counts["balance"] = self.run(databases.scalar("SELECT sum(balance) FROM voucher"))
        # A refused payment is kept as its answer (the same Idempotency-Key gets the same
        # answer again); only a paid one is a change.
        counts["paid"] = self.run(
            databases.scalar("SELECT count(*) FROM redemption WHERE outcome = 'paid'")
        )
        return counts

    def close(self) -> None:
        for http in (self.parent, self.phone, self.till):
            self.run(http.aclose())
        self.run(self.lifespan.__aexit__(None, None, None))
        self.loop.close()


def ids(world: World) -> st.SearchStrategy[str]:
    """Ids the server knows, or not, or not ids at all."""
    known = [*world.items, str(world.list.id), str(world.plan.id), str(world.voucher.id)]
    return st.sampled_from(known) | st.uuids().map(str) | st.text(max_size=10)


def mutations(world: World) -> st.SearchStrategy[dict[str, Any]]:
    names = st.sampled_from(
        [
            "list.create",
            "item.add",
            "item.mark",
            "item.update",
            "item.remove",
            "trip.event",
            "step.update",
            "step.remove",
            "nope",
        ]
    )
    args = st.fixed_dictionaries(
        {},
        optional={
            "id": ids(world),
            "item_id": ids(world),
            "list_id": ids(world),
            "plan_id": ids(world),
            "trip_id": ids(world),
            "state": st.sampled_from(["ticked", "not_found", "cleared", "eaten"]) | JSON,
            "kind": st.sampled_from(["start", "step_done", "help_shown", "finish", "x"]) | JSON,
            "step": st.integers(-3, 12) | JSON,
            "fields": st.dictionaries(
                st.sampled_from(["note", "quantity", "price", "area", "text", "wait_minutes", "x"]),
                JSON | MONEY,
                max_size=3,
            ),
            "pictogram": st.sampled_from(["1F34E", "zzz"]) | JSON,
            "quantity": JSON,
            "client_time": st.sampled_from(
                [
                    "2026-11-21T02:00:00Z",
                    "yesterday",
                    "9999-12-31T23:59:59Z",
                    "0001-01-01T00:00:00Z",
                ]
            )
            | JSON,
            "value": JSON,
        },
    )
    return st.fixed_dictionaries(
        {"mutation_id": st.integers(-2, 6) | JSON, "name": names | JSON, "args": args | JSON}
    )


def bodies(world: World) -> st.SearchStrategy[Any]:
    push = st.fixed_dictionaries(
        {
            "client_id": st.uuids().map(str) | JSON,
            "family_id": st.just(str(world.family.family.id)) | JSON,
            "mutations": st.lists(mutations(world), max_size=5) | JSON,
        }
    )
    redeem = st.fixed_dictionaries(
        {"code": st.text(max_size=20) | JSON, "amount": st.integers(-100, 10**9) | MONEY | JSON}
    )
    return JSON | push | redeem


def test_no_json_endpoint_answers_500_and_refusals_change_nothing(
    tmp_path: Path, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The till's wrong codes would soon be slowed down (429, pwa/auth/throttle.py) and the
    # payments behind them no longer tried: here the till may fail as often as it likes.
    monkeypatch.setitem(
        throttle.BACKOFF, "till", throttle.Backoff(10**9, timedelta(0), timedelta(0))
    )
    world = World(tmp_path, database_url)
    person = str(world.family.person.id)
    endpoints = [
        ("POST", "/api/sync/push", "phone"),
        ("POST", "/api/sync/push", "parent"),
        ("POST", "/api/redeem", "till"),
        ("POST", f"/api/vouchers/{world.voucher.id}/codes", "phone"),
        ("POST", f"/api/people/{person}/alerts", "parent"),
        ("DELETE", f"/api/people/{person}/alerts", "parent"),
    ]

    @settings(max_examples=600, deadline=None, suppress_health_check=list(HealthCheck))
    @given(
        endpoint=st.sampled_from(endpoints),
        body=bodies(world),
        raw=st.booleans(),
        key=st.text(st.characters(min_codepoint=33, max_codepoint=126), max_size=20),
    )
    def attack(endpoint: tuple[str, str, str], body: Any, raw: bool, key: str) -> None:
        method, url, who = endpoint
        http = getattr(world, who)
        token = getattr(world, f"{who}_token")
        before = world.snapshot()
        headers = {"X-CSRF-Token": token, "Idempotency-Key": key or str(uuid.uuid4())}
        if raw:  # not JSON at all
            content = str(body).encode()
        else:
            import json

            content = json.dumps(body).encode()
        response = world.run(
            http.request(
                method,
                url,
                content=content,
                headers={**headers, "Content-Type": "application/json"},
            )
        )
        assert response.status_code < 500, (method, url, body, response.text[:300])
        if response.status_code >= 400:
            assert world.snapshot() == before, (method, url, body)

    try:
        attack()
        # Pull with random parameters: never a 500 either.
        for cursor in ("0", "-1", "x", "99999999999999999999", ""):
            for client_id in (str(uuid.uuid4()), "nope", ""):
                response = world.run(
                    world.phone.get(
                        "/api/sync/pull", params={"cursor": cursor, "client_id": client_id}
                    )
                )
                assert response.status_code < 500, (cursor, client_id)
        # Nested far deeper than any real body: a 400, before json.loads could recurse.
        before = world.snapshot()
        for url in ("/api/sync/push", f"/api/people/{person}/alerts"):
            deep = world.run(
                world.parent.post(
                    url,
                    content=b"[" * 5000 + b"]" * 5000,
                    headers={
                        "X-CSRF-Token": world.parent_token,
                        "Content-Type": "application/json",
                    },
                )
            )
            assert deep.status_code == 400, (url, deep.status_code)
        assert world.snapshot() == before
    finally:
        world.close()
