"""Who may do what: the roles, the actions, the one table, and the one decision.

Every route (pwa/core/routing.py) and every sync mutation (pwa/sync/services.py) names the
action it does. A domain's access module loads the object the action is on, finds the caller's
roles in that object's family, and asks `decide`; nothing else decides. Anything not in the
table is denied. An object of a family the caller does not belong to is hidden (404), so its
existence is not revealed; a family member without the right gets 403.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum
from typing import TYPE_CHECKING

from pwa.core import person_settings
from pwa.core.refusals import Denied, Hidden

__all__ = ["Action", "Denied", "Hidden", "Role", "allowed", "decide"]

if TYPE_CHECKING:
    from pwa.models import Person


class Role(StrEnum):
    GUARDIAN = "guardian"
    CAREGIVER = "caregiver"
    PERSON = "person"  # the person's own linked phone, or an adult who is their own guardian
    CENTRE_STAFF = "centre_staff"
    MERCHANT_STAFF = "merchant_staff"  # a store's staff: its till, its payments
    MERCHANT_ADMIN = "merchant_admin"  # a chain's admin: its stores, their staff, its statements
    PROGRAMME_STAFF = "programme_staff"  # the people who run the programme (issue 17)


class Action(StrEnum):
    # Routes that show nobody's family data: each says whose they are.
    PUBLIC = "public"  # anyone, logged in or not
    OWN_ACCOUNT = "own.account"  # the caller's own session, account or language
    SIGNED_IN = "signed.in"  # anyone logged in: the friendly-shop directory and guide
    SYNC = "sync"  # push and pull: each mutation and each pull names its own action
    FAMILY_VIEW = "family.view"  # the family's pages: home, the lists and plans of all its people
    FAMILY_MANAGE = "family.manage"  # add a person, rename the family
    # Everything the family holds, as one archive, and the page that offers it (issue 16).
    FAMILY_EXPORT = "family.export"
    FAMILY_DELETE = "family.delete"  # the family and everything of it, for good
    PERSON_DELETE = "person.delete"  # a person and everything of theirs, for good
    CAREGIVER_INVITE = "caregiver.invite"
    PERSON_VIEW = "person.view"
    PERSON_SETTINGS_VIEW = "person.settings.view"
    PERSON_SETTINGS_EDIT = "person.settings.edit"
    DEVICE_LINK = "device.link"
    PERSON_SCREENS = "person.screens"  # the screens the person uses in the shop
    PAY = "pay"  # pay codes: made for the person who shows them at the till
    # "I am lost" sends the phone's position to the guardians: from the person's own phone (or
    # an adult's own account) only, never a parent's in their name (issue 18, item 6).
    LOST_SHARE = "lost.share"
    LIST_VIEW = "list.view"
    # The person may change only their own lists, and only when the guardian allows it
    # (the can_plan setting).
    LIST_EDIT = "list.edit"
    LIST_SHOP = "list.shop"  # tick items in the shopping view
    # The parents' tools for a list: a new list for anyone, its name, person, shop and budget,
    # each item's details, copy, archive, delete, and its earlier changes.
    LIST_MANAGE = "list.manage"
    PLAN_VIEW = "plan.view"
    PLAN_EDIT = "plan.edit"
    TRIP_RUN = "trip.run"  # go through a plan step by step (the guardian: as a preview)
    TRIP_VIEW = "trip.view"
    TRIP_NOTE = "trip.note"  # a caregiver's only write (issue 7)
    WALLET_VIEW = "wallet.view"
    PHOTO_ADD = "photo.add"
    PHOTO_VIEW = "photo.view"
    # Hear a guardian's voice clip (issue 18): recorded through the step's, item's or help
    # card's own edit action.
    CLIP_VIEW = "clip.view"
    # Accept or decline a centre's request to join the family: it then gives vouchers (issue 15).
    CENTRE_ANSWER = "centre.answer"
    # Stop a centre's invitation from making someone else a parent of the family, while it waits
    # (a parent who lost both password and phone, issue 16).
    RECOVERY_STOP = "recovery.stop"
    CENTRE_SCREENS = "centre.screens"
    # A centre gives a parent a one-time invitation into one of its own families (issue 16).
    CENTRE_INVITE = "centre.invite"
    MERCHANT_SCREENS = "merchant.screens"
    # A merchant's (a chain's) own pages: its stores, their staff's invitations, its statements.
    MERCHANT_ADMIN = "merchant.admin"
    # The programme's pages: organisations and their invitations, friendly-shop approvals,
    # budgets, statements, reach and the audit log (issue 17).
    PROGRAMME_SCREENS = "programme.screens"


FAMILY = frozenset({Role.GUARDIAN, Role.CAREGIVER, Role.PERSON})

AUTHORIZATION: dict[Action, frozenset[Role]] = {
    Action.FAMILY_VIEW: frozenset({Role.GUARDIAN, Role.CAREGIVER}),
    Action.FAMILY_MANAGE: frozenset({Role.GUARDIAN}),
    # The family's data leaves or goes for good only by a parent's hand: never a caregiver, who
    # reads some of it, nor the person's phone.
    Action.FAMILY_EXPORT: frozenset({Role.GUARDIAN}),
    Action.FAMILY_DELETE: frozenset({Role.GUARDIAN}),
    Action.PERSON_DELETE: frozenset({Role.GUARDIAN}),
    Action.CAREGIVER_INVITE: frozenset({Role.GUARDIAN}),
    Action.PERSON_VIEW: frozenset({Role.GUARDIAN, Role.CAREGIVER}),
    Action.PERSON_SETTINGS_VIEW: frozenset({Role.GUARDIAN, Role.CAREGIVER}),
    Action.PERSON_SETTINGS_EDIT: frozenset({Role.GUARDIAN}),
    Action.DEVICE_LINK: frozenset({Role.GUARDIAN}),
    Action.PERSON_SCREENS: frozenset({Role.PERSON, Role.GUARDIAN}),
    Action.PAY: frozenset({Role.PERSON}),
    Action.LOST_SHARE: frozenset({Role.PERSON}),
    Action.LIST_VIEW: FAMILY,
    Action.LIST_EDIT: frozenset({Role.GUARDIAN, Role.PERSON}),
    Action.LIST_SHOP: frozenset({Role.GUARDIAN, Role.PERSON}),
    Action.LIST_MANAGE: frozenset({Role.GUARDIAN}),
    Action.PLAN_VIEW: FAMILY,
    Action.PLAN_EDIT: frozenset({Role.GUARDIAN}),
    Action.TRIP_RUN: frozenset({Role.GUARDIAN, Role.PERSON}),
    Action.TRIP_VIEW: frozenset({Role.GUARDIAN, Role.CAREGIVER}),
    Action.TRIP_NOTE: frozenset({Role.GUARDIAN, Role.CAREGIVER}),
    # Caregivers never see or use the family's money (issue 7).
    Action.WALLET_VIEW: frozenset({Role.GUARDIAN}),
    Action.PHOTO_ADD: frozenset({Role.GUARDIAN}),
    Action.PHOTO_VIEW: FAMILY,
    Action.CLIP_VIEW: FAMILY,
    # Only a parent lets a centre in: caregivers never touch the family's money (issue 7).
    Action.CENTRE_ANSWER: frozenset({Role.GUARDIAN}),
    # Who becomes a parent is the parents' to decide: never a caregiver's nor the person's phone.
    Action.RECOVERY_STOP: frozenset({Role.GUARDIAN}),
    Action.CENTRE_SCREENS: frozenset({Role.CENTRE_STAFF}),
    # Only into a family with the staff's centre (pwa/centre/services.family_of_centre).
    Action.CENTRE_INVITE: frozenset({Role.CENTRE_STAFF}),
    Action.MERCHANT_SCREENS: frozenset({Role.MERCHANT_STAFF}),
    Action.MERCHANT_ADMIN: frozenset({Role.MERCHANT_ADMIN}),
    Action.PROGRAMME_SCREENS: frozenset({Role.PROGRAMME_STAFF}),
}
# Actions the person may do only while the guardian lets them plan (the can_plan setting).
NEEDS_CAN_PLAN = frozenset({Action.LIST_EDIT})
# Actions that are not about a family's object: the route says whose page it is.
NOT_FAMILY = frozenset({Action.PUBLIC, Action.OWN_ACCOUNT, Action.SIGNED_IN, Action.SYNC})


def allowed(roles: Iterable[Role], action: Action, person: Person | None = None) -> bool:
    """Whether any of the caller's roles in a family may do the action. `person` is the
    person acting through their own screens (their phone, or their own account): their
    settings decide the actions in NEEDS_CAN_PLAN."""
    permitted = AUTHORIZATION.get(action, frozenset())
    for role in roles:
        if role not in permitted:
            continue
        may_plan = person is not None and person_settings.effective(person.settings)["can_plan"]
        if role == Role.PERSON and action in NEEDS_CAN_PLAN and not may_plan:
            continue
        return True
    return False


def decide(roles: frozenset[Role], action: Action, person: Person | None = None) -> None:
    """The decision every access function ends with: Hidden without a role in the family,
    Denied without the right."""
    if not roles:
        raise Hidden()
    if not allowed(roles, action, person):
        raise Denied()


def permitted_actions(roles: Iterable[Role], person: Person | None = None) -> frozenset[Action]:
    """What a page may offer this caller: the same rule, asked for every action at once."""
    roles = frozenset(roles)
    return frozenset(a for a in AUTHORIZATION if allowed(roles, a, person))
