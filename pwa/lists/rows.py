"""The list page's rows (issue 19): each thing with its buttons, written out once and kept.

Jinja asks a few checks of every call a template makes (a filter, `_()`, `url()`, a macro):
on the list page that was about thirty calls a row, most of the page's time. Here the words,
the pictures' addresses and the links of a page's buttons are found once a page, and a row is
written (templates/lists/row.html) only when this worker has not written the same row before:
what a row shows is all in its key (the thing's view, its buttons, the page, the language), so
a thing that changes is a new key, never an old row. The session's CSRF token is put in each
time, so rows are shared between sessions. At most ROWS_KEPT rows are kept, the least recently
shown going first.

A parent who may change the list gets Change (if they manage it), Move up / Move down within
the area and Take off the list; the person gets One more / One less and Take off the list.
"""

from __future__ import annotations

import uuid
from collections import OrderedDict
from collections.abc import Sequence
from typing import Any, NamedTuple

from markupsafe import Markup, escape

from pwa import i18n
from pwa.core import urls
from pwa.core.pictograms import pictogram_url
from pwa.i18n import _
from pwa.lists.services import MAX_QUANTITY, ItemView
from pwa.templating import templates

Fields = tuple[tuple[str, str], ...]
ROWS_KEPT = 2000
# Where a row's buttons have the item's id and the session's CSRF token: an id no item has, and
# markup no text written into a row can hold (a "<" in a thing's name or note is escaped).
_ITEM = "00000000-0000-0000-0000-000000000000"
_TOKEN = Markup("<csrf-token>")
_kept: OrderedDict[tuple[Any, ...], str] = OrderedDict()


class RowButton(NamedTuple):
    label: str
    icon_url: str
    # A form's action, or a link's address when `fields` is None.
    target: str
    # The form's hidden fields besides the CSRF token; None for a link.
    fields: Fields | None


def _address(name: str, **params: Any) -> str:
    """A route's path for the item _ITEM."""
    return urls.url(name, item_id=_ITEM, **params)


def list_rows(
    list_id: uuid.UUID,
    groups: Sequence[tuple[Any, list[ItemView]]],
    *,
    page: int,
    is_person: bool,
    can_edit: bool,
    can_manage: bool,
    csrf_token: str,
) -> list[tuple[Any, Markup]]:
    """[(area, its rows as HTML)] for `groups` (lists.group_by_area's). Without `can_edit` a row
    has no buttons. A button on a later page of a long list brings the parent back to that
    page."""
    on_page: Fields = (("page", str(page)),) if page > 1 else ()
    locale = i18n.current_locale()
    buttons_of: dict[tuple[str, ...], Markup] = {}
    row_macro = templates.env.get_template("lists/row.html").module.item_row  # type: ignore[attr-defined]

    def form(label: str, code: str, target: str, direction: str) -> RowButton:
        return RowButton(label, pictogram_url(code), target, (*on_page, ("direction", direction)))

    move = _address("item_action", list_id=list_id, action="move")
    quantity = _address("item_action", list_id=list_id, action="quantity")
    each = {
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
            on_page,
        ),
    }
    buttons_macro = templates.env.get_template("components/row_buttons.html").module.row_buttons  # type: ignore[attr-defined]

    def buttons(kinds: tuple[str, ...]) -> Markup:
        """The buttons of these kinds for the item _ITEM, written once a page."""
        if (html := buttons_of.get(kinds)) is None:
            html = buttons_of[kinds] = buttons_macro(
                buttons=[each[kind] for kind in kinds], csrf_token=_TOKEN
            )
        return html

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
        key = (tuple(view.__dict__.values()), kinds, on_page, list_id, locale, is_person)
        html = _kept.get(key)
        if html is None:
            written = buttons(kinds).replace(_ITEM, view.id) if kinds else Markup()
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
                "\n".join(
                    row(view, n == 0, n == len(views) - 1) for n, view in enumerate(views)
                ).replace(_TOKEN, str(escape(csrf_token)))
            ),
        )
        for area, views in groups
    ]
