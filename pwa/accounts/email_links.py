"""One-time links sent by email (issue 16, items 2 and 4): finishing a sign-up, setting a new
password, showing that an email address is the account's.

A link's token is 32 random bytes (urlsafe base64); only its sha256 is kept, in OneTimeCode
with the link's purpose, the address it was sent to, and when it stops working. Using a link is
one conditional UPDATE (… WHERE used_at IS NULL AND expires_at > now): of two tabs or two
clicks, one gets it. The pages (pwa/accounts/recovery.py) only use a link on a button press,
never on opening it, so a mail scanner that opens links cannot spend one.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from starlette.exceptions import HTTPException
from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from pwa import i18n
from pwa.accounts import consent, services
from pwa.auth import passwords, throttle
from pwa.core import clock
from pwa.core.forms import FormErrors
from pwa.i18n import _
from pwa.models import Account, CodePurpose, ConsentRecord, Family, Invitation, OneTimeCode, Role

SIGN_UP_HOURS = 24
RESET_HOURS = 1
CHECK_EMAIL_HOURS = 24
TOKEN_BYTES = 32
# token_urlsafe(32) is 43 characters; anything much longer in a URL is not ours.
TOKEN_MAX = 64


class LinkNotValid(Exception):
    """The link was used already, is too old, or was never sent."""


def send_keys(email: str, ip: str) -> dict[str, str]:
    """Messages are throttled per address they go to and per address they come from."""
    return {"send_to": email, "send_from": ip}


async def count_send(email: str, ip: str) -> None:
    """Raise throttle.Throttled when messages to this email or from this address must wait;
    otherwise count this one. Known and unknown emails count alike."""
    keys = send_keys(email, ip)
    await throttle.attempt(keys)  # counted before the message goes: parallel sends wait too


async def _issue(
    purpose: CodePurpose,
    target: str,
    hours: int,
    *,
    account: Account | None = None,
    payload: dict[str, Any] | None = None,
) -> str:
    token = secrets.token_urlsafe(TOKEN_BYTES)
    await OneTimeCode.create(
        purpose=purpose,
        target=target,
        code_hash=passwords.token_digest(token),
        account=account,
        payload=payload or {},
        expires_at=clock.now() + timedelta(hours=hours),
    )
    return token


async def _find(purpose: CodePurpose, token: str) -> OneTimeCode:
    """The link's row while it still works, else LinkNotValid."""
    if not token or len(token) > TOKEN_MAX:
        raise LinkNotValid
    row = await OneTimeCode.filter(purpose=purpose, code_hash=passwords.token_digest(token)).first()
    if row is None or row.used_at is not None or row.expires_at <= clock.now():
        raise LinkNotValid
    return row


async def _use(row: OneTimeCode) -> None:
    """Spend the link once, whoever else tries at the same moment."""
    moment = clock.now()
    used = await OneTimeCode.filter(id=row.id, used_at=None, expires_at__gt=moment).update(
        used_at=moment
    )
    if used != 1:
        raise LinkNotValid
    row.used_at = moment


# --- sign-up ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class SignUpStarted:
    """token: the link that finishes the sign-up; None when the email has an account already
    (the caller then sends the message that says so). locale: the language of the message."""

    token: str | None
    locale: str


async def start_sign_up(
    *,
    kind: str,
    email: str,
    password: str,
    name: str,
    phone: str = "",
    person_name: str = "",
    locale: str,
    invitation_digest: str | None = None,
) -> SignUpStarted:
    """Keep a checked sign-up until its link comes back. The password is hashed either way,
    so a known email takes as long as an unknown one. kind: "family", "self", "invitation"
    (a caregiver accepting invitation_digest's invitation: no family of their own) or
    "guardian" (a parent joining, by a centre's invitation of that digest, the family the
    centre made: pwa/accounts/join.py)."""
    password_hash = passwords.hash_password(password)
    account = await Account.get_or_none(email=email)
    if account is not None:
        return SignUpStarted(None, account.locale or locale)
    payload = {
        "kind": kind,
        "name": name,
        "password_hash": password_hash,
        "phone": phone,
        "person_name": person_name,
        "locale": locale,
        "consent_version": consent.NOTICE_VERSION,
        "invitation": invitation_digest,
    }
    token = await _issue(CodePurpose.SIGN_UP, email, SIGN_UP_HOURS, payload=payload)
    return SignUpStarted(token, locale)


async def sign_up_link(token: str) -> OneTimeCode:
    """The waiting sign-up of a link that still works (LinkNotValid otherwise)."""
    return await _find(CodePurpose.SIGN_UP, token)


@dataclass(frozen=True)
class SignedUp:
    account: Account
    # The family the account joined by invitation, or made; None when the invitation stopped
    # working in the meantime.
    family: Family | None
    invited: bool
    # Joined as the family's parent by a centre's invitation (kind "guardian").
    as_parent: bool = False
    # Why the invitation was refused when the link came back, in words (family is None then).
    refusal: str | None = None


async def finish_sign_up(token: str) -> SignedUp:
    """The link came back: make the account (its email verified), with its family and person
    and the consent shown at sign-up, or accept the invitation it was made for. LinkNotValid,
    or FormErrors when the email got an account in the meantime (another link, say)."""
    try:
        return await _make_signed_up(token)
    except IntegrityError:
        # Two links of one email used at the same moment: the other one made the account.
        raise FormErrors({"email": already_text()}) from None


async def _make_signed_up(token: str) -> SignedUp:
    async with in_transaction():
        row = await _find(CodePurpose.SIGN_UP, token)
        await _use(row)
        data = row.payload
        if await Account.exists(email=row.target):
            raise FormErrors({"email": already_text()})
        # The family's name ("Li's family") in the language of the sign-up.
        with i18n.use_locale(str(data.get("locale") or i18n.current_locale())):
            account = await Account.create(
                email=row.target,
                password_hash=str(data["password_hash"]),
                name=str(data["name"]),
                phone=str(data.get("phone") or ""),
                locale=data.get("locale"),
                email_verified_at=clock.now(),
            )
            if data.get("kind") == "guardian":
                return await _join_as_parent(
                    account,
                    str(data["invitation"]),
                    str(data.get("consent_version") or consent.NOTICE_VERSION),
                )
            if data.get("kind") == "invitation":
                try:
                    family = await services.accept_invitation_digest(
                        str(data["invitation"]), account
                    )
                except HTTPException:
                    family = None
                return SignedUp(account, family, invited=True)
            family, person = await services.start_family(
                account, self_managing=data.get("kind") == "self", person_name=data["person_name"]
            )
            await consent.record(
                account,
                occasion="sign_up",
                family_id=family.id,
                person_id=person.id if person is not None else None,
                version=str(data.get("consent_version") or consent.NOTICE_VERSION),
            )
    return SignedUp(account, family, invited=False)


async def _join_as_parent(account: Account, invitation_digest: str, version: str) -> SignedUp:
    """The new account joins the centre's family as its parent, if the invitation still works:
    it is used only now, so a sign-up that never comes back leaves it for someone else.
    accept_guardian_invitation refuses it when used, replaced, expired, or when the family got
    a parent meanwhile; the account stays made, without the family."""
    invitation = await Invitation.get_or_none(token_hash=invitation_digest, role=Role.GUARDIAN)
    if invitation is None:
        return SignedUp(account, None, invited=True, as_parent=True, refusal=None)
    try:
        family = await services.accept_guardian_invitation(invitation, account, occasion="sign_up")
    except services.InvitationRefused as exc:
        return SignedUp(account, None, invited=True, as_parent=True, refusal=exc.reason)
    # The consent is to the notice the form showed: if it changed since, the parent is asked
    # again at the next page (ConsentGate).
    await ConsentRecord.filter(account=account).update(notice_version=version)
    return SignedUp(account, family, invited=True, as_parent=True)


def already_text() -> str:
    """Said only to whoever opened a link sent to the email, who may know it."""
    return _("This email already has an account. Log in, or set a new password if you forgot it.")


# --- a new password --------------------------------------------------------------------------


async def start_reset(email: str) -> tuple[Account, str] | None:
    """A reset link for the account of this email, or None when there is none (the page says
    the same either way)."""
    account = await Account.get_or_none(email=email)
    if account is None:
        return None
    return account, await _issue(CodePurpose.RESET, email, RESET_HOURS, account=account)


async def reset_account(token: str) -> Account:
    """The account a working reset link is for (LinkNotValid otherwise, also when the account's
    email changed since it was sent)."""
    row = await _find(CodePurpose.RESET, token)
    account = await Account.get_or_none(id=row.account_id) if row.account_id else None
    if account is None or account.email != row.target:
        raise LinkNotValid
    return account


async def finish_reset(token: str, new_password: str) -> Account:
    """Set the new password (already checked) and spend the link: the old password stops
    working, every session of the account ends (every browser, this one too: the caller logs
    it in again), the account's other reset links die, and the email counts as verified, since
    the link reached it."""
    account = await reset_account(token)
    password_hash = passwords.hash_password(new_password)
    async with in_transaction():
        row = await _find(CodePurpose.RESET, token)
        await _use(row)
        moment = clock.now()
        account.password_hash = password_hash
        account.email_verified_at = account.email_verified_at or moment
        await account.save(update_fields=["password_hash", "email_verified_at"])
        await OneTimeCode.filter(
            account_id=account.id, purpose=CodePurpose.RESET, used_at=None
        ).update(used_at=moment)
        await services.end_other_devices(account, keep_session=None)
    # The owner proved the email: earlier wrong passwords typed for it no longer slow log-in.
    await throttle.clear_failures({"account": services.account_key(account)})
    return account


# --- verifying an email ----------------------------------------------------------------------


async def start_email_check(account: Account) -> str | None:
    """A link that shows the account's email is theirs; None when there is nothing to check."""
    if not account.email or account.email_verified_at is not None:
        return None
    return await _issue(CodePurpose.VERIFY_EMAIL, account.email, CHECK_EMAIL_HOURS, account=account)


async def email_check_account(token: str) -> Account:
    row = await _find(CodePurpose.VERIFY_EMAIL, token)
    account = await Account.get_or_none(id=row.account_id) if row.account_id else None
    if account is None or account.email != row.target:
        raise LinkNotValid
    return account


async def finish_email_check(token: str) -> Account:
    async with in_transaction():
        account = await email_check_account(token)
        row = await _find(CodePurpose.VERIFY_EMAIL, token)
        await _use(row)
        account.email_verified_at = account.email_verified_at or clock.now()
        await Account.filter(id=account.id, email=row.target).update(
            email_verified_at=account.email_verified_at
        )
    return account
