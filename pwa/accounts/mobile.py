"""Signing in and up with a mobile number and a code sent by SMS (issue 16, items 1 and 4).

Each page is two steps on one URL: the number (step=send), then the code (step=code). The
number travels in the code form itself, never in a URL or the session cookie. Asking for a
code gives the browser a random nonce in a cookie (CODE_BROWSER_COOKIE), and the code works
only in that browser (pwa/accounts/codes.py): anyone can post a number, but nobody else's
tries or sends touch the code its owner is typing.

Nothing says whether a number has an account: log-in answers "If this number has an account,
we sent a code…" for every number (a number with no account gets a code that is never sent,
so waits, tries and answers stay the same); sign-up sends a code to every number, and for a
number that already has an account the code simply signs that account in.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from pwa import errors as errors_module
from pwa import i18n
from pwa.accounts import codes, consent, sms
from pwa.accounts.services import (
    NAME_MAX,
    PERSON_NAME_MAX,
    check_account_fields,
    sign_up_parent,
    sign_up_self,
)
from pwa.auth import sessions, throttle
from pwa.auth.routing import Route
from pwa.auth.rules import Action
from pwa.core import urls
from pwa.core.forms import FormErrors, read_form, safe_next
from pwa.i18n import _
from pwa.models import Account, CodePurpose, Membership, Person
from pwa.templating import notify, render

ADD_MOBILE = "add_mobile"
CODE_BROWSER_COOKIE = "code_browser"


def _browser(request: Request) -> str:
    """This browser's nonce for codes: the one it was given, or a new one (set by _keep_browser
    once a code is asked for). The same nonce for each code a browser asks for, so a new code
    retires this browser's earlier ones."""
    value = request.cookies.get(CODE_BROWSER_COOKIE, "")
    return value if codes.valid_browser(value) else codes.new_browser()


def _keep_browser(request: Request, response: Response, browser: str) -> Response:
    settings = request.app.state.settings
    response.set_cookie(
        CODE_BROWSER_COOKIE,
        browser,
        max_age=codes.BROWSER_MAX_AGE,
        httponly=True,
        samesite="lax",
        secure=settings.secure_cookies,
    )
    return response


async def _device(request: Request, number: str) -> str | None:
    """This browser's known-device key for the account of this number, if it logged in to it
    before (its sends are then counted for it alone, codes.send)."""
    account = await Account.get_or_none(mobile=number)
    return throttle.device_key(request, account.id) if account is not None else None


def _remember_device(request: Request, response: Response, account: Account) -> None:
    """The same known-device cookie as a log-in by password (pwa/accounts/routes.py): this
    browser's own tries at the account are counted for it alone."""
    throttle.remember_device(request, response, account.id)


async def _signed_in(request: Request, account: Account, to: str) -> Response:
    await sessions.login_session(request, account)
    response = RedirectResponse(to, status_code=303)
    _remember_device(request, response, account)
    return response


def _code_page(
    request: Request,
    *,
    title: str,
    sent_text: str,
    action: str,
    keep: dict[str, str],
    submit: tuple[str, str],
    back: str,
    errors: dict[str, str] | None = None,
    status: int = 200,
    retry_after: int | None = None,
) -> Response:
    """The second step: type the code; or send a new one; or go back to change the number."""
    return _waits(
        render(
            request,
            "accounts/mobile_code.html",
            {
                "title": title,
                "sent_text": sent_text,
                "action": action,
                "keep": keep,
                "submit_label": submit[0],
                "submit_icon": submit[1],
                "back_url": back,
                "errors": errors or {},
                "minutes": codes.CODE_MINUTES,
            },
            status,
        ),
        retry_after,
    )


def _waits(response: Response, retry_after: int | None) -> Response:
    """A page that asks the browser to wait (a 429) says how long in Retry-After too."""
    if retry_after:
        response.headers["Retry-After"] = str(retry_after)
    return response


def _throttled(exc: throttle.Throttled, field: str) -> tuple[dict[str, str], int]:
    return {field: errors_module.wait_text(exc)}, exc.seconds


# --- log in ----------------------------------------------------------------------------------


async def mobile_login_page(request: Request) -> Response:
    next_url = safe_next(request.query_params.get("next"), "")
    if request.method == "GET":
        return _login_form(request, {}, {}, next_url)
    form = await read_form(request)
    next_url = safe_next(form.get("next"), "")
    try:
        number = sms.parse_mobile(form.get("number", ""))
    except sms.BadNumber as exc:
        return _login_form(request, form, {"number": str(exc)}, next_url, 400)
    keep = {"number": number, "next": next_url}
    ip = throttle.client_ip(request)
    browser = _browser(request)
    if form.get("step") == "code":
        try:
            row = await codes.check(
                CodePurpose.SIGN_IN, number, form.get("code", ""), ip=ip, browser=browser
            )
            account = await Account.get_or_none(mobile=number)
            if account is None or row.payload.get(ADD_MOBILE):
                # Only a number with an account is ever sent a log-in code (and an account's
                # own "add this number" code is not one): this cannot be typed right.
                raise FormErrors({"code": codes.wrong_code()})
        except FormErrors as exc:
            return _login_code(request, number, keep, exc.errors, 400)
        except throttle.Throttled as exc:
            errors, wait = _throttled(exc, "code")
            return _login_code(request, number, keep, errors, 429, wait)
        return await _signed_in(request, account, next_url or "/")
    account = await Account.get_or_none(mobile=number)
    try:
        await codes.send(
            request.app.state.settings,
            CodePurpose.SIGN_IN,
            number,
            ip=ip,
            browser=browser,
            device=await _device(request, number),
            locale=(account.locale if account else None) or i18n.current_locale(),
            account=account,
            deliver=account is not None,
        )
    except FormErrors as exc:
        return _login_form(request, form, exc.errors, next_url, 503)
    except throttle.Throttled as exc:
        errors, wait = _throttled(exc, "number")
        return _login_form(request, form, errors, next_url, 429, wait)
    return _keep_browser(request, _login_code(request, number, keep), browser)


def _login_form(
    request: Request,
    form: dict[str, str],
    errors: dict[str, str],
    next_url: str,
    status: int = 200,
    retry_after: int | None = None,
) -> Response:
    return _waits(
        render(
            request,
            "accounts/mobile_login.html",
            {
                "title": _("Log in with a mobile number"),
                "form": {"number": form.get("number", "")},
                "errors": errors,
                "next": next_url,
            },
            status,
        ),
        retry_after,
    )


def _login_code(
    request: Request,
    number: str,
    keep: dict[str, str],
    errors: dict[str, str] | None = None,
    status: int = 200,
    retry_after: int | None = None,
) -> Response:
    return _code_page(
        request,
        title=_("Type the code to log in"),
        sent_text=_(
            "If this number has an account, we sent a code to %(number)s.",
            number=sms.show_mobile(number),
        ),
        action=urls.url("mobile_login_page"),
        keep=keep,
        submit=(_("Log in"), "1F511"),
        back=urls.url("mobile_login_page"),
        errors=errors,
        status=status,
        retry_after=retry_after,
    )


# --- sign up ---------------------------------------------------------------------------------

SIGN_UP_FIELDS = ("kind", "name", "number", "person_name", "consent")


def _check_sign_up(form: dict[str, str]) -> tuple[str, dict[str, str]]:
    """The number in E.164 and the form's errors (all of them at once, before any SMS)."""
    errors = {
        key: text
        for key, text in check_account_fields("", "", form.get("name", "")).items()
        if key == "name"
    }
    if len(form.get("person_name", "")) > PERSON_NAME_MAX:
        errors["person_name"] = _("A name can have at most %(n)s characters.", n=PERSON_NAME_MAX)
    number = ""
    try:
        number = sms.parse_mobile(form.get("number", ""))
    except sms.BadNumber as exc:
        errors["number"] = str(exc)
    return number, consent.check(form, errors)


async def mobile_signup_page(request: Request) -> Response:
    if request.method == "GET":
        return _signup_form(request, {"kind": "family"}, {})
    form = await read_form(request)
    form["kind"] = "self" if form.get("kind") == "self" else "family"
    number, errors = _check_sign_up(form)
    if errors:
        return _signup_form(request, form, errors, 400)
    keep = {key: form.get(key, "") for key in SIGN_UP_FIELDS} | {"number": number}
    ip = throttle.client_ip(request)
    browser = _browser(request)
    if form.get("step") == "code":
        try:
            row = await codes.check(
                CodePurpose.SIGN_UP, number, form.get("code", ""), ip=ip, browser=browser
            )
        except FormErrors as exc:
            return _signup_code(request, number, keep, exc.errors, 400)
        except throttle.Throttled as exc:
            errors, wait = _throttled(exc, "code")
            return _signup_code(request, number, keep, errors, 429, wait)
        try:
            signed_up, created = await finish_sign_up(number, row.payload)
        except FormErrors as exc:
            return _signup_form(request, form, exc.errors, 400)
        if created:
            notify(request, _("Welcome. Your account is ready."))
            return await _signed_in(request, signed_up, "/home")
        # The code proved the number is theirs: now it may be said that it had an account.
        notify(request, _("This number already had an account. You are logged in to it."))
        return await _signed_in(request, signed_up, "/")
    account = await Account.get_or_none(mobile=number)
    payload = {
        "kind": form["kind"],
        "name": form.get("name", ""),
        "person_name": form.get("person_name", ""),
        "locale": i18n.current_locale(),
        "consent": consent.NOTICE_VERSION,
    }
    try:
        await codes.send(
            request.app.state.settings,
            CodePurpose.SIGN_UP,
            number,
            ip=ip,
            browser=browser,
            device=await _device(request, number),
            locale=(account.locale if account else None) or i18n.current_locale(),
            account=account,
            payload=payload,
        )
    except FormErrors as exc:
        return _signup_form(request, form, exc.errors, 503)
    except throttle.Throttled as exc:
        errors, wait = _throttled(exc, "number")
        return _signup_form(request, form, errors, 429, wait)
    return _keep_browser(request, _signup_code(request, number, keep), browser)


async def finish_sign_up(number: str, payload: dict[str, Any]) -> tuple[Account, bool]:
    """The code came back: the account of this number, made now (with its family, the person
    and the consent to the notice the guardian saw) unless the number already had one."""
    existing = await Account.get_or_none(mobile=number)
    if existing is not None:
        return existing, False
    name = str(payload.get("name", ""))[:NAME_MAX]
    phone = sms.phone_from_mobile(number)
    locale = str(payload.get("locale") or "") or None
    try:
        async with in_transaction():
            if payload.get("kind") == "self":
                account = await sign_up_self(
                    email="", password="", name=name, phone=phone, locale=locale, mobile=number
                )
            else:
                account = await sign_up_parent(
                    email="",
                    password="",
                    name=name,
                    phone=phone,
                    person_name=str(payload.get("person_name", "")),
                    locale=locale,
                    mobile=number,
                )
            membership = await Membership.get(account=account)
            person = await Person.filter(family_id=membership.family_id).first()
            await consent.record(
                account,
                occasion="sign_up",
                family_id=membership.family_id,
                person_id=person.id if person else None,
                version=str(payload.get("consent") or consent.NOTICE_VERSION),
            )
    except IntegrityError:
        # The same number finished a sign-up in another tab a moment ago: that account.
        return await Account.get(mobile=number), False
    return account, True


def _signup_form(
    request: Request,
    form: dict[str, str],
    errors: dict[str, str],
    status: int = 200,
    retry_after: int | None = None,
) -> Response:
    return _waits(
        render(
            request,
            "accounts/mobile_signup.html",
            {"title": _("Sign up with a mobile number"), "form": form, "errors": errors},
            status,
        ),
        retry_after,
    )


def _signup_code(
    request: Request,
    number: str,
    keep: dict[str, str],
    errors: dict[str, str] | None = None,
    status: int = 200,
    retry_after: int | None = None,
) -> Response:
    return _code_page(
        request,
        title=_("Type the code to sign up"),
        sent_text=_("We sent a code to %(number)s.", number=sms.show_mobile(number)),
        action=urls.url("mobile_signup_page"),
        keep=keep,
        submit=(_("Make my account"), "2705"),
        back=urls.url("mobile_signup_page"),
        errors=errors,
        status=status,
        retry_after=retry_after,
    )


# --- my account: add or change the number ----------------------------------------------------


async def account_mobile_page(request: Request) -> Response:
    """Add or change the number the account signs in with: saved once a code sent to it is
    typed back, so an account's number is always one its owner has."""
    account = sessions.require_account(request)
    if request.method == "GET":
        return _account_form(request, account, {}, {})
    form = await read_form(request)
    try:
        number = sms.parse_mobile(form.get("number", ""))
    except sms.BadNumber as exc:
        return _account_form(request, account, form, {"number": str(exc)}, 400)
    ip = throttle.client_ip(request)
    browser = _browser(request)
    keep = {"number": number}
    if form.get("step") == "code":
        try:
            row = await codes.check(
                CodePurpose.SIGN_IN, number, form.get("code", ""), ip=ip, browser=browser
            )
            if row.account_id != account.id or not row.payload.get(ADD_MOBILE):
                raise FormErrors({"code": codes.wrong_code()})
            await save_mobile(account, number)
        except FormErrors as exc:
            return _account_code(request, number, keep, exc.errors, 400)
        except throttle.Throttled as exc:
            errors, wait = _throttled(exc, "code")
            return _account_code(request, number, keep, errors, 429, wait)
        notify(
            request,
            _(
                "Saved. You can now log in with a code sent to %(number)s.",
                number=sms.show_mobile(number),
            ),
        )
        return RedirectResponse(urls.url("account_page"), status_code=303)
    try:
        # Sent even when another account has this number: only who has the phone learns that.
        await codes.send(
            request.app.state.settings,
            CodePurpose.SIGN_IN,
            number,
            ip=ip,
            browser=browser,
            device=await _device(request, number),
            locale=account.locale or i18n.current_locale(),
            account=account,
            payload={ADD_MOBILE: True},
        )
    except FormErrors as exc:
        return _account_form(request, account, form, exc.errors, 503)
    except throttle.Throttled as exc:
        errors, wait = _throttled(exc, "number")
        return _account_form(request, account, form, errors, 429, wait)
    return _keep_browser(request, _account_code(request, number, keep), browser)


async def save_mobile(account: Account, number: str) -> None:
    """The account signs in with this number from now on (FormErrors if another does)."""
    taken = _(
        "This number already logs in to another account. Log out, then log in with it; "
        "or use another number."
    )
    if await Account.filter(mobile=number).exclude(id=account.id).exists():
        raise FormErrors({"code": taken})
    try:
        await Account.filter(id=account.id).update(mobile=number)
    except IntegrityError:
        raise FormErrors({"code": taken}) from None
    account.mobile = number


def _account_form(
    request: Request,
    account: Account,
    form: dict[str, str],
    errors: dict[str, str],
    status: int = 200,
    retry_after: int | None = None,
) -> Response:
    return _waits(
        render(
            request,
            "accounts/mobile_account.html",
            {
                "title": _("My mobile number"),
                "current": sms.show_mobile(account.mobile) if account.mobile else "",
                "form": {"number": form.get("number", "")},
                "errors": errors,
            },
            status,
        ),
        retry_after,
    )


def _account_code(
    request: Request,
    number: str,
    keep: dict[str, str],
    errors: dict[str, str] | None = None,
    status: int = 200,
    retry_after: int | None = None,
) -> Response:
    return _code_page(
        request,
        title=_("Type the code to save the number"),
        sent_text=_("We sent a code to %(number)s.", number=sms.show_mobile(number)),
        action=urls.url("account_mobile_page"),
        keep=keep,
        submit=(_("Save the number"), "2705"),
        back=urls.url("account_mobile_page"),
        errors=errors,
        status=status,
        retry_after=retry_after,
    )


A = Action
GET_POST = ["GET", "POST"]
routes = [
    Route("/login/mobile", mobile_login_page, methods=GET_POST, action=A.PUBLIC),
    Route("/signup/mobile", mobile_signup_page, methods=GET_POST, action=A.PUBLIC),
    Route("/account/mobile", account_mobile_page, methods=GET_POST, action=A.OWN_ACCOUNT),
]
