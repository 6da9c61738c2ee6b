"""The PWA shell: the service worker controls the page after the first visit, and with the
server stopped a reload shows the offline page in the page's language."""

from __future__ import annotations

import json
import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import LiveServer, axe_violations

pytestmark = pytest.mark.browser


@pytest.fixture
def own_server(tmp_path):
    """A server this test may stop."""
    server = LiveServer(tmp_path)
    server.prepare()
    server.start()
    yield server
    server.stop()


CONTROLLED_JS = """
() => new Promise(resolve => {
  if (navigator.serviceWorker.controller) return resolve(true);
  navigator.serviceWorker.addEventListener('controllerchange', () => resolve(true));
})
"""


def wait_for_control(page) -> None:
    """The service worker controls the page after the first visit (clients.claim())."""
    assert page.evaluate(CONTROLLED_JS) is True


def test_manifest_is_linked_and_valid(phone):
    page = phone("en")
    page.goto("/login")
    href = page.locator("link[rel=manifest]").get_attribute("href")
    manifest = json.loads(page.request.get(href).text())
    assert manifest["display"] == "standalone" and manifest["start_url"] == "/"
    assert {icon["purpose"] for icon in manifest["icons"]} == {"any", "maskable"}


def test_server_stopped_reload_shows_offline_page_in_each_language(browser, own_server):
    pages = {}
    for lang, locale in (("en", "en-GB"), ("zh", "zh-CN")):
        context = browser.new_context(
            viewport={"width": 390, "height": 844},
            is_mobile=True,
            has_touch=True,
            locale=locale,
            base_url=own_server.url,
        )
        page = context.new_page()
        page.goto("/login")
        wait_for_control(page)
        pages[lang] = page

    own_server.stop()
    for lang, page in pages.items():
        page.reload()
        expect(page.locator("html")).to_have_attribute("lang", "en" if lang == "en" else "zh-Hans")
        heading = page.get_by_role("heading", level=1)
        if lang == "en":
            expect(heading).to_have_text("No internet")
            expect(page.get_by_role("link", name="Try again")).to_be_visible()
        else:
            expect(heading).not_to_have_text("No internet")
            expect(heading).to_have_text(re.compile(r"[\u4e00-\u9fff]"))
        assert axe_violations(page) == []
        page.context.close()


def test_offline_network_shows_the_offline_page_and_a_notice(new_context):
    context = new_context("en")
    page = context.new_page()
    page.goto("/help")
    wait_for_control(page)
    context.set_offline(True)
    page.goto("/about")
    expect(page.get_by_role("heading", level=1)).to_have_text("No internet")
    expect(page.get_by_role("status")).to_contain_text("No internet. What you see may be old.")
    context.set_offline(False)
    page.reload()
    expect(page.get_by_role("heading", level=1)).to_have_text("About Startrip")


def test_a_new_shell_version_replaces_the_old_cache(new_context):
    page = new_context("en").new_page()
    page.goto("/login")
    wait_for_control(page)
    names = page.evaluate("caches.keys()")
    shell = [name for name in names if name.startswith("shell-")]
    assert len(shell) == 1
    version = page.request.get("/sw.js").text().split('"version": "', 1)[1].split('"', 1)[0]
    assert shell == [f"shell-{version}"]
