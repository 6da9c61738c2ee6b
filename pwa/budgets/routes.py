"""Budgets' pages: the programme's staff see every centre's budget and give (or take back) an
amount; a centre's staff see their own and give every family a voucher for a month."""

from __future__ import annotations

import uuid
from typing import Any

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from pwa import i18n
from pwa.auth import access as org_access
from pwa.auth import sessions
from pwa.auth.routing import Route
from pwa.auth.rules import Action
from pwa.budgets import access
from pwa.budgets import services as budgets
from pwa.core import ids, urls
from pwa.core.forms import FormErrors, read_form
from pwa.i18n import _, format_money
from pwa.models import CentreFamily, Organisation
from pwa.templating import notify, render


def centre_label(centre: Organisation) -> str:
    """A centre in a drop-down: its name and city (two of one name differ), and its state."""
    label = f"{centre.name} · {centre.city}"
    if centre.ended_at is not None:
        state = _("ended: only taking back")
    elif centre.suspended_at is not None:
        state = _("suspended: only taking back")
    else:
        return label
    return f"{label} ({state})"


async def programme_budgets(request: Request) -> Response:
    who = org_access.check_org(sessions.principal(request), Action.PROGRAMME_SCREENS)
    errors: dict[str, str] = {}
    form: dict[str, str] = {"id": str(uuid.uuid4())}
    status = 200
    if request.method == "POST":
        form = await read_form(request)
        centre = await access.any_centre(who, form.get("centre_id", ""))
        try:
            request_id = ids.form_id(form.get("id", ""))
            if centre is None:
                raise FormErrors({"centre_id": _("Choose a centre.")})
            left = await budgets.grant(
                centre,
                amount=form.get("amount", ""),
                take_back=form.get("direction") == "take_back",
                note=form.get("note", ""),
                actor=sessions.require_account(request),
                request_id=request_id,
            )
        except FormErrors as exc:
            errors, status = exc.errors, 400
        except budgets.AlreadyGranted as done:
            notify(
                request,
                _(
                    "This was saved already. Nothing more was moved. "
                    "%(centre)s has %(left)s left to give.",
                    centre=done.centre.name,
                    left=format_money(done.left),
                ),
                "info",
            )
            return RedirectResponse(urls.url("programme_budgets"), status_code=303)
        else:
            notify(
                request,
                _(
                    "Saved. %(centre)s has %(left)s left to give.",
                    centre=centre.name,
                    left=format_money(left),
                ),
            )
            return RedirectResponse(urls.url("programme_budgets"), status_code=303)
    rows = await budgets.overview()
    return render(
        request,
        "budgets/programme.html",
        {
            "title": _("Budgets of the centres"),
            "rows": rows,
            "totals": budgets.totals(rows),
            # Ended centres are not offered: nothing can be given to them (what they have
            # not given is taken back by choosing them while they are listed; see below).
            "centre_options": [("", _("Choose a centre"))]
            + [
                (str(r.centre.id), centre_label(r.centre))
                for r in rows
                if r.centre.ended_at is None or r.unissued > 0
            ],
            "direction_options": [
                ("give", _("Give")),
                ("take_back", _("Take back (only what the centre has not given yet)")),
            ],
            "form": form,
            "errors": errors,
            "back_url": urls.url("programme_start"),
        },
        status,
    )


async def centre_batch(request: Request) -> Response:
    centre = await access.my_centre(sessions.principal(request))
    errors: dict[str, str] = {}
    first_month = budgets.month_choices(1)[0][0]
    form: dict[str, str] = {"amount": "50", "month": first_month}
    status = 200
    if request.method == "POST":
        form = await read_form(request)
        try:
            result = await budgets.run_batch(
                centre,
                amount=form.get("amount", ""),
                month=form.get("month", ""),
                actor=sessions.require_account(request),
            )
        except FormErrors as exc:
            errors, status = exc.errors, 400
        else:
            month = budgets.month_label(result.first_day)
            if result.count:
                said = i18n.ngettext(
                    "%(num)s voucher of %(amount)s is given for %(month)s: %(total)s.",
                    "%(num)s vouchers of %(amount)s are given for %(month)s: %(total)s.",
                    result.count,
                ) % {
                    "num": result.count,
                    "amount": format_money(result.batch.face_value),
                    "month": month,
                    "total": format_money(result.total),
                }
                notify(request, said)
            else:
                notify(
                    request,
                    _(
                        "Nothing was given: every family has its voucher for %(month)s already.",
                        month=month,
                    ),
                    "info",
                )
            return RedirectResponse(urls.url("centre_batch"), status_code=303)
    mine = (await budgets.overview([centre.id]))[0]
    ctx: dict[str, Any] = {
        "title": _("Budget and vouchers for every family"),
        "centre": centre,
        "budget": mine,
        "families": await CentreFamily.filter(centre_id=centre.id).count(),
        "batches": await budgets.batches_of(centre.id),
        "month_options": budgets.month_choices(),
        "form": form,
        "errors": errors,
        "back_url": "/centre",
    }
    return render(request, "budgets/batch.html", ctx, status)


routes = [
    Route(
        "/programme/budgets",
        programme_budgets,
        methods=["GET", "POST"],
        name="programme_budgets",
        action=Action.PROGRAMME_SCREENS,
    ),
    Route(
        "/centre/batch",
        centre_batch,
        methods=["GET", "POST"],
        name="centre_batch",
        action=Action.CENTRE_SCREENS,
    ),
]
