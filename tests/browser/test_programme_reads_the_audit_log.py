"""Programme staff read the audit log (issue 17), at a desk (1280 px) and on a phone, in both
languages: the demo's months are there, a filter by what happened shows only that, the CSV
downloads; axe at zero, 44 px targets, no sideways scrolling."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import log_in
from tests.browser.desk import DESK, checked

pytestmark = pytest.mark.browser

BUDGET_GIVEN = {"en": "Budget given", "zh": "发放预算"}


@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize("where", ["desk", "phone"])
def test_programme_staff_filter_the_audit_log_and_download_it(
    new_context, lang: str, where: str
) -> None:
    page = new_context(lang, **(DESK if where == "desk" else {})).new_page()
    log_in(page, "programme@demo.test")
    page.goto("/programme")
    page.locator("main a[href='/programme/audit']").click()
    expect(page).to_have_url(re.compile(r"/programme/audit$"))
    rows = page.locator("table.audit-log tbody tr")
    expect(rows.first).to_be_visible()
    assert rows.count() > 10
    checked(page)

    page.locator("select[name=action]").select_option("budget.grant")
    page.locator("form.filter-form button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"action=budget\.grant"))
    what = page.locator("table.audit-log tbody th")
    expect(what.first).to_contain_text(BUDGET_GIVEN[lang])
    assert all(BUDGET_GIVEN[lang] in text for text in what.all_inner_texts())
    checked(page)

    with page.expect_download() as download:
        page.locator("main a[href^='/programme/audit.csv']").click()
    text = Path(download.value.path()).read_text(encoding="utf-8-sig")
    lines = text.strip().splitlines()
    assert lines[0].startswith("id,at,actor_id,actor,action")
    assert len(lines) > 1 and all(",budget.grant," in line for line in lines[1:])
