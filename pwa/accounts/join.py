"""Coming in through the centre (issue 16, item 3): a parent joins a family that a centre gave
them a one-time invitation into, by its short code (/join) or by its link (/invite/{token},
which accounts.routes.invitation_page hands over here when the invitation is a parent's).

The parent makes an account there (name, email, password, consent) or logs in first, and joins
the family as its guardian, with its vouchers waiting. A new account goes through the email
like every sign-up (pwa/accounts/recovery.py): the answer is "We sent a message to …" whether
the email has an account or not, so a code cannot be used to learn which emails have one, and
the account is made, its email verified, only when the link sent there comes back. The
invitation is used then, not before: a mistyped email neither makes an account that the
mailbox's owner could take over by "Forgot your password?" nor spends the code. Wrong codes
count against the address like the phone's link codes (throttle kind "link"): 10 free, then
waits. The code only ever travels in a form's body, never in a URL.
"""

from __future__ import annotations

from dataclasses import dataclass

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from pwa import errors as errors_module
from pwa import i18n
from pwa.accounts import consent, email_links, recovery
from pwa.accounts.services import (
    InvitationRefused,
    accept_guardian_invitation,
    check_account_fields,
    find_guardian_invitation,
    guardian_refusal,
    normalise_code,
    show_code,
)
from pwa.auth import sessions, throttle
from pwa.auth.routing import Route
from pwa.auth.rules import Action
from pwa.core import urls
from pwa.core.forms import FormErrors, read_form
from pwa.i18n import _
from pwa.models import Account, Family, Invitation, Membership, Role
from pwa.templating import render

# The code field takes "ABCD-2345" with room for spaces; what is typed back is cut to this.
CODE_FIELD_MAX = 12
TEMPLATE = "accounts/join.html"


@dataclass(frozen=True)
class Target:
    """Where the join form is sent: /join with the code in a hidden field, or the link itself
    (whose token is the key: no code then); and where "Log in" comes back to."""

    action: str
    code: str


def _title() -> str:
    return _("Join your family")


def _code_form(request: Request, typed: str, errors: dict[str, str], status: int) -> Response:
    """The first step of /join: the code from the centre."""
    return render(
        request,
        TEMPLATE,
        {"title": _title(), "invitation": None, "code": typed, "errors": errors},
        status,
    )


async def join_page(request: Request) -> Response:
    """/join: type the code, then make an account or log in, and join."""
    if sessions.principal(request).device is not None:
        raise HTTPException(403)  # the person's own phone joins nobody's family
    if request.method == "GET":
        return _code_form(request, "", {}, 200)
    form = await read_form(request)
    typed = normalise_code(form.get("code", ""))
    keys = {"link": throttle.client_ip(request)}
    try:
        tried = await throttle.attempt(keys)
    except throttle.Throttled as exc:
        wait = {"code": errors_module.wait_text(exc)}
        response = _code_form(request, typed[:CODE_FIELD_MAX], wait, 429)
        response.headers["Retry-After"] = str(exc.seconds)
        return response
    if not typed:
        return _code_form(request, "", {"code": _("Type the code from the centre.")}, 400)
    invitation = await find_guardian_invitation(typed)
    refusal = guardian_refusal(invitation)
    if invitation is None or refusal is not None:
        # Every refused code keeps its count, used or expired ones too: only guessing makes many.
        return _code_form(request, typed[:CODE_FIELD_MAX], {"code": refusal or ""}, 400)
    await tried.passed()
    target = Target(action=urls.url("join_page"), code=show_code(typed))
    return await join_family(request, invitation, form, target)


async def invitation_link_page(request: Request, invitation: Invitation) -> Response:
    """/invite/{token} when the token is a parent's invitation from a centre."""
    who = sessions.principal(request)
    if who.device is not None:
        raise HTTPException(403)
    target = Target(action=urls.url("invitation", token=request.path_params["token"]), code="")
    refusal = guardian_refusal(invitation)
    if refusal is not None and not await _is_parent(who.account, invitation):
        return _refused(request, refusal)
    form = await read_form(request) if request.method == "POST" else None
    return await join_family(request, invitation, form, target)


def _refused(request: Request, refusal: str) -> Response:
    """The invitation cannot be used (used, cancelled, expired): said in words, with the code
    form for a newer paper."""
    return render(
        request,
        TEMPLATE,
        {"title": _title(), "invitation": None, "code": "", "errors": {}, "refusal": refusal},
        410,
    )


async def _is_parent(account: Account | None, invitation: Invitation) -> bool:
    return account is not None and await Membership.exists(
        account=account, family_id=invitation.family_id, role=Role.GUARDIAN
    )


async def join_family(
    request: Request, invitation: Invitation, form: dict[str, str] | None, target: Target
) -> Response:
    """The second step: the invitation is good. Show who invites into which family; make the
    account by email (step "signup") or join with the logged-in one (step "accept")."""
    account = sessions.principal(request).account
    already = await _is_parent(account, invitation)
    step = form.get("step") if form is not None else None
    errors: dict[str, str] = {}
    status, headers = 400, {}
    if form is not None and not already:
        try:
            if step == "signup" and account is None:
                return await _send_sign_up(request, form, invitation, target)
            if step == "accept" and account is not None:
                consent.require(form)
                await accept_guardian_invitation(invitation, account, occasion="joined")
                return await _joined(request, invitation, account)
        except FormErrors as exc:
            errors = exc.errors
        except throttle.Throttled as exc:
            status, errors = 429, {"email": errors_module.wait_text(exc)}
            headers["Retry-After"] = str(exc.seconds)
        except InvitationRefused as exc:
            # Used by someone else a moment ago, or replaced: nothing was made.
            return _refused(request, exc.reason)
    kept = {"name": form.get("name", ""), "email": form.get("email", "")} if form else {}
    response = render(
        request,
        TEMPLATE,
        {
            "title": _title(),
            "invitation": invitation,
            "target": target,
            "already": already,
            "form": kept,
            "consented": consent.given(form or {}),
            "errors": errors,
        },
        status if errors else 200,
    )
    response.headers.update(headers)
    return response


async def _send_sign_up(
    request: Request, form: dict[str, str], invitation: Invitation, target: Target
) -> Response:
    """Check the form (every mistake at once, the consent box with the fields), then keep the
    sign-up and email its link: "We sent a message to …", the same for any email. The link
    makes the account and joins (email_links.finish_sign_up). FormErrors, or throttle.Throttled
    when messages to that email or from this address must wait."""
    email = form.get("email", "").strip().lower()
    password, name = form.get("password", ""), form.get("name", "")
    if errors := consent.check(form, check_account_fields(email, password, name)):
        raise FormErrors(errors)
    await email_links.count_send(email, throttle.client_ip(request))
    started = await email_links.start_sign_up(
        kind="guardian",
        email=email,
        password=password,
        name=name,
        locale=i18n.current_locale(),
        invitation_digest=invitation.token_hash,
    )
    by_code = bool(target.code)
    return recovery.sign_up_sent(request, email, started, invitation=True, by_code=by_code)


async def _joined(request: Request, invitation: Invitation, account: Account) -> Response:
    family = await Family.get(id=invitation.family_id)
    return await recovery.joined_as_parent(request, family, account)


routes = [
    # The one-time code is the key; wrong ones are throttled per address.
    Route("/join", join_page, methods=["GET", "POST"], name="join_page", action=Action.PUBLIC),
]
