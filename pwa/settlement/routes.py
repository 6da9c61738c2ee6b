"""Statements (issue 17): programme staff see what is owed to each merchant, make a statement
of a closed period, print it or download it as CSV, mark it paid, and find a payment by its
reference to reverse it; a merchant's admins see their own statements and their state."""

from __future__ import annotations

import csv
import io
from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from pwa.auth import access as org_access
from pwa.auth import sessions
from pwa.auth.routing import Route
from pwa.auth.rules import Action
from pwa.core import ids, urls
from pwa.core.csv_cells import safe_row
from pwa.core.forms import FormErrors, read_form
from pwa.i18n import _
from pwa.models import Account, Organisation, OrgKind, Redemption, Statement
from pwa.settlement import services
from pwa.templating import notify, render
from pwa.vouchers import services as vouchers

PROGRAMME = Action.PROGRAMME_SCREENS
MERCHANT = Action.MERCHANT_ADMIN


def _programme(request: Request) -> Account | None:
    return org_access.check_org(sessions.principal(request), PROGRAMME).account


async def _my_merchants(request: Request) -> list[Organisation]:
    """The chains the caller is an admin of, of those neither suspended nor ended."""
    who = org_access.check_org(sessions.principal(request), MERCHANT)
    return list(
        await Organisation.filter(
            members__account=who.account,
            members__admin=True,
            kind=OrgKind.CHAIN,
            suspended_at=None,
            ended_at=None,
        ).order_by("name", "id")
    )


async def _my_own_stores(request: Request) -> list[Organisation]:
    """The stores on their own (each its own merchant) the caller is an admin of: their
    statements are the store's admins' to see, as a chain's are its admins'."""
    who = org_access.check_org(sessions.principal(request), Action.MERCHANT_SCREENS)
    return list(
        await Organisation.filter(
            members__account=who.account,
            members__admin=True,
            kind=OrgKind.MERCHANT,
            chain_id=None,
            suspended_at=None,
            ended_at=None,
        ).order_by("name", "id")
    )


# --- programme staff ---------------------------------------------------------------------------


async def programme_statements(request: Request) -> Response:
    """Every merchant with what no statement lists yet."""
    _programme(request)
    return render(
        request,
        "settlement/merchants.html",
        {
            "title": _("Statements"),
            "rows": await services.merchant_owed(),
            "back_url": urls.url("programme_start"),
        },
    )


async def programme_merchant(request: Request) -> Response:
    """A merchant's statements, and the form to make the next one."""
    actor = _programme(request)
    merchant = await services.merchant_or_none(ids.int_or_404(request.path_params["merchant_id"]))
    if merchant is None:
        raise HTTPException(404)
    first, last = services.last_month()
    form = {"month": first.strftime("%Y-%m"), "first_day": "", "last_day": ""}
    errors: dict[str, str] = {}
    status = 200
    if request.method == "POST":
        form = await read_form(request)
        try:
            first, last = services.period_from_form(form)
            statement = await services.make_statement(merchant, first, last, actor)
        except FormErrors as exc:
            errors, status = exc.errors, 400
        else:
            notify(request, _("The statement is made."))
            return RedirectResponse(
                urls.url("programme_statement", statement_id=statement.id), status_code=303
            )
    owed = next(
        (row.owed for row in await services.merchant_owed() if row.merchant.id == merchant.id), 0
    )
    return render(
        request,
        "settlement/merchant.html",
        {
            "title": _("Statements of %(merchant)s", merchant=merchant.name),
            "merchant": merchant,
            "owed": owed,
            "statements": await services.statements_of([merchant.id]),
            "form": form,
            "errors": errors,
            "back_url": urls.url("programme_statements"),
        },
        status,
    )


async def _statement_page(
    request: Request,
    statement: Statement,
    programme: bool,
    errors: dict[str, str] | None = None,
    desk: str = "merchant",
) -> Response:
    """desk: whose pages link it, "merchant" (a chain's admins) or "shop" (the admins of a
    store on its own, which is its own merchant)."""
    await statement.fetch_related("merchant")
    lines = await services.lines_of(statement)
    if programme:
        csv_url = urls.url("programme_statement_csv", statement_id=statement.id)
        back = urls.url("programme_merchant", merchant_id=statement.merchant_id)
    else:
        csv_url = urls.url(f"{desk}_statement_csv", statement_id=statement.id)
        back = urls.url(f"{desk}_statements")
    return render(
        request,
        "settlement/statement.html",
        {
            "title": _("Statement %(number)s", number=statement.id),
            "statement": statement,
            "parts": [
                (kind, caption, [line for line in lines if line.kind == kind])
                for kind, caption in (
                    ("payment", _("Payments")),
                    ("reversal", _("Reversals")),
                    ("adjustment", _("Adjustments")),
                )
            ],
            "programme": programme,
            "csv_url": csv_url,
            "errors": errors or {},
            "back_url": back,
        },
        400 if errors else 200,
    )


async def _statement_or_404(statement_id: int, merchant_ids: list[int] | None = None) -> Statement:
    statements = Statement.filter(id=statement_id)
    if merchant_ids is not None:
        statements = statements.filter(merchant_id__in=merchant_ids)
    statement = await statements.first()
    if statement is None:
        raise HTTPException(404)
    return statement


async def programme_statement(request: Request) -> Response:
    _programme(request)
    statement = await _statement_or_404(ids.int_or_404(request.path_params["statement_id"]))
    return await _statement_page(request, statement, programme=True)


async def programme_statement_paid(request: Request) -> Response:
    actor = _programme(request)
    statement = await _statement_or_404(ids.int_or_404(request.path_params["statement_id"]))
    form = await read_form(request)
    try:
        await services.mark_paid(statement, form.get("reference", ""), actor)
    except FormErrors as exc:
        return await _statement_page(request, statement, programme=True, errors=exc.errors)
    notify(request, _("The statement is marked paid."))
    return RedirectResponse(
        urls.url("programme_statement", statement_id=statement.id), status_code=303
    )


async def programme_statement_csv(request: Request) -> Response:
    _programme(request)
    statement = await _statement_or_404(ids.int_or_404(request.path_params["statement_id"]))
    return await _csv(statement)


async def find_payment(request: Request) -> Response:
    """A payment by its reference (as a statement shows it), with a button to reverse it."""
    _programme(request)
    reference = request.query_params.get("reference", "").strip()[:20]
    found = await services.find_payment(reference) if reference else None
    return render(
        request,
        "settlement/find_payment.html",
        {
            "title": _("Find a payment"),
            "reference": reference,
            "found": found,
            "back_url": urls.url("programme_statements"),
        },
        404 if reference and found is None else 200,
    )


async def programme_reverse_payment(request: Request) -> Response:
    actor = _programme(request)
    redemption = await Redemption.get_or_none(
        id=ids.int_or_404(request.path_params["redemption_id"])
    )
    if redemption is None or actor is None:
        raise HTTPException(404)
    try:
        await vouchers.reverse(redemption, actor, any_day=True)
    except FormErrors as exc:
        notify(request, next(iter(exc.errors.values())), "warning")
    else:
        notify(
            request,
            _(
                "The payment is reversed. The money is back on the voucher. "
                "The merchant's next statement lists it."
            ),
        )
    reference = services.payment_reference(redemption.id)
    return RedirectResponse(f"{urls.url('find_payment')}?reference={reference}", status_code=303)


# --- the merchant's admins ---------------------------------------------------------------------


async def _statements(
    request: Request, mine: list[Organisation], statement_url: str, back_url: str
) -> Response:
    return render(
        request,
        "settlement/statements.html",
        {
            "title": _("Our statements"),
            "merchants": mine,
            "statements": await services.statements_of([m.id for m in mine]),
            "statement_url": statement_url,
            "back_url": back_url,
        },
    )


async def merchant_statements(request: Request) -> Response:
    mine = await _my_merchants(request)
    return await _statements(request, mine, "merchant_statement", urls.url("merchant_start"))


async def _mine(request: Request, merchants: list[Organisation]) -> Statement:
    """The statement of the path, when it is of one of these merchants (else 404)."""
    return await _statement_or_404(
        ids.int_or_404(request.path_params["statement_id"]), [m.id for m in merchants]
    )


async def merchant_statement(request: Request) -> Response:
    statement = await _mine(request, await _my_merchants(request))
    return await _statement_page(request, statement, programme=False)


async def merchant_statement_csv(request: Request) -> Response:
    return await _csv(await _mine(request, await _my_merchants(request)))


async def shop_statements(request: Request) -> Response:
    return await _statements(request, await _my_own_stores(request), "shop_statement", "/shop")


async def shop_statement(request: Request) -> Response:
    statement = await _mine(request, await _my_own_stores(request))
    return await _statement_page(request, statement, programme=False, desk="shop")


async def shop_statement_csv(request: Request) -> Response:
    return await _csv(await _mine(request, await _my_own_stores(request)))


# --- CSV ---------------------------------------------------------------------------------------


def _yuan(fen: int) -> str:
    sign = "-" if fen < 0 else ""
    return f"{sign}{abs(fen) // 100}.{abs(fen) % 100:02d}"


async def _csv(statement: Statement) -> Response:
    """The statement's lines, one a row, then its totals. Store names and cities are typed by
    people: safe_row keeps them from being formulas. No person's or family's name."""
    await statement.fetch_related("merchant")
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(
        [
            "statement",
            "merchant",
            "first_day",
            "last_day",
            "part",
            "date",
            "store",
            "city",
            "amount_yuan",
            "payment_reference",
            "code",
            "payment_statement",
        ]
    )
    head: list[Any] = [
        statement.id,
        statement.merchant.name,
        statement.first_day.isoformat(),
        statement.last_day.isoformat(),
    ]
    for line in await services.lines_of(statement):
        writer.writerow(
            safe_row(
                [
                    *head,
                    line.kind,
                    line.day.isoformat(),
                    line.store,
                    line.city,
                    _yuan(line.amount),
                    line.reference,
                    line.code,
                    line.payment_statement_id or "",
                ]
            )
        )
    for part, fen in (
        ("payments", statement.payments),
        ("reversals", statement.reversals),
        ("total", statement.total),
    ):
        writer.writerow(safe_row([*head, part, "", "", "", _yuan(fen), "", "", ""]))
    return Response(
        "\ufeff" + out.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="statement-{statement.id}.csv"'},
    )


routes = [
    Route(
        "/programme/statements",
        programme_statements,
        name="programme_statements",
        action=PROGRAMME,
    ),
    Route(
        "/programme/statements/merchants/{merchant_id:int}",
        programme_merchant,
        name="programme_merchant",
        methods=["GET", "POST"],
        action=PROGRAMME,
    ),
    Route(
        "/programme/statements/{statement_id:int}",
        programme_statement,
        name="programme_statement",
        action=PROGRAMME,
    ),
    Route(
        "/programme/statements/{statement_id:int}.csv",
        programme_statement_csv,
        name="programme_statement_csv",
        action=PROGRAMME,
    ),
    Route(
        "/programme/statements/{statement_id:int}/paid",
        programme_statement_paid,
        name="programme_statement_paid",
        methods=["POST"],
        action=PROGRAMME,
    ),
    Route(
        "/programme/statements/find-payment",
        find_payment,
        name="find_payment",
        action=PROGRAMME,
    ),
    Route(
        "/programme/statements/payments/{redemption_id:int}/reverse",
        programme_reverse_payment,
        name="programme_reverse_payment",
        methods=["POST"],
        action=PROGRAMME,
    ),
    Route(
        "/merchant/statements",
        merchant_statements,
        name="merchant_statements",
        action=MERCHANT,
    ),
    Route(
        "/merchant/statements/{statement_id:int}",
        merchant_statement,
        name="merchant_statement",
        action=MERCHANT,
    ),
    Route(
        "/merchant/statements/{statement_id:int}.csv",
        merchant_statement_csv,
        name="merchant_statement_csv",
        action=MERCHANT,
    ),
    Route(
        "/shop/statements", shop_statements, name="shop_statements", action=Action.MERCHANT_SCREENS
    ),
    Route(
        "/shop/statements/{statement_id:int}",
        shop_statement,
        name="shop_statement",
        action=Action.MERCHANT_SCREENS,
    ),
    Route(
        "/shop/statements/{statement_id:int}.csv",
        shop_statement_csv,
        name="shop_statement_csv",
        action=Action.MERCHANT_SCREENS,
    ),
]
