"""A shared computer (issue 15): a parent opens the child's shopping view, an adult who plans for
themselves opens their pay screen and their own list, and each logs out. Afterwards, offline,
the same browser shows nothing of the family from any cache: no items, no "Logged in as", no pay
code, in the service worker's caches or in localStorage. Logging out clears the browser both ways:
the answer's Clear-Site-Data (tested with the page's script bypassed) and the page's own script
(tested with the header dropped, as a proxy might). A parent whose changes are not sent yet is
told so before logging out, and they are sent first. The person's phone keeps its offline
screens: tests/browser/test_offline_sync.py, test_vouchers.py and test_trip_mode.py."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from playwright.sync_api import BrowserContext, Page, Route, expect

from pwa import ROOT
from tests import databases
from tests.browser.conftest import LiveServer, axe_violations, link_phone, log_in, small_targets
from tests.browser.test_offline_shell import wait_for_control
from tests.factories import jpeg_bytes

pytestmark = pytest.mark.browser

DEMO_LIST = "/lists/5a7e0000-0000-4000-8000-000000000001"
CODE = re.compile(r"[A-Z2-9]{4}-[A-Z2-9]{4}")
PASSWORD = "lin-plans-alone-2026"
# Screens with a family's data: what the service worker may keep for a person's phone.
FAMILY_PATHS = re.compile(r"^/(me|lists|plans|boards|photos)(/|$)")

# Every URL in every cache the page's origin has (the service worker's and any other).
CACHED_JS = """async () => {
  const found = [];
  for (const name of await caches.keys()) {
    const cache = await caches.open(name);
    for (const request of await cache.keys()) found.push(new URL(request.url).pathname);
  }
  return found;
}"""
LOADED_JS = "img => img.complete && img.naturalWidth > 0"
# localStorage as it is: every key and value.
STORAGE_JS = "() => Object.fromEntries(Object.entries(localStorage))"


def cached(page: Page) -> list[str]:
    return page.evaluate(CACHED_JS)


def family_copies(page: Page) -> list[str]:
    return [path for path in cached(page) if FAMILY_PATHS.match(path)]


def wait_until_cached(page: Page, path: str) -> None:
    deadline = time.monotonic() + 20
    while path not in cached(page):
        assert time.monotonic() < deadline, f"{path} was not kept"
        page.wait_for_timeout(200)


def shows_nothing_of_the_family(page: Page, words: list[str]) -> None:
    """Offline, a family URL opens the offline page and none of the family's words."""
    expect(page.get_by_role("heading", level=1)).to_have_text("No internet")
    text = page.locator("body").inner_text()
    assert "Logged in as" not in text
    assert not CODE.search(text), text
    for word in words:
        assert word not in text, word


def make_adult(live_server: LiveServer) -> tuple[str, str]:
    """An adult who plans for themselves, with a ¥50 voucher from the demo centre and a list of
    their own with apples on it, made in the live server's database. Their email and list."""
    email = f"lin-{uuid.uuid4().hex[:8]}@example.test"
    list_id = str(uuid.uuid4())
    script = f"""
import uuid
from datetime import timedelta
from pwa.__main__ import _with_db

async def work():
    from pwa.accounts import consent, services as accounts
    from pwa.lists import services as lists
    from pwa.models import CentreFamily, Organisation, OrgKind, Person
    from pwa.vouchers import services as vouchers
    adult = await accounts.sign_up_self(
        email={email!r}, password={PASSWORD!r}, name="Lin", phone="", locale="en"
    )
    person = await Person.get(account=adult)
    family = await person.family
    # As at sign-up: the adult agreed to the privacy notice for their family.
    await consent.record(adult, occasion="sign_up", family_id=family.id, person_id=person.id)
    mine = await lists.create_list(
        family, list_id=uuid.UUID({list_id!r}), name="Lin's shop", person_id=str(person.id)
    )
    await lists.add_item(mine, item_id=uuid.uuid4(), pictogram="1F34E", quantity=3)
    centre = await Organisation.filter(kind=OrgKind.CENTRE).first()
    await CentreFamily.get_or_create(centre=centre, family=family)
    await vouchers.issue_voucher(
        centre, voucher_id=uuid.uuid4(), family_id=str(family.id), amount="50", valid_from="",
        valid_until=(vouchers.today() + timedelta(days=30)).isoformat(), shop_ids=[],
    )

_with_db(work)
"""
    subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        env=live_server._env(),
        check=True,
        capture_output=True,
    )
    return email, f"/lists/{list_id}"


def drop_clear_site_data(context: BrowserContext) -> None:
    """A proxy between this browser and the server that drops the Clear-Site-Data header."""

    def handle(route: Route) -> None:
        response = route.fetch(max_redirects=0)
        headers = {k: v for k, v in response.headers.items() if k.lower() != "clear-site-data"}
        assert len(headers) < len(response.headers), "the logout answer had the header"
        route.fulfill(response=response, headers=headers)

    context.route("**/logout", handle)


def test_a_parent_opens_the_shopping_view_logs_out_and_leaves_nothing(new_context):
    context = new_context("en")
    page = context.new_page()
    log_in(page, "parent@demo.test")
    wait_for_control(page)
    page.goto(f"{DEMO_LIST}/shop")
    cards = page.locator(".shop-card .label")
    expect(cards.first).to_be_visible()
    items = [label.strip() for label in cards.all_inner_texts()]
    assert items
    expect(page.locator("footer")).to_contain_text("Logged in as")
    # The parent's view is not the person's own: the service worker keeps no copy of it.
    page.goto("/home")
    assert family_copies(page) == []

    page.get_by_role("button", name="Log out").click()
    expect(page).to_have_url(re.compile(r"/login"))
    expect(page.locator("#status")).to_contain_text("You are logged out.")
    wait_for_control(page)
    assert family_copies(page) == []
    assert not any(key.startswith("startrip.pay.") for key in page.evaluate(STORAGE_JS))

    context.set_offline(True)
    for path in (f"{DEMO_LIST}/shop", DEMO_LIST, "/home"):
        page.goto(path)
        shows_nothing_of_the_family(page, items)
    context.set_offline(False)


@pytest.mark.parametrize("how", ["the answer's header only", "the page's script only"])
def test_an_adult_pays_on_a_shared_computer_logs_out_and_leaves_nothing(
    new_context, live_server, how
):
    email, own_list = make_adult(live_server)
    context = new_context("en")
    page = context.new_page()
    log_in(page, email, PASSWORD)
    wait_for_control(page)

    page.goto("/me/pay")
    expect(page.locator("#pay-code")).to_have_text(CODE)
    storage = page.evaluate(STORAGE_JS)
    kept = [json.loads(v) for k, v in storage.items() if k.startswith("startrip.pay.")]
    codes = [code["code"] for each in kept for code in each["codes"]]
    assert len(codes) >= 2, kept
    page.goto(f"{own_list}/shop")
    expect(page.locator(".shop-card .label").first).to_have_text("Apple")
    # The adult's own screens are kept for offline use on this browser, as on a phone.
    wait_until_cached(page, "/me/pay")
    wait_until_cached(page, f"{own_list}/shop")
    context.set_offline(True)
    page.goto("/me/pay")
    expect(page.locator("#pay-code")).to_have_text(CODE)
    context.set_offline(False)

    if how == "the answer's header only":
        # The page's script is bypassed: form.submit() sends no submit event.
        page.evaluate("document.querySelector('form[data-logout]').submit()")
    else:
        drop_clear_site_data(context)
        page.get_by_role("button", name="Log out").click()
    expect(page).to_have_url(re.compile(r"/login"))
    context.unroute("**/logout")
    wait_for_control(page)
    assert family_copies(page) == []
    storage = page.evaluate(STORAGE_JS)
    assert not any(key.startswith("startrip.pay.") for key in storage), storage
    assert not any(code in value for value in storage.values() for code in codes)

    context.set_offline(True)
    for path in ("/me/pay", f"{own_list}/shop", "/me"):
        page.goto(path)
        shows_nothing_of_the_family(page, ["Apple", "Lin's shop", *codes])
    context.set_offline(False)


NOT_SENT = "Changes not sent yet: 1. If you log out now, they are lost."
STILL_IN = "No internet, so you are still logged in."


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_a_parent_with_a_tick_not_sent_is_told_before_logging_out(new_context, live_server, lang):
    context = new_context(lang)
    page = context.new_page()
    log_in(page, "parent@demo.test")
    wait_for_control(page)
    page.goto(f"{DEMO_LIST}/shop")
    marks_before = count_parent_marks(live_server)
    logout = page.locator("form[data-logout] button")
    said = logout.inner_text()

    # Offline: one tick waits on this computer; logging out cannot happen, and says why.
    context.set_offline(True)
    page.locator(".shop-card[data-state=open] button.tick").first.click()
    logout.click()
    notice = page.locator("#logout-notice")
    expect(notice).to_be_visible()
    if lang == "en":
        expect(notice).to_contain_text(STILL_IN)
        expect(notice).to_contain_text("Changes not sent yet: 1.")
    assert axe_violations(page) == [] and small_targets(page) == []
    expect(page).to_have_url(re.compile(r"/shop$"))

    # Online, but the server cannot take it now (503): told before anything is lost.
    context.route("**/api/sync/push", lambda route: route.fulfill(status=503, json={"error": ""}))
    context.set_offline(False)
    logout.click()
    expect(logout).not_to_have_text(said)
    if lang == "en":
        expect(notice).to_contain_text(NOT_SENT)
        expect(logout).to_have_text("Log out anyway")
    assert axe_violations(page) == [] and small_targets(page) == []
    expect(page).to_have_url(re.compile(r"/shop$"))
    assert count_parent_marks(live_server) == marks_before

    # The server takes it again: logging out sends the tick first.
    context.unroute("**/api/sync/push")
    logout.click()
    expect(page).to_have_url(re.compile(r"/login"))
    assert count_parent_marks(live_server) == marks_before + 1


def count_parent_marks(live_server: LiveServer) -> int:
    [(count,)] = databases.query(
        live_server.db_url, "SELECT count(*) FROM item_mark WHERE account_id IS NOT NULL"
    )
    return int(count)


def test_the_persons_phone_still_shows_a_family_photo_offline(new_context, tmp_path: Path):
    parent_context = new_context("en")
    parent = parent_context.new_page()
    log_in(parent, "parent@demo.test")
    wait_for_control(parent)
    parent.goto(f"{DEMO_LIST}/photos/new")
    photo = tmp_path / "cup.jpg"
    photo.write_bytes(jpeg_bytes(800, 600))
    parent.get_by_label("Photo", exact=True).set_input_files(photo)
    parent.get_by_label("What is in the photo?").fill("Green cup")
    parent.get_by_role("button", name="Put the photo on the list").click()
    expect(parent.locator("#status")).to_contain_text("The photo “Green cup” is on the list.")
    parent.goto(f"{DEMO_LIST}/shop")
    cup = parent.get_by_role("img", name="Green cup × 1").locator("img")
    expect(cup).to_have_count(1)
    parent.wait_for_function(LOADED_JS, arg=cup.element_handle())
    photo_path = cup.evaluate("img => new URL(img.src).pathname")
    assert photo_path.startswith("/photos/")
    # The parent's browser keeps neither the view nor the photo.
    assert family_copies(parent) == []

    phone_context = new_context("en")
    phone = phone_context.new_page()
    link_phone(parent, phone)
    wait_for_control(phone)
    # From the start screen alone the phone keeps the shopping view and the photo in it.
    wait_until_cached(phone, f"{DEMO_LIST}/shop")
    wait_until_cached(phone, photo_path)
    phone_context.set_offline(True)
    phone.goto(f"{DEMO_LIST}/shop")
    on_phone = phone.get_by_role("img", name="Green cup × 1").locator("img")
    expect(on_phone).to_have_count(1)
    phone.wait_for_function(LOADED_JS, arg=on_phone.element_handle())


def test_a_phone_that_was_unlinked_keeps_nothing_of_the_person(new_context):
    """A lost phone is the usual reason to unlink: at its next page online it says in words
    that it is no longer linked, and drops its copies of the person's screens and pay codes,
    so offline it shows nothing of them either."""
    parent = new_context("en").new_page()
    log_in(parent, "parent@demo.test")
    phone_context = new_context("en")
    phone = phone_context.new_page()
    link_phone(parent, phone)
    wait_for_control(phone)
    phone.goto("/me/pay")
    expect(phone.locator("#pay-code")).to_have_text(CODE)
    wait_until_cached(phone, "/me/pay")
    assert any(k.startswith("startrip.pay.") for k in phone.evaluate(STORAGE_JS))

    parent.goto(parent.url)  # the person's phone page
    parent.locator("form[action*='/revoke'] button").first.click()

    phone.goto("/me")
    expect(phone).to_have_url(re.compile(r"/link$"))
    expect(phone.locator("#status")).to_contain_text("This phone is no longer linked.")
    assert axe_violations(phone) == [] and small_targets(phone) == []
    deadline = time.monotonic() + 10
    while family_copies(phone) and time.monotonic() < deadline:
        phone.wait_for_timeout(200)
    assert family_copies(phone) == []
    assert not any(k.startswith("startrip.pay.") for k in phone.evaluate(STORAGE_JS))
    phone_context.set_offline(True)
    phone.goto("/me/pay")
    shows_nothing_of_the_family(phone, ["Ming"])
