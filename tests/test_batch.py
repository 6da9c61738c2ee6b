"""A batch gives every family of a centre one voucher for a month (issue 17): once, however
often it runs; families that joined since get theirs on the next run; a batch the budget
cannot pay gives nothing at all, and the page says so."""

from __future__ import annotations

import asyncio
import calendar
import uuid
from datetime import date

import pytest

from pwa import i18n
from pwa.accounts.services import create_staff
from pwa.audit.services import AuditAction
from pwa.budgets import services as budgets
from pwa.core.forms import FormErrors
from pwa.models import (
    AuditEntry,
    CentreBudget,
    CentreFamily,
    Organisation,
    OrgKind,
    Voucher,
    VoucherBatch,
)
from pwa.vouchers import services as vouchers
from tests.conftest import Client
from tests.factories import PASSWORD, give_budget, make_family


def next_month() -> tuple[str, date]:
    """("2026-12", its first day): December when the tests run in November."""
    value = budgets.month_choices(2)[1][0]
    year, month = (int(part) for part in value.split("-"))
    return value, date(year, month, 1)


async def centre_with_families(families: int, yuan: int) -> tuple[Organisation, str]:
    email = f"batch-{uuid.uuid4().hex[:8]}@example.test"
    await create_staff(
        kind=OrgKind.CENTRE,
        org_name=f"Centre {email}",
        city="Tangshan",
        address="",
        email=email,
        password=PASSWORD,
        name="Mr Qian",
    )
    centre = await Organisation.get(name=f"Centre {email}")
    if yuan:
        await give_budget(centre, yuan)
    for n in range(families):
        await vouchers.register_family(centre, name=f"Family {n}")
    return centre, email


@pytest.mark.usefixtures("app")
async def test_a_batch_gives_each_family_one_voucher_for_the_month_once() -> None:
    centre, _email = await centre_with_families(3, yuan=1000)
    month, first = next_month()
    done = await budgets.run_batch(centre, amount="50", month=month, actor=None)
    assert (done.count, done.total, done.families) == (3, 15000, 3)
    made = await Voucher.filter(centre=centre).order_by("id")
    assert len({v.family_id for v in made}) == 3
    assert {v.face_value for v in made} == {5000}
    assert {v.batch_id for v in made} == {done.batch.id}
    last = first.replace(day=calendar.monthrange(first.year, first.month)[1])
    assert {vouchers.last_day(v) for v in made} == {last}
    assert {v.valid_from for v in made} == {vouchers.start_of(first)}
    assert (await CentreBudget.get(centre_id=centre.id)).unissued == 100000 - 15000
    (entry,) = await AuditEntry.filter(action=AuditAction.BATCH_RUN, organisation_id=centre.id)
    assert (entry.after["count"], entry.after["total"]) == (3, 15000)
    assert entry.after["first_day"] == first.isoformat()

    again = await budgets.run_batch(centre, amount="50", month=month, actor=None)
    assert (again.count, again.total) == (0, 0)
    assert await Voucher.filter(centre=centre).count() == 3
    assert await VoucherBatch.filter(centre_id=centre.id).count() == 1
    assert await AuditEntry.filter(action=AuditAction.BATCH_RUN).count() == 1

    # A family that joined since gets its voucher on the next run, and only it.
    newcomer = await vouchers.register_family(centre, name="Newcomer")
    later = await budgets.run_batch(centre, amount="50", month=month, actor=None)
    assert later.count == 1
    assert await Voucher.filter(centre=centre, family_id=newcomer.id).count() == 1
    assert await Voucher.filter(centre=centre).count() == 4
    assert await budgets.money_problems() == []


@pytest.mark.usefixtures("app")
async def test_a_batch_the_budget_cannot_pay_gives_nothing_at_all() -> None:
    centre, _email = await centre_with_families(3, yuan=120)
    month, _first = next_month()
    with pytest.raises(FormErrors) as refused, i18n.use_locale("en"):
        await budgets.run_batch(centre, amount="50", month=month, actor=None)
    assert refused.value.errors["amount"] == (
        "Nothing was given. 3 families need CN¥50.00 each. "
        "The centre's budget has CN¥120.00 left. This needs CN¥150.00."
    )
    assert not await Voucher.filter(centre=centre).exists()
    assert not await VoucherBatch.filter(centre_id=centre.id).exists()
    assert (await CentreBudget.get(centre_id=centre.id)).unissued == 12000
    assert not await AuditEntry.filter(action=AuditAction.BATCH_RUN).exists()
    # With ¥40 each it fits.
    done = await budgets.run_batch(centre, amount="40", month=month, actor=None)
    assert done.count == 3 and (await CentreBudget.get(centre_id=centre.id)).unissued == 0


@pytest.mark.usefixtures("app")
async def test_ten_runs_of_one_batch_at_once_give_each_family_one_voucher() -> None:
    centre, _email = await centre_with_families(5, yuan=1000)
    month, _first = next_month()
    runs = await asyncio.gather(
        *(budgets.run_batch(centre, amount="30", month=month, actor=None) for _ in range(10))
    )
    assert sorted(r.count for r in runs) == [0] * 9 + [5]
    assert await Voucher.filter(centre=centre).count() == 5
    assert await VoucherBatch.filter(centre_id=centre.id).count() == 1
    assert (await CentreBudget.get(centre_id=centre.id)).unissued == 100000 - 15000
    assert await budgets.money_problems() == []


@pytest.mark.usefixtures("app")
async def test_a_batch_for_a_month_that_passed_or_another_amount_is_refused() -> None:
    centre, _email = await centre_with_families(2, yuan=1000)
    with pytest.raises(FormErrors) as refused, i18n.use_locale("en"):
        await budgets.run_batch(centre, amount="50", month="2020-01", actor=None)
    assert refused.value.errors == {"month": "This month has passed already."}
    month, _first = next_month()
    await budgets.run_batch(centre, amount="50", month=month, actor=None)
    with pytest.raises(FormErrors) as other, i18n.use_locale("en"):
        await budgets.run_batch(centre, amount="60", month=month, actor=None)
    assert "This month's batch gave CN¥50.00 to each family." in other.value.errors["amount"]
    assert await Voucher.filter(centre=centre).count() == 2


async def test_the_batch_page_gives_once_and_says_when_it_gives_nothing(client: Client) -> None:
    centre, email = await centre_with_families(2, yuan=1000)
    month, first = next_month()
    await client.log_in(email, PASSWORD)
    page = await client.get("/centre/batch")
    assert page.status_code == 200
    assert "Budget left to give: CN¥1,000.00" in page.text
    assert "The centre has 2 families." in page.text
    with i18n.use_locale("en"):
        label = budgets.month_label(first)
    assert f'<option value="{month}">{label}</option>' in page.text
    given = await client.submit("/centre/batch", {"month": month, "amount": "50"})
    assert given.status_code == 303
    page = await client.get(given.headers["location"])
    assert f"2 vouchers of CN¥50.00 are given for {label}: CN¥100.00." in page.text
    assert "Budget left to give: CN¥900.00" in page.text
    again = await client.submit("/centre/batch", {"month": month, "amount": "50"})
    page = await client.get(again.headers["location"])
    assert f"Nothing was given: every family has its voucher for {label} already." in page.text
    assert await Voucher.filter(centre=centre).count() == 2
    # More than the budget: nothing, said on the page.
    refused = await client.submit(
        "/centre/batch", {"month": budgets.month_choices(3)[2][0], "amount": "500"}
    )
    assert refused.status_code == 400
    assert "Nothing was given. 2 families need CN¥500.00 each." in refused.text
    assert await Voucher.filter(centre=centre).count() == 2


async def test_the_batch_page_takes_only_the_months_it_offers(client: Client) -> None:
    """A far month (or one with no day after it) is a 400 in words, and nothing is given or
    taken from the budget; the months offered are this one and the next twelve."""
    centre, email = await centre_with_families(2, yuan=1000)
    await client.log_in(email, PASSWORD)
    offered = [value for value, _label in budgets.month_choices()]
    assert offered[0] == vouchers.today().strftime("%Y-%m") and len(offered) == 13
    page = await client.get("/centre/batch")
    for value in offered:
        assert f'<option value="{value}"' in page.text
    beyond = int(offered[-1][:4]) + 1, int(offered[-1][5:])
    for month in ("9999-12", "2099-12", f"{beyond[0]}-{beyond[1]:02d}", "0001-01", "2026-13"):
        refused = await client.submit("/centre/batch", {"month": month, "amount": "50"})
        assert refused.status_code == 400, month
        assert (
            "Choose one of the months on the list." in refused.text
            or "This month has passed already." in refused.text
            or "Choose a month." in refused.text
        ), month
    refused = await client.submit("/centre/batch", {"month": "9999-12", "amount": "50"})
    assert "Choose one of the months on the list." in refused.text
    assert not await Voucher.filter(centre=centre).exists()
    assert not await VoucherBatch.filter(centre=centre).exists()
    assert (await CentreBudget.get(centre_id=centre.id)).unissued == 100000
    last = await client.submit("/centre/batch", {"month": offered[-1], "amount": "50"})
    assert last.status_code == 303
    assert await Voucher.filter(centre=centre).count() == 2


async def test_the_wallet_says_when_next_months_voucher_starts(client: Client) -> None:
    centre, _email = await centre_with_families(0, yuan=1000)
    family = await make_family()
    await CentreFamily.create(centre=centre, family=family.family)
    month, first = next_month()
    await budgets.run_batch(centre, amount="50", month=month, actor=None)
    last = first.replace(day=calendar.monthrange(first.year, first.month)[1])
    await client.log_in(family.email, PASSWORD)
    wallet = await client.get(f"/families/{family.family.id}/wallet")
    with i18n.use_locale("en"):
        starts, ends = i18n.format_date(first), i18n.format_date(last)
    assert f"Good from {starts} until the end of {ends}. It cannot be used before." in wallet.text
    assert "Use before the end of" not in wallet.text
    # This month's voucher has started: no "Good from".
    await budgets.run_batch(centre, amount="50", month=budgets.month_choices(1)[0][0], actor=None)
    wallet = await client.get(f"/families/{family.family.id}/wallet")
    assert wallet.text.count("Good from") == 1 and "Use before the end of" in wallet.text
