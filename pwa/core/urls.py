"""URLs built from the route table by the routes' names (starlette's url_path_for), never by
hand: a route that moves takes its links with it. app.create_app installs the table once."""

from __future__ import annotations

from typing import Any

from starlette.routing import Router

_router: Router | None = None


def install(router: Router) -> None:
    global _router
    _router = router


def url(name: str, /, fragment: str = "", **params: Any) -> str:
    """The path of the route called `name` with these path parameters (ids as they are);
    `fragment` adds "#fragment"."""
    if _router is None:
        raise RuntimeError("pwa.core.urls: create_app installs the route table first")
    path = str(_router.url_path_for(name, **{k: str(v) for k, v in params.items()}))
    return f"{path}#{fragment}" if fragment else path
