"""Cells of the CSV files the app writes, safe to open in a spreadsheet program (issue 15).

A cell that starts with = + - @, a tab or a carriage return may be run as a formula
(`=HYPERLINK(…)`, `=cmd|' /C calc'!A0`), so such a text gets a leading apostrophe, as OWASP
recommends ("CSV injection"). A plain number such as "-12.50" or "120" is left as it is, so
amounts and counts stay numbers; so is anything that is not a string (ints, None).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
PLAIN_NUMBER = re.compile(r"-?[0-9]+(\.[0-9]+)?")


def safe_cell(value: object) -> object:
    """The value, with an apostrophe in front if it is a text a spreadsheet could take for a
    formula."""
    if not isinstance(value, str) or not value.startswith(FORMULA_START):
        return value
    if PLAIN_NUMBER.fullmatch(value):
        return value
    return "'" + value


def safe_row(values: Iterable[object]) -> list[object]:
    """A row for csv.writer.writerow, each cell made safe."""
    return [safe_cell(value) for value in values]
