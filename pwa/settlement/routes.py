"""Placeholder routes (replaced by the package's pages)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

from pwa.auth import access as org_access
from pwa.auth import sessions
from pwa.auth.routing import Route
from pwa.auth.rules import Action


async def programme_statements(request: Request) -> Response:
    org_access.check_org(sessions.principal(request), Action.PROGRAMME_SCREENS)
    return PlainTextResponse("Statements")


async def merchant_statements(request: Request) -> Response:
    org_access.check_org(sessions.principal(request), Action.MERCHANT_ADMIN)
    return PlainTextResponse("Statements")


routes = [
    Route(
        "/programme/statements",
        programme_statements,
        name="programme_statements",
        action=Action.PROGRAMME_SCREENS,
    ),
    Route(
        "/merchant/statements",
        merchant_statements,
        name="merchant_statements",
        action=Action.MERCHANT_ADMIN,
    ),
]
