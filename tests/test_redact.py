"""Secrets out of the logs (issue 15, item 5): invitation tokens, link codes and pay codes."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from starlette.applications import Starlette

from pwa.core.redact import redact_path


def test_capability_parts_of_a_path_are_hidden() -> None:
    assert redact_path("/invite/Zq3-abcdefghijklmnopqrst") == "/invite/***"
    assert redact_path("/link/K7M29QXD") == "/link/***"
    assert redact_path("/shop/redeem?shop=3&code=K7M2-9QXD") == "/shop/redeem?shop=3&code=***"
    # Paths without a secret are written as they are.
    assert redact_path("/link") == "/link"
    assert redact_path("/lists/5?page=2") == "/lists/5?page=2"
    # A secret's name in any case, and a secret path riding in a value, are hidden too.
    assert redact_path("/shop/redeem?CODE=K7M2") == "/shop/redeem?CODE=***"
    assert redact_path("/login?next=%2Finvite%2Fabc123") == "/login?next=%2Finvite%2F***"
    # Letters sent percent-encoded, as the app reads them.
    assert redact_path("/shop/redeem?c%6Fde=K7M2") == "/shop/redeem?code=***"
    assert "abc123" not in redact_path("/login?next=%2F%69nvite%2Fabc123")


async def test_the_access_log_never_holds_a_token_or_a_code(
    app: Starlette, caplog: pytest.LogCaptureFixture
) -> None:
    """uvicorn writes each request as (client, method, path with query, HTTP version, status);
    the app, once made, filters that logger."""
    access = logging.getLogger("uvicorn.access")
    with caplog.at_level(logging.INFO, logger="uvicorn.access"):
        for path in ("/invite/secret-token-123", "/link/K7M29QXD", "/shop/redeem?code=K7M29QXD"):
            access.info('%s - "%s %s HTTP/%s" %d', "203.0.113.7:5000", "GET", path, "1.1", 200)
    lines = [record.getMessage() for record in caplog.records]
    assert len(lines) == 3
    assert not any("secret-token-123" in line or "K7M29QXD" in line for line in lines)
    assert 'GET /invite/*** HTTP/1.1" 200' in lines[0]


def test_the_access_line_is_uvicorns_and_its_secrets_are_hidden() -> None:
    """The served worker's access formatter (python -m pwa serve's log config) writes the line
    uvicorn's own formatter writes, for each kind of answer, after the filter hid a code."""
    import uvicorn.logging

    from pwa.__main__ import _log_config
    from pwa.core.redact import AccessFormatter, AccessLogFilter

    config: Any = _log_config()
    access = config["formatters"]["access"]
    assert access["()"] == "pwa.core.redact.AccessFormatter"
    ours = AccessFormatter(access["fmt"], use_colors=False)
    theirs = uvicorn.logging.AccessFormatter(access["fmt"], use_colors=False)
    for status in (200, 303, 404, 500, 599):
        record = logging.LogRecord(
            "uvicorn.access",
            logging.INFO,
            __file__,
            1,
            '%s - "%s %s HTTP/%s" %d',
            ("203.0.113.7:5000", "GET", "/shop/redeem?code=K7M2", "1.1", status),
            None,
        )
        AccessLogFilter().filter(record)
        line = ours.format(record)
        assert line == theirs.format(record)
        assert "K7M2" not in line and f'"GET /shop/redeem?code=*** HTTP/1.1" {status}' in line
