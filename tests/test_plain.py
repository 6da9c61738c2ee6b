"""pwa/core/plain.py: the hand-written reads give what tortoise's queries give, on SQLite and
PostgreSQL, so the pages and sync that use them show the same."""

from __future__ import annotations

import uuid

from pwa.core import plain
from pwa.lists import services as lists
from pwa.models import ItemMark, ListItem, ShoppingList, SyncClient
from tests.conftest import Client
from tests.factories import make_family, make_list


def fields_of(instance: object) -> dict[str, object]:
    model = type(instance)
    return {name: getattr(instance, name) for name in model._meta.db_fields}  # type: ignore[attr-defined]


async def a_list_with_a_ticked_item() -> tuple[ShoppingList, ListItem, ItemMark]:
    shopping_list = await make_list(await make_family(), pictures={"1F95B": 2})
    item = await ListItem.get(list_id=shopping_list.id)
    mark = await lists.mark_item(item, mark_id=uuid.uuid4(), state="ticked")
    return shopping_list, item, mark


async def test_a_row_by_its_id_is_the_orms_row(client: Client) -> None:
    shopping_list, item, mark = await a_list_with_a_ticked_item()
    for model, pk in ((ShoppingList, shopping_list.id), (ListItem, item.id), (ItemMark, mark.id)):
        mine = await plain.by_id(model, pk)
        theirs = await model.get(id=pk)
        assert mine is not None
        assert fields_of(mine) == fields_of(theirs)
        # A model as a query makes it: it can be saved, and its changes are written.
        assert mine._saved_in_db
    assert await plain.by_id(ListItem, uuid.uuid4()) is None
    assert await plain.by_id(SyncClient, str(uuid.uuid4())) is None


async def test_an_item_with_its_list_is_what_select_related_gives(client: Client) -> None:
    _list, item, _mark = await a_list_with_a_ticked_item()
    both = await plain.by_id_with(ListItem, item.id, "list", ShoppingList)
    assert both is not None
    mine, parent = both
    theirs = await ListItem.get(id=item.id).select_related("list")
    assert fields_of(mine) == fields_of(theirs)
    assert fields_of(parent) == fields_of(theirs.list)
    assert mine.list is parent
    assert await plain.by_id_with(ListItem, uuid.uuid4(), "list", ShoppingList) is None


async def test_a_changed_row_read_so_saves_its_change(client: Client) -> None:
    _list, item, _mark = await a_list_with_a_ticked_item()
    mine = await plain.by_id(ListItem, item.id)
    assert mine is not None
    mine.quantity = 4
    await mine.save(update_fields=["quantity", "updated_at"])
    assert (await ListItem.get(id=item.id)).quantity == 4


async def test_items_added_one_after_another_keep_their_order(client: Client) -> None:
    shopping_list, first, _mark = await a_list_with_a_ticked_item()
    later = [
        await lists.add_item(shopping_list, item_id=uuid.uuid4(), pictogram=code)
        for code in ("1F34E", "1F35E", "1F95A")
    ]
    stored = await ListItem.filter(list_id=shopping_list.id)
    by_position = sorted(stored, key=lambda row: row.position.encode())
    assert [row.id for row in by_position] == [first.id, *(row.id for row in later)]
