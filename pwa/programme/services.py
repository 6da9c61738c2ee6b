"""The programme's onboarding (issue 17), the only writer of it: organisations (centres,
merchants and their stores) made, suspended, resumed and ended; one-time staff invitations made,
accepted and revoked; staff removed; stores approved as friendly shops. Every one of these is
written to the audit log in the same transaction.

An invitation's link carries a random token; only its sha256 is kept (like a caregiver's
invitation, pwa/accounts/services.py), it works once, for INVITATION_DAYS."""

from __future__ import annotations

import secrets
from datetime import timedelta
from typing import Any

from tortoise.transactions import in_transaction

from pwa.accounts import services as accounts
from pwa.audit import services as audit
from pwa.audit.services import AuditAction
from pwa.auth import passwords
from pwa.core import clock
from pwa.core.forms import FormErrors
from pwa.core.ids import BadId, parse_uuid
from pwa.i18n import _
from pwa.models import Account, Membership, Organisation, OrgInvitation, OrgKind, OrgMembership

INVITATION_DAYS = 7
# The 11 cities of Hebei, offered as choices; any other city may be written too.
HEBEI_CITIES = (
    "石家庄",
    "唐山",
    "秦皇岛",
    "邯郸",
    "邢台",
    "保定",
    "张家口",
    "承德",
    "沧州",
    "廊坊",
    "衡水",
)
NAME_MAX = 120
CITY_MAX = 60
ADDRESS_MAX = 200
LABEL_MAX = 100

Actor = Account | str


class InvitationRefused(Exception):
    """A staff invitation that cannot be used; `reason` says why, in words."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _org_fields(form: dict[str, str], *, city_needed: bool) -> dict[str, str]:
    name = form.get("name", "").strip()
    city = form.get("city", "").strip()
    address = form.get("address", "").strip()
    errors = {}
    if not name:
        errors["name"] = _("Write the name.")
    elif len(name) > NAME_MAX:
        errors["name"] = _("A name can have at most %(n)s characters.", n=NAME_MAX)
    if city_needed and not city:
        errors["city"] = _("Choose or write the city.")
    elif len(city) > CITY_MAX:
        errors["city"] = _("This is too long. It can have at most %(n)s characters.", n=CITY_MAX)
    if len(address) > ADDRESS_MAX:
        errors["address"] = _(
            "This is too long. It can have at most %(n)s characters.", n=ADDRESS_MAX
        )
    if errors:
        raise FormErrors(errors)
    return {"name": name, "city": city, "address": address}


def _same(text: str) -> str:
    return " ".join(text.split()).casefold()


async def same_organisation(
    kind: OrgKind, name: str, city: str, chain_id: int | None = None
) -> Organisation | None:
    """An organisation of this kind, name and city that has not ended (case and spaces
    ignored): a store only among its merchant's stores. None: there is none."""
    found = Organisation.filter(kind=kind, ended_at=None)
    if kind == OrgKind.MERCHANT:
        found = found.filter(chain_id=chain_id)
    for org in await found.order_by("id"):
        if _same(org.name) == _same(name) and _same(org.city) == _same(city):
            return org
    return None


def _duplicate(kind: OrgKind, existing: Organisation) -> FormErrors:
    if kind == OrgKind.CENTRE:
        words = _(
            "There is a centre called %(name)s in %(city)s already. "
            "Open it from the list instead of adding it again.",
            name=existing.name,
            city=existing.city,
        )
    elif kind == OrgKind.CHAIN:
        words = (
            _(
                "There is a merchant called %(name)s in %(city)s already. "
                "Open it from the list instead of adding it again.",
                name=existing.name,
                city=existing.city,
            )
            if existing.city
            else _(
                "There is a merchant called %(name)s already. "
                "Open it from the list instead of adding it again.",
                name=existing.name,
            )
        )
    else:
        words = _(
            "Your merchant has a store called %(name)s in %(city)s already.",
            name=existing.name,
            city=existing.city,
        )
    return FormErrors({"name": words})


async def create_organisation(kind: OrgKind, form: dict[str, str], by: Actor) -> Organisation:
    """A centre (name, city, address) or a merchant (name) made by programme staff; not a
    second one of the same kind, name and city."""
    if kind not in (OrgKind.CENTRE, OrgKind.CHAIN):
        raise FormErrors({"kind": _("Choose a centre or a merchant.")})
    fields = _org_fields(form, city_needed=kind == OrgKind.CENTRE)
    existing = await same_organisation(kind, fields["name"], fields["city"])
    if existing is not None:
        raise _duplicate(kind, existing)
    async with in_transaction():
        org = await Organisation.create(
            kind=kind, name=fields["name"], city=fields["city"], address=fields["address"]
        )
        await audit.record(
            AuditAction.ORGANISATION_CREATE,
            actor=by,
            object_kind="organisation",
            object_id=org.id,
            organisation_id=org.id,
            after={"kind": kind, **fields},
        )
    return org


async def create_store(chain: Organisation, form: dict[str, str], by: Actor) -> Organisation:
    """A store of a merchant (name, city, address), made by the merchant's admin. It becomes a
    friendly shop once its staff confirm the checklist and the programme approves it."""
    if chain.kind != OrgKind.CHAIN or chain.ended_at is not None:
        raise FormErrors({"name": _("This merchant has ended. It cannot add stores.")})
    fields = _org_fields(form, city_needed=True)
    existing = await same_organisation(OrgKind.MERCHANT, fields["name"], fields["city"], chain.id)
    if existing is not None:
        raise _duplicate(OrgKind.MERCHANT, existing)
    async with in_transaction():
        store = await Organisation.create(
            kind=OrgKind.MERCHANT,
            chain=chain,
            name=fields["name"],
            city=fields["city"],
            address=fields["address"],
        )
        await audit.record(
            AuditAction.STORE_CREATE,
            actor=by,
            object_kind="organisation",
            object_id=store.id,
            organisation_id=store.id,
            after={"chain": chain.id, **fields},
        )
    return store


def _state(org: Organisation) -> dict[str, Any]:
    return {"suspended_at": org.suspended_at, "ended_at": org.ended_at}


async def suspend(org: Organisation, by: Actor) -> None:
    """Its staff can do nothing and a store takes no voucher, at once, until it is resumed."""
    if org.kind == OrgKind.PROGRAMME:
        raise FormErrors({"organisation": _("The programme itself cannot be suspended.")})
    if org.ended_at is not None:
        raise FormErrors({"organisation": _("This organisation has ended. That is final.")})
    now = clock.now()
    async with in_transaction():
        if not await Organisation.filter(id=org.id, suspended_at=None, ended_at=None).update(
            suspended_at=now
        ):
            return
        before = _state(org)
        org.suspended_at = now
        await audit.record(
            AuditAction.ORGANISATION_SUSPEND,
            actor=by,
            object_kind="organisation",
            object_id=org.id,
            organisation_id=org.id,
            before=before,
            after=_state(org),
        )


async def resume(org: Organisation, by: Actor) -> None:
    if org.ended_at is not None:
        raise FormErrors({"organisation": _("This organisation has ended. That is final.")})
    async with in_transaction():
        if not await Organisation.filter(
            id=org.id, suspended_at__isnull=False, ended_at=None
        ).update(suspended_at=None):
            return
        before = _state(org)
        org.suspended_at = None
        await audit.record(
            AuditAction.ORGANISATION_RESUME,
            actor=by,
            object_kind="organisation",
            object_id=org.id,
            organisation_id=org.id,
            before=before,
            after=_state(org),
        )


async def end(org: Organisation, by: Actor) -> None:
    """For good: its staff lose access, a store takes no voucher, its open invitations stop."""
    if org.kind == OrgKind.PROGRAMME:
        raise FormErrors({"organisation": _("The programme itself cannot be ended.")})
    now = clock.now()
    async with in_transaction():
        if not await Organisation.filter(id=org.id, ended_at=None).update(ended_at=now):
            return
        before = _state(org)
        org.ended_at = now
        revoked = await OrgInvitation.filter(
            organisation_id=org.id, accepted_at=None, revoked_at=None
        ).update(revoked_at=now)
        await audit.record(
            AuditAction.ORGANISATION_END,
            actor=by,
            object_kind="organisation",
            object_id=org.id,
            organisation_id=org.id,
            before=before,
            after={**_state(org), "invitations_revoked": revoked},
        )


# --- staff of an organisation that is stopped -----------------------------------------------


def stopped(org: Organisation) -> Organisation | None:
    """What stops the organisation's staff working: itself or its merchant (a store's chain),
    suspended or ended; None: it may work. `org.chain` is fetched already."""
    chain = org.chain if org.chain_id is not None else None
    for candidate in (org, chain):
        if candidate is not None and (candidate.ended_at or candidate.suspended_at):
            return candidate
    return None


async def stopped_organisations(account: Account | None) -> list[Organisation]:
    """The organisations the account is staff of that are suspended or ended (or whose merchant
    is), once each: why their pages refuse it."""
    if account is None:
        return []
    found: dict[int, Organisation] = {}
    for membership in await OrgMembership.filter(account=account).prefetch_related(
        "organisation", "organisation__chain"
    ):
        org = stopped(membership.organisation)
        if org is not None:
            found.setdefault(org.id, org)
    return list(found.values())


def stopped_words(org: Organisation) -> str:
    if org.ended_at is not None:
        return _(
            "Your organisation (%(name)s) has ended. Ask the programme what to do.", name=org.name
        )
    return _(
        "Your organisation (%(name)s) is suspended. Ask the programme what to do.", name=org.name
    )


# --- staff invitations -------------------------------------------------------------------------


async def create_invitation(org: Organisation, by: Account, label: str) -> str:
    """A one-time link into the organisation's staff; the token, shown once and never kept.
    Into a merchant, it makes a merchant admin."""
    label = label.strip()
    if not label:
        raise FormErrors({"label": _("Write who the invitation is for.")})
    if len(label) > LABEL_MAX:
        raise FormErrors(
            {"label": _("This is too long. It can have at most %(n)s characters.", n=LABEL_MAX)}
        )
    if org.ended_at is not None:
        raise FormErrors({"label": _("This organisation has ended. That is final.")})
    token = secrets.token_urlsafe(24)
    # A merchant's invitation makes an admin; so does one into a store on its own, which is
    # its own merchant (its admins reverse the day's payments and see its statements). A
    # chain's store gets its staff from the chain's admins: till staff, not admins.
    admin = org.kind == OrgKind.CHAIN or (org.kind == OrgKind.MERCHANT and org.chain_id is None)
    async with in_transaction():
        invitation = await OrgInvitation.create(
            organisation=org,
            admin=admin,
            label=label,
            token_hash=passwords.token_digest(token),
            created_by=by,
            expires_at=clock.now() + timedelta(days=INVITATION_DAYS),
        )
        await audit.record(
            AuditAction.INVITATION_MAKE,
            actor=by,
            object_kind="org_invitation",
            object_id=invitation.id,
            organisation_id=org.id,
            after={"label": label, "admin": admin, "expires_at": invitation.expires_at},
        )
    return token


async def open_invitations(org: Organisation) -> list[OrgInvitation]:
    return await OrgInvitation.filter(
        organisation=org, accepted_at=None, revoked_at=None, expires_at__gt=clock.now()
    ).order_by("-created_at")


async def find_invitation(token: str) -> OrgInvitation | None:
    """The invitation of a link while it can be used; None for one that is used, revoked,
    expired or unknown alike (the page says the same for each)."""
    invitation = await OrgInvitation.get_or_none(
        token_hash=passwords.token_digest(token)
    ).prefetch_related("organisation", "organisation__chain")
    if invitation is None or refusal(invitation) is not None:
        return None
    return invitation


def refusal(invitation: OrgInvitation | None) -> str | None:
    """Why the link cannot be used now; None: it can. One answer for every reason, so the page
    tells nothing about links that are not the reader's."""
    if (
        invitation is None
        or invitation.accepted_at is not None
        or invitation.revoked_at is not None
        or invitation.expires_at <= clock.now()
        or invitation.organisation.ended_at is not None
        or ((chain := invitation.organisation.chain) is not None and chain.ended_at is not None)
    ):
        return _(
            "This invitation link does not work. It may be used already, cancelled or too old. "
            "Ask for a new one."
        )
    return None


def family_refusal() -> str:
    return _("Use another account for your work: this one belongs to a family.")


async def accept_invitation(invitation: OrgInvitation, account: Account) -> Organisation:
    """The account joins the organisation's staff (an admin, for a merchant), once: the
    conditional update lets one account use the link, even when two try at the same moment.
    An account of a family never becomes staff: family data and programme work stay apart."""
    if await Membership.exists(account=account):
        raise InvitationRefused(family_refusal())
    now = clock.now()
    async with in_transaction():
        claimed = await OrgInvitation.filter(
            id=invitation.id, accepted_at=None, revoked_at=None, expires_at__gt=now
        ).update(accepted_at=now, accepted_by_id=account.id)
        if claimed != 1:
            await invitation.refresh_from_db()
            raise InvitationRefused(refusal(None) or "")
        membership = await OrgMembership.get_or_none(
            account=account, organisation_id=invitation.organisation_id
        )
        if membership is None:
            await OrgMembership.create(
                account=account, organisation_id=invitation.organisation_id, admin=invitation.admin
            )
        elif invitation.admin and not membership.admin:
            membership.admin = True
            await membership.save(update_fields=["admin"])
        await audit.record(
            AuditAction.INVITATION_ACCEPT,
            actor=account,
            object_kind="org_invitation",
            object_id=invitation.id,
            organisation_id=invitation.organisation_id,
            after={"account": account.id, "admin": invitation.admin},
        )
    return await Organisation.get(id=invitation.organisation_id)


async def accept_with_new_account(
    invitation: OrgInvitation, *, email: str, password: str, name: str, locale: str | None
) -> Account:
    """A new account made from the invitation's page, and the invitation accepted with it; both
    or neither. FormErrors when the fields are wrong (checked like a sign-up)."""
    errors = accounts.check_account_fields(email.strip().lower(), password, name.strip())
    if errors:
        raise FormErrors(errors)
    async with in_transaction():
        account = await accounts.create_account(email, password, name.strip(), locale=locale)
        await accept_invitation(invitation, account)
    return account


async def revoke_invitation(org: Organisation, invitation_id: str, by: Account) -> bool:
    """False: no such open invitation of this organisation."""
    now = clock.now()
    try:
        wanted = parse_uuid(invitation_id)
    except BadId:
        return False
    async with in_transaction():
        invitation = await OrgInvitation.get_or_none(
            id=wanted, organisation=org, accepted_at=None, revoked_at=None
        )
        if invitation is None:
            return False
        await OrgInvitation.filter(id=invitation.id).update(revoked_at=now)
        await audit.record(
            AuditAction.INVITATION_REVOKE,
            actor=by,
            object_kind="org_invitation",
            object_id=invitation.id,
            organisation_id=org.id,
            before={"label": invitation.label},
            after={"revoked_at": now},
        )
    return True


async def staff_of(org: Organisation) -> list[OrgMembership]:
    return await OrgMembership.filter(organisation=org).prefetch_related("account").order_by("id")


async def remove_staff(org: Organisation, membership_id: int, by: Account) -> bool:
    """The account is no longer staff of the organisation: at once, on its next request.
    False: no such member."""
    async with in_transaction():
        membership = await OrgMembership.get_or_none(
            id=membership_id, organisation=org
        ).prefetch_related("account")
        if membership is None:
            return False
        await OrgMembership.filter(id=membership.id).delete()
        await audit.record(
            AuditAction.STAFF_REMOVE,
            actor=by,
            object_kind="org_membership",
            object_id=membership.id,
            organisation_id=org.id,
            before={
                "account": membership.account_id,
                "name": membership.account.name,
                "admin": membership.admin,
            },
        )
    return True


# --- friendly-shop approval ----------------------------------------------------------------


async def waiting_for_approval() -> list[Organisation]:
    return (
        await Organisation.filter(
            kind=OrgKind.MERCHANT,
            checklist_confirmed_at__isnull=False,
            approved_at=None,
            ended_at=None,
        )
        .prefetch_related("chain")
        .order_by("checklist_confirmed_at")
    )


async def approve(store: Organisation, by: Account) -> None:
    """The store becomes a friendly shop: in the directory, taking vouchers."""
    if store.kind != OrgKind.MERCHANT or store.checklist_confirmed_at is None:
        raise FormErrors({"store": _("The store's staff have not confirmed the checklist yet.")})
    chain = await Organisation.get_or_none(id=store.chain_id) if store.chain_id else None
    if any(org.suspended_at or org.ended_at for org in (store, chain) if org is not None):
        raise FormErrors(
            {
                "store": _(
                    "This store or its merchant is suspended or has ended. It cannot be approved."
                )
            }
        )
    now = clock.now()
    async with in_transaction():
        if not await Organisation.filter(
            id=store.id, approved_at=None, checklist_confirmed_at__isnull=False
        ).update(approved_at=now):
            return
        store.approved_at = now
        await audit.record(
            AuditAction.STORE_APPROVE,
            actor=by,
            object_kind="organisation",
            object_id=store.id,
            organisation_id=store.id,
            before={"approved_at": None},
            after={"approved_at": now},
        )
