"""The accounts pages: log in and out, sign up, the account page and password, caregivers'
invitations, linking the person's phone."""

from __future__ import annotations

from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from pwa import errors as errors_module
from pwa import i18n
from pwa.accounts import consent, join, recovery
from pwa.accounts.services import (
    LINK_CODE_MINUTES,
    InvitationRefused,
    accept_invitation,
    authenticate,
    change_password,
    check_account_fields,
    check_sign_up,
    claim_device_link,
    create_device_link,
    create_invitation,
    end_other_devices,
    find_device_link,
    find_invitation,
    normalise_code,
    open_invitation,
    revoke_device_link,
    revoke_invitation,
    set_language,
    show_code,
    update_account,
)
from pwa.auth import passwords, sessions, throttle
from pwa.auth.routing import Route
from pwa.auth.rules import Action
from pwa.core import clock, urls
from pwa.core.forms import FormErrors, read_form, safe_next
from pwa.core.qr import qr_svg
from pwa.family import access
from pwa.i18n import _
from pwa.models import DeviceLink, Invitation, Membership, Role
from pwa.settings import SUPPORTED_LOCALES
from pwa.templating import notify, render


def _signup_context(form: dict[str, str], errors: dict[str, str]) -> dict[str, Any]:
    return {"title": _("Sign up"), "form": form, "errors": errors}


async def login_page(request: Request) -> Response:
    if request.method == "GET":
        return render(
            request,
            "accounts/login.html",
            {
                "title": _("Log in"),
                "form": {},
                "errors": {},
                "next": safe_next(request.query_params.get("next"), ""),
            },
        )
    form = await read_form(request)
    status, errors, headers = 400, {}, {}
    try:
        account = await authenticate(
            form.get("email", ""),
            form.get("password", ""),
            throttle.client_ip(request),
            lambda account_id: throttle.device_key(request, account_id),
        )
    except FormErrors as exc:
        errors = exc.errors
    except throttle.Throttled as exc:
        status, errors = 429, {"password": errors_module.wait_text(exc)}
        headers = {"Retry-After": str(exc.seconds)}
    response: Response
    if errors:
        response = render(
            request,
            "accounts/login.html",
            {
                "title": _("Log in"),
                "form": {"email": form.get("email", "")},
                "errors": errors,
                "next": safe_next(form.get("next"), ""),
            },
            status,
        )
        response.headers.update(headers)
        return response
    await sessions.login_session(request, account)
    response = RedirectResponse(safe_next(form.get("next"), "/"), status_code=303)
    throttle.remember_device(request, response, account.id)
    return response


async def logout(request: Request) -> Response:
    await sessions.end_session(request)
    notify(request, _("You are logged out."))
    response = RedirectResponse("/login?logged_out=1", status_code=303)
    # A shared computer keeps nothing of this account: the HTTP cache, and the service worker's
    # copies of the person's screens, the pay codes in localStorage and the outbox in IndexedDB
    # ("storage"). The page flushes the outbox before it sends this form (static/js/main.js),
    # and drops the copies itself too, in case this header never reaches the browser.
    response.headers["Clear-Site-Data"] = '"cache", "storage"'
    return response


async def signup_page(request: Request) -> Response:
    """Sign-up by email: nothing is made until the link sent to the email comes back
    (pwa/accounts/recovery.py), and the answer is the same whether the email has an account."""
    if request.method == "GET":
        return render(request, "accounts/signup.html", _signup_context({"kind": "family"}, {}))
    form = await read_form(request)
    kind = "self" if form.get("kind") == "self" else "family"
    fields = {
        "email": form.get("email", "").lower(),
        "password": form.get("password", ""),
        "name": form.get("name", ""),
        "phone": form.get("phone", ""),
        # Only a parent names the person; an adult who plans their own trips is the person.
        "person_name": form.get("person_name", "") if kind == "family" else "",
    }
    errors = consent.check(form, check_sign_up(**fields))
    form.pop("password", None)
    if errors:
        return render(request, "accounts/signup.html", _signup_context(form, errors), 400)
    try:
        return await recovery.send_sign_up(request, kind=kind, **fields)
    except throttle.Throttled as exc:
        errors = {"email": errors_module.wait_text(exc)}
        response = render(request, "accounts/signup.html", _signup_context(form, errors), 429)
        response.headers["Retry-After"] = str(exc.seconds)
        return response


async def account_page(request: Request) -> Response:
    account = sessions.require_account(request)
    ctx = {"title": _("My account"), "errors": {}, "locales": SUPPORTED_LOCALES}
    if request.method == "GET":
        form = {"name": account.name, "phone": account.phone, "locale": account.locale or ""}
        return render(request, "accounts/account.html", {**ctx, "form": form})
    form = await read_form(request)
    try:
        await update_account(
            account,
            name=form.get("name", ""),
            phone=form.get("phone", ""),
            locale=form.get("locale", ""),
        )
    except FormErrors as exc:
        return render(
            request, "accounts/account.html", {**ctx, "form": form, "errors": exc.errors}, 400
        )
    if account.locale:
        i18n.set_locale(account.locale)
    notify(request, _("Saved."))
    return RedirectResponse("/account", status_code=303)


async def language(request: Request) -> Response:
    form = await read_form(request)
    locale = form.get("locale", "")
    await set_language(sessions.principal(request), locale)
    request.session["lang"] = locale
    return RedirectResponse(safe_next(form.get("next"), "/"), status_code=303)


async def invitations_page(request: Request) -> Response:
    family, _access = await access.family_for(request)
    token = None
    if request.method == "POST":
        # The new link is shown in this answer and nowhere else: not kept in the session cookie
        # (readable by whoever has the cookie) and not put in a URL (logs, history).
        token = await create_invitation(family, sessions.require_account(request))
        notify(request, _("The invitation link is ready. Send it to the caregiver."))
    # A centre's invitations for a parent are the centre's (issue 16): not listed here.
    invitations = (
        await Invitation.filter(family=family, role=Role.CAREGIVER)
        .order_by("-created_at")
        .prefetch_related("accepted_by")
    )
    return render(
        request,
        "accounts/caregivers.html",
        {
            "title": _("Caregivers"),
            "family": family,
            "invitations": invitations,
            "new_link": str(request.url_for("invitation", token=token)) if token else None,
            "now": clock.now(),
        },
    )


async def revoke_invitation_page(request: Request) -> Response:
    family, _access = await access.family_for(request)
    await revoke_invitation(family, request.path_params["invitation_id"])
    notify(request, _("The invitation is cancelled. That caregiver can no longer see your family."))
    return RedirectResponse(urls.url("invitations_page", family_id=family.id), status_code=303)


async def invitation_page(request: Request) -> Response:
    token = request.path_params["token"]
    found = await find_invitation(token)
    if found is not None and found.role == Role.GUARDIAN:
        # A centre's invitation for a parent: joined as guardian, with consent (issue 16).
        return await join.invitation_link_page(request, found)
    invitation = await open_invitation(token)
    who = sessions.principal(request)
    if who.device is not None:
        raise HTTPException(403)
    if request.method == "POST":
        form = await read_form(request)
        if who.account is None:
            # Someone new makes the account through the link sent to their email, like any
            # sign-up: the page answers the same whether the email has an account or not, so
            # an invitation cannot be used to learn which emails have accounts.
            email, password = form.get("email", "").lower(), form.get("password", "")
            errors = check_account_fields(email, password, form.get("name", ""))
            form.pop("password", None)
            status, headers = 400, {}
            if not errors:
                try:
                    return await recovery.send_sign_up(
                        request,
                        kind="invitation",
                        email=email,
                        password=password,
                        name=form.get("name", ""),
                        invitation_digest=passwords.token_digest(token),
                    )
                except throttle.Throttled as exc:
                    status, errors = 429, {"email": errors_module.wait_text(exc)}
                    headers = {"Retry-After": str(exc.seconds)}
            response = render(
                request,
                "accounts/invitation.html",
                {
                    "title": _("Invitation"),
                    "invitation": invitation,
                    "form": form,
                    "errors": errors,
                },
                status,
            )
            response.headers.update(headers)
            return response
        account = who.account
        try:
            family = await accept_invitation(token, account)
        except InvitationRefused as refused:
            return render(
                request,
                "accounts/invitation.html",
                {
                    "title": _("Invitation"),
                    "invitation": invitation,
                    "form": {},
                    "errors": {"invitation": refused.reason},
                },
                400,
            )
        notify(request, _("You can now see the trips of %(family)s.", family=family.name))
        return RedirectResponse("/home", status_code=303)
    already = who.account is not None and await Membership.exists(
        account=who.account, family=invitation.family
    )
    return render(
        request,
        "accounts/invitation.html",
        {
            "title": _("Invitation"),
            "invitation": invitation,
            "form": {},
            "errors": {},
            "already": already,
        },
    )


async def link_phone_page(request: Request) -> Response:
    """The guardian makes a one-time code for the person's phone and sees the linked phones."""
    person, _access = await access.person_for(request)
    code = None
    if request.method == "POST":
        # Shown in this answer only: never in the session cookie or a URL (see invitations_page).
        code = await create_device_link(person, sessions.require_account(request))
    qr = None
    if code:
        url = str(request.url_for("link_code", code=code))
        qr = qr_svg(url, _("QR code to link the phone of %(name)s", name=person.display_name))
    devices = await DeviceLink.filter(
        person=person, claimed_at__isnull=False, revoked_at=None
    ).order_by("-claimed_at")
    return render(
        request,
        "accounts/phone.html",
        {
            "title": _("Link the phone of %(name)s", name=person.display_name),
            "person": person,
            "code": show_code(code) if code else None,
            "qr": qr,
            "devices": devices,
            "minutes": LINK_CODE_MINUTES,
        },
    )


async def revoke_phone_page(request: Request) -> Response:
    person, _access = await access.person_for(request)
    await revoke_device_link(person, request.path_params["device_id"])
    notify(request, _("That phone is no longer linked."))
    return RedirectResponse(urls.url("link_phone_page", person_id=person.id), status_code=303)


async def link_page(request: Request) -> Response:
    """On the person's phone: type the code (or open the QR link), then confirm."""
    code = request.path_params.get("code") or ""
    form = await read_form(request) if request.method == "POST" else {}
    code = form.get("code", code)
    errors: dict[str, str] = {}
    headers: dict[str, str] = {}
    status = 400 if request.method == "POST" else 200
    link = None
    # Every look-up of a code counts, from the QR link (GET) as from the form, so codes cannot
    # be guessed either way; whoever waits gets the next try.
    keys = {"link": throttle.client_ip(request)}
    try:
        tried = await throttle.attempt(keys) if code else None
        if request.method == "POST" and not normalise_code(code):
            errors["code"] = _("Type the code.")
        elif code:
            if request.method == "POST" and form.get("confirm") == "yes":
                claimed = await claim_device_link(code, request.headers.get("user-agent", ""))
                if claimed is not None and tried is not None:
                    await tried.passed()
                    await sessions.device_session(request, claimed)
                    return RedirectResponse("/me", status_code=303)
            else:
                link = await find_device_link(code)
                if link is not None and tried is not None:
                    await tried.passed()
                if link is not None and request.method == "POST":
                    return RedirectResponse(
                        urls.url("link_code", code=normalise_code(code)), status_code=303
                    )
            if link is None:
                # A wrong or used code keeps its count, so codes cannot be guessed.
                errors["code"] = _("This code does not work. Ask your parent for a new code.")
    except throttle.Throttled as exc:
        status, errors = 429, {"code": errors_module.wait_text(exc)}
        headers["Retry-After"] = str(exc.seconds)
    if sessions.principal(request).unlinked and request.method == "GET":
        # Said on this page whenever the phone's link was ended, not only through the notice
        # the page it came from left in the session: a request of the phone's own scripts at
        # the same moment could answer with the cookie as it was before, without the notice.
        words = errors_module.unlinked_words()
        if not any(n.get("text") == words for n in request.session.get("notices", [])):
            notify(request, words)
    response = render(
        request,
        "accounts/link.html",
        {
            "title": _("Link this phone"),
            "link": link,
            "code": normalise_code(code),
            "errors": errors,
        },
        status if errors else 200,
    )
    response.headers.update(headers)
    return response


async def password_page(request: Request) -> Response:
    """Change the password: every other browser of the account is logged out."""
    account = sessions.require_account(request)
    ctx = {"title": _("Change the password"), "errors": {}, "back_url": "/account"}
    if request.method == "GET":
        return render(request, "accounts/password.html", ctx)
    form = await read_form(request)
    try:
        await change_password(
            account,
            current=form.get("current_password", ""),
            new=form.get("password", ""),
            again=form.get("password_again", ""),
            keep_session=sessions.principal(request).session_id,
            ip=throttle.client_ip(request),
        )
    except FormErrors as exc:
        return render(request, "accounts/password.html", {**ctx, "errors": exc.errors}, 400)
    notify(request, _("The password is changed. Every other device is logged out."))
    return RedirectResponse("/account", status_code=303)


async def log_out_everywhere(request: Request) -> Response:
    """ "Log out on every device": a lost phone or laptop, a shared computer."""
    account = sessions.require_account(request)
    await end_other_devices(account, keep_session=None)
    await sessions.end_session(request)
    notify(request, _("You are logged out on every device."))
    response = RedirectResponse("/login?logged_out=1", status_code=303)
    # This browser is logged out too: it keeps nothing of the account (see logout).
    response.headers["Clear-Site-Data"] = '"cache", "storage"'
    return response


A = Action
GET_POST = ["GET", "POST"]
routes = [
    Route("/login", login_page, methods=GET_POST, action=A.PUBLIC),
    Route("/logout", logout, methods=["POST"], action=A.OWN_ACCOUNT),
    Route("/signup", signup_page, methods=GET_POST, action=A.PUBLIC),
    Route("/account", account_page, methods=GET_POST, action=A.OWN_ACCOUNT),
    Route("/account/password", password_page, methods=GET_POST, action=A.OWN_ACCOUNT),
    Route(
        "/account/log-out-everywhere", log_out_everywhere, methods=["POST"], action=A.OWN_ACCOUNT
    ),
    Route("/lang", language, methods=["POST"], action=A.PUBLIC),
    Route(
        "/families/{family_id}/caregivers",
        invitations_page,
        methods=GET_POST,
        action=A.CAREGIVER_INVITE,
    ),
    Route(
        "/families/{family_id}/caregivers/{invitation_id}/revoke",
        revoke_invitation_page,
        methods=["POST"],
        action=A.CAREGIVER_INVITE,
    ),
    # The secret token is the key; accepting it makes the membership.
    Route("/invite/{token}", invitation_page, methods=GET_POST, name="invitation", action=A.PUBLIC),
    Route("/people/{person_id}/phone", link_phone_page, methods=GET_POST, action=A.DEVICE_LINK),
    Route(
        "/people/{person_id}/phone/{device_id}/revoke",
        revoke_phone_page,
        methods=["POST"],
        action=A.DEVICE_LINK,
    ),
    # A one-time code is the key.
    Route("/link", link_page, methods=GET_POST, action=A.PUBLIC),
    Route("/link/{code}", link_page, methods=GET_POST, name="link_code", action=A.PUBLIC),
]
