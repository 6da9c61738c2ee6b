"""Who may see which organisation on the programme's and the merchants' pages: programme staff
every organisation; a merchant's admin its own merchant (neither suspended nor ended) and its
stores. Anything else is a 404, like an id that does not exist."""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.requests import Request

from pwa.auth import access as org_access
from pwa.auth import sessions
from pwa.auth.rules import Action
from pwa.core import ids
from pwa.models import Account, Organisation, OrgKind


def programme_staff(request: Request) -> Account:
    who = org_access.check_org(sessions.principal(request), Action.PROGRAMME_SCREENS)
    assert who.account is not None  # check_org lets only accounts with an organisation in
    return who.account


async def organisation(request: Request, name: str = "org_id") -> tuple[Account, Organisation]:
    account = programme_staff(request)
    org = await Organisation.get_or_none(
        id=ids.int_or_404(request.path_params[name])
    ).prefetch_related("chain")
    if org is None:
        raise HTTPException(404)
    return account, org


async def my_chains(request: Request) -> tuple[Account, list[Organisation]]:
    """The merchants the caller is an admin of, that may work now."""
    who = org_access.check_org(sessions.principal(request), Action.MERCHANT_ADMIN)
    assert who.account is not None
    chains = await Organisation.filter(
        kind=OrgKind.CHAIN,
        members__account=who.account,
        members__admin=True,
        suspended_at=None,
        ended_at=None,
    ).order_by("id")
    if not chains:
        raise HTTPException(403)
    return who.account, chains


async def chain_store(request: Request) -> tuple[Account, Organisation, Organisation]:
    """A store of one of the caller's merchants: (the caller, the merchant, the store)."""
    account, chains = await my_chains(request)
    store = await Organisation.get_or_none(
        id=ids.int_or_404(request.path_params["store_id"]),
        kind=OrgKind.MERCHANT,
        chain_id__in=[c.id for c in chains],
    )
    if store is None:
        raise HTTPException(404)
    chain = next(c for c in chains if c.id == store.chain_id)
    return account, chain, store
