"""The guardian's consent to the privacy notice (issue 16, item 5; pwa/accounts/consent.py):
sign-up refuses without the box and keeps a record with the notice's version and time; adding
a person asks again; a new notice version sends a guardian to /privacy/agree, and nothing of a
family is served until they agree; caregivers, staff and the person's phone are not asked."""

from __future__ import annotations

import html
import logging
import re
from collections.abc import Callable
from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest

from pwa.accounts import consent
from pwa.accounts import services as accounts
from pwa.app import create_app
from pwa.core.clock import now
from pwa.demo import load_demo
from pwa.models import Account, ConsentRecord, OneTimeCode, Person
from pwa.settings import Settings
from tests.conftest import Client
from tests.factories import (
    PASSWORD,
    link_phone,
    make_caregiver,
    make_centre_and_shop,
    make_family,
    make_list,
)

NEW_VERSION = "2099-01-01"
ASK = "Read the privacy notice, then tick the box to agree."
CONSENT_BOX = re.compile(r'<input type="checkbox" name="consent"[^>]*>')


def consent_box(html: str) -> str:
    found = CONSENT_BOX.search(html)
    assert found, "the page shows the consent box"
    return found.group(0)


@pytest.fixture
def new_notice(monkeypatch: pytest.MonkeyPatch) -> Callable[[], str]:
    """Call it once everyone has agreed to the old notice: the notice gets a new version."""

    def bump() -> str:
        monkeypatch.setattr(consent, "NOTICE_VERSION", NEW_VERSION)
        return NEW_VERSION

    return bump


# --- the notice ------------------------------------------------------------------------------


async def test_the_notice_states_the_times_the_purge_keeps(settings: Settings) -> None:
    """The same settings `python -m pwa purge` reads (pwa/retention.py)."""
    kept = replace(
        settings, keep_op_log_days=30, keep_field_history_days=200, keep_login_failures_days=1
    )
    application = create_app(kept)
    async with application.router.lifespan_context(application), Client(application) as http:
        page = await http.get("/privacy")
    assert page.status_code == 200
    text = page.text
    assert "The log of changes sent by phones and computers: 30 days." in text
    assert "so you can put them back: 200 days." in text
    assert "Failed log-ins, wrong codes and codes sent: 1 day." in text
    assert "1 more day after it was used or ran out." in text
    assert f"version {consent.NOTICE_VERSION}" in text
    assert "PIPL Art. 28, 29 and 31" in text and "GDPR Art. 8 and 9" in text
    assert "Ask the centre that gave you your vouchers, or the programme." in text


async def test_the_notice_reads_in_chinese(app: Any) -> None:
    async with Client(app, locale="zh-CN") as chinese:
        page = await chinese.get("/privacy")
    assert page.status_code == 200 and '<html lang="zh-Hans">' in page.text
    assert "<title>隐私说明 · 星途</title>" in page.text
    assert "保存 90 天" in page.text


# --- sign-up -----------------------------------------------------------------------------------


SIGN_UP = {
    "kind": "family",
    "name": "Wang Li",
    "email": "wang.li@example.test",
    "password": "a long walk to the shop",
    "person_name": "Ming",
}


async def test_the_box_is_never_ticked_beforehand(client: Client) -> None:
    family = await make_family()
    for path in ("/signup", "/signup/mobile"):
        assert "checked" not in consent_box((await client.get(path)).text), path
    await client.log_in(family.email, PASSWORD)
    add = await client.get(f"/families/{family.family.id}/people/new")
    assert "checked" not in consent_box(add.text)


async def test_sign_up_without_the_box_is_refused_and_keeps_nothing(client: Client) -> None:
    response = await client.submit("/signup", SIGN_UP)
    assert response.status_code == 400
    assert ASK in response.text
    # The rest of the form is kept, the box is shown again unticked.
    assert 'value="wang.li@example.test"' in response.text
    assert "checked" not in consent_box(response.text)
    assert await OneTimeCode.all().count() == 0 and await Account.all().count() == 0

    mobile = await client.submit(
        "/signup/mobile", {"kind": "family", "name": "Wang Li", "number": "13800138000"}
    )
    assert mobile.status_code == 400 and ASK in mobile.text
    assert await OneTimeCode.all().count() == 0 and await Account.all().count() == 0


async def test_sign_up_in_chinese_says_why_in_chinese(app: Any) -> None:
    async with Client(app, locale="zh-CN") as chinese:
        response = await chinese.submit("/signup", SIGN_UP)
    assert response.status_code == 400
    assert "请先阅读隐私说明，再勾选同意。" in response.text
    assert 'aria-invalid="true"' in consent_box(response.text)


async def test_a_finished_sign_up_keeps_the_consent_with_version_time_and_language(
    client: Client, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="pwa.messages")
    before = now()
    response = await client.submit("/signup", {**SIGN_UP, "consent": "yes"})
    assert response.status_code == 200, response.text
    link = re.search(r"/signup/confirm/[A-Za-z0-9_\-]+", caplog.text)
    assert link, "the sign-up link is in the log (log mode)"
    # Nothing is kept before the link comes back: no account, no consent.
    assert await ConsentRecord.all().count() == 0
    finished = await client.submit(link.group(0))
    assert finished.status_code == 303
    account = await Account.get(email="wang.li@example.test")
    person = await Person.get(display_name="Ming")
    record = await ConsentRecord.get(account=account)
    assert record.notice_version == consent.NOTICE_VERSION
    assert record.occasion == "sign_up" and record.locale == "en"
    assert record.family_id == person.family_id
    assert before - timedelta(seconds=1) <= record.at <= now()
    # Agreed at sign-up: the family home opens, no second question.
    home = await client.get("/home")
    assert home.status_code == 200 and "Ming" in home.text


# --- adding a person ---------------------------------------------------------------------------


async def test_adding_a_person_asks_again_and_refuses_without_the_box(client: Client) -> None:
    family = await make_family()
    await client.log_in(family.email, PASSWORD)
    url = f"/families/{family.family.id}/people/new"
    refused = await client.submit(url, {"display_name": "Hong", "avatar": "1F467"})
    assert refused.status_code == 400 and ASK in refused.text
    assert not await Person.exists(display_name="Hong")
    # The name and picture typed are kept for the second try.
    assert 'value="Hong"' in refused.text

    added = await client.submit(url, {"display_name": "Hong", "avatar": "1F467", "consent": "yes"})
    assert added.status_code == 303
    hong = await Person.get(display_name="Hong")
    record = await ConsentRecord.get(person_id=hong.id)
    assert record.occasion == "person_added" and record.account_id == family.guardian.id
    assert record.family_id == family.family.id
    assert record.notice_version == consent.NOTICE_VERSION and record.locale == "en"


# --- a new version of the notice ---------------------------------------------------------------


async def family_pages(family: Any) -> dict[str, str]:
    shopping_list = await make_list(family, pictures={"1F34E": 1})
    return {
        "home": "/home",
        "person": f"/people/{family.person.id}",
        "settings": f"/people/{family.person.id}/settings",
        "list": f"/lists/{shopping_list.id}",
        "caregivers": f"/families/{family.family.id}/caregivers",
        "add person": f"/families/{family.family.id}/people/new",
    }


async def test_a_new_notice_sends_the_guardian_to_agree_at_log_in(
    client: Client, new_notice: Callable[[], str]
) -> None:
    family = await make_family(person_name="Ming")
    pages = await family_pages(family)
    new_notice()
    login = await client.log_in(family.email, PASSWORD)
    # After log-in the app's first page is the question, whichever page was asked for.
    first = await client.get(login.headers["location"], follow_redirects=True)
    assert first.url.path == "/privacy/agree"
    assert "Read the privacy notice" in first.text and "Agree" in first.text
    assert "Ming" not in first.text and html.escape(family.family.name) not in first.text
    for name, path in pages.items():
        response = await client.get(path)
        assert response.status_code == 303, name
        assert response.headers["location"].startswith("/privacy/agree?next="), name
        assert "Ming" not in response.text
    # A form sent to a family page changes nothing.
    change = await client.submit(pages["settings"], {"theme": "contrast"})
    assert change.status_code == 303 and change.headers["location"] == "/privacy/agree"
    assert (await Person.get(id=family.person.id)).settings == {}
    # The sync API answers in JSON and sends no rows.
    pull = await client.get("/api/sync/pull", params={"client_id": "x", "cursor": "0"})
    # 428, not 403: a phone's outbox keeps its copy on it (static/js/outbox.js, shutOut).
    assert pull.status_code == 428 and "Ming" not in pull.text
    assert "privacy notice" in pull.json()["error"]
    assert pull.json()["reason"] == "privacy_notice"
    push = await client.post(
        "/api/sync/push",
        json={"client_id": "x", "family_id": str(family.family.id), "mutations": []},
        headers={"X-CSRF-Token": await client.csrf()},
    )
    assert push.status_code == 428 and push.json()["reason"] == "privacy_notice"
    # What anyone may open still opens: the notice itself, help.
    assert (await client.get("/privacy")).status_code == 200
    assert (await client.get("/help")).status_code == 200


async def test_the_guardian_agrees_and_the_family_opens(
    client: Client, new_notice: Callable[[], str]
) -> None:
    family = await make_family(person_name="Ming")
    version = new_notice()
    await client.log_in(family.email, PASSWORD)
    asked = await client.get(f"/people/{family.person.id}")
    target = asked.headers["location"]
    page = await client.get(target)
    assert page.status_code == 200
    next_path = re.search(r'name="next" value="([^"]+)"', page.text)
    assert next_path and next_path.group(1) == f"/people/{family.person.id}"

    not_ticked = await client.submit("/privacy/agree", {"next": next_path.group(1)})
    assert not_ticked.status_code == 400 and ASK in not_ticked.text
    assert not await ConsentRecord.exists(notice_version=version)

    agreed = await client.submit("/privacy/agree", {"next": next_path.group(1), "consent": "yes"})
    assert agreed.status_code == 303
    assert agreed.headers["location"] == f"/people/{family.person.id}"
    record = await ConsentRecord.get(notice_version=version)
    assert record.occasion == "new_notice" and record.account_id == family.guardian.id
    assert record.family_id == family.family.id and record.locale == "en"
    person = await client.get(f"/people/{family.person.id}")
    assert person.status_code == 200 and "Ming" in person.text
    # Asked once: the agree page now just goes on.
    again = await client.get("/privacy/agree")
    assert again.status_code == 303 and again.headers["location"] == "/"


async def test_an_already_logged_in_guardian_is_asked_on_the_next_page(
    client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    family = await make_family(person_name="Ming")
    await client.log_in(family.email, PASSWORD)
    assert (await client.get("/home")).status_code == 200
    monkeypatch.setattr(consent, "NOTICE_VERSION", NEW_VERSION)
    asked = await client.get("/home")
    assert asked.status_code == 303
    assert asked.headers["location"] == "/privacy/agree?next=/home"


async def test_agreeing_never_sends_the_guardian_to_another_site(
    client: Client, new_notice: Callable[[], str]
) -> None:
    family = await make_family()
    new_notice()
    await client.log_in(family.email, PASSWORD)
    agreed = await client.submit(
        "/privacy/agree", {"next": "//evil.example/home", "consent": "yes"}
    )
    assert agreed.status_code == 303 and agreed.headers["location"] == "/"


async def test_a_guardian_from_before_consent_was_asked_is_asked(client: Client) -> None:
    """Accounts made before this change (demo data, migrated databases) have no record."""
    family = await make_family(person_name="Ming")
    await ConsentRecord.filter(account=family.guardian).delete()
    await client.log_in(family.email, PASSWORD)
    home = await client.get("/home")
    assert home.status_code == 303 and home.headers["location"].startswith("/privacy/agree")


async def test_an_adult_who_plans_alone_is_asked_too(
    client: Client, new_notice: Callable[[], str]
) -> None:
    adult = await accounts.sign_up_self(
        email="lin@example.test", password=PASSWORD, name="Lin", phone="", locale="en"
    )
    await consent.record(adult, occasion="sign_up")
    new_notice()
    await client.log_in("lin@example.test", PASSWORD)
    assert (await client.get("/me")).status_code == 303


async def test_a_session_that_agreed_is_not_asked_on_every_page(client: Client) -> None:
    """The gate asks the database once per session: after that the session remembers which
    version was agreed (no query on every page)."""
    family = await make_family(person_name="Ming")
    await client.log_in(family.email, PASSWORD)
    assert (await client.get("/home")).status_code == 200
    # Were the gate asking the database on each page, the family would now be hidden.
    await ConsentRecord.filter(account=family.guardian).delete()
    assert (await client.get("/home")).status_code == 200
    # A new log-in asks again.
    await client.log_in(family.email, PASSWORD)
    assert (await client.get("/home")).status_code == 303


# --- who is not asked --------------------------------------------------------------------------


async def test_caregivers_staff_and_the_phone_are_not_asked(
    client: Client, other_client: Client, new_notice: Callable[[], str]
) -> None:
    family = await make_family(person_name="Ming")
    pages = await family_pages(family)
    _caregiver, caregiver_email = await make_caregiver(family)
    _centre, _shop, staff = await make_centre_and_shop()
    phone_code = await link_phone(family)
    version = new_notice()
    await client.log_in(caregiver_email, PASSWORD)
    home = await client.get("/home")
    assert home.status_code == 200 and "Ming" in home.text
    assert (await client.get(pages["person"])).status_code == 200
    await client.post("/logout", data={"csrf_token": await client.csrf()})

    await client.log_in(staff.email, PASSWORD)
    assert (await client.get("/shop")).status_code == 200

    await other_client.link_phone(phone_code)
    me = await other_client.get("/me")
    assert me.status_code == 200 and "Ming" in me.text
    assert not await ConsentRecord.exists(notice_version=version)


async def test_the_demo_parent_has_agreed(app: Any, client: Client) -> None:
    """`make run` and logging in as the demo parent goes to the family home, not a question."""
    await load_demo()
    await client.log_in("parent@demo.test", "startrip-demo")
    assert (await client.get("/home")).status_code == 200


async def test_a_guardian_who_does_not_agree_can_still_take_the_data_out(
    client: Client, new_notice: Callable[[], str]
) -> None:
    """Not agreeing to a new notice must not hold the family's data hostage: its page, the
    archive and the deletions stay open (PIPL Art. 15, 47; GDPR Art. 7(3), 17, 20)."""
    family = await make_family(person_name="Ming")
    new_notice()
    await client.log_in(family.email, PASSWORD)
    asked = await client.get("/privacy/agree")
    data_url = f"/families/{family.family.id}/data"
    assert data_url in asked.text
    assert (await client.get(data_url)).status_code == 200
    archive = await client.get(f"/families/{family.family.id}/export")
    assert archive.status_code == 200 and archive.content[:2] == b"PK"
    assert (await client.get(f"/people/{family.person.id}/delete")).status_code == 200
    # Everything else of the family still waits for the answer.
    assert (await client.get(f"/people/{family.person.id}")).status_code == 303
