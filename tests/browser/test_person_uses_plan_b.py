"""Plan B (issue 18, item 3): the parent chooses "take another item" for a thing on the list; in
the shop, with no internet, the person taps "I can't find it", sees the other item at once and
takes it; back online, the phone sends it and the parent's trip record says which plan B was
used. Also item 1: the shopping view says once what a tap on the picture does."""

from __future__ import annotations

import re
import time

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import axe_violations, link_phone, log_in, small_targets
from tests.browser.test_trip_mode import wait_until_sent

pytestmark = pytest.mark.browser

DEMO_LIST = "/lists/5a7e0000-0000-4000-8000-000000000001"
DEMO_PLAN = "去超市 Supermarket trip"
WORDS = {
    "en": {
        "item": "Milk",
        "search": "yoghurt",
        "other": "Yogurt",
        "other_code": "1F963",
        "change": "Change",
        "choose": "Choose the other item",
        "find": "Find a picture by its name",
        "search_button": "Search",
        "saved": "Plan B is saved: take Yogurt instead.",
        "take_other": "Take another item",
        "start": "Start the trip",
        "tap_hint": "Tap the picture when it is in your basket.",
        "open": "Not in the basket yet",
        "cannot": "I can't find it",
        "take_this": "Take this instead",
        "took": "I took this instead",
        "not_found": "Not found",
        "used": "You took Yogurt instead.",
        "status": "Milk: you took Yogurt instead.",
        "trips": "Trips",
        "record": "Milk: not found — took Yogurt instead.",
        "untick": "Untick everything for the next trip",
        "save": "Save",
        "ask_item": "Apple",
        "ask": "Ask the staff",
        "where": "Where is Apple?",
        "found": "I have it now",
        "basket": "In the basket",
        "asked": "You asked the staff.",
        "ask_record": "Apple: asked the staff, then found it.",
        "leave_item": "Eggs",
        "leave": "Leave it",
        "left": "Leave it. That is OK.",
        "left_status": "Eggs is not there. Leave it. That is OK.",
        "leave_record": "Eggs: not found — left it.",
    },
    "zh": {
        "item": "面包",
        "search": "饼干",
        "other": "饼干",
        "other_code": "1F36A",
        "change": "修改",
        "choose": "选择另一件东西",
        "find": "按名称找图片",
        "search_button": "搜索",
        "saved": "备用办法已保存：改拿饼干。",
        "take_other": "拿另一件东西",
        "start": "开始行程",
        "tap_hint": "东西放进篮子后，点一下它的图片。",
        "open": "还没放进篮子",
        "cannot": "我找不到",
        "take_this": "改拿这个",
        "took": "我拿了这个",
        "not_found": "没找到",
        "used": "你改拿了饼干。",
        "status": "面包：你改拿了饼干。",
        "trips": "行程记录",
        "record": "面包：没找到，改拿了饼干。",
        "untick": "为下一次行程取消全部勾选",
        "save": "保存",
        "ask_item": "苹果",
        "ask": "问店员",
        "where": "苹果在哪里？",
        "found": "我找到了",
        "basket": "已放进篮子",
        "asked": "你问了店员。",
        "ask_record": "苹果：问了店员，然后找到了。",
        "leave_item": "鸡蛋",
        "leave": "不要了",
        "left": "不要了。没关系。",
        "left_status": "鸡蛋没有。不要了。没关系。",
        "leave_record": "鸡蛋：没找到，不要了。",
    },
}

CACHED_JS = "async (url) => Boolean(await caches.match(url))"


def check_page(page: Page) -> None:
    assert axe_violations(page) == []
    assert small_targets(page) == []
    assert page.locator("main img:not([alt])").count() == 0


def wait_until_cached(page: Page, url: str) -> None:
    """The phone keeps the other item's picture while it is online (the service worker)."""
    deadline = time.monotonic() + 15
    while not page.evaluate(CACHED_JS, url):
        assert time.monotonic() < deadline, f"the phone did not keep {url}"
        page.wait_for_timeout(100)


def shown_box(locator) -> dict[str, float]:
    """The element's box once it is on the screen (None from Playwright while it is not)."""
    deadline = time.monotonic() + 10
    while (box := locator.bounding_box()) is None:
        assert time.monotonic() < deadline, "the element was not shown"
        time.sleep(0.1)
    return box


def item_row(page: Page, label: str):
    return page.locator(".item-row", has=page.locator(".label", has_text=re.compile(f"^{label}$")))


def shop_card(page: Page, label: str):
    return page.locator(".shop-card", has=page.locator(".label", has_text=re.compile(f"^{label}$")))


def choose_plan_b(parent: Page, w: dict[str, str], item: str, choice: str) -> None:
    """On the item's page, "If it is not there": one of the choices, saved."""
    parent.goto(DEMO_LIST)
    item_row(parent, item).get_by_role("link", name=w["change"]).click()
    parent.get_by_label(choice, exact=True).check()
    parent.get_by_role("button", name=w["save"], exact=True).click()
    expect(parent.locator("h1")).not_to_contain_text(item)


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_offline_the_person_takes_the_other_item_and_the_trip_record_says_so(new_context, lang):
    w = WORDS[lang]
    parent = new_context(lang).new_page()
    log_in(parent, "parent@demo.test")

    # A list ready for the next trip: nothing ticked from the trips before.
    parent.goto(DEMO_LIST)
    parent.get_by_role("button", name=w["untick"]).click()
    # The parent: on the item's page, "If it is not there" → take another item, by its picture.
    item_row(parent, w["item"]).get_by_role("link", name=w["change"]).click()
    check_page(parent)
    parent.get_by_role("link", name=w["choose"]).click()
    check_page(parent)
    parent.get_by_label(w["find"]).fill(w["search"])
    parent.get_by_role("button", name=w["search_button"]).click()
    parent.locator(
        "main .tile", has=parent.locator(".label", has_text=re.compile(f"^{w['other']}$"))
    ).click()
    expect(parent.locator("#status")).to_contain_text(w["saved"])
    expect(parent.get_by_label(w["take_other"])).to_be_checked()
    check_page(parent)
    # Two more: ask the staff, and leave it.
    choose_plan_b(parent, w, w["ask_item"], w["ask"])
    choose_plan_b(parent, w, w["leave_item"], w["leave"])

    # The person's phone: the trip starts, the shopping view says once what a tap does.
    person = new_context(lang).new_page()
    link_phone(parent, person)
    person.get_by_role("link", name=DEMO_PLAN).click()
    person.get_by_role("button", name=w["start"]).click()
    expect(person.locator("#step-count")).to_be_visible()
    person.goto(f"{DEMO_LIST}/shop")
    expect(person.get_by_text(w["tap_hint"])).to_have_count(1)
    card = shop_card(person, w["item"])
    expect(card).to_contain_text(w["open"])
    # The picture area looks like a button (a border and a shadow) and is at least 60 px high.
    tick = card.locator(".tick")
    # The phone draws the cards again from its own copy once its script has read it: the
    # size is measured on the card as shown then (bounding_box is None while it is redrawn).
    expect(tick).to_be_visible()
    assert shown_box(tick)["height"] >= 60
    assert tick.evaluate("el => getComputedStyle(el).boxShadow") != "none"
    assert tick.evaluate("el => getComputedStyle(el).borderTopStyle") == "solid"
    check_page(person)
    wait_until_sent(person)
    wait_until_cached(person, f"/openmoji/{w['other_code']}.svg")

    # No internet in the shop: "I can't find it" shows plan B in one step.
    person.context.set_offline(True)
    card.get_by_role("button", name=w["cannot"]).click()
    dialog = person.get_by_role("dialog", name=w["take_this"])
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text(w["other"])
    picture = dialog.locator("[data-mode=other] img.plan-b-picture")
    expect(picture).to_be_visible()
    assert picture.evaluate("img => img.complete && img.naturalWidth > 0")
    check_page(person)
    dialog.get_by_role("button", name=w["took"]).click()
    expect(dialog).to_be_hidden()
    expect(card).to_contain_text(w["not_found"])
    expect(card).to_contain_text(w["used"])
    expect(person.locator("#status")).to_contain_text(w["status"])
    expect(person.locator("#sync-status")).to_have_attribute("data-waiting", "yes")
    check_page(person)
    # Ask the staff: the card to show, with the item's picture; the staff helped find it.
    apple = shop_card(person, w["ask_item"])
    apple.get_by_role("button", name=w["cannot"]).click()
    ask = person.get_by_role("dialog", name=w["ask"])
    expect(ask).to_contain_text(w["where"])
    expect(ask.locator("[data-mode=ask] img.plan-b-picture")).to_be_visible()
    check_page(person)
    ask.get_by_role("button", name=w["found"]).click()
    expect(ask).to_be_hidden()
    expect(apple).to_contain_text(w["basket"])
    expect(apple).to_contain_text(w["asked"])
    # Leave it: said, and on with the list, no card in between.
    eggs = shop_card(person, w["leave_item"])
    eggs.get_by_role("button", name=w["cannot"]).click()
    expect(person.locator("#status")).to_contain_text(w["left_status"])
    expect(eggs).to_contain_text(w["left"])
    expect(person.get_by_role("dialog")).to_have_count(0)

    # Online again: the phone sends it; the parent's trip record says which plan B was used.
    person.context.set_offline(False)
    wait_until_sent(person)
    parent.goto("/home")
    parent.locator("a.card").first.click()
    parent.get_by_role("link", name=w["trips"], exact=True).click()
    parent.get_by_role("link", name=re.compile(DEMO_PLAN)).first.click()
    for words in (w["record"], w["ask_record"], w["leave_record"]):
        expect(parent.locator("main")).to_contain_text(words)
    check_page(parent)
