"""The authorization table: anything not in it is denied."""

from __future__ import annotations

from pwa.auth import AUTHORIZATION, Action, Role, allowed


def test_every_action_is_in_the_table():
    assert set(AUTHORIZATION) == set(Action)


def test_caregivers_and_phones_only_read_or_use_screens():
    for action, roles in AUTHORIZATION.items():
        if Role.CAREGIVER in roles:
            assert action.value.endswith(".view"), action
        if Role.PERSON in roles:
            assert action is Action.PERSON_SCREENS, action


def test_nobody_and_unknown_actions_are_denied():
    assert not allowed(None, Action.PERSON_VIEW)
    assert not allowed(Role.GUARDIAN, "not.an.action")  # type: ignore[arg-type]
    assert not allowed(Role.MERCHANT_STAFF, Action.FAMILY_VIEW)
    assert allowed(Role.GUARDIAN, Action.PERSON_SETTINGS_EDIT)
