"""Pages that belong to no one: Help, About, the offline page, the web app manifest and /sw.js."""

from __future__ import annotations

import hashlib
import json
from functools import cache

from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response

from pwa import i18n
from pwa.auth.routing import Route
from pwa.auth.rules import Action
from pwa.core.pictograms import pictogram_url
from pwa.i18n import _
from pwa.security import HEADERS
from pwa.settings import SUPPORTED_LOCALES
from pwa.templating import STATIC_DIR, TEMPLATE_DIR, file_hash, render, static_url

# Pictograms the layout itself shows: Back, Home, Help, language, log out, offline.
SHELL_PICTOGRAMS = ("2B05", "1F3E0", "2753", "1F310", "1F6AA", "1F4F5", "1F504")
SHELL_STATIC = (
    "css/app.css",
    "js/main.js",
    "icons/icon-192.png",
    "icons/icon-512.png",
    "icons/icon-maskable-512.png",
)
SHELL_TEMPLATES = ("base.html", "pages/offline.html")


def offline_url(locale: str) -> str:
    return f"/offline/{i18n.html_lang(locale)}"


def precache_urls() -> list[str]:
    return (
        [static_url(path) for path in SHELL_STATIC]
        + [pictogram_url(code) for code in SHELL_PICTOGRAMS]
        + [offline_url(locale) for locale in SUPPORTED_LOCALES]
    )


@cache
def shell_version() -> str:
    """Derived from the hashes of what the shell is made of, so any change makes a new cache."""
    digest = hashlib.sha256()
    for path in SHELL_STATIC:
        digest.update(file_hash(STATIC_DIR / path).encode())
    for name in SHELL_TEMPLATES:
        digest.update(file_hash(TEMPLATE_DIR / name).encode())
    for locale in SUPPORTED_LOCALES:
        digest.update(file_hash(i18n.LOCALE_DIR / locale / "LC_MESSAGES" / "messages.mo").encode())
    for name in ("sw.js", "outbox.js"):
        digest.update(file_hash(STATIC_DIR / "js" / name).encode())
    return digest.hexdigest()[:16]


async def service_worker(request: Request) -> Response:
    source = (STATIC_DIR / "js" / "sw.js").read_text()
    config = {
        "version": shell_version(),
        "precache": precache_urls(),
        "offline": {i18n.html_lang(code): offline_url(code) for code in SUPPORTED_LOCALES},
    }
    body = source.replace("/*CONFIG*/{}", json.dumps(config), 1)
    return Response(
        body,
        media_type="text/javascript",
        headers={
            # A worker runs under its own script's policy (unlike a page's: pwa/security.py).
            **HEADERS,
            "Service-Worker-Allowed": "/",
            "Cache-Control": "no-cache",
        },
    )


async def manifest(request: Request) -> Response:
    locale = i18n.current_locale()
    data = {
        "name": _("Startrip: shopping trips step by step"),
        "short_name": _("Startrip"),
        "description": _("Plan a shopping trip with pictures and do it one step at a time."),
        "lang": i18n.html_lang(locale),
        "dir": "ltr",
        "start_url": "/",
        "scope": "/",
        "display": "standalone",
        "orientation": "portrait",
        "background_color": "#f6f4ef",
        "theme_color": "#2f5d62",
        "icons": [
            {
                "src": static_url("icons/icon-192.png"),
                "sizes": "192x192",
                "type": "image/png",
                "purpose": "any",
            },
            {
                "src": static_url("icons/icon-512.png"),
                "sizes": "512x512",
                "type": "image/png",
                "purpose": "any",
            },
            {
                "src": static_url("icons/icon-maskable-512.png"),
                "sizes": "512x512",
                "type": "image/png",
                "purpose": "maskable",
            },
        ],
    }
    return JSONResponse(
        data,
        media_type="application/manifest+json",
        headers={"Cache-Control": "no-cache", "Vary": "Cookie, Accept-Language"},
    )


async def offline(request: Request) -> Response:
    lang = request.path_params["lang"]
    locale = next((code for code in SUPPORTED_LOCALES if i18n.html_lang(code) == lang), None)
    if locale is None:
        return PlainTextResponse("", status_code=404)
    i18n.set_locale(locale)
    return render(request, "pages/offline.html", {"title": _("No internet")})


async def help_page(request: Request) -> Response:
    return render(request, "pages/help.html", {"title": _("Help")})


async def about_page(request: Request) -> Response:
    return render(request, "pages/about.html", {"title": _("About Startrip")})


async def health(request: Request) -> Response:
    return PlainTextResponse("ok")


PUBLIC = Action.PUBLIC
routes = [
    Route("/sw.js", service_worker, action=PUBLIC),
    Route("/manifest.webmanifest", manifest, action=PUBLIC),
    Route("/offline/{lang}", offline, action=PUBLIC),
    Route("/help", help_page, action=PUBLIC),
    Route("/about", about_page, action=PUBLIC),
    Route("/healthz", health, action=PUBLIC),
]
