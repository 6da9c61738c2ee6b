"""A parent signs up with a mobile number: the code arrives from the stand-in SMS provider (the
app's Alibaba Cloud adapter sends it there, checked as the service would), typing it makes the
account; later, on another browser, a new code logs them in again (issue 16, item 1)."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import LiveServer, axe_violations, serving, small_targets
from tests.stand_ins import sms_provider
from tests.stand_ins.sms_provider import StandInSms

pytestmark = pytest.mark.browser

NUMBERS = {"en": "13700000011", "zh": "13700000022"}


@pytest.fixture(scope="module")
def stand_in() -> Iterator[StandInSms]:
    with sms_provider.running() as server:
        yield server


@pytest.fixture(scope="module")
def live_server(
    tmp_path_factory: pytest.TempPathFactory, stand_in: StandInSms
) -> Iterator[LiveServer]:
    """The app with SMS_PROVIDER=aliyun, sending to the stand-in provider."""
    with serving(tmp_path_factory.mktemp("live"), extra_env=stand_in.env()) as server:
        yield server


def spaced(number: str) -> str:
    return f"{number[:3]} {number[3:7]} {number[7:]}"


def checked(page: Page) -> None:
    assert axe_violations(page) == []
    assert small_targets(page) == []


def type_code(page: Page, code: str) -> None:
    field = page.locator("input[name=code]")
    # The phone offers the digits keypad and the code from the SMS itself.
    expect(field).to_have_attribute("autocomplete", "one-time-code")
    expect(field).to_have_attribute("inputmode", "numeric")
    field.fill(code)
    page.locator("main form.form button[type=submit]").click()


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_a_parent_signs_up_with_a_mobile_number_and_logs_in_again_elsewhere(
    new_context, stand_in: StandInSms, lang: str
) -> None:
    number = NUMBERS[lang]
    page = new_context(lang).new_page()
    page.goto("/signup")
    page.locator("main a[href='/signup/mobile']").click()
    expect(page).to_have_url(re.compile(r"/signup/mobile$"))
    number_field = page.locator("input[name=number]")
    expect(number_field).to_have_attribute("autocomplete", "tel")
    checked(page)

    page.locator("input[name=name]").fill("Li Hua")
    number_field.fill(f"+86 {number[:3]}-{number[3:7]}-{number[7:]}")
    page.locator("input[name=person_name]").fill("Ming")
    page.locator("label.choice:has(input[name=consent])").click()
    page.locator("main form.form button[type=submit]").click()

    expect(page.locator("main .lead")).to_contain_text(spaced(number))
    # No time pressure: the page says how long the code works and offers a new one.
    expect(page.locator("main")).to_contain_text("10")
    expect(page.locator("main form:not(.form) button[type=submit]")).to_be_visible()
    checked(page)
    assert stand_in.codes_to(number), "the stand-in provider took the adapter's request"
    type_code(page, stand_in.last_code(number))

    expect(page).to_have_url(re.compile(r"/home$"))
    expect(page.locator("main")).to_contain_text("Ming")
    checked(page)
    page.goto("/account")
    expect(page.locator("main")).to_contain_text(spaced(number))
    checked(page)

    # Later, another browser: log in with a new code sent to the same number.
    other = new_context(lang).new_page()
    other.goto("/login")
    other.locator("main a[href^='/login/mobile']").click()
    checked(other)
    other.locator("input[name=number]").fill(number)
    other.locator("main form.form button[type=submit]").click()
    expect(other.locator("main .lead")).to_contain_text(spaced(number))
    checked(other)
    codes_before = len(stand_in.codes_to(number))
    assert codes_before == 2
    type_code(other, stand_in.last_code(number))
    expect(other).to_have_url(re.compile(r"/home$"))
    expect(other.locator("main")).to_contain_text("Ming")

    # The code the second browser used, typed again on a third: it opens nothing.
    third = new_context(lang).new_page()
    third.goto("/login/mobile")
    third.locator("input[name=number]").fill(number)
    third.locator("main form.form button[type=submit]").click()
    type_code(third, stand_in.codes_to(number)[1])
    expect(third.locator("#error-code")).to_be_visible()
    expect(third).to_have_url(re.compile(r"/login/mobile$"))
    checked(third)
