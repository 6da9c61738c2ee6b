"""The shopping view: big picture cards to tick in the shop, for the parent and on the person's
phone. The page is a shell plus the list's data as JSON; static/js/shopping.js draws the cards
from that data and keeps ticks on the phone until the server has them (SYNC.md, "Where offline
lives"), so the offline issue only has to swap where the data comes from.
"""

from __future__ import annotations

import uuid
from typing import Any

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from pwa import i18n
from pwa.auth import sessions
from pwa.auth.routing import Route
from pwa.auth.rules import Action
from pwa.core import clock, ids, person_settings, urls
from pwa.core.clock import parse_time
from pwa.core.forms import FormErrors, read_form
from pwa.core.pictograms import catalogue, pictogram_url
from pwa.family import access as family_access
from pwa.i18n import _
from pwa.lists import access
from pwa.lists import services as lists
from pwa.models import ListItem, Person, ShoppingList, Voucher, VoucherStatus, current_change_seq
from pwa.shops import areas as shop_areas
from pwa.templating import notify, render


def shopping_data(
    shopping_list: ShoppingList,
    views: list[lists.ItemView],
    settings: dict[str, Any],
    cursor: int,
    areas: list[shop_areas.ShopAreaView] | None = None,
) -> dict[str, Any]:
    """Everything the shopping view draws, in the page's language. `cursor` is the server
    sequence the page has seen: the phone draws only later pulled rows on top of it. Every
    shop area is there, for items another device adds, in the order of the list's shop
    (`areas`, issue 18) with its photos, so the phone offline draws the same."""
    if areas is None:
        areas = [shop_areas.ShopAreaView(a, "") for a in catalogue().areas]
    return {
        "list": {"id": str(shopping_list.id), "name": shopping_list.name},
        "cursor": cursor,
        "areas": [
            {
                "id": a.area.id,
                "label": a.area.label,
                "picture": pictogram_url(a.area.code),
                "photo": a.photo_url,
            }
            for a in areas
        ],
        "items": [v.as_data() for v in views],
        "hide_prices": settings["hide_prices"],
        "read_aloud": settings["read_aloud"],
        "budget": shopping_list.budget,
    }


async def shop_view(request: Request) -> Response:
    shopping_list, granted = await access.list_for(request)
    person = (
        await Person.get_or_none(id=shopping_list.person_id) if shopping_list.person_id else None
    )
    settings = person_settings.effective(person.settings if person else None)
    # Read before the items: a change made meanwhile is pulled again rather than missed.
    cursor = await current_change_seq()
    views = await lists.item_views(shopping_list, with_states=True)
    # The list's shop's own order of its areas and their photos (issue 18).
    areas = await shop_areas.ordered(shopping_list.shop_id)
    data = shopping_data(shopping_list, views, settings, cursor, areas)
    is_person = granted.is_person
    total = lists.estimated_total(views)
    # Before the trip: the estimated total beside what the family's vouchers still hold.
    voucher_money = await Voucher.filter(
        family_id=shopping_list.family_id,
        status=VoucherStatus.ACTIVE,
        balance__gt=0,
        valid_until__gt=clock.now(),
    ).values_list("balance", flat=True)
    # Opened from a trip's "find the items" step: the way back is to the trip.
    from_plan = request.query_params.get("from_plan", "")
    from_plan_id = ids.uuid_or_none(from_plan)
    trip_url = urls.url("trip_mode", plan_id=from_plan_id) if from_plan_id else ""
    back_url = trip_url or ("/me" if is_person else urls.url("list_page", list_id=shopping_list.id))
    return render(
        request,
        "lists/shop.html",
        {
            "title": shopping_list.name,
            "list": shopping_list,
            "data": data,
            "groups": lists.group_by_area(views, [a.area for a in areas]),
            "area_photos": {a.area.id: a.photo_url for a in areas if a.photo_url},
            "done": sum(1 for v in views if v.state == "ticked"),
            "not_found": sum(1 for v in views if v.state == "not_found"),
            "count": len(views),
            "total": None if settings["hide_prices"] else total,
            "budget": None if settings["hide_prices"] else shopping_list.budget,
            "voucher_money": None
            if settings["hide_prices"]
            or not voucher_money
            or (not granted.may(Action.WALLET_VIEW) and not is_person)
            else sum(voucher_money),
            "can_tick": granted.may(Action.LIST_SHOP),
            "can_run_trip": granted.may(Action.TRIP_RUN),
            "can_change": is_person and granted.may(Action.LIST_EDIT),
            "read_aloud": settings["read_aloud"],
            "new_id": lambda: str(uuid.uuid4()),
            # The <template> shopping.js clones; it fills every part from the list's data.
            "template_view": lists.ItemView(
                id="", label="", picture_url="", quantity=1, note="", price=None, area=""
            ),
            "trip_url": trip_url,
            "back_url": back_url,
            "sync_who": sessions.sync_key(sessions.principal(request)),
            "family_id": shopping_list.family_id,
        },
    )


async def mark_form(request: Request) -> Response:
    """Without JavaScript: the card's buttons are plain forms."""
    shopping_list, item, _access = await access.item_for(request)
    form = await read_form(request)
    try:
        await record_mark(
            request,
            item,
            form.get("mark_id"),
            form.get("state", ""),
            None,
            plan_b=form.get("plan_b", ""),
        )
    except FormErrors as exc:
        notify(request, next(iter(exc.errors.values())), "warning")
    return RedirectResponse(
        urls.url("shop_view", list_id=shopping_list.id, fragment=f"item-{item.id}"),
        status_code=303,
    )


async def record_mark(
    request: Request,
    item: ListItem,
    mark_id: Any,
    state: str,
    client_time: Any,
    *,
    plan_b: str = "",
) -> None:
    who = sessions.principal(request)
    await lists.mark_item(
        item,
        mark_id=ids.form_id(mark_id),
        state=state,
        client_time=parse_time(client_time),
        device=who.device,
        account=who.account if who.device is None else None,
        plan_b=plan_b,
    )


# --- the person's own lists ------------------------------------------------------------------


async def new_person_list(request: Request) -> Response:
    """The person makes a list on their phone, when the guardian allows it."""
    person, _access = await family_access.own_person_for(request)
    form = await read_form(request)
    family = person.family
    name = _("My list, %(date)s", date=i18n.format_date(clock.now(), "medium"))
    try:
        shopping_list = await lists.create_list(
            family,
            list_id=ids.form_id(form.get("id")),
            name=name,
            person_id=str(person.id),
        )
    except FormErrors as exc:
        notify(request, next(iter(exc.errors.values())), "warning")
        return RedirectResponse("/me", status_code=303)
    return RedirectResponse(urls.url("picker", list_id=shopping_list.id), status_code=303)


routes = [
    Route("/lists/{list_id}/shop", shop_view, action=Action.LIST_VIEW),
    Route(
        "/lists/{list_id}/items/{item_id}/mark",
        mark_form,
        methods=["POST"],
        action=Action.LIST_SHOP,
    ),
    # The person's own new list: the same rule as any change to a list of theirs (can_plan).
    Route("/me/lists", new_person_list, methods=["POST"], action=Action.LIST_EDIT),
]
