"""The person is lost in a shop (issue 18, item 6). With sharing on, "I am lost" on the help card
shows the words for the staff and the parent's number, finds the phone's position only after the
tap, sends it to the guardian's push service (a stand-in here, whose message is decrypted with
the subscription's keys) and writes it in an sms: message. With sharing off, offline in trip
mode: the position is never asked for and nothing about it leaves the phone, and the use reaches
the parent's trip record once the phone is online again."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from urllib.parse import unquote

import http_ece
import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import (
    LiveServer,
    axe_violations,
    link_phone,
    log_in,
    serving,
    small_targets,
)
from tests.test_alerts import PushService, browser_keys

pytestmark = pytest.mark.browser

HERE = {"latitude": 38.04321, "longitude": 114.51234}
MAP = "https://uri.amap.com/marker?position=114.51234,38.04321&coordinate=wgs84&callnative=1"

WORDS = {
    "en": {
        "settings": "Settings",
        "switch": "Share the phone's position with the parents when 小明 Ming taps “I am lost”",
        "save": "Save the settings",
        "on_by": "Turned on by 王丽 Li Wang on ",
        "off_by": "Turned off by 王丽 Li Wang on ",
        "lost": "I am lost",
        "for_staff": "I am lost. Please help me call my parent.",
        "call": "Call my parent",
        "sms": "Send my parent a text message with where I am",
        "sent": "Your parent got a message with where you are.",
        "sms_text": f"I am lost. I am at latitude 38.04321, longitude 114.51234: {MAP}",
        "start": "Start the trip",
        "help": "I need help",
        "used": "“I am lost” was used at ",
    },
    "zh": {
        "settings": "设置",
        "switch": "小明 Ming按“我迷路了”时，把手机的位置分享给家长",
        "save": "保存设置",
        "on_by": "王丽 Li Wang在",
        "off_by": "王丽 Li Wang在",
        "lost": "我迷路了",
        "for_staff": "我迷路了。请帮我给家长打电话。",
        "call": "给我的家长打电话",
        "sms": "给家长发短信，告诉他我在哪里",
        "sent": "家长收到了消息，知道你在哪里。",
        "sms_text": f"我迷路了。我在纬度 38.04321，经度 114.51234：{MAP}",
        "start": "开始行程",
        "help": "我需要帮助",
        "used": "按了“我迷路了”",
    },
}
# The alert is in the guardian's account's language: the demo parent chose none, so Chinese.
ALERT = f"小明 Ming按了“我迷路了”。手机在纬度 38.04321，经度 114.51234：{MAP}"

# Counts every call for the phone's position, from the page's first script on.
COUNT_GEOLOCATION_JS = """
window.__positionAsked = 0;
const geo = navigator.geolocation;
for (const name of ["getCurrentPosition", "watchPosition"]) {
  const original = geo[name].bind(geo);
  geo[name] = (...args) => { window.__positionAsked += 1; return original(...args); };
}
"""

OUTBOX_JS = """async () => {
  const who = document.getElementById("sync-status").dataset.who;
  const db = await new Promise((resolve, reject) => {
    const request = indexedDB.open("startrip-" + who);
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
  const read = (store) => new Promise((resolve) => {
    const request = db.transaction(store).objectStore(store).getAll();
    request.onsuccess = () => resolve(request.result);
  });
  const [outbox, trips] = [await read("outbox"), await read("trips")];
  db.close();
  return {outbox: outbox.map((e) => e.args), trips};
}"""


@pytest.fixture(scope="module")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    # The guardian's alerts go to a stand-in push service on this machine.
    with serving(tmp_path_factory.mktemp("live"), {"PUSH_ALLOW_LOCAL": "true"}) as server:
        yield server


@pytest.fixture(scope="module")
def push_service() -> Iterator[PushService]:
    service = PushService()
    yield service
    service.server.shutdown()


def check_screen(page: Page) -> None:
    assert axe_violations(page) == []
    assert small_targets(page) == []


def set_sharing(parent: Page, w: dict[str, str], on: bool) -> None:
    parent.goto("/home")
    parent.locator("a.card").first.click()
    parent.get_by_role("link", name=w["settings"]).click()
    switch = parent.get_by_role("checkbox", name=w["switch"])
    box = switch.bounding_box()
    assert box and box["width"] >= 44 and box["height"] >= 44
    # Tapping the words turns it on or off too.
    if switch.is_checked() != on:
        parent.get_by_text(w["switch"]).click()
    parent.get_by_role("button", name=w["save"]).click()
    expect(parent.locator("#lost-share-changed")).to_contain_text(w["on_by" if on else "off_by"])
    expect(parent.get_by_role("checkbox", name=w["switch"])).to_be_checked(checked=on)
    check_screen(parent)


def subscribe(parent: Page, push_service: PushService) -> tuple[object, bytes]:
    """The guardian's browser asks for alerts (as static/js/alerts.js sends it), at the
    stand-in push service; its keys read what arrives."""
    person_url = parent.url.split("/settings")[0]
    token = parent.locator("input[name=csrf_token]").first.get_attribute("value")
    private, secret, keys = browser_keys()
    answer = parent.request.post(
        f"{person_url.replace('/people/', '/api/people/')}/alerts",
        data=json.dumps({"endpoint": push_service.url, "keys": keys}),
        headers={"Content-Type": "application/json", "X-CSRF-Token": token or ""},
    )
    assert answer.ok, answer.text()
    return private, secret


def alert_for(push_service: PushService, since: int, private: object, secret: bytes) -> dict:
    """The alert that arrived after the first `since` messages for this browser (the parent's
    browsers of the other language's run get theirs too), decrypted with its keys."""
    deadline = time.monotonic() + 15
    while True:
        for _headers, body in push_service.received[since:]:
            try:
                plain = http_ece.decrypt(
                    body, private_key=private, auth_secret=secret, version="aes128gcm"
                )
            except http_ece.ECEException:
                continue  # another browser's message: only its keys read it
            return json.loads(plain)
        assert time.monotonic() < deadline, "the guardian's push service got nothing"
        time.sleep(0.1)


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_with_sharing_on_the_parent_gets_the_position(new_context, push_service, lang):
    w = WORDS[lang]
    parent = new_context(lang).new_page()
    log_in(parent, "parent@demo.test")
    set_sharing(parent, w, on=True)
    private, secret = subscribe(parent, push_service)

    context = new_context(lang, permissions=["geolocation"], geolocation=HERE)
    context.add_init_script(COUNT_GEOLOCATION_JS)
    phone = context.new_page()
    link_phone(parent, phone)
    phone.goto("/me/help")
    lost = phone.get_by_role("button", name=w["lost"])
    box = lost.bounding_box()
    assert box and box["height"] >= 60
    check_screen(phone)
    # Nothing asks where the phone is before the tap.
    assert phone.evaluate("window.__positionAsked") == 0

    already = len(push_service.received)
    lost.click()
    expect(phone.get_by_role("heading", name=w["for_staff"])).to_be_visible()
    expect(phone.locator(".lost-number")).to_have_text("13800138000")
    expect(phone.locator("#lost-card").get_by_role("link", name=w["call"])).to_have_attribute(
        "href", "tel:13800138000"
    )
    expect(phone.locator("#lost-status")).to_have_text(w["sent"])
    assert phone.evaluate("window.__positionAsked") == 1

    # The guardian's push service has the alert, with the position in words and the map.
    alert = alert_for(push_service, already, private, secret)
    assert alert["body"] == ALERT and alert["url"] == MAP

    # Without mobile data: the text message is ready, with the position in words.
    sms = phone.get_by_role("link", name=w["sms"])
    href = sms.get_attribute("href") or ""
    number, body_text = href.split("?body=")
    assert number == "sms:13800138000"
    assert unquote(body_text) == w["sms_text"]
    check_screen(phone)


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_with_sharing_off_no_position_leaves_the_phone_and_the_trip_records_it(new_context, lang):
    w = WORDS[lang]
    parent = new_context(lang).new_page()
    log_in(parent, "parent@demo.test")
    set_sharing(parent, w, on=False)

    # The phone may know where it is: it still never asks.
    context = new_context(lang, permissions=["geolocation"], geolocation=HERE)
    context.add_init_script(COUNT_GEOLOCATION_JS)
    phone = context.new_page()
    asked: list[str] = []
    phone.on("request", lambda request: asked.append(request.url))
    link_phone(parent, phone)
    phone.locator(".list-tiles a.tile").first.click()
    phone.get_by_role("button", name=w["start"]).click()
    expect(phone.locator("#sync-status")).to_have_attribute("data-waiting", "no")

    context.set_offline(True)
    phone.get_by_role("button", name=w["help"]).click()
    phone.get_by_role("button", name=w["lost"]).click()
    expect(phone.get_by_role("heading", name=w["for_staff"])).to_be_visible()
    expect(phone.locator("#lost-card").get_by_role("link", name=w["call"])).to_be_visible()
    assert phone.locator("#lost-sms").count() == 0
    check_screen(phone)
    assert phone.evaluate("window.__positionAsked") == 0
    kept = phone.evaluate(OUTBOX_JS)
    lost = [args for args in kept["outbox"] if args.get("kind") == "lost"]
    assert len(lost) == 1 and set(lost[0]) == {
        "id",
        "trip_id",
        "plan_id",
        "kind",
        "step",
        "value",
        "client_time",
    }
    trip_id = lost[0]["trip_id"]

    # Online again: the use goes with the trip's events; the position never went anywhere.
    context.set_offline(False)
    deadline = time.monotonic() + 15
    while phone.evaluate(OUTBOX_JS)["outbox"]:
        assert time.monotonic() < deadline, "the phone did not send the trip's events"
        phone.wait_for_timeout(200)
    assert not [url for url in asked if url.endswith("/lost")]
    parent.goto(f"/trips/{trip_id}")
    expect(parent.locator("main")).to_contain_text(w["used"])
    check_screen(parent)
