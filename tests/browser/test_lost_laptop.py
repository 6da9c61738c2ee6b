"""A parent who left a session open elsewhere (a lost laptop, a shared computer) changes the
password, and later logs out on every device: the other browser is logged out at once. Both
languages, axe at zero, targets of 44 px. The demo parent's password changes here, so this
journey has a live server of its own (module scope)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import axe_violations, log_in, small_targets

pytestmark = pytest.mark.browser

NEW_PASSWORD = "a-new-password-2026"


def test_parent_changes_the_password_and_the_lost_laptop_is_logged_out(phone):
    mine, lost = phone("en"), phone("zh")
    log_in(lost, "parent@demo.test")
    expect(lost).to_have_url(re.compile(r"/home$"))
    log_in(mine, "parent@demo.test")

    mine.goto("/account")
    assert axe_violations(mine) == [] and small_targets(mine) == []
    mine.get_by_role("link", name="Change the password").click()
    expect(mine.get_by_role("heading", level=1)).to_have_text("Change the password")
    assert axe_violations(mine) == [] and small_targets(mine) == []
    # A wrong current password is said in words next to its field; nothing changes.
    mine.get_by_label("Your password now").fill("not-it")
    mine.get_by_label("New password", exact=True).fill(NEW_PASSWORD)
    mine.get_by_label("New password again").fill(NEW_PASSWORD)
    mine.get_by_role("button", name="Change the password").click()
    expect(mine.get_by_text("This is not your password now.")).to_be_visible()
    assert axe_violations(mine) == []
    mine.get_by_label("Your password now").fill("startrip-demo")
    mine.get_by_label("New password", exact=True).fill(NEW_PASSWORD)
    mine.get_by_label("New password again").fill(NEW_PASSWORD)
    mine.get_by_role("button", name="Change the password").click()
    expect(mine.get_by_text("Every other device is logged out.")).to_be_visible()

    # The other browser, in Chinese, is on the log-in page at its next step.
    lost.goto("/home")
    expect(lost).to_have_url(re.compile(r"/login"))
    expect(lost.get_by_role("heading", level=1)).to_have_text("登录")

    # Log in there again with the new password, then end every session from here.
    log_in(lost, "parent@demo.test", NEW_PASSWORD)
    expect(lost).to_have_url(re.compile(r"/home$"))
    lost.goto("/account")
    assert axe_violations(lost) == [] and small_targets(lost) == []
    mine.goto("/account")
    mine.get_by_role("button", name="Log out on every device").click()
    expect(mine).to_have_url(re.compile(r"/login"))
    expect(mine.get_by_text("You are logged out on every device.")).to_be_visible()
    lost.goto("/home")
    expect(lost).to_have_url(re.compile(r"/login"))


def test_the_password_page_in_chinese(phone):
    page = phone("zh")
    log_in(page, "caregiver@demo.test")
    page.goto("/account/password")
    expect(page.get_by_role("heading", level=1)).to_have_text("修改密码")
    assert axe_violations(page) == [] and small_targets(page) == []
