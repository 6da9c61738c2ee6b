"""Who may do what with a family's voucher: the family's rule (the wallet is the guardian's,
pay codes are the person's)."""

from __future__ import annotations

from starlette.requests import Request

from pwa.auth import sessions
from pwa.auth.access import Access
from pwa.auth.routing import action_of
from pwa.auth.rules import Hidden
from pwa.family.access import family_row, id_of
from pwa.models import Voucher


async def voucher_for(request: Request) -> tuple[Voucher, Access]:
    voucher = await Voucher.get_or_none(id=id_of(request.path_params["voucher_id"]))
    if voucher is None or voucher.family_id is None:
        # A deleted family's vouchers stay for the accounts (issue 16) but are nobody's now.
        raise Hidden()
    granted = await family_row(sessions.principal(request), action_of(request), voucher.family_id)
    return voucher, granted
