"""Page weight of the person's trip screens, and how fast a trip screen opens offline.

    .venv/bin/python bench/page_weight.py

Starts the app on a fresh demo database, links Ming's phone in Debian's Chromium (390×844),
then, in a new browser context with only the phone's cookie (empty HTTP cache, no service
worker), opens each screen once ("first visit") and again ("repeat visit"). It adds up the
bytes on the wire the page's own requests took (compressed bodies and headers, from the
Chrome DevTools Protocol). The service worker's own install downloads (the shell, about the
size of a repeat visit's files) are not counted. Last, with the network off, it times opening
the trip screen from the service worker (navigation start to the load event), 10 times.
"""

from __future__ import annotations

import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parent.parent
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
SCREENS = {
    "trip mode": "/plans/5a7e0000-0000-4000-8002-000000000001/go",
    "shopping list": "/lists/5a7e0000-0000-4000-8000-000000000001/shop",
    "help card": "/me/help",
    "pay": "/me/pay",
}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def weigh(page, url: str) -> int:
    """Bytes on the wire for the page's requests while it loads `url`."""
    cdp = page.context.new_cdp_session(page)
    cdp.send("Network.enable")
    total = {"bytes": 0}
    cdp.on(
        "Network.loadingFinished",
        lambda e: total.__setitem__("bytes", total["bytes"] + e["encodedDataLength"]),
    )
    page.goto(url, wait_until="networkidle")
    cdp.detach()
    return total["bytes"]


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        env = {**os.environ, "DATA_DIR": folder}
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
            with sync_playwright() as pw:
                browser = pw.chromium.launch(
                    executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS
                )
                parent = browser.new_context(**PHONE, base_url=base, locale="zh-CN").new_page()
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

                print(f"{'screen':<14} {'first visit':>12} {'repeat visit':>13}")
                for name, url in SCREENS.items():
                    context = browser.new_context(**PHONE, base_url=base, locale="zh-CN")
                    context.add_cookies(cookies)
                    page = context.new_page()
                    first = weigh(page, url)
                    repeat = weigh(page, url)
                    print(f"{name:<14} {first / 1024:>9.1f} KB {repeat / 1024:>10.1f} KB")
                    context.close()

                context = browser.new_context(**PHONE, base_url=base, locale="zh-CN")
                context.add_cookies(cookies)
                page = context.new_page()
                page.goto("/me", wait_until="networkidle")
                page.wait_for_timeout(3000)  # the service worker keeps the person's screens
                context.set_offline(True)
                times = []
                for _ in range(10):
                    page.goto(SCREENS["trip mode"], wait_until="load")
                    times.append(
                        page.evaluate("performance.getEntriesByType('navigation')[0].loadEventEnd")
                    )
                median, slowest = statistics.median(times), max(times)
                print(
                    "trip screen offline, from the service worker: "
                    f"median {median:.0f} ms, slowest {slowest:.0f} ms"
                )
                browser.close()
        finally:
            server.terminate()
            server.wait(timeout=10)


if __name__ == "__main__":
    main()
