"""Friendly vouchers in the browser: the pay screen works offline, the till takes a payment,
the family sees it, the centre imports vouchers; every money page passes the checks."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import axe_violations, link_phone, log_in, small_targets
from tests.browser.test_offline_shell import wait_for_control

# Also on the PostgreSQL run: the till's payment goes through that database's locks.
pytestmark = [pytest.mark.browser, pytest.mark.both_databases]

CODE = re.compile(r"^[A-Z2-9]{4}-[A-Z2-9]{4}$")


def check_page(page: Page) -> None:
    assert axe_violations(page) == []
    assert small_targets(page) == []


def choose_first_shop(till: Page) -> None:
    """shop@demo.test works at two shops: the till asks which one."""
    choices = till.locator("input[name=shop][type=radio]")
    if choices.count():
        choices.first.check()


def test_pay_offline_then_the_till_takes_30_of_50(new_context):
    parent = new_context("en").new_page()
    log_in(parent, "parent@demo.test")
    context = new_context("en")
    person = context.new_page()
    link_phone(parent, person)
    wait_for_control(person)
    person.get_by_role("link", name="Pay with a voucher").click()
    expect(person.locator("#pay-code")).to_have_text(CODE)
    expect(person.get_by_role("img", name="QR code to pay")).to_be_visible()
    expect(person.locator("main")).to_contain_text("I want to pay with this voucher.")
    check_page(person)
    code = person.locator("#pay-code").inner_text()

    # No network at all: the pay screen still shows the same code and its QR code.
    context.set_offline(True)
    person.reload()
    expect(person.locator("#pay-code")).to_have_text(code)
    expect(person.get_by_role("img", name="QR code to pay")).to_be_visible()
    assert person.get_by_role("img", name="QR code to pay").evaluate("img => img.naturalWidth") > 0
    context.set_offline(False)

    till = new_context("en").new_page()
    log_in(till, "shop@demo.test")
    till.get_by_role("link", name="Take a voucher payment").click()
    check_page(till)
    choose_first_shop(till)
    till.get_by_label("Code on the customer's phone").fill(code.lower())
    till.get_by_role("button", name="Look up the voucher").click()
    expect(till.locator("main")).to_contain_text("Voucher: CN¥50.00. Left on it: CN¥50.00.")
    assert "Ming" not in till.locator("main").inner_text()
    check_page(till)
    till.get_by_label("Amount to pay, in yuan").fill("30")
    till.get_by_role("button", name="Confirm the payment").click()
    expect(till.get_by_role("alert")).to_contain_text("Paid. The voucher has CN¥20.00 left.")
    check_page(till)

    # The next payment uses the next code on the phone.
    person.get_by_role("button", name="Show a new code for the next payment").click()
    expect(person.locator("#pay-code")).not_to_have_text(code)
    second = person.locator("#pay-code").inner_text()
    till.get_by_role("link", name="Take another payment").click()
    choose_first_shop(till)
    till.get_by_label("Code on the customer's phone").fill(second)
    till.get_by_role("button", name="Look up the voucher").click()
    till.get_by_label("Amount to pay, in yuan").fill("30")
    till.get_by_role("button", name="Confirm the payment").click()
    expect(till.get_by_role("alert")).to_contain_text("Not enough balance. Nothing was paid.")

    parent.goto("/home")
    parent.get_by_role("link", name="Voucher wallet").click()
    expect(parent.locator("main")).to_contain_text("CN¥20.00 left of CN¥50.00")
    expect(parent.locator("table.timeline")).to_contain_text("CN¥30.00")
    check_page(parent)


def test_centre_imports_vouchers_for_three_families(new_context, tmp_path: Path):
    page = new_context("en").new_page()
    log_in(page, "centre@demo.test")
    page.get_by_role("link", name="Give vouchers from a CSV file").click()
    check_page(page)
    rows = "".join(
        f"{code},{amount},2027-06-30\n"
        for code in ("DEMO2345", "DEMO3456", "DEMO4567")
        for amount in (40, 20)
    )
    bad = tmp_path / "bad.csv"
    bad.write_text("family_code,amount,valid_until\n" + rows + "DEMO3456,zero,2027-06-30\n")
    page.get_by_label("CSV file").set_input_files(bad)
    page.get_by_role("button", name="Check and give the vouchers").click()
    expect(page.locator("#error-file")).to_contain_text(
        "Nothing was imported. Row 8: Write an amount in yuan, like 30 or 12.50."
    )
    check_page(page)
    good = tmp_path / "good.csv"
    good.write_text("family_code,amount,valid_until\n" + rows)
    page.get_by_label("CSV file").set_input_files(good)
    page.get_by_role("button", name="Check and give the vouchers").click()
    expect(page.locator("#status")).to_contain_text("6 vouchers are given.")
    expect(page.locator("main")).to_contain_text("CN¥230.00")  # 50 + 3 × 60
    check_page(page)


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_every_money_page_passes_the_checks(new_context, lang):
    centre = new_context(lang).new_page()
    log_in(centre, "centre@demo.test")
    for path in (
        "/centre",
        "/centre/families",
        "/centre/vouchers/new",
        "/centre/import",
        "/centre/reports",
    ):
        centre.goto(path)
        check_page(centre)
    shop = new_context(lang).new_page()
    log_in(shop, "shop@demo.test")
    for path in ("/shop", "/shop/redeem", "/shop/payments", "/shop/guide", "/shops"):
        shop.goto(path)
        check_page(shop)
    shop.goto("/shop")
    shop.locator("a[href$='/edit']").first.click()
    check_page(shop)
    shop.locator("main form button[type=submit]").click()
    check_page(shop)  # the shop's page in the directory, after saving
    parent = new_context(lang).new_page()
    log_in(parent, "parent@demo.test")
    parent.goto("/shops")
    check_page(parent)
    parent.locator("main a.card").first.click()
    check_page(parent)
    parent.goto("/home")
    parent.get_by_role("link", name=re.compile("Voucher wallet|友好券钱包")).click()
    check_page(parent)
    person = new_context(lang).new_page()
    link_phone(parent, person)
    person.goto("/me/pay")
    check_page(person)
