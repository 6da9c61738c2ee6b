"""Placeholder routes (replaced by the package's pages)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

from pwa.auth import access as org_access
from pwa.auth import sessions
from pwa.auth.routing import Route
from pwa.auth.rules import Action


async def programme_start(request: Request) -> Response:
    org_access.check_org(sessions.principal(request), Action.PROGRAMME_SCREENS)
    return PlainTextResponse("Programme")


async def merchant_start(request: Request) -> Response:
    org_access.check_org(sessions.principal(request), Action.MERCHANT_ADMIN)
    return PlainTextResponse("Merchant")


routes = [
    Route("/programme", programme_start, name="programme_start", action=Action.PROGRAMME_SCREENS),
    Route("/merchant", merchant_start, name="merchant_start", action=Action.MERCHANT_ADMIN),
]
