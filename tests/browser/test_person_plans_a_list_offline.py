"""A person who may plan (the guardian's can_plan) makes a list on their linked phone with no
internet (issue 18, item 9): puts pictures on it, changes how many, takes one off, reloads and
still sees it; once online, the parent sees the list with its things, each once on the server.
A person who may not plan sees no way to do it."""

from __future__ import annotations

import re
import time

import pytest
from playwright.sync_api import Page, expect

from tests import databases
from tests.browser.conftest import axe_violations, link_phone, log_in, small_targets
from tests.browser.test_offline_shell import wait_for_control

# Also on the PostgreSQL run: the phone's changes go through push to that database.
pytestmark = [pytest.mark.browser, pytest.mark.both_databases]

WORDS = {
    "en": {
        "new": "Make a new list",
        "add": "Add things",
        "home": "Home",
        "new_lists": "My new lists, not sent yet",
        "change": "Change my list",
        "areas": "Shop areas",
        "done": "Done: see the list",
        "fruit": "Fruit and vegetables",
        "milk_area": "Milk and eggs",
        "snacks": "Snacks and sweets",
        "school": "School things",
        "apple": "Apple",
        "milk": "Milk",
        "biscuits": "Biscuits",
        "less": "One less",
        "remove": "Take off the list",
        "name": "My list",
        "added": "{label}: {n} on the list.",
        "waiting": "Saved on this phone. It will be sent when there is internet.",
        "sent": "Everything is sent.",
        "not_sent": "You can go shopping with it when it is sent.",
        "shop": "Go shopping with this list",
    },
    "zh": {
        "new": "新建清单",
        "add": "添加东西",
        "home": "首页",
        "new_lists": "我的新清单（还没发送）",
        "change": "修改我的清单",
        "areas": "商店区域",
        "done": "完成：查看清单",
        "fruit": "水果蔬菜",
        "milk_area": "牛奶鸡蛋",
        "snacks": "零食",
        "school": "文具",
        "apple": "苹果",
        "milk": "牛奶",
        "biscuits": "饼干",
        "less": "少一个",
        "remove": "从清单上拿掉",
        "name": "我的清单",
        "added": "{label}：清单上有 {n} 个。",
        "waiting": "已保存在这部手机上。有网络时会发送。",
        "sent": "全部已经发送。",
        "not_sent": "发送以后，就可以用它去购物。",
        "shop": "用这个清单去购物",
    },
}

# Every file the kept list maker names (its scripts, icons and pictures) is in the caches.
PLANNER_KEPT_JS = """async () => {
  const page = await caches.match("/me/plan");
  if (!page) return false;
  const text = await page.text();
  const named = /"(\\/(?:static|openmoji|photos)\\/[^"\\s]+)"/g;
  const files = [...text.matchAll(named)].map((m) => m[1]);
  return (await Promise.all(files.map((url) => caches.match(url)))).every(Boolean);
}"""


def wait_until_planner_kept(page: Page) -> None:
    deadline = time.monotonic() + 30
    while not page.evaluate(PLANNER_KEPT_JS):
        assert time.monotonic() < deadline, "the phone did not keep the list maker"
        page.wait_for_timeout(250)


def check_page(page: Page) -> None:
    assert axe_violations(page) == []
    assert small_targets(page) == []
    assert page.locator("main img:not([alt])").count() == 0


def set_can_plan(parent: Page, on: bool) -> None:
    parent.goto("/home")
    parent.locator("a.card").first.click()
    parent.goto(f"{parent.url}/settings")
    switch = parent.locator("input[name=can_plan]")
    switch.check() if on else switch.uncheck()
    parent.locator("main form button[type=submit]").click()
    parent.wait_for_load_state()


def tap_picture(page: Page, name: str) -> None:
    tiles = page.locator("#planner-tiles button[data-key]")
    tiles.filter(has=page.get_by_text(name, exact=True)).click()


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_person_plans_a_list_offline_and_the_parent_gets_it_once(new_context, live_server, lang):
    words = WORDS[lang]
    parent = new_context(lang).new_page()
    log_in(parent, "parent@demo.test")
    set_can_plan(parent, True)

    phone_context = new_context(lang)
    phone = phone_context.new_page()
    link_phone(parent, phone)
    wait_for_control(phone)
    # Online, the start screen only: the phone keeps the list maker and what it names.
    wait_until_planner_kept(phone)
    check_page(phone)

    phone_context.set_offline(True)
    phone.get_by_role("button", name=words["new"]).click()
    # The new list's page, made on the phone with the first thing put on it.
    phone.wait_for_url(re.compile(r"/me/plan\?list=[0-9a-f-]{36}&new=1$"))
    list_id = phone.url.split("list=", 1)[1].split("&")[0]
    expect(phone.locator("h1")).to_contain_text(words["name"])
    list_name = phone.locator("h1").inner_text()
    expect(phone.locator("#planner-empty")).to_be_visible()
    check_page(phone)

    phone.get_by_role("link", name=words["add"]).click()
    phone.get_by_role("link", name=words["fruit"]).click()
    expect(phone.locator("h1")).to_have_text(words["fruit"])
    check_page(phone)
    for n in (1, 2):
        tap_picture(phone, words["apple"])
        added = words["added"].format(label=words["apple"], n=n)
        expect(phone.locator("#status")).to_contain_text(added)
    expect(phone.locator("#sync-words")).to_have_text(words["waiting"])
    assert "new=1" not in phone.url
    for area, thing in (("milk_area", "milk"), ("snacks", "biscuits")):
        phone.get_by_role("link", name=words["areas"]).click()
        phone.get_by_role("link", name=words[area]).click()
        expect(phone.locator("h1")).to_have_text(words[area])
        tap_picture(phone, words[thing])
        expect(phone.locator("#status")).to_contain_text(
            words["added"].format(label=words[thing], n=1)
        )

    # Pictures the phone never saw are not on it: their names show instead.
    phone.get_by_role("link", name=words["areas"]).click()
    phone.get_by_role("link", name=words["school"]).click()
    expect(phone.locator("h1")).to_have_text(words["school"])
    tiles = phone.locator("#planner-tiles .tile")
    expect(tiles.first).to_be_visible()
    expect(phone.locator("#planner-tiles img[hidden]")).not_to_have_count(0)
    assert all(text.strip() for text in tiles.all_inner_texts())
    check_page(phone)

    phone.get_by_role("link", name=words["done"]).first.click()
    expect(phone.locator("h1")).to_have_text(list_name)
    expect(phone.locator("#planner-not-sent")).to_contain_text(words["not_sent"])
    apples = phone.get_by_role("img", name=f"{words['apple']} × 2")
    expect(apples.locator("img")).to_have_count(2)
    phone.locator(".item-row", has_text=words["apple"]).get_by_role(
        "button", name=words["less"]
    ).click()
    expect(phone.get_by_role("img", name=f"{words['apple']} × 1")).to_be_visible()
    biscuits = phone.locator(".item-row", has_text=words["biscuits"])
    biscuits.get_by_role("button", name=words["remove"]).click()
    expect(biscuits).to_have_count(0)
    check_page(phone)

    # Reloaded with no internet: the same list, from the phone's copy and outbox.
    phone.reload()
    expect(phone.locator("h1")).to_have_text(list_name)
    expect(phone.get_by_role("img", name=f"{words['apple']} × 1")).to_be_visible()
    expect(phone.get_by_role("img", name=f"{words['milk']} × 1")).to_be_visible()
    expect(phone.locator(".item-row")).to_have_count(2)
    expect(phone.locator("#sync-words")).to_have_text(words["waiting"])
    # The start screen, as kept before the list was made, shows it from the phone's outbox.
    phone.get_by_role("link", name=words["home"]).click()
    new_lists = phone.locator("#lists-on-phone")
    expect(new_lists.get_by_role("heading")).to_have_text(words["new_lists"])
    check_page(phone)
    new_lists.get_by_role("link", name=list_name).click()
    expect(phone.locator(".item-row")).to_have_count(2)

    # The internet is back: sent, and the list can be taken shopping.
    phone_context.set_offline(False)
    expect(phone.locator("#sync-words")).to_have_text(words["sent"])
    expect(phone.get_by_role("link", name=words["shop"])).to_be_visible()
    phone.get_by_role("link", name=words["shop"]).click()
    expect(phone.locator(".shop-card")).to_have_count(2)
    phone.get_by_role("link", name=words["change"]).click()
    expect(phone.locator("h1")).to_have_text(list_name)
    expect(phone.locator(".item-row")).to_have_count(2)

    # The parent sees the list with both things, each once, and so does the server.
    parent.goto(f"/lists/{list_id}")
    expect(parent.locator("h1")).to_have_text(list_name)
    expect(parent.get_by_role("img", name=f"{words['apple']} × 1")).to_be_visible()
    expect(parent.get_by_role("img", name=f"{words['milk']} × 1")).to_be_visible()
    expect(parent.locator(".item-row")).to_have_count(2)
    db = live_server.db_url
    assert databases.query(db, f"SELECT count(*) FROM shopping_list WHERE id = '{list_id}'") == [
        (1,)
    ]
    items = databases.query(
        db,
        f"SELECT pictogram, quantity, deleted_at IS NULL FROM list_item WHERE list_id = '{list_id}'"
        " ORDER BY pictogram",
    )
    assert sorted((code, qty, bool(kept)) for code, qty, kept in items) == [
        ("1F34E", 1, True),
        ("1F36A", 1, False),
        ("1F95B", 1, True),
    ]

    # The guardian takes planning back: the phone offers no way to plan.
    set_can_plan(parent, False)
    phone.goto("/me")
    expect(phone.get_by_role("button", name=words["new"])).to_have_count(0)
    assert phone.request.get("/me/plan").status == 403
