"""Offline sync over HTTP: POST /api/sync/push and GET /api/sync/pull (SYNC.md).

GET /api/sync/pull sends what changed since a cursor (the server sequence, see ChangeCounter).
Items and steps change field by field, last writer wins, the other value kept (pwa/conflicts.py).
"""

from __future__ import annotations

from typing import Any

from starlette.background import BackgroundTask
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from tortoise import connections

from pwa import conflicts
from pwa.auth import sessions
from pwa.auth.routing import Route
from pwa.auth.rules import Action
from pwa.core import ids, jsonbody
from pwa.core.forms import FormErrors
from pwa.core.jsonbody import FastJSONResponse
from pwa.i18n import _
from pwa.lists import services as lists
from pwa.models import ItemMark, ListItem, Plan, PlanStep, ShoppingList, SyncRemoval
from pwa.review import services as alerts
from pwa.sync import queries
from pwa.sync.access import bind_client
from pwa.sync.mutations import MUTATIONS
from pwa.sync.services import MAX_BATCH, MAX_NUMBER, Context, Gap, apply

# Rows of each kind in one answer; the client asks again while "more" is true. A first pull
# (cursor 0) of a family with 10,000 items and their marks comes in pages of this many, each
# answered in 10-30 ms (issue 19, bench/first_pull.py); an incremental pull is far under it.
PULL_PAGE = 250


def not_signed_in(who: sessions.Principal) -> Response:
    """No session: 401; a phone that was unlinked is told so (403), and sends nothing more."""
    if who.unlinked:
        return JSONResponse({"error": _("This phone is no longer linked.")}, 403)
    return JSONResponse({"error": _("Log in first.")}, 401)


async def push(request: Request) -> Response:
    who = sessions.principal(request)
    if who.is_anonymous:
        return not_signed_in(who)
    try:
        body = jsonbody.loads(await request.body())
        client_id = ids.parse_uuid(body["client_id"])
        mutations = sorted(body["mutations"], key=lambda m: int(m["mutation_id"]))
        if not isinstance(mutations, list) or len(mutations) > MAX_BATCH:
            raise ValueError
        if len({int(m["mutation_id"]) for m in mutations}) != len(mutations):
            raise ValueError
        if not all(0 < int(m["mutation_id"]) < MAX_NUMBER for m in mutations):
            raise ValueError
    except (ValueError, KeyError, TypeError):
        return JSONResponse(
            {"error": _("Something in the request was wrong. Nothing was changed.")}, 400
        )
    try:
        client = await bind_client(who, client_id, body.get("family_id"))
    except FormErrors as exc:
        return JSONResponse({"error": next(iter(exc.errors.values()))}, 400)
    ctx = Context(who=who, family_id=client.family_id, client_id=str(client.id))
    try:
        last, results = await apply(client, ctx, mutations, MUTATIONS)
    except Gap as gap:
        # A number is missing before this batch: nothing was applied; send again from here.
        return JSONResponse({"last_mutation_id": gap.last, "error": "gap"}, 409)
    # Guardians who asked are told of a trip's start, help card and end, once it is committed.
    applied = {r["mutation_id"] for r in results if r["status"] == "applied"}
    events = [
        (str(m["args"].get("trip_id")), str(m["args"].get("kind")))
        for m in mutations
        if int(m["mutation_id"]) in applied
        and m.get("name") == "trip.event"
        and isinstance(m.get("args"), dict)
    ]
    background = (
        BackgroundTask(alerts.send_alerts, events, request.app.state.settings)
        if any(kind in alerts.ALERT_KINDS for _trip, kind in events)
        else None
    )
    return FastJSONResponse({"last_mutation_id": last, "results": results}, background=background)


# --- pull -------------------------------------------------------------------------------------

PULLED = {
    "lists": (ShoppingList, ("id", "person_id", "name", "budget", "archived_at", "deleted_at")),
    "items": (
        ListItem,
        (
            "id",
            "list_id",
            "pictogram",
            "photo_id",
            "clip_id",
            *conflicts.ITEM_FIELDS,
            "position",
            "deleted_at",
        ),
    ),
    "marks": (ItemMark, ("id", "item_id", "state", "client_time", "plan_b")),
    "plans": (Plan, ("id", "person_id", "name", "deleted_at")),
    "steps": (PlanStep, ("id", "plan_id", "position", *conflicts.STEP_FIELDS, "deleted_at")),
}


async def pull(request: Request) -> Response:
    """GET /api/sync/pull?client_id=…&cursor=N: rows changed since N that the caller may see,
    deleted rows included (their deleted_at says so), rows deleted for good since N ("removed":
    kind and id), the client's last applied mutation and the new cursor. The cost follows the
    changes since N, not the history."""
    who = sessions.principal(request)
    if who.is_anonymous:
        return not_signed_in(who)
    try:
        client_id = ids.parse_uuid(request.query_params.get("client_id", ""))
        cursor = int(request.query_params.get("cursor", "0"))
        if not 0 <= cursor < MAX_NUMBER:
            raise ValueError
    except ValueError:
        return JSONResponse(
            {"error": _("Something in the request was wrong. Nothing was changed.")}, 400
        )
    try:
        client = await bind_client(who, client_id, request.query_params.get("family_id"))
    except FormErrors as exc:
        return JSONResponse({"error": next(iter(exc.errors.values()))}, 400)
    family_id = client.family_id
    person = who.person if who.device is not None else None
    rows: dict[str, list[dict[str, Any]]] = {}
    changed, high = await _kinds_changed(family_id, cursor)
    person_id = person.id if person is not None else None
    for name, (model, columns) in PULLED.items():
        rows[name] = (
            await queries.changed_rows(
                model,
                columns,
                family_id=family_id,
                cursor=cursor,
                high=high,
                person_id=person_id,
                limit=PULL_PAGE,
            )
            if name in changed
            else []
        )
    # Rows deleted for good (a person and everything of theirs, pwa/family/deletion.py): the
    # client drops its copy. Ids only, whoever's they were: a phone that never had the row
    # has nothing to drop. A first pull (cursor 0) has no copy at all, so it gets none: a new
    # device never even hears the ids of what was deleted before it came.
    removed = (
        [
            {"kind": kind, "id": row_id, "change_seq": seq}
            for kind, row_id, seq in await SyncRemoval.filter(
                family_id=family_id, change_seq__gt=cursor, change_seq__lte=high
            )
            .order_by("change_seq")
            .limit(PULL_PAGE)
            .values_list("kind", "row_id", "change_seq")
        ]
        if cursor > 0 and "removed" in changed
        else []
    )
    # A kind that filled its page may have more: this answer stops where the first full page
    # stops, and the client asks again from there, so nothing in between is skipped.
    full = [r[-1]["change_seq"] for r in (*rows.values(), removed) if len(r) == PULL_PAGE]
    more = bool(full)
    if more:
        stop = min(full)
        rows = {k: [row for row in r if row["change_seq"] <= stop] for k, r in rows.items()}
        removed = [row for row in removed if row["change_seq"] <= stop]
    newest = max([cursor, *(row["change_seq"] for r in (*rows.values(), removed) for row in r)])
    await _add_item_views(rows["items"])
    return FastJSONResponse(
        {
            "cursor": newest,
            "more": more,
            "last_mutation_id": client.last_mutation_id,
            "rows": rows,
            "removed": removed,
        }
    )


# Which kinds of row changed since a cursor, in one query (issue 19): a pull read each kind
# with a query of its own (six), though most pulls find one or two kinds changed, or none.
# Each part asks the (family_id, change_seq) index for one row of its kind; the phone's person
# filter is left to the kind's own query.
#
# The same statement reads the server sequence as committed (`high`), and the pull reads
# nothing above it: a number is taken and its row written in one transaction that holds the
# counter until it commits (SyncedModel), so every row numbered up to `high` is committed
# already, and a row numbered after it cannot be skipped by a cursor this answer gives.
_KIND_TABLES = {
    **{name: model._meta.db_table for name, (model, _columns) in PULLED.items()},
    "removed": SyncRemoval._meta.db_table,
}
_HIGH = "(SELECT value FROM change_counter WHERE id = 1)"
_CHANGED_SQL: dict[str, str] = {}


def _changed_sql(dialect: str) -> str:
    parts = [f"SELECT 'high' AS kind, {_HIGH} AS seq"]
    for n, (name, table) in enumerate(_KIND_TABLES.items()):
        family, cursor = ("$1", "$2") if dialect == "postgres" else ("?", "?")
        parts.append(
            f"SELECT '{name}' AS kind, 0 AS seq FROM (SELECT 1 FROM \"{table}\" "
            f"WHERE family_id = {family} AND change_seq > {cursor} "
            f"AND change_seq <= {_HIGH} LIMIT 1) AS k{n}"
        )
    return " UNION ALL ".join(parts)


async def _kinds_changed(family_id: Any, cursor: int) -> tuple[set[str], int]:
    """The kinds with rows numbered after the cursor, and the highest committed number."""
    client = connections.get("default")
    dialect = client.capabilities.dialect
    sql = _CHANGED_SQL.get(dialect)
    if sql is None:
        sql = _CHANGED_SQL[dialect] = _changed_sql(dialect)
    # SQLite numbers its "?" in order, one pair a kind; PostgreSQL's $1 and $2 are used again.
    values: list[Any] = [str(family_id), cursor]
    if dialect != "postgres":
        values = values * len(_KIND_TABLES)
    found = await client.execute_query_dict(sql, values)
    high = next((row["seq"] for row in found if row["kind"] == "high"), None)
    changed = {row["kind"] for row in found if row["kind"] != "high"}
    # No counter row yet: nothing was ever numbered through it.
    return changed, MAX_NUMBER if high is None else int(high)


async def _add_item_views(items: list[dict[str, Any]]) -> None:
    """What the phone draws for each item, in the caller's language, as the page would."""
    shown = [row for row in items if not row["deleted_at"]]
    for row, data in zip(shown, await lists.views_data(shown), strict=True):
        row["view"] = data


# Each mutation of a push names its own action (MUTATIONS); a pull reads what LIST_VIEW shows.
routes = [
    Route("/api/sync/push", push, methods=["POST"], action=Action.SYNC),
    Route("/api/sync/pull", pull, action=Action.SYNC),
]
