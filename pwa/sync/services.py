"""Offline sync, server side: applying pushed mutations (SYNC.md, "Push").

Each browser install has a client_id and numbers its mutations 1, 2, 3 … Each mutation is
applied once, in order, by the same service functions and the same access check the forms use:
already applied → skipped; a gap → 409 and nothing applied; a business error (invalid, not
allowed, not found) → recorded with its reason and the queue goes on. Every mutation is written
to the append-only op log. Vouchers never come through here.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from pwa.auth.rules import Action
from pwa.auth.sessions import Principal
from pwa.core import plain
from pwa.core.clock import parse_time
from pwa.core.forms import FormErrors
from pwa.db import immediate_transaction
from pwa.i18n import _
from pwa.models import OpLog, SyncClient

MAX_BATCH = 1000
# Numbers a database integer column holds (cursors, mutation ids).
MAX_NUMBER = 2**62


class Refused(Exception):
    """A mutation that will never apply: its reason is told to the client, in words."""


class Gap(Exception):
    """A mutation number is missing before this one: the client sends again from the server's
    last_mutation_id (HTTP 409)."""

    def __init__(self, last: int) -> None:
        super().__init__(last)
        self.last = last


def not_allowed() -> str:
    return _("You cannot open this page with this account or phone.")


@dataclass
class Context:
    who: Principal
    # The client's family: its id only, as a push that adds and ticks needs no more of it (the
    # row is read by the one mutation that does, list.create).
    family_id: uuid.UUID
    # Breaks ties between changes made at the same moment (SYNC.md, Conflicts).
    client_id: str = ""
    # The action the mutation being applied declares (MUTATIONS).
    action: Action = Action.LIST_VIEW
    # Rows read and decided earlier in the same batch, by (kind, id, action): a batch of ticks
    # reads and decides its list once.
    rows: dict[Any, Any] = field(default_factory=dict)
    # Writers skip their "was this id made already?" look-up (the op log applies each
    # mutation once) unless a first try met such a row.
    look_first: bool = False


class Declared(Protocol):
    """A mutation as pwa/sync/mutations.py declares it: what it runs and its action."""

    @property
    def run(self) -> Callable[[Context, dict[str, Any]], Awaitable[None]]: ...

    @property
    def action(self) -> Action: ...


async def run_one(ctx: Context, mutation: dict[str, Any], table: Mapping[str, Declared]) -> str:
    """Apply one mutation inside a savepoint; its refusal (in words) or ""."""
    declared = table.get(str(mutation.get("name")))
    raw_args = mutation.get("args")
    args: dict[str, Any] = dict(raw_args) if isinstance(raw_args, dict) else {}
    # The change's time on the phone, for the rules that order changes.
    args.setdefault("client_time", mutation.get("client_time"))
    try:
        if declared is None:
            raise Refused(_("This change is not known."))
        ctx.action = declared.action
        handler = declared.run
        try:
            # A savepoint: a refused mutation leaves nothing behind but its op log entry.
            async with in_transaction():
                await handler(ctx, args)
        except IntegrityError:
            # The fast path met a row this id already made (the same tick sent as two
            # changes): the savepoint undid it; once more, looking first, as the forms do.
            ctx.rows.clear()
            ctx.look_first = True
            async with in_transaction():
                await handler(ctx, args)
    except Refused as exc:
        ctx.rows.clear()  # what was read may have been changed by the rolled-back part
        return str(exc)
    except FormErrors as exc:
        ctx.rows.clear()
        return next(iter(exc.errors.values()))
    except IntegrityError:
        ctx.rows.clear()
        return _("This change was already made.")
    finally:
        ctx.look_first = False
    return ""


async def apply(
    client: SyncClient,
    ctx: Context,
    mutations: list[dict[str, Any]],
    table: Mapping[str, Declared],
) -> tuple[int, list[dict[str, Any]]]:
    """The batch in one transaction with a savepoint per mutation, so a server stopped in the
    middle leaves none of it and the client's retry applies it all; one transaction (not one
    per mutation) is what makes 1,000 mutations take well under a second (bench/sync.py).
    The client's place is read under the write lock (BEGIN IMMEDIATE on SQLite, FOR UPDATE on
    PostgreSQL), so two pushes of the same batch at once apply it once."""
    async with immediate_transaction():
        place = await plain.rows("sync_client_place", _place_sql, [str(client.id)])
        last = int(place[0]["last_mutation_id"])
        new = [m for m in mutations if int(m["mutation_id"]) > last]
        if [int(m["mutation_id"]) for m in new] != list(range(last + 1, last + 1 + len(new))):
            raise Gap(last)
        results: list[dict[str, Any]] = [
            {"mutation_id": int(m["mutation_id"]), "status": "skipped"}
            for m in mutations
            if int(m["mutation_id"]) <= last
        ]
        logs = []
        for mutation in new:
            error = await run_one(ctx, mutation, table)
            mutation_id = int(mutation["mutation_id"])
            logs.append(
                OpLog(
                    client_id=client.id,
                    mutation_id=mutation_id,
                    family_id=ctx.family_id,
                    name=str(mutation.get("name", ""))[:40],
                    args=mutation.get("args") if isinstance(mutation.get("args"), dict) else {},
                    error=error[:300],
                    client_time=parse_time(mutation.get("client_time")),
                )
            )
            result = {"mutation_id": mutation_id, "status": "refused" if error else "applied"}
            results.append({**result, "error": error} if error else result)
        if new:
            await OpLog.bulk_create(logs)
            last = int(new[-1]["mutation_id"])
            await plain.rows("sync_client_moved", _moved_sql, [last, str(client.id)])
    return last, results


# The client's place, read and moved by statements written once (issue 19: built by the query
# builder, these two were a tenth of a push's server time). FOR UPDATE: PostgreSQL locks the
# row until the batch commits; SQLite's BEGIN IMMEDIATE already holds the whole file.
def _place_sql(dialect: str) -> str:
    lock = " FOR UPDATE" if dialect == "postgres" else ""
    return f'SELECT last_mutation_id FROM "{SyncClient._meta.db_table}" WHERE id = ?{lock}'


def _moved_sql(_dialect: str) -> str:
    return f'UPDATE "{SyncClient._meta.db_table}" SET last_mutation_id = ? WHERE id = ?'
