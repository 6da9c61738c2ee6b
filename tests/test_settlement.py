"""Statements (issue 17): what the programme owes each merchant for a closed period. A
statement lists the payments and reversals of the merchant's stores and nothing else; it never
changes once made: a reversal after it is an adjustment on the next one."""

from __future__ import annotations

import asyncio
import csv
import io
import uuid
from dataclasses import dataclass
from datetime import date, timedelta

import pytest

from pwa.accounts.services import create_staff
from pwa.audit.services import AuditAction
from pwa.budgets import services as budgets
from pwa.core import clock
from pwa.core.forms import FormErrors
from pwa.models import (
    Account,
    AuditEntry,
    LedgerEntry,
    Organisation,
    OrgKind,
    PayToken,
    Redemption,
    Statement,
    StatementLine,
)
from pwa.settlement import services
from pwa.vouchers import services as vouchers
from tests.conftest import Client
from tests.factories import PASSWORD, make_centre_and_shop, make_family, make_voucher

pytestmark = pytest.mark.usefixtures("app")

SECRET = "test-secret"
_n = iter(range(1, 10_000))


@dataclass
class Programme:
    centre: Organisation
    chain: Organisation
    stores: list[Organisation]
    # A store on its own: a merchant of its own, whose payments are never on the chain's.
    alone: Organisation
    staff: Account
    staff_email: str
    admin_email: str
    family_names: list[str]


async def set_up() -> Programme:
    n = next(_n)
    centre, alone, _staff = await make_centre_and_shop()
    await budgets.grant(centre, amount="10000", take_back=False, note="", actor="command line")
    staff = await create_staff(
        kind=OrgKind.PROGRAMME,
        org_name="Programme",
        city="Hangzhou",
        address="",
        email=f"programme{n}@example.test",
        password=PASSWORD,
        name="Programme staff",
    )
    await create_staff(
        kind=OrgKind.CHAIN,
        org_name=f"FreshMart {n}",
        city="Hangzhou",
        address="",
        email=f"chain{n}@example.test",
        password=PASSWORD,
        name="Chain admin",
    )
    chain = await Organisation.get(name=f"FreshMart {n}")
    stores = [
        await Organisation.create(
            kind=OrgKind.MERCHANT,
            name=f"FreshMart {n} {where}",
            city=where,
            chain=chain,
            approved_at=clock.now(),
        )
        for where in ("Xihu", "Binjiang")
    ]
    await Organisation.filter(id=alone.id).update(approved_at=clock.now())
    alone = await Organisation.get(id=alone.id)
    return Programme(
        centre=centre,
        chain=chain,
        stores=stores,
        alone=alone,
        staff=staff,
        staff_email=f"programme{n}@example.test",
        admin_email=f"chain{n}@example.test",
        family_names=[],
    )


async def pay(p: Programme, store: Organisation, yuan: int) -> Redemption:
    """A family pays `yuan` with a new voucher at the store, as the till does."""
    family = await make_family(name="Zhang Wei", person_name="Zhang Ming")
    p.family_names += ["Zhang Wei", "Zhang Ming", family.family.name]
    voucher = await make_voucher(family, p.centre, yuan=100)
    token = (await vouchers.pay_tokens(voucher))[0]
    answer = await vouchers.redeem(
        store,
        key=str(uuid.uuid4()),
        presented=token.code,
        amount=yuan * 100,
        staff=None,
        secret=SECRET,
    )
    assert answer.outcome == "paid"
    return await Redemption.get(token_nonce=token.nonce)


@pytest.fixture
def days(monkeypatch: pytest.MonkeyPatch):
    """Move today (China's time) forward: a statement covers only days before today."""

    def move(by: int) -> date:
        real = vouchers.today()
        monkeypatch.setattr(services, "today", lambda: real + timedelta(days=by))
        return real

    return move


async def test_a_statement_lists_the_merchants_payments_and_reversals_and_nothing_else(
    days,
) -> None:
    p = await set_up()
    first = await pay(p, p.stores[0], 30)
    second = await pay(p, p.stores[1], 20)
    reversed_one = await pay(p, p.stores[1], 5)
    await vouchers.reverse(reversed_one, p.staff)
    elsewhere = await pay(p, p.alone, 40)
    day = days(1)

    statement = await services.make_statement(p.chain, day, day, p.staff)
    lines = await services.lines_of(statement)
    assert sorted((line.kind, line.reference, line.amount) for line in lines) == sorted(
        [
            ("payment", f"P{first.id}", 3000),
            ("payment", f"P{second.id}", 2000),
            ("payment", f"P{reversed_one.id}", 500),
            ("reversal", f"P{reversed_one.id}", -500),
        ]
    )
    assert {line.store for line in lines} == {s.name for s in p.stores}
    # What is owed: payments − reversals.
    assert (statement.payments, statement.reversals, statement.total) == (5500, -500, 5000)

    own = await services.make_statement(p.alone, day, day, p.staff)
    assert [line.reference for line in await services.lines_of(own)] == [f"P{elsewhere.id}"]
    assert own.total == 4000
    assert await services.statement_problems() == []
    made = await AuditEntry.get(action=AuditAction.STATEMENT_MAKE, object_id=str(statement.id))
    assert made.before is None and made.after is not None
    assert (made.after["total"], made.after["lines"]) == (5000, 4)


async def test_a_period_not_over_or_overlapping_is_refused_in_words(client: Client, days) -> None:
    p = await set_up()
    await pay(p, p.stores[0], 30)
    await client.log_in(p.staff_email, PASSWORD)
    page = f"/programme/statements/merchants/{p.chain.id}"
    today = vouchers.today()

    not_over = await client.submit(
        page, {"first_day": today.isoformat(), "last_day": today.isoformat()}
    )
    assert not_over.status_code == 400
    assert "This period is not over yet" in not_over.text
    assert await Statement.all().count() == 0

    days(1)
    made = await client.submit(
        page, {"first_day": today.isoformat(), "last_day": today.isoformat()}
    )
    assert made.status_code == 303
    statement = await Statement.get(merchant=p.chain)
    assert made.headers["location"] == f"/programme/statements/{statement.id}"

    overlapping = await client.submit(
        page,
        {
            "first_day": (today - timedelta(days=3)).isoformat(),
            "last_day": today.isoformat(),
        },
    )
    assert overlapping.status_code == 400
    assert "has a statement for some of these days already" in overlapping.text
    for month in ("2026-13", "9999-12", "next month"):
        wrong = await client.submit(page, {"month": month})
        assert wrong.status_code == 400 and "Choose a month, like 2026-10." in wrong.text
    backwards = await client.submit(
        page,
        {"first_day": today.isoformat(), "last_day": (today - timedelta(days=1)).isoformat()},
    )
    assert backwards.status_code == 400
    assert "The last day must be on or after the first day" in backwards.text
    assert await Statement.all().count() == 1


async def test_the_month_picker_makes_last_months_statement(client: Client, days) -> None:
    p = await set_up()
    redemption = await pay(p, p.stores[0], 12)
    # Today is the first of next month: this month is closed, and the picker offers it.
    real = vouchers.today()
    first_of_next = (real.replace(day=1) + timedelta(days=32)).replace(day=1)
    days((first_of_next - real).days)
    await client.log_in(p.staff_email, PASSWORD)
    page = await client.get(f"/programme/statements/merchants/{p.chain.id}")
    assert f'type="month" value="{real.strftime("%Y-%m")}"' in page.text
    made = await client.submit(
        f"/programme/statements/merchants/{p.chain.id}", {"month": real.strftime("%Y-%m")}
    )
    assert made.status_code == 303
    statement = await Statement.get(merchant=p.chain)
    assert (statement.first_day, statement.last_day.month, statement.total) == (
        real.replace(day=1),
        real.month,
        1200,
    )
    shown = await client.get(made.headers["location"])
    assert f"P{redemption.id}" in shown.text and "Waiting for payment" in shown.text


async def test_a_late_reversal_is_an_adjustment_on_the_next_statement(client: Client, days) -> None:
    p = await set_up()
    paid = await pay(p, p.stores[0], 30)
    kept = await pay(p, p.stores[1], 10)
    day = days(1)
    first = await services.make_statement(p.chain, day, day, p.staff)
    lines_before = [(line.entry_id, line.amount) for line in await services.lines_of(first)]
    assert first.total == 4000

    # Programme staff find the payment by its reference and reverse it (after a complaint).
    await client.log_in(p.staff_email, PASSWORD)
    found = await client.get(
        "/programme/statements/find-payment", params={"reference": f"P{paid.id}"}
    )
    assert found.status_code == 200
    assert f"Statement {first.id}" in found.text
    reversed_answer = await client.submit(f"/programme/statements/payments/{paid.id}/reverse")
    assert reversed_answer.status_code == 303
    assert (await Redemption.get(id=paid.id)).reversed_at is not None
    assert await AuditEntry.exists(action=AuditAction.REVERSAL, object_id=str(paid.id))

    # The closed statement is as it was.
    again = await Statement.get(id=first.id)
    assert (again.payments, again.reversals, again.total) == (4000, 0, 4000)
    assert [(line.entry_id, line.amount) for line in await services.lines_of(again)] == (
        lines_before
    )

    # The next one lists the reversal as an adjustment that names the first statement.
    days(2)
    following = await services.make_statement(
        p.chain, day + timedelta(days=1), day + timedelta(days=1), p.staff
    )
    lines = await services.lines_of(following)
    assert [(line.kind, line.amount, line.payment_statement_id) for line in lines] == [
        ("adjustment", -3000, first.id)
    ]
    assert following.total == -3000
    page = await client.get(f"/programme/statements/{following.id}")
    assert "Adjustments" in page.text
    assert "The payment is on" in page.text and f"<td>Statement {first.id}</td>" in page.text
    assert kept.id not in [line.entry_id for line in lines]
    assert await services.statement_problems() == []


async def test_marking_paid_once_with_a_reference_and_the_merchant_sees_it(
    client: Client, other_client: Client, days
) -> None:
    p = await set_up()
    await pay(p, p.stores[0], 30)
    day = days(1)
    statement = await services.make_statement(p.chain, day, day, p.staff)
    await client.log_in(p.staff_email, PASSWORD)
    url = f"/programme/statements/{statement.id}/paid"

    empty = await client.submit(url, {"reference": "  "})
    assert empty.status_code == 400 and "Write the reference of the payment." in empty.text
    too_long = await client.submit(url, {"reference": "x" * 101})
    assert too_long.status_code == 400 and "at most 100 characters" in too_long.text
    assert (await Statement.get(id=statement.id)).paid_at is None

    paid = await client.submit(url, {"reference": "BANK-2026-0042"})
    assert paid.status_code == 303
    twice = await client.submit(url, {"reference": "BANK-OTHER"})
    assert twice.status_code == 400 and "marked paid already" in twice.text
    stored = await Statement.get(id=statement.id)
    assert stored.paid_reference == "BANK-2026-0042" and stored.paid_by_id == p.staff.id
    entries = await AuditEntry.filter(action=AuditAction.STATEMENT_PAID)
    assert len(entries) == 1 and entries[0].after["reference"] == "BANK-2026-0042"
    assert entries[0].before == {"paid": False}

    await other_client.log_in(p.admin_email, PASSWORD)
    listing = await other_client.get("/merchant/statements")
    assert listing.status_code == 200
    assert "Paid on" in listing.text and "BANK-2026-0042" in listing.text
    page = await other_client.get(f"/merchant/statements/{statement.id}")
    assert page.status_code == 200
    assert "BANK-2026-0042" in page.text and "Mark as paid" not in page.text


async def test_a_merchant_cannot_see_another_merchants_statement(
    other_client: Client, days
) -> None:
    p = await set_up()
    q = await set_up()
    await pay(p, p.stores[0], 30)
    await pay(q, q.stores[0], 20)
    day = days(1)
    mine = await services.make_statement(p.chain, day, day, p.staff)
    theirs = await services.make_statement(q.chain, day, day, q.staff)
    await other_client.log_in(p.admin_email, PASSWORD)
    assert (await other_client.get(f"/merchant/statements/{mine.id}")).status_code == 200
    assert (await other_client.get(f"/merchant/statements/{theirs.id}")).status_code == 404
    assert (await other_client.get(f"/merchant/statements/{theirs.id}.csv")).status_code == 404
    listing = await other_client.get("/merchant/statements")
    assert f"Statement {mine.id}:" in listing.text
    assert f"Statement {theirs.id}:" not in listing.text
    # And no programme page.
    assert (await other_client.get(f"/programme/statements/{mine.id}")).status_code == 403


async def test_the_csv_has_the_lines_and_no_family_or_person_name(client: Client, days) -> None:
    p = await set_up()
    first = await pay(p, p.stores[0], 30)
    second = await pay(p, p.stores[1], 20)
    await vouchers.reverse(second, p.staff)
    # A store's name is typed by people: in the CSV it is never a formula.
    await Organisation.filter(id=p.stores[0].id).update(name="=HYPERLINK(1) Xihu")
    day = days(1)
    statement = await services.make_statement(p.chain, day, day, p.staff)
    await client.log_in(p.staff_email, PASSWORD)
    response = await client.get(f"/programme/statements/{statement.id}.csv")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    text = response.content.decode("utf-8")
    assert text.startswith("\ufeff")
    rows = list(csv.DictReader(io.StringIO(text.lstrip("\ufeff"))))
    lines = [r for r in rows if r["payment_reference"]]
    code = (await PayToken.get(nonce=first.token_nonce)).code
    assert {(r["part"], r["payment_reference"], r["amount_yuan"]) for r in lines} == {
        ("payment", f"P{first.id}", "30.00"),
        ("payment", f"P{second.id}", "20.00"),
        ("reversal", f"P{second.id}", "-20.00"),
    }
    assert next(r for r in lines if r["payment_reference"] == f"P{first.id}")["code"] == (
        f"••••-{code[-4:]}"
    )
    assert code not in text
    assert {r["store"] for r in lines} == {"'=HYPERLINK(1) Xihu", p.stores[1].name}
    assert [r["amount_yuan"] for r in rows if r["part"] == "total"] == ["30.00"]
    for name in p.family_names:
        assert name not in text


async def test_statement_problems_finds_a_tampered_total(days) -> None:
    p = await set_up()
    await pay(p, p.stores[0], 30)
    await pay(p, p.stores[1], 20)
    day = days(1)
    statement = await services.make_statement(p.chain, day, day, p.staff)
    assert await services.statement_problems() == []
    await Statement.filter(id=statement.id).update(total=4000)
    problems = await services.statement_problems()
    assert any(f"statement {statement.id}" in problem for problem in problems)
    assert any(f"merchant {p.chain.id}" in problem for problem in problems)
    await Statement.filter(id=statement.id).update(total=5000)
    # A line taken off: its stored totals no longer match.
    line = await StatementLine.filter(statement=statement).first()
    assert line is not None
    await line.delete()
    assert any(
        f"statement {statement.id}" in problem for problem in await services.statement_problems()
    )


async def test_two_statements_made_at_once_list_each_payment_once(days) -> None:
    p = await set_up()
    await pay(p, p.stores[0], 30)
    day = days(1)
    results = await asyncio.gather(
        services.make_statement(p.chain, day, day, p.staff),
        services.make_statement(p.chain, day, day, p.staff),
        return_exceptions=True,
    )
    made = [r for r in results if isinstance(r, Statement)]
    refused = [r for r in results if isinstance(r, FormErrors)]
    assert len(made) == 1 and len(refused) == 1, results
    assert await Statement.all().count() == 1
    assert await StatementLine.all().count() == await LedgerEntry.filter(kind="redeem").count()


async def test_the_programme_sees_what_each_merchant_is_owed(client: Client, days) -> None:
    p = await set_up()
    await pay(p, p.stores[0], 30)
    await pay(p, p.alone, 8)
    await client.log_in(p.staff_email, PASSWORD)
    page = await client.get("/programme/statements")
    assert page.status_code == 200
    owed = {row.merchant.id: row.owed for row in await services.merchant_owed()}
    assert (owed[p.chain.id], owed[p.alone.id]) == (3000, 800)
    assert p.chain.name in page.text and p.alone.name in page.text
    day = days(1)
    await services.make_statement(p.chain, day, day, p.staff)
    owed = {row.merchant.id: row.owed for row in await services.merchant_owed()}
    assert owed[p.chain.id] == 0


async def test_no_statement_before_the_merchant_was_added_or_with_nothing_in_it(
    client: Client, days
) -> None:
    p = await set_up()
    await client.log_in(p.staff_email, PASSWORD)
    page = f"/programme/statements/merchants/{p.chain.id}"
    today = days(1)
    # Nothing paid yet: no ¥0 statement waiting for payment.
    empty = await client.submit(
        page, {"first_day": today.isoformat(), "last_day": today.isoformat()}
    )
    assert empty.status_code == 400
    assert "Nothing to settle in this period." in empty.text
    yesterday = (today - timedelta(days=1)).isoformat()
    for form in (
        {"month": "0001-01"},
        {"first_day": "0001-01-01", "last_day": "0001-01-01"},
        {"first_day": "0001-01-01", "last_day": yesterday},
        {"month": "2000-02"},
    ):
        refused = await client.submit(page, form)
        assert refused.status_code == 400, form
        assert f"This period ends before {p.chain.name} was added on" in refused.text, form
    far = await client.submit(page, {"first_day": "9999-12-31", "last_day": "9999-12-31"})
    assert far.status_code == 400 and "This period is not over yet" in far.text
    assert await Statement.all().count() == 0
    assert not await AuditEntry.filter(action=AuditAction.STATEMENT_MAKE).exists()
    # With a payment in it, the same days make a statement.
    await pay(p, p.stores[0], 30)
    made = await client.submit(
        page, {"first_day": today.isoformat(), "last_day": today.isoformat()}
    )
    assert made.status_code == 303
    assert (await Statement.get(merchant=p.chain)).total == 3000


async def test_a_statement_keeps_its_pay_codes_when_the_phones_codes_are_gone(days) -> None:
    """A statement that was made never changes: the masked pay code is kept with its line, so
    a phone logging out (its codes go with its session) leaves the statement as it was."""
    from pwa.models import PayToken

    p = await set_up()
    paid = await pay(p, p.stores[0], 30)
    token = await PayToken.get(nonce=paid.token_nonce)
    day = days(1)
    statement = await services.make_statement(p.chain, day, day, p.staff)
    before = [line.code for line in await services.lines_of(statement)]
    assert before == [f"••••-{token.code[-4:]}"]
    await PayToken.filter(voucher_id=token.voucher_id).delete()
    assert [line.code for line in await services.lines_of(statement)] == before


async def test_a_store_on_its_own_shows_its_statements_to_its_admins_only(
    client: Client, other_client: Client, days
) -> None:
    """A store with no merchant above it is its own merchant: its admins see its statements
    (from the shop's start page), its other staff and a chain's admin do not."""
    from pwa.models import OrgMembership

    p = await set_up()
    await pay(p, p.alone, 40)
    day = days(1)
    statement = await services.make_statement(p.alone, day, day, p.staff)
    # The store's account made on the command line is its admin (a store on its own is its
    # own merchant).
    staff_of_alone = await OrgMembership.filter(organisation=p.alone).prefetch_related("account")
    assert [m.admin for m in staff_of_alone] == [True]
    admin = staff_of_alone[0].account
    await client.log_in(admin.email or "", PASSWORD)
    start = await client.get("/shop")
    assert "/shop/statements" in start.text
    listed = await client.get("/shop/statements")
    assert listed.status_code == 200 and f"/shop/statements/{statement.id}" in listed.text
    page = await client.get(f"/shop/statements/{statement.id}")
    assert page.status_code == 200 and "40.00" in page.text
    assert (await client.get(f"/shop/statements/{statement.id}.csv")).status_code == 200
    # Not an admin: nothing.
    await OrgMembership.filter(id=staff_of_alone[0].id).update(admin=False)
    assert f"/shop/statements/{statement.id}" not in (await client.get("/shop/statements")).text
    assert (await client.get(f"/shop/statements/{statement.id}")).status_code == 404
    # A chain's admin: not theirs either.
    await other_client.log_in(p.admin_email, PASSWORD)
    assert (await other_client.get(f"/merchant/statements/{statement.id}")).status_code == 404


async def test_an_invitation_into_a_store_on_its_own_makes_an_admin_and_into_a_chains_store_not(
    days,
) -> None:
    """The real way a store's people arrive: the programme's link into a store on its own makes
    its admin (who sees its statements); a chain's store's link makes till staff."""
    from pwa.models import OrgMembership
    from pwa.programme import services as programme
    from tests.factories import make_account

    p = await set_up()
    for store, admin in ((p.alone, True), (p.stores[0], False)):
        token = await programme.create_invitation(store, p.staff, "Someone")
        invitation = await programme.find_invitation(token)
        assert invitation is not None
        account, _email = await make_account("Someone")
        await programme.accept_invitation(invitation, account)
        membership = await OrgMembership.get(account=account, organisation=store)
        assert membership.admin is admin
