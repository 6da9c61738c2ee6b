"""A centre asks a family that uses Startrip already, by its family code; the parent sees the
request on the family home, accepts it, and sees the centre named there (issue 15)."""

from __future__ import annotations

import re
import uuid

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import axe_violations, log_in, small_targets

pytestmark = pytest.mark.browser

CENTRE = "爱星康复中心 Aixing Rehabilitation Centre"


def checked(page) -> None:
    assert axe_violations(page) == []
    assert small_targets(page) == []


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_a_parent_accepts_the_centres_request_on_the_family_home(new_context, lang):
    # A parent who signs up now: a family no centre knows yet.
    parent = new_context(lang).new_page()
    parent.goto("/signup")
    parent.locator("input[name=name]").fill("Zhao Lei")
    parent.locator("input[name=email]").fill(f"zhao-{uuid.uuid4().hex[:8]}@example.test")
    parent.locator("input[name=password]").fill("startrip-journey")
    parent.locator("input[name=person_name]").fill("Yu")
    parent.locator("main form button[type=submit]").click()
    expect(parent).to_have_url(re.compile(r"/home$"))
    hint = parent.locator("main p.hint", has_text=re.compile(r"[A-Z0-9]{8}"))
    code = re.search(r"[A-Z0-9]{8}", hint.inner_text()).group(0)
    expect(parent.locator("section.centre-request")).to_have_count(0)

    centre = new_context(lang).new_page()
    log_in(centre, "centre@demo.test")
    centre.goto("/centre/families")
    asking = centre.locator("main form", has=centre.locator("input[name=action][value=attach]"))
    asking.locator("input[name=code]").fill(code)
    asking.locator("button[type=submit]").click()
    expect(centre.get_by_role("status")).to_contain_text(
        re.compile("its parent will see your request|家长会看到你的邀请")
    )
    expect(centre.locator("main")).to_contain_text(code)
    checked(centre)

    # The parent's home shows the request: who asks, and what the centre would see.
    parent.goto("/home")
    card = parent.locator("section.centre-request")
    expect(card).to_have_count(1)
    expect(card.get_by_role("heading")).to_contain_text(CENTRE)
    expect(card).to_contain_text("Zhao Lei")  # the family's name, which the centre would see
    checked(parent)
    card.locator("button[value=accept]").click()
    expect(parent).to_have_url(re.compile(r"/home$"))
    expect(parent.get_by_role("status")).to_contain_text(CENTRE)
    expect(parent.locator("section.centre-request")).to_have_count(0)
    expect(parent.locator("main p.hint", has_text=CENTRE)).to_be_visible()
    checked(parent)

    # The centre now has the family, and may give it a voucher.
    centre.goto("/centre/vouchers/new")
    expect(centre.locator("select[name=family_id] option", has_text=code)).to_have_count(1)
