"""Issue 16, items 6 and 7, in a real browser at 390 × 844, in English and in Chinese: the demo
parent opens "Your family's data" from the family home, downloads everything (the zip opens and
holds the list, the trips and the photo just added, byte for byte) and deletes the person after
a page that counts what goes and asks for the name. Afterwards the person is on no page and in
no new archive, another device's pull removes their rows, the phone that was linked to them is
no longer linked (its own copy is dropped at its next sync), and `python -m pwa check-ledger`
still agrees. axe-core finds nothing and every control is at least 44 px on each page."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import uuid
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from pwa import ROOT
from tests.browser.conftest import (
    LiveServer,
    axe_violations,
    link_phone,
    log_in,
    serving,
    small_targets,
)
from tests.factories import jpeg_bytes

pytestmark = pytest.mark.browser

DEMO_LIST = "/lists/5a7e0000-0000-4000-8000-000000000001"
PERSON = "小明 Ming"

# The phone's own copy, through the page's outbox.js: sync it, then count the rows it keeps.
PHONE_SYNC_JS = """async () => {
  const store = await import('/static/js/outbox.js');
  const line = document.getElementById('sync-status');
  const db = await store.open(line.dataset.who);
  const result = await store.sync(db);
  const items = (await store.rowsOf(db, 'items')).length;
  const lists = (await store.rowsOf(db, 'lists')).length;
  db.close();
  return {items, lists, denied: result.denied};
}"""


@pytest.fixture
def live_server(tmp_path: Path) -> Iterator[LiveServer]:
    """A server of its own for each language: the person is deleted in each."""
    with serving(tmp_path / "live") as server:
        yield server


def check(page: Page) -> None:
    assert axe_violations(page) == [], page.url
    assert small_targets(page) == [], page.url


def download(page: Page, tmp_path: Path, name: str) -> zipfile.ZipFile:
    with page.expect_download() as info:
        page.locator("main a[href$='/export']").click()
    done = info.value
    assert done.suggested_filename.endswith(".zip")
    target = tmp_path / name
    done.save_as(target)
    return zipfile.ZipFile(target)


def everything(archive: zipfile.ZipFile) -> bytes:
    return b"".join(archive.read(name) for name in archive.namelist())


def pull(page: Page, client_id: str, family_id: str, cursor: int = 0) -> dict:
    """Another device of the parent's: GET /api/sync/pull with the browser's cookies."""
    response = page.request.get(
        f"/api/sync/pull?client_id={client_id}&cursor={cursor}&family_id={family_id}"
    )
    assert response.status == 200, response.text()
    return response.json()


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_a_parent_downloads_everything_and_deletes_a_person(
    new_context, live_server: LiveServer, lang: str, tmp_path: Path
) -> None:
    parent = new_context(lang).new_page()
    log_in(parent, "parent@demo.test")
    phone = new_context(lang).new_page()
    link_phone(parent, phone)
    person_id = re.search(r"/people/([0-9a-f-]{36})", parent.url).group(1)

    # The phone opens its list and keeps a copy of it.
    phone.goto(f"{DEMO_LIST}/shop")
    kept = phone.evaluate(PHONE_SYNC_JS)
    assert kept["items"] >= 5 and kept["lists"] >= 1

    # The parent adds a photo of their own to the list.
    parent.goto(f"{DEMO_LIST}/photos/new")
    photo = tmp_path / "cup.jpg"
    photo.write_bytes(jpeg_bytes(800, 600))
    parent.locator("input[type=file]").set_input_files(photo)
    parent.locator("input[name=label]").fill("Blue cup")
    parent.locator("main form button[type=submit]").click()
    parent.wait_for_url(re.compile(re.escape(DEMO_LIST) + "$"))
    src = parent.locator("main img[src^='/photos/']").first.get_attribute("src")
    photo_id = src.split("/")[2].split("?")[0]
    photo_bytes = parent.request.get(src).body()
    assert photo_bytes[:2] == b"\xff\xd8"

    # From the family home to "Your family's data".
    parent.goto("/home")
    parent.locator("main a[href$='/data']").click()
    family_id = re.search(r"/families/([0-9a-f-]{36})/data$", parent.url).group(1)
    expect(parent.locator("html")).to_have_attribute("lang", "en" if lang == "en" else "zh-Hans")
    check(parent)
    laptop = str(uuid.uuid4())
    before = pull(parent, laptop, family_id)
    assert DEMO_LIST.split("/")[2] in {row["id"] for row in before["rows"]["lists"]}

    archive = download(parent, tmp_path, "before.zip")
    assert archive.testzip() is None
    lists = json.loads(archive.read("lists.json"))
    demo = next(x for x in lists if x["id"] == DEMO_LIST.split("/")[2])
    assert demo["person_id"] == person_id and len(demo["items"]) >= 6
    trips = json.loads(archive.read("trips.json"))
    assert len(trips) >= 3 and all(t["person_id"] == person_id for t in trips)
    assert archive.read(f"photos/{photo_id}.jpg") == photo_bytes
    people = json.loads(archive.read("family.json"))["people"]
    assert [p["display_name"] for p in people] == [PERSON]
    assert f"csv/care-record-{person_id}.csv" in archive.namelist()

    # The family's and the account's delete pages: looked at, left alone.
    for link in (f"/families/{family_id}/delete", "/account/delete"):
        parent.goto(f"/families/{family_id}/data")
        parent.locator(f"main a[href$='{link}']").first.click()
        expect(parent.locator("input[name=confirm_name]")).to_be_visible()
        check(parent)
    expect(parent.locator("main input[type=radio]")).to_have_count(2)
    parent.goto(f"/families/{family_id}/data")

    # Delete the person: a page that counts what goes and asks for the name.
    parent.locator(f"main a[href$='/people/{person_id}/delete']").click()
    expect(parent.locator("h1")).to_contain_text(PERSON)
    counts = parent.locator(".what-goes li")
    expect(counts).to_have_count(6)
    assert all(re.search(r"\d", text) for text in counts.all_inner_texts())
    check(parent)
    parent.locator("input[name=confirm_name]").fill("Ming")
    parent.locator("main form button.button-danger").click()
    expect(parent.locator("#error-confirm_name")).to_contain_text(PERSON)
    expect(parent.locator("input[name=confirm_name]")).to_have_attribute("aria-invalid", "true")
    check(parent)
    parent.locator("input[name=confirm_name]").fill(PERSON)
    parent.locator("main form button.button-danger").click()
    parent.wait_for_url(re.compile(r"/families/[0-9a-f-]{36}/data$"))
    expect(parent.locator("#status")).to_contain_text(PERSON)
    expect(parent.locator(f"main a[href$='/people/{person_id}/delete']")).to_have_count(0)
    check(parent)

    # Gone from every page.
    for path in (f"/people/{person_id}", DEMO_LIST, f"/photos/{photo_id}"):
        response = parent.goto(path)
        assert response is not None and response.status == 404, path
    parent.goto("/home")
    expect(parent.locator("main a.card")).to_have_count(0)
    expect(parent.locator("main")).not_to_contain_text(PERSON)

    # Another device's pull, from before: it is told to drop the list, its items and its plan.
    after = pull(parent, laptop, family_id, before["cursor"])
    removed = {(gone["kind"], gone["id"]) for gone in after["removed"]}
    assert ("lists", DEMO_LIST.split("/")[2]) in removed
    assert {kind for kind, _id in removed} >= {"lists", "items", "marks", "plans", "steps"}
    assert not any(rows for rows in pull(parent, str(uuid.uuid4()), family_id)["rows"].values())

    # A new archive has nothing of them.
    parent.goto(f"/families/{family_id}/data")
    again = everything(download(parent, tmp_path, "after.zip"))
    for trace in (PERSON, person_id, DEMO_LIST.split("/")[2], photo_id):
        assert trace.encode() not in again, trace

    # The phone is no longer linked: its next sync is refused and drops its copy.
    dropped = phone.evaluate(PHONE_SYNC_JS)
    assert dropped == {"items": 0, "lists": 0, "denied": True}
    phone.goto("/me")
    expect(phone).to_have_url(re.compile(r"/login"))

    # The money records still agree with the ledger.
    ledger = subprocess.run(
        [sys.executable, "-m", "pwa", "check-ledger"],
        cwd=ROOT,
        env=live_server._env(),
        capture_output=True,
        text=True,
        check=False,
    )
    assert ledger.returncode == 0 and "agrees" in ledger.stdout, ledger.stdout + ledger.stderr
