"""Friendly shops: taking a voucher payment at the till, the shop's payments and reversals, the
shop's entry in the directory, the directory families browse, and the guide for shop staff.

The till always needs the network: a payment is decided by the server, once
(pwa/vouchers/services.py).
"""

from __future__ import annotations

import uuid
from typing import Any, cast

from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response

from pwa import errors
from pwa.auth import access as org_access
from pwa.auth import offline, sessions, throttle
from pwa.auth.routing import Route
from pwa.auth.rules import Action, Role
from pwa.core import blobs, ids, jsonbody, money, urls
from pwa.core.forms import FormErrors, read_form
from pwa.i18n import _
from pwa.models import Organisation, OrgKind, OrgMembership, Outcome, Redemption, Voucher
from pwa.photos import services as photos
from pwa.shops import areas, services
from pwa.templating import notify, render
from pwa.vouchers import services as vouchers


async def my_shops(request: Request) -> list[Organisation]:
    """The stores the caller is staff of that may work now: a suspended or ended store (or
    merchant) is none of its staff's any more, at once (issue 17)."""
    who = org_access.check_org(sessions.principal(request), Action.MERCHANT_SCREENS)
    assert who.account is not None  # check_org lets only accounts with an organisation in
    return await services.active_stores_of(who.account)


async def my_shop(request: Request, shop_id: str | int | None) -> Organisation:
    shops = await my_shops(request)
    shop = next((s for s in shops if str(s.id) == str(shop_id)), None) if shop_id else None
    if shop is None and not shop_id and len(shops) == 1:
        shop = shops[0]
    if shop is None:
        raise HTTPException(404)
    return shop


# --- taking a payment --------------------------------------------------------------------------


def _till(shop: Organisation) -> dict[str, str]:
    """Codes that are not ours slow down the shop that presents them (pwa/auth/throttle.py):
    one shop's staff account cannot be used to guess the families' pay codes."""
    return {"till": str(shop.id)}


async def redeem_page(request: Request) -> Response:
    """Type the code (or scan it), see the voucher's balance, write the amount, confirm."""
    shops = await my_shops(request)
    params = request.query_params if request.method == "GET" else await read_form(request)
    shop_id = params.get("shop") or (str(shops[0].id) if len(shops) == 1 else "")
    presented = (params.get("code") or "").strip()
    ctx: dict[str, Any] = {
        "title": _("Take a voucher payment"),
        "shops": shops,
        "shop_id": shop_id,
        "code": presented,
        "back_url": "/shop",
        "errors": {},
        "voucher": None,
        "answer": None,
    }
    if not presented:
        return render(request, "shops/redeem.html", ctx)
    shop = await my_shop(request, shop_id) if shop_id else None
    if shop is None:
        ctx["errors"] = {"shop": _("Choose the shop you are at.")}
        return render(request, "shops/redeem.html", ctx, 400)
    try:
        tried = await throttle.attempt(_till(shop))
    except throttle.Throttled as exc:
        ctx["errors"] = {"code": errors.wait_text(exc)}
        response = render(request, "shops/redeem.html", ctx, 429)
        response.headers["Retry-After"] = str(exc.seconds)
        return response
    token = await vouchers.find_token(presented, request.app.state.settings.secret_key)
    voucher = await Voucher.get_or_none(id=token.voucher_id) if token else None
    if token is None or voucher is None:
        # A code that is not ours keeps its count.
        answer = vouchers.Answer(Outcome.INVALID, 0)
        return render(request, "shops/redeem.html", {**ctx, "answer": answer}, 400)
    await tried.passed()
    if request.method == "GET":
        ctx.update(voucher=voucher, key=str(uuid.uuid4()), shop=shop)
        return render(request, "shops/redeem.html", ctx)
    try:
        amount = vouchers.parse_yuan(params.get("amount", ""))
    except FormErrors as exc:
        ctx.update(voucher=voucher, key=params.get("key") or str(uuid.uuid4()), shop=shop)
        return render(request, "shops/redeem.html", {**ctx, "errors": exc.errors}, 400)
    try:
        answer = await vouchers.redeem(
            shop,
            key=params.get("key") or str(uuid.uuid4()),
            presented=presented,
            amount=amount,
            staff=sessions.principal(request).account,
            secret=request.app.state.settings.secret_key,
        )
    except vouchers.KeyReused:
        answer = vouchers.Answer(Outcome.INVALID, amount)
    if answer.outcome == Outcome.INVALID:
        await throttle.record_failure(_till(shop))
    return render(request, "shops/redeem.html", {**ctx, "answer": answer, "shop": shop, "code": ""})


async def redeem_api(request: Request) -> Response:
    """POST /api/redeem {code, amount (fen), shop_id} with an Idempotency-Key header."""
    key = request.headers.get("idempotency-key", "").strip()
    if not 8 <= len(key) <= 100:
        return JSONResponse({"error": _("Send an Idempotency-Key header.")}, 400)
    try:
        body = jsonbody.loads(await request.body())
        amount = money.fen_from_api(body["amount"], field="amount", maximum=vouchers.MAX_FACE_VALUE)
        presented = str(body["code"])
    except FormErrors as exc:
        return JSONResponse({"error": exc.errors["amount"]}, 400)
    except (ValueError, KeyError, TypeError, AttributeError):
        return JSONResponse(
            {"error": _("Something in the request was wrong. Nothing was changed.")}, 400
        )
    shop = await my_shop(request, body.get("shop_id"))
    tried = await throttle.attempt(_till(shop))
    try:
        answer = await vouchers.redeem(
            shop,
            key=key,
            presented=presented,
            amount=amount,
            staff=sessions.principal(request).account,
            secret=request.app.state.settings.secret_key,
        )
    except vouchers.KeyReused:
        return JSONResponse({"error": _("This Idempotency-Key was used for another payment.")}, 422)
    if answer.outcome != Outcome.INVALID:
        await tried.passed()  # only codes that are not ours keep their count
    return JSONResponse(
        {
            "outcome": answer.outcome,
            "amount": answer.amount,
            "balance": answer.balance,
            "message": answer.words,
        },
        status_code=200 if answer.outcome == Outcome.PAID else 409,
    )


# --- the shop's payments -----------------------------------------------------------------------


async def payments(request: Request) -> Response:
    shops = await my_shops(request)
    who = sessions.principal(request)
    admin_of = set(
        await OrgMembership.filter(account=who.account, admin=True).values_list(
            "organisation_id", flat=True
        )
    )
    rows = await services.paid_at([s.id for s in shops])
    return render(
        request,
        "shops/payments.html",
        {
            "title": _("Voucher payments"),
            "rows": rows,
            "today": vouchers.today(),
            "china": vouchers.CHINA,
            "admin_of": admin_of,
            "back_url": "/shop",
        },
    )


async def reverse_payment(request: Request) -> Response:
    shops = await my_shops(request)
    redemption = await Redemption.get_or_none(
        id=ids.int_or_404(request.path_params["redemption_id"]), shop_id__in=[s.id for s in shops]
    )
    if redemption is None:
        raise HTTPException(404)
    account = sessions.principal(request).account
    if not await OrgMembership.exists(
        account=account, organisation_id=redemption.shop_id, admin=True
    ):
        raise HTTPException(403)
    try:
        await vouchers.reverse(redemption, account)  # type: ignore[arg-type]
    except FormErrors as exc:
        notify(request, next(iter(exc.errors.values())), "warning")
    else:
        notify(request, _("The payment is reversed. The money is back on the voucher."))
    return RedirectResponse("/shop/payments", status_code=303)


# --- the directory -----------------------------------------------------------------------------


async def edit_shop(request: Request) -> Response:
    shop = await my_shop(request, request.path_params["shop_id"])
    ctx = {
        "title": _("%(shop)s in the directory", shop=shop.name),
        "shop": shop,
        "back_url": "/shop",
    }
    if request.method == "POST":
        return await _save_shop(request, shop, ctx)
    form = {
        "opening_hours": shop.opening_hours,
        "quiet_hours": shop.quiet_hours,
        "staff_know": shop.staff_know,
        "address": shop.address,
        "accepts_vouchers": "on" if shop.accepts_vouchers else "",
    }
    return render(request, "shops/edit.html", {**ctx, "form": form, "errors": {}})


async def _save_shop(request: Request, shop: Organisation, ctx: dict[str, Any]) -> Response:
    async with request.form(max_files=2, max_fields=20) as submitted:
        form = {k: v.strip() for k, v in submitted.items() if isinstance(v, str)}
        files = {
            name: await upload.read(photos.MAX_BYTES + 1)
            for name in ("entrance", "till")
            if isinstance(upload := submitted.get(name), UploadFile) and upload.filename
        }
    try:
        await services.save_directory_entry(
            shop, form, files, by=sessions.principal(request).account
        )
    except FormErrors as exc:
        return render(request, "shops/edit.html", {**ctx, "form": form, "errors": exc.errors}, 400)
    notify(request, _("The shop's page in the directory is saved."))
    if shop.approved_at is None:
        # Not in the directory yet: the next step is the checklist (issue 17).
        return RedirectResponse(urls.url("shop_checklist", shop_id=shop.id), status_code=303)
    return RedirectResponse(urls.url("shop_detail", shop_id=shop.id), status_code=303)


def require_someone(request: Request) -> sessions.Principal:
    return sessions.require_someone(request)


async def directory(request: Request) -> Response:
    require_someone(request)
    city = request.query_params.get("city", "")
    # Only friendly shops: approved, neither they nor their merchant suspended or ended.
    shops = await services.friendly_shops()
    # tortoise types values_list(flat=True) as tuples; it gives the values.
    cities = sorted(set(cast(list[str], await shops.values_list("city", flat=True))))
    listed = await (shops.filter(city=city) if city in cities else shops).prefetch_related("chain")
    labels = {shop.id: services.shop_label(shop, shop.chain) for shop in listed}
    listed.sort(key=lambda shop: (shop.city, labels[shop.id]))
    return render(
        request,
        "shops/directory.html",
        {
            "title": _("Friendly shops"),
            "shops": listed,
            "labels": labels,
            "cities": cities,
            "city": city,
        },
    )


async def visible_shop(request: Request) -> Organisation:
    """A store's page and photos: a friendly shop's for everyone (like the directory); one that
    is not (yet, or any more) only for its own staff, its merchant's admins and programme staff
    (who approve it). Anyone else: 404, as for a store that does not exist."""
    who = require_someone(request)
    shop = await Organisation.get_or_none(
        id=ids.int_or_404(request.path_params["shop_id"]), kind=OrgKind.MERCHANT
    )
    if shop is None:
        raise HTTPException(404)
    if await (await services.friendly_shops()).filter(id=shop.id).exists():
        return shop
    if who.account is not None and (
        OrgKind.PROGRAMME in who.org_kinds
        or await OrgMembership.exists(account=who.account, organisation_id=shop.id)
        or (
            shop.chain_id is not None
            and await OrgMembership.exists(
                account=who.account, organisation_id=shop.chain_id, admin=True
            )
        )
    ):
        return shop
    raise HTTPException(404)


async def shop_detail(request: Request) -> Response:
    shop = await visible_shop(request)
    chain = await Organisation.get_or_none(id=shop.chain_id) if shop.chain_id else None
    return render(
        request,
        "shops/shop.html",
        {
            "title": services.shop_label(shop, chain),
            "shop": shop,
            "status": services.store_status(shop, chain),
            "back_url": "/shops",
        },
    )


async def shop_photo(request: Request) -> Response:
    shop = await visible_shop(request)
    kind = request.path_params["kind"]
    name = getattr(shop, f"{kind}_photo", "") if shop and kind in ("entrance", "till") else ""
    if not name:
        raise HTTPException(404)
    return await _shop_blob(name, "public, max-age=3600")


async def shop_file(request: Request) -> Response:
    """/photos/shops/{id}/{file}: one of a shop's photos (entrance, till, an area) by its own
    name, for whoever may see the shop. Under /photos/ so the person's phone keeps it for
    offline as it keeps the family's photos (static/js/sw.js): the answer may be kept when the
    caller is the person (a linked phone, an adult's own account); a parent's shared computer
    does not keep it. A name is never reused, so the file behind it never changes."""
    shop = await visible_shop(request)
    file_name = request.path_params["file_name"]
    if not await areas.owns_file(shop, file_name):
        raise HTTPException(404)
    who = sessions.principal(request)
    offline.noted([Role.PERSON] if who.person is not None else [])
    return await _shop_blob(file_name, "public, max-age=31536000, immutable")


async def _shop_blob(file_name: str, cache_control: str) -> Response:
    blob = await blobs.get(blobs.key(blobs.SHOPS, file_name))
    if blob is None:
        raise HTTPException(404)
    return blobs.BlobResponse(blob, cache_control)


# --- the shop's own order of its areas (issue 18) ----------------------------------------------


async def shop_areas(request: Request) -> Response:
    """The shop's areas in the order a person walks through them, with Move up / Move down
    (UX rule 10, no dragging) and a photo of each."""
    shop = await my_shop(request, request.path_params["shop_id"])
    return render(
        request,
        "shops/areas.html",
        {
            "title": _("The order of our areas: %(shop)s", shop=shop.name),
            "shop": shop,
            "areas": await areas.staff_view(shop),
            "back_url": "/shop",
        },
    )


async def move_shop_area(request: Request) -> Response:
    shop = await my_shop(request, request.path_params["shop_id"])
    area_id = request.path_params["area"]
    form = await read_form(request)
    try:
        await areas.move(shop, area_id, form.get("direction", ""))
    except FormErrors as exc:
        notify(request, next(iter(exc.errors.values())), "warning")
    else:
        notify(request, _("The order is saved."))
    return RedirectResponse(
        urls.url("shop_areas", shop_id=shop.id, fragment=f"area-{area_id}"), status_code=303
    )


async def shop_area_photo(request: Request) -> Response:
    """Add (or change) the photo of one area; taking it away is a second button."""
    shop = await my_shop(request, request.path_params["shop_id"])
    area = next(
        (v for v in await areas.staff_view(shop) if v.area.id == request.path_params["area"]),
        None,
    )
    if area is None:
        raise HTTPException(404)
    ctx: dict[str, Any] = {
        "title": _("Photo of %(area)s", area=area.area.label),
        "shop": shop,
        "view": area,
        "errors": {},
        "back_url": urls.url("shop_areas", shop_id=shop.id),
    }
    if request.method == "GET":
        return render(request, "shops/area_photo.html", ctx)
    async with request.form(max_files=1, max_fields=10) as submitted:
        remove = submitted.get("remove") == "yes"
        upload = submitted.get("photo")
        data = (
            await upload.read(photos.MAX_BYTES + 1)
            if isinstance(upload, UploadFile) and upload.filename
            else b""
        )
    try:
        if remove:
            await areas.remove_photo(shop, area.area.id)
        else:
            await areas.save_photo(shop, area.area.id, data)
    except FormErrors as exc:
        return render(request, "shops/area_photo.html", {**ctx, "errors": exc.errors}, 400)
    notify(
        request,
        _("The photo is taken away.") if remove else _("The photo of the area is saved."),
    )
    return RedirectResponse(
        urls.url("shop_areas", shop_id=shop.id, fragment=f"area-{area.area.id}"), status_code=303
    )


async def guide(request: Request) -> Response:
    require_someone(request)
    return render(
        request,
        "shops/guide.html",
        {"title": _("How to help an autistic customer"), "back_url": "/shop"},
    )


async def shop_start(request: Request) -> Response:
    """The start page of a store's staff: each store's status and its next step."""
    shops = await my_shops(request)
    chains = {
        c.id: c for c in await Organisation.filter(id__in=[s.chain_id for s in shops if s.chain_id])
    }
    return render(
        request,
        "orgs/start.html",
        {
            "title": _("Friendly shop"),
            "organisations": shops,
            "statuses": {
                s.id: services.store_status(s, chains.get(s.chain_id or 0)) for s in shops
            },
            "kind": "merchant",
            # An admin of a store on its own (its own merchant) sees its statements.
            "own_statements": await OrgMembership.exists(
                account=sessions.principal(request).account,
                admin=True,
                organisation_id__in=[s.id for s in shops if s.chain_id is None],
            ),
        },
    )


async def shop_checklist(request: Request) -> Response:
    """Read the staff guide, check the directory entry has what the checklist asks, confirm:
    then the store waits for the programme's approval (issue 17)."""
    shop = await my_shop(request, request.path_params["shop_id"])
    chain = await Organisation.get_or_none(id=shop.chain_id) if shop.chain_id else None
    errors: dict[str, str] = {}
    status = 200
    if request.method == "POST":
        form = await read_form(request)
        account = sessions.principal(request).account
        assert account is not None
        try:
            await services.confirm_checklist(
                shop, account, guide_read=form.get("guide_read") == "on"
            )
        except FormErrors as exc:
            errors, status = exc.errors, 400
        else:
            notify(request, _("Thank you. The programme will look at your shop soon."))
            return RedirectResponse(urls.url("shop_checklist", shop_id=shop.id), status_code=303)
    return render(
        request,
        "shops/checklist.html",
        {
            "title": _("Become a friendly shop: %(shop)s", shop=shop.name),
            "shop": shop,
            "status": services.store_status(shop, chain),
            "missing": services.checklist_missing(shop),
            "errors": errors,
            "back_url": "/shop",
        },
        status,
    )


STAFF = Action.MERCHANT_SCREENS
routes = [
    Route("/shop", shop_start, action=STAFF),
    Route("/shop/redeem", redeem_page, methods=["GET", "POST"], action=STAFF),
    Route("/api/redeem", redeem_api, methods=["POST"], action=STAFF),
    Route("/shop/payments", payments, action=STAFF),
    Route(
        "/shop/payments/{redemption_id:int}/reverse",
        reverse_payment,
        methods=["POST"],
        action=STAFF,
    ),
    Route("/shop/{shop_id:int}/edit", edit_shop, methods=["GET", "POST"], action=STAFF),
    Route("/shop/{shop_id:int}/checklist", shop_checklist, methods=["GET", "POST"], action=STAFF),
    Route("/shop/{shop_id:int}/areas", shop_areas, action=STAFF),
    Route("/shop/{shop_id:int}/areas/{area}/move", move_shop_area, methods=["POST"], action=STAFF),
    Route(
        "/shop/{shop_id:int}/areas/{area}/photo",
        shop_area_photo,
        methods=["GET", "POST"],
        action=STAFF,
    ),
    Route("/shop/guide", guide, action=Action.SIGNED_IN),
    Route("/shops", directory, action=Action.SIGNED_IN),
    Route("/shops/{shop_id:int}", shop_detail, action=Action.SIGNED_IN),
    Route("/shops/{shop_id:int}/photo/{kind}", shop_photo, action=Action.SIGNED_IN),
    Route("/photos/shops/{shop_id:int}/{file_name}", shop_file, action=Action.SIGNED_IN),
]
