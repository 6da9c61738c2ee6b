"""Plan B per item (issue 18, item 3): the guardian chooses what the person does when an item is
not there; the phone records the plan B used; the trip record says it in words."""

from __future__ import annotations

import io
import json
import uuid
import zipfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

from starlette.applications import Starlette

from pwa.family import deletion
from pwa.lists import services as lists
from pwa.models import ItemMark, ListItem, Photo, PlanStep, ShoppingList
from tests.conftest import Client
from tests.factories import FamilyFixture, link_phone, make_family, make_list, make_plan
from tests.html import find_form

T0 = datetime(2026, 11, 21, 2, 0, tzinfo=UTC)
MILK, YOGURT, APPLE, BREAD = "1F95B", "1F963", "1F34E", "1F35E"


async def family_with_list() -> tuple[FamilyFixture, ShoppingList, dict[str, ListItem]]:
    family = await make_family()
    shopping_list = await make_list(family, pictures={MILK: 1, APPLE: 2, BREAD: 1})
    items = {i.pictogram: i for i in await ListItem.filter(list=shopping_list)}
    return family, shopping_list, items


async def a_photo(family: FamilyFixture, label: str = "Blue cup") -> Photo:
    return await Photo.create(
        id=uuid.uuid4(),
        family_id=family.family.id,
        label=label,
        area="household",
        file_name=f"{uuid.uuid4()}.jpg",
        width=40,
        height=30,
    )


def plan_b_of(item: ListItem) -> tuple[str, str, uuid.UUID | None, str]:
    return (item.plan_b, item.plan_b_pictogram, item.plan_b_photo_id, item.plan_b_label)


async def test_the_guardian_chooses_the_other_item_from_the_pictures(client: Client) -> None:
    family, shopping_list, items = await family_with_list()
    milk = items[MILK]
    await client.log_in(family.email, family.password)
    item_page = f"/lists/{shopping_list.id}/items/{milk.id}"
    page = await client.get(item_page)
    assert "If it is not there" in page.text
    for words in ("Take another item", "Ask the staff", "Leave it"):
        assert f"<span>{words}</span>" in page.text
    # "Take another item" with no picture yet: said in words, nothing changed.
    form = find_form(page.text, item_page)
    answer = await client.post(item_page, data={**form.fields, "plan_b": "other"})
    assert answer.status_code == 400
    assert "Choose the picture of the other item." in answer.text
    await milk.refresh_from_db()
    assert plan_b_of(milk) == ("", "", None, "")

    # The picker's search, in either language, and a tap on Yogurt.
    picker = f"{item_page}/plan-b"
    found = await client.get(picker, params={"q": "yoghurt"})
    assert "If “Milk” is not there, take this instead" in found.text
    tile = find_form(found.text, picker, pictogram=YOGURT)
    answer = await client.post(picker, data=tile.fields)
    assert answer.status_code == 303 and answer.headers["location"] == item_page
    await milk.refresh_from_db()
    assert plan_b_of(milk) == ("other", YOGURT, None, "")
    page = await client.get(item_page)
    assert "Plan B is saved: take Yogurt instead." in page.text
    assert "The other item: Yogurt" in page.text

    # A name of its own for the other item; then "ask the staff" keeps nothing else changed.
    form = find_form(page.text, item_page)
    await client.post(item_page, data={**form.fields, "plan_b_label": "Strawberry yoghurt"})
    await milk.refresh_from_db()
    assert plan_b_of(milk) == ("other", YOGURT, None, "Strawberry yoghurt")
    page = await client.get(item_page)
    form = find_form(page.text, item_page)
    await client.post(item_page, data={**form.fields, "plan_b": "ask"})
    await milk.refresh_from_db()
    assert milk.plan_b == "ask" and milk.quantity == 1 and milk.note == ""


async def test_a_family_photo_can_be_the_other_item(client: Client) -> None:
    family, shopping_list, items = await family_with_list()
    cup = await a_photo(family)
    await client.log_in(family.email, family.password)
    picker = f"/lists/{shopping_list.id}/items/{items[BREAD].id}/plan-b"
    found = await client.get(picker, params={"q": "cup"})
    tile = find_form(found.text, picker, photo_id=str(cup.id))
    await client.post(picker, data=tile.fields)
    bread = await ListItem.get(id=items[BREAD].id)
    assert plan_b_of(bread) == ("other", "", cup.id, "")
    views = (await client.get(f"/lists/{shopping_list.id}/shop")).text
    assert f"/photos/{cup.id}" in views


async def test_bad_choices_are_refused_in_words_and_change_nothing(
    client: Client, app: Starlette
) -> None:
    family, shopping_list, items = await family_with_list()
    stranger = await make_family()
    strangers_photo = await a_photo(stranger, "Their cup")
    milk = items[MILK]
    item_page = f"/lists/{shopping_list.id}/items/{milk.id}"
    picker = f"{item_page}/plan-b"
    await client.log_in(family.email, family.password)
    page = await client.get(item_page)
    form = find_form(page.text, item_page)
    answer = await client.post(item_page, data={**form.fields, "plan_b": "run away"})
    assert "Choose one of the choices." in answer.text
    for field, value, words in (
        ("pictogram", "NOPE", "Choose one of the pictures."),
        ("photo_id", str(strangers_photo.id), "This photo is not there any more."),
    ):
        answer = await client.submit(picker, {field: value})
        assert answer.status_code == 303
        assert words in (await client.get(answer.headers["location"])).text
    await milk.refresh_from_db()
    assert plan_b_of(milk) == ("", "", None, "")

    # The same refusals in Chinese, for a guardian who reads Chinese.
    family.guardian.locale = "zh_Hans"
    await family.guardian.save(update_fields=["locale"])
    async with Client(app, "zh-CN") as chinese:
        await chinese.log_in(family.email, family.password)
        page = await chinese.get(item_page)
        form = find_form(page.text, item_page)
        answer = await chinese.post(item_page, data={**form.fields, "plan_b": "other"})
        assert "请选择另一件东西的图片。" in answer.text
        assert "如果没有这件东西" in page.text


async def test_another_family_gets_404(other_client: Client) -> None:
    _family, shopping_list, items = await family_with_list()
    stranger = await make_family()
    picker = f"/lists/{shopping_list.id}/items/{items[MILK].id}/plan-b"
    await other_client.log_in(stranger.email, stranger.password)
    assert (await other_client.get(picker)).status_code == 404
    assert (await other_client.submit(picker, {"pictogram": YOGURT})).status_code == 404
    # Nor through sync: the item is not there for the stranger's client.
    result = await other_client.push(
        "item.update",
        {"id": str(items[MILK].id), "fields": {"plan_b": "leave"}},
        family_id=stranger.family.id,
    )
    assert result["status"] == "refused"
    assert result["error"] == "This is not on the list any more."
    assert (await ListItem.get(id=items[MILK].id)).plan_b == ""


async def push(client: Client, family: FamilyFixture, name: str, args: dict) -> dict:
    """A guardian's device names the family its change is for."""
    return await client.push(name, args, family_id=family.family.id)


async def test_sync_runs_the_same_service_and_plan_b_wins_or_loses_as_one(
    client: Client,
) -> None:
    family, shopping_list, items = await family_with_list()
    milk = items[MILK]
    await client.log_in(family.email, family.password)
    later = (T0 + timedelta(days=400)).isoformat()
    fields = {"plan_b": "other", "plan_b_pictogram": YOGURT, "plan_b_label": "Yoghurt"}
    result = await push(
        client, family, "item.update", {"id": str(milk.id), "fields": fields, "client_time": later}
    )
    assert result["status"] == "applied"
    await milk.refresh_from_db()
    assert plan_b_of(milk) == ("other", YOGURT, None, "Yoghurt")
    # An older change from another device loses, all four fields of it.
    result = await push(
        client,
        family,
        "item.update",
        {"id": str(milk.id), "fields": {"plan_b": "leave"}, "client_time": T0.isoformat()},
    )
    assert result["status"] == "applied"
    await milk.refresh_from_db()
    assert plan_b_of(milk) == ("other", YOGURT, None, "Yoghurt")
    # Refused in words, nothing changed.
    for bad in (
        {"plan_b": "maybe"},
        {"plan_b_pictogram": "NOPE"},
        {"plan_b": "other", "plan_b_pictogram": "", "plan_b_photo_id": ""},
    ):
        result = await push(client, family, "item.update", {"id": str(milk.id), "fields": bad})
        assert result["status"] == "refused" and result["error"], bad
    await milk.refresh_from_db()
    assert plan_b_of(milk) == ("other", YOGURT, None, "Yoghurt")
    # A new item may come with its plan B.
    new_id = uuid.uuid4()
    result = await push(
        client,
        family,
        "item.add",
        {"id": str(new_id), "list_id": str(shopping_list.id), "pictogram": APPLE, "plan_b": "ask"},
    )
    assert result["status"] == "applied"
    assert (await ListItem.get(id=new_id)).plan_b == "ask"


async def test_a_phone_that_may_plan_adds_items_but_sets_no_plan_b(other_client: Client) -> None:
    family, shopping_list, _items = await family_with_list()
    family.person.settings = {"can_plan": True}
    await family.person.save(update_fields=["settings"])
    await other_client.link_phone(await link_phone(family))
    new_id = uuid.uuid4()
    result = await other_client.push(
        "item.add",
        {
            "id": str(new_id),
            "list_id": str(shopping_list.id),
            "pictogram": APPLE,
            "plan_b": "leave",
        },
    )
    assert result["status"] == "refused"
    assert not await ListItem.exists(id=new_id)


async def test_the_phone_records_the_plan_b_used_and_the_trip_record_says_it(
    client: Client, other_client: Client
) -> None:
    family, shopping_list, items = await family_with_list()
    await make_list(family, "Another")  # not on the trip
    plan = await make_plan(family)
    await PlanStep.filter(plan=plan, link="list").update(shopping_list_id=shopping_list.id)
    milk, apple, bread = items[MILK], items[APPLE], items[BREAD]
    milk.plan_b, milk.plan_b_pictogram = "other", YOGURT
    await milk.save()
    apple.plan_b = "ask"
    await apple.save()
    bread.plan_b = "leave"
    await bread.save()
    await other_client.link_phone(await link_phone(family))
    trip_id = str(uuid.uuid4())
    start = {
        "id": str(uuid.uuid4()),
        "trip_id": trip_id,
        "plan_id": str(plan.id),
        "kind": "start",
        "step": 0,
        "client_time": T0.isoformat(),
    }
    assert (await other_client.push("trip.event", start))["status"] == "applied"

    def mark(item: ListItem, state: str, plan_b: str, minutes: int) -> dict:
        return {
            "id": str(uuid.uuid4()),
            "list_id": str(shopping_list.id),
            "item_id": str(item.id),
            "state": state,
            "plan_b": plan_b,
            "client_time": (T0 + timedelta(minutes=minutes)).isoformat(),
        }

    # Values that do not fit are refused in words and recorded nowhere.
    for bad in (mark(milk, "ticked", "other", 1), mark(milk, "not_found", "maybe", 1)):
        result = await other_client.push("item.mark", bad)
        assert result == {
            "mutation_id": result["mutation_id"],
            "status": "refused",
            "error": "Choose one of the choices.",
        }
    assert await ItemMark.all().count() == 0
    for args in (
        mark(milk, "not_found", "other", 2),
        mark(apple, "ticked", "ask", 3),
        mark(bread, "not_found", "leave", 4),
    ):
        assert (await other_client.push("item.mark", args))["status"] == "applied"
    assert {(m.item_id, m.state, m.plan_b) for m in await ItemMark.all()} == {
        (milk.id, "not_found", "other"),
        (apple.id, "ticked", "ask"),
        (bread.id, "not_found", "leave"),
    }

    # The phone's copy knows the plan B and what was used.
    pulled = (
        await other_client.get(
            "/api/sync/pull", params={"client_id": other_client.sync_client_id, "cursor": "0"}
        )
    ).json()["rows"]
    assert {row["plan_b"] for row in pulled["marks"]} == {"other", "ask", "leave"}
    milk_row = next(row for row in pulled["items"] if row["id"] == str(milk.id))
    assert milk_row["view"]["plan_b"] == {
        "kind": "other",
        "label": "Yogurt",
        "picture": f"/openmoji/{YOGURT}.svg",
    }

    await client.log_in(family.email, family.password)
    record = (await client.get(f"/trips/{trip_id}")).text
    assert "Milk: not found — took Yogurt instead." in record
    assert "Apple: asked the staff, then found it." in record
    assert "Bread: not found — left it." in record
    # The family's own download holds plan B and what was used.
    export = await client.get(f"/families/{family.family.id}/export")
    saved = json.loads(zipfile.ZipFile(io.BytesIO(export.content)).read("lists.json"))
    milk_saved = next(item for x in saved for item in x["items"] if item["id"] == str(milk.id))
    assert (milk_saved["plan_b"], milk_saved["plan_b_pictogram"]) == ("other", YOGURT)
    assert [m["plan_b"] for m in milk_saved["marks"]] == ["other"]
    shop = (await client.get(f"/lists/{shopping_list.id}/shop")).text
    assert 'class="plan-b-text">You took Yogurt instead.</span>' in shop
    assert 'class="plan-b-text">Leave it. That is OK.</span>' in shop


async def test_the_shopping_view_says_what_the_tap_does_once(other_client: Client) -> None:
    family, shopping_list, _items = await family_with_list()
    await other_client.link_phone(await link_phone(family))
    page = (await other_client.get(f"/lists/{shopping_list.id}/shop")).text
    main = page.split('<template id="card-template">')[0]
    assert main.count("Tap the picture when it is in your basket.") == 1
    assert main.count("Not in the basket yet") == 3


async def test_deleting_a_person_keeps_a_photo_another_list_has_as_its_plan_b(
    app: Starlette, tmp_path: Path
) -> None:
    """The photo of the deleted person's item stays while another list's plan B shows it; a
    photo only their own plan B used goes with them."""
    family = await make_family()
    shared, only_theirs = await a_photo(family, "Blue cup"), await a_photo(family, "Red cup")
    theirs = await make_list(family, pictures={MILK: 1})
    await ListItem.filter(list=theirs).update(
        photo_id=shared.id, plan_b="other", plan_b_photo_id=only_theirs.id
    )
    for_nobody = await lists.create_list(family.family, list_id=uuid.uuid4(), name="Everyone")
    await make_items(for_nobody, family, plan_b_photo=shared)
    await deletion.delete_person(family.person)
    assert await Photo.filter(id=shared.id).exists()
    assert not await Photo.filter(id=only_theirs.id).exists()
    kept = await ListItem.get(list=for_nobody)
    assert (kept.plan_b, kept.plan_b_photo_id) == ("other", shared.id)


async def make_items(
    shopping_list: ShoppingList, family: FamilyFixture, plan_b_photo: Photo
) -> None:
    await ListItem.create(
        id=uuid.uuid4(),
        family_id=family.family.id,
        list=shopping_list,
        pictogram=APPLE,
        area="fruit_veg",
        position="a0",
        plan_b="other",
        plan_b_photo_id=plan_b_photo.id,
    )


async def test_a_shop_that_is_not_a_number_is_refused_in_words(client: Client) -> None:
    """ "²" is a digit to Python's isdigit but no number to int(): a refusal, never a 500."""
    family = await make_family()
    await client.log_in(family.email, family.password)
    page_url = f"/families/{family.family.id}/lists/new"
    page = await client.get(page_url)
    form = find_form(page.text, page_url)
    answer = await client.post(page_url, data={**form.fields, "name": "Shop", "shop_id": "²"})
    assert answer.status_code == 400
    # The test client's pages are in English (its Accept-Language).
    assert "Choose one of the shops." in answer.text
    assert not await ShoppingList.filter(name="Shop").exists()
