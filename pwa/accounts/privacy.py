"""The privacy notice (issue 16, item 5): what is kept about the person, who sees it, for how
long, how to take it out. Public: read before signing up. /privacy/agree asks a guardian
again when the notice has changed (pwa/accounts/consent.ConsentGate sends them there)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from pwa.accounts import consent
from pwa.auth import sessions
from pwa.auth.routing import Route
from pwa.auth.rules import Action
from pwa.core.forms import read_form, safe_next
from pwa.i18n import _, format_date
from pwa.models import Family, Role
from pwa.retention import DEAD_KEPT
from pwa.templating import render


def notice_context(request: Request) -> dict[str, Any]:
    """What templates/accounts/privacy_notice.html says, from the settings: the same times
    `python -m pwa purge` keeps things (pwa/retention.py)."""
    settings = request.app.state.settings
    try:
        # The version is the day the notice was written (consent.NOTICE_VERSION).
        day = format_date(datetime.fromisoformat(consent.NOTICE_VERSION))
    except ValueError:
        day = consent.NOTICE_VERSION
    return {
        "version": consent.NOTICE_VERSION,
        "notice_date": day,
        "keep_op_log_days": settings.keep_op_log_days,
        "keep_field_history_days": settings.keep_field_history_days,
        "keep_login_failures_days": settings.keep_login_failures_days,
        "keep_ended_days": DEAD_KEPT.days,
    }


async def privacy_page(request: Request) -> Response:
    return render(
        request,
        "accounts/privacy.html",
        {"title": _("Privacy notice"), **notice_context(request)},
    )


async def agree_page(request: Request) -> Response:
    """The notice, its box, Agree and Log out: nothing of a family until the guardian agrees."""
    account = sessions.require_account(request)
    if request.method == "GET":
        form = {"next": request.query_params.get("next", "")}
    else:
        form = await read_form(request)
    next_page = safe_next(form.get("next"), "/")
    if not await consent.must_agree(account):
        # Agreed already (another tab, a second press), or not a guardian: nothing to ask.
        consent.remember(request.session)
        return RedirectResponse(next_page, status_code=303)
    errors: dict[str, str] = {}
    if request.method == "POST":
        errors = consent.check(form)
        if not errors:
            await consent.agree(account)
            consent.remember(request.session)
            return RedirectResponse(next_page, status_code=303)
    return render(
        request,
        "accounts/privacy_agree.html",
        {
            "title": _("Read the privacy notice"),
            "asking": True,
            "errors": errors,
            "next": next_page,
            # Without agreeing, a guardian can still take the family's data out or delete it.
            "families": await Family.filter(
                memberships__account=account, memberships__role=Role.GUARDIAN
            ).order_by("name"),
            **notice_context(request),
        },
        400 if errors else 200,
    )


routes = [
    Route("/privacy", privacy_page, action=Action.PUBLIC, name="privacy_page"),
    Route(
        "/privacy/agree",
        agree_page,
        methods=["GET", "POST"],
        action=Action.OWN_ACCOUNT,
        name="privacy_agree",
    ),
]
