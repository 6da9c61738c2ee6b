"""Email that works (issue 16, items 2 and 4): a real SMTP server on this machine
(tests/stand_ins/smtp_server.py) receives what the app sends; "Forgot your password?", the
sign-up that reveals nothing, checking an email address, common passwords refused in words,
and the log mode of development."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import re
import smtplib
import ssl
from datetime import timedelta
from pathlib import Path

import pytest

from pwa.accounts import mail
from pwa.app import create_app
from pwa.auth import passwords
from pwa.core import clock
from pwa.core.redact import redact_path
from pwa.models import Account, ConsentRecord, Membership, OneTimeCode, Person
from pwa.settings import Settings
from tests.conftest import Client
from tests.factories import PASSWORD, make_account, make_family
from tests.stand_ins.smtp_server import SmtpServer, certificate, smtp_server

PUBLIC_URL = "https://startrip.test"
NEW_PASSWORD = "lantern-orchard-kettle-42"
SENT_RESET = "If this email has an account, we sent a link to it. It works for 1 hour."


@pytest.fixture
def smtp() -> SmtpServer:
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


def path_of(link: str) -> str:
    assert link.startswith(PUBLIC_URL + "/"), link
    return link.removeprefix(PUBLIC_URL)


def words(html: str, *emails: str) -> str:
    """The page's text as a person reads it, with the typed address and the form's one-time
    CSRF token taken out."""
    text = re.sub(r'name="csrf_token" value="[^"]+"', "", html)
    for address in emails:
        text = text.replace(address, "EMAIL")
    return text


async def logged_in(client: Client) -> bool:
    return (await client.get("/account")).status_code == 200


# --- a forgotten password ----------------------------------------------------------------------


async def test_a_reset_link_by_email_sets_a_new_password_once_and_ends_every_session(
    app, client, other_client, smtp
):
    family = await make_family()
    # A browser left logged in somewhere else (a lost phone).
    await other_client.log_in(family.email, PASSWORD)
    assert await logged_in(other_client)

    page = await client.get("/login")
    assert 'href="/password/forgot"' in page.text and "Forgot your password?" in page.text
    answer = await client.submit("/password/forgot", {"email": family.email.upper()})
    assert answer.status_code == 200 and SENT_RESET in answer.text

    [message] = smtp.messages_to(family.email)
    assert message.rcpt_tos == (family.email,) and message.to == family.email
    assert message.mail_from == "noreply@startrip.test"
    assert message.subject == "Set a new Startrip password"  # the account's language: English
    link = message.link("/password/reset/")
    token = link.rsplit("/", 1)[1]
    assert len(token) >= 43, "32 random bytes"
    # Only its sha256 is kept.
    assert await OneTimeCode.exists(code_hash=passwords.token_digest(token), purpose="reset")
    assert not await OneTimeCode.exists(code_hash=token)

    form = await client.get(path_of(link))
    assert form.status_code == 200 and family.email in form.text
    # A common password is refused in words, and the link still works after it.
    weak = await client.submit(
        path_of(link), {"password": "12345678", "password_again": "12345678"}
    )
    assert weak.status_code == 400 and "Many people use this password" in weak.text
    done = await client.submit(
        path_of(link), {"password": NEW_PASSWORD, "password_again": NEW_PASSWORD}
    )
    assert done.status_code == 303
    # This browser is logged in anew; the other one is logged out.
    assert await logged_in(client)
    assert not await logged_in(other_client)
    # The old password no longer works; the new one does.
    async with Client(app) as third:
        refused = await third.submit("/login", {"email": family.email, "password": PASSWORD})
        assert refused.status_code == 400
        await third.log_in(family.email, NEW_PASSWORD)
    account = await Account.get(id=family.guardian.id)
    assert account.email_verified_at is not None, "the link reached the address"

    # The link works once.
    again = await client.get(path_of(link))
    assert again.status_code == 404 and "This link does not work" in again.text
    reused = await client.submit(
        path_of(link), {"password": "another-" + NEW_PASSWORD, "password_again": ""}
    )
    assert reused.status_code == 404


async def test_an_expired_reset_link_is_refused(client, smtp, monkeypatch):
    family = await make_family()
    await client.submit("/password/forgot", {"email": family.email})
    link = path_of(smtp.wait_for(family.email).link("/password/reset/"))
    later = clock.now() + timedelta(hours=1, seconds=1)
    monkeypatch.setattr(clock, "now", lambda: later)
    page = await client.get(link)
    assert page.status_code == 404 and "This link does not work" in page.text
    refused = await client.submit(link, {"password": NEW_PASSWORD, "password_again": NEW_PASSWORD})
    assert refused.status_code == 404
    account = await Account.get(id=family.guardian.id)
    assert account.password_hash == family.guardian.password_hash


async def test_a_newer_reset_link_or_a_changed_password_retires_the_older_link(client, smtp):
    family = await make_family()
    await client.submit("/password/forgot", {"email": family.email})
    await client.submit("/password/forgot", {"email": family.email})
    first, second = (path_of(m.link("/password/reset/")) for m in smtp.messages_to(family.email))
    used = await client.submit(second, {"password": NEW_PASSWORD, "password_again": NEW_PASSWORD})
    assert used.status_code == 303
    assert (await client.get(first)).status_code == 404, "the other link died with the reset"


async def test_forgot_password_for_an_unknown_email_answers_the_same_and_sends_nothing(
    client, smtp
):
    family = await make_family()
    known = await client.submit("/password/forgot", {"email": family.email})
    unknown = await client.submit("/password/forgot", {"email": "nobody@example.test"})
    assert known.status_code == unknown.status_code == 200
    assert words(known.text, family.email) == words(unknown.text, "nobody@example.test")
    assert smtp.messages_to("nobody@example.test") == []
    assert len(smtp.messages_to(family.email)) == 1


async def test_messages_to_one_address_are_throttled(client, smtp):
    family = await make_family()
    answers = [await client.submit("/password/forgot", {"email": family.email}) for _ in range(4)]
    assert [a.status_code for a in answers] == [200, 200, 200, 429]
    assert "Wait" in answers[3].text and "Retry-After" in answers[3].headers
    assert len(smtp.messages_to(family.email)) == 3
    # An unknown address is slowed the same way: the wait tells nothing either.
    unknown = [
        await client.submit("/password/forgot", {"email": "nobody@example.test"}) for _ in range(4)
    ]
    assert [a.status_code for a in unknown] == [200, 200, 200, 429]


async def test_a_bad_email_on_the_forgot_page_is_explained(client, smtp):
    answer = await client.submit("/password/forgot", {"email": "not an email"})
    assert answer.status_code == 400
    assert "Write an email address like name@example.com." in answer.text
    assert smtp.received == []


# --- sign-up that reveals nothing ---------------------------------------------------------------


def sign_up_form(email: str, **more: str) -> dict[str, str]:
    return {
        "kind": "family",
        "name": "Li",
        "email": email,
        "password": PASSWORD,
        "phone": "13800138000",
        "person_name": "Ming",
        "consent": "yes",
        **more,
    }


async def test_sign_up_with_a_known_or_an_unknown_email_gives_the_same_answer(client, smtp):
    family = await make_family()
    new_email = "li.new@example.test"
    known = await client.submit("/signup", sign_up_form(family.email))
    unknown = await client.submit("/signup", sign_up_form(new_email))
    assert known.status_code == unknown.status_code == 200
    assert words(known.text, family.email) == words(unknown.text, new_email)
    assert (
        f"We sent a message to {new_email}. Open the link in it to finish making your account."
        in unknown.text
    )
    assert "already" not in known.text.lower()
    # Nothing is made until the link comes back.
    assert not await Account.exists(email=new_email)

    # The owner of the known email learns what happened, and how to log in.
    [to_known] = smtp.messages_to(family.email)
    assert to_known.subject == "Somebody tried to make a Startrip account with your email"
    assert f"{PUBLIC_URL}/login" in to_known.links()
    assert f"{PUBLIC_URL}/password/forgot" in to_known.links()
    assert not any("/signup/confirm/" in each for each in to_known.links())
    [to_new] = smtp.messages_to(new_email)
    assert to_new.subject == "Finish making your Startrip account"


async def test_the_sign_up_link_makes_the_account_once_and_logs_in(app, client, other_client, smtp):
    await client.submit("/signup", sign_up_form("Li.New@Example.test"))
    link = path_of(smtp.wait_for("li.new@example.test").link("/signup/confirm/"))
    # Opening the link only asks (a mail scanner opening it spends nothing).
    page = await other_client.get(link)
    assert page.status_code == 200 and "li.new@example.test" in page.text
    assert not await Account.exists(email="li.new@example.test")
    made = await other_client.submit(link)
    assert made.status_code == 303 and made.headers["location"] == "/home"
    home = await other_client.get("/home")
    assert home.status_code == 200 and "Ming" in home.text

    account = await Account.get(email="li.new@example.test")
    assert account.email_verified_at is not None and account.phone == "13800138000"
    membership = await Membership.get(account=account).prefetch_related("family")
    assert membership.role == "guardian"
    person = await Person.get(family=membership.family)
    assert person.display_name == "Ming"
    record = await ConsentRecord.get(account=account)
    assert (record.occasion, record.family_id, record.person_id) == (
        "sign_up",
        membership.family.id,
        person.id,
    )
    # The password typed at sign-up is the account's.
    async with Client(app) as third:
        await third.log_in("li.new@example.test", PASSWORD)

    again = await client.submit(link)
    assert again.status_code == 404 and "This link does not work" in again.text
    assert await Account.filter(email="li.new@example.test").count() == 1


async def test_an_adult_signing_up_for_themselves_is_their_own_person(client, smtp):
    await client.submit("/signup", sign_up_form("wei@example.test", kind="self", name="Wei"))
    link = path_of(smtp.wait_for("wei@example.test").link("/signup/confirm/"))
    assert (await client.submit(link)).status_code == 303
    account = await Account.get(email="wei@example.test")
    person = await Person.get(account=account)
    assert person.display_name == "Wei"
    me = await client.get("/me")
    assert me.status_code == 200 and "Hello, Wei." in me.text


async def test_an_expired_sign_up_link_makes_nothing(client, smtp, monkeypatch):
    await client.submit("/signup", sign_up_form("late@example.test"))
    link = path_of(smtp.wait_for("late@example.test").link("/signup/confirm/"))
    later = clock.now() + timedelta(hours=24, seconds=1)
    monkeypatch.setattr(clock, "now", lambda: later)
    assert (await client.submit(link)).status_code == 404
    assert not await Account.exists(email="late@example.test")


async def test_two_sign_ups_of_one_email_make_one_account(client, other_client, smtp):
    await client.submit("/signup", sign_up_form("twice@example.test"))
    await other_client.submit("/signup", sign_up_form("twice@example.test", name="Other"))
    first, second = (
        path_of(m.link("/signup/confirm/")) for m in smtp.messages_to("twice@example.test")
    )
    assert (await client.submit(first)).status_code == 303
    late = await other_client.submit(second)
    # Whoever holds a link sent to the address may learn that it has an account now.
    assert late.status_code == 400 and "This email already has an account." in late.text
    assert await Account.filter(email="twice@example.test").count() == 1


async def test_sign_up_without_consent_or_with_bad_fields_sends_nothing(client, smtp):
    answer = await client.submit("/signup", sign_up_form("li@example.test", consent=""))
    assert answer.status_code == 400
    assert "tick the box to agree" in answer.text
    answer = await client.submit(
        "/signup", {"name": "", "email": "x", "password": "1", "consent": "yes"}
    )
    assert answer.status_code == 400
    assert "Write your name." in answer.text
    assert smtp.received == []


async def test_a_caregiver_invitation_answers_the_same_for_known_and_unknown_emails(
    client, other_client, smtp
):
    family = await make_family(person_name="Ming")
    await client.log_in(family.email, PASSWORD)
    page = await client.submit(f"/families/{family.family.id}/caregivers")
    invite = re.search(r'href="(?:http://[^/"]+)?(/invite/[^"]+)"', page.text).group(1)
    _account, known_email = await make_account("Teacher Known")

    known = await other_client.submit(
        invite, {"name": "Teacher", "email": known_email, "password": PASSWORD}
    )
    unknown = await other_client.submit(
        invite, {"name": "Teacher", "email": "teacher@example.test", "password": PASSWORD}
    )
    assert known.status_code == unknown.status_code == 200
    assert words(known.text, known_email) == words(unknown.text, "teacher@example.test")
    assert "There is already an account" not in known.text
    to_known = smtp.wait_for(known_email)
    assert "log in first, then open the invitation link again" in to_known.text

    link = path_of(smtp.wait_for("teacher@example.test").link("/signup/confirm/"))
    assert (await other_client.submit(link)).status_code == 303
    teacher = await Account.get(email="teacher@example.test")
    membership = await Membership.get(account=teacher)
    assert membership.role == "caregiver" and membership.family_id == family.family.id
    home = await other_client.get("/home")
    assert "Ming" in home.text


# --- passwords ---------------------------------------------------------------------------------

COMMON = [
    "12345678",
    "password",
    "Password",
    "qwerty123",
    "11111111",
    "123456789",
    "iloveyou",
    "woaini1314",
    "a1234567",
    "woaini520",
    "52013145201314",
]


@pytest.mark.parametrize(
    ("locale", "reason"),
    [("en", "Many people use this password"), ("zh-CN", "很多人用这个密码")],
)
async def test_common_passwords_are_refused_with_a_reason_in_both_languages(
    app, smtp, locale, reason
):
    async with Client(app, locale=locale) as client:
        for password in COMMON:
            answer = await client.submit(
                "/signup", sign_up_form(f"{password}@example.test", password=password)
            )
            assert answer.status_code == 400, password
            assert reason in answer.text, password
        guessable = await client.submit(
            "/signup", sign_up_form("li.ming@example.test", name="Li Ming", password="liming2026")
        )
        assert guessable.status_code == 400
        strong = await client.submit(
            "/signup", sign_up_form("strong@example.test", password=NEW_PASSWORD)
        )
        assert strong.status_code == 200
    assert [m.rcpt_tos for m in smtp.received] == [("strong@example.test",)]


async def test_changing_the_password_refuses_a_common_one(client):
    family = await make_family()
    await client.log_in(family.email, PASSWORD)
    answer = await client.submit(
        "/account/password",
        {"current_password": PASSWORD, "password": "qwerty123", "password_again": "qwerty123"},
    )
    assert answer.status_code == 400 and "Many people use this password" in answer.text
    assert (await Account.get(id=family.guardian.id)).password_hash == (
        family.guardian.password_hash
    )


# --- checking an email address ----------------------------------------------------------------


async def test_an_unchecked_email_is_checked_by_a_link_from_the_account_page(client, smtp):
    account, email = await make_account("Checker")
    await client.log_in(email, PASSWORD)
    page = await client.get("/account")
    assert "Send a link to check this email" in page.text
    sent = await client.submit("/account/email/check")
    assert sent.status_code == 303
    message = smtp.wait_for(email)
    assert message.subject == "Check your email address for Startrip"
    link = path_of(message.link("/email/check/"))
    asks = await client.get(link)
    assert asks.status_code == 200 and email in asks.text
    assert (await Account.get(id=account.id)).email_verified_at is None
    done = await client.submit(link)
    assert done.status_code == 200 and "is checked" in done.text
    assert (await Account.get(id=account.id)).email_verified_at is not None
    page = await client.get("/account")
    assert "Send a link to check this email" not in page.text
    assert (await client.submit(link)).status_code == 404


# --- the transport -------------------------------------------------------------------------------


async def test_starttls_and_login_reach_a_server_that_demands_them(tmp_path: Path, monkeypatch):
    server_tls, cert_file = certificate(tmp_path)
    monkeypatch.setattr(mail, "tls_context", lambda: ssl.create_default_context(cafile=cert_file))
    with smtp_server(tls=server_tls, user="startrip", password="s3cret-mail") as server:
        settings = Settings(
            smtp_host="127.0.0.1",
            smtp_port=server.port,
            smtp_security="starttls",
            smtp_user="startrip",
            smtp_password="s3cret-mail",
        )
        await mail.send(
            settings, "li@example.test", "你好", "明天见。\nhttps://x.test/a", "zh_Hans"
        )
        [received] = server.received
        assert received.subject == "你好" and received.text.startswith("明天见。")
        assert received.message["Content-Language"] == "zh-Hans"
        wrong = dataclasses.replace(settings, smtp_password="wrong")
        with pytest.raises(smtplib.SMTPAuthenticationError):
            await mail.send(wrong, "li@example.test", "Hi", "Text")
        # Without trusting the certificate, nothing is sent in the clear.
        monkeypatch.setattr(mail, "tls_context", ssl.create_default_context)
        with pytest.raises(ssl.SSLError):
            await mail.send(settings, "li@example.test", "Hi", "Text")
        assert len(server.received) == 1


async def test_a_server_that_fails_leaves_the_answer_alone_and_logs_no_link(
    settings, tmp_path, caplog
):
    from tests.stand_ins.smtp_server import free_port

    gone = dataclasses.replace(settings, smtp_port=free_port())
    application = create_app(gone)
    async with application.router.lifespan_context(application), Client(application) as client:
        family = await make_family()
        with caplog.at_level(logging.INFO):
            answer = await client.submit("/password/forgot", {"email": family.email})
    assert answer.status_code == 200 and SENT_RESET in answer.text
    assert "could not send an email to …@example.test" in caplog.text
    assert "/password/reset/" not in caplog.text


async def test_without_smtp_host_the_whole_message_goes_to_the_log(settings, caplog):
    development = dataclasses.replace(settings, smtp_host="")
    application = create_app(development)
    async with application.router.lifespan_context(application), Client(application) as client:
        family = await make_family()
        with caplog.at_level(logging.INFO, logger="pwa.messages"):
            answer = await client.submit("/password/forgot", {"email": family.email})
        assert answer.status_code == 200
        [record] = [r for r in caplog.records if r.name == "pwa.messages"]
        text = record.getMessage()
        assert f"To: {family.email}" in text and "Subject: Set a new Startrip password" in text
        link = re.search(r"https://startrip\.test(/password/reset/\S+)", text).group(1)
        # The link in the log works: `make run` users finish from the terminal.
        page = await client.get(link)
        assert page.status_code == 200 and family.email in page.text


def test_the_links_tokens_are_hidden_in_logs():
    assert redact_path("/password/reset/AbC-123_x") == "/password/reset/***"
    assert redact_path("/signup/confirm/AbC-123_x?x=1") == "/signup/confirm/***?x=1"
    assert redact_path("/email/check/AbC-123_x") == "/email/check/***"
    assert redact_path("/password/forgot") == "/password/forgot"


async def test_two_tabs_finishing_one_sign_up_at_once_make_one_account(client, other_client, smtp):
    await client.submit("/signup", sign_up_form("tabs@example.test"))
    link = path_of(smtp.wait_for("tabs@example.test").link("/signup/confirm/"))
    await other_client.get(link)  # the second tab has its own session and form token
    answers = await asyncio.gather(client.submit(link), other_client.submit(link))
    assert sorted(a.status_code for a in answers) == [303, 404]
    assert await Account.filter(email="tabs@example.test").count() == 1
    assert await ConsentRecord.all().count() == 1


@pytest.mark.parametrize(
    "path",
    [
        "/password/reset/x",
        "/password/reset/" + "A" * 5000,
        "/signup/confirm/%00%ff",
        "/email/check/%E4%BD%A0%E5%A5%BD",
    ],
)
async def test_a_made_up_link_is_refused_in_words(client, path):
    page = await client.get(path)
    assert page.status_code == 404 and "This link does not work" in page.text
    assert (await client.submit(path, {"password": "x", "password_again": "x"})).status_code == 404


async def test_a_very_long_new_password_is_refused_in_words(client, smtp):
    family = await make_family()
    await client.submit("/password/forgot", {"email": family.email})
    link = path_of(smtp.wait_for(family.email).link("/password/reset/"))
    long = "word " * 60
    answer = await client.submit(link, {"password": long, "password_again": long})
    assert answer.status_code == 400 and "at most 200 characters" in answer.text


@pytest.mark.parametrize("typed", ["a,b@example.test", "a<b@example.test", "(x)@example.test"])
async def test_an_address_a_mail_header_would_misread_is_refused(client, smtp, typed):
    """EMAIL_RE lets these through; a To header would read another address, or none."""
    answer = await client.submit("/signup", sign_up_form(typed))
    assert answer.status_code == 400
    assert "Write an email address like name@example.com." in answer.text
    forgot = await client.submit("/password/forgot", {"email": typed})
    assert forgot.status_code == 400
    assert smtp.received == []
