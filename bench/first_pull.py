"""A new phone's first pull (cursor 0) of a list of 10,000 things, each ticked once, and a
parent's list page of 2,000 (issue 19): both come in pages; how long each page takes.

    .venv/bin/python bench/first_pull.py                   # 10,000 things, 3 rounds
    .venv/bin/python bench/first_pull.py --items 2000 --rounds 5

The whole app in one process over httpx's ASGI transport (no network), on a fresh SQLite file
(WAL), as bench/sync.py does. The things and their marks are written straight in (the service
adds one at a time), spread over 40 pictures of every area, each with its change number. A
logged-in parent pulls from cursor 0 with a new client id, following "more" to the end, and
the time of each answer (sending to the last byte, its JSON read) is kept; then the list page
and its next pages. Every thing must arrive exactly once, or the script stops.
"""

from __future__ import annotations

import argparse
import asyncio
import re
import statistics
import sys
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

from fractional_indexing import generate_n_keys_between

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from inprocess import app_with_a_family  # noqa: E402

from pwa.core.pictograms import catalogue  # noqa: E402
from pwa.lists import services as lists  # noqa: E402
from pwa.models import ChangeCounter, ItemMark, ListItem, MarkState  # noqa: E402

PASSWORD = "bench-password-1"
CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')
NEXT_RE = re.compile(r'href="(/lists/[^"]+\?page=\d+)"[^>]*>(?:\s*<[^>]+>)*\s*<span class="label">')


async def fill(family_id: uuid.UUID, list_id: uuid.UUID, count: int) -> None:
    pictures = list(catalogue().items[::10])[:40]
    keys = generate_n_keys_between(None, None, count)
    items = [
        ListItem(
            id=uuid.uuid4(),
            family_id=family_id,
            list_id=list_id,
            pictogram=pictures[n % 40].code,
            area=pictures[n % 40].area,
            position=keys[n],
            change_seq=n + 1,
        )
        for n in range(count)
    ]
    await ListItem.bulk_create(items, batch_size=1000)
    now = datetime.now(UTC)
    await ItemMark.bulk_create(
        [
            ItemMark(
                id=uuid.uuid4(),
                family_id=family_id,
                item_id=item.id,
                state=MarkState.TICKED,
                client_time=now,
                change_seq=count + n + 1,
            )
            for n, item in enumerate(items)
        ],
        batch_size=1000,
    )
    await ChangeCounter.update_or_create(id=1, defaults={"value": 2 * count})


async def main(args: argparse.Namespace) -> None:
    async with app_with_a_family() as bench:
        family, http = bench.family, bench.http
        shopping_list = await lists.create_list(
            family, list_id=uuid.uuid4(), name="Everything", person_id=""
        )
        await fill(family.id, shopping_list.id, args.items)
        await bench.log_in()
        pull_times: list[float] = []
        page_times: list[float] = []
        for _round in range(args.rounds):
            cursor, seen, pages = 0, set(), 0
            client_id = str(uuid.uuid4())
            while True:
                started = time.perf_counter()
                answer = await http.get(
                    "/api/sync/pull",
                    params={"client_id": client_id, "cursor": cursor, "family_id": str(family.id)},
                )
                data = answer.json()
                pull_times.append(time.perf_counter() - started)
                pages += 1
                seen.update(row["id"] for row in data["rows"]["items"])
                cursor = data["cursor"]
                if not data["more"]:
                    break
            assert len(seen) == args.items, f"{len(seen)} of {args.items} things arrived"
            address = f"/lists/{shopping_list.id}"
            list_pages = 0
            while address:
                started = time.perf_counter()
                page = await http.get(address)
                page_times.append(time.perf_counter() - started)
                assert page.status_code == 200
                list_pages += 1
                found = NEXT_RE.findall(page.text)
                following = [a for a in found if a.endswith(f"page={list_pages + 1}")]
                address = following[0] if following and list_pages < 3 else ""
    ms = [t * 1000 for t in pull_times]
    print("answers, ms:", " ".join(f"{t:.0f}" for t in ms))
    print(
        f"first pull of {args.items:,} things and {args.items:,} marks: {pages} answers a pull, "
        f"{args.rounds} rounds; an answer: median {statistics.median(ms):.1f} ms, "
        f"slowest {max(ms):.1f} ms"
    )
    ms = [t * 1000 for t in page_times]
    print(
        f"list page (its first {list_pages} pages of {lists.LIST_PAGE}): median "
        f"{statistics.median(ms):.1f} ms, slowest {max(ms):.1f} ms"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--items", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=3)
    asyncio.run(main(parser.parse_args()))
