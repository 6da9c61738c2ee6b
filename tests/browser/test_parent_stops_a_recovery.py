"""A parent who lost both password and phone (issue 16, item 3), as the other side lives it: the
centre (1280 px) makes a recovery invitation into a family that has a parent, another account
accepts it and is told it waits 7 days, the family's parent sees who asked on the family home
(390 × 844) and stops it. English and Chinese, axe at zero and 44 px targets on every screen."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import axe_violations, log_in, small_targets

pytestmark = pytest.mark.browser

DESK = {"viewport": {"width": 1280, "height": 900}, "is_mobile": False, "has_touch": False}


def checked(page: Page) -> None:
    assert axe_violations(page) == [], page.url
    assert small_targets(page) == [], page.url


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_a_parent_sees_who_asked_through_the_centre_and_stops_it(new_context, lang: str) -> None:
    centre = new_context(lang, **DESK).new_page()
    log_in(centre, "centre@demo.test")
    centre.goto("/centre/families")
    centre.get_by_role("link", name=re.compile("Wang family")).click()
    # The demo family has a parent: the page offers only the recovery invitation, in words.
    expect(centre.locator("main")).to_contain_text(re.compile(r"7"))
    checked(centre)
    recovery = centre.locator("main form", has=centre.locator("input[name=kind][value=recovery]"))
    recovery.locator("button[type=submit]").click()
    code = centre.locator("section.invitation-sheet .code-text").inner_text().strip()
    checked(centre)

    # The demo caregiver accepts it, logged in: it waits, and says so in words.
    asking = new_context(lang).new_page()
    log_in(asking, "caregiver@demo.test")
    asking.goto("/join")
    asking.locator("input[name=code]").fill(code)
    asking.locator("main form button[type=submit]").click()
    accept = asking.locator("main form", has=asking.locator("input[name=step][value=accept]"))
    accept.locator("input[name=consent]").check()
    accept.locator("button[type=submit]").click()
    expect(asking.locator("main")).to_contain_text(re.compile(r"\d{4}"))
    checked(asking)

    # The family's parent sees who asked, through which centre, and stops it.
    parent = new_context(lang).new_page()
    log_in(parent, "parent@demo.test")
    card = parent.locator("section.recovery-request")
    expect(card).to_have_count(1)
    expect(card).to_contain_text(re.compile("Chen|陈"))
    checked(parent)
    card.locator("button[type=submit]").click()
    expect(parent.locator("#status")).to_contain_text(re.compile("Chen|陈"))
    expect(parent.locator("section.recovery-request")).to_have_count(0)
    checked(parent)
