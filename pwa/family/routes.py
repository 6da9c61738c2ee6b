"""The family home, the people in a family, and each person's settings."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from pwa import models
from pwa.accounts import consent
from pwa.auth import sessions
from pwa.auth.routing import Route
from pwa.auth.rules import Action, permitted_actions
from pwa.auth.rules import Role as RuleRole
from pwa.core import person_settings, urls
from pwa.core.forms import FormErrors, read_form
from pwa.family import access
from pwa.family.services import (
    AVATARS,
    add_person,
    answer_centre,
    centre_requests_of,
    centres_of,
    families_of,
    save_settings,
)
from pwa.i18n import _
from pwa.models import Account, Role, Voucher, VoucherStatus
from pwa.templating import notify, render
from pwa.vouchers import services as vouchers


async def root(request: Request) -> Response:
    who = sessions.principal(request)
    if who.device is not None:
        return RedirectResponse("/me", status_code=303)
    if who.account is None:
        return RedirectResponse("/login", status_code=303)
    if models.OrgKind.CENTRE in who.org_kinds:
        return RedirectResponse("/centre", status_code=303)
    if models.OrgKind.MERCHANT in who.org_kinds:
        return RedirectResponse("/shop", status_code=303)
    return RedirectResponse("/home", status_code=303)


async def home(request: Request) -> Response:
    account = sessions.require_account(request)
    families = await families_of(account)
    guardian_of = [family.id for family, role, _people in families if role == Role.GUARDIAN]
    # What each family's buttons may offer: the one rule, asked for the caller's role.
    may = {f.id: permitted_actions({RuleRole(role.value)}) for f, role, _p in families}
    # A centre's request and the centres the family is with: for whoever may answer them.
    answering = [f.id for f, _role, _p in families if Action.CENTRE_ANSWER in may[f.id]]
    ending = [
        v
        for v in await Voucher.filter(
            family_id__in=guardian_of, status=VoucherStatus.ACTIVE, balance__gt=0
        )
        if vouchers.expiring_soon(v)
    ]
    return render(
        request,
        "family/home.html",
        {
            "title": _("Family home"),
            "families": families,
            "may": may,
            "ending": {v.family_id: vouchers.last_day(v) for v in ending},
            "centre_requests": await centre_requests_of(answering),
            "centres": await centres_of(answering),
        },
    )


async def answer_centre_page(request: Request) -> Response:
    """Accept or decline a centre's request to join the family (from the card on the home)."""
    family, _access = await access.family_for(request)
    form = await read_form(request)
    answer = form.get("answer")
    if answer not in ("accept", "decline"):
        notify(request, _("Choose Accept or Decline."), "warning")
        return RedirectResponse(urls.url("home"), status_code=303)
    accept = answer == "accept"
    centre = await answer_centre(family, form.get("centre_id", ""), accept=accept)
    if centre is None:
        # Answered already (a second tap, another parent), or a request that never was.
        notify(request, _("This request is answered already."), "info")
    elif accept:
        notify(
            request,
            _("%(centre)s is with your family now. It can give you vouchers.", centre=centre.name),
        )
    else:
        notify(
            request,
            _("You said no to %(centre)s. It cannot give you vouchers.", centre=centre.name),
        )
    return RedirectResponse(urls.url("home"), status_code=303)


async def add_person_page(request: Request) -> Response:
    family, _access = await access.family_for(request)
    ctx = {"title": _("Add a person"), "family": family, "avatars": AVATARS, "errors": {}}
    if request.method == "GET":
        return render(request, "family/add_person.html", {**ctx, "form": {"avatar": AVATARS[0]}})
    form = await read_form(request)
    try:
        person = await add_person(
            family,
            display_name=form.get("display_name", ""),
            avatar=form.get("avatar", ""),
            guardian=sessions.require_account(request),
            consented=consent.given(form),
        )
    except FormErrors as exc:
        return render(
            request, "family/add_person.html", {**ctx, "form": form, "errors": exc.errors}, 400
        )
    notify(request, _("%(name)s is added.", name=person.display_name))
    return RedirectResponse(urls.url("person_page", person_id=person.id), status_code=303)


async def person_page(request: Request) -> Response:
    person, granted = await access.person_for(request)
    guardians = await Account.filter(
        memberships__family_id=person.family_id, memberships__role=Role.GUARDIAN
    ).order_by("id")
    return render(
        request,
        "family/person.html",
        {
            "title": person.display_name,
            "person": person,
            "guardians": guardians,
            "can_edit": granted.may(Action.PERSON_SETTINGS_EDIT),
            "may": granted.may,
        },
    )


async def settings_page(request: Request) -> Response:
    person, granted = await access.person_for(request)
    ctx = {
        "title": _("Settings for %(name)s", name=person.display_name),
        "person": person,
        "can_edit": granted.may(Action.PERSON_SETTINGS_EDIT),
        "errors": {},
    }
    if request.method == "GET":
        return render(
            request,
            "family/settings.html",
            {**ctx, "form": person_settings.effective(person.settings)},
        )
    form = await read_form(request)
    try:
        await save_settings(person, form)
    except FormErrors as exc:
        return render(
            request,
            "family/settings.html",
            {**ctx, "form": person_settings.effective(person.settings), "errors": exc.errors},
            400,
        )
    notify(
        request,
        _("The settings are saved. They show on the phone of %(name)s.", name=person.display_name),
    )
    return RedirectResponse(urls.url("settings_page", person_id=person.id), status_code=303)


A = Action
routes = [
    Route("/", root, action=A.PUBLIC),
    Route("/home", home, action=A.OWN_ACCOUNT),
    Route(
        "/families/{family_id}/people/new",
        add_person_page,
        methods=["GET", "POST"],
        action=A.FAMILY_MANAGE,
    ),
    Route(
        "/families/{family_id}/centre-requests",
        answer_centre_page,
        methods=["POST"],
        action=A.CENTRE_ANSWER,
    ),
    Route("/people/{person_id}", person_page, action=A.PERSON_VIEW),
    Route(
        "/people/{person_id}/settings",
        settings_page,
        methods=["GET", "POST"],
        action={"GET": A.PERSON_SETTINGS_VIEW, "POST": A.PERSON_SETTINGS_EDIT},
    ),
]
