"""Debian's Chromium as the browser tests and the benchmarks launch it, at a phone's size.

Playwright cannot download browsers here, so it drives /usr/bin/chromium (scripts/system-deps.sh
installs it) with the flags a sandboxed CI machine needs."""

from __future__ import annotations

import os

CHROMIUM = os.environ.get("CHROME_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}
