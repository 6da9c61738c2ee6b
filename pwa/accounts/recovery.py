"""The pages of the links sent by email (issue 16, items 2 and 4): "Forgot your password?", the
link that sets a new one, the link that finishes a sign-up, and checking an email address.

What these pages say never tells which emails have accounts: a forgotten password and a sign-up
get the same answer for any email, and the message itself (sent after the answer, so the
answer's time says nothing either) tells the owner of the address what happened. A link's page
only shows what it will do; pressing its button uses it (mail scanners open links).
"""

from __future__ import annotations

from starlette.background import BackgroundTask
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from pwa import errors as errors_module
from pwa import i18n
from pwa.accounts import email_links, mail, services
from pwa.accounts.email_links import LinkNotValid, SignUpStarted
from pwa.auth import sessions, throttle
from pwa.auth.routing import Route
from pwa.auth.rules import Action
from pwa.core import urls
from pwa.core.forms import EMAIL_RE, FormErrors, read_form
from pwa.i18n import _
from pwa.models import Account, Family, Voucher, VoucherStatus
from pwa.templating import notify, render


def _background(request: Request, to: str, locale: str, message: tuple[str, str]) -> BackgroundTask:
    subject, text = message
    settings = request.app.state.settings
    return BackgroundTask(mail.send_quietly, settings, to, subject, text, locale)


def _link(request: Request, name: str, **params: str) -> str:
    return str(request.app.state.settings.link(urls.url(name, **params)))


def _not_valid(request: Request, again_url: str, again_label: str) -> Response:
    """A link that was used, is too old, or never was: said the same for each."""
    return render(
        request,
        "accounts/link_not_valid.html",
        {
            "title": _("This link does not work"),
            "again_url": again_url,
            "again_label": again_label,
        },
        404,
    )


def _throttled(
    request: Request, template: str, context: dict[str, object], exc: throttle.Throttled
) -> Response:
    response = render(
        request, template, {**context, "errors": {"email": errors_module.wait_text(exc)}}, 429
    )
    response.headers["Retry-After"] = str(exc.seconds)
    return response


# --- sign-up by email ------------------------------------------------------------------------


def sign_up_sent(
    request: Request,
    email: str,
    started: SignUpStarted,
    *,
    invitation: bool = False,
    by_code: bool = False,
) -> Response:
    """The answer to a sign-up whose form was right, the same whether the email has an account
    or not; the message goes after it: the link that finishes the sign-up, or, to an email that
    has an account, what happened and how to log in. by_code: the invitation came as a code
    typed at /join (the message to a known email says to type it again after logging in)."""
    with i18n.use_locale(started.locale):
        if started.token is not None:
            hours = email_links.SIGN_UP_HOURS
            link = _link(request, "confirm_sign_up", token=started.token)
            message = mail.sign_up_message(link, hours)
        else:
            message = mail.known_email_message(
                _link(request, "login_page"),
                _link(request, "forgot_password"),
                invitation,
                by_code=by_code,
            )
    response = render(
        request,
        "accounts/sent.html",
        {
            "title": _("Look in your email"),
            "email": email,
            "text": _(
                "We sent a message to %(email)s. Open the link in it to finish making your"
                " account.",
                email=email,
            ),
            "hint": _(
                "The link works for %(hours)s hours. No message after a few minutes? Look in"
                " the spam folder, or check the address and sign up again.",
                hours=email_links.SIGN_UP_HOURS,
            ),
        },
    )
    response.background = _background(request, email, started.locale, message)
    return response


async def send_sign_up(
    request: Request,
    *,
    kind: str,
    email: str,
    password: str,
    name: str,
    phone: str = "",
    person_name: str = "",
    invitation_digest: str | None = None,
) -> Response:
    """Keep a checked sign-up and email its link (throttle.Throttled when messages to that
    email or from this address must wait)."""
    await email_links.count_send(email, throttle.client_ip(request))
    started = await email_links.start_sign_up(
        kind=kind,
        email=email,
        password=password,
        name=name,
        phone=phone,
        person_name=person_name,
        locale=i18n.current_locale(),
        invitation_digest=invitation_digest,
    )
    return sign_up_sent(request, email, started, invitation=invitation_digest is not None)


async def joined_as_parent(request: Request, family: Family, account: Account) -> Response:
    """A parent joined by a centre's invitation: the family's vouchers are what the centre gave
    it, so go straight to them when there are (pwa/accounts/join.py too). Into a family that has
    parents, it is a recovery that waits: its parents are told now, and the account is told when
    it becomes a parent and that it cannot see the family until then."""
    waiting = await services.pending_recovery_of(account, family.id)
    if waiting is not None:
        await services.tell_parents_of_recovery(request.app.state.settings, waiting)
        notify(
            request,
            _(
                "You become a parent of %(family)s on %(day)s, unless its parents stop it."
                " Until then you cannot see the family.",
                family=family.name,
                day=i18n.format_date(services.recovery_takes_effect(waiting)),
            ),
        )
        return RedirectResponse(urls.url("home"), status_code=303)
    notify(request, _("You are now a parent in %(family)s.", family=family.name))
    if await Voucher.exists(family_id=family.id, status=VoucherStatus.ACTIVE):
        return RedirectResponse(urls.url("wallet", family_id=family.id), status_code=303)
    return RedirectResponse(urls.url("home"), status_code=303)


async def confirm_sign_up(request: Request) -> Response:
    token = request.path_params["token"]
    again = (urls.url("signup_page"), _("Sign up again"))
    try:
        row = await email_links.sign_up_link(token)
    except LinkNotValid:
        return _not_valid(request, *again)
    context: dict[str, object] = {
        "title": _("Finish making your account"),
        "email": row.target,
        "errors": {},
    }
    if request.method == "GET":
        return render(request, "accounts/confirm_sign_up.html", context)
    try:
        done = await email_links.finish_sign_up(token)
    except LinkNotValid:
        return _not_valid(request, *again)
    except FormErrors as exc:
        return render(
            request, "accounts/confirm_sign_up.html", {**context, "errors": exc.errors}, 400
        )
    await sessions.login_session(request, done.account)
    if done.account.locale:
        request.session["lang"] = done.account.locale
    if done.as_parent and done.family is not None:
        return await joined_as_parent(request, done.family, done.account)
    if done.as_parent and done.refusal:
        notify(
            request,
            _(
                "Your account is ready, but it did not join the family: %(reason)s",
                reason=done.refusal,
            ),
            "error",
        )
    elif not done.invited:
        notify(request, _("Welcome. Your account is ready."))
    elif done.family is not None:
        notify(request, _("You can now see the trips of %(family)s.", family=done.family.name))
    else:
        notify(
            request,
            _(
                "Your account is ready, but the invitation does not work any more. Ask for a"
                " new one."
            ),
            "error",
        )
    return RedirectResponse("/home", status_code=303)


# --- a forgotten password --------------------------------------------------------------------


async def forgot_password(request: Request) -> Response:
    context: dict[str, object] = {"title": _("Forgot your password?"), "form": {}, "errors": {}}
    if request.method == "GET":
        return render(request, "accounts/forgot.html", context)
    form = await read_form(request)
    email = form.get("email", "").lower()
    context["form"] = {"email": email}
    if len(email) > services.EMAIL_MAX or not EMAIL_RE.match(email) or not mail.sendable(email):
        errors = {"email": _("Write an email address like name@example.com.")}
        return render(request, "accounts/forgot.html", {**context, "errors": errors}, 400)
    try:
        await email_links.count_send(email, throttle.client_ip(request))
    except throttle.Throttled as exc:
        return _throttled(request, "accounts/forgot.html", context, exc)
    started = await email_links.start_reset(email)
    response = render(
        request,
        "accounts/sent.html",
        {
            "title": _("Look in your email"),
            "email": email,
            "text": _("If this email has an account, we sent a link to it. It works for 1 hour."),
            "hint": _(
                "No message after a few minutes? Look in the spam folder, or check the address"
                " and ask again."
            ),
        },
    )
    if started is not None:
        account, token = started
        locale = account.locale or i18n.current_locale()
        with i18n.use_locale(locale):
            message = mail.reset_message(
                _link(request, "reset_password", token=token), email_links.RESET_HOURS
            )
        response.background = _background(request, email, locale, message)
    return response


async def reset_password(request: Request) -> Response:
    token = request.path_params["token"]
    again = (urls.url("forgot_password"), _("Ask for a new link"))
    try:
        account = await email_links.reset_account(token)
    except LinkNotValid:
        return _not_valid(request, *again)
    context: dict[str, object] = {
        "title": _("Set a new password"),
        "email": account.email,
        "errors": {},
    }
    if request.method == "GET":
        return render(request, "accounts/reset.html", context)
    form = await read_form(request)
    new, again_typed = form.get("password", ""), form.get("password_again", "")
    errors = services.check_new_password(account, new, again_typed)
    if errors:
        return render(request, "accounts/reset.html", {**context, "errors": errors}, 400)
    try:
        account = await email_links.finish_reset(token, new)
    except LinkNotValid:
        return _not_valid(request, *again)
    # Every session of the account ended, this browser's too; it is logged in anew, so whoever
    # set the password goes on, and only they.
    await sessions.login_session(request, account)
    notify(
        request,
        _("Your new password is set. Every other phone or computer is logged out."),
    )
    return RedirectResponse("/", status_code=303)


# --- checking an email address ---------------------------------------------------------------


async def send_email_check(request: Request) -> Response:
    account = sessions.require_account(request)
    if not account.email or account.email_verified_at is not None:
        return RedirectResponse(urls.url("account_page"), status_code=303)
    try:
        await email_links.count_send(account.email, throttle.client_ip(request))
    except throttle.Throttled as exc:
        notify(request, errors_module.wait_text(exc), "error")
        return RedirectResponse(urls.url("account_page"), status_code=303)
    token = await email_links.start_email_check(account)
    response = RedirectResponse(urls.url("account_page"), status_code=303)
    if token is not None:
        locale = account.locale or i18n.current_locale()
        with i18n.use_locale(locale):
            message = mail.check_email_message(
                _link(request, "check_email", token=token), email_links.CHECK_EMAIL_HOURS
            )
        response.background = _background(request, account.email, locale, message)
    notify(
        request,
        _("We sent a message to %(email)s. Open the link in it.", email=account.email),
    )
    return response


async def check_email(request: Request) -> Response:
    token = request.path_params["token"]
    again = (urls.url("account_page"), _("My account"))
    try:
        account = await email_links.email_check_account(token)
    except LinkNotValid:
        return _not_valid(request, *again)
    context: dict[str, object] = {
        "title": _("Check this email address"),
        "email": account.email,
        "done": False,
    }
    if request.method == "POST":
        try:
            await email_links.finish_email_check(token)
        except LinkNotValid:
            return _not_valid(request, *again)
        context = {**context, "title": _("The email address is checked"), "done": True}
    return render(request, "accounts/check_email.html", context)


A = Action
GET_POST = ["GET", "POST"]
routes = [
    Route("/password/forgot", forgot_password, methods=GET_POST, action=A.PUBLIC),
    # The secret token in each of these paths is the key (pwa/core/redact.py hides it in logs).
    Route("/password/reset/{token}", reset_password, methods=GET_POST, action=A.PUBLIC),
    Route("/signup/confirm/{token}", confirm_sign_up, methods=GET_POST, action=A.PUBLIC),
    Route("/email/check/{token}", check_email, methods=GET_POST, action=A.PUBLIC),
    Route("/account/email/check", send_email_check, methods=["POST"], action=A.OWN_ACCOUNT),
]
