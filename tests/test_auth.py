"""The authorization table: anything not in it is denied."""

from __future__ import annotations

from pwa.auth.rules import AUTHORIZATION, Action, Role, allowed


def test_every_action_is_in_the_table():
    assert set(AUTHORIZATION) == set(Action)


# What the person's own phone may do: use its screens, read, tick, and change its own lists
# (that one only when the guardian allows it, checked in pwa/list_pages.py).
PERSON_ACTIONS = {
    Action.PERSON_SCREENS,
    Action.LIST_VIEW,
    Action.LIST_SHOP,
    Action.LIST_EDIT,
    Action.PHOTO_VIEW,
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
    assert not allowed(Role.PERSON, Action.PERSON_SETTINGS_EDIT)
    assert not allowed(Role.PERSON, Action.PHOTO_ADD)


def test_nobody_and_unknown_actions_are_denied():
    assert not allowed(None, Action.PERSON_VIEW)
    assert not allowed(Role.GUARDIAN, "not.an.action")  # type: ignore[arg-type]
    assert not allowed(Role.MERCHANT_STAFF, Action.FAMILY_VIEW)
    assert allowed(Role.GUARDIAN, Action.PERSON_SETTINGS_EDIT)
