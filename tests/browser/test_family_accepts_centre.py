"""A centre asks a family that uses Startrip already, by its family code; the parent sees the
request on the family home, accepts it, and sees the centre named there (issue 15)."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import LiveServer, axe_violations, log_in, serving, small_targets
from tests.stand_ins.smtp_server import SmtpServer, smtp_server

pytestmark = pytest.mark.browser

CENTRE = "爱星康复中心 Aixing Rehabilitation Centre"


@pytest.fixture(scope="module")
def smtp() -> Iterator[SmtpServer]:
    with smtp_server() as server:
        yield server


@pytest.fixture(scope="module")
def live_server(tmp_path_factory: pytest.TempPathFactory, smtp: SmtpServer) -> Iterator[LiveServer]:
    """Sign-up finishes by the link emailed to the parent: the app sends to a stand-in server."""
    with serving(tmp_path_factory.mktemp("live"), extra_env=smtp.env()) as server:
        yield server


def checked(page) -> None:
    assert axe_violations(page) == []
    assert small_targets(page) == []


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_a_parent_accepts_the_centres_request_on_the_family_home(new_context, smtp, lang):
    # A parent who signs up now: a family no centre knows yet.
    parent = new_context(lang).new_page()
    parent.goto("/signup")
    email = f"zhao-{uuid.uuid4().hex[:8]}@example.test"
    parent.locator("input[name=name]").fill("Zhao Lei")
    parent.locator("input[name=email]").fill(email)
    parent.locator("input[name=password]").fill("startrip-journey")
    parent.locator("input[name=person_name]").fill("Yu")
    parent.locator("label.choice:has(input[name=consent])").click()
    parent.locator("main form.form button[type=submit]").click()
    expect(parent.locator("main .lead")).to_contain_text(email)
    # The link in the email finishes the sign-up (tests/test_email.py has the details).
    parent.goto(urlsplit(smtp.wait_for(email).link("/signup/confirm/")).path)
    parent.locator("main form button[type=submit]").click()
    expect(parent).to_have_url(re.compile(r"/home$"))
    hint = parent.locator("main p.hint", has_text=re.compile(r"[A-Z0-9]{8}"))
    code = re.search(r"[A-Z0-9]{8}", hint.inner_text()).group(0)
    expect(parent.locator("section.centre-request")).to_have_count(0)

    centre = new_context(lang).new_page()
    log_in(centre, "centre@demo.test")
    centre.goto("/centre/families")
    asking = centre.locator("main form", has=centre.locator("input[name=action][value=attach]"))
    asking.locator("input[name=code]").fill(code)
    asking.locator("button[type=submit]").click()
    expect(centre.get_by_role("status")).to_contain_text(
        re.compile("its parent will see your request|家长会看到你的邀请")
    )
    expect(centre.locator("main")).to_contain_text(code)
    checked(centre)

    # The parent's home shows the request: who asks, and what the centre would see.
    parent.goto("/home")
    card = parent.locator("section.centre-request")
    expect(card).to_have_count(1)
    expect(card.get_by_role("heading")).to_contain_text(CENTRE)
    expect(card).to_contain_text("Zhao Lei")  # the family's name, which the centre would see
    checked(parent)
    card.locator("button[value=accept]").click()
    expect(parent).to_have_url(re.compile(r"/home$"))
    expect(parent.get_by_role("status")).to_contain_text(CENTRE)
    expect(parent.locator("section.centre-request")).to_have_count(0)
    expect(parent.locator("main p.hint", has_text=CENTRE)).to_be_visible()
    checked(parent)

    # The centre now has the family, and may give it a voucher.
    centre.goto("/centre/vouchers/new")
    expect(centre.locator("select[name=family_id] option", has_text=code)).to_have_count(1)
