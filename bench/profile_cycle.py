"""Where the server's time goes in issue 19's cycle (form add → pull → tick), by function.

    .venv/bin/python bench/profile_cycle.py                   # 300 cycles, top 25 by own time
    .venv/bin/python bench/profile_cycle.py --cycles 600 --preload 2000 --top 40
    .venv/bin/python bench/profile_cycle.py --fetch page      # the list page instead of a pull

The whole app in one process over httpx's ASGI transport (no network, no other process), on a
fresh SQLite file, under cProfile. One parent adds an item with the list page's form, pulls
from their own cursor, and ticks the item with the shopping view's form, as bench/cycle.py's
clients do; `--preload N` starts with N ticked items on the list. It prints the CPU time a
cycle takes without the profiler (time.process_time over the same cycles, run first) and then
the functions that took the most time of their own, and those with the most time under them:
what bench/README.md quotes "before and after". cProfile itself slows pure-Python code about
twofold, so its times are shares, not speeds.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import io
import pstats
import re
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from inprocess import app_with_a_family  # noqa: E402

from pwa.lists import services as lists  # noqa: E402

PASSWORD = "bench-password-1"
CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')
PICTURES = ("1F95B", "1F34E", "1F35E", "1F95A", "1F9C0")


class Cycle:
    def __init__(self, http: httpx.AsyncClient, list_id: str, family_id: str, fetch: str) -> None:
        self.http = http
        self.list_id = list_id
        self.family_id = family_id
        self.fetch = fetch
        self.client_id = str(uuid.uuid4())
        self.cursor = 0
        self.token = ""
        self.n = 0

    async def start(self) -> None:
        page = await self.http.get(f"/lists/{self.list_id}")
        self.token = CSRF_RE.search(page.text).group(1)  # type: ignore[union-attr]
        # The session cookie as it is now, sent with every request (as bench/cycle.py's clients
        # do): each form's answer adds its notice to the cookie, which only a page shown clears,
        # and a client that only pulls would send an ever longer cookie.
        self.cookies = httpx.Cookies(self.http.cookies)
        await self.pull()

    def same_cookie(self) -> None:
        self.http.cookies = httpx.Cookies(self.cookies)

    async def pull(self) -> None:
        while True:
            self.same_cookie()
            params: dict[str, Any] = {
                "client_id": self.client_id,
                "cursor": self.cursor,
                "family_id": self.family_id,
            }
            answer = await self.http.get("/api/sync/pull", params=params)
            assert answer.status_code == 200, answer.text[:200]
            data = answer.json()
            self.cursor = data["cursor"]
            if not data.get("more"):
                return

    async def once(self) -> None:
        self.n += 1
        item_id = str(uuid.uuid4())
        self.same_cookie()
        added = await self.http.post(
            f"/lists/{self.list_id}/items",
            data={
                "csrf_token": self.token,
                "item_id": item_id,
                "pictogram": PICTURES[self.n % len(PICTURES)],
                "quantity": "1",
            },
        )
        assert added.status_code == 303, added.status_code
        if self.fetch == "pull":
            await self.pull()
        else:
            self.same_cookie()
            page = await self.http.get(f"/lists/{self.list_id}")
            assert page.status_code == 200
        self.same_cookie()
        ticked = await self.http.post(
            f"/lists/{self.list_id}/items/{item_id}/mark",
            data={"csrf_token": self.token, "mark_id": str(uuid.uuid4()), "state": "ticked"},
        )
        assert ticked.status_code == 303, ticked.status_code


async def main(args: argparse.Namespace) -> None:
    async with app_with_a_family() as bench:
        shopping_list = await lists.create_list(
            bench.family, list_id=uuid.uuid4(), name="Household", person_id=""
        )
        for n in range(args.preload):
            item = await lists.add_item(
                shopping_list, item_id=uuid.uuid4(), pictogram=PICTURES[n % len(PICTURES)]
            )
            await lists.mark_item(item, mark_id=uuid.uuid4(), state="ticked")
        await bench.log_in()
        cycle = Cycle(bench.http, str(shopping_list.id), str(bench.family.id), args.fetch)
        await cycle.start()
        for _ in range(20):  # warm-up: templates compiled, caches filled
            await cycle.once()
        started = time.process_time()
        for _ in range(args.cycles):
            await cycle.once()
        cpu = time.process_time() - started
        print(
            f"{args.cycles} cycles, {args.preload} items before: "
            f"{cpu / args.cycles * 1000:.2f} ms CPU a cycle, "
            f"{cpu / args.cycles / 3 * 1000:.2f} ms a request (3 a cycle, whole process)"
        )
        profile = cProfile.Profile()
        profile.enable()
        for _ in range(args.cycles):
            await cycle.once()
        profile.disable()
    out = io.StringIO()
    stats = pstats.Stats(profile, stream=out)
    stats.sort_stats("tottime").print_stats(args.top)
    stats.sort_stats("cumulative").print_stats(args.top)
    print(out.getvalue())


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cycles", type=int, default=300)
    parser.add_argument("--preload", type=int, default=0)
    parser.add_argument("--fetch", choices=("pull", "page"), default="pull")
    parser.add_argument("--top", type=int, default=25)
    asyncio.run(main(parser.parse_args()))
