"""Onboarding without a command line (issue 17): the first programme account is made with
`python -m pwa create-staff programme`; on a computer (1280 px) it adds a merchant and makes its
admin's one-time link; the merchant's admin (1280 px) adds a store and invites its staff; the
store's staff (a phone, 390 × 844) join by the link, fill in the store's page with its photos
and confirm the checklist; the programme approves it and a family sees it in the directory.
Both languages; axe, 44 px targets and no sideways scrolling on every page."""

from __future__ import annotations

import re
import subprocess
import sys
import uuid

import pytest
from playwright.sync_api import expect

from pwa import ROOT
from tests.browser.conftest import LiveServer, log_in
from tests.browser.desk import DESK, PASSWORD, checked, invitation_link, join_as_new, jpeg

pytestmark = pytest.mark.browser


def create_programme_staff(server: LiveServer, email: str) -> None:
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pwa",
            "create-staff",
            "programme",
            "--org",
            "爱星项目 Aixing programme",
            "--email",
            email,
            "--name",
            "高老师 Ms Gao",
        ],
        cwd=ROOT,
        env=server._env(),
        input=PASSWORD + "\n",
        text=True,
        check=True,
        capture_output=True,
    )


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_a_merchant_and_its_store_join_and_the_store_becomes_a_friendly_shop(
    new_context, live_server: LiveServer, lang: str
) -> None:
    tag = uuid.uuid4().hex[:6]
    programme_email = f"programme-{tag}@example.test"
    create_programme_staff(live_server, programme_email)

    desk = new_context(lang, **DESK).new_page()
    log_in(desk, programme_email, PASSWORD)
    expect(desk).to_have_url(re.compile(r"/programme$"))
    checked(desk)
    desk.goto("/programme/organisations")
    checked(desk)
    adding = desk.locator("main form", has=desk.locator("input[name=kind][value=chain]"))
    adding.locator("input[name=name]").fill(f"华联 Hualian {tag}")
    adding.locator("button[type=submit]").click()
    expect(desk).to_have_url(re.compile(r"/programme/organisations/\d+$"))
    checked(desk)
    desk.locator("input[name=label]").fill("李先生 Mr Li")
    desk.locator("main form", has=desk.locator("input[name=label]")).locator(
        "button[type=submit]"
    ).click()
    expect(desk.locator(".qr")).to_be_visible()
    checked(desk)
    admin_link = invitation_link(desk)

    merchant = new_context(lang, **DESK).new_page()
    join_as_new(merchant, admin_link, "李先生 Mr Li")
    expect(merchant).to_have_url(re.compile(r"/merchant$"))
    checked(merchant)
    store_name = f"华联新华路店 Xinhua Road {tag}"
    merchant.locator("main form.form input[name=name]").fill(store_name)
    merchant.locator("main form.form input[name=city]").fill("石家庄")
    merchant.locator("main form.form input[name=address]").fill("新华路 8 号")
    merchant.locator("main form.form button[type=submit]").click()
    expect(merchant).to_have_url(re.compile(r"/merchant/stores/\d+$"))
    store_id = merchant.url.rsplit("/", 1)[1]
    checked(merchant)
    merchant.locator("input[name=label]").fill("吴收银员 Cashier Wu")
    merchant.locator("main form", has=merchant.locator("input[name=label]")).locator(
        "button[type=submit]"
    ).click()
    staff_link = invitation_link(merchant)

    phone = new_context(lang).new_page()
    join_as_new(phone, staff_link, "吴收银员 Cashier Wu")
    expect(phone).to_have_url(re.compile(r"/shop$"))
    checked(phone)
    phone.goto(f"/shop/{store_id}/checklist")
    checked(phone)
    phone.goto(f"/shop/{store_id}/edit")
    phone.locator("input[name=quiet_hours]").fill("周一至周五 14:00–16:00")
    phone.locator("input[name=staff_know]").fill("我们说话慢，会带路。")
    phone.locator("input[name=entrance]").set_input_files(
        {"name": "entrance.jpg", "mimeType": "image/jpeg", "buffer": jpeg()}
    )
    phone.locator("input[name=till]").set_input_files(
        {"name": "till.jpg", "mimeType": "image/jpeg", "buffer": jpeg()}
    )
    phone.locator("main form button[type=submit]").click()
    expect(phone).to_have_url(re.compile(rf"/shop/{store_id}/checklist$"))
    phone.locator("input[name=guide_read]").check()
    phone.locator("main form", has=phone.locator("input[name=guide_read]")).locator(
        "button[type=submit]"
    ).click()
    expect(phone).to_have_url(re.compile(rf"/shop/{store_id}/checklist$"))
    expect(phone.locator("input[name=guide_read]")).to_have_count(0)
    checked(phone)

    desk.goto("/programme/shops")
    expect(desk.locator("main")).to_contain_text(store_name)
    checked(desk)
    desk.locator(
        f"main form[action='/programme/shops/{store_id}/approve'] button[type=submit]"
    ).click()
    expect(desk.locator(f"main form[action='/programme/shops/{store_id}/approve']")).to_have_count(
        0
    )
    desk.goto(f"/programme/organisations/{store_id}/end")
    checked(desk)

    family = new_context(lang).new_page()
    log_in(family, "parent@demo.test")
    family.goto("/shops")
    expect(family.locator("main")).to_contain_text(store_name)
    checked(family)
    family.goto(f"/shops/{store_id}")
    checked(family)
