"""Ready for the shop (issue 18, item 5): before leaving, the person's start screen and the start
of a trip say whether everything the trip needs is on the phone; a picture missing from the
phone's cache is named, "Get it now" fetches it, and offline the check says what is missing
and that the trip still works without it."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import axe_violations, link_phone, log_in, small_targets

pytestmark = pytest.mark.browser

PLAN = "/plans/5a7e0000-0000-4000-8002-000000000001"
TRIP = f"{PLAN}/go"
# The demo trip's third step, in the demo's words, and its picture.
TROLLEY_STEP = "拿一个购物车或篮子。"
TROLLEY = "/openmoji/1F6D2.svg"
# The service worker fetches every screen and picture of the start screen (main.js "keep"):
# a fresh phone on a slow machine takes a few seconds.
KEEPING_MS = 30_000

WORDS = {
    "en": {
        "get": "Get it now",
        "all_me": "Everything for your trips and lists is on this phone.",
        "all_trip": "Everything for the trip is on this phone.",
        "pay": "There is no pay code on this phone yet.",
        "one_picture": "1 picture is not on this phone yet.",
        "still_go": "You can still go. Words show where a picture is missing.",
        "start": "Start the trip",
        "done": "Done",
        "step_3": "Step 3 of 8",
        "change": "Change",
        "least": "Least help: picture only",
        "save_step": "Save the step",
    },
    "zh": {
        "get": "现在下载",
        "all_me": "行程和购物清单需要的东西都在这部手机上了。",
        "all_trip": "这次行程需要的东西都在这部手机上了。",
        "pay": "这部手机上还没有付款码。",
        "one_picture": "有 1 张图片还不在这部手机上。",
        "still_go": "你还是可以出发。缺少图片的地方会显示文字。",
        "start": "开始行程",
        "done": "做完了",
        "step_3": "第 3 步，共 8 步",
        "change": "修改",
        "least": "最少帮助：只有图片",
        "save_step": "保存这一步",
    },
}

# A picture the check looks for that this screen does not show (a shown one would be fetched
# again as the page loads).
UNSHOWN_PICTURE_JS = """() => {
  const needs = JSON.parse(document.getElementById("ready-needs").textContent);
  const shown = new Set([...document.images].map(img => new URL(img.src, location.href).pathname));
  return needs.files.find(url => url.startsWith("/openmoji/") && !shown.has(url));
}"""

REMOVE_JS = """async url => {
  for (const name of await caches.keys()) await (await caches.open(name)).delete(url);
  return Boolean(await caches.match(url));
}"""


def check_screen(page: Page) -> None:
    assert axe_violations(page) == []
    assert small_targets(page) == []


def remove_a_picture(page: Page, url: str = "") -> str:
    """The picture is not on the phone: gone from the service worker's caches, and from the
    browser's own HTTP cache too (which may drop anything, any time)."""
    url = url or page.evaluate(UNSHOWN_PICTURE_JS)
    assert url, "the trip has a picture this screen does not show"
    assert page.evaluate(REMOVE_JS, url) is False
    cdp = page.context.new_cdp_session(page)
    cdp.send("Network.clearBrowserCache")
    cdp.detach()
    return url


def is_kept(page: Page, url: str) -> bool:
    return page.evaluate("async url => Boolean(await caches.match(url))", url)


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_phone_says_what_is_missing_and_gets_it(new_context, lang):
    w = WORDS[lang]
    parent = new_context(lang).new_page()
    log_in(parent, "parent@demo.test")
    context = new_context(lang)
    phone = context.new_page()
    link_phone(parent, phone)
    # The person knows how to take a trolley: that step shows its picture only.
    parent.goto(PLAN)
    parent.locator(".item-row", has_text=TROLLEY_STEP).get_by_role("link", name=w["change"]).click()
    parent.get_by_label(w["least"]).check()
    parent.get_by_role("button", name=w["save_step"]).click()

    words = phone.locator("#ready-words")
    expect(words).to_have_attribute("role", "status")
    get = phone.get_by_role("button", name=w["get"])
    # The start screen has the service worker keep every screen and picture; what is left is
    # the pay code, which the phone fetches on "Get it now".
    expect(words).to_have_text(w["pay"], timeout=KEEPING_MS)
    expect(get).to_be_visible()
    check_screen(phone)
    get.click()
    expect(words).to_have_text(w["all_me"], timeout=KEEPING_MS)
    expect(get).to_be_hidden()
    expect(phone.locator(".ready-check")).to_have_attribute("data-ready", "yes")
    check_screen(phone)

    # A picture goes from the phone; with no internet the start screen says so and that the
    # trip still works.
    picture = remove_a_picture(phone)
    context.set_offline(True)
    phone.reload()
    expect(words).to_have_text(f"{w['one_picture']} {w['still_go']}")
    expect(get).to_be_hidden()
    check_screen(phone)

    # The internet is back: "Get it now" fetches it.
    context.set_offline(False)
    expect(words).to_have_text(w["one_picture"])
    check_screen(phone)
    get.click()
    expect(words).to_have_text(w["all_me"], timeout=KEEPING_MS)
    assert is_kept(phone, picture)

    # The start of the trip: everything is there; a picture removed, the page opened again
    # online says what is missing, and "Get it now" brings it back.
    phone.goto(TRIP)
    expect(phone.get_by_role("button", name=w["start"])).to_be_visible()
    expect(words).to_have_text(w["all_trip"], timeout=KEEPING_MS)
    check_screen(phone)
    remove_a_picture(phone, TROLLEY)
    phone.reload()
    expect(words).to_have_text(w["one_picture"])
    check_screen(phone)
    get.click()
    expect(words).to_have_text(w["all_trip"], timeout=KEEPING_MS)
    assert is_kept(phone, TROLLEY)
    check_screen(phone)

    # Offline with that picture gone the trip still goes: the step that shows only its picture
    # shows its words in its place.
    remove_a_picture(phone, TROLLEY)
    context.set_offline(True)
    phone.reload()
    expect(words).to_have_text(f"{w['one_picture']} {w['still_go']}")
    phone.get_by_role("button", name=w["start"]).click()
    for _ in range(2):
        phone.get_by_role("button", name=w["done"]).click()
    expect(phone.locator("#step-count")).to_have_text(w["step_3"])
    expect(phone.locator("#step-text")).to_have_text(TROLLEY_STEP)
    expect(phone.locator("#step-text")).not_to_have_class(re.compile("visually-hidden"))
    check_screen(phone)
