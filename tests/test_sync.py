"""POST /api/sync/push: each mutation once, in order, through the same service functions."""

from __future__ import annotations

import asyncio
import uuid

from pwa.lists import services as lists
from pwa.models import ItemMark, ListItem, OpLog, ShoppingList
from tests.conftest import Client
from tests.factories import link_phone, make_family, make_list


async def push(client: Client, token: str, body: dict):
    return await client.post("/api/sync/push", json=body, headers={"X-CSRF-Token": token})


def marks(items: list[ListItem], first: int = 1) -> list[dict]:
    return [
        {
            "mutation_id": first + n,
            "name": "item.mark",
            "args": {
                "id": str(uuid.uuid5(uuid.NAMESPACE_OID, str(item.id))),
                "item_id": str(item.id),
                "state": "ticked",
            },
        }
        for n, item in enumerate(items)
    ]


async def phone_with_list(other_client: Client):
    family = await make_family()
    shopping_list = await make_list(family, pictures={"1F34E": 1, "1F95B": 1, "1F35E": 1})
    await other_client.link_phone(await link_phone(family))
    items = list(await ListItem.filter(list=shopping_list).order_by("position"))
    return family, shopping_list, items, await other_client.csrf()


async def test_the_same_batch_five_times_gives_the_state_of_one(other_client: Client) -> None:
    _family, shopping_list, items, token = await phone_with_list(other_client)
    body = {"client_id": str(uuid.uuid4()), "mutations": marks(items)}
    for _ in range(2):
        response = await push(other_client, token, body)
        assert response.status_code == 200 and response.json()["last_mutation_id"] == 3
    answers = await asyncio.gather(*(push(other_client, token, body) for _ in range(3)))
    assert {a.status_code for a in answers} == {200}
    assert await ItemMark.all().count() == 3
    assert await OpLog.all().count() == 3
    page = await other_client.get(f"/lists/{shopping_list.id}/shop")
    assert "3 of 3 in the basket." in page.text


async def test_concurrent_first_pushes_apply_once(other_client: Client) -> None:
    _family, _list, items, token = await phone_with_list(other_client)
    body = {"client_id": str(uuid.uuid4()), "mutations": marks(items)}
    answers = await asyncio.gather(*(push(other_client, token, body) for _ in range(5)))
    assert {a.status_code for a in answers} == {200}
    assert await ItemMark.all().count() == 3 and await OpLog.all().count() == 3


async def test_a_batch_with_a_gap_gets_409_and_changes_nothing(other_client: Client) -> None:
    _family, _list, items, token = await phone_with_list(other_client)
    client_id = str(uuid.uuid4())
    body = {"client_id": client_id, "mutations": marks(items, first=2)}
    response = await push(other_client, token, body)
    assert response.status_code == 409 and response.json()["last_mutation_id"] == 0
    assert await ItemMark.all().count() == 0 and await OpLog.all().count() == 0
    gap_inside = marks(items)
    gap_inside[2]["mutation_id"] = 5
    response = await push(other_client, token, {"client_id": client_id, "mutations": gap_inside})
    assert response.status_code == 409
    assert await ItemMark.all().count() == 0


async def test_a_mutation_that_always_fails_does_not_block_the_next(
    other_client: Client,
) -> None:
    _family, _list, items, token = await phone_with_list(other_client)
    batch = marks(items)
    batch[0]["args"]["state"] = "eaten"
    batch[1]["name"] = "no.such.change"
    response = await push(other_client, token, {"client_id": str(uuid.uuid4()), "mutations": batch})
    results = response.json()["results"]
    assert [r["status"] for r in results] == ["refused", "refused", "applied"]
    assert results[0]["error"] == "Choose one of the choices."
    assert response.json()["last_mutation_id"] == 3
    assert await ItemMark.all().count() == 1
    assert await OpLog.filter(error="").count() == 1 and await OpLog.all().count() == 3


async def test_a_client_id_belongs_to_whoever_pushed_first(
    client: Client, other_client: Client
) -> None:
    family, _list, items, token = await phone_with_list(other_client)
    client_id = str(uuid.uuid4())
    await push(other_client, token, {"client_id": client_id, "mutations": marks(items)[:1]})
    await client.log_in(family.email, family.password)
    body = {
        "client_id": client_id,
        "family_id": str(family.family.id),
        "mutations": marks(items, first=2)[:1],
    }
    response = await push(client, await client.csrf(), body)
    assert response.status_code == 403
    assert await ItemMark.all().count() == 1


async def test_another_familys_rows_are_refused(client: Client, other_client: Client) -> None:
    family, shopping_list, items, _token = await phone_with_list(other_client)
    stranger = await make_family()
    await client.log_in(stranger.email, stranger.password)
    add = {
        "mutation_id": 4,
        "name": "item.add",
        "args": {"list_id": str(shopping_list.id), "id": str(uuid.uuid4()), "pictogram": "1F34C"},
    }
    body = {
        "client_id": str(uuid.uuid4()),
        "family_id": str(stranger.family.id),
        "mutations": [*marks(items), add],
    }
    response = await push(client, await client.csrf(), body)
    assert [r["status"] for r in response.json()["results"]] == ["refused"] * 4
    assert await ItemMark.all().count() == 0
    assert await ListItem.filter(list=shopping_list).count() == 3
    # A family the account does not belong to cannot be named at all.
    body = {"client_id": str(uuid.uuid4()), "family_id": str(family.family.id), "mutations": []}
    response = await push(client, await client.csrf(), body)
    assert response.status_code == 404


async def test_a_parent_pushes_a_new_list_and_items(client: Client) -> None:
    family = await make_family()
    await client.log_in(family.email, family.password)
    list_id, item_id = str(uuid.uuid4()), str(uuid.uuid4())
    mutations = [
        {
            "mutation_id": 1,
            "name": "list.create",
            "args": {"id": list_id, "name": "Offline list", "person_id": str(family.person.id)},
        },
        {
            "mutation_id": 2,
            "name": "item.add",
            "args": {"list_id": list_id, "id": item_id, "pictogram": "1F34C", "quantity": 2},
        },
    ]
    body = {
        "client_id": str(uuid.uuid4()),
        "family_id": str(family.family.id),
        "mutations": mutations,
    }
    response = await push(client, await client.csrf(), body)
    assert [r["status"] for r in response.json()["results"]] == ["applied", "applied"]
    assert (await ShoppingList.get(id=list_id)).name == "Offline list"
    assert (await ListItem.get(id=item_id)).quantity == 2


async def test_a_thing_added_twice_is_one_thing_with_the_last_quantity(client: Client) -> None:
    """The phone's planner sends item.add with a known id on purpose ("one more", and undo of
    a thing taken off): sent again as a new change, in the same batch or a later one, it sets
    the quantity and puts the thing back, as the add form does. An id of another list's thing
    is refused."""
    family = await make_family()
    await client.log_in(family.email, family.password)
    shopping_list = await make_list(family, name="Saturday")
    other_list = await make_list(family, name="Sunday")
    token, item_id = await client.csrf(), str(uuid.uuid4())

    def add(number: int, quantity: int, list_id: uuid.UUID = shopping_list.id) -> dict:
        args = {"list_id": str(list_id), "id": item_id, "pictogram": "1F34C"}
        return {"mutation_id": number, "name": "item.add", "args": {**args, "quantity": quantity}}

    body = {"client_id": str(uuid.uuid4()), "family_id": str(family.family.id)}
    first = await push(client, token, {**body, "mutations": [add(1, 1), add(2, 3)]})
    assert [r["status"] for r in first.json()["results"]] == ["applied", "applied"]
    later = await push(client, token, {**body, "mutations": [add(3, 2), add(4, 5, other_list.id)]})
    assert [r["status"] for r in later.json()["results"]] == ["applied", "refused"]
    (item,) = await ListItem.filter(id=item_id)
    assert (item.list_id, item.quantity) == (shopping_list.id, 2)
    assert await ListItem.filter(list=other_list).count() == 0
    # Taken off, then undone on the phone: the same id again, and the thing is back.
    await lists.remove_item(item)
    undo = await push(client, token, {**body, "mutations": [add(5, 2)]})
    assert [r["status"] for r in undo.json()["results"]] == ["applied"]
    await item.refresh_from_db()
    assert (item.deleted_at, item.quantity) == (None, 2)


async def pull(client: Client, client_id: str, cursor: int = 0, family_id: str = ""):
    params = {"client_id": client_id, "cursor": str(cursor)}
    if family_id:
        params["family_id"] = family_id
    return await client.get("/api/sync/pull", params=params)


async def test_pull_sends_what_changed_since_the_cursor(other_client: Client) -> None:
    _family, shopping_list, items, token = await phone_with_list(other_client)
    client_id = str(uuid.uuid4())
    first = (await pull(other_client, client_id)).json()
    assert [row["id"] for row in first["rows"]["lists"]] == [str(shopping_list.id)]
    assert len(first["rows"]["items"]) == 3 and first["rows"]["marks"] == []
    await push(other_client, token, {"client_id": client_id, "mutations": marks(items)[:1]})
    second = (await pull(other_client, client_id, first["cursor"])).json()
    assert second["last_mutation_id"] == 1
    assert [row["item_id"] for row in second["rows"]["marks"]] == [str(items[0].id)]
    assert second["rows"]["lists"] == [] and second["rows"]["items"] == []
    # A deleted item comes as a row with its deleted_at: the marker the phone needs.
    from pwa.lists import services as lists

    await lists.remove_item(items[1])
    third = (await pull(other_client, client_id, second["cursor"])).json()
    assert [(r["id"], r["deleted_at"] is not None) for r in third["rows"]["items"]] == [
        (str(items[1].id), True)
    ]


async def test_pull_never_returns_another_familys_rows(
    client: Client, other_client: Client
) -> None:
    family, _list, items, token = await phone_with_list(other_client)
    await push(other_client, token, {"client_id": str(uuid.uuid4()), "mutations": marks(items)})
    stranger = await make_family()
    await make_list(stranger, "Their own", {"1F34C": 1})
    await client.log_in(stranger.email, stranger.password)
    mine = (await pull(client, str(uuid.uuid4()), family_id=str(stranger.family.id))).json()
    assert [row["name"] for row in mine["rows"]["lists"]] == ["Their own"]
    assert len(mine["rows"]["items"]) == 1 and mine["rows"]["marks"] == []
    other = await pull(client, str(uuid.uuid4()), family_id=str(family.family.id))
    assert other.status_code == 404


async def test_the_phone_pulls_only_its_persons_lists(client: Client, other_client: Client) -> None:
    family, shopping_list, _items, _token = await phone_with_list(other_client)
    from pwa.family import services as family_module
    from pwa.lists import services as lists

    sister = await family_module.add_person(
        family.family, display_name="Hua", avatar="1F467", guardian=family.guardian, consented=True
    )
    theirs = await lists.create_list(
        family.family, list_id=uuid.uuid4(), name="Hua's list", person_id=str(sister.id)
    )
    await lists.add_item(theirs, item_id=uuid.uuid4(), pictogram="1F34C")
    rows = (await pull(other_client, str(uuid.uuid4()))).json()["rows"]
    assert [row["id"] for row in rows["lists"]] == [str(shopping_list.id)]
    assert {row["list_id"] for row in rows["items"]} == {str(shopping_list.id)}


async def test_a_phone_changes_its_list_as_its_pages_allow_and_no_more(client: Client) -> None:
    """The same rule as the pages: a person who may plan adds and takes off things on the
    phone (LIST_EDIT), but an item's details are the parents' (LIST_MANAGE), as on its page."""
    family = await make_family()
    shopping_list = await make_list(family, pictures={"1F34E": 1})
    apple = await ListItem.get(list=shopping_list)
    family.person.settings = {"can_plan": True}
    await family.person.save(update_fields=["settings"])
    await client.link_phone(await link_phone(family))
    details = await client.push("item.update", {"id": str(apple.id), "fields": {"price": "1"}})
    assert details["status"] == "refused"
    page = await client.get(f"/lists/{shopping_list.id}/items/{apple.id}")
    assert page.status_code == 403
    added = await client.push(
        "item.add",
        {"id": str(uuid.uuid4()), "list_id": str(shopping_list.id), "pictogram": "1F34C"},
    )
    assert added["status"] == "applied"
    removed = await client.push("item.remove", {"id": str(apple.id)})
    assert removed["status"] == "applied"
    await apple.refresh_from_db()
    assert apple.price is None and apple.deleted_at is not None


async def test_a_pulled_view_follows_the_thing_and_the_language(client: Client) -> None:
    """A pull's item views are kept per worker by the item's columns and the language (issue
    19): a change, or another language, is a view written again, never an old one."""
    family = await make_family()
    await client.log_in(family.email, family.password)
    shopping_list = await make_list(family, pictures={"1F95B": 2})
    (milk,) = await ListItem.filter(list=shopping_list)
    params = {"client_id": str(uuid.uuid4()), "family_id": str(family.family.id), "cursor": "0"}

    async def view() -> dict:
        (row,) = (await client.get("/api/sync/pull", params=params)).json()["rows"]["items"]
        return row["view"]

    assert (await view())["alt"] == "Milk × 2"
    assert (await view())["alt"] == "Milk × 2"
    await lists.update_item(milk, {"label": "Oat milk", "quantity": "3"}, writer="test")
    assert ((await view())["label"], (await view())["alt"]) == ("Oat milk", "Oat milk × 3")
    await client.submit("/lang", {"locale": "zh_Hans", "next": "/home"})
    await lists.update_item(milk, {"label": ""}, writer="test")
    assert (await view())["label"] == "牛奶"
    await client.submit("/lang", {"locale": "en", "next": "/home"})
    assert (await view())["label"] == "Milk"
