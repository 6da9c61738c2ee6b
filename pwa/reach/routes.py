"""Reach (issue 17): the programme's families, trips, vouchers and friendly stores in a month, by
city, by centre and by merchant, as charts with their tables and as CSV. Programme staff only.
Aggregates only: a family count under 5 shows "fewer than 5", and a row of fewer than 5
families hides its money too (pwa/reach/queries.py)."""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from babel.dates import format_skeleton
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

from pwa import i18n
from pwa.auth import access as org_access
from pwa.auth import sessions
from pwa.auth.routing import Route
from pwa.auth.rules import Action
from pwa.core import urls
from pwa.core.csv_cells import safe_row
from pwa.i18n import _, format_money
from pwa.reach import queries
from pwa.reach.queries import SMALLEST, Reach, Row
from pwa.templating import render
from pwa.vouchers.services import today

MONTH_RE = re.compile(r"^(\d{4})-(\d{2})$")


def parse_month(text: str | None) -> date | None:
    """'2026-11' → 1 November 2026; None when it is not a month (this month when empty)."""
    if not text:
        return today().replace(day=1)
    match = MONTH_RE.match(text.strip())
    if match is None:
        return None
    year, month = int(match.group(1)), int(match.group(2))
    if not (2000 <= year <= 2100 and 1 <= month <= 12):
        return None
    return date(year, month, 1)


def month_words(month: date) -> str:
    """'November 2026' / '2026年11月'."""
    return format_skeleton(
        "yMMMM",
        datetime(month.year, month.month, 1),
        locale=i18n.FORMAT_LOCALE[i18n.current_locale()],
    )


def families_text(row: Row, column: str) -> str:
    count = int(getattr(row, column))
    if not row.count_hidden(column):
        return str(count)
    return _("fewer than 5") if count < SMALLEST else _("not shown")


def share_text(row: Row) -> str:
    return "—" if row.share is None else f"{row.share} %"


# --- charts: drawn on the server as SVG, their numbers in the table below each --------------


@dataclass
class Bar:
    label: str
    # None: not drawn (a suppressed count or hidden money), the text says why.
    value: float | None
    text: str


@dataclass
class Chart:
    id: str
    title: str
    table: str
    bars: list[Bar]

    @property
    def top(self) -> float:
        return max([b.value for b in self.bars if b.value is not None] + [1])


def _short(label: str, length: int = 12) -> str:
    return label if len(label) <= length else label[: length - 1] + "…"


def _family_bar(row: Row, column: str) -> Bar:
    if row.count_hidden(column):
        return Bar(_short(row.label), None, families_text(row, column))
    count = int(getattr(row, column))
    return Bar(_short(row.label), count, str(count))


def _money_bar(row: Row, money: int) -> Bar:
    if row.money_hidden:
        return Bar(_short(row.label), None, _("not shown"))
    # A month of more reversals than payments spends less than nothing: its words, no bar.
    return Bar(_short(row.label), max(money, 0), format_money(money))


def charts(found: Reach) -> dict[str, list[Chart]]:
    by_city = _("Table: vouchers by city")
    by_merchant = _("Table: by merchant")
    return {
        "city": [
            Chart(
                "chart-active",
                _("Families with a trip this month, by city"),
                _("Table: families and stores by city"),
                [_family_bar(row, "active") for row in found.cities],
            ),
            Chart(
                "chart-spent",
                _("Money spent this month, by city"),
                by_city,
                [_money_bar(row, row.spent) for row in found.cities],
            ),
        ],
        "merchant": [
            Chart(
                "chart-merchant",
                _("Money spent this month, by merchant"),
                by_merchant,
                [_money_bar(row, row.spent) for row in found.merchants],
            ),
        ],
    }


# --- the page and the CSV -------------------------------------------------------------------


async def programme_reach(request: Request) -> Response:
    org_access.check_org(sessions.principal(request), Action.PROGRAMME_SCREENS)
    typed = request.query_params.get("month", "")
    month = parse_month(typed)
    error = None
    status = 200
    if month is None:
        error = _("Choose a month, for example 2026-11.")
        status = 400
        month = today().replace(day=1)
    found = await queries.reach(month)
    value = f"{month.year:04d}-{month.month:02d}"
    return render(
        request,
        "reach/reach.html",
        {
            "title": _("Reach"),
            "month": value,
            "typed": typed if error else value,
            "month_words": month_words(month),
            "error": error,
            "reach": found,
            "charts": charts(found),
            "families": families_text,
            "share": share_text,
            "csv_url": urls.url("programme_reach_csv") + f"?month={value}",
            "back_url": urls.url("programme_start"),
        },
        status_code=status,
    )


def _yuan(fen: int) -> str:
    sign = "-" if fen < 0 else ""
    return f"{sign}{abs(fen) // 100}.{abs(fen) % 100:02d}"


CSV_HEADER = (
    "month",
    "part",
    "name",
    "city",
    "families_registered",
    "families_with_a_trip",
    "vouchers_issued",
    "issued_yuan",
    "spent_yuan",
    "returned_yuan",
    "share_spent_percent",
    "friendly_stores_active",
    "families_that_paid",
)


def _count(row: Row, column: str) -> str:
    count = int(getattr(row, column))
    if not row.count_hidden(column):
        return str(count)
    return "<5" if count < SMALLEST else "hidden"


def _csv_row(month: str, part: str, row: Row, city: str = "") -> list[Any]:
    hidden = row.money_hidden
    money = (
        ["hidden"] * 5
        if hidden
        else [
            row.issued_count,
            _yuan(row.issued),
            _yuan(row.spent),
            _yuan(row.returned),
            "" if row.share is None else row.share,
        ]
    )
    if part == "merchant":
        families = ["", ""]
        money = ["", "", "hidden" if hidden else _yuan(row.spent), "", ""]
    else:
        families = [_count(row, "registered"), _count(row, "active")]
    stores = row.stores if part in ("city", "merchant", "total") else ""
    paid = _count(row, "paid_families") if part in ("merchant", "total") else ""
    return safe_row([month, part, row.label, city, *families, *money, stores, paid])


async def programme_reach_csv(request: Request) -> Response:
    org_access.check_org(sessions.principal(request), Action.PROGRAMME_SCREENS)
    month = parse_month(request.query_params.get("month", ""))
    if month is None:
        return PlainTextResponse(_("Choose a month, for example 2026-11."), status_code=400)
    found = await queries.reach(month)
    value = f"{month.year:04d}-{month.month:02d}"
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_HEADER)
    for row in found.cities:
        writer.writerow(_csv_row(value, "city", row, row.label))
    for row in found.centres:
        writer.writerow(_csv_row(value, "centre", row, row.city))
    for row in found.merchants:
        writer.writerow(_csv_row(value, "merchant", row))
    total = found.total
    total.label = "all"
    writer.writerow(_csv_row(value, "total", total))
    return Response(
        "\ufeff" + out.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="reach-{value}.csv"'},
    )


routes = [
    Route(
        "/programme/reach", programme_reach, name="programme_reach", action=Action.PROGRAMME_SCREENS
    ),
    Route(
        "/programme/reach.csv",
        programme_reach_csv,
        name="programme_reach_csv",
        action=Action.PROGRAMME_SCREENS,
    ),
]
