"""Accounts: sign-up, log-in, passwords, invitations of caregivers, linking the person's phone,
staff of organisations (the only writers of accounts, memberships and links)."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from datetime import datetime, timedelta
from uuid import UUID

from starlette.exceptions import HTTPException
from tortoise.transactions import in_transaction

from pwa import i18n
from pwa.accounts import consent, mail, password_policy
from pwa.audit import services as audit
from pwa.audit.services import AuditAction
from pwa.auth import passwords, sessions, throttle
from pwa.core import clock
from pwa.core.forms import EMAIL_RE, PHONE_RE, FormErrors
from pwa.core.ids import BadId, parse_uuid
from pwa.i18n import _
from pwa.models import (
    Account,
    CodePurpose,
    DeviceLink,
    Family,
    Invitation,
    Membership,
    OneTimeCode,
    Organisation,
    OrgKind,
    OrgMembership,
    PayToken,
    Person,
    PushSubscription,
    Role,
)
from pwa.settings import SUPPORTED_LOCALES, Settings

INVITATION_DAYS = 7
LINK_CODE_MINUTES = 30
# No 0/O, 1/I/L: a code read aloud or typed from a screen is not misread.
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"


def new_code(length: int = 8) -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(length))


def show_code(code: str) -> str:
    return f"{code[:4]}-{code[4:]}"


def normalise_code(typed: str) -> str:
    return "".join(ch for ch in typed.upper() if ch.isalnum())


# --- service functions: the only writers -----------------------------------------------------


# The database's column sizes (pwa/models.py): longer input is refused in words, never a 500.
NAME_MAX = 100
EMAIL_MAX = 254
PERSON_NAME_MAX = 60
PASSWORD_MAX = password_policy.PASSWORD_MAX


def check_account_fields(email: str, password: str, name: str, phone: str = "") -> dict[str, str]:
    errors = {}
    if not name:
        errors["name"] = _("Write your name.")
    elif len(name) > NAME_MAX:
        errors["name"] = _("A name can have at most %(n)s characters.", n=NAME_MAX)
    if len(email) > EMAIL_MAX or not EMAIL_RE.match(email) or not mail.sendable(email):
        errors["email"] = _("Write an email address like name@example.com.")
    # Long enough, not a common password, hard to guess (NIST 800-63B: password_policy.py).
    if reason := password_policy.problem(password, (name, email)):
        errors["password"] = reason
    if phone and not PHONE_RE.match(phone):
        errors["phone"] = _("Write a phone number with digits only, like 13800138000.")
    return errors


def check_sign_up(
    *, email: str, password: str, name: str, phone: str, person_name: str
) -> dict[str, str]:
    """The errors of an email sign-up form (the consent box is checked by consent.check)."""
    errors = check_account_fields(email, password, name, phone)
    if len(person_name) > PERSON_NAME_MAX:
        errors["person_name"] = _("A name can have at most %(n)s characters.", n=PERSON_NAME_MAX)
    return errors


def _account_errors(
    email: str, password: str, name: str, phone: str, mobile: str | None
) -> dict[str, str]:
    errors = check_account_fields(email, password, name, phone)
    if mobile is not None:
        # Signing up by mobile (pwa/accounts/mobile.py): no email and no password to check.
        errors.pop("email", None)
        errors.pop("password", None)
    return errors


async def create_account(
    email: str,
    password: str,
    name: str,
    phone: str = "",
    locale: str | None = None,
    *,
    mobile: str | None = None,
) -> Account:
    """With `mobile` (E.164, shown to be the caller's by an SMS code) the account has no email
    and no password: it signs in with a code sent to that number (issue 16)."""
    email = email.strip().lower()
    errors = _account_errors(email, password, name, phone, mobile)
    if mobile is not None:
        if not errors and await Account.exists(mobile=mobile):
            errors["number"] = _("There is already an account with this mobile number.")
    elif not errors and await Account.exists(email=email):
        # Sign-up pages never get here (they send an email instead, issue 16): the command
        # line and the tests' factories do.
        errors["email"] = _(
            "This email already has an account. Log in, or set a new password if you forgot it."
        )
    if errors:
        raise FormErrors(errors)
    return await Account.create(
        email=email if mobile is None else None,
        password_hash=passwords.hash_password(password) if mobile is None else "",
        name=name,
        phone=phone,
        locale=locale,
        mobile=mobile,
    )


async def new_family(name: str) -> Family:
    while True:
        code = new_code()
        if not await Family.exists(code=code):
            return await Family.create(name=name, code=code)


async def sign_up_parent(
    *,
    email: str,
    password: str,
    name: str,
    phone: str,
    person_name: str,
    locale: str | None,
    mobile: str | None = None,
) -> Account:
    """A parent's sign-up creates their family, with the person when a name is given."""
    if len(person_name) > PERSON_NAME_MAX:
        errors = _account_errors(email.strip().lower(), password, name, phone, mobile)
        errors["person_name"] = _("A name can have at most %(n)s characters.", n=PERSON_NAME_MAX)
        raise FormErrors(errors)
    async with in_transaction():
        account = await create_account(email, password, name, phone, locale, mobile=mobile)
        await start_family(account, self_managing=False, person_name=person_name)
    return account


async def sign_up_self(
    *,
    email: str,
    password: str,
    name: str,
    phone: str,
    locale: str | None,
    mobile: str | None = None,
) -> Account:
    """An autistic adult plans their own trips: a family of one, guardian and person at once."""
    async with in_transaction():
        account = await create_account(email, password, name, phone, locale, mobile=mobile)
        await start_family(account, self_managing=True)
    return account


async def start_family(
    account: Account, *, self_managing: bool, person_name: str = ""
) -> tuple[Family, Person | None]:
    """A new account's own family, the account its guardian. A parent's family is named after
    them and has the person when a name is given; an adult who plans their own trips is their
    family's person too."""
    if self_managing:
        family = await new_family(account.name)
    else:
        family = await new_family(_("%(name)s's family", name=account.name)[:NAME_MAX])
    await Membership.create(account=account, family=family, role=Role.GUARDIAN)
    person = None
    if self_managing:
        person = await Person.create(
            family=family, display_name=account.name[:PERSON_NAME_MAX], account=account
        )
    elif person_name:
        person = await Person.create(family=family, display_name=person_name)
    return family, person


async def authenticate(
    email: str, password: str, ip: str, device_of: Callable[[int | None], str | None]
) -> Account:
    """Check a log-in; raises FormErrors, or throttle.Throttled when tries must slow down.

    device_of(account id) is this browser's own key for that account when it has logged in to
    it before (throttle.device_key): its tries are then counted for it alone, so a stranger's
    guessing never slows the owner's own browser. Otherwise tries count for the typed email and
    the address. An unknown email goes the same way as a known one, with the same argon2 work:
    the answer and its time do not tell anyone which emails have accounts."""
    typed = email.strip().lower()[:EMAIL_MAX]
    account = await Account.get_or_none(email=typed)
    device = device_of(account.id if account is not None else None)
    keys = {"device": device} if device else {"account": typed, "ip": ip}
    tried = await throttle.attempt(keys)
    known_hash = account.password_hash if account is not None else passwords.unknown_hash()
    if not passwords.verify_password(known_hash, password) or account is None:
        raise FormErrors({"password": _("The email or the password is not right.")})
    # A right password takes its own try back; the address keeps the count of the wrong ones
    # before it: logging in to one's own account must not reset the count of somebody trying
    # many accounts from the same place.
    await tried.passed()
    await throttle.clear_failures({k: v for k, v in keys.items() if k != "ip"})
    return account


async def update_account(account: Account, *, name: str, phone: str, locale: str) -> None:
    errors = {}
    if not name:
        errors["name"] = _("Write your name.")
    elif len(name) > NAME_MAX:
        errors["name"] = _("A name can have at most %(n)s characters.", n=NAME_MAX)
    if phone and not PHONE_RE.match(phone):
        errors["phone"] = _("Write a phone number with digits only, like 13800138000.")
    if locale and locale not in SUPPORTED_LOCALES:
        errors["locale"] = _("Choose one of the languages.")
    if errors:
        raise FormErrors(errors)
    account.name, account.phone, account.locale = name, phone, locale or None
    await account.save(update_fields=["name", "phone", "locale"])


async def set_language(who: sessions.Principal, locale: str) -> None:
    """The language switch: kept on the account or the person's phone so it follows them."""
    if locale not in SUPPORTED_LOCALES:
        raise HTTPException(400)
    if who.account is not None and who.account.locale:
        await Account.filter(id=who.account.id).update(locale=locale)
    if who.device is not None and who.person is not None:
        settings = dict(who.person.settings)
        settings["language"] = locale
        await Person.filter(id=who.person.id).update(settings=settings)


async def create_invitation(family: Family, by: Account) -> str:
    token = secrets.token_urlsafe(24)
    async with in_transaction():
        invitation = await Invitation.create(
            family=family,
            created_by=by,
            token_hash=passwords.token_digest(token),
            expires_at=clock.now() + timedelta(days=INVITATION_DAYS),
        )
        await audit.record(
            AuditAction.INVITATION_MAKE,
            actor=by,
            object_kind="invitation",
            object_id=invitation.id,
            after={
                "family": family.id,
                "role": Role.CAREGIVER,
                "expires_at": invitation.expires_at,
            },
        )
    return token


async def open_invitation(token: str) -> Invitation:
    return await open_invitation_digest(passwords.token_digest(token))


async def open_invitation_digest(token_hash: str) -> Invitation:
    """open_invitation by the token's sha256: a sign-up finished by email link keeps only that
    (pwa/accounts/email_links.py)."""
    invitation = await Invitation.get_or_none(token_hash=token_hash).prefetch_related(
        "family", "created_by"
    )
    if invitation is None or invitation.revoked_at or invitation.expires_at < clock.now():
        raise HTTPException(404)
    return invitation


async def accept_invitation(token: str, account: Account) -> Family:
    return await accept_invitation_digest(passwords.token_digest(token), account)


async def accept_invitation_digest(token_hash: str, account: Account) -> Family:
    async with in_transaction():
        invitation = await open_invitation_digest(token_hash)
        # A centre's invitation for a parent is accepted by accept_guardian_invitation only.
        if invitation.role != Role.CAREGIVER or invitation.accepted_by_id not in (None, account.id):
            raise HTTPException(404)
        # Work and family stay apart (issue 17): a staff account (a centre's, a shop's, the
        # programme's) never reads a family's trips, as no family account becomes staff.
        if await OrgMembership.exists(account=account):
            raise InvitationRefused(
                _(
                    "This account belongs to the staff of an organisation of the programme. "
                    "Join the family with your own personal account."
                )
            )
        if not await Membership.exists(account=account, family=invitation.family):
            await Membership.create(
                account=account,
                family=invitation.family,
                role=Role.CAREGIVER,
                invitation=invitation,
            )
            await audit.record(
                AuditAction.INVITATION_ACCEPT,
                actor=account,
                object_kind="invitation",
                object_id=invitation.id,
                before={"family": invitation.family_id, "role": None},
                after={"family": invitation.family_id, "role": Role.CAREGIVER},
            )
        invitation.accepted_by = account
        invitation.accepted_at = invitation.accepted_at or clock.now()
        await invitation.save(update_fields=["accepted_by_id", "accepted_at"])
    return invitation.family


async def revoke_invitation(family: Family, invitation_id: str) -> None:
    """Revoking also ends the access of the caregiver who accepted it."""
    async with in_transaction():
        # A centre's invitation for a parent is the centre's (issue 16), not on this page.
        invitation = await Invitation.get_or_none(
            id=invitation_id, family=family, role=Role.CAREGIVER
        )
        if invitation is None:
            raise HTTPException(404)
        invitation.revoked_at = invitation.revoked_at or clock.now()
        await invitation.save(update_fields=["revoked_at"])
        # Every page, pull and push looks the membership up again, so the caregiver's access
        # to this family ends now, in every browser; their account stays logged in for the
        # other families that invited them. Whichever of this family's invitations made the
        # membership, it goes, and so do the others that caregiver accepted here.
        await Membership.filter(invitation=invitation, role=Role.CAREGIVER).delete()
        if invitation.accepted_by_id is not None:
            await Membership.filter(
                account_id=invitation.accepted_by_id, family=family, role=Role.CAREGIVER
            ).delete()
            await Invitation.filter(
                family=family, accepted_by_id=invitation.accepted_by_id, revoked_at=None
            ).update(revoked_at=clock.now())


# --- a centre's invitation for a parent (issue 16, item 3) -----------------------------------

GUARDIAN_INVITATION_DAYS = 30


class InvitationRefused(Exception):
    """A parent's invitation that cannot be used; `reason` says why, in words."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


async def create_guardian_invitation(
    family: Family, centre: Organisation, by: Account
) -> tuple[str, str]:
    """A centre's one-time invitation into one of its families as a parent: (the link's token,
    the short code printed or read out). Only their sha256 is kept. It ends the family's earlier
    unused parent invitations, so only the newest paper works; the family's parents stay."""
    now = clock.now()
    token = secrets.token_urlsafe(24)
    async with in_transaction():
        await Invitation.filter(
            family_id=family.id, role=Role.GUARDIAN, accepted_at=None, revoked_at=None
        ).update(revoked_at=now)
        code = new_code()
        # A used code's hash is kept (it is refused as used), so a new one must differ from it.
        while await Invitation.exists(code_hash=passwords.token_digest(code)):
            code = new_code()
        invitation = await Invitation.create(
            family=family,
            created_by=by,
            token_hash=passwords.token_digest(token),
            code_hash=passwords.token_digest(code),
            role=Role.GUARDIAN,
            centre=centre,
            expires_at=now + timedelta(days=GUARDIAN_INVITATION_DAYS),
        )
        # Who may become a parent of a family: in the audit log (issue 17).
        await audit.record(
            AuditAction.INVITATION_MAKE,
            actor=by,
            object_kind="invitation",
            object_id=invitation.id,
            organisation_id=centre.id,
            after={"family": family.id, "role": Role.GUARDIAN, "expires_at": invitation.expires_at},
        )
    return token, code


async def find_invitation(token: str) -> Invitation | None:
    """The invitation of a link, whatever its state (None: no invitation has this token)."""
    return await Invitation.get_or_none(token_hash=passwords.token_digest(token)).prefetch_related(
        "family", "created_by", "centre"
    )


async def find_guardian_invitation(code: str) -> Invitation | None:
    """The parent's invitation of a typed code, whatever its state."""
    return await Invitation.get_or_none(
        code_hash=passwords.token_digest(normalise_code(code)), role=Role.GUARDIAN
    ).prefetch_related("family", "created_by", "centre")


def guardian_refusal(invitation: Invitation | None) -> str | None:
    """Why a parent's invitation cannot be used now, in words; None: it can."""
    if invitation is None or invitation.role != Role.GUARDIAN:
        return _("This code does not work. Check each letter and number, or ask the centre.")
    if invitation.accepted_at is not None:
        return _(
            "This invitation was used already. It works only once. Ask the centre for a new one."
        )
    if invitation.revoked_at is not None:
        return _(
            "This invitation was cancelled: the centre made a newer one. "
            "Use the newest one, or ask the centre."
        )
    if invitation.expires_at < clock.now():
        return _("This invitation has expired. Ask the centre for a new one.")
    return None


async def accept_guardian_invitation(
    invitation: Invitation, account: Account, *, occasion: str
) -> Family:
    """Join the invitation's family as a parent, with the consent the form asked for.

    The conditional update lets one account use it, once, even when two try at the same moment.
    A caregiver of the family becomes its parent; nobody else's membership changes. Into a
    family that has other parents it is a recovery: claimed, consent recorded, but no
    membership until recoveries_due, RECOVERY_WAIT later, unless a parent stops it."""
    now = clock.now()
    if await OrgMembership.exists(account=account):
        # A centre's or shop's staff account never becomes a family's parent this way: a centre
        # could otherwise give itself a family's data.
        raise InvitationRefused(
            _(
                "This account belongs to the staff of a centre or a shop. "
                "Join the family with the parent's own account."
            )
        )
    async with in_transaction():
        # A family with other parents: a parent who lost both password and phone comes back.
        # The account becomes a parent only RECOVERY_WAIT later (recoveries_due), and the
        # family's parents are told and can stop it meanwhile: a centre, or whoever it gives the
        # code to, never silently gets the family's data.
        recovering = (
            await Membership.filter(family_id=invitation.family_id, role=Role.GUARDIAN)
            .exclude(account=account)
            .exists()
        )
        claimed = await Invitation.filter(
            id=invitation.id,
            role=Role.GUARDIAN,
            accepted_at=None,
            revoked_at=None,
            expires_at__gt=now,
        ).update(accepted_at=now, accepted_by_id=account.id)
        if claimed != 1:
            await invitation.refresh_from_db()
            raise InvitationRefused(guardian_refusal(invitation) or "")
        if recovering:
            # No membership yet: the landing tells the family's parents (tell_parents_of_recovery),
            # after this transaction, so no message goes out for an acceptance that rolls back.
            await consent.record(account, occasion=occasion, family_id=invitation.family_id)
            return await Family.get(id=invitation.family_id)
        membership = await Membership.get_or_none(account=account, family_id=invitation.family_id)
        if membership is None:
            await Membership.create(
                account=account,
                family_id=invitation.family_id,
                role=Role.GUARDIAN,
                invitation=invitation,
            )
        elif membership.role != Role.GUARDIAN:
            membership.role = Role.GUARDIAN
            membership.invitation_id = invitation.id
            await membership.save(update_fields=["role", "invitation_id"])
        await consent.record(account, occasion=occasion, family_id=invitation.family_id)
    return await Family.get(id=invitation.family_id)


# --- a parent who lost both password and phone (issue 16, item 3) ------------------------------

# How long a recovery waits before the account becomes a parent: long enough for the family's
# parents to read the email, or see the card on their home, and stop it; short enough for a
# parent locked out of their own family.
RECOVERY_WAIT = timedelta(days=7)


def recovery_takes_effect(invitation: Invitation) -> datetime:
    """When a recovery's account becomes a parent (its invitation is accepted)."""
    assert invitation.accepted_at is not None
    return invitation.accepted_at + RECOVERY_WAIT


async def _recoveries(**filters: object) -> list[Invitation]:
    """Accepted, not stopped parent invitations whose account is not the family's parent: the
    recoveries (a first parent's invitation makes its membership when accepted)."""
    found = (
        await Invitation.filter(
            role=Role.GUARDIAN,
            accepted_at__isnull=False,
            accepted_by_id__isnull=False,
            revoked_at=None,
            **filters,
        )
        .order_by("accepted_at")
        .prefetch_related("accepted_by", "centre", "family")
    )
    parents = {
        (m.account_id, m.family_id)
        for m in await Membership.filter(
            family_id__in={i.family_id for i in found}, role=Role.GUARDIAN
        )
    }
    return [i for i in found if (i.accepted_by_id, i.family_id) not in parents]


async def pending_recoveries(family_ids: list[UUID]) -> dict[UUID, list[Invitation]]:
    """The recoveries of these families that the parents can still stop, by family."""
    now = clock.now()
    pending: dict[UUID, list[Invitation]] = {}
    for invitation in await _recoveries(family_id__in=family_ids):
        if recovery_takes_effect(invitation) > now:
            pending.setdefault(invitation.family_id, []).append(invitation)
    return pending


async def pending_recovery_of(account: Account, family_id: UUID) -> Invitation | None:
    """This account's recovery into the family, while it waits."""
    found = await pending_recoveries([family_id])
    mine = [i for i in found.get(family_id, []) if i.accepted_by_id == account.id]
    return mine[-1] if mine else None


async def stop_recovery(family_id: UUID, invitation_id: str) -> Invitation | None:
    """A parent stops a waiting recovery of their family: None when there is none of that id
    (another family's, one already stopped, or one that took effect)."""
    try:
        wanted = parse_uuid(invitation_id)
    except BadId:
        return None
    found = await pending_recoveries([family_id])
    invitation = next((i for i in found.get(family_id, []) if i.id == wanted), None)
    if invitation is None:
        return None
    # Conditional: a second tap, or another parent at the same moment, finds it stopped.
    stopped = await Invitation.filter(id=invitation.id, revoked_at=None).update(
        revoked_at=clock.now()
    )
    return invitation if stopped == 1 else None


async def recoveries_due(account: Account) -> list[Family]:
    """Make the account a parent of each family whose recovery waited RECOVERY_WAIT without
    being stopped (called where people land; doing it twice changes nothing)."""
    if await OrgMembership.exists(account=account):
        return []  # staff never become a family's parent (accept_guardian_invitation)
    now = clock.now()
    made: list[Family] = []
    for invitation in await _recoveries(accepted_by_id=account.id):
        if recovery_takes_effect(invitation) > now:
            continue
        async with in_transaction():
            # Looked at again inside the transaction: a parent may have stopped it just now.
            if not await Invitation.filter(id=invitation.id, revoked_at=None).exists():
                continue
            membership = await Membership.get_or_none(
                account=account, family_id=invitation.family_id
            )
            if membership is None:
                await Membership.create(
                    account=account,
                    family_id=invitation.family_id,
                    role=Role.GUARDIAN,
                    invitation=invitation,
                )
            else:  # a caregiver of the family: now its parent
                membership.role = Role.GUARDIAN
                membership.invitation_id = invitation.id
                await membership.save(update_fields=["role", "invitation_id"])
        made.append(invitation.family)
    return made


def recovery_message(
    parent: Account, invitation: Invitation, who: Account, home: str
) -> tuple[str, str]:
    """For each parent of the family, in their language (call inside i18n.use_locale)."""
    family = invitation.family.name
    subject = _("Someone asked to become a parent of %(family)s", family=family)
    centre = invitation.centre.name if invitation.centre else ""
    text = "\n\n".join(
        [
            _("Hello %(name)s,", name=parent.name),
            _(
                "%(who)s used an invitation from %(centre)s to become a parent of %(family)s"
                " on Startrip. A parent sees, downloads and can delete the family's data.",
                who=who.name,
                centre=centre,
                family=family,
            ),
            _(
                "%(who)s becomes a parent on %(day)s, unless you stop it. If you do not know"
                " them, or they should not be a parent, open the family home and press"
                " “Stop it”:",
                who=who.name,
                day=i18n.format_date(recovery_takes_effect(invitation)),
            ),
            home,
            _("Startrip"),
        ]
    )
    return subject, text


async def tell_parents_of_recovery(settings: Settings, invitation: Invitation) -> None:
    """Email each parent of the family at once, in their language. Parents without an email
    are not messaged: the SMS provider has only a template for codes, so an SMS cannot carry
    these words; they see the card on the family home."""
    invitation = await Invitation.get(id=invitation.id).prefetch_related(
        "family", "centre", "accepted_by"
    )
    who = invitation.accepted_by
    if who is None:
        return
    parents = await Account.filter(
        memberships__family_id=invitation.family_id, memberships__role=Role.GUARDIAN
    ).exclude(id=who.id)
    for parent in parents:
        if not parent.email:
            continue
        locale = parent.locale if parent.locale in SUPPORTED_LOCALES else SUPPORTED_LOCALES[0]
        with i18n.use_locale(locale):
            subject, text = recovery_message(parent, invitation, who, settings.link("/home"))
        await mail.send_quietly(settings, parent.email, subject, text, locale)


async def create_device_link(person: Person, by: Account) -> str:
    code = new_code()
    await DeviceLink.create(
        person=person,
        created_by=by,
        code_hash=passwords.token_digest(code),
        code_expires_at=clock.now() + timedelta(minutes=LINK_CODE_MINUTES),
    )
    return code


async def find_device_link(code: str) -> DeviceLink | None:
    link = await DeviceLink.get_or_none(
        code_hash=passwords.token_digest(normalise_code(code)), revoked_at=None, claimed_at=None
    ).prefetch_related("person")
    if link is None or link.code_expires_at < clock.now():
        return None
    return link


async def claim_device_link(code: str, device_label: str) -> DeviceLink | None:
    """Use a one-time code; the conditional update makes a second use of the same code fail."""
    link = await find_device_link(code)
    if link is None:
        return None
    claimed = await DeviceLink.filter(id=link.id, claimed_at=None, revoked_at=None).update(
        claimed_at=clock.now(), code_hash=None, device_label=device_label[:120]
    )
    return link if claimed == 1 else None


async def revoke_device_link(person: Person, device_id: str) -> None:
    try:
        device_uuid = parse_uuid(device_id)
    except BadId:
        raise HTTPException(404) from None
    # The phone's session ends with its link: every request reads the link (sessions.py).
    async with in_transaction():
        updated = await DeviceLink.filter(id=device_uuid, person=person, revoked_at=None).update(
            revoked_at=clock.now(), code_hash=None
        )
        if not updated:
            raise HTTPException(404)
        # The pay codes it fetched die with the link: none of them pays at a till any more.
        await PayToken.filter(session__device_id=device_uuid, used_at=None).delete()


def account_key(account: Account) -> str:
    """The account's name for throttling: what is typed to log in (email, else mobile)."""
    return account.email or account.mobile or f"#{account.id}"


def check_new_password(account: Account, new: str, again: str) -> dict[str, str]:
    """The errors of a new password typed twice (changing it, or a reset link)."""
    errors = {}
    if reason := password_policy.problem(new, (account.name, account.email or "")):
        errors["password"] = reason
    elif new != again:
        errors["password_again"] = _("The two new passwords are not the same.")
    return errors


async def change_password(
    account: Account, *, current: str, new: str, again: str, keep_session: int | None, ip: str
) -> None:
    """A new password ends every other session of the account (a lost laptop, a shared
    computer); the browser that changed it stays logged in. Wrong current passwords count
    like wrong log-ins, so a session left open cannot be used to guess the password."""
    keys = {"account": account_key(account), "ip": ip}
    tried = await throttle.attempt(keys)
    errors = {}
    if not passwords.verify_password(account.password_hash, current):
        errors["current_password"] = _("This is not your password now.")
    else:
        await tried.passed()
    errors.update(check_new_password(account, new, again))
    if errors:
        raise FormErrors(errors)
    await throttle.clear_failures({"account": account_key(account)})
    async with in_transaction():
        account.password_hash = passwords.hash_password(new)
        await account.save(update_fields=["password_hash"])
        await end_other_devices(account, keep_session=keep_session)
        # A reset link sent before the change would undo it: it stops working.
        await OneTimeCode.filter(
            account_id=account.id, purpose=CodePurpose.RESET, used_at=None
        ).update(used_at=clock.now())


async def end_other_devices(account: Account, *, keep_session: int | None) -> None:
    """Every other browser of the account is logged out and gets no more alerts (its Web Push
    subscriptions go; this browser can ask again)."""
    await sessions.end_account_sessions(account.id, keep=keep_session)
    await PushSubscription.filter(account_id=account.id).delete()


# --- pages -----------------------------------------------------------------------------------


async def create_staff(
    *, kind: OrgKind, org_name: str, city: str, address: str, email: str, password: str, name: str
) -> Account:
    """A staff account in an organisation (made if new); used by the CLI and the demo data."""
    async with in_transaction():
        # A store made on the command line is onboarded by whoever runs it: a friendly shop at
        # once, as every store was before issue 17 (migration 0018).
        approved = clock.now() if kind == OrgKind.MERCHANT else None
        organisation, _created = await Organisation.get_or_create(
            kind=kind,
            name=org_name,
            city=city,
            defaults={"address": address, "approved_at": approved},
        )
        if _created:
            await audit.record(
                AuditAction.ORGANISATION_CREATE,
                actor=audit.COMMAND_LINE,
                object_kind="organisation",
                object_id=organisation.id,
                organisation_id=organisation.id,
                after={"kind": kind, "name": org_name, "city": city, "address": address},
            )
        account = await Account.get_or_none(email=email.lower())
        if account is None:
            account = await create_account(email, password, name)
        elif await Membership.exists(account=account):
            # Work and family stay apart (issue 17), on the command line too.
            raise FormErrors(
                {"email": _("This account belongs to a family. Use another account for work.")}
            )
        # A merchant's (a chain's) account is its admin: it adds the stores (issue 17).
        membership, made = await OrgMembership.get_or_create(
            account=account,
            organisation=organisation,
            # A chain's account and a store's made here (a store on its own, its own merchant)
            # are its admins.
            defaults={"admin": kind in (OrgKind.CHAIN, OrgKind.MERCHANT)},
        )
        if made:
            await audit.record(
                AuditAction.STAFF_ADD,
                actor=audit.COMMAND_LINE,
                object_kind="org_membership",
                object_id=membership.id,
                organisation_id=organisation.id,
                after={"account": account.id, "name": account.name, "admin": membership.admin},
            )
    return account
