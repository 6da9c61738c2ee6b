"""The guardian's consent to what the app keeps about the person (issue 16, item 5): the
privacy notice's version, asked at sign-up, when a person is added and when the notice changes.

PIPL Art. 28/29/31 (a child under 14 is sensitive by age; a guardian consents for them) and
GDPR Art. 8/9 ask for a separate, explicit consent to sensitive personal information: a box the
guardian ticks themselves beside a link to the notice, recorded with its time and version.

Only guardians are asked (a self-managing adult is their own family's guardian): caregivers,
staff and the person's phone act under the guardian's consent. A guardian without a record of
the current version (a new version, or an account from before consent was asked) is sent to
/privacy/agree by ConsentGate and sees nothing of a family until they agree or log out.
"""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import quote
from uuid import UUID

from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Match
from starlette.types import ASGIApp, Receive, Scope, Send

from pwa.auth.rules import Action
from pwa.auth.sessions import Principal
from pwa.core import urls
from pwa.core.forms import FormErrors
from pwa.i18n import _, current_locale
from pwa.models import Account, ConsentRecord, Membership, Role

# Raise it whenever the notice (templates/accounts/privacy_notice.html) says something new:
# every guardian is asked again at their next log-in, or their next page if logged in.
NOTICE_VERSION = "2026-11-30"
FIELD = "consent"
# The session remembers the version its guardian agreed to (or that its account is not asked):
# the gate then costs no query on the requests after the first.
SESSION_FIELD = "notice"


def given(form: Mapping[str, str]) -> bool:
    """The form's consent box was ticked (templates/components/consent.html)."""
    return form.get(FIELD) == "yes"


def missing() -> str:
    """What the consent field says when its box was not ticked."""
    return _("Read the privacy notice, then tick the box to agree.")


def check(form: Mapping[str, str], errors: dict[str, str] | None = None) -> dict[str, str]:
    """Add the consent field's error to errors when the box was not ticked."""
    errors = dict(errors or {})
    if not given(form):
        errors[FIELD] = missing()
    return errors


def require(form: Mapping[str, str]) -> None:
    """FormErrors when the box was not ticked."""
    if errors := check(form):
        raise FormErrors(errors)


async def record(
    account: Account | None,
    *,
    occasion: str,
    family_id: UUID | None = None,
    person_id: UUID | None = None,
    version: str | None = None,
) -> ConsentRecord:
    """Keep the consent: who, for which family and person, which notice, when, in which
    language. occasion: "sign_up", "person_added" or "new_notice". The version is the notice's
    as it is now unless given (a sign-up finished later keeps the version that was shown)."""
    return await ConsentRecord.create(
        account=account,
        family_id=family_id,
        person_id=person_id,
        notice_version=version or NOTICE_VERSION,
        occasion=occasion,
        locale=current_locale(),
    )


async def current(account: Account) -> bool:
    """The account has agreed to the notice as it is now."""
    return await ConsentRecord.filter(account=account, notice_version=NOTICE_VERSION).exists()


async def must_agree(account: Account) -> bool:
    """A guardian of some family who has not agreed to the notice as it is now."""
    if await current(account):
        return False
    return await Membership.exists(account=account, role=Role.GUARDIAN)


async def agree(account: Account) -> None:
    """The guardian agreed to the notice as it is now: one record per family they look after,
    so each family's consent can be shown on its own."""
    for membership in await Membership.filter(account=account, role=Role.GUARDIAN):
        await record(account, occasion="new_notice", family_id=membership.family_id)


def remember(session: dict[str, object]) -> None:
    """This session's guardian agreed (or is not asked): the gate lets it through from now on."""
    session[SESSION_FIELD] = NOTICE_VERSION


# What a guardian still asked to agree may open: the agree page, logging out, and what anyone
# may open (the notice itself, log-in, help, the language switch, the app's files).
# Taking the data out and deleting it stay possible without agreeing to a new notice: someone
# who does not agree must still be able to leave with their data (PIPL Art. 15, 45, 47; GDPR
# Art. 7(3), 17, 20).
OPEN_WHILE_ASKED = frozenset(
    {
        "privacy_agree",
        "logout",
        "family_data_page",
        "family_export",
        "delete_family_page",
        "delete_person_page",
        "delete_account_page",
    }
)
STATIC_PREFIXES = ("/static/", "/openmoji/")


def _open_while_asked(scope: Scope) -> bool:
    if scope["path"].startswith(STATIC_PREFIXES):
        return True
    method = "GET" if scope["method"] == "HEAD" else scope["method"]
    for route in scope["app"].router.routes:
        match, _child = route.matches(scope)
        if match == Match.FULL:
            if getattr(route, "name", None) in OPEN_WHILE_ASKED:
                return True
            return getattr(route, "actions", {}).get(method) == Action.PUBLIC
    return True  # no route: the 404 page shows nothing of anyone


class ConsentGate:
    """Sends a guardian who has not agreed to the notice as it is now to /privacy/agree.

    Runs after PrincipalMiddleware (pwa/app.py). The first request of a session asks the
    database once (must_agree); a session that may go on remembers the version, so later
    requests cost nothing, and a new NOTICE_VERSION asks again on the next request."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        session = scope.get("session")
        who = scope.get("startrip.principal")
        if (
            session is None
            or not isinstance(who, Principal)
            or who.account is None
            or session.get(SESSION_FIELD) == NOTICE_VERSION
            or _open_while_asked(scope)
        ):
            await self.app(scope, receive, send)
            return
        if not await must_agree(who.account):
            remember(session)
            await self.app(scope, receive, send)
            return
        await _ask(scope)(scope, receive, send)


def _ask(scope: Scope) -> Response:
    if scope["path"].startswith("/api/"):
        # 428, not 403: the guardian is still allowed, only asked first. A phone's outbox.js
        # reads 403 on a pull as "shut out" and drops its copy of the family (and the trip an
        # adult who plans for themselves is in); 428 it reads as "not now": it keeps its rows
        # and outbox and sends them once the guardian has agreed on a page.
        return JSONResponse(
            {
                "error": _("Read the new privacy notice and agree to it first."),
                "reason": "privacy_notice",
            },
            status_code=428,
        )
    target = urls.url("privacy_agree")
    if scope["method"] in ("GET", "HEAD"):
        path = scope["path"]
        if query := scope.get("query_string", b"").decode("latin-1"):
            path = f"{path}?{query}"
        target = f"{target}?next={quote(path)}"
    return RedirectResponse(target, status_code=303)
