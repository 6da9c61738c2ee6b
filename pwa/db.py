"""Database URL → tortoise configuration, and the migration commands the app uses."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tortoise import Tortoise, connections
from tortoise.backends.base.client import TransactionContext
from tortoise.backends.sqlite.client import (
    SqliteClient,
    SqliteTransactionContext,
    SqliteTransactionWrapper,
)
from tortoise.migrations.api.migrate import migrate as tortoise_migrate
from tortoise.transactions import in_transaction

from pwa.settings import database_url_from_env

MODEL_MODULES = ["pwa.models"]

SQLITE_PRAGMAS = {
    # WAL lets readers go on while one writer commits (SYNC.md, vouchers at the till).
    "journal_mode": "WAL",
    # With WAL, NORMAL syncs the log at checkpoints, not at every commit: a commit survives the
    # app crashing or being killed, but a power cut or an OS crash may lose the last commits
    # before a checkpoint (never corrupt the file). FULL (`?synchronous=FULL` in DATABASE_URL,
    # docs/DEPLOY.md) keeps every commit through a power cut, at one fsync a write.
    "synchronous": "NORMAL",
    # Two workers (processes) share one file: a writer that finds it locked waits up to 5 s
    # for the other's commit instead of failing at once with "database is locked".
    "busy_timeout": "5000",
}


def tortoise_config(database_url: str) -> dict[str, Any]:
    url = database_url
    if url.startswith("sqlite://"):
        # SQLite set up as a server's database (issue 19, docs/DEPLOY.md). Each is a PRAGMA the
        # connection runs when it opens; a URL that names one keeps its own.
        for pragma, value in SQLITE_PRAGMAS.items():
            if f"{pragma}=" not in url:
                url += ("&" if "?" in url else "?") + f"{pragma}={value}"
    return {
        "connections": {"default": url},
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
        # Take the write lock at the start, so two payments never read the same balance.
        await self._connection.execute("BEGIN IMMEDIATE")


def immediate_transaction() -> TransactionContext:
    """A transaction for money: BEGIN IMMEDIATE on SQLite (SYNC.md, vouchers at the till);
    on PostgreSQL the conditional UPDATE itself serialises concurrent payments."""
    client = connections.get("default")
    if isinstance(client, SqliteClient) and not isinstance(client, SqliteTransactionWrapper):
        return SqliteTransactionContext(_ImmediateSqliteTransaction(client), client._lock)
    return in_transaction()
