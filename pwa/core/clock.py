"""Time: the server's now, and the time a client says a change was made."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

# Zero but in a browser test that needs another month (CLOCK_AT, pwa/settings.py).
_shift = timedelta(0)


def now() -> datetime:
    return datetime.now(UTC) + _shift


def start_at(moment: datetime) -> None:
    """For browser tests only: from here on the clock says `moment` and runs on from there,
    the database's automatic timestamps too. A statement is made only for a month that has
    ended, so a journey through a month needs its server to be started a month later."""
    global _shift
    from tortoise import timezone

    _shift = moment - datetime.now(UTC)
    # tortoise stamps auto_now(_add) fields with tortoise.timezone.now().
    timezone.now = now


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
