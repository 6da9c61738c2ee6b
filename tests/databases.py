"""The tests' databases: one migrated template per run, and a fresh copy of it per test, on
SQLite (the default) or on PostgreSQL when TEST_POSTGRES_URL names a server.

TEST_POSTGRES_URL is a URL whose role may create databases, such as
postgres://startrip_test:startrip_test@127.0.0.1:5432/postgres (the Makefile's test-postgres,
after scripts/postgres.sh). Each test starts clean on both by copying the template: a file copy on
SQLite, CREATE DATABASE … TEMPLATE on PostgreSQL."""

from __future__ import annotations

import asyncio
import os
import shutil
import sqlite3
import uuid
from collections.abc import Coroutine
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit, urlunsplit

from tortoise import connections

from pwa.db import migrate

POSTGRES_URL = os.environ.get("TEST_POSTGRES_URL", "")
ON_POSTGRES = bool(POSTGRES_URL)
T = TypeVar("T")


def _url_of(name: str) -> str:
    """The server's URL with another database name."""
    parts = urlsplit(POSTGRES_URL)
    return urlunsplit(parts._replace(path=f"/{name}"))


def _name_of(url: str) -> str:
    return urlsplit(url).path.lstrip("/")


async def _admin(*statements: str) -> None:
    import asyncpg

    connection = await asyncpg.connect(POSTGRES_URL)
    try:
        for statement in statements:
            await connection.execute(statement)
    finally:
        await connection.close()


def run(coroutine: Coroutine[Any, Any, T]) -> T:
    """Run a coroutine to its end from sync code, also where an event loop is running already
    (Playwright's sync API keeps one): then in a thread with its own loop."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coroutine)
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


def postgres_reachable() -> bool:
    try:
        run(_admin("SELECT 1"))
    except (OSError, ImportError) as error:
        print(f"PostgreSQL at {POSTGRES_URL or '(TEST_POSTGRES_URL not set)'}: {error}")
        return False
    except Exception as error:  # asyncpg's own errors (bad password, no such role)
        print(f"PostgreSQL at {POSTGRES_URL}: {error}")
        return False
    return True


def make_template(folder: Path) -> str:
    """A database with every migration applied; its URL."""
    if not ON_POSTGRES:
        path = folder / "template.sqlite3"
        run(migrate(f"sqlite://{path}"))
        return f"sqlite://{path}"
    # One template per test process, so two runs on one server do not meet.
    name = f"startrip_template_{os.getpid()}"
    drop(_url_of(name))
    run(_admin(f'CREATE DATABASE "{name}"'))
    run(migrate(_url_of(name)))
    return _url_of(name)


def copy_of(template: str, folder: Path) -> str:
    """A fresh database holding what the template holds; its URL."""
    if not ON_POSTGRES:
        path = folder / f"test-{uuid.uuid4().hex[:8]}.sqlite3"
        shutil.copy(template.removeprefix("sqlite://"), path)
        return f"sqlite://{path}"
    name = f"startrip_test_{uuid.uuid4().hex[:16]}"
    run(_admin(f'CREATE DATABASE "{name}" TEMPLATE "{_name_of(template)}"'))
    return _url_of(name)


def empty(folder: Path) -> str:
    """A database with nothing in it, not even the migrations; its URL."""
    if not ON_POSTGRES:
        return f"sqlite://{folder / f'empty-{uuid.uuid4().hex[:8]}.sqlite3'}"
    name = f"startrip_test_{uuid.uuid4().hex[:16]}"
    run(_admin(f'CREATE DATABASE "{name}"'))
    return _url_of(name)


async def fetch(url: str, sql: str) -> list[tuple]:
    """Rows of a query on a database the app is not holding open (a test reading behind the
    app's back, or a database of a server in another process)."""
    if url.startswith("sqlite://"):
        with sqlite3.connect(url.removeprefix("sqlite://").split("?", 1)[0]) as connection:
            return connection.execute(sql).fetchall()
    import asyncpg

    connection = await asyncpg.connect(url)
    try:
        return [tuple(row) for row in await connection.fetch(sql)]
    finally:
        await connection.close()


async def table_names(url: str) -> set[str]:
    if url.startswith("sqlite://"):
        return {r[0] for r in await fetch(url, "SELECT name FROM sqlite_master")}
    return {r[0] for r in await fetch(url, "SELECT tablename FROM pg_tables")}


def query(url: str, sql: str) -> list[tuple]:
    """fetch() for sync code: a test of a server in another process reading its database."""
    return run(fetch(url, sql))


def drop(url: str) -> None:
    """Remove a database made by make_template or copy_of (SQLite files go with tmp_path)."""
    if url.startswith("postgres"):
        run(_admin(f'DROP DATABASE IF EXISTS "{_name_of(url)}" WITH (FORCE)'))


async def tables() -> list[str]:
    """The app's tables, through the app's own connection (either backend)."""
    connection = connections.get("default")
    if connection.capabilities.dialect == "sqlite":
        sql = "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
        rows = await connection.execute_query_dict(sql)
        return sorted(r["name"] for r in rows)
    rows = await connection.execute_query_dict(
        "SELECT tablename FROM pg_tables WHERE schemaname = 'public'"
    )
    return sorted(r["tablename"] for r in rows)


async def table_counts(names: list[str] | None = None) -> dict[str, int]:
    """How many rows each table holds: what a test compares to see that nothing changed."""
    connection = connections.get("default")
    counts = {}
    for name in names or await tables():
        rows = await connection.execute_query_dict(f'SELECT count(*) AS n FROM "{name}"')
        counts[name] = int(rows[0]["n"])
    return counts


async def scalar(sql: str) -> object:
    """The one value a query returns, through the app's connection."""
    rows = await connections.get("default").execute_query_dict(sql)
    return next(iter(rows[0].values())) if rows else None


if __name__ == "__main__":
    # `python -m tests.databases`: exit 0 when PostgreSQL answers at TEST_POSTGRES_URL (Makefile).
    raise SystemExit(0 if ON_POSTGRES and postgres_reachable() else 1)
