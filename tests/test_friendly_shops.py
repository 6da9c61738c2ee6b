"""Friendly-shop status (issue 17): a store's staff read the staff guide, fill in its page and
confirm the checklist; programme staff approve it; then it is in the directory with its date
and takes vouchers. Suspended, it stops at once and leaves the directory; resumed, it is back;
ended, its staff lose access. Each step is in the audit log."""

from __future__ import annotations

from starlette.applications import Starlette

from pwa.audit.services import AuditAction
from pwa.core import clock
from pwa.models import AuditEntry, Organisation
from tests.conftest import Client
from tests.factories import (
    PASSWORD,
    jpeg_bytes,
    make_centre_and_shop,
    make_family,
    make_programme_staff,
    make_voucher,
)
from tests.test_merchant_chain import (
    add_store,
    invite_store_staff,
    make_chain_admin,
    pay_code,
    redeem,
)


async def test_checklist_approval_directory_suspension(
    app: Starlette, client: Client, other_client: Client
) -> None:
    chain, admin = await make_chain_admin("Hualian")
    await client.log_in(str(admin.email), PASSWORD)
    store = await add_store(client, chain, "Hualian Xinhua Road", "石家庄")
    till, cashier = await invite_store_staff(app, client, store, "Cashier Wu")
    family = await make_family()
    await other_client.log_in(family.email, PASSWORD)
    try:
        start = await till.get("/shop")
        assert "Needs the checklist" in start.text
        assert f'href="/shop/{store.id}/checklist"' in start.text

        # What is missing is said in words; nothing is confirmed.
        checklist = await till.get(f"/shop/{store.id}/checklist")
        for missing in (
            "Write your quiet hours.",
            "Write what your staff know to do.",
            "Add a photo of the entrance.",
            "Add a photo of the till.",
        ):
            assert missing in checklist.text
        assert 'href="/shop/guide"' in checklist.text
        early = await till.submit(f"/shop/{store.id}/checklist", {"guide_read": "on"})
        assert early.status_code == 400 and "Write your quiet hours." in early.text
        assert (await Organisation.get(id=store.id)).checklist_confirmed_at is None

        # The store's page: words and the two photos.
        saved = await till.post(
            f"/shop/{store.id}/edit",
            data={
                "csrf_token": await till.csrf(),
                "address": "8 Xinhua Road",
                "quiet_hours": "Weekdays 14:00-16:00",
                "staff_know": "We speak slowly and show the way.",
                "accepts_vouchers": "on",
            },
            files={
                "entrance": ("entrance.jpg", jpeg_bytes(), "image/jpeg"),
                "till": ("till.jpg", jpeg_bytes(), "image/jpeg"),
            },
        )
        assert saved.status_code == 303
        assert saved.headers["location"] == f"/shop/{store.id}/checklist"
        unread = await till.submit(f"/shop/{store.id}/checklist", {})
        assert unread.status_code == 400
        assert "Read the staff guide first, then tick this box." in unread.text
        confirmed = await till.submit(f"/shop/{store.id}/checklist", {"guide_read": "on"})
        assert confirmed.status_code == 303
        store = await Organisation.get(id=store.id)
        assert store.checklist_confirmed_at is not None and store.guide_read_at is not None
        [entry] = await AuditEntry.filter(action=AuditAction.STORE_CHECKLIST.value)
        assert entry.actor_id == cashier.id and entry.organisation_id == store.id
        assert "Waiting for approval since" in (await till.get("/shop")).text
        assert "Waiting for approval since" in (await client.get("/merchant")).text

        # Not yet a friendly shop: not in the directory, no page for families, no payment.
        assert "Hualian Xinhua Road" not in (await other_client.get("/shops")).text
        assert (await other_client.get(f"/shops/{store.id}")).status_code == 404
        assert (await other_client.get(f"/shops/{store.id}/photo/entrance")).status_code == 404
        centre, _shop, _staff = await make_centre_and_shop()
        voucher = await make_voucher(family, centre, yuan=50)
        code = await pay_code(app, voucher, family)
        refused = await redeem(till, store.id, code)
        assert refused.status_code == 409 and refused.json()["outcome"] == "not_accepted"

        # Programme staff see it with its photos and approve it.
        async with Client(app) as desk:
            programme = await make_programme_staff()
            await desk.log_in(str(programme.email), PASSWORD)
            waiting = await desk.get("/programme/shops")
            assert "Hualian Xinhua Road" in waiting.text
            assert "Weekdays 14:00-16:00" in waiting.text
            assert f"/shops/{store.id}/photo/till" in waiting.text
            assert (await desk.get(f"/shops/{store.id}/photo/till")).status_code == 200
            approved = await desk.submit(f"/programme/shops/{store.id}/approve")
            assert approved.status_code == 303
            assert "No store is waiting for approval." in (await desk.get("/programme/shops")).text
            [entry] = await AuditEntry.filter(action=AuditAction.STORE_APPROVE.value)
            assert entry.actor_id == programme.id and entry.organisation_id == store.id

            directory = await other_client.get("/shops")
            assert "Hualian Xinhua Road" in directory.text
            assert "Friendly shop since" in directory.text
            detail = await other_client.get(f"/shops/{store.id}")
            assert detail.status_code == 200 and "Friendly shop since" in detail.text
            paid = await redeem(till, store.id, code)
            assert paid.status_code == 200 and paid.json()["outcome"] == "paid"

            # Suspended: the till and the store's pages refuse, the directory drops it, at once.
            await desk.submit(f"/programme/organisations/{store.id}/suspend")
            assert (await till.get("/shop")).status_code == 403
            assert (await redeem(till, store.id, code)).status_code == 403
            assert "Hualian Xinhua Road" not in (await other_client.get("/shops")).text
            assert (await other_client.get(f"/shops/{store.id}")).status_code == 404
            assert "Suspended since" in (await client.get("/merchant")).text
            # Resumed: back.
            await desk.submit(f"/programme/organisations/{store.id}/resume")
            assert (await till.get("/shop")).status_code == 200
            assert "Hualian Xinhua Road" in (await other_client.get("/shops")).text
            again = await redeem(till, store.id, await pay_code(app, voucher, family), fen=500)
            assert again.status_code == 200 and again.json()["outcome"] == "paid"

            # A suspended merchant takes its stores out too.
            await desk.submit(f"/programme/organisations/{chain.id}/suspend")
            assert "Hualian Xinhua Road" not in (await other_client.get("/shops")).text
            assert (await till.get("/shop")).status_code == 403
            await desk.submit(f"/programme/organisations/{chain.id}/resume")
            assert "Hualian Xinhua Road" in (await other_client.get("/shops")).text

            # Ended: for good.
            await desk.submit(f"/programme/organisations/{store.id}/end")
            assert (await till.get("/shop")).status_code == 403
            assert "Hualian Xinhua Road" not in (await other_client.get("/shops")).text
            assert "Ended on" in (await client.get("/merchant")).text
            kinds = await AuditEntry.filter(organisation_id=store.id).values_list(
                "action", flat=True
            )
            for action in (
                AuditAction.STORE_CREATE,
                AuditAction.INVITATION_MAKE,
                AuditAction.INVITATION_ACCEPT,
                AuditAction.STORE_CHECKLIST,
                AuditAction.STORE_APPROVE,
                AuditAction.ORGANISATION_SUSPEND,
                AuditAction.ORGANISATION_RESUME,
                AuditAction.ORGANISATION_END,
            ):
                assert action.value in kinds
    finally:
        await till.__aexit__(None, None, None)


async def test_a_store_made_on_the_command_line_is_in_the_directory(client: Client) -> None:
    _centre, shop, _staff = await make_centre_and_shop()
    family = await make_family()
    await client.log_in(family.email, PASSWORD)
    directory = await client.get("/shops")
    assert shop.name in directory.text and "Friendly shop since" in directory.text


async def test_the_directory_says_whose_store_it_is(client: Client, other_client: Client) -> None:
    chain, admin = await make_chain_admin("Yonghui")
    await client.log_in(str(admin.email), PASSWORD)
    plain = await add_store(client, chain, "新店", "邯郸")
    named = await add_store(client, chain, "yonghui Renmin Road", "邯郸")
    await Organisation.filter(id__in=[plain.id, named.id]).update(approved_at=clock.now())
    family = await make_family()
    await other_client.log_in(family.email, PASSWORD)
    directory = await other_client.get("/shops")
    assert ">Yonghui 新店<" in directory.text
    # A store named with its merchant's name already: not twice.
    assert ">yonghui Renmin Road<" in directory.text
    assert "Yonghui yonghui" not in directory.text
    detail = await other_client.get(f"/shops/{plain.id}")
    assert "<h1>Yonghui 新店</h1>" in detail.text
