"""The foundation's tables. Later domains add their own models modules beside this one."""

from __future__ import annotations

from enum import StrEnum

from tortoise import fields
from tortoise.models import Model


class Role(StrEnum):
    GUARDIAN = "guardian"
    CAREGIVER = "caregiver"


class OrgKind(StrEnum):
    CENTRE = "centre"
    MERCHANT = "merchant"


class Account(Model):
    id = fields.IntField(primary_key=True)
    email = fields.CharField(max_length=254, unique=True)
    password_hash = fields.CharField(max_length=200)
    name = fields.CharField(max_length=100)
    # None: follow the language cookie or the browser.
    locale = fields.CharField(max_length=10, null=True)
    phone = fields.CharField(max_length=30, default="")
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "account"


class Family(Model):
    id = fields.UUIDField(primary_key=True)
    name = fields.CharField(max_length=100)
    # Short code a centre types to attach an existing family (voucher issue).
    code = fields.CharField(max_length=12, unique=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "family"


class Person(Model):
    """The autistic member of a family, whose phone runs the trip."""

    id = fields.UUIDField(primary_key=True)
    family: fields.ForeignKeyRelation[Family] = fields.ForeignKeyField(
        "models.Family", related_name="people", on_delete=fields.CASCADE
    )
    display_name = fields.CharField(max_length=60)
    # An OpenMoji code, e.g. "1F9D2".
    avatar = fields.CharField(max_length=40, default="1F642")
    settings = fields.JSONField(default=dict)
    # Set when an autistic adult signed up for themselves: they are their own guardian.
    account: fields.ForeignKeyNullableRelation[Account] = fields.ForeignKeyField(
        "models.Account", related_name="own_person", null=True, on_delete=fields.SET_NULL
    )
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "person"


class Membership(Model):
    id = fields.IntField(primary_key=True)
    account: fields.ForeignKeyRelation[Account] = fields.ForeignKeyField(
        "models.Account", related_name="memberships", on_delete=fields.CASCADE
    )
    family: fields.ForeignKeyRelation[Family] = fields.ForeignKeyField(
        "models.Family", related_name="memberships", on_delete=fields.CASCADE
    )
    role = fields.CharEnumField(Role, max_length=20)
    invitation: fields.ForeignKeyNullableRelation[Invitation] = fields.ForeignKeyField(
        "models.Invitation", related_name="memberships", null=True, on_delete=fields.SET_NULL
    )
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "membership"
        unique_together = (("account", "family"),)


class Invitation(Model):
    """A caregiver invitation link: read-only access, expires, revocable."""

    id = fields.UUIDField(primary_key=True)
    family: fields.ForeignKeyRelation[Family] = fields.ForeignKeyField(
        "models.Family", related_name="invitations", on_delete=fields.CASCADE
    )
    token_hash = fields.CharField(max_length=64, unique=True)
    created_by: fields.ForeignKeyRelation[Account] = fields.ForeignKeyField(
        "models.Account", related_name="invitations_sent", on_delete=fields.CASCADE
    )
    created_at = fields.DatetimeField(auto_now_add=True)
    expires_at = fields.DatetimeField()
    revoked_at = fields.DatetimeField(null=True)
    accepted_by: fields.ForeignKeyNullableRelation[Account] = fields.ForeignKeyField(
        "models.Account", related_name="invitations_accepted", null=True, on_delete=fields.SET_NULL
    )
    accepted_at = fields.DatetimeField(null=True)

    class Meta:
        table = "invitation"


class Organisation(Model):
    id = fields.IntField(primary_key=True)
    kind = fields.CharEnumField(OrgKind, max_length=20)
    name = fields.CharField(max_length=120)
    city = fields.CharField(max_length=60)
    address = fields.CharField(max_length=200, default="")
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "organisation"


class OrgMembership(Model):
    id = fields.IntField(primary_key=True)
    account: fields.ForeignKeyRelation[Account] = fields.ForeignKeyField(
        "models.Account", related_name="org_memberships", on_delete=fields.CASCADE
    )
    organisation: fields.ForeignKeyRelation[Organisation] = fields.ForeignKeyField(
        "models.Organisation", related_name="members", on_delete=fields.CASCADE
    )
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "org_membership"
        unique_together = (("account", "organisation"),)


class DeviceLink(Model):
    """The person's phone: made with a one-time code, then a long-lived, revocable session."""

    id = fields.UUIDField(primary_key=True)
    person: fields.ForeignKeyRelation[Person] = fields.ForeignKeyField(
        "models.Person", related_name="device_links", on_delete=fields.CASCADE
    )
    created_by: fields.ForeignKeyRelation[Account] = fields.ForeignKeyField(
        "models.Account", related_name="device_links_made", on_delete=fields.CASCADE
    )
    # sha256 of the one-time code; cleared when the code is used.
    code_hash = fields.CharField(max_length=64, null=True, unique=True)
    code_expires_at = fields.DatetimeField()
    created_at = fields.DatetimeField(auto_now_add=True)
    claimed_at = fields.DatetimeField(null=True)
    revoked_at = fields.DatetimeField(null=True)
    device_label = fields.CharField(max_length=120, default="")
    last_seen_at = fields.DatetimeField(null=True)

    class Meta:
        table = "device_link"


class LoginFailure(Model):
    """Failed log-ins and code attempts, counted to slow down guessing."""

    id = fields.IntField(primary_key=True)
    key = fields.CharField(max_length=300, db_index=True)
    at = fields.DatetimeField(auto_now_add=True, db_index=True)

    class Meta:
        table = "login_failure"
