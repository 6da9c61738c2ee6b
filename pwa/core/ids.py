"""Ids from requests: one way to read a UUID, one way to fail."""

from __future__ import annotations

import uuid
from typing import Any

from starlette.exceptions import HTTPException


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


def not_found() -> HTTPException:
    return HTTPException(404)


def uuid_or_404(value: Any) -> uuid.UUID:
    """For a path parameter: an id nothing can have is simply not found."""
    try:
        return parse_uuid(value)
    except BadId:
        raise not_found() from None
