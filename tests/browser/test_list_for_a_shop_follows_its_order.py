"""A friendly shop's staff put an area earlier in their shop's order and add a photo of it; a
parent makes a list for that shop; on the person's phone, also with no internet, the shopping
view shows the areas in the shop's order with the shop's photo (issue 18, item 4)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import link_phone, log_in
from tests.browser.desk import checked, jpeg
from tests.browser.test_offline_shell import wait_for_control
from tests.browser.test_offline_sync import wait_until_kept

pytestmark = pytest.mark.browser

SHOP = "邻里超市 Neighbourhood Supermarket"
# Each language moves its own area up past the one before it in the demo shop's order
# (pwa/demo_shop.py), so the list shows an order that is not the catalogue's.
CASES = {
    "en": {"moved": "personal_care", "before": "household"},
    "zh": {"moved": "snacks", "before": "drinks"},
}
WORDS = {
    "en": {
        "areas": "The order of our areas",
        "up": "Move up",
        "add_photo": "Add a photo",
        "save_photo": "Save the photo",
        "order_saved": "The order is saved.",
        "photo_saved": "The photo of the area is saved.",
        "has_photo": "Has a photo.",
        "lists": "Shopping lists",
        "new_list": "Make a new list",
        "name": "Name of the list",
        "shop": "Shop (you can leave this empty)",
        "save_list": "Save the list",
    },
    "zh": {
        "areas": "我们的区域顺序",
        "up": "上移",
        "add_photo": "添加照片",
        "save_photo": "保存照片",
        "order_saved": "顺序已保存。",
        "photo_saved": "区域的照片已保存。",
        "has_photo": "有照片。",
        "lists": "购物清单",
        "new_list": "新建清单",
        "name": "清单名称",
        "shop": "商店（可以不填）",
        "save_list": "保存清单",
    },
}
DESK_SIZE = {"width": 1280, "height": 900}
PHONE_SIZE = {"width": 390, "height": 844}


def area_order(page: Page) -> list[str]:
    return [
        (row.get_attribute("id") or "").removeprefix("area-")
        for row in page.locator("ol.area-rows > li").all()
    ]


def checked_at_both_widths(page: Page) -> None:
    """A desk page on the staff's phone and on the shop's computer."""
    checked(page)
    page.set_viewport_size(DESK_SIZE)
    checked(page)
    page.set_viewport_size(PHONE_SIZE)


def staff_move_up_and_add_a_photo(page: Page, lang: str) -> None:
    words, case = WORDS[lang], CASES[lang]
    log_in(page, "shop@demo.test")
    page.goto("/shop")
    page.locator("section.panel", has_text=SHOP).get_by_role("link", name=words["areas"]).click()
    checked_at_both_widths(page)
    before = area_order(page)
    at = before.index(case["moved"])
    assert before[at - 1] == case["before"]

    page.locator(f"#area-{case['moved']}").get_by_role("button", name=words["up"]).click()
    expect(page.locator("#status")).to_contain_text(words["order_saved"])
    after = [*before[: at - 1], case["moved"], case["before"], *before[at + 1 :]]
    assert area_order(page) == after

    page.locator(f"#area-{case['moved']}").get_by_role("link", name=words["add_photo"]).click()
    checked_at_both_widths(page)
    page.locator("input[type=file][name=photo]").set_input_files(
        {"name": "area.jpg", "mimeType": "image/jpeg", "buffer": jpeg()}
    )
    page.get_by_role("button", name=words["save_photo"]).click()
    expect(page.locator("#status")).to_contain_text(words["photo_saved"])
    expect(page.locator(f"#area-{case['moved']}")).to_contain_text(words["has_photo"])
    checked(page)


def parent_makes_a_list_for_the_shop(page: Page, lang: str) -> str:
    """A list for Ming at the shop, with one thing from each of the two areas; its id."""
    words, case = WORDS[lang], CASES[lang]
    log_in(page, "parent@demo.test")
    page.goto("/home")
    page.get_by_role("link", name=words["lists"]).click()
    page.get_by_role("link", name=re.compile(words["new_list"])).click()
    page.get_by_label(words["name"]).fill(f"{SHOP} {lang}")
    shop_choice = page.get_by_label(words["shop"])
    # The friendly shops of the directory, as families see them.
    shop_choice.select_option(label=f"{SHOP} · 石家庄")
    checked(page)
    page.get_by_role("button", name=words["save_list"]).click()
    page.wait_for_url(re.compile(r"/lists/[0-9a-f-]{36}/add"))
    list_id = page.url.split("/")[4]
    # The catalogue's order puts `before` first; the shop's puts `moved` first.
    for area in (case["before"], case["moved"]):
        page.goto(f"/lists/{list_id}/add?area={area}")
        page.locator("main button.tile").first.click()
        page.wait_for_load_state()
    return list_id


def shown_areas(page: Page) -> list[str]:
    return page.locator("#shopping-items > section.area-group").evaluate_all(
        "sections => sections.map((s) => s.dataset.area)"
    )


def photo_of(page: Page, area: str):
    return page.locator(f'#shopping-items > section[data-area="{area}"] img.area-photo')


def sees_the_shops_order_and_photo(page: Page, lang: str) -> None:
    case = CASES[lang]
    expect(page.locator("#shopping-items > section.area-group")).to_have_count(2)
    assert shown_areas(page) == [case["moved"], case["before"]]
    photo = photo_of(page, case["moved"])
    expect(photo).to_be_visible()
    expect(photo).to_have_attribute("src", re.compile(r"^/photos/shops/\d+/[0-9a-f]{32}\.jpg$"))
    # The photo is there to see, not a broken picture.
    photo.evaluate("img => img.decode()")
    assert photo.evaluate("img => img.naturalWidth") > 0
    checked(page)


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_a_list_for_a_shop_follows_its_order_with_its_photos(new_context, lang: str) -> None:
    staff = new_context(lang).new_page()
    staff_move_up_and_add_a_photo(staff, lang)

    parent = new_context(lang).new_page()
    list_id = parent_makes_a_list_for_the_shop(parent, lang)

    phone_context = new_context(lang)
    phone = phone_context.new_page()
    link_phone(parent, phone)
    wait_for_control(phone)
    # The start screen has the phone keep the list's screen and the files it names.
    wait_until_kept(phone)
    phone.goto(f"/lists/{list_id}/shop")
    sees_the_shops_order_and_photo(phone, lang)
    photo_url = photo_of(phone, CASES[lang]["moved"]).get_attribute("src")
    phone.wait_for_function("url => caches.match(url).then(Boolean)", arg=photo_url)

    # No internet: the phone's copy shows the same order and the same photo.
    phone_context.set_offline(True)
    phone.reload()
    sees_the_shops_order_and_photo(phone, lang)
