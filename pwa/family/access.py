"""Who may do what with a family and its people: loads the family or the person and asks the
one rule (pwa/auth/rules.py). The other domains' access modules use `family_row` for the rows
of a family."""

from __future__ import annotations

import uuid
from typing import Any

from starlette.requests import Request

from pwa.auth import access, sessions
from pwa.auth.access import Access
from pwa.auth.routing import action_of
from pwa.auth.rules import Action, Hidden
from pwa.auth.sessions import Principal
from pwa.core.ids import BadId, parse_uuid
from pwa.models import Family, Person


def id_of(value: Any) -> uuid.UUID:
    """An id from a path or a sync argument; one that nothing can have is hidden."""
    try:
        return parse_uuid(value)
    except BadId:
        raise Hidden() from None


async def family(who: Principal, family_id: Any, action: Action) -> tuple[Family, Access]:
    found = await Family.get_or_none(id=id_of(family_id))
    if found is None:
        raise Hidden()
    return found, await access.check(who, action, found.id)


async def person(who: Principal, person_id: Any, action: Action) -> tuple[Person, Access]:
    found = await Person.get_or_none(id=id_of(person_id)).prefetch_related("family")
    if found is None:
        raise Hidden()
    return found, await access.check(who, action, found.family_id, owner_person_id=found.id)


async def family_row(
    who: Principal, action: Action, family_id: uuid.UUID, person_id: uuid.UUID | None = None
) -> Access:
    """For a row of a family (a list, a photo, a voucher), made for person_id or nobody."""
    return await access.check(who, action, family_id, owner_person_id=person_id)


# --- for pages: the action is the one the route declares -----------------------------------


async def family_for(request: Request) -> tuple[Family, Access]:
    return await family(
        sessions.principal(request), request.path_params["family_id"], action_of(request)
    )


async def person_for(request: Request) -> tuple[Person, Access]:
    return await person(
        sessions.principal(request), request.path_params["person_id"], action_of(request)
    )


async def own_person_for(request: Request) -> tuple[Person, Access]:
    """The /me screens: the caller's own person (the linked phone's, or a self-managing
    adult's), with the action the route declares."""
    who = sessions.principal(request)
    if who.person is None:
        if who.is_anonymous:
            raise sessions.LoginRequired()
        raise Hidden()
    return await person(who, who.person.id, action_of(request))
