"""CSV cells a spreadsheet could take for a formula get an apostrophe (pwa/core/csv_cells.py);
plain numbers and everything else stay as they are. The exports are tested in test_review.py
and test_voucher_pages.py."""

from __future__ import annotations

import csv
import io

import pytest

from pwa.core.csv_cells import safe_cell, safe_row

FORMULA_STARTS = ["=", "+", "-", "@", "\t", "\r"]
ATTACKS = ["=cmd|' /C calc'!A0", '=HYPERLINK("http://evil.test","Click")', "@SUM(1+1)"]


@pytest.mark.parametrize("start", FORMULA_STARTS)
def test_a_text_that_starts_like_a_formula_gets_an_apostrophe(start: str) -> None:
    assert safe_cell(start + "SUM(A1:A9)") == "'" + start + "SUM(A1:A9)"
    assert safe_cell(start) == "'" + start


@pytest.mark.parametrize("attack", ATTACKS)
def test_known_attacks_are_neutralised(attack: str) -> None:
    assert safe_cell(attack) == "'" + attack


@pytest.mark.parametrize(
    "value",
    [
        "-12.50",
        "-3",
        "0",
        "12.50",
        "120",
        "",
        "Ming",
        "Pay at the till",
        "Li = Wang",
        "a-b",
        "2026-11-21T10:00:00+08:00",
        "'=already",
        " =space first",
        "超市",
        120,
        -1250,
        None,
    ],
)
def test_plain_numbers_ordinary_texts_and_non_texts_are_unchanged(value: object) -> None:
    assert safe_cell(value) == value


@pytest.mark.parametrize("value", ["-12.50\n", "-1+1", "-12.5.0", "+12", "-", "-.5", "-1e3"])
def test_only_a_whole_plain_number_escapes_the_apostrophe(value: str) -> None:
    assert safe_cell(value) == "'" + value


def test_a_safe_row_reads_back_through_the_csv_module() -> None:
    out = io.StringIO()
    csv.writer(out).writerow(safe_row(["=1+1", "\tx", "\rx", "-12.50", 7, "Ming"]))
    assert next(csv.reader(io.StringIO(out.getvalue()))) == [
        "'=1+1",
        "'\tx",
        "'\rx",
        "-12.50",
        "7",
        "Ming",
    ]
