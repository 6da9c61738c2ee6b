"""The list page's rows: each thing with the buttons its row shows, worked out in Python.

Jinja asks a few checks of every call a template makes (a filter, `_()`, `url()`, a method):
on the list page that was about thirty calls a row, most of the page's time (issue 19). Here the
words, the pictures' addresses and the links are found once a page and put together for each
row, so the template only writes them out; and the buttons of rows that show the same buttons are
written once, each row's id put in. What a row shows is the same as before: a parent who
may change the list gets Change (if they manage it), Move up / Move down within the area and
Take off the list; the person gets One more / One less and Take off the list.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any, NamedTuple

from markupsafe import Markup

from pwa.core import urls
from pwa.core.pictograms import pictogram_url
from pwa.i18n import _
from pwa.lists.services import MAX_QUANTITY, ItemView
from pwa.templating import templates

Fields = tuple[tuple[str, str], ...]


class RowButton(NamedTuple):
    label: str
    icon_url: str
    # A form's action, or a link's address when `fields` is None.
    target: str
    # The form's hidden fields besides the CSRF token; None for a link.
    fields: Fields | None


class Row(NamedTuple):
    view: ItemView
    # The row's buttons as HTML (components/row_buttons.html), empty for none.
    buttons: Markup


# An id no item has: a row's buttons are written once for it, and each row of the same buttons
# gets its own id in its place (ids are UUIDs, nothing in them needs escaping).
_MARK = "00000000-0000-0000-0000-000000000000"


def _address(name: str, **params: Any) -> str:
    """A route's path for the item _MARK."""
    return urls.url(name, item_id=_MARK, **params)


def list_rows(
    list_id: uuid.UUID,
    groups: Sequence[tuple[Any, list[ItemView]]],
    *,
    page: int,
    is_person: bool,
    can_edit: bool,
    can_manage: bool,
    csrf_token: str,
) -> list[tuple[Any, list[Row]]]:
    """[(area, rows)] for `groups` (lists.group_by_area's). Without `can_edit` a row has no
    buttons. A button on a later page of a long list brings the parent back to that page."""
    if not can_edit:
        return [(area, [Row(view, Markup()) for view in views]) for area, views in groups]
    on_page: Fields = (("page", str(page)),) if page > 1 else ()
    move = _address("item_action", list_id=list_id, action="move")
    quantity = _address("item_action", list_id=list_id, action="quantity")
    each = {
        "more": RowButton(
            _("One more"), pictogram_url("2795"), quantity, (*on_page, ("direction", "more"))
        ),
        "less": RowButton(
            _("One less"), pictogram_url("2796"), quantity, (*on_page, ("direction", "less"))
        ),
        "change": RowButton(
            _("Change"), pictogram_url("270F"), _address("edit_item", list_id=list_id), None
        ),
        "up": RowButton(_("Move up"), pictogram_url("2B06"), move, (*on_page, ("direction", "up"))),
        "down": RowButton(
            _("Move down"), pictogram_url("2B07"), move, (*on_page, ("direction", "down"))
        ),
        "remove": RowButton(
            _("Take off the list"),
            pictogram_url("274C"),
            _address("item_action", list_id=list_id, action="remove"),
            on_page,
        ),
    }
    macro = templates.env.get_template("components/row_buttons.html").module.row_buttons  # type: ignore[attr-defined]
    written: dict[tuple[str, ...], str] = {}

    def buttons(view: ItemView, first: bool, last: bool) -> Markup:
        kinds: tuple[str, ...]
        if is_person:
            kinds = (
                *(("more",) if view.quantity < MAX_QUANTITY else ()),
                *(("less",) if view.quantity > 1 else ()),
            )
        else:
            kinds = (
                *(("change",) if can_manage else ()),
                *(("up",) if not first else ()),
                *(("down",) if not last else ()),
            )
        kinds = (*kinds, "remove")
        if (html := written.get(kinds)) is None:
            html = written[kinds] = str(
                macro(buttons=[each[kind] for kind in kinds], csrf_token=csrf_token)
            )
        return Markup(html.replace(_MARK, view.id))

    return [
        (
            area,
            [Row(view, buttons(view, n == 0, n == len(views) - 1)) for n, view in enumerate(views)],
        )
        for area, views in groups
    ]
