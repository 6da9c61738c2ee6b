"""Following the trips (pwa/review/routes.py): live status, history, progress, notes, the care
record, and what a caregiver may and may not open."""

from __future__ import annotations

import csv
import io
import uuid
from datetime import UTC, datetime, timedelta

from pwa.core import person_settings
from pwa.models import PlanStep, Trip, TripNote
from tests.conftest import Client
from tests.factories import (
    PASSWORD,
    link_phone,
    make_caregiver,
    make_family,
    make_list,
    make_plan,
)
from tests.html import find_form

T0 = datetime(2026, 11, 21, 2, 0, tzinfo=UTC)


def event(trip_id: str, plan_id: str, kind: str, step: int | None, minutes: float, **more):
    return {
        "id": str(uuid.uuid4()),
        "trip_id": trip_id,
        "plan_id": plan_id,
        "kind": kind,
        "step": step,
        "client_time": (T0 + timedelta(minutes=minutes)).isoformat(),
        **more,
    }


async def phone_does_a_trip(phone: Client, plan_id: str, *, finish: bool, help_at: int = 1):
    """The phone starts a trip, feels worried, does 3 steps with the help card at one of them
    and (if asked) finishes feeling calm."""
    trip_id = str(uuid.uuid4())
    sent = [
        event(trip_id, plan_id, "start", 0, 0),
        event(trip_id, plan_id, "feeling_before", None, 0, value="worried"),
        event(trip_id, plan_id, "help_shown", help_at, 3),
    ]
    sent += [event(trip_id, plan_id, "step_done", n, 2 * (n + 1)) for n in range(3)]
    if finish:
        sent += [event(trip_id, plan_id, "step_done", n, 2 * (n + 1)) for n in range(3, 8)]
        sent += [
            event(trip_id, plan_id, "finish", 7, 16),
            event(trip_id, plan_id, "feeling_after", None, 17, value="calm"),
        ]
    for each in sent:
        result = await phone.push("trip.event", each)
        assert result["status"] == "applied", (each, result)
    return trip_id


async def test_the_parent_sees_the_step_the_phone_is_on(
    client: Client, other_client: Client
) -> None:
    family = await make_family()
    plan = await make_plan(family)
    await other_client.link_phone(await link_phone(family))
    await client.log_in(family.email, family.password)
    quiet = (await client.get(f"/people/{family.person.id}/trips/live")).json()
    assert quiet == {"going": False, "text": "No trip is going on now."}

    # A trip started just now (the phone's clock is now), on its fourth step.
    trip_id = str(uuid.uuid4())
    now = datetime.now(UTC).isoformat()
    await other_client.push(
        "trip.event", {**event(trip_id, str(plan.id), "start", 0, 0), "client_time": now}
    )
    for n in range(3):
        done = {**event(trip_id, str(plan.id), "step_done", n, 0), "client_time": now}
        await other_client.push("trip.event", done)
    await other_client.push(
        "trip.event", {**event(trip_id, str(plan.id), "help_shown", 3, 0), "client_time": now}
    )
    live = (await client.get(f"/people/{family.person.id}/trips/live")).json()
    assert live["going"] and live["trip"] == trip_id
    assert "Ming is on step 4 of 8: Find the things on your list." in live["text"]
    assert "Help card shown 1 time." in live["text"]
    assert "The phone was last heard from at" in live["text"]
    page = await client.get(f"/people/{family.person.id}/trips")
    assert "Ming is on step 4 of 8" in page.text


async def test_a_caregiver_reads_the_history_and_adds_a_note(
    client: Client, other_client: Client
) -> None:
    family = await make_family()
    plan = await make_plan(family)
    await other_client.link_phone(await link_phone(family))
    trip_id = await phone_does_a_trip(other_client, str(plan.id), finish=True)
    _teacher, email = await make_caregiver(family)
    await client.log_in(email, PASSWORD)

    history = await client.get(f"/people/{family.person.id}/trips")
    assert history.status_code == 200 and f"/trips/{trip_id}" in history.text
    assert "8 of 8 steps done, 7 without the help card." in history.text
    timeline = await client.get(f"/trips/{trip_id}")
    assert "Before the trip: Worried" in timeline.text and "After the trip: Calm" in timeline.text
    assert "It took 16 min 0 s." in timeline.text and "Help card 1 time" in timeline.text

    form = find_form(timeline.text, f"/trips/{trip_id}")
    response = await client.post(
        f"/trips/{trip_id}", data={**form.fields, "text": "Calm at the till."}
    )
    assert response.status_code == 303
    again = await client.post(
        f"/trips/{trip_id}", data={**form.fields, "text": "Calm at the till."}
    )
    assert again.status_code == 303
    assert await TripNote.filter(trip_id=trip_id).count() == 1
    assert "Calm at the till." in (await client.get(f"/trips/{trip_id}")).text
    empty = await client.post(
        f"/trips/{trip_id}", data={**form.fields, "note_id": str(uuid.uuid4()), "text": " "}
    )
    assert empty.status_code == 400 and "Write the note first." in empty.text

    progress = await client.get(f"/people/{family.person.id}/progress")
    assert progress.status_code == 200
    assert "On 21 November Ming did 7 of 8 steps alone." in progress.text
    assert (
        '<svg class="chart-svg"' in progress.text and '<table class="chart-table">' in progress.text
    )
    assert "88 %" in progress.text  # 7 of 8 steps without the help card


async def test_the_care_record_has_one_row_per_step(client: Client, other_client: Client) -> None:
    family = await make_family()
    plan = await make_plan(family)
    await other_client.link_phone(await link_phone(family))
    finished = await phone_does_a_trip(other_client, str(plan.id), finish=True, help_at=2)
    going = await phone_does_a_trip(other_client, str(plan.id), finish=False)
    await client.log_in(family.email, family.password)
    response = await client.get(f"/people/{family.person.id}/care-record.csv")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.text.lstrip("\ufeff"))))
    assert len(rows) == 16  # 8 steps in each trip
    first = [r for r in rows if r["Trip"] == finished]
    assert [r["Step"] for r in first] == [str(n) for n in range(1, 9)]
    assert first[0]["Trip started"] == "2026-11-21T10:00:00+08:00"
    assert first[0]["Done at"] == "2026-11-21T10:02:00+08:00" and first[0]["Seconds"] == "120"
    assert [r["Help card shown"] for r in first] == ["no", "no", "yes"] + ["no"] * 5
    assert first[0]["Feeling before"] == "Worried" and first[0]["Feeling after"] == "Calm"
    open_trip = [r for r in rows if r["Trip"] == going]
    assert open_trip[3]["Done at"] == "" and open_trip[3]["Seconds"] == ""
    page = await client.get(f"/people/{family.person.id}/care-record")
    assert page.status_code == 200 and "Care record of Ming" in page.text


FORMULA_STARTS = ["=", "+", "-", "@", "\t", "\r"]


async def test_the_care_record_neutralises_texts_that_start_like_a_formula(
    client: Client, other_client: Client
) -> None:
    """Step texts and plan names are typed by people: one that starts with = + - @, a tab or a
    carriage return gets an apostrophe, so a spreadsheet shows it instead of running it."""
    family = await make_family()
    plan = await make_plan(family, name='=HYPERLINK("http://evil.test","Open")')
    texts = [f"{start}cmd|' /C calc'!A0" for start in FORMULA_STARTS] + ["Pay", "-12.50"]
    steps = await PlanStep.filter(plan=plan).order_by("position")
    assert len(steps) == len(texts)
    for step, text in zip(steps, texts, strict=True):
        step.text = text
        await step.save()
    await other_client.link_phone(await link_phone(family))
    trip_id = await phone_does_a_trip(other_client, str(plan.id), finish=True)
    await client.log_in(family.email, family.password)

    async def care_record() -> list[dict[str, str]]:
        response = await client.get(f"/people/{family.person.id}/care-record.csv")
        assert response.status_code == 200
        return list(csv.DictReader(io.StringIO(response.text.lstrip("\ufeff"))))

    rows = await care_record()
    assert [r["Sentence"] for r in rows] == ["'" + t for t in texts[:6]] + ["Pay", "-12.50"]
    assert {r["Plan"] for r in rows} == {'\'=HYPERLINK("http://evil.test","Open")'}
    assert rows[0]["Trip"] == trip_id and rows[0]["Seconds"] == "120"
    for start in FORMULA_STARTS:
        await Trip.filter(id=trip_id).update(plan_name=f"{start}1+1 Supermarket")
        assert {r["Plan"] for r in await care_record()} == {f"'{start}1+1 Supermarket"}


async def test_feelings_are_one_of_four_and_the_check_is_a_setting(
    client: Client, other_client: Client
) -> None:
    family = await make_family()
    plan = await make_plan(family)
    await other_client.link_phone(await link_phone(family))
    trip_id = str(uuid.uuid4())
    await other_client.push("trip.event", event(trip_id, str(plan.id), "start", 0, 0))
    for bad in (
        {"kind": "feeling_before", "value": "angry"},
        {"kind": "step_done", "value": "calm"},
    ):
        result = await other_client.push(
            "trip.event", {**event(trip_id, str(plan.id), "x", 0, 1), "step": None, **bad}
        )
        assert result["status"] == "refused"
    go = await other_client.get(f"/plans/{plan.id}/go")
    assert '"feelings": false' in go.text
    family.person.settings = {**person_settings.DEFAULTS, "feelings_check": True}
    await family.person.save()
    go = await other_client.get(f"/plans/{plan.id}/go")
    assert '"feelings": true' in go.text and "How do you feel before the trip?" in go.text


async def test_a_caregiver_cannot_pay_edit_or_change_settings(
    client: Client, other_client: Client
) -> None:
    family = await make_family()
    plan = await make_plan(family)
    shopping_list = await make_list(family, pictures={"1F34E": 1})
    _teacher, email = await make_caregiver(family)
    await client.log_in(email, PASSWORD)
    person = family.person.id
    # The settings page is read-only for a caregiver; changing them is refused below.
    for url in (
        f"/people/{person}/phone",
        f"/lists/{shopping_list.id}/edit",
        f"/lists/{shopping_list.id}/add",
        f"/plans/{plan.id}/steps/new",
        f"/families/{family.family.id}/wallet",
        f"/families/{family.family.id}/lists/new",
        "/me/pay",
    ):
        response = await client.get(url)
        assert response.status_code in (403, 404), url
    response = await client.submit(f"/people/{person}/settings", {"text_size": "large"})
    assert response.status_code in (403, 404)
    # Another family's person: every review URL is 404 for this caregiver.
    stranger = await make_family()
    for url in (
        f"/people/{stranger.person.id}/trips",
        f"/people/{stranger.person.id}/trips/live",
        f"/people/{stranger.person.id}/progress",
        f"/people/{stranger.person.id}/care-record",
        f"/people/{stranger.person.id}/care-record.csv",
        f"/people/{stranger.person.id}/settings",
        f"/families/{stranger.family.id}/wallet",
    ):
        assert (await client.get(url)).status_code == 404, url


async def test_a_voucher_paid_during_the_trip_is_in_its_timeline(
    client: Client, other_client: Client
) -> None:
    from pwa import i18n
    from pwa.vouchers import services as vouchers
    from tests.factories import make_centre_and_shop, make_voucher

    family = await make_family()
    plan = await make_plan(family)
    centre, shop, staff = await make_centre_and_shop()
    voucher = await make_voucher(family, centre, yuan=50)
    await other_client.link_phone(await link_phone(family))
    trip_id = str(uuid.uuid4())
    now = datetime.now(UTC).isoformat()
    start = {**event(trip_id, str(plan.id), "start", 0, 0), "client_time": now}
    assert (await other_client.push("trip.event", start))["status"] == "applied"
    token = (await vouchers.pay_tokens(voucher))[0]
    answer = await vouchers.redeem(
        shop,
        key=str(uuid.uuid4()),
        presented=vouchers.signed(token, "test-secret-key"),
        amount=1250,
        staff=staff,
        secret="test-secret-key",
    )
    assert answer.outcome == "paid"
    await client.log_in(family.email, family.password)
    page = await client.get(f"/trips/{trip_id}")
    with i18n.use_locale("en"):
        money = i18n.format_money(1250)
    assert f"Paid {money} with a friendly voucher at {shop.name}." in page.text
