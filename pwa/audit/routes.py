"""The audit log's pages (programme staff only): read and filter it, and download it as CSV.
Nothing here changes it; nothing anywhere can (migration 0018)."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import AsyncIterator
from datetime import date
from typing import Any

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response, StreamingResponse

from pwa.audit import queries
from pwa.audit.services import AuditAction
from pwa.auth import access as org_access
from pwa.auth import sessions
from pwa.auth.routing import Route
from pwa.auth.rules import Action
from pwa.core import ids
from pwa.core.csv_cells import safe_row
from pwa.i18n import _, format_money
from pwa.models import AuditEntry, Organisation
from pwa.templating import render

STAFF = Action.PROGRAMME_SCREENS


def action_names() -> dict[str, str]:
    """What each kind of entry is called on the page (the CSV keeps the stored value too)."""
    return {
        AuditAction.BUDGET_GRANT: _("Budget given"),
        AuditAction.VOUCHER_ISSUE: _("Voucher given"),
        AuditAction.VOUCHERS_IMPORT: _("Vouchers given from a CSV file"),
        AuditAction.BATCH_RUN: _("Vouchers given to every family (batch)"),
        AuditAction.VOUCHER_RETURN: _("Unspent balance returned to the budget"),
        AuditAction.PAYMENT: _("Payment at a shop"),
        AuditAction.REVERSAL: _("Payment reversed"),
        AuditAction.STATEMENT_MAKE: _("Statement made"),
        AuditAction.STATEMENT_PAID: _("Statement marked as paid"),
        AuditAction.ORGANISATION_CREATE: _("Organisation added"),
        AuditAction.ORGANISATION_SUSPEND: _("Organisation suspended"),
        AuditAction.ORGANISATION_RESUME: _("Organisation resumed"),
        AuditAction.ORGANISATION_END: _("Organisation ended"),
        AuditAction.STORE_CREATE: _("Store added"),
        AuditAction.STORE_CHECKLIST: _("Store checklist confirmed"),
        AuditAction.STORE_APPROVE: _("Store approved as a friendly shop"),
        AuditAction.STORE_VOUCHERS: _("Store switched taking vouchers off or on"),
        AuditAction.INVITATION_MAKE: _("Invitation made"),
        AuditAction.INVITATION_ACCEPT: _("Invitation accepted"),
        AuditAction.INVITATION_REVOKE: _("Invitation withdrawn"),
        AuditAction.STAFF_ADD: _("Staff member added"),
        AuditAction.STAFF_REMOVE: _("Staff member removed"),
    }


# Days the log can hold: far enough either way, and start_of/end_of cannot overflow.
FIRST_YEAR, LAST_YEAR = 2000, 2100


def _day(text: str) -> date | None:
    try:
        day = date.fromisoformat(text.strip()) if text.strip() else None
    except ValueError:
        return None
    if day is not None and not FIRST_YEAR <= day.year <= LAST_YEAR:
        return None
    return day


def _chosen(request: Request) -> tuple[queries.AuditFilter, dict[str, str], dict[str, str]]:
    """The filter from the query string; what the form shows; what was not understood."""
    params = request.query_params
    shown = {
        k: params.get(k, "").strip()[:100]
        for k in ("action", "organisation", "actor", "from", "until")
    }
    errors: dict[str, str] = {}
    if shown["action"] and shown["action"] not in {a.value for a in AuditAction}:
        shown["action"] = ""
    organisation = ids.int_or_none(shown["organisation"]) if shown["organisation"] else None
    first, last = _day(shown["from"]), _day(shown["until"])
    for key, value in (("from", first), ("until", last)):
        if shown[key] and value is None:
            errors[key] = _("Write a date like 2026-12-31.")
    if first and last and last < first:
        errors["until"] = _("The last day is before the first day.")
    chosen = queries.AuditFilter(
        action=shown["action"],
        organisation_id=organisation,
        actor=shown["actor"],
        first_day=first,
        last_day=last,
    )
    return chosen, shown, errors


# Fields that hold fen: shown as money on the page (the CSV keeps the stored numbers).
MONEY_KEYS = frozenset(
    {
        "amount",
        "balance",
        "granted",
        "unissued",
        "total",
        "payments",
        "reversals",
        "face_value",
        "returned",
        "returned_to_budget",
        "left",
    }
)


def _shown_value(key: str, value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if key in MONEY_KEYS and isinstance(value, int):
        return format_money(value)
    return str(value)


def _change(value: dict[str, Any] | None) -> str:
    if not value:
        return "—"
    return ", ".join(f"{key}: {_shown_value(key, value[key])}" for key in value)


async def audit_log(request: Request) -> Response:
    org_access.check_org(sessions.principal(request), STAFF)
    chosen, shown, errors = _chosen(request)
    # The audit log's ids are bigints: its own bound, not an int4 key's.
    text = request.query_params.get("before", "").strip()
    before = int(text) if text.isascii() and text.isdigit() and len(text) <= 18 else None
    rows = await queries.page(chosen, before)
    more = len(rows) > queries.PAGE
    rows = rows[: queries.PAGE]
    organisations = await Organisation.all().order_by("kind", "city", "name")
    names = {org.id: org.name for org in organisations}
    labels = action_names()
    next_params = {k: v for k, v in shown.items() if v}
    return render(
        request,
        "audit/log.html",
        {
            "title": _("Audit log"),
            "back_url": "/programme",
            "rows": [
                {
                    "id": row.id,
                    "at": row.at,
                    "actor": row.actor,
                    "what": labels.get(row.action, row.action),
                    "object": f"{row.object_kind} {row.object_id}".strip(),
                    "organisation": names.get(row.organisation_id or 0, ""),
                    "before": _change(row.before),
                    "after": _change(row.after),
                }
                for row in rows
            ],
            "more_url": (
                request.url.include_query_params(**next_params, before=rows[-1].id)
                if more and rows
                else None
            ),
            "shown": shown,
            "errors": errors,
            "action_options": [
                ("", _("Everything")),
                *sorted(labels.items(), key=lambda kv: kv[1]),
            ],
            "organisation_options": [("", _("Every organisation"))]
            + [(str(org.id), f"{org.name} · {org.city}") for org in organisations],
            "csv_url": "/programme/audit.csv"
            + (f"?{request.url.query}" if request.url.query else ""),
        },
        400 if errors else 200,
    )


async def audit_csv(request: Request) -> Response:
    org_access.check_org(sessions.principal(request), STAFF)
    chosen, _shown, errors = _chosen(request)
    if errors:
        # Not the whole log for a filter that was not understood: the words, as on the page.
        return PlainTextResponse(" ".join(errors.values()), status_code=400)
    labels = action_names()

    async def lines() -> AsyncIterator[str]:
        # A page of entries at a time: memory stays bounded however long the log is.
        yield "\ufeff"
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(
            [
                "id",
                "at",
                "actor_id",
                "actor",
                "action",
                "what",
                "object_kind",
                "object_id",
                "organisation_id",
                "before",
                "after",
            ]
        )
        before: int | None = None
        while True:
            rows: list[AuditEntry] = await queries.page(chosen, before)
            for row in rows[: queries.PAGE]:
                writer.writerow(
                    safe_row(
                        [
                            row.id,
                            row.at.isoformat(),
                            row.actor_id if row.actor_id is not None else "",
                            row.actor,
                            row.action,
                            labels.get(row.action, row.action),
                            row.object_kind,
                            row.object_id,
                            row.organisation_id if row.organisation_id is not None else "",
                            json.dumps(row.before, ensure_ascii=False) if row.before else "",
                            json.dumps(row.after, ensure_ascii=False) if row.after else "",
                        ]
                    )
                )
            yield out.getvalue()
            out.seek(0)
            out.truncate()
            if len(rows) <= queries.PAGE:
                return
            before = rows[queries.PAGE - 1].id

    return StreamingResponse(
        lines(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="audit-log.csv"'},
    )


routes = [
    Route("/programme/audit", audit_log, name="programme_audit", action=STAFF),
    Route("/programme/audit.csv", audit_csv, name="programme_audit_csv", action=STAFF),
]
