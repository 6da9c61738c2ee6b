"""The trip record: a trip started from a plan, and what happened during it, as append-only
events written by idempotent service functions with ids made on the phone (the offline sync
of issue 6 replays exactly these)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from pwa import auth
from pwa.forms import FormErrors
from pwa.i18n import _
from pwa.models import (
    Account,
    ItemMark,
    ListItem,
    MarkState,
    Person,
    Plan,
    Redemption,
    Trip,
    TripEvent,
    TripNote,
)

EVENT_KINDS = (
    "start",
    "step_done",
    "step_back",
    "help_shown",
    "help_closed",
    "timer_started",
    "finish",
    "feeling_before",
    "feeling_after",
)
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
    when = client_time or auth.now()
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
    when = client_time or auth.now()
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
    events = sorted(await TripEvent.filter(trip=trip), key=lambda e: (e.client_time, e.created_at))
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
        event = done.get(index)
        seconds = None
        if event is not None:
            seconds = max(int((event.client_time - previous).total_seconds()), 0)
            previous = event.client_time
        records.append(
            StepRecord(
                number=index + 1,
                text=step.get("text", ""),
                picture=step.get("picture", ""),
                done_at=event.client_time if event else None,
                seconds=seconds,
                prompt_level=event.prompt_level if event else step.get("level", ""),
                help_uses=help_by_step.get(index, 0),
            )
        )
    ticked, not_found = await marks_during(trip)
    feelings = {e.kind: e.value for e in events if e.kind.startswith("feeling_")}
    return TripRecord(
        trip=trip,
        steps=records,
        help_uses=sum(help_by_step.values()),
        timers=sum(1 for e in events if e.kind == "timer_started"),
        ticked=ticked,
        not_found=not_found,
        current_step=min(current, max(len(trip.steps) - 1, 0)),
        planned=await planned_items(trip),
        feeling_before=feelings.get("feeling_before", ""),
        feeling_after=feelings.get("feeling_after", ""),
        notes=await TripNote.filter(trip=trip).order_by("created_at"),
        payments=await payments_during(trip),
        last_heard=max((e.created_at for e in events), default=None),
    )


async def planned_items(trip: Trip) -> int:
    list_ids = [s["list_id"] for s in trip.steps if s.get("list_id")]
    if not list_ids:
        return 0
    return await ListItem.filter(list_id__in=list_ids, deleted_at=None).count()


async def payments_during(trip: Trip) -> list[Payment]:
    """Voucher payments of the family while the trip went on (or in the 3 hours after its
    start while it is not finished)."""
    end = trip.finished_at or trip.started_at + timedelta(hours=3)
    found = (
        await Redemption.filter(
            voucher__family_id=trip.family_id,
            outcome="paid",
            reversed_at=None,
            created_at__gte=trip.started_at,
            created_at__lte=end,
        )
        .order_by("created_at")
        .prefetch_related("shop")
    )
    return [Payment(shop=r.shop.name, amount=r.amount, at=r.created_at) for r in found]


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


async def marks_during(trip: Trip) -> tuple[int, int]:
    """Items ticked and not found on the trip's lists between its start and its end."""
    list_ids = [s["list_id"] for s in trip.steps if s.get("list_id")]
    if not list_ids:
        return 0, 0
    marks = ItemMark.filter(item__list_id__in=list_ids, client_time__gte=trip.started_at)
    if trip.finished_at is not None:
        marks = marks.filter(client_time__lte=trip.finished_at)
    newest: dict[uuid.UUID, ItemMark] = {}
    for mark in await marks.order_by("client_time", "id"):
        newest[mark.item_id] = mark
    states = [m.state for m in newest.values()]
    return states.count(MarkState.TICKED), states.count(MarkState.NOT_FOUND)


def duration_words(seconds: int | None) -> str:
    if seconds is None:
        return ""
    minutes, rest = divmod(seconds, 60)
    if minutes == 0:
        return _("%(n)s seconds", n=rest)
    return _("%(m)s min %(s)s s", m=minutes, s=rest)
