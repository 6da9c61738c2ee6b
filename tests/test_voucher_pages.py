"""Vouchers through the pages: the centre gives them, the till takes them, the family sees it."""

from __future__ import annotations

import csv
import io
import re
import uuid

from pwa.core import clock
from pwa.models import CentreFamily, LedgerEntry, Organisation, OrgMembership, Voucher
from tests.conftest import Client
from tests.factories import (
    PASSWORD,
    link_phone,
    make_caregiver,
    make_centre_and_shop,
    make_family,
    make_voucher,
)
from tests.html import find_form
from tests.test_centre_consent import ask_and_accept


async def centre_client(client: Client, centre: Organisation) -> None:
    member = await OrgMembership.get(organisation=centre).prefetch_related("account")
    await client.log_in(member.account.email, PASSWORD)


async def test_centre_imports_a_csv_of_three_families_with_two_vouchers_each(
    app, client: Client
) -> None:
    centre, _shop, _staff = await make_centre_and_shop()
    families = [await make_family() for _ in range(3)]
    await centre_client(client, centre)
    for family in families:
        # The centre asks by the family's code and each family's parent accepts (issue 15).
        async with Client(app) as parent:
            await ask_and_accept(client, parent, family, centre)
    rows = "".join(
        f"{f.family.code},{amount},2027-06-30\n" for f in families for amount in (50, 30)
    )
    good = ("family_code,amount,valid_until\n" + rows).encode()
    bad = ("family_code,amount,valid_until\n" + rows + "NOPE1234,20,2027-06-30\n").encode()

    refused = await upload(client, bad)
    assert refused.status_code == 400
    assert "Nothing was imported." in refused.text
    assert "Row 8: The family code NOPE1234 is not registered with this centre." in refused.text
    assert await Voucher.all().count() == 0

    imported = await upload(client, good)
    assert imported.status_code == 303
    assert await Voucher.all().count() == 6
    assert await LedgerEntry.filter(kind="issue").count() == 6
    again = await upload(client, good)
    assert "This file was imported before. Nothing was imported." in again.text
    assert await Voucher.all().count() == 6

    report = await client.get("/centre/reports")
    assert "CN¥240.00" in report.text
    export = await client.get("/centre/reports.csv")
    assert export.headers["content-type"].startswith("text/csv")
    assert "city,Hangzhou,,240.00,0.00,240.00," in export.text


FORMULA_STARTS = ["=", "+", "-", "@", "\t", "\r"]


async def test_the_report_csv_neutralises_names_that_start_like_a_formula(client: Client) -> None:
    """Cities and shop names are typed by people: one that starts with = + - @, a tab or a
    carriage return gets an apostrophe; the amounts (a negative one too) and counts do not."""
    family = await make_family()
    centre, shop, _staff = await make_centre_and_shop()
    _other_centre, other_shop, _other_staff = await make_centre_and_shop()
    voucher = await make_voucher(family, centre, yuan=50)
    # 12.50 paid at the shop; a reversal of 12.50 recorded against the other shop.
    await LedgerEntry.create(voucher=voucher, kind="redeem", amount=-1250, shop=shop)
    await LedgerEntry.create(voucher=voucher, kind="reverse", amount=1250, shop=other_shop)
    await centre_client(client, centre)
    for start in FORMULA_STARTS:
        centre.city = f"{start}cmd|' /C calc'!A0"
        await centre.save()
        shop.name = f'{start}HYPERLINK("http://evil.test","Shop")'
        shop.city = f"{start}1+1"
        await shop.save()
        export = await client.get("/centre/reports.csv")
        assert export.status_code == 200
        rows = list(csv.reader(io.StringIO(export.text.lstrip("\ufeff"))))
        assert rows[1] == ["city", f"'{start}cmd|' /C calc'!A0", "", "50.00", "0.00", "50.00", ""]
        paid = [r for r in rows if r[0] == "shop" and r[2] == f"'{shop.name}"]
        assert paid == [["shop", f"'{start}1+1", f"'{shop.name}", "", "12.50", "", "1"]]
        reversed_ = [r for r in rows if r[0] == "shop" and r[2] == other_shop.name]
        assert reversed_ == [["shop", "Hangzhou", other_shop.name, "", "-12.50", "", "-1"]]


async def upload(client: Client, data: bytes):
    token = await client.csrf()
    return await client.post(
        "/centre/import",
        data={"csrf_token": token},
        files={"file": ("vouchers.csv", data, "text/csv")},
    )


async def test_a_bad_amount_or_date_names_the_row(client: Client) -> None:
    centre, _shop, _staff = await make_centre_and_shop()
    family = await make_family()
    await CentreFamily.create(centre=centre, family=family.family)
    await centre_client(client, centre)
    response = await upload(
        client,
        f"family_code,amount,valid_until\n{family.family.code},-5,2027-01-01\n"
        f"{family.family.code},5,31/12/2027\n".encode(),
    )
    assert "Row 2: Write an amount in yuan, like 30 or 12.50." in response.text
    assert "Row 3: Write a date like 2026-12-31." in response.text
    assert await Voucher.all().count() == 0


async def test_the_till_takes_30_of_50_and_refuses_another_30(
    client: Client, other_client: Client
) -> None:
    family = await make_family()
    centre, shop, staff = await make_centre_and_shop()
    voucher = await make_voucher(family, centre, yuan=50)
    # The person's phone fetches its pay codes.
    await other_client.link_phone(await link_phone(family))
    codes = await other_client.post(
        f"/api/vouchers/{voucher.id}/codes", headers={"X-CSRF-Token": await other_client.csrf()}
    )
    first, second = codes.json()["codes"][:2]
    assert first["qr"].startswith("data:image/svg+xml")
    assert re.fullmatch(r"[A-Z2-9]{4}-[A-Z2-9]{4}", first["code"])

    await client.log_in(staff.email, PASSWORD)
    looked_up = await client.get("/shop/redeem", params={"code": first["code"]})
    assert "Voucher: CN¥50.00. Left on it: CN¥50.00." in looked_up.text
    assert family.person.display_name not in looked_up.text
    confirm = find_form(looked_up.text, "/shop/redeem")
    paid = await client.post(confirm.action, data={**confirm.fields, "amount": "30"})
    assert "Paid. The voucher has CN¥20.00 left." in paid.text
    # The same confirmation sent again (a double tap) pays nothing more.
    again = await client.post(confirm.action, data={**confirm.fields, "amount": "30"})
    assert "Paid. The voucher has CN¥20.00 left." in again.text

    looked_up = await client.get("/shop/redeem", params={"code": second["code"]})
    confirm = find_form(looked_up.text, "/shop/redeem")
    refused = await client.post(confirm.action, data={**confirm.fields, "amount": "30"})
    assert "Not enough balance. Nothing was paid." in refused.text
    assert (await Voucher.get(id=voucher.id)).balance == 2000

    async with Client(client._transport.app) as parent:  # type: ignore[attr-defined]
        await parent.log_in(family.email, family.password)
        wallet = await parent.get(f"/families/{family.family.id}/wallet")
        assert "CN¥20.00 left of CN¥50.00" in wallet.text
        assert shop.name in wallet.text and "CN¥30.00" in wallet.text


async def test_the_api_answers_the_same_key_once(client: Client) -> None:
    family = await make_family()
    centre, shop, staff = await make_centre_and_shop()
    voucher = await make_voucher(family, centre, yuan=50)
    from pwa.vouchers import services as vouchers

    token = (await vouchers.pay_tokens(voucher))[0]
    await client.log_in(staff.email, PASSWORD)
    csrf = await client.csrf()
    key = str(uuid.uuid4())
    body = {"code": token.code, "amount": 3000, "shop_id": shop.id}
    answers = [
        await client.post(
            "/api/redeem", json=body, headers={"X-CSRF-Token": csrf, "Idempotency-Key": key}
        )
        for _ in range(3)
    ]
    assert {a.status_code for a in answers} == {200}
    assert len({a.text for a in answers}) == 1
    assert answers[0].json()["balance"] == 2000
    assert await LedgerEntry.filter(voucher=voucher, kind="redeem").count() == 1
    changed = await client.post(
        "/api/redeem",
        json={**body, "amount": 1000},
        headers={"X-CSRF-Token": csrf, "Idempotency-Key": key},
    )
    assert changed.status_code == 422
    assert await LedgerEntry.filter(voucher=voucher, kind="redeem").count() == 1


async def test_shop_admin_reverses_a_payment_of_today(client: Client) -> None:
    family = await make_family()
    centre, shop, staff = await make_centre_and_shop()
    voucher = await make_voucher(family, centre, yuan=50)
    from pwa.vouchers import services as vouchers

    token = (await vouchers.pay_tokens(voucher))[0]
    await vouchers.redeem(
        shop, key="k" * 10, presented=token.code, amount=1000, staff=staff, secret="x"
    )
    # The store's account from the command line is its admin: another of its staff is not.
    await OrgMembership.filter(account=staff).update(admin=False)
    await client.log_in(staff.email, PASSWORD)
    page = await client.get("/shop/payments")
    assert "Reverse this payment" not in page.text  # not an admin
    await OrgMembership.filter(account=staff).update(admin=True)
    page = await client.get("/shop/payments")
    form = next(f for f in re.findall(r'action="(/shop/payments/\d+/reverse)"', page.text))
    await client.submit(form)
    assert (await Voucher.get(id=voucher.id)).balance == 5000
    assert "reversed" in (await client.get("/shop/payments")).text


async def test_directory_and_a_shop_edits_only_its_own_page(client: Client) -> None:
    _centre, shop, staff = await make_centre_and_shop()
    _centre2, other_shop, _staff2 = await make_centre_and_shop()
    await client.log_in(staff.email, PASSWORD)
    token = await client.csrf()
    response = await client.post(
        f"/shop/{shop.id}/edit",
        data={
            "csrf_token": token,
            "opening_hours": "8:00–20:00",
            "quiet_hours": "14:00–16:00",
            "staff_know": "We speak slowly.",
            "address": "1 Road",
            "accepts_vouchers": "on",
        },
        files={"entrance": ("", b"", "application/octet-stream")},
    )
    assert response.status_code == 303
    assert (await client.get(f"/shop/{other_shop.id}/edit")).status_code == 404
    family = await make_family()
    async with Client(client._transport.app) as parent:  # type: ignore[attr-defined]
        await parent.log_in(family.email, family.password)
        directory = await parent.get("/shops")
        assert shop.name in directory.text
        page = await parent.get(f"/shops/{shop.id}")
        assert "We speak slowly." in page.text and "14:00–16:00" in page.text
        assert (await parent.get("/shop/guide")).status_code == 200


async def test_money_pages_are_closed_to_caregivers_phones_and_other_families(
    client: Client, other_client: Client
) -> None:
    family = await make_family()
    centre, _shop, _staff = await make_centre_and_shop()
    voucher = await make_voucher(family, centre)
    _caregiver, email = await make_caregiver(family)
    await other_client.log_in(email, family.password)
    assert (await other_client.get(f"/families/{family.family.id}/wallet")).status_code == 403
    assert (await other_client.get("/me/pay")).status_code == 404
    response = await other_client.post(
        f"/api/vouchers/{voucher.id}/codes", headers={"X-CSRF-Token": await other_client.csrf()}
    )
    # A family member without the right is refused (403); pay codes are the person's.
    assert response.status_code == 403
    assert (await other_client.get("/shop/redeem")).status_code == 403
    assert (await other_client.get("/centre/import")).status_code == 403
    stranger = await make_family()
    await client.log_in(stranger.email, stranger.password)
    assert (await client.get(f"/families/{family.family.id}/wallet")).status_code == 404


async def test_the_family_is_told_a_week_before_a_voucher_ends(client: Client) -> None:
    family = await make_family()
    centre, _shop, _staff = await make_centre_and_shop()
    await make_voucher(family, centre, yuan=50, days=30)
    await client.log_in(family.email, family.password)
    assert "A voucher ends soon." not in (await client.get("/home")).text
    await make_voucher(family, centre, yuan=20, days=5)
    assert "A voucher ends soon." in (await client.get("/home")).text
    assert "A voucher ends soon." in (await client.get(f"/families/{family.family.id}/wallet")).text


async def test_the_shopping_view_shows_the_total_against_the_vouchers(client: Client) -> None:
    from tests.factories import make_list

    family = await make_family()
    centre, _shop, _staff = await make_centre_and_shop()
    await make_voucher(family, centre, yuan=5)
    shopping_list = await make_list(family, pictures={"1F95B": 2})
    from pwa.models import ListItem

    await ListItem.filter(list=shopping_list).update(price=350)
    await client.log_in(family.email, family.password)
    page = await client.get(f"/lists/{shopping_list.id}/shop")
    assert "Estimated total: CN¥7.00." in page.text
    assert (
        "Your friendly vouchers have CN¥5.00. The estimated total is more than that." in page.text
    )


async def test_fifty_concurrent_requests_to_the_till_never_overspend(client: Client) -> None:
    import asyncio

    from pwa.models import PayToken
    from pwa.vouchers import services as vouchers

    family = await make_family()
    centre, shop, staff = await make_centre_and_shop()
    voucher = await make_voucher(family, centre, yuan=100)
    # The phone keeps 3 codes at a time; using them up makes it fetch new ones.
    while await PayToken.filter(voucher=voucher).count() < 50:
        await PayToken.filter(voucher=voucher).update(used_at=clock.now())
        await vouchers.pay_tokens(voucher)
    await PayToken.filter(voucher=voucher).update(used_at=None)
    codes = await PayToken.filter(voucher=voucher).limit(50).values_list("code", flat=True)
    await client.log_in(staff.email, PASSWORD)
    csrf = await client.csrf()
    answers = await asyncio.gather(
        *(
            client.post(
                "/api/redeem",
                json={"code": code, "amount": 700, "shop_id": shop.id},
                headers={"X-CSRF-Token": csrf, "Idempotency-Key": str(uuid.uuid4())},
            )
            for code in codes
        )
    )
    paid = [a.json()["amount"] for a in answers if a.json()["outcome"] == "paid"]
    assert sum(paid) <= 10000 and len(paid) == 14
    balance = (await Voucher.get(id=voucher.id)).balance
    assert balance == 10000 - sum(paid) >= 0
    assert await vouchers.ledger_problems() == []
