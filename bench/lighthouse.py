"""Lighthouse mobile scores of the five pages of issue 8: login, and the person's home, shopping
list, trip step and pay screens, on the phone.

    make bench-lighthouse                      # installs Lighthouse in bench/lighthouse/
    .venv/bin/python bench/lighthouse.py       # 3 runs; --runs N for more

Starts the app on a fresh demo database and links Ming's phone in Debian's Chromium, as
bench/page_weight.py does (the parent makes a link code, the phone posts it). Then, per run,
bench/lighthouse/run.mjs runs Lighthouse with its default mobile settings (emulated Moto G
Power, simulated slow 4G, 4x CPU slowdown) on each page in a fresh headless Chromium that has
only the phone's session cookie. The trip step is trip mode reopened mid-trip: the trip is
started first, so the page shows its first step, as when the person comes back to it.

Prints the scores of every run and their range, and keeps the full report (Lighthouse's JSON)
of each page's median run, by performance, in bench/lighthouse/results/<page>.json.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

from demo_server import CHROMIUM, CHROMIUM_ARGS, ROOT, demo_server, link_phone
from playwright.sync_api import sync_playwright

HERE = Path(__file__).resolve().parent / "lighthouse"
RESULTS = HERE / "results"
# The demo's fixed ids (pwa/demo.py): Ming's list, plan and ¥50 voucher.
PAGES = [
    {"name": "login", "path": "/login", "phone": False},
    {"name": "home", "path": "/me", "phone": True},
    {"name": "list", "path": "/lists/5a7e0000-0000-4000-8000-000000000001/shop", "phone": True},
    {
        "name": "trip-step",
        "path": "/plans/5a7e0000-0000-4000-8002-000000000001/go",
        "phone": True,
        "trip_step": True,
    },
    {"name": "pay", "path": "/me/pay/5a7e0000-0000-4000-8003-000000000001", "phone": True},
]
CATEGORIES = ["performance", "accessibility", "best-practices"]


def phone_cookie(base: str) -> dict[str, str]:
    """Links Ming's phone and returns the phone's session cookie: Lighthouse then sees the
    person's screens, not the log-in page."""
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        cookies = link_phone(browser, base)
        browser.close()
    cookie = next(c for c in cookies if c["name"] == "startrip_session")
    return {"name": cookie["name"], "value": cookie["value"]}


def lighthouse_run(
    base: str, cookie: dict[str, str], out: Path, pages: list[dict[str, Any]]
) -> dict[str, dict[str, Any]]:
    """One Lighthouse run on every page; the reports go to `out`, the summaries are returned."""
    job = {
        "base": base,
        "cookie": cookie,
        "out": str(out),
        "chromium": CHROMIUM,
        # Chinese is the app's first language, as bench/page_weight.py's phone has it.
        "args": [*CHROMIUM_ARGS, "--lang=zh-CN", "--accept-lang=zh-CN"],
        "pages": pages,
    }
    done = subprocess.run(
        ["node", str(HERE / "run.mjs")],
        input=json.dumps(job),
        capture_output=True,
        text=True,
        cwd=HERE,
        env={**os.environ, "CHROME_PATH": CHROMIUM},
        check=False,
    )
    if done.returncode != 0:
        sys.exit(f"Lighthouse failed:\n{done.stderr}")
    summaries = [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]
    for summary in summaries:
        if summary["attempts"] > 1:
            print(f"({summary['name']}: Lighthouse had to run {summary['attempts']} times)")
        if summary["runtime_error"]:
            sys.exit(f"Lighthouse could not load {summary['name']}: {summary['runtime_error']}")
        if summary["name"] != "login" and "/login" in summary["final_url"]:
            # The cookie did not count: the scores would be the log-in page's.
            sys.exit(f"{summary['name']} was sent to the log-in page")
    return {s["name"]: s for s in summaries}


def score_range(values: list[float]) -> str:
    low, high = round(min(values) * 100), round(max(values) * 100)
    return f"{low}" if low == high else f"{low}–{high}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3, help="Lighthouse runs per page")
    names = [page["name"] for page in PAGES]
    parser.add_argument(
        "--pages", default=",".join(names), help=f"comma-separated, of: {', '.join(names)}"
    )
    args = parser.parse_args()
    pages = [page for page in PAGES if page["name"] in args.pages.split(",")]
    if not (HERE / "node_modules" / "lighthouse").is_dir():
        sys.exit("Lighthouse is not installed: run `make bench-lighthouse` first")

    with demo_server() as (base, folder):
        cookie = phone_cookie(base)
        runs: list[tuple[Path, dict[str, dict[str, Any]]]] = []
        header = f"{'run':<4} {'page':<10} " + " ".join(f"{c:>14}" for c in CATEGORIES)
        print(header + f" {'LCP':>8} {'TBT':>7}  not passed")
        for n in range(1, args.runs + 1):
            out = Path(folder) / f"run{n}"
            out.mkdir()
            summaries = lighthouse_run(base, cookie, out, pages)
            runs.append((out, summaries))
            for name, s in summaries.items():
                scores = " ".join(f"{round(s['scores'][c] * 100):>14}" for c in CATEGORIES)
                print(
                    f"{n:<4} {name:<10} {scores} {s['metrics']['lcp_ms']:>6.0f}ms"
                    f" {s['metrics']['tbt_ms']:>5.0f}ms  {', '.join(s['failing'])}",
                    flush=True,
                )

        RESULTS.mkdir(exist_ok=True)
        kept = RESULTS.relative_to(ROOT)
        print(f"\nover {args.runs} runs (the median run's report in {kept}/)")
        print(f"{'page':<10} " + " ".join(f"{c:>14}" for c in CATEGORIES))
        for page in pages:
            name = page["name"]
            mine = sorted(runs, key=lambda r: r[1][name]["scores"]["performance"])
            median_out = mine[(len(mine) - 1) // 2][0]
            shutil.copy(median_out / f"{name}.json", RESULTS / f"{name}.json")
            ranges = [score_range([r[1][name]["scores"][c] for r in runs]) for c in CATEGORIES]
            print(f"{name:<10} " + " ".join(f"{r:>14}" for r in ranges))


if __name__ == "__main__":
    main()
