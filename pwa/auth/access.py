"""The caller's roles in a family, the one question every domain's access module asks before
rules.decide; and the check for the pages of a centre or a shop, which belong to no family.

"A phone sees only its person": a linked phone has the PERSON role in its person's family, for
rows made for that person or for nobody in particular, and no role for another person's rows.
An account has its membership's role; an adult who is their own guardian also has PERSON for
their own rows."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from pwa.auth import offline
from pwa.auth.rules import Action, Denied, Role, allowed, decide
from pwa.auth.sessions import LoginRequired, Principal
from pwa.models import Membership, OrgKind, Person


@dataclass(frozen=True)
class Access:
    """What the caller is to the object an action was decided on."""

    roles: frozenset[Role]
    # The person acting through their own screens (a linked phone, or their own account).
    person: Person | None

    def may(self, action: Action) -> bool:
        """For pages: offer a form or button only when its route's action is allowed."""
        return allowed(self.roles, action, self.person)

    @property
    def is_person(self) -> bool:
        """The caller sees the object through the person's own screens (and not as a parent)."""
        return Role.PERSON in self.roles and Role.GUARDIAN not in self.roles


async def roles_in_family(
    who: Principal, family_id: uuid.UUID, owner_person_id: uuid.UUID | None = None
) -> frozenset[Role]:
    """The caller's roles for a row of a family made for owner_person_id (None: for nobody in
    particular). Read from the database on every call: a membership that ended ends it."""
    roles: set[Role] = set()
    person = who.person
    if (
        person is not None
        and person.family_id == family_id
        and owner_person_id in (None, person.id)
    ):
        roles.add(Role.PERSON)
    if who.device is None and who.account is not None:
        if who.memberships is not None:
            # Read with the session at the start of this request (pwa/auth/sessions.py).
            role = who.memberships.get(uuid.UUID(str(family_id)))
            if role is not None:
                roles.add(Role(role))
        else:
            membership = await Membership.get_or_none(
                account_id=who.account.id, family_id=family_id
            )
            if membership is not None:
                roles.add(Role(membership.role.value))
    return frozenset(roles)


async def check(
    who: Principal,
    action: Action,
    family_id: uuid.UUID,
    owner_person_id: uuid.UUID | None = None,
) -> Access:
    """Decide an action on a row of a family: LoginRequired, Hidden, Denied, or the access."""
    if who.is_anonymous:
        raise LoginRequired()
    roles = await roles_in_family(who, family_id, owner_person_id)
    decide(roles, action, who.person)
    # Whether the answer may be kept offline depends on whose rows it shows (offline.py).
    offline.noted(roles)
    return Access(roles=roles, person=who.person if Role.PERSON in roles else None)


def org_roles(who: Principal) -> frozenset[Role]:
    found = set()
    if OrgKind.CENTRE in who.org_kinds:
        found.add(Role.CENTRE_STAFF)
    if OrgKind.MERCHANT in who.org_kinds:
        found.add(Role.MERCHANT_STAFF)
    if OrgKind.CHAIN in who.org_kinds:
        found.add(Role.MERCHANT_ADMIN)
    if OrgKind.PROGRAMME in who.org_kinds:
        found.add(Role.PROGRAMME_STAFF)
    return frozenset(found)


def check_org(who: Principal, action: Action) -> Principal:
    """For pages that belong to no family (centre and merchant screens)."""
    if who.is_anonymous:
        raise LoginRequired()
    if not allowed(org_roles(who), action):
        raise Denied()
    return who
