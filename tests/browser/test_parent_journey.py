"""A parent logs in, looks at the family, and changes the person's settings, in both languages."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import axe_violations, log_in, small_targets

pytestmark = pytest.mark.browser


def test_english_login_has_labelled_fields_and_lands_on_family_home(phone):
    page = phone("en")
    page.goto("/login")
    expect(page).to_have_title(re.compile("Log in"))
    page.get_by_label("Email").fill("parent@demo.test")
    page.get_by_label("Password").fill("startrip-demo")
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(re.compile(r"/home$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Family home")
    expect(page.get_by_role("link", name="小明 Ming")).to_be_visible()


def test_wrong_password_is_said_in_words_next_to_the_field(phone):
    page = phone("en")
    page.goto("/login")
    page.get_by_label("Email").fill("parent@demo.test")
    page.get_by_label("Password").fill("not-the-password")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_text("The email or the password is not right.")).to_be_visible()
    expect(page.get_by_label("Password")).to_have_attribute("aria-invalid", "true")


# Names from the demo data (which is bilingual), brands and licence names may stay in Latin.
ALLOWED_LATIN = [
    # The account's own email address, shown on "My account" (data, not words to translate).
    "parent",
    "demo\\.test",
    "Ming",
    "Li",
    "Wang",
    "Chen",
    "Teacher",
    "The",
    "family",
    "Startrip",
    "OpenMoji",
    "openmoji\\.org",
    "English",
    "CC",
    "BY-SA",
    "Python",
    "Starlette",
    "Jinja",
    "Tortoise",
    "ORM",
    "Babel",
    "argon",
    "cffi",
    "segno",
    "QR",
    "Aixing",
    "Rehabilitation",
    "Centre",
    "Neighbourhood",
    "Supermarket",
    "Good",
    "Neighbour",
    "Convenience",
    "Store",
    "Hangzhou",
    "Dr",
    "Zhou",
    "Manager",
    "Liu",
]

VISIBLE_LATIN_JS = r"""
allowedWords => {
  // Words in Latin letters a reader would see, except names from the demo data and brands.
  const allowed = new RegExp(`^(${allowedWords.join('|')}|[A-Z0-9]{4,})$`);
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  const found = [];
  while (walker.nextNode()) {
    const node = walker.currentNode;
    const el = node.parentElement;
    if (!el || el.closest('script, [lang="en"]') || !el.getClientRects().length) continue;
    for (const word of node.textContent.match(/[A-Za-z][A-Za-z.\-]+/g) || []) {
      if (!allowed.test(word)) found.push(word);
    }
  }
  for (const el of document.querySelectorAll('[aria-label], [placeholder], img[alt], [title]')) {
    for (const attr of ['aria-label', 'placeholder', 'alt', 'title']) {
      const value = el.getAttribute(attr) || '';
      for (const word of value.match(/[A-Za-z][A-Za-z.\-]+/g) || []) {
        if (!allowed.test(word)) found.push(`${attr}:${word}`);
      }
    }
  }
  return found;
}
"""


def test_chinese_pages_have_no_english_left(phone):
    page = phone("zh")
    page.goto("/login")
    expect(page.locator("html")).to_have_attribute("lang", "zh-Hans")
    assert page.evaluate(VISIBLE_LATIN_JS, ALLOWED_LATIN) == []
    expect(page.get_by_label("电子邮箱")).to_be_visible()
    log_in(page, "parent@demo.test")
    expect(page).to_have_url(re.compile(r"/home$"))
    assert page.evaluate(VISIBLE_LATIN_JS, ALLOWED_LATIN) == []
    for path in ("/signup", "/help", "/about", "/account"):
        page.goto(path)
        assert page.evaluate(VISIBLE_LATIN_JS, ALLOWED_LATIN) == [], path


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_pages_pass_axe_and_tap_targets(phone, lang):
    page = phone(lang)
    checked = []
    for path in ("/login", "/signup", "/link", "/help"):
        page.goto(path)
        checked.append((path, axe_violations(page), small_targets(page)))
        assert page.locator("h1").count() == 1, path
    log_in(page, "parent@demo.test")
    person_link = page.locator("a.card").first
    person_link.click()
    person_url = page.url
    for path in ("/home", "/account", person_url, f"{person_url}/settings", f"{person_url}/phone"):
        page.goto(path)
        checked.append((path, axe_violations(page), small_targets(page)))
    page.get_by_role("button", name=re.compile("Show a code|显示手机绑定码")).click()
    checked.append(("code", axe_violations(page), small_targets(page)))
    problems = [(path, v, t) for path, v, t in checked if v or t]
    assert problems == []


def test_parent_changes_settings_and_they_stay_after_reload(phone):
    page = phone("en")
    log_in(page, "parent@demo.test")
    page.locator("a.card").first.click()
    page.get_by_role("link", name="Settings").click()
    page.get_by_label("Largest").check()
    page.get_by_label("High contrast").check()
    page.get_by_label("Hide prices").check()
    page.get_by_role("button", name="Save the settings").click()
    expect(page.get_by_role("status")).to_contain_text("The settings are saved.")
    page.reload()
    expect(page.get_by_label("Largest")).to_be_checked()
    expect(page.get_by_label("High contrast")).to_be_checked()
    expect(page.get_by_label("Hide prices")).to_be_checked()


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_nothing_scrolls_sideways_at_320_px_and_large_text(new_context, lang):
    page = new_context(lang, viewport={"width": 320, "height": 700}).new_page()
    log_in(page, "parent@demo.test")
    for path in ("/login", "/signup", "/home", "/help"):
        page.goto(path)
        page.evaluate("document.documentElement.style.fontSize = '200%'")
        overflow = page.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 0, path
