"""URLs built from the route table by the routes' names (starlette's url_path_for), never by
hand: a route that moves takes its links with it. app.create_app installs the table once."""

from __future__ import annotations

from typing import Any

from starlette.routing import BaseRoute, NoMatchFound, Router

_router: Router | None = None
# The route that answered each name before. Starlette's Router.url_path_for asks every route in
# turn, each that does not match raising an exception: with about sixty routes, a list page of
# 200 things (1,000 links) spent more than half its time there (issue 19).
_by_name: dict[str, BaseRoute] = {}
# The paths built before, by name and parameters: a path depends on nothing else once the
# table is installed. A page builds twenty or more (the list page: its own links, the row
# buttons', the header's and footer's), each 3 to 7 µs through starlette and under 1 µs from
# here (issue 19). Emptied when full, so ids seen once do not pile up.
_built: dict[tuple[Any, ...], str] = {}
BUILT_KEPT = 4096


def install(router: Router) -> None:
    global _router
    _router = router
    _by_name.clear()
    _built.clear()


def url(name: str, /, fragment: str = "", **params: Any) -> str:
    """The path of the route called `name` with these path parameters (ids as they are);
    `fragment` adds "#fragment"."""
    # By each parameter as text, as the path is built from it: 1, True and 1.0 differ here.
    key = (name, fragment, *((k, str(v)) for k, v in params.items()))
    if (built := _built.get(key)) is not None:
        return built
    if len(_built) >= BUILT_KEPT:
        _built.clear()
    built = _built[key] = _build(name, fragment, params)
    return built


def _build(name: str, fragment: str, params: dict[str, Any]) -> str:
    if _router is None:
        raise RuntimeError("pwa.core.urls: create_app installs the route table first")
    given = {k: str(v) for k, v in params.items()}
    path = None
    if (known := _by_name.get(name)) is not None:
        try:
            path = str(known.url_path_for(name, **given))
        except NoMatchFound:
            path = None  # another route of that name takes these parameters
    if path is None:
        # As starlette finds it (NoMatchFound when no route does), then remembered.
        path = str(_router.url_path_for(name, **given))
        for route in _router.routes:
            try:
                route.url_path_for(name, **given)
            except NoMatchFound:
                continue
            _by_name[name] = route
            break
    return f"{path}#{fragment}" if fragment else path
