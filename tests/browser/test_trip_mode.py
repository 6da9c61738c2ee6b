"""A parent makes a trip plan; the person goes through it step by step on the linked phone."""

from __future__ import annotations

import re
import time

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import axe_violations, link_phone, log_in, small_targets

pytestmark = pytest.mark.browser

WORDS = {
    "en": {
        "plans": "Trip plans",
        "new": "Make a new trip plan",
        "make": "Make the plan",
        "name": "Name of the plan (you can leave this empty)",
        "move_up": "Move up",
        "change": "Change",
        "opens": "What this step opens",
        "list_for": "Shopping list for this step",
        "open_list": "Open a shopping list",
        "save_step": "Save the step",
        "preview": "Preview as the person sees it",
        "story": "Read it as a story",
        "start": "Start the trip",
        "done": "Done",
        "count": "Step {} of 8",
        "basket": "Take a trolley or a basket.",
        "find": "Find the things on your list.",
        "my_list": "Open my shopping list",
        "back_to_trip": "Back to my trip",
        "minutes": "5 minutes left.",
        "time_up": "The time is up. Tap Done when you are ready.",
        "help": "I need help",
        "close": "Close the help card",
        "help_text": "I am autistic. Please speak slowly and show me.",
        "finished": "You did it. The trip is finished.",
        "trips": "Trips",
        "help_used": "Help card shown 1 time.",
        "how_much": "How much help",
        "least": "Least help: picture only",
    },
    "zh": {
        "plans": "行程计划",
        "new": "新建行程计划",
        "make": "建好计划",
        "name": "计划名称（可以不填）",
        "move_up": "上移",
        "change": "修改",
        "opens": "这一步要打开什么",
        "list_for": "这一步的购物清单",
        "open_list": "打开购物清单",
        "save_step": "保存这一步",
        "preview": "按本人看到的样子预览",
        "story": "像故事一样读一遍",
        "start": "开始行程",
        "done": "做完了",
        "count": "第 {} 步，共 8 步",
        "basket": "拿一个购物车或篮子。",
        "find": "找清单上的东西。",
        "my_list": "打开我的购物清单",
        "back_to_trip": "回到我的行程",
        "minutes": "还剩 5 分钟。",
        "time_up": "时间到了。准备好了就点“做完了”。",
        "help": "我需要帮助",
        "close": "关闭求助卡",
        "help_text": "我是孤独症人士。请说慢一点，做给我看。",
        "finished": "你做到了。行程结束了。",
        "trips": "行程记录",
        "help_used": "出示求助卡 1 次。",
        "how_much": "给多少帮助",
        "least": "最少帮助：只有图片",
    },
}

ONLY_OPACITY_JS = """
() => document.getAnimations().filter(a => !a.effect.getKeyframes().every(frame =>
  Object.keys(frame).every(k => ['offset', 'easing', 'composite', 'computedOffset', 'opacity']
    .includes(k)))).length
"""


OUTBOX_COUNT_JS = """async () => {
  const who = document.getElementById("sync-status").dataset.who;
  const db = await new Promise((resolve, reject) => {
    const request = indexedDB.open("startrip-" + who);
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
  const count = await new Promise((resolve) => {
    const request = db.transaction("outbox").objectStore("outbox").count();
    request.onsuccess = () => resolve(request.result);
  });
  db.close();
  return count;
}"""


def wait_until_sent(page: Page, seconds: float = 15) -> None:
    """The phone has sent every event it kept: its outbox is empty, and its line says so."""
    deadline = time.monotonic() + seconds
    while page.evaluate(OUTBOX_COUNT_JS):
        assert time.monotonic() < deadline, "the phone did not send its trip events"
        page.wait_for_timeout(100)
    expect(page.locator("#sync-status")).to_have_attribute("data-waiting", "no")


def check_screen(page: Page) -> None:
    assert axe_violations(page) == []
    assert small_targets(page) == []
    assert page.evaluate(ONLY_OPACITY_JS) == 0


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_parent_plans_and_the_person_goes_step_by_step(new_context, lang):
    w = WORDS[lang]
    name = f"Saturday trip {lang}"
    parent = new_context(lang).new_page()
    log_in(parent, "parent@demo.test")
    parent.goto("/home")
    parent.get_by_role("link", name=w["plans"]).first.click()
    check_screen(parent)
    parent.get_by_role("link", name=w["new"]).click()
    check_screen(parent)
    parent.get_by_label(w["name"]).fill(name)
    parent.get_by_role("button", name=w["make"]).click()
    expect(parent.locator("h1")).to_have_text(name)
    check_screen(parent)
    plan_url = parent.url

    # Move "take a basket" up one place, before "walk to the shop".
    basket = parent.locator(".item-row", has_text=w["basket"])
    basket.get_by_role("button", name=w["move_up"]).click()
    expect(parent.locator(".item-row").nth(1)).to_contain_text(w["basket"])

    # The person knows how to take a basket now: the least help, the picture only.
    basket.get_by_role("link", name=w["change"]).click()
    parent.get_by_label(w["least"]).check()
    parent.get_by_role("button", name=w["save_step"]).click()

    # Link the "find the items" step to the Saturday shop list.
    parent.locator(".item-row", has_text=w["find"]).get_by_role("link", name=w["change"]).click()
    check_screen(parent)
    parent.get_by_label(w["opens"]).select_option("list")
    parent.get_by_label(w["list_for"]).select_option(label="周六购物 Saturday shop")
    parent.get_by_role("button", name=w["save_step"]).click()
    expect(parent.locator(".item-row", has_text=w["find"])).to_contain_text(
        "Opens the shopping list" if lang == "en" else "打开购物清单"
    )

    parent.get_by_role("link", name=w["story"]).click()
    expect(parent.locator(".story-step")).to_have_count(8)
    check_screen(parent)
    parent.goto(plan_url)
    parent.get_by_role("link", name=w["preview"]).click()
    check_screen(parent)
    parent.get_by_role("button", name=w["start"]).click()
    expect(parent.locator("#step-count")).to_have_text(w["count"].format(1))
    check_screen(parent)

    # The person's phone.
    person = new_context(lang).new_page()
    person.clock.install()
    person.emulate_media(reduced_motion="reduce")
    link_phone(parent, person)
    person.get_by_role("link", name=name).click()
    check_screen(person)
    person.get_by_role("button", name=w["start"]).click()
    count = person.locator("#step-count")
    done = person.get_by_role("button", name=w["done"], exact=True)
    for number in range(1, 9):
        expect(count).to_have_text(w["count"].format(number))
        expect(count).to_have_attribute("aria-current", "step")
        assert done.bounding_box()["height"] >= 60
        text = person.locator("#step-text").inner_text()
        if number == 1:
            check_screen(person)
            # One-step mode (the default): nothing but the step; no preview of the next one.
            expect(person.locator("#step-next")).to_be_hidden()
            expect(person.locator("footer")).to_be_hidden()
        if text == w["basket"]:
            expect(person.locator("#step-text")).to_have_class(re.compile("visually-hidden"))
            expect(
                person.get_by_role("button", name=re.compile("Read aloud|读出来"))
            ).to_be_hidden()
        if text == w["find"]:
            person.get_by_role("link", name=w["my_list"]).click()
            expect(person.locator(".shop-card")).to_have_count(5)
            person.get_by_role("link", name=w["back_to_trip"]).click()
            expect(count).to_have_text(w["count"].format(number))
        if person.locator("#step-timer").is_visible():
            expect(person.locator("#timer-words")).to_have_text(w["minutes"])
            check_screen(person)
            person.clock.fast_forward("06:00")
            expect(person.locator("#timer-words")).to_have_text(w["time_up"])
            # The time is up, and the step stays until the person taps Done.
            expect(count).to_have_text(w["count"].format(number))
            person.get_by_role("button", name=w["help"]).click()
            dialog = person.get_by_role("dialog")
            expect(dialog).to_contain_text(w["help_text"])
            expect(
                dialog.get_by_role("link", name=re.compile("Call my parent|给我的家长打电话"))
            ).to_have_attribute("href", "tel:13800138000")
            check_screen(person)
            dialog.get_by_role("button", name=w["close"]).click()
            expect(dialog).to_be_hidden()
        done.click()
    expect(person.locator("#finish-title")).to_have_text(w["finished"])
    check_screen(person)
    wait_until_sent(person)

    # The parent's Trips page: the trip, a time for every step, and the help card.
    parent.goto("/home")
    parent.locator("a.card").first.click()
    parent.get_by_role("link", name=w["trips"], exact=True).click()
    check_screen(parent)
    parent.get_by_role("link", name=re.compile(name)).first.click()
    expect(parent.locator("main")).to_contain_text(w["help_used"])
    rows = parent.locator("table.timeline tbody tr")
    expect(rows).to_have_count(8)
    assert "Not done" not in parent.locator("table.timeline").inner_text()
    assert "没有完成" not in parent.locator("table.timeline").inner_text()
    expect(rows.filter(has_text=w["basket"])).to_contain_text(w["least"])
    check_screen(parent)
