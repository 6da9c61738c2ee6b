"""Reading and checking forms: one place for the rules every form shares."""

from __future__ import annotations

import re
from collections.abc import Mapping

from starlette.requests import Request

EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
PHONE_RE = re.compile(r"^\+?[0-9][0-9 \-]{4,28}$")
PASSWORD_MIN = 8


class FormErrors(Exception):
    """Field name → translated message. Raised by service functions before they change anything."""

    def __init__(self, errors: Mapping[str, str]) -> None:
        super().__init__(dict(errors))
        self.errors = dict(errors)


async def read_form(request: Request) -> dict[str, str]:
    """The submitted fields as stripped strings (files are read by their own handlers)."""
    async with request.form() as form:
        return {key: value.strip() for key, value in form.items() if isinstance(value, str)}


def safe_next(value: str | None, default: str = "/") -> str:
    """Only same-site paths may be redirected to after log-in."""
    if value and value.startswith("/") and not value.startswith("//") and "\\" not in value:
        return value
    return default
