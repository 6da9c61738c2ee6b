"""The two refusals of the access rule, raised below the pages too (a service that looks a row
up): the app answers Hidden with 404 and Denied with 403; sync records either as a refusal."""

from __future__ import annotations


class Hidden(Exception):
    """The object is not the caller's to know of (or does not exist): 404."""


class Denied(Exception):
    """The caller knows the object but may not do this: 403."""
