"""Issue 15, in part: pay codes die with the phone's link or the session that fetched them;
money on the API is a whole number of fen; a phone's clock cannot date a change in the future."""

from __future__ import annotations

import statistics
import time
import uuid
from datetime import timedelta
from typing import Any

from pwa.accounts import consent
from pwa.accounts import services as accounts
from pwa.auth import passwords
from pwa.core import clock
from pwa.models import Account, CentreFamily, DeviceLink, ItemMark, LedgerEntry, ListItem
from pwa.vouchers import services as vouchers
from tests.conftest import Client
from tests.factories import (
    PASSWORD,
    link_phone,
    make_centre_and_shop,
    make_family,
    make_list,
    make_voucher,
)


async def pay(till: Client, code: str, shop_id: int, amount: Any) -> Any:
    return await till.post(
        "/api/redeem",
        json={"code": code, "amount": amount, "shop_id": shop_id},
        headers={"X-CSRF-Token": await till.csrf(), "Idempotency-Key": str(uuid.uuid4())},
    )


async def codes_of(http: Client, voucher_id: Any) -> list[str]:
    response = await http.post(
        f"/api/vouchers/{voucher_id}/codes", headers={"X-CSRF-Token": await http.csrf()}
    )
    assert response.status_code == 200, response.text
    return [c["code"] for c in response.json()["codes"]]


async def test_pay_codes_a_phone_fetched_are_refused_after_it_is_unlinked(app, client: Client):
    family = await make_family()
    centre, shop, staff = await make_centre_and_shop()
    voucher = await make_voucher(family, centre, yuan=50)
    async with Client(app) as phone, Client(app) as till:
        await phone.link_phone(await link_phone(family))
        first, second, *_ = await codes_of(phone, voucher.id)
        await till.log_in(staff.email, PASSWORD)
        assert (await pay(till, first, shop.id, 1000)).json()["outcome"] == "paid"

        await client.log_in(family.email, PASSWORD)
        device = await DeviceLink.get(person=family.person)
        await client.submit(f"/people/{family.person.id}/phone/{device.id}/revoke")
        refused = await pay(till, second, shop.id, 1000)
        assert refused.status_code == 409 and refused.json()["outcome"] == "invalid"
    assert await LedgerEntry.filter(voucher=voucher, kind="redeem").count() == 1


async def test_an_adults_pay_codes_die_when_they_log_out(app) -> None:
    """An adult who plans for themselves fetched codes on a computer and logged out there."""
    centre, shop, staff = await make_centre_and_shop()
    adult = await accounts.sign_up_self(
        email="adult@example.test", password=PASSWORD, name="Lin", phone="", locale="en"
    )
    membership = await adult.memberships.all().prefetch_related("family").first()
    assert membership is not None
    await consent.record(adult, occasion="sign_up", family_id=membership.family.id)
    await CentreFamily.get_or_create(centre=centre, family=membership.family)
    voucher = await vouchers.issue_voucher(
        centre,
        voucher_id=uuid.uuid4(),
        family_id=str(membership.family.id),
        amount="50",
        valid_from="",
        valid_until=(vouchers.today() + timedelta(days=30)).isoformat(),
        shop_ids=[],
    )
    async with Client(app) as computer, Client(app) as till:
        await computer.log_in("adult@example.test", PASSWORD)
        code = (await codes_of(computer, voucher.id))[0]
        await computer.submit("/logout")
        await till.log_in(staff.email, PASSWORD)
        assert (await pay(till, code, shop.id, 500)).json()["outcome"] == "invalid"


async def test_money_on_the_api_is_a_whole_number_of_fen(app, client: Client) -> None:
    family = await make_family()
    centre, shop, staff = await make_centre_and_shop()
    voucher = await make_voucher(family, centre, yuan=50)
    async with Client(app) as phone:
        await phone.link_phone(await link_phone(family))
        code = (await codes_of(phone, voucher.id))[0]
    await client.log_in(staff.email, PASSWORD)
    for amount in (5.9, True, "30", 0, -1, 2**63, 10**40, None, [1], {"fen": 1}):
        answer = await pay(client, code, shop.id, amount)
        assert answer.status_code == 400, (amount, answer.text)
        assert "fen" in answer.json()["error"] or "request" in answer.json()["error"]
    # 1e400 in the JSON text is a float (inf) to the server: refused the same way.
    raw = await client.post(
        "/api/redeem",
        content=b'{"code": "%s", "amount": 1e400, "shop_id": %d}' % (code.encode(), shop.id),
        headers={
            "X-CSRF-Token": await client.csrf(),
            "Idempotency-Key": str(uuid.uuid4()),
            "Content-Type": "application/json",
        },
    )
    assert raw.status_code == 400
    assert not await LedgerEntry.filter(voucher=voucher, kind="redeem").exists()
    assert (await pay(client, code, shop.id, 1250)).json()["outcome"] == "paid"


async def test_a_tick_dated_in_the_future_does_not_outlive_start_again(app, client: Client):
    family = await make_family()
    shopping_list = await make_list(family, pictures={"1F34E": 1})
    apple = await ListItem.get(list=shopping_list)
    await client.link_phone(await link_phone(family))
    tick = {"id": str(uuid.uuid4()), "item_id": str(apple.id), "state": "ticked"}
    result = await client.push("item.mark", {**tick, "client_time": "9999-12-31T23:59:59Z"})
    assert result["status"] == "applied"
    mark = await ItemMark.get(id=tick["id"])
    assert mark.client_time <= clock.now()
    async with Client(app) as parent:
        await parent.log_in(family.email, PASSWORD)
        await parent.submit(
            f"/lists/{shopping_list.id}/start-again", {"reset_id": str(uuid.uuid4())}
        )
        page = await parent.get(f"/lists/{shopping_list.id}/shop")
    assert "0 of 1 in the basket." in page.text


async def test_log_in_answers_known_and_unknown_emails_alike(client: Client, monkeypatch) -> None:
    """The same words, and the same argon2 work (the time of a log-in is that work), for an
    email with an account and one without."""
    family = await make_family()
    checked: list[str] = []
    real = passwords.verify_password

    def verify(hash_: str, password: str) -> bool:
        checked.append(hash_)
        return real(hash_, password)

    monkeypatch.setattr(passwords, "verify_password", verify)
    known = await client.submit("/login", {"email": family.email, "password": "wrong-one"})
    unknown = await client.submit("/login", {"email": "nobody@example.test", "password": "x1"})
    assert known.status_code == unknown.status_code == 400
    assert "The email or the password is not right." in known.text
    assert "The email or the password is not right." in unknown.text
    assert len(checked) == 2, "one argon2 verification each"
    # And measured: taken in turns, so whatever else the machine does weighs on both alike.
    took: dict[str, list[float]] = {"known": [], "unknown": []}
    for n in range(4):
        for which, email in (("known", family.email), ("unknown", f"nobody{n}@example.test")):
            started = time.perf_counter()
            answer = await client.submit("/login", {"email": email, "password": "wrong-one"})
            took[which].append(time.perf_counter() - started)
            assert answer.status_code == 400
    known_time, unknown_time = (statistics.median(took[w]) for w in ("known", "unknown"))
    assert 0.5 < known_time / unknown_time < 2, took


HOSTILE_MONEY = (
    "1e400",
    "NaN",
    "Infinity",
    "1E1",
    "１０",
    "5" * 60,
    "-3",
    "true",
    "12.345",
    "0x10",
)


async def test_money_in_forms_is_refused_in_words_and_changes_nothing(app, client: Client):
    """The list's budget, an item's price and the till's amount all go through
    pwa/core/money.parse_fen: each of these is a translated 400 and nothing is written."""
    family = await make_family()
    shopping_list = await make_list(family, pictures={"1F34E": 1})
    apple = await ListItem.get(list=shopping_list)
    await client.log_in(family.email, PASSWORD)
    for typed in HOSTILE_MONEY:
        budget = await client.submit(
            f"/lists/{shopping_list.id}/edit", {"name": "Week", "budget": typed}
        )
        assert budget.status_code == 400, (typed, budget.status_code)
        assert "Write an amount in yuan, like 30 or 12.50." in budget.text
        price = await client.submit(
            f"/lists/{shopping_list.id}/items/{apple.id}", {"label": "Apple", "price": typed}
        )
        assert price.status_code == 400, (typed, price.status_code)
    assert (await ListItem.get(id=apple.id)).price is None
    centre, shop, staff = await make_centre_and_shop()
    voucher = await make_voucher(family, centre, yuan=50)
    code = (await vouchers.pay_tokens(voucher))[0].code
    async with Client(app) as till:
        await till.log_in(staff.email, PASSWORD)
        for typed in HOSTILE_MONEY:
            answer = await till.submit(
                "/shop/redeem",
                {"shop": str(shop.id), "code": code, "key": str(uuid.uuid4()), "amount": typed},
            )
            assert answer.status_code == 400, (typed, answer.status_code)
            assert "Write an amount in yuan" in answer.text
    assert not await LedgerEntry.filter(voucher=voucher, kind="redeem").exists()


async def test_a_sign_up_name_too_long_for_the_database_is_refused_in_words(client: Client):
    long = "名" * 20_000
    for kind, fields in (
        ("family", {"name": long, "person_name": "Ming"}),
        ("family", {"name": "Li", "person_name": long}),
        ("self", {"name": long}),
    ):
        answer = await client.submit(
            "/signup",
            {"kind": kind, "email": f"{kind}{len(fields)}@example.test", "password": PASSWORD}
            | fields,
        )
        assert answer.status_code == 400, (kind, answer.status_code)
        assert "A name can have at most" in answer.text
    assert not await Account.filter(email__endswith="@example.test").exists()
