"""The person plans a list on the phone through the outbox (issue 18, item 9): the list maker's
page, and the sync mutations it sends, under the same rule as the forms (LIST_EDIT: the
guardian's can_plan setting)."""

from __future__ import annotations

import json
import re
import uuid

from pwa.models import ListItem, OpLog, ShoppingList
from tests.conftest import Client
from tests.factories import FamilyFixture, link_phone, make_family, make_list

DATA_RE = re.compile(r'<script type="application/json" id="planner-data">(.*?)</script>', re.S)


async def phone_of(other_client: Client, *, can_plan: bool) -> FamilyFixture:
    family = await make_family()
    family.person.settings = {"can_plan": can_plan}
    await family.person.save(update_fields=["settings"])
    await other_client.link_phone(await link_phone(family))
    return family


def planner_data(text: str) -> dict:
    match = DATA_RE.search(text)
    assert match, "the list maker brings its data"
    return json.loads(match.group(1))


async def test_a_person_who_may_plan_makes_and_changes_a_list_through_the_outbox(
    other_client: Client,
) -> None:
    family = await phone_of(other_client, can_plan=True)
    list_id, apple, milk = (str(uuid.uuid4()) for _ in range(3))
    changes = [
        ("list.create", {"id": list_id, "name": "My list, 30 Nov 2026"}),
        ("item.add", {"id": apple, "list_id": list_id, "pictogram": "1F34E", "quantity": 1}),
        ("item.add", {"id": milk, "list_id": list_id, "pictogram": "1F95B", "quantity": 1}),
        ("item.quantity", {"id": apple, "quantity": 3}),
        ("item.remove", {"id": milk}),
    ]
    for name, args in changes:
        assert (await other_client.push(name, args))["status"] == "applied", name
    made = await ShoppingList.get(id=list_id)
    assert made.person_id == family.person.id and made.name == "My list, 30 Nov 2026"
    items = await ListItem.filter(list=made).order_by("created_at")
    assert [(i.pictogram, i.quantity, i.deleted_at is None) for i in items] == [
        ("1F34E", 3, True),
        ("1F95B", 1, False),
    ]
    # The same batch sent again (an answer lost on the way): applied once.
    response = await other_client.post(
        "/api/sync/push",
        json={
            "client_id": other_client.sync_client_id,
            "mutations": [
                {"mutation_id": n + 1, "name": name, "args": args}
                for n, (name, args) in enumerate(changes)
            ],
        },
        headers={"X-CSRF-Token": await other_client.csrf()},
    )
    assert {r["status"] for r in response.json()["results"]} == {"skipped"}
    assert await ShoppingList.filter(id=list_id).count() == 1
    assert await ListItem.filter(list=made).count() == 2

    # The list maker opened online for that list brings it, keyed for the picker's tiles.
    page = await other_client.get(f"/me/plan?list={list_id}")
    assert page.status_code == 200
    data = planner_data(page.text)
    assert [(i["key"], i["quantity"]) for i in data["seed"]["items"]] == [("1F34E", 3)]
    # The catalogue is a file of names and codes the page names (so the phone keeps it with
    # the page), in both languages; not every picture's file, only the areas' and the family's.
    assert data["pictures_url"].startswith("/static/catalogue.json?v=")
    assert data["pictures_url"] in page.text
    catalogue = await other_client.get(data["pictures_url"])
    assert catalogue.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert ["1F34E", "fruit_veg", "Apple", "苹果"] in catalogue.json()
    assert "/openmoji/1F34E.svg" in data["keep"]
    assert len(data["keep"]) < len(catalogue.json()) / 2
    assert "/openmoji/" not in catalogue.text
    assert page.headers.get("X-Startrip-Offline") == "keep"
    # Without JavaScript, the page links on to the list's own page and its forms.
    assert f'href="/lists/{list_id}"' in page.text
    # A list made offline and not sent yet: the same shell, filled from the phone's copy.
    unknown = await other_client.get(f"/me/plan?list={uuid.uuid4()}")
    assert unknown.status_code == 200 and planner_data(unknown.text)["seed"] is None
    me = await other_client.get("/me")
    assert "/me/plan" in me.text and "new-list.js" in me.text
    assert 'data-who="device-' in me.text and 'id="lists-on-phone"' in me.text


async def test_a_person_who_may_not_plan_is_refused_by_the_same_rule(
    other_client: Client,
) -> None:
    family = await phone_of(other_client, can_plan=False)
    shopping_list = await make_list(family, pictures={"1F34E": 1})
    apple = await ListItem.get(list=shopping_list)
    me = await other_client.get("/me")
    assert "Make a new list" not in me.text and "/me/plan" not in me.text
    assert "lists-on-phone" not in me.text
    assert (await other_client.get("/me/plan")).status_code == 403
    # A forged outbox: every planning change refused, in words, and nothing changed.
    list_id = str(uuid.uuid4())
    forged = [
        ("list.create", {"id": list_id, "name": "Sneaky"}),
        (
            "item.add",
            {"id": str(uuid.uuid4()), "list_id": str(shopping_list.id), "pictogram": "1F36A"},
        ),
        ("item.quantity", {"id": str(apple.id), "quantity": 5}),
        ("item.remove", {"id": str(apple.id)}),
    ]
    for name, args in forged:
        result = await other_client.push(name, args)
        assert result["status"] == "refused", name
        assert result["error"] == "You cannot open this page with this account or phone."
    await apple.refresh_from_db()
    assert (apple.quantity, apple.deleted_at) == (1, None)
    assert not await ShoppingList.filter(id=list_id).exists()
    assert await ListItem.filter(list=shopping_list).count() == 1
    assert await OpLog.filter(error="").count() == 0
    # The form says the same.
    assert (await other_client.submit("/me/lists", {"id": list_id})).status_code == 403


async def test_quantity_from_the_phone_is_checked_like_the_form(other_client: Client) -> None:
    family = await phone_of(other_client, can_plan=True)
    shopping_list = await make_list(family, pictures={"1F34E": 2})
    apple = await ListItem.get(list=shopping_list)
    for bad in (0, 11, "lots"):
        result = await other_client.push("item.quantity", {"id": str(apple.id), "quantity": bad})
        assert result == {
            "mutation_id": result["mutation_id"],
            "status": "refused",
            "error": "Choose a number from 1 to 10.",
        }
    await apple.refresh_from_db()
    assert apple.quantity == 2
    # Another family's item is not there for this phone.
    other = await make_family(person_name="Hua")
    theirs = await make_list(other, pictures={"1F34E": 1})
    their_apple = await ListItem.get(list=theirs)
    result = await other_client.push("item.quantity", {"id": str(their_apple.id), "quantity": 4})
    assert result["status"] == "refused"
    await their_apple.refresh_from_db()
    assert their_apple.quantity == 1
    assert (await other_client.get(f"/me/plan?list={theirs.id}")).status_code == 200
    assert planner_data((await other_client.get(f"/me/plan?list={theirs.id}")).text)["seed"] is None
