"""The pages where lists are made and changed: thin handlers around the service functions in
pwa/lists/services.py. Parents use all of them; the person's phone uses the picker and the list page
when the guardian allows it (setting "can_plan")."""

from __future__ import annotations

import json
import uuid
from typing import Any

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from pwa import conflicts as history
from pwa.auth import sessions
from pwa.auth.routing import Route
from pwa.auth.rules import Action
from pwa.core import ids, plain, urls
from pwa.core.forms import FormErrors, read_form, safe_next
from pwa.core.pictograms import catalogue
from pwa.family import access as family_access
from pwa.i18n import _
from pwa.lists import access, rows
from pwa.lists import services as lists
from pwa.models import Family, ListItem, Person, Photo, ShoppingList
from pwa.shops import areas as shop_areas
from pwa.shops import services as shops
from pwa.templating import form_page, notify, render


def list_url(shopping_list: ShoppingList, fragment: str = "", page: int = 1) -> str:
    """The list page; `page`: which page of a very long list (issue 19)."""
    url = urls.url("list_page", list_id=shopping_list.id)
    if page > 1:
        url += f"?page={page}"
    return f"{url}#{fragment}" if fragment else url


def page_number(raw: str | None) -> int:
    """A page number from a link or a form; anything else is the first page. (isdecimal, not
    isdigit: int() cannot read every digit, "²".)"""
    return int(raw) if raw and raw.isdecimal() and len(raw) < 6 else 1


def redirect(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


# --- lists of a family -----------------------------------------------------------------------


async def family_lists(request: Request) -> Response:
    family, granted = await family_access.family_for(request)
    all_lists = (
        await ShoppingList.filter(family=family, deleted_at=None)
        .prefetch_related("person")
        .order_by("-created_at")
    )
    undo = None
    if undo_id := request.session.pop("undo_list", None):
        undo = await ShoppingList.get_or_none(id=undo_id, family=family, deleted_at__isnull=False)
    return render(
        request,
        "lists/index.html",
        {
            "undo": undo,
            "title": _("Shopping lists"),
            "family": family,
            "active": [x for x in all_lists if x.archived_at is None],
            "archived": [x for x in all_lists if x.archived_at is not None],
            "can_edit": granted.may(Action.LIST_MANAGE),
            "back_url": "/home",
        },
    )


async def list_form_context(family: Family, kept_shop_id: int | None = None) -> dict[str, Any]:
    people = await Person.filter(family=family).order_by("created_at")
    return {
        "people": people,
        "person_options": [(str(p.id), p.display_name) for p in people],
        # The friendly shops of the directory (their own order of areas, issue 18).
        "shop_options": await shops.shop_options(kept_shop_id),
    }


async def new_list(request: Request) -> Response:
    family, _access = await family_access.family_for(request)
    ctx = {
        "title": _("New shopping list"),
        "action": urls.url("new_list", family_id=family.id),
        "back_url": urls.url("family_lists", family_id=family.id),
        **await list_form_context(family),
    }
    people = ctx["people"]
    initial = {"id": str(uuid.uuid4()), "person_id": str(people[0].id) if people else ""}

    async def save(form: dict[str, str]) -> str:
        shopping_list = await lists.create_list(
            family,
            list_id=ids.form_id(form.get("id")),
            name=form.get("name", ""),
            person_id=form.get("person_id", ""),
            shop_id=form.get("shop_id", ""),
            budget=form.get("budget", ""),
        )
        notify(
            request,
            _("The list “%(name)s” is made. Now add things to it.", name=shopping_list.name),
        )
        return urls.url("picker", list_id=shopping_list.id)

    return await form_page(request, "lists/form.html", ctx, initial, save)


async def edit_list(request: Request) -> Response:
    shopping_list, _access = await access.list_for(request)
    family = await Family.get(id=shopping_list.family_id)
    ctx = {
        "title": _("Change the list"),
        "action": urls.url("edit_list", list_id=shopping_list.id),
        "back_url": list_url(shopping_list),
        **await list_form_context(family, shopping_list.shop_id),
    }
    initial = {
        "id": str(shopping_list.id),
        "name": shopping_list.name,
        "person_id": str(shopping_list.person_id or ""),
        "shop_id": str(shopping_list.shop_id or ""),
        "budget": money_input(shopping_list.budget),
    }

    async def save(form: dict[str, str]) -> str:
        await lists.update_list(
            shopping_list,
            name=form.get("name", ""),
            person_id=form.get("person_id", ""),
            shop_id=form.get("shop_id", ""),
            budget=form.get("budget", ""),
        )
        notify(request, _("The list is saved."))
        return list_url(shopping_list)

    return await form_page(request, "lists/form.html", ctx, initial, save)


def money_input(fen: int | None) -> str:
    return "" if fen is None else f"{fen // 100}.{fen % 100:02d}"


# --- one list --------------------------------------------------------------------------------


async def list_page(request: Request) -> Response:
    shopping_list, granted = await access.list_for(request)
    areas = [a.area for a in await shop_areas.ordered(shopping_list.shop_id)]
    # A very long list comes in pages (issue 19): ?page=2 and on, each LIST_PAGE things.
    shown = await lists.item_page(
        shopping_list, areas, page_number(request.query_params.get("page"))
    )
    # By their ids in statements written once (pwa/core/plain.py): the page is the list's
    # most shown, and building the ORM's queries cost more than reading the rows (issue 19).
    person = await plain.by_id(Person, shopping_list.person_id) if shopping_list.person_id else None
    is_person = granted.is_person
    can_edit = granted.may(Action.LIST_EDIT)
    can_manage = granted.may(Action.LIST_MANAGE)
    undo = None
    if undo_id := ids.uuid_or_none(request.session.pop("undo_item", None)):
        undo = await plain.by_id(ListItem, undo_id)
        if undo is not None and (undo.list_id != shopping_list.id or undo.deleted_at is None):
            undo = None
    return render(
        request,
        "lists/list.html",
        {
            "undo": undo,
            "new_id": str(uuid.uuid4()),
            "title": shopping_list.name,
            "list": shopping_list,
            "person": person,
            # In the order of the list's shop, as the shopping view shows it (issue 18).
            "groups": rows.list_rows(
                shopping_list.id,
                lists.group_by_area(shown.views, areas),
                is_person=is_person,
                can_edit=can_edit,
                can_manage=can_manage,
            ),
            "row_form": rows.ROW_FORM,
            "count": shown.count,
            "total": shown.total,
            "page": shown.page,
            "first_shown": (shown.page - 1) * lists.LIST_PAGE + 1,
            "last_shown": (shown.page - 1) * lists.LIST_PAGE + len(shown.views),
            "more": shown.more,
            "can_edit": can_edit,
            "can_manage": can_manage,
            "is_person": is_person,
            "back_url": "/me"
            if is_person
            else urls.url("family_lists", family_id=shopping_list.family_id),
        },
    )


async def picture_choices(family_id: Any, query: str, area: Any) -> tuple[list[Any], list[Photo]]:
    """The pictures and family photos a picker shows: those a search finds, or an area's
    (the add-item picker and plan B's, issue 18); none for neither."""
    if query:
        folded = query.casefold()
        found = await Photo.filter(family_id=family_id).order_by("-created_at")
        return catalogue().search(query), [p for p in found if folded in p.label.casefold()]
    if area is not None:
        in_area = await Photo.filter(family_id=family_id, area=area.id).order_by("-created_at")
        return catalogue().in_area(area.id), list(in_area)
    return [], []


async def picker(request: Request) -> Response:
    """Add things: shop areas as picture tiles, then the pictures of one area; parents can also
    search in either language, use "bought before", or add their own photo."""
    shopping_list, granted = await access.list_for(request)
    simple = granted.is_person
    area = catalogue().area(request.query_params.get("area", ""))
    query = "" if simple else request.query_params.get("q", "").strip()[:40]
    on_list = {
        (item.photo_id and str(item.photo_id)) or item.pictogram: item
        for item in await ListItem.filter(list=shopping_list, deleted_at=None)
    }
    choices, photos = await picture_choices(shopping_list.family_id, query, area)
    before: list[Any] = []
    if not query and area is None and not simple:
        before = await lists.bought_before(shopping_list.family_id, shopping_list)
    here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    title = (
        area.label if area and not query else _("Add things to “%(name)s”", name=shopping_list.name)
    )
    return render(
        request,
        "lists/add.html",
        {
            "title": title,
            "list": shopping_list,
            "area": area,
            "areas": catalogue().areas,
            "query": query,
            "searched": "q" in request.query_params and not simple,
            "choices": choices,
            "photos": photos,
            "before": before,
            "on_list": on_list,
            "simple": simple,
            "here": here,
            "new_id": lambda: str(uuid.uuid4()),
            "back_url": urls.url("picker", list_id=shopping_list.id)
            if area or query
            else list_url(shopping_list),
        },
    )


async def add_item(request: Request) -> Response:
    shopping_list, _access = await access.list_for(request)
    form = await read_form(request)
    back = safe_next(form.get("next"), list_url(shopping_list))
    try:
        item = await lists.add_item(
            shopping_list,
            item_id=ids.form_id(form.get("item_id")),
            pictogram=form.get("pictogram", ""),
            photo_id=form.get("photo_id", ""),
            quantity=form.get("quantity", "1"),
        )
    except FormErrors as exc:
        notify(request, next(iter(exc.errors.values())), "warning")
        return redirect(back)
    label = await item_label(item)
    notify(request, _("%(label)s: %(n)s on the list.", label=label, n=item.quantity))
    return redirect(back)


async def item_label(item: ListItem) -> str:
    return (await lists.one_item_view(item)).label


async def edit_item(request: Request) -> Response:
    shopping_list, item, _access = await access.item_for(request)
    view = await lists.one_item_view(item)
    ctx = {
        "title": _("Change “%(label)s”", label=view.label),
        "list": shopping_list,
        "item": item,
        "view": view,
        "area_options": lists.area_options(),
        "quantity_options": lists.QUANTITY_OPTIONS,
        "plan_b_options": plan_b_options(),
        "back_url": list_url(shopping_list),
    }
    initial = {
        "label": view.label,
        "quantity": str(item.quantity),
        "note": item.note,
        "price": money_input(item.price),
        "area": item.area,
        "plan_b": item.plan_b,
        "plan_b_label": item.plan_b_label,
    }
    # What the form showed: only the fields changed here are written, so a change another
    # device made meanwhile to another field stays.
    initial["was"] = json.dumps(initial)

    async def save(form: dict[str, str]) -> str:
        raw = history.changed_fields(form, history.ITEM_FIELDS)
        kept = await lists.update_item(
            item, raw, writer=sessions.sync_key(sessions.principal(request))
        )
        if not kept:
            notify(request, history.taken_out_words(), "warning")
            return urls.url("list_history", list_id=shopping_list.id)
        notify(request, _("“%(label)s” is saved.", label=await item_label(item)))
        return list_url(shopping_list, fragment=f"item-{item.id}")

    return await form_page(request, "lists/item.html", ctx, initial, save)


def plan_b_options() -> list[tuple[str, str]]:
    """The item page's "If it is not there" choices (issue 18), with what each does."""
    words = history.plan_b_words()
    return [
        ("", _("Nothing chosen: it is marked not found")),
        ("other", words["other"]),
        ("ask", words["ask"]),
        ("leave", words["leave"]),
    ]


async def plan_b_picker(request: Request) -> Response:
    """Choose the other item of plan B: the picker's search and shop areas, each picture (or a
    family photo) a form that saves it as "take this instead"."""
    shopping_list, item, _access = await access.item_for(request)
    item_page = urls.url("edit_item", list_id=shopping_list.id, item_id=item.id)
    if request.method == "POST":
        form = await read_form(request)
        raw = {
            "plan_b": "other",
            "plan_b_pictogram": form.get("pictogram", ""),
            "plan_b_photo_id": form.get("photo_id", ""),
            "plan_b_label": "",
        }
        try:
            await lists.update_item(
                item, raw, writer=sessions.sync_key(sessions.principal(request))
            )
        except FormErrors as exc:
            notify(request, next(iter(exc.errors.values())), "warning")
            return redirect(str(request.url))
        view = await lists.one_item_view(item)
        notify(request, _("Plan B is saved: take %(other)s instead.", other=view.plan_b_label))
        return redirect(item_page)
    view = await lists.one_item_view(item)
    area = catalogue().area(request.query_params.get("area", ""))
    query = request.query_params.get("q", "").strip()[:40]
    choices, photos = await picture_choices(shopping_list.family_id, query, area)
    here = urls.url("plan_b_picker", list_id=shopping_list.id, item_id=item.id)
    return render(
        request,
        "lists/plan_b.html",
        {
            "title": _("If “%(label)s” is not there, take this instead", label=view.label),
            "list": shopping_list,
            "item": item,
            "view": view,
            "here": here,
            "area": area,
            "areas": catalogue().areas,
            "query": query,
            "searched": "q" in request.query_params,
            "choices": choices,
            "photos": photos,
            "back_url": here if area or query else item_page,
        },
    )


async def item_action(request: Request) -> Response:
    """Move up / Move down, one more / one less, remove and undo: small posts from the list page."""
    shopping_list, item, _access = await access.item_for(request)
    form = await read_form(request)
    action = request.path_params["action"]
    label = await item_label(item)
    if action == "move":
        await lists.move_item(item, form.get("direction", ""))
    elif action == "quantity":
        step = 1 if form.get("direction") == "more" else -1
        new = item.quantity + step
        if 1 <= new <= lists.MAX_QUANTITY:
            await lists.update_item(
                item, {"quantity": str(new)}, writer=sessions.sync_key(sessions.principal(request))
            )
            notify(request, _("%(label)s: %(n)s on the list.", label=label, n=new))
    elif action == "remove":
        await lists.remove_item(item)
        request.session["undo_item"] = str(item.id)
        notify(request, _("“%(label)s” is taken off the list.", label=label))
    elif action == "restore":
        await lists.restore_item(item)
        notify(request, _("“%(label)s” is back on the list.", label=label))
    else:
        raise ids.not_found()
    # Back to the page of the list the button was on (a very long list has several).
    page = page_number(form.get("page"))
    return redirect(
        list_url(shopping_list, fragment=f"item-{item.id}", page=page)
        if action != "remove"
        else list_url(shopping_list, page=page)
    )


async def list_action(request: Request) -> Response:
    """Duplicate, archive, put back from the archive."""
    shopping_list, _access = await access.list_for(request)
    form = await read_form(request)
    action = request.path_params["action"]
    if action == "duplicate":
        try:
            copy = await lists.duplicate_list(shopping_list, new_id=ids.form_id(form.get("new_id")))
        except FormErrors as exc:
            notify(request, next(iter(exc.errors.values())), "warning")
            return redirect(list_url(shopping_list))
        notify(request, _("This is a copy of “%(name)s”.", name=shopping_list.name))
        return redirect(list_url(copy))
    if action == "start-again":
        await lists.start_again(shopping_list, reset_id=ids.form_id(form.get("reset_id")))
        notify(request, _("Every item is unticked. The list is ready for the next trip."))
        return redirect(list_url(shopping_list))
    if action in ("archive", "unarchive"):
        await lists.archive_list(shopping_list, archived=action == "archive")
        text = (
            _("“%(name)s” is put away in the archive.", name=shopping_list.name)
            if action == "archive"
            else _("“%(name)s” is back with the lists.", name=shopping_list.name)
        )
        notify(request, text)
        return redirect(urls.url("family_lists", family_id=shopping_list.family_id))
    raise ids.not_found()


async def delete_list(request: Request) -> Response:
    shopping_list, _access = await access.list_for(request)
    if request.method == "GET":
        count = await ListItem.filter(list=shopping_list, deleted_at=None).count()
        return render(
            request,
            "lists/delete.html",
            {
                "title": _("Delete “%(name)s”?", name=shopping_list.name),
                "list": shopping_list,
                "count": count,
                "back_url": list_url(shopping_list),
            },
        )
    await lists.delete_list(shopping_list)
    request.session["undo_list"] = str(shopping_list.id)
    notify(request, _("The list “%(name)s” is deleted.", name=shopping_list.name))
    return redirect(urls.url("family_lists", family_id=shopping_list.family_id))


async def restore_list(request: Request) -> Response:
    shopping_list, _access = await access.list_for(request, deleted=True)
    await lists.restore_list(shopping_list)
    request.session.pop("undo_list", None)
    notify(request, _("The list “%(name)s” is back.", name=shopping_list.name))
    return redirect(list_url(shopping_list))


# --- earlier changes (pwa/conflicts.py) ------------------------------------------------------


async def list_history(request: Request) -> Response:
    shopping_list, _access = await access.list_for(request)
    items = await ListItem.filter(list=shopping_list)
    names = {item.id: item.label or await lists.default_label(item) for item in items}
    return render(
        request,
        "history/history.html",
        {
            "title": _("Earlier changes to “%(name)s”", name=shopping_list.name),
            "entries": await history.entries(shopping_list.family_id, shopping_list.id, names),
            "put_back_url": lambda entry_id: urls.url(
                "put_back_item", list_id=shopping_list.id, entry_id=entry_id
            ),
            "back_url": list_url(shopping_list),
        },
    )


async def put_back_item(request: Request) -> Response:
    """POST /lists/{id}/history/{entry_id}: put one earlier value of an item back."""
    shopping_list, _access = await access.list_for(request)
    entry = await history.entry_of(shopping_list, "item", request.path_params["entry_id"])
    await history.put_back(entry, writer=sessions.sync_key(sessions.principal(request)))
    notify(request, _("The earlier value is back."))
    return redirect(urls.url("list_history", list_id=shopping_list.id))


A = Action
routes = [
    Route("/families/{family_id}/lists", family_lists, action=A.FAMILY_VIEW),
    Route(
        "/families/{family_id}/lists/new", new_list, methods=["GET", "POST"], action=A.LIST_MANAGE
    ),
    Route("/lists/{list_id}", list_page, action=A.LIST_VIEW),
    Route("/lists/{list_id}/edit", edit_list, methods=["GET", "POST"], action=A.LIST_MANAGE),
    Route("/lists/{list_id}/add", picker, action=A.LIST_EDIT),
    Route("/lists/{list_id}/items", add_item, methods=["POST"], action=A.LIST_EDIT),
    Route(
        "/lists/{list_id}/items/{item_id}",
        edit_item,
        methods=["GET", "POST"],
        action=A.LIST_MANAGE,
    ),
    # Before item_action, whose path would take "plan-b" as an action.
    Route(
        "/lists/{list_id}/items/{item_id}/plan-b",
        plan_b_picker,
        methods=["GET", "POST"],
        action=A.LIST_MANAGE,
    ),
    Route(
        "/lists/{list_id}/items/{item_id}/{action:str}",
        item_action,
        methods=["POST"],
        action=A.LIST_EDIT,
    ),
    Route("/lists/{list_id}/delete", delete_list, methods=["GET", "POST"], action=A.LIST_MANAGE),
    Route("/lists/{list_id}/restore", restore_list, methods=["POST"], action=A.LIST_MANAGE),
    Route("/lists/{list_id}/{action:str}", list_action, methods=["POST"], action=A.LIST_MANAGE),
    Route("/lists/{list_id}/history", list_history, action=A.LIST_MANAGE),
    Route(
        "/lists/{list_id}/history/{entry_id}", put_back_item, methods=["POST"], action=A.LIST_MANAGE
    ),
]
