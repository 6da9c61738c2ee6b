"""The family home, the people in a family, and each person's settings."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from pwa import auth, person_settings, vouchers
from pwa.auth import Action
from pwa.forms import FormErrors, read_form
from pwa.i18n import _
from pwa.models import Account, Family, Membership, Person, Role, Voucher
from pwa.person_settings import SettingsError
from pwa.templating import notify, render

# Pictures a person can choose to stand for them (OpenMoji codes).
AVATARS = ("1F9D2", "1F466", "1F467", "1F9D1", "1F468", "1F469", "1F642", "1F431", "1F436", "2B50")


# --- service functions -----------------------------------------------------------------------


async def add_person(family: Family, *, display_name: str, avatar: str) -> Person:
    errors = {}
    if not display_name:
        errors["display_name"] = _("Write the name the person knows.")
    elif len(display_name) > 60:
        errors["display_name"] = _("The name can have at most 60 characters.")
    if avatar not in AVATARS:
        errors["avatar"] = _("Choose one of the pictures.")
    if errors:
        raise FormErrors(errors)
    return await Person.create(family=family, display_name=display_name, avatar=avatar)


async def save_settings(person: Person, form: dict[str, str]) -> None:
    try:
        person.settings = person_settings.from_form(form)
    except SettingsError as exc:
        raise FormErrors({exc.field: _("Choose one of the choices.")}) from None
    await person.save(update_fields=["settings"])


async def families_of(account: Account) -> list[tuple[Family, Role, list[Person]]]:
    memberships = (
        await Membership.filter(account=account).prefetch_related("family").order_by("created_at")
    )
    result = []
    for membership in memberships:
        people = await Person.filter(family=membership.family).order_by("created_at")
        result.append((membership.family, Role(membership.role), people))
    return result


# --- pages -----------------------------------------------------------------------------------


async def root(request: Request) -> Response:
    who = auth.principal(request)
    if who.device is not None:
        return RedirectResponse("/me", status_code=303)
    if who.account is None:
        return RedirectResponse("/login", status_code=303)
    if auth.OrgKind.CENTRE in who.org_kinds:
        return RedirectResponse("/centre", status_code=303)
    if auth.OrgKind.MERCHANT in who.org_kinds:
        return RedirectResponse("/shop", status_code=303)
    return RedirectResponse("/home", status_code=303)


async def home(request: Request) -> Response:
    account = auth.require_account(request)
    families = await families_of(account)
    guardian_of = [family.id for family, role, _people in families if role == Role.GUARDIAN]
    ending = [
        v
        for v in await Voucher.filter(family_id__in=guardian_of, status="active", balance__gt=0)
        if vouchers.expiring_soon(v)
    ]
    return render(
        request,
        "family/home.html",
        {
            "title": _("Family home"),
            "families": families,
            "ending": {v.family_id: vouchers.last_day(v) for v in ending},
        },
    )


async def add_person_page(request: Request) -> Response:
    family, _role = await auth.authorize_family(
        request, request.path_params["family_id"], Action.FAMILY_MANAGE
    )
    ctx = {"title": _("Add a person"), "family": family, "avatars": AVATARS, "errors": {}}
    if request.method == "GET":
        return render(request, "family/add_person.html", {**ctx, "form": {"avatar": AVATARS[0]}})
    form = await read_form(request)
    try:
        person = await add_person(
            family, display_name=form.get("display_name", ""), avatar=form.get("avatar", "")
        )
    except FormErrors as exc:
        return render(
            request, "family/add_person.html", {**ctx, "form": form, "errors": exc.errors}, 400
        )
    notify(request, _("%(name)s is added.", name=person.display_name))
    return RedirectResponse(f"/people/{person.id}", status_code=303)


async def person_page(request: Request) -> Response:
    person, role = await auth.authorize_person(
        request, request.path_params["person_id"], Action.PERSON_VIEW
    )
    guardians = await Account.filter(
        memberships__family_id=person.family_id, memberships__role=Role.GUARDIAN
    ).order_by("id")
    return render(
        request,
        "family/person.html",
        {
            "title": person.display_name,
            "person": person,
            "role": role,
            "guardians": guardians,
            "can_edit": auth.allowed(role, Action.PERSON_SETTINGS_EDIT),
        },
    )


async def settings_page(request: Request) -> Response:
    editing = request.method == "POST"
    action = Action.PERSON_SETTINGS_EDIT if editing else Action.PERSON_SETTINGS_VIEW
    person, role = await auth.authorize_person(request, request.path_params["person_id"], action)
    ctx = {
        "title": _("Settings for %(name)s", name=person.display_name),
        "person": person,
        "can_edit": auth.allowed(role, Action.PERSON_SETTINGS_EDIT),
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
    return RedirectResponse(f"/people/{person.id}/settings", status_code=303)


routes = [
    Route("/", root),
    Route("/home", home),
    Route("/families/{family_id}/people/new", add_person_page, methods=["GET", "POST"]),
    Route("/people/{person_id}", person_page),
    Route("/people/{person_id}/settings", settings_page, methods=["GET", "POST"]),
]
