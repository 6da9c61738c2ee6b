"""The programme's organisations (issue 17): programme staff make centres and merchants, invite
their staff by a one-time link (no command line), and suspend, resume or end them. The link is
shown once and kept only as its sha256; it works once; a used, cancelled, expired or unknown
link gets the same answer; a family's account never becomes staff. Every change is in the
audit log."""

from __future__ import annotations

import hashlib
import re
from datetime import timedelta

import pytest
from starlette.applications import Starlette

from pwa.accounts import services as accounts
from pwa.audit.services import AuditAction
from pwa.core import clock
from pwa.core.redact import redact_path
from pwa.models import (
    Account,
    AuditEntry,
    Invitation,
    Organisation,
    OrgInvitation,
    OrgKind,
    OrgMembership,
)
from tests.conftest import Client
from tests.factories import (
    PASSWORD,
    make_account,
    make_centre_and_shop,
    make_family,
    make_programme_staff,
)

LINK_RE = re.compile(r"http://127\.0\.0\.1(/staff-invitation/[A-Za-z0-9_-]+)")
REFUSED = "This invitation link does not work. It may be used already, cancelled or too old."


async def actions(action: AuditAction, by_pages: bool = True) -> list[AuditEntry]:
    """The entries of an action (by default those of the pages, not the command line's)."""
    found = AuditEntry.filter(action=action.value)
    if by_pages:
        found = found.exclude(actor="command line")
    return await found.order_by("id")


async def make_org(client: Client, kind: str, name: str, city: str = "保定") -> Organisation:
    made = await client.submit(
        "/programme/organisations",
        {"kind": kind, "name": name, "city": city, "address": "1 Road"},
    )
    assert made.status_code == 303, made.text
    org = await Organisation.get(name=name)
    assert made.headers["location"] == f"/programme/organisations/{org.id}"
    return org


async def invite(client: Client, org: Organisation, label: str = "Ms Wang") -> str:
    """The path of a new invitation link, read from the page that made it."""
    answer = await client.submit(f"/programme/organisations/{org.id}/invite", {"label": label})
    assert answer.status_code == 200, answer.text
    found = LINK_RE.search(answer.text)
    assert found, answer.text
    assert '<div class="qr" role="img"' in answer.text
    return found.group(1)


async def programme_client(client: Client) -> Account:
    staff = await make_programme_staff()
    await client.log_in(str(staff.email), PASSWORD)
    return staff


async def test_programme_makes_a_centre_and_its_staff_join_by_link(
    app: Starlette, client: Client, other_client: Client
) -> None:
    staff = await programme_client(client)
    start = await client.get("/programme")
    for target in (
        "/programme/organisations",
        "/programme/shops",
        "/programme/budgets",
        "/programme/statements",
        "/programme/reach",
        "/programme/audit",
    ):
        assert f'href="{target}"' in start.text
    # The root sends programme staff to their desk.
    assert (await client.get("/")).headers["location"] == "/programme"

    page = await client.get("/programme/organisations")
    assert '<datalist id="hebei-cities">' in page.text
    for city in (
        "石家庄",
        "唐山",
        "秦皇岛",
        "邯郸",
        "邢台",
        "保定",
        "张家口",
        "承德",
        "沧州",
        "廊坊",
        "衡水",
    ):
        assert f'<option value="{city}">' in page.text
    centre = await make_org(client, "centre", "Sunflower Centre")
    assert centre.kind == OrgKind.CENTRE and centre.city == "保定"
    [created] = await actions(AuditAction.ORGANISATION_CREATE)
    assert created.actor_id == staff.id and created.organisation_id == centre.id
    assert created.after and created.after["name"] == "Sunflower Centre"

    path = await invite(client, centre, "Dr Zhou")
    token = path.rsplit("/", 1)[1]
    # Only the sha256 is kept, and the logs never see the token.
    invitation = await OrgInvitation.get(organisation=centre)
    assert invitation.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert not invitation.admin and invitation.label == "Dr Zhou"
    assert invitation.expires_at - clock.now() > timedelta(days=6, hours=23)
    assert token not in redact_path(path) and redact_path(path) == "/staff-invitation/***"
    [made] = await actions(AuditAction.INVITATION_MAKE)
    assert made.organisation_id == centre.id and token not in str(made.after)
    # The organisation's page lists it (never the link again).
    org_page = await client.get(f"/programme/organisations/{centre.id}")
    assert "For Dr Zhou, works until" in org_page.text and token not in org_page.text

    # Someone new opens the link, sees what the account will do, makes the account and joins.
    opened = await other_client.get(path)
    assert "You are invited to join the staff of Sunflower Centre." in opened.text
    assert "give them vouchers" in opened.text
    assert "/login?next=%2Fstaff-invitation%2F" in opened.text
    weak = await other_client.submit(
        path, {"name": "Dr Zhou", "email": "zhou@example.test", "password": "short"}
    )
    assert weak.status_code == 400 and not await Account.exists(email="zhou@example.test")
    joined = await other_client.submit(
        path, {"name": "Dr Zhou", "email": "zhou@example.test", "password": PASSWORD}
    )
    assert joined.status_code == 303 and joined.headers["location"] == "/centre"
    account = await Account.get(email="zhou@example.test")
    membership = await OrgMembership.get(account=account)
    assert membership.organisation_id == centre.id and not membership.admin
    assert (await other_client.get("/centre")).status_code == 200
    [accepted] = await actions(AuditAction.INVITATION_ACCEPT)
    assert accepted.actor_id == account.id and accepted.organisation_id == centre.id

    # Once only: the same link for someone else is refused, like an unknown one.
    third = Client(app)
    async with third:
        again = await third.get(path)
        assert again.status_code == 404 and REFUSED in again.text
    org_page = await client.get(f"/programme/organisations/{centre.id}")
    assert "Dr Zhou" in org_page.text and "No open invitations." in org_page.text


async def test_a_merchants_invitation_makes_its_admin_once(
    client: Client, other_client: Client
) -> None:
    await programme_client(client)
    chain = await make_org(client, "chain", "Hualian Supermarkets", city="")
    assert chain.kind == OrgKind.CHAIN and chain.city == ""
    path = await invite(client, chain, "Mr Li")
    account, email = await make_account("Mr Li")
    await other_client.log_in(email, PASSWORD)
    opened = await other_client.get(path)
    assert "Add the merchant's stores, invite their staff" in opened.text
    joined = await other_client.submit(path)
    assert joined.status_code == 303 and joined.headers["location"] == "/merchant"
    assert (await OrgMembership.get(account=account, organisation=chain)).admin
    assert (await other_client.get("/merchant")).status_code == 200
    # A second use of the link, even by the same account, is refused.
    second = await other_client.submit(path)
    assert second.status_code == 404 and REFUSED in second.text
    assert await OrgMembership.filter(organisation=chain).count() == 1


async def test_expired_revoked_and_unknown_links_are_refused_alike(
    client: Client, other_client: Client
) -> None:
    staff = await programme_client(client)
    centre = await make_org(client, "centre", "Lotus Centre")
    expired = await invite(client, centre, "Old")
    await OrgInvitation.filter(label="Old").update(expires_at=clock.now() - timedelta(minutes=1))
    revoked = await invite(client, centre, "Cancelled")
    cancelled = await OrgInvitation.get(label="Cancelled")
    done = await client.submit(
        f"/programme/organisations/{centre.id}/invitations/{cancelled.id}/revoke"
    )
    assert done.status_code == 303
    [entry] = await actions(AuditAction.INVITATION_REVOKE)
    assert entry.actor_id == staff.id and entry.object_id == str(cancelled.id)
    account, email = await make_account("Someone")
    await other_client.log_in(email, PASSWORD)
    answers = []
    for path in (expired, revoked, "/staff-invitation/not-a-token-anyone-made"):
        shown = await other_client.get(path)
        tried = await other_client.submit(path)
        assert shown.status_code == tried.status_code == 404
        assert REFUSED in shown.text and REFUSED in tried.text
        answers.append(shown.text.replace(path, ""))
    assert answers[0] == answers[1] == answers[2]
    assert not await OrgMembership.exists(account=account)
    # A revoke of another organisation's invitation, or of nonsense, is not found.
    other = await make_org(client, "centre", "Other Centre")
    open_one = await invite(client, centre, "Still open")
    still = await OrgInvitation.get(label="Still open")
    wrong = await client.submit(
        f"/programme/organisations/{other.id}/invitations/{still.id}/revoke"
    )
    assert wrong.status_code == 404
    nonsense = await client.submit(f"/programme/organisations/{centre.id}/invitations/x/revoke")
    assert nonsense.status_code == 404
    assert (await other_client.get(open_one)).status_code == 200


async def test_a_family_account_never_becomes_staff(client: Client, other_client: Client) -> None:
    await programme_client(client)
    centre = await make_org(client, "centre", "Bamboo Centre")
    path = await invite(client, centre)
    family = await make_family()
    await other_client.log_in(family.email, PASSWORD)
    shown = await other_client.get(path)
    refusal = "Use another account for your work: this one belongs to a family."
    assert refusal in shown.text and "Join Bamboo Centre" not in shown.text
    tried = await other_client.submit(path)
    assert tried.status_code == 400 and refusal in tried.text
    assert not await OrgMembership.exists(account=family.guardian)
    # The link still works for a work account.
    assert (await OrgInvitation.get(organisation=centre)).accepted_at is None
    assert not await actions(AuditAction.INVITATION_ACCEPT)


async def test_pages_of_the_programme_are_for_programme_staff_only(
    app: Starlette, client: Client, other_client: Client
) -> None:
    centre, shop, shop_staff = await make_centre_and_shop()
    family = await make_family()
    centre_staff = await Account.get(org_memberships__organisation=centre)
    pages = [
        "/programme",
        "/programme/organisations",
        f"/programme/organisations/{centre.id}",
        f"/programme/organisations/{centre.id}/end",
        "/programme/shops",
    ]
    posts = [
        "/programme/organisations",
        f"/programme/organisations/{centre.id}/invite",
        f"/programme/organisations/{centre.id}/suspend",
        f"/programme/organisations/{centre.id}/end",
        f"/programme/shops/{shop.id}/approve",
    ]
    for email in (family.email, str(centre_staff.email), str(shop_staff.email)):
        async with Client(client._transport.app) as browser:  # type: ignore[attr-defined]
            await browser.log_in(email, PASSWORD)
            for page in pages:
                assert (await browser.get(page)).status_code == 403, (email, page)
            for post in posts:
                answer = await browser.submit(post, {"kind": "centre", "name": "X", "city": "Y"})
                assert answer.status_code == 403, (email, post)
    assert (await other_client.get("/programme")).status_code in (302, 303)
    assert await Organisation.filter(name="X").count() == 0
    assert not await OrgInvitation.exists()
    assert (await Organisation.get(id=centre.id)).suspended_at is None


async def test_a_wrong_form_changes_nothing(client: Client) -> None:
    await programme_client(client)
    before = await Organisation.all().count()
    no_city = await client.submit(
        "/programme/organisations", {"kind": "centre", "name": "Nameless", "city": ""}
    )
    assert no_city.status_code == 400 and "Choose or write the city." in no_city.text
    no_name = await client.submit("/programme/organisations", {"kind": "chain", "name": ""})
    assert no_name.status_code == 400 and "Write the name." in no_name.text
    too_long = await client.submit("/programme/organisations", {"kind": "chain", "name": "x" * 121})
    assert too_long.status_code == 400
    assert await Organisation.all().count() == before
    centre = await make_org(client, "centre", "Plum Centre")
    no_label = await client.submit(f"/programme/organisations/{centre.id}/invite", {"label": ""})
    assert no_label.status_code == 400 and "Write who the invitation is for." in no_label.text
    assert not await OrgInvitation.exists()
    assert (await client.get("/programme/organisations/999999")).status_code == 404


async def test_suspend_resume_and_end_a_centre(
    app: Starlette, client: Client, other_client: Client
) -> None:
    staff = await programme_client(client)
    centre = await make_org(client, "centre", "Orchid Centre")
    path = await invite(client, centre, "Dr Zhou")
    await other_client.submit(
        path, {"name": "Dr Zhou", "email": "zhou2@example.test", "password": PASSWORD}
    )
    assert (await other_client.get("/centre")).status_code == 200
    open_path = await invite(client, centre, "Nurse Chen")

    assert (await client.submit(f"/programme/organisations/{centre.id}/suspend")).status_code == 303
    page = await client.get(f"/programme/organisations/{centre.id}")
    assert "Suspended since" in page.text and "Resume Orchid Centre" in page.text
    listed = await client.get("/programme/organisations")
    assert "Suspended since" in listed.text
    assert (await other_client.get("/centre")).status_code == 403
    await client.submit(f"/programme/organisations/{centre.id}/resume")
    assert (await other_client.get("/centre")).status_code == 200
    [suspended] = await actions(AuditAction.ORGANISATION_SUSPEND)
    [resumed] = await actions(AuditAction.ORGANISATION_RESUME)
    assert suspended.actor_id == resumed.actor_id == staff.id
    assert suspended.before == {"suspended_at": None, "ended_at": None}

    # Ending asks first, then is final.
    ask = await client.get(f"/programme/organisations/{centre.id}/end")
    assert "Do you want to end Orchid Centre?" in ask.text
    assert (await Organisation.get(id=centre.id)).ended_at is None
    assert (await client.submit(f"/programme/organisations/{centre.id}/end")).status_code == 303
    assert (await other_client.get("/centre")).status_code == 403
    ended = await client.get(f"/programme/organisations/{centre.id}")
    assert "Ended on" in ended.text and "Make an invitation link" not in ended.text
    assert (await OrgInvitation.get(label="Nurse Chen")).revoked_at is not None
    async with Client(client._transport.app) as browser:  # type: ignore[attr-defined]
        assert (await browser.get(open_path)).status_code == 404
    await client.submit(f"/programme/organisations/{centre.id}/resume")
    assert (await Organisation.get(id=centre.id)).ended_at is not None
    [end] = await actions(AuditAction.ORGANISATION_END)
    assert end.after and end.after["invitations_revoked"] == 1
    assert len(await actions(AuditAction.ORGANISATION_RESUME)) == 1


async def test_remove_a_staff_member(client: Client, other_client: Client) -> None:
    staff = await programme_client(client)
    centre = await make_org(client, "centre", "Pine Centre")
    path = await invite(client, centre)
    await other_client.submit(
        path, {"name": "Dr Wu", "email": "wu@example.test", "password": PASSWORD}
    )
    membership = await OrgMembership.get(organisation=centre)
    removed = await client.submit(
        f"/programme/organisations/{centre.id}/staff/{membership.id}/remove"
    )
    assert removed.status_code == 303
    assert (await other_client.get("/centre")).status_code == 403
    [entry] = await actions(AuditAction.STAFF_REMOVE)
    assert entry.actor_id == staff.id and entry.before and entry.before["name"] == "Dr Wu"
    missing = await client.submit(
        f"/programme/organisations/{centre.id}/staff/{membership.id}/remove"
    )
    assert missing.status_code == 404


@pytest.mark.usefixtures("app")
async def test_a_centres_invitation_for_a_parent_is_audited() -> None:
    centre, _shop, staff = await make_centre_and_shop()
    family = await make_family()
    centre_staff = await Account.get(org_memberships__organisation=centre)
    await accounts.create_guardian_invitation(family.family, centre, centre_staff)
    invitation = await Invitation.get(family=family.family, role="guardian")
    [entry] = await actions(AuditAction.INVITATION_MAKE)
    assert entry.object_id == str(invitation.id) and entry.organisation_id == centre.id
    assert entry.actor_id == centre_staff.id
    assert staff.id != centre_staff.id


@pytest.mark.usefixtures("app")
async def test_create_staff_makes_programme_and_merchant_admin_accounts() -> None:
    programme = await make_programme_staff()
    chain_admin = await accounts.create_staff(
        kind=OrgKind.CHAIN,
        org_name="Beiguo",
        city="",
        address="",
        email="beiguo@example.test",
        password=PASSWORD,
        name="Mr Bei",
    )
    assert (await OrgMembership.get(account=chain_admin)).admin
    assert not (await OrgMembership.get(account=programme)).admin
    made = await actions(AuditAction.ORGANISATION_CREATE, by_pages=False)
    assert {e.actor for e in made} == {"command line"}
    assert len(made) == 2


async def test_the_same_centre_or_merchant_is_not_added_twice(client: Client) -> None:
    await programme_client(client)
    first = await make_org(client, "centre", "Lotus Centre", city="保定")
    again = await client.submit(
        "/programme/organisations",
        {"kind": "centre", "name": "  lotus   CENTRE ", "city": " 保定 ", "address": ""},
    )
    assert again.status_code == 400
    assert (
        "There is a centre called Lotus Centre in 保定 already. "
        "Open it from the list instead of adding it again." in again.text
    )
    assert await Organisation.filter(kind=OrgKind.CENTRE, name__icontains="lotus").count() == 1
    # Same name in another city, or a merchant of that name: both are other organisations.
    other_city = await client.submit(
        "/programme/organisations",
        {"kind": "centre", "name": "Lotus Centre", "city": "唐山", "address": ""},
    )
    assert other_city.status_code == 303
    await make_org(client, "chain", "Hualian Market", city="")
    twice = await client.submit(
        "/programme/organisations",
        {"kind": "chain", "name": "HUALIAN market", "city": "", "address": ""},
    )
    assert twice.status_code == 400
    assert "There is a merchant called Hualian Market already." in twice.text
    assert await Organisation.filter(kind=OrgKind.CHAIN, name__icontains="hualian").count() == 1
    # An ended centre does not stop a new one of its name.
    await Organisation.filter(id=first.id).update(ended_at=clock.now())
    assert (
        await client.submit(
            "/programme/organisations",
            {"kind": "centre", "name": "Lotus Centre", "city": "保定", "address": ""},
        )
    ).status_code == 303


async def test_ending_a_centre_says_its_budget_stays_until_taken_back(client: Client) -> None:
    from tests.factories import give_budget

    await programme_client(client)
    centre = await make_org(client, "centre", "Peony Centre")
    await give_budget(centre, 120)
    ask = await client.get(f"/programme/organisations/{centre.id}/end")
    assert (
        "Its budget left to give (CN¥120.00) stays with it until you take it back "
        "on the budgets page." in ask.text
    )
    assert "Its stores take no voucher any more." not in ask.text


async def test_staff_of_a_suspended_or_ended_centre_are_told_why(
    client: Client, other_client: Client
) -> None:
    await programme_client(client)
    centre = await make_org(client, "centre", "Jasmine Centre")
    path = await invite(client, centre, "Nurse Liu")
    assert (await client.submit(f"/programme/organisations/{centre.id}/suspend")).status_code == 303
    # A suspended centre's link says so; joining still works, and says why there is no desk.
    page = await other_client.get(path)
    assert page.status_code == 200
    assert (
        "Jasmine Centre is suspended at the moment. You can still join. "
        "You can work for it once the programme resumes it." in page.text
    )
    joined = await other_client.submit(
        path, {"name": "Nurse Liu", "email": "liu@example.test", "password": PASSWORD}
    )
    assert joined.status_code == 303 and joined.headers["location"] == "/organisation-stopped"
    assert await OrgMembership.exists(organisation=centre, account__email="liu@example.test")
    said = "Your organisation (Jasmine Centre) is suspended. Ask the programme what to do."
    assert said in (await other_client.get("/organisation-stopped")).text
    refused = await other_client.get("/centre")
    assert refused.status_code == 403 and said in refused.text
    # Ended: the start page says so instead of a family home with no family.
    await client.submit(f"/programme/organisations/{centre.id}/end")
    start = await other_client.get("/")
    assert start.headers["location"] == "/organisation-stopped"
    page = await other_client.get("/organisation-stopped")
    assert (
        "Your organisation (Jasmine Centre) has ended. Ask the programme what to do." in page.text
    )
    for target in ("/centre", "/centre/batch", "/centre/vouchers/new"):
        refused = await other_client.get(target)
        assert refused.status_code == 403, target
        assert "Your organisation (Jasmine Centre) has ended." in refused.text, target
    # Programme staff at a store's page: the usual words, nothing about an organisation.
    other = await client.get("/shop")
    assert other.status_code == 403
    assert "You cannot open this page with this account or phone." in other.text
    assert "Your organisation" not in other.text
