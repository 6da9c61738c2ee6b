"""Ids from requests, read one way: parse_uuid (BadId), uuid_or_none, form_id (a form error
that says to reload) and uuid_or_404 (a path parameter)."""

from __future__ import annotations

import uuid
from typing import Any

from starlette.exceptions import HTTPException

from pwa.core.forms import FormErrors
from pwa.i18n import _


class BadId(ValueError):
    """An id that is not a UUID: nothing can have it."""


def parse_uuid(value: Any) -> uuid.UUID:
    """A UUID from a path, a form or a JSON value; BadId for anything else."""
    if isinstance(value, uuid.UUID):
        return value
    try:
        return uuid.UUID(str(value))
    except (ValueError, TypeError, AttributeError):
        raise BadId(str(value)[:40]) from None


def uuid_or_none(value: Any) -> uuid.UUID | None:
    """A UUID, or None for anything else (an optional id, a link parameter)."""
    try:
        return parse_uuid(value)
    except BadId:
        return None


def form_id(value: Any) -> uuid.UUID:
    """The id a form was made with (its hidden field): one that is not a UUID means the page
    is older than the app, and the person is told to reload it."""
    try:
        return parse_uuid(value)
    except BadId:
        raise FormErrors({"id": _("This form is old. Reload the page and try again.")}) from None


# The largest id an integer primary key holds (tortoise's IntField is PostgreSQL's int4): a
# bigger number names nothing, and asking PostgreSQL for one would fail ("out of int32 range").
MAX_INT_ID = 2**31 - 1


def int_or_404(value: Any) -> int:
    """A whole-number id from a path: anything that no row can have is not found."""
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise not_found() from None
    if not 0 < number <= MAX_INT_ID:
        raise not_found()
    return number


def not_found() -> HTTPException:
    return HTTPException(404)


def uuid_or_404(value: Any) -> uuid.UUID:
    """For a path parameter: an id nothing can have is simply not found."""
    try:
        return parse_uuid(value)
    except BadId:
        raise not_found() from None


def int_or_none(value: Any) -> int | None:
    """A whole-number id from a query string or form, or None when it cannot name a row."""
    text = str(value or "").strip()
    if not text.isascii() or not text.isdigit():
        return None
    number = int(text)
    return number if 0 < number <= MAX_INT_ID else None
