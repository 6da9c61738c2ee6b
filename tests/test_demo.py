"""Demo data: every demo account logs in, loading twice adds nothing, and the Hebei programme is
there as it runs: 11 cities, the 8 launch merchants and their stores, centres, about sixty
families with three months of vouchers, payments, returns, trips and statements, and every
check of `check-ledger` passes on it."""

from __future__ import annotations

from collections import Counter
from datetime import date

from pwa.budgets import services as budgets
from pwa.demo import PASSWORD, load_demo
from pwa.demo_programme import CHAINS, CITIES, MERCHANT_EMAIL, PROGRAMME_EMAIL
from pwa.models import (
    Account,
    AuditEntry,
    BudgetEntry,
    BudgetKind,
    CentreFamily,
    Family,
    LedgerEntry,
    LedgerKind,
    Organisation,
    OrgKind,
    Outcome,
    Person,
    Redemption,
    Statement,
    StatementLine,
    Trip,
    Voucher,
    VoucherBatch,
)
from pwa.reach.queries import SMALLEST, reach
from pwa.settlement import services as settlement
from pwa.vouchers import services as vouchers
from tests.conftest import Client

MODELS = (
    Account,
    Family,
    Person,
    Organisation,
    Voucher,
    LedgerEntry,
    Redemption,
    BudgetEntry,
    Trip,
    Statement,
    AuditEntry,
)
MONTHS = (date(2026, 9, 1), date(2026, 10, 1), date(2026, 11, 1))


def in_month(moment, month: date) -> bool:
    return moment.astimezone(vouchers.CHINA).date().replace(day=1) == month


async def test_demo_data_loads_once_and_is_the_programme_as_it_runs(app):
    """Loaded once (a second run adds nothing), the ledger, the budgets and the statements
    agree, and the programme is three months in."""
    first = await load_demo()
    assert {"parent@demo.test", PROGRAMME_EMAIL} <= set(first)
    counts = [await model.all().count() for model in MODELS]
    assert await load_demo() == []
    assert counts == [await model.all().count() for model in MODELS]
    # Every check of `python -m pwa check-ledger`: balances, budgets, statements.
    assert await budgets.money_problems() == []
    assert await vouchers.ledger_problems() == []
    assert await settlement.statement_problems() == []
    await check_merchants_and_centres()
    await check_families_vouchers_payments_and_trips()
    await check_statements()


async def check_merchants_and_centres() -> None:
    chains = await Organisation.filter(kind=OrgKind.CHAIN).order_by("id")
    assert [c.name for c in chains] == [c.name for c in CHAINS]
    stores = await Organisation.filter(kind=OrgKind.MERCHANT, chain_id__not_isnull=True)
    per_chain = Counter(s.chain_id for s in stores)
    assert all(1 <= per_chain[c.id] <= 4 for c in chains)
    assert {s.city for s in stores} == set(CITIES)
    by_name = {s.name: s for s in stores}
    assert by_name["美食林 丛台店"].chain_id == next(c.id for c in chains if c.name == "邯郸美食林")
    assert by_name["北国商城 中兴大街店"].city == "邢台"
    # One store waits for the programme's approval, one is suspended; the rest take vouchers.
    waiting = [s for s in stores if s.approved_at is None]
    assert [(s.name, bool(s.checklist_confirmed_at)) for s in waiting] == [("美食林 复兴店", True)]
    suspended = [s.name for s in stores if s.suspended_at]
    assert suspended == ["永辉超市 南营子店"]
    taking = [s for s in stores if await vouchers.takes_vouchers(s)]
    assert len(taking) == len(stores) - 2
    # The demo shops stay friendly shops of their own, in 石家庄 now.
    shops = await Organisation.filter(
        kind=OrgKind.MERCHANT, members__account__email="shop@demo.test"
    )
    assert len(shops) == 2
    assert [await vouchers.takes_vouchers(s) and bool(s.guide_read_at) for s in shops] == [True] * 2
    assert {s.chain_id for s in shops} == {None} and {s.city for s in shops} == {"石家庄"}
    centres = await Organisation.filter(kind=OrgKind.CENTRE)
    assert len({c.city for c in centres}) == 7
    assert await Organisation.filter(kind=OrgKind.PROGRAMME).count() == 1


async def check_families_vouchers_payments_and_trips() -> None:
    assert await Family.all().count() == 60
    assert await CentreFamily.all().count() == 60
    demo_centre = await Organisation.get(
        kind=OrgKind.CENTRE, members__account__email="centre@demo.test"
    )
    # Each centre but the demo one gave ¥50 to each family for September, October, November
    # and December; the demo centre gave none (the browser journey gives its December batch).
    batches = await VoucherBatch.all()
    assert len(batches) == 4 * 7
    assert {b.face_value for b in batches} == {50_00}
    assert {b.valid_from.astimezone(vouchers.CHINA).date() for b in batches} == {
        *MONTHS,
        date(2026, 12, 1),
    }
    assert not await VoucherBatch.filter(centre=demo_centre).exists()
    assert await Voucher.filter(centre=demo_centre).count() == 1  # the Wang family's
    # The expiry job gave September's and October's unspent balances back, once each.
    for voucher in await Voucher.filter(batch_id__not_isnull=True):
        ended = voucher.valid_from.astimezone(vouchers.CHINA).date() < MONTHS[2]
        assert (voucher.returned_at is not None) == ended
    returns = await BudgetEntry.filter(kind=BudgetKind.RETURN).count()
    assert returns > 50
    # Payments in each month, dated in it, at the stores; a few reversed.
    paid = await Redemption.filter(outcome=Outcome.PAID)
    assert not await Redemption.exclude(outcome=Outcome.PAID).exists()
    for month in MONTHS:
        assert sum(in_month(r.created_at, month) for r in paid) > 40
    assert 3 <= sum(r.reversed_at is not None for r in paid) <= 30
    # Trips in each month, most families active, 承德 and 衡水 with fewer than five.
    for month in MONTHS:
        found = await reach(month)
        cities = {row.label: row for row in found.cities}
        assert found.total.active >= 40
        assert found.total.spent > 1_000_00 and found.total.issued >= 57 * 50_00
        assert {c for c, row in cities.items() if row.registered and row.money_hidden} == {
            "承德",
            "衡水",
        }
        others = [row for c, row in cities.items() if row.registered and c not in ("承德", "衡水")]
        assert len(others) == 5 and all(row.registered >= SMALLEST for row in others)


async def check_statements() -> None:
    statements = await Statement.all()
    september = [s for s in statements if s.first_day == date(2026, 9, 1)]
    october = [s for s in statements if s.first_day == date(2026, 10, 1)]
    merchants = await settlement.merchants()
    assert len(september) == len(october) == len(merchants) == 8 + 2
    assert all(s.paid_at and s.paid_reference for s in september if s.total)
    assert 0 < sum(bool(s.paid_at) for s in october) < len(october)
    # A September payment reversed by the programme in October: an adjustment on October's.
    adjustments = await StatementLine.filter(adjustment=True).prefetch_related("statement")
    assert [line.statement.first_day for line in adjustments] == [date(2026, 10, 1)]
    # Every payment and reversal before November is on exactly one statement.
    listed = await StatementLine.all().count()
    entries = await LedgerEntry.filter(
        kind__in=[LedgerKind.REDEEM, LedgerKind.REVERSE],
        created_at__lt=vouchers.start_of(date(2026, 11, 1)),
    ).count()
    assert listed == entries


async def test_every_demo_account_logs_in(app):
    """Each account lands on its page and sees its organisation, and its desk's pages show the
    demo's months; the parent sees no staff page."""
    await load_demo()
    for email, lands_on, sees, more in (
        ("parent@demo.test", "/home", "Ming", {}),
        ("caregiver@demo.test", "/home", "You are a caregiver here.", {}),
        ("centre@demo.test", "/centre", "Aixing Rehabilitation Centre", {}),
        (
            "shop@demo.test",
            "/shop",
            "Good Neighbour Convenience Store",
            {"/shop/payments": "/09/2026"},
        ),
        (
            PROGRAMME_EMAIL,
            "/programme",
            "Friendly shops waiting for approval (1)",
            {
                "/programme/budgets": "邯郸市晨曦儿童康复中心",
                "/programme/reach?month=2026-09": "The programme in September 2026",
                "/programme/statements": "邢台北国商城",
                "/programme/audit?action=voucher.return&until=2026-10-01": "1 Oct 2026, 00:30",
            },
        ),
        (
            MERCHANT_EMAIL,
            "/merchant",
            "Stores of 信誉楼",
            {"/merchant/statements": "reference HB2026-09-"},
        ),
        (
            "centre.hd@demo.test",
            "/centre",
            "邯郸市晨曦儿童康复中心",
            {"/centre/reports": "美食林 丛台店", "/centre/batch": "The centre has 11 families."},
        ),
    ):
        async with Client(app) as client:
            await client.log_in(email, PASSWORD)
            page = await client.get("/", follow_redirects=True)
            assert str(page.url).endswith(lands_on), email
            assert sees in page.text, email
            for path, words in more.items():
                page = await client.get(path)
                assert page.status_code == 200 and words in page.text, path

    # Staff pages are for staff only.
    async with Client(app) as client:
        await client.log_in("parent@demo.test", PASSWORD)
        for path in ("/centre", "/shop", "/programme", "/merchant"):
            assert (await client.get(path)).status_code == 403
