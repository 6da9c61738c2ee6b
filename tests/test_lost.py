"""'I am lost' on the help card (issue 18, item 6): a parent turns sharing on (off by default, who
and when kept and shown); the person's phone then sends its position, which goes to the family's
guardians as a Web Push alert with a map link (here to a stand-in push service) and is never
stored; the use is recorded on the trip, once with the phone's outbox."""

from __future__ import annotations

import dataclasses
import json
import uuid
from collections.abc import AsyncIterator, Iterator
from typing import Any

import http_ece
import pytest
from starlette.applications import Starlette

from pwa.models import Person, TripEvent, TripEventKind
from pwa.settings import Settings
from tests.conftest import Client
from tests.factories import (
    PASSWORD,
    FamilyFixture,
    link_phone,
    make_caregiver,
    make_family,
    make_plan,
)
from tests.test_alerts import PushService, browser_keys

HERE = {"latitude": 38.04321, "longitude": 114.51234}


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return dataclasses.replace(settings, push_allow_local=True)


@pytest.fixture
def push_service() -> Iterator[PushService]:
    service = PushService()
    yield service
    service.server.shutdown()


@pytest.fixture
async def third_client(app: Starlette) -> AsyncIterator[Client]:
    async with Client(app) as http:
        yield http


async def subscribe(client: Client, family: FamilyFixture, endpoint: str) -> tuple[Any, bytes]:
    """The guardian's browser asks for alerts; its private key and secret read what comes."""
    await client.log_in(family.email, family.password)
    private, secret, keys = browser_keys()
    answer = await client.post(
        f"/api/people/{family.person.id}/alerts",
        json={"endpoint": endpoint, "keys": keys},
        headers={"X-CSRF-Token": await client.csrf()},
    )
    assert answer.json() == {"subscribed": True}
    return private, secret


async def turn_sharing(client: Client, family: FamilyFixture, on: bool) -> str:
    """The parent's settings form, as sent with the switch on or off; the page's words after."""
    form = {"text_size": "normal", "theme": "calm", "display": "pictures_words", "language": ""}
    if on:
        form["lost_share"] = "on"
    answer = await client.submit(f"/people/{family.person.id}/settings", form)
    assert answer.status_code == 303
    return (await client.get(f"/people/{family.person.id}/settings")).text


async def lost(client: Client, family: FamilyFixture, body: dict[str, Any]) -> Any:
    return await client.post(
        f"/api/people/{family.person.id}/lost",
        json=body,
        headers={"X-CSRF-Token": await client.csrf()},
    )


async def start_trip(phone: Client, family: FamilyFixture) -> dict[str, str]:
    plan = await make_plan(family)
    base = {"trip_id": str(uuid.uuid4()), "plan_id": str(plan.id)}
    result = await phone.push("trip.event", {**base, "id": str(uuid.uuid4()), "kind": "start"})
    assert result["status"] == "applied"
    return base


async def test_the_guardians_get_the_position_and_the_trip_records_it_once(
    client: Client, other_client: Client, third_client: Client, push_service: PushService
) -> None:
    family = await make_family(name="Wang Fang")
    stranger = await make_family(name="Li Lei")
    private, secret = await subscribe(client, family, push_service.url)
    await subscribe(third_client, stranger, push_service.url)
    page = await turn_sharing(client, family, on=True)
    assert "Turned on by Wang Fang on " in page
    person = await Person.get(id=family.person.id)
    assert person.lost_share and person.lost_share_changed_by == "Wang Fang"

    await other_client.link_phone(await link_phone(family))
    trip = await start_trip(other_client, family)
    before = len(push_service.received)  # "Ming started a trip."
    event_id = str(uuid.uuid4())
    answer = await lost(other_client, family, {**HERE, "id": event_id, **trip, "step": 1})
    assert answer.status_code == 200 and answer.json() == {"sent": 1}

    # One alert, to this family's guardian only, readable only with that browser's keys.
    assert len(push_service.received) == before + 1
    _headers, body = push_service.received[-1]
    message = json.loads(
        http_ece.decrypt(body, private_key=private, auth_secret=secret, version="aes128gcm")
    )
    assert message["body"] == (
        "Ming tapped “I am lost”. The phone is at latitude 38.04321, longitude 114.51234: "
        "https://uri.amap.com/marker?position=114.51234,38.04321&coordinate=wgs84&callnative=1"
    )
    assert message["url"].startswith("https://uri.amap.com/marker?position=114.51234,38.04321")

    # The phone's outbox sends the same event later: still one use on the trip.
    again = await other_client.push(
        "trip.event", {**trip, "id": event_id, "kind": "lost", "step": 1}
    )
    assert again["status"] == "applied"
    events = await TripEvent.filter(kind=TripEventKind.LOST)
    assert [(str(e.trip_id), e.step) for e in events] == [(trip["trip_id"], 1)]
    record = await client.get(f"/trips/{trip['trip_id']}")
    assert "“I am lost” was used at " in record.text
    # The position is not kept anywhere in the trip's record.
    assert "38.04321" not in record.text and "38.04" not in str(events[0].value)


async def test_offline_the_outbox_records_it_and_without_a_trip_nothing_is_recorded(
    client: Client, other_client: Client, push_service: PushService
) -> None:
    family = await make_family()
    await subscribe(client, family, push_service.url)
    await turn_sharing(client, family, on=True)
    await other_client.link_phone(await link_phone(family))
    # No trip going on: the parents are told, nothing is recorded.
    answer = await lost(other_client, family, {**HERE, "id": str(uuid.uuid4())})
    assert answer.json() == {"sent": 1}
    assert await TripEvent.filter(kind=TripEventKind.LOST).count() == 0
    # From the start screen during a trip (no trip named): the trip going on gets it.
    trip = await start_trip(other_client, family)
    answer = await lost(other_client, family, {**HERE, "id": str(uuid.uuid4())})
    assert answer.json() == {"sent": 1}
    assert [str(e.trip_id) for e in await TripEvent.filter(kind="lost")] == [trip["trip_id"]]
    # Offline, only the outbox carries it (sharing or not): a trip event like the others.
    result = await other_client.push(
        "trip.event", {**trip, "id": str(uuid.uuid4()), "kind": "lost", "step": 0}
    )
    assert result["status"] == "applied"
    assert await TripEvent.filter(kind="lost").count() == 2


async def test_with_sharing_off_nothing_is_sent(
    client: Client, other_client: Client, push_service: PushService
) -> None:
    family = await make_family(name="Wang Fang")
    await subscribe(client, family, push_service.url)
    page = (await client.get(f"/people/{family.person.id}/settings")).text
    assert "Off. Nobody has turned it on." in page
    assert 'name="lost_share" ' in page and 'name="lost_share" aria-describedby' in page
    assert "checked" not in page.split('name="lost_share"')[1].split(">")[0]

    await other_client.link_phone(await link_phone(family))
    trip = await start_trip(other_client, family)
    before = list(push_service.received)  # "Ming started a trip." only
    help_card = (await other_client.get("/me/help")).text
    assert 'data-share=""' in help_card and 'id="lost-sms"' not in help_card
    answer = await lost(other_client, family, {**HERE, "id": str(uuid.uuid4()), **trip})
    assert answer.status_code == 409
    assert answer.json() == {"error": "Sharing the position is off. Nothing was sent."}
    assert push_service.received == before
    assert await TripEvent.filter(kind="lost").count() == 0

    # On, then off again: off is what counts, and who turned it off is said.
    await turn_sharing(client, family, on=True)
    assert 'id="lost-sms"' in (await other_client.get("/me/help")).text
    page = await turn_sharing(client, family, on=False)
    assert "Turned off by Wang Fang on " in page
    answer = await lost(other_client, family, {**HERE, "id": str(uuid.uuid4())})
    assert answer.status_code == 409 and push_service.received == before


@pytest.mark.parametrize(
    "body",
    [
        {"latitude": 91, "longitude": 114.5},
        {"latitude": 38.0, "longitude": -180.5},
        {"latitude": "38.04", "longitude": 114.5},
        {"latitude": True, "longitude": 114.5},
        {"longitude": 114.5},
        {"latitude": 38.0, "longitude": 114.5, "step": "one"},
        {"latitude": 38.0, "longitude": 114.5, "trip_id": "not an id"},
    ],
)
async def test_a_wrong_position_is_refused_in_words_and_nothing_is_sent(
    client: Client, other_client: Client, push_service: PushService, body: dict[str, Any]
) -> None:
    family = await make_family()
    await subscribe(client, family, push_service.url)
    await turn_sharing(client, family, on=True)
    await other_client.link_phone(await link_phone(family))
    answer = await lost(other_client, family, {"id": str(uuid.uuid4()), **body})
    assert answer.status_code == 400
    assert answer.json() == {"error": "The position was not right. Nothing was sent."}
    other_client.headers["Accept-Language"] = "zh-CN"
    answer = await lost(other_client, family, {"id": str(uuid.uuid4()), **body})
    assert answer.status_code == 400
    assert answer.json()["error"] == "位置不对。什么都没有发送。"
    assert push_service.received == []
    assert await TripEvent.filter(kind="lost").count() == 0


async def test_only_the_persons_own_phone_sends_it(
    client: Client, other_client: Client, third_client: Client, push_service: PushService
) -> None:
    family = await make_family()
    stranger = await make_family()
    await subscribe(client, family, push_service.url)
    await turn_sharing(client, family, on=True)
    # Another family's phone: this person is not there for it.
    await other_client.link_phone(await link_phone(stranger))
    answer = await lost(other_client, family, {**HERE, "id": str(uuid.uuid4())})
    assert answer.status_code == 404
    # The parent, or a caregiver, is not the person's phone.
    answer = await lost(client, family, {**HERE, "id": str(uuid.uuid4())})
    assert answer.status_code == 403
    _teacher, email = await make_caregiver(family)
    await third_client.log_in(email, PASSWORD)
    answer = await lost(third_client, family, {**HERE, "id": str(uuid.uuid4())})
    assert answer.status_code == 403
    # Nor may a caregiver turn sharing on.
    person = f"/people/{family.person.id}/settings"
    refused = await third_client.submit(person, {"lost_share": "on", "text_size": "normal"})
    assert refused.status_code == 403
    assert push_service.received == []
