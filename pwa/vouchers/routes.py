"""The family's side of vouchers: the wallet (parents) and the pay screen (the person's phone).

The pay screen is local-first: the page is a shell; static/js/pay.js keeps the last balance and
a few unused pay codes on the phone, fetched while online, so the screen works at a till with no
signal. The balance itself never changes on the phone (SYNC.md: vouchers never go through the
outbox); it says "as of" when it was fetched.
"""

from __future__ import annotations

from typing import Any, cast

import segno
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from pwa.auth import sessions
from pwa.auth.routing import Route
from pwa.auth.rules import Action
from pwa.core import clock, ids
from pwa.family import access
from pwa.i18n import _, format_datetime, format_money
from pwa.models import LedgerEntry, LedgerKind, Person, Voucher, VoucherShop, VoucherStatus
from pwa.templating import render
from pwa.vouchers import access as voucher_access
from pwa.vouchers import services as vouchers


async def family_vouchers(family_id: Any) -> list[Voucher]:
    return (
        await Voucher.filter(family_id=family_id, status=VoucherStatus.ACTIVE)
        .prefetch_related("centre")
        .order_by("valid_until")
    )


async def where_accepted(voucher: Voucher) -> str:
    if voucher.everywhere:
        return _("At every friendly shop.")
    names = await VoucherShop.filter(voucher=voucher).values_list("shop__name", flat=True)
    # tortoise types values_list(flat=True) as tuples; it gives the values.
    return _("Only at: %(shops)s.", shops=", ".join(cast(list[str], names)))


async def wallet(request: Request) -> Response:
    family, _access = await access.family_for(request)
    rows = []
    for voucher in await family_vouchers(family.id):
        history = (
            await LedgerEntry.filter(
                voucher=voucher, kind__in=[LedgerKind.REDEEM, LedgerKind.REVERSE]
            )
            .prefetch_related("shop")
            .order_by("-created_at")
        )
        rows.append(
            {
                "voucher": voucher,
                "last_day": vouchers.last_day(voucher),
                "where": await where_accepted(voucher),
                "soon": vouchers.expiring_soon(voucher),
                "history": history,
                "usable": voucher.valid_until > clock.now(),
                # Not started yet (next month's batch): its first day, China's time.
                "starts": voucher.valid_from.astimezone(vouchers.CHINA).date()
                if voucher.valid_from > clock.now()
                else None,
            }
        )
    return render(
        request,
        "vouchers/wallet.html",
        {"title": _("Voucher wallet"), "family": family, "rows": rows, "back_url": "/home"},
    )


async def pay_person(request: Request) -> Person:
    person, _access = await access.own_person_for(request)
    return person


async def pay_page(request: Request) -> Response:
    """/me/pay: the voucher to pay with, big; with several, the person chooses first."""
    person = await pay_person(request)
    usable = [
        v
        for v in await family_vouchers(person.family_id)
        # Not one that starts later (next month's, issue 17): the till would refuse it.
        if v.balance > 0 and v.valid_from <= clock.now() < v.valid_until
    ]
    chosen = request.path_params.get("voucher_id")
    voucher = None
    if chosen:
        voucher = next((v for v in usable if str(v.id) == chosen), None)
        if voucher is None:
            raise ids.not_found()
    elif len(usable) == 1:
        voucher = usable[0]
    data = None
    if voucher is not None:
        data = {
            "voucher": str(voucher.id),
            "balance": format_money(voucher.balance),
            "as_of": format_datetime(clock.now(), "short"),
            "last_day": vouchers.last_day(voucher).isoformat(),
        }
    return render(
        request,
        "vouchers/pay.html",
        {
            "title": _("Pay with a voucher"),
            "voucher": voucher,
            "usable": usable,
            "data": data,
            "where": await where_accepted(voucher) if voucher else "",
            "back_url": "/me/pay" if chosen and len(usable) > 1 else "/me",
        },
    )


def qr_data_uri(text: str) -> str:
    return segno.make(text, error="m").svg_data_uri(scale=4, border=2)


async def pay_codes_api(request: Request) -> Response:
    """POST /api/vouchers/{id}/codes: the unused pay codes the phone keeps, with their QR."""
    voucher, _access = await voucher_access.voucher_for(request)
    secret = request.app.state.settings.secret_key
    tokens = await vouchers.pay_tokens(voucher, sessions.principal(request).session_id)
    return JSONResponse(
        {
            "voucher": str(voucher.id),
            "balance": format_money(voucher.balance),
            "as_of": format_datetime(clock.now(), "short"),
            "codes": [
                {
                    "code": vouchers.format_code(t.code),
                    "qr": qr_data_uri(vouchers.signed(t, secret)),
                    "expires_at": t.expires_at.isoformat(),
                }
                for t in tokens
            ],
        }
    )


routes = [
    Route("/families/{family_id}/wallet", wallet, action=Action.WALLET_VIEW),
    Route("/me/pay", pay_page, action=Action.PAY),
    Route("/me/pay/{voucher_id}", pay_page, action=Action.PAY),
    Route("/api/vouchers/{voucher_id}/codes", pay_codes_api, methods=["POST"], action=Action.PAY),
]
