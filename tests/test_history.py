"""Conflicts between devices (pwa/conflicts.py): per field the later change wins whatever order
the changes arrive in, the other value is kept and can be put back, and delete beats edit."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from pwa.models import FieldHistory, ListItem, PlanStep
from tests.conftest import Client
from tests.factories import link_phone, make_family, make_list, make_plan
from tests.html import find_form

T0 = datetime(2026, 11, 21, 2, 0, tzinfo=UTC)


def at(minutes: int) -> str:
    return (T0 + timedelta(minutes=minutes)).isoformat()


@pytest.fixture
async def tablet(client: Client):
    """The parent's second device: another browser install, so another sync client."""
    async with Client(client._transport.app) as device:  # type: ignore[attr-defined]
        yield device


async def family_with_apple(client: Client, tablet: Client):
    family = await make_family()
    shopping_list = await make_list(family, pictures={"1F34E": 1})
    apple = await ListItem.get(list=shopping_list)
    for device in (client, tablet):
        await device.log_in(family.email, family.password)
    return family, shopping_list, apple


def note_update(item: ListItem, note: str, minutes: int) -> dict:
    return {"id": str(item.id), "fields": {"note": note}, "client_time": at(minutes)}


@pytest.mark.parametrize("order", ["late first", "early first"])
async def test_the_later_note_wins_in_either_order_and_the_other_can_be_put_back(
    client: Client, tablet: Client, order: str
) -> None:
    family, shopping_list, apple = await family_with_apple(client, tablet)
    early = (client, note_update(apple, "the red one", 1), family.family.id)
    late = (tablet, note_update(apple, "the blue one", 2), family.family.id)
    for device, args, family_id in [late, early] if order == "late first" else [early, late]:
        result = await device.push("item.update", args, family_id=family_id)
        assert result["status"] == "applied", result
    await apple.refresh_from_db()
    assert apple.note == "the blue one"
    page = await client.get(f"/lists/{shopping_list.id}/shop")
    assert "the blue one" in page.text and "the red one" not in page.text

    history = await client.get(f"/lists/{shopping_list.id}/history")
    assert "Note was: the red one" in history.text
    red = await FieldHistory.get(row_id=apple.id, value={"v": "the red one"})
    await client.submit(f"/lists/{shopping_list.id}/history/{red.id}")
    await apple.refresh_from_db()
    assert apple.note == "the red one"
    history = await client.get(f"/lists/{shopping_list.id}/history")
    assert "Note was: the blue one" in history.text and "The earlier value is back." in history.text


async def test_changes_to_different_fields_both_stay(client: Client, tablet: Client) -> None:
    family, _list, apple = await family_with_apple(client, tablet)
    # The phone's change is older, but it is to another field: nothing is lost.
    await tablet.push(
        "item.update",
        {"id": str(apple.id), "fields": {"quantity": 3}, "client_time": at(1)},
        family_id=family.family.id,
    )
    await client.push("item.update", note_update(apple, "green", 2), family_id=family.family.id)
    await apple.refresh_from_db()
    assert (apple.quantity, apple.note) == (3, "green")
    assert await FieldHistory.filter(reason="lost").count() == 0


async def test_the_item_form_writes_only_what_was_changed_in_it(
    client: Client, tablet: Client
) -> None:
    family, shopping_list, apple = await family_with_apple(client, tablet)
    url = f"/lists/{shopping_list.id}/items/{apple.id}"
    form = find_form((await client.get(url)).text, url)
    # Meanwhile the tablet changes the note; this form then changes only how many.
    now = note_update(apple, "ripe ones", 0) | {"client_time": None}
    await tablet.push("item.update", now, family_id=family.family.id)
    response = await client.post(url, data={**form.fields, "quantity": "4"})
    assert response.status_code == 303
    await apple.refresh_from_db()
    assert (apple.quantity, apple.note) == (4, "ripe ones")


async def test_delete_beats_edit_and_the_edit_can_be_put_back(
    client: Client, tablet: Client
) -> None:
    family, shopping_list, apple = await family_with_apple(client, tablet)
    await client.submit(f"/lists/{shopping_list.id}/items/{apple.id}/remove")
    # The tablet, offline, changed the note after the apple was taken off.
    later = {"id": str(apple.id), "fields": {"note": "two bags"}, "client_time": at(60 * 24 * 9)}
    result = await tablet.push("item.update", later, family_id=family.family.id)
    assert result["status"] == "applied"  # taken, and kept in the history
    await apple.refresh_from_db()
    assert apple.deleted_at is not None and apple.note == ""
    await client.get(f"/lists/{shopping_list.id}")  # shows the "taken off" notice once
    assert "Apple" not in (await client.get(f"/lists/{shopping_list.id}/shop")).text

    # The change is not lost: the parent finds it and puts it back, with the apple.
    kept = await FieldHistory.get(row_id=apple.id)
    assert kept.reason == "after_delete" and kept.value == {"v": "two bags"}
    history = await client.get(f"/lists/{shopping_list.id}/history")
    assert "It was made after this was taken out." in history.text
    await client.submit(f"/lists/{shopping_list.id}/history/{kept.id}")
    await apple.refresh_from_db()
    assert apple.deleted_at is None and apple.note == "two bags"
    assert "two bags" in (await client.get(f"/lists/{shopping_list.id}/shop")).text


async def test_a_removed_item_is_removed_once(client: Client, tablet: Client) -> None:
    family, _list, apple = await family_with_apple(client, tablet)
    for _ in range(2):
        result = await client.push("item.remove", {"id": str(apple.id)}, family_id=family.family.id)
        assert result["status"] == "applied"
    await apple.refresh_from_db()
    assert apple.deleted_at is not None


async def test_steps_follow_the_same_rules(client: Client) -> None:
    family = await make_family()
    plan = await make_plan(family)
    step = await PlanStep.filter(plan=plan).order_by("position").first()
    await client.log_in(family.email, family.password)
    url = f"/plans/{plan.id}/steps/{step.id}"
    form = find_form((await client.get(url)).text, url)
    # Another of the parent's devices changes the sentence; this form changes the timer only.
    async with Client(client._transport.app) as tablet:  # type: ignore[attr-defined]
        await tablet.log_in(family.email, family.password)
        result = await tablet.push(
            "step.update",
            {"id": str(step.id), "fields": {"text": "Put on your coat."}},
            family_id=family.family.id,
        )
        assert result["status"] == "applied", result
        await client.post(url, data={**form.fields, "wait_minutes": "3"})
        await step.refresh_from_db()
        assert (step.text, step.wait_minutes) == ("Put on your coat.", 3)
        # An older sentence from the tablet loses and is kept.
        old = {"id": str(step.id), "fields": {"text": "Old words."}, "client_time": at(0)}
        await tablet.push("step.update", old, family_id=family.family.id)
    await step.refresh_from_db()
    assert step.text == "Put on your coat."
    history = await client.get(f"/plans/{plan.id}/history")
    assert "Old words." in history.text and "A later change on another device won." in history.text
    # A bad value is refused with its reason and changes nothing.
    bad = {"id": str(step.id), "fields": {"wait_minutes": "999"}}
    result = await client.push("step.update", bad, family_id=family.family.id)
    assert result["status"] == "refused" and "1 to 120" in result["error"]


async def test_another_family_and_the_phone_cannot_see_or_put_back(
    client: Client, other_client: Client, tablet: Client
) -> None:
    family, shopping_list, apple = await family_with_apple(client, tablet)
    await other_client.link_phone(await link_phone(family))
    await client.push("item.update", note_update(apple, "x", 1), family_id=family.family.id)
    await client.push("item.update", note_update(apple, "y", 2), family_id=family.family.id)
    entry = await FieldHistory.get(row_id=apple.id)  # "x", replaced by "y"
    phone_sees = await other_client.get(f"/lists/{shopping_list.id}/history")
    assert phone_sees.status_code in (403, 404)
    stranger = await make_family()
    async with Client(client._transport.app) as someone:  # type: ignore[attr-defined]
        await someone.log_in(stranger.email, stranger.password)
        assert (await someone.get(f"/lists/{shopping_list.id}/history")).status_code == 404
        response = await someone.submit(f"/lists/{shopping_list.id}/history/{entry.id}")
        assert response.status_code == 404
        result = await someone.push(
            "item.update", note_update(apple, "mine", 9), family_id=stranger.family.id
        )
        assert result["status"] == "refused"
    await apple.refresh_from_db()
    assert apple.note == "y" and (await FieldHistory.get(id=entry.id)).put_back_at is None
    assert uuid.UUID(str(entry.row_id)) == apple.id
