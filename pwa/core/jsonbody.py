"""A JSON request body parsed with a bound on its nesting (issue 15): a body of 5,000 nested
arrays would make json.loads raise RecursionError (a 500), and what the routes do with a deeply
nested value afterwards would recurse as deep. No request of the app's own pages nests deeper
than a handful of levels."""

from __future__ import annotations

import json
import re
import uuid
from typing import Any

import orjson
from starlette.responses import JSONResponse

MAX_DEPTH = 50

# A JSON string (its escapes too): brackets inside one do not nest anything.
_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_NOT_BRACKET = re.compile(r"[^\[\]{}]+")
_INNERMOST = re.compile(r"\[\]|\{\}")


class TooDeep(ValueError):
    """The JSON nests deeper than allowed (a ValueError, as for any other malformed body)."""


def loads(body: bytes | str, max_depth: int = MAX_DEPTH) -> Any:
    """The JSON value of a request body, or ValueError (TooDeep included) when it is not JSON
    or nests deeper than max_depth arrays and objects. The depth is checked before json.loads
    sees the text: each pass drops the innermost pairs of brackets, a pass per level, all in C."""
    text = body if isinstance(body, str) else body.decode(json.detect_encoding(body), "strict")
    brackets = _NOT_BRACKET.sub("", _STRING.sub("", text))
    for _level in range(max_depth):
        if not brackets:
            break
        brackets, dropped = _INNERMOST.subn("", brackets)
        if not dropped:
            # Valid JSON's brackets always pair up; these do not (json.loads would recurse
            # into thousands of unclosed ones before it found that out).
            raise ValueError("JSON brackets do not pair up")
    if brackets:
        raise TooDeep(f"JSON nested deeper than {max_depth}")
    # orjson reads in C, several times faster than json (issue 19: every push is read here);
    # its errors are ValueErrors too.
    return orjson.loads(text)


class FastJSONResponse(JSONResponse):
    """A JSON answer written by orjson (issue 19: a pull of 2,000 rows took json.dumps a tenth
    of its time). It writes UUIDs, datetimes (ISO 8601, as isoformat() does) and str enums
    itself, so a pull's rows need no converting first."""

    def render(self, content: Any) -> bytes:
        return orjson.dumps(content, default=_other)


def _other(value: Any) -> str:
    """What orjson does not know itself: asyncpg's own UUID type (PostgreSQL's rows)."""
    if isinstance(value, uuid.UUID) or type(value).__name__ == "UUID":
        return str(value)
    raise TypeError(f"{type(value).__name__} is not JSON")
