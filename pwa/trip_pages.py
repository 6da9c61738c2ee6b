"""Trip mode on the person's phone, and the parent's Trips pages.

Trip mode is local-first (SYNC.md, "Where offline lives"): the page is a shell with the plan as
JSON; static/js/trip.js steps through it on the phone and sends what happened as events, kept
in the phone's outbox until POST /api/sync/push has them. No step needs a server round trip.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from pwa import auth, person_settings, plans, trips
from pwa.auth import Action, Role
from pwa.i18n import _
from pwa.me import guardian_phone
from pwa.models import Person, Plan, Trip
from pwa.plan_pages import authorize_plan, default_help_text
from pwa.templating import render


def trip_person(request: Request, plan: Plan) -> Person | None:
    """Whose trip this is: the phone's person, or an adult who goes alone. A parent without a
    person of their own sees a preview, and nothing is recorded."""
    person = auth.principal(request).person
    if person is None or person.family_id != plan.family_id:
        return None
    if plan.person_id not in (None, person.id):
        return None
    return person


async def trip_mode(request: Request) -> Response:
    plan, role = await authorize_plan(request, request.path_params["plan_id"], Action.TRIP_RUN)
    person = trip_person(request, plan)
    owner = person or (await Person.get_or_none(id=plan.person_id) if plan.person_id else None)
    settings = person_settings.effective(owner.settings if owner else None)
    steps = await plans.step_views(plan)
    phone = await guardian_phone(plan.family_id, owner.account_id if owner else None)
    data = {
        "plan": {"id": str(plan.id), "name": plan.name},
        "steps": [s.as_data() for s in steps],
        "record": person is not None,
        "one_step": settings["one_step"],
        "read_aloud": settings["read_aloud"],
    }
    return render(
        request,
        "trips/go.html",
        {
            "title": plan.name,
            "plan": plan,
            "steps": steps,
            "data": data,
            "preview": person is None,
            "one_step": settings["one_step"],
            "help_text": (owner.help_text if owner else "") or default_help_text(),
            "parent_phone": phone,
            "back_url": "/me" if role == Role.PERSON else f"/plans/{plan.id}",
            "sync_who": auth.sync_key(auth.principal(request)),
        },
    )


async def help_card(request: Request) -> Response:
    """The help card on its own page, from the person's start screen."""
    person = auth.principal(request).person
    if person is None:
        raise auth.not_found()
    await auth.authorize_person(request, str(person.id), Action.PERSON_SCREENS)
    return render(
        request,
        "trips/help.html",
        {
            "title": _("I need help"),
            "help_text": person.help_text or default_help_text(),
            "parent_phone": await guardian_phone(person.family_id, person.account_id),
            "back_url": "/me",
        },
    )


# --- the parent's trip pages -----------------------------------------------------------------


async def person_trips(request: Request) -> Response:
    person, _role = await auth.authorize_person(
        request, request.path_params["person_id"], Action.TRIP_VIEW
    )
    all_trips = await Trip.filter(person=person).order_by("-started_at").limit(100)
    records = [await trips.trip_record(trip) for trip in all_trips]
    return render(
        request,
        "trips/index.html",
        {
            "title": _("Trips of %(name)s", name=person.display_name),
            "person": person,
            "records": records,
            "back_url": f"/people/{person.id}",
        },
    )


async def trip_page(request: Request) -> Response:
    trip = await Trip.get_or_none(id=auth.uuid_or_404(request.path_params["trip_id"]))
    if trip is None:
        raise auth.not_found()
    person, _role = await auth.authorize_person(request, str(trip.person_id), Action.TRIP_VIEW)
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
            "back_url": f"/people/{person.id}/trips",
        },
    )


routes = [
    Route("/plans/{plan_id}/go", trip_mode),
    Route("/me/help", help_card),
    Route("/people/{person_id}/trips", person_trips),
    Route("/trips/{trip_id}", trip_page),
]
