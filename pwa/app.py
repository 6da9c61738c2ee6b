"""create_app(): the one place where routes, middleware and the lifespan are assembled."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from starlette._utils import get_route_path
from starlette.applications import Starlette
from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.gzip import GZipMiddleware, GZipResponder
from starlette.responses import FileResponse, Response
from starlette.routing import BaseRoute, Match, Mount, Router
from starlette.staticfiles import StaticFiles
from starlette.types import Receive, Scope, Send
from tortoise.contrib.starlette import RegisterTortoise

from pwa import errors, i18n, legacy_files, pages, templating
from pwa.accounts import join as join_pages
from pwa.accounts import mobile, privacy, recovery
from pwa.accounts import routes as accounts
from pwa.accounts.consent import ConsentGate
from pwa.audit import routes as audit_pages
from pwa.auth.middleware import CSRFMiddleware, PrincipalMiddleware
from pwa.auth.session_cookie import SessionCookieMiddleware
from pwa.auth.sessions import LoginRequired
from pwa.auth.throttle import Throttled
from pwa.budgets import routes as budget_pages
from pwa.budgets import services as budget_jobs
from pwa.centre import routes as centre
from pwa.clips import routes as clips
from pwa.core import clock, minify, redact, urls
from pwa.core.refusals import Denied, Hidden
from pwa.db import tortoise_config
from pwa.family import me
from pwa.family import routes as family
from pwa.lists import planner, shopping
from pwa.lists import routes as list_pages
from pwa.photos import routes as photos
from pwa.plans import routes as plan_pages
from pwa.programme import routes as programme
from pwa.reach import routes as reach
from pwa.review import routes as review
from pwa.security import BodyLimitMiddleware, SecurityHeadersMiddleware
from pwa.settings import Settings
from pwa.settlement import routes as settlement
from pwa.shops import routes as shops
from pwa.sync import routes as sync
from pwa.templating import OPENMOJI_DIR, STATIC_DIR
from pwa.trips import routes as trip_pages
from pwa.vouchers import routes as voucher_pages

# Long enough that the person's phone stays linked (WCAG 2.2.6); browsers cap it at 400 days.
SESSION_MAX_AGE = 400 * 24 * 3600
YEAR = 365 * 24 * 3600
# A photo may be 2 MB (pwa/photos/services.py); a little more leaves room for the form around it.
MAX_BODY_BYTES = 3 * 1024 * 1024


class CachedStaticFiles(StaticFiles):
    """Static files. Asked for with their content hash (?v=…, see static_url), they never
    change and may be kept for a year; asked for without it (an ES module's own import), the
    browser checks each time whether it changed. OpenMoji files are fixed by the installed
    version, so their path is their version. Our own scripts and stylesheet are sent minified
    (pwa/core/minify.py)."""

    def __init__(
        self, *args: Any, always_immutable: bool = False, minify: bool = False, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.always_immutable = always_immutable
        self.minify = minify

    async def get_response(self, path: str, scope: Scope) -> Response:
        response = await super().get_response(path, scope)
        if (
            self.minify
            and isinstance(response, FileResponse)
            and minify.minifier_for(Path(response.path))
        ):
            # Same status and headers (ETag, Last-Modified of the source), fewer bytes.
            body = minify.minified(Path(response.path))
            headers = {k: v for k, v in response.headers.items() if k != "content-length"}
            response = Response(body, status_code=response.status_code, headers=headers)
        versioned = self.always_immutable or b"v=" in scope.get("query_string", b"")
        response.headers["Cache-Control"] = (
            f"public, max-age={YEAR}, immutable" if versioned else "no-cache"
        )
        return response


class LeveledGZip(GZipMiddleware):
    """gzip at zlib's own default level (6) for pages, made for each request, at the highest
    (9) for static files, which the browser keeps once fetched (OpenMoji pictures too), and at
    FAST_LEVEL for the JSON answers of /api/ (sync), which a phone asks for again and again, and
    for a page of more than LARGE_PAGE bytes. Issue 19: at 9, compressing a pull of a hundred
    rows was a tenth of the server's time; 6 took half as long, and was still the largest part
    of a pull. A list page of 50 things is about 100 KB of HTML, so repetitive that level 1
    makes 6.0 KB of it in 560 µs where 3 made 5.7 KB in 800 µs and 6 4.9 KB in 970 µs; a pull
    of 50 items and their ticks (39 KB) is 4.9 KB in 125 µs at 1, 4.7 KB in 143 µs at 3
    (bench/README.md). A page of the usual size stays at 6."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or "gzip" not in Headers(scope=scope).get("Accept-Encoding", ""):
            await super().__call__(scope, receive, send)
            return
        path = str(scope.get("path", ""))
        if path.startswith(("/static/", "/openmoji/")):
            level = 9
        else:
            level = FAST_LEVEL if path.startswith("/api/") else 6
        responder = _SizedGZipResponder(
            self.app,
            self.minimum_size,
            compresslevel=level,
            thread_minimum_size=self.thread_minimum_size,
            exclude_content_types=self.exclude_content_types,
        )
        await responder(scope, receive, send)


# Pages longer than this are compressed at FAST_LEVEL (LeveledGZip).
LARGE_PAGE = 32 * 1024
FAST_LEVEL = 1


class _SizedGZipResponder(GZipResponder):
    _sized = False

    async def apply_compression(self, body: bytes, *, more_body: bool) -> bytes:
        # The first part of the answer decides, before anything is compressed.
        if not self._sized:
            self._sized = True
            if len(body) > LARGE_PAGE and self.compresslevel < 9:
                self.compresslevel = min(self.compresslevel, FAST_LEVEL)
        return await super().apply_compression(body, more_body=more_body)


class IndexedRouter(Router):
    """Starlette's router asks every route in turn whether it matches, a regular expression
    each: about 25 for a request here, and 5 % of the server's time under issue 19's cycle.
    This one asks only the routes that can match: those whose path begins with the request
    path's first segment, and those whose first segment is a parameter, in the same order,
    so the first that matches is the one Starlette would choose. A request none of them
    matches (a 404, a 405, a missing slash) goes through Starlette's own search, unchanged."""

    _index: tuple[int, dict[str, list[BaseRoute]], list[BaseRoute]] | None = None

    def _candidates(self, path: str) -> list[BaseRoute]:
        index = self._index
        if index is None or index[0] != len(self.routes):
            index = self._index = (len(self.routes), *_by_first_segment(self.routes))
        _count, by_segment, anywhere = index
        return by_segment.get(path[1:].split("/", 1)[0], anywhere)

    async def app(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            for route in self._candidates(get_route_path(scope)):
                match, child_scope = route.matches(scope)
                if match is Match.FULL:
                    scope.setdefault("router", self)
                    scope["route"] = route
                    scope.update(child_scope)
                    await route.handle(scope, receive, send)
                    return
        await super().app(scope, receive, send)


def _first_segment(route: BaseRoute) -> str | None:
    """The literal first segment every path the route matches begins with; None when there
    is none (a parameter, a mount at the root, a route without a path)."""
    path = getattr(route, "path", None)
    if not isinstance(path, str) or not path.startswith("/"):
        return None
    segment = path[1:].split("/", 1)[0]
    if "{" in segment or (not segment and isinstance(route, Mount)):
        return None
    return segment


def _by_first_segment(
    routes: list[BaseRoute],
) -> tuple[dict[str, list[BaseRoute]], list[BaseRoute]]:
    firsts = [_first_segment(route) for route in routes]
    anywhere = [route for route, first in zip(routes, firsts, strict=True) if first is None]
    by_segment = {
        segment: [r for r, first in zip(routes, firsts, strict=True) if first in (segment, None)]
        for segment in {first for first in firsts if first is not None}
    }
    return by_segment, anywhere


def all_routes() -> list[BaseRoute]:
    """Every route, in the order the router tries them: the one list of them."""
    return [
        *family.routes,
        *accounts.routes,
        *recovery.routes,
        *join_pages.routes,
        *mobile.routes,
        *privacy.routes,
        *me.routes,
        # Before plan_pages and list_pages: their ".../{action}" would take ".../voice".
        *clips.routes,
        # Before list_pages: its "/lists/{id}/items/{item}/{action}" would take ".../mark".
        *shopping.routes,
        *planner.routes,
        *list_pages.routes,
        *photos.routes,
        *plan_pages.routes,
        *trip_pages.routes,
        *voucher_pages.routes,
        *shops.routes,
        *centre.routes,
        *programme.routes,
        *budget_pages.routes,
        *settlement.routes,
        *reach.routes,
        *audit_pages.routes,
        *sync.routes,
        *review.routes,
        *pages.routes,
        Mount("/static", CachedStaticFiles(directory=STATIC_DIR, minify=True), name="static"),
        Mount(
            "/openmoji",
            CachedStaticFiles(directory=OPENMOJI_DIR, check_dir=False, always_immutable=True),
            name="openmoji",
        ),
    ]


def install_urls() -> None:
    """URLs for code that runs without the app (the CLI, tests' factories, benchmarks): the
    same route table, so pwa.core.urls builds the same paths."""
    urls.install(Router(routes=all_routes()))


def create_served_app() -> Starlette:
    """The app as each worker of `python -m pwa serve` runs it. Its log records leave out
    what no format here writes (the calling line, thread and process names), as the logging
    HOWTO's "Optimization" section describes: the access log's record of each request was
    about a fifth of its cost (issue 19)."""
    logging._srcfile = None
    logging.logThreads = False
    logging.logProcesses = False
    logging.logMultiprocessing = False
    settings = Settings.from_env()
    if not settings.debug:
        # A served worker's templates are the release's: Jinja would look at each file's
        # time again whenever a page takes it (eight or more a page, each a system call).
        # With DEBUG=true an edited template still shows on the next page.
        templating.templates.env.auto_reload = False
    return create_app(settings, freeze_after_start=True)


def create_app(settings: Settings | None = None, *, freeze_after_start: bool = False) -> Starlette:
    settings = settings or Settings.from_env()
    if settings.clock_at is not None:
        clock.start_at(settings.clock_at)
    i18n.load_catalogues()
    redact.install()

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        async with RegisterTortoise(app, config=tortoise_config(settings.database_url)):
            # Files an older release kept in this host's data folder go into the database,
            # where every app process finds them (issue 19; nothing to do once they are in).
            await legacy_files.move_into_database(settings.data_dir)
            # Ended vouchers give their money back to the centres' budgets (issue 17).
            every, stop = settings.expiry_every_seconds, asyncio.Event()
            job = asyncio.create_task(budget_jobs.expire_every(every, stop)) if every else None
            if freeze_after_start:
                # What the worker holds from now on (modules, templates, routes, catalogues)
                # leaves the garbage collector's rounds: a full round over it took 70 ms
                # under issue 19's cycle, a pause for every request in flight on the worker.
                # Only in a served worker: in tests, an app frozen for each test would keep
                # the one before it forever.
                gc.collect()
                gc.freeze()
            try:
                yield
            finally:
                if job is not None:
                    # Let it end between two vouchers (a query cut off would outlive the
                    # connection), then cancel what is left of a slow one.
                    stop.set()
                    with contextlib.suppress(asyncio.CancelledError, TimeoutError):
                        await asyncio.wait_for(job, 10)

    routes = all_routes()
    middleware = [
        # Pages and scripts compressed: the person's phone is often on a slow, paid connection.
        Middleware(LeveledGZip, minimum_size=800),
        Middleware(SecurityHeadersMiddleware),
        Middleware(
            SessionCookieMiddleware,
            secret_key=settings.secret_key,
            session_cookie="startrip_session",
            max_age=SESSION_MAX_AGE,
            same_site="lax",
            # Secure cookies when the app is served over HTTPS (docs/DEPLOY.md turns it on).
            https_only=settings.secure_cookies,
        ),
        Middleware(PrincipalMiddleware, default_locale=settings.default_locale),
        # A guardian who has not agreed to the privacy notice as it is now sees only
        # /privacy/agree (issue 16, item 5).
        Middleware(ConsentGate),
        # The body limit counts what streams in (chunked too) for everything after it: it stays
        # before the CSRF check, which reads a form's body whole (tests/test_limits.py).
        Middleware(BodyLimitMiddleware, max_bytes=MAX_BODY_BYTES, on_failure=errors.too_large),
        Middleware(CSRFMiddleware, on_failure=errors.csrf_failure),
    ]
    app = Starlette(
        debug=settings.debug,
        routes=routes,
        middleware=middleware,
        exception_handlers={
            HTTPException: errors.http_exception,
            LoginRequired: errors.login_required,
            Hidden: errors.hidden,
            Denied: errors.denied,
            Throttled: errors.throttled,
            500: errors.server_error,
        },
        lifespan=lifespan,
    )
    # The same routes, asked only where they can match (IndexedRouter).
    app.router = IndexedRouter(routes, lifespan=lifespan)
    app.state.settings = settings
    urls.install(app.router)
    return app
