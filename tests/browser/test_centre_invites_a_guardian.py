"""Coming in through the centre (issue 16, item 3): the centre (on a computer, 1280 px wide)
registers a family, gives it a voucher and makes a parent's invitation with a code, which it can
print; the parent, in a new browser on a phone (390 × 844), types the code at /join, signs up,
opens the link that arrives by email (at a real SMTP server on this machine,
tests/stand_ins/smtp_server.py) and sees the family's voucher. Both languages; axe and 44 px
targets on every page. The module has a live server of its own, sending mail to the stand-in."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import LiveServer, axe_violations, log_in, serving, small_targets
from tests.stand_ins.smtp_server import SmtpServer, smtp_server

pytestmark = pytest.mark.browser

DESK = {"viewport": {"width": 1280, "height": 900}, "is_mobile": False, "has_touch": False}
CENTRE = "爱星康复中心 Aixing Rehabilitation Centre"
SENT = {
    "en": "We sent a message to {email}. Open the link in it to finish making your account.",
    "zh": "我们给{email}发了一封邮件。打开邮件里的链接，完成创建账号。",
}


@pytest.fixture(scope="module")
def smtp() -> Iterator[SmtpServer]:
    with smtp_server() as server:
        yield server


@pytest.fixture(scope="module")
def live_server(tmp_path_factory: pytest.TempPathFactory, smtp: SmtpServer) -> Iterator[LiveServer]:
    """The app sending its mail to the stand-in SMTP server."""
    with serving(tmp_path_factory.mktemp("live"), extra_env=smtp.env()) as server:
        yield server


def checked(page: Page) -> None:
    assert axe_violations(page) == []
    assert small_targets(page) == []


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_centre_gives_a_code_and_the_parent_joins_and_sees_the_voucher(
    new_context, smtp: SmtpServer, lang: str
) -> None:
    family_name = f"Zhao {uuid.uuid4().hex[:6]}"
    centre = new_context(lang, **DESK).new_page()
    log_in(centre, "centre@demo.test")
    centre.goto("/centre/families")
    registering = centre.locator(
        "main form", has=centre.locator("input[name=action][value=register]")
    )
    registering.locator("input[name=name]").fill(family_name)
    registering.locator("button[type=submit]").click()
    # Registering leads to the family's invitation page, which says nobody has joined yet.
    expect(centre).to_have_url(re.compile(r"/centre/families/[0-9a-f-]+/invitation$"))
    invitation_url = centre.url
    expect(centre.locator("h1")).to_contain_text(family_name)
    expect(centre.locator("main")).to_contain_text(
        re.compile("Nobody has joined this family as a parent yet|还没有人以家长身份加入这个家庭")
    )
    checked(centre)

    # A voucher for the family, before any parent has an account.
    centre.goto("/centre/vouchers/new")
    option = centre.locator("select[name=family_id] option", has_text=family_name)
    centre.locator("select[name=family_id]").select_option(option.get_attribute("value"))
    centre.locator("input[name=amount]").fill("80")
    centre.locator("main form button[type=submit]").click()
    expect(centre).to_have_url(re.compile(r"/centre$"))

    centre.goto("/centre/families")
    centre.get_by_role("link", name=re.compile(re.escape(family_name))).click()
    expect(centre).to_have_url(invitation_url)
    centre.locator("main form button[type=submit]").click()
    sheet = centre.locator("section.invitation-sheet")
    code = sheet.locator(".code-text").inner_text().strip()
    assert re.fullmatch(r"[2-9A-HJKMNP-Z]{4}-[2-9A-HJKMNP-Z]{4}", code)
    expect(sheet.get_by_role("img", name=re.compile("QR|二维码"))).to_be_visible()
    expect(centre.locator("main")).to_contain_text("/invite/")
    expect(centre.get_by_role("button", name=re.compile("Print|打印"))).to_be_visible()
    # The sheet is in both languages whatever the screen's, and on paper only the sheet shows.
    expect(sheet.locator(".sheet-part[lang=zh-Hans] h3")).to_contain_text(family_name)
    expect(sheet.locator(".sheet-part[lang=en] h3")).to_contain_text(family_name)
    expect(sheet.locator(".sheet-part[lang=en]")).to_contain_text(code)
    checked(centre)
    centre.emulate_media(media="print")
    expect(sheet).to_be_visible()
    expect(centre.get_by_role("button", name=re.compile("Print|打印"))).to_be_hidden()
    expect(centre.locator(".top")).to_be_hidden()
    centre.emulate_media(media="screen")

    # The parent, in a new browser on a phone: types the code as read out, then signs up.
    parent = new_context(lang).new_page()
    parent.goto("/join")
    checked(parent)
    parent.locator("input[name=code]").fill(code.lower().replace("-", " "))
    parent.locator("main form button[type=submit]").click()
    expect(parent.locator("main .lead")).to_contain_text(family_name)
    expect(parent.locator("main .lead")).to_contain_text(CENTRE)
    checked(parent)
    signing_up = parent.locator("main form", has=parent.locator("input[name=step][value=signup]"))
    signing_up.locator("input[name=name]").fill("Zhao Lei")
    email = f"zhao-{uuid.uuid4().hex[:8]}@example.test"
    signing_up.locator("input[name=email]").fill(email)
    signing_up.locator("input[name=password]").fill("violet-kettle-orbit-42")
    # Without the consent box nothing is made, and the page says why beside the box.
    signing_up.locator("button[type=submit]").click()
    expect(parent.locator("#error-consent")).to_be_visible()
    checked(parent)
    signing_up = parent.locator("main form", has=parent.locator("input[name=step][value=signup]"))
    signing_up.locator("input[name=password]").fill("violet-kettle-orbit-42")
    signing_up.locator("input[name=consent]").check()
    signing_up.locator("button[type=submit]").click()

    # The same answer for any email: the account is made by the link sent to it.
    expect(parent.locator("main .lead")).to_contain_text(SENT[lang].format(email=email))
    checked(parent)
    link = urlsplit(smtp.wait_for(email).link("/signup/confirm/")).path
    parent.goto(link)
    expect(parent.locator("main")).to_contain_text(email)
    checked(parent)
    parent.locator("main form button[type=submit]").click()

    # The family's voucher is waiting in its wallet.
    expect(parent).to_have_url(re.compile(r"/families/[0-9a-f-]+/wallet$"))
    expect(parent.get_by_role("status")).to_contain_text(family_name)
    voucher = parent.locator("section.voucher")
    expect(voucher).to_have_count(1)
    expect(voucher).to_contain_text(CENTRE)
    expect(voucher).to_contain_text("80.00")
    checked(parent)
    parent.goto("/home")
    expect(parent.locator("section.family h2")).to_have_text(family_name)
    checked(parent)

    # The code worked once: in another browser it is refused in words.
    stranger = new_context(lang).new_page()
    stranger.goto("/join")
    stranger.locator("input[name=code]").fill(code)
    stranger.locator("main form button[type=submit]").click()
    expect(stranger.locator("#error-code")).to_contain_text(re.compile("used already|已经用过"))
    checked(stranger)
