"""A parent who lost both password and phone (issue 16, item 3): the centre gives a new
invitation into a family that has a parent. Whoever accepts it does not become a parent at
once: only RECOVERY_WAIT (7 days) later, and the family's parents are emailed at once and see a
card on their home with "Stop it". Stopped, it never takes effect; not stopped, the account
becomes a parent where it lands (/home)."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from datetime import datetime, timedelta

import pytest

from pwa import i18n
from pwa.accounts import services as accounts
from pwa.core import clock
from pwa.models import Account, ConsentRecord, Invitation, Membership, Organisation, Role
from tests.conftest import Client
from tests.factories import (
    PASSWORD,
    FamilyFixture,
    make_account,
    make_caregiver,
    make_centre_and_shop,
    make_family,
    make_voucher,
)
from tests.html import find_form
from tests.test_centre_invitations import as_centre, invite, text, type_code


@pytest.fixture
def later(monkeypatch: pytest.MonkeyPatch) -> Callable[[timedelta], None]:
    """Move every clock.now() of the app forward."""
    real = clock.now

    def move(by: timedelta) -> None:
        def moved() -> datetime:
            return real() + by

        monkeypatch.setattr(clock, "now", moved)

    return move


async def recovery_into(
    client: Client, other_client: Client, caplog: pytest.LogCaptureFixture
) -> tuple[FamilyFixture, Organisation, Account, str]:
    """A family with a parent and a voucher; the centre gives a recovery invitation and a new
    account, logged in at other_client, accepts it at /join: (family, centre, account, page)."""
    centre, _shop, _staff = await make_centre_and_shop()
    family = await make_family(name="Wang Fang")
    await make_voucher(family, centre)
    await as_centre(client, centre)
    page = await client.get(f"/centre/families/{family.family.id}/invitation")
    words = text(page)
    assert "Invitation for a parent who lost both password and phone" in words
    assert "The new account becomes a parent only 7 days after it joins." in words
    assert "The family's parents are told at once" in words
    code, _link = await invite(client, family.family)
    account, email = await make_account("Zhao Lei")
    await other_client.log_in(email, PASSWORD)
    shown = await type_code(other_client, code)
    form = find_form(shown.text, "/join", step="accept")
    caplog.set_level(logging.INFO, logger="pwa.messages")
    joined = await other_client.post("/join", data={**form.fields, "consent": "yes"})
    assert joined.status_code == 303 and joined.headers["location"] == "/home"
    landing = await other_client.get("/home")
    return family, centre, account, text(landing)


async def test_a_recovery_waits_and_the_parent_is_told(
    client: Client, other_client: Client, caplog: pytest.LogCaptureFixture, later
) -> None:
    family, centre, account, landing = await recovery_into(client, other_client, caplog)
    invitation = await Invitation.get(family=family.family)
    name = family.family.name
    with i18n.use_locale("en"):
        day = i18n.format_date(invitation.accepted_at + accounts.RECOVERY_WAIT)
    assert (
        f"You become a parent of {name} on {day}, unless its parents stop it."
        " Until then you cannot see the family." in landing
    )
    assert "You do not belong to a family yet." in landing
    assert invitation.accepted_by_id == account.id
    assert not await Membership.filter(account=account).exists()
    assert await ConsentRecord.filter(account=account, family_id=family.family.id).exists()
    assert (await other_client.get(f"/families/{family.family.id}/wallet")).status_code == 404
    # The parent got an email, in their language, that says who, through which centre, when.
    assert f"To: {family.email}" in caplog.text
    assert f"Subject: Someone asked to become a parent of {name}" in caplog.text
    assert f"Zhao Lei used an invitation from {centre.name}" in caplog.text
    assert f"Zhao Lei becomes a parent on {day}, unless you stop it." in caplog.text
    assert "/home" in caplog.text
    # And sees the card on the family home.
    await client.log_in(family.email, PASSWORD)
    home = text(await client.get("/home"))
    assert f"Zhao Lei asked through {centre.name} on" in home
    assert f"They become a parent on {day} unless you stop it." in home

    # Six days later it is still waiting.
    later(timedelta(days=6))
    assert family.family.name not in text(await other_client.get("/home"))
    assert (await other_client.get(f"/families/{family.family.id}/wallet")).status_code == 404
    # Seven days later, not stopped: /home makes it a parent, and it sees the voucher.
    later(accounts.RECOVERY_WAIT + timedelta(minutes=1))
    assert family.family.name in text(await other_client.get("/home"))
    wallet = await other_client.get(f"/families/{family.family.id}/wallet")
    assert wallet.status_code == 200 and f"Friendly voucher from {centre.name}" in text(wallet)
    assert (await Membership.get(account=account)).role == Role.GUARDIAN
    await other_client.get("/home")
    assert await Membership.filter(account=account).count() == 1
    # No card any more: it took effect.
    assert "asked through" not in text(await client.get("/home"))


async def test_a_parent_stops_it_and_it_never_takes_effect(
    client: Client, other_client: Client, caplog: pytest.LogCaptureFixture, later
) -> None:
    family, _centre, account, _landing = await recovery_into(client, other_client, caplog)
    invitation = await Invitation.get(family=family.family)
    await client.log_in(family.email, PASSWORD)
    home = await client.get("/home")
    stop = f"/families/{family.family.id}/recoveries/{invitation.id}/stop"
    form = find_form(home.text, stop)
    stopped = await client.post(stop, data=form.fields)
    assert stopped.status_code == 303
    after = text(await client.get("/home"))
    assert "Stopped. Zhao Lei will not become a parent." in after
    assert "asked through" not in after
    # Again: nothing left to stop.
    assert (await client.post(stop, data=form.fields)).status_code == 404
    later(accounts.RECOVERY_WAIT * 2)
    assert family.family.name not in text(await other_client.get("/home"))
    assert (await other_client.get(f"/families/{family.family.id}/wallet")).status_code == 404
    assert await accounts.recoveries_due(account) == []
    assert not await Membership.filter(account=account).exists()


async def test_only_the_familys_parents_can_stop_it(
    app, client: Client, other_client: Client, caplog: pytest.LogCaptureFixture
) -> None:
    family, _centre, account, _landing = await recovery_into(client, other_client, caplog)
    invitation = await Invitation.get(family=family.family)
    stop = f"/families/{family.family.id}/recoveries/{invitation.id}/stop"
    # The waiting account itself is not a member: hidden.
    assert (await other_client.submit(stop)).status_code == 404
    _caregiver, caregiver_email = await make_caregiver(family)
    stranger = await make_family(name="Other")
    async with Client(app) as third:
        await third.log_in(caregiver_email, PASSWORD)
        assert "asked through" not in text(await third.get("/home"))
        assert (await third.submit(stop)).status_code == 403
    async with Client(app) as fourth:
        await fourth.log_in(stranger.email, PASSWORD)
        assert (await fourth.submit(stop)).status_code == 404
        # Its own family, another family's recovery: not found.
        other_stop = f"/families/{stranger.family.id}/recoveries/{invitation.id}/stop"
        assert (await fourth.submit(other_stop)).status_code == 404
    # A parent's typo in the id, or a recovery that is not one: not found, no 500.
    await client.log_in(family.email, PASSWORD)
    bad = f"/families/{family.family.id}/recoveries/not-an-id/stop"
    assert (await client.submit(bad)).status_code == 404
    assert (await Invitation.get(id=invitation.id)).revoked_at is None
    assert not await Membership.filter(account=account).exists()


async def test_the_person_phone_cannot_stop_it(
    app, client: Client, other_client: Client, caplog: pytest.LogCaptureFixture
) -> None:
    family, _centre, _account, _landing = await recovery_into(client, other_client, caplog)
    invitation = await Invitation.get(family=family.family)
    stop = f"/families/{family.family.id}/recoveries/{invitation.id}/stop"
    code = await accounts.create_device_link(family.person, family.guardian)
    async with Client(app) as phone:
        await phone.link_phone(code)
        assert (await phone.submit(stop)).status_code in (403, 404)
    assert (await Invitation.get(id=invitation.id)).revoked_at is None


async def test_a_staff_account_is_still_refused(client: Client, other_client: Client) -> None:
    centre, _shop, staff = await make_centre_and_shop()
    family = await make_family(name="Wang Fang")
    await make_voucher(family, centre)
    await as_centre(client, centre)
    code, _link = await invite(client, family.family)
    await other_client.log_in(staff.email, PASSWORD)
    shown = await type_code(other_client, code)
    form = find_form(shown.text, "/join", step="accept")
    refused = await other_client.post("/join", data={**form.fields, "consent": "yes"})
    assert refused.status_code == 410
    assert "belongs to the staff of a centre or a shop" in text(refused)
    invitation = await Invitation.get(family=family.family)
    assert invitation.accepted_at is None
    # Even an invitation claimed by a staff account some other way never makes it a parent.
    await Invitation.filter(id=invitation.id).update(
        accepted_by_id=staff.id, accepted_at=clock.now() - accounts.RECOVERY_WAIT * 2
    )
    assert await accounts.recoveries_due(staff) == []
    assert not await Membership.filter(account=staff).exists()


async def test_the_service_accepts_a_recovery_without_a_membership(app) -> None:
    """The emailed sign-up link calls the same service: no membership until the wait is over."""
    centre, _shop, staff = await make_centre_and_shop()
    family = await make_family(name="Wang Fang")
    _token, code = await accounts.create_guardian_invitation(family.family, centre, staff)
    invitation = await accounts.find_guardian_invitation(code)
    assert invitation is not None
    account, _email = await make_account("Zhao Lei")
    await accounts.accept_guardian_invitation(invitation, account, occasion="sign_up")
    assert not await Membership.filter(account=account).exists()
    waiting = await accounts.pending_recovery_of(account, family.family.id)
    assert waiting is not None and waiting.id == invitation.id
    assert await accounts.recoveries_due(account) == []


async def test_a_new_account_by_the_emailed_link_waits_too(
    client: Client, other_client: Client, caplog: pytest.LogCaptureFixture
) -> None:
    """The sign-up with the code goes through the email; when its link comes back the new
    account is made, but it only waits to become a parent, and the parent is told."""
    centre, _shop, _staff = await make_centre_and_shop()
    family = await make_family(name="Wang Fang")
    await make_voucher(family, centre)
    await as_centre(client, centre)
    code, _link = await invite(client, family.family)
    caplog.set_level(logging.INFO, logger="pwa.messages")
    fields = {
        "step": "signup",
        "code": code,
        "name": "Zhao Lei",
        "email": "zhao@example.test",
        "password": "a-long-and-unusual-passphrase",
        "consent": "yes",
    }
    assert (await other_client.submit("/join", fields)).status_code == 200
    link = re.search(r"/signup/confirm/[A-Za-z0-9_\-]+", caplog.text)
    assert link, "the sign-up link is in the log (log mode)"
    landed = await other_client.submit(link.group(0))
    assert landed.status_code == 303 and landed.headers["location"] == "/home"
    home = text(await other_client.get("/home"))
    assert f"You become a parent of {family.family.name} on" in home
    assert "Until then you cannot see the family." in home
    account = await Account.get(email="zhao@example.test")
    assert not await Membership.filter(account=account).exists()
    assert f"To: {family.email}" in caplog.text
    assert f"Subject: Someone asked to become a parent of {family.family.name}" in caplog.text
