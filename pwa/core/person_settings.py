"""The person's settings (UX.md rule 11): the choices, their defaults, reading a form."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pwa.settings import SUPPORTED_LOCALES

TEXT_SIZES = ("normal", "large", "largest")
THEMES = ("calm", "contrast")
DISPLAYS = ("pictures_words", "pictures_only")
# Switches that are on or off.
SWITCHES = (
    "reduced_motion",
    "sound",
    "read_aloud",
    "hide_prices",
    "one_step",
    "can_plan",
    "feelings_check",
)

DEFAULTS: dict[str, Any] = {
    "text_size": "normal",
    "theme": "calm",
    "display": "pictures_words",
    "reduced_motion": False,
    "sound": True,
    "read_aloud": True,
    "hide_prices": False,
    "one_step": True,
    # The person may make and change their own lists on their phone (issue 3).
    "can_plan": False,
    # Before and after a trip the person may pick how they feel; never needed to go on (issue 7).
    "feelings_check": False,
    "language": None,
}


class SettingsError(ValueError):
    """A value that is not one of the choices; the field name says which."""

    def __init__(self, field: str) -> None:
        super().__init__(field)
        self.field = field


def effective(stored: Mapping[str, Any] | None) -> dict[str, Any]:
    """Stored values over the defaults, ignoring anything unknown."""
    result = dict(DEFAULTS)
    result.update({k: v for k, v in (stored or {}).items() if k in DEFAULTS})
    return result


def from_form(form: Mapping[str, str]) -> dict[str, Any]:
    """A submitted settings form → validated settings; raises SettingsError on a bad choice."""
    choices = {
        "text_size": TEXT_SIZES,
        "theme": THEMES,
        "display": DISPLAYS,
        "language": ("", *SUPPORTED_LOCALES),
    }
    result: dict[str, Any] = {}
    for name, allowed in choices.items():
        value = form.get(name, DEFAULTS[name] or "")
        if value not in allowed:
            raise SettingsError(name)
        result[name] = value
    result["language"] = result["language"] or None
    for name in SWITCHES:
        result[name] = form.get(name) == "on"
    return result


def html_classes(settings: Mapping[str, Any]) -> str:
    """Classes on <html> that the stylesheet reads to apply the settings."""
    s = effective(settings)
    classes = [f"text-{s['text_size']}", f"theme-{s['theme']}"]
    if s["reduced_motion"]:
        classes.append("reduce-motion")
    if s["display"] == "pictures_only":
        classes.append("pictures-only")
    return " ".join(classes)
