"""The trip record: events from the phone, written once, shown to the parent."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from pwa.models import Trip, TripEvent
from tests.conftest import Client
from tests.factories import link_phone, make_family, make_list, make_plan

T0 = datetime(2026, 11, 21, 2, 0, tzinfo=UTC)


async def send(client: Client, token: str, event: dict) -> str:
    """Send one trip event the way the phone's outbox does; "applied" or "refused"."""
    return (await client.push("trip.event", event))["status"]


async def test_a_trip_is_recorded_once_with_every_step(
    client: Client, other_client: Client
) -> None:
    family = await make_family()
    plan = await make_plan(family, "convenience")
    await other_client.link_phone(await link_phone(family))
    token = await other_client.csrf()
    trip_id = str(uuid.uuid4())

    def event(kind: str, step: int | None, minutes: float) -> dict:
        return {
            "id": str(uuid.uuid4()),
            "trip_id": trip_id,
            "plan_id": str(plan.id),
            "kind": kind,
            "step": step,
            "client_time": (T0 + timedelta(minutes=minutes)).isoformat(),
        }

    start = event("start", 0, 0)
    assert await send(other_client, token, start) == "applied"
    assert await send(other_client, token, start) == "applied"
    events = [
        event("step_done", 0, 1),
        event("step_done", 1, 4),
        event("help_shown", 2, 5),
        event("help_closed", 2, 6),
        event("step_done", 2, 9),
    ]
    for item in events:
        for _ in range(2):  # every event sent twice, as a phone on a bad network might
            assert await send(other_client, token, item) == "applied"
    assert await Trip.all().count() == 1
    assert await TripEvent.all().count() == 6

    await client.log_in(family.email, family.password)
    trips = await client.get(f"/people/{family.person.id}/trips")
    assert "Going on now: step 4 of 6." in trips.text
    page = await client.get(f"/trips/{trip_id}")
    assert "1 min 0 s" in page.text and "3 min 0 s" in page.text and "5 min 0 s" in page.text
    assert "Help card shown 1 time." in page.text
    assert page.text.count("Not done") == 3

    for number, minutes in ((3, 10), (4, 12), (5, 13)):
        await send(other_client, token, event("step_done", number, minutes))
    await send(other_client, token, event("finish", 5, 13))
    trip = await Trip.get(id=trip_id)
    assert trip.finished_at == T0 + timedelta(minutes=13)
    page = await client.get(f"/trips/{trip_id}")
    assert "Not done" not in page.text


async def test_items_ticked_during_the_trip_are_in_its_record(
    client: Client, other_client: Client
) -> None:
    family = await make_family()
    shopping_list = await make_list(family, pictures={"1F95B": 1, "1F34E": 1})
    plan = await make_plan(family, "convenience")
    from pwa.models import ListItem, PlanStep

    await PlanStep.filter(plan=plan, link="list").update(shopping_list_id=shopping_list.id)
    await other_client.link_phone(await link_phone(family))
    token = await other_client.csrf()
    trip_id = str(uuid.uuid4())
    assert (
        await send(
            other_client,
            token,
            {
                "id": str(uuid.uuid4()),
                "trip_id": trip_id,
                "plan_id": str(plan.id),
                "kind": "start",
                "step": 0,
            },
        )
        == "applied"
    )
    milk = await ListItem.get(list=shopping_list, pictogram="1F95B")
    apple = await ListItem.get(list=shopping_list, pictogram="1F34E")
    for item, state in ((milk, "ticked"), (apple, "not_found")):
        await other_client.push(
            "item.mark", {"id": str(uuid.uuid4()), "item_id": str(item.id), "state": state}
        )
    await client.log_in(family.email, family.password)
    page = await client.get(f"/trips/{trip_id}")
    assert "Things put in the basket: 1. Not found: 1." in page.text


async def test_bad_events_are_refused_and_change_nothing(
    client: Client, other_client: Client
) -> None:
    family = await make_family()
    plan = await make_plan(family)
    await other_client.link_phone(await link_phone(family))
    token = await other_client.csrf()
    base = {"trip_id": str(uuid.uuid4()), "plan_id": str(plan.id)}
    # An event before its trip has started: try again later.
    assert (
        await send(
            other_client, token, {**base, "id": str(uuid.uuid4()), "kind": "step_done", "step": 0}
        )
        == "refused"
    )
    await send(other_client, token, {**base, "id": str(uuid.uuid4()), "kind": "start", "step": 0})
    for bad in (
        {"kind": "dance", "step": 0},
        {"kind": "step_done", "step": 99},
        {"kind": "step_done", "step": "one"},
    ):
        assert (
            await send(other_client, token, {**base, "id": str(uuid.uuid4()), **bad}) == "refused"
        )
    assert await TripEvent.all().count() == 1
    # A parent's preview is never recorded; a push that does not say the family is refused.
    await client.log_in(family.email, family.password)
    start = {**base, "trip_id": str(uuid.uuid4()), "id": str(uuid.uuid4()), "kind": "start"}
    no_family = await client.post(
        "/api/sync/push",
        json={"client_id": str(uuid.uuid4()), "mutations": []},
        headers={"X-CSRF-Token": await client.csrf()},
    )
    assert no_family.status_code == 400
    result = await client.push("trip.event", start, family_id=family.family.id)
    assert result["status"] == "refused"
    # Another family's phone cannot write into this plan.
    stranger = await make_family()
    async with Client(client._transport.app) as phone:  # type: ignore[attr-defined]
        await phone.link_phone(await link_phone(stranger))
        stranger_token = await phone.csrf()
        assert (
            await send(
                phone,
                stranger_token,
                {**base, "trip_id": str(uuid.uuid4()), "id": str(uuid.uuid4()), "kind": "start"},
            )
            == "refused"
        )
    assert await Trip.all().count() == 1


async def test_each_trip_of_a_history_counts_only_its_own_marks(client: Client) -> None:
    """The history reads every trip at once: weekly trips on one list each count the marks
    made during them, and the newest mark of an item in that time."""
    from pwa.models import ItemMark, ListItem
    from pwa.trips import services as trips

    family = await make_family()
    shopping_list = await make_list(family, pictures={"1F95B": 1, "1F34E": 1, "1F35E": 1})
    milk, apple, bread = [
        await ListItem.get(list=shopping_list, pictogram=code)
        for code in ("1F95B", "1F34E", "1F35E")
    ]
    steps = [{"text": "Shop", "picture": "1F6D2", "list_id": str(shopping_list.id)}]
    week = timedelta(days=7)
    made = []
    for n in range(3):
        made.append(
            await Trip.create(
                family=family.family,
                person=family.person,
                plan_name="Shop",
                steps=steps,
                started_at=T0 + n * week,
                finished_at=T0 + n * week + timedelta(minutes=30),
            )
        )

    async def mark(item, state: str, at: datetime) -> None:
        await ItemMark.create(family=family.family, item=item, state=state, client_time=at)

    await mark(milk, "ticked", T0 + timedelta(minutes=5))  # trip 1
    await mark(apple, "not_found", T0 + timedelta(minutes=6))  # trip 1
    await mark(milk, "ticked", T0 + week + timedelta(minutes=1))  # trip 2 …
    await mark(milk, "cleared", T0 + week + timedelta(minutes=2))  # … then taken back out
    await mark(bread, "ticked", T0 + week + timedelta(minutes=40))  # after trip 2 ended
    await mark(bread, "ticked", T0 + 2 * week + timedelta(minutes=29))  # trip 3
    await mark(apple, "ticked", T0 + 2 * week + timedelta(minutes=29))  # trip 3

    records = await trips.trip_records(made)
    assert [(r.ticked, r.not_found, r.planned) for r in records] == [
        (1, 1, 3),
        (0, 0, 3),
        (2, 0, 3),
    ]
    # One trip read alone says the same as in the history.
    alone = await trips.trip_record(made[1])
    assert (alone.ticked, alone.not_found) == (0, 0)
