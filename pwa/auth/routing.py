"""Routes that say what they do: every route names, per method, the action of rules.Action it
does, and its handler asks the domain's access module with that action and nothing else. The
route-matrix test (tests/test_routes.py) reads the same declarations from the route table."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from starlette import routing
from starlette.requests import Request

from pwa.auth.rules import Action


class Route(routing.Route):
    """A starlette Route with `actions`: method → Action ("GET" stands for HEAD too)."""

    def __init__(
        self,
        path: str,
        endpoint: Callable[..., Any],
        *,
        action: Action | Mapping[str, Action] | None = None,
        methods: list[str] | None = None,
        name: str | None = None,
    ) -> None:
        super().__init__(path, endpoint, methods=methods, name=name)
        if isinstance(action, Action):
            declared = {m: action for m in (self.methods or {"GET"}) if m != "HEAD"}
        else:
            declared = dict(action or {})
        self.actions: dict[str, Action] = declared


def action_of(request: Request) -> Action:
    """The action the matched route declares for this request's method."""
    route = request.scope.get("route")
    actions: Mapping[str, Action] = getattr(route, "actions", {})
    method = "GET" if request.method == "HEAD" else request.method
    if method not in actions:
        # A route without its declaration is a programming error, never a permission.
        raise LookupError(f"{getattr(route, 'path', '?')} declares no action for {method}")
    return actions[method]
