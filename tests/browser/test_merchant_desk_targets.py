"""The merchant's desk (/merchant): every link and button is at least 44×44, also a store with
a two-character name, on a computer (1280 px) and on a phone (390 px)."""

from __future__ import annotations

import re
import uuid

from playwright.sync_api import expect

from tests.browser.conftest import log_in, small_targets

DESK = {"viewport": {"width": 1280, "height": 900}, "is_mobile": False, "has_touch": False}


def test_the_merchants_store_links_are_big_enough(new_context) -> None:
    desk = new_context("zh", **DESK).new_page()
    log_in(desk, "merchant@demo.test")
    desk.goto("/merchant")
    # A short name, in a city of its own so it is not the same store as one there already.
    desk.locator("main form.form input[name=name]").fill("新店")
    desk.locator("main form.form input[name=city]").fill(f"城{uuid.uuid4().hex[:6]}")
    desk.locator("main form.form button[type=submit]").click()
    expect(desk).to_have_url(re.compile(r"/merchant/stores/\d+$"))
    for options in (DESK, {}):
        page = new_context("zh", **options).new_page()
        log_in(page, "merchant@demo.test")
        page.goto("/merchant")
        expect(page.locator("main table a", has_text="新店").first).to_be_visible()
        assert small_targets(page) == []
