"""The tests' databases: one migrated template per run, and a fresh copy of it per test, on
SQLite (the default) or on PostgreSQL when TEST_POSTGRES_URL names a server.

TEST_POSTGRES_URL is a URL whose role may create databases, such as
postgres://startrip_test:startrip_test@127.0.0.1:5432/postgres (the Makefile's test-postgres,
after scripts/postgres.sh). Each test starts clean on both by copying the template: a file copy on
SQLite, CREATE DATABASE … TEMPLATE on PostgreSQL.

On PostgreSQL the role needs CREATEDB and nothing more. Dropping a database copes with what may
still be in it: the tests' own connections (a live server just stopped or killed) and autovacuum
workers (drop()); a database that still cannot be dropped never fails the run, and the next run
drops it (_sweep())."""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import os
import secrets
import shutil
import sqlite3
import sys
import threading
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
    # One template per run (its key), so two runs on one server do not meet.
    name = f"startrip_template_{_run_key()}"
    run(_admin(f'CREATE DATABASE "{name}"'))
    run(migrate(_url_of(name)))
    return _url_of(name)


def copy_of(template: str, folder: Path) -> str:
    """A fresh database holding what the template holds; its URL."""
    if not ON_POSTGRES:
        path = folder / f"test-{uuid.uuid4().hex[:8]}.sqlite3"
        shutil.copy(template.removeprefix("sqlite://"), path)
        return f"sqlite://{path}"
    name = f"startrip_test_{_run_key()}_{uuid.uuid4().hex[:12]}"
    run(_admin(f'CREATE DATABASE "{name}" TEMPLATE "{_name_of(template)}"'))
    return _url_of(name)


def empty(folder: Path) -> str:
    """A database with nothing in it, not even the migrations; its URL."""
    if not ON_POSTGRES:
        return f"sqlite://{folder / f'empty-{uuid.uuid4().hex[:8]}.sqlite3'}"
    name = f"startrip_test_{_run_key()}_{uuid.uuid4().hex[:12]}"
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
    """Remove a database made by make_template, copy_of or empty (SQLite files go with
    tmp_path). Never raises: a database left behind is reported when the run ends, and the next
    run drops it."""
    if not url.startswith("postgres"):
        return
    name = _name_of(url)
    try:
        run(_drop(name))
    except Exception as error:
        _left_behind.append(f"{name}: {type(error).__name__}: {error}")


# Why not DROP DATABASE … WITH (FORCE) (issue 14): FORCE first checks that the caller may end
# every backend in the database, as pg_terminate_backend would. An autovacuum worker belongs to
# no role, so for a role that is neither superuser nor member of pg_signal_backend the check fails
# ("must be a member of the role whose process is being terminated or member of
# pg_signal_backend", seen on PostgreSQL 15) and nothing is dropped. Autovacuum visits any
# database that has seen activity and not been visited for a while, whatever its tables' storage
# parameters (autovacuum_enabled=false spares the table, but the worker still connects to look),
# so the database of a test that wrote a lot can hold one at its end; only autovacuum=off for the
# whole server would keep them out, and not even that from anti-wraparound work. A plain DROP
# DATABASE ends autovacuum workers itself, no privilege needed, and waits up to 5 s for every
# backend to leave. The tests' own connections (a live server stopped or killed a moment ago,
# whose backends are still exiting) we end first, as a role may end its own sessions. Granting
# the role pg_signal_backend would also let FORCE pass on PostgreSQL 15, but lets it end any
# non-superuser session on the server, and the rule differs between versions (PostgreSQL 18 adds
# pg_signal_autovacuum_worker); this needs nothing but CREATEDB. What can still fail (a session of
# another role, such as a psql someone opened in the database) is retried, then reported.
_END_OWN_SESSIONS = """
    SELECT pg_terminate_backend(pid) FROM pg_stat_activity
    WHERE datname = $1 AND usename = current_user AND pid <> pg_backend_pid()
"""


async def _drop(name: str) -> None:
    import asyncpg

    connection = await asyncpg.connect(POSTGRES_URL)
    try:
        await _drop_on(connection, name)
    finally:
        await connection.close()


async def _drop_on(connection: Any, name: str, attempts: int = 2) -> None:
    import asyncpg

    for attempt in range(attempts):
        await connection.execute(_END_OWN_SESSIONS, name)
        try:
            await connection.execute(f'DROP DATABASE IF EXISTS "{name}"')
            return
        except asyncpg.ObjectInUseError:  # still in use after DROP's own 5 s wait
            if attempt == attempts - 1:
                raise


# Leaked databases do not pile up: each run takes a key, holds a PostgreSQL advisory lock on it
# for as long as its process lives (on a connection of its own, in a thread of its own), and puts
# the key in the name of every database it makes. The first database a run makes is preceded by
# _sweep(), which drops the databases of every other key whose lock it can take: their run has
# ended, however it ended (a drop that failed, a run killed before its teardown), and a run still
# going keeps its lock, so two runs on one server never drop each other's. Advisory locks belong
# to a database: every run takes them through the database of TEST_POSTGRES_URL.
_LOCK_SPACE = 0x53545254  # "STRT": the first of the lock's two keys, so no other lock meets it
_NAMES = r"^startrip_(test|template)_[0-9a-f]{8}(_|$)"
_run_lock: tuple[asyncio.AbstractEventLoop, Any, str] | None = None
_left_behind: list[str] = []


def _run_key() -> str:
    """This run's key (8 hex digits), locked on first use, when the leftovers are swept."""
    global _run_lock
    if _run_lock is None:
        loop = asyncio.new_event_loop()
        threading.Thread(target=loop.run_forever, name="run-lock", daemon=True).start()
        connection, key = asyncio.run_coroutine_threadsafe(_lock_a_key(), loop).result()
        _run_lock = (loop, connection, key)
        atexit.register(_at_exit)
        run(_sweep(key))
    return _run_lock[2]


async def _lock_a_key() -> tuple[Any, str]:
    import asyncpg

    connection = await asyncpg.connect(POSTGRES_URL)
    while True:
        number = secrets.randbelow(2**31 - 1) + 1
        if await connection.fetchval("SELECT pg_try_advisory_lock($1, $2)", _LOCK_SPACE, number):
            return connection, f"{number:08x}"


async def _sweep(own_key: str) -> None:
    import asyncpg

    connection = await asyncpg.connect(POSTGRES_URL)
    try:
        rows = await connection.fetch(
            "SELECT datname FROM pg_database WHERE datname ~ $1 AND datdba = "
            "(SELECT oid FROM pg_roles WHERE rolname = current_user) ORDER BY datname",
            _NAMES,
        )
        by_run: dict[str, list[str]] = {}
        for row in rows:
            by_run.setdefault(row["datname"].split("_")[2], []).append(row["datname"])
        for key, names in by_run.items():
            lock = (_LOCK_SPACE, int(key, 16))
            if key == own_key or not await connection.fetchval(
                "SELECT pg_try_advisory_lock($1, $2)", *lock
            ):
                continue  # that run is still going
            try:
                for name in names:
                    try:
                        await _drop_on(connection, name, attempts=1)
                    except Exception as error:
                        _left_behind.append(f"{name}: {type(error).__name__}: {error}")
            finally:
                await connection.execute("SELECT pg_advisory_unlock($1, $2)", *lock)
    finally:
        await connection.close()


def _at_exit() -> None:
    if _run_lock is not None:
        loop, connection, _ = _run_lock
        # Politeness only: the server releases the lock when the connection goes anyway.
        with contextlib.suppress(Exception):
            asyncio.run_coroutine_threadsafe(connection.close(), loop).result(timeout=5)
    if _left_behind:
        print(
            f"tests/databases.py: {len(_left_behind)} database(s) could not be dropped; "
            "the next run on this server drops them:",
            *_left_behind,
            sep="\n  ",
            file=sys.stderr,
        )


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
