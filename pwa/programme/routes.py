"""The programme's desk (organisations, their staff and invitations, suspensions, friendly-shop
approvals), a merchant's desk (its stores, their staff, all their payments), and the page that
accepts a staff invitation (issue 17)."""

from __future__ import annotations

from collections import Counter
from typing import Any
from urllib.parse import urlencode

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from pwa.auth import sessions
from pwa.auth.routing import Route
from pwa.auth.rules import Action
from pwa.budgets import services as budgets
from pwa.core import urls
from pwa.core.forms import FormErrors, read_form
from pwa.core.qr import qr_svg
from pwa.i18n import _
from pwa.models import Membership, Organisation, OrgKind, OrgMembership
from pwa.programme import access, services
from pwa.shops import services as shops
from pwa.templating import notify, render

PROGRAMME = Action.PROGRAMME_SCREENS
MERCHANT = Action.MERCHANT_ADMIN
GET_POST = ["GET", "POST"]


def _link(request: Request, token: str) -> str:
    settings = request.app.state.settings
    site = settings.public_url or str(request.base_url).rstrip("/")
    return site + urls.url("staff_invitation", token=token)


def _invitation_shown(request: Request, org: Organisation, token: str) -> dict[str, Any]:
    """The new link, in this answer only: never kept (only its sha256), nor put in the session
    or a URL."""
    link = _link(request, token)
    return {
        "new_link": link,
        "qr": qr_svg(link, _("QR code of the invitation link into %(org)s", org=org.name)),
        "days": services.INVITATION_DAYS,
    }


# --- the programme's desk ------------------------------------------------------------------


async def programme_start(request: Request) -> Response:
    access.programme_staff(request)
    waiting = await services.waiting_for_approval()
    return render(
        request,
        "programme/start.html",
        {"title": _("The programme's desk"), "waiting": len(waiting)},
    )


async def _staff_counts() -> Counter[int]:
    return Counter(await OrgMembership.all().values_list("organisation_id", flat=True))  # type: ignore[arg-type]


async def organisations(request: Request) -> Response:
    account = access.programme_staff(request)
    errors: dict[str, str] = {}
    form: dict[str, str] = {}
    status = 200
    if request.method == "POST":
        form = await read_form(request)
        kind = OrgKind.CHAIN if form.get("kind") == "chain" else OrgKind.CENTRE
        try:
            org = await services.create_organisation(kind, form, account)
        except FormErrors as exc:
            errors, status = exc.errors, 400
        else:
            notify(
                request,
                _("%(org)s is made. Now make an invitation link for its staff.", org=org.name),
            )
            return RedirectResponse(urls.url("programme_org", org_id=org.id), status_code=303)
    orgs = await Organisation.all().order_by("kind", "city", "name")
    counts = await _staff_counts()
    stores_of = Counter(o.chain_id for o in orgs if o.chain_id is not None)
    rows: list[dict[str, Any]] = [
        {
            "org": org,
            "status": shops.organisation_status(org),
            "staff": counts.get(org.id, 0),
            "stores": stores_of.get(org.id, 0),
        }
        for org in orgs
    ]
    return render(
        request,
        "programme/organisations.html",
        {
            "title": _("Organisations"),
            "centres": [r for r in rows if r["org"].kind == OrgKind.CENTRE],
            "chains": [r for r in rows if r["org"].kind == OrgKind.CHAIN],
            "stores": [
                r for r in rows if r["org"].kind == OrgKind.MERCHANT and not r["org"].chain_id
            ],
            "programme": [r for r in rows if r["org"].kind == OrgKind.PROGRAMME],
            "cities": services.HEBEI_CITIES,
            "form": form,
            "kind": form.get("kind", ""),
            "errors": errors,
            "back_url": "/programme",
        },
        status,
    )


def _org_title(org: Organisation) -> str:
    return org.name


async def _org_page(
    request: Request, org: Organisation, extra: dict[str, Any] | None = None, status: int = 200
) -> Response:
    stores = []
    if org.kind == OrgKind.CHAIN:
        stores = [
            {"store": s, "status": shops.store_status(s, org)}
            for s in await Organisation.filter(chain=org).order_by("city", "name")
        ]
    chain = org.chain if org.kind == OrgKind.MERCHANT else None
    ctx = {
        "title": _org_title(org),
        "org": org,
        "chain": chain,
        "status": (
            shops.store_status(org, chain)
            if org.kind == OrgKind.MERCHANT
            else shops.organisation_status(org)
        ),
        "staff": await services.staff_of(org),
        "invitations": await services.open_invitations(org),
        "stores": stores,
        "errors": {},
        "form": {},
        "new_link": None,
        "back_url": urls.url("programme_org", org_id=chain.id)
        if chain
        else "/programme/organisations",
        **(extra or {}),
    }
    return render(request, "programme/organisation.html", ctx, status)


async def organisation(request: Request) -> Response:
    _account, org = await access.organisation(request)
    return await _org_page(request, org)


async def programme_invite(request: Request) -> Response:
    account, org = await access.organisation(request)
    form = await read_form(request)
    try:
        token = await services.create_invitation(org, account, form.get("label", ""))
    except FormErrors as exc:
        return await _org_page(request, org, {"errors": exc.errors, "form": form}, 400)
    notify(request, _("The invitation link is ready. Send it to the person it is for."))
    return await _org_page(request, org, _invitation_shown(request, org, token))


async def programme_revoke(request: Request) -> Response:
    account, org = await access.organisation(request)
    if not await services.revoke_invitation(org, request.path_params["invitation_id"], account):
        raise HTTPException(404)
    notify(request, _("The invitation is cancelled. Its link does not work any more."))
    return RedirectResponse(urls.url("programme_org", org_id=org.id), status_code=303)


async def programme_remove_staff(request: Request) -> Response:
    account, org = await access.organisation(request)
    if not await services.remove_staff(org, request.path_params["membership_id"], account):
        raise HTTPException(404)
    notify(request, _("That person is no longer staff of %(org)s.", org=org.name))
    return RedirectResponse(urls.url("programme_org", org_id=org.id), status_code=303)


async def _change(request: Request, what: str) -> Response:
    account, org = await access.organisation(request)
    try:
        if what == "suspend":
            await services.suspend(org, account)
            notify(request, _("%(org)s is suspended. Its staff can do nothing now.", org=org.name))
        elif what == "resume":
            await services.resume(org, account)
            notify(request, _("%(org)s works again.", org=org.name))
        else:
            await services.end(org, account)
            notify(request, _("%(org)s has ended.", org=org.name))
    except FormErrors as exc:
        notify(request, next(iter(exc.errors.values())), "warning")
    return RedirectResponse(urls.url("programme_org", org_id=org.id), status_code=303)


async def programme_suspend(request: Request) -> Response:
    return await _change(request, "suspend")


async def programme_resume(request: Request) -> Response:
    return await _change(request, "resume")


async def programme_end(request: Request) -> Response:
    """GET asks to confirm (ending is final); POST ends."""
    if request.method == "POST":
        return await _change(request, "end")
    _account, org = await access.organisation(request)
    if org.ended_at is not None or org.kind == OrgKind.PROGRAMME:
        return RedirectResponse(urls.url("programme_org", org_id=org.id), status_code=303)
    return render(
        request,
        "programme/end.html",
        {
            "title": _("End %(org)s", org=org.name),
            "org": org,
            "unissued": await budgets.unissued_of(org.id) if org.kind == OrgKind.CENTRE else 0,
            "back_url": urls.url("programme_org", org_id=org.id),
        },
    )


async def approvals(request: Request) -> Response:
    access.programme_staff(request)
    return render(
        request,
        "programme/approvals.html",
        {
            "title": _("Friendly shops waiting for approval"),
            "stores": await services.waiting_for_approval(),
            "back_url": "/programme",
        },
    )


async def approve(request: Request) -> Response:
    account, store = await access.organisation(request, "store_id")
    try:
        await services.approve(store, account)
    except FormErrors as exc:
        notify(request, next(iter(exc.errors.values())), "warning")
    else:
        notify(
            request, _("%(shop)s is a friendly shop now. It is in the directory.", shop=store.name)
        )
    return RedirectResponse(urls.url("programme_approvals"), status_code=303)


# --- a merchant's desk ---------------------------------------------------------------------


async def merchant_start(request: Request) -> Response:
    account, chains = await access.my_chains(request)
    errors: dict[str, str] = {}
    form: dict[str, str] = {}
    status = 200
    if request.method == "POST":
        form = await read_form(request)
        chain = next((c for c in chains if str(c.id) == form.get("chain")), None)
        if chain is None:
            raise HTTPException(404)
        try:
            store = await services.create_store(chain, form, account)
        except FormErrors as exc:
            errors, status = exc.errors, 400
        else:
            notify(request, _("%(shop)s is added. Now invite its staff.", shop=store.name))
            return RedirectResponse(urls.url("merchant_store", store_id=store.id), status_code=303)
    stores = await Organisation.filter(chain_id__in=[c.id for c in chains]).order_by("city", "name")
    sections = [
        {
            "chain": chain,
            "stores": [
                {"store": s, "status": shops.store_status(s, chain)}
                for s in stores
                if s.chain_id == chain.id
            ],
        }
        for chain in chains
    ]
    return render(
        request,
        "merchant/start.html",
        {
            "title": _("Our stores"),
            "sections": sections,
            "cities": services.HEBEI_CITIES,
            "form": form,
            "errors": errors,
        },
        status,
    )


async def _store_page(
    request: Request,
    chain: Organisation,
    store: Organisation,
    extra: dict[str, Any] | None = None,
    status: int = 200,
) -> Response:
    ctx = {
        "title": store.name,
        "chain": chain,
        "org": store,
        "status": shops.store_status(store, chain),
        "staff": await services.staff_of(store),
        "invitations": await services.open_invitations(store),
        "errors": {},
        "form": {},
        "new_link": None,
        "back_url": "/merchant",
        **(extra or {}),
    }
    return render(request, "merchant/store.html", ctx, status)


async def merchant_store(request: Request) -> Response:
    _account, chain, store = await access.chain_store(request)
    return await _store_page(request, chain, store)


async def merchant_invite(request: Request) -> Response:
    account, chain, store = await access.chain_store(request)
    form = await read_form(request)
    try:
        token = await services.create_invitation(store, account, form.get("label", ""))
    except FormErrors as exc:
        return await _store_page(request, chain, store, {"errors": exc.errors, "form": form}, 400)
    notify(request, _("The invitation link is ready. Send it to the person it is for."))
    return await _store_page(request, chain, store, _invitation_shown(request, store, token))


async def merchant_revoke(request: Request) -> Response:
    account, _chain, store = await access.chain_store(request)
    if not await services.revoke_invitation(store, request.path_params["invitation_id"], account):
        raise HTTPException(404)
    notify(request, _("The invitation is cancelled. Its link does not work any more."))
    return RedirectResponse(urls.url("merchant_store", store_id=store.id), status_code=303)


async def merchant_remove_staff(request: Request) -> Response:
    account, _chain, store = await access.chain_store(request)
    if not await services.remove_staff(store, request.path_params["membership_id"], account):
        raise HTTPException(404)
    notify(request, _("That person is no longer staff of %(org)s.", org=store.name))
    return RedirectResponse(urls.url("merchant_store", store_id=store.id), status_code=303)


async def merchant_payments(request: Request) -> Response:
    """Every store's payments, read-only (a store's own admin reverses them at the store)."""
    _account, chains = await access.my_chains(request)
    store_ids = await Organisation.filter(chain_id__in=[c.id for c in chains]).values_list(
        "id", flat=True
    )
    return render(
        request,
        "shops/payments.html",
        {
            "title": _("Payments at our stores"),
            "rows": await shops.paid_at(list(store_ids)),  # type: ignore[arg-type]
            "admin_of": set(),
            "back_url": "/merchant",
        },
    )


# --- accepting a staff invitation ------------------------------------------------------------


def _home_of(org: Organisation) -> str:
    return {
        OrgKind.CENTRE: "/centre",
        OrgKind.CHAIN: "/merchant",
        OrgKind.MERCHANT: "/shop",
        OrgKind.PROGRAMME: "/programme",
    }[org.kind]


async def staff_invitation(request: Request) -> Response:
    """Shows the organisation and what the account will do there; "Join" when logged in, else
    log in or make an account here. One answer for a link that is used, cancelled, too old or
    unknown."""
    who = sessions.principal(request)
    if who.device is not None:
        raise HTTPException(403)
    token = request.path_params["token"]
    invitation = await services.find_invitation(token)
    if invitation is None:
        return render(
            request,
            "programme/invitation.html",
            {"title": _("Invitation"), "refused": services.refusal(None)},
            404,
        )
    org = invitation.organisation
    held = services.stopped(org)
    ctx: dict[str, Any] = {
        "title": _("Invitation into %(org)s", org=org.name),
        "invitation": invitation,
        "org": org,
        # A suspended organisation's link still works: its staff can work once it is resumed.
        "suspended": None
        if held is None
        else _(
            "%(org)s is suspended at the moment. You can still join. "
            "You can work for it once the programme resumes it.",
            org=held.name,
        ),
        "refused": None,
        "family_account": False,
        "form": {},
        "errors": {},
        "login_url": "/login?" + urlencode({"next": request.url.path}),
    }
    if who.account is not None:
        ctx["family_account"] = await _belongs_to_family(who.account.id)
    if request.method == "GET":
        return render(request, "programme/invitation.html", ctx)
    form = await read_form(request)
    try:
        if who.account is not None:
            joined = await services.accept_invitation(invitation, who.account)
        else:
            account = await services.accept_with_new_account(
                invitation,
                email=form.get("email", ""),
                password=form.get("password", ""),
                name=form.get("name", ""),
                locale=request.session.get("lang") or None,
            )
            joined = await Organisation.get(id=invitation.organisation_id)
            await sessions.login_session(request, account)
    except FormErrors as exc:
        form.pop("password", None)
        return render(
            request, "programme/invitation.html", {**ctx, "form": form, "errors": exc.errors}, 400
        )
    except services.InvitationRefused as exc:
        return render(request, "programme/invitation.html", {**ctx, "refused": exc.reason}, 400)
    notify(request, _("You are now staff of %(org)s.", org=joined.name))
    if held is not None:
        return RedirectResponse(urls.url("organisation_stopped"), status_code=303)
    return RedirectResponse(_home_of(joined), status_code=303)


async def organisation_stopped(request: Request) -> Response:
    """Where a staff member whose organisation is suspended or ended lands: why, in words."""
    account = sessions.require_account(request)
    found = await services.stopped_organisations(account)
    if not found:
        return RedirectResponse("/", status_code=303)
    return render(
        request,
        "programme/stopped.html",
        {
            "title": _("Your organisation cannot work now"),
            "words": [services.stopped_words(org) for org in found],
        },
    )


async def _belongs_to_family(account_id: int) -> bool:
    return await Membership.exists(account_id=account_id)


routes = [
    Route("/programme", programme_start, name="programme_start", action=PROGRAMME),
    Route(
        "/programme/organisations",
        organisations,
        methods=GET_POST,
        name="programme_orgs",
        action=PROGRAMME,
    ),
    Route(
        "/programme/organisations/{org_id:int}",
        organisation,
        name="programme_org",
        action=PROGRAMME,
    ),
    Route(
        "/programme/organisations/{org_id:int}/invite",
        programme_invite,
        methods=["POST"],
        name="programme_invite",
        action=PROGRAMME,
    ),
    Route(
        "/programme/organisations/{org_id:int}/invitations/{invitation_id}/revoke",
        programme_revoke,
        methods=["POST"],
        name="programme_revoke",
        action=PROGRAMME,
    ),
    Route(
        "/programme/organisations/{org_id:int}/staff/{membership_id:int}/remove",
        programme_remove_staff,
        methods=["POST"],
        name="programme_remove_staff",
        action=PROGRAMME,
    ),
    Route(
        "/programme/organisations/{org_id:int}/suspend",
        programme_suspend,
        methods=["POST"],
        name="programme_suspend",
        action=PROGRAMME,
    ),
    Route(
        "/programme/organisations/{org_id:int}/resume",
        programme_resume,
        methods=["POST"],
        name="programme_resume",
        action=PROGRAMME,
    ),
    Route(
        "/programme/organisations/{org_id:int}/end",
        programme_end,
        methods=GET_POST,
        name="programme_end",
        action=PROGRAMME,
    ),
    Route("/programme/shops", approvals, name="programme_approvals", action=PROGRAMME),
    Route(
        "/programme/shops/{store_id:int}/approve",
        approve,
        methods=["POST"],
        name="programme_approve",
        action=PROGRAMME,
    ),
    Route("/merchant", merchant_start, methods=GET_POST, name="merchant_start", action=MERCHANT),
    Route(
        "/merchant/stores/{store_id:int}", merchant_store, name="merchant_store", action=MERCHANT
    ),
    Route(
        "/merchant/stores/{store_id:int}/invite",
        merchant_invite,
        methods=["POST"],
        name="merchant_invite",
        action=MERCHANT,
    ),
    Route(
        "/merchant/stores/{store_id:int}/invitations/{invitation_id}/revoke",
        merchant_revoke,
        methods=["POST"],
        name="merchant_revoke",
        action=MERCHANT,
    ),
    Route(
        "/merchant/stores/{store_id:int}/staff/{membership_id:int}/remove",
        merchant_remove_staff,
        methods=["POST"],
        name="merchant_remove_staff",
        action=MERCHANT,
    ),
    Route("/merchant/payments", merchant_payments, name="merchant_payments", action=MERCHANT),
    Route(
        "/organisation-stopped",
        organisation_stopped,
        name="organisation_stopped",
        action=Action.OWN_ACCOUNT,
    ),
    # The secret token is the key.
    Route(
        "/staff-invitation/{token}",
        staff_invitation,
        methods=GET_POST,
        name="staff_invitation",
        action=Action.PUBLIC,
    ),
]
