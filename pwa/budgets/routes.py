"""Placeholder routes (replaced by the package's pages)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

from pwa.auth import access as org_access
from pwa.auth import sessions
from pwa.auth.routing import Route
from pwa.auth.rules import Action


async def programme_budgets(request: Request) -> Response:
    org_access.check_org(sessions.principal(request), Action.PROGRAMME_SCREENS)
    return PlainTextResponse("Budgets")


async def centre_batch(request: Request) -> Response:
    org_access.check_org(sessions.principal(request), Action.CENTRE_SCREENS)
    return PlainTextResponse("Batch")


routes = [
    Route(
        "/programme/budgets",
        programme_budgets,
        name="programme_budgets",
        action=Action.PROGRAMME_SCREENS,
    ),
    Route("/centre/batch", centre_batch, name="centre_batch", action=Action.CENTRE_SCREENS),
]
