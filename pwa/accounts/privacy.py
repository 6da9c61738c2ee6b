"""The privacy notice (issue 16, item 5): what is kept about the person, who sees it, for how
long, how to take it out. Public: read before signing up."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from pwa.accounts import consent
from pwa.auth.routing import Route
from pwa.auth.rules import Action
from pwa.i18n import _
from pwa.templating import render


async def privacy_page(request: Request) -> Response:
    settings = request.app.state.settings
    return render(
        request,
        "accounts/privacy.html",
        {
            "title": _("Privacy notice"),
            "version": consent.NOTICE_VERSION,
            "keep_op_log_days": settings.keep_op_log_days,
            "keep_field_history_days": settings.keep_field_history_days,
            "keep_login_failures_days": settings.keep_login_failures_days,
        },
    )


routes = [
    Route("/privacy", privacy_page, action=Action.PUBLIC, name="privacy_page"),
]
