"""The programme runs a month (issue 17, PRODUCT.md journey 8), in both languages: programme
staff (a computer, 1280 px) invite a centre in 邯郸 and a merchant's admin; the admin invites a
store's staff; the store's staff (a phone) fill in the store's page and confirm the checklist;
the programme approves the store and a family sees it in the directory; the programme gives the
centre a budget; the centre asks the demo family to join and runs next month's batch (a second
run gives nothing). Next month the person's phone pays at the store. The month after, the
programme makes that month's statement, which lists the payment, and marks it paid, and the
merchant's admin sees it paid. Axe at zero, 44 px targets and no sideways scrolling on every
page.

The server is started again with its clock at the next month and the month after (CLOCK_AT):
a voucher of next month cannot be spent today, and a statement is made only for a month that
has ended."""

from __future__ import annotations

import asyncio
import re
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Page, expect

from tests import databases
from tests.browser.conftest import LiveServer, link_phone, log_in
from tests.browser.desk import DESK, PASSWORD, checked, invitation_link, join_as_new, jpeg

pytestmark = pytest.mark.browser

CHINA = ZoneInfo("Asia/Shanghai")
WORDS = {
    "batch_given": {"en": "1 voucher of CN¥50.00 is given for", "zh": "已发 1 张"},
    "nothing_more": {"en": "Nothing was given: every family has its voucher", "zh": "什么都没有发"},
    "paid_at_till": {
        "en": "Paid. The voucher has CN¥30.00 left.",
        "zh": "付款成功。友好券还剩 ¥30.00。",
    },
    "friendly_since": {"en": "Friendly shop since", "zh": "起为爱星友好商家"},
    "paid": {"en": "Paid on", "zh": "已于"},
}


def first_of_next_month(day: date) -> date:
    return (day.replace(day=1) + timedelta(days=32)).replace(day=1)


def at_ten(day: date) -> str:
    """10:00 in China on that day, as CLOCK_AT takes it."""
    return datetime.combine(day, time(10), tzinfo=CHINA).isoformat()


def restart(server: LiveServer, clock_at: str | None) -> None:
    """The same server (port, data, database) started again with its clock at clock_at."""
    server.stop()
    server.extra_env.pop("CLOCK_AT", None)
    if clock_at:
        server.extra_env["CLOCK_AT"] = clock_at
    server.start()


@pytest.fixture
def server(live_server: LiveServer) -> Iterator[LiveServer]:
    restart(live_server, None)
    yield live_server
    restart(live_server, None)


def make_invitation(page: Page, label: str) -> str:
    page.locator("input[name=label]").fill(label)
    page.locator("main form", has=page.locator("input[name=label]")).locator(
        "button[type=submit]"
    ).click()
    expect(page.locator(".qr")).to_be_visible()
    checked(page)
    return invitation_link(page)


def add_organisation(desk: Page, kind: str, name: str, city: str = "") -> None:
    desk.goto("/programme/organisations")
    adding = desk.locator("main form", has=desk.locator(f"input[name=kind][value={kind}]"))
    adding.locator("input[name=name]").fill(name)
    if city:
        adding.locator("input[name=city]").fill(city)
    adding.locator("button[type=submit]").click()
    expect(desk).to_have_url(re.compile(r"/programme/organisations/\d+$"))
    checked(desk)


def batch_voucher_of_demo_family(server: LiveServer, centre_name: str) -> str:
    query = databases.fetch(
        server.db_url,
        "select v.id from voucher v join family f on f.id = v.family_id "
        "join organisation o on o.id = v.centre_id "
        f"where f.code = 'DEMO2345' and o.name = '{centre_name}' and v.batch_id is not null",
    )
    # Playwright's sync API runs an event loop in this thread: read in another one.
    with ThreadPoolExecutor(1) as pool:
        rows = pool.submit(asyncio.run, query).result()
    assert len(rows) == 1, rows
    return str(rows[0][0])


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_programme_onboards_a_shop_gives_a_month_and_settles_it(
    new_context, server: LiveServer, lang: str
) -> None:
    tag = uuid.uuid4().hex[:6]
    today = datetime.now(UTC).astimezone(CHINA).date()
    next_month = first_of_next_month(today)
    month_after = first_of_next_month(next_month)

    # --- this month: onboarding, the budget, next month's batch -----------------------------
    desk = new_context(lang, **DESK).new_page()
    log_in(desk, "programme@demo.test")
    expect(desk).to_have_url(re.compile(r"/programme$"))
    checked(desk)

    centre_name = f"邯郸爱心康复中心 Handan Care {tag}"
    add_organisation(desk, "centre", centre_name, "邯郸")
    centre_link = make_invitation(desk, "赵医生 Dr Zhao")
    chain_name = f"美食林 Meishilin {tag}"
    add_organisation(desk, "chain", chain_name)
    admin_link = make_invitation(desk, "李先生 Mr Li")

    centre = new_context(lang, **DESK).new_page()
    centre_email = join_as_new(centre, centre_link, "赵医生 Dr Zhao")
    expect(centre).to_have_url(re.compile(r"/centre$"))
    checked(centre)

    merchant = new_context(lang, **DESK).new_page()
    merchant_email = join_as_new(merchant, admin_link, "李先生 Mr Li")
    expect(merchant).to_have_url(re.compile(r"/merchant$"))
    checked(merchant)
    store_name = f"美食林人民路店 Renmin Road {tag}"
    adding = merchant.locator("main form.form")
    adding.locator("input[name=name]").fill(store_name)
    adding.locator("input[name=city]").fill("邯郸")
    adding.locator("input[name=address]").fill("人民路 18 号")
    adding.locator("button[type=submit]").click()
    expect(merchant).to_have_url(re.compile(r"/merchant/stores/\d+$"))
    store_id = merchant.url.rsplit("/", 1)[1]
    checked(merchant)
    staff_link = make_invitation(merchant, "吴收银员 Cashier Wu")

    till = new_context(lang).new_page()
    till_email = join_as_new(till, staff_link, "吴收银员 Cashier Wu")
    expect(till).to_have_url(re.compile(r"/shop$"))
    checked(till)
    till.goto(f"/shop/{store_id}/edit")
    till.locator("input[name=quiet_hours]").fill("周一至周五 14:00–16:00")
    till.locator("input[name=staff_know]").fill("我们说话慢，会带路。We speak slowly.")
    for name in ("entrance", "till"):
        till.locator(f"input[name={name}]").set_input_files(
            {"name": f"{name}.jpg", "mimeType": "image/jpeg", "buffer": jpeg()}
        )
    till.locator("main form button[type=submit]").click()
    expect(till).to_have_url(re.compile(rf"/shop/{store_id}/checklist$"))
    checked(till)
    till.locator("input[name=guide_read]").check()
    till.locator("main form", has=till.locator("input[name=guide_read]")).locator(
        "button[type=submit]"
    ).click()
    expect(till.locator("input[name=guide_read]")).to_have_count(0)

    # The programme approves the store; a family finds it in the directory, with its date.
    desk.goto("/programme/shops")
    expect(desk.locator("main")).to_contain_text(store_name)
    checked(desk)
    approve = desk.locator(f"main form[action='/programme/shops/{store_id}/approve']")
    approve.locator("button[type=submit]").click()
    expect(approve).to_have_count(0)
    family = new_context(lang).new_page()
    log_in(family, "parent@demo.test")
    family.goto("/shops")
    listed = family.locator("main li, main tr, main section", has_text=store_name).first
    expect(listed).to_be_visible()
    expect(listed).to_contain_text(WORDS["friendly_since"][lang])
    checked(family)

    # The programme gives the centre a budget.
    desk.goto("/programme/budgets")
    giving = desk.locator("main form", has=desk.locator("select[name=centre_id]"))
    option = giving.locator("select[name=centre_id] option", has_text=centre_name)
    giving.locator("select[name=centre_id]").select_option(option.get_attribute("value"))
    giving.locator("input[name=amount]").fill("1000")
    giving.locator("input[name=note]").fill(f"{next_month:%Y-%m}")
    giving.locator("button[type=submit]").click()
    expect(desk.locator("main")).to_contain_text(centre_name)
    checked(desk)

    # The centre asks the demo family to join; its parent accepts.
    centre.goto("/centre/families")
    asking = centre.locator("main form", has=centre.locator("input[name=action][value=attach]"))
    asking.locator("input[name=code]").fill("DEMO-2345")
    asking.locator("button[type=submit]").click()
    checked(centre)
    family.goto("/home")
    request = family.locator("section.centre-request", has_text=centre_name)
    request.locator("button[name=answer][value=accept]").click()
    expect(family.locator("section.centre-request", has_text=centre_name)).to_have_count(0)

    # Next month's voucher for every family of the centre: once.
    centre.goto("/centre/batch")
    checked(centre)
    running = centre.locator("main form", has=centre.locator("select[name=month]"))
    running.locator("select[name=month]").select_option(f"{next_month:%Y-%m}")
    running.locator("input[name=amount]").fill("50")
    running.locator("button[type=submit]").click()
    expect(centre.locator("main")).to_contain_text(WORDS["batch_given"][lang])
    checked(centre)
    running = centre.locator("main form", has=centre.locator("select[name=month]"))
    running.locator("select[name=month]").select_option(f"{next_month:%Y-%m}")
    running.locator("input[name=amount]").fill("50")
    running.locator("button[type=submit]").click()
    expect(centre.locator("main")).to_contain_text(WORDS["nothing_more"][lang])
    voucher_id = batch_voucher_of_demo_family(server, centre_name)

    # --- next month: the person pays at the store ------------------------------------------
    restart(server, at_ten(next_month + timedelta(days=1)))
    phone_context = new_context(lang)
    person = phone_context.new_page()
    log_in(family, "parent@demo.test")
    link_phone(family, person)
    person.goto(f"/me/pay/{voucher_id}")
    expect(person.locator("#pay-code")).to_have_text(re.compile(r"^[A-Z2-9]{4}-[A-Z2-9]{4}$"))
    code = person.locator("#pay-code").inner_text().strip()
    checked(person)
    log_in(till, till_email, PASSWORD)
    till.goto("/shop/redeem")
    shops = till.locator("input[name=shop][type=radio]")
    if shops.count():
        till.locator(f"input[name=shop][value='{store_id}']").check()
    till.locator("input[name=code]").fill(code)
    till.locator("main form button[type=submit]").click()
    till.locator("input[name=amount]").fill("20")
    till.locator("main form", has=till.locator("input[name=amount]")).locator(
        "button[type=submit]"
    ).click()
    expect(till.get_by_role("alert")).to_contain_text(WORDS["paid_at_till"][lang])
    checked(till)

    # --- the month after: the statement of next month, paid ---------------------------------
    restart(server, at_ten(month_after + timedelta(days=1)))
    log_in(desk, "programme@demo.test")
    desk.goto("/programme/statements")
    desk.get_by_role("link", name=chain_name).click()
    checked(desk)
    making = desk.locator("main form", has=desk.locator("input[name=month]"))
    making.locator("input[name=month]").fill(f"{next_month:%Y-%m}")
    making.locator("button[type=submit]").first.click()
    expect(desk).to_have_url(re.compile(r"/programme/statements/\d+$"))
    payments = desk.locator("table.statement-lines").first
    expect(payments).to_contain_text(store_name)
    expect(payments).to_contain_text("20.00")
    expect(desk.locator("#statement-total")).to_contain_text("20.00")
    assert "Ming" not in desk.locator("main").inner_text()
    checked(desk)
    paying = desk.locator("main form", has=desk.locator("input[name=reference]"))
    paying.locator("input[name=reference]").fill(f"HB-{tag}")
    paying.locator("button[type=submit]").click()
    expect(desk.locator("#statement-state")).to_contain_text(f"HB-{tag}")
    checked(desk)

    log_in(merchant, merchant_email, PASSWORD)
    merchant.goto("/merchant/statements")
    expect(merchant.locator("main table")).to_contain_text(WORDS["paid"][lang])
    expect(merchant.locator("main table")).to_contain_text(f"HB-{tag}")
    checked(merchant)
    merchant.locator("main table a").first.click()
    expect(merchant.locator("#statement-total")).to_contain_text("20.00")
    expect(merchant.locator("#statement-state")).to_contain_text(f"HB-{tag}")
    checked(merchant)
    assert centre_email
