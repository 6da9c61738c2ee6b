"""Shopping lists: the service functions that change them, and the views pages read.

Every writer takes the id the client made for the new row (a hidden field in the form, or the
phone's own id), so a form sent twice or a change replayed by the offline sync (issue 6) finds
what it already made instead of making it again.
"""

from __future__ import annotations

import operator
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any

from fractional_indexing import FIError, generate_key_between, generate_n_keys_between
from tortoise import connections
from tortoise.expressions import Q
from tortoise.transactions import in_transaction

from pwa import conflicts as history
from pwa import i18n
from pwa.core import clock, ids, money, plain, urls
from pwa.core.forms import FormErrors
from pwa.core.pictograms import Area, Pictogram, catalogue, pictogram_url
from pwa.i18n import _
from pwa.models import (
    Account,
    DeviceLink,
    Family,
    ItemMark,
    ListItem,
    MarkState,
    Organisation,
    Person,
    Photo,
    ShoppingList,
)
from pwa.shops.directory import chosen_shop

MAX_QUANTITY = 10
# Plan B, when the item is not there (issue 18): take another item, ask the staff, leave it.
PLAN_B_CHOICES = ("other", "ask", "leave")
# Up to this many, the quantity is shown as that many pictures; above it, one picture and "× N".
PICTURES_UP_TO = 5
MAX_PRICE_FEN = 100_000_00
NAME_MAX = 60


def parse_money(text: str, field: str) -> int | None:
    """ "12", "12.5", "¥12.50" → fen; empty → None; anything else is a form error."""
    return money.parse_fen(text, field=field, maximum=MAX_PRICE_FEN)


def parse_quantity(text: str | int) -> int:
    try:
        quantity = int(text)
    except (TypeError, ValueError):
        quantity = 0
    if not 1 <= quantity <= MAX_QUANTITY:
        raise FormErrors({"quantity": _("Choose a number from 1 to 10.")})
    return quantity


def _check_name(name: str) -> str:
    name = name.strip()
    if not name:
        raise FormErrors({"name": _("Write a name for the list.")})
    if len(name) > NAME_MAX:
        raise FormErrors({"name": _("The name can have at most 60 characters.")})
    return name


# --- lists -----------------------------------------------------------------------------------


async def create_list(
    family: Family,
    *,
    list_id: uuid.UUID,
    name: str,
    person_id: str = "",
    shop_id: str = "",
    budget: str = "",
) -> ShoppingList:
    existing = await ShoppingList.get_or_none(id=list_id)
    if existing is not None:
        _same_family(existing.family_id, family.id)
        return existing
    fields = await _list_fields(
        family, name=name, person_id=person_id, shop_id=shop_id, budget=budget
    )
    return await ShoppingList.create(id=list_id, family=family, **fields)


async def update_list(
    shopping_list: ShoppingList, *, name: str, person_id: str, shop_id: str, budget: str
) -> None:
    family = await Family.get(id=shopping_list.family_id)
    fields = await _list_fields(
        family,
        name=name,
        person_id=person_id,
        shop_id=shop_id,
        budget=budget,
        kept_shop_id=shopping_list.shop_id,
    )
    shopping_list.update_from_dict(fields)
    await shopping_list.save()


async def _list_fields(
    family: Family,
    *,
    name: str,
    person_id: str,
    shop_id: str,
    budget: str,
    kept_shop_id: int | None = None,
) -> dict[str, Any]:
    errors: dict[str, str] = {}
    fields: dict[str, Any] = {"person": None, "shop": None}
    try:
        fields["name"] = _check_name(name)
    except FormErrors as exc:
        errors.update(exc.errors)
    if person_id:
        person = await _get_or_none(Person, person_id, family=family)
        if person is None:
            errors["person_id"] = _("Choose one of the people.")
        fields["person"] = person
    # A friendly shop from the directory (issue 18: its own order of areas); the list's shop
    # as it was stays chosen even if the shop is no longer friendly.
    try:
        fields["shop"] = await chosen_shop(shop_id, kept_shop_id)
    except FormErrors as exc:
        errors.update(exc.errors)
    try:
        fields["budget"] = parse_money(budget, "budget")
    except FormErrors as exc:
        errors.update(exc.errors)
    if errors:
        raise FormErrors(errors)
    return fields


async def duplicate_list(shopping_list: ShoppingList, *, new_id: uuid.UUID) -> ShoppingList:
    existing = await ShoppingList.get_or_none(id=new_id)
    if existing is not None:
        _same_family(existing.family_id, shopping_list.family_id)
        return existing
    name = _("%(name)s (copy)", name=shopping_list.name)[:NAME_MAX]
    async with in_transaction():
        copy = await ShoppingList.create(
            id=new_id,
            family_id=shopping_list.family_id,
            person_id=shopping_list.person_id,
            shop_id=shopping_list.shop_id,
            budget=shopping_list.budget,
            name=name,
        )
        # One by one, not bulk_create: each copy takes its place in the sync sequence.
        for item in await ListItem.filter(list=shopping_list, deleted_at=None):
            await ListItem.create(
                id=uuid.uuid4(),
                family_id=item.family_id,
                list=copy,
                pictogram=item.pictogram,
                photo_id=item.photo_id,
                label=item.label,
                quantity=item.quantity,
                note=item.note,
                price=item.price,
                area=item.area,
                position=item.position,
                plan_b=item.plan_b,
                plan_b_pictogram=item.plan_b_pictogram,
                plan_b_photo_id=item.plan_b_photo_id,
                plan_b_label=item.plan_b_label,
            )
    return copy


async def archive_list(shopping_list: ShoppingList, *, archived: bool) -> None:
    if archived and shopping_list.archived_at is None:
        shopping_list.archived_at = clock.now()
    elif not archived:
        shopping_list.archived_at = None
    await shopping_list.save(update_fields=["archived_at", "updated_at"])


async def delete_list(shopping_list: ShoppingList) -> None:
    """Kept, marked deleted, so the parent can undo it."""
    if shopping_list.deleted_at is None:
        shopping_list.deleted_at = clock.now()
        await shopping_list.save(update_fields=["deleted_at", "updated_at"])


async def restore_list(shopping_list: ShoppingList) -> None:
    shopping_list.deleted_at = None
    await shopping_list.save(update_fields=["deleted_at", "updated_at"])


# --- items -----------------------------------------------------------------------------------


async def add_item(
    shopping_list: ShoppingList,
    *,
    item_id: uuid.UUID,
    pictogram: str = "",
    photo_id: str = "",
    quantity: str | int = 1,
) -> ListItem:
    """Put a picture on the list. Sent again for the same item id, it sets the quantity (and
    puts a thing taken off back): the phone's planner sends a known id on purpose for "one
    more" and for undo, so the id is always looked up first."""
    count = parse_quantity(quantity)
    existing = await plain.by_id(ListItem, item_id)
    if existing is not None:
        if existing.list_id != shopping_list.id:
            raise FormErrors({"id": _("This form is old. Reload the page and try again.")})
        existing.quantity = count
        existing.deleted_at = None
        await existing.save(update_fields=["quantity", "deleted_at", "updated_at"])
        return existing
    photo = None
    if photo_id:
        photo = await _get_or_none(Photo, photo_id, family_id=shopping_list.family_id)
        if photo is None:
            raise FormErrors({"photo_id": _("This photo is not there any more.")})
        area = photo.area
    else:
        picture = catalogue().get(pictogram)
        if picture is None:
            raise FormErrors({"pictogram": _("Choose one of the pictures.")})
        area = picture.area
    last = await plain.rows("last_position", _last_position_sql, [str(shopping_list.id)])
    return await ListItem.create(
        id=item_id,
        family_id=shopping_list.family_id,
        list=shopping_list,
        pictogram="" if photo else pictogram,
        photo=photo,
        quantity=count,
        area=area,
        position=generate_key_between(last[0]["position"] if last else None, None),
    )


def _last_position_sql(dialect: str) -> str:
    """The list's last position (deleted items too), as _position_sql compares them."""
    return (
        f'SELECT position FROM "{ListItem._meta.db_table}" WHERE list_id = ? '
        f"ORDER BY {_position_sql(dialect)} DESC LIMIT 1"
    )


async def update_item(
    item: ListItem, raw: dict[str, str], *, client_time: datetime | None = None, writer: str = ""
) -> bool:
    """Change some of an item's fields (label, quantity, note, price, area, plan B; only those
    given), each by last writer wins (pwa/conflicts.py). Returns False when the item was taken
    off the list meanwhile: the change is kept in its history and nothing else changes."""
    errors: dict[str, str] = {}
    values: dict[str, Any] = {}
    if set(raw) & set(history.PLAN_B_FIELDS):
        try:
            values.update(await _plan_b_values(item, raw))
        except FormErrors as exc:
            errors.update(exc.errors)
    if "label" in raw:
        label = str(raw["label"]).strip()
        if len(label) > NAME_MAX:
            errors["label"] = _("The name can have at most 60 characters.")
        values["label"] = "" if label == await default_label(item) else label
    if "note" in raw:
        values["note"] = str(raw["note"]).strip()
        if len(values["note"]) > 100:
            errors["note"] = _("The note can have at most 100 characters.")
    if "area" in raw:
        values["area"] = str(raw["area"])
        if catalogue().area(values["area"]) is None:
            errors["area"] = _("Choose one of the shop areas.")
    parsers: tuple[tuple[str, Callable[[Any], int | None]], ...] = (
        ("quantity", lambda text: parse_quantity(text)),
        ("price", lambda text: parse_money(str(text), "price")),
    )
    for field, parse in parsers:
        if field in raw:
            try:
                values[field] = parse(raw[field])
            except FormErrors as exc:
                errors.update(exc.errors)
    if errors:
        raise FormErrors(errors)
    return await history.write_fields(
        item, values, client_time=client_time or clock.now(), writer=writer
    )


async def _plan_b_values(item: ListItem, raw: dict[str, Any]) -> dict[str, Any]:
    """The item's plan B after a change to any of its fields: all four, checked together (the
    ones not given stay as they are), so they are written, and win or lose, as one choice."""
    choice = str(raw.get("plan_b", item.plan_b) or "").strip()
    pictogram = str(raw.get("plan_b_pictogram", item.plan_b_pictogram) or "").strip()
    photo_text = str(raw.get("plan_b_photo_id", item.plan_b_photo_id) or "").strip()
    label = str(raw.get("plan_b_label", item.plan_b_label) or "").strip()
    # A picture or a photo, never both: the one just given replaces the other.
    if raw.get("plan_b_photo_id"):
        pictogram = ""
    elif raw.get("plan_b_pictogram"):
        photo_text = ""
    errors: dict[str, str] = {}
    if choice not in ("", *PLAN_B_CHOICES):
        errors["plan_b"] = _("Choose one of the choices.")
    if pictogram and catalogue().get(pictogram) is None:
        errors["plan_b_pictogram"] = _("Choose one of the pictures.")
    photo = None
    if photo_text:
        photo = await _get_or_none(Photo, photo_text, family_id=item.family_id)
        if photo is None:
            errors["plan_b_photo_id"] = _("This photo is not there any more.")
    if choice == "other" and not pictogram and not photo_text and "plan_b" not in errors:
        errors["plan_b"] = _("Choose the picture of the other item.")
    if len(label) > NAME_MAX:
        errors["plan_b_label"] = _("The name can have at most 60 characters.")
    if errors:
        raise FormErrors(errors)
    return {
        "plan_b": choice,
        "plan_b_pictogram": pictogram,
        "plan_b_photo_id": photo.id if photo else None,
        "plan_b_label": label,
    }


async def move_item(item: ListItem, direction: str) -> None:
    """Move up / Move down inside the item's shop area, as the list shows it."""
    siblings = sorted_items(
        await ListItem.filter(list_id=item.list_id, area=item.area, deleted_at=None)
    )
    index = next(i for i, sibling in enumerate(siblings) if sibling.id == item.id)
    if not (direction == "up" and index > 0) and not (
        direction == "down" and index < len(siblings) - 1
    ):
        return
    try:
        item.position = _moved_position(siblings, index, direction)
    except FIError:
        # Two things with the same position (added at the same moment, each after the same
        # last one): no key lies between them. The area's things get fresh positions in the
        # order shown, then the move is made.
        for sibling, key in zip(
            siblings, generate_n_keys_between(None, None, len(siblings)), strict=True
        ):
            if sibling.position != key:
                sibling.position = key
                await sibling.save(update_fields=["position", "updated_at"])
        item.position = _moved_position(siblings, index, direction)
    await item.save(update_fields=["position", "updated_at"])


def _moved_position(siblings: list[ListItem], index: int, direction: str) -> str:
    if direction == "up":
        before = siblings[index - 2].position if index > 1 else None
        return str(generate_key_between(before, siblings[index - 1].position))
    after = siblings[index + 2].position if index + 2 < len(siblings) else None
    return str(generate_key_between(siblings[index + 1].position, after))


async def remove_item(item: ListItem) -> None:
    if item.deleted_at is None:
        item.deleted_at = clock.now()
        await item.save(update_fields=["deleted_at", "updated_at"])


async def restore_item(item: ListItem) -> None:
    item.deleted_at = None
    await item.save(update_fields=["deleted_at", "updated_at"])


async def mark_item(
    item: ListItem,
    *,
    mark_id: uuid.UUID,
    state: str,
    client_time: datetime | None = None,
    device: DeviceLink | None = None,
    account: Account | None = None,
    once: bool = False,
    plan_b: str = "",
) -> ItemMark:
    """Tick, "I can't find it" or undo: an event appended once, however often it is sent.
    `once`: the caller already makes sure of that (the sync op log applies each mutation
    once), so the look-up is skipped and a reused id fails at the insert. `plan_b`: the plan B
    the person used (issue 18): with "not found", "other" (took the other item), "ask" or
    "leave"; asking the staff can also end with the item in the basket."""
    existing = None if once else await plain.by_id(ItemMark, mark_id)
    if existing is not None:
        if existing.item_id != item.id:
            raise FormErrors({"id": _("This form is old. Reload the page and try again.")})
        return existing
    try:
        mark_state = MarkState(state)
    except ValueError:
        raise FormErrors({"state": _("Choose one of the choices.")}) from None
    plan_b = plan_b or ""
    allowed = {MarkState.NOT_FOUND: PLAN_B_CHOICES, MarkState.TICKED: ("ask",)}
    if plan_b and plan_b not in allowed.get(mark_state, ()):
        raise FormErrors({"plan_b": _("Choose one of the choices.")})
    return await ItemMark.create(
        id=mark_id,
        family_id=item.family_id,
        item=item,
        state=mark_state,
        plan_b=plan_b,
        client_time=client_time or clock.now(),
        device=device,
        account=account,
    )


async def start_again(shopping_list: ShoppingList, *, reset_id: uuid.UUID) -> None:
    """Untick every item for the next trip: one "cleared" mark per item, made once per reset."""
    for item in await ListItem.filter(list=shopping_list, deleted_at=None):
        await mark_item(item, mark_id=uuid.uuid5(reset_id, str(item.id)), state="cleared")


# --- reading ---------------------------------------------------------------------------------


async def person_lists(person: Person) -> list[ShoppingList]:
    """The lists the person's phone shows: made for them, or for nobody in particular."""
    return (
        await ShoppingList.filter(family_id=person.family_id, deleted_at=None, archived_at=None)
        .filter(Q(person_id=person.id) | Q(person_id=None))
        .order_by("-created_at")
    )


def sorted_items(items: list[ListItem]) -> list[ListItem]:
    """Shop areas in the catalogue's order, then position; ties broken by id (SYNC.md).
    Sorted here, not in SQL, so the order is the same on SQLite and PostgreSQL collations."""
    order = catalogue().area_order()
    return sorted(items, key=lambda i: (order.get(i.area, len(order)), i.position, str(i.id)))


async def newest_marks(items: list[ListItem]) -> dict[uuid.UUID, ItemMark]:
    """The newest mark of each item by (client_time, id), the order every device uses.

    The database picks them (a window over the item_mark (item_id, client_time) index): a list
    used every week has hundreds of marks, and reading each into Python was most of the cost of
    the phone's list screen (bench/load.py)."""
    if not items:
        return {}
    # The ids are our own rows' UUIDs, so they are safe to write into the statement; the same
    # text works on SQLite and PostgreSQL, whose placeholders differ.
    ids = ", ".join(f"'{uuid.UUID(str(item.id))}'" for item in items)
    rows = await connections.get("default").execute_query_dict(
        "SELECT id FROM (SELECT id, ROW_NUMBER() OVER (PARTITION BY item_id "
        "ORDER BY client_time DESC, id DESC) AS place "
        f"FROM item_mark WHERE item_id IN ({ids})) AS ranked WHERE place = 1"
    )
    if not rows:
        return {}
    marks = await ItemMark.filter(id__in=[row["id"] for row in rows])
    return {mark.item_id: mark for mark in marks}


async def item_states(items: list[ListItem]) -> dict[uuid.UUID, str]:
    """The state of each item from its newest mark; no mark → "open"."""
    newest = await newest_marks(items)
    return {item.id: _state_of(newest.get(item.id)) for item in items}


def _state_of(mark: ItemMark | None) -> str:
    return "open" if mark is None or mark.state == MarkState.CLEARED else mark.state.value


@dataclass
class ItemView:
    """An item as every page and the phone's data show it, in the page's language."""

    id: str
    label: str
    picture_url: str
    quantity: int
    note: str
    price: int | None
    area: str
    state: str = "open"
    # The newest mark as (client_time, id): the phone draws later marks on top of it.
    marked: tuple[str, str] | None = None
    # A guardian's recording, played by "Read aloud" instead of the phone's voice (issue 18).
    clip_url: str = ""
    # Plan B (issue 18): "", "other", "ask" or "leave"; for "other", the other item's name and
    # picture. `used`: the plan B the newest mark says the person used.
    plan_b: str = ""
    plan_b_label: str = ""
    plan_b_picture: str = ""
    used: str = ""

    @property
    def picture_count(self) -> int:
        return self.quantity if self.quantity <= PICTURES_UP_TO else 1

    @property
    def picture_slots(self) -> range:
        """One slot for each picture the row shows (a template loops over it)."""
        return range(self.picture_count)

    @property
    def quantity_label(self) -> str:
        return _("%(label)s × %(n)s", label=self.label, n=self.quantity)

    def as_data(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "label": self.label,
            "alt": self.quantity_label,
            "picture": self.picture_url,
            "pictures": self.picture_count,
            "quantity": self.quantity,
            "note": self.note,
            "price": self.price,
            "area": self.area,
            "state": self.state,
            "marked": list(self.marked) if self.marked else None,
            "clip": self.clip_url,
            "plan_b": {
                "kind": self.plan_b,
                "label": self.plan_b_label,
                "picture": self.plan_b_picture,
            }
            if self.plan_b
            else None,
            "used": self.used,
        }


async def default_label(item: ListItem) -> str:
    if item.photo_id:
        photo = await Photo.get_or_none(id=item.photo_id)
        return photo.label if photo else ""
    picture = catalogue().get(item.pictogram)
    return picture.label if picture else ""


def photo_url(photo_id: uuid.UUID | str) -> str:
    return urls.url("serve_photo", photo_id=photo_id)


def clip_url(clip_id: uuid.UUID | str | None) -> str:
    return urls.url("serve_clip", clip_id=clip_id) if clip_id else ""


def item_view(
    columns: dict[str, Any],
    photo: Photo | None,
    mark: ItemMark | None = None,
    plan_b_photo: Photo | None = None,
) -> ItemView:
    """An item as the pages and the phone show it, from its columns (a row or a pulled dict),
    its photo if it has one, its newest mark, and its plan B's photo if it has one."""
    if photo is not None:
        label, url = photo.label, photo_url(photo.id)
    else:
        picture = catalogue().get(columns.get("pictogram") or "")
        label = picture.label if picture else ""
        url = pictogram_url(columns.get("pictogram") or "2753")
    return ItemView(
        id=str(columns["id"]),
        label=columns.get("label") or label,
        picture_url=url,
        quantity=columns["quantity"],
        note=columns["note"],
        price=columns["price"],
        area=columns["area"],
        state=_state_of(mark),
        marked=(mark.client_time.isoformat(), str(mark.id)) if mark else None,
        clip_url=clip_url(columns.get("clip_id")),
        used=mark.plan_b if mark and mark.state != MarkState.CLEARED else "",
        **_plan_b_view(columns, plan_b_photo),
    )


def _plan_b_view(columns: dict[str, Any], photo: Photo | None) -> dict[str, str]:
    """Plan B as the person's card shows it: for "other", the other item's name and picture (a
    photo gone since leaves the plan as none, as a list without the item would be)."""
    choice = columns.get("plan_b") or ""
    if choice != "other":
        return {"plan_b": choice if choice in PLAN_B_CHOICES else ""}
    if photo is not None:
        label, url = photo.label, photo_url(photo.id)
    elif picture := catalogue().get(columns.get("plan_b_pictogram") or ""):
        label, url = picture.label, pictogram_url(picture.code)
    else:
        return {"plan_b": ""}
    return {
        "plan_b": choice,
        "plan_b_label": columns.get("plan_b_label") or label,
        "plan_b_picture": url,
    }


async def views_of(rows: list[dict[str, Any]]) -> list[ItemView]:
    """The views of pulled item rows (sync pull), their photos read in one query."""
    photo_ids = {
        row[key] for row in rows for key in ("photo_id", "plan_b_photo_id") if row.get(key)
    }
    photos = {str(p.id): p for p in await Photo.filter(id__in=photo_ids)} if photo_ids else {}
    return [
        item_view(
            row,
            photos.get(str(row.get("photo_id"))),
            plan_b_photo=photos.get(str(row.get("plan_b_photo_id"))),
        )
        for row in rows
    ]


# What a pull sends of an item without a photo, by the language and the item's columns: a
# family's phones each pull every change, so one item's view is written once, not once for
# each phone (issue 19). The dicts are sent as they are, never changed.
VIEWS_KEPT = 4096


@lru_cache(maxsize=VIEWS_KEPT)
def _view_data(locale: str, columns: tuple[Any, ...]) -> dict[str, Any]:
    """`locale` is the current language, which item_view's words follow: part of the key."""
    return item_view(dict(zip(_VIEW_COLUMNS, columns, strict=True)), None).as_data()


def _has_photo(row: dict[str, Any]) -> bool:
    return bool(row.get("photo_id") or row.get("plan_b_photo_id"))


async def views_data(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """ItemView.as_data() of each pulled item row, in the caller's language. An item with a
    photo is always read again: its photo's name is read with it."""
    locale = i18n.current_locale()
    with_photos = iter(await views_of([row for row in rows if _has_photo(row)]))
    return [
        next(with_photos).as_data()
        if _has_photo(row)
        else _view_data(locale, _view_columns_of(row))
        for row in rows
    ]


async def item_views(shopping_list: ShoppingList, *, with_states: bool = False) -> list[ItemView]:
    items = sorted_items(
        await ListItem.filter(list=shopping_list, deleted_at=None).prefetch_related(
            "photo", "plan_b_photo"
        )
    )
    marks = await newest_marks(items) if with_states else {}
    return [
        item_view(
            {f: getattr(item, f) for f in ("id", "pictogram", "clip_id", *history.ITEM_FIELDS)},
            item.photo,
            marks.get(item.id),
            item.plan_b_photo,
        )
        for item in items
    ]


# The list page shows this many things at a time (issue 19): a list of 2,000 things comes in
# pages with a link to the next, so one page's cost does not grow with the list.
LIST_PAGE = 200
_VIEW_COLUMNS = ("id", "pictogram", "photo_id", "clip_id", *history.ITEM_FIELDS)
# A pulled row's columns that its view is made of, as one tuple (a pull has them all).
_view_columns_of = operator.itemgetter(*_VIEW_COLUMNS)


def _position_sql(dialect: str) -> str:
    """A thing's position as Python compares it (sorted_items): by its bytes, whatever the
    PostgreSQL database's collation (keys mix upper and lower case: "aZ" < "aa")."""
    return 'position COLLATE "C"' if dialect == "postgres" else "position"


@dataclass
class ItemPage:
    views: list[ItemView]
    count: int
    total: int | None
    page: int
    more: bool


async def item_page(shopping_list: ShoppingList, areas: Sequence[Area], page: int) -> ItemPage:
    """One page of the list's things in the shop's area order, then position and id, as
    sorted_items orders them; the count and estimated total of the whole list beside it. Read
    as plain rows in statements written once (pwa/core/plain.py), sorted and cut by the
    database."""
    page = max(1, page)
    list_id = str(shopping_list.id)
    summary = (await plain.rows("list_summary", _summary_sql, [list_id]))[0]
    count = int(summary["n"] or 0)
    # A page past the end (an old link, a list that got shorter) shows the last one.
    page = min(page, max(1, -(-count // LIST_PAGE)))
    # The shop's area order as values, so the statement is the same for every shop with that
    # many areas (a few statements in all, not one for each shop's order).
    order = [area.id for area in areas]
    rows = await plain.rows(
        ("item_page", len(order)),
        lambda dialect: _page_sql(dialect, len(order)),
        [list_id, *order, LIST_PAGE + 1, (page - 1) * LIST_PAGE],
    )
    views = await views_of(rows[:LIST_PAGE])
    return ItemPage(
        views=views,
        count=count,
        total=int(summary["total"]) if summary["priced"] else None,
        page=page,
        more=len(rows) > LIST_PAGE,
    )


def _summary_sql(_dialect: str) -> str:
    return (
        'SELECT COUNT("id") AS n, COUNT("price") AS priced, SUM("price" * "quantity") AS total '
        f'FROM "{ListItem._meta.db_table}" WHERE "list_id" = ? AND "deleted_at" IS NULL'
    )


def _page_sql(dialect: str, areas: int) -> str:
    """A page of a list's things. Its values: the list, then the shop's `areas` in order (a
    thing in none of them goes last), how many and how many to skip."""
    cases = " ".join(f"WHEN ? THEN {n}" for n in range(areas))
    rank = f'CASE "area" {cases} ELSE {areas} END' if areas else "0"
    columns = ", ".join(f'"{column}"' for column in _VIEW_COLUMNS)
    return (
        f'SELECT {columns} FROM "{ListItem._meta.db_table}" '
        f'WHERE "list_id" = ? AND "deleted_at" IS NULL '
        f'ORDER BY {rank}, {_position_sql(dialect)}, "id" LIMIT ? OFFSET ?'
    )


async def views_by_id(item_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, ItemView]:
    """The views of these items (taken off the list too), by id: a trip record names the items
    it tells of (issue 18, plan B used)."""
    if not item_ids:
        return {}
    found = await ListItem.filter(id__in=list(item_ids)).prefetch_related("photo", "plan_b_photo")
    return {
        item.id: item_view(
            {f: getattr(item, f) for f in ("id", "pictogram", "clip_id", *history.ITEM_FIELDS)},
            item.photo,
            plan_b_photo=item.plan_b_photo,
        )
        for item in found
    }


async def one_item_view(item: ListItem) -> ItemView:
    """One item's view, without reading the rest of its list (a write's answer words the
    item: it cost the whole list's views before, issue 19)."""
    photo = await Photo.get_or_none(id=item.photo_id) if item.photo_id else None
    other = await Photo.get_or_none(id=item.plan_b_photo_id) if item.plan_b_photo_id else None
    return item_view(
        {f: getattr(item, f) for f in ("id", "pictogram", "clip_id", *history.ITEM_FIELDS)},
        photo,
        plan_b_photo=other,
    )


def group_by_area(
    views: list[ItemView], areas: Sequence[Area] | None = None
) -> list[tuple[Any, list[ItemView]]]:
    """[(area, items)] in the shop's order (`areas`: the list's shop's own order, from
    pwa/shops/areas.py; the catalogue's without it), leaving out empty areas."""
    groups = []
    for area in catalogue().areas if areas is None else areas:
        in_area = [v for v in views if v.area == area.id]
        if in_area:
            groups.append((area, in_area))
    return groups


def estimated_total(views: list[ItemView]) -> int | None:
    priced = [v.price * v.quantity for v in views if v.price is not None]
    return sum(priced) if priced else None


async def bought_before(family_id: uuid.UUID, exclude: ShoppingList, limit: int = 24) -> list[Any]:
    """Pictures this family put on earlier lists, newest first, each once."""
    items = (
        await ListItem.filter(family_id=family_id)
        .exclude(list_id=exclude.id)
        .order_by("-created_at")
        .limit(400)
        .prefetch_related("photo")
    )
    seen: set[str] = set()
    result: list[Photo | Pictogram] = []
    for item in items:
        key = f"photo:{item.photo_id}" if item.photo_id else f"picto:{item.pictogram}"
        if key in seen or (item.photo_id and item.photo is None):
            continue
        seen.add(key)
        if item.photo is not None:
            result.append(item.photo)
        elif picture := catalogue().get(item.pictogram):
            result.append(picture)
        if len(result) >= limit:
            break
    return result


def area_options() -> list[tuple[str, str]]:
    return [(area.id, area.label) for area in catalogue().areas]


QUANTITY_OPTIONS = [(str(n), str(n)) for n in range(1, MAX_QUANTITY + 1)]


# --- helpers ---------------------------------------------------------------------------------


def _same_family(a: uuid.UUID, b: uuid.UUID) -> None:
    if a != b:
        # An id made by another family's device: never reveal or touch that row.
        raise FormErrors({"id": _("This form is old. Reload the page and try again.")})


async def _get_or_none(model: Any, raw_id: str, **filters: Any) -> Any:
    if model is Organisation:
        key: Any = ids.int_or_none(raw_id)
    else:
        key = ids.uuid_or_none(raw_id)
    if key is None:
        return None
    return await model.get_or_none(id=key, **filters)
