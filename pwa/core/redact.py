"""Secrets out of the logs (issue 15, item 5).

An invitation link (/invite/<token>), a phone's link code (/link/<code>), the links sent by
email (/password/reset/<token>, /signup/confirm/<token>, /email/check/<token>) and a pay code
typed at the till (/shop/redeem?code=…) are capabilities: whoever reads them can use them. The
access log and the error log get the path with those parts replaced by "***".
"""

from __future__ import annotations

import logging
import re
from typing import ClassVar
from urllib.parse import parse_qsl, unquote_plus, urlencode

import uvicorn.logging

# Email links (issue 16): a new password, a sign-up's end, an email's check.
# A staff invitation (issue 17): /staff-invitation/<token>.
SECRET_PATH = re.compile(
    r"^(/(?:invite|staff-invitation|link|password/reset|signup/confirm|email/check)/)[^/?#]+"
)
SECRET_QUERY = frozenset({"code", "token", "key"})
HIDDEN = "***"
# A query without any of these (in any case, once decoded) has no secret name and no secret path
# in a value, so it is written as it came: parsing and writing again every sync pull's query
# was 1.4 % of the server's time under issue 19's cycle.
_MAYBE_SECRET = re.compile(
    r"code|token|key|invite|staff-invitation|link|password|signup|email", re.IGNORECASE
)


def redact_path(path: str) -> str:
    """The path (with its query) as it may be written to a log."""
    path, question, query = path.partition("?")
    path = _hide_path(path)
    if not question:
        return path
    if not _MAYBE_SECRET.search(unquote_plus(query)):
        return f"{path}?{query}"
    pairs = parse_qsl(query, keep_blank_values=True)
    # A secret path can also ride in a value: "Log in" from an invitation sends ?next=/invite/….
    safe = [
        (name, HIDDEN if name.lower() in SECRET_QUERY else _hide_path(value))
        for name, value in pairs
    ]
    return f"{path}?{urlencode(safe, safe=HIDDEN)}"


def _hide_path(path: str) -> str:
    return SECRET_PATH.sub(lambda match: match.group(1) + HIDDEN, path)


class AccessLogFilter(logging.Filter):
    """uvicorn's access log: (client, method, path with query, HTTP version, status)."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and len(args) >= 3 and isinstance(args[2], str):
            record.args = (*args[:2], redact_path(args[2]), *args[3:])
        return True


class AccessFormatter(uvicorn.logging.AccessFormatter):
    """uvicorn's access line, as its AccessFormatter writes it with its own format. Without
    colours (a log file, not a terminal) the line is put together directly: uvicorn copies each
    record and looks up the status's name first, about 10 µs of every request (issue 19)."""

    _lines: ClassVar[dict[int, str]] = {}

    def formatMessage(self, record: logging.LogRecord) -> str:
        args = record.args
        if self.use_colors or self._fmt != ACCESS_FORMAT or not isinstance(args, tuple):
            return super().formatMessage(record)
        client, method, path, version, status = args
        code = status if isinstance(status, int) else int(str(status))
        if (status_line := self._lines.get(code)) is None:
            status_line = self._lines[code] = self.get_status_code(code)
        prefix = f"{record.levelname}:".ljust(9)
        return f'{prefix} {client} - "{method} {path} HTTP/{version}" {status_line}'


# uvicorn's access format (uvicorn.config.LOGGING_CONFIG), the one AccessFormatter writes
# directly.
ACCESS_FORMAT = '%(levelprefix)s %(client_addr)s - "%(request_line)s" %(status_code)s'


def install() -> None:
    """Once per process, after uvicorn has set up its loggers (the app is made after that)."""
    access = logging.getLogger("uvicorn.access")
    if not any(isinstance(each, AccessLogFilter) for each in access.filters):
        access.addFilter(AccessLogFilter())
