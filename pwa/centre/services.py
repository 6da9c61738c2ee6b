"""A centre's families (the only writers): a new family it registers is with it at once; a
family that uses Startrip already is only asked, and joins when a parent accepts (issue 15:
a centre could attach any family by its code, without the family agreeing)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from starlette.exceptions import HTTPException

from pwa.accounts.services import normalise_code
from pwa.core import clock
from pwa.core.forms import FormErrors
from pwa.core.ids import BadId, parse_uuid
from pwa.i18n import _
from pwa.models import (
    Account,
    CentreFamily,
    CentreRequest,
    Family,
    Invitation,
    Membership,
    Organisation,
    OrgKind,
    Role,
)


class AlreadyWithCentre(Exception):
    """The family of the code is with the centre already: it shows in the centre's list, so
    saying so tells the centre nothing new."""


async def ask_family(centre: Organisation, *, code: str) -> None:
    """Ask the family with this code to join the centre. The answer is the same whether or not
    a family has the code, and nothing is kept for a code that is nobody's, so a centre cannot
    find out which codes exist. Asking twice keeps the one request."""
    typed = normalise_code(code)
    if not typed:
        raise FormErrors({"code": _("Write the family code.")})
    if len(typed) > 12:
        # No family code is this long: the field's own limit, said like any other.
        raise FormErrors({"code": _("A family code has 8 letters and numbers, like ABCD-2345.")})
    family = await Family.get_or_none(code=typed)
    if family is None:
        return
    if await CentreFamily.exists(centre=centre, family=family):
        raise AlreadyWithCentre()
    await CentreRequest.get_or_create(centre=centre, family=family)


@dataclass(frozen=True)
class CentreFamilies:
    """What a centre's list shows: the families with it, and the codes it asked that wait."""

    joined: list[CentreFamily]
    waiting: list[CentreRequest]


async def families_of(centre: Organisation) -> CentreFamilies:
    joined = await CentreFamily.filter(centre=centre).prefetch_related("family").order_by("-id")
    waiting = await CentreRequest.filter(centre=centre).prefetch_related("family").order_by("-id")
    return CentreFamilies(joined=list(joined), waiting=list(waiting))


async def family_of_centre(staff: Account, family_id: str) -> tuple[Organisation, Family]:
    """A family with one of the staff member's centres, and that centre. Any other family (of
    another centre only, waiting for its parent's answer, or none) is a 404, the same answer
    as for no family at all, so a centre cannot find out which families exist."""
    try:
        family_uuid = parse_uuid(family_id)
    except BadId:
        raise HTTPException(404) from None
    link = (
        await CentreFamily.filter(
            family_id=family_uuid,
            centre__kind=OrgKind.CENTRE,
            centre__members__account_id=staff.id,
            # A suspended or ended centre acts for nobody, even when its staff work at another.
            centre__suspended_at=None,
            centre__ended_at=None,
        )
        .prefetch_related("centre", "family")
        .order_by("id")
        .first()
    )
    if link is None:
        raise HTTPException(404)
    return link.centre, link.family


@dataclass(frozen=True)
class ParentsOfFamily:
    """What the centre's invitation page says before it makes one: how many parent accounts
    the family has, and when its unused invitation (if any) was made."""

    parents: int
    waiting_since: datetime | None


async def parents_of(family: Family) -> ParentsOfFamily:
    parents = await Membership.filter(family_id=family.id, role=Role.GUARDIAN).count()
    waiting = (
        await Invitation.filter(
            family_id=family.id,
            role=Role.GUARDIAN,
            accepted_at=None,
            revoked_at=None,
            expires_at__gt=clock.now(),
        )
        .order_by("-created_at")
        .first()
    )
    return ParentsOfFamily(parents=parents, waiting_since=waiting.created_at if waiting else None)
