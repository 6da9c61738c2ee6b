"""The Jinja environment (with jinja2.ext.i18n), static URLs with content hashes, and render()."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Awaitable, Callable, MutableMapping
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

import jinja2
from markupsafe import Markup
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.templating import Jinja2Templates

from pwa import ROOT, i18n
from pwa.auth import middleware, sessions
from pwa.auth.rules import Action
from pwa.core import person_settings, urls
from pwa.core.forms import FormErrors, read_form
from pwa.core.pictograms import pictogram_url

TEMPLATE_DIR = ROOT / "templates"
STATIC_DIR = ROOT / "static"
OPENMOJI_DIR = ROOT / "node_modules" / "openmoji" / "color" / "svg"


@cache
def file_hash(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()[:12]


def static_url(path: str) -> str:
    """A URL that changes when the file does, so static files can be cached for a year."""
    return f"/static/{path}?v={file_hash(STATIC_DIR / path)}"


@lru_cache(maxsize=1024)
def icon(code: str, size: str = "md") -> Markup:
    """A pictogram shown beside its label (templates/components/icon.html, where pages import it
    from): the label carries the meaning, so the picture has no alt text; loaded when shown.
    Written here rather than as a Jinja macro: a page shows ten to twenty, and a macro call took
    6 µs against 2 for a function (issue 19). The same code and size always give the same tag."""
    return Markup(
        '<img class="icon icon-{}" src="{}" alt="" width="40" height="40" loading="lazy">'
    ).format(size, pictogram_url(code))


def json_script(value: Any, element_id: str) -> Markup:
    """Data for ES modules as <script type="application/json">: not executed, so CSP-safe."""
    text = json.dumps(value, ensure_ascii=False).replace("<", "\\u003c").replace(">", "\\u003e")
    return Markup(f'<script type="application/json" id="{element_id}">{text}</script>')


def page_gettext(string: str, /, **variables: Any) -> Markup:
    """`_()` in templates, as jinja2.ext.i18n's newstyle gettext gives it with autoescape: the
    translation as Markup, always formatted with the variables (escaped). Its `_` calls through
    three layers of Jinja's call checks for each string; a page has about thirty (issue 19)."""
    return Markup(i18n.gettext(string)) % variables


class PageEnvironment(jinja2.Environment):
    """Jinja's environment, with a template's globals the environment's own dict rather than a
    ChainMap over it. Jinja copies a template's globals into every context it makes (each
    render, each `{% from … import … with context %}`) and compares them with an imported
    template's on every import; through a ChainMap that is Python code for each of the twenty
    globals, and a page's imports took about 60 µs each: most of a list page's time outside
    its rows (issue 19). Templates from files have no globals of their own: Jinja would add
    those given to get_template to the template it already holds, here the environment's, so
    it refuses them. A template made from a string with globals still gets the ChainMap."""

    def make_globals(self, d: MutableMapping[str, Any] | None) -> MutableMapping[str, Any]:
        if not d:
            return self.globals
        return super().make_globals(d)

    def _load_template(
        self, name: str, globals: MutableMapping[str, Any] | None
    ) -> jinja2.Template:
        if globals:
            raise TypeError("templates from files take no globals of their own here")
        return super()._load_template(name, globals)


def make_env() -> jinja2.Environment:
    env = PageEnvironment(
        loader=jinja2.FileSystemLoader(TEMPLATE_DIR),
        autoescape=True,
        extensions=["jinja2.ext.i18n", "jinja2.ext.do"],
        trim_blocks=True,
        lstrip_blocks=True,
    )
    # Added to the environment by the jinja2.ext.i18n extension: not in Environment's type.
    env.install_gettext_callables(  # type: ignore[attr-defined]
        i18n.gettext, i18n.ngettext, newstyle=True
    )
    env.globals.update(
        _=page_gettext,
        # The actions of the one rule (pwa/auth/rules.py), for pages that ask what to offer.
        A=Action,
        url=urls.url,
        static_url=static_url,
        pictogram_url=pictogram_url,
        icon_tag=icon,
        json_script=json_script,
        native_name=i18n.NATIVE_NAME,
    )
    env.filters.update(
        date=i18n.format_date,
        datetime=i18n.format_datetime,
        money=i18n.format_money,
    )
    return env


templates = Jinja2Templates(env=make_env())


DESK_PATHS = ("/programme", "/merchant", "/centre")


def page_context(request: Request) -> dict[str, Any]:
    """What base.html needs on every page."""
    who = sessions.principal(request)
    locale = i18n.current_locale()
    # The person's settings apply on every page the person sees: on their linked phone, and
    # for an adult who manages their own trips.
    settings = person_settings.effective(who.person.settings) if who.person else None
    return {
        "locale": locale,
        "html_lang": i18n.html_lang(locale),
        "other_locale": next(code for code in i18n.NATIVE_NAME if code != locale),
        "principal": who,
        "csrf_token": middleware.csrf_token(request),
        "notices": request.session.pop("notices", []),
        "person_settings": settings,
        "html_classes": person_settings.html_classes(settings) if settings else "",
        "home_url": home_url(who),
        # On the person's phone, Help is the help card to show shop staff.
        "help_url": "/me/help" if who.device is not None else "/help",
        # Desk pages (the programme, a merchant, a centre) are read on a computer: their tables
        # get the width of the screen (issue 17); sentences keep their reading width.
        "wide": request.url.path.startswith(DESK_PATHS),
    }


def home_url(who: sessions.Principal) -> str:
    if who.device is not None:
        return "/me"
    if who.account is None:
        return "/login"
    return "/home"


def render(
    request: Request, name: str, context: dict[str, Any] | None = None, status_code: int = 200
) -> HTMLResponse:
    ctx = page_context(request)
    ctx.update(context or {})
    return templates.TemplateResponse(request, name, ctx, status_code=status_code)


def notify(request: Request, text: str, kind: str = "success") -> None:
    """A notice shown once on the next page, in its status area."""
    # A new list, set again: appending to the one the session holds would not mark the session
    # changed, and a second notice before a page shows them would never reach the cookie.
    notices = request.session.get("notices", [])
    request.session["notices"] = [*notices, {"text": text, "kind": kind}]


async def form_page(
    request: Request,
    template: str,
    context: dict[str, Any],
    initial: dict[str, str],
    save: Callable[[dict[str, str]], Awaitable[str]],
) -> Response:
    """The one shape of a form page: GET shows the form filled with `initial`; POST calls
    `save(form)`, which returns where to go next, or raises FormErrors, shown beside the fields
    with a 400 and nothing changed."""
    if request.method == "GET":
        return render(request, template, {**context, "form": initial, "errors": {}})
    form = await read_form(request)
    try:
        next_url = await save(form)
    except FormErrors as exc:
        return render(request, template, {**context, "form": form, "errors": exc.errors}, 400)
    return RedirectResponse(next_url, status_code=303)
