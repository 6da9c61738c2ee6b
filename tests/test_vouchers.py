"""The voucher ledger and paying at the till: never twice, never below zero."""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta

import pytest
from tortoise.exceptions import IntegrityError, OperationalError

from pwa import i18n
from pwa.core import clock
from pwa.models import LedgerEntry, PayToken, Redemption, Voucher
from pwa.vouchers import services as vouchers
from tests.factories import link_phone, make_centre_and_shop, make_family, make_voucher

SECRET = "test-secret-key"

# The app is started for its database (tortoise), not for HTTP.
pytestmark = pytest.mark.usefixtures("app")


async def pay(shop, code: str, yuan: int, key: str | None = None) -> vouchers.Answer:
    return await vouchers.redeem(
        shop,
        key=key or str(uuid.uuid4()),
        presented=code,
        amount=yuan * 100,
        staff=None,
        secret=SECRET,
    )


async def test_a_payment_takes_money_once_and_the_ledger_agrees() -> None:
    family = await make_family()
    centre, shop, _staff = await make_centre_and_shop()
    voucher = await make_voucher(family, centre, yuan=50)
    first, second = (await vouchers.pay_tokens(voucher))[:2]
    answer = await pay(shop, vouchers.format_code(first.code).lower(), 30)
    assert (answer.outcome, answer.balance) == ("paid", 2000)
    again = await pay(shop, second.code, 30)
    assert again.outcome == "not_enough"
    assert (await Voucher.get(id=voucher.id)).balance == 2000
    used = await pay(shop, first.code, 10)
    assert used.outcome == "used"
    assert await vouchers.ledger_problems() == []
    assert await LedgerEntry.filter(voucher=voucher).count() == 2


async def test_the_same_key_gives_the_same_answer_and_one_entry() -> None:
    family = await make_family()
    centre, shop, _staff = await make_centre_and_shop()
    voucher = await make_voucher(family, centre, yuan=50)
    token = (await vouchers.pay_tokens(voucher))[0]
    key = str(uuid.uuid4())
    answers = [await pay(shop, token.code, 30, key) for _ in range(3)]
    assert {(a.outcome, a.balance) for a in answers} == {("paid", 2000)}
    assert await LedgerEntry.filter(voucher=voucher, kind="redeem").count() == 1
    with pytest.raises(vouchers.KeyReused):
        await pay(shop, token.code, 31, key)


async def test_fifty_payments_at_once_never_take_more_than_the_balance() -> None:
    family = await make_family()
    centre, shop, _staff = await make_centre_and_shop()
    voucher = await make_voucher(family, centre, yuan=100)
    # 50 codes, each asking for ¥7: ¥350 asked of a ¥100 voucher.
    tokens = []
    for _ in range(17):
        tokens += await vouchers.pay_tokens(voucher)
        await PayToken.filter(voucher=voucher).update(
            expires_at=clock.now() + timedelta(minutes=30)
        )
    codes = [t.code for t in await PayToken.filter(voucher=voucher)][:50]
    assert len(codes) == 50
    answers = await asyncio.gather(*(pay(shop, code, 7) for code in codes))
    paid = [a for a in answers if a.outcome == "paid"]
    assert len(paid) == 14 and sum(a.amount for a in paid) == 9800
    voucher = await Voucher.get(id=voucher.id)
    assert voucher.balance == 200 and voucher.balance >= 0
    assert await vouchers.ledger_problems() == []


async def test_the_database_refuses_a_negative_balance() -> None:
    family = await make_family()
    centre, _shop, _staff = await make_centre_and_shop()
    voucher = await make_voucher(family, centre, yuan=5)
    with pytest.raises((IntegrityError, OperationalError)):
        await Voucher.filter(id=voucher.id).update(balance=-1)
    assert (await Voucher.get(id=voucher.id)).balance == 500


async def test_edited_expired_and_foreign_codes_are_refused_without_an_entry() -> None:
    family = await make_family()
    centre, shop, _staff = await make_centre_and_shop()
    voucher = await make_voucher(family, centre, yuan=50)
    token = (await vouchers.pay_tokens(voucher))[0]
    qr = vouchers.signed(token, SECRET)
    assert (await pay(shop, qr[:-2] + ("AA" if not qr.endswith("AA") else "BB"), 5)).outcome == (
        "invalid"
    )
    assert (await pay(shop, "ZZZZ-ZZZZ", 5)).outcome == "invalid"
    await PayToken.filter(id=token.id).update(expires_at=clock.now() - timedelta(minutes=1))
    assert (await pay(shop, token.code, 5)).outcome == "invalid"
    other = (await vouchers.pay_tokens(voucher))[0]
    assert (await pay(shop, vouchers.signed(other, SECRET), 5)).outcome == "paid"
    assert await LedgerEntry.filter(voucher=voucher, kind="redeem").count() == 1
    assert await Redemption.filter(outcome="paid").count() == 1


async def test_an_expired_voucher_and_a_shop_not_on_its_list_are_refused() -> None:
    family = await make_family()
    centre, shop, _staff = await make_centre_and_shop()
    voucher = await make_voucher(family, centre, yuan=50)
    await Voucher.filter(id=voucher.id).update(valid_until=clock.now() - timedelta(days=1))
    token = (await vouchers.pay_tokens(voucher))[0]
    assert (await pay(shop, token.code, 5)).outcome == "expired"
    _c, other_shop, _s = await make_centre_and_shop()
    limited = await vouchers.issue_voucher(
        centre,
        voucher_id=uuid.uuid4(),
        family_id=str(family.family.id),
        amount="20",
        valid_from="",
        valid_until=(vouchers.today() + timedelta(days=5)).isoformat(),
        shop_ids=[str(other_shop.id)],
    )
    code = (await vouchers.pay_tokens(limited))[0].code
    assert (await pay(shop, code, 5)).outcome == "not_accepted"
    assert (await pay(other_shop, code, 5)).outcome == "paid"


async def test_a_reversal_gives_the_money_back_once_as_a_new_entry() -> None:
    family = await make_family()
    centre, shop, staff = await make_centre_and_shop()
    voucher = await make_voucher(family, centre, yuan=50)
    token = (await vouchers.pay_tokens(voucher))[0]
    await pay(shop, token.code, 30)
    redemption = await Redemption.get(outcome="paid")
    await vouchers.reverse(redemption, staff)
    with pytest.raises(vouchers.FormErrors):
        await vouchers.reverse(await Redemption.get(id=redemption.id), staff)
    assert (await Voucher.get(id=voucher.id)).balance == 5000
    kinds = await LedgerEntry.filter(voucher=voucher).order_by("id").values_list("kind", flat=True)
    assert kinds == ["issue", "redeem", "reverse"]
    assert await vouchers.ledger_problems() == []


async def test_the_ledger_check_finds_a_balance_changed_behind_its_back() -> None:
    family = await make_family()
    centre, _shop, _staff = await make_centre_and_shop()
    voucher = await make_voucher(family, centre, yuan=50)
    assert await vouchers.ledger_problems() == []
    await Voucher.filter(id=voucher.id).update(balance=4000)
    assert await vouchers.ledger_problems() == [f"voucher {voucher.id}: balance 4000, ledger 5000"]


async def test_concurrent_payments_each_report_the_balance_they_left() -> None:
    """What the till shows after a payment is the balance that payment left, also when other
    tills pay from the same voucher at that moment (PostgreSQL runs them side by side)."""
    family = await make_family()
    centre, shop, _staff = await make_centre_and_shop()
    voucher = await make_voucher(family, centre, yuan=100)
    for _ in range(4):
        await vouchers.pay_tokens(voucher)
        # Older codes the phone no longer keeps, but still good to pay with.
        await PayToken.filter(voucher=voucher).update(
            expires_at=clock.now() + timedelta(minutes=30)
        )
    codes = [t.code for t in await PayToken.filter(voucher=voucher)][:10]
    assert len(codes) == 10
    answers = await asyncio.gather(*(pay(shop, code, 7) for code in codes))
    assert sorted(a.balance for a in answers) == [10000 - 700 * n for n in range(10, 0, -1)]
    assert (await Voucher.get(id=voucher.id)).balance == 3000


async def test_one_code_shown_at_two_tills_at_once_pays_once() -> None:
    family = await make_family()
    centre, shop, _staff = await make_centre_and_shop()
    voucher = await make_voucher(family, centre, yuan=100)
    code = (await vouchers.pay_tokens(voucher))[0].code
    answers = await asyncio.gather(*(pay(shop, code, 5) for _ in range(6)))
    assert sorted(a.outcome for a in answers) == ["paid"] + ["used"] * 5
    assert (await Voucher.get(id=voucher.id)).balance == 9500
    assert await LedgerEntry.filter(voucher=voucher, kind="redeem").count() == 1


async def test_one_payment_sent_twice_at_once_gets_one_answer() -> None:
    """A till that sends the same payment again before the first answer came (the same
    Idempotency-Key) gets the same answer, and the money is taken once."""
    family = await make_family()
    centre, shop, _staff = await make_centre_and_shop()
    voucher = await make_voucher(family, centre, yuan=100)
    code = (await vouchers.pay_tokens(voucher))[0].code
    key = str(uuid.uuid4())
    answers = await asyncio.gather(*(pay(shop, code, 5, key) for _ in range(6)))
    assert {(a.outcome, a.balance) for a in answers} == {("paid", 9500)}
    assert await Redemption.filter(idempotency_key=key).count() == 1
    assert (await Voucher.get(id=voucher.id)).balance == 9500


async def test_next_months_voucher_is_refused_in_its_own_words_and_kept_off_the_pay_screen(
    client,
) -> None:
    """A batch for next month gives vouchers that start later (issue 17): the till says "not
    yet" (not "expired"), and the person's pay screen does not offer one."""
    family = await make_family()
    centre, shop, _staff = await make_centre_and_shop()
    voucher = await make_voucher(family, centre, yuan=50)
    await Voucher.filter(id=voucher.id).update(valid_from=clock.now() + timedelta(days=2))
    token = (await vouchers.pay_tokens(voucher))[0]
    answer = await pay(shop, token.code, 5)
    assert answer.outcome == "not_yet"
    with i18n.use_locale("en"):
        assert answer.words == "This voucher cannot be used yet. Nothing was paid."
    assert (await Voucher.get(id=voucher.id)).balance == 5000

    await client.link_phone(await link_phone(family))
    page = await client.get("/me/pay")
    assert page.status_code == 200
    assert 'id="pay-code"' not in page.text
    assert (await client.get(f"/me/pay/{voucher.id}")).status_code == 404
    # From its first day on, it is there to pay with.
    await Voucher.filter(id=voucher.id).update(valid_from=clock.now() - timedelta(minutes=1))
    assert 'id="pay-code"' in (await client.get("/me/pay")).text


async def test_a_voucher_names_only_shops_that_take_vouchers_and_ids_stay_per_centre() -> None:
    """Issue 17 review: a store waiting for approval (or suspended) is not a shop a voucher may
    be limited to, and a form sent again with another centre's voucher id learns nothing."""
    from pwa.core.forms import FormErrors
    from pwa.models import Organisation

    family = await make_family()
    centre, shop, _staff = await make_centre_and_shop()
    await Organisation.filter(id=shop.id).update(approved_at=None)
    with pytest.raises(FormErrors) as refused:
        await vouchers.issue_voucher(
            centre,
            voucher_id=uuid.uuid4(),
            family_id=str((await make_voucher(family, centre)).family_id),
            amount="20",
            valid_from="",
            valid_until=(vouchers.today() + timedelta(days=5)).isoformat(),
            shop_ids=[str(shop.id)],
        )
    assert "shops" in refused.value.errors
    theirs = await make_voucher(family, centre)
    other_centre, _shop, _s = await make_centre_and_shop()
    from pwa.models import CentreFamily

    await CentreFamily.create(centre=other_centre, family=family.family)
    with pytest.raises(FormErrors):
        await vouchers.issue_voucher(
            other_centre,
            voucher_id=theirs.id,
            family_id=str(family.family.id),
            amount="20",
            valid_from="",
            valid_until=(vouchers.today() + timedelta(days=5)).isoformat(),
            shop_ids=[],
        )
