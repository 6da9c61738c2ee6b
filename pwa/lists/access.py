"""Who may do what with a shopping list, its items and its photos: loads the row and asks the
one rule. Pages pass the action their route declares; sync passes its mutation's."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request

from pwa.auth import sessions
from pwa.auth.access import Access
from pwa.auth.routing import action_of
from pwa.auth.rules import Action, Hidden
from pwa.auth.sessions import Principal
from pwa.core import plain
from pwa.family.access import family_row, id_of
from pwa.models import ListItem, Photo, ShoppingList


async def shopping_list(
    who: Principal, list_id: Any, action: Action, *, deleted: bool = False
) -> tuple[ShoppingList, Access]:
    found = await plain.by_id(ShoppingList, id_of(list_id))
    if found is None or (found.deleted_at is not None and not deleted):
        raise Hidden()
    return found, await family_row(who, action, found.family_id, found.person_id)


async def item(
    who: Principal, item_id: Any, action: Action, *, list_id: Any = None
) -> tuple[ShoppingList, ListItem, Access]:
    """An item and its list; with list_id, only an item of that list."""
    # The item and its list in one query (issue 19: a tick is three queries before it writes).
    both = await plain.by_id_with(ListItem, id_of(item_id), "list", ShoppingList)
    if both is None or (list_id is not None and both[0].list_id != id_of(list_id)):
        raise Hidden()
    found, parent = both
    if parent.deleted_at is not None:
        raise Hidden()
    return parent, found, await family_row(who, action, parent.family_id, parent.person_id)


async def photo(who: Principal, photo_id: Any, action: Action) -> tuple[Photo, Access]:
    found = await Photo.get_or_none(id=id_of(photo_id))
    if found is None:
        raise Hidden()
    return found, await family_row(who, action, found.family_id)


async def list_for(request: Request, *, deleted: bool = False) -> tuple[ShoppingList, Access]:
    return await shopping_list(
        sessions.principal(request),
        request.path_params["list_id"],
        action_of(request),
        deleted=deleted,
    )


async def item_for(request: Request) -> tuple[ShoppingList, ListItem, Access]:
    return await item(
        sessions.principal(request),
        request.path_params["item_id"],
        action_of(request),
        list_id=request.path_params["list_id"],
    )
