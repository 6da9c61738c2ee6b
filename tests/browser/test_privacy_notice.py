"""The privacy notice and being asked again (issue 16, item 5), in English and Chinese at
390×844 with axe and 44 px targets: the notice reads in both languages with the times the purge
keeps things; a parent whose account is from before consent was asked (no record) logs in, gets
the notice with its box instead of the family, agrees, and reaches the family home."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from pwa.accounts import consent
from tests import databases
from tests.browser.conftest import LiveServer, axe_violations, log_in, small_targets

pytestmark = pytest.mark.browser

WORDS = {
    "en": {
        "title": "Privacy notice",
        "html_lang": "en",
        "reads": [
            "What Startrip keeps about the person",
            "“I am autistic”",
            "Who sees it",
            "A shop: only a pay code and the amount. Never a name.",
            # The live server's defaults: KEEP_OP_LOG_DAYS 90, KEEP_FIELD_HISTORY_DAYS 365,
            # KEEP_LOGIN_FAILURES_DAYS 7.
            "The log of changes sent by phones and computers: 90 days.",
            "so you can put them back: 365 days.",
            "Failed log-ins, wrong codes and codes sent: 7 days.",
            "PIPL Art. 28, 29 and 31",
            "Ask the centre that gave you your vouchers, or the programme.",
            f"version {consent.NOTICE_VERSION}",
        ],
        "asked": "Read the privacy notice",
        "agree": "Agree",
        "log_out": "Log out",
        "missing": "Read the privacy notice, then tick the box to agree.",
        "person": "Ming",
    },
    "zh": {
        "title": "隐私说明",
        "html_lang": "zh-Hans",
        "reads": [
            "星途保存这个人的哪些信息",
            "“我是孤独症人士”",
            "谁能看到",
            "商家：只能看到付款码和金额，永远看不到名字。",
            "手机和电脑发来的修改记录：保存 90 天。",
            "保存 365 天。",
            "登录失败、输错的验证码和发出的验证码：保存 7 天。",
            "《个人信息保护法》第二十八条、第二十九条、第三十一条",
            "请问给你发放友好券的康复机构，或者问爱星友好券项目。",
            f"版本 {consent.NOTICE_VERSION}",
        ],
        "asked": "阅读隐私说明",
        "agree": "同意",
        "log_out": "退出登录",
        "missing": "请先阅读隐私说明，再勾选同意。",
        "person": "Ming",
    },
}


def checked(page: Page) -> None:
    assert axe_violations(page) == []
    assert small_targets(page) == []


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_notice_reads_in_both_languages(new_context, lang: str) -> None:
    words = WORDS[lang]
    page = new_context(lang).new_page()
    page.goto("/privacy")
    expect(page.locator("html")).to_have_attribute("lang", words["html_lang"])
    expect(page.locator("h1")).to_have_text(words["title"])
    main = page.locator("main")
    for text in words["reads"]:
        expect(main).to_contain_text(text)
    checked(page)


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_a_parent_asked_again_agrees_and_reaches_home(
    new_context, live_server: LiveServer, lang: str
) -> None:
    words = WORDS[lang]
    # The demo parent as an account from before consent was asked: no record at all.
    databases.query(
        live_server.db_url,
        "DELETE FROM consent_record WHERE account_id IN "
        "(SELECT id FROM account WHERE email = 'parent@demo.test')",
    )
    page = new_context(lang).new_page()
    log_in(page, "parent@demo.test")
    expect(page).to_have_url(re.compile(r"/privacy/agree\?next=/home$"))
    expect(page.locator("h1")).to_have_text(words["asked"])
    main = page.locator("main")
    expect(main).to_contain_text(words["reads"][0])
    expect(main).not_to_contain_text(words["person"])
    expect(page.get_by_role("button", name=words["log_out"], exact=True).first).to_be_visible()
    box = page.locator("input[name=consent]")
    expect(box).not_to_be_checked()
    checked(page)

    # "Log out" on the page logs out; the next log-in asks again.
    page.locator("main form[data-logout] button").click()
    expect(page).to_have_url(re.compile(r"/login"))
    log_in(page, "parent@demo.test")
    expect(page).to_have_url(re.compile(r"/privacy/agree\?next=/home$"))

    # The family stays closed until the parent agrees.
    page.goto("/home")
    expect(page).to_have_url(re.compile(r"/privacy/agree"))
    expect(page.locator("main")).not_to_contain_text(words["person"])

    # "Agree" without the box says why, in words beside it.
    page.get_by_role("button", name=words["agree"], exact=True).click()
    expect(page.locator("#error-consent")).to_have_text(words["missing"])
    expect(page.locator("input[name=consent]")).to_have_attribute("aria-invalid", "true")
    checked(page)

    page.locator("label.choice", has=page.locator("input[name=consent]")).click()
    page.get_by_role("button", name=words["agree"], exact=True).click()
    expect(page).to_have_url(re.compile(r"/home$"))
    expect(page.locator("main")).to_contain_text(words["person"])
    checked(page)
    agreed = databases.query(
        live_server.db_url,
        "SELECT occasion, notice_version FROM consent_record WHERE account_id IN "
        "(SELECT id FROM account WHERE email = 'parent@demo.test')",
    )
    assert agreed == [("new_notice", consent.NOTICE_VERSION)]

    # Asked once: the next log-in goes straight to the family home.
    again = new_context(lang).new_page()
    log_in(again, "parent@demo.test")
    expect(again).to_have_url(re.compile(r"/home$"))
