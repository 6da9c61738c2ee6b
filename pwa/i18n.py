"""Locales, negotiation, catalogues and babel formatting.

The request's locale lives in a context variable set by the locale middleware, so templates,
handlers and service functions all translate into the language of the page being answered.
"""

from __future__ import annotations

import gettext as gettext_module
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path

from babel import Locale, UnknownLocaleError
from babel.dates import format_date as babel_format_date
from babel.dates import format_datetime as babel_format_datetime
from babel.dates import format_timedelta, get_timezone
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_currency

from pwa import ROOT
from pwa.settings import SUPPORTED_LOCALES

LOCALE_DIR = ROOT / "locales"
DOMAIN = "messages"

# Our locale code → what <html lang> says, and the babel locale used to format dates and money.
HTML_LANG = {"zh_Hans": "zh-Hans", "en": "en"}
FORMAT_LOCALE = {"zh_Hans": Locale("zh", "CN", script="Hans"), "en": Locale("en", "GB")}
# The name of each language written in itself, for the language switch.
NATIVE_NAME = {"zh_Hans": "中文", "en": "English"}

_current: ContextVar[str] = ContextVar("locale", default="zh_Hans")
_catalogues: dict[str, gettext_module.GNUTranslations] = {}


def current_locale() -> str:
    return _current.get()


def set_locale(locale: str) -> None:
    _current.set(locale)


@contextmanager
def use_locale(locale: str) -> Iterator[None]:
    """Work in one language for a while (demo data, commands), then go back."""
    token = _current.set(locale)
    try:
        yield
    finally:
        _current.reset(token)


def match_supported(tag: str) -> str | None:
    """One language tag (zh-CN, zh_Hans, en-GB …) → a supported locale, by language and script.

    babel's Locale.negotiate misses zh-CN, so each tag is parsed and compared on its own.
    """
    tag = tag.strip()
    if not tag or tag == "*":
        return None
    try:
        parsed = Locale.parse(tag.replace("_", "-"), sep="-")
    except (ValueError, UnknownLocaleError):
        return None
    if parsed.language == "zh":
        # Simplified Chinese is the only Chinese we have; Traditional readers read it better
        # than English.
        return "zh_Hans"
    if parsed.language == "en":
        return "en"
    return None


def negotiate(accept_language: str) -> str | None:
    """Accept-Language header → the best supported locale, or None."""
    weighted: list[tuple[float, int, str]] = []
    for index, part in enumerate(accept_language.split(",")):
        tag, _, params = part.partition(";")
        quality = 1.0
        params = params.strip()
        if params.startswith("q="):
            try:
                quality = float(params[2:])
            except ValueError:
                quality = 0.0
        if quality > 0:
            weighted.append((-quality, index, tag))
    for _, _, tag in sorted(weighted):
        if found := match_supported(tag):
            return found
    return None


def compile_catalogues(locale_dir: Path = LOCALE_DIR) -> list[Path]:
    """Compile every .po into its .mo (what `make i18n` and the test session run)."""
    written = []
    for locale in SUPPORTED_LOCALES:
        po_path = locale_dir / locale / "LC_MESSAGES" / f"{DOMAIN}.po"
        with po_path.open("rb") as handle:
            catalog = read_po(handle, locale=locale)
        mo_path = po_path.with_suffix(".mo")
        with mo_path.open("wb") as handle:
            write_mo(handle, catalog, use_fuzzy=False)
        written.append(mo_path)
    return written


def load_catalogues(locale_dir: Path = LOCALE_DIR) -> None:
    """Load every compiled catalogue; refuse to start without one rather than fall back silently."""
    for locale in SUPPORTED_LOCALES:
        mo_path = locale_dir / locale / "LC_MESSAGES" / f"{DOMAIN}.mo"
        po_path = mo_path.with_suffix(".po")
        if not mo_path.exists() or mo_path.stat().st_mtime < po_path.stat().st_mtime:
            raise RuntimeError(
                f"{mo_path} is missing or older than its .po: run `make i18n` "
                "(or `python -m pwa i18n-compile`)."
            )
        with mo_path.open("rb") as handle:
            _catalogues[locale] = gettext_module.GNUTranslations(handle)


def gettext(message: str) -> str:
    catalogue = _catalogues.get(current_locale())
    return catalogue.gettext(message) if catalogue else message


def ngettext(singular: str, plural: str, n: int) -> str:
    catalogue = _catalogues.get(current_locale())
    if catalogue:
        return catalogue.ngettext(singular, plural, n)
    return singular if n == 1 else plural


def _(message: str, **values: object) -> str:
    """Translate, then fill %(name)s placeholders."""
    text = gettext(message)
    return text % values if values else text


def html_lang(locale: str | None = None) -> str:
    return HTML_LANG[locale or current_locale()]


def format_date(value: datetime, format: str = "long") -> str:
    return babel_format_date(value, format=format, locale=FORMAT_LOCALE[current_locale()])


def format_datetime(value: datetime, format: str = "medium", tzinfo: str = "Asia/Shanghai") -> str:
    return babel_format_datetime(
        value, format=format, tzinfo=get_timezone(tzinfo), locale=FORMAT_LOCALE[current_locale()]
    )


def format_wait(seconds: int) -> str:
    """A wait in words ("20 seconds", "3 minutes"), rounded up: who waits that long gets in."""
    if seconds < 60:
        value = timedelta(seconds=max(1, seconds))
    else:
        value = timedelta(minutes=-(-seconds // 60))
    return format_timedelta(value, format="long", locale=FORMAT_LOCALE[current_locale()])


def format_money(fen: int) -> str:
    """Money is kept as integer fen; shown as CNY in the page's language."""
    return format_currency(Decimal(fen) / 100, "CNY", locale=FORMAT_LOCALE[current_locale()])
