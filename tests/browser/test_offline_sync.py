"""Offline sync in the browser (issue 6): the person's phone loses the network AND the server,
ticks 3 things and does 2 trip steps, reloads and reopens; meanwhile the parent adds an item.
When the phone is back, both see everything, and the server's op log has each change once."""

from __future__ import annotations

import contextlib
import re
import socket
import threading
import time
from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect

from tests import databases
from tests.browser.conftest import (
    LOCALES,
    PHONE,
    LiveServer,
    axe_violations,
    link_phone,
    log_in,
    small_targets,
)
from tests.browser.test_offline_shell import wait_for_control

# Also on the PostgreSQL run: the phone's changes go through push and pull to that database.
pytestmark = [pytest.mark.browser, pytest.mark.both_databases]

DEMO_LIST = "/lists/5a7e0000-0000-4000-8000-000000000001"
DEMO_PLAN = "/plans/5a7e0000-0000-4000-8002-000000000001"
WAITING = {
    "en": "Saved on this phone. It will be sent when there is internet.",
    "zh": "已保存在这部手机上。有网络时会发送。",
}
SENT = {"en": "Everything is sent.", "zh": "全部已经发送。"}
NOT_NOW = (
    "It could not be sent now. It stays saved on this phone and is sent when there is internet."
)


# Everything the start screen asked the phone to keep is in its caches.
KEPT_JS = """async () => {
  const keep = JSON.parse(document.getElementById("keep-offline").textContent);
  const urls = [...keep.pages, ...keep.files];
  return (await Promise.all(urls.map((url) => caches.match(url)))).every(Boolean);
}"""


def wait_until_kept(page: Page) -> None:
    deadline = time.monotonic() + 20
    while not page.evaluate(KEPT_JS):
        assert time.monotonic() < deadline, "the phone did not keep its screens"
        page.wait_for_timeout(200)


class Proxy:
    """A TCP relay in front of the live server: stopping it makes the server unreachable for
    this phone only (connections refused), while the parent still reaches the server."""

    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self.port = 0
        self.listener: socket.socket | None = None
        self.open: list[socket.socket] = []

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(64)
        self.port = listener.getsockname()[1]
        self.listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def stop(self) -> None:
        if self.listener is not None:
            self.listener.close()
            self.listener = None
        for sock in self.open:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()
        self.open.clear()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            server = socket.create_connection(("127.0.0.1", self.target_port))
            self.open += [client, server]
            for a, b in ((client, server), (server, client)):
                threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    @staticmethod
    def _pump(source: socket.socket, target: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                target.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (source, target):
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)


@pytest.fixture
def proxy(live_server: LiveServer) -> Iterator[Proxy]:
    relay = Proxy(live_server.port)
    relay.start()
    yield relay
    relay.stop()


def query(live_server: LiveServer, sql: str) -> list[tuple]:
    """Rows of the live server's database, SQLite or PostgreSQL."""
    return databases.query(live_server.db_url, sql)


def basket_text(page: Page) -> str:
    return page.locator("#progress-text").inner_text()


def test_phone_offline_and_parent_online_both_end_with_every_change_once(
    browser, new_context, live_server, proxy
):
    parent = new_context("en").new_page()
    log_in(parent, "parent@demo.test")
    phone_context = browser.new_context(**PHONE, locale=LOCALES["en"], base_url=proxy.url)
    phone_context.set_default_timeout(10_000)
    phone = phone_context.new_page()
    link_phone(parent, phone)
    wait_for_control(phone)

    # Online, the start screen only: the phone keeps the trip, the list and their pictures
    # without the person opening them first.
    wait_until_kept(phone)

    # The network is off AND the server cannot be reached.
    proxy.stop()
    phone_context.set_offline(True)
    phone.goto(f"{DEMO_PLAN}/go")
    phone.get_by_role("button", name="Start the trip").click()
    for _ in range(2):
        phone.get_by_role("button", name="Done").click()
    expect(phone.locator("#step-count")).to_have_text("Step 3 of 8")
    expect(phone.locator("#sync-words")).to_have_text(WAITING["en"])
    # The picture of a step never shown online is there too.
    phone.wait_for_function("document.getElementById('step-picture').naturalWidth > 0")

    phone.goto(f"{DEMO_LIST}/shop")
    cards = phone.locator(".shop-card")
    expect(cards).to_have_count(5)
    expect(phone.locator("#progress-text")).to_have_text("0 of 5 in the basket.")
    ticked_labels = []
    for n in range(3):
        card = cards.nth(n)
        ticked_labels.append(card.locator(".label").first.inner_text())
        card.locator("button.tick").click()
    expect(phone.locator("#progress-text")).to_have_text("3 of 5 in the basket.")
    expect(phone.locator("#sync-words")).to_have_text(WAITING["en"])
    expect(phone.get_by_role("button", name="Send now")).to_be_visible()
    assert axe_violations(phone) == [] and small_targets(phone) == []
    # "Send now" with no way to the server: it says so, and that nothing is lost.
    phone.get_by_role("button", name="Send now").click()
    expect(phone.locator("#sync-words")).to_have_text(NOT_NOW)
    expect(phone.locator("#offline-notice")).to_contain_text("saved on this phone")

    # Reload, and close the page and open a new one: all still shown, still offline.
    phone.reload()
    expect(phone.locator("#progress-text")).to_have_text("3 of 5 in the basket.")
    # Opened from the trip, the kept copy still has the way back to it.
    phone.goto(f"{DEMO_LIST}/shop?from_plan={DEMO_PLAN.rsplit('/', 1)[1]}")
    phone.get_by_role("link", name="Back to my trip").click()
    expect(phone.locator("#step-count")).to_have_text("Step 3 of 8")
    phone.close()
    phone = phone_context.new_page()
    phone.goto(f"{DEMO_PLAN}/go")
    expect(phone.locator("#step-count")).to_have_text("Step 3 of 8")
    phone.goto(f"{DEMO_LIST}/shop")
    expect(phone.locator("#progress-text")).to_have_text("3 of 5 in the basket.")
    for label in ticked_labels:
        card = cards_by_label(phone, label)
        expect(card).to_have_attribute("data-state", "ticked")

    # Meanwhile the parent, online, adds rice to the same list. Nothing from the phone yet.
    parent.goto(f"{DEMO_LIST}/add")
    parent.get_by_label("Find a picture by its name").fill("rice")
    parent.get_by_role("button", name="Search").click()
    rice = parent.locator(".label", has_text=re.compile("^Rice$"))
    parent.locator("main .tile", has=rice).click()
    expect(parent.locator("#status")).to_contain_text("Rice: 1 on the list.")
    parent.goto(f"{DEMO_LIST}/shop")
    expect(parent.locator("#progress-text")).to_have_text("0 of 6 in the basket.")

    # Back online: the phone sends by itself and draws the parent's rice.
    proxy.start()
    phone_context.set_offline(False)
    expect(phone.locator("#sync-words")).to_have_text(SENT["en"])
    assert axe_violations(phone) == [] and small_targets(phone) == []
    expect(phone.locator("#progress-text")).to_have_text("3 of 6 in the basket.")
    expect(cards_by_label(phone, "Rice")).to_have_attribute("data-state", "open")
    parent.reload()
    expect(parent.locator("#progress-text")).to_have_text("3 of 6 in the basket.")

    [(client_id, last)] = query(
        live_server, "SELECT id, last_mutation_id FROM sync_client WHERE device_id IS NOT NULL"
    )
    logged = query(
        live_server,
        "SELECT mutation_id, name, error FROM op_log "
        f"WHERE client_id = '{client_id}' ORDER BY mutation_id",
    )
    # The phone's own: its trip is the newest (the demo trips are in the past weeks).
    [(step_done,)] = query(
        live_server,
        "SELECT count(*) FROM trip_event WHERE kind = 'step_done' AND trip_id = "
        "(SELECT id FROM trip ORDER BY started_at DESC LIMIT 1)",
    )
    [(marks,)] = query(live_server, "SELECT count(*) FROM item_mark WHERE device_id IS NOT NULL")
    # Start, 2 steps done, 3 ticks: each once, in order, none refused.
    assert [row[0] for row in logged] == list(range(1, last + 1))
    assert sorted(row[1] for row in logged) == ["item.mark"] * 3 + ["trip.event"] * 3
    assert all(row[2] == "" for row in logged)
    assert (step_done, marks) == (2, 3)

    # The parent sees the trip where the phone left it.
    parent.goto("/home")
    parent.locator("a.card").first.click()
    parent.get_by_role("link", name="Trips").click()
    parent.locator("main a", has_text="Supermarket trip").first.click()
    rows = parent.locator("main tbody tr")
    for done in (0, 1):
        expect(rows.nth(done)).not_to_contain_text("Not done")
    expect(rows.nth(2)).to_contain_text("Not done")


def cards_by_label(page: Page, label: str):
    return page.locator(".shop-card", has=page.locator(".label", has_text=re.compile(f"^{label}$")))


def test_the_sync_line_speaks_chinese(new_context):
    parent = new_context("zh").new_page()
    log_in(parent, "parent@demo.test")
    parent.goto(f"{DEMO_LIST}/shop")
    expect(parent.locator("#sync-words")).to_have_text(SENT["zh"])
    parent.context.set_offline(True)
    parent.locator(".shop-card[data-state=open] button.tick").first.click()
    expect(parent.locator("#sync-words")).to_have_text(WAITING["zh"])
    expect(parent.get_by_role("button", name="立即发送")).to_be_visible()
    assert axe_violations(parent) == [] and small_targets(parent) == []
    parent.context.set_offline(False)
    expect(parent.locator("#sync-words")).to_have_text(SENT["zh"])


EARLIER = {"en": "Earlier changes", "zh": "以前的修改"}
PUT_BACK = {"en": "Put this back", "zh": "恢复这个值"}
IS_BACK = {"en": "The earlier value is back.", "zh": "以前的值已经恢复。"}


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_an_earlier_note_can_be_put_back(new_context, lang):
    page = new_context(lang).new_page()
    log_in(page, "parent@demo.test")
    item = f"{DEMO_LIST}/items/5a7e0000-0000-4000-8001-00000000000{3 if lang == 'en' else 4}"
    for note in (f"first {lang}", f"second {lang}"):
        page.goto(item)
        page.locator("input[name=note]").fill(note)
        # The item's own form (the page also has the voice recorder's, issue 18).
        page.locator("form.form", has=page.locator("input[name=note]")).locator(
            "button[type=submit]"
        ).click()
        page.wait_for_load_state()
    page.goto(item)
    page.get_by_role("link", name=EARLIER[lang]).click()
    entry = page.locator(".history-entry", has_text=f"first {lang}")
    expect(entry).to_be_visible()
    assert axe_violations(page) == [] and small_targets(page) == []
    entry.get_by_role("button", name=PUT_BACK[lang]).click()
    expect(page.locator("#status")).to_contain_text(IS_BACK[lang])
    page.goto(item)
    expect(page.locator("input[name=note]")).to_have_value(f"first {lang}")
