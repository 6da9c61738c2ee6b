"""Time: the server's now, and the time a client says a change was made."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any


def now() -> datetime:
    return datetime.now(UTC)


# How far back a phone's clock is believed: an offline change may be days old, never years.
OLDEST_CLIENT_TIME = timedelta(days=366)


def parse_time(value: Any) -> datetime | None:
    """The phone's clock, when it sent one that makes sense; otherwise None (the server's).

    Clamped to a window around the server's time: never later than now (a tick dated
    9999-12-31 would win over every later change, "Start again" included) and never more than
    OLDEST_CLIENT_TIME before it."""
    if not isinstance(value, str) or len(value) > 40:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    current = now()
    return max(min(parsed, current), current - OLDEST_CLIENT_TIME)
