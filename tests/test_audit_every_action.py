"""Every action of issue 17's list (8) that moves money or changes who may do what appends an
audit entry: budgets, issuing, batches, redemptions, reversals, returns, statements,
invitations, suspensions, approvals. Done once each through the services the pages call, a
month ago where the statement needs a closed month."""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, time, timedelta
from unittest import mock

import pytest
from tortoise import timezone as orm_time

from pwa.audit.services import AuditAction
from pwa.budgets import services as budgets
from pwa.core import clock
from pwa.core.forms import FormErrors
from pwa.models import (
    AuditEntry,
    CentreFamily,
    LedgerEntry,
    OrgInvitation,
    OrgKind,
    OrgMembership,
    Redemption,
    Voucher,
)
from pwa.programme import services as programme
from pwa.settlement import services as settlement
from pwa.shops import services as shops
from pwa.vouchers import services as vouchers
from tests.factories import make_account, make_family, make_programme_staff

pytestmark = pytest.mark.usefixtures("app")
SECRET = "test-secret-key"


@contextmanager
def at(moment: datetime) -> Iterator[None]:
    """The app's clock and the database's automatic timestamps say `moment`."""
    with (
        mock.patch.object(clock, "now", lambda: moment),
        mock.patch.object(orm_time, "now", lambda: moment),
    ):
        yield


async def test_every_money_and_permission_action_appends_its_entry() -> None:
    staff = await make_programme_staff()
    last_month_day = vouchers.today().replace(day=1) - timedelta(days=20)
    last_month = datetime.combine(last_month_day, time(11), tzinfo=vouchers.CHINA).astimezone(UTC)

    with at(last_month):
        centre = await programme.create_organisation(
            OrgKind.CENTRE, {"name": "邯郸康复中心", "city": "邯郸", "address": ""}, staff
        )
        chain = await programme.create_organisation(OrgKind.CHAIN, {"name": "美食林"}, staff)
        admin, _password = await make_account("Mr Li")
        token = await programme.create_invitation(chain, staff, "Mr Li")
        invitation = await programme.find_invitation(token)
        assert invitation is not None
        await programme.accept_invitation(invitation, admin)
        await programme.create_invitation(centre, staff, "Dr Zhao")
        unused = await OrgInvitation.get(organisation=centre)
        assert await programme.revoke_invitation(centre, str(unused.id), staff)

        store = await programme.create_store(
            chain, {"name": "人民路店", "city": "邯郸", "address": "人民路 18 号"}, admin
        )
        store.quiet_hours, store.staff_know = "14:00–16:00", "We speak slowly."
        store.entrance_photo, store.till_photo = "entrance.jpg", "till.jpg"
        await store.save()
        await shops.confirm_checklist(store, admin, guide_read=True)
        await programme.approve(store, staff)
        entry = {"quiet_hours": store.quiet_hours, "staff_know": store.staff_know}
        await shops.save_directory_entry(store, entry, {}, by=admin)
        await shops.save_directory_entry(store, {**entry, "accepts_vouchers": "on"}, {}, by=admin)

        await budgets.grant(centre, amount="1000", take_back=False, note="2026", actor=staff)
        family = await make_family()
        await CentreFamily.create(centre=centre, family=family.family)
        single = await vouchers.issue_voucher(
            centre,
            voucher_id=uuid.uuid4(),
            family_id=str(family.family.id),
            amount="30",
            valid_from="",
            valid_until=(last_month_day + timedelta(days=3)).isoformat(),
            shop_ids=[],
            actor=staff,
        )
        await vouchers.import_csv(
            centre,
            f"family_code,amount,valid_until\n{family.family.code},20,2099-12-31\n".encode(),
            actor=staff,
        )
        await budgets.run_batch(centre, amount="50", month=f"{last_month_day:%Y-%m}", actor=staff)

        token_code = (await vouchers.pay_tokens(single))[0].code
        paid = await vouchers.redeem(
            store,
            key=str(uuid.uuid4()),
            presented=token_code,
            amount=1000,
            staff=admin,
            secret=SECRET,
        )
        assert paid.outcome == "paid"
        second_code = (await vouchers.pay_tokens(single))[0].code
        again = await vouchers.redeem(
            store,
            key=str(uuid.uuid4()),
            presented=second_code,
            amount=500,
            staff=admin,
            secret=SECRET,
        )
        assert again.outcome == "paid"
        await vouchers.reverse(await Redemption.get(outcome="paid", amount=500), admin)

    # The voucher ended days ago: its unspent balance goes back to the budget.
    returned = await budgets.expire_vouchers()
    assert returned.count >= 1
    assert (await Voucher.get(id=single.id)).balance == 0

    statement = await settlement.make_statement(
        chain,
        last_month_day.replace(day=1),
        vouchers.today().replace(day=1) - timedelta(days=1),
        staff,
    )
    assert statement.total == 1000
    await settlement.mark_paid(statement, "HB-2026-001", staff)

    await programme.suspend(store, staff)
    # A suspended store is not approved (again), and nothing is recorded for the refusal.
    waiting = await programme.create_store(
        chain, {"name": "新华路店", "city": "邯郸", "address": ""}, staff
    )
    waiting.quiet_hours, waiting.staff_know = store.quiet_hours, store.staff_know
    waiting.entrance_photo, waiting.till_photo = "e.jpg", "t.jpg"
    await waiting.save()
    await shops.confirm_checklist(waiting, staff, guide_read=True)
    await programme.suspend(waiting, staff)
    with pytest.raises(FormErrors):
        await programme.approve(waiting, staff)
    await programme.resume(store, staff)
    membership = await OrgMembership.get(organisation=chain, account=admin)
    assert await programme.remove_staff(chain, membership.id, staff)
    await programme.end(centre, staff)

    actions = Counter(await AuditEntry.all().values_list("action", flat=True))
    missing = {action.value for action in AuditAction} - set(actions)
    assert not missing, f"no audit entry for {sorted(missing)}"
    # One entry per payment and per reversal that the ledger holds.
    assert actions[AuditAction.PAYMENT] == await Redemption.filter(outcome="paid").count()
    assert actions[AuditAction.REVERSAL] == await LedgerEntry.filter(kind="reverse").count()
    # Every entry says who (or what) acted, and when.
    for entry in await AuditEntry.all():
        assert entry.actor and entry.at is not None, entry.action
    batch = await AuditEntry.get(action=AuditAction.BATCH_RUN)
    assert batch.actor == staff.name and batch.organisation_id == centre.id
