"""One-time SMS codes (issue 16, item 1): six digits, working for 10 minutes, used once, dead
after 5 wrong tries; only their sha256 is kept (models.OneTimeCode).

Each code belongs to the browser that asked for it (issue 15, item 4: nobody may be locked
out). The number travels in the form, so anyone can type codes for any number; were codes and
their tries shared by everyone, a stranger's wrong codes would kill the owner's code and a
stranger's sends would retire it. So the browser gets a random nonce in a cookie when it asks
(pwa/accounts/mobile.py), the code keeps its sha256 (payload["browser"]), and a code is found
by purpose + number + browser: the newest one there is the only one that works, since a new
code retires the ones the same browser was sent before. Sending is throttled per number
("send_to"; a browser that logged in to the number's account before counts on its own device
key instead) and per address ("send_from"); wrong codes per number and browser ("code") and
per address (pwa/auth/throttle.py).
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
import random
import re
import secrets
import time
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from tortoise.expressions import F
from tortoise.transactions import in_transaction

from pwa.accounts import sms
from pwa.auth import passwords, throttle
from pwa.core import clock
from pwa.core.forms import FormErrors
from pwa.i18n import _
from pwa.models import Account, CodePurpose, OneTimeCode
from pwa.settings import Settings

log = logging.getLogger(__name__)
CODE_DIGITS = 6
CODE_MINUTES = sms.CODE_MINUTES
MAX_TRIES = 5


# Long enough for a code typed a little late to be told it is too old, rather than that it was
# asked for in another browser; short, since the cookie is only needed while a code is typed.
BROWSER_MAX_AGE = 3 * CODE_MINUTES * 60
_BROWSER_RE = re.compile(r"[A-Za-z0-9_-]{16,64}")


def new_browser() -> str:
    """A nonce naming one browser's requests for codes (kept in its cookie)."""
    return secrets.token_urlsafe(24)


def valid_browser(value: str) -> bool:
    return bool(_BROWSER_RE.fullmatch(value))


def browser_digest(browser: str) -> str:
    """What a code row keeps of its browser's nonce (and what its wrong tries are counted by)."""
    return hashlib.sha256(browser.encode()).hexdigest()


def new_code() -> str:
    return f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"


def typed_code(typed: str) -> str:
    """What was typed, as digits: spaces and dashes dropped, full-width digits made ASCII."""
    digits = "".join(str(int(ch)) for ch in typed if ch.isdecimal())
    return digits[: CODE_DIGITS + 1]


async def issue(
    purpose: CodePurpose,
    target: str,
    *,
    browser: str,
    account: Account | None = None,
    payload: dict[str, Any] | None = None,
) -> tuple[str, OneTimeCode]:
    """A new code for this purpose and number, for this browser only (the ones it was sent
    before still work until retire_others is called, once this one has really gone out)."""
    code = new_code()
    moment = clock.now()
    async with in_transaction():
        row = await OneTimeCode.create(
            purpose=purpose,
            target=target,
            code_hash=passwords.token_digest(code),
            account=account,
            payload={**(payload or {}), "browser": browser_digest(browser)},
            expires_at=moment + timedelta(minutes=CODE_MINUTES),
        )
    return code, row


def _of_browser(rows: list[OneTimeCode], browser: str) -> list[OneTimeCode]:
    # Picked out here rather than in SQL: JSON lookups differ between SQLite and PostgreSQL,
    # and a number has only the few rows its throttled sends made.
    digest = browser_digest(browser)
    return [row for row in rows if hmac.compare_digest(str(row.payload.get("browser")), digest)]


async def retire_others(row: OneTimeCode) -> None:
    """The codes this browser was sent before this one stop working (another browser's codes
    are left alone: a stranger asking for codes to a number must not kill its owner's). Only
    after this one was sent: a send the provider refuses must not kill the code the person
    already has."""
    earlier = await OneTimeCode.filter(
        purpose=row.purpose, target=row.target, used_at=None, id__lt=row.id
    )
    digest = str(row.payload.get("browser"))
    ids = [other.id for other in earlier if other.payload.get("browser") == digest]
    if ids:
        await OneTimeCode.filter(id__in=ids, used_at=None).update(used_at=clock.now())


async def take(purpose: CodePurpose, target: str, typed: str, *, browser: str) -> OneTimeCode:
    """Use the code typed for this purpose and number in this browser: the code's row, now
    used, or FormErrors on "code" saying why not. Only the newest code sent to this browser
    counts; codes asked for in other browsers are never looked at, so tries typed elsewhere
    cannot use them up. Two tabs typing the same code: one gets it, the other is told it was
    used (the conditional UPDATE … WHERE used_at IS NULL decides)."""
    digits = typed_code(typed)
    if not digits:
        raise FormErrors({"code": _("Type the code from the SMS. It has 6 digits.")})
    moment = clock.now()
    recent = await OneTimeCode.filter(
        purpose=purpose,
        target=target,
        expires_at__gt=moment - timedelta(seconds=BROWSER_MAX_AGE),
    ).order_by("-id")
    mine = _of_browser(list(recent), browser) if valid_browser(browser) else []
    if not mine:
        raise FormErrors({"code": other_browser()})
    row = mine[0]
    if row.used_at is not None:
        raise FormErrors({"code": _("This code was already used. Send a new code.")})
    if row.expires_at <= moment:
        raise FormErrors(
            {
                "code": _(
                    "This code is too old: a code works for %(n)s minutes. Send a new code.",
                    n=CODE_MINUTES,
                )
            }
        )
    if row.tries >= MAX_TRIES:
        raise FormErrors({"code": _too_many()})
    if not hmac.compare_digest(row.code_hash, passwords.token_digest(digits)):
        await OneTimeCode.filter(id=row.id).update(tries=F("tries") + 1)
        raise FormErrors({"code": _too_many() if row.tries + 1 >= MAX_TRIES else wrong_code()})
    used = await OneTimeCode.filter(
        id=row.id, used_at=None, tries__lt=MAX_TRIES, expires_at__gt=moment
    ).update(used_at=moment)
    if used != 1:
        raise FormErrors({"code": _("This code was already used. Send a new code.")})
    row.used_at = moment
    return row


def other_browser() -> str:
    return _(
        "No code was asked for in this browser for this number. Type the code in the browser "
        "where you asked for it, or send a new code from here."
    )


def wrong_code() -> str:
    return _("This code is not right. Check the SMS and type its 6 digits again.")


def _too_many() -> str:
    return _("This code was typed wrong too many times. Send a new code.")


# --- sending and typing back, throttled ------------------------------------------------------


# How long sending an SMS took lately, in seconds (a moving average). A log-in code that is
# not sent (a number with no account) waits about as long, so the answer's timing does not
# tell a number with an account from one without.
_typical_send = 0.0


def _sent_in(seconds: float) -> None:
    global _typical_send
    _typical_send = seconds if not _typical_send else 0.8 * _typical_send + 0.2 * seconds


@dataclass(frozen=True)
class Sent:
    """A code went out (or, for a number with no account at log-in, was only made)."""

    number: str
    row: OneTimeCode


async def send(
    settings: Settings,
    purpose: CodePurpose,
    number: str,
    *,
    ip: str,
    locale: str,
    browser: str,
    device: str | None = None,
    account: Account | None = None,
    payload: dict[str, Any] | None = None,
    deliver: bool = True,
) -> Sent:
    """Make a code for this browser and send it by SMS. Throttled per number and per address
    (Throttled). device is this browser's known-device key for the number's account (it
    logged in to it before, throttle.device_key): its sends are then counted on that key
    instead of the number, so a stranger using up the number's sends never stops the owner's
    own phone from getting a code.

    deliver=False makes the code without sending it: log-in answers a number with no
    account exactly as one with an account (same throttling, screens and tries, and about
    as long to answer), and only the SMS itself is left out. A refused send leaves no code
    behind (FormErrors on "number")."""
    keys = {"send_to": f"device:{device}" if device else number, "send_from": ip}
    await throttle.attempt(keys)  # counted before anything is sent: parallel sends wait too
    code, row = await issue(purpose, number, browser=browser, account=account, payload=payload)
    if not deliver:
        await asyncio.sleep(_typical_send * random.uniform(0.8, 1.2))
        await retire_others(row)
        return Sent(number, row)
    started = time.monotonic()
    try:
        await sms.send_code(settings, number, code, locale)
    except sms.SmsFailed:
        await OneTimeCode.filter(id=row.id).delete()
        if purpose == CodePurpose.SIGN_IN:
            # At log-in only numbers with an account are really sent a code, so a refusal
            # there would tell which numbers have one: the answer stays the same ("If this
            # number has an account, we sent a code"), and the page offers a new code.
            log.warning("an SMS code for log-in could not be sent")
            return Sent(number, row)
        raise FormErrors({"number": _("The code could not be sent. Try again later.")}) from None
    _sent_in(time.monotonic() - started)
    await retire_others(row)
    return Sent(number, row)


async def check(
    purpose: CodePurpose, number: str, typed: str, *, ip: str, browser: str
) -> OneTimeCode:
    """Take the typed code (see take), with wrong codes throttled per number and browser (a
    stranger's wrong codes never slow the owner) and per address."""
    own = f"{number}:{browser_digest(browser) if valid_browser(browser) else '-'}"
    keys = {"code": own, "ip": ip}
    tried = await throttle.attempt(keys)  # a wrong code keeps its count
    row = await take(purpose, number, typed, browser=browser)
    await tried.passed()
    await throttle.clear_failures({"code": own})
    return row
