"""Who may do what with a trip that was made: the trip belongs to its person, so the rule is
the person's (a phone of another person of the family sees nothing of it)."""

from __future__ import annotations

from starlette.requests import Request

from pwa.auth import sessions
from pwa.auth.access import Access
from pwa.auth.routing import action_of
from pwa.auth.rules import Hidden
from pwa.family.access import family_row, id_of
from pwa.models import Person, Trip


async def trip_for(request: Request) -> tuple[Trip, Person, Access]:
    trip = await Trip.get_or_none(id=id_of(request.path_params["trip_id"])).prefetch_related(
        "person"
    )
    if trip is None:
        raise Hidden()
    granted = await family_row(
        sessions.principal(request), action_of(request), trip.family_id, trip.person_id
    )
    return trip, trip.person, granted
