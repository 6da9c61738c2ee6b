"""Sessions, who is asking (the principal), the authorization table, CSRF and password hashes.

One table says which role may do which action; anything not in it is denied. An object of a
family the caller does not belong to answers 404, so its existence is not revealed.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from urllib.parse import parse_qsl

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from pwa import i18n
from pwa.models import Account, DeviceLink, Family, LoginFailure, Membership, OrgKind, Person

ACCOUNT_SESSION_DAYS = 30

_hasher = PasswordHasher()


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def token_digest(token: str) -> str:
    """Codes and invitation tokens are stored only as their sha256."""
    return hashlib.sha256(token.encode()).hexdigest()


def now() -> datetime:
    return datetime.now(UTC)


# --- roles and the authorization table -------------------------------------------------------


class Role(StrEnum):
    GUARDIAN = "guardian"
    CAREGIVER = "caregiver"
    PERSON = "person"  # the person's own linked phone, or an adult who is their own guardian
    CENTRE_STAFF = "centre_staff"
    MERCHANT_STAFF = "merchant_staff"


class Action(StrEnum):
    FAMILY_VIEW = "family.view"
    FAMILY_MANAGE = "family.manage"  # add a person, rename the family
    CAREGIVER_INVITE = "caregiver.invite"
    PERSON_VIEW = "person.view"
    PERSON_SETTINGS_VIEW = "person.settings.view"
    PERSON_SETTINGS_EDIT = "person.settings.edit"
    DEVICE_LINK = "device.link"
    PERSON_SCREENS = "person.screens"  # the screens the person uses in the shop
    LIST_VIEW = "list.view"
    # The person may change only their own lists, and only when the guardian allows it.
    LIST_EDIT = "list.edit"
    LIST_SHOP = "list.shop"  # tick items in the shopping view
    PLAN_VIEW = "plan.view"
    PLAN_EDIT = "plan.edit"
    TRIP_RUN = "trip.run"  # go through a plan step by step (the guardian: as a preview)
    TRIP_VIEW = "trip.view"
    TRIP_NOTE = "trip.note"  # a caregiver's only write (issue 7)
    WALLET_VIEW = "wallet.view"
    PHOTO_ADD = "photo.add"
    PHOTO_VIEW = "photo.view"
    CENTRE_SCREENS = "centre.screens"
    MERCHANT_SCREENS = "merchant.screens"


AUTHORIZATION: dict[Action, frozenset[Role]] = {
    Action.FAMILY_VIEW: frozenset({Role.GUARDIAN, Role.CAREGIVER}),
    Action.FAMILY_MANAGE: frozenset({Role.GUARDIAN}),
    Action.CAREGIVER_INVITE: frozenset({Role.GUARDIAN}),
    Action.PERSON_VIEW: frozenset({Role.GUARDIAN, Role.CAREGIVER}),
    Action.PERSON_SETTINGS_VIEW: frozenset({Role.GUARDIAN, Role.CAREGIVER}),
    Action.PERSON_SETTINGS_EDIT: frozenset({Role.GUARDIAN}),
    Action.DEVICE_LINK: frozenset({Role.GUARDIAN}),
    Action.PERSON_SCREENS: frozenset({Role.PERSON, Role.GUARDIAN}),
    Action.LIST_VIEW: frozenset({Role.GUARDIAN, Role.CAREGIVER, Role.PERSON}),
    Action.LIST_EDIT: frozenset({Role.GUARDIAN, Role.PERSON}),
    Action.LIST_SHOP: frozenset({Role.GUARDIAN, Role.PERSON}),
    Action.PLAN_VIEW: frozenset({Role.GUARDIAN, Role.CAREGIVER, Role.PERSON}),
    Action.PLAN_EDIT: frozenset({Role.GUARDIAN}),
    Action.TRIP_RUN: frozenset({Role.GUARDIAN, Role.PERSON}),
    Action.TRIP_VIEW: frozenset({Role.GUARDIAN, Role.CAREGIVER}),
    Action.TRIP_NOTE: frozenset({Role.GUARDIAN, Role.CAREGIVER}),
    # Caregivers never see or use the family's money (issue 7).
    Action.WALLET_VIEW: frozenset({Role.GUARDIAN}),
    Action.PHOTO_ADD: frozenset({Role.GUARDIAN}),
    Action.PHOTO_VIEW: frozenset({Role.GUARDIAN, Role.CAREGIVER, Role.PERSON}),
    Action.CENTRE_SCREENS: frozenset({Role.CENTRE_STAFF}),
    Action.MERCHANT_SCREENS: frozenset({Role.MERCHANT_STAFF}),
}


def allowed(role: Role | None, action: Action) -> bool:
    return role is not None and role in AUTHORIZATION.get(action, frozenset())


# --- the principal ----------------------------------------------------------------------------


@dataclass
class Principal:
    """Who sent the request: an account, a linked person phone, or nobody."""

    account: Account | None = None
    device: DeviceLink | None = None
    # The person whose screens this caller uses: the linked phone's, or a self-managing adult's.
    person: Person | None = None
    org_kinds: set[OrgKind] = field(default_factory=set)

    @property
    def is_anonymous(self) -> bool:
        return self.account is None and self.device is None

    @property
    def preferred_locale(self) -> str | None:
        if self.account is not None and self.account.locale:
            return self.account.locale
        if self.person is not None:
            return self.person.settings.get("language") or None
        return None


def sync_key(who: Principal) -> str:
    """Names the phone's copy and outbox of this account or linked phone (static/js/outbox.js),
    so one never sends changes in the name of another on a shared browser."""
    if who.device is not None:
        return f"device-{who.device.id}"
    return f"account-{who.account.id}" if who.account else ""


def principal(request: Request) -> Principal:
    return request.scope.get("startrip.principal") or Principal()


def login_session(request: Request, account: Account) -> None:
    """Start a fresh session for an account (a new CSRF token too)."""
    request.session.clear()
    request.session.update({"account_id": account.id, "since": int(time.time())})


def device_session(request: Request, device: DeviceLink) -> None:
    """Start the person phone's session: no expiry, ended only by revoking the link."""
    request.session.clear()
    request.session.update({"device_id": str(device.id), "since": int(time.time())})


def end_session(request: Request) -> None:
    lang = request.session.get("lang")
    request.session.clear()
    if lang:
        request.session["lang"] = lang


async def load_principal(session: dict) -> Principal:
    if account_id := session.get("account_id"):
        if time.time() - session.get("since", 0) > ACCOUNT_SESSION_DAYS * 86400:
            return Principal()
        account = await Account.get_or_none(id=account_id)
        if account is None:
            return Principal()
        person = await Person.get_or_none(account=account)
        kinds = {
            om.organisation.kind
            for om in await account.org_memberships.all().prefetch_related("organisation")
        }
        return Principal(account=account, person=person, org_kinds=kinds)
    if device_id := session.get("device_id"):
        try:
            device_uuid = uuid.UUID(device_id)
        except ValueError:
            return Principal()
        device = await DeviceLink.get_or_none(
            id=device_uuid, revoked_at=None, claimed_at__isnull=False
        ).prefetch_related("person")
        if device is None:
            return Principal()
        return Principal(device=device, person=device.person)
    return Principal()


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


async def family_role(who: Principal, family_id: uuid.UUID) -> Role | None:
    if who.account is None:
        return None
    membership = await Membership.get_or_none(account=who.account, family_id=family_id)
    return Role(membership.role.value) if membership else None


async def authorize_family(request: Request, family_id: str, action: Action) -> tuple[Family, Role]:
    who = principal(request)
    if who.is_anonymous:
        raise LoginRequired()
    family_uuid = uuid_or_404(family_id)
    role = await family_role(who, family_uuid)
    family = await Family.get_or_none(id=family_uuid) if role else None
    if family is None:
        raise HTTPException(404)
    if not allowed(role, action):
        raise HTTPException(403)
    return family, role


async def person_role(who: Principal, person: Person) -> Role | None:
    if who.device is not None:
        return Role.PERSON if who.device.person_id == person.id else None
    return await family_role(who, person.family_id)


async def authorize_person(request: Request, person_id: str, action: Action) -> tuple[Person, Role]:
    who = principal(request)
    if who.is_anonymous:
        raise LoginRequired()
    person = await Person.get_or_none(id=uuid_or_404(person_id)).prefetch_related("family")
    role = await person_role(who, person) if person else None
    if person is None or role is None:
        raise HTTPException(404)
    if not allowed(role, action):
        raise HTTPException(403)
    return person, role


async def authorize_object(
    request: Request,
    family_id: uuid.UUID,
    action: Action,
    person_id: uuid.UUID | None = None,
) -> Role:
    """For a row of a family (a list, a photo): the caller's role, or 404 / 403.

    The person's phone sees its own family's rows, and of rows made for one person only that
    person's (person_id)."""
    who = principal(request)
    if who.is_anonymous:
        raise LoginRequired()
    role: Role | None
    if who.device is not None:
        person = who.device.person
        mine = person.family_id == family_id and person_id in (None, person.id)
        role = Role.PERSON if mine else None
    else:
        role = await family_role(who, family_id)
    if role is None:
        raise HTTPException(404)
    if not allowed(role, action):
        raise HTTPException(403)
    return role


def require_role(request: Request, action: Action) -> Principal:
    """For pages that belong to no family (centre and merchant screens)."""
    who = principal(request)
    if who.is_anonymous:
        raise LoginRequired()
    roles = {
        Role.CENTRE_STAFF: OrgKind.CENTRE in who.org_kinds,
        Role.MERCHANT_STAFF: OrgKind.MERCHANT in who.org_kinds,
    }
    if not any(allowed(role, action) for role, has in roles.items() if has):
        raise HTTPException(403)
    return who


def not_found() -> HTTPException:
    return HTTPException(404)


def uuid_or_404(value: str) -> uuid.UUID:
    try:
        return uuid.UUID(str(value))
    except ValueError:
        raise HTTPException(404) from None


# --- login throttling -------------------------------------------------------------------------

THROTTLE_WINDOW = timedelta(minutes=15)
THROTTLE_LIMITS = {"email": 5, "ip": 30}


async def throttled(keys: dict[str, str]) -> bool:
    since = now() - THROTTLE_WINDOW
    for kind, value in keys.items():
        count = await LoginFailure.filter(key=f"{kind}:{value}", at__gte=since).count()
        if count >= THROTTLE_LIMITS[kind]:
            return True
    return False


async def record_failure(keys: dict[str, str]) -> None:
    await LoginFailure.bulk_create([LoginFailure(key=f"{k}:{v}") for k, v in keys.items()])


async def clear_failures(keys: dict[str, str]) -> None:
    await LoginFailure.filter(key__in=[f"{k}:{v}" for k, v in keys.items()]).delete()


def client_ip(request: Request) -> str:
    return request.client.host if request.client else "unknown"


# --- middleware ------------------------------------------------------------------------------


STATIC_PREFIXES = ("/static/", "/openmoji/")
# How old the phone's "last heard from" may get before a request writes it again. Writing it
# on every request made every page view and pull a database write (bench/load.py): on SQLite
# each is a commit that waits for the disk and for the one writer's lock.
LAST_SEEN_EVERY = timedelta(seconds=30)


def _stale(last_seen_at: datetime | None) -> bool:
    return last_seen_at is None or now() - last_seen_at >= LAST_SEEN_EVERY


class PrincipalMiddleware:
    """Loads who is asking and settles the page language: account or person > cookie > browser."""

    def __init__(self, app: ASGIApp, default_locale: str) -> None:
        self.app = app
        self.default_locale = default_locale

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith(STATIC_PREFIXES):
            # Files need no principal: no database work for every picture and stylesheet.
            await self.app(scope, receive, send)
            return
        who = await load_principal(scope.get("session", {}))
        if who.device is not None and _stale(who.device.last_seen_at):
            await DeviceLink.filter(id=who.device.id).update(last_seen_at=now())
        scope["startrip.principal"] = who
        headers = Headers(scope=scope)
        locale = (
            who.preferred_locale
            or scope.get("session", {}).get("lang")
            or i18n.negotiate(headers.get("accept-language", ""))
            or self.default_locale
        )
        scope["startrip.locale"] = locale
        i18n.set_locale(locale)
        await self.app(scope, receive, send)


CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
UNSAFE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}


def csrf_token(request: Request) -> str:
    token = request.session.get("csrf")
    if not token:
        token = secrets.token_urlsafe(32)
        request.session["csrf"] = token
    return token


class CSRFMiddleware:
    """Every unsafe request carries the session's token: a form field, or a header for JSON."""

    def __init__(self, app: ASGIApp, on_failure: ASGIApp) -> None:
        self.app = app
        self.on_failure = on_failure

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in UNSAFE_METHODS:
            await self.app(scope, receive, send)
            return
        expected = scope.get("session", {}).get("csrf", "")
        headers = Headers(scope=scope)
        if expected and hmac.compare_digest(headers.get(CSRF_HEADER, ""), expected):
            await self.app(scope, receive, send)
            return
        body, more = b"", True
        while more:
            message = await receive()
            body += message.get("body", b"")
            more = message.get("more_body", False)
        sent = await _form_token(scope, headers, body)
        if not expected or not hmac.compare_digest(sent, expected):
            await self.on_failure(scope, _replay(b""), send)
            return
        await self.app(scope, _replay(body), send)


def _replay(body: bytes) -> Receive:
    sent = False

    async def receive() -> Message:
        nonlocal sent
        if sent:
            return {"type": "http.disconnect"}
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return receive


async def _form_token(scope: Scope, headers: Headers, body: bytes) -> str:
    content_type = headers.get("content-type", "")
    if content_type.startswith("application/x-www-form-urlencoded"):
        for key, value in parse_qsl(body.decode("latin-1"), keep_blank_values=True):
            if key == CSRF_FIELD:
                return value
        return ""
    if content_type.startswith("multipart/form-data"):
        form = await Request(scope, _replay(body)).form()
        try:
            value = form.get(CSRF_FIELD)
            return value if isinstance(value, str) else ""
        finally:
            await form.close()
    return ""
