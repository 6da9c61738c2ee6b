"""The list page's rows (issue 19): each thing with its buttons, written out once and kept.

Jinja asks a few checks of every call a template makes (a filter, `_()`, `url()`, a macro):
on the list page that was about thirty calls a row, most of the page's time. Here each set of
a list's buttons is written once per worker and language (_buttons), and a row is
written (templates/lists/row.html) only when this worker has not written the same row before:
what a row shows is all in its key (the thing's view, its buttons, the list, the language), so
a thing that changes is a new key, never an old row. A row's buttons belong to the page's one
form (ROW_FORM, in lists/list.html: the CSRF token and the page number) through their `form`
attribute, each with its own `formaction`: a row holds nothing of the session, so rows are
shared between sessions, and a row is a fifth smaller than with a form and a token of its own
for each button (issue 19). At most ROWS_KEPT rows are kept, the least recently shown going
first.

A parent who may change the list gets Change (if they manage it), Move up / Move down within
the area and Take off the list; the person gets One more / One less and Take off the list.
"""

from __future__ import annotations

import uuid
from collections import OrderedDict
from collections.abc import Sequence
from functools import lru_cache
from typing import Any, NamedTuple

from markupsafe import Markup

from pwa import i18n
from pwa.core import urls
from pwa.core.pictograms import pictogram_url
from pwa.i18n import _
from pwa.lists.services import MAX_QUANTITY, ItemView
from pwa.templating import templates

ROWS_KEPT = 2000
# The id of the page's form that a row's buttons send (lists/list.html).
ROW_FORM = "row-actions"
# Where a row's buttons have the item's id: an id no item has.
_ITEM = "00000000-0000-0000-0000-000000000000"
_kept: OrderedDict[tuple[Any, ...], str] = OrderedDict()
BUTTONS_KEPT = 512


class RowButton(NamedTuple):
    label: str
    icon_url: str
    # Where the button sends the page's form, or a link's address when `field` is None.
    target: str
    # What the button itself sends (name, value), () for nothing; None for a link.
    field: tuple[str, str] | tuple[()] | None


def _address(name: str, **params: Any) -> str:
    """A route's path for the item _ITEM."""
    return urls.url(name, item_id=_ITEM, **params)


@lru_cache(maxsize=BUTTONS_KEPT)
def _buttons(list_id: uuid.UUID, kinds: tuple[str, ...], locale: str) -> Markup:
    """The buttons of these kinds of a row of this list, for the item _ITEM, in the language
    `locale` (the current one, part of the key): written once per worker, not once a page, as a
    page writes a few rows again each time (a thing changed, or became the first or last of its
    area) and a list has only four sets."""
    every = _each(list_id)
    macro = templates.env.get_template("components/row_buttons.html").module.row_buttons  # type: ignore[attr-defined]
    return Markup(macro(buttons=[every[kind] for kind in kinds], form=ROW_FORM))


def _each(list_id: uuid.UUID) -> dict[str, RowButton]:
    """Every button a row of this list can have, in the page's language."""

    def form(label: str, code: str, target: str, direction: str) -> RowButton:
        return RowButton(label, pictogram_url(code), target, ("direction", direction))

    move = _address("item_action", list_id=list_id, action="move")
    quantity = _address("item_action", list_id=list_id, action="quantity")
    return {
        "more": form(_("One more"), "2795", quantity, "more"),
        "less": form(_("One less"), "2796", quantity, "less"),
        "up": form(_("Move up"), "2B06", move, "up"),
        "down": form(_("Move down"), "2B07", move, "down"),
        "change": RowButton(
            _("Change"), pictogram_url("270F"), _address("edit_item", list_id=list_id), None
        ),
        "remove": RowButton(
            _("Take off the list"),
            pictogram_url("274C"),
            _address("item_action", list_id=list_id, action="remove"),
            (),
        ),
    }


def list_rows(
    list_id: uuid.UUID,
    groups: Sequence[tuple[Any, list[ItemView]]],
    *,
    is_person: bool,
    can_edit: bool,
    can_manage: bool,
) -> list[tuple[Any, Markup]]:
    """[(area, its rows as HTML)] for `groups` (lists.group_by_area's). Without `can_edit` a row
    has no buttons. A button on a later page of a long list brings the parent back to that
    page (the page's form sends the page number)."""
    locale = i18n.current_locale()
    row_macro = templates.env.get_template("lists/row.html").module.item_row  # type: ignore[attr-defined]

    def kinds_of(view: ItemView, first: bool, last: bool) -> tuple[str, ...]:
        if not can_edit:
            return ()
        if is_person:
            return (
                *(("more",) if view.quantity < MAX_QUANTITY else ()),
                *(("less",) if view.quantity > 1 else ()),
                "remove",
            )
        return (
            *(("change",) if can_manage else ()),
            *(("up",) if not first else ()),
            *(("down",) if not last else ()),
            "remove",
        )

    def row(view: ItemView, first: bool, last: bool) -> str:
        kinds = kinds_of(view, first, last)
        key = (tuple(view.__dict__.values()), kinds, list_id, locale, is_person)
        html = _kept.get(key)
        if html is None:
            written = (
                _buttons(list_id, kinds, locale).replace(_ITEM, view.id) if kinds else Markup()
            )
            html = _kept[key] = str(row_macro(view=view, buttons=written, is_person=is_person))
            while len(_kept) > ROWS_KEPT:
                _kept.popitem(last=False)
        else:
            _kept.move_to_end(key)
        return html

    return [
        (
            area,
            Markup(
                "\n".join(row(view, n == 0, n == len(views) - 1) for n, view in enumerate(views))
            ),
        )
        for area, views in groups
    ]
