"""Sign-up, log-in, log-out, caregiver invitations, linking the person's phone, account settings."""

from __future__ import annotations

import secrets
from datetime import timedelta
from typing import Any

import segno
from markupsafe import Markup
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route
from tortoise.transactions import in_transaction

from pwa import auth, i18n
from pwa.auth import Action
from pwa.forms import EMAIL_RE, PASSWORD_MIN, PHONE_RE, FormErrors, read_form, safe_next
from pwa.i18n import _
from pwa.models import Account, DeviceLink, Family, Invitation, Membership, Person, Role
from pwa.settings import SUPPORTED_LOCALES
from pwa.templating import notify, render

INVITATION_DAYS = 7
LINK_CODE_MINUTES = 30
# No 0/O, 1/I/L: a code read aloud or typed from a screen is not misread.
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"


def new_code(length: int = 8) -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(length))


def show_code(code: str) -> str:
    return f"{code[:4]}-{code[4:]}"


def normalise_code(typed: str) -> str:
    return "".join(ch for ch in typed.upper() if ch.isalnum())


# --- service functions: the only writers -----------------------------------------------------


def check_account_fields(email: str, password: str, name: str, phone: str = "") -> dict[str, str]:
    errors = {}
    if not name:
        errors["name"] = _("Write your name.")
    if not EMAIL_RE.match(email):
        errors["email"] = _("Write an email address like name@example.com.")
    if len(password) < PASSWORD_MIN:
        errors["password"] = _("The password needs at least %(n)s characters.", n=PASSWORD_MIN)
    if phone and not PHONE_RE.match(phone):
        errors["phone"] = _("Write a phone number with digits only, like 13800138000.")
    return errors


async def create_account(
    email: str, password: str, name: str, phone: str = "", locale: str | None = None
) -> Account:
    email = email.strip().lower()
    errors = check_account_fields(email, password, name, phone)
    if not errors and await Account.exists(email=email):
        errors["email"] = _("There is already an account with this email. Log in instead.")
    if errors:
        raise FormErrors(errors)
    return await Account.create(
        email=email,
        password_hash=auth.hash_password(password),
        name=name,
        phone=phone,
        locale=locale,
    )


async def new_family(name: str) -> Family:
    while True:
        code = new_code()
        if not await Family.exists(code=code):
            return await Family.create(name=name, code=code)


async def sign_up_parent(
    *, email: str, password: str, name: str, phone: str, person_name: str, locale: str | None
) -> Account:
    """A parent's sign-up creates their family, with the person when a name is given."""
    async with in_transaction():
        account = await create_account(email, password, name, phone, locale)
        family = await new_family(_("%(name)s's family", name=name))
        await Membership.create(account=account, family=family, role=Role.GUARDIAN)
        if person_name:
            await Person.create(family=family, display_name=person_name[:60])
    return account


async def sign_up_self(
    *, email: str, password: str, name: str, phone: str, locale: str | None
) -> Account:
    """An autistic adult plans their own trips: a family of one, guardian and person at once."""
    async with in_transaction():
        account = await create_account(email, password, name, phone, locale)
        family = await new_family(name)
        await Membership.create(account=account, family=family, role=Role.GUARDIAN)
        await Person.create(family=family, display_name=name[:60], account=account)
    return account


async def authenticate(email: str, password: str, ip: str) -> Account:
    """Check a log-in; raises FormErrors, or HTTPException(429) after too many failures."""
    keys = {"email": email.strip().lower(), "ip": ip}
    if await auth.throttled(keys):
        raise HTTPException(429)
    account = await Account.get_or_none(email=keys["email"])
    if account is None or not auth.verify_password(account.password_hash, password):
        await auth.record_failure(keys)
        raise FormErrors({"password": _("The email or the password is not right.")})
    await auth.clear_failures({"email": keys["email"]})
    return account


async def update_account(account: Account, *, name: str, phone: str, locale: str) -> None:
    errors = {}
    if not name:
        errors["name"] = _("Write your name.")
    if phone and not PHONE_RE.match(phone):
        errors["phone"] = _("Write a phone number with digits only, like 13800138000.")
    if locale and locale not in SUPPORTED_LOCALES:
        errors["locale"] = _("Choose one of the languages.")
    if errors:
        raise FormErrors(errors)
    account.name, account.phone, account.locale = name, phone, locale or None
    await account.save(update_fields=["name", "phone", "locale"])


async def set_language(who: auth.Principal, locale: str) -> None:
    """The language switch: kept on the account or the person's phone so it follows them."""
    if locale not in SUPPORTED_LOCALES:
        raise HTTPException(400)
    if who.account is not None and who.account.locale:
        await Account.filter(id=who.account.id).update(locale=locale)
    if who.device is not None and who.person is not None:
        settings = dict(who.person.settings)
        settings["language"] = locale
        await Person.filter(id=who.person.id).update(settings=settings)


async def create_invitation(family: Family, by: Account) -> str:
    token = secrets.token_urlsafe(24)
    await Invitation.create(
        family=family,
        created_by=by,
        token_hash=auth.token_digest(token),
        expires_at=auth.now() + timedelta(days=INVITATION_DAYS),
    )
    return token


async def open_invitation(token: str) -> Invitation:
    invitation = await Invitation.get_or_none(token_hash=auth.token_digest(token)).prefetch_related(
        "family", "created_by"
    )
    if invitation is None or invitation.revoked_at or invitation.expires_at < auth.now():
        raise HTTPException(404)
    return invitation


async def accept_invitation(token: str, account: Account) -> Family:
    async with in_transaction():
        invitation = await open_invitation(token)
        if invitation.accepted_by_id not in (None, account.id):
            raise HTTPException(404)
        if not await Membership.exists(account=account, family=invitation.family):
            await Membership.create(
                account=account,
                family=invitation.family,
                role=Role.CAREGIVER,
                invitation=invitation,
            )
        invitation.accepted_by = account
        invitation.accepted_at = invitation.accepted_at or auth.now()
        await invitation.save(update_fields=["accepted_by_id", "accepted_at"])
    return invitation.family


async def revoke_invitation(family: Family, invitation_id: str) -> None:
    """Revoking also ends the access of the caregiver who accepted it."""
    async with in_transaction():
        invitation = await Invitation.get_or_none(id=invitation_id, family=family)
        if invitation is None:
            raise HTTPException(404)
        invitation.revoked_at = invitation.revoked_at or auth.now()
        await invitation.save(update_fields=["revoked_at"])
        await Membership.filter(invitation=invitation, role=Role.CAREGIVER).delete()


async def create_device_link(person: Person, by: Account) -> str:
    code = new_code()
    await DeviceLink.create(
        person=person,
        created_by=by,
        code_hash=auth.token_digest(code),
        code_expires_at=auth.now() + timedelta(minutes=LINK_CODE_MINUTES),
    )
    return code


async def find_device_link(code: str) -> DeviceLink | None:
    link = await DeviceLink.get_or_none(
        code_hash=auth.token_digest(normalise_code(code)), revoked_at=None, claimed_at=None
    ).prefetch_related("person")
    if link is None or link.code_expires_at < auth.now():
        return None
    return link


async def claim_device_link(code: str, device_label: str) -> DeviceLink | None:
    """Use a one-time code; the conditional update makes a second use of the same code fail."""
    link = await find_device_link(code)
    if link is None:
        return None
    claimed = await DeviceLink.filter(id=link.id, claimed_at=None, revoked_at=None).update(
        claimed_at=auth.now(), code_hash=None, device_label=device_label[:120]
    )
    return link if claimed == 1 else None


async def revoke_device_link(person: Person, device_id: str) -> None:
    updated = await DeviceLink.filter(id=device_id, person=person, revoked_at=None).update(
        revoked_at=auth.now(), code_hash=None
    )
    if not updated:
        raise HTTPException(404)


# --- pages -----------------------------------------------------------------------------------


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
    try:
        account = await authenticate(
            form.get("email", ""), form.get("password", ""), auth.client_ip(request)
        )
    except FormErrors as exc:
        return render(
            request,
            "accounts/login.html",
            {
                "title": _("Log in"),
                "form": {"email": form.get("email", "")},
                "errors": exc.errors,
                "next": safe_next(form.get("next"), ""),
            },
            400,
        )
    auth.login_session(request, account)
    return RedirectResponse(safe_next(form.get("next"), "/"), status_code=303)


async def logout(request: Request) -> Response:
    auth.end_session(request)
    notify(request, _("You are logged out."))
    return RedirectResponse("/login?logged_out=1", status_code=303)


async def signup_page(request: Request) -> Response:
    if request.method == "GET":
        return render(request, "accounts/signup.html", _signup_context({"kind": "family"}, {}))
    form = await read_form(request)
    kind = form.get("kind", "family")
    fields = {
        "email": form.get("email", ""),
        "password": form.get("password", ""),
        "name": form.get("name", ""),
        "phone": form.get("phone", ""),
        "locale": i18n.current_locale(),
    }
    try:
        if kind == "self":
            account = await sign_up_self(**fields)
        else:
            account = await sign_up_parent(**fields, person_name=form.get("person_name", ""))
    except FormErrors as exc:
        form.pop("password", None)
        return render(request, "accounts/signup.html", _signup_context(form, exc.errors), 400)
    auth.login_session(request, account)
    notify(request, _("Welcome. Your account is ready."))
    return RedirectResponse("/home", status_code=303)


async def account_page(request: Request) -> Response:
    account = auth.require_account(request)
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
    await set_language(auth.principal(request), locale)
    request.session["lang"] = locale
    return RedirectResponse(safe_next(form.get("next"), "/"), status_code=303)


async def invitations_page(request: Request) -> Response:
    family, _role = await auth.authorize_family(
        request, request.path_params["family_id"], Action.CAREGIVER_INVITE
    )
    if request.method == "POST":
        token = await create_invitation(family, auth.require_account(request))
        request.session["new_invitation"] = token
        notify(request, _("The invitation link is ready. Send it to the caregiver."))
        return RedirectResponse(f"/families/{family.id}/caregivers", status_code=303)
    token = request.session.pop("new_invitation", None)
    invitations = (
        await Invitation.filter(family=family)
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
            "now": auth.now(),
        },
    )


async def revoke_invitation_page(request: Request) -> Response:
    family, _role = await auth.authorize_family(
        request, request.path_params["family_id"], Action.CAREGIVER_INVITE
    )
    await revoke_invitation(family, request.path_params["invitation_id"])
    notify(request, _("The invitation is cancelled. That caregiver can no longer see your family."))
    return RedirectResponse(f"/families/{family.id}/caregivers", status_code=303)


async def invitation_page(request: Request) -> Response:
    token = request.path_params["token"]
    invitation = await open_invitation(token)
    who = auth.principal(request)
    if who.device is not None:
        raise HTTPException(403)
    if request.method == "POST":
        form = await read_form(request)
        if who.account is None:
            try:
                account = await create_account(
                    form.get("email", ""),
                    form.get("password", ""),
                    form.get("name", ""),
                    locale=i18n.current_locale(),
                )
            except FormErrors as exc:
                form.pop("password", None)
                return render(
                    request,
                    "accounts/invitation.html",
                    {
                        "title": _("Invitation"),
                        "invitation": invitation,
                        "form": form,
                        "errors": exc.errors,
                    },
                    400,
                )
            auth.login_session(request, account)
        else:
            account = who.account
        family = await accept_invitation(token, account)
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


def qr_svg(data: str, label: str) -> Markup:
    svg = segno.make(data, error="m").svg_inline(scale=6, border=2, dark="#1f2d3d", light="#fff")
    svg = svg.replace("<svg ", '<svg aria-hidden="true" focusable="false" ', 1)
    return Markup('<div class="qr" role="img" aria-label="{}">{}</div>').format(label, Markup(svg))


async def link_phone_page(request: Request) -> Response:
    """The guardian makes a one-time code for the person's phone and sees the linked phones."""
    person, _role = await auth.authorize_person(
        request, request.path_params["person_id"], Action.DEVICE_LINK
    )
    if request.method == "POST":
        code = await create_device_link(person, auth.require_account(request))
        request.session["new_link_code"] = code
        return RedirectResponse(f"/people/{person.id}/phone", status_code=303)
    code = request.session.pop("new_link_code", None)
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
    person, _role = await auth.authorize_person(
        request, request.path_params["person_id"], Action.DEVICE_LINK
    )
    await revoke_device_link(person, request.path_params["device_id"])
    notify(request, _("That phone is no longer linked."))
    return RedirectResponse(f"/people/{person.id}/phone", status_code=303)


async def link_page(request: Request) -> Response:
    """On the person's phone: type the code (or open the QR link), then confirm."""
    code = request.path_params.get("code") or ""
    errors = {}
    if request.method == "POST":
        form = await read_form(request)
        code = form.get("code", code)
        keys = {"ip": auth.client_ip(request)}
        if await auth.throttled(keys):
            raise HTTPException(429)
        if not normalise_code(code):
            errors["code"] = _("Type the code.")
        elif form.get("confirm") == "yes":
            link = await claim_device_link(code, request.headers.get("user-agent", ""))
            if link is not None:
                auth.device_session(request, link)
                return RedirectResponse("/me", status_code=303)
        elif await find_device_link(code) is not None:
            return RedirectResponse(f"/link/{normalise_code(code)}", status_code=303)
        if not errors:
            # A wrong or used code counts towards the limit, so codes cannot be guessed.
            await auth.record_failure(keys)
            errors["code"] = _("This code does not work. Ask your parent for a new code.")
    link = await find_device_link(code) if code and not errors else None
    if code and link is None and not errors:
        errors["code"] = _("This code does not work. Ask your parent for a new code.")
    return render(
        request,
        "accounts/link.html",
        {
            "title": _("Link this phone"),
            "link": link,
            "code": normalise_code(code),
            "errors": errors,
        },
        400 if errors and request.method == "POST" else 200,
    )


routes = [
    Route("/login", login_page, methods=["GET", "POST"]),
    Route("/logout", logout, methods=["POST"]),
    Route("/signup", signup_page, methods=["GET", "POST"]),
    Route("/account", account_page, methods=["GET", "POST"]),
    Route("/lang", language, methods=["POST"]),
    Route("/families/{family_id}/caregivers", invitations_page, methods=["GET", "POST"]),
    Route(
        "/families/{family_id}/caregivers/{invitation_id}/revoke",
        revoke_invitation_page,
        methods=["POST"],
    ),
    Route("/invite/{token}", invitation_page, methods=["GET", "POST"], name="invitation"),
    Route("/people/{person_id}/phone", link_phone_page, methods=["GET", "POST"]),
    Route("/people/{person_id}/phone/{device_id}/revoke", revoke_phone_page, methods=["POST"]),
    Route("/link", link_page, methods=["GET", "POST"]),
    Route("/link/{code}", link_page, methods=["GET", "POST"], name="link_code"),
]
