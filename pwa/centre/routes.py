"""The rehabilitation centre's pages: its families and their parents' invitations, issuing
vouchers one by one or from a CSV file, and reports of what was issued, paid and is left, by
city and by shop."""

from __future__ import annotations

import csv
import io
import uuid
from collections import defaultdict
from datetime import datetime, timedelta
from typing import Any

from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from pwa import i18n
from pwa.accounts import services as accounts
from pwa.auth import access as org_access
from pwa.auth import sessions
from pwa.auth.routing import Route
from pwa.auth.rules import Action
from pwa.budgets import access as budget_access
from pwa.budgets import services as budgets
from pwa.centre import services
from pwa.core import clock, ids, urls
from pwa.core.csv_cells import safe_row
from pwa.core.forms import FormErrors, read_form
from pwa.core.qr import qr_svg
from pwa.i18n import _, format_money
from pwa.models import (
    CentreFamily,
    Family,
    LedgerEntry,
    LedgerKind,
    Organisation,
    OrgKind,
    Voucher,
)
from pwa.settings import SUPPORTED_LOCALES
from pwa.templating import form_page, notify, render
from pwa.vouchers import services as vouchers

MAX_CSV_BYTES = 2 * 1024 * 1024


async def my_centre(request: Request) -> Organisation:
    """The caller's centre, neither suspended nor ended (403 when none is)."""
    return await budget_access.my_centre(sessions.principal(request))


async def families(request: Request) -> Response:
    centre = await my_centre(request)
    errors: dict[str, str] = {}
    status = 200
    if request.method == "POST":
        form = await read_form(request)
        try:
            said, then = await _add_family(centre, form)
        except FormErrors as exc:
            errors, status = exc.errors, 400
        else:
            notify(request, said)
            return RedirectResponse(then, status_code=303)
    found = await services.families_of(centre)
    return render(
        request,
        "centre/families.html",
        {
            "title": _("Families of the centre"),
            "centre": centre,
            "links": found.joined,
            "waiting": found.waiting,
            "errors": errors,
            "back_url": "/centre",
        },
        status,
    )


async def _add_family(centre: Organisation, form: dict[str, str]) -> tuple[str, str]:
    """Register a new family, or ask one that uses Startrip already: what the centre is told,
    and the page it goes to next."""
    if form.get("action") != "attach":
        family = await vouchers.register_family(centre, name=form.get("name", ""))
        said = _(
            "The family “%(name)s” is with the centre. Its family code is %(code)s.",
            name=family.name,
            code=family.code,
        )
        # A family the centre registers has no parent account yet: the next step is the
        # parent's invitation (issue 16).
        return said, urls.url("invite_parent", family_id=family.id)
    try:
        await services.ask_family(centre, code=form.get("code", ""))
    except services.AlreadyWithCentre:
        return _("This family is with the centre already."), "/centre/families"
    # The same words whether or not the code is a family's, so codes cannot be tried out.
    said = _(
        "If this code belongs to a family, its parent will see your request. "
        "The family is in your list when the parent accepts."
    )
    return said, "/centre/families"


async def invite_parent(request: Request) -> Response:
    """A one-time invitation into one of the centre's families as a parent (issue 16): for a
    family with no parent account yet (one the centre registered), or, for a family that has
    one, for a parent who lost both password and phone: then the account becomes a parent only
    accounts.RECOVERY_WAIT later, and the family's parents are told and can stop it. The link
    and code are shown in this answer only, never kept (only their sha256) nor put in the
    session or a URL."""
    org_access.check_org(sessions.principal(request), Action.CENTRE_INVITE)
    staff = sessions.require_account(request)
    centre, family = await services.family_of_centre(staff, request.path_params["family_id"])
    parents = await services.parents_of(family)
    ctx: dict[str, Any] = {
        "title": _("Invitation for a parent of %(name)s", name=family.name),
        "family": family,
        "centre": centre,
        "back_url": "/centre/families",
        "parents": parents,
        "wait_days": accounts.RECOVERY_WAIT.days,
    }
    form = await read_form(request) if request.method == "POST" else {}
    # A family that has a parent account is not the centre's to open to someone else at once:
    # that would let a centre (or whoever it gives the code to) become its parent and see,
    # download or delete the child's data (review of issue 16). Its invitation is a recovery,
    # which waits and which the parents can stop; the centre makes one only from the page that
    # says so (a form for a family with no parent, sent after one joined, is not one).
    if request.method == "GET" or (parents.parents and form.get("kind") != "recovery"):
        return render(request, "centre/invite.html", ctx, 400 if request.method == "POST" else 200)
    token, code = await accounts.create_guardian_invitation(family, centre, staff)
    settings = request.app.state.settings
    # The address the parent will type: the public one when set, else the one the centre uses.
    site = settings.public_url or str(request.base_url).rstrip("/")
    link = site + urls.url("invitation", token=token)
    join_address = site + urls.url("join_page")
    until = clock.now() + timedelta(days=accounts.GUARDIAN_INVITATION_DAYS)
    shown = accounts.show_code(code)
    notify(request, _("The invitation is ready. Print it for the parent, or read the code out."))
    return render(
        request,
        "centre/invite.html",
        {
            **ctx,
            "recovery": bool(parents.parents),
            "code": shown,
            "link": link,
            "join_address": join_address,
            "until": until,
            "qr": qr_svg(
                link, _("QR code of the invitation for a parent of %(name)s", name=family.name)
            ),
            "sheet": invitation_sheet(centre, family, shown, join_address, until),
        },
    )


def invitation_sheet(
    centre: Organisation, family: Family, code: str, join_address: str, until: datetime
) -> list[dict[str, Any]]:
    """The printed paper for the parent, in every language of the app (Chinese first): a
    parent may read either, whatever the language of the centre's screen."""
    parts = []
    for locale in SUPPORTED_LOCALES:
        with i18n.use_locale(locale):
            parts.append(
                {
                    "lang": i18n.html_lang(locale),
                    "heading": _(
                        "Startrip: an invitation for a parent of %(name)s", name=family.name
                    ),
                    "what": _(
                        "Startrip helps autistic people go shopping on their own. The person sees "
                        "the shopping list as pictures and the trip one step at a time. The "
                        "family plans the trip and sees how it went."
                    ),
                    "vouchers": _(
                        "%(centre)s gives your family friendly vouchers. In Startrip you see them "
                        "and how much is left.",
                        centre=centre.name,
                    ),
                    "how": _("How to join"),
                    "steps": [
                        _(
                            "Scan the QR code with your phone's camera. Or open %(address)s and "
                            "type the code %(code)s.",
                            address=join_address,
                            code=code,
                        ),
                        _(
                            "Make your account with your name, your email and a password. "
                            "If you have an account already, log in first."
                        ),
                        _(
                            "Read the privacy notice, tick the box, and join. Your family's "
                            "vouchers are in the voucher wallet."
                        ),
                    ],
                    "until": _(
                        "The code works once, until %(day)s. Keep this paper safe: whoever has "
                        "the code can join your family.",
                        day=i18n.format_date(until),
                    ),
                }
            )
    return parts


async def new_voucher(request: Request) -> Response:
    centre = await my_centre(request)
    links = await CentreFamily.filter(centre=centre).prefetch_related("family").order_by("-id")
    shops = await vouchers.friendly_stores().order_by("city", "name")
    ctx = {
        "title": _("Give a voucher"),
        "family_options": [(str(x.family_id), f"{x.family.name} · {x.family.code}") for x in links],
        "shops": shops,
        "back_url": "/centre",
        "budget_left": await budgets.unissued_of(centre.id),
    }
    last = vouchers.today().replace(year=vouchers.today().year + 1)
    initial = {"id": str(uuid.uuid4()), "valid_until": last.isoformat(), "amount": "50"}

    async def save(form: dict[str, str]) -> str:
        async with request.form() as submitted:
            shop_ids = [str(v) for v in submitted.getlist("shops") if isinstance(v, str)]
        voucher = await vouchers.issue_voucher(
            centre,
            voucher_id=ids.form_id(form.get("id", "")),
            family_id=form.get("family_id", ""),
            amount=form.get("amount", ""),
            valid_from=form.get("valid_from", ""),
            valid_until=form.get("valid_until", ""),
            shop_ids=shop_ids,
            actor=sessions.require_account(request),
        )
        notify(
            request, _("A voucher of %(amount)s is given.", amount=format_money(voucher.face_value))
        )
        return "/centre"

    return await form_page(request, "centre/voucher.html", ctx, initial, save)


async def import_vouchers(request: Request) -> Response:
    centre = await my_centre(request)
    ctx: dict[str, Any] = {
        "title": _("Give vouchers from a CSV file"),
        "back_url": "/centre",
        "budget_left": await budgets.unissued_of(centre.id),
    }
    if request.method == "GET":
        return render(request, "centre/import.html", {**ctx, "errors": {}})
    async with request.form(max_files=1, max_fields=5) as submitted:
        upload = submitted.get("file")
        data = await upload.read(MAX_CSV_BYTES + 1) if isinstance(upload, UploadFile) else b""
    try:
        if not data:
            raise FormErrors({"file": _("Choose a CSV file.")})
        if len(data) > MAX_CSV_BYTES:
            raise FormErrors({"file": _("The file is too big. It can be at most 2 MB.")})
        count = await vouchers.import_csv(centre, data, actor=sessions.require_account(request))
    except FormErrors as exc:
        return render(request, "centre/import.html", {**ctx, "errors": exc.errors}, 400)
    notify(request, _("%(n)s vouchers are given.", n=count))
    return RedirectResponse("/centre/reports", status_code=303)


async def report_rows(
    centre: Organisation,
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(by city, by shop): issued, paid and left, in fen."""
    issued = await Voucher.filter(centre=centre).values("face_value", "balance")
    entries = await LedgerEntry.filter(
        voucher__centre=centre, kind__in=[LedgerKind.REDEEM, LedgerKind.REVERSE]
    ).values("amount", "shop__name", "shop__city")
    by_city: dict[str, dict[str, int]] = defaultdict(lambda: {"issued": 0, "paid": 0, "left": 0})
    city = centre.city
    by_city[city]["issued"] = sum(v["face_value"] for v in issued)
    by_city[city]["left"] = sum(v["balance"] for v in issued)
    by_city[city]["paid"] = by_city[city]["issued"] - by_city[city]["left"]
    by_shop: dict[tuple[str, str], dict[str, int]] = defaultdict(lambda: {"paid": 0, "count": 0})
    for entry in entries:
        key = (entry["shop__city"] or "", entry["shop__name"] or "")
        by_shop[key]["paid"] -= entry["amount"]
        by_shop[key]["count"] += 1 if entry["amount"] < 0 else -1
    cities = [{"city": c, **values} for c, values in sorted(by_city.items()) if values["issued"]]
    shops = [{"city": k[0], "shop": k[1], **v} for k, v in sorted(by_shop.items())]
    return cities, shops


async def reports(request: Request) -> Response:
    centre = await my_centre(request)
    cities, shops = await report_rows(centre)
    return render(
        request,
        "centre/reports.html",
        {"title": _("Voucher reports"), "cities": cities, "shops": shops, "back_url": "/centre"},
    )


async def reports_csv(request: Request) -> Response:
    centre = await my_centre(request)
    cities, shops = await report_rows(centre)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["part", "city", "shop", "issued_yuan", "paid_yuan", "left_yuan", "payments"])
    # Cities and shop names are typed by people: safe_row keeps them from being formulas.
    for row in cities:
        writer.writerow(
            safe_row(
                [
                    "city",
                    row["city"],
                    "",
                    _yuan(row["issued"]),
                    _yuan(row["paid"]),
                    _yuan(row["left"]),
                    "",
                ]
            )
        )
    for row in shops:
        writer.writerow(
            safe_row(["shop", row["city"], row["shop"], "", _yuan(row["paid"]), "", row["count"]])
        )
    return Response(
        "\ufeff" + out.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="voucher-report.csv"'},
    )


def _yuan(fen: int) -> str:
    sign = "-" if fen < 0 else ""
    return f"{sign}{abs(fen) // 100}.{abs(fen) % 100:02d}"


async def centre_start(request: Request) -> Response:
    """The start page of a centre's staff."""
    who = org_access.check_org(sessions.principal(request), STAFF)
    organisations = await Organisation.filter(
        members__account=who.account, kind=OrgKind.CENTRE, suspended_at=None, ended_at=None
    )
    return render(
        request,
        "orgs/start.html",
        {"title": _("Centre"), "organisations": organisations, "kind": "centre"},
    )


STAFF = Action.CENTRE_SCREENS
routes = [
    Route("/centre", centre_start, action=STAFF),
    Route("/centre/families", families, methods=["GET", "POST"], action=STAFF),
    Route(
        "/centre/families/{family_id}/invitation",
        invite_parent,
        methods=["GET", "POST"],
        name="invite_parent",
        action=Action.CENTRE_INVITE,
    ),
    Route("/centre/vouchers/new", new_voucher, methods=["GET", "POST"], action=STAFF),
    Route("/centre/import", import_vouchers, methods=["GET", "POST"], action=STAFF),
    Route("/centre/reports", reports, action=STAFF),
    Route("/centre/reports.csv", reports_csv, action=STAFF),
]
