"""Everything a family holds, as one zip archive (issue 16, item 6): JSON for the data, the
photos' own files, the CSV files the app makes (the care record), and a README in the
guardian's language that says what each file holds.

The archive is written to a file in the data folder, one batch of rows and one photo at a time,
so a family with hundreds of photos never has more than a batch and a photo's copy buffer in
memory; pwa/family/routes.py streams the file and removes it. The database is read on the event
loop, but everything that touches the zip (encoding a batch as JSON, compressing it, writing
it, copying a photo) runs in a thread (asyncio.to_thread), one step at a time: a large family's
export never stalls the other requests. Only one thread uses the ZipFile at any time, as each
step is awaited before the next.

The parents and caregivers in family.json are the caller's own contacts in full and, for every
other member, only their name, role and when they joined: no page shows a caregiver's or
co-parent's email or phone to anyone else, and the archive shows no more than the pages.

Nothing in it is a secret of the app: no password hash, session key, code hash, invitation
token or push key. Lists, items and plans a parent deleted to the bin (deleted_at set) are in
it, marked so: the family still holds them until they are emptied by deleting their person or
the family.
"""

from __future__ import annotations

import asyncio
import contextlib
import csv
import io
import json
import os
import tempfile
import time
import uuid
import zipfile
from collections.abc import AsyncIterator, Callable
from datetime import date, datetime
from enum import Enum
from pathlib import Path
from typing import IO, Any

from pwa import i18n
from pwa.core import blobs, clock
from pwa.i18n import _
from pwa.models import (
    Account,
    CentreFamily,
    CentreRequest,
    Clip,
    ConsentRecord,
    DeviceLink,
    Family,
    FieldHistory,
    FirstThenBoard,
    Invitation,
    ItemMark,
    LedgerEntry,
    ListItem,
    Membership,
    OpLog,
    Person,
    Photo,
    Plan,
    PlanStep,
    ShoppingList,
    Trip,
    TripEvent,
    TripEventKind,
    TripNote,
    Voucher,
    VoucherShop,
)
from pwa.review import queries as care_record
from pwa.trips import services as trips

# Rows read and written at a time: memory holds one batch, whatever the family's size.
BATCH = 500
# Trips per batch of the care record (each brings its events, notes and ticks).
TRIP_BATCH = 100
# Where archives are made, under the data folder; one left by a stopped server is removed by
# the next export once it is this old.
FOLDER = "exports"
STALE_SECONDS = 24 * 3600
# Voice clips: the app records none yet. When it does, their files go in the archive here, as
# the photos do, and the README's line about them changes.
CLIPS_FOLDER = "clips/"


def _plain(value: Any) -> Any:
    """JSON for what the rows hold: ids and times as text, stored states as their value."""
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    raise TypeError(type(value).__name__)


def _json(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False, indent=2, default=_plain).encode()


def _fields(row: Any, names: tuple[str, ...]) -> dict[str, Any]:
    return {name: getattr(row, name) for name in names}


class JsonList:
    """A JSON array written into the archive a batch at a time: add() keeps an element,
    flush() encodes and compresses what was kept in a thread (call it after each batch),
    close() ends the array. Made with `await JsonList.begin(...)`."""

    def __init__(self, out: IO[bytes]) -> None:
        self.out = out
        self.count = 0
        self.pending: list[Any] = []

    @classmethod
    async def begin(cls, archive: zipfile.ZipFile, name: str) -> JsonList:
        def start() -> IO[bytes]:
            out = archive.open(name, "w", force_zip64=True)
            out.write(b"[")
            return out

        return cls(await asyncio.to_thread(start))

    def add(self, value: Any) -> None:
        self.pending.append(value)

    def _write(self, values: list[Any], first: bool) -> None:
        for index, value in enumerate(values):
            self.out.write((b"\n" if first and not index else b",\n") + _json(value))

    async def flush(self) -> None:
        if not self.pending:
            return
        values, self.pending = self.pending, []
        await asyncio.to_thread(self._write, values, not self.count)
        self.count += len(values)

    async def close(self) -> None:
        await self.flush()

        def end() -> None:
            self.out.write(b"\n]\n" if self.count else b"]\n")
            self.out.close()

        await asyncio.to_thread(end)


async def _writestr(archive: zipfile.ZipFile, name: str, data: bytes) -> None:
    await asyncio.to_thread(archive.writestr, name, data)


async def _batches(query: Any) -> AsyncIterator[list[Any]]:
    """The query's rows BATCH at a time, by id (the ids of every table here are ordered)."""
    last: Any = None
    while True:
        page = query if last is None else query.filter(id__gt=last)
        rows = list(await page.order_by("id").limit(BATCH))
        if not rows:
            return
        yield rows
        last = rows[-1].id


def _by(rows: list[Any], key: str) -> dict[Any, list[Any]]:
    grouped: dict[Any, list[Any]] = {}
    for row in rows:
        grouped.setdefault(getattr(row, key), []).append(row)
    return grouped


# --- the parts of the archive ------------------------------------------------------------------


async def _family(archive: zipfile.ZipFile, family: Family, caller: Account) -> None:
    members: list[dict[str, Any]] = []
    for membership in (
        await Membership.filter(family=family).order_by("created_at").prefetch_related("account")
    ):
        account = membership.account
        member: dict[str, Any] = {
            "name": account.name,
            "role": membership.role,
            "member_since": membership.created_at,
        }
        if account.id == caller.id:
            # Only the caller's own contacts: another parent's or a caregiver's email and phone
            # are shown on no page, so they are not handed out in a file either.
            member |= {
                "email": account.email,
                "email_verified_at": account.email_verified_at,
                "mobile": account.mobile,
                "phone": account.phone,
                "language": account.locale,
            }
        members.append(member)
    people = [
        {
            **_fields(person, ("id", "display_name", "avatar", "settings", "help_text")),
            "has_own_account": person.account_id is not None,
            "created_at": person.created_at,
        }
        for person in await Person.filter(family=family).order_by("created_at")
    ]
    centres = [
        {"name": link.centre.name, "city": link.centre.city, "since": link.created_at}
        for link in await CentreFamily.filter(family=family).prefetch_related("centre")
    ]
    asking = [
        {"name": ask.centre.name, "city": ask.centre.city, "asked_at": ask.created_at}
        for ask in await CentreRequest.filter(family=family).prefetch_related("centre")
    ]
    invitations = [
        {
            **_fields(
                invitation, ("role", "created_at", "expires_at", "accepted_at", "revoked_at")
            ),
            "made_by": invitation.created_by.name,
            "accepted_by": invitation.accepted_by.name if invitation.accepted_by else None,
        }
        for invitation in await Invitation.filter(family=family)
        .order_by("created_at")
        .prefetch_related("created_by", "accepted_by")
    ]
    data = {
        "exported_at": clock.now(),
        "family": _fields(family, ("id", "name", "code", "created_at")),
        "members": members,
        "people": people,
        "centres": centres,
        "centres_asking": asking,
        "invitations": invitations,
    }
    await asyncio.to_thread(lambda: archive.writestr("family.json", _json(data)))


async def _lists(archive: zipfile.ZipFile, family: Family) -> int:
    out = await JsonList.begin(archive, "lists.json")
    async for batch in _batches(ShoppingList.filter(family=family)):
        items = _by(await ListItem.filter(list_id__in=[x.id for x in batch]), "list_id")
        every_item = [item.id for found in items.values() for item in found]
        marks: dict[Any, list[Any]] = {}
        for start in range(0, len(every_item), BATCH):
            part = every_item[start : start + BATCH]
            for item_id, found in _by(
                await ItemMark.filter(item_id__in=part).order_by("client_time"), "item_id"
            ).items():
                marks[item_id] = found
        for shopping_list in batch:
            names = ("id", "person_id", "name", "budget", "created_at", "archived_at", "deleted_at")
            out.add(
                {
                    **_fields(shopping_list, names),
                    "budget_unit": "fen",
                    "items": [
                        {
                            **_fields(
                                item,
                                (
                                    "id",
                                    "pictogram",
                                    "photo_id",
                                    "label",
                                    "quantity",
                                    "note",
                                    "price",
                                    "area",
                                    "position",
                                    # Plan B, when it is not there (issue 18).
                                    "plan_b",
                                    "plan_b_pictogram",
                                    "plan_b_photo_id",
                                    "plan_b_label",
                                    "created_at",
                                    "deleted_at",
                                ),
                            ),
                            "marks": [
                                _fields(mark, ("id", "state", "plan_b", "client_time"))
                                for mark in marks.get(item.id, [])
                            ],
                        }
                        for item in sorted(
                            items.get(shopping_list.id, []), key=lambda i: (i.position, str(i.id))
                        )
                    ],
                }
            )
        await out.flush()
    await out.close()
    return out.count


async def _plans(archive: zipfile.ZipFile, family: Family) -> int:
    out = await JsonList.begin(archive, "plans.json")
    async for batch in _batches(Plan.filter(family=family)):
        steps = _by(await PlanStep.filter(plan_id__in=[x.id for x in batch]), "plan_id")
        for plan in batch:
            out.add(
                {
                    **_fields(plan, ("id", "person_id", "name", "created_at", "deleted_at")),
                    "steps": [
                        _fields(
                            step,
                            (
                                "id",
                                "position",
                                "pictogram",
                                "photo_id",
                                "text",
                                "wait_minutes",
                                "link",
                                "shopping_list_id",
                                "prompt_level",
                                "deleted_at",
                            ),
                        )
                        for step in sorted(
                            steps.get(plan.id, []), key=lambda s: (s.position, str(s.id))
                        )
                    ],
                }
            )
        await out.flush()
    await out.close()
    return out.count


async def _boards(archive: zipfile.ZipFile, family: Family) -> None:
    out = await JsonList.begin(archive, "boards.json")
    names = ("id", "first_code", "first_text", "then_code", "then_text", "created_at", "deleted_at")
    async for batch in _batches(FirstThenBoard.filter(family=family)):
        for board in batch:
            out.add(_fields(board, names))
        await out.flush()
    await out.close()


FEELING_KINDS = {TripEventKind.FEELING_BEFORE: "before", TripEventKind.FEELING_AFTER: "after"}


async def _trips(archive: zipfile.ZipFile, family: Family) -> int:
    """Trips with what happened (events) and the notes; then the feelings checks on their own
    (zipfile writes one member at a time)."""
    out = await JsonList.begin(archive, "trips.json")
    async for batch in _batches(Trip.filter(family=family)):
        ids = [trip.id for trip in batch]
        events = _by(await TripEvent.filter(trip_id__in=ids).order_by("client_time"), "trip_id")
        notes = _by(await TripNote.filter(trip_id__in=ids).order_by("created_at"), "trip_id")
        for trip in batch:
            names = ("id", "person_id", "plan_id", "plan_name", "steps", "started_at")
            out.add(
                {
                    **_fields(trip, (*names, "finished_at")),
                    "events": [
                        _fields(e, ("kind", "step", "prompt_level", "value", "client_time"))
                        for e in events.get(trip.id, [])
                    ],
                    "notes": [
                        _fields(n, ("author_name", "text", "created_at"))
                        for n in notes.get(trip.id, [])
                    ],
                }
            )
        await out.flush()
    await out.close()
    feelings = await JsonList.begin(archive, "feelings.json")
    query = TripEvent.filter(family=family, kind__in=list(FEELING_KINDS)).prefetch_related("trip")
    async for batch in _batches(query):
        for event in batch:
            feelings.add(
                {
                    "trip_id": event.trip_id,
                    "person_id": event.trip.person_id,
                    "when": FEELING_KINDS[event.kind],
                    "feeling": event.value,
                    "at": event.client_time,
                }
            )
        await feelings.flush()
    await feelings.close()
    return out.count


async def _vouchers(archive: zipfile.ZipFile, family: Family) -> None:
    out = await JsonList.begin(archive, "vouchers.json")
    async for batch in _batches(Voucher.filter(family=family).prefetch_related("centre")):
        ids = [voucher.id for voucher in batch]
        ledger = _by(
            await LedgerEntry.filter(voucher_id__in=ids).order_by("id").prefetch_related("shop"),
            "voucher_id",
        )
        shops = _by(
            await VoucherShop.filter(voucher_id__in=ids).prefetch_related("shop"), "voucher_id"
        )
        for voucher in batch:
            names = ("id", "face_value", "balance", "valid_from", "valid_until", "status")
            out.add(
                {
                    **_fields(voucher, (*names, "everywhere", "created_at")),
                    "money_unit": "fen",
                    "centre": voucher.centre.name,
                    "shops": [link.shop.name for link in shops.get(voucher.id, [])],
                    "ledger": [
                        {
                            **_fields(entry, ("kind", "amount", "created_at")),
                            "shop": entry.shop.name if entry.shop else None,
                        }
                        for entry in ledger.get(voucher.id, [])
                    ],
                }
            )
        await out.flush()
    await out.close()


async def _consents(archive: zipfile.ZipFile, family: Family) -> None:
    out = await JsonList.begin(archive, "consents.json")
    query = ConsentRecord.filter(family=family).prefetch_related("account", "person")
    async for batch in _batches(query):
        for record in batch:
            out.add(
                {
                    "given_by": record.account.name if record.account else None,
                    "for_person": record.person.display_name if record.person else None,
                    **_fields(record, ("notice_version", "occasion", "locale", "at")),
                }
            )
        await out.flush()
    await out.close()


async def _phones(archive: zipfile.ZipFile, family: Family) -> None:
    """The person's linked phones: when each was linked and last heard from. Never the code
    that linked it (only its hash is kept, and not even that goes here)."""
    out = await JsonList.begin(archive, "phones.json")
    query = DeviceLink.filter(person__family=family).prefetch_related("person")
    async for batch in _batches(query):
        for link in batch:
            names = ("created_at", "claimed_at", "revoked_at", "last_seen_at")
            out.add(
                {
                    "person_id": link.person_id,
                    "person": link.person.display_name,
                    "label": link.device_label,
                    **_fields(link, names),
                }
            )
        await out.flush()
    await out.close()


async def _history(archive: zipfile.ZipFile, family: Family) -> None:
    """Earlier values of items' and steps' fields, and the changes phones sent (the op log)."""
    out = await JsonList.begin(archive, "history.json")
    names = ("kind", "row_id", "parent_id", "field", "value", "client_time", "reason")
    async for batch in _batches(FieldHistory.filter(family=family)):
        for entry in batch:
            out.add(_fields(entry, (*names, "created_at", "put_back_at")))
        await out.flush()
    await out.close()
    out = await JsonList.begin(archive, "changes_sent.json")
    async for batch in _batches(OpLog.filter(family=family)):
        for op in batch:
            out.add(_fields(op, ("name", "args", "error", "client_time", "applied_at")))
        await out.flush()
    await out.close()


async def _photos(archive: zipfile.ZipFile, family: Family) -> int:
    """photos.json, and each photo's own file, read from the database and written into the
    archive in a thread: one photo at a time, never all of them in memory."""
    out = await JsonList.begin(archive, "photos.json")
    copied: list[tuple[str, str]] = []
    async for batch in _batches(Photo.filter(family=family)):
        keys = [blobs.key(blobs.PHOTOS, photo.file_name) for photo in batch]
        there = await blobs.present(keys)
        for photo, key in zip(batch, keys, strict=True):
            name = f"photos/{photo.id}.jpg"
            out.add(
                {
                    **_fields(photo, ("id", "label", "area", "width", "height", "created_at")),
                    "file": name if key in there else None,
                }
            )
            if key in there:
                copied.append((key, name))
        await out.flush()
    await out.close()
    return await _copy(archive, copied)


async def _copy(archive: zipfile.ZipFile, copied: list[tuple[str, str]]) -> int:
    """Each blob (key) into the archive under its name, one at a time; JPEGs and Opus do not
    get smaller in a zip: stored as they are. How many were there."""
    count = 0
    for key, name in copied:
        blob = await blobs.get(key)
        if blob is None:  # deleted since the list was made (its person deleted meanwhile)
            continue
        await asyncio.to_thread(archive.writestr, name, blob.data, zipfile.ZIP_STORED)
        count += 1
    return count


async def _clips(archive: zipfile.ZipFile, family: Family) -> int:
    """clips.json, and each voice clip's own file (issue 18), as the photos: one at a time.
    Each clip says what it is read aloud for: a step, an item or a person's help card."""
    used_for: dict[Any, dict[str, str]] = {}
    for step_id, clip_id in await PlanStep.filter(
        family_id=family.id, clip_id__isnull=False
    ).values_list("id", "clip_id"):
        used_for[clip_id] = {"kind": "step", "id": str(step_id)}
    for item_id, clip_id in await ListItem.filter(
        family_id=family.id, clip_id__isnull=False
    ).values_list("id", "clip_id"):
        used_for[clip_id] = {"kind": "item", "id": str(item_id)}
    for person_id, clip_id in await Person.filter(
        family_id=family.id, help_clip_id__isnull=False
    ).values_list("id", "help_clip_id"):
        used_for[clip_id] = {"kind": "help_card", "id": str(person_id)}
    out = await JsonList.begin(archive, "clips.json")
    copied: list[tuple[str, str]] = []
    async for batch in _batches(Clip.filter(family=family)):
        keys = [blobs.key(blobs.CLIPS, clip.file_name) for clip in batch]
        there = await blobs.present(keys)
        for clip, key in zip(batch, keys, strict=True):
            name = f"clips/{clip.id}.ogg"
            out.add(
                {
                    **_fields(clip, ("id", "duration_ms", "created_at")),
                    "for": used_for.get(clip.id),
                    "file": name if key in there else None,
                }
            )
            if key in there:
                copied.append((key, name))
        await out.flush()
    await out.close()
    return await _copy(archive, copied)


async def _care_records(archive: zipfile.ZipFile, family: Family) -> list[str]:
    """Each person's care record, the same file as its page's download (pwa/review/queries.py),
    oldest trip first, TRIP_BATCH trips at a time."""
    names = []
    for person in await Person.filter(family=family).order_by("created_at"):
        name = f"csv/care-record-{person.id}.csv"
        await _care_record(archive, name, person)
        names.append(name)
    return names


async def _care_record(archive: zipfile.ZipFile, name: str, person: Person) -> None:
    raw = await asyncio.to_thread(archive.open, name, "w", force_zip64=True)
    text = io.TextIOWrapper(raw, encoding="utf-8", newline="")
    writer = csv.writer(text)

    def head() -> None:
        text.write(care_record.BOM)
        writer.writerow(care_record.care_record_header())

    await asyncio.to_thread(head)
    last: tuple[datetime, uuid.UUID] | None = None
    while True:
        query = Trip.filter(person=person)
        if last is not None:
            # (started_at, id) after the last one: trips at the same moment are kept.
            query = query.filter(started_at__gte=last[0]).exclude(
                started_at=last[0], id__lte=last[1]
            )
        found = list(await query.order_by("started_at", "id").limit(TRIP_BATCH))
        if not found:
            break
        for trip in found:
            trip.person = person
        rows = care_record.care_record_rows(await trips.trip_records(found))
        await asyncio.to_thread(writer.writerows, rows)
        last = (found[-1].started_at, found[-1].id)

    def end() -> None:
        text.flush()
        text.detach()
        raw.close()

    await asyncio.to_thread(end)


def _readme(counts: dict[str, int], people: list[Person]) -> str:
    day = i18n.format_date(clock.now())
    lines = [
        _("Startrip: everything your family's account holds, made on %(day)s.", day=day),
        "",
        _(
            "family.json: the family, its parents and caregivers (their names and roles; your "
            "own email and mobile), the people with their settings and help card text, "
            "centres and invitations."
        ),
        _("lists.json: shopping lists (%(num)s) with their items and ticks.", num=counts["lists"]),
        _(
            "plans.json: trip plans (%(num)s) with their steps. boards.json: First-then boards.",
            num=counts["plans"],
        ),
        _(
            "trips.json: trips (%(num)s) with what happened and the notes. feelings.json: the "
            "feelings checks.",
            num=counts["trips"],
        ),
        _(
            "photos.json and the folder photos: your photos (%(num)s), as the app keeps them.",
            num=counts["photos"],
        ),
        _(
            "vouchers.json: vouchers with every payment and refund. Amounts are in fen "
            "(1 yuan = 100 fen)."
        ),
        _(
            "consents.json: when a parent agreed to the privacy notice. phones.json: the linked "
            "phones."
        ),
        _(
            "history.json: earlier values of items and steps. changes_sent.json: the changes "
            "phones sent."
        ),
        _("The folder csv: the care record of each person, for a spreadsheet."),
        _(
            "clips.json and the folder clips: the voice recordings (%(num)s) a parent made for "
            "steps, items and help cards.",
            num=counts["clips"],
        ),
        _(
            "Lists and plans you deleted are included until you delete their person or the "
            "family: they have a deleted_at time."
        ),
        "",
    ]
    for person in people:
        lines.append(_("%(id)s is %(name)s.", id=str(person.id), name=person.display_name))
    return "\n".join(lines) + "\n"


async def write_archive(family: Family, target: Path, *, caller: Account) -> None:
    """The whole archive, written to `target`, for `caller` (whose own contacts are in it)."""
    archive = await asyncio.to_thread(
        zipfile.ZipFile, target, "w", zipfile.ZIP_DEFLATED, allowZip64=True
    )
    try:
        await _family(archive, family, caller)
        counts = {
            "lists": await _lists(archive, family),
            "plans": await _plans(archive, family),
            "trips": await _trips(archive, family),
        }
        await _boards(archive, family)
        await _vouchers(archive, family)
        await _consents(archive, family)
        await _phones(archive, family)
        await _history(archive, family)
        counts["photos"] = await _photos(archive, family)
        counts["clips"] = await _clips(archive, family)
        await _care_records(archive, family)
        people = list(await Person.filter(family=family).order_by("created_at"))
        await _writestr(archive, "README.txt", _readme(counts, people).encode())
    except BaseException:
        # The file is thrown away (pwa/family/routes.py); a member left open would make
        # close() raise and hide what went wrong.
        with contextlib.suppress(Exception):
            await asyncio.to_thread(archive.close)
        raise
    # Writes the zip's directory: in a thread as well.
    await asyncio.to_thread(archive.close)


def archive_name() -> str:
    return f"startrip-family-{clock.now().date().isoformat()}.zip"


def new_archive_file(data_dir: Path) -> Path:
    """A new, empty file only this process can read (mkstemp: mode 0600), in the data folder;
    archives older than a day (left by a server that stopped while sending one) are removed."""
    folder = Path(data_dir) / FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob("*.zip"):
        try:
            if time.time() - old.stat().st_mtime > STALE_SECONDS:
                old.unlink(missing_ok=True)
        except OSError:
            continue
    handle, name = tempfile.mkstemp(prefix="family-", suffix=".zip", dir=folder)
    os.close(handle)
    return Path(name)


def reader(path: Path, size: int = 64 * 1024) -> tuple[int, Callable[[], AsyncIterator[bytes]]]:
    """The archive's length and its bytes, piece by piece. The file is opened and its name
    removed at once: nothing of it is left on disk once the answer is sent, or cut off."""
    handle = path.open("rb")
    path.unlink(missing_ok=True)
    length = handle.seek(0, 2)
    handle.seek(0)

    async def pieces() -> AsyncIterator[bytes]:
        try:
            while chunk := await asyncio.to_thread(handle.read, size):
                yield chunk
        finally:
            handle.close()

    return length, pieces
