"""A parent tidies the demo list on a phone, row by row: moves a thing up, moves one down with
the keyboard, takes one off and puts it back with Undo. Each row's buttons send the page's one
form (issue 19); what the parent sees is that each button does what it says, in both
languages, with the page's checks passing after each step."""

from __future__ import annotations

import pytest
from playwright.sync_api import Locator, Page, expect

from tests.browser.conftest import log_in
from tests.browser.test_shopping_lists import DEMO_LIST, check_page

pytestmark = pytest.mark.browser

WORDS = {
    "en": {
        "up": "Move up",
        "down": "Move down",
        "off": "Take off the list",
        "undo": "Undo: put it back on the list",
    },
    "zh": {"up": "上移", "down": "下移", "off": "从清单上拿掉", "undo": "撤销：放回清单上"},
}


def an_area_with_two_rows(page: Page) -> Locator:
    for area in page.locator("section.area-group").all():
        if area.locator(".item-row").count() >= 2:
            return area
    raise AssertionError("the demo list has no area with two things")


def labels(area: Locator) -> list[str]:
    return area.locator(".item-row .item-text .label").all_inner_texts()


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_parent_moves_takes_off_and_puts_back_things(new_context, lang: str) -> None:
    words = WORDS[lang]
    page = new_context(lang).new_page()
    log_in(page, "parent@demo.test")
    page.goto(DEMO_LIST)
    check_page(page)
    area = an_area_with_two_rows(page)
    area_id = area.get_attribute("aria-labelledby")
    before = labels(area)
    first, second = before[0], before[1]

    # The second thing goes above the first. The first of an area has no Move up.
    rows = area.locator(".item-row")
    expect(rows.nth(0).get_by_role("button", name=words["up"])).to_have_count(0)
    rows.nth(1).get_by_role("button", name=words["up"]).click()
    area = page.locator(f"section[aria-labelledby='{area_id}']")
    expect(area.locator(".item-row .item-text .label").first).to_have_text(second)
    assert labels(area)[:2] == [second, first]
    check_page(page)

    # And back down again, with the keyboard.
    down = area.locator(".item-row").nth(0).get_by_role("button", name=words["down"])
    down.focus()
    page.keyboard.press("Enter")
    area = page.locator(f"section[aria-labelledby='{area_id}']")
    expect(area.locator(".item-row .item-text .label").first).to_have_text(first)
    assert labels(area) == before

    # Taken off: gone from the page, with a way to put it back.
    area.locator(".item-row", has_text=second).get_by_role("button", name=words["off"]).click()
    expect(page.get_by_role("button", name=words["undo"])).to_be_visible()
    area = page.locator(f"section[aria-labelledby='{area_id}']")
    assert second not in labels(area)
    check_page(page)
    page.get_by_role("button", name=words["undo"]).click()
    area = page.locator(f"section[aria-labelledby='{area_id}']")
    expect(area.locator(".item-row", has_text=second)).to_have_count(1)
    assert labels(area) == before
    check_page(page)
