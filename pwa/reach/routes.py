"""Placeholder routes (replaced by the package's pages)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

from pwa.auth import access as org_access
from pwa.auth import sessions
from pwa.auth.routing import Route
from pwa.auth.rules import Action


async def programme_reach(request: Request) -> Response:
    org_access.check_org(sessions.principal(request), Action.PROGRAMME_SCREENS)
    return PlainTextResponse("Reach")


routes = [
    Route(
        "/programme/reach", programme_reach, name="programme_reach", action=Action.PROGRAMME_SCREENS
    ),
]
