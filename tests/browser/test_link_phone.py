"""A parent links the person's phone with a one-time code; the phone sees only the person."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import axe_violations, log_in, small_targets

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_phone_links_with_the_typed_code_and_cannot_open_parent_pages(new_context, lang):
    parent = new_context(lang).new_page()
    log_in(parent, "parent@demo.test")
    parent.locator("a.card").first.click()
    person_url = parent.url
    parent.goto(f"{person_url}/phone")
    parent.locator("main form button[type=submit]").click()
    code = parent.locator(".link-code .code-text").inner_text().strip()
    assert re.fullmatch(r"[A-Z0-9]{4}-[A-Z0-9]{4}", code)
    expect(parent.get_by_role("img", name=re.compile("QR|二维码"))).to_be_visible()

    phone = new_context(lang).new_page()
    phone.goto("/link")
    phone.locator("input[name=code]").fill(code.lower())
    phone.locator("main form button[type=submit]").click()
    expect(phone.locator("main")).to_contain_text("小明 Ming")
    assert axe_violations(phone) == [] and small_targets(phone) == []
    phone.locator("main form button[type=submit]").click()
    expect(phone).to_have_url(re.compile(r"/me$"))
    expect(
        phone.get_by_role("link", name=re.compile("Call my parent|给我的家长打电话"))
    ).to_have_attribute("href", "tel:13800138000")
    assert axe_violations(phone) == [] and small_targets(phone) == []
    phone.emulate_media(reduced_motion="reduce")
    assert phone.evaluate("document.getAnimations().length") == 0
    assert phone.locator("audio[autoplay], video[autoplay]").count() == 0

    # The phone stays on the person's screens: the parents' pages answer "not allowed".
    for path in (f"{person_url}/settings", "/home", f"{person_url}/phone"):
        response = phone.goto(path)
        assert response is not None and response.status == 403, path

    # Unlinking ends the phone's session.
    parent.goto(f"{person_url}/phone")
    parent.locator("form[action*='/revoke'] button").first.click()
    phone.goto("/me")
    # Not an adult's log-in form: the page that links a phone, saying what happened.
    expect(phone).to_have_url(re.compile(r"/link$"))
    expect(phone.locator("#status")).to_contain_text(re.compile("no longer linked|不再绑定"))
