"""What the programme's browser journeys share (issue 17): the desk's viewport, the page
checks, a photo to upload, and joining by a staff invitation link."""

from __future__ import annotations

import io
import re
import uuid

from PIL import Image
from playwright.sync_api import Page

from tests.browser.conftest import axe_violations, small_targets

DESK = {"viewport": {"width": 1280, "height": 900}, "is_mobile": False, "has_touch": False}
PASSWORD = "correct-horse-battery"
LINK = re.compile(r"https?://[^\s<]+/staff-invitation/[A-Za-z0-9_-]+")


def checked(page: Page) -> None:
    """Axe at zero, every control 44 px, and no sideways scrolling at the page's width."""
    assert axe_violations(page) == [], page.url
    assert small_targets(page) == [], page.url
    width = page.viewport_size["width"] if page.viewport_size else 0
    assert page.evaluate("document.documentElement.scrollWidth") <= width, page.url


def jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (60, 40), (90, 160, 200)).save(out, "JPEG")
    return out.getvalue()


def invitation_link(page: Page) -> str:
    found = LINK.search(page.locator("main").inner_text())
    assert found, page.url
    return found.group(0)


def join_as_new(page: Page, link: str, name: str) -> str:
    """Open an invitation link and make an account there; the account's email."""
    email = f"{uuid.uuid4().hex[:10]}@example.test"
    page.goto(link)
    checked(page)
    form = page.locator("main form.form")
    form.locator("input[name=name]").fill(name)
    form.locator("input[name=email]").fill(email)
    form.locator("input[name=password]").fill(PASSWORD)
    form.locator("button[type=submit]").click()
    return email
