"""pwa/app.py's IndexedRouter asks only the routes that can match a path: for every route of
the app, and for paths no route has, it chooses what Starlette's own router chooses."""

from __future__ import annotations

import re
import uuid

from starlette.routing import Match, Route

from pwa.app import IndexedRouter, all_routes
from tests.conftest import Client

SAMPLE = str(uuid.UUID(int=7))


def request_scope(method: str, path: str) -> dict[str, object]:
    return {"type": "http", "method": method, "path": path, "root_path": "", "headers": []}


def first_full(routes: list, scope: dict[str, object]) -> object:
    for route in routes:
        match, _child = route.matches(scope)
        if match is Match.FULL:
            return route
    return None


def example_paths() -> list[tuple[str, str]]:
    """Every route's path with its parameters filled in, and each of its methods."""
    found = []
    for route in all_routes():
        if isinstance(route, Route):
            path = re.sub(r"\{[^}]+\}", SAMPLE, route.path)
            found += [(method, path) for method in sorted(route.methods or {"GET"})]
    return found


def test_every_route_is_found_where_starlette_finds_it() -> None:
    routes = all_routes()
    router = IndexedRouter(routes)
    paths = [
        *example_paths(),
        ("GET", "/"),
        ("GET", "/static/app.css"),
        ("GET", "/no-such-page"),
        ("GET", "/lists/not-a-list/nothing/here"),
        ("DELETE", "/login"),
    ]
    assert len(paths) > 100
    for method, path in paths:
        scope = request_scope(method, path)
        assert first_full(router._candidates(path), scope) is first_full(routes, scope), path


async def test_a_page_a_missing_page_and_a_wrong_method_answer_as_before(client: Client) -> None:
    assert (await client.get("/login")).status_code == 200
    assert (await client.get("/no-such-page")).status_code == 404
    assert (await client.get("/api/sync/push")).status_code == 405
