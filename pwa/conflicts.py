"""Conflicts between devices (SYNC.md, "Conflicts") and the values they leave behind.

Items and steps: each field keeps the (client_time, writer) of the value it holds, and a change
wins only if it is later, field by field, so two devices changing different fields both win.
The value that is not shown any more goes into FieldHistory: replaced by a later change, beaten
by one, or made after the row was taken out (delete beats edit). A parent sees these on the
list's or the plan's "Earlier changes" page and can put any of them back.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import Enum
from typing import Any

from tortoise.models import Model

from pwa.core import clock, jsonbody
from pwa.core.refusals import Hidden
from pwa.i18n import _, format_datetime, format_money
from pwa.models import FieldHistory, HistoryReason, ListItem, Photo, PlanStep, ShoppingList

# The fields that follow last-writer-wins, by kind of row.
# Plan B (issue 18) is one choice in four fields, always written together, so the four win or
# lose together too.
PLAN_B_FIELDS = ("plan_b", "plan_b_pictogram", "plan_b_photo_id", "plan_b_label")
ITEM_FIELDS = ("label", "quantity", "note", "price", "area", *PLAN_B_FIELDS)
STEP_FIELDS = (
    "pictogram",
    "photo_id",
    "text",
    "wait_minutes",
    "link",
    "shopping_list_id",
    "prompt_level",
)
UUID_FIELDS = {"photo_id", "shopping_list_id", "plan_b_photo_id"}


def stamp(client_time: datetime, writer: str) -> list[str]:
    """Orders writes: by the writer's clock, then by who wrote (SYNC.md)."""
    return [client_time.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"), writer]


def _plain(value: Any) -> Any:
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, Enum):
        return value.value
    return value


def _kind(row: Model) -> tuple[str, uuid.UUID]:
    if isinstance(row, ListItem):
        return "item", row.list_id
    return "step", row.plan_id  # type: ignore[attr-defined]


async def write_fields(
    row: ListItem | PlanStep, changes: dict[str, Any], *, client_time: datetime, writer: str
) -> bool:
    """Apply `changes` (field → value) field by field, last writer wins; every value that is
    not shown afterwards is kept in FieldHistory. Returns False when the row was taken out:
    the change is then kept only in the history (delete beats edit)."""
    kind, parent_id = _kind(row)
    times = dict(row.field_times or {})
    mine = stamp(client_time, writer)
    keep: list[FieldHistory] = []

    def history(field: str, value: Any, when: list[str], reason: HistoryReason) -> None:
        keep.append(
            FieldHistory(
                family_id=row.family_id,
                kind=kind,
                row_id=row.id,
                parent_id=parent_id,
                field=field,
                # Wrapped: a JSON field reads a bare string as JSON text.
                value={"v": _plain(value)},
                client_time=datetime.fromisoformat(when[0].replace("Z", "+00:00")),
                writer=when[1],
                reason=reason,
            )
        )

    if row.deleted_at is not None:
        for field, value in changes.items():
            history(field, value, mine, HistoryReason.AFTER_DELETE)
        await FieldHistory.bulk_create(keep)
        return False
    changed = False
    for field, value in changes.items():
        held = times.get(field) or ["", ""]
        if mine < held:
            history(field, value, mine, HistoryReason.LOST)
            continue
        old = getattr(row, field)
        times[field] = mine
        if _plain(old) == _plain(value):
            continue
        # The value it replaces. A value never stamped is the row's first, as it was made; an
        # empty one of those loses nothing, so the first change to a field keeps nothing.
        if held[0] or _plain(old) not in ("", None):
            when = held if held[0] else stamp(row.created_at, "")
            history(field, old, when, HistoryReason.REPLACED)
        setattr(row, field, value)
        changed = True
    if changed or times != (row.field_times or {}):
        row.field_times = times
        await row.save()
    await FieldHistory.bulk_create(keep)
    return True


def changed_fields(form: dict[str, str], fields: tuple[str, ...]) -> dict[str, str]:
    """The fields whose value differs from what the form showed (its hidden "was")."""
    try:
        was = jsonbody.loads(form.get("was") or "{}")
    except ValueError:
        was = {}
    if not isinstance(was, dict):
        was = {}
    return {f: form.get(f, "") for f in fields if f in form and form.get(f) != was.get(f)}


def taken_out_words() -> str:
    return _(
        "This was taken out on another device, so your change is not shown. "
        "It is kept under Earlier changes, where you can put it back."
    )


# --- the "Earlier changes" pages ---------------------------------------------------------------


@dataclass
class EntryView:
    id: int
    row_name: str
    field_name: str
    value_text: str
    when: str
    reason_text: str
    put_back: bool


def field_names() -> dict[str, str]:
    return {
        "label": _("Name"),
        "quantity": _("How many"),
        "note": _("Note"),
        "price": _("Price of one"),
        "area": _("Shop area"),
        "pictogram": _("Picture"),
        "photo_id": _("Picture"),
        "text": _("Sentence"),
        "wait_minutes": _("Wait timer in minutes"),
        "link": _("What this step opens"),
        "shopping_list_id": _("Shopping list for this step"),
        "prompt_level": _("How much help"),
        "plan_b": _("If it is not there"),
        "plan_b_pictogram": _("Picture of the other item"),
        "plan_b_photo_id": _("Picture of the other item"),
        "plan_b_label": _("Name of the other item"),
    }


def plan_b_words() -> dict[str, str]:
    """The guardian's plan B choices, as the item's page names them."""
    return {
        "other": _("Take another item"),
        "ask": _("Ask the staff"),
        "leave": _("Leave it"),
    }


def reason_words() -> dict[str, str]:
    return {
        HistoryReason.REPLACED: _("A later change took its place."),
        HistoryReason.LOST: _("A later change on another device won."),
        HistoryReason.AFTER_DELETE: _("It was made after this was taken out."),
    }


def value_text(field: str, value: Any) -> str:
    if value is None or value == "":
        return _("(empty)")
    if field == "price":
        return format_money(value)
    if field == "plan_b":
        return plan_b_words().get(str(value), str(value))
    if field in (
        "pictogram",
        "photo_id",
        "shopping_list_id",
        "plan_b_pictogram",
        "plan_b_photo_id",
    ):
        return _("another picture") if field != "shopping_list_id" else _("another list")
    return str(value)


async def entries(
    family_id: uuid.UUID, parent_id: uuid.UUID, names: dict[uuid.UUID, str]
) -> list[EntryView]:
    """The newest 50 earlier values of a list's items or a plan's steps."""
    found = (
        await FieldHistory.filter(family_id=family_id, parent_id=parent_id)
        .order_by("-id")
        .limit(50)
    )
    fields, reasons = field_names(), reason_words()
    return [
        EntryView(
            id=entry.id,
            row_name=names.get(entry.row_id, ""),
            field_name=fields.get(entry.field, entry.field),
            value_text=value_text(entry.field, entry.value["v"]),
            when=format_datetime(entry.client_time),
            reason_text=reasons[entry.reason],
            put_back=entry.put_back_at is None,
        )
        for entry in found
    ]


async def put_back(entry: FieldHistory, *, writer: str) -> None:
    """The earlier value becomes the newest one; a row taken out comes back with it.

    A list or photo deleted for good since (with its person, pwa/family/deletion.py) cannot
    come back: the field is emptied instead, as deleting the person empties every step that
    still opened their list. Writing its id would break the database's link (FOREIGN KEY)."""
    model = ListItem if entry.kind == "item" else PlanStep
    row = await model.get(id=entry.row_id)
    if row.deleted_at is not None:
        row.deleted_at = None
        await row.save()
    value = entry.value["v"]
    if entry.field in UUID_FIELDS and value:
        value = await _still_there(entry.field, value, row.family_id)
    await write_fields(row, {entry.field: value}, client_time=clock.now(), writer=writer)
    entry.put_back_at = clock.now()
    await entry.save(update_fields=["put_back_at"])


async def _still_there(field: str, value: Any, family_id: uuid.UUID) -> uuid.UUID | None:
    """The id, if its list or photo is still the family's (in the bin counts); else None."""
    try:
        row_id = uuid.UUID(str(value))
    except ValueError:
        return None
    model: type[Model] = ShoppingList if field == "shopping_list_id" else Photo
    return row_id if await model.exists(id=row_id, family_id=family_id) else None


async def entry_of(parent: Model, kind: str, entry_id: Any) -> FieldHistory:
    """An earlier value of a row of this list or plan; Hidden when there is none."""
    try:
        number = int(entry_id)
    except (TypeError, ValueError):
        raise Hidden() from None
    if not 0 < number < 2**63:
        raise Hidden()
    entry = await FieldHistory.get_or_none(
        id=number,
        family_id=parent.family_id,  # type: ignore[attr-defined]
        parent_id=parent.pk,
        kind=kind,
    )
    if entry is None:
        raise Hidden()
    return entry
