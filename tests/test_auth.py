"""The authorization table: anything not in it is denied."""

from __future__ import annotations

from pwa.auth.rules import AUTHORIZATION, NOT_FAMILY, Action, Role, allowed
from pwa.models import Person


def test_every_action_is_in_the_table():
    # The others are not about a family's object: each route says whose page it is.
    assert set(AUTHORIZATION) | NOT_FAMILY == set(Action)
    assert not set(AUTHORIZATION) & NOT_FAMILY


# What the person's own phone may do: use its screens, read, tick, and change its own lists
# (that one only when the guardian allows it: the can_plan setting, in the same rule).
PERSON_ACTIONS = {
    Action.PERSON_SCREENS,
    Action.PAY,
    Action.LOST_SHARE,
    Action.LIST_VIEW,
    Action.LIST_SHOP,
    Action.LIST_EDIT,
    Action.PHOTO_VIEW,
    # The guardian's voice, read aloud on the phone (issue 18).
    Action.CLIP_VIEW,
    Action.PLAN_VIEW,
    Action.TRIP_RUN,
}


# A caregiver reads; the one thing a caregiver writes is a note on a trip (issue 7).
CAREGIVER_WRITES = {Action.TRIP_NOTE}


def test_caregivers_only_read_and_phones_only_use_their_screens():
    for action, roles in AUTHORIZATION.items():
        if Role.CAREGIVER in roles:
            assert action.value.endswith(".view") or action in CAREGIVER_WRITES, action
        if Role.PERSON in roles:
            assert action in PERSON_ACTIONS, action
    assert not allowed({Role.PERSON}, Action.PERSON_SETTINGS_EDIT)
    assert not allowed({Role.PERSON}, Action.PHOTO_ADD)


def test_nobody_and_unknown_actions_are_denied():
    assert not allowed((), Action.PERSON_VIEW)
    assert not allowed({Role.GUARDIAN}, "not.an.action")  # type: ignore[arg-type]
    assert not allowed({Role.MERCHANT_STAFF}, Action.FAMILY_VIEW)
    assert allowed({Role.GUARDIAN}, Action.PERSON_SETTINGS_EDIT)


def test_the_person_changes_lists_only_while_the_guardian_lets_them_plan():
    planning = Person(display_name="Ming", settings={"can_plan": True})
    not_planning = Person(display_name="Ming", settings={})
    assert allowed({Role.PERSON}, Action.LIST_EDIT, planning)
    assert not allowed({Role.PERSON}, Action.LIST_EDIT, not_planning)
    assert not allowed({Role.PERSON}, Action.LIST_EDIT, None)
    # Ticking needs no permission to plan, and a guardian needs none at all.
    assert allowed({Role.PERSON}, Action.LIST_SHOP, not_planning)
    assert allowed({Role.GUARDIAN, Role.PERSON}, Action.LIST_EDIT, not_planning)
    # The parents' tools for a list stay the parents', whatever the setting.
    assert not allowed({Role.PERSON}, Action.LIST_MANAGE, planning)
