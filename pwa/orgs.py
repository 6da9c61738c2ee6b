"""Centre and friendly-shop staff: their start pages, and the command that creates staff."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from tortoise.transactions import in_transaction

from pwa import auth
from pwa.accounts import create_account
from pwa.auth import Action
from pwa.i18n import _
from pwa.models import Account, Organisation, OrgKind, OrgMembership
from pwa.templating import render


async def create_staff(
    *, kind: OrgKind, org_name: str, city: str, address: str, email: str, password: str, name: str
) -> Account:
    """A staff account in an organisation (made if new); used by the CLI and the demo data."""
    async with in_transaction():
        organisation, _created = await Organisation.get_or_create(
            kind=kind, name=org_name, city=city, defaults={"address": address}
        )
        account = await Account.get_or_none(email=email.lower())
        if account is None:
            account = await create_account(email, password, name)
        await OrgMembership.get_or_create(account=account, organisation=organisation)
    return account


async def _org_page(request: Request, kind: OrgKind, action: Action, title: str) -> Response:
    who = auth.require_role(request, action)
    organisations = await Organisation.filter(members__account=who.account, kind=kind)
    return render(
        request,
        "orgs/start.html",
        {
            "title": title,
            "organisations": organisations,
            "kind": kind.value,
        },
    )


async def centre(request: Request) -> Response:
    return await _org_page(request, OrgKind.CENTRE, Action.CENTRE_SCREENS, _("Centre"))


async def shop(request: Request) -> Response:
    return await _org_page(request, OrgKind.MERCHANT, Action.MERCHANT_SCREENS, _("Friendly shop"))


routes = [Route("/centre", centre), Route("/shop", shop)]
