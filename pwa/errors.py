"""Translated error pages in the same layout as every other page."""

from __future__ import annotations

import logging
from urllib.parse import quote

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.types import Receive, Scope, Send

from pwa.auth.throttle import Throttled
from pwa.core import redact
from pwa.i18n import _, format_wait
from pwa.programme import services as programme
from pwa.templating import notify, render

log = logging.getLogger(__name__)


def _messages(status: int) -> tuple[str, str]:
    return {
        400: (
            _("This did not work"),
            _("Something in the request was wrong. Nothing was changed."),
        ),
        403: (_("Not allowed"), _("You cannot open this page with this account or phone.")),
        404: (_("Page not found"), _("This page does not exist, or you cannot see it.")),
        405: (_("This did not work"), _("This page cannot do that. Nothing was changed.")),
        413: (
            _("This is too big"),
            _("What you sent is too big. A photo can be at most 2 MB. Nothing was changed."),
        ),
        429: (_("Too many tries"), _("There were too many tries. Wait, then try again.")),
        500: (
            _("Something went wrong"),
            _("Something went wrong on our side. Nothing was changed. Please try again later."),
        ),
    }.get(status, (_("This did not work"), _("Nothing was changed.")))


def error_page(request: Request, status: int) -> Response:
    title, text = _messages(status)
    return render(
        request, "errors/error.html", {"title": title, "text": text, "status": status}, status
    )


async def http_exception(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    if request.url.path.startswith("/api/"):
        title, text = _messages(exc.status_code)
        return JSONResponse({"error": title, "detail": text}, status_code=exc.status_code)
    if exc.status_code == 403:
        # Staff of a suspended or ended organisation: why, in words (still a 403).
        who = request.scope.get("startrip.principal")
        # Only for someone with no organisation that works: a refusal of another kind to
        # someone who also works elsewhere is not about the stopped one.
        stopped = (
            []
            if getattr(who, "org_kinds", None)
            else await programme.stopped_organisations(getattr(who, "account", None))
        )
        if stopped:
            text = " ".join(programme.stopped_words(org) for org in stopped)
            context = {"title": _("Not allowed"), "text": text, "status": 403}
            return render(request, "errors/error.html", context, 403)
    return error_page(request, exc.status_code)


async def hidden(request: Request, exc: Exception) -> Response:
    """The access rule's Hidden: not the caller's to know of (pwa/auth/rules.py)."""
    return await http_exception(request, HTTPException(404))


async def denied(request: Request, exc: Exception) -> Response:
    """The access rule's Denied: known to the caller, not theirs to do."""
    return await http_exception(request, HTTPException(403))


def wait_text(exc: Throttled) -> str:
    return _(
        "There were too many tries. Wait %(wait)s, then try again. Nothing was changed.",
        wait=format_wait(exc.seconds),
    )


async def throttled(request: Request, exc: Exception) -> Response:
    """Too many failed tries (pwa/auth/throttle.py): how long to wait, never a lock."""
    assert isinstance(exc, Throttled)
    headers = {"Retry-After": str(exc.seconds)}
    text = wait_text(exc)
    if request.url.path.startswith("/api/"):
        return JSONResponse({"error": _("Too many tries"), "detail": text}, 429, headers)
    context = {"title": _("Too many tries"), "text": text, "status": 429}
    response = render(request, "errors/error.html", context, 429)
    response.headers.update(headers)
    return response


def unlinked_words() -> str:
    return _("This phone is no longer linked. Ask your parent for a new code.")


async def login_required(request: Request, exc: Exception) -> Response:
    if request.url.path.startswith("/api/"):
        # An API answers in JSON: 401 with no session, 403 for a phone that was unlinked.
        who = request.scope.get("startrip.principal")
        if getattr(who, "unlinked", False):
            return JSONResponse({"error": _("This phone is no longer linked.")}, status_code=403)
        return JSONResponse({"error": _("Log in first.")}, status_code=401)
    who = request.scope.get("startrip.principal")
    if getattr(who, "unlinked", False):
        # The person's phone, unlinked by the parent: not an adult's log-in form, but the page
        # that links a phone, saying in words what happened.
        notify(request, unlinked_words())
        return RedirectResponse("/link", status_code=303)
    return RedirectResponse(f"/login?next={quote(request.url.path)}", status_code=303)


async def server_error(request: Request, exc: Exception) -> Response:
    log.exception("unhandled error on %s", redact.redact_path(request.url.path), exc_info=exc)
    return error_page(request, 500)


async def csrf_failure(scope: Scope, receive: Receive, send: Send) -> None:
    """Answer a form sent without the session's token: 403, translated, nothing changed."""
    request = Request(scope, receive)
    title = _("This form could not be checked")
    text = _("Nothing was changed. Go back, reload the page and send the form again.")
    context = {"title": title, "text": text, "status": 403}
    response = render(request, "errors/error.html", context, 403)
    await response(scope, receive, send)


async def too_large(scope: Scope, receive: Receive, send: Send) -> None:
    """Answer a request body over the limit: 413, translated, nothing read or changed."""
    if scope["path"].startswith("/api/"):
        title, text = _messages(413)
        response: Response = JSONResponse({"error": title, "detail": text}, status_code=413)
    else:
        response = error_page(Request(scope, receive), 413)
    await response(scope, receive, send)
