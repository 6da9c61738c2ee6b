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

import json
import sqlite3
import statistics
from pathlib import Path

from demo_server import CHROMIUM, CHROMIUM_ARGS, PHONE, demo_server, link_phone
from playwright.sync_api import sync_playwright

SCREENS = {
    "trip mode": "/plans/5a7e0000-0000-4000-8002-000000000001/go",
    "shopping list": "/lists/5a7e0000-0000-4000-8000-000000000001/shop",
    "help card": "/me/help",
    "pay": "/me/pay",
}
# The list maker (issue 18, item 9), measured after the guardian lets Ming plan (can_plan):
# a list the page brings, and a new list as "Make a new list" opens it.
PLANNING = {
    "list maker": "/me/plan?list=5a7e0000-0000-4000-8000-000000000001",
    "new list": "/me/plan?list=5a7e0000-0000-4000-8000-0000000000ff&new=1",
}


def allow_planning(folder: Path) -> None:
    """Every demo person may plan (the demo server is SQLite in its folder)."""
    with sqlite3.connect(folder / "startrip.sqlite3") as db:
        for person_id, settings in db.execute("SELECT id, settings FROM person").fetchall():
            allowed = {**json.loads(settings or "{}"), "can_plan": True}
            db.execute(
                "UPDATE person SET settings = ? WHERE id = ?", (json.dumps(allowed), person_id)
            )


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
    with demo_server() as (base, folder), sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        cookies = link_phone(browser, base)

        print(f"{'screen':<14} {'first visit':>12} {'repeat visit':>13}")
        for name, url in [*SCREENS.items(), *PLANNING.items()]:
            if name == next(iter(PLANNING)):
                allow_planning(folder)
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


if __name__ == "__main__":
    main()
