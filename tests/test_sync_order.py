"""Numbers follow commit order (SYNC.md, issue 19): a phone pulling while others write never
steps its cursor past a change that is committed after it, so nothing is missed."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import Iterator

from pwa.lists import services as lists
from pwa.models import ListItem
from tests.conftest import Client
from tests.factories import make_family, make_list


async def test_a_phone_pulling_while_many_add_by_form_misses_none(
    client: Client, other_client: Client
) -> None:
    family = await make_family()
    await client.log_in(family.email, family.password)
    await other_client.log_in(family.email, family.password)
    shopping_list = await make_list(family, name="Household")
    token = await client.csrf()
    client_id, cursor = str(uuid.uuid4()), 0
    seen: set[str] = set()
    adding = True

    async def add(n: int) -> None:
        response = await client.post(
            f"/lists/{shopping_list.id}/items",
            data={
                "csrf_token": token,
                "item_id": str(uuid.uuid4()),
                "pictogram": ("1F34E", "1F95B", "1F35E")[n % 3],
                "quantity": "1",
            },
        )
        assert response.status_code == 303

    async def pull_once() -> None:
        nonlocal cursor
        answer = await other_client.get(
            "/api/sync/pull",
            params={"client_id": client_id, "cursor": cursor, "family_id": str(family.family.id)},
        )
        assert answer.status_code == 200
        data = answer.json()
        seen.update(row["id"] for row in data["rows"]["items"])
        cursor = data["cursor"]

    async def keep_pulling() -> None:
        while adding:
            await pull_once()

    async def add_all() -> None:
        nonlocal adding
        for start in range(0, 120, 30):
            await asyncio.gather(*(add(n) for n in range(start, start + 30)))
        adding = False

    await asyncio.gather(keep_pulling(), add_all())
    await pull_once()
    added = {str(i.id) for i in await ListItem.filter(list=shopping_list)}
    assert len(added) == 120
    # Every thing added reached the phone, though it pulled from its cursor all along.
    assert added - seen == set()


@contextlib.contextmanager
def capture_sql(statements: list[str]) -> Iterator[None]:
    """The statements tortoise's clients log (at DEBUG) while the block runs."""

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            statements.append(record.getMessage())

    logger, handler = logging.getLogger("tortoise.db_client"), Keep()
    level = logger.level
    logger.setLevel(logging.DEBUG)
    logger.addHandler(handler)
    try:
        yield
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)


async def test_a_change_of_some_fields_takes_a_new_number_in_the_same_update(
    client: Client,
) -> None:
    """A save of some fields writes its number beside them (one UPDATE, issue 19): a phone
    that pulled before the change gets the changed row, and only that row, after it."""
    family = await make_family()
    await client.log_in(family.email, family.password)
    shopping_list = await make_list(family, pictures={"1F34E": 1, "1F95B": 2})
    apple, milk = await ListItem.filter(list=shopping_list).order_by("position")
    params = {"client_id": str(uuid.uuid4()), "family_id": str(family.family.id), "cursor": 0}
    first = (await client.get("/api/sync/pull", params=params)).json()
    before = milk.change_seq

    statements: list[str] = []
    with capture_sql(statements):
        await lists.remove_item(milk)

    updates = [s for s in statements if s.startswith('UPDATE "list_item"')]
    assert len(updates) == 1, statements
    assert '"change_seq"=' in updates[0] and '"deleted_at"=' in updates[0]
    await milk.refresh_from_db()
    assert milk.change_seq > before and milk.deleted_at is not None
    after = (
        await client.get("/api/sync/pull", params={**params, "cursor": first["cursor"]})
    ).json()
    assert [(row["id"], row["deleted_at"] is not None) for row in after["rows"]["items"]] == [
        (str(milk.id), True)
    ]
    assert str(apple.id) not in {row["id"] for row in after["rows"]["items"]}
