"""What the browser benchmarks share: the app on a fresh demo database in its own process, the
Chromium the tests use at a phone's size, and Ming's phone linked as a parent and the phone
would link it (bench/page_weight.py, bench/lighthouse.py)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
from playwright.sync_api import Browser

ROOT = Path(__file__).resolve().parent.parent
# The scripts run as `python bench/NAME.py`: the repository root is not on the path by itself.
sys.path.insert(0, str(ROOT))

from tests.browser.chromium import CHROMIUM, CHROMIUM_ARGS, PHONE  # noqa: E402

__all__ = ["CHROMIUM", "CHROMIUM_ARGS", "PHONE", "ROOT", "demo_server", "free_port", "link_phone"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def demo_server() -> Iterator[tuple[str, Path]]:
    """`python -m pwa serve` on a fresh demo database: its base URL and its data folder."""
    with tempfile.TemporaryDirectory() as folder:
        env = {**os.environ, "DATA_DIR": folder}
        env.pop("DATABASE_URL", None)  # the demo in the temporary folder, never another database
        for command in ("migrate", "demo"):
            subprocess.run(
                [sys.executable, "-m", "pwa", command],
                cwd=ROOT,
                env=env,
                check=True,
                capture_output=True,
            )
        port = free_port()
        server = subprocess.Popen(
            [sys.executable, "-m", "pwa", "serve", "--port", str(port)],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        base = f"http://127.0.0.1:{port}"
        try:
            for _ in range(100):
                try:
                    httpx.get(f"{base}/healthz", timeout=1)
                    break
                except httpx.TransportError:
                    time.sleep(0.1)
            yield base, Path(folder)
        finally:
            server.terminate()
            server.wait(timeout=10)


def link_phone(browser: Browser, base: str) -> list[dict[str, Any]]:
    """Ming's parent makes a link code and the phone types it in; the phone's cookies."""
    parent_context = browser.new_context(**PHONE, base_url=base, locale="zh-CN")
    parent = parent_context.new_page()
    parent.goto("/login")
    parent.locator("input[name=email]").fill("parent@demo.test")
    parent.locator("input[name=password]").fill("startrip-demo")
    parent.locator("form.form button[type=submit]").click()
    parent.wait_for_load_state()
    parent.locator("a.card").first.click()
    parent.goto(f"{parent.url}/phone")
    parent.locator("main form button.button-main").click()
    code = parent.locator(".link-code .code-text").inner_text().strip()
    linking = browser.new_context(**PHONE, base_url=base, locale="zh-CN")
    phone = linking.new_page()
    phone.goto("/link")
    phone.locator("input[name=code]").fill(code)
    phone.locator("main form button[type=submit]").click()
    phone.locator("main form button[type=submit]").click()
    phone.wait_for_url("**/me")
    cookies = linking.cookies()
    linking.close()
    parent_context.close()
    return cookies
