"""Data growth (issue 8): 6,000 families with a year of trips, and the list view, trip history
and sync pull timings on it, beside the same measures on a database of 10 families.

    .venv/bin/python bench/growth.py                  # reuses /tmp/startrip-growth-*.sqlite3
    .venv/bin/python bench/growth.py --regenerate     # makes them again (~7 min under load)
    .venv/bin/python bench/growth.py --families 6000 --runs 30

Generation writes rows straight into a database migrated by pwa.db.migrate (sqlite3
executemany, no ORM, no per-row sequence work), in the formats the app writes (text UUIDs,
"YYYY-MM-DD HH:MM:SS.ffffff+00:00" times, JSON text). Every family has a guardian account, a
person with a linked phone, two shopping lists of 10 items, two plans from the shipped templates
(8 and 6 steps, the "find the things" step opening a list), a voucher from its city's centre,
and 52 weekly trips, each with its events (start, feelings before and after most times, help
card shown and closed sometimes, one step_done per step, finish) and the item marks of the
list step (ticks, the odd "not found", cleared again after the trip, as bench data in
pwa/demo.py does). One caregiver account follows 20 families. The change_seq of every synced row
is stamped in the order the app would have: setup first, then week by week, every family's trip
in time order; the change_counter row is set to the highest number.

The programme (issue 17; bench/programme.py measures it): the 11 cities of Hebei, each with two
or three centres (a family is with one, one in twenty with a second of its city too), two stores
of its own and the stores of four chains (乐购 HappyMart, the biggest, has three in most cities;
one store in fifty is suspended); every family also gets its centre's ¥50 voucher for November
2026 and pays 0-4 times from each voucher at stores of its city (a redemption with its REDEEM
ledger entry; 3 % reversed five minutes later with a REVERSE entry); one family in twenty's
first voucher ended in November, its balance returned (a RETURN entry). These use their own
random numbers, so the trips are the same as before. A programme staff account
(programme@growth.test) and the biggest chain's admin (chain@growth.test) log in with the same
password.

Measures, over HTTP through the whole app in one process (httpx's ASGI transport, as
bench/sync.py does), for the family in the middle of the data: its guardian logged in, its
person's phone linked with a one-time code, and a caregiver logged in.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import re
import sqlite3
import statistics
import sys
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from fractional_indexing import generate_n_keys_between

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pwa.accounts import consent  # noqa: E402
from pwa.accounts import services as accounts  # noqa: E402
from pwa.app import create_app  # noqa: E402
from pwa.auth import passwords  # noqa: E402
from pwa.core.pictograms import catalogue  # noqa: E402
from pwa.db import migrate  # noqa: E402
from pwa.models import Person  # noqa: E402
from pwa.settings import Settings  # noqa: E402
from pwa.templating import pictogram_url  # noqa: E402

PASSWORD = "growth-password-1"
CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')
WEEKS = 52
FAMILIES_PER_CAREGIVER = 20
# The programme's 11 cities of Hebei (issue 17): each has centres, the stores of the chains and
# two stores of their own.
CITIES = (
    "石家庄 Shijiazhuang",
    "唐山 Tangshan",
    "秦皇岛 Qinhuangdao",
    "邯郸 Handan",
    "邢台 Xingtai",
    "保定 Baoding",
    "张家口 Zhangjiakou",
    "承德 Chengde",
    "沧州 Cangzhou",
    "廊坊 Langfang",
    "衡水 Hengshui",
)
NAMES = ("小明 Ming", "小雨 Yu", "乐乐 Lele", "天天 Tiantian", "阳阳 Yangyang", "思思 Sisi")
FEELINGS = ("calm", "happy", "worried", "upset")
# Code alphabet of pwa/accounts/services.py: no 0/O, 1/I/L.
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
# Trips are dated backwards from here, so re-runs on another day keep the same data.
NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
# Issue 17: November 2026 in China's time starts here; every family gets its centre's ¥50
# voucher for it, and pays with it (bench/programme.py measures the month).
MONTH_START = datetime(2026, 10, 31, 16, 0, tzinfo=UTC)
# Centres of a city (two or three), and the chains with how many stores each has in a city.
CENTRES = ("康复中心 Centre", "星星康复 Star Centre", "阳光康复 Sunshine Centre")
CHAINS = (("乐购 HappyMart", 3), ("惠民 Huimin", 2), ("鲜丰 Xianfeng", 1), ("百家 Baijia", 1))


def ts(when: datetime | None) -> str | None:
    """A time as tortoise stores it in SQLite: str() of an aware datetime."""
    return None if when is None else str(when)


def new_id() -> str:
    return str(uuid.uuid4())


@dataclass
class Plan:
    id: str
    name: str
    list_id: str
    steps: list[dict[str, Any]]  # as pwa.plans.StepView.as_data(): the trip's copy
    list_step: int
    pay_step: int


@dataclass
class Fam:
    n: int
    id: str
    account_id: int
    person_id: str
    device_id: str
    lists: dict[str, list[str]] = field(default_factory=dict)  # list id → item ids
    plans: list[Plan] = field(default_factory=list)
    # The trip's weekday and local hour: a family shops at its own time.
    weekday: int = 5
    hour: int = 10


class Writer:
    """Collects rows per table and writes them with executemany; stamps change_seq."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self.db = db
        self.seq = 0
        self.rows: dict[str, tuple[list[str], list[tuple[Any, ...]]]] = {}
        self.counts: dict[str, int] = {}

    def add(self, table: str, synced: bool = False, **columns: Any) -> int:
        if synced:
            self.seq += 1
            columns["change_seq"] = self.seq
        names, rows = self.rows.setdefault(table, (list(columns), []))
        rows.append(tuple(columns[name] for name in names))
        return self.seq

    def flush(self) -> None:
        for table, (names, rows) in self.rows.items():
            placeholders = ", ".join("?" for _ in names)
            quoted = ", ".join(f'"{name}"' for name in names)
            self.db.executemany(f'INSERT INTO "{table}" ({quoted}) VALUES ({placeholders})', rows)
            self.counts[table] = self.counts.get(table, 0) + len(rows)
        self.rows.clear()


def template_steps(name: str) -> dict[str, Any]:
    templates = json.loads((ROOT / "pwa" / "plan_templates.json").read_text(encoding="utf-8"))
    return next(t for t in templates["templates"] if t["id"] == name)


def make_setup(
    w: Writer, n: int, password_hash: str, orgs: dict[str, Any], rng: random.Random
) -> Fam:
    """A family as it stands before its first trip: account, person, phone, lists, plans,
    voucher."""
    city = n % len(CITIES)
    joined = NOW - timedelta(days=380 + rng.randrange(60), minutes=rng.randrange(600))
    family_id = new_id()
    code = "".join(
        CODE_ALPHABET[(n // len(CODE_ALPHABET) ** k) % len(CODE_ALPHABET)] for k in range(6)
    )
    w.add("family", id=family_id, name=f"家庭 Family {n}", code=f"GR{code}", created_at=ts(joined))
    account_id = n + 1
    w.add(
        "account",
        id=account_id,
        email=f"parent{n}@growth.test",
        password_hash=password_hash,
        name=f"家长 Parent {n}",
        locale=None,
        phone=f"138{n:08d}",
        created_at=ts(joined),
    )
    w.add(
        "membership",
        role="guardian",
        created_at=ts(joined),
        account_id=account_id,
        family_id=family_id,
        invitation_id=None,
    )
    person_id = new_id()
    w.add(
        "person",
        id=person_id,
        display_name=NAMES[n % len(NAMES)],
        avatar="1F466" if n % 2 else "1F467",
        settings="{}",
        help_text="",
        created_at=ts(joined),
        account_id=None,
        family_id=family_id,
    )
    device_id = new_id()
    w.add(
        "device_link",
        id=device_id,
        code_hash=None,
        code_expires_at=ts(joined + timedelta(minutes=10)),
        created_at=ts(joined),
        claimed_at=ts(joined + timedelta(minutes=2)),
        revoked_at=None,
        device_label="Mozilla/5.0 (Linux; Android 13) Mobile",
        last_seen_at=ts(NOW - timedelta(days=rng.randrange(7))),
        created_by_id=account_id,
        person_id=person_id,
    )
    fam = Fam(
        n=n,
        id=family_id,
        account_id=account_id,
        person_id=person_id,
        device_id=device_id,
        weekday=rng.randrange(7),
        hour=rng.randrange(1, 9),  # 09:00-16:00 in China is 01:00-08:00 UTC
    )
    at = joined + timedelta(minutes=5)
    pictures = orgs["pictures"]
    for name, shop in (
        ("周六购物 Saturday shop", orgs["shops"][city][0]),
        ("便利店 Corner shop", orgs["shops"][city][1]),
    ):
        list_id = new_id()
        at += timedelta(minutes=1)
        w.add(
            "shopping_list",
            True,
            id=list_id,
            name=name,
            budget=rng.choice((None, 5000, 8000)),
            archived_at=None,
            deleted_at=None,
            created_at=ts(at),
            updated_at=ts(at),
            family_id=family_id,
            person_id=person_id,
            shop_id=shop,
        )
        items = []
        for picture, position in zip(
            rng.sample(pictures, 10), generate_n_keys_between(None, None, 10), strict=True
        ):
            item_id = new_id()
            at += timedelta(seconds=20)
            w.add(
                "list_item",
                True,
                id=item_id,
                pictogram=picture.code,
                label="",
                quantity=rng.choice((1, 1, 1, 2, 3)),
                note="",
                price=rng.choice((None, 250, 650, 1200)),
                area=picture.area,
                position=position,
                created_at=ts(at),
                updated_at=ts(at),
                deleted_at=None,
                family_id=family_id,
                list_id=list_id,
                photo_id=None,
                field_times=None,
            )
            items.append(item_id)
        fam.lists[list_id] = items
    for template_name, list_id in zip(("supermarket", "convenience"), fam.lists, strict=True):
        template = template_steps(template_name)
        plan_id = new_id()
        plan_name = f"{template['zh']} {template['en']}"
        at += timedelta(minutes=1)
        w.add(
            "plan",
            True,
            id=plan_id,
            name=plan_name,
            created_at=ts(at),
            updated_at=ts(at),
            deleted_at=None,
            family_id=family_id,
            person_id=person_id,
        )
        steps = []
        positions = generate_n_keys_between(None, None, len(template["steps"]))
        for number, (step, position) in enumerate(
            zip(template["steps"], positions, strict=True), 1
        ):
            step_id = new_id()
            link = step.get("link", "")
            w.add(
                "plan_step",
                True,
                id=step_id,
                position=position,
                pictogram=step["code"],
                text=step["zh"],
                wait_minutes=step.get("wait"),
                link=link,
                prompt_level="full",
                created_at=ts(at),
                updated_at=ts(at),
                deleted_at=None,
                family_id=family_id,
                photo_id=None,
                plan_id=plan_id,
                shopping_list_id=list_id if link == "list" else None,
                field_times=None,
            )
            steps.append(
                {
                    "id": step_id,
                    "number": number,
                    "text": step["zh"],
                    "picture": pictogram_url(step["code"]),
                    "wait": step.get("wait"),
                    "link": link,
                    "link_url": f"/lists/{list_id}/shop" if link == "list" else "",
                    "list_id": list_id if link == "list" else "",
                    "level": "full",
                }
            )
        links = [s["link"] for s in steps]
        fam.plans.append(
            Plan(plan_id, plan_name, list_id, steps, links.index("list"), links.index("pay"))
        )
    centres = orgs["centres"][city]
    centre = centres[(n // len(CITIES)) % len(centres)]
    w.add("centre_family", created_at=ts(joined), centre_id=centre, family_id=family_id)
    if n % 20 == 7:
        # One family in twenty is with a second centre of its city too.
        other = centres[(n // len(CITIES) + 1) % len(centres)]
        w.add("centre_family", created_at=ts(joined), centre_id=other, family_id=family_id)
    voucher_id = new_id()
    issued = NOW - timedelta(days=rng.randrange(20, 60))
    w.add(
        "voucher",
        id=voucher_id,
        family_id=family_id,
        centre_id=centre,
        face_value=5000,
        balance=5000,
        valid_from=ts(issued),
        valid_until=ts(issued + timedelta(days=180)),
        status="active",
        everywhere=1,
        created_at=ts(issued),
    )
    w.add(
        "ledger_entry",
        kind="issue",
        amount=5000,
        created_at=ts(issued),
        redemption_id=None,
        shop_id=None,
        voucher_id=voucher_id,
    )
    make_payments(w, n, family_id, centre, voucher_id, issued, orgs)
    return fam


def make_payments(
    w: Writer,
    n: int,
    family_id: str,
    centre: int,
    first_voucher: str,
    issued: datetime,
    orgs: dict[str, Any],
) -> None:
    """The family's payments (issue 17): a few from its first voucher since it was issued, and
    November's ¥50 voucher from the centre's batch with a few more; now and then one reversed
    the same day, and one voucher in twenty ended in November with its balance returned.
    Random numbers from orgs["rng"], so the trips are the same as without payments."""
    rng: random.Random = orgs["rng"]
    stores = orgs["stores"][n % len(CITIES)]
    month = orgs["month_start"]
    voucher_id = str(uuid.UUID(int=rng.getrandbits(128), version=4))
    w.add(
        "voucher",
        id=voucher_id,
        family_id=family_id,
        centre_id=centre,
        face_value=5000,
        balance=5000,  # set below, once its payments are known
        valid_from=ts(month),
        valid_until=ts(month + timedelta(days=120)),
        status="active",
        everywhere=1,
        created_at=ts(month + timedelta(minutes=rng.randrange(600))),
    )
    w.add(
        "ledger_entry",
        kind="issue",
        amount=5000,
        created_at=ts(month),
        redemption_id=None,
        shop_id=None,
        voucher_id=voucher_id,
    )
    balances = {}
    for vid, since in ((first_voucher, issued), (voucher_id, month + timedelta(hours=12))):
        balance = 5000
        for _k in range(rng.choice((0, 1, 1, 2, 2, 3, 4))):
            amount = min(balance, rng.randrange(5, 31) * 100)
            if amount <= 0:
                break
            at = since + timedelta(seconds=rng.randrange(int((NOW - since).total_seconds())))
            store = rng.choice(stores)
            orgs["redemption_id"] += 1
            redemption_id = orgs["redemption_id"]
            reversed_at = at + timedelta(minutes=5) if rng.random() < 0.03 else None
            if reversed_at is None:
                balance -= amount
            w.add(
                "redemption",
                id=redemption_id,
                idempotency_key=f"growth-{redemption_id}",
                request_hash="0" * 64,
                amount=amount,
                token_nonce=None,
                outcome="paid",
                balance_after=balance,
                reversed_at=ts(reversed_at),
                created_at=ts(at),
                shop_id=store,
                staff_id=None,
                voucher_id=vid,
            )
            w.add(
                "ledger_entry",
                kind="redeem",
                amount=-amount,
                created_at=ts(at),
                redemption_id=redemption_id,
                shop_id=store,
                voucher_id=vid,
            )
            if reversed_at is not None:
                w.add(
                    "ledger_entry",
                    kind="reverse",
                    amount=amount,
                    created_at=ts(reversed_at),
                    redemption_id=redemption_id,
                    shop_id=store,
                    voucher_id=vid,
                )
        balances[vid] = balance
    if n % 20 == 3 and balances[first_voucher]:
        # Ended early (the family left the programme): the balance went back to the centre.
        at = NOW - timedelta(days=rng.randrange(1, 20))
        w.add(
            "ledger_entry",
            kind="return",
            amount=-balances[first_voucher],
            created_at=ts(at),
            redemption_id=None,
            shop_id=None,
            voucher_id=first_voucher,
        )
        orgs["returned"][first_voucher] = at
        balances[first_voucher] = 0
    orgs["balances"].update(balances)


def make_trip(w: Writer, fam: Fam, week: int, rng: random.Random) -> None:
    """One trip of one week: its row, its events, the marks of its list step."""
    days_back = (WEEKS - week) * 7 - fam.weekday
    start = (NOW - timedelta(days=days_back)).replace(hour=fam.hour, minute=rng.randrange(60))
    plan = fam.plans[0] if week % 4 else fam.plans[1]
    trip_id = new_id()
    # Fewer help cards as the weeks go by, as pwa/demo.py shows.
    help_chance = 0.25 * (1 - week / WEEKS) + 0.03
    finished = rng.random() > 0.03  # now and then a trip is left half way
    last_step = len(plan.steps) - 1 if finished else rng.randrange(len(plan.steps) - 1)
    events: list[tuple[str, int | None, str, datetime, str]] = [("start", 0, "", start, "")]
    if rng.random() < 0.7:
        events.append(("feeling_before", None, "", start, rng.choice(FEELINGS)))
    marks: list[tuple[str, str, datetime]] = []
    at = start
    for index in range(last_step + 1):
        if rng.random() < help_chance:
            events.append(("help_shown", index, "full", at + timedelta(minutes=1), ""))
            events.append(("help_closed", index, "full", at + timedelta(minutes=2), ""))
        if index == plan.list_step:
            items = fam.lists[plan.list_id]
            for k, item_id in enumerate(rng.sample(items, rng.randrange(5, len(items) + 1))):
                state = "not_found" if rng.random() < 0.08 else "ticked"
                marks.append((item_id, state, at + timedelta(minutes=1, seconds=30 * k)))
        at += timedelta(minutes=rng.randrange(2, 9))
        events.append(("step_done", index, "full", at, ""))
    finish = None
    if finished:
        finish = at
        events.append(("finish", last_step, "full", at, ""))
        if rng.random() < 0.7:
            events.append(
                ("feeling_after", None, "", at + timedelta(minutes=1), rng.choice(FEELINGS))
            )
        # The list starts again for the next trip.
        marks += [(item_id, "cleared", at + timedelta(minutes=2)) for item_id, _s, _t in marks]
    # The phone sends as it goes: each row is stamped when it arrives, in time order.
    received = timedelta(seconds=rng.randrange(1, 30))
    w.add(
        "trip",
        True,
        id=trip_id,
        plan_name=plan.name,
        steps=json.dumps(plan.steps, separators=(",", ":")),
        started_at=ts(start),
        finished_at=ts(finish),
        created_at=ts(start + received),
        family_id=fam.id,
        person_id=fam.person_id,
        plan_id=plan.id,
    )
    timeline: list[tuple[datetime, int, tuple[Any, ...]]] = [(e[3], 0, e) for e in events]
    timeline += [(m[2], 1, m) for m in marks]
    timeline.sort(key=lambda x: (x[0], x[1]))
    trip_seq = 0
    for when, kind, row in timeline:
        if kind == 0:
            event_kind, step, level, client_time, value = row
            seq = w.add(
                "trip_event",
                True,
                id=new_id(),
                kind=event_kind,
                step=step,
                prompt_level=level,
                client_time=ts(client_time),
                created_at=ts(when + received),
                family_id=fam.id,
                trip_id=trip_id,
                value=value,
            )
            if event_kind == "finish":
                trip_seq = seq + 1  # the trip row is saved again with finished_at
                w.seq += 1
        else:
            item_id, state, client_time = row
            w.add(
                "item_mark",
                True,
                id=new_id(),
                state=state,
                client_time=ts(client_time),
                created_at=ts(when + received),
                account_id=None,
                device_id=fam.device_id,
                family_id=fam.id,
                item_id=item_id,
            )
    if trip_seq:
        # The row was written with its first number; a finished trip carries its finish's.
        names, rows = w.rows["trip"]
        rows[-1] = (*rows[-1][:-1], trip_seq)
        assert names[-1] == "change_seq"


def generate(path: Path, families: int, seed: int = 8) -> dict[str, Any]:
    """A migrated database at `path` filled with `families` families and a year of trips."""
    started = time.perf_counter()
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    asyncio.run(migrate(f"sqlite://{path}"))
    rng = random.Random(seed)
    uuid_rng = random.Random(seed + 1)
    # Reproducible ids: the same seed makes the same database.
    global new_id

    def seeded_id() -> str:
        return str(uuid.UUID(int=uuid_rng.getrandbits(128), version=4))

    new_id = seeded_id  # type: ignore[assignment]
    db = sqlite3.connect(path, isolation_level=None)
    # A bulk load: no fsync, a big page cache; the app opens the file in WAL mode afterwards.
    db.execute("PRAGMA synchronous = OFF")
    db.execute("PRAGMA cache_size = -1000000")
    db.execute("BEGIN")
    w = Writer(db)
    password_hash = passwords.hash_password(PASSWORD)
    orgs: dict[str, Any] = {
        "centres": [],
        "shops": [],
        "stores": [],
        "pictures": list(catalogue().items),
        # Issue 17: payments have their own random numbers, so the trips stay as they were.
        "rng": random.Random(seed + 2),
        "month_start": MONTH_START,
        "redemption_id": 0,
        "balances": {},
        "returned": {},
    }
    made = ts(NOW - timedelta(days=500))
    org_id = 0

    def organisation(kind: str, name: str, city: str, **more: Any) -> int:
        nonlocal org_id
        org_id += 1
        w.add(
            "organisation",
            id=org_id,
            kind=kind,
            name=name,
            city=city,
            address="",
            created_at=made,
            approved_at=more.get("approved_at"),
            chain_id=more.get("chain_id"),
            suspended_at=more.get("suspended_at"),
        )
        return org_id

    # The merchants (issue 17): chains with stores in the cities, the biggest in every one.
    chains = [(organisation("chain", name, CITIES[0]), per_city) for name, per_city in CHAINS]
    for number, city in enumerate(CITIES):
        place = city.split()[0]
        orgs["centres"].append(
            [
                organisation("centre", f"{place}{centre}", city)
                for centre in CENTRES[: 2 + number % 2]
            ]
        )
        shops = []
        for shop in ("超市 Supermarket", "便利店 Convenience store"):
            shops.append(organisation("merchant", f"{place}{shop}", city, approved_at=made))
        orgs["shops"].append(shops)
        stores = list(shops)
        for (chain, per_city), (name, _p) in zip(chains, CHAINS, strict=True):
            for k in range(per_city if number % 3 else max(per_city - 1, 1)):
                # One store in fifty is suspended: it takes no voucher and is not counted.
                suspended = made if (org_id + 1) % 50 == 0 else None
                store = organisation(
                    "merchant",
                    f"{name.split()[0]}{place}{k + 1}号店 {name.split()[1]} {k + 1}",
                    city,
                    approved_at=made,
                    chain_id=chain,
                    suspended_at=suspended,
                )
                stores.append(store)
        orgs["stores"].append(stores)
    orgs["largest_chain"] = chains[0][0]
    fams = [make_setup(w, n, password_hash, orgs, rng) for n in range(families)]
    # Caregivers (a centre's teacher) each follow a few families.
    for c, first in enumerate(range(0, families, FAMILIES_PER_CAREGIVER)):
        account_id = families + 1 + c
        w.add(
            "account",
            id=account_id,
            email=f"teacher{c}@growth.test",
            password_hash=password_hash,
            name=f"老师 Teacher {c}",
            locale=None,
            phone="",
            created_at=ts(NOW - timedelta(days=400)),
        )
        for fam in fams[first : first + FAMILIES_PER_CAREGIVER]:
            w.add(
                "membership",
                role="caregiver",
                created_at=ts(NOW - timedelta(days=400)),
                account_id=account_id,
                family_id=fam.id,
                invitation_id=None,
            )
    # Programme staff, and the admin of the biggest chain (bench/programme.py logs in as them).
    next_account = families + 2 + families // FAMILIES_PER_CAREGIVER
    for offset, (email, name, org) in enumerate(
        (
            (
                "programme@growth.test",
                "项目 Programme",
                organisation("programme", "项目", CITIES[0]),
            ),
            ("chain@growth.test", "商家 Chain admin", orgs["largest_chain"]),
        )
    ):
        w.add(
            "account",
            id=next_account + offset,
            email=email,
            password_hash=password_hash,
            name=name,
            locale=None,
            phone="",
            created_at=made,
        )
        w.add(
            "org_membership",
            created_at=made,
            account_id=next_account + offset,
            organisation_id=org,
            admin=1,
        )
    w.flush()
    # Each voucher's balance after its payments; an ended one is cancelled and returned.
    db.executemany(
        "UPDATE voucher SET balance = ? WHERE id = ?",
        [(balance, vid) for vid, balance in orgs["balances"].items()],
    )
    db.executemany(
        "UPDATE voucher SET status = 'cancelled', returned_at = ? WHERE id = ?",
        [(ts(at), vid) for vid, at in orgs["returned"].items()],
    )
    for week in range(WEEKS):
        # Within a week, trips arrive in time order across families.
        for fam in sorted(fams, key=lambda f: (f.weekday, f.hour)):
            make_trip(w, fam, week, rng)
        w.flush()
    db.execute("INSERT INTO change_counter (id, value) VALUES (1, ?)", (w.seq,))
    db.execute("COMMIT")
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.close()
    return {"seconds": time.perf_counter() - started, "counts": w.counts, "change_seq": w.seq}


# --- measuring --------------------------------------------------------------------------------


class Browser(httpx.AsyncClient):
    """One browser or phone: its own cookies, sending forms with its session's CSRF token."""

    async def submit(self, url: str, data: dict[str, str]) -> httpx.Response:
        token = CSRF_RE.search((await self.get("/help")).text)
        assert token, "every page carries the CSRF token"
        return await self.post(url, data={"csrf_token": token.group(1), **data})


async def timed(
    name: str, call: Callable[[], Awaitable[httpx.Response]], runs: int, budget: float
) -> dict[str, Any]:
    """`runs` timed calls after one warm-up (fewer, at least 3, once they pass `budget` s)."""
    first = await call()
    assert first.status_code == 200, (name, first.status_code, first.text[:300])
    times: list[float] = []
    spent = time.perf_counter()
    while len(times) < runs and (len(times) < min(runs, 3) or time.perf_counter() - spent < budget):
        started = time.perf_counter()
        response = await call()
        times.append(time.perf_counter() - started)
        assert response.status_code == 200, (name, response.status_code)
    times.sort()
    return {
        "median": statistics.median(times),
        "p95": times[max(int(len(times) * 0.95) - 1, 0)],
        "runs": len(times),
        "bytes": len(first.content),
    }


async def measure(
    path: Path,
    families: int,
    runs: int,
    budget: float,
    *,
    up_to_date: bool = True,
    only: tuple[str, ...] = (),
) -> dict[str, Any]:
    """Timings of the pages and pulls of the family in the middle of the database."""
    url = f"sqlite://{path}"
    if up_to_date:
        # A database cached before a new migration gets it (an index build on the big one).
        started = time.perf_counter()
        await migrate(url)
        print(f"  migrations checked/applied in {time.perf_counter() - started:.1f} s")
    app = create_app(
        Settings(
            port=0,
            database_url=url,
            secret_key="bench",
            debug=False,
            default_locale="en",
            data_dir=path.parent / "startrip-growth-data",
        )
    )
    n = families // 2
    results: dict[str, Any] = {}
    async with app.router.lifespan_context(app):
        from pwa.models import Account, ItemMark, ShoppingList, Trip, TripEvent

        guardian = await Account.get(email=f"parent{n}@growth.test")
        membership = await guardian.memberships.all().first()
        family_id = membership.family_id
        person = await Person.get(family_id=family_id)
        # The privacy notice came after these data (issue 16): the guardian agrees to the
        # current one, as a log-in would ask, so the pages answer and do not lead to it.
        if not await consent.current(guardian):
            await consent.record(
                guardian, occasion="new_notice", family_id=family_id, person_id=person.id
            )
        shopping_list = (
            await ShoppingList.filter(family_id=family_id).order_by("created_at").first()
        )
        newest = await Trip.filter(person=person).order_by("-started_at").first()
        finished = (
            await Trip.filter(person=person, finished_at__not_isnull=True)
            .order_by("-started_at")
            .first()
        )
        # A week ago, for the phone: the changes since then are its last trip's.
        first_of_last = await TripEvent.filter(trip=newest).order_by("change_seq").first()
        recent_cursor = first_of_last.change_seq - 1
        marks = await ItemMark.filter(family_id=family_id).count()
        code = await accounts.create_device_link(person, guardian)
        transport = httpx.ASGITransport(app=app)
        base = "http://127.0.0.1"
        async with (
            Browser(transport=transport, base_url=base) as parent,
            Browser(transport=transport, base_url=base) as phone,
            Browser(transport=transport, base_url=base) as caregiver,
        ):
            for who, email in (
                (parent, guardian.email),
                (caregiver, f"teacher{n // FAMILIES_PER_CAREGIVER}@growth.test"),
            ):
                answer = await who.submit("/login", {"email": email, "password": PASSWORD})
                assert answer.status_code == 303, answer.text[:300]
            answer = await phone.submit(f"/link/{code}", {"confirm": "yes"})
            assert answer.status_code == 303 and answer.headers["location"] == "/me"
            client_id = str(uuid.uuid4())

            def pull(cursor: int) -> Callable[[], Awaitable[httpx.Response]]:
                params = {"client_id": client_id, "cursor": str(cursor)}
                return lambda: phone.get("/api/sync/pull", params=params)

            checks = {
                "pull": await pull(0)(),
                "recent": await pull(recent_cursor)(),
            }
            full = checks["pull"].json()
            assert not full["more"] and len(full["rows"]["marks"]) == marks, full["more"]
            recent = checks["recent"].json()["rows"]
            print(
                f"  pull: {sum(map(len, full['rows'].values()))} rows from cursor 0 "
                f"({marks} marks), {sum(map(len, recent.values()))} since a week ago"
            )
            measures: list[tuple[str, Callable[[], Awaitable[httpx.Response]]]] = [
                (
                    "parent: family's lists /families/{id}/lists",
                    lambda: parent.get(f"/families/{family_id}/lists"),
                ),
                ("parent: one list /lists/{id}", lambda: parent.get(f"/lists/{shopping_list.id}")),
                (
                    "phone: list screen /lists/{id}/shop",
                    lambda: phone.get(f"/lists/{shopping_list.id}/shop"),
                ),
                ("phone: home screen /me", lambda: phone.get("/me")),
                (
                    "parent: trip history /people/{id}/trips",
                    lambda: parent.get(f"/people/{person.id}/trips"),
                ),
                ("parent: trip timeline /trips/{id}", lambda: parent.get(f"/trips/{finished.id}")),
                (
                    "caregiver: progress /people/{id}/progress",
                    lambda: caregiver.get(f"/people/{person.id}/progress"),
                ),
                ("phone: first pull, cursor 0", pull(0)),
                ("phone: pull of the last week", pull(recent_cursor)),
            ]
            for name, call in measures:
                if only and not any(word in name for word in only):
                    continue
                results[name] = await timed(name, call, runs, budget)
                print(f"  {name}: median {results[name]['median'] * 1000:.1f} ms", flush=True)
    return results


def explain(path: Path, families: int) -> None:
    """EXPLAIN QUERY PLAN of the queries behind the measured pages, for the middle family."""
    db = sqlite3.connect(path)
    n = families // 2
    family_id, person_id = db.execute(
        "SELECT p.family_id, p.id FROM person p JOIN membership m ON m.family_id = p.family_id "
        "JOIN account a ON a.id = m.account_id WHERE a.email = ?",
        (f"parent{n}@growth.test",),
    ).fetchone()
    trip_id = db.execute(
        "SELECT id FROM trip WHERE person_id = ? LIMIT 1", (person_id,)
    ).fetchone()[0]
    list_id = db.execute(
        "SELECT id FROM shopping_list WHERE family_id = ? LIMIT 1", (family_id,)
    ).fetchone()[0]
    queries = {
        "trips of a person (history)": (
            "SELECT * FROM trip WHERE person_id = ? ORDER BY started_at DESC LIMIT 100",
            (person_id,),
        ),
        "events of a trip (every trip record)": (
            "SELECT * FROM trip_event WHERE trip_id = ?",
            (trip_id,),
        ),
        "notes of a trip": (
            "SELECT * FROM trip_note WHERE trip_id = ? ORDER BY created_at",
            (trip_id,),
        ),
        "items of a list": (
            "SELECT * FROM list_item WHERE list_id = ? AND deleted_at IS NULL",
            (list_id,),
        ),
        "marks of a list's items (shop view)": (
            "SELECT * FROM item_mark WHERE item_id IN (SELECT id FROM list_item WHERE list_id = ?)",
            (list_id,),
        ),
        "marks during a trip": (
            "SELECT m.* FROM item_mark m LEFT JOIN list_item i ON i.id = m.item_id "
            "WHERE i.list_id IN (?) AND m.client_time >= ? ORDER BY m.client_time, m.id",
            (list_id, "2026-01-01"),
        ),
        "payments during a trip (no redemptions generated)": (
            "SELECT r.* FROM redemption r LEFT OUTER JOIN voucher v ON v.id = r.voucher_id "
            "WHERE v.family_id = ? AND r.outcome = 'paid' AND r.reversed_at IS NULL "
            "AND r.created_at >= ? AND r.created_at <= ? ORDER BY r.created_at",
            (family_id, "2026-01-01", "2026-01-02"),
        ),
        "pull of marks (phone)": (
            "SELECT m.* FROM item_mark m LEFT JOIN list_item i ON i.id = m.item_id "
            "LEFT JOIN shopping_list l ON l.id = i.list_id WHERE m.family_id = ? "
            "AND m.change_seq > ? AND (l.person_id = ? OR l.person_id IS NULL) "
            "ORDER BY m.change_seq LIMIT 2000",
            (family_id, 0, person_id),
        ),
    }
    for name, (sql, params) in queries.items():
        plan = "; ".join(row[3] for row in db.execute(f"EXPLAIN QUERY PLAN {sql}", params))
        print(f"  {name}: {plan}")
    db.close()


def database_path(families: int) -> Path:
    return Path(os.environ.get("GROWTH_DIR", "/tmp")) / f"startrip-growth-{families}.sqlite3"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--families", type=int, default=6000)
    parser.add_argument("--small", type=int, default=10, help="the database to compare with")
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--budget", type=float, default=60, help="seconds at most per measure")
    parser.add_argument("--regenerate", action="store_true", help="make the databases again")
    parser.add_argument("--explain", action="store_true", help="print EXPLAIN QUERY PLAN")
    parser.add_argument(
        "--only", action="append", default=[], help="measures whose name has this (repeatable)"
    )
    parser.add_argument(
        "--no-migrate", action="store_true", help="measure a cached database as it is"
    )
    args = parser.parse_args()
    table: dict[int, dict[str, Any]] = {}
    for families in (args.small, args.families):
        path = database_path(families)
        if args.regenerate or not path.exists():
            print(f"Generating {path} ({families} families)…", flush=True)
            made = generate(path, families)
            rows = ", ".join(f"{table}: {count:,}" for table, count in made["counts"].items())
            print(f"  {rows}; change_seq up to {made['change_seq']:,}")
            print(f"  generated in {made['seconds']:.1f} s")
        else:
            print(f"Reusing {path} (--regenerate to make it again)")
        print(f"  database size {path.stat().st_size / 2**20:,.0f} MB", flush=True)
        table[families] = asyncio.run(
            measure(
                path,
                families,
                args.runs,
                args.budget,
                up_to_date=not args.no_migrate,
                only=tuple(args.only),
            )
        )
        if args.explain:
            explain(path, families)
    small, big = table[args.small], table[args.families]
    print(
        f"\n| measure | {args.small} families: median / p95 "
        f"| {args.families:,} families: median / p95 (runs) |"
    )
    print("|---|---|---|")
    for name, a in small.items():
        b = big[name]
        print(
            f"| {name} | {a['median'] * 1000:.1f} / {a['p95'] * 1000:.1f} ms "
            f"| {b['median'] * 1000:.1f} / {b['p95'] * 1000:.1f} ms ({b['runs']}) |"
        )


if __name__ == "__main__":
    main()
