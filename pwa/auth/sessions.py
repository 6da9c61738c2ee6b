"""Sessions the server can end, and who is asking (the principal).

The signed cookie holds only a random key; the `session` table holds its sha256 with the
account or the linked phone it opens. Every request looks the key up, so deleting the row ends
the session at once, wherever the cookie is: logging out, a new password, "log out on every
device", a caregiver whose invitation was revoked, an unlinked phone.

An account's session ends after ACCOUNT_SESSION_DAYS; the person's linked phone keeps its
session until the phone is unlinked, so the person never has to type a password (WCAG 2.2.6).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request

from pwa.auth.passwords import token_digest
from pwa.core.clock import now
from pwa.core.ids import uuid_or_none
from pwa.models import Account, DeviceLink, OrgKind, Person, Session

ACCOUNT_SESSION_DAYS = 30
# How old the phone's "last heard from" may get before a request writes it again. Writing it
# on every request made every page view and pull a database write (bench/load.py): on SQLite
# each is a commit that waits for the disk and for the one writer's lock.
LAST_SEEN_EVERY = timedelta(seconds=30)
SESSION_KEY = "key"


@dataclass
class Principal:
    """Who sent the request: an account, a linked person phone, or nobody."""

    account: Account | None = None
    device: DeviceLink | None = None
    # The person whose screens this caller uses: the linked phone's, or a self-managing adult's.
    person: Person | None = None
    org_kinds: set[OrgKind] = field(default_factory=set)
    session_id: int | None = None
    # A phone whose link was ended: nobody, but told so (403) rather than asked to log in.
    unlinked: bool = False

    @property
    def is_anonymous(self) -> bool:
        return self.account is None and self.device is None

    @property
    def preferred_locale(self) -> str | None:
        if self.account is not None and self.account.locale:
            return str(self.account.locale)
        if self.person is not None:
            language = self.person.settings.get("language")
            return str(language) if language else None
        return None


def sync_key(who: Principal) -> str:
    """Names the phone's copy and outbox of this account or linked phone (static/js/outbox.js),
    so one never sends changes in the name of another on a shared browser."""
    if who.device is not None:
        return f"device-{who.device.id}"
    return f"account-{who.account.id}" if who.account else ""


async def active_org_kinds(account: Account) -> set[OrgKind]:
    """The kinds of organisation the account works for, of those neither suspended nor ended
    (issue 17): a suspended store's staff, or a suspended chain's stores' staff, have no
    screens of it at once, on their next request."""
    memberships = await account.org_memberships.all().prefetch_related(
        "organisation", "organisation__chain"
    )
    kinds = set()
    for membership in memberships:
        org = membership.organisation
        chain = org.chain
        if org.suspended_at or org.ended_at:
            continue
        if chain is not None and (chain.suspended_at or chain.ended_at):
            continue
        kinds.add(org.kind)
    return kinds


def principal(request: Request) -> Principal:
    found = request.scope.get("startrip.principal")
    return found if isinstance(found, Principal) else Principal()


async def _start(request: Request, **owner: Any) -> None:
    """A new session row and a cookie that names it (a new CSRF token too)."""
    await end_session(request)
    key = secrets.token_urlsafe(32)
    await Session.create(key_hash=token_digest(key), **owner)
    lang = request.session.get("lang")
    request.session.clear()
    request.session[SESSION_KEY] = key
    if lang:
        request.session["lang"] = lang


async def login_session(request: Request, account: Account) -> None:
    """Start a fresh session for an account."""
    await _start(request, account=account, expires_at=now() + timedelta(days=ACCOUNT_SESSION_DAYS))


async def device_session(request: Request, device: DeviceLink) -> None:
    """Start the person phone's session: no expiry, ended only by unlinking the phone."""
    await _start(request, device=device, expires_at=None)


async def end_session(request: Request) -> None:
    """Log out this browser: its session row goes, and the cookie keeps only the language."""
    if key := request.session.get(SESSION_KEY):
        await Session.filter(key_hash=token_digest(str(key))).delete()
    lang = request.session.get("lang")
    request.session.clear()
    if lang:
        request.session["lang"] = lang


async def end_account_sessions(account_id: int, keep: int | None = None) -> int:
    """Every session of an account ends (but `keep`, the one asking, when given)."""
    query = Session.filter(account_id=account_id)
    if keep is not None:
        query = query.exclude(id=keep)
    return await query.delete()


async def load_principal(session: dict[str, Any]) -> Principal:
    key = session.get(SESSION_KEY)
    if not isinstance(key, str) or not key:
        return await _upgrade_phone(session)
    record = await Session.get_or_none(key_hash=token_digest(key)).select_related(
        "account", "device"
    )
    if record is None:
        return Principal()
    if record.expires_at is not None and record.expires_at <= now():
        await Session.filter(id=record.id).delete()
        return Principal()
    if record.account is not None:
        account = record.account
        person = await Person.get_or_none(account=account)
        kinds = await active_org_kinds(account)
        return Principal(account=account, person=person, org_kinds=kinds, session_id=record.id)
    device = record.device
    if device is None or device.revoked_at is not None or device.claimed_at is None:
        return Principal(unlinked=True)
    await device.fetch_related("person")
    return Principal(device=device, person=device.person, session_id=record.id)


async def _upgrade_phone(session: dict[str, Any]) -> Principal:
    """A phone linked before sessions had rows carries its device id in the cookie: while the
    link stands it gets a session row, so no family has to link every phone again. An account
    cookie of that kind opens nothing (logging out did not end those)."""
    device_id = uuid_or_none(session.get("device_id"))
    if device_id is None:
        return Principal()
    device = await DeviceLink.get_or_none(
        id=device_id, revoked_at=None, claimed_at__isnull=False
    ).prefetch_related("person")
    if device is None or await Session.exists(device_id=device.id):
        # Once per link: after that, only the session row opens it (logging out ends it).
        return Principal()
    key = secrets.token_urlsafe(32)
    record = await Session.create(key_hash=token_digest(key), device=device, expires_at=None)
    session.pop("device_id", None)
    session[SESSION_KEY] = key
    return Principal(device=device, person=device.person, session_id=record.id)


def stale(last_seen_at: datetime | None) -> bool:
    return last_seen_at is None or now() - last_seen_at >= LAST_SEEN_EVERY


class LoginRequired(Exception):
    """Raised where a page needs an account; answered by a redirect to the log-in page."""


def require_account(request: Request) -> Account:
    who = principal(request)
    if who.account is None:
        if who.device is not None:
            # A linked person phone never opens the parents' pages.
            raise HTTPException(403)
        raise LoginRequired()
    return who.account


def require_someone(request: Request) -> Principal:
    who = principal(request)
    if who.is_anonymous:
        raise LoginRequired()
    return who
