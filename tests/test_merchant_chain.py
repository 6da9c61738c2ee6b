"""Merchants with stores (issue 17): a merchant's admin adds its stores in several cities and
invites each store's staff by a one-time link; a store's staff take payments at their own store
only; the merchant sees all its stores and their payments, and nothing of another merchant's."""

from __future__ import annotations

import re
import uuid
from typing import Any

from starlette.applications import Starlette

from pwa.accounts import services as accounts
from pwa.audit.services import AuditAction
from pwa.core import clock
from pwa.models import Account, AuditEntry, Organisation, OrgKind, OrgMembership, Voucher
from tests.conftest import Client
from tests.factories import (
    PASSWORD,
    link_phone,
    make_centre_and_shop,
    make_family,
    make_voucher,
)

LINK_RE = re.compile(r"http://127\.0\.0\.1(/staff-invitation/[A-Za-z0-9_-]+)")
_n = iter(range(1, 10_000))


async def make_chain_admin(name: str = "Hualian") -> tuple[Organisation, Account]:
    admin = await accounts.create_staff(
        kind=OrgKind.CHAIN,
        org_name=name,
        city="",
        address="",
        email=f"chain{next(_n)}@example.test",
        password=PASSWORD,
        name=f"Admin of {name}",
    )
    return await Organisation.get(name=name, kind=OrgKind.CHAIN), admin


async def add_store(
    admin_client: Client, chain: Organisation, name: str, city: str
) -> Organisation:
    made = await admin_client.submit(
        "/merchant", {"chain": str(chain.id), "name": name, "city": city, "address": "8 Road"}
    )
    assert made.status_code == 303, made.text
    store = await Organisation.get(name=name)
    assert made.headers["location"] == f"/merchant/stores/{store.id}"
    assert store.kind == OrgKind.MERCHANT and store.chain_id == chain.id
    return store


async def invite_store_staff(
    app: Starlette, admin_client: Client, store: Organisation, name: str
) -> tuple[Client, Account]:
    """A new browser whose new account joined the store's staff by the link (open: close it)."""
    answer = await admin_client.submit(f"/merchant/stores/{store.id}/invite", {"label": name})
    assert answer.status_code == 200, answer.text
    found = LINK_RE.search(answer.text)
    assert found
    browser = Client(app)
    await browser.__aenter__()
    email = f"{name.lower().replace(' ', '')}{next(_n)}@example.test"
    joined = await browser.submit(
        found.group(1), {"name": name, "email": email, "password": PASSWORD}
    )
    assert joined.status_code == 303 and joined.headers["location"] == "/shop", joined.text
    return browser, await Account.get(email=email)


def friendly(store: Organisation) -> Any:
    """Make a store a friendly shop straight away (for tests about something else)."""
    now = clock.now()
    return Organisation.filter(id=store.id).update(
        guide_read_at=now, checklist_confirmed_at=now, approved_at=now
    )


async def pay_code(app: Starlette, voucher: Voucher, family: Any) -> str:
    """A pay code fetched by the person's phone."""
    async with Client(app) as phone:
        await phone.link_phone(await link_phone(family))
        codes = await phone.post(
            f"/api/vouchers/{voucher.id}/codes", headers={"X-CSRF-Token": await phone.csrf()}
        )
        return str(codes.json()["codes"][0]["code"])


async def redeem(browser: Client, shop_id: int, code: str, fen: int = 1000) -> Any:
    return await browser.post(
        "/api/redeem",
        json={"code": code, "amount": fen, "shop_id": shop_id},
        headers={"X-CSRF-Token": await browser.csrf(), "Idempotency-Key": str(uuid.uuid4())},
    )


async def test_a_merchant_adds_stores_and_their_staff_work_at_their_own_only(
    app: Starlette, client: Client, other_client: Client
) -> None:
    chain, admin = await make_chain_admin("Hualian")
    other_chain, other_admin = await make_chain_admin("Beiguo")
    await client.log_in(str(admin.email), PASSWORD)
    await other_client.log_in(str(other_admin.email), PASSWORD)
    assert (await client.get("/")).headers["location"] == "/merchant"

    no_city = await client.submit("/merchant", {"chain": str(chain.id), "name": "Nowhere"})
    assert no_city.status_code == 400 and "Choose or write the city." in no_city.text
    assert not await Organisation.exists(name="Nowhere")
    first = await add_store(client, chain, "Hualian Xinhua Road", "石家庄")
    second = await add_store(client, chain, "Hualian Tangshan", "唐山")
    theirs = await add_store(other_client, other_chain, "Beiguo Baoding", "保定")
    made = await AuditEntry.filter(action=AuditAction.STORE_CREATE.value).order_by("id")
    assert [e.organisation_id for e in made] == [first.id, second.id, theirs.id]
    assert made[0].actor_id == admin.id

    page = await client.get("/merchant")
    assert "Hualian Xinhua Road" in page.text and "Hualian Tangshan" in page.text
    assert "Beiguo Baoding" not in page.text
    assert "Needs the checklist" in page.text
    # A store of another merchant is not found, nor may one add stores to it.
    assert (await client.get(f"/merchant/stores/{theirs.id}")).status_code == 404
    assert (
        await client.submit(f"/merchant/stores/{theirs.id}/invite", {"label": "X"})
    ).status_code == 404
    sneaky = await client.submit(
        "/merchant", {"chain": str(other_chain.id), "name": "Sneaky", "city": "保定"}
    )
    assert sneaky.status_code == 404 and not await Organisation.exists(name="Sneaky")

    till, cashier = await invite_store_staff(app, client, first, "Cashier Wu")
    try:
        membership = await OrgMembership.get(account=cashier)
        assert membership.organisation_id == first.id and not membership.admin
        start = await till.get("/shop")
        assert "Hualian Xinhua Road" in start.text and "Hualian Tangshan" not in start.text
        for other_store in (second, theirs):
            assert (await till.get(f"/shop/{other_store.id}/edit")).status_code == 404
            assert (await till.get(f"/shop/{other_store.id}/checklist")).status_code == 404
        # No merchant pages for a store's staff.
        assert (await till.get("/merchant")).status_code == 403

        # Payments: at their own store only; the merchant sees all its stores'.
        await friendly(first)
        await friendly(second)
        await friendly(theirs)
        centre, _shop, _staff = await make_centre_and_shop()
        family = await make_family()
        voucher = await make_voucher(family, centre, yuan=50)
        code = await pay_code(app, voucher, family)
        assert (await redeem(till, theirs.id, code)).status_code == 404
        assert (await redeem(till, second.id, code)).status_code == 404
        paid = await redeem(till, first.id, code)
        assert paid.status_code == 200 and paid.json()["outcome"] == "paid"
        payments = await client.get("/merchant/payments")
        assert "Hualian Xinhua Road" in payments.text and "CN¥10.00" in payments.text
        assert "Reverse this payment" not in payments.text
        assert "Hualian Xinhua Road" not in (await other_client.get("/merchant/payments")).text

        # The merchant's admin removes the cashier: at once, no more till.
        store_page = await client.get(f"/merchant/stores/{first.id}")
        assert "Cashier Wu" in store_page.text
        removed = await client.submit(f"/merchant/stores/{first.id}/staff/{membership.id}/remove")
        assert removed.status_code == 303
        assert (await till.get("/shop")).status_code == 403
        [entry] = await AuditEntry.filter(action=AuditAction.STAFF_REMOVE.value)
        assert entry.actor_id == admin.id and entry.organisation_id == first.id
    finally:
        await till.__aexit__(None, None, None)


async def test_a_merchants_invitations_can_be_cancelled(app: Starlette, client: Client) -> None:
    chain, admin = await make_chain_admin("Lianhua")
    await client.log_in(str(admin.email), PASSWORD)
    store = await add_store(client, chain, "Lianhua Langfang", "廊坊")
    answer = await client.submit(f"/merchant/stores/{store.id}/invite", {"label": "Ms Qian"})
    found = LINK_RE.search(answer.text)
    assert found
    assert "For Ms Qian, works until" in (await client.get(f"/merchant/stores/{store.id}")).text
    [entry] = await AuditEntry.filter(action=AuditAction.INVITATION_MAKE.value)
    assert entry.organisation_id == store.id and entry.after and entry.after["admin"] is False
    invitation_id = entry.object_id
    cancelled = await client.submit(
        f"/merchant/stores/{store.id}/invitations/{invitation_id}/revoke"
    )
    assert cancelled.status_code == 303
    assert await AuditEntry.exists(action=AuditAction.INVITATION_REVOKE.value, actor_id=admin.id)
    async with Client(app) as browser:
        assert (await browser.get(found.group(1))).status_code == 404
        # A merchant that has ended: its stores' links stop working too.
        answer = await client.submit(f"/merchant/stores/{store.id}/invite", {"label": "Mr Sun"})
        later = LINK_RE.search(answer.text)
        assert later
        assert (await browser.get(later.group(1))).status_code == 200
        await Organisation.filter(id=chain.id).update(ended_at=clock.now())
        assert (await browser.get(later.group(1))).status_code == 404


async def test_a_suspended_merchant_loses_its_desk_and_its_stores(
    app: Starlette, client: Client
) -> None:
    chain, admin = await make_chain_admin("Xinbailong")
    await client.log_in(str(admin.email), PASSWORD)
    store = await add_store(client, chain, "Xinbailong Hengshui", "衡水")
    till, _cashier = await invite_store_staff(app, client, store, "Cashier Ma")
    try:
        await Organisation.filter(id=chain.id).update(suspended_at=clock.now())
        said = "Your organisation (Xinbailong) is suspended. Ask the programme what to do."
        for browser, path in (
            (client, "/merchant"),
            (client, f"/merchant/stores/{store.id}"),
            (till, "/shop"),
            (till, "/shop/redeem"),
        ):
            refused = await browser.get(path)
            assert refused.status_code == 403, path
            assert said in refused.text, path
        # The start page says so too, rather than a family home with no family.
        for browser in (client, till):
            start = await browser.get("/")
            assert start.headers["location"] == "/organisation-stopped"
            page = await browser.get("/organisation-stopped")
            assert page.status_code == 200 and said in page.text
            assert "Family home" not in page.text
        await Organisation.filter(id=chain.id).update(suspended_at=None)
        assert (await client.get("/")).headers["location"] == "/merchant"
        assert (await client.get("/organisation-stopped")).headers["location"] == "/"
        assert (await client.get("/merchant")).status_code == 200
        assert (await till.get("/shop")).status_code == 200
    finally:
        await till.__aexit__(None, None, None)


async def test_a_merchant_does_not_add_the_same_store_twice(client: Client) -> None:
    chain, admin = await make_chain_admin("Wumart")
    await client.log_in(str(admin.email), PASSWORD)
    await add_store(client, chain, "Xinhua Road", "邯郸")
    again = await client.submit(
        "/merchant",
        {"chain": str(chain.id), "name": " xinhua ROAD ", "city": "邯郸", "address": "9 Road"},
    )
    assert again.status_code == 400
    assert "Your merchant has a store called Xinhua Road in 邯郸 already." in again.text
    assert await Organisation.filter(chain_id=chain.id).count() == 1
    # The same name in another city is another store.
    made = await client.submit(
        "/merchant",
        {"chain": str(chain.id), "name": "Xinhua Road", "city": "保定", "address": "9 Road"},
    )
    assert made.status_code == 303
    assert await Organisation.filter(chain_id=chain.id).count() == 2
