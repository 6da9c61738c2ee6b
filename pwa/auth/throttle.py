"""Slowing down guessing without locking anyone out (issue 15, item 4).

Failures are counted per key ("account:<email>", "ip:<address>", …). Each kind of key has a
few free failures within WINDOW; past those, the next try must wait, starting at
`first_wait` and doubling with each further failure up to `longest_wait`, counted from the
last failure. A try that comes too early is refused without being counted, so whoever waits
always gets the next try: nobody is locked out, guessing just becomes slow.

A browser that has logged in to an account before carries a device cookie for it
(`device_key`); its tries at that account are counted for that browser alone, so somebody
guessing one's password elsewhere never slows the owner on their own phone or computer
(OWASP, "Slow down online guessing attacks with device cookies").
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import math
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache

from starlette.requests import Request
from starlette.responses import Response

from pwa.core.clock import now
from pwa.models import LoginFailure


@dataclass(frozen=True)
class Backoff:
    free: int
    first_wait: timedelta
    longest_wait: timedelta

    def wait_after(self, failures: int) -> timedelta:
        if failures < self.free:
            return timedelta(0)
        doubled: timedelta = self.first_wait * 2 ** min(failures - self.free, 20)
        return min(doubled, self.longest_wait)


WINDOW = timedelta(hours=1)
SECOND = timedelta(seconds=1)
MINUTES_15 = timedelta(minutes=15)
BACKOFF = {
    # A typed email, from a browser that has not logged in to it before. Five wrong passwords
    # slow the account: 5 s, then 10 s, 20 s, … at most 15 minutes between tries.
    "account": Backoff(free=5, first_wait=5 * SECOND, longest_wait=MINUTES_15),
    # The same, for one browser that has logged in to the account before.
    "device": Backoff(free=5, first_wait=5 * SECOND, longest_wait=MINUTES_15),
    # One address (behind a trusted proxy, the client's own): many accounts from one place.
    "ip": Backoff(free=30, first_wait=5 * SECOND, longest_wait=MINUTES_15),
    # Link codes typed or opened on a phone, per address.
    "link": Backoff(free=10, first_wait=5 * SECOND, longest_wait=MINUTES_15),
    # Pay codes that are not ours, per shop: a till scans a wrong code now and then, a guesser
    # thousands (a code is one of 31^8, 8.5e11). A hundred leaves room for a busy shop's many
    # payments at the same moment: tries in flight count until they turn out right (attempt).
    "till": Backoff(free=100, first_wait=5 * SECOND, longest_wait=timedelta(minutes=5)),
    # Messages sent (issue 16): each SMS code or email counts, to one number or address and
    # from one address. Three to a number, then a minute, two, four … at most an hour.
    "send_to": Backoff(free=3, first_wait=60 * SECOND, longest_wait=timedelta(hours=1)),
    # Many families may sign up behind one centre's Wi-Fi on the day it registers them: twenty
    # messages an hour from one address before waiting starts.
    "send_from": Backoff(free=20, first_wait=30 * SECOND, longest_wait=timedelta(minutes=30)),
    # Wrong SMS codes typed for one number (each code also dies after a few wrong tries).
    "code": Backoff(free=5, first_wait=5 * SECOND, longest_wait=MINUTES_15),
}


class Throttled(Exception):
    """Too many failures: the next try is taken after `wait`."""

    def __init__(self, wait: timedelta) -> None:
        super().__init__(f"wait {wait}")
        self.wait = wait

    @property
    def seconds(self) -> int:
        return max(1, math.ceil(self.wait.total_seconds()))


def _key(kind: str, value: str) -> str:
    return f"{kind}:{value}"[:300]


async def wait_left(keys: dict[str, str]) -> timedelta:
    """How long the slowest of these keys must still wait (zero: go ahead). Tries that come
    too early are not counted, so a key has at most a few dozen rows in WINDOW."""
    moment = now()
    rows = await LoginFailure.filter(
        key__in=[_key(k, v) for k, v in keys.items()], at__gte=moment - WINDOW
    ).values_list("key", "at")
    failures: dict[str, list[datetime]] = {}
    for key, at in rows:
        failures.setdefault(key, []).append(at)
    wait = timedelta(0)
    for key, times in failures.items():
        backoff = BACKOFF[key.split(":", 1)[0]]
        if len(times) >= backoff.free:
            wait = max(wait, max(times) + backoff.wait_after(len(times)) - moment)
    return wait


class Attempt:
    """One try, already counted (see attempt). A try that turns out right calls passed(), which
    takes its count back; a wrong one keeps it."""

    def __init__(self, ids: list[int]) -> None:
        self.ids = ids

    async def passed(self) -> None:
        if self.ids:
            await LoginFailure.filter(id__in=self.ids).delete()
            self.ids = []


async def attempt(keys: dict[str, str]) -> Attempt:
    """Count this try first, then decide, so tries sent at the same moment cannot all get
    through between a look and a count (forty wrong passwords in parallel were forty tries).

    Each try is written at once; it then goes ahead only when the tries written before it
    (lower ids) leave no wait. Otherwise its own rows are taken back and Throttled is raised:
    a try refused for coming too early still never counts."""
    moment = now()
    rows = [await LoginFailure.create(key=_key(k, v), at=moment) for k, v in keys.items()]
    wait = timedelta(0)
    for row in rows:
        before: list[datetime] = await LoginFailure.filter(
            key=row.key, at__gte=moment - WINDOW, id__lt=row.id
        ).values_list("at", flat=True)  # type: ignore[assignment]
        backoff = BACKOFF[row.key.split(":", 1)[0]]
        if len(before) >= backoff.free:
            wait = max(wait, max(before) + backoff.wait_after(len(before)) - moment)
    counted = Attempt([row.id for row in rows])
    if wait > timedelta(0):
        await counted.passed()
        raise Throttled(wait)
    return counted


async def check(keys: dict[str, str]) -> None:
    """Raise Throttled when any of the keys must still wait (a look only: a try that is then
    made must go through attempt)."""
    wait = await wait_left(keys)
    if wait > timedelta(0):
        raise Throttled(wait)


async def record_failure(keys: dict[str, str]) -> None:
    """Count an event after the fact (prefer attempt, which counts before deciding)."""
    moment = now()
    await LoginFailure.bulk_create(
        [LoginFailure(key=_key(k, v), at=moment) for k, v in keys.items()]
    )


async def clear_failures(keys: dict[str, str]) -> None:
    await LoginFailure.filter(key__in=[_key(k, v) for k, v in keys.items()]).delete()


# --- the client's address ---------------------------------------------------------------------


@lru_cache(maxsize=16)
def _networks(
    trusted: tuple[str, ...],
) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    return tuple(ipaddress.ip_network(value, strict=False) for value in trusted)


def _is_trusted(address: str, trusted: tuple[str, ...]) -> bool:
    try:
        ip = ipaddress.ip_address(address.strip())
    except ValueError:
        return False
    return any(ip in network for network in _networks(trusted))


def client_ip(request: Request) -> str:
    """The address the request came from. Only when it comes through one of TRUSTED_PROXIES is
    X-Forwarded-For believed, read from the right: the first address that is not one of our
    proxies is the client (anything left of it the client could have written itself)."""
    peer = request.client.host if request.client else "unknown"
    trusted = request.app.state.settings.trusted_proxies
    if not trusted or not _is_trusted(peer, trusted):
        return peer
    hops = [hop.strip() for hop in request.headers.get("x-forwarded-for", "").split(",")]
    for hop in reversed([hop for hop in hops if hop]):
        if not _is_trusted(hop, trusted):
            try:
                return str(ipaddress.ip_address(hop))
            except ValueError:
                return peer
    return peer


# --- device cookies ---------------------------------------------------------------------------

DEVICE_COOKIE = "known_device"
DEVICE_COOKIE_DAYS = 365


def _device_mac(secret: str, account_id: int, nonce: str) -> str:
    message = f"{account_id}:{nonce}".encode()
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()[:32]


def new_device_cookie(secret: str, account_id: int) -> str:
    """The cookie a browser gets when it logs in: it names no account, it only proves to us
    that this browser logged in to that account before."""
    nonce = secrets.token_urlsafe(12)
    return f"{nonce}.{_device_mac(secret, account_id, nonce)}"


def remember_device(request: Request, response: Response, account_id: int) -> None:
    """After a log-in (by password or by SMS code): this browser gets its device cookie for the
    account, unless it has one already."""
    if device_key(request, account_id) is not None:
        return
    settings = request.app.state.settings
    response.set_cookie(
        DEVICE_COOKIE,
        new_device_cookie(settings.secret_key, account_id),
        max_age=DEVICE_COOKIE_DAYS * 24 * 3600,
        httponly=True,
        samesite="lax",
        secure=settings.secure_cookies,
    )


def device_key(request: Request, account_id: int | None) -> str | None:
    """This browser's own key for tries at this account, when it has logged in to it before."""
    value = request.cookies.get(DEVICE_COOKIE, "")
    nonce, _dot, mac = value.partition(".")
    if account_id is None or not nonce or len(value) > 200:
        return None
    expected = _device_mac(request.app.state.settings.secret_key, account_id, nonce)
    return nonce if hmac.compare_digest(mac, expected) else None
