"""The family home, the people in a family, and each person's settings."""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response, StreamingResponse

from pwa import models
from pwa.accounts import consent
from pwa.accounts import services as accounts
from pwa.auth import sessions
from pwa.auth.routing import Route
from pwa.auth.rules import Action, permitted_actions
from pwa.auth.rules import Role as RuleRole
from pwa.core import person_settings, urls
from pwa.core.forms import FormErrors, read_form
from pwa.family import access
from pwa.family import deletion as deleting
from pwa.family import export as exporting
from pwa.family.services import (
    AVATARS,
    add_person,
    answer_centre,
    centre_requests_of,
    centres_of,
    families_of,
    save_settings,
    set_lost_share,
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
    if models.OrgKind.PROGRAMME in who.org_kinds:
        return RedirectResponse("/programme", status_code=303)
    if models.OrgKind.CENTRE in who.org_kinds:
        return RedirectResponse("/centre", status_code=303)
    if models.OrgKind.CHAIN in who.org_kinds:
        return RedirectResponse("/merchant", status_code=303)
    if models.OrgKind.MERCHANT in who.org_kinds:
        return RedirectResponse("/shop", status_code=303)
    if await models.OrgMembership.exists(account=who.account):
        # Staff of an organisation that is suspended or ended: why, not an empty family home.
        return RedirectResponse(urls.url("organisation_stopped"), status_code=303)
    return RedirectResponse("/home", status_code=303)


async def home(request: Request) -> Response:
    account = sessions.require_account(request)
    # A parent who came back through a centre becomes one here, once the wait is over.
    await accounts.recoveries_due(account)
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
            "recovery_day": accounts.recovery_takes_effect,
            "recoveries": await accounts.pending_recoveries(
                [f.id for f, _role, _p in families if Action.RECOVERY_STOP in may[f.id]]
            ),
        },
    )


async def stop_recovery_page(request: Request) -> Response:
    """A parent stops someone from becoming a parent of the family (the card on the home)."""
    family, _access = await access.family_for(request)
    stopped = await accounts.stop_recovery(family.id, request.path_params["recovery_id"])
    if stopped is None:
        raise HTTPException(404)
    who = stopped.accepted_by.name if stopped.accepted_by else ""
    notify(request, _("Stopped. %(name)s will not become a parent.", name=who))
    return RedirectResponse(urls.url("home"), status_code=303)


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
        await set_lost_share(
            person, form.get("lost_share") == "on", sessions.require_account(request)
        )
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
    Route(
        "/families/{family_id}/recoveries/{recovery_id}/stop",
        stop_recovery_page,
        methods=["POST"],
        name="stop_recovery_page",
        action=A.RECOVERY_STOP,
    ),
    Route("/people/{person_id}", person_page, action=A.PERSON_VIEW),
    Route(
        "/people/{person_id}/settings",
        settings_page,
        methods=["GET", "POST"],
        action={"GET": A.PERSON_SETTINGS_VIEW, "POST": A.PERSON_SETTINGS_EDIT},
    ),
]


# --- the family's data: download everything, delete for good (issue 16, items 6 and 7) --------
# A parent's only: FAMILY_EXPORT, FAMILY_DELETE and PERSON_DELETE (pwa/auth/rules.py). Nothing is
# deleted by one tap: each deletion has a page that says what goes, counted, and asks for the
# name to be typed. The writers are in pwa/family/deletion.py, the archive in export.py.


async def family_data_page(request: Request) -> Response:
    family, _access = await access.family_for(request)
    account = sessions.require_account(request)
    return render(
        request,
        "family/data.html",
        {
            "title": _("Your family's data"),
            "family": family,
            "people": await models.Person.filter(family=family).order_by("created_at"),
            "counts": await deleting.family_counts(family, account),
            "back_url": urls.url("home"),
        },
    )


async def family_export(request: Request) -> Response:
    """The archive, made in a file and then sent piece by piece (pwa/family/export.py)."""
    family, _access = await access.family_for(request)
    target = exporting.new_archive_file(request.app.state.settings.data_dir)
    try:
        await exporting.write_archive(family, target, caller=sessions.require_account(request))
    except BaseException:
        target.unlink(missing_ok=True)
        raise
    length, pieces = exporting.reader(target)
    return StreamingResponse(
        pieces(),
        media_type="application/zip",
        headers={
            "Content-Disposition": f'attachment; filename="{exporting.archive_name()}"',
            "Content-Length": str(length),
        },
    )


def _name_error(name: str) -> dict[str, str]:
    text = _("To delete, type the name as it is written here: %(name)s", name=name)
    return {"confirm_name": text}


async def delete_person_page(request: Request) -> Response:
    person, _access = await access.person_for(request)
    data_url = urls.url("family_data_page", family_id=person.family_id)
    ctx = {
        "title": _("Delete %(name)s", name=person.display_name),
        "person": person,
        "counts": await deleting.person_counts(person),
        "own_account": person.account_id is not None,
        "errors": {},
        "form": {},
        "back_url": data_url,
    }
    if request.method == "GET":
        return render(request, "family/delete_person.html", ctx)
    form = await read_form(request)
    if not deleting.same_name(form.get("confirm_name", ""), person.display_name):
        errors = _name_error(person.display_name)
        return render(
            request, "family/delete_person.html", {**ctx, "form": form, "errors": errors}, 400
        )
    await deleting.delete_person(person)
    notify(request, _("%(name)s is deleted, with everything of theirs.", name=person.display_name))
    return RedirectResponse(data_url, status_code=303)


async def delete_family_page(request: Request) -> Response:
    family, _access = await access.family_for(request)
    account = sessions.require_account(request)
    ctx = {
        "title": _("Delete the family %(name)s", name=family.name),
        "family": family,
        "counts": await deleting.family_counts(family, account),
        "errors": {},
        "form": {},
        "back_url": urls.url("family_data_page", family_id=family.id),
    }
    if request.method == "GET":
        return render(request, "family/delete_family.html", ctx)
    form = await read_form(request)
    if not deleting.same_name(form.get("confirm_name", ""), family.name):
        errors = _name_error(family.name)
        return render(
            request, "family/delete_family.html", {**ctx, "form": form, "errors": errors}, 400
        )
    await deleting.delete_family(family, caller=account)
    notify(request, _("The family %(name)s is deleted, with everything of it.", name=family.name))
    return RedirectResponse(urls.url("home"), status_code=303)


def _cannot_keep(name: str) -> str:
    return _(
        "No centre works with %(name)s, so nobody could invite a new parent or look after its "
        "data. It is deleted with your account.",
        name=name,
    )


async def delete_account_page(request: Request) -> Response:
    """The caller's own account. A family where it is the only parent is deleted with it or
    kept for a new parent, as the caller chooses for each, when a centre is with it to invite
    one (deleting.can_keep); without a centre it can only be deleted, and the page says so.
    Its other families stay."""
    account = sessions.require_account(request)
    alone = await deleting.families_alone_in(account)
    keepable = set()
    for family in alone:
        if await deleting.can_keep(family.id):
            keepable.add(family.id)
    alone_ids = {family.id for family in alone}
    others = [
        (family, role)
        for family, role, _people in await families_of(account)
        if family.id not in alone_ids
    ]
    ctx: dict[str, object] = {
        "title": _("Delete my account"),
        "account": account,
        "alone": [(f, await deleting.family_counts(f, account)) for f in alone],
        "keepable": keepable,
        "others": others,
        "errors": {},
        "form": {},
        "back_url": urls.url("account_page"),
    }
    if request.method == "GET":
        return render(request, "family/delete_account.html", ctx)
    form = await read_form(request)
    errors: dict[str, str] = {}
    doomed = set()
    for family in alone:
        choice = form.get(f"family-{family.id}", "")
        if family.id not in keepable:
            # Nobody could reach it afterwards: it goes, as the page said.
            if choice == "keep":
                errors[f"family-{family.id}"] = _cannot_keep(family.name)
            doomed.add(family.id)
        elif choice == "delete":
            doomed.add(family.id)
        elif choice != "keep":
            errors[f"family-{family.id}"] = _(
                "Choose what becomes of the family %(name)s.", name=family.name
            )
    if not deleting.same_name(form.get("confirm_name", ""), account.name):
        errors.update(_name_error(account.name))
    if errors:
        return render(
            request, "family/delete_account.html", {**ctx, "form": form, "errors": errors}, 400
        )
    await deleting.delete_account(account, delete_families=doomed)
    await sessions.end_session(request)
    notify(request, _("Your account is deleted."))
    response = RedirectResponse("/login", status_code=303)
    # As logging out does: this browser keeps no copy of the account's pages or outbox.
    response.headers["Clear-Site-Data"] = '"cache", "storage"'
    return response


routes += [
    Route(
        "/families/{family_id}/data",
        family_data_page,
        action=Action.FAMILY_EXPORT,
    ),
    Route(
        "/families/{family_id}/export",
        family_export,
        action=Action.FAMILY_EXPORT,
    ),
    Route(
        "/families/{family_id}/delete",
        delete_family_page,
        methods=["GET", "POST"],
        action=Action.FAMILY_DELETE,
    ),
    Route(
        "/people/{person_id}/delete",
        delete_person_page,
        methods=["GET", "POST"],
        action=Action.PERSON_DELETE,
    ),
    # The caller's own account: here, beside the families it decides about.
    Route(
        "/account/delete",
        delete_account_page,
        methods=["GET", "POST"],
        action=Action.OWN_ACCOUNT,
    ),
]
