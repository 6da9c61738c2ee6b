"""The foundation's tables. Later domains add their own models modules beside this one."""

from __future__ import annotations

from enum import StrEnum
from typing import Any
from uuid import UUID

from tortoise import connections, fields
from tortoise.backends.base.client import TransactionalDBClient
from tortoise.migrations.constraints import CheckConstraint
from tortoise.models import Model
from tortoise.signals import pre_save
from tortoise.transactions import in_transaction

# After each foreign key, its column (`family_id` …) as a bare annotation: Tortoise makes the
# attribute at run time, and the type checker needs to know it.


class Role(StrEnum):
    GUARDIAN = "guardian"
    CAREGIVER = "caregiver"


class OrgKind(StrEnum):
    CENTRE = "centre"
    # A store: a friendly shop whose till takes vouchers (its own staff redeem for it only).
    MERCHANT = "merchant"
    # A merchant that has stores, e.g. a supermarket chain (issue 17): its admins invite store
    # staff, see all its stores' payments and the statements of what the programme owes it.
    CHAIN = "chain"
    # The people who run the programme (the foundation with the federation).
    PROGRAMME = "programme"


# Stored states, as the database holds them (StrEnum: each member is its string).


class VoucherStatus(StrEnum):
    ACTIVE = "active"
    CANCELLED = "cancelled"


class Outcome(StrEnum):
    """A payment at the till: paid, or why nothing was paid."""

    PAID = "paid"
    NOT_ENOUGH = "not_enough"
    EXPIRED = "expired"
    # Good from a later day (a batch for next month, issue 17).
    NOT_YET = "not_yet"
    NOT_ACCEPTED = "not_accepted"
    USED = "used"
    INVALID = "invalid"


class LedgerKind(StrEnum):
    ISSUE = "issue"  # +
    REDEEM = "redeem"  # -
    REVERSE = "reverse"  # +
    RETURN = "return"  # - an ended voucher's unspent balance, back to the centre's budget


class BudgetKind(StrEnum):
    """A change of what a centre may still issue (BudgetEntry.amount is signed)."""

    GRANT = "grant"  # + the programme gives (or, negative, takes back what is unissued)
    ISSUE = "issue"  # - vouchers issued
    RETURN = "return"  # + an ended voucher's unspent balance


class TripEventKind(StrEnum):
    START = "start"
    STEP_DONE = "step_done"
    STEP_BACK = "step_back"
    HELP_SHOWN = "help_shown"
    HELP_CLOSED = "help_closed"
    TIMER_STARTED = "timer_started"
    FINISH = "finish"
    FEELING_BEFORE = "feeling_before"
    FEELING_AFTER = "feeling_after"
    # "I am lost" on the help card was used (issue 18); the position itself is never stored.
    LOST = "lost"


class Account(Model):
    id = fields.IntField(primary_key=True)
    # None: an account that signs in with its mobile number only (issue 16).
    email = fields.CharField(max_length=254, unique=True, null=True)
    # "" when the account has no password (it signs in by SMS code).
    password_hash = fields.CharField(max_length=200)
    name = fields.CharField(max_length=100)
    # None: follow the language cookie or the browser.
    locale = fields.CharField(max_length=10, null=True)
    # A number to call shown to the family's people (free text, not checked).
    phone = fields.CharField(max_length=30, default="")
    # The mobile number it signs in with, in E.164 ("+8613800138000"); set only once a code sent
    # to it was typed back, so it is always verified.
    mobile = fields.CharField(max_length=20, unique=True, null=True)
    # When a link sent to the email was opened; None: not verified.
    email_verified_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    org_memberships: fields.ReverseRelation[OrgMembership]

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
    family_id: UUID
    display_name = fields.CharField(max_length=60)
    # An OpenMoji code, e.g. "1F9D2".
    avatar = fields.CharField(max_length=40, default="1F642")
    settings: fields.JSONField[dict[str, Any]] = fields.JSONField(default=dict)
    # The help card shown to shop staff; empty: the default text in the page's language.
    # db_default: SQLite can add a NOT NULL column to a table with rows only with a default.
    help_text = fields.CharField(max_length=300, default="", db_default="")
    # Set when an autistic adult signed up for themselves: they are their own guardian.
    account: fields.ForeignKeyNullableRelation[Account] = fields.ForeignKeyField(
        "models.Account", related_name="own_person", null=True, on_delete=fields.SET_NULL
    )
    account_id: int | None
    # The help card read aloud in a guardian's own voice (issue 18).
    help_clip: fields.ForeignKeyNullableRelation[Clip] = fields.ForeignKeyField(
        "models.Clip", related_name="help_cards", null=True, on_delete=fields.SET_NULL
    )
    help_clip_id: UUID | None
    # "I am lost" shares the phone's position with the guardians only when a guardian turned
    # this on (off by default); who changed it and when is kept with it (issue 18).
    lost_share = fields.BooleanField(default=False, db_default=False)
    lost_share_changed_at = fields.DatetimeField(null=True)
    lost_share_changed_by = fields.CharField(max_length=100, default="", db_default="")
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "person"


class Membership(Model):
    id = fields.IntField(primary_key=True)
    account: fields.ForeignKeyRelation[Account] = fields.ForeignKeyField(
        "models.Account", related_name="memberships", on_delete=fields.CASCADE
    )
    account_id: int
    family: fields.ForeignKeyRelation[Family] = fields.ForeignKeyField(
        "models.Family", related_name="memberships", on_delete=fields.CASCADE
    )
    family_id: UUID
    role = fields.CharEnumField(Role, max_length=20)
    invitation: fields.ForeignKeyNullableRelation[Invitation] = fields.ForeignKeyField(
        "models.Invitation", related_name="memberships", null=True, on_delete=fields.SET_NULL
    )
    invitation_id: UUID | None
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
    family_id: UUID
    token_hash = fields.CharField(max_length=64, unique=True)
    created_by: fields.ForeignKeyRelation[Account] = fields.ForeignKeyField(
        "models.Account", related_name="invitations_sent", on_delete=fields.CASCADE
    )
    created_by_id: int
    created_at = fields.DatetimeField(auto_now_add=True)
    expires_at = fields.DatetimeField()
    revoked_at = fields.DatetimeField(null=True)
    accepted_by: fields.ForeignKeyNullableRelation[Account] = fields.ForeignKeyField(
        "models.Account", related_name="invitations_accepted", null=True, on_delete=fields.SET_NULL
    )
    accepted_by_id: int | None
    accepted_at = fields.DatetimeField(null=True)
    # Caregiver: read-only, from a guardian. Guardian: from a centre into a family it registered,
    # or for a guardian who lost both password and phone (issue 16).
    role = fields.CharEnumField(Role, max_length=20, default=Role.CAREGIVER, db_default="caregiver")
    # sha256 of the short code a centre prints or reads out, besides the link; None: link only.
    code_hash = fields.CharField(max_length=64, null=True, unique=True)
    # The centre that gave it (a guardian invitation); None: a family's own.
    centre: fields.ForeignKeyNullableRelation[Organisation] = fields.ForeignKeyField(
        "models.Organisation", related_name="invitations", null=True, on_delete=fields.CASCADE
    )
    centre_id: int | None

    class Meta:
        table = "invitation"


class Organisation(Model):
    id = fields.IntField(primary_key=True)
    kind = fields.CharEnumField(OrgKind, max_length=20)
    name = fields.CharField(max_length=120)
    city = fields.CharField(max_length=60)
    address = fields.CharField(max_length=200, default="")
    # The friendly shop directory (issue 5); empty for centres.
    opening_hours = fields.CharField(max_length=120, default="", db_default="")
    quiet_hours = fields.CharField(max_length=120, default="", db_default="")
    staff_know = fields.CharField(max_length=500, default="", db_default="")
    accepts_vouchers = fields.BooleanField(default=True, db_default=True)
    entrance_photo = fields.CharField(max_length=80, default="", db_default="")
    till_photo = fields.CharField(max_length=80, default="", db_default="")
    created_at = fields.DatetimeField(auto_now_add=True)
    # A store's merchant (a chain); None: a store on its own (its own merchant), or not a store.
    chain: fields.ForeignKeyNullableRelation[Organisation] = fields.ForeignKeyField(
        "models.Organisation", related_name="stores", null=True, on_delete=fields.RESTRICT
    )
    chain_id: int | None
    # Programme staff may suspend an organisation (its staff can do nothing, a store takes no
    # voucher) and lift it, or end it for good (issue 17).
    suspended_at = fields.DatetimeField(null=True)
    ended_at = fields.DatetimeField(null=True)
    # Friendly-shop status: the store's staff read the guide and confirmed the checklist, then
    # programme staff approved it. Stores made before issue 17 were approved when made.
    guide_read_at = fields.DatetimeField(null=True)
    checklist_confirmed_at = fields.DatetimeField(null=True)
    approved_at = fields.DatetimeField(null=True)

    class Meta:
        table = "organisation"


class OrgInvitation(Model):
    """A one-time link into an organisation's staff (issue 17): programme staff invite centre
    staff and merchant admins, a merchant's admin invites its stores' staff. Only its sha256
    is kept."""

    id = fields.UUIDField(primary_key=True)
    organisation: fields.ForeignKeyRelation[Organisation] = fields.ForeignKeyField(
        "models.Organisation", related_name="staff_invitations", on_delete=fields.CASCADE
    )
    organisation_id: int
    # The accepting account becomes an admin of the organisation (a merchant's admin).
    admin = fields.BooleanField(default=False)
    # Who it is for, as the inviter wrote it (shown in the list of invitations).
    label = fields.CharField(max_length=100, default="")
    token_hash = fields.CharField(max_length=64, unique=True)
    created_by: fields.ForeignKeyNullableRelation[Account] = fields.ForeignKeyField(
        "models.Account",
        related_name="staff_invitations_sent",
        null=True,
        on_delete=fields.SET_NULL,
    )
    created_by_id: int | None
    created_at = fields.DatetimeField(auto_now_add=True)
    expires_at = fields.DatetimeField()
    revoked_at = fields.DatetimeField(null=True)
    accepted_by: fields.ForeignKeyNullableRelation[Account] = fields.ForeignKeyField(
        "models.Account",
        related_name="staff_invitations_accepted",
        null=True,
        on_delete=fields.SET_NULL,
    )
    accepted_by_id: int | None
    accepted_at = fields.DatetimeField(null=True)

    class Meta:
        table = "org_invitation"


class ShopArea(Model):
    """A friendly shop's own order of its areas, as a person walks through it, with an optional
    photo of each (issue 18). Areas are the catalogue's area ids; one not listed comes after."""

    id = fields.IntField(primary_key=True)
    shop: fields.ForeignKeyRelation[Organisation] = fields.ForeignKeyField(
        "models.Organisation", related_name="shop_areas", on_delete=fields.CASCADE
    )
    shop_id: int
    area = fields.CharField(max_length=30)
    position = fields.SmallIntField()
    # A file in the shops' photo folder, as entrance_photo and till_photo; "" without one.
    photo = fields.CharField(max_length=80, default="", db_default="")

    class Meta:
        table = "shop_area"
        unique_together = (("shop", "area"),)


class OrgMembership(Model):
    id = fields.IntField(primary_key=True)
    account: fields.ForeignKeyRelation[Account] = fields.ForeignKeyField(
        "models.Account", related_name="org_memberships", on_delete=fields.CASCADE
    )
    account_id: int
    organisation: fields.ForeignKeyRelation[Organisation] = fields.ForeignKeyField(
        "models.Organisation", related_name="members", on_delete=fields.CASCADE
    )
    organisation_id: int
    # A shop's admin may reverse the same day's payments.
    admin = fields.BooleanField(default=False, db_default=False)
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
    person_id: UUID
    created_by: fields.ForeignKeyRelation[Account] = fields.ForeignKeyField(
        "models.Account", related_name="device_links_made", on_delete=fields.CASCADE
    )
    created_by_id: int
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


class Session(Model):
    """A log-in on one browser, or a linked phone's session: the cookie holds a random key and
    this row its sha256. Logging out, a new password and "log out on every device" delete the
    row, and the cookie opens nothing; an unlinked phone's row opens nothing either (the link is
    read with it), and a revoked caregiver's membership is read on every request."""

    id = fields.IntField(primary_key=True)
    key_hash = fields.CharField(max_length=64, unique=True)
    account: fields.ForeignKeyNullableRelation[Account] = fields.ForeignKeyField(
        "models.Account", related_name="sessions", null=True, on_delete=fields.CASCADE
    )
    account_id: int | None
    device: fields.ForeignKeyNullableRelation[DeviceLink] = fields.ForeignKeyField(
        "models.DeviceLink", related_name="sessions", null=True, on_delete=fields.CASCADE
    )
    device_id: UUID | None
    created_at = fields.DatetimeField(auto_now_add=True)
    # None: a linked phone's session, which lasts until the phone is unlinked (WCAG 2.2.6).
    expires_at = fields.DatetimeField(null=True)

    class Meta:
        table = "session"


class CodePurpose(StrEnum):
    SIGN_IN = "sign_in"  # an SMS code to sign in with a mobile number
    SIGN_UP = "sign_up"  # an SMS code or email link that finishes a sign-up
    RESET = "reset"  # an email link that sets a new password
    VERIFY_EMAIL = "verify_email"  # an email link that shows the address is the account's


class OneTimeCode(Model):
    """A code sent by SMS or a link sent by email (issue 16): short-lived, single use, a few
    tries. Only its sha256 is kept."""

    id = fields.IntField(primary_key=True)
    purpose = fields.CharEnumField(CodePurpose, max_length=20)
    # Where it was sent: a mobile number in E.164 or an email address, lower case.
    target = fields.CharField(max_length=254, db_index=True)
    code_hash = fields.CharField(max_length=64, db_index=True)
    account: fields.ForeignKeyNullableRelation[Account] = fields.ForeignKeyField(
        "models.Account", related_name="one_time_codes", null=True, on_delete=fields.CASCADE
    )
    account_id: int | None
    # What a sign-up waits to create once the code comes back (name, kind, password hash, …).
    payload: fields.JSONField[dict[str, Any]] = fields.JSONField(default=dict)
    created_at = fields.DatetimeField(auto_now_add=True)
    expires_at = fields.DatetimeField()
    used_at = fields.DatetimeField(null=True)
    tries = fields.IntField(default=0)

    class Meta:
        table = "one_time_code"


class ConsentRecord(Model):
    """A guardian agreed to the privacy notice of this version, for the family's sensitive data
    (PIPL Art. 28/31, GDPR Art. 8/9), at sign-up, when adding a person or at a new version."""

    id = fields.IntField(primary_key=True)
    account: fields.ForeignKeyNullableRelation[Account] = fields.ForeignKeyField(
        "models.Account", related_name="consents", null=True, on_delete=fields.SET_NULL
    )
    account_id: int | None
    family: fields.ForeignKeyNullableRelation[Family] = fields.ForeignKeyField(
        "models.Family", related_name="consents", null=True, on_delete=fields.SET_NULL
    )
    family_id: UUID | None
    person: fields.ForeignKeyNullableRelation[Person] = fields.ForeignKeyField(
        "models.Person", related_name="consents", null=True, on_delete=fields.SET_NULL
    )
    person_id: UUID | None
    notice_version = fields.CharField(max_length=20)
    # "sign_up", "person_added" or "new_notice".
    occasion = fields.CharField(max_length=20)
    locale = fields.CharField(max_length=10, default="")
    at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "consent_record"


class LoginFailure(Model):
    """Failed log-ins and code attempts, counted to slow down guessing."""

    id = fields.IntField(primary_key=True)
    key = fields.CharField(max_length=300, db_index=True)
    at = fields.DatetimeField(auto_now_add=True, db_index=True)

    class Meta:
        table = "login_failure"


# --- shopping lists (issue 3) ------------------------------------------------------------------
# Ids of lists, items and marks are made by the client (a form or the phone), so sending the
# same change twice finds the row it already made (SYNC.md, identity).


class Photo(Model):
    """A family's own photo of a product the person knows, kept as a reusable family item.
    No semicolons in model docstrings: tortoise splits the SQL of a migration on them."""

    id = fields.UUIDField(primary_key=True)
    family: fields.ForeignKeyRelation[Family] = fields.ForeignKeyField(
        "models.Family", related_name="photos", on_delete=fields.CASCADE
    )
    family_id: UUID
    label = fields.CharField(max_length=60)
    area = fields.CharField(max_length=30)
    # Chosen by the server; never the uploaded file's name.
    file_name = fields.CharField(max_length=80, unique=True)
    width = fields.IntField()
    height = fields.IntField()
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "photo"


class Clip(Model):
    """A short recording in a guardian's voice, read aloud for a step, an item or the help card
    (issue 18). Checked by its content (mutagen), kept only for the family, like a photo."""

    id = fields.UUIDField(primary_key=True)
    family: fields.ForeignKeyRelation[Family] = fields.ForeignKeyField(
        "models.Family", related_name="clips", on_delete=fields.CASCADE
    )
    family_id: UUID
    # Chosen by the server; never the uploaded file's name.
    file_name = fields.CharField(max_length=80, unique=True)
    # The audio type the file really is, as served (audio/webm, audio/ogg, audio/mp4 …).
    mime = fields.CharField(max_length=40)
    duration_ms = fields.IntField()
    size = fields.IntField()
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "clip"


class Blob(Model):
    """Bytes kept in the database (issue 19): a family's photos, the voice clips and the shops'
    photos, each under a key like photos/NAME.jpg (pwa/core/blobs.py), so every app process on
    the database serves them, whatever its own data folder holds. A key's bytes never change."""

    key = fields.CharField(max_length=120, primary_key=True)
    data = fields.BinaryField()
    content_type = fields.CharField(max_length=40)
    size = fields.IntField()
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "blob"


class SyncedModel(Model):
    """A row the phones pull by its change number (SYNC.md). Its save takes the number
    (_stamp_change) and writes the row in one transaction, so numbers follow commit order:
    taken and written in two commits, a row could commit after a later number had, and a
    phone that pulled in between would step its cursor past it for good (issue 19; it
    happened on PostgreSQL with a few adds at once, tests/test_sync_order.py). Inside a
    transaction already (a sync push), the save is part of it."""

    class Meta:
        abstract = True

    async def save(
        self,
        using_db: Any = None,
        update_fields: Any = None,
        force_create: bool = False,
        force_update: bool = False,
    ) -> None:
        if update_fields is not None and self.pk is not None:
            # The number _stamp_change takes is written in the same UPDATE as the fields
            # (issue 19: it was a statement of its own, built by the query builder each time).
            update_fields = [
                *update_fields,
                *(() if "change_seq" in update_fields else ("change_seq",)),
            ]
        # Model.create passes the plain client as using_db: only a transaction's own client
        # means the save is already in one.
        if isinstance(using_db or connections.get("default"), TransactionalDBClient):
            await super().save(using_db, update_fields, force_create, force_update)
            return
        async with in_transaction() as connection:
            await super().save(connection, update_fields, force_create, force_update)


class ShoppingList(SyncedModel):
    id = fields.UUIDField(primary_key=True)
    family: fields.ForeignKeyRelation[Family] = fields.ForeignKeyField(
        "models.Family", related_name="lists", on_delete=fields.CASCADE
    )
    family_id: UUID
    person: fields.ForeignKeyNullableRelation[Person] = fields.ForeignKeyField(
        "models.Person", related_name="lists", null=True, on_delete=fields.SET_NULL
    )
    person_id: UUID | None
    name = fields.CharField(max_length=60)
    shop: fields.ForeignKeyNullableRelation[Organisation] = fields.ForeignKeyField(
        "models.Organisation", related_name="lists", null=True, on_delete=fields.SET_NULL
    )
    shop_id: int | None
    # Money is integer fen.
    budget = fields.IntField(null=True)
    archived_at = fields.DatetimeField(null=True)
    # Deleted lists stay restorable (undo) and become deletion markers for sync.
    deleted_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    # The server sequence at the row's last change: /api/sync/pull sends rows newer than a cursor.
    change_seq = fields.BigIntField(default=0, db_default=0, db_index=True)

    class Meta:
        table = "shopping_list"
        # Pull reads one family's changes after a cursor (pwa/sync/routes.py).
        indexes = (("family_id", "change_seq"),)


class ListItem(SyncedModel):
    id = fields.UUIDField(primary_key=True)
    family: fields.ForeignKeyRelation[Family] = fields.ForeignKeyField(
        "models.Family", related_name="list_items", on_delete=fields.CASCADE
    )
    family_id: UUID
    list: fields.ForeignKeyRelation[ShoppingList] = fields.ForeignKeyField(
        "models.ShoppingList", related_name="items", on_delete=fields.CASCADE
    )
    list_id: UUID
    # Either an OpenMoji code from the catalogue or a family photo.
    pictogram = fields.CharField(max_length=40, default="")
    photo: fields.ForeignKeyNullableRelation[Photo] = fields.ForeignKeyField(
        "models.Photo", related_name="items", null=True, on_delete=fields.SET_NULL
    )
    photo_id: UUID | None
    # Empty: the catalogue's label in the language of the page.
    label = fields.CharField(max_length=60, default="")
    quantity = fields.SmallIntField(default=1)
    note = fields.CharField(max_length=100, default="")
    # Estimated price of one, in fen.
    price = fields.IntField(null=True)
    area = fields.CharField(max_length=30)
    # A fractional-index key: items can be put between two others without renumbering.
    position = fields.CharField(max_length=60)
    # Read aloud in a guardian's own voice (issue 18).
    clip: fields.ForeignKeyNullableRelation[Clip] = fields.ForeignKeyField(
        "models.Clip", related_name="items", null=True, on_delete=fields.SET_NULL
    )
    clip_id: UUID | None
    # Plan B, when the item is not there (issue 18): "" (none chosen), "other" (take another
    # item: plan_b_pictogram or plan_b_photo, named plan_b_label), "ask" (ask the staff with the
    # help card) or "leave" (leave it).
    plan_b = fields.CharField(max_length=10, default="", db_default="")
    plan_b_pictogram = fields.CharField(max_length=40, default="", db_default="")
    plan_b_photo: fields.ForeignKeyNullableRelation[Photo] = fields.ForeignKeyField(
        "models.Photo", related_name="plan_b_items", null=True, on_delete=fields.SET_NULL
    )
    plan_b_photo_id: UUID | None
    plan_b_label = fields.CharField(max_length=60, default="", db_default="")
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)
    deleted_at = fields.DatetimeField(null=True)

    # The server sequence at the row's last change: /api/sync/pull sends rows newer than a cursor.
    change_seq = fields.BigIntField(default=0, db_default=0, db_index=True)
    # Per field, the (client_time, writer) of the value it holds: last writer wins (SYNC.md).
    field_times: fields.JSONField[dict[str, Any] | None] = fields.JSONField(null=True)

    class Meta:
        table = "list_item"
        # Pull reads one family's changes after a cursor (pwa/sync/routes.py); every list page reads
        # one list's items (bench/growth.py: a scan of every family's items otherwise).
        # (list_id, position): a new thing goes after the list's last, found from the index
        # however long the list (issue 19); it serves the list_id look-ups too.
        # (list_id, deleted_at): the list page and its count read only the things on the list,
        # not every thing ever taken off it (issue 19: the cycle's list had thousands).
        indexes = (
            ("family_id", "change_seq"),
            ("list_id",),
            ("list_id", "position"),
            ("list_id", "deleted_at"),
        )


class MarkState(StrEnum):
    TICKED = "ticked"
    NOT_FOUND = "not_found"
    CLEARED = "cleared"  # undo


class ItemMark(SyncedModel):
    """Append-only: an item was put in the basket, not found, or the mark was undone.
    The newest mark by (client_time, id) is the item's state."""

    id = fields.UUIDField(primary_key=True)
    family: fields.ForeignKeyRelation[Family] = fields.ForeignKeyField(
        "models.Family", related_name="item_marks", on_delete=fields.CASCADE
    )
    family_id: UUID
    item: fields.ForeignKeyRelation[ListItem] = fields.ForeignKeyField(
        "models.ListItem", related_name="marks", on_delete=fields.CASCADE
    )
    item_id: UUID
    state = fields.CharEnumField(MarkState, max_length=20)
    # With a "not found" mark: the plan B the person used ("other", "ask" or "leave", issue 18).
    plan_b = fields.CharField(max_length=10, default="", db_default="")
    client_time = fields.DatetimeField()
    device: fields.ForeignKeyNullableRelation[DeviceLink] = fields.ForeignKeyField(
        "models.DeviceLink", related_name="marks", null=True, on_delete=fields.SET_NULL
    )
    device_id: UUID | None
    account: fields.ForeignKeyNullableRelation[Account] = fields.ForeignKeyField(
        "models.Account", related_name="marks", null=True, on_delete=fields.SET_NULL
    )
    account_id: int | None
    created_at = fields.DatetimeField(auto_now_add=True)

    # The server sequence at the row's last change: /api/sync/pull sends rows newer than a cursor.
    change_seq = fields.BigIntField(default=0, db_default=0, db_index=True)

    class Meta:
        table = "item_mark"
        # Pull reads one family's changes after a cursor (pwa/sync/routes.py); the shopping view and
        # each trip record read the marks of some items, a trip's by time (bench/growth.py).
        indexes = (("family_id", "change_seq"), ("item_id", "client_time"))


# --- plans and trips (issue 4) -----------------------------------------------------------------


class PromptLevel(StrEnum):
    FULL = "full"  # picture, sentence, read-aloud offered
    LESS = "less"  # picture and sentence
    LEAST = "least"  # picture only


class Plan(SyncedModel):
    """A visual schedule: the steps of a trip, one picture and one sentence each."""

    id = fields.UUIDField(primary_key=True)
    family: fields.ForeignKeyRelation[Family] = fields.ForeignKeyField(
        "models.Family", related_name="plans", on_delete=fields.CASCADE
    )
    family_id: UUID
    person: fields.ForeignKeyNullableRelation[Person] = fields.ForeignKeyField(
        "models.Person", related_name="plans", null=True, on_delete=fields.SET_NULL
    )
    person_id: UUID | None
    name = fields.CharField(max_length=60)
    # The friendly shop the trip goes to (issue 18): the story shows its entrance and till.
    shop: fields.ForeignKeyNullableRelation[Organisation] = fields.ForeignKeyField(
        "models.Organisation", related_name="plans", null=True, on_delete=fields.SET_NULL
    )
    shop_id: int | None
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)
    deleted_at = fields.DatetimeField(null=True)

    # The server sequence at the row's last change: /api/sync/pull sends rows newer than a cursor.
    change_seq = fields.BigIntField(default=0, db_default=0, db_index=True)

    class Meta:
        table = "plan"
        # Pull reads one family's changes after a cursor (pwa/sync/routes.py).
        indexes = (("family_id", "change_seq"),)


class PlanStep(SyncedModel):
    id = fields.UUIDField(primary_key=True)
    family: fields.ForeignKeyRelation[Family] = fields.ForeignKeyField(
        "models.Family", related_name="plan_steps", on_delete=fields.CASCADE
    )
    family_id: UUID
    plan: fields.ForeignKeyRelation[Plan] = fields.ForeignKeyField(
        "models.Plan", related_name="steps", on_delete=fields.CASCADE
    )
    plan_id: UUID
    position = fields.CharField(max_length=60)
    pictogram = fields.CharField(max_length=40, default="")
    photo: fields.ForeignKeyNullableRelation[Photo] = fields.ForeignKeyField(
        "models.Photo", related_name="steps", null=True, on_delete=fields.SET_NULL
    )
    photo_id: UUID | None
    text = fields.CharField(max_length=120)
    wait_minutes = fields.SmallIntField(null=True)
    # "" (nothing), "list" (opens shopping_list) or "pay" (opens the voucher, issue 5).
    link = fields.CharField(max_length=10, default="")
    shopping_list: fields.ForeignKeyNullableRelation[ShoppingList] = fields.ForeignKeyField(
        "models.ShoppingList", related_name="steps", null=True, on_delete=fields.SET_NULL
    )
    shopping_list_id: UUID | None
    prompt_level = fields.CharEnumField(PromptLevel, max_length=10, default=PromptLevel.FULL)
    # Read aloud in a guardian's own voice (issue 18).
    clip: fields.ForeignKeyNullableRelation[Clip] = fields.ForeignKeyField(
        "models.Clip", related_name="steps", null=True, on_delete=fields.SET_NULL
    )
    clip_id: UUID | None
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)
    deleted_at = fields.DatetimeField(null=True)

    # The server sequence at the row's last change: /api/sync/pull sends rows newer than a cursor.
    change_seq = fields.BigIntField(default=0, db_default=0, db_index=True)
    # Per field, the (client_time, writer) of the value it holds: last writer wins (SYNC.md).
    field_times: fields.JSONField[dict[str, Any] | None] = fields.JSONField(null=True)

    class Meta:
        table = "plan_step"
        # Pull reads one family's changes after a cursor (pwa/sync/routes.py); plan pages and the
        # phone's home screen read one plan's steps (bench/growth.py).
        indexes = (("family_id", "change_seq"), ("plan_id",))


class FirstThenBoard(Model):
    """Two big pictures: "First … then …"."""

    id = fields.UUIDField(primary_key=True)
    family: fields.ForeignKeyRelation[Family] = fields.ForeignKeyField(
        "models.Family", related_name="boards", on_delete=fields.CASCADE
    )
    family_id: UUID
    first_code = fields.CharField(max_length=40)
    first_text = fields.CharField(max_length=60)
    then_code = fields.CharField(max_length=40)
    then_text = fields.CharField(max_length=60)
    created_at = fields.DatetimeField(auto_now_add=True)
    deleted_at = fields.DatetimeField(null=True)

    class Meta:
        table = "first_then_board"


class Trip(SyncedModel):
    """One trip the person made from a plan. The steps are copied when it starts, so a plan
    changed later does not change the record of what the person saw."""

    id = fields.UUIDField(primary_key=True)
    family: fields.ForeignKeyRelation[Family] = fields.ForeignKeyField(
        "models.Family", related_name="trips", on_delete=fields.CASCADE
    )
    family_id: UUID
    person: fields.ForeignKeyRelation[Person] = fields.ForeignKeyField(
        "models.Person", related_name="trips", on_delete=fields.CASCADE
    )
    person_id: UUID
    plan: fields.ForeignKeyNullableRelation[Plan] = fields.ForeignKeyField(
        "models.Plan", related_name="trips", null=True, on_delete=fields.SET_NULL
    )
    plan_id: UUID | None
    plan_name = fields.CharField(max_length=60)
    steps: fields.JSONField[list[dict[str, Any]]] = fields.JSONField(default=list)
    started_at = fields.DatetimeField()
    finished_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    # The server sequence at the row's last change: /api/sync/pull sends rows newer than a cursor.
    change_seq = fields.BigIntField(default=0, db_default=0, db_index=True)

    class Meta:
        table = "trip"
        # Trip history and progress read one person's trips, newest first (bench/growth.py).
        indexes = (("person_id", "started_at"),)


class TripEvent(SyncedModel):
    """Append-only: what happened during a trip, with the phone's time."""

    id = fields.UUIDField(primary_key=True)
    family: fields.ForeignKeyRelation[Family] = fields.ForeignKeyField(
        "models.Family", related_name="trip_events", on_delete=fields.CASCADE
    )
    family_id: UUID
    trip: fields.ForeignKeyRelation[Trip] = fields.ForeignKeyField(
        "models.Trip", related_name="events", on_delete=fields.CASCADE
    )
    trip_id: UUID
    kind = fields.CharEnumField(TripEventKind, max_length=20)
    step = fields.SmallIntField(null=True)
    prompt_level = fields.CharField(max_length=10, default="")
    # The picture chosen in a feelings check: calm, happy, worried or upset.
    value = fields.CharField(max_length=20, default="", db_default="")
    client_time = fields.DatetimeField()
    created_at = fields.DatetimeField(auto_now_add=True)

    # The server sequence at the row's last change: /api/sync/pull sends rows newer than a cursor.
    change_seq = fields.BigIntField(default=0, db_default=0, db_index=True)

    class Meta:
        table = "trip_event"
        # Every trip record reads its trip's events: a scan of every family's otherwise.
        indexes = (("trip_id",),)


class TripNote(Model):
    """A note a guardian or an invited caregiver adds to a trip: the caregiver's only write."""

    id = fields.UUIDField(primary_key=True)
    family: fields.ForeignKeyRelation[Family] = fields.ForeignKeyField(
        "models.Family", related_name="trip_notes", on_delete=fields.CASCADE
    )
    family_id: UUID
    trip: fields.ForeignKeyRelation[Trip] = fields.ForeignKeyField(
        "models.Trip", related_name="notes", on_delete=fields.CASCADE
    )
    trip_id: UUID
    account: fields.ForeignKeyNullableRelation[Account] = fields.ForeignKeyField(
        "models.Account", related_name="trip_notes", null=True, on_delete=fields.SET_NULL
    )
    account_id: int | None
    author_name = fields.CharField(max_length=100)
    text = fields.CharField(max_length=500)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "trip_note"
        indexes = (("trip_id",),)


class PushSubscription(Model):
    """A guardian's browser that asked to be told when a trip starts, the help card is shown,
    or the trip ends (Web Push). The keys encrypt the message for that browser only."""

    id = fields.IntField(primary_key=True)
    account: fields.ForeignKeyRelation[Account] = fields.ForeignKeyField(
        "models.Account", related_name="push_subscriptions", on_delete=fields.CASCADE
    )
    account_id: int
    family: fields.ForeignKeyRelation[Family] = fields.ForeignKeyField(
        "models.Family", related_name="push_subscriptions", on_delete=fields.CASCADE
    )
    family_id: UUID
    endpoint = fields.CharField(max_length=1000)
    p256dh = fields.CharField(max_length=200)
    auth = fields.CharField(max_length=100)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "push_subscription"
        unique_together = (("family", "endpoint"),)


# --- friendly vouchers (issue 5) ---------------------------------------------------------------
# Money is integer fen. Balances change only inside pwa/vouchers/services.py, each change with its
# ledger entry in the same transaction, and the database itself refuses a negative balance.


class CentreFamily(Model):
    """A family registered with a rehabilitation centre, which issues it vouchers."""

    id = fields.IntField(primary_key=True)
    centre: fields.ForeignKeyRelation[Organisation] = fields.ForeignKeyField(
        "models.Organisation", related_name="centre_families", on_delete=fields.CASCADE
    )
    centre_id: int
    family: fields.ForeignKeyRelation[Family] = fields.ForeignKeyField(
        "models.Family", related_name="centres", on_delete=fields.CASCADE
    )
    family_id: UUID
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "centre_family"
        unique_together = (("centre", "family"),)


class CentreRequest(Model):
    """A centre asks to join a family that uses Startrip already (typed its family code).
    Nothing is shared until a guardian accepts, which makes the CentreFamily row (issue 15)."""

    id = fields.IntField(primary_key=True)
    centre: fields.ForeignKeyRelation[Organisation] = fields.ForeignKeyField(
        "models.Organisation", related_name="family_requests", on_delete=fields.CASCADE
    )
    centre_id: int
    family: fields.ForeignKeyRelation[Family] = fields.ForeignKeyField(
        "models.Family", related_name="centre_requests", on_delete=fields.CASCADE
    )
    family_id: UUID
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "centre_request"
        # Asking twice finds the request already made.
        unique_together = (("centre", "family"),)


class Voucher(Model):
    id = fields.UUIDField(primary_key=True)
    # None once the family is deleted: the money records stay, as accounting asks, naming nobody.
    family: fields.ForeignKeyNullableRelation[Family] = fields.ForeignKeyField(
        "models.Family", related_name="vouchers", null=True, on_delete=fields.SET_NULL
    )
    family_id: UUID | None
    centre: fields.ForeignKeyRelation[Organisation] = fields.ForeignKeyField(
        "models.Organisation", related_name="vouchers_issued", on_delete=fields.RESTRICT
    )
    centre_id: int
    face_value = fields.IntField()
    balance = fields.IntField()
    valid_from = fields.DatetimeField()
    valid_until = fields.DatetimeField()
    status = fields.CharEnumField(VoucherStatus, max_length=20, default=VoucherStatus.ACTIVE)
    # False: only at the shops in VoucherShop.
    everywhere = fields.BooleanField(default=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    # The batch that issued it ("¥50 for December to each of our families"), if any.
    batch: fields.ForeignKeyNullableRelation[VoucherBatch] = fields.ForeignKeyField(
        "models.VoucherBatch", related_name="vouchers", null=True, on_delete=fields.RESTRICT
    )
    batch_id: UUID | None
    # When its unspent balance went back to the centre's budget (it ended): set once, by the
    # conditional UPDATE that moves the money (pwa/vouchers/budgets.py).
    returned_at = fields.DatetimeField(null=True)

    class Meta:
        table = "voucher"
        constraints = (CheckConstraint(check="balance >= 0", name="voucher_balance_not_negative"),)


class VoucherShop(Model):
    id = fields.IntField(primary_key=True)
    voucher: fields.ForeignKeyRelation[Voucher] = fields.ForeignKeyField(
        "models.Voucher", related_name="shops", on_delete=fields.CASCADE
    )
    voucher_id: UUID
    shop: fields.ForeignKeyRelation[Organisation] = fields.ForeignKeyField(
        "models.Organisation", related_name="voucher_links", on_delete=fields.CASCADE
    )
    shop_id: int

    class Meta:
        table = "voucher_shop"
        unique_together = (("voucher", "shop"),)


class PayToken(Model):
    """A single-use code the person's phone shows at the till, fetched while online."""

    id = fields.IntField(primary_key=True)
    voucher: fields.ForeignKeyRelation[Voucher] = fields.ForeignKeyField(
        "models.Voucher", related_name="tokens", on_delete=fields.CASCADE
    )
    voucher_id: UUID
    code = fields.CharField(max_length=12, unique=True)
    nonce = fields.CharField(max_length=32, unique=True)
    # The session (a linked phone's, or an adult's own log-in) that fetched it: the codes die
    # with it (logging out), and with the phone's link (unlinking).
    session: fields.ForeignKeyNullableRelation[Session] = fields.ForeignKeyField(
        "models.Session", related_name="pay_tokens", null=True, on_delete=fields.CASCADE
    )
    session_id: int | None
    expires_at = fields.DatetimeField()
    used_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "pay_token"


class Redemption(Model):
    """One request from a till, answered once: the same Idempotency-Key gets the same answer."""

    id = fields.IntField(primary_key=True)
    idempotency_key = fields.CharField(max_length=100, unique=True)
    request_hash = fields.CharField(max_length=64)
    voucher: fields.ForeignKeyNullableRelation[Voucher] = fields.ForeignKeyField(
        "models.Voucher", related_name="redemptions", null=True, on_delete=fields.RESTRICT
    )
    voucher_id: UUID | None
    shop: fields.ForeignKeyRelation[Organisation] = fields.ForeignKeyField(
        "models.Organisation", related_name="redemptions", on_delete=fields.RESTRICT
    )
    shop_id: int
    amount = fields.IntField()
    # Claimed only by a payment that went through, so a refused try leaves the code usable.
    token_nonce = fields.CharField(max_length=32, unique=True, null=True)
    outcome = fields.CharEnumField(Outcome, max_length=20)
    balance_after = fields.IntField(null=True)
    staff: fields.ForeignKeyNullableRelation[Account] = fields.ForeignKeyField(
        "models.Account", related_name="redemptions", null=True, on_delete=fields.SET_NULL
    )
    staff_id: int | None
    reversed_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "redemption"


class LedgerEntry(Model):
    """Immutable: issue (+), redeem (-), reverse (+). A voucher's balance is their sum."""

    id = fields.IntField(primary_key=True)
    voucher: fields.ForeignKeyRelation[Voucher] = fields.ForeignKeyField(
        "models.Voucher", related_name="ledger", on_delete=fields.RESTRICT
    )
    voucher_id: UUID
    kind = fields.CharEnumField(LedgerKind, max_length=10)
    amount = fields.IntField()
    shop: fields.ForeignKeyNullableRelation[Organisation] = fields.ForeignKeyField(
        "models.Organisation", related_name="ledger_entries", null=True, on_delete=fields.RESTRICT
    )
    shop_id: int | None
    redemption: fields.ForeignKeyNullableRelation[Redemption] = fields.ForeignKeyField(
        "models.Redemption", related_name="ledger_entries", null=True, on_delete=fields.RESTRICT
    )
    redemption_id: int | None
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "ledger_entry"


# --- the programme (issue 17) -------------------------------------------------------------------


class CentreBudget(Model):
    """What a centre may still issue. `unissued` changes only with a BudgetEntry in the same
    transaction, by a conditional UPDATE, and the database refuses a negative one."""

    id = fields.IntField(primary_key=True)
    centre: fields.OneToOneRelation[Organisation] = fields.OneToOneField(
        "models.Organisation", related_name="budget", on_delete=fields.RESTRICT
    )
    centre_id: int
    # Money is integer fen. granted: the sum of the GRANT entries; unissued: of all entries.
    granted = fields.BigIntField(default=0)
    unissued = fields.BigIntField(default=0)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "centre_budget"
        constraints = (CheckConstraint(check="unissued >= 0", name="centre_budget_not_negative"),)


class VoucherBatch(Model):
    """One voucher for every family of a centre for a period. Its vouchers' ids are derived
    from the batch and the family, so a family gets at most one, however often it runs."""

    id = fields.UUIDField(primary_key=True)
    centre: fields.ForeignKeyRelation[Organisation] = fields.ForeignKeyField(
        "models.Organisation", related_name="voucher_batches", on_delete=fields.RESTRICT
    )
    centre_id: int
    face_value = fields.IntField()
    valid_from = fields.DatetimeField()
    valid_until = fields.DatetimeField()
    created_by: fields.ForeignKeyNullableRelation[Account] = fields.ForeignKeyField(
        "models.Account", related_name="voucher_batches", null=True, on_delete=fields.SET_NULL
    )
    created_by_id: int | None
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "voucher_batch"
        unique_together = (("centre", "valid_from", "valid_until"),)


class BudgetEntry(Model):
    """Immutable: a change of what a centre may still issue. Its sum per centre is
    CentreBudget.unissued."""

    id = fields.IntField(primary_key=True)
    centre: fields.ForeignKeyRelation[Organisation] = fields.ForeignKeyField(
        "models.Organisation", related_name="budget_entries", on_delete=fields.RESTRICT
    )
    centre_id: int
    kind = fields.CharEnumField(BudgetKind, max_length=10)
    amount = fields.BigIntField()
    voucher: fields.ForeignKeyNullableRelation[Voucher] = fields.ForeignKeyField(
        "models.Voucher", related_name="budget_entries", null=True, on_delete=fields.RESTRICT
    )
    voucher_id: UUID | None
    batch: fields.ForeignKeyNullableRelation[VoucherBatch] = fields.ForeignKeyField(
        "models.VoucherBatch", related_name="budget_entries", null=True, on_delete=fields.RESTRICT
    )
    batch_id: UUID | None
    note = fields.CharField(max_length=200, default="")
    created_at = fields.DatetimeField(auto_now_add=True)
    # The id of the programme's grant form that made it: the same form sent twice (a double
    # click, Back and send again) grants once.
    request_id = fields.UUIDField(null=True, unique=True)

    class Meta:
        table = "budget_entry"


class Statement(Model):
    """What the programme owes a merchant for a closed period: its lines are fixed when it is
    made (each ledger entry is on one statement only), so it never changes. A reversal made
    after it is on the next one, as an adjustment."""

    id = fields.IntField(primary_key=True)
    # A chain, or a store on its own.
    merchant: fields.ForeignKeyRelation[Organisation] = fields.ForeignKeyField(
        "models.Organisation", related_name="statements", on_delete=fields.RESTRICT
    )
    merchant_id: int
    first_day = fields.DateField()
    last_day = fields.DateField()
    # Fen: payments (> 0), reversals (< 0 or 0) and what is owed (their sum).
    payments = fields.BigIntField(default=0)
    reversals = fields.BigIntField(default=0)
    total = fields.BigIntField(default=0)
    created_by: fields.ForeignKeyNullableRelation[Account] = fields.ForeignKeyField(
        "models.Account", related_name="statements_made", null=True, on_delete=fields.SET_NULL
    )
    created_by_id: int | None
    created_at = fields.DatetimeField(auto_now_add=True)
    paid_at = fields.DatetimeField(null=True)
    paid_reference = fields.CharField(max_length=100, default="")
    paid_by: fields.ForeignKeyNullableRelation[Account] = fields.ForeignKeyField(
        "models.Account", related_name="statements_paid", null=True, on_delete=fields.SET_NULL
    )
    paid_by_id: int | None

    class Meta:
        table = "statement"


class StatementLine(Model):
    id = fields.IntField(primary_key=True)
    statement: fields.ForeignKeyRelation[Statement] = fields.ForeignKeyField(
        "models.Statement", related_name="lines", on_delete=fields.RESTRICT
    )
    statement_id: int
    # A payment (REDEEM) or a reversal (REVERSE) entry, on one statement only.
    entry: fields.OneToOneRelation[LedgerEntry] = fields.OneToOneField(
        "models.LedgerEntry", related_name="statement_line", on_delete=fields.RESTRICT
    )
    entry_id: int
    # A reversal of a payment that an earlier statement listed.
    adjustment = fields.BooleanField(default=False)
    # The pay code's last characters, masked, as they were when the statement was made: the
    # code itself goes with the phone's session (logging out), and the statement must not.
    code = fields.CharField(max_length=20, default="")

    class Meta:
        table = "statement_line"


class AuditEntry(Model):
    """Append-only: who did what that moves money or changes who may do what, when, with the
    before and after. The database refuses UPDATE and DELETE (triggers, migration 0018). No
    foreign keys: an account or family deleted later leaves the entry as it was."""

    id = fields.BigIntField(primary_key=True)
    at = fields.DatetimeField(auto_now_add=True, db_index=True)
    actor_id = fields.IntField(null=True)
    # The actor's name then, or what acted ("expiry job", "command line").
    actor = fields.CharField(max_length=120, default="")
    action = fields.CharField(max_length=40, db_index=True)
    object_kind = fields.CharField(max_length=30, default="")
    object_id = fields.CharField(max_length=64, default="")
    # The organisation it concerns, for filtering.
    organisation_id = fields.IntField(null=True, db_index=True)
    before: fields.JSONField[dict[str, Any] | None] = fields.JSONField(null=True)
    after: fields.JSONField[dict[str, Any] | None] = fields.JSONField(null=True)

    class Meta:
        table = "audit_entry"


# --- offline sync (issue 6) --------------------------------------------------------------------


class SyncClient(Model):
    """One browser install, bound on its first push to who sent it and their family."""

    id = fields.UUIDField(primary_key=True)
    family: fields.ForeignKeyRelation[Family] = fields.ForeignKeyField(
        "models.Family", related_name="sync_clients", on_delete=fields.CASCADE
    )
    family_id: UUID
    account: fields.ForeignKeyNullableRelation[Account] = fields.ForeignKeyField(
        "models.Account", related_name="sync_clients", null=True, on_delete=fields.CASCADE
    )
    account_id: int | None
    device: fields.ForeignKeyNullableRelation[DeviceLink] = fields.ForeignKeyField(
        "models.DeviceLink", related_name="sync_clients", null=True, on_delete=fields.CASCADE
    )
    device_id: UUID | None
    last_mutation_id = fields.BigIntField(default=0)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "sync_client"


class OpLog(Model):
    """Append-only: every mutation a client pushed, once, applied or refused with its reason.
    The id is the server's sequence."""

    id = fields.BigIntField(primary_key=True)
    client: fields.ForeignKeyRelation[SyncClient] = fields.ForeignKeyField(
        "models.SyncClient", related_name="ops", on_delete=fields.CASCADE
    )
    client_id: UUID
    mutation_id = fields.BigIntField()
    family: fields.ForeignKeyRelation[Family] = fields.ForeignKeyField(
        "models.Family", related_name="ops", on_delete=fields.CASCADE
    )
    family_id: UUID
    name = fields.CharField(max_length=40)
    args: fields.JSONField[dict[str, Any]] = fields.JSONField(default=dict)
    error = fields.CharField(max_length=300, default="")
    client_time = fields.DatetimeField(null=True)
    applied_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "op_log"
        unique_together = (("client", "mutation_id"),)


class HistoryReason(StrEnum):
    REPLACED = "replaced"  # a later change took its place
    LOST = "lost"  # it arrived after a later change to the same field
    AFTER_DELETE = "after_delete"  # it arrived after the row was taken out


class FieldHistory(Model):
    """A value of one field of an item or a step that is not shown any more: replaced by a later
    change, beaten by one, or made after the row was taken out. Kept so a parent can put it
    back (SYNC.md, Conflicts)."""

    id = fields.BigIntField(primary_key=True)
    family: fields.ForeignKeyRelation[Family] = fields.ForeignKeyField(
        "models.Family", related_name="field_history", on_delete=fields.CASCADE
    )
    family_id: UUID
    kind = fields.CharField(max_length=10)
    row_id = fields.UUIDField(db_index=True)
    # The list of an item, the plan of a step: the history page lists by this.
    parent_id = fields.UUIDField(db_index=True)
    field = fields.CharField(max_length=30)
    value: fields.JSONField[Any] = fields.JSONField(null=True)
    client_time = fields.DatetimeField()
    writer = fields.CharField(max_length=60)
    reason = fields.CharEnumField(HistoryReason, max_length=20)
    created_at = fields.DatetimeField(auto_now_add=True)
    put_back_at = fields.DatetimeField(null=True)

    class Meta:
        table = "field_history"


class ChangeCounter(Model):
    """One row: the server sequence that orders every change to a synced row (SYNC.md, pull)."""

    id = fields.IntField(primary_key=True)
    value = fields.BigIntField(default=0)

    class Meta:
        table = "change_counter"


class SyncRemoval(Model):
    """A synced row deleted for good (a person, their lists and plans, issue 16). Pull sends its
    kind and id after the cursor, so every other device drops its copy. It holds ids only,
    nothing of what the row said, and goes with its family."""

    id = fields.BigIntField(primary_key=True)
    family: fields.ForeignKeyRelation[Family] = fields.ForeignKeyField(
        "models.Family", related_name="sync_removals", on_delete=fields.CASCADE
    )
    family_id: UUID
    # The name pull gives the kind of row: "lists", "items", "marks", "plans" or "steps".
    kind = fields.CharField(max_length=10)
    row_id = fields.UUIDField()
    # A number of the server sequence of its own, taken when the row was deleted.
    change_seq = fields.BigIntField()
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "sync_removal"
        # Pull reads one family's removals after a cursor, as it reads its rows.
        indexes = (("family_id", "change_seq"),)


async def current_change_seq() -> int:
    """The newest number of the server sequence: a page made now has seen every change up to it."""
    counter = await ChangeCounter.get_or_none(id=1)
    return counter.value if counter else 0


SYNCED_MODELS = (ShoppingList, ListItem, ItemMark, Plan, PlanStep, Trip, TripEvent)


@pre_save(*SYNCED_MODELS)
async def _stamp_change(
    sender: type[Model], instance: Model, using_db: Any, update_fields: Any
) -> None:
    """Every save of a synced row takes the next number of the server sequence: one statement
    that adds one and returns the number (SQLite ≥ 3.35 and PostgreSQL both have RETURNING).
    The counter row is locked until the transaction ends, so numbers follow commit order."""
    connection = using_db or connections.get("default")
    # execute_query_dict, not execute_query: tortoise's asyncpg client drops the rows of an
    # UPDATE … RETURNING in execute_query.
    rows = await connection.execute_query_dict(
        "UPDATE change_counter SET value = value + 1 WHERE id = 1 RETURNING value"
    )
    if not rows:
        await ChangeCounter.get_or_create(id=1, defaults={"value": 0}, using_db=using_db)
        rows = await connection.execute_query_dict(
            "UPDATE change_counter SET value = value + 1 WHERE id = 1 RETURNING value"
        )
    # A save of some fields writes it with them: SyncedModel.save adds change_seq to them.
    instance.change_seq = rows[0]["value"]
