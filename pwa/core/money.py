"""Money from forms and the till, one rule for all: yuan with at most two decimals, written with
ASCII digits, kept as an int of fen (分)."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from pwa.core.forms import FormErrors
from pwa.i18n import _

# At most 9 digits before the point: a bigger amount is refused by the limit anyway, and a
# number of 60 digits or "1e400" never reaches Decimal arithmetic.
_YUAN = re.compile(r"[0-9]{1,9}(?:\.[0-9]{0,2})?")


def parse_fen(text: str, *, field: str, maximum: int, positive: bool = False) -> int | None:
    """ "30", "12.5", "¥12.50" → fen; empty → None; anything else, zero where positive is asked,
    or more than maximum fen → FormErrors on field."""
    cleaned = str(text).strip().removeprefix("¥").removeprefix("￥").strip()
    if not cleaned:
        return None
    if not _YUAN.fullmatch(cleaned):
        raise FormErrors({field: _("Write an amount in yuan, like 30 or 12.50.")})
    fen = int(Decimal(cleaned) * 100)
    if positive and fen <= 0:
        raise FormErrors({field: _("Write an amount in yuan, like 30 or 12.50.")})
    if fen > maximum:
        raise FormErrors({field: _("This amount is too big.")})
    return fen


def fen_from_api(value: Any, *, field: str, maximum: int) -> int:
    """An amount on the JSON API: a whole number of fen, 1 to maximum. Not a string, a float
    (5.9 would be 5 fen), a boolean (true would be 1 fen) or anything out of range."""
    if type(value) is not int or not 0 < value <= maximum:
        raise FormErrors({field: _("Write the amount as a whole number of fen, like 1250.")})
    return value
