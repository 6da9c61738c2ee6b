"""Issue 16, items 5 to 7 in one journey, as a new parent lives them, in English and in Chinese
at 390 × 844: sign-up shows the privacy notice and will not go on without the consent box; the
link from the email makes the account and the consent is recorded with the notice's version;
the parent downloads everything (the archive opens and holds the consent, the list and the
person) and deletes the person; afterwards no page, archive or pull serves anything of them, and
`python -m pwa check-ledger` still agrees. axe-core at zero and 44 px targets on every screen."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import uuid
import zipfile
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Page, expect

from pwa import ROOT
from pwa.accounts.consent import NOTICE_VERSION
from tests import databases
from tests.browser.conftest import LiveServer, axe_violations, serving, small_targets
from tests.stand_ins.smtp_server import SmtpServer, smtp_server

pytestmark = pytest.mark.browser

PERSON = "Xiaoyu"
WORDS = {
    "en": {"notice": "Read the privacy notice", "ask": "tick the box to agree"},
    "zh": {"notice": "阅读隐私说明", "ask": "勾选同意"},
}


@pytest.fixture(scope="module")
def smtp() -> Iterator[SmtpServer]:
    with smtp_server() as server:
        yield server


@pytest.fixture(scope="module")
def live_server(tmp_path_factory: pytest.TempPathFactory, smtp: SmtpServer) -> Iterator[LiveServer]:
    with serving(tmp_path_factory.mktemp("live"), extra_env=smtp.env()) as server:
        yield server


def checked(page: Page) -> None:
    assert axe_violations(page) == [], page.url
    assert small_targets(page) == [], page.url


def query(live_server: LiveServer, sql: str) -> list[tuple]:
    return databases.query(live_server.db_url, sql)


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_a_new_parent_agrees_downloads_everything_and_deletes_the_person(
    new_context, live_server: LiveServer, smtp: SmtpServer, lang: str, tmp_path: Path
) -> None:
    words = WORDS[lang]
    email = f"new.parent.{lang}@example.org"
    page = new_context(lang).new_page()
    page.goto("/signup")
    # The notice is one tap away from the form, and it opens.
    notice = page.get_by_role("link", name=words["notice"])
    expect(notice).to_be_visible()
    assert notice.get_attribute("href") == "/privacy"
    checked(page)

    page.locator("input[name=name]").fill("Zhou Min")
    page.locator("input[name=email]").fill(email)
    page.locator("input[name=password]").fill("lantern-orchid-river-58")
    page.locator("input[name=person_name]").fill(PERSON)
    page.locator("main form.form button[type=submit]").click()
    # Without the box: refused in words, nothing sent.
    expect(page.locator("#error-consent")).to_contain_text(words["ask"])
    checked(page)
    assert smtp.messages_to(email) == []
    page.locator("input[name=password]").fill("lantern-orchid-river-58")
    page.locator("input[name=consent]").check()
    page.locator("main form.form button[type=submit]").click()
    expect(page.locator("main .lead")).to_contain_text(email)

    page.goto(urlsplit(smtp.wait_for(email).link("/signup/confirm/")).path)
    checked(page)
    page.locator("main form button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/home$"))
    checked(page)
    consents = query(
        live_server,
        "select c.notice_version, c.occasion, c.locale from consent_record c "
        f"join account a on a.id = c.account_id where a.email = '{email}'",
    )
    assert consents == [(NOTICE_VERSION, "sign_up", "en" if lang == "en" else "zh_Hans")]

    # The person made at sign-up, and a list for them.
    page.locator("main a.card", has_text=PERSON).click()
    person_id = re.search(r"/people/([0-9a-f-]{36})", page.url).group(1)
    family_id = query(live_server, f"select family_id from person where id = '{person_id}'")[0][0]
    page.goto(f"/families/{family_id}/lists/new")
    page.locator("input[name=name]").fill("Fruit")
    page.locator("main form.form button[type=submit]").click()
    page.wait_for_url(re.compile(r"/lists/[0-9a-f-]{36}/add$"))
    list_id = page.url.split("/lists/")[1].split("/")[0]

    # Everything, as one archive.
    page.goto("/home")
    page.locator("main a[href$='/data']").click()
    checked(page)
    with page.expect_download() as info:
        page.locator("main a[href$='/export']").click()
    path = tmp_path / f"{lang}.zip"
    info.value.save_as(path)
    archive = zipfile.ZipFile(path)
    assert archive.testzip() is None
    assert [c["notice_version"] for c in json.loads(archive.read("consents.json"))] == [
        NOTICE_VERSION
    ]
    assert [p["display_name"] for p in json.loads(archive.read("family.json"))["people"]] == [
        PERSON
    ]
    assert [x["name"] for x in json.loads(archive.read("lists.json"))] == ["Fruit"]

    # Delete the person.
    page.locator(f"main a[href$='/people/{person_id}/delete']").click()
    checked(page)
    page.locator("input[name=confirm_name]").fill(PERSON)
    page.locator("main form button.button-danger").click()
    page.wait_for_url(re.compile(r"/families/[0-9a-f-]{36}/data$"))
    checked(page)

    for gone in (f"/people/{person_id}", f"/lists/{list_id}"):
        response = page.goto(gone)
        assert response is not None and response.status == 404, gone
    page.goto("/home")
    expect(page.locator("main")).not_to_contain_text(PERSON)
    pulled = page.request.get(
        f"/api/sync/pull?client_id={uuid.uuid4()}&cursor=0&family_id={family_id}"
    )
    assert pulled.ok and PERSON not in pulled.text() and list_id not in pulled.text()
    page.goto(f"/families/{family_id}/data")
    with page.expect_download() as info:
        page.locator("main a[href$='/export']").click()
    info.value.save_as(tmp_path / f"{lang}-after.zip")
    after = zipfile.ZipFile(tmp_path / f"{lang}-after.zip")
    everything = b"".join(after.read(name) for name in after.namelist())
    assert PERSON.encode() not in everything and list_id.encode() not in everything
    # The consent stays, as the record of what was agreed, but names nobody now.
    assert query(
        live_server,
        f"select person_id from consent_record where family_id = '{family_id}'",
    ) == [(None,)]

    ledger = subprocess.run(
        [sys.executable, "-m", "pwa", "check-ledger"],
        cwd=ROOT,
        env=live_server._env(),
        capture_output=True,
        text=True,
        check=False,
    )
    assert ledger.returncode == 0, ledger.stdout + ledger.stderr
