"""Trip mode on the person's phone and the help card (the trip pages for parents are in
pwa/review/routes.py).

Trip mode is local-first (SYNC.md, "Where offline lives"): the page is a shell with the plan as
JSON; static/js/trip.js steps through it on the phone and sends what happened as events, kept
in the phone's outbox until POST /api/sync/push has them. No step needs a server round trip.
"""

from __future__ import annotations

import math
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from pwa.auth import sessions
from pwa.auth.routing import Route
from pwa.auth.rules import Action
from pwa.core import ids, jsonbody, person_settings, urls
from pwa.core.clock import parse_time
from pwa.core.forms import FormErrors
from pwa.family import access
from pwa.family.services import guardian_phone
from pwa.i18n import _
from pwa.models import Person, Plan
from pwa.plans import access as plan_access
from pwa.plans import services as plans
from pwa.plans import shop_photos
from pwa.plans.services import default_help_text
from pwa.review import services as alerts
from pwa.templating import render
from pwa.trips import queries as ready
from pwa.trips import services as trips


def trip_person(request: Request, plan: Plan) -> Person | None:
    """Whose trip this is: the phone's person, or an adult who goes alone. A parent without a
    person of their own sees a preview, and nothing is recorded."""
    person = sessions.principal(request).person
    if person is None or person.family_id != plan.family_id:
        return None
    if plan.person_id not in (None, person.id):
        return None
    return person


async def trip_mode(request: Request) -> Response:
    plan, granted = await plan_access.plan_for(request)
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
        "feelings": settings["feelings_check"] and person is not None,
    }
    # The plan's shop's own entrance and till, at the steps they are met (issue 18, item 4).
    at_steps = await shop_photos.at_steps(plan, steps)
    for step in data["steps"]:
        if found := at_steps.get(step["id"]):
            step["shop_photo"] = {"url": found.url, "alt": found.alt}
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
            # The help card read aloud in the guardian's voice (issue 18), when recorded.
            "help_clip_url": urls.url("serve_clip", clip_id=owner.help_clip_id)
            if owner and owner.help_clip_id
            else "",
            "parent_phone": phone,
            "lost": lost_data(request, person, owner),
            # "Ready for the shop" at the start (issue 18, item 5): the person's own trip only.
            "ready_needs": await ready_needs(person, plan, steps, may_pay=granted.may(Action.PAY))
            if person
            else None,
            "back_url": "/me" if granted.is_person else urls.url("plan_page", plan_id=plan.id),
            "sync_who": sessions.sync_key(sessions.principal(request)),
            "feelings": trips.feeling_words(),
            "feeling_pictures": trips.FEELING_PICTURES,
            "feeling_order": trips.FEELINGS,
        },
    )


async def ready_needs(
    person: Person, plan: Plan, steps: list[plans.StepView], *, may_pay: bool
) -> dict[str, list[str]]:
    """What this trip needs on the phone, with the modules its scripts import."""
    needs = await ready.trip_needs(person, plan, steps, may_pay=may_pay)
    needs.add(ready.Needs(files=list(ready.IMPORTED_MODULES)))
    return needs.as_data()


async def help_card(request: Request) -> Response:
    """The help card on its own page, from the person's start screen."""
    person, _access = await access.own_person_for(request)
    return render(
        request,
        "trips/help.html",
        {
            "title": _("I need help"),
            "help_text": person.help_text or default_help_text(),
            "help_clip_url": urls.url("serve_clip", clip_id=person.help_clip_id)
            if person.help_clip_id
            else "",
            "parent_phone": await guardian_phone(person.family_id, person.account_id),
            "lost": lost_data(request, person, person),
            "back_url": "/me",
        },
    )


# --- "I am lost" (issue 18, item 6) ------------------------------------------------------------


def lost_data(request: Request, person: Person | None, owner: Person | None) -> dict[str, Any]:
    """What the help card's "I am lost" needs (templates/trips/lost.html, static/js/lost.js).
    It shares the position only on the person's own screens and only when a guardian turned
    it on; a parent's preview shares and records nothing."""
    share = person is not None and person.lost_share
    return {
        "share": share,
        "url": urls.url("lost_api", person_id=person.id) if share and person else "",
        "who": sessions.sync_key(sessions.principal(request)) if person else "",
        "family": str(person.family_id) if person else "",
        "name": owner.display_name if owner else "",
        "map_link": alerts.MAP_LINK.format(lat="{lat}", lon="{lon}"),
    }


def _coordinate(value: object, limit: float) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError
    number = float(value)
    if not (math.isfinite(number) and -limit <= number <= limit):
        raise ValueError
    return number


async def lost(request: Request) -> Response:
    """POST /api/people/{id}/lost {latitude, longitude, id, trip_id?, step?}: from the
    person's own phone (or an adult's own account) only, and only when sharing is on. The
    guardians' browsers that asked for alerts get the position with a map link; the use is
    recorded on the trip (the same event id the phone's outbox sends). The position itself is
    never stored."""
    person, _access = await access.person_for(request)
    if not person.lost_share:
        # Not a refusal of the caller (403): this person's parents have not turned it on.
        return JSONResponse(
            {"error": _("Sharing the position is off. Nothing was sent.")}, status_code=409
        )
    try:
        body = jsonbody.loads(await request.body())
        latitude = _coordinate(body["latitude"], 90)
        longitude = _coordinate(body["longitude"], 180)
        event_id = ids.parse_uuid(body["id"])
        trip_id = ids.parse_uuid(body["trip_id"]) if body.get("trip_id") else None
        step = body.get("step")
        if step is not None and (not isinstance(step, int) or isinstance(step, bool)):
            raise ValueError
        client_time = parse_time(body.get("client_time"))
    except (ValueError, KeyError, TypeError, AttributeError, ids.BadId):
        return JSONResponse(
            {"error": _("The position was not right. Nothing was sent.")}, status_code=400
        )
    try:
        await trips.record_lost(
            person, event_id=event_id, trip_id=trip_id, step=step, client_time=client_time
        )
    except FormErrors as exc:
        return JSONResponse({"error": next(iter(exc.errors.values()))}, status_code=400)
    sent = await alerts.deliver(
        await alerts.lost_alerts(person, latitude, longitude), request.app.state.settings
    )
    return JSONResponse({"sent": sent})


routes = [
    Route("/plans/{plan_id}/go", trip_mode, action=Action.TRIP_RUN),
    Route("/me/help", help_card, action=Action.PERSON_SCREENS),
    Route(
        "/api/people/{person_id}/lost",
        lost,
        methods=["POST"],
        name="lost_api",
        action=Action.LOST_SHARE,
    ),
]
