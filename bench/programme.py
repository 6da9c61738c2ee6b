"""The programme's pages on a month of the 6,000-family data set (issue 17): the reach page (and
its CSV) for November 2026, and the statement of October 2026 for the biggest chain (made, then
its page and CSV). Goal: each under 500 ms.

    .venv/bin/python bench/programme.py        # reuses /tmp/startrip-growth-6000.sqlite3
    .venv/bin/python bench/programme.py --runs 20 --families 6000
    PYTHONPATH=.venv/lib/python3.11/site-packages /usr/bin/python3.11 bench/programme.py

The database is bench/growth.py's (made by it when missing: ~7 minutes); its generation writes
27 centres in the 11 cities of Hebei, four chains with stores in every city besides two stores
of each city's own, a November voucher for every family and payments (redemptions with their
ledger entries, 3 % reversed the same day, one family in twenty's first voucher ended and
returned). Measured over HTTP through the whole app in one process (httpx's ASGI transport, as
bench/growth.py does), logged in as programme staff; one warm-up, then the runs. Wall time and
CPU time of the process (time.process_time: the app and SQLite's thread) per request, median
and slowest.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from collections.abc import Awaitable, Callable
from datetime import date
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import growth  # noqa: E402

from pwa.app import create_app  # noqa: E402
from pwa.db import migrate  # noqa: E402
from pwa.settings import Settings  # noqa: E402


async def timed(
    name: str, call: Callable[[], Awaitable[Any]], runs: int, after: Callable[[], Awaitable[Any]]
) -> dict[str, Any]:
    """`runs` timed calls after one warm-up; `after` runs untimed after each (undo a write)."""
    await call()
    await after()
    walls: list[float] = []
    cpus: list[float] = []
    for _run in range(runs):
        wall, cpu = time.perf_counter(), time.process_time()
        answer = await call()
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
        if isinstance(answer, httpx.Response):
            assert answer.status_code == 200, (name, answer.status_code, answer.text[:300])
        await after()
    result = {
        "median": statistics.median(walls),
        "slowest": max(walls),
        "cpu": statistics.median(cpus),
        "runs": runs,
    }
    print(
        f"  {name}: median {result['median'] * 1000:.0f} ms, slowest "
        f"{result['slowest'] * 1000:.0f} ms, CPU {result['cpu'] * 1000:.0f} ms ({runs} runs)",
        flush=True,
    )
    return result


async def nothing() -> None:
    return None


async def measure(path: Path, runs: int, month: str, statement_month: str) -> None:
    url = f"sqlite://{path}"
    started = time.perf_counter()
    await migrate(url)
    print(f"  migrations checked/applied in {time.perf_counter() - started:.1f} s")
    app = create_app(
        Settings(
            port=0,
            database_url=url,
            secret_key="bench",
            debug=False,
            default_locale="zh_Hans",
            data_dir=path.parent / "startrip-growth-data",
        )
    )
    async with app.router.lifespan_context(app):
        from pwa.models import Account, Organisation, Statement, StatementLine
        from pwa.settlement import services as settlement

        transport = httpx.ASGITransport(app=app)
        async with growth.Browser(transport=transport, base_url="http://127.0.0.1") as staff:
            answer = await staff.submit(
                "/login", {"email": "programme@growth.test", "password": growth.PASSWORD}
            )
            assert answer.status_code == 303, answer.text[:300]
            page = await staff.get(f"/programme/reach?month={month}")
            assert page.status_code == 200, page.text[:300]
            print(f"  reach page {len(page.content):,} bytes")
            await timed(
                f"reach page /programme/reach?month={month}",
                lambda: staff.get(f"/programme/reach?month={month}"),
                runs,
                nothing,
            )
            await timed(
                f"reach CSV /programme/reach.csv?month={month}",
                lambda: staff.get(f"/programme/reach.csv?month={month}"),
                runs,
                nothing,
            )

            chain = await Organisation.get(name=growth.CHAINS[0][0])
            actor = await Account.get(email="programme@growth.test")
            year, number = (int(part) for part in statement_month.split("-"))
            first = date(year, number, 1)
            last = date(year + number // 12, number % 12 + 1, 1).toordinal() - 1
            last_day = date.fromordinal(last)
            made: list[int] = []

            async def make() -> Any:
                statement = await settlement.make_statement(chain, first, last_day, actor)
                made.append(statement.id)
                return statement

            async def undo() -> None:
                # Not timed: the next run makes the same statement again.
                while made:
                    statement_id = made.pop()
                    await StatementLine.filter(statement_id=statement_id).delete()
                    await Statement.filter(id=statement_id).delete()

            await timed(
                f"make the statement of {statement_month} for {chain.name}", make, runs, undo
            )
            statement = await make()
            lines = await StatementLine.filter(statement_id=statement.id).count()
            print(f"  the statement lists {lines:,} payments and reversals")
            await timed(
                "statement page /programme/statements/{id}",
                lambda: staff.get(f"/programme/statements/{statement.id}"),
                runs,
                nothing,
            )
            await timed(
                "statement CSV /programme/statements/{id}.csv",
                lambda: staff.get(f"/programme/statements/{statement.id}.csv"),
                runs,
                nothing,
            )
            made.append(statement.id)
            await undo()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--families", type=int, default=6000)
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--month", default="2026-11", help="the reach page's month")
    parser.add_argument("--statement-month", default="2026-10")
    args = parser.parse_args()
    path = growth.database_path(args.families)
    if not path.exists():
        print(f"Generating {path} ({args.families} families)…", flush=True)
        made = growth.generate(path, args.families)
        print(f"  generated in {made['seconds']:.1f} s")
    print(f"{path}: {path.stat().st_size / 2**20:,.0f} MB; Python {sys.version.split()[0]}")
    asyncio.run(measure(path, args.runs, args.month, args.statement_month))


if __name__ == "__main__":
    main()
