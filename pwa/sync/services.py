"""Offline sync, server side: applying pushed mutations (SYNC.md, "Push").

Each browser install has a client_id and numbers its mutations 1, 2, 3 … Each mutation is
applied once, in order, by the same service functions and the same access check the forms use:
already applied → skipped; a gap → 409 and nothing applied; a business error (invalid, not
allowed, not found) → recorded with its reason and the queue goes on. Every mutation is written
to the append-only op log. Vouchers never come through here.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from starlette.exceptions import HTTPException
from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from pwa import conflicts
from pwa.auth import access
from pwa.auth.rules import Action, Denied, Hidden
from pwa.auth.sessions import Principal
from pwa.core.clock import parse_time
from pwa.core.forms import FormErrors
from pwa.core.ids import BadId, parse_uuid
from pwa.db import immediate_transaction
from pwa.family.access import family_row
from pwa.i18n import _
from pwa.lists import access as list_access
from pwa.lists import services as lists
from pwa.models import Family, OpLog, Plan, PlanStep, ShoppingList, SyncClient, Trip
from pwa.plans import access as plan_access
from pwa.plans import services as plans
from pwa.trips import services as trips

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
    family: Family
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


def _uuid(value: Any) -> uuid.UUID:
    """An id in a mutation's arguments: one that is not a UUID refuses the mutation."""
    try:
        return parse_uuid(value)
    except BadId:
        raise Refused(_("Something in the request was wrong. Nothing was changed.")) from None


async def _decided(ctx: Context, key: Any, load: Callable[[], Awaitable[Any]], gone: str) -> Any:
    """The domain's access function, as a page would call it, with the mutation's action; its
    refusals in words. Rows of another family than the client's are not there for it."""
    key = (*key, ctx.action)
    if key in ctx.rows:
        return ctx.rows[key]
    try:
        found = await load()
    except Hidden:
        raise Refused(gone) from None
    except Denied:
        raise Refused(not_allowed()) from None
    row = found[0]
    if row.family_id != ctx.family.id:
        raise Refused(gone)
    ctx.rows[key] = found
    return found


async def _list(ctx: Context, list_id: Any) -> ShoppingList:
    list_uuid = _uuid(list_id)
    shopping_list: ShoppingList
    shopping_list, _granted = await _decided(
        ctx,
        ("list", list_uuid),
        lambda: list_access.shopping_list(ctx.who, list_uuid, ctx.action),
        _("This list is not there any more."),
    )
    return shopping_list


async def _item(ctx: Context, item_id: Any) -> Any:
    item_uuid = _uuid(item_id)
    _parent, item, _granted = await _decided(
        ctx,
        ("item", item_uuid),
        lambda: list_access.item(ctx.who, item_uuid, ctx.action),
        _("This is not on the list any more."),
    )
    return item


async def list_create(ctx: Context, args: dict[str, Any]) -> None:
    # The phone makes lists for its own person only; a parent names the person.
    person = ctx.who.person if ctx.who.device is not None else None
    owner = person.id if person else (_uuid(args["person_id"]) if args.get("person_id") else None)
    try:
        await family_row(ctx.who, ctx.action, ctx.family.id, owner)
    except (Hidden, Denied):
        raise Refused(not_allowed()) from None
    await lists.create_list(
        ctx.family,
        list_id=_uuid(args.get("id")),
        name=str(args.get("name", "")),
        person_id=str(owner or ""),
    )


async def item_add(ctx: Context, args: dict[str, Any]) -> None:
    shopping_list = await _list(ctx, args.get("list_id"))
    await lists.add_item(
        shopping_list,
        item_id=_uuid(args.get("id")),
        pictogram=str(args.get("pictogram", "")),
        photo_id=str(args.get("photo_id", "")),
        quantity=args.get("quantity", 1),
    )


async def item_mark(ctx: Context, args: dict[str, Any]) -> None:
    item = await _item(ctx, args.get("item_id"))
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
    plan_uuid = _uuid(args.get("plan_id"))
    plan, granted = await _decided(
        ctx,
        ("plan", plan_uuid),
        lambda: plan_access.plan(ctx.who, plan_uuid, ctx.action, deleted=True),
        _("This trip is not known yet."),
    )
    person = granted.person
    if person is None:
        raise Refused(_("A preview is not recorded."))
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
        _fields(args, conflicts.ITEM_FIELDS),
        client_time=parse_time(args.get("client_time")),
        writer=ctx.client_id,
    )


async def item_remove(ctx: Context, args: dict[str, Any]) -> None:
    await lists.remove_item(await _item(ctx, args.get("id")))


async def _step(ctx: Context, step_id: Any) -> tuple[Plan, PlanStep]:
    step_uuid = _uuid(step_id)
    plan, step, _granted = await _decided(
        ctx,
        ("step", step_uuid),
        lambda: plan_access.step(ctx.who, step_uuid, ctx.action),
        _("This step is not there any more."),
    )
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


@dataclass(frozen=True)
class Mutation:
    """A sync mutation: what it runs and the action it does (rules.Action), decided by the
    same domain access functions the pages use."""

    run: Callable[[Context, dict[str, Any]], Awaitable[None]]
    action: Action


MUTATIONS: dict[str, Mutation] = {
    "list.create": Mutation(list_create, Action.LIST_EDIT),
    "item.add": Mutation(item_add, Action.LIST_EDIT),
    "item.mark": Mutation(item_mark, Action.LIST_SHOP),
    "trip.event": Mutation(trip_event, Action.TRIP_RUN),
    "item.update": Mutation(item_update, Action.LIST_EDIT),
    "item.remove": Mutation(item_remove, Action.LIST_EDIT),
    "step.update": Mutation(step_update, Action.PLAN_EDIT),
    "step.remove": Mutation(step_remove, Action.PLAN_EDIT),
}


async def may_sync(who: Principal, family_id: uuid.UUID) -> bool:
    """Push and pull ask on every call: a caregiver whose invitation was revoked, or a phone
    that was unlinked, gets nothing more (the client's record remembers only who it was)."""
    try:
        await access.check(who, Action.LIST_VIEW, family_id)
    except (Hidden, Denied):
        return False
    return True


async def bind_client(who: Principal, client_id: uuid.UUID, family_id: Any) -> SyncClient:
    """The install's record; a client_id already bound to someone else is refused (403), and
    so is everyone who may not read the family any more, on every call (may_sync)."""
    client = await SyncClient.get_or_none(id=client_id)
    account_id = who.account.id if who.account and who.device is None else None
    device_id = who.device.id if who.device else None
    if client is not None:
        if client.account_id != account_id or client.device_id != device_id:
            raise HTTPException(403)
        if not await may_sync(who, client.family_id):
            raise HTTPException(403)
        return client
    if who.device is not None and who.person is not None:
        family_uuid = who.person.family_id
    else:
        try:
            family_uuid = parse_uuid(family_id)
        except BadId:
            raise FormErrors(
                {"family_id": _("Something in the request was wrong. Nothing was changed.")}
            ) from None
    if not await may_sync(who, family_uuid):
        raise HTTPException(404)
    try:
        return await SyncClient.create(
            id=client_id, family_id=family_uuid, account_id=account_id, device_id=device_id
        )
    except IntegrityError:  # two first pushes at once: the other one made it
        return await SyncClient.get(id=client_id)


async def run_one(ctx: Context, mutation: dict[str, Any]) -> str:
    """Apply one mutation inside a savepoint; its refusal (in words) or ""."""
    declared = MUTATIONS.get(str(mutation.get("name")))
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
