"""The trip record: a trip started from a plan, and what happened during it, as append-only
events written by idempotent service functions with ids made on the phone (the offline sync
of issue 6 replays exactly these)."""

from __future__ import annotations

import uuid
from bisect import bisect_left, bisect_right
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from pwa.core import clock
from pwa.core.forms import FormErrors
from pwa.i18n import _
from pwa.lists import services as lists
from pwa.models import (
    Account,
    ItemMark,
    ListItem,
    MarkState,
    Outcome,
    Person,
    Plan,
    Redemption,
    Trip,
    TripEvent,
    TripEventKind,
    TripNote,
)

EVENT_KINDS = tuple(TripEventKind)
FEELINGS = ("calm", "happy", "worried", "upset")
FEELING_PICTURES = {"calm": "1F60C", "happy": "1F600", "worried": "1F61F", "upset": "1F620"}


def feeling_words() -> dict[str, str]:
    return {
        "calm": _("Calm"),
        "happy": _("Happy"),
        "worried": _("Worried"),
        "upset": _("Upset"),
    }


async def start_trip(
    person: Person,
    plan: Plan,
    *,
    trip_id: uuid.UUID,
    steps: list[dict[str, Any]],
    client_time: datetime | None = None,
) -> Trip:
    """Start a trip (once, however often the phone sends it), with the steps it showed."""
    existing = await Trip.get_or_none(id=trip_id)
    if existing is not None:
        if existing.person_id != person.id:
            raise FormErrors({"id": _("This form is old. Reload the page and try again.")})
        return existing
    when = client_time or clock.now()
    trip = await Trip.create(
        id=trip_id,
        family_id=person.family_id,
        person=person,
        plan=plan,
        plan_name=plan.name,
        steps=steps,
        started_at=when,
    )
    await TripEvent.create(
        id=uuid.uuid5(trip_id, "start"),
        family_id=person.family_id,
        trip=trip,
        kind="start",
        step=0,
        client_time=when,
    )
    return trip


async def record_event(
    trip: Trip,
    *,
    event_id: uuid.UUID,
    kind: str,
    step: int | None,
    client_time: datetime | None = None,
    value: str = "",
) -> TripEvent:
    existing = await TripEvent.get_or_none(id=event_id)
    if existing is not None:
        if existing.trip_id != trip.id:
            raise FormErrors({"id": _("This form is old. Reload the page and try again.")})
        return existing
    if kind not in EVENT_KINDS or kind == "start":
        raise FormErrors({"kind": _("Choose one of the choices.")})
    if kind.startswith("feeling_") != (value in FEELINGS):
        raise FormErrors({"value": _("Choose one of the choices.")})
    if step is not None and not 0 <= step < max(len(trip.steps), 1):
        raise FormErrors({"step": _("Choose one of the choices.")})
    level = trip.steps[step].get("level", "") if step is not None and trip.steps else ""
    when = client_time or clock.now()
    event = await TripEvent.create(
        id=event_id,
        family_id=trip.family_id,
        trip=trip,
        kind=kind,
        step=step,
        prompt_level=level,
        client_time=when,
        value=value,
    )
    if kind == "finish" and trip.finished_at is None:
        trip.finished_at = when
        await trip.save(update_fields=["finished_at"])
    return event


# How long after its start an unfinished trip still counts as going on, for "I am lost" used
# from the start screen's help card (the phone did not name a trip).
CURRENT_TRIP_HOURS = 12


async def record_lost(
    person: Person,
    *,
    event_id: uuid.UUID,
    trip_id: uuid.UUID | None,
    step: int | None,
    client_time: datetime | None = None,
) -> TripEvent | None:
    """ "I am lost" was used: a LOST event on the person's trip, once for its id (the phone
    sends the same id through its outbox too). The trip the phone names, if the server has it
    yet (else the outbox brings the event with the trip); with none named, the person's newest
    unfinished trip of the last hours. None: no trip to record it on. The position is never
    stored."""
    if trip_id is not None:
        trip = await Trip.get_or_none(id=trip_id, person_id=person.id)
    else:
        since = clock.now() - timedelta(hours=CURRENT_TRIP_HOURS)
        trip = (
            await Trip.filter(person_id=person.id, finished_at=None, started_at__gte=since)
            .order_by("-started_at")
            .first()
        )
        step = None
    if trip is None:
        return None
    return await record_event(
        trip, event_id=event_id, kind=TripEventKind.LOST, step=step, client_time=client_time
    )


# --- reading ---------------------------------------------------------------------------------


@dataclass
class StepRecord:
    number: int
    text: str
    picture: str
    done_at: datetime | None
    seconds: int | None
    prompt_level: str
    help_uses: int


@dataclass
class Payment:
    shop: str
    amount: int
    at: datetime


@dataclass
class PlanBUse:
    """An item the person could not find on the trip, and the plan B they used (issue 18)."""

    item_id: uuid.UUID
    used: str
    state: str
    words: str = ""


def plan_b_use_words(label: str, use: PlanBUse, other: str) -> str:
    if use.used == "other":
        if other:
            return _("%(item)s: not found — took %(other)s instead.", item=label, other=other)
        return _("%(item)s: not found — took another item instead.", item=label)
    if use.used == "ask":
        if use.state == MarkState.TICKED:
            return _("%(item)s: asked the staff, then found it.", item=label)
        return _("%(item)s: not found — asked the staff.", item=label)
    return _("%(item)s: not found — left it.", item=label)


@dataclass
class TripRecord:
    trip: Trip
    steps: list[StepRecord]
    help_uses: int
    timers: int
    ticked: int
    not_found: int
    current_step: int
    planned: int = 0
    feeling_before: str = ""
    feeling_after: str = ""
    notes: list[TripNote] = field(default_factory=list)
    payments: list[Payment] = field(default_factory=list)
    # When the server last heard of this trip (its newest event).
    last_heard: datetime | None = None
    # When "I am lost" was used on the help card (issue 18, item 6).
    lost_at: list[datetime] = field(default_factory=list)
    # The plan B used for each item not found (issue 18, item 3), in words.
    plan_b: list[PlanBUse] = field(default_factory=list)

    @property
    def steps_done(self) -> int:
        return sum(1 for s in self.steps if s.done_at is not None)

    @property
    def steps_alone(self) -> int:
        """Steps done with no help card shown during them."""
        return sum(1 for s in self.steps if s.done_at is not None and not s.help_uses)

    @property
    def seconds(self) -> int | None:
        if self.trip.finished_at is None:
            return None
        return max(int((self.trip.finished_at - self.trip.started_at).total_seconds()), 0)


async def trip_record(trip: Trip) -> TripRecord:
    return (await trip_records([trip]))[0]


async def trip_records(found: list[Trip]) -> list[TripRecord]:
    """What happened on each trip (of one family). Five queries for all of them, not six a
    trip: a year of weekly trips is one history page (bench/growth.py)."""
    if not found:
        return []
    ids = [t.id for t in found]
    events_of: dict[uuid.UUID, list[TripEvent]] = {i: [] for i in ids}
    for event in await TripEvent.filter(trip_id__in=ids):
        events_of[event.trip_id].append(event)
    notes_of: dict[uuid.UUID, list[TripNote]] = {i: [] for i in ids}
    for note in await TripNote.filter(trip_id__in=ids).order_by("created_at"):
        notes_of[note.trip_id].append(note)
    list_ids = {s["list_id"] for t in found for s in t.steps if s.get("list_id")}
    items_of: dict[str, int] = {}
    list_of: dict[uuid.UUID, str] = {}
    marks: list[ItemMark] = []
    if list_ids:
        for item_id, list_id, deleted_at in await ListItem.filter(list_id__in=list_ids).values_list(
            "id", "list_id", "deleted_at"
        ):
            list_of[item_id] = str(list_id)
            if deleted_at is None:
                items_of[str(list_id)] = items_of.get(str(list_id), 0) + 1
        # By item id, not by a join on the list: that reads the (item_id, client_time) index
        # instead of every mark since the first trip.
        marks = await ItemMark.filter(
            item_id__in=list(list_of), client_time__gte=min(t.started_at for t in found)
        ).order_by("client_time", "id")
    # Each list's marks, oldest first, with their times for a binary search per trip.
    marks_of: dict[str, tuple[list[datetime], list[ItemMark]]] = {}
    for mark in marks:
        times, kept = marks_of.setdefault(list_of.get(mark.item_id, ""), ([], []))
        times.append(mark.client_time)
        kept.append(mark)
    payments = await _payments_between(
        found[0].family_id,
        min(t.started_at for t in found),
        max(_payment_end(t) for t in found),
    )
    records = [
        _record(
            trip,
            sorted(events_of[trip.id], key=lambda e: (e.client_time, e.created_at)),
            notes_of[trip.id],
            items_of,
            marks_of,
            payments,
        )
        for trip in found
    ]
    await _name_plan_b(records)
    return records


async def _name_plan_b(records: list[TripRecord]) -> None:
    """The words of each plan B used, with the items' names read once for every trip."""
    views = await lists.views_by_id(list({u.item_id for r in records for u in r.plan_b}))
    for record in records:
        for use in record.plan_b:
            view = views.get(use.item_id)
            if view is not None:
                use.words = plan_b_use_words(view.label, use, view.plan_b_label)
        record.plan_b = [use for use in record.plan_b if use.words]


def _record(
    trip: Trip,
    events: list[TripEvent],
    notes: list[TripNote],
    items_of: dict[str, int],
    marks_of: dict[str, tuple[list[datetime], list[ItemMark]]],
    payments: list[Redemption],
) -> TripRecord:
    done: dict[int, TripEvent] = {}
    help_by_step: dict[int, int] = {}
    current = 0
    for event in events:
        if event.kind == "step_done" and event.step is not None:
            done[event.step] = event
            current = event.step + 1
        elif event.kind == "step_back" and event.step is not None:
            current = max(event.step - 1, 0)
        elif event.kind == "help_shown":
            help_by_step[event.step or 0] = help_by_step.get(event.step or 0, 0) + 1
    records = []
    previous = trip.started_at
    for index, step in enumerate(trip.steps):
        step_done = done.get(index)
        seconds = None
        if step_done is not None:
            seconds = max(int((step_done.client_time - previous).total_seconds()), 0)
            previous = step_done.client_time
        records.append(
            StepRecord(
                number=index + 1,
                text=step.get("text", ""),
                picture=step.get("picture", ""),
                done_at=step_done.client_time if step_done else None,
                seconds=seconds,
                prompt_level=step_done.prompt_level if step_done else step.get("level", ""),
                help_uses=help_by_step.get(index, 0),
            )
        )
    list_ids = [s["list_id"] for s in trip.steps if s.get("list_id")]
    newest = _newest_during(trip, {str(i) for i in list_ids}, marks_of)
    states = [m.state for m in newest.values()]
    ticked, not_found = states.count(MarkState.TICKED), states.count(MarkState.NOT_FOUND)
    feelings = {e.kind: e.value for e in events if e.kind.startswith("feeling_")}
    end = _payment_end(trip)
    return TripRecord(
        trip=trip,
        steps=records,
        help_uses=sum(help_by_step.values()),
        timers=sum(1 for e in events if e.kind == "timer_started"),
        ticked=ticked,
        not_found=not_found,
        current_step=min(current, max(len(trip.steps) - 1, 0)),
        planned=sum(items_of.get(str(i), 0) for i in list_ids),
        feeling_before=feelings.get(TripEventKind.FEELING_BEFORE, ""),
        feeling_after=feelings.get(TripEventKind.FEELING_AFTER, ""),
        notes=notes,
        payments=[
            Payment(shop=r.shop.name, amount=r.amount, at=r.created_at)
            for r in payments
            if trip.started_at <= r.created_at <= end
        ],
        last_heard=max((e.created_at for e in events), default=None),
        lost_at=[e.client_time for e in events if e.kind == TripEventKind.LOST],
        plan_b=[
            PlanBUse(item_id=m.item_id, used=m.plan_b, state=m.state)
            for m in sorted(newest.values(), key=lambda m: (m.client_time, str(m.id)))
            if m.plan_b
        ],
    )


def _newest_during(
    trip: Trip, list_ids: set[str], marks_of: dict[str, tuple[list[datetime], list[ItemMark]]]
) -> dict[uuid.UUID, ItemMark]:
    """The newest mark of each item of the trip's lists between its start and its end."""
    newest: dict[uuid.UUID, ItemMark] = {}
    for list_id in list_ids:
        times, marks = marks_of.get(list_id, ([], []))
        start = bisect_left(times, trip.started_at)
        end = len(times) if trip.finished_at is None else bisect_right(times, trip.finished_at)
        for mark in marks[start:end]:  # oldest first: the newest of an item stays
            newest[mark.item_id] = mark
    return newest


def _payment_end(trip: Trip) -> datetime:
    # Payments while the trip went on, or in the 3 hours after its start while it is not
    # finished.
    return trip.finished_at or trip.started_at + timedelta(hours=3)


async def _payments_between(
    family_id: uuid.UUID, start: datetime, end: datetime
) -> list[Redemption]:
    return (
        await Redemption.filter(
            voucher__family_id=family_id,
            outcome=Outcome.PAID,
            reversed_at=None,
            created_at__gte=start,
            created_at__lte=end,
        )
        .order_by("created_at")
        .prefetch_related("shop")
    )


async def add_note(trip: Trip, *, note_id: uuid.UUID, account: Account, text: str) -> TripNote:
    """A guardian's or caregiver's note on a trip, once however often the form is sent."""
    existing = await TripNote.get_or_none(id=note_id)
    if existing is not None:
        if existing.trip_id != trip.id:
            raise FormErrors({"text": _("This form is old. Reload the page and try again.")})
        return existing
    text = text.strip()
    if not text:
        raise FormErrors({"text": _("Write the note first.")})
    if len(text) > 500:
        raise FormErrors({"text": _("A note can have at most 500 characters.")})
    return await TripNote.create(
        id=note_id,
        family_id=trip.family_id,
        trip=trip,
        account=account,
        author_name=account.name,
        text=text,
    )


def duration_words(seconds: int | None) -> str:
    if seconds is None:
        return ""
    minutes, rest = divmod(seconds, 60)
    if minutes == 0:
        return _("%(n)s seconds", n=rest)
    return _("%(m)s min %(s)s s", m=minutes, s=rest)
