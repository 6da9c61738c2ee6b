"""Database URL → tortoise configuration, and the migration commands the app uses."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tortoise import Tortoise, connections
from tortoise.backends.base.client import TransactionContext
from tortoise.backends.base.config_generator import expand_db_url
from tortoise.backends.sqlite.client import (
    SqliteClient,
    SqliteTransactionContext,
    SqliteTransactionWrapper,
)
from tortoise.connection import get_connections
from tortoise.migrations.api.migrate import migrate as tortoise_migrate
from tortoise.transactions import in_transaction

from pwa.settings import database_url_from_env

MODEL_MODULES = ["pwa.models"]

SQLITE_PRAGMAS = {
    # WAL lets readers go on while one writer commits (SYNC.md, vouchers at the till).
    "journal_mode": "WAL",
    # With WAL, NORMAL syncs the log at checkpoints, not at every commit: a commit survives the
    # app crashing or being killed, but a power cut or an OS crash may lose the last commits
    # before a checkpoint (never corrupt the file). Payments, budgets and sync pushes commit
    # with FULL all the same (immediate_transaction); `?synchronous=FULL` in DATABASE_URL
    # makes every commit wait for the disk (docs/DEPLOY.md).
    "synchronous": "NORMAL",
    # Two workers (processes) share one file: a writer that finds it locked waits up to 5 s
    # for the other's commit instead of failing at once with "database is locked".
    "busy_timeout": "5000",
}


def tortoise_config(database_url: str) -> dict[str, Any]:
    connection: str | dict[str, Any] = database_url
    if database_url.startswith("sqlite://"):
        # SQLite set up as a server's database (issue 19, docs/DEPLOY.md). Each is a PRAGMA the
        # connection runs when it opens; a URL that names one keeps its own.
        url = database_url
        for pragma, value in SQLITE_PRAGMAS.items():
            if f"{pragma}=" not in url:
                url += ("&" if "?" in url else "?") + f"{pragma}={value}"
        # Statements in the loop's own thread (pwa/sqlite_client.py).
        connection = {**expand_db_url(url), "engine": "pwa.sqlite_client"}
    return {
        "connections": {"default": connection},
        "apps": {
            "models": {
                "models": MODEL_MODULES,
                "default_connection": "default",
                "migrations": "pwa.migrations",
            }
        },
        "use_tz": True,
        "timezone": "UTC",
    }


# Read by `tortoise makemigrations` through [tool.tortoise] in pyproject.toml.
TORTOISE_ORM = tortoise_config(database_url_from_env())


async def migrate(database_url: str, target: str | None = None) -> None:
    """Apply every migration in pwa/migrations; the app never calls generate_schemas."""
    if database_url.startswith("sqlite://"):
        path = database_url.removeprefix("sqlite://").split("?", 1)[0]
        if path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
    try:
        # target ("models.0001_initial"): stop there, as an older release would have.
        await tortoise_migrate(config=tortoise_config(database_url), target=target)
    finally:
        await Tortoise.close_connections()


class _ImmediateSqliteTransaction(SqliteTransactionWrapper):
    async def begin(self) -> None:
        await self._connection.commit()
        # Money and the phones' pushes wait for the disk at their commit, whatever the
        # connection's own setting (docs/DEPLOY.md): a payment the till was told of, or a change
        # a phone then drops from its outbox, survives a power cut too. The rest of the app's
        # writes keep SQLITE_PRAGMAS' NORMAL.
        try:
            await self._connection.execute("PRAGMA synchronous=FULL")
            # Take the write lock at the start, so two payments never read the same balance.
            await self._connection.execute("BEGIN IMMEDIATE")
        except BaseException:
            # Still locked by another process after the busy timeout, or the request was
            # cancelled while waiting: nothing began, and the connection's other writes go
            # back to its own setting.
            await self._as_configured()
            raise

    async def commit(self) -> None:
        try:
            await super().commit()
        finally:
            await self._as_configured()

    async def rollback(self) -> None:
        try:
            await super().rollback()
        finally:
            await self._as_configured()

    async def _as_configured(self) -> None:
        pragmas = getattr(self._parent, "pragmas", {})
        level = str(pragmas.get("synchronous", SQLITE_PRAGMAS["synchronous"]))
        if level.isalnum() and not self._connection.in_transaction:
            # (A commit that failed leaves its transaction open, where SQLite refuses the
            # pragma: the commit's own error is the one to see.)
            await self._connection.execute(f"PRAGMA synchronous={level}")


class _ImmediateContext(SqliteTransactionContext):
    """tortoise's context, except that a BEGIN that fails (the file still locked by another
    process after the busy timeout) lets go of the connection's lock and context again: as
    tortoise has it, the lock stayed taken and every later query of the process waited for
    ever."""

    async def __aenter__(self) -> Any:
        await self._trxlock.acquire()
        try:
            await self.ensure_connection()
            self.token = get_connections().set(self.connection_name, self.connection)
            try:
                await self.connection.begin()
            except BaseException:
                get_connections().reset(self.token)
                raise
        except BaseException:
            self._trxlock.release()
            raise
        return self.connection


def immediate_transaction() -> TransactionContext:
    """A transaction for money: BEGIN IMMEDIATE on SQLite (SYNC.md, vouchers at the till);
    on PostgreSQL the conditional UPDATE itself serialises concurrent payments."""
    client = connections.get("default")
    if isinstance(client, SqliteClient) and not isinstance(client, SqliteTransactionWrapper):
        return _ImmediateContext(_ImmediateSqliteTransaction(client), client._lock)
    return in_transaction()
