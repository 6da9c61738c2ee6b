"""HTTP load (issue 8): the person's phone's requests from many phones at once, against
`python -m pwa serve` in its own process, on SQLite and PostgreSQL, with 1 and 2 workers.

    .venv/bin/python bench/load.py            # the full run (about 8 minutes)
    .venv/bin/python bench/load.py --quick    # 8-second phases (about 4 minutes)
    .venv/bin/python bench/load.py --databases sqlite --workers 2

What one virtual phone is: a linked person phone (its own session cookie, CSRF token, sync
client_id and mutation numbers), as static/js/phone.js and outbox.js behave in a shop:

    list view   GET /lists/{id}/shop, the shopping list page as the phone opens it
    tick        POST /api/sync/push with one item.mark, then the GET /api/sync/pull that the
                phone makes right after every push (phone.js: change() → syncNow())
    trip step   POST /api/sync/push with one trip.event step_done, then the pull: trip mode
                steps through the plan on the phone (static/js/trip.js) and never loads a
                page per step, so a step's only server work is this push and pull
    sync push   one push of 20 item.marks (a phone back online), then the pull

Each phone picks one of these at random (MIX), makes its requests, waits a think time (THINK,
uniformly random), and goes again. The latency of each request is measured in the client
process, from sending to the last byte of the answer. The pulls are reported on a row of
their own, so "tick" and "trip step" are the push the person's change waits for.

The load runs in separate processes (this script started again with --as-client), never in
the server's. A second, closed-loop run (no think time, CLOSED_CLIENTS phones each sending
its next request as soon as the last one is answered) gives the most the configuration can
serve. Each run prints the client processes' CPU use, to show whether the client, not the
server, was the limit.

The data: FAMILIES families made through the service functions (a parent, a linked phone for
the person, a list of ITEMS items and a plan from the supermarket template), in a fresh SQLite
file or a fresh PostgreSQL database (LOAD_PG_URL, default startrip_load on 127.0.0.1).
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import json
import os
import random
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from pwa.auth import passwords

ROOT = Path(__file__).resolve().parent.parent
FAMILIES = 200
ITEMS = 15
# Seconds between one action and the next on one phone. A person in a shop ticks an item when
# they have found it, every 20-60 s or so; 1-3 s makes each virtual phone as busy as ten or
# more real ones, so the numbers have room to spare.
THINK = (1.0, 3.0)
# What a phone does, by weight: mostly ticking and stepping through the trip, now and then
# (re)opening the list, rarely coming back online with a queue of changes.
MIX = {"list view": 0.20, "tick": 0.45, "trip step": 0.30, "sync push": 0.05}
BATCH = 20
CLIENTS = (50, 200)
CLOSED_CLIENTS = 50
OPERATIONS = ("list view", "tick", "trip step", "sync push", "pull")
PG_URL = os.environ.get("LOAD_PG_URL", "postgres://startrip:startrip@127.0.0.1:5432/startrip_load")
SECRET = "bench-load-secret"
CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')
CURSOR_RE = re.compile(r'"cursor":\s*(\d+)')


# --- the data, made through the service functions ---------------------------------------------


async def prepare(database_url: str, families: int) -> list[dict[str, Any]]:
    """Migrate a fresh database and make the families; one dict per phone, with its link code."""
    from tortoise import Tortoise

    from pwa import i18n
    from pwa.accounts import services as accounts
    from pwa.app import install_urls
    from pwa.core.pictograms import catalogue
    from pwa.db import migrate, tortoise_config
    from pwa.lists import services as lists
    from pwa.models import Person
    from pwa.plans import services as plans

    install_urls()

    await migrate(database_url)
    await Tortoise.init(config=tortoise_config(database_url))
    # One argon2 hash for every parent (the same password): a real hash that verifies, made
    # once instead of 200 times, because password hashing is not what this bench measures.
    real_hash = passwords.hash_password
    passwords.hash_password = functools.cache(real_hash)  # type: ignore[assignment]
    codes = [p.code for p in catalogue().items][:ITEMS]
    phones = []
    try:
        for n in range(families):
            parent = await accounts.sign_up_parent(
                email=f"load{n}@example.test",
                password="bench-load-password",
                name=f"Parent {n}",
                phone="13800138000",
                person_name=f"Ming {n}",
                locale="zh_Hans",
            )
            family = (await parent.memberships.all().prefetch_related("family"))[0].family
            person = await Person.get(family=family)
            shopping_list = await lists.create_list(
                family, list_id=uuid.uuid4(), name="周六购物", person_id=str(person.id)
            )
            items = [
                await lists.add_item(
                    shopping_list, item_id=uuid.uuid4(), pictogram=code, quantity=1
                )
                for code in codes
            ]
            with i18n.use_locale("zh_Hans"):
                plan = await plans.create_plan(
                    family,
                    plan_id=uuid.uuid4(),
                    name="",
                    person_id=str(person.id),
                    template_id="supermarket",
                )
            steps = len(await plans.step_views(plan))
            phones.append(
                {
                    "code": await accounts.create_device_link(person, parent),
                    "family_id": str(family.id),
                    "list_id": str(shopping_list.id),
                    "item_ids": [str(item.id) for item in items],
                    "plan_id": str(plan.id),
                    "steps": steps,
                }
            )
    finally:
        passwords.hash_password = real_hash  # type: ignore[assignment]
        await Tortoise.close_connections()
    return phones


async def fresh_postgres(url: str) -> None:
    import asyncpg

    name = url.rsplit("/", 1)[1]
    admin = await asyncpg.connect(url.rsplit("/", 1)[0] + "/postgres")
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()


# --- the server -------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def process_tree_cpu(root_pid: int, database: str = "") -> float:
    """CPU seconds used so far by a process and its children (uvicorn's workers), from /proc,
    and by the PostgreSQL backends serving `database` (their title names it): the database's
    work is the server's work too."""
    parents: dict[int, int] = {}
    times: dict[int, float] = {}
    backends = 0.0
    tick = os.sysconf("SC_CLK_TCK")
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            title = (entry / "cmdline").read_bytes() if database else b""
        except OSError:
            continue
        parents[int(entry.name)] = int(fields[1])
        times[int(entry.name)] = (int(fields[11]) + int(fields[12])) / tick
        if database and title.startswith(b"postgres: ") and f" {database} ".encode() in title:
            backends += times[int(entry.name)]
    total, todo = backends, [root_pid]
    while todo:
        pid = todo.pop()
        total += times.get(pid, 0.0)
        todo += [child for child, parent in parents.items() if parent == pid]
    return total


def machine_busy() -> float:
    """CPU seconds all cores have spent busy since boot (/proc/stat): with the server's and the
    clients' own share taken off, what other programs on the machine used meanwhile."""
    fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + fields[4]  # idle and iowait
    return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")


@dataclass
class Server:
    database_url: str
    data_dir: Path
    workers: int
    log: Path
    port: int = 0
    process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def postgres_database(self) -> str:
        return (
            self.database_url.rsplit("/", 1)[1] if self.database_url.startswith("postgres") else ""
        )

    def start(self) -> None:
        self.port = free_port()
        env = {
            **os.environ,
            "DATA_DIR": str(self.data_dir),
            "DATABASE_URL": self.database_url,
            # Fixed, so the phones' session cookies stay valid from one server to the next.
            "SECRET_KEY": SECRET,
            "DEFAULT_LOCALE": "zh_Hans",
        }
        command = [sys.executable, "-m", "pwa", "serve", "--port", str(self.port)]
        command += ["--workers", str(self.workers)]
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT
            )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{self.url}/healthz", timeout=1).status_code == 200:
                    # With 2 workers the first answer comes from one of them: give the other
                    # its start too.
                    time.sleep(1.5 if self.workers > 1 else 0)
                    return
            except httpx.HTTPError:
                pass
            if self.process.poll() is not None:
                raise RuntimeError(f"the server stopped: see {self.log}")
            time.sleep(0.2)
        raise RuntimeError(f"the server did not answer: see {self.log}")

    def stop(self) -> None:
        if self.process is not None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
            self.process = None


# --- the load generator (runs in its own process: --as-client spec.json) ----------------------


class Phone:
    """One virtual person phone: its own cookie jar, CSRF token, client_id and outbox numbers."""

    def __init__(self, base_url: str, state: dict[str, Any]) -> None:
        self.state = state
        cookies = {"startrip_session": state["cookie"]} if state.get("cookie") else None
        # One connection per phone, kept open between requests as a browser does.
        self.http = httpx.AsyncClient(
            base_url=base_url,
            cookies=cookies,
            timeout=30,
            follow_redirects=False,
            limits=httpx.Limits(max_connections=1),
        )

    async def link(self) -> None:
        """Type the code and confirm, as on /link; then open the list page for the CSRF token,
        and start the trip (the first trip.event, as trip.js does)."""
        code = self.state["code"]
        page = await self.http.get(f"/link/{code}")
        token = CSRF_RE.search(page.text).group(1)
        answer = await self.http.post(f"/link/{code}", data={"csrf_token": token, "confirm": "yes"})
        assert answer.status_code == 303, (answer.status_code, answer.text[:300])
        page = await self.http.get(f"/lists/{self.state['list_id']}/shop")
        assert page.status_code == 200, page.status_code
        self.state.update(
            cookie=self.http.cookies.get("startrip_session"),
            csrf=CSRF_RE.search(page.text).group(1),
            cursor=int(CURSOR_RE.search(page.text).group(1)),
            client_id=str(uuid.uuid4()),
            next_mutation=1,
            trip_id=str(uuid.uuid4()),
            step=0,
        )
        status, _ = await self.push([self.trip_event("start", None)])
        assert status == 200, status

    def trip_event(self, kind: str, step: int | None) -> tuple[str, dict[str, Any]]:
        return "trip.event", {
            "id": str(uuid.uuid4()),
            "trip_id": self.state["trip_id"],
            "plan_id": self.state["plan_id"],
            "kind": kind,
            "step": step,
            "value": "",
        }

    def item_mark(self) -> tuple[str, dict[str, Any]]:
        return "item.mark", {
            "id": str(uuid.uuid4()),
            "list_id": self.state["list_id"],
            "item_id": random.choice(self.state["item_ids"]),
            "state": random.choice(("ticked", "ticked", "not_found", "cleared")),
        }

    async def push(self, changes: list[tuple[str, dict[str, Any]]]) -> tuple[int, str]:
        """One push as outbox.js sends it; (HTTP status, what went wrong or "")."""
        first = self.state["next_mutation"]
        now = datetime.now(UTC).isoformat()
        mutations = [
            {"mutation_id": first + n, "name": name, "args": {**args, "client_time": now}}
            for n, (name, args) in enumerate(changes)
        ]
        body = {
            "client_id": self.state["client_id"],
            "family_id": self.state["family_id"],
            "mutations": mutations,
        }
        answer = await self.http.post(
            "/api/sync/push", json=body, headers={"X-CSRF-Token": self.state["csrf"]}
        )
        if answer.status_code == 409:
            # A hole before this batch (an earlier push failed): go on from where the server is.
            self.state["next_mutation"] = answer.json()["last_mutation_id"] + 1
            return 409, "gap"
        if answer.status_code != 200:
            # Not applied, or not known: the next push sends the same numbers again.
            return answer.status_code, answer.text[:200]
        result = answer.json()
        self.state["next_mutation"] = result["last_mutation_id"] + 1
        refused = [r["error"] for r in result["results"] if r["status"] == "refused"]
        return 200, "; ".join(refused)

    async def pull(self) -> tuple[int, str]:
        params = {
            "client_id": self.state["client_id"],
            "cursor": self.state["cursor"],
            "family_id": self.state["family_id"],
        }
        answer = await self.http.get("/api/sync/pull", params=params)
        if answer.status_code != 200:
            return answer.status_code, answer.text[:200]
        self.state["cursor"] = answer.json()["cursor"]
        return 200, ""

    async def list_view(self) -> tuple[int, str]:
        answer = await self.http.get(f"/lists/{self.state['list_id']}/shop")
        ok = answer.status_code == 200 and self.state["list_id"] in answer.text
        return answer.status_code, "" if ok else answer.text[:200]


class Recorder:
    def __init__(self, started: float, until: float) -> None:
        self.started = started
        self.until = until
        self.samples: dict[str, list[float]] = {name: [] for name in OPERATIONS}
        self.errors: dict[str, int] = dict.fromkeys(OPERATIONS, 0)
        self.examples: list[str] = []

    async def timed(self, name: str, request: Callable[[], Awaitable[tuple[int, str]]]) -> None:
        sent = time.perf_counter()
        try:
            status, problem = await request()
        except httpx.HTTPError as exc:
            status, problem = 0, f"{type(exc).__name__}: {exc}"
        took = time.perf_counter() - sent
        if sent >= self.until:
            return
        self.samples[name].append(took)
        if status != 200 or problem:
            self.errors[name] += 1
            if len(self.examples) < 5:
                self.examples.append(f"{name}: {status} {problem}")


async def act(phone: Phone, rec: Recorder, operation: str) -> None:
    if operation == "list view":
        await rec.timed("list view", phone.list_view)
        return
    if operation == "tick":
        changes = [phone.item_mark()]
    elif operation == "trip step":
        step = phone.state["step"] % phone.state["steps"]
        phone.state["step"] += 1
        changes = [phone.trip_event("step_done", step)]
    else:
        changes = [phone.item_mark() for _ in range(BATCH)]
    await rec.timed(operation, lambda: phone.push(changes))
    await rec.timed("pull", phone.pull)


async def run_client(spec: dict[str, Any]) -> dict[str, Any]:
    random.seed(spec["seed"])
    phones = [Phone(spec["base_url"], state) for state in spec["phones"]]
    try:
        if spec["mode"] == "link":
            gate = asyncio.Semaphore(10)

            async def link(phone: Phone) -> None:
                async with gate:
                    await phone.link()

            await asyncio.gather(*(link(phone) for phone in phones))
            return {"phones": [phone.state for phone in phones]}
        think = spec["think"]
        server_before, machine_before = (
            process_tree_cpu(spec["server_pid"], spec["database"]),
            machine_busy(),
        )
        cpu_before, started = time.process_time(), time.perf_counter()
        # Each phone's first action comes at a random moment of the first think time, so
        # they do not all arrive together.
        rec = Recorder(started, started + spec["seconds"])
        names, weights = list(MIX), list(MIX.values())

        async def loop(phone: Phone) -> None:
            if think:
                await asyncio.sleep(random.uniform(0, think[1]))
            while time.perf_counter() < rec.until:
                await act(phone, rec, random.choices(names, weights)[0])
                if think:
                    await asyncio.sleep(random.uniform(*think))

        await asyncio.gather(*(loop(phone) for phone in phones))
        cpu, wall = time.process_time() - cpu_before, time.perf_counter() - started
        return {
            "phones": [phone.state for phone in phones],
            "samples": rec.samples,
            "errors": rec.errors,
            "examples": rec.examples,
            "cpu": cpu,
            "wall": wall,
            "server_cpu": process_tree_cpu(spec["server_pid"], spec["database"]) - server_before,
            "machine_busy": machine_busy() - machine_before,
        }
    finally:
        await asyncio.gather(*(phone.http.aclose() for phone in phones))


def client_process(spec_path: str) -> None:
    spec = json.loads(Path(spec_path).read_text())
    result = asyncio.run(run_client(spec))
    Path(spec["out"]).write_text(json.dumps(result))


# --- the orchestra ----------------------------------------------------------------------------


def run_clients(
    server: Server,
    phones: list[dict[str, Any]],
    mode: str,
    work: Path,
    processes: int = 1,
    seconds: float = 0,
    think: tuple[float, float] = THINK,
) -> dict[str, Any]:
    """Start `processes` client processes, each with its share of the phones; merge what they
    measured. The phones' states (cookies, mutation numbers, cursors) come back updated."""
    shares = [phones[n::processes] for n in range(processes)]
    running = []
    for n, share in enumerate(shares):
        spec = {
            "base_url": server.url,
            "server_pid": server.process.pid,
            "database": server.postgres_database,
            "phones": share,
            "mode": mode,
            "seconds": seconds,
            "think": think if mode == "think" else None,
            "seed": random.randrange(2**32),
            "out": str(work / f"client-{n}.out.json"),
        }
        path = work / f"client-{n}.json"
        path.write_text(json.dumps(spec))
        running.append(
            subprocess.Popen([sys.executable, __file__, "--as-client", str(path)], cwd=ROOT)
        )
    for process in running:
        if process.wait() != 0:
            raise RuntimeError("a client process failed")
    results = [json.loads((work / f"client-{n}.out.json").read_text()) for n in range(processes)]
    # Put the phones back in their order, with their new states.
    for n, result in enumerate(results):
        for k, state in enumerate(result["phones"]):
            phones[n + k * processes] = state
    if mode == "link":
        return {}
    return {
        "samples": {op: [t for r in results for t in r["samples"][op]] for op in OPERATIONS},
        "errors": {op: sum(r["errors"][op] for r in results) for op in OPERATIONS},
        "examples": [e for r in results for e in r["examples"]],
        "client_cpu": [r["cpu"] / r["wall"] for r in results],
        # Seen by the first client process over its own phase (they all run at once).
        "server_cpu": results[0]["server_cpu"] / results[0]["wall"],
        # Never below 0: the clock ticks of /proc/stat and of each process are rounded apart.
        "others_cpu": max(
            0.0,
            results[0]["machine_busy"] - results[0]["server_cpu"] - sum(r["cpu"] for r in results),
        )
        / results[0]["wall"],
        "seconds": seconds,
    }


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered)) - 1))]


def report(label: str, result: dict[str, Any]) -> list[str]:
    lines = []
    seconds = result["seconds"]
    total = sum(len(v) for v in result["samples"].values())
    for op in OPERATIONS:
        times = result["samples"][op]
        if not times:
            continue
        lines.append(
            f"{label:<34} {op:<10} {len(times) / seconds:>7.1f} "
            f"{statistics.median(times) * 1000:>7.1f} {percentile(times, 0.95) * 1000:>7.1f} "
            f"{max(times) * 1000:>7.1f} {result['errors'][op]:>6}"
        )
    cpu = "+".join(f"{c:.0%}" for c in result["client_cpu"])
    lines.append(
        f"{label:<34} {'all':<10} {total / seconds:>7.1f}   CPU in cores: server "
        f"{result['server_cpu']:.2f} ({result['server_cpu'] / total * seconds * 1000:.1f} ms a "
        f"request), client {cpu}, other programs {result['others_cpu']:.2f}"
    )
    for example in result["examples"]:
        lines.append(f"    error: {example}")
    return lines


def server_problems(log: Path) -> str:
    text = log.read_text(errors="replace")
    locked = text.count("database is locked")
    tracebacks = text.count("Traceback")
    return f"server log: {tracebacks} tracebacks, {locked} 'database is locked'"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="shorter phases (8 s, not 20 s)")
    parser.add_argument(
        "--seconds", type=float, default=None, help="length of each phase (default 20, or 8)"
    )
    parser.add_argument("--databases", nargs="+", default=["sqlite", "postgres"])
    parser.add_argument("--workers", nargs="+", type=int, default=[1, 2])
    parser.add_argument("--clients", nargs="*", type=int, default=list(CLIENTS))
    parser.add_argument(
        "--think", nargs=2, type=float, default=list(THINK), metavar=("LOW", "HIGH")
    )
    parser.add_argument("--client-processes", type=int, default=1)
    parser.add_argument("--closed-client-processes", type=int, default=1)
    parser.add_argument("--no-closed", action="store_true", help="skip the closed-loop run")
    parser.add_argument("--keep", action="store_true", help="keep the data folder and logs")
    args = parser.parse_args()
    seconds = args.seconds or (8.0 if args.quick else 20.0)
    families = max([*args.clients, CLOSED_CLIENTS])
    work = Path(tempfile.mkdtemp(prefix="startrip-load-"))
    header = (
        f"{'configuration':<34} {'operation':<10} {'req/s':>7} {'p50 ms':>7} {'p95 ms':>7} "
        f"{'max ms':>7} {'errors':>6}"
    )
    low, high = args.think
    print(
        f"think time {low:g}-{high:g} s, mix {MIX}, {seconds:g} s per phase, "
        f"{datetime.now():%Y-%m-%d %H:%M}"
    )
    print(f"work folder {work}")
    lines = [header]
    for database in args.databases:
        if database == "sqlite":
            url = f"sqlite://{work / 'sqlite' / 'startrip.sqlite3'}"
        else:
            url = PG_URL
            try:
                asyncio.run(fresh_postgres(url))
            except (OSError, ImportError) as exc:
                print(f"PostgreSQL skipped ({exc})")
                continue
        started = time.perf_counter()
        # In a process of its own: tortoise keeps each model's SQL once built, so a second
        # database of another kind in the same process would be sent the first one's SQL.
        made = work / f"phones-{database}.json"
        command = [sys.executable, __file__, "--as-preparer", url, str(families), str(made)]
        subprocess.run(command, cwd=ROOT, check=True)
        phones = json.loads(made.read_text())
        print(f"{database}: {families} families made in {time.perf_counter() - started:.0f} s")
        linked = False
        for workers in args.workers:
            log = work / f"server-{database}-{workers}.log"
            server = Server(url, work / database, workers, log)
            server.start()
            try:
                if not linked:
                    run_clients(server, phones, "link", work)
                    linked = True
                name = f"{database}, {workers} worker{'s' if workers > 1 else ''}"
                for clients in args.clients:
                    result = run_clients(
                        server,
                        phones[:clients],
                        "think",
                        work,
                        args.client_processes,
                        seconds,
                        tuple(args.think),
                    )
                    lines += (done := report(f"{name}, {clients} phones", result))
                    print("\n".join(done), flush=True)
                if not args.no_closed:
                    result = run_clients(
                        server,
                        phones[:CLOSED_CLIENTS],
                        "closed",
                        work,
                        args.closed_client_processes,
                        seconds,
                    )
                    lines += (done := report(f"{name}, closed loop {CLOSED_CLIENTS}", result))
                    print("\n".join(done), flush=True)
            finally:
                server.stop()
            lines.append(f"{database}, {workers} worker(s), {server_problems(log)}")
            print(lines[-1], flush=True)
    print()
    print("\n".join(lines))
    if not args.keep:
        import shutil

        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--as-client":
        client_process(sys.argv[2])
    elif len(sys.argv) == 5 and sys.argv[1] == "--as-preparer":
        made = asyncio.run(prepare(sys.argv[2], int(sys.argv[3])))
        Path(sys.argv[4]).write_text(json.dumps(made))
    else:
        main()
