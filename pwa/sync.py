"""Offline sync, server side: POST /api/sync/push (SYNC.md, "Push").

Each browser install has a client_id and numbers its mutations 1, 2, 3 … Each mutation is
applied once, in order, in its own transaction, by the same service functions the forms use:
already applied → skipped; a gap → 409 and nothing applied; a business error (invalid, not
allowed, not found) → recorded with its reason and the queue goes on. Every mutation is written
to the append-only op log. Vouchers never come through here.

GET /api/sync/pull sends what changed since a cursor (the server sequence, see ChangeCounter).
Items and steps change field by field, last writer wins, the other value kept (pwa/history.py).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from starlette.background import BackgroundTask
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from tortoise.exceptions import IntegrityError
from tortoise.expressions import Q
from tortoise.transactions import in_transaction

from pwa import alerts, auth, history, lists, person_settings, plans, trips
from pwa.auth import Action, Principal, Role
from pwa.db import immediate_transaction
from pwa.forms import FormErrors
from pwa.i18n import _
from pwa.models import (
    Family,
    ItemMark,
    ListItem,
    Membership,
    OpLog,
    Plan,
    PlanStep,
    ShoppingList,
    SyncClient,
    Trip,
)
from pwa.shopping import parse_time

MAX_BATCH = 1000
# Numbers a database integer column holds (cursors, mutation ids).
MAX_NUMBER = 2**62
PULL_PAGE = 2000


class Refused(Exception):
    """A mutation that will never apply: its reason is told to the client, in words."""


class Gap(Exception):
    """A mutation number is missing before this one: the client sends again from the server's
    last_mutation_id (HTTP 409)."""

    def __init__(self, last: int) -> None:
        super().__init__(last)
        self.last = last


@dataclass
class Context:
    who: Principal
    family: Family
    role: Role
    # Breaks ties between changes made at the same moment (SYNC.md, Conflicts).
    client_id: str = ""
    # Rows read earlier in the same batch, by id: a batch of ticks reads its list once.
    rows: dict[Any, Any] = field(default_factory=dict)
    # Writers skip their "was this id made already?" look-up (the op log applies each
    # mutation once) unless a first try met such a row.
    look_first: bool = False

    def check(self, action: Action, person_id: Any = None) -> None:
        if self.role == Role.PERSON and person_id not in (None, self.who.person.id):
            raise Refused(_("This is not on this phone's lists."))
        if not auth.allowed(self.role, action):
            raise Refused(_("You cannot open this page with this account or phone."))
        if (
            action == Action.LIST_EDIT
            and self.role == Role.PERSON
            and not person_settings.effective(self.who.person.settings)["can_plan"]
        ):
            raise Refused(_("You cannot open this page with this account or phone."))


def _uuid(value: Any) -> uuid.UUID:
    try:
        return uuid.UUID(str(value))
    except ValueError:
        raise FormErrors(
            {"id": _("Something in the request was wrong. Nothing was changed.")}
        ) from None


async def _list(ctx: Context, list_id: Any, action: Action) -> ShoppingList:
    key = ("list", _uuid(list_id))
    shopping_list = ctx.rows.get(key) or await ShoppingList.get_or_none(
        id=key[1], family=ctx.family, deleted_at=None
    )
    ctx.rows[key] = shopping_list
    if shopping_list is None:
        raise Refused(_("This list is not there any more."))
    ctx.check(action, shopping_list.person_id)
    return shopping_list


async def list_create(ctx: Context, args: dict[str, Any]) -> None:
    ctx.check(Action.LIST_EDIT)
    person_id = (
        str(ctx.who.person.id) if ctx.role == Role.PERSON else str(args.get("person_id", ""))
    )
    await lists.create_list(
        ctx.family,
        list_id=_uuid(args.get("id")),
        name=str(args.get("name", "")),
        person_id=person_id,
    )


async def item_add(ctx: Context, args: dict[str, Any]) -> None:
    shopping_list = await _list(ctx, args.get("list_id"), Action.LIST_EDIT)
    await lists.add_item(
        shopping_list,
        item_id=_uuid(args.get("id")),
        pictogram=str(args.get("pictogram", "")),
        photo_id=str(args.get("photo_id", "")),
        quantity=args.get("quantity", 1),
    )


async def item_mark(ctx: Context, args: dict[str, Any]) -> None:
    key = ("item", _uuid(args.get("item_id")))
    item = ctx.rows.get(key) or await ListItem.get_or_none(id=key[1], family=ctx.family)
    ctx.rows[key] = item
    if item is None:
        raise Refused(_("This is not on the list any more."))
    await _list(ctx, item.list_id, Action.LIST_SHOP)
    await lists.mark_item(
        item,
        mark_id=_uuid(args.get("id")),
        state=str(args.get("state", "")),
        client_time=parse_time(args.get("client_time")),
        device=ctx.who.device,
        account=ctx.who.account if ctx.who.device is None else None,
        once=not ctx.look_first,
    )


async def trip_event(ctx: Context, args: dict[str, Any]) -> None:
    ctx.check(Action.TRIP_RUN)
    person = ctx.who.person
    if person is None:
        raise Refused(_("A preview is not recorded."))
    plan = await Plan.get_or_none(id=_uuid(args.get("plan_id")), family=ctx.family)
    if plan is None or plan.person_id not in (None, person.id):
        raise Refused(_("This trip is not known yet."))
    trip_id = _uuid(args.get("trip_id"))
    client_time = parse_time(args.get("client_time"))
    if args.get("kind") == "start":
        steps = [s.as_data() for s in await plans.step_views(plan)]
        await trips.start_trip(person, plan, trip_id=trip_id, steps=steps, client_time=client_time)
        return
    trip = await Trip.get_or_none(id=trip_id, person=person)
    if trip is None:
        raise Refused(_("This trip is not known yet."))
    step = args.get("step")
    if step is not None and (not isinstance(step, int) or isinstance(step, bool)):
        raise Refused(_("Something in the request was wrong. Nothing was changed."))
    await trips.record_event(
        trip,
        event_id=_uuid(args.get("id")),
        kind=str(args.get("kind")),
        step=step,
        value=str(args.get("value") or ""),
        client_time=client_time,
    )


async def _item(ctx: Context, item_id: Any) -> ListItem:
    item = await ListItem.get_or_none(id=_uuid(item_id), family=ctx.family)
    if item is None:
        raise Refused(_("This is not on the list any more."))
    await _list(ctx, item.list_id, Action.LIST_EDIT)
    return item


def _fields(args: dict[str, Any], allowed: tuple[str, ...]) -> dict[str, str]:
    fields = args.get("fields")
    if not isinstance(fields, dict) or not fields or not set(fields) <= set(allowed):
        raise Refused(_("Something in the request was wrong. Nothing was changed."))
    return {k: "" if v is None else str(v) for k, v in fields.items()}


async def item_update(ctx: Context, args: dict[str, Any]) -> None:
    """{id, fields: {label|quantity|note|price|area: value}}: last writer wins per field; an
    item taken out stays out and the change is kept in its history."""
    item = await _item(ctx, args.get("id"))
    await lists.update_item(
        item,
        _fields(args, history.ITEM_FIELDS),
        client_time=parse_time(args.get("client_time")),
        writer=ctx.client_id,
    )


async def item_remove(ctx: Context, args: dict[str, Any]) -> None:
    await lists.remove_item(await _item(ctx, args.get("id")))


async def _step(ctx: Context, step_id: Any) -> tuple[Plan, PlanStep]:
    step = await PlanStep.get_or_none(id=_uuid(step_id), family=ctx.family)
    plan = await Plan.get_or_none(id=step.plan_id, deleted_at=None) if step else None
    if step is None or plan is None:
        raise Refused(_("This step is not there any more."))
    ctx.check(Action.PLAN_EDIT, plan.person_id)
    return plan, step


async def step_update(ctx: Context, args: dict[str, Any]) -> None:
    """{id, fields: {picture|text|wait_minutes|link|list_id|prompt_level: value}}, as the
    step form names them."""
    plan, step = await _step(ctx, args.get("id"))
    raw = _fields(args, plans.STEP_FORM_FIELDS)
    await plans.save_step(
        plan,
        step_id=step.id,
        raw=raw,
        changed=set(raw),
        client_time=parse_time(args.get("client_time")),
        writer=ctx.client_id,
    )


async def step_remove(ctx: Context, args: dict[str, Any]) -> None:
    _plan, step = await _step(ctx, args.get("id"))
    await plans.remove_step(step)


MUTATIONS: dict[str, Callable[[Context, dict[str, Any]], Awaitable[None]]] = {
    "list.create": list_create,
    "item.add": item_add,
    "item.mark": item_mark,
    "trip.event": trip_event,
    "item.update": item_update,
    "item.remove": item_remove,
    "step.update": step_update,
    "step.remove": step_remove,
}


async def bind_client(who: Principal, client_id: uuid.UUID, family_id: Any) -> SyncClient:
    """The install's record; a client_id already bound to someone else is refused (403)."""
    client = await SyncClient.get_or_none(id=client_id)
    account_id = who.account.id if who.account and who.device is None else None
    device_id = who.device.id if who.device else None
    if client is not None:
        if client.account_id != account_id or client.device_id != device_id:
            raise HTTPException(403)
        return client
    if who.device is not None:
        family_uuid = who.device.person.family_id
    else:
        family_uuid = _uuid(family_id)
        if not await Membership.exists(account=who.account, family_id=family_uuid):
            raise auth.not_found()
    try:
        return await SyncClient.create(
            id=client_id, family_id=family_uuid, account_id=account_id, device_id=device_id
        )
    except IntegrityError:  # two first pushes at once: the other one made it
        return await SyncClient.get(id=client_id)


async def run_one(ctx: Context, mutation: dict[str, Any]) -> str:
    """Apply one mutation inside a savepoint; its refusal (in words) or ""."""
    handler = MUTATIONS.get(str(mutation.get("name")))
    args = dict(mutation.get("args")) if isinstance(mutation.get("args"), dict) else {}
    # The change's time on the phone, for the rules that order changes.
    args.setdefault("client_time", mutation.get("client_time"))
    try:
        if handler is None:
            raise Refused(_("This change is not known."))
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
    client: SyncClient, ctx: Context, mutations: list[dict[str, Any]]
) -> tuple[int, list[dict[str, Any]]]:
    """The batch in one transaction with a savepoint per mutation, so a server stopped in the
    middle leaves none of it and the client's retry applies it all; one transaction (not one
    per mutation) is what makes 1,000 mutations take well under a second (bench/sync.py).
    The client's place is read under the write lock (BEGIN IMMEDIATE on SQLite, FOR UPDATE on
    PostgreSQL), so two pushes of the same batch at once apply it once."""
    async with immediate_transaction():
        last = (await SyncClient.filter(id=client.id).select_for_update().get()).last_mutation_id
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
            error = await run_one(ctx, mutation)
            mutation_id = int(mutation["mutation_id"])
            logs.append(
                OpLog(
                    client_id=client.id,
                    mutation_id=mutation_id,
                    family_id=ctx.family.id,
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
            await SyncClient.filter(id=client.id).update(last_mutation_id=last)
    return last, results


async def push(request: Request) -> Response:
    who = auth.principal(request)
    if who.is_anonymous:
        return JSONResponse({"error": _("Log in first.")}, 401)
    try:
        body = json.loads(await request.body())
        client_id = uuid.UUID(str(body["client_id"]))
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
    family = await Family.get(id=client.family_id)
    role = Role.PERSON if who.device else await auth.family_role(who, family.id)
    if role is None:
        return JSONResponse({"error": _("Not allowed")}, 403)
    ctx = Context(who=who, family=family, role=role, client_id=str(client.id))
    try:
        last, results = await apply(client, ctx, mutations)
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
        BackgroundTask(alerts.send_alerts, events, request.app.state.settings.data_dir)
        if any(kind in alerts.ALERT_KINDS for _trip, kind in events)
        else None
    )
    return JSONResponse({"last_mutation_id": last, "results": results}, background=background)


routes = [Route("/api/sync/push", push, methods=["POST"])]


# --- pull -------------------------------------------------------------------------------------

PULLED = {
    "lists": (ShoppingList, ["id", "person_id", "name", "budget", "archived_at", "deleted_at"]),
    "items": (
        ListItem,
        ["id", "list_id", "pictogram", "photo_id", *history.ITEM_FIELDS, "position", "deleted_at"],
    ),
    "marks": (ItemMark, ["id", "item_id", "state", "client_time"]),
    "plans": (Plan, ["id", "person_id", "name", "deleted_at"]),
    "steps": (PlanStep, ["id", "plan_id", "position", *history.STEP_FIELDS, "deleted_at"]),
}


# Where each kind of row says whose it is.
PERSON_OF = {
    "lists": "person_id",
    "items": "list__person_id",
    "marks": "item__list__person_id",
    "plans": "person_id",
    "steps": "plan__person_id",
}


def _plain(value: Any) -> Any:
    if isinstance(value, uuid.UUID):
        return str(value)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


async def pull(request: Request) -> Response:
    """GET /api/sync/pull?client_id=…&cursor=N: rows changed since N that the caller may see,
    deleted rows included (their deleted_at says so), the client's last applied mutation and
    the new cursor. The cost follows the changes since N, not the history."""
    who = auth.principal(request)
    if who.is_anonymous:
        return JSONResponse({"error": _("Log in first.")}, 401)
    try:
        client_id = uuid.UUID(request.query_params.get("client_id", ""))
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
    for name, (model, columns) in PULLED.items():
        query = model.filter(family_id=family_id, change_seq__gt=cursor)
        if person is not None:
            # The phone sees what is for its person, or for nobody in particular.
            owner = PERSON_OF[name]
            query = query.filter(Q(**{owner: person.id}) | Q(**{owner: None}))
        found = await query.order_by("change_seq").limit(PULL_PAGE).values(*columns, "change_seq")
        rows[name] = [{k: _plain(v) for k, v in row.items()} for row in found]
    # A kind that filled its page may have more: this answer stops where the first full page
    # stops, and the client asks again from there, so nothing in between is skipped.
    full = [r[-1]["change_seq"] for r in rows.values() if len(r) == PULL_PAGE]
    more = bool(full)
    if more:
        stop = min(full)
        rows = {k: [row for row in r if row["change_seq"] <= stop] for k, r in rows.items()}
    newest = max([cursor, *(row["change_seq"] for r in rows.values() for row in r)])
    await _add_item_views(rows["items"])
    return JSONResponse(
        {
            "cursor": newest,
            "more": more,
            "last_mutation_id": client.last_mutation_id,
            "rows": rows,
        }
    )


async def _add_item_views(items: list[dict[str, Any]]) -> None:
    """What the phone draws for each item, in the caller's language, as the page would."""
    shown = [row for row in items if not row["deleted_at"]]
    for row, view in zip(shown, await lists.views_of(shown), strict=True):
        row["view"] = view.as_data()


routes.append(Route("/api/sync/pull", pull))
