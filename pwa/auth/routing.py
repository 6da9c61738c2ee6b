"""Routes that say what they do: every route names, per method, the action of rules.Action it
does, and its handler asks the domain's access module with that action and nothing else. The
route-matrix test (tests/test_routes.py) reads the same declarations from the route table."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from starlette import convertors, routing
from starlette.requests import Request

from pwa.auth.rules import Action


class IdConvertor(convertors.IntegerConvertor):
    """`{name:int}` in a path: at most 9 digits, so every id it gives fits an int4 primary key
    (PostgreSQL refuses a bigger one with an error, a 500); a longer number matches no route
    and is a 404 like any id that names nothing."""

    regex = "[0-9]{1,9}"


# Before any Route below is made: paths are compiled when their Route is.
convertors.register_url_convertor("int", IdConvertor())


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
