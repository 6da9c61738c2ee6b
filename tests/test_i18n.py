"""Language negotiation, complete catalogues, and babel formatting."""

from __future__ import annotations

import re
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from pwa import ROOT, i18n
from pwa.settings import SUPPORTED_LOCALES


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("zh-CN,zh;q=0.9,en;q=0.8", "zh_Hans"),
        ("zh-Hans-CN", "zh_Hans"),
        ("zh-TW", "zh_Hans"),
        ("en-US,en;q=0.9", "en"),
        ("fr-FR, en;q=0.5", "en"),
        ("en;q=0.4, zh-CN;q=0.8", "zh_Hans"),
        ("fr, de", None),
        ("", None),
        ("*", None),
        ("zh-CN;q=0, en", "en"),
        ("not a tag!!", None),
    ],
)
def test_accept_language_negotiation(header, expected):
    assert i18n.negotiate(header) == expected


def first(text: str | tuple[str, ...]) -> str:
    """A message's text, or the first of its plural forms."""
    return text if isinstance(text, str) else text[0]


@pytest.mark.parametrize("locale", SUPPORTED_LOCALES)
def test_catalogue_has_no_untranslated_or_fuzzy_entry(locale):
    po = ROOT / "locales" / locale / "LC_MESSAGES" / "messages.po"
    with po.open("rb") as handle:
        catalog = read_po(handle, locale=locale)
    problems = []
    for message in catalog:
        if not message.id:
            continue
        source = first(message.id)
        forms = message.string if isinstance(message.string, tuple) else (message.string,)
        if not all(forms):
            problems.append(f"untranslated: {source}")
        if message.fuzzy:
            problems.append(f"fuzzy: {source}")
        wanted = sorted(re.findall(r"%\(\w+\)s", source))
        for text in forms:
            if sorted(re.findall(r"%\(\w+\)s", text or "")) != wanted:
                problems.append(f"placeholders differ: {source}")
    assert not problems, "\n".join(problems)


def test_template_catalogue_matches_the_source(tmp_path: Path):
    """messages.pot is committed: a string added to the code without `make i18n-update` fails."""
    fresh = tmp_path / "messages.pot"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "babel.messages.frontend",
            "extract",
            "--no-location",
            "-F",
            "babel.cfg",
            "-k",
            "_",
            "-o",
            str(fresh),
            ".",
        ],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    with fresh.open("rb") as handle:
        wanted = {m.id for m in read_po(handle) if m.id}
    with (ROOT / "locales" / "messages.pot").open("rb") as handle:
        committed = {m.id for m in read_po(handle) if m.id}
    assert wanted == committed, f"run `make i18n-update`: {sorted(wanted ^ committed)[:5]}"
    for locale in SUPPORTED_LOCALES:
        with (ROOT / "locales" / locale / "LC_MESSAGES" / "messages.po").open("rb") as handle:
            assert {m.id for m in read_po(handle) if m.id} >= wanted, locale


def test_chinese_catalogue_is_chinese():
    """A Chinese page must not show English: most translations contain Han characters."""
    with (ROOT / "locales" / "zh_Hans" / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        catalog = read_po(handle, locale="zh_Hans")
    english = [
        m.id
        for m in catalog
        if m.id
        and not re.search(r"[\u4e00-\u9fff]", first(m.string))
        and first(m.id) != first(m.string).strip()
        and re.search(r"[A-Za-z]{3,}", first(m.string))
    ]
    assert not english, english[:5]


def test_money_and_dates_are_formatted_by_babel():
    moment = datetime(2026, 11, 21, 6, 30, tzinfo=UTC)
    i18n.set_locale("en")
    assert i18n.format_money(12345) == "CN¥123.45"
    assert i18n.format_date(moment) == "21 November 2026"
    assert "14:30" in i18n.format_datetime(moment)  # shown in China time
    i18n.set_locale("zh_Hans")
    assert i18n.format_money(12345) == "¥123.45"
    assert i18n.format_date(moment) == "2026年11月21日"
