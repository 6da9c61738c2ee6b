"""Which answers the service worker may keep for offline use (static/js/sw.js).

The person's screens open at a till with no signal from a copy kept in the browser. That copy
is for the person's own phone, or an adult's own account: never for a parent looking at a
child's screens, whose copy would stay on a shared computer after logging out. The server
says which answers may be kept, with `X-Startrip-Offline: keep`, because only it knows whose
rows a page showed: every family decision made for the request (pwa/auth/access.check) is
noted here, and the answer may be kept when there was at least one and each found the caller
to be the person the rows are for (Role.PERSON). pwa/security.py collects the decisions of a
request and marks its answer.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from pwa.auth.rules import Role

HEADER = "X-Startrip-Offline"
KEEP = "keep"

# The decisions of the request being answered (a list the middleware made for it); None
# outside a request (the CLI, tests calling access directly), where nothing is noted.
_decisions: ContextVar[list[bool] | None] = ContextVar("startrip_offline_decisions", default=None)


def noted(roles: Iterable[Role]) -> None:
    """One family decision of this request: was the caller the person the rows are for?"""
    decisions = _decisions.get()
    if decisions is not None:
        decisions.append(Role.PERSON in roles)


@contextmanager
def collecting() -> Iterator[list[bool]]:
    """Note the decisions of the request answered inside (in its context) in the list given."""
    decisions: list[bool] = []
    token = _decisions.set(decisions)
    try:
        yield decisions
    finally:
        _decisions.reset(token)


def may_keep(decisions: list[bool]) -> bool:
    return bool(decisions) and all(decisions)
