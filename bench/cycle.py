"""Issue 19's cycle: many household members each add an item to one shared list, fetch the
list, then finish the item, closed loop, against `python -m pwa serve` in its own process.

    .venv/bin/python bench/cycle.py        # form add → pull → tick, 10 clients, 1 worker
    .venv/bin/python bench/cycle.py --clients 50 --workers 2
    .venv/bin/python bench/cycle.py --clients 50 --workers 2 --preload 0 2000 --repeat 3
    .venv/bin/python bench/cycle.py --add form sync --fetch pull page --finish tick remove
    .venv/bin/python bench/cycle.py --database postgres --duration 5   # at CYCLE_PG_URL

One cycle of one client (each client a browser or phone of its own: its own session cookie,
CSRF token, sync client_id, outbox numbers and pull cursor; all are sessions of the family's
one parent, logged in through /login before anything is measured):

    add     --add form: POST /lists/{id}/items as the picker's tile form sends it (item_id a
            new uuid, pictogram, quantity 1; answered 303). --add sync: POST /api/sync/push
            with one item.add, as static/js/outbox.js sends a change (planner.js's args)
    fetch   --fetch pull: GET /api/sync/pull from the client's own cursor, following "more";
            the answer must hold the item just added. --fetch page: GET /lists/{id}, the
            parent's list page
    finish  --finish tick: the item is ticked and stays on the list, as in the product: the
            shopping view's form (POST /lists/{id}/items/{item}/mark, state=ticked) or one
            item.mark push, as static/js/shopping.js sends it. --finish remove: the item
            is taken off, so the list stays short: the list page's form
            (POST …/items/{item}/remove) or one item.remove push. --finish-by form|sync says
            which way; by default the way the item was added

Each client starts its next cycle as soon as the last one ends (no think time). A warm-up
(--warmup, default 5 s) comes first, then the measured window (--duration, 30 s); a cycle still
going at its end is finished but not counted. A request counts when its answer came within
the window; its latency is measured in the client process, from sending to the last byte.
Every answer is checked: the status (303 for a form, 200 otherwise), the form's notice (a
refused form answers 303 too, with a warning it keeps in the session for the next page), each
pushed mutation "applied", and a pull holding the client's own new item. Anything else, and
any exception, is an error.

The session cookie a client sends is the one it had after logging in and opening the picker
(with its CSRF token and the privacy notice it has agreed to): a form's answer puts its
notice in the cookie for the next page, which a browser shows when it follows the redirect.
These clients do not follow it (the fetch step is the request that reads the list), so a
cookie kept from answers would grow by a notice a cycle and be sent, checked and written
again on every request.

Server CPU: user + system time of the server process and all its workers (and the
PostgreSQL backends serving the database), read from /proc at the start and the end of the
window by this script's own process (it does nothing else meanwhile), divided by the requests
answered in the window. The clients run in separate processes (this script again, with
--as-client; --client-processes to use more than one); their CPU over the same window is
printed as the share of a core each used, so a client near 100 % shows the client, not the
server, was the limit. "Others" is what the rest of the machine used meanwhile.

Each run has a fresh database, copied from one migrated at the start: a SQLite file in a new
data folder, or (--database postgres) the database of CYCLE_PG_URL made again. The family
(one parent, one person) and its list are made through the service functions, with --preload
items on it, each ticked. After each run the database is checked: every item a client added
is on the list exactly once, with its picture and quantity, and no other; every tick is
there exactly once (one mark a ticked item); every removal is applied and nothing else
removed; each sync client's last applied mutation is the last it sent. Given more than one
value, --add, --fetch, --finish and --preload make one run of each combination, alternated
round by round (--repeat K: K rounds). The script exits non-zero on an error or a mismatch.
At the end, a markdown summary of every run.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import binascii
import http.cookiejar
import itertools
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
import zlib
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

import lighthttp  # noqa: E402
import load  # noqa: E402

PG_URL = os.environ.get(
    "CYCLE_PG_URL", "postgres://startrip_test:startrip_test@127.0.0.1:5432/startrip_cycle"
)
EMAIL = "cycle@example.test"
PASSWORD = "bench-cycle-password"
COOKIE = "startrip_session"
# Tries in flight at one account are counted by the login throttle (pwa/auth/throttle.py,
# five free): the clients log in a few at a time.
LOGINS_AT_ONCE = 3
# After an error (a server that went away), a pause, so a client does not spin.
ERROR_PAUSE = 0.1
# Seconds between one client's connecting and the next's (connect_all).
CONNECT_SPACING = 0.02


# --- the data, made through the service functions (--as-preparer) -----------------------------


async def prepare(database_url: str, preload: int) -> dict[str, Any]:
    """In a migrated empty database, one family (a parent who has agreed to the privacy notice,
    one person) with one list of `preload` ticked items."""
    from tortoise import Tortoise
    from tortoise.transactions import in_transaction

    from pwa.accounts import consent
    from pwa.accounts import services as accounts
    from pwa.app import install_urls
    from pwa.core.pictograms import catalogue
    from pwa.db import tortoise_config
    from pwa.lists import services as lists
    from pwa.models import Family, Person, current_change_seq

    install_urls()
    await Tortoise.init(config=tortoise_config(database_url))
    try:
        parent = await accounts.sign_up_parent(
            email=EMAIL,
            password=PASSWORD,
            name="Li Hua",
            phone="13800138000",
            person_name="Ming",
            locale="zh_Hans",
        )
        family = await Family.get(memberships__account=parent)
        person = await Person.get(family=family)
        await consent.record(parent, occasion="sign_up", family_id=family.id, person_id=person.id)
        shopping_list = await lists.create_list(
            family, list_id=uuid.uuid4(), name="家里的购物单", person_id=str(person.id)
        )
        codes = [picture.code for picture in catalogue().items]
        preloaded = []
        async with in_transaction():
            for n in range(preload):
                item = await lists.add_item(
                    shopping_list, item_id=uuid.uuid4(), pictogram=codes[n % len(codes)]
                )
                await lists.mark_item(item, mark_id=uuid.uuid4(), state="ticked")
                preloaded.append(str(item.id))
        return {
            "family_id": str(family.id),
            "list_id": str(shopping_list.id),
            "codes": codes,
            "preloaded": preloaded,
            # Where the clients' cursors start: a device that has synced the list before.
            "cursor": await current_change_seq(),
        }
    finally:
        await Tortoise.close_connections()


# --- the database check (--as-checker) ---------------------------------------------------------


async def check(database_url: str, prepared: dict[str, Any], ledger: dict[str, Any]) -> list[str]:
    """What the clients did against what the database holds: the mismatches, in words."""
    from tortoise import Tortoise

    from pwa.db import tortoise_config
    from pwa.models import ItemMark, ListItem, SyncClient

    await Tortoise.init(config=tortoise_config(database_url))
    try:
        items = await ListItem.filter(list_id=prepared["list_id"]).values_list(
            "id", "pictogram", "quantity", "deleted_at"
        )
        marks = await ItemMark.filter(item__list_id=prepared["list_id"]).values_list(
            "id", "item_id", "state"
        )
        clients = dict(
            await SyncClient.filter(id__in=list(ledger["mutations"])).values_list(
                "id", "last_mutation_id"
            )
        )
    finally:
        await Tortoise.close_connections()
    problems: list[str] = []

    def problem(text: str) -> None:
        if len(problems) < 20:
            problems.append(text)

    found = {str(row_id): (code, quantity, deleted) for row_id, code, quantity, deleted in items}
    preloaded = set(prepared["preloaded"])
    added = {item_id: code for item_id, code, ok in ledger["adds"] if ok}
    unsure = {item_id for item_id, _code, ok in ledger["adds"] if not ok}
    removed = {item_id for item_id, ok in ledger["removes"] if ok}
    removed_unsure = {item_id for item_id, ok in ledger["removes"] if not ok}
    for item_id, code in added.items():
        if item_id not in found:
            problem(f"added item {item_id} is not on the list")
        elif found[item_id][:2] != (code, 1):
            problem(f"added item {item_id} is {found[item_id][:2]}, not ({code!r}, 1)")
    for item_id in set(found) - set(added) - unsure - preloaded:
        problem(f"item {item_id} is on the list, but no client added it")
    for item_id in preloaded - set(found):
        problem(f"preloaded item {item_id} is gone")
    for item_id, (_code, _quantity, deleted) in found.items():
        if item_id in removed and deleted is None:
            problem(f"item {item_id} was removed, but is still on the list")
        if item_id not in removed | removed_unsure and deleted is not None:
            problem(f"item {item_id} was taken off the list, but no client removed it")
    marks_of: dict[str, list[tuple[str, str]]] = {}
    for mark_id, item_id, state in marks:
        marks_of.setdefault(str(item_id), []).append((str(mark_id), str(state)))
    ticked = {item_id: mark_id for item_id, mark_id, ok in ledger["ticks"] if ok}
    ticked_unsure = {item_id for item_id, _mark, ok in ledger["ticks"] if not ok}
    for item_id, mark_id in ticked.items():
        if marks_of.get(item_id) != [(mark_id, "ticked")]:
            problem(
                f"item {item_id} was ticked once ({mark_id}); its marks: {marks_of.get(item_id)}"
            )
    for item_id, its_marks in marks_of.items():
        if item_id in preloaded:
            if len(its_marks) != 1:
                problem(f"preloaded item {item_id} has {len(its_marks)} marks, not 1")
        elif item_id not in ticked and item_id not in ticked_unsure:
            problem(f"item {item_id} has marks {its_marks}, but no client ticked it")
    for client_id, sent in ledger["mutations"].items():
        applied = clients.get(uuid.UUID(client_id), 0)
        if applied != sent:
            problem(f"sync client {client_id} sent {sent} mutations; the server applied {applied}")
    return problems


# --- the clients (run in their own processes: --as-client spec.json) --------------------------


def refuse_all() -> http.cookiejar.CookieJar:
    return http.cookiejar.CookieJar(http.cookiejar.DefaultCookiePolicy(allowed_domains=[]))


def decoded(cookie: str) -> dict[str, Any]:
    """What a session cookie holds (Starlette's: base64 JSON, then the signature)."""
    try:
        found = json.loads(base64.b64decode(cookie.split(".", 1)[0]))
    except (binascii.Error, ValueError):
        return {}
    return found if isinstance(found, dict) else {}


def session_of(answer: Any) -> dict[str, Any]:
    """The session the server wrote into the answer's cookie: where a form's notice goes."""
    for header in answer.headers.get_list("set-cookie"):
        name, _eq, rest = header.partition("=")
        if name.strip() == COOKIE:
            return decoded(rest.split(";", 1)[0])
    return {}


def warnings_in(answer: Any) -> str:
    notices = session_of(answer).get("notices", [])
    return "; ".join(n.get("text", "") for n in notices if n.get("kind") != "success")


Outcome = tuple[bool, str]  # (as expected, what was wrong)


class Client:
    """One member of the household: a browser of the parent's (its own session), or the same
    browser's outbox when it adds and finishes by sync."""

    def __init__(
        self, base_url: str, state: dict[str, Any], timeout: float, light: bool = False
    ) -> None:
        self.state = state
        fixed = state.get("cookie")
        self.http: Any
        if light and fixed:
            # Measuring: lighthttp.py's client, which leaves the server the CPU httpx took.
            self.http = lighthttp.Connection(
                base_url, timeout=timeout, headers={"Cookie": f"{COOKIE}={fixed}"}
            )
            return
        # One connection per client, kept open between requests as a browser does.
        self.http = httpx.AsyncClient(
            base_url=base_url,
            timeout=timeout,
            follow_redirects=False,
            limits=httpx.Limits(max_connections=1),
            # Measuring, the session cookie stays the one logging in made (module docstring).
            cookies=refuse_all() if fixed else None,
            headers={"Cookie": f"{COOKIE}={fixed}"} if fixed else None,
        )

    async def log_in(self) -> None:
        """Log in as the parent, open the picker (its add forms' CSRF token; the privacy
        notice agreed to is remembered in the session) and make the sync client with a
        first pull."""
        page = await self.http.get("/login")
        token = load.CSRF_RE.search(page.text).group(1)  # type: ignore[union-attr]
        answer = await self.http.post(
            "/login", data={"csrf_token": token, "email": EMAIL, "password": PASSWORD}
        )
        assert answer.status_code == 303, (answer.status_code, answer.text[:300])
        page = await self.http.get(f"/lists/{self.state['list_id']}/add")
        assert page.status_code == 200, (page.status_code, page.text[:300])
        cookie = self.http.cookies.get(COOKIE)
        self.state.update(
            cookie=cookie,
            csrf=load.CSRF_RE.search(page.text).group(1),  # type: ignore[union-attr]
            client_id=str(uuid.uuid4()),
            next_mutation=1,
        )
        # Without "notice", every request would ask the database again (ConsentGate).
        kept = decoded(cookie or "")
        assert {"key", "csrf", "notice"} <= set(kept), f"the session holds only {sorted(kept)}"
        ok, problem = await self.pull()
        assert ok, problem

    # -- the requests; each returns (as expected, what was wrong) --

    async def form(self, path: str, fields: dict[str, str], notice: bool) -> Outcome:
        answer = await self.http.post(path, data={"csrf_token": self.state["csrf"], **fields})
        if answer.status_code != 303:
            return False, f"{answer.status_code} {answer.text[:200]}"
        if warning := warnings_in(answer):
            return False, f"refused: {warning}"
        if notice and not session_of(answer).get("notices"):
            return False, "no notice in the answer"
        return True, ""

    async def push(self, name: str, args: dict[str, Any]) -> Outcome:
        """One change as outbox.js sends it: {client_id, family_id, mutations: [entry]}."""
        now = datetime.now(UTC).isoformat()
        entry = {
            "mutation_id": self.state["next_mutation"],
            "name": name,
            "args": {**args, "client_time": now},
            "client_time": now,
        }
        body = {
            "client_id": self.state["client_id"],
            "family_id": self.state["family_id"],
            "mutations": [entry],
        }
        answer = await self.http.post(
            "/api/sync/push", json=body, headers={"X-CSRF-Token": self.state["csrf"]}
        )
        if answer.status_code != 200:
            return False, f"{answer.status_code} {answer.text[:200]}"
        result = answer.json()
        self.state["next_mutation"] = result["last_mutation_id"] + 1
        statuses = [(r["status"], r.get("error", "")) for r in result["results"]]
        if statuses != [("applied", "")]:
            return False, f"{name}: {statuses}"
        return True, ""

    async def pull(self, expect: str = "") -> Outcome:
        """GET /api/sync/pull from this client's cursor, every page of it ("more")."""
        seen = False
        while True:
            params = {
                "client_id": self.state["client_id"],
                "cursor": self.state["cursor"],
                "family_id": self.state["family_id"],
            }
            answer = await self.http.get("/api/sync/pull", params=params)
            if answer.status_code != 200:
                return False, f"{answer.status_code} {answer.text[:200]}"
            data = answer.json()
            self.state["cursor"] = data["cursor"]
            seen = seen or any(row["id"] == expect for row in data["rows"]["items"])
            if not data["more"]:
                break
        if expect and not seen:
            return False, f"the pull does not hold the item just added ({expect})"
        return True, ""

    async def page(self) -> Outcome:
        answer = await self.http.get(f"/lists/{self.state['list_id']}")
        if answer.status_code != 200 or self.state["list_id"] not in answer.text:
            return False, f"{answer.status_code} {answer.text[:200]}"
        return True, ""

    # -- the cycle's steps, by form or by sync --

    async def add(self, item_id: str, code: str, by: str) -> Outcome:
        list_id = self.state["list_id"]
        if by == "form":
            # The picker's tile form, which comes back to the picker.
            fields = {"item_id": item_id, "pictogram": code, "quantity": "1"}
            fields["next"] = f"/lists/{list_id}/add"
            return await self.form(f"/lists/{list_id}/items", fields, notice=True)
        args = {"id": item_id, "list_id": list_id, "pictogram": code, "quantity": 1}
        return await self.push("item.add", args)

    async def tick(self, item_id: str, mark_id: str, by: str) -> Outcome:
        list_id = self.state["list_id"]
        if by == "form":
            path = f"/lists/{list_id}/items/{item_id}/mark"
            return await self.form(path, {"mark_id": mark_id, "state": "ticked"}, notice=False)
        args = {"id": mark_id, "list_id": list_id, "item_id": item_id, "state": "ticked"}
        return await self.push("item.mark", {**args, "plan_b": ""})

    async def remove(self, item_id: str, by: str) -> Outcome:
        if by == "form":
            path = f"/lists/{self.state['list_id']}/items/{item_id}/remove"
            return await self.form(path, {}, notice=True)
        return await self.push("item.remove", {"id": item_id})


class Recorder:
    """Latencies of the answers that came within the window; errors whenever they came."""

    def __init__(self, start: float, until: float, kinds: list[str]) -> None:
        self.start = start
        self.until = until
        self.samples: dict[str, list[float]] = {kind: [] for kind in kinds}
        self.errors: dict[str, int] = dict.fromkeys(kinds, 0)
        self.examples: list[str] = []
        self.cycles = 0

    def inside(self, moment: float) -> bool:
        return self.start <= moment < self.until

    async def timed(self, kind: str, request: Callable[[], Awaitable[Outcome]]) -> bool:
        sent = time.monotonic()
        try:
            ok, problem = await request()
        except (
            httpx.HTTPError,
            OSError,
            EOFError,
            TimeoutError,
            ValueError,
            KeyError,
            TypeError,
            zlib.error,
            asyncio.LimitOverrunError,
        ) as exc:
            ok, problem = False, f"{type(exc).__name__}: {exc}"
        done = time.monotonic()
        if self.inside(done):
            self.samples[kind].append(done - sent)
        if not ok:
            self.errors[kind] += 1
            if len(self.examples) < 5:
                self.examples.append(f"{kind}: {problem}")
            await asyncio.sleep(ERROR_PAUSE)
        return ok


def kinds_of(modes: dict[str, str]) -> list[str]:
    fetch = "pull" if modes["fetch"] == "pull" else "list page"
    if modes["finish_by"] == "form":
        finish = f"{modes['finish']} (form)"
    else:
        finish = "tick (item.mark)" if modes["finish"] == "tick" else "remove (item.remove)"
    return ["add (form)" if modes["add"] == "form" else "add (item.add)", fetch, finish]


async def one_cycle(
    client: Client, rec: Recorder, modes: dict[str, str], codes: list[str], ledger: Any
) -> None:
    add_kind, fetch_kind, finish_kind = kinds_of(modes)
    item_id, code = str(uuid.uuid4()), random.choice(codes)
    added = await rec.timed(add_kind, lambda: client.add(item_id, code, modes["add"]))
    ledger["adds"].append([item_id, code, added])
    if not added:
        return
    if modes["fetch"] == "pull":
        await rec.timed(fetch_kind, lambda: client.pull(expect=item_id))
    else:
        await rec.timed(fetch_kind, client.page)
    by = modes["finish_by"]
    if modes["finish"] == "tick":
        mark_id = str(uuid.uuid4())
        ticked = await rec.timed(finish_kind, lambda: client.tick(item_id, mark_id, by))
        ledger["ticks"].append([item_id, mark_id, ticked])
    else:
        removed = await rec.timed(finish_kind, lambda: client.remove(item_id, by))
        ledger["removes"].append([item_id, removed])
    if rec.inside(time.monotonic()):
        rec.cycles += 1


async def log_in_all(clients: list[Client]) -> None:
    gate = asyncio.Semaphore(LOGINS_AT_ONCE)

    async def one(client: Client) -> None:
        async with gate:
            await client.log_in()

    await asyncio.gather(*(one(client) for client in clients))


async def connect_all(clients: list[Client]) -> None:
    """Each client's connection, opened before the window, one after another as phones come
    and go, not all in the same millisecond: uvicorn's workers share one listening socket,
    and a burst of connections goes mostly to whichever worker wakes first (41 of 50 to one
    worker in a run measured so), whose clients then wait twice as long. A connection stays
    with its worker for the run (kept alive 75 s)."""
    for client in clients:
        if isinstance(client.http, lighthttp.Connection):
            await client.http.connect()
            await asyncio.sleep(CONNECT_SPACING)


async def run_client(spec: dict[str, Any]) -> dict[str, Any]:
    random.seed(spec["seed"])
    light = spec["mode"] != "login" and spec.get("client", "light") == "light"
    clients = [Client(spec["base_url"], state, spec["timeout"], light) for state in spec["clients"]]
    try:
        if spec["mode"] == "login":
            await log_in_all(clients)
            return {"clients": [client.state for client in clients]}
        await connect_all(clients)
        # Ready: the orchestra sends the moment to start (time.monotonic, shared by every
        # process of the machine) when every client process is.
        print("ready", flush=True)
        start = float(sys.stdin.readline())
        modes, codes = spec["modes"], spec["codes"]
        t0 = start + spec["warmup"]
        rec = Recorder(t0, t0 + spec["duration"], kinds_of(modes))
        ledger: dict[str, list[Any]] = {"adds": [], "ticks": [], "removes": []}
        await asyncio.sleep(max(0.0, start - time.monotonic()))

        async def loop(client: Client) -> None:
            while time.monotonic() < rec.until:
                await one_cycle(client, rec, modes, codes, ledger)

        await asyncio.gather(*(loop(client) for client in clients))
        return {
            "clients": [client.state for client in clients],
            "samples": rec.samples,
            "errors": rec.errors,
            "examples": rec.examples,
            "cycles": rec.cycles,
            "ledger": ledger,
        }
    finally:
        await asyncio.gather(*(client.http.aclose() for client in clients))


# --- the orchestra ----------------------------------------------------------------------------


def in_process(*args: str) -> None:
    """This script again in a process of its own: tortoise keeps each model's SQL once built,
    so a second database of another kind (or the same run's) must not share a process."""
    subprocess.run([sys.executable, __file__, *args], cwd=ROOT, check=True)


def cpu_now(server: load.Server, clients: list[subprocess.Popen[str]]) -> dict[str, Any]:
    assert server.process is not None
    return {
        "server": load.process_tree_cpu(server.process.pid, server.postgres_database),
        "clients": [load.process_tree_cpu(process.pid) for process in clients],
        "machine": load.machine_busy(),
    }


def start_clients(
    server: load.Server, states: list[dict[str, Any]], spec: dict[str, Any], work: Path, n: int
) -> list[subprocess.Popen[str]]:
    running = []
    for k in range(n):
        share = {
            **spec,
            "base_url": server.url,
            "clients": states[k::n],
            "seed": random.randrange(2**32),
            "out": str(work / f"client-{k}.out.json"),
        }
        path = work / f"client-{k}.json"
        path.write_text(json.dumps(share))
        command = [sys.executable, __file__, "--as-client", str(path)]
        running.append(
            subprocess.Popen(
                command, cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
            )
        )
    return running


def results_of(running: list[subprocess.Popen[str]], work: Path) -> list[dict[str, Any]]:
    for process in running:
        if process.wait() != 0:
            raise RuntimeError("a client process failed")
    return [json.loads((work / f"client-{k}.out.json").read_text()) for k in range(len(running))]


def sleep_until(moment: float) -> None:
    time.sleep(max(0.0, moment - time.monotonic()))


def migrated(database: str, work: Path) -> str:
    """An empty migrated database, copied for each run: migrating takes 10-15 s here."""
    if database == "sqlite":
        url = f"sqlite://{work / 'template.sqlite3'}"
    else:
        url = f"{PG_URL}_template"
        asyncio.run(load.fresh_postgres(url))
    command = [sys.executable, "-m", "pwa", "migrate"]
    env = {**os.environ, "DATABASE_URL": url, "DATA_DIR": str(work)}
    subprocess.run(command, cwd=ROOT, env=env, check=True)
    return url


async def copy_postgres(url: str, template: str, drop_only: bool = False) -> None:
    import asyncpg  # type: ignore[import-untyped]

    name, template_name = url.rsplit("/", 1)[1], template.rsplit("/", 1)[1]
    admin = await asyncpg.connect(url.rsplit("/", 1)[0] + "/postgres")
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        if not drop_only:
            await admin.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template_name}"')
    finally:
        await admin.close()


def fresh_database(template: str, data: Path) -> str:
    data.mkdir()
    if not template.startswith("sqlite://"):
        asyncio.run(copy_postgres(PG_URL, template))
        return PG_URL
    source = Path(template.removeprefix("sqlite://"))
    for suffix in ("", "-wal"):
        if Path(f"{source}{suffix}").exists():
            shutil.copyfile(f"{source}{suffix}", data / f"startrip.sqlite3{suffix}")
    return f"sqlite://{data / 'startrip.sqlite3'}"


def one_run(
    args: argparse.Namespace, template: str, modes: dict[str, str], preload: int
) -> dict[str, Any]:
    """A fresh database, the server, the clients logged in, warm-up, the window, the check."""
    work = Path(tempfile.mkdtemp(prefix="startrip-cycle-"))
    url = fresh_database(template, work / "data")
    in_process("--as-preparer", url, str(preload), str(work / "prepared.json"))
    prepared = json.loads((work / "prepared.json").read_text())
    server = load.Server(url, work / "data", args.workers, work / "server.log")
    server.start()
    try:
        base = {
            "list_id": prepared["list_id"],
            "family_id": prepared["family_id"],
            "cursor": prepared["cursor"],
        }
        states = [dict(base) for _ in range(args.clients)]
        spec = {"mode": "login", "timeout": args.timeout}
        login = start_clients(server, states, spec, work, 1)
        states = results_of(login, work)[0]["clients"]
        spec = {
            "mode": "run",
            "client": args.client,
            "timeout": args.timeout,
            "modes": modes,
            "codes": prepared["codes"],
            "warmup": args.warmup,
            "duration": args.duration,
        }
        running = start_clients(server, states, spec, work, args.client_processes)
        for process in running:
            assert process.stdout is not None and process.stdout.readline().strip() == "ready"
        start = time.monotonic() + 0.05
        for process in running:
            assert process.stdin is not None
            process.stdin.write(f"{start}\n")
            process.stdin.flush()
        sleep_until(start + args.warmup)
        before = cpu_now(server, running)
        sleep_until(start + args.warmup + args.duration)
        after = cpu_now(server, running)
        results = results_of(running, work)
    finally:
        server.stop()
    log_problems = load.server_problems(work / "server.log")
    states = [state for result in results for state in result["clients"]]
    ledger = {
        key: [entry for result in results for entry in result["ledger"][key]]
        for key in ("adds", "ticks", "removes")
    }
    sent = {state["client_id"]: state["next_mutation"] - 1 for state in states}
    (work / "ledger.json").write_text(json.dumps({**ledger, "mutations": sent}))
    in_process("--as-checker", url, str(work / "prepared.json"), str(work / "ledger.json"))
    problems = json.loads((work / "ledger.json.check").read_text())
    kinds = kinds_of(modes)
    client_cpu = [b - a for a, b in zip(before["clients"], after["clients"], strict=True)]
    server_cpu = after["server"] - before["server"]
    run = {
        "cycle": " → ".join(kinds),
        "config": f"{args.clients} clients / {args.workers} worker{'s' * (args.workers > 1)}",
        "database": args.database,
        "preload": preload,
        "seconds": args.duration,
        "samples": {k: [t for r in results for t in r["samples"][k]] for k in kinds},
        "errors": {k: sum(r["errors"][k] for r in results) for k in kinds},
        "examples": [e for r in results for e in r["examples"]],
        "cycles": sum(r["cycles"] for r in results),
        "server_cpu": server_cpu,
        "client_cpu": client_cpu,
        "others_cpu": max(0.0, after["machine"] - before["machine"] - server_cpu - sum(client_cpu)),
        "added": sum(1 for _id, _code, ok in ledger["adds"] if ok),
        "problems": problems,
        "log": log_problems,
    }
    if args.keep:
        print(f"kept {work}")
    else:
        shutil.rmtree(work, ignore_errors=True)
    return run


def ms(values: list[float], share: float) -> str:
    return f"{load.percentile(values, share) * 1000:.0f}" if values else "-"


def totals(run: dict[str, Any]) -> dict[str, Any]:
    every = [t for times in run["samples"].values() for t in times]
    requests = len(every)
    return {
        "every": every,
        "requests": requests,
        "rps": requests / run["seconds"],
        "cps": run["cycles"] / run["seconds"],
        "cpu_ms": run["server_cpu"] / requests * 1000 if requests else float("nan"),
        "errors": sum(run["errors"].values()),
    }


def print_run(number: int, run: dict[str, Any]) -> None:
    seconds = run["seconds"]
    print(
        f"\nrun {number}: {run['cycle']}, {run['config']}, {run['database']}, "
        f"{run['preload']} ticked items before, {run['added']} added"
    )
    print(f"  {'request':<22} {'req/s':>7} {'p50 ms':>7} {'p95 ms':>7} {'p99 ms':>7} {'errors':>6}")
    for kind, times in run["samples"].items():
        print(
            f"  {kind:<22} {len(times) / seconds:>7.1f} {ms(times, 0.5):>7} {ms(times, 0.95):>7} "
            f"{ms(times, 0.99):>7} {run['errors'][kind]:>6}"
        )
    t = totals(run)
    every = t["every"]
    print(
        f"  {'all':<22} {t['rps']:>7.1f} {ms(every, 0.5):>7} {ms(every, 0.95):>7} "
        f"{ms(every, 0.99):>7} {t['errors']:>6}   ({t['cps']:.1f} cycles/s)"
    )
    client = " + ".join(f"{c / seconds:.0%}" for c in run["client_cpu"])
    print(
        f"  CPU: server {t['cpu_ms']:.1f} ms a request ({run['server_cpu'] / seconds:.2f} cores), "
        f"client {client} of a core, others {run['others_cpu'] / seconds:.2f} cores"
    )
    if any(c / seconds > 0.8 for c in run["client_cpu"]):
        print("  (a client process was near a full core: it may have been the limit)")
    for example in run["examples"]:
        print(f"  error: {example}")
    print(f"  {run['log']}")
    print("  database check: " + ("OK" if not run["problems"] else "MISMATCH"))
    for problem in run["problems"]:
        print(f"    {problem}")


def print_summary(runs: list[dict[str, Any]]) -> None:
    print(f"\n{datetime.now():%Y-%m-%d %H:%M}, {runs[0]['seconds']:g} s a run\n")
    print(
        "| run | cycle | config | database | items before | req/s | cycles/s | p50 / p95 / p99 ms "
        "| server CPU a request | client CPU | errors | check |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for number, run in enumerate(runs, 1):
        t = totals(run)
        every = t["every"]
        client = " + ".join(f"{c / run['seconds']:.0%}" for c in run["client_cpu"])
        print(
            f"| {number} | {run['cycle']} | {run['config']} | {run['database']} | "
            f"{run['preload']:,} | {t['rps']:.1f} | {t['cps']:.1f} | "
            f"{ms(every, 0.5)} / {ms(every, 0.95)} / {ms(every, 0.99)} | {t['cpu_ms']:.1f} ms | "
            f"{client} | {t['errors']} | {'OK' if not run['problems'] else 'MISMATCH'} |"
        )
    print("\n| run | request | req/s | p50 ms | p95 ms | p99 ms | errors |")
    print("|---|---|---|---|---|---|---|")
    for number, run in enumerate(runs, 1):
        for kind, times in run["samples"].items():
            print(
                f"| {number} | {kind} | {len(times) / run['seconds']:.1f} | {ms(times, 0.5)} | "
                f"{ms(times, 0.95)} | {ms(times, 0.99)} | {run['errors'][kind]} |"
            )
    if len(runs) > 1:
        # The same cycle and preload over the rounds: the spread of the server CPU.
        groups: dict[tuple[str, int], list[float]] = {}
        for run in runs:
            groups.setdefault((run["cycle"], run["preload"]), []).append(totals(run)["cpu_ms"])
        print("\n| cycle | items before | server CPU a request, median (range) |")
        print("|---|---|---|")
        for (cycle, preload), cpu in groups.items():
            print(
                f"| {cycle} | {preload:,} | {statistics.median(cpu):.1f} ms "
                f"({min(cpu):.1f}–{max(cpu):.1f}) |"
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--add", nargs="+", choices=("form", "sync"), default=["form"])
    parser.add_argument("--fetch", nargs="+", choices=("pull", "page"), default=["pull"])
    parser.add_argument("--finish", nargs="+", choices=("tick", "remove"), default=["tick"])
    parser.add_argument(
        "--finish-by",
        choices=("form", "sync"),
        default=None,
        help="how the item is ticked or removed (default: the way it was added)",
    )
    parser.add_argument("--clients", type=int, default=10)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--client-processes", type=int, default=1)
    parser.add_argument("--duration", type=float, default=30.0, help="seconds measured a run")
    parser.add_argument("--warmup", type=float, default=5.0, help="seconds before the window")
    parser.add_argument(
        "--preload", nargs="+", type=int, default=[0], help="ticked items on the list at start"
    )
    parser.add_argument("--repeat", type=int, default=1, help="rounds of every run, alternated")
    parser.add_argument("--database", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--timeout", type=float, default=60.0, help="seconds a request may take")
    parser.add_argument(
        "--client",
        choices=("light", "httpx"),
        default="light",
        help="the measured requests' HTTP client: bench/lighthttp.py's (default) or httpx",
    )
    parser.add_argument("--keep", action="store_true", help="keep each run's data folder and logs")
    args = parser.parse_args()
    variants = [
        {"add": add, "fetch": fetch, "finish": finish, "finish_by": args.finish_by or add}
        for add, fetch, finish in itertools.product(args.add, args.fetch, args.finish)
    ]
    templates = Path(tempfile.mkdtemp(prefix="startrip-cycle-template-"))
    try:
        template = migrated(args.database, templates)
        runs = []
        for _round in range(args.repeat):
            for modes, preload in itertools.product(variants, args.preload):
                runs.append(one_run(args, template, modes, preload))
                print_run(len(runs), runs[-1])
    finally:
        shutil.rmtree(templates, ignore_errors=True)
        if args.database == "postgres":
            asyncio.run(copy_postgres(f"{PG_URL}_template", "", drop_only=True))
    print_summary(runs)
    if any(totals(run)["errors"] or run["problems"] for run in runs):
        sys.exit(1)


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--as-client":
        spec = json.loads(Path(sys.argv[2]).read_text())
        Path(spec["out"]).write_text(json.dumps(asyncio.run(run_client(spec))))
    elif len(sys.argv) == 5 and sys.argv[1] == "--as-preparer":
        made = asyncio.run(prepare(sys.argv[2], int(sys.argv[3])))
        Path(sys.argv[4]).write_text(json.dumps(made))
    elif len(sys.argv) == 5 and sys.argv[1] == "--as-checker":
        prepared = json.loads(Path(sys.argv[3]).read_text())
        ledger = json.loads(Path(sys.argv[4]).read_text())
        found = asyncio.run(check(sys.argv[2], prepared, ledger))
        Path(sys.argv[4] + ".check").write_text(json.dumps(found))
    else:
        main()
