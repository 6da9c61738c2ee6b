"""Following the trips in the browser (issue 7): the caregiver reads Ming's history, a trip's
timeline, the progress charts and the care record; the parent sees the step the phone is on
while the trip goes on; the person is asked how they feel, and may go on without choosing."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import axe_violations, link_phone, log_in, small_targets
from tests.browser.test_trip_mode import wait_until_sent

pytestmark = pytest.mark.browser

WORDS = {
    "en": {
        "trips": "Trips",
        "progress": "Progress",
        "care": "Care record to print",
        "chart": "Steps done without the help card, each trip",
        "summary": re.compile(r"On \d+ \w+ 小明 Ming did 8 of 8 steps alone\."),
        "note": "No help card at all this time.",
        "print": "Print",
    },
    "zh": {
        "trips": "行程记录",
        "progress": "进步情况",
        "care": "打印关爱档案",
        "chart": "每次行程中不用求助卡完成的步骤",
        "summary": re.compile(r"\d+月\d+日，小明 Ming 在 8 步中独立完成了 8 步。"),
        "note": "这次全程没用求助卡。",
        "print": "打印",
    },
}


def check(page) -> None:
    assert axe_violations(page) == []
    assert small_targets(page) == []


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_caregiver_reads_history_timeline_progress_and_care_record(new_context, lang):
    w = WORDS[lang]
    page = new_context(lang).new_page()
    log_in(page, "caregiver@demo.test")
    page.locator("a.card").first.click()
    page.get_by_role("link", name=w["trips"], exact=True).click()
    expect(page.locator("main .rows .row")).to_have_count(12)
    check(page)
    page.locator("main .rows .row a").first.click()
    expect(page.locator("main")).to_contain_text(w["note"])
    expect(page.locator("table.timeline tbody tr")).to_have_count(8)
    check(page)
    # A caregiver may add a note, and nothing else: no edit, settings change, wallet or pay.
    expect(page.locator("main form textarea, main form input[name=text]")).to_have_count(1)

    page.go_back()
    page.get_by_role("link", name=w["progress"]).click()
    expect(page.locator(".summary")).to_have_text(w["summary"])
    chart = page.locator("figure#steps-alone")
    expect(chart.locator("h2")).to_have_text(w["chart"])
    expect(chart.locator("rect.chart-bar")).to_have_count(10)
    expect(chart.locator("table tbody tr")).to_have_count(10)
    expect(chart.locator("table tbody tr").last).to_contain_text("100 %")
    check(page)

    page.get_by_role("link", name=w["care"]).click()
    expect(page.get_by_role("button", name=w["print"])).to_be_visible()
    expect(page.locator(".care-trip")).to_have_count(12)
    check(page)
    page.emulate_media(media="print")
    expect(page.locator("header.top")).to_be_hidden()
    expect(page.get_by_role("button", name=w["print"])).to_be_hidden()


def test_the_parent_sees_the_step_and_the_person_is_asked_how_they_feel(new_context):
    parent = new_context("en").new_page()
    log_in(parent, "parent@demo.test")
    phone = new_context("en").new_page()
    link_phone(parent, phone)
    # The parent turns the feelings check on.
    parent.goto("/home")
    parent.locator("a.card").first.click()
    parent.get_by_role("link", name="Settings").click()
    parent.get_by_label(re.compile("Ask how they feel")).check()
    parent.locator("main form.form button[type=submit]").click()
    parent.wait_for_load_state()

    # The parent's Trips page, before the trip: nothing going on. It looks again every 20 s.
    parent.clock.install()
    parent.goto("/home")
    parent.locator("a.card").first.click()
    parent.get_by_role("link", name="Trips", exact=True).click()
    expect(parent.locator("#live-text")).to_have_text("No trip is going on now.")

    phone.goto("/plans/5a7e0000-0000-4000-8002-000000000001/go")
    phone.get_by_role("button", name="Start the trip").click()
    expect(phone.locator("#feeling-question")).to_have_text("How do you feel before the trip?")
    check(phone)
    phone.get_by_role("button", name="Calm").click()
    expect(phone.locator("#step-count")).to_have_text("Step 1 of 8")
    for _ in range(2):
        phone.get_by_role("button", name="Done").click()
    phone.get_by_role("button", name="I need help").click()
    phone.get_by_role("button", name="Close the help card").click()
    wait_until_sent(phone)

    parent.clock.run_for(21_000)
    expect(parent.locator("#live-text")).to_contain_text(
        "小明 Ming is on step 3 of 8: 拿一个购物车或篮子。"
    )
    expect(parent.locator("#live-text")).to_contain_text("Help card shown 1 time.")
    check(parent)
    parent.get_by_role("link", name="Open the trip going on now").click()
    expect(parent.locator("main")).to_contain_text("Before the trip: Calm")

    # At the end the person may go on without choosing: the finish screen comes anyway.
    for _ in range(6):
        phone.get_by_role("button", name="Done").click()
    expect(phone.locator("#feeling-question")).to_have_text("How do you feel now, after the trip?")
    phone.get_by_role("button", name="Go on without choosing").click()
    expect(phone.locator("#finish-title")).to_have_text("You did it. The trip is finished.")
