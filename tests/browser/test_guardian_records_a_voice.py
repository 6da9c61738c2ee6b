"""A guardian records their voice for a step (issue 18, item 2); the person's phone, offline,
plays it on "Read aloud". On a phone with no voice for the page's language, "Read aloud" on a
step without a recording says so in words instead of staying silent.

Chromium records from its fake microphone (a beep) and allows it without asking: the flags below,
on a browser of this module's own."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, Playwright, expect

from tests.browser.chromium import CHROMIUM, CHROMIUM_ARGS
from tests.browser.conftest import axe_violations, link_phone, log_in, small_targets

pytestmark = pytest.mark.browser

DEMO_PLAN = "/plans/5a7e0000-0000-4000-8002-000000000001"
DEMO_LIST = "/lists/5a7e0000-0000-4000-8000-000000000001"
MEDIA_ARGS = ["--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream"]
WORDS = {
    "en": {
        "change": "Change",
        "record": "Record",
        "stop": "Stop",
        "play": "Play it back",
        "again": "Record again",
        "save": "Save my recording",
        "ready": "Tap “Record” and speak. It stops by itself after 15 seconds.",
        "left_13": "Recording. 13 seconds left.",
        "recorded": "Recorded. Listen to it, record it again, or save it.",
        "saved": "Your recording is saved. “Read aloud” on the phone plays it.",
        "start": "Start the trip",
        "done": "Done",
        "read": "Read aloud",
        "no_voice": "This phone has no English voice to read aloud.",
    },
    "zh": {
        "change": "修改",
        "record": "录音",
        "stop": "停止",
        "play": "听一听",
        "again": "重新录",
        "save": "保存我的录音",
        "ready": "点“录音”，然后说话。15 秒后会自己停下。",
        "left_13": "正在录音。还剩 13 秒。",
        "recorded": "录好了。你可以听一听、重新录，或者保存。",
        "saved": "你的录音已保存。手机上的“读出来”会播放它。",
        "start": "开始行程",
        "done": "做完了",
        "read": "读出来",
        "no_voice": "这部手机没有可以朗读的中文语音。",
    },
}
# The phone has no voice at all: the list of voices stays empty.
NO_VOICES = "speechSynthesis.getVoices = () => [];"


@pytest.fixture(scope="module")
def browser(playwright: Playwright) -> Iterator[Browser]:
    """This module's Chromium: with a fake microphone, allowed without a prompt."""
    launched = playwright.chromium.launch(
        executable_path=CHROMIUM, args=[*CHROMIUM_ARGS, *MEDIA_ARGS]
    )
    yield launched
    launched.close()


def check_screen(page: Page) -> None:
    assert axe_violations(page) == []
    assert small_targets(page) == []


def wait_until_cached(page: Page, url: str) -> None:
    """The phone's service worker kept the recording (from the start screen's list)."""
    deadline = time.monotonic() + 20
    while not page.evaluate("async url => !!(await caches.match(url))", url):
        assert time.monotonic() < deadline, f"the phone did not keep {url}"
        page.wait_for_timeout(200)


def record_for_the_first_step(parent: Page, w: dict[str, str]) -> str:
    """The guardian records, stops, listens and saves; the URL of the saved recording."""
    parent.goto(DEMO_PLAN)
    parent.locator(".item-row").first.get_by_role("link", name=w["change"]).click()
    status = parent.locator(".recorder-words")
    expect(status).to_have_text(w["ready"])
    check_screen(parent)
    parent.get_by_role("button", name=w["record"], exact=True).click()
    # The time left, in words and as a bar; it stops by itself at 15 s, or on Stop.
    expect(status).to_have_text(w["left_13"], timeout=5_000)
    expect(parent.locator(".recorder-time")).to_be_visible()
    check_screen(parent)
    parent.get_by_role("button", name=w["stop"]).click()
    expect(status).to_have_text(w["recorded"])
    parent.get_by_role("button", name=w["play"]).click()
    expect(parent.get_by_role("button", name=w["again"])).to_be_visible()
    check_screen(parent)
    parent.get_by_role("button", name=w["save"]).click()
    expect(parent.locator("#status")).to_contain_text(w["saved"])
    saved = parent.locator("audio.voice-saved")
    expect(saved).to_be_visible()
    check_screen(parent)
    return saved.get_attribute("src") or ""


# The audio element of "Read aloud" really played: some of it was played, and it moved on.
PLAYED_JS = """() => {
  const audio = document.getElementById("read-aloud-player");
  return !!audio && audio.played.length > 0 && audio.currentTime > 0;
}"""


def the_item_and_the_help_card_offer_it_too(parent: Page, w: dict[str, str]) -> None:
    """The same recorder on an item's page and on the help card's."""
    parent.goto(DEMO_LIST)
    parent.get_by_role("link", name=w["change"], exact=True).first.click()
    expect(parent.locator(".recorder-words")).to_have_text(w["ready"])
    check_screen(parent)
    parent.goto("/home")
    parent.locator("a.card").first.click()
    parent.goto(f"{parent.url}/help-card")
    expect(parent.locator(".recorder-words")).to_have_text(w["ready"])
    check_screen(parent)


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_phone_offline_reads_aloud_in_the_guardians_voice(new_context, lang):
    w = WORDS[lang]
    parent = new_context(lang, permissions=["microphone"]).new_page()
    log_in(parent, "parent@demo.test")
    clip = record_for_the_first_step(parent, w)
    assert clip.startswith("/clips/")
    the_item_and_the_help_card_offer_it_too(parent, w)

    phone_context = new_context(lang)
    phone_context.add_init_script(NO_VOICES)
    phone = phone_context.new_page()
    phone.emulate_media(reduced_motion="reduce")
    link_phone(parent, phone)
    wait_until_cached(phone, clip)
    # Online once, the trip; then no internet at all.
    phone.goto(f"{DEMO_PLAN}/go")
    phone_context.set_offline(True)
    phone.reload()
    phone.get_by_role("button", name=w["start"]).click()
    read = phone.get_by_role("button", name=w["read"])
    read.click()
    phone.wait_for_function(PLAYED_JS)
    # Never by itself: it played because of the tap, and nothing says the phone has no voice.
    assert phone.evaluate("document.getElementById('read-aloud-player').autoplay") is False
    expect(phone.locator(".read-aloud-words")).to_have_text("")
    check_screen(phone)

    # The next step has no recording, and this phone no voice: it says so, in words.
    phone.get_by_role("button", name=w["done"], exact=True).click()
    phone.get_by_role("button", name=w["read"]).click()
    words = phone.locator(".read-aloud-words")
    expect(words).to_have_text(w["no_voice"])
    expect(words).to_have_attribute("role", "status")
    check_screen(phone)
