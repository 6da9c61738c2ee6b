"""pwa/sync/queries.py: a pull's plain rows are what the ORM reads, as the phone gets them."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import orjson
from tortoise.expressions import Q

from pwa.lists import services as lists
from pwa.models import ListItem, PlanStep
from pwa.plans import services as plans
from pwa.sync import queries
from pwa.sync.routes import PULLED
from tests.conftest import Client
from tests.factories import make_family, make_list, make_plan

# The same "whose is it" the statements join for, as the ORM's relation filters say it.
PERSON_OF = {
    "lists": "person_id",
    "items": "list__person_id",
    "marks": "item__list__person_id",
    "plans": "person_id",
    "steps": "plan__person_id",
}


def as_sent(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The rows as the answer's JSON has them (FastJSONResponse writes with orjson)."""
    from pwa.core.jsonbody import _other

    return orjson.loads(orjson.dumps(rows, default=_other))


async def test_plain_rows_are_the_orms_rows_for_parent_and_phone(client: Client) -> None:
    family = await make_family()
    mine = await make_list(family, pictures={"1F34E": 2, "1F95B": 1, "1F35E": 3})
    # Someone else's list in the family (a list for nobody in particular) and another family.
    nobodys = await lists.create_list(family.family, list_id=uuid.uuid4(), name="Anyone's")
    await lists.add_item(nobodys, item_id=uuid.uuid4(), pictogram="1F34C")
    stranger = await make_family()
    await make_list(stranger, pictures={"1F34C": 1})
    items = list(await ListItem.filter(list=mine).order_by("position"))
    # Times with and without microseconds, a deletion, an archive, plan B, a mark's plan B.
    await lists.mark_item(
        items[0],
        mark_id=uuid.uuid4(),
        state="not_found",
        client_time=datetime(2026, 9, 12, 2, 19, tzinfo=UTC),
        plan_b="leave",
    )
    await lists.mark_item(items[1], mark_id=uuid.uuid4(), state="ticked")
    await lists.remove_item(items[2])
    await lists.archive_list(nobodys, archived=True)
    plan = await make_plan(family)
    step = await PlanStep.filter(plan=plan).order_by("position").first()
    assert step is not None
    await plans.remove_step(step)

    for person in (None, family.person):
        for name, (model, columns) in PULLED.items():
            query = model.filter(family_id=family.family.id, change_seq__gt=2)
            if person is not None:
                owner = PERSON_OF[name]
                query = query.filter(Q(**{owner: person.id}) | Q(**{owner: None}))
            expected = await query.order_by("change_seq").values(*columns, "change_seq")
            plain = await queries.changed_rows(
                model,
                columns,
                family_id=family.family.id,
                cursor=2,
                high=10**9,
                person_id=person.id if person is not None else None,
                limit=250,
            )
            assert expected, name
            assert as_sent(plain) == as_sent(
                [{k: row[k] for k in (*columns, "change_seq")} for row in expected]
            ), (name, person)
    # What the phone of the person does not see: the list for nobody is seen, the other
    # family's is not, and the limit and the upper bound hold.
    first_two = await queries.changed_rows(
        ListItem,
        ("id",),
        family_id=family.family.id,
        cursor=0,
        high=10**9,
        person_id=None,
        limit=2,
    )
    assert len(first_two) == 2
    assert not await queries.changed_rows(
        ListItem, ("id",), family_id=family.family.id, cursor=0, high=0, person_id=None, limit=9
    )
