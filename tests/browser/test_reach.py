"""The programme's reach page in the browser (issue 17): programme staff read it in English and
Chinese at a phone's width (390 px) and a desk's (1280 px); axe finds nothing, every control is
44 px, the page never scrolls sideways (wide tables scroll in their own region), a count under 5
draws no bar, and the month picker shows another month."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import axe_violations, log_in, small_targets

pytestmark = pytest.mark.browser

DESK = {"viewport": {"width": 1280, "height": 900}, "is_mobile": False, "has_touch": False}


@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize("width", [390, 1280])
def test_programme_staff_read_the_reach_page(new_context, lang, width):
    page = new_context(lang, **(DESK if width == 1280 else {})).new_page()
    log_in(page, "programme@demo.test")
    page.goto("/programme/reach")
    for table in ("city-families", "city-vouchers", "centre-families", "centre-vouchers"):
        expect(page.locator(f"#caption-{table}")).to_be_visible()
    expect(page.locator("#caption-merchants")).to_be_visible()
    expect(page.locator("figure#chart-active svg")).to_be_visible()
    assert axe_violations(page) == []
    assert small_targets(page) == []
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    # A bar for every city with 5 families or more with a trip; the others say so in words.
    bars = page.locator("figure#chart-active rect.chart-bar").count()
    rows = page.locator("figure#chart-active text.chart-label").count()
    words = page.locator("figure#chart-active text.chart-none").count()
    assert rows >= 1 and bars + words == rows

    page.locator("input[name=month]").fill("2026-09")
    page.locator("form.reach-month button[type=submit]").click()
    page.wait_for_load_state()
    assert "month=2026-09" in page.url
    expect(page.locator("#caption-city-families")).to_contain_text(
        "September 2026" if lang == "en" else "2026年9月"
    )
    assert axe_violations(page) == []
