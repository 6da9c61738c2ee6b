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
from uuid import UUID

from starlette.exceptions import HTTPException
from starlette.requests import Request

from pwa.auth.passwords import token_digest
from pwa.core import plain
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
    # The account's memberships (family id → role), read with the session on this request
    # (issue 19); None when not read, and pwa/auth/access.py asks the database itself.
    memberships: dict[UUID, str] | None = None

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
    found = await _session_row(token_digest(key))
    if found is None:
        return Principal()
    record, account, device, person, has_orgs, memberships = found
    if record["expires_at"] is not None and record["expires_at"] <= now():
        await Session.filter(id=record["id"]).delete()
        return Principal()
    if account is not None:
        # Most accounts (parents) work for no organisation: the query above says so, and the
        # organisations are read only for those that do.
        kinds = await active_org_kinds(account) if has_orgs else set()
        return Principal(
            account=account,
            person=person,
            org_kinds=kinds,
            session_id=record["id"],
            memberships=memberships,
        )
    if device is None or device.revoked_at is not None or device.claimed_at is None:
        return Principal(unlinked=True)
    # The phone's person, as device.person reads it after fetch_related.
    object.__setattr__(device, "_person", person)
    return Principal(device=device, person=person, session_id=record["id"])


# Who is asking, in one query on every request (issue 19: it was three, a third of a small
# request's server time): the session row, its account or linked phone, the person of either,
# whether the account works for any organisation, and its memberships (a row each; most
# accounts have one). Each model's columns under a prefix of
# its own, made into models by tortoise's own reader (_init_from_db: the same conversions a
# query's rows get).
_JOINED: tuple[tuple[str, Any, str], ...] = (
    ("a", Account, "a.id = s.account_id"),
    ("d", DeviceLink, "d.id = s.device_id"),
    # An account's own person (an adult who plans for themselves), and the phone's person:
    # two joins, each on an index, rather than one join on either.
    ("pa", Person, "pa.account_id = s.account_id"),
    ("pd", Person, "pd.id = d.person_id"),
)


def _principal_sql() -> str:
    columns = ["s.id AS s__id", "s.expires_at AS s__expires_at"]
    joins = []
    for alias, model, on in _JOINED:
        columns += [f'{alias}."{c}" AS {alias}__{c}' for c in model._meta.db_fields]
        joins.append(f'LEFT JOIN "{model._meta.db_table}" {alias} ON {on}')
    has_orgs = "EXISTS (SELECT 1 FROM org_membership m WHERE m.account_id = s.account_id)"
    columns += [f"{has_orgs} AS has_orgs", "mb.family_id AS mb__family_id", "mb.role AS mb__role"]
    joins.append("LEFT JOIN membership mb ON mb.account_id = s.account_id")
    return f"SELECT {', '.join(columns)} FROM session s {' '.join(joins)} WHERE s.key_hash = ?"


async def _session_row(
    key_hash: str,
) -> (
    tuple[dict[str, Any], Account | None, DeviceLink | None, Person | None, bool, dict[UUID, str]]
    | None
):
    rows = await plain.rows("principal", lambda _dialect: _principal_sql(), [key_hash])
    if not rows:
        return None
    row = rows[0]
    expires = Session._meta.fields_map["expires_at"].to_python_value(row["s__expires_at"])
    made: dict[str, Any] = {alias: plain.made(model, row, alias) for alias, model, _on in _JOINED}
    record = {"id": row["s__id"], "expires_at": expires}
    memberships = {
        UUID(str(r["mb__family_id"])): str(r["mb__role"]) for r in rows if r["mb__family_id"]
    }
    person = made["pa"] or made["pd"]
    return record, made["a"], made["d"], person, bool(row["has_orgs"]), memberships


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
