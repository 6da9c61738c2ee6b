"""Following the trips (issue 7): the live status of a trip going on, each person's trip
history and progress over time, notes, and the care record (关爱档案) as CSV and as a page to
print for a meeting with the centre. Guardians and invited caregivers read all of it; a
caregiver's only write is a note.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from babel.dates import format_skeleton
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response

from pwa import i18n
from pwa.auth import sessions
from pwa.auth.routing import Route
from pwa.auth.rules import Action
from pwa.core import clock, ids, jsonbody, urls
from pwa.core.forms import FormErrors, read_form
from pwa.family import access
from pwa.i18n import _
from pwa.models import DeviceLink, Person, Trip
from pwa.plans import services as plans
from pwa.review import queries as care_record
from pwa.review import services as alerts
from pwa.review.queries import person_records
from pwa.templating import notify, render
from pwa.trips import access as trip_access
from pwa.trips import services as trips

LOCAL_TIME = ZoneInfo("Asia/Shanghai")
# A trip not finished and started longer ago than this is not "going on now" any more.
LIVE_FOR = timedelta(hours=6)


async def reviewed_person(request: Request) -> tuple[Person, list[trips.TripRecord]]:
    """The person of the URL, if the caller may follow their trips, with those trips."""
    person, _access = await access.person_for(request)
    return person, await person_records(person)


# --- live status -------------------------------------------------------------------------------


@dataclass
class Live:
    record: trips.TripRecord
    step_text: str
    last_synced: datetime | None


async def live_trip(person: Person) -> Live | None:
    """The trip going on now, if any: its current step and when the phone was last heard."""
    trip = (
        await Trip.filter(person=person, finished_at=None, started_at__gte=clock.now() - LIVE_FOR)
        .order_by("-started_at")
        .first()
    )
    if trip is None:
        return None
    record = await trips.trip_record(trip)
    link = (
        await DeviceLink.filter(person=person, revoked_at=None, claimed_at__not_isnull=True)
        .order_by("-last_seen_at")
        .first()
    )
    step = record.steps[record.current_step] if record.steps else None
    return Live(
        record=record,
        step_text=step.text if step else "",
        last_synced=link.last_seen_at if link and link.last_seen_at else record.last_heard,
    )


def live_words(person: Person, live: Live | None) -> dict[str, Any]:
    """The live status in words, for the page and for its updates (live.js)."""
    if live is None:
        return {"going": False, "text": _("No trip is going on now.")}
    record = live.record
    lines = [
        _(
            "%(name)s is on step %(n)s of %(total)s: %(text)s",
            name=person.display_name,
            n=record.current_step + 1,
            total=len(record.steps),
            text=live.step_text,
        ),
        ngettext_help(record.help_uses),
    ]
    if live.last_synced:
        lines.append(
            _(
                "The phone was last heard from at %(time)s.",
                time=i18n.format_datetime(live.last_synced, "short"),
            )
        )
    return {"going": True, "text": " ".join(lines), "trip": str(record.trip.id)}


def ngettext_help(count: int) -> str:
    return i18n.ngettext(
        "Help card shown %(num)s time.", "Help card shown %(num)s times.", count
    ) % {"num": count}


async def live_json(request: Request) -> Response:
    person, _access = await access.person_for(request)
    return JSONResponse(live_words(person, await live_trip(person)))


# --- history ---------------------------------------------------------------------------------


async def person_trips(request: Request) -> Response:
    person, granted = await access.person_for(request)
    live = await live_trip(person)
    return render(
        request,
        "trips/index.html",
        {
            "title": _("Trips of %(name)s", name=person.display_name),
            "person": person,
            "records": await person_records(person, 100),
            "live": live_words(person, live),
            "can_alert": granted.may(Action.PERSON_SETTINGS_EDIT),
            "back_url": urls.url("person_page", person_id=person.id),
        },
    )


async def trip_page(request: Request) -> Response:
    trip, person, granted = await trip_access.trip_for(request)
    errors: dict[str, str] = {}
    form: dict[str, str] = {}
    status = 200
    if request.method == "POST":
        form = await read_form(request)
        try:
            await trips.add_note(
                trip,
                note_id=ids.parse_uuid(form.get("note_id", "")),
                account=sessions.require_account(request),
                text=form.get("text", ""),
            )
        except ids.BadId:
            errors = {"text": _("This form is old. Reload the page and try again.")}
        except FormErrors as exc:
            errors = exc.errors
        if not errors:
            notify(request, _("The note is saved."))
            return RedirectResponse(
                urls.url("trip_page", trip_id=trip.id, fragment="notes"), status_code=303
            )
        status = 400
    record = await trips.trip_record(trip)
    return render(
        request,
        "trips/trip.html",
        {
            "title": trip.plan_name,
            "person": person,
            "record": record,
            "duration": trips.duration_words,
            "levels": dict(plans.prompt_level_options()),
            "feelings": trips.feeling_words(),
            "feeling_pictures": trips.FEELING_PICTURES,
            "can_note": granted.may(Action.TRIP_NOTE),
            "note_id": str(uuid.uuid4()),
            "form": form,
            "errors": errors,
            "back_url": urls.url("person_trips", person_id=person.id),
        },
        status,
    )


# --- progress over time --------------------------------------------------------------------------


@dataclass
class Bar:
    label: str
    value: float
    text: str


@dataclass
class Chart:
    id: str
    title: str
    unit: str
    bars: list[Bar]

    @property
    def top(self) -> float:
        return max([b.value for b in self.bars] + [1])


def _skeleton(skeleton: str, when: datetime) -> str:
    """A date in the page's language from a CLDR skeleton: "21 November" / "11月21日"."""
    return format_skeleton(skeleton, when, locale=i18n.FORMAT_LOCALE[i18n.current_locale()])


def _month_label(month: tuple[int, int]) -> str:
    return _skeleton("yMMM", datetime(month[0], month[1], 1))


def _day(when: datetime) -> str:
    return _skeleton("MMMMd", when.astimezone(LOCAL_TIME))


def progress(records: list[trips.TripRecord]) -> dict[str, Any]:
    """Trips per month, share of steps done without the help card, average trip length and
    items found, from the newest 200 trips; the charts and a one-line summary."""
    finished = [r for r in reversed(records) if r.trip.finished_at is not None]
    by_month: dict[tuple[int, int], list[trips.TripRecord]] = defaultdict(list)
    for record in finished:
        local = record.trip.started_at.astimezone(LOCAL_TIME)
        by_month[(local.year, local.month)].append(record)
    months = sorted(by_month)[-6:]
    per_trip = finished[-10:]

    def share(record: trips.TripRecord) -> int:
        return round(100 * record.steps_alone / record.steps_done) if record.steps_done else 0

    def minutes(group: list[trips.TripRecord]) -> float:
        lengths = [r.seconds for r in group if r.seconds is not None]
        return round(sum(lengths) / len(lengths) / 60, 1) if lengths else 0

    charts = [
        Chart(
            "trips-per-month",
            _("Trips each month"),
            _("trips"),
            [Bar(_month_label(m), len(by_month[m]), str(len(by_month[m]))) for m in months],
        ),
        Chart(
            "steps-alone",
            _("Steps done without the help card, each trip"),
            "%",
            [Bar(_day(r.trip.started_at), share(r), f"{share(r)} %") for r in per_trip],
        ),
        Chart(
            "trip-length",
            _("Average trip length each month"),
            _("minutes"),
            [
                Bar(
                    _month_label(m),
                    minutes(by_month[m]),
                    _("%(n)s min", n=minutes(by_month[m])),
                )
                for m in months
            ],
        ),
        Chart(
            "items-found",
            _("Things found each trip"),
            _("things"),
            [
                Bar(
                    _day(r.trip.started_at),
                    r.ticked,
                    _("%(found)s of %(planned)s", found=r.ticked, planned=r.planned),
                )
                for r in per_trip
            ],
        ),
    ]
    return {"charts": charts, "summary": summary(finished)}


def summary(finished: list[trips.TripRecord]) -> str:
    if not finished:
        return _("There are no finished trips yet.")
    last = finished[-1]
    return _(
        "On %(day)s %(name)s did %(alone)s of %(done)s steps alone.",
        day=_day(last.trip.started_at),
        name=last.trip.person.display_name,
        alone=last.steps_alone,
        done=last.steps_done,
    )


async def progress_page(request: Request) -> Response:
    person, records = await reviewed_person(request)
    return render(
        request,
        "review/progress.html",
        {
            "title": _("Progress of %(name)s", name=person.display_name),
            "person": person,
            **progress(records),
            "back_url": urls.url("person_page", person_id=person.id),
        },
    )


# --- the care record ---------------------------------------------------------------------------


async def care_record_csv(request: Request) -> Response:
    """One row per step of every trip: the trip, the step, when it was done, how long it took,
    and whether the help card was shown during it (pwa/review/queries.py, which the family's
    archive uses too)."""
    person, records = await reviewed_person(request)
    name = f"care-record-{person.id}.csv"
    return Response(
        care_record.care_record_csv(records),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


async def care_record_page(request: Request) -> Response:
    person, records = await reviewed_person(request)
    return render(
        request,
        "review/care_record.html",
        {
            "title": _("Care record of %(name)s", name=person.display_name),
            "person": person,
            "records": records[:20],
            **progress(records),
            "duration": trips.duration_words,
            "feelings": trips.feeling_words(),
            "printed_on": i18n.format_date(clock.now()),
            "back_url": urls.url("person_page", person_id=person.id),
        },
    )


# --- alerts: a guardian's browser subscribes (pwa/review/services.py sends them) -----------


async def subscribe(request: Request) -> Response:
    """POST /api/people/{id}/alerts {endpoint, keys: {p256dh, auth}} (a guardian only);
    DELETE the same with {endpoint} to stop."""
    person, _access = await access.person_for(request)
    account = sessions.require_account(request)
    wrong = JSONResponse(
        {"error": _("Something in the request was wrong. Nothing was changed.")}, 400
    )
    try:
        body = jsonbody.loads(await request.body())
        endpoint = body["endpoint"]
        keys: dict[str, Any] = body.get("keys") or {}
        if not isinstance(endpoint, str) or not isinstance(keys, dict):
            raise ValueError
    except (ValueError, KeyError, TypeError, AttributeError):
        return wrong
    if request.method == "DELETE":
        # Any endpoint may be forgotten, also one stored before the checks below.
        await alerts.remove_subscription(person, endpoint)
        return JSONResponse({"subscribed": False})
    p256dh, secret = str(keys.get("p256dh", "")), str(keys.get("auth", ""))
    if not (20 < len(p256dh) < 200 and 10 < len(secret) < 100):
        return wrong
    try:
        # Whoever subscribes chooses where the server will connect: only to a known push service
        # (PUSH_SERVICES) over https at public addresses; checked again each time a push is sent.
        await alerts.checked_target(endpoint, request.app.state.settings)
    except alerts.UnresolvedEndpoint:
        return JSONResponse(
            {
                "error": _(
                    "The server could not find this browser's push service just now. "
                    "Nothing was changed. Please try again later."
                )
            },
            503,
        )
    except alerts.RefusedEndpoint:
        return JSONResponse(
            {
                "error": _(
                    "Alerts can go only to the push service of a common browser, and this "
                    "address is not one. Nothing was changed."
                )
            },
            400,
        )
    await alerts.save_subscription(person, account, endpoint, p256dh, secret)
    return JSONResponse({"subscribed": True})


async def alerts_key(request: Request) -> Response:
    """The public key browsers subscribe with, for static/js/alerts.js."""
    await access.person_for(request)
    return JSONResponse({"key": alerts.public_key(request.app.state.settings)})


routes = [
    Route("/people/{person_id}/trips", person_trips, action=Action.TRIP_VIEW),
    Route("/people/{person_id}/trips/live", live_json, action=Action.TRIP_VIEW),
    Route("/people/{person_id}/progress", progress_page, action=Action.TRIP_VIEW),
    Route("/people/{person_id}/care-record", care_record_page, action=Action.TRIP_VIEW),
    Route("/people/{person_id}/care-record.csv", care_record_csv, action=Action.TRIP_VIEW),
    Route(
        "/trips/{trip_id}",
        trip_page,
        methods=["GET", "POST"],
        action={"GET": Action.TRIP_VIEW, "POST": Action.TRIP_NOTE},
    ),
    Route(
        "/api/people/{person_id}/alerts",
        subscribe,
        methods=["POST", "DELETE"],
        action=Action.PERSON_SETTINGS_EDIT,
    ),
    Route("/api/people/{person_id}/alerts/key", alerts_key, action=Action.PERSON_SETTINGS_EDIT),
]
