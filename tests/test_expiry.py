"""Ended vouchers give their unspent balance back to the centre's budget (issue 17): once, also
when two expiry jobs run at the same time; and a payment reversed afterwards goes back too."""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import replace
from datetime import timedelta

import pytest

from pwa.app import create_app
from pwa.audit.services import EXPIRY_JOB, AuditAction
from pwa.budgets import services as budgets
from pwa.core import clock
from pwa.models import (
    AuditEntry,
    BudgetEntry,
    CentreBudget,
    LedgerEntry,
    Redemption,
    Voucher,
    VoucherStatus,
)
from pwa.vouchers import services as vouchers
from tests.factories import make_centre_and_shop, make_family, make_voucher

SECRET = "test-secret-key"
BUDGET = 100_000_00  # what make_centre_and_shop grants


async def pay(shop, voucher: Voucher, yuan: int) -> vouchers.Answer:
    token = (await vouchers.pay_tokens(voucher))[0]
    return await vouchers.redeem(
        shop,
        key=str(uuid.uuid4()),
        presented=token.code,
        amount=yuan * 100,
        staff=None,
        secret=SECRET,
    )


def after_its_end(days: int = 31) -> clock.datetime:
    return clock.now() + timedelta(days=days)


async def unissued(centre) -> int:
    return int((await CentreBudget.get(centre_id=centre.id)).unissued)


@pytest.mark.usefixtures("app")
async def test_an_ended_vouchers_balance_goes_back_once() -> None:
    family = await make_family()
    centre, shop, _staff = await make_centre_and_shop()
    voucher = await make_voucher(family, centre, yuan=50, days=30)
    assert (await pay(shop, voucher, 20)).outcome == "paid"
    assert await unissued(centre) == BUDGET - 5000
    # Not ended yet: nothing goes back.
    assert (await budgets.expire_vouchers()).count == 0
    returned = await budgets.expire_vouchers(now=after_its_end())
    assert (returned.count, returned.total) == (1, 3000)
    voucher = await Voucher.get(id=voucher.id)
    assert voucher.balance == 0 and voucher.returned_at is not None
    assert await unissued(centre) == BUDGET - 2000
    kinds = await LedgerEntry.filter(voucher=voucher).order_by("id").values_list("kind", "amount")
    assert kinds == [("issue", 5000), ("redeem", -2000), ("return", -3000)]
    back = await BudgetEntry.get(voucher_id=voucher.id, kind="return")
    assert back.amount == 3000
    entry = await AuditEntry.get(action=AuditAction.VOUCHER_RETURN, object_id=str(voucher.id))
    assert entry.actor == EXPIRY_JOB and entry.after == {"balance": 0, "returned": 3000}
    # Running again later returns nothing more.
    again = await budgets.expire_vouchers(now=after_its_end(60))
    assert (again.count, again.total) == (0, 0)
    assert await unissued(centre) == BUDGET - 2000
    assert await budgets.money_problems() == []


@pytest.mark.usefixtures("app")
async def test_two_expiry_jobs_at_once_give_each_balance_back_once() -> None:
    centre, shop, _staff = await make_centre_and_shop()
    made = []
    for n in range(6):
        family = await make_family()
        made.append(await make_voucher(family, centre, yuan=10 + n, days=10))
    assert (await pay(shop, made[0], 4)).outcome == "paid"
    issued = sum(v.face_value for v in made)
    first, second, third = await asyncio.gather(
        budgets.expire_vouchers(now=after_its_end()),
        budgets.expire_vouchers(now=after_its_end()),
        budgets.expire_vouchers(now=after_its_end()),
    )
    assert first.count + second.count + third.count == 6
    assert first.total + second.total + third.total == issued - 400
    assert await unissued(centre) == BUDGET - 400
    assert await LedgerEntry.filter(kind="return").count() == 6
    assert await BudgetEntry.filter(centre_id=centre.id, kind="return").count() == 6
    assert await AuditEntry.filter(action=AuditAction.VOUCHER_RETURN).count() == 6
    assert await budgets.money_problems() == []


@pytest.mark.usefixtures("app")
async def test_a_cancelled_voucher_gives_its_balance_back_before_its_last_day() -> None:
    family = await make_family()
    centre, _shop, _staff = await make_centre_and_shop()
    voucher = await make_voucher(family, centre, yuan=50, days=30)
    other = await make_voucher(family, centre, yuan=20, days=30)
    await Voucher.filter(id=voucher.id).update(status=VoucherStatus.CANCELLED)
    returned = await budgets.expire_vouchers()
    assert (returned.count, returned.total) == (1, 5000)
    assert (await Voucher.get(id=other.id)).balance == 2000
    assert await unissued(centre) == BUDGET - 2000
    assert await budgets.money_problems() == []


@pytest.mark.usefixtures("app")
async def test_a_payment_reversed_after_the_return_goes_back_to_the_budget() -> None:
    family = await make_family()
    centre, shop, staff = await make_centre_and_shop()
    voucher = await make_voucher(family, centre, yuan=50, days=30)
    assert (await pay(shop, voucher, 30)).outcome == "paid"
    await budgets.expire_vouchers(now=after_its_end())
    assert await unissued(centre) == BUDGET - 3000
    redemption = await Redemption.get(voucher_id=voucher.id, outcome="paid")
    await vouchers.reverse(redemption, staff, any_day=True)
    voucher = await Voucher.get(id=voucher.id)
    # The voucher ended: the money is not on it for anyone to spend, but back in the budget.
    assert voucher.balance == 0
    assert await unissued(centre) == BUDGET
    kinds = await LedgerEntry.filter(voucher=voucher).order_by("id").values_list("kind", "amount")
    assert kinds == [
        ("issue", 5000),
        ("redeem", -3000),
        ("return", -2000),
        ("reverse", 3000),
        ("return", -3000),
    ]
    entry = await AuditEntry.get(action=AuditAction.REVERSAL, object_id=str(redemption.id))
    assert entry.after["returned_to_budget"] is True
    assert await budgets.money_problems() == []
    # And the job, run again, finds nothing more to give back.
    assert (await budgets.expire_vouchers(now=after_its_end(40))).count == 0
    assert await budgets.money_problems() == []


@pytest.mark.usefixtures("app")
async def test_a_reversal_and_the_expiry_job_at_once_lose_no_money() -> None:
    """Whichever comes first, the reversed money ends up in the budget exactly once."""
    centre, shop, staff = await make_centre_and_shop()
    redemptions = []
    for _n in range(5):
        family = await make_family()
        voucher = await make_voucher(family, centre, yuan=50, days=5)
        assert (await pay(shop, voucher, 10)).outcome == "paid"
        redemptions.append(await Redemption.get(voucher_id=voucher.id, outcome="paid"))
    await asyncio.gather(
        budgets.expire_vouchers(now=after_its_end()),
        *(vouchers.reverse(r, staff, any_day=True) for r in redemptions),
        budgets.expire_vouchers(now=after_its_end()),
    )
    assert await unissued(centre) == BUDGET
    assert set(await Voucher.filter(centre=centre).values_list("balance", flat=True)) == {0}
    assert await budgets.money_problems() == []


@pytest.mark.usefixtures("app")
async def test_the_app_runs_the_expiry_job_and_stops_it() -> None:
    family = await make_family()
    centre, _shop, _staff = await make_centre_and_shop()
    voucher = await make_voucher(family, centre, yuan=50, days=30)
    await Voucher.filter(id=voucher.id).update(valid_until=clock.now() - timedelta(minutes=1))
    stop = asyncio.Event()
    job = asyncio.create_task(budgets.expire_every(3600, stop))
    for _try in range(100):
        if (await Voucher.get(id=voucher.id)).returned_at is not None:
            break
        await asyncio.sleep(0.05)
    assert (await Voucher.get(id=voucher.id)).balance == 0
    assert await unissued(centre) == BUDGET
    # Stopping it ends it at once, however long it was to wait for its next run.
    stop.set()
    await asyncio.wait_for(job, 5)
    assert job.done() and not job.cancelled()


async def test_the_app_starts_the_expiry_job_and_stops_it_cleanly(settings) -> None:
    """An app started gives ended vouchers' money back at once, and stops its job with it."""
    before = set(asyncio.all_tasks())
    off = create_app(replace(settings, expiry_every_seconds=0))
    async with off.router.lifespan_context(off):
        family = await make_family()
        centre, _shop, _staff = await make_centre_and_shop()
        voucher = await make_voucher(family, centre, yuan=50, days=30)
        await Voucher.filter(id=voucher.id).update(valid_until=clock.now() - timedelta(minutes=1))
        await asyncio.sleep(0.2)
        # EXPIRY_EVERY_SECONDS=0: no job.
        assert (await Voucher.get(id=voucher.id)).returned_at is None
    on = create_app(replace(settings, expiry_every_seconds=3600))
    async with on.router.lifespan_context(on):
        for _try in range(100):
            if (await Voucher.get(id=voucher.id)).returned_at is not None:
                break
            await asyncio.sleep(0.05)
        assert (await Voucher.get(id=voucher.id)).balance == 0
        assert await unissued(centre) == BUDGET
    # Nothing of it runs on after the app stopped.
    assert {t for t in asyncio.all_tasks() if not t.done()} - before <= {asyncio.current_task()}
