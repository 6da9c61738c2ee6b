"""Trip mode on the person's phone and the help card (the trip pages for parents are in
pwa/review/routes.py).

Trip mode is local-first (SYNC.md, "Where offline lives"): the page is a shell with the plan as
JSON; static/js/trip.js steps through it on the phone and sends what happened as events, kept
in the phone's outbox until POST /api/sync/push has them. No step needs a server round trip.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from pwa.auth import sessions
from pwa.auth.routing import Route
from pwa.auth.rules import Action
from pwa.core import person_settings, urls
from pwa.family import access
from pwa.family.services import guardian_phone
from pwa.i18n import _
from pwa.models import Person, Plan
from pwa.plans import access as plan_access
from pwa.plans import services as plans
from pwa.plans.services import default_help_text
from pwa.templating import render
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
            "back_url": "/me" if granted.is_person else urls.url("plan_page", plan_id=plan.id),
            "sync_who": sessions.sync_key(sessions.principal(request)),
            "feelings": trips.feeling_words(),
            "feeling_pictures": trips.FEELING_PICTURES,
            "feeling_order": trips.FEELINGS,
        },
    )


async def help_card(request: Request) -> Response:
    """The help card on its own page, from the person's start screen."""
    person, _access = await access.own_person_for(request)
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


routes = [
    Route("/plans/{plan_id}/go", trip_mode, action=Action.TRIP_RUN),
    Route("/me/help", help_card, action=Action.PERSON_SCREENS),
]
