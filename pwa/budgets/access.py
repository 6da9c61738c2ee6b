"""Whose budget a page is about: the caller's own centre (its staff), or any centre (the
programme's staff)."""

from __future__ import annotations

from starlette.exceptions import HTTPException

from pwa.auth import access as org_access
from pwa.auth.rules import Action
from pwa.auth.sessions import Principal
from pwa.models import Organisation, OrgKind


async def my_centre(who: Principal, action: Action = Action.CENTRE_SCREENS) -> Organisation:
    """The centre the caller works at, neither suspended nor ended (403 when none is)."""
    who = org_access.check_org(who, action)
    centre = (
        await Organisation.filter(
            members__account=who.account,
            kind=OrgKind.CENTRE,
            suspended_at=None,
            ended_at=None,
        )
        .order_by("id")
        .first()
    )
    if centre is None:
        raise HTTPException(403)
    return centre


async def any_centre(who: Principal, centre_id: str) -> Organisation | None:
    """For the programme's staff: a centre by its number (a form's choice); None when it is
    not one."""
    org_access.check_org(who, Action.PROGRAMME_SCREENS)
    if not centre_id.strip().isdigit():
        return None
    return await Organisation.get_or_none(id=int(centre_id), kind=OrgKind.CENTRE)
