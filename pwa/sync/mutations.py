"""The sync mutations (SYNC.md, "Push"): each declares the action it does, and decides it with
the same domain access function a page uses (pwa/lists/access.py, pwa/plans/access.py …), then
runs the same service a form does. This is sync's equivalent of a route handler."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from pwa import conflicts
from pwa.auth.rules import Action, Denied, Hidden
from pwa.core import plain
from pwa.core.clock import parse_time
from pwa.core.ids import BadId, parse_uuid
from pwa.family.access import family_row
from pwa.i18n import _
from pwa.lists import access as list_access
from pwa.lists import services as lists
from pwa.models import Family, Plan, PlanStep, ShoppingList, Trip
from pwa.plans import access as plan_access
from pwa.plans import services as plans
from pwa.sync.services import Context, Refused, not_allowed
from pwa.trips import services as trips


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
    if row.family_id != ctx.family_id:
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
        await family_row(ctx.who, ctx.action, ctx.family_id, owner)
    except (Hidden, Denied):
        raise Refused(not_allowed()) from None
    family = await plain.by_id(Family, ctx.family_id)
    if family is None:  # a client's family cannot go without it (on delete cascade)
        raise Refused(not_allowed())
    await lists.create_list(
        family,
        list_id=_uuid(args.get("id")),
        name=str(args.get("name", "")),
        person_id=str(owner or ""),
        # A friendly shop (issue 18), checked by create_list as the form's choice is.
        shop_id=str(args.get("shop_id") or ""),
    )


async def item_add(ctx: Context, args: dict[str, Any]) -> None:
    shopping_list = await _list(ctx, args.get("list_id"))
    # An item may come with its plan B (issue 18), written as the item's page writes it, by
    # who may use that page (LIST_MANAGE: the guardians), checked before anything is added.
    plan_b = {k: args[k] for k in conflicts.PLAN_B_FIELDS if k in args}
    if plan_b:
        try:
            await list_access.shopping_list(ctx.who, shopping_list.id, Action.LIST_MANAGE)
        except (Hidden, Denied):
            raise Refused(not_allowed()) from None
    item = await lists.add_item(
        shopping_list,
        item_id=_uuid(args.get("id")),
        pictogram=str(args.get("pictogram", "")),
        photo_id=str(args.get("photo_id", "")),
        quantity=args.get("quantity", 1),
    )
    if plan_b:
        await lists.update_item(
            item,
            {k: "" if v is None else str(v) for k, v in plan_b.items()},
            client_time=parse_time(args.get("client_time")),
            writer=ctx.client_id,
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
        # The plan B the person used (issue 18), checked by mark_item.
        plan_b=str(args.get("plan_b") or ""),
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
    """{id, fields: {label|quantity|note|price|area|plan_b…: value}}: last writer wins per
    field (plan B's four as one); an item taken out stays out and the change is kept in its
    history."""
    item = await _item(ctx, args.get("id"))
    await lists.update_item(
        item,
        _fields(args, conflicts.ITEM_FIELDS),
        client_time=parse_time(args.get("client_time")),
        writer=ctx.client_id,
    )


async def item_quantity(ctx: Context, args: dict[str, Any]) -> None:
    """{id, quantity}: "One more" / "One less" on the person's own list (issue 18, item 9), as
    its form does it (LIST_EDIT); an item's other details stay the parents' (item.update)."""
    item = await _item(ctx, args.get("id"))
    await lists.update_item(
        item,
        {"quantity": str(args.get("quantity", ""))},
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
    # An item's details are the parents' tool, as on the item's page (LIST_MANAGE).
    "item.update": Mutation(item_update, Action.LIST_MANAGE),
    "item.remove": Mutation(item_remove, Action.LIST_EDIT),
    # The person's "One more" / "One less": the same action as the list page's form.
    "item.quantity": Mutation(item_quantity, Action.LIST_EDIT),
    "step.update": Mutation(step_update, Action.PLAN_EDIT),
    "step.remove": Mutation(step_remove, Action.PLAN_EDIT),
}
