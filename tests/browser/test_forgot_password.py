"""A parent forgot the password (issue 16, item 2): "Forgot your password?" on the log-in page,
the message arrives at a real SMTP server on this machine (tests/stand_ins/smtp_server.py), its
link sets a new password, and then the old password and every other browser that was logged in
stop working. Both languages, at 390 × 844, axe at zero and 44 px targets on every screen.
Demo passwords change here, so the module has a live server of its own."""

from __future__ import annotations

import re
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import LiveServer, axe_violations, log_in, serving, small_targets
from tests.stand_ins.smtp_server import SmtpServer, smtp_server

pytestmark = pytest.mark.browser

OLD_PASSWORD = "startrip-demo"
NEW_PASSWORD = "harbour-violin-pepper-31"
# Each language's journey resets a different demo account.
ACCOUNTS = {"en": "parent@demo.test", "zh": "caregiver@demo.test"}
WORDS = {
    "en": {
        "forgot": "Forgot your password?",
        "sent": "If this email has an account, we sent a link to it. It works for 1 hour.",
        "subject": "Set a new Startrip password",
        "common": "Many people use this password",
        "done": "Your new password is set.",
        "wrong": "The email or the password is not right.",
    },
    "zh": {
        "forgot": "忘记密码了？",
        "sent": "如果这个电子邮箱有账号，我们已经给它发了一个链接。链接1小时内有效。",
        "subject": "设置新的星途密码",
        "common": "很多人用这个密码",
        "done": "新密码已经设置好了。",
        "wrong": "电子邮箱或密码不对。",
    },
}


@pytest.fixture(scope="module")
def smtp() -> Iterator[SmtpServer]:
    with smtp_server() as server:
        yield server


@pytest.fixture(scope="module")
def live_server(tmp_path_factory: pytest.TempPathFactory, smtp: SmtpServer) -> Iterator[LiveServer]:
    """The app sending its mail to the stand-in SMTP server."""
    with serving(tmp_path_factory.mktemp("live"), extra_env=smtp.env()) as server:
        yield server


def checked(page: Page) -> None:
    assert axe_violations(page) == []
    assert small_targets(page) == []


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_a_reset_link_by_email_sets_a_new_password_and_ends_every_other_session(
    new_context, smtp: SmtpServer, lang: str
) -> None:
    email, words = ACCOUNTS[lang], WORDS[lang]
    # A browser logged in before: a phone left at work, say.
    elsewhere = new_context(lang).new_page()
    log_in(elsewhere, email, OLD_PASSWORD)
    expect(elsewhere).to_have_url(re.compile(r"/home$"))

    page = new_context(lang).new_page()
    page.goto("/login")
    checked(page)
    page.get_by_role("link", name=words["forgot"]).click()
    expect(page).to_have_url(re.compile(r"/password/forgot$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(words["forgot"])
    checked(page)
    page.locator("input[name=email]").fill(email.upper())
    page.locator("main form.form button[type=submit]").click()
    expect(page.locator("main .lead")).to_have_text(words["sent"])
    checked(page)

    message = smtp.wait_for(email)
    assert message.subject == words["subject"], "in the language of the page that asked"
    link = urlsplit(message.link("/password/reset/")).path
    page.goto(link)
    expect(page.locator("main .lead")).to_contain_text(email)
    checked(page)

    # A common password is refused beside its field, in the page's language.
    page.locator("input[name=password]").fill("12345678")
    page.locator("input[name=password_again]").fill("12345678")
    page.locator("main form.form button[type=submit]").click()
    expect(page.locator("#error-password")).to_contain_text(words["common"])
    expect(page.locator("input[name=password]")).to_have_attribute("aria-invalid", "true")
    checked(page)

    page.locator("input[name=password]").fill(NEW_PASSWORD)
    page.locator("input[name=password_again]").fill(NEW_PASSWORD)
    page.locator("main form.form button[type=submit]").click()
    # Logged in anew here, and told what happened.
    expect(page).to_have_url(re.compile(r"/home$"))
    expect(page.locator("#status")).to_contain_text(words["done"])
    checked(page)

    # The other browser is logged out at its next step.
    elsewhere.goto("/home")
    expect(elsewhere).to_have_url(re.compile(r"/login"))

    # The old password no longer opens the account; the new one does.
    third = new_context(lang).new_page()
    log_in(third, email, OLD_PASSWORD)
    expect(third.locator("#error-password")).to_have_text(words["wrong"])
    log_in(third, email, NEW_PASSWORD)
    expect(third).to_have_url(re.compile(r"/home$"))

    # The link worked once.
    page.goto(link)
    expect(page.locator("main .lead")).not_to_contain_text(email)
    expect(page.locator("main a.button-main[href='/password/forgot']")).to_be_visible()
    checked(page)
