"""What a pull reads: each kind's rows changed since a cursor, as plain rows in one statement.

Issue 19: read through the ORM, a pull of a hundred rows spent more time parsing each row's
times into datetimes and its ids into UUIDs (for FastJSONResponse to write them back as the
same text) than in the database. These statements give the columns as the answer shows them:
on SQLite a time is stored as "2026-12-01 06:04:07.369979+00:00" and comes back with the "T"
that isoformat() (and so the ORM's answer) has; on PostgreSQL asyncpg's datetimes and UUIDs
are written by FastJSONResponse as before. tests/test_sync_queries.py checks the rows are the
ORM's.
"""

from __future__ import annotations

from typing import Any

from tortoise import connections, fields
from tortoise.models import Model

from pwa.models import ItemMark, ListItem, Plan, PlanStep, ShoppingList

# Where each kind says whose it is: the joins from the kind's table to the row with person_id.
# A phone sees what is for its person, or for nobody in particular.
_OWNER: dict[type[Model], tuple[str, str]] = {
    ShoppingList: ("", "t.person_id"),
    ListItem: ('JOIN "shopping_list" o ON o.id = t.list_id', "o.person_id"),
    ItemMark: (
        'JOIN "list_item" i ON i.id = t.item_id JOIN "shopping_list" o ON o.id = i.list_id',
        "o.person_id",
    ),
    Plan: ("", "t.person_id"),
    PlanStep: ('JOIN "plan" o ON o.id = t.plan_id', "o.person_id"),
}

_SQL: dict[tuple[type[Model], tuple[str, ...], str, bool, int], str] = {}


def _column(model: type[Model], name: str, dialect: str) -> str:
    field = model._meta.fields_map[name]
    source = f't."{field.source_field or name}"'
    if dialect != "postgres" and isinstance(field, fields.DatetimeField):
        # The one space of the stored text becomes isoformat()'s "T"; NULL stays NULL.
        source = f"replace({source}, ' ', 'T')"
    return f'{source} AS "{name}"'


def _sql(
    model: type[Model], columns: tuple[str, ...], dialect: str, for_person: bool, limit: int
) -> str:
    key = (model, columns, dialect, for_person, limit)
    sql = _SQL.get(key)
    if sql is None:
        marks = [f"${n}" for n in range(1, 5)] if dialect == "postgres" else ["?", "?", "?", "?"]
        join, owner = _OWNER[model] if for_person else ("", "")
        person = f" AND ({owner} = {marks[3]} OR {owner} IS NULL)" if for_person else ""
        sql = _SQL[key] = (
            f"SELECT {', '.join(_column(model, c, dialect) for c in columns)}, t.change_seq "
            f'FROM "{model._meta.db_table}" t {join} '
            f"WHERE t.family_id = {marks[0]} AND t.change_seq > {marks[1]} "
            f"AND t.change_seq <= {marks[2]}{person} ORDER BY t.change_seq LIMIT {limit}"
        )
    return sql


async def changed_rows(
    model: type[Model],
    columns: tuple[str, ...],
    *,
    family_id: Any,
    cursor: int,
    high: int,
    person_id: Any | None,
    limit: int,
) -> list[dict[str, Any]]:
    """The model's rows of the family numbered in (cursor, high], oldest first, at most limit
    of them, each a dict of the columns; a phone's (person_id given) only those for its person
    or for nobody in particular. Each row has its change_seq too."""
    client = connections.get("default")
    dialect = client.capabilities.dialect
    values: list[Any] = [str(family_id), cursor, high]
    if person_id is not None:
        values.append(str(person_id))
    sql = _sql(model, columns, dialect, person_id is not None, limit)
    rows: list[dict[str, Any]] = await client.execute_query_dict(sql, values)
    return rows
