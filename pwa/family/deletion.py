"""Deleting for good (issue 16, item 7): a person, a family, or an account. The only writers.

Lists and plans that a parent deletes from their pages stay, marked deleted, so the parent can
undo it. Deleting a person, a family or an account here removes the rows themselves, in one
transaction (SQLite and PostgreSQL alike), with the bytes of the photos and voice clips that
only they used (kept in the database since issue 19, pwa/core/blobs.py).

What goes, and what stays:
- A person: their lists with every item and tick, their plans with every step, their trips
  with every event (feelings too) and note, the photos that no other row of the family uses
  and their voice clips (the bytes too), their phones' links with the phones' sessions, pay
  codes and sync installs, the field history of their items and steps (and earlier values of
  other steps that pointed at their lists or photos) and the op log entries that name any of
  their rows.
  Push subscriptions belong to parents' browsers, not to a person: alerts about the person's
  trips simply stop, as the trips are gone.
  Consent records stay (the proof that a parent agreed) but no longer point at them. Boards and
  lists or plans for nobody in particular are the whole family's and stay.
- A family: everything of it (people as above, members' memberships, invitations, the link to
  a centre and its requests, photos and voice clips with their bytes, boards, history, op
  log). Its vouchers stay, as accounting law asks, with their ledger entries and redemptions,
  but no longer name a family (voucher.family_id is set to NULL), so `python -m pwa
  check-ledger` still agrees.
- An account: its memberships, sessions, push subscriptions and codes. A family where it is the
  only parent is deleted too, or kept for a new parent (the centre can invite one) as the
  account holder chooses; that choice exists only while a centre is with the family
  (CentreFamily): without one, nobody could ever invite a parent, export the child's data,
  delete it or have it purged, so such a family always goes with its last parent. Notes they
  wrote in a family that stays lose their name.

Other devices learn of removed rows through pull: each removed list, item, tick, plan and step
leaves a SyncRemoval (kind, id, a number of the server sequence) that pull sends after the
cursor, and the phone's outbox.js drops its copy. A family deleted whole takes its removals
with it: its devices can no longer pull at all (their installs are gone, so pull answers 404)
and outbox.js then drops everything it kept of the family. Removals hold ids only, and are
kept with the family: pull cannot know when every install has passed one.
"""

from __future__ import annotations

import json
import unicodedata
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.transactions import in_transaction

from pwa.core import blobs
from pwa.models import (
    Account,
    CentreFamily,
    ChangeCounter,
    Clip,
    DeviceLink,
    Family,
    FieldHistory,
    FirstThenBoard,
    Invitation,
    ItemMark,
    ListItem,
    LoginFailure,
    Membership,
    OpLog,
    PayToken,
    Person,
    Photo,
    Plan,
    PlanStep,
    Role,
    ShoppingList,
    SyncRemoval,
    Trip,
    TripNote,
    Voucher,
)

# Ids per IN (…) list: SQLite allows 32,766 parameters, PostgreSQL 65,535; far below both.
CHUNK = 500
# What a note says for its writer once their account is deleted: no name, in no language.
NO_NAME = "—"
# The arguments of a sync mutation that name a row (pwa/sync/mutations.py).
ID_ARGS = ("id", "list_id", "item_id", "plan_id", "trip_id", "person_id", "photo_id")
# The fields of FieldHistory whose values point at a list or a photo (pwa/conflicts.py).
POINTER_FIELDS = ["shopping_list_id", "photo_id"]

T = TypeVar("T")


def chunks(values: Sequence[T]) -> Iterable[Sequence[T]]:
    for start in range(0, len(values), CHUNK):
        yield values[start : start + CHUNK]


def same_name(typed: str, name: str) -> bool:
    """The confirmation: the name typed as shown, give or take spaces, case and full-width
    letters (NFKC), so "小明 ming" and "小明　Ming" both say 小明 Ming."""

    def plain(text: str) -> str:
        return " ".join(unicodedata.normalize("NFKC", text).casefold().split())

    return bool(plain(typed)) and plain(typed) == plain(name)


@dataclass
class Counts:
    """What a deletion takes away, for the page that asks first ("3 lists, 12 trips …")."""

    people: int = 0
    lists: int = 0
    items: int = 0
    plans: int = 0
    steps: int = 0
    trips: int = 0
    notes: int = 0
    photos: int = 0
    phones: int = 0
    boards: int = 0
    # Accounts whose membership of the family ends (parents and caregivers but the caller).
    members: int = 0
    # Vouchers that stay for the accounts, naming no family any more.
    vouchers: int = 0
    centres: int = 0


@dataclass
class PersonRows:
    """The ids of everything of one person, read once and then counted or deleted."""

    lists: list[uuid.UUID] = field(default_factory=list)
    items: list[uuid.UUID] = field(default_factory=list)
    marks: list[uuid.UUID] = field(default_factory=list)
    plans: list[uuid.UUID] = field(default_factory=list)
    steps: list[uuid.UUID] = field(default_factory=list)
    trips: list[uuid.UUID] = field(default_factory=list)
    notes: int = 0
    photos: list[Photo] = field(default_factory=list)
    phones: int = 0

    def synced(self) -> dict[str, list[uuid.UUID]]:
        """Rows pull sends, by the name pull gives their kind (pwa/sync/routes.py PULLED)."""
        return {
            "lists": self.lists,
            "items": self.items,
            "marks": self.marks,
            "plans": self.plans,
            "steps": self.steps,
        }

    def counts(self) -> Counts:
        return Counts(
            people=1,
            lists=len(self.lists),
            items=len(self.items),
            plans=len(self.plans),
            steps=len(self.steps),
            trips=len(self.trips),
            notes=self.notes,
            photos=len(self.photos),
            phones=self.phones,
        )


async def _flat(query: Any, column: str) -> list[Any]:
    """One column of a query's rows (values_list with flat=True, typed as what it gives)."""
    return list(await query.values_list(column, flat=True))


async def _ids(query: Any) -> list[uuid.UUID]:
    return await _flat(query, "id")


async def _ids_in(model: Any, column: str, parents: Sequence[uuid.UUID]) -> list[uuid.UUID]:
    found: list[uuid.UUID] = []
    for part in chunks(parents):
        found += await _ids(model.filter(**{f"{column}__in": part}))
    return found


async def person_rows(person: Person) -> PersonRows:
    """Everything of the person, deleted ones (lists and plans in the bin) too."""
    rows = PersonRows()
    rows.lists = await _ids(ShoppingList.filter(person_id=person.id))
    rows.items = await _ids_in(ListItem, "list_id", rows.lists)
    rows.marks = await _ids_in(ItemMark, "item_id", rows.items)
    rows.plans = await _ids(Plan.filter(person_id=person.id))
    rows.steps = await _ids_in(PlanStep, "plan_id", rows.plans)
    rows.trips = await _ids(Trip.filter(person_id=person.id))
    for part in chunks(rows.trips):
        rows.notes += await TripNote.filter(trip_id__in=part).count()
    rows.phones = await DeviceLink.filter(
        person_id=person.id, claimed_at__isnull=False, revoked_at=None
    ).count()
    rows.photos = await _photos_only_theirs(person, rows)
    return rows


async def _photos_only_theirs(person: Person, rows: PersonRows) -> list[Photo]:
    """The family's photos that the person's items (their picture or their plan B's, issue 18)
    and steps use and nothing else does: no other person's (or nobody's) item or step, deleted
    ones included, and no trip of another person, whose steps were copied with their pictures
    when it started."""
    used: set[uuid.UUID] = set()
    for part in chunks(rows.items):
        used |= set(await _flat(ListItem.filter(id__in=part, photo_id__isnull=False), "photo_id"))
        used |= set(
            await _flat(
                ListItem.filter(id__in=part, plan_b_photo_id__isnull=False), "plan_b_photo_id"
            )
        )
    for part in chunks(rows.steps):
        used |= set(await _flat(PlanStep.filter(id__in=part, photo_id__isnull=False), "photo_id"))
    if not used:
        return []
    shared: set[uuid.UUID] = set()
    for part in chunks(sorted(used)):
        for photo_id, owner in await ListItem.filter(photo_id__in=part).values_list(
            "photo_id", "list__person_id"
        ):
            if owner != person.id:
                shared.add(photo_id)
        for photo_id, owner in await ListItem.filter(plan_b_photo_id__in=part).values_list(
            "plan_b_photo_id", "list__person_id"
        ):
            if owner != person.id:
                shared.add(photo_id)
        for photo_id, owner in await PlanStep.filter(photo_id__in=part).values_list(
            "photo_id", "plan__person_id"
        ):
            if owner != person.id:
                shared.add(photo_id)
    left = used - shared
    others = Trip.filter(family_id=person.family_id).exclude(person_id=person.id)
    last = uuid.UUID(int=0)
    while left:
        page = (
            await others.filter(id__gt=last).order_by("id").limit(CHUNK).values_list("id", "steps")
        )
        if not page:
            break
        for trip_id, steps in page:
            text = json.dumps(steps)
            left = {p for p in left if str(p) not in text}
            last = trip_id
    found: list[Photo] = []
    for part in chunks(sorted(left)):
        found += await Photo.filter(id__in=part, family_id=person.family_id)
    return found


async def person_counts(person: Person) -> Counts:
    return (await person_rows(person)).counts()


async def family_counts(family: Family, caller: Account | None = None) -> Counts:
    counts = Counts(
        people=await Person.filter(family=family).count(),
        lists=await ShoppingList.filter(family=family).count(),
        items=await ListItem.filter(family=family).count(),
        plans=await Plan.filter(family=family).count(),
        steps=await PlanStep.filter(family=family).count(),
        trips=await Trip.filter(family=family).count(),
        notes=await TripNote.filter(family=family).count(),
        photos=await Photo.filter(family=family).count(),
        phones=await DeviceLink.filter(
            person__family=family, claimed_at__isnull=False, revoked_at=None
        ).count(),
        boards=await FirstThenBoard.filter(family=family).count(),
        vouchers=await Voucher.filter(family=family).count(),
        centres=await CentreFamily.filter(family=family).count(),
    )
    members = Membership.filter(family=family)
    if caller is not None:
        members = members.exclude(account_id=caller.id)
    counts.members = await members.count()
    return counts


# --- writing ---------------------------------------------------------------------------------


async def _next_numbers(connection: BaseDBAsyncClient, count: int) -> int:
    """Take `count` numbers of the server sequence at once (models._stamp_change takes one);
    returns the first. The counter row stays locked until the transaction ends, so the
    numbers follow commit order, as pull's cursor needs."""
    query = f"UPDATE change_counter SET value = value + {int(count)} WHERE id = 1 RETURNING value"
    rows = await connection.execute_query_dict(query)
    if not rows:
        await ChangeCounter.get_or_create(id=1, defaults={"value": 0}, using_db=connection)
        rows = await connection.execute_query_dict(query)
    return int(rows[0]["value"]) - count + 1


async def _leave_removals(
    connection: BaseDBAsyncClient, family_id: uuid.UUID, synced: dict[str, list[uuid.UUID]]
) -> None:
    """A SyncRemoval for every row pull could have sent, each with its own number, so pull's
    pages (at most PULL_PAGE a kind) never stop between two of the same number."""
    gone = [(kind, row_id) for kind, ids in synced.items() for row_id in ids]
    if not gone:
        return
    first = await _next_numbers(connection, len(gone))
    removals = [
        SyncRemoval(family_id=family_id, kind=kind, row_id=row_id, change_seq=first + index)
        for index, (kind, row_id) in enumerate(gone)
    ]
    for part in chunks(removals):
        await SyncRemoval.bulk_create(list(part), using_db=connection)


async def _forget_history(family_id: uuid.UUID, rows: PersonRows) -> None:
    """The field history of their items and steps, and every op log entry that names one of
    their rows (a tick of their item, a step of their trip …)."""
    for part in chunks([*rows.lists, *rows.plans]):
        await FieldHistory.filter(family_id=family_id, parent_id__in=part).delete()
    for part in chunks([*rows.items, *rows.steps]):
        await FieldHistory.filter(family_id=family_id, row_id__in=part).delete()
    await _forget_pointers(family_id, rows)
    named = {str(i) for ids in rows.synced().values() for i in ids} | {str(i) for i in rows.trips}
    named |= {str(photo.id) for photo in rows.photos}
    if not named:
        return
    last = 0
    while True:
        page = (
            await OpLog.filter(family_id=family_id, id__gt=last)
            .order_by("id")
            .limit(CHUNK)
            .values_list("id", "args")
        )
        if not page:
            return
        doomed = [entry_id for entry_id, args in page if _names_any(args, named)]
        if doomed:
            await OpLog.filter(id__in=doomed).delete()
        last = page[-1][0]


async def _forget_pointers(family_id: uuid.UUID, rows: PersonRows) -> None:
    """Earlier values of other rows that point at their lists or photos: a step of a plan for
    nobody that opened their list, or showed their photo. Those lists and photos go for good,
    so such a value can never be put back (the database's link would break); the entry goes
    too rather than offer, on the "Earlier changes" page, "another list" that no longer is."""
    gone = {str(i) for i in rows.lists} | {str(photo.id) for photo in rows.photos}
    if not gone:
        return
    last = 0
    while True:
        page = (
            await FieldHistory.filter(family_id=family_id, field__in=POINTER_FIELDS, id__gt=last)
            .order_by("id")
            .limit(CHUNK)
            .values_list("id", "value")
        )
        if not page:
            return
        doomed = [
            entry_id
            for entry_id, value in page
            if isinstance(value, dict) and str(value.get("v") or "").lower() in gone
        ]
        if doomed:
            await FieldHistory.filter(id__in=doomed).delete()
        last = page[-1][0]


def _names_any(args: Any, named: set[str]) -> bool:
    if not isinstance(args, dict):
        return False
    values = [args.get(key) for key in ID_ARGS]
    fields = args.get("fields")
    if isinstance(fields, dict):
        values += [fields.get("list_id"), fields.get("photo_id")]
    return any(isinstance(v, str) and v.lower() in named for v in values)


async def _clips_of(person: Person, rows: PersonRows) -> list[Clip]:
    """The clips of the person's items, steps and help card: a clip is used in one place only."""
    used: set[uuid.UUID] = {person.help_clip_id} if person.help_clip_id else set()
    for part in chunks(rows.items):
        used |= set(await _flat(ListItem.filter(id__in=part, clip_id__isnull=False), "clip_id"))
    for part in chunks(rows.steps):
        used |= set(await _flat(PlanStep.filter(id__in=part, clip_id__isnull=False), "clip_id"))
    found: list[Clip] = []
    for part in chunks(sorted(used)):
        found += await Clip.filter(id__in=part, family_id=person.family_id)
    return found


async def _delete_person_rows(connection: BaseDBAsyncClient, person: Person) -> None:
    """Inside the caller's transaction."""
    rows = await person_rows(person)
    clips = await _clips_of(person, rows)
    await _leave_removals(connection, person.family_id, rows.synced())
    await _forget_history(person.family_id, rows)
    # A step of someone else's plan that opens one of their lists: the database would empty
    # the link by itself (SET NULL) without a new number, and other devices would keep the
    # old one. Saved through the model, it is stamped and pulled like any change.
    theirs = set(rows.plans)
    for part in chunks(rows.lists):
        for step in await PlanStep.filter(shopping_list_id__in=part):
            if step.plan_id in theirs:
                continue
            step.shopping_list_id = None
            await step.save(update_fields=["shopping_list_id", "updated_at"])
    if person.account_id is not None:
        # An adult who is their own guardian: the pay codes their log-ins fetched as the person.
        await PayToken.filter(session__account_id=person.account_id).delete()
    for part in chunks(rows.lists):
        # Their items and ticks go with them (ON DELETE CASCADE).
        await ShoppingList.filter(id__in=part).delete()
    for part in chunks(rows.plans):
        await Plan.filter(id__in=part).delete()
    # Trips with their events and notes, phone links with their sessions, pay codes, sync
    # installs and those installs' op log go with the person (CASCADE); consent records
    # stay, no longer pointing at anyone (SET NULL).
    await Person.filter(id=person.id).delete()
    for part in chunks([photo.id for photo in rows.photos]):
        await Photo.filter(id__in=part).delete()
    for part in chunks([clip.id for clip in clips]):
        await Clip.filter(id__in=part).delete()
    await _delete_bytes([photo.file_name for photo in rows.photos], [c.file_name for c in clips])


async def _delete_bytes(photo_files: list[str], clip_files: list[str]) -> None:
    """The photos' and clips' bytes, in the same transaction as their rows: a row and its
    bytes go together, whichever app process deletes them."""
    await blobs.delete(blobs.key(blobs.PHOTOS, name) for name in photo_files)
    await blobs.delete(blobs.key(blobs.CLIPS, name) for name in clip_files)


async def delete_person(person: Person) -> Counts:
    """The person and everything of theirs, for good. Returns what went."""
    counts = await person_counts(person)
    async with in_transaction() as connection:
        await _delete_person_rows(connection, person)
    return counts


async def _delete_family_rows(family_id: uuid.UUID) -> None:
    files = await _flat(Photo.filter(family_id=family_id), "file_name")
    clip_files = await _flat(Clip.filter(family_id=family_id), "file_name")
    # The pay codes of its vouchers, wherever they were fetched (an adult's own log-in outlives
    # the family): none of them pays at a till any more.
    for part in chunks(await _ids(Voucher.filter(family_id=family_id))):
        await PayToken.filter(voucher_id__in=part).delete()
    # Everything of the family goes with it (ON DELETE CASCADE), its vouchers excepted: they
    # stay with their ledger and redemptions, naming no family (ON DELETE SET NULL).
    await Family.filter(id=family_id).delete()
    await _delete_bytes([str(name) for name in files], [str(name) for name in clip_files])


async def delete_family(family: Family, *, caller: Account | None = None) -> Counts:
    """The family and everything of it, for good. Returns what went."""
    counts = await family_counts(family, caller)
    async with in_transaction():
        await _delete_family_rows(family.id)
    return counts


# --- an account --------------------------------------------------------------------------------


async def families_alone_in(account: Account) -> list[Family]:
    """The families where the account is the only parent: deleting it asks what becomes of
    each."""
    alone = []
    for membership in (
        await Membership.filter(account=account, role=Role.GUARDIAN)
        .order_by("created_at")
        .prefetch_related("family")
    ):
        others = (
            await Membership.filter(family_id=membership.family_id, role=Role.GUARDIAN)
            .exclude(account_id=account.id)
            .count()
        )
        if not others:
            alone.append(membership.family)
    return alone


async def can_keep(family_id: uuid.UUID) -> bool:
    """A family whose only parent leaves can stay for a new one only if a centre is with it:
    the centre can invite a parent, who can then look after, export or delete its data. (A
    family with another parent is never asked about: families_alone_in leaves it out.)"""
    return await CentreFamily.exists(family_id=family_id)


async def _hand_over(account: Account, family_id: uuid.UUID) -> None:
    """What the account made in a family that stays: another parent takes it over (the links
    of the person's phones, caregiver invitations), so phones stay linked and caregivers stay
    revocable. With no other parent, an accepted invitation stays as its caregiver's own (so a
    new parent can still end it), an open one ends, and so do the phone links it made."""
    heir = (
        await Membership.filter(family_id=family_id, role=Role.GUARDIAN)
        .exclude(account_id=account.id)
        .order_by("created_at")
        .first()
    )
    invitations = Invitation.filter(family_id=family_id, created_by_id=account.id)
    if heir is not None:
        await invitations.update(created_by_id=heir.account_id)
        # By id: an UPDATE through a join (person__family_id) is not one tortoise can write.
        links = await _ids(DeviceLink.filter(person__family_id=family_id, created_by_id=account.id))
        for part in chunks(links):
            await DeviceLink.filter(id__in=part).update(created_by_id=heir.account_id)
        return
    for invitation in await invitations.filter(accepted_by_id__isnull=False).exclude(
        accepted_by_id=account.id
    ):
        invitation.created_by_id = invitation.accepted_by_id or account.id
        await invitation.save(update_fields=["created_by_id"])


async def delete_account(account: Account, *, delete_families: set[uuid.UUID]) -> list[uuid.UUID]:
    """The account, for good, with the families in `delete_families` where it is the only
    parent, and those it is the only parent of that no centre is with (can_keep: nobody could
    reach them afterwards); the others stay. Returns the ids of the families deleted."""
    alone = {family.id for family in await families_alone_in(account)}
    doomed = []
    for family_id in sorted(alone):
        if family_id in delete_families or not await can_keep(family_id):
            doomed.append(family_id)
    async with in_transaction():
        for family_id in doomed:
            await _delete_family_rows(family_id)
        kept: list[uuid.UUID] = await _flat(Membership.filter(account=account), "family_id")
        for family_id in kept:
            await _hand_over(account, family_id)
        # Notes stay with the family's trips, without the name of whoever wrote them.
        await TripNote.filter(account_id=account.id).update(author_name=NO_NAME, account_id=None)
        # Throttling kept under what was typed to log in to it.
        typed = [v for v in (account.email, account.mobile) if v]
        if typed:
            keys = [f"{kind}:{value}" for kind in ("account", "send_to", "code") for value in typed]
            await LoginFailure.filter(key__in=keys).delete()
        # Memberships, sessions (and the pay codes they fetched), push subscriptions, one-time
        # codes and sync installs go with it (CASCADE); its name leaves ticks, consent records,
        # payments at a shop's till and a person it was (SET NULL).
        await Account.filter(id=account.id).delete()
    return doomed
