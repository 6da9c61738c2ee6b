"""Coming in through the centre (issue 16, item 3): a centre gives a parent a one-time
invitation into one of its own families (a link and a short code); the parent makes an account
or logs in with it and joins the family as its guardian, with the family's vouchers waiting.
The same serves a parent who lost both password and phone. Only the centre's own families; the
code works once; a used, replaced or expired code is refused in words; wrong codes are slowed
down; a caregiver's invitation still gives read-only access. A new account goes through the
email like every sign-up: the same answer for any email, and the account (its email verified)
is made and joins only when the emailed link comes back; the mail goes to a real SMTP server on
this machine (tests/stand_ins/smtp_server.py)."""

from __future__ import annotations

import dataclasses
import hashlib
import html
import re
from collections.abc import Iterator
from datetime import timedelta

import pytest

from pwa.accounts import services as accounts
from pwa.core import clock
from pwa.core.redact import redact_path
from pwa.models import (
    Account,
    CentreFamily,
    ConsentRecord,
    Family,
    Invitation,
    Membership,
    Organisation,
    OrgMembership,
    Role,
)
from pwa.settings import Settings
from tests.conftest import Client
from tests.databases import table_counts
from tests.factories import (
    PASSWORD,
    make_account,
    make_centre_and_shop,
    make_family,
    make_voucher,
)
from tests.html import find_form
from tests.stand_ins.smtp_server import SmtpServer, smtp_server

NEW_PASSWORD = "a-long-and-unusual-passphrase"
PUBLIC_URL = "https://startrip.test"


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    with smtp_server() as server:
        yield server


@pytest.fixture
def settings(settings: Settings, smtp: SmtpServer) -> Settings:
    """The app of these tests sends its mail to the stand-in server."""
    return dataclasses.replace(
        settings,
        smtp_host="127.0.0.1",
        smtp_port=smtp.port,
        smtp_security="none",
        mail_from="Startrip <noreply@startrip.test>",
        public_url=PUBLIC_URL,
    )


def sent_text(email: str) -> str:
    return f"We sent a message to {email}. Open the link in it to finish making your account."


async def open_emailed_link(smtp: SmtpServer, client: Client, email: str, count: int = 1):
    """The parent opens the newest sign-up link sent to the email and presses its button."""
    link = smtp.wait_for(email, count=count)
    found = [each.link("/signup/confirm/") for each in smtp.messages_to(email)]
    assert link.link("/signup/confirm/") in found
    path = found[-1].removeprefix(PUBLIC_URL)
    page = await client.get(path)
    # Opening the link only asks: a mail scanner opening it makes nothing.
    assert page.status_code == 200 and email in page.text
    assert not await Account.exists(email=email)
    return await client.submit(path)


def text(response) -> str:
    """The page's words as a person reads them: no tags, entities turned back."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", response.text)).split())


async def as_centre(client: Client, centre: Organisation) -> None:
    member = await OrgMembership.get(organisation=centre).prefetch_related("account")
    await client.log_in(member.account.email, PASSWORD)


async def register(client: Client, name: str = "The Zhao family") -> Family:
    """The centre registers a family with no account yet; it is sent on to the invitation."""
    response = await client.submit("/centre/families", {"action": "register", "name": name})
    assert response.status_code == 303
    family = await Family.get(name=name)
    assert response.headers["location"] == f"/centre/families/{family.id}/invitation"
    return family


async def invite(client: Client, family: Family) -> tuple[str, str]:
    """Press "Make an invitation for a parent": (the code as printed, the link)."""
    page = await client.get(f"/centre/families/{family.id}/invitation")
    assert page.status_code == 200
    made = await client.post(
        f"/centre/families/{family.id}/invitation",
        data=find_form(page.text, f"/centre/families/{family.id}/invitation").fields,
    )
    assert made.status_code == 200, made.text
    code = re.search(r'<p class="code-text" lang="en">([A-Z0-9]{4}-[A-Z0-9]{4})</p>', made.text)
    link = re.search(r'<span lang="en">(http[^<]+/invite/[^<]+)</span>', made.text)
    assert code and link, "the page shows the code and the link"
    return code.group(1), link.group(1)


def path_of(link: str) -> str:
    """The link's path, as the parent's browser asks for it."""
    return "/invite/" + link.rsplit("/invite/", 1)[1]


async def type_code(client: Client, code: str):
    return await client.submit("/join", {"step": "code", "code": code})


async def sign_up_with_code(client: Client, code: str, email: str, consent: bool = True):
    fields = {
        "step": "signup",
        "code": code,
        "name": "Zhao Lei",
        "email": email,
        "password": NEW_PASSWORD,
    }
    if consent:
        fields["consent"] = "yes"
    return await client.submit("/join", fields)


async def test_a_parent_signs_up_with_the_code_and_finds_the_familys_voucher(
    app, client: Client, other_client: Client, smtp: SmtpServer
) -> None:
    centre, _shop, _staff = await make_centre_and_shop()
    await as_centre(client, centre)
    family = await register(client)
    intro = await client.get(f"/centre/families/{family.id}/invitation")
    assert "Nobody has joined this family as a parent yet." in text(intro)
    given = await client.submit(
        "/centre/vouchers/new",
        find_form((await client.get("/centre/vouchers/new")).text, "/centre/vouchers/new").fields,
    )
    assert given.status_code == 303
    code, link = await invite(client, family)
    made = await Invitation.get(family=family)
    # Only digests are kept: the code and the link's token are nowhere in the database.
    assert made.code_hash == hashlib.sha256(code.replace("-", "").encode()).hexdigest()
    assert made.role == Role.GUARDIAN and made.centre_id == centre.id
    assert timedelta(days=29) < made.expires_at - clock.now() <= timedelta(days=30)
    assert link.rsplit("/", 1)[1] not in str(await Invitation.all().values())

    # The parent types the code, as printed or read out (small letters and spaces do too).
    shown = await type_code(other_client, " " + code.lower().replace("-", " "))
    assert shown.status_code == 200
    words = text(shown)
    assert f"{centre.name} invites you into the family The Zhao family on Startrip" in words
    assert "I have read the privacy notice" in words
    sent = await sign_up_with_code(other_client, code, "zhao@example.test")
    assert sent.status_code == 200
    assert sent_text("zhao@example.test") in text(sent)
    # Nothing is made and the code is not used until the emailed link comes back.
    assert not await Account.exists(email="zhao@example.test")
    assert not await Invitation.filter(accepted_at__isnull=False).exists()
    message = smtp.wait_for("zhao@example.test")
    assert message.subject == "Finish making your Startrip account"
    assert code not in message.text and code.replace("-", "") not in message.text
    joined = await open_emailed_link(smtp, other_client, "zhao@example.test")
    assert joined.status_code == 303
    assert joined.headers["location"] == f"/families/{family.id}/wallet"
    wallet = await other_client.get(joined.headers["location"])
    assert wallet.status_code == 200
    assert f"Friendly voucher from {centre.name}" in text(wallet)
    assert "You are now a parent in The Zhao family." in text(wallet)
    membership = await Membership.get(family=family).prefetch_related("account")
    assert membership.role == Role.GUARDIAN and membership.account.email == "zhao@example.test"
    assert membership.account.email_verified_at is not None
    assert membership.account.name == "Zhao Lei"
    consent = await ConsentRecord.get(account=membership.account)
    assert consent.occasion == "sign_up" and consent.family_id == family.id
    assert (await Invitation.get(family=family)).accepted_by_id == membership.account.id
    # The password typed on the form is the account's.
    async with Client(app) as third:
        await third.log_in("zhao@example.test", NEW_PASSWORD)
    home = await other_client.get("/home")
    assert "The Zhao family" in text(home) and "You are a caregiver here" not in text(home)


async def test_without_the_consent_box_nothing_is_made(
    client: Client, other_client, smtp: SmtpServer
) -> None:
    centre, _shop, _staff = await make_centre_and_shop()
    await as_centre(client, centre)
    family = await register(client)
    code, _link = await invite(client, family)
    before = await table_counts()
    refused = await sign_up_with_code(other_client, code, "zhao@example.test", consent=False)
    assert refused.status_code == 400
    assert "Read the privacy notice, then tick the box to agree." in text(refused)
    # The form keeps what was typed (not the password) and the code, so one tick sends it again.
    form = find_form(refused.text, "/join")
    assert form.fields["email"] == "zhao@example.test" and form.fields["code"] == code
    assert await table_counts() == before
    assert not await Invitation.filter(accepted_at__isnull=False).exists()
    # Every mistake shows at once: a short password and the box together.
    both = await other_client.submit(
        "/join", {"step": "signup", "code": code, "name": "Zhao", "email": "x@example.test"}
    )
    assert "The password needs at least 8 characters." in text(both)
    assert "tick the box to agree" in text(both)
    # The password rules of every sign-up hold here too: 12345678 is refused with a reason.
    common = await other_client.submit(
        "/join",
        {
            "step": "signup",
            "code": code,
            "name": "Zhao",
            "email": "x@example.test",
            "password": "12345678",
            "consent": "yes",
        },
    )
    assert common.status_code == 400 and 'id="error-password"' in common.text
    assert await table_counts() == before
    assert smtp.received == []


async def test_the_code_works_once(
    client: Client, other_client: Client, app, smtp: SmtpServer
) -> None:
    centre, _shop, _staff = await make_centre_and_shop()
    await as_centre(client, centre)
    family = await register(client)
    code, link = await invite(client, family)
    assert (await sign_up_with_code(other_client, code, "first@example.test")).status_code == 200
    assert (await open_emailed_link(smtp, other_client, "first@example.test")).status_code == 303
    async with Client(app) as third:
        again = await type_code(third, code)
        assert again.status_code == 400
        assert "This invitation was used already. It works only once." in text(again)
        by_link = await third.get(path_of(link))
        assert by_link.status_code == 410
        assert "This invitation was used already." in text(by_link)
    assert await Membership.filter(family=family).count() == 1
    # The parent who used it opens the link again: their family, not an error.
    mine = await other_client.get(path_of(link))
    assert mine.status_code == 200
    assert "You are a parent in this family already." in text(mine)


async def test_a_replaced_or_expired_code_is_refused_in_words(
    client: Client, other_client: Client
) -> None:
    centre, _shop, _staff = await make_centre_and_shop()
    await as_centre(client, centre)
    family = await register(client)
    first, first_link = await invite(client, family)
    page = await client.get(f"/centre/families/{family.id}/invitation")
    assert "is not used yet. A new invitation stops that one from working." in text(page)
    second, _link = await invite(client, family)
    replaced = await type_code(other_client, first)
    assert replaced.status_code == 400
    assert "This invitation was cancelled: the centre made a newer one." in text(replaced)
    path = path_of(first_link)
    by_link = await other_client.get(path)
    assert by_link.status_code == 410 and "the centre made a newer one" in text(by_link)
    # Sending the old link's sign-up form makes nothing either.
    before = await table_counts()
    sent = await other_client.submit(
        path,
        {"step": "signup", "name": "X", "email": "x@example.test", "password": NEW_PASSWORD},
    )
    assert sent.status_code == 410 and await table_counts() == before

    await Invitation.filter(revoked_at=None).update(expires_at=clock.now() - timedelta(minutes=1))
    expired = await type_code(other_client, second)
    assert expired.status_code == 400
    assert "This invitation has expired. Ask the centre for a new one." in text(expired)
    assert not await Membership.filter(family=family).exists()
    unknown = await type_code(other_client, "ABCD-2345")
    assert "This code does not work." in text(unknown)


async def test_wrong_codes_are_slowed_down_per_address(client: Client, other_client) -> None:
    centre, _shop, _staff = await make_centre_and_shop()
    await as_centre(client, centre)
    family = await register(client)
    code, _link = await invite(client, family)
    for n in range(10):
        wrong = await type_code(other_client, f"WRNG-{n:04d}".replace("0", "2").replace("1", "3"))
        assert wrong.status_code == 400, n
    slowed = await type_code(other_client, code)
    assert slowed.status_code == 429
    assert "There were too many tries. Wait" in text(slowed)
    assert int(slowed.headers["Retry-After"]) > 0
    # Even the right code waits: whoever guesses cannot tell it from a wrong one.
    assert "invites you into the family" not in text(slowed)
    # Not a single wrong try more was counted, and nothing was joined.
    assert not await Membership.filter(family=family).exists()
    assert (await other_client.get("/join")).status_code == 200


async def test_only_the_centres_own_families(app, client: Client, other_client: Client) -> None:
    centre, _shop, _staff = await make_centre_and_shop()
    other_centre, _shop2, _staff2 = await make_centre_and_shop()
    await as_centre(client, centre)
    family = await register(client)
    # A family that uses Startrip and was only asked (the parent has not accepted): not yet.
    asked = await make_family()
    assert (
        await client.submit("/centre/families", {"action": "attach", "code": asked.family.code})
    ).status_code == 303
    await as_centre(other_client, other_centre)
    before = await table_counts()
    for family_id in (family.id, asked.family.id, "not-an-id"):
        url = f"/centre/families/{family_id}/invitation"
        assert (await other_client.get(url)).status_code == 404, url
        assert (await other_client.submit(url)).status_code == 404, url
    assert (await client.get(f"/centre/families/{asked.family.id}/invitation")).status_code == 404
    assert await table_counts() == before
    # A family's own parent is no centre: refused, and a visitor is sent to log in.
    parent = await make_family()
    await CentreFamily.create(centre=centre, family=parent.family)
    async with Client(app) as guardian:
        await guardian.log_in(parent.email, parent.password)
        own = f"/centre/families/{parent.family.id}/invitation"
        assert (await guardian.get(own)).status_code == 403
        assert (await guardian.submit(own)).status_code == 403
    async with Client(app) as visitor:
        away = await visitor.get(f"/centre/families/{family.id}/invitation")
        assert away.status_code == 303 and away.headers["location"].startswith("/login")
    assert not await Invitation.exists()
    # The centre's list offers the invitation beside each of its families.
    listed = await client.get("/centre/families")
    assert f"/centre/families/{family.id}/invitation" in listed.text


async def test_a_centre_cannot_open_a_family_that_has_a_parent_to_anyone_else(
    client: Client, other_client: Client
) -> None:
    """A family with a parent account is not the centre's to give away at once (else the
    centre, or whoever it gives the code to, becomes a parent and sees, downloads or deletes the
    child's data). The page offers only the invitation for a parent who lost both password and
    phone, which waits 7 days and which the parents can stop (tests/test_centre_recovery.py);
    a plain parent's invitation form sent to it is refused."""
    centre, _shop, _staff = await make_centre_and_shop()
    family = await make_family(name="Wang Fang")
    await make_voucher(family, centre)  # the family is with the centre
    await as_centre(client, centre)
    intro = await client.get(f"/centre/families/{family.family.id}/invitation")
    words = text(intro)
    assert "This family has a parent account already." in words
    assert "Forgot your password?" in words
    assert "Make an invitation for a parent who lost both password and phone" in words
    assert "The new account becomes a parent only 7 days after it joins." in words
    assert "They can stop it during these 7 days." in words
    made = await client.submit(f"/centre/families/{family.family.id}/invitation")
    assert made.status_code == 400
    assert not await Invitation.filter(family=family.family).exists()


async def test_a_staff_account_cannot_join_a_family_as_its_parent(
    client: Client, other_client: Client
) -> None:
    centre, _shop, staff = await make_centre_and_shop()
    await as_centre(client, centre)
    family = await register(client)
    code, _link = await invite(client, family)
    # The centre's own staff (here: the shop's, any organisation's) tries the code itself.
    await other_client.log_in(staff.email, PASSWORD)
    shown = await type_code(other_client, code)
    form = find_form(shown.text, "/join", step="accept")
    refused = await other_client.post("/join", data={**form.fields, "consent": "yes"})
    assert refused.status_code == 410
    assert "belongs to the staff of a centre or a shop" in text(refused)
    assert not await Membership.filter(family=family).exists()


async def test_a_logged_in_account_joins_with_the_code(client: Client, other_client) -> None:
    centre, _shop, _staff = await make_centre_and_shop()
    await as_centre(client, centre)
    family = await register(client)
    code, _link = await invite(client, family)
    account, email = await make_account("Li Na")
    await other_client.log_in(email, PASSWORD)
    shown = await type_code(other_client, code)
    assert "You are logged in as Li Na. This account joins the family." in text(shown)
    form = find_form(shown.text, "/join", step="accept")
    refused = await other_client.post("/join", data=form.fields)
    assert refused.status_code == 400 and "tick the box to agree" in text(refused)
    assert not await Membership.filter(family=family).exists()
    joined = await other_client.post("/join", data={**form.fields, "consent": "yes"})
    assert joined.status_code == 303 and joined.headers["location"] == "/home"
    assert (await Membership.get(account=account, family=family)).role == Role.GUARDIAN
    record = await ConsentRecord.get(account=account)
    assert record.occasion == "joined" and record.family_id == family.id


async def test_a_caregivers_invitation_still_gives_read_only_access(
    client: Client, other_client: Client
) -> None:
    family = await make_family()
    centre, _shop, _staff = await make_centre_and_shop()
    await make_voucher(family, centre)
    await client.log_in(family.email, family.password)
    page = await client.submit(f"/families/{family.family.id}/caregivers")
    link = re.search(r"/invite/[A-Za-z0-9_\-]+", page.text)
    assert link
    teacher, email = await make_account("Teacher")
    await other_client.log_in(email, PASSWORD)
    opened = await other_client.get(link.group(0))
    assert "You cannot change anything." in text(opened)
    accepted = await other_client.submit(link.group(0))
    assert accepted.status_code == 303
    assert (await Membership.get(account=teacher, family=family.family)).role == Role.CAREGIVER
    assert "You are a caregiver here. You can read, not change." in text(
        await other_client.get("/home")
    )
    assert (await other_client.get(f"/families/{family.family.id}/wallet")).status_code == 403

    # A centre's invitation for a parent (made before the family had one) is not on the
    # family's caregivers page, and the page's cancel cannot end it.
    await accounts.create_guardian_invitation(family.family, centre, family.guardian)
    parents_invitation = await Invitation.get(role=Role.GUARDIAN)
    listed = await client.get(f"/families/{family.family.id}/caregivers")
    assert str(parents_invitation.id) not in listed.text
    cancel = await client.submit(
        f"/families/{family.family.id}/caregivers/{parents_invitation.id}/revoke"
    )
    assert cancel.status_code == 404
    assert (await Invitation.get(id=parents_invitation.id)).revoked_at is None


async def test_the_code_and_the_link_stay_out_of_urls_and_logs(client: Client) -> None:
    centre, _shop, _staff = await make_centre_and_shop()
    await as_centre(client, centre)
    family = await register(client)
    code, link = await invite(client, family)
    # The code goes in form bodies only: no page links to /join with it.
    assert "/join?" not in (await client.get("/join")).text
    token = link.rsplit("/", 1)[1]
    assert token not in redact_path(f"/invite/{token}")
    # "Log in" from the link comes back to it: the token rides in ?next=, hidden in the log too.
    assert token not in redact_path(f"/login?next=%2Finvite%2F{token}")
    assert code not in redact_path(f"/join?code={code}")


async def test_a_known_and_an_unknown_email_get_the_same_answer(
    client: Client, other_client: Client, smtp: SmtpServer
) -> None:
    """Whoever holds a code cannot use it to learn which emails have accounts (issue 16, item
    4): the same page and status for both; the owner of the known email is told by email."""
    centre, _shop, _staff = await make_centre_and_shop()
    await as_centre(client, centre)
    family = await register(client)
    code, _link = await invite(client, family)
    _account, known_email = await make_account("Already here")
    new_email = "zhao.new@example.test"
    known = await sign_up_with_code(other_client, code, known_email)
    unknown = await sign_up_with_code(other_client, code, new_email)
    assert known.status_code == unknown.status_code == 200
    assert text(known).replace(known_email, "EMAIL") == text(unknown).replace(new_email, "EMAIL")
    assert sent_text(known_email) in text(known)
    assert "already" not in text(known).lower()

    to_known = smtp.wait_for(known_email)
    assert to_known.subject == "Somebody tried to make a Startrip account with your email"
    assert "log in first, then type the code again" in to_known.text
    assert f"{PUBLIC_URL}/login" in to_known.links()
    assert not any("/signup/confirm/" in each for each in to_known.links())
    # The message to a possibly mistyped address carries neither the code nor the link.
    assert code not in to_known.text and "/invite/" not in to_known.text
    assert smtp.wait_for(new_email).subject == "Finish making your Startrip account"
    # Many tries with known emails are no different from unknown ones: no wrong-code count.
    for n in range(10):
        again = await sign_up_with_code(other_client, code, f"x{n}@example.test")
        assert again.status_code == 200, n
    assert not await Membership.filter(family=family).exists()
    assert await Invitation.filter(accepted_at=None).count() == 1


async def test_a_mistyped_email_neither_makes_an_account_nor_uses_the_code(
    app, client: Client, other_client: Client, smtp: SmtpServer
) -> None:
    """A sign-up with a wrong address makes nothing that the mailbox's owner could take over
    with "Forgot your password?"; the parent signs up again with the right one and joins. The
    wrong address's link, opened later, makes an account that is nobody's parent."""
    centre, _shop, _staff = await make_centre_and_shop()
    await as_centre(client, centre)
    family = await register(client)
    code, _link = await invite(client, family)
    assert (await sign_up_with_code(other_client, code, "zhao@exmaple.test")).status_code == 200
    smtp.wait_for("zhao@exmaple.test")
    assert not await Account.exists(email="zhao@exmaple.test")
    assert await Invitation.filter(accepted_at=None).count() == 1

    assert (await sign_up_with_code(other_client, code, "zhao@example.test")).status_code == 200
    joined = await open_emailed_link(smtp, other_client, "zhao@example.test")
    assert joined.status_code == 303

    async with Client(app) as stranger:
        late = await open_emailed_link(smtp, stranger, "zhao@exmaple.test")
        assert late.status_code == 303 and late.headers["location"] == "/home"
        home = await stranger.get("/home")
        assert "Your account is ready, but it did not join the family:" in text(home)
        # The invitation was used: a second account never joins, nor waits to (no recovery).
        assert "This invitation was used already." in text(home)
        assert (await stranger.get(f"/families/{family.id}/wallet")).status_code in (403, 404)
    stray = await Account.get(email="zhao@exmaple.test")
    assert not await Membership.filter(account=stray).exists()
    assert not await ConsentRecord.filter(account=stray).exists()
    parents = await Membership.filter(family=family).prefetch_related("account")
    assert [m.account.email for m in parents] == ["zhao@example.test"]


async def test_the_invitation_link_signs_up_through_the_email_too(
    client: Client, other_client: Client, smtp: SmtpServer
) -> None:
    centre, _shop, _staff = await make_centre_and_shop()
    await as_centre(client, centre)
    family = await register(client)
    _code, link = await invite(client, family)
    path = path_of(link)
    shown = await other_client.get(path)
    form = find_form(shown.text, path, step="signup")
    _account, known_email = await make_account("Already here")
    fields = {**form.fields, "name": "Zhao Lei", "password": NEW_PASSWORD, "consent": "yes"}
    known = await other_client.post(path, data={**fields, "email": known_email})
    unknown = await other_client.post(path, data={**fields, "email": "zhao@example.test"})
    assert known.status_code == unknown.status_code == 200
    assert text(known).replace(known_email, "EMAIL") == text(unknown).replace(
        "zhao@example.test", "EMAIL"
    )
    assert "log in first, then open the invitation link again" in smtp.wait_for(known_email).text
    assert not await Invitation.filter(accepted_at__isnull=False).exists()

    joined = await open_emailed_link(smtp, other_client, "zhao@example.test")
    assert joined.status_code == 303 and joined.headers["location"] == "/home"
    assert "You are now a parent in The Zhao family." in text(await other_client.get("/home"))
    account = await Account.get(email="zhao@example.test")
    assert account.email_verified_at is not None
    assert (await Membership.get(account=account)).role == Role.GUARDIAN
    record = await ConsentRecord.get(account=account)
    assert record.occasion == "sign_up" and record.family_id == family.id


async def test_staff_of_a_suspended_centre_cannot_invite_into_its_families_from_another(
    client,
) -> None:
    """Someone on the staff of two centres, one suspended: the suspended centre's families are
    not theirs to invite into (issue 17 review)."""
    from pwa.accounts.services import create_staff
    from pwa.core import clock
    from pwa.models import CentreFamily, Invitation, Organisation, OrgKind
    from tests.factories import PASSWORD, make_family

    for name in ("Suspended Centre", "Open Centre"):
        await create_staff(
            kind=OrgKind.CENTRE,
            org_name=name,
            city="邯郸",
            address="",
            email="both@example.test",
            password=PASSWORD,
            name="Dr Both",
        )
    suspended = await Organisation.get(name="Suspended Centre")
    family = await make_family()
    await CentreFamily.create(centre=suspended, family=family.family)
    await Organisation.filter(id=suspended.id).update(suspended_at=clock.now())
    await client.log_in("both@example.test", PASSWORD)
    url = f"/centre/families/{family.family.id}/invitation"
    assert (await client.get(url)).status_code == 404
    assert (await client.submit(url, {"kind": "recovery"})).status_code == 404
    assert not await Invitation.exists(centre=suspended)
    assert "Suspended Centre" not in (await client.get("/centre")).text
