"""Reads on every request's path in SQL written once, without tortoise's query builder (issue
19): a row by its primary key, or with the row it points to, made into models by tortoise's
own reader (`_init_from_db`: the conversions every query's rows get).

Under issue 19's cycle, building each `Model.get_or_none(...)` query again (pypika's objects
copied for every filter, then written out as text) took more of the server's time than
SQLite took to answer it. These statements are the same each time, so each is written once
per model and database, with the database's own placeholders ("?" on SQLite, "$1" on
PostgreSQL). tests/test_plain.py checks that they give what the ORM gives.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from typing import Any, TypeVar

from tortoise import connections
from tortoise.models import Model

M = TypeVar("M", bound=Model)
R = TypeVar("R", bound=Model)

_SQL: dict[tuple[Any, ...], str] = {}
_MARK = re.compile(r"\?")


def _numbered(sql: str) -> str:
    """SQLite's "?" as PostgreSQL's $1, $2, … in order."""
    count = iter(range(1, sql.count("?") + 1))
    return _MARK.sub(lambda _m: f"${next(count)}", sql)


def columns(model: type[Model], alias: str) -> str:
    """Every column of the model's table, each named alias__column."""
    return ", ".join(f'{alias}."{c}" AS "{alias}__{c}"' for c in model._meta.db_fields)


def made(model: type[M], row: dict[str, Any], alias: str) -> M | None:
    """The model from a row's alias__column values; None when the row has none of it (a
    LEFT JOIN that found nothing)."""
    names = _names(model, alias)
    values = {column: row[name] for column, name in names}
    if values[model._meta.db_pk_column] is None:
        return None
    return model._init_from_db(**values)


@functools.cache
def _names(model: type[Model], alias: str) -> tuple[tuple[str, str], ...]:
    """Each column of the model and its name in a row (alias__column), worked out once."""
    return tuple((c, f"{alias}__{c}") for c in model._meta.db_fields)


async def rows(key: Any, write: Callable[[str], str], values: list[Any]) -> list[dict[str, Any]]:
    """The rows of the statement `write(dialect)` makes (with "?" placeholders), written once
    per key and database ("sqlite" or "postgres")."""
    client = connections.get("default")
    dialect = client.capabilities.dialect
    sql = _SQL.get((key, dialect))
    if sql is None:
        text = write(dialect)
        sql = _SQL[(key, dialect)] = _numbered(text) if dialect == "postgres" else text
    found: list[dict[str, Any]] = await client.execute_query_dict(sql, values)
    return found


def _table(model: type[Model]) -> str:
    return f'"{model._meta.db_table}"'


async def by_id(model: type[M], pk: Any) -> M | None:
    """`model.get_or_none(pk=pk)`."""

    def write(_dialect: str) -> str:
        pk_column = model._meta.db_pk_column
        return f'SELECT {columns(model, "t")} FROM {_table(model)} t WHERE t."{pk_column}" = ?'

    found = await rows(("by_id", model), write, [_value(pk)])
    return made(model, found[0], "t") if found else None


async def by_id_with(model: type[M], pk: Any, field: str, related: type[R]) -> tuple[M, R] | None:
    """`model.get_or_none(pk=pk).select_related(field)` for a foreign key to `related` that
    is never empty: the row and the row it points to (also set on it, as select_related
    does)."""
    assert model._meta.fields_map[field].related_model is related  # type: ignore[attr-defined]

    def write(_dialect: str) -> str:
        source = model._meta.fields_map[f"{field}_id"].source_field or f"{field}_id"
        return (
            f"SELECT {columns(model, 't')}, {columns(related, 'r')} FROM {_table(model)} t "
            f'JOIN {_table(related)} r ON r."{related._meta.db_pk_column}" = t."{source}" '
            f'WHERE t."{model._meta.db_pk_column}" = ?'
        )

    found = await rows(("by_id_with", model, field), write, [_value(pk)])
    if not found:
        return None
    row = found[0]
    instance = made(model, row, "t")
    other = made(related, row, "r")
    assert instance is not None and other is not None
    object.__setattr__(instance, f"_{field}", other)
    return instance, other


def _value(pk: Any) -> Any:
    # UUIDs as text: SQLite stores them so, and asyncpg takes text for a uuid column.
    return pk if isinstance(pk, int | str) else str(pk)
