"""Demo data of the programme as it runs in Hebei (issue 17): the programme and its staff, the
launch chains with their stores in Hebei's 11 cities, rehabilitation centres in seven of them,
about sixty families with three months of vouchers, payments, trips, returns and statements.

Everything is made by the services, as the app makes it, with the app's clock (and the
database's automatic timestamps) set to the moment each thing happened: September's payments
are dated in September, the expiry job returns September's unspent balances on 1 October, and
the ledger and the budgets balance as in real life. Only demo data sets the clock."""

from __future__ import annotations

import random
import uuid
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from unittest import mock

from tortoise import timezone as orm_time
from tortoise.transactions import in_transaction

from pwa import i18n
from pwa.accounts.services import create_account, create_staff
from pwa.auth import passwords
from pwa.budgets import services as budgets
from pwa.core import clock
from pwa.core.forms import FormErrors
from pwa.models import (
    Account,
    BudgetEntry,
    BudgetKind,
    CentreFamily,
    Family,
    Organisation,
    OrgKind,
    OrgMembership,
    Outcome,
    Person,
    Plan,
    Redemption,
    Trip,
    Voucher,
)
from pwa.plans import services as plans
from pwa.programme import services as programme_services
from pwa.settlement import services as settlement
from pwa.trips import services as trips
from pwa.vouchers import services as vouchers
from pwa.vouchers.services import CHINA

PROGRAMME = "社区星融合项目 Community Star programme"
PROGRAMME_CITY = "石家庄"
PROGRAMME_EMAIL = "programme@demo.test"
MERCHANT_EMAIL = "merchant@demo.test"

# Hebei's 11 cities, each with at least one friendly store.
CITIES = programme_services.HEBEI_CITIES


@dataclass(frozen=True)
class Store:
    name: str
    city: str
    address: str
    state: str = "approved"  # "approved", "waiting" (checklist confirmed) or "suspended"


@dataclass(frozen=True)
class Chain:
    name: str
    city: str  # its head office
    admin_email: str
    admin_name: str
    stores: tuple[Store, ...]


# The eight launch chains (the programme's launch news). Addresses are made up.
CHAINS = (
    Chain(
        "物美集团",
        "北京",
        "wumart@demo.test",
        "钱经理",
        (
            Store("物美超市 中华大街店", "石家庄", "新华区中华北大街 128 号"),
            Store("物美超市 朝阳大街店", "保定", "竞秀区朝阳北大街 56 号"),
            Store("物美超市 宣化店", "张家口", "宣化区钟楼大街 42 号"),
        ),
    ),
    Chain(
        "北京永辉超市",
        "北京",
        "yonghui@demo.test",
        "孙经理",
        (
            Store("永辉超市 新华路店", "廊坊", "广阳区新华路 88 号"),
            Store("永辉超市 南营子店", "承德", "双桥区南营子大街 36 号", "suspended"),
        ),
    ),
    Chain(
        "河北五级为农服务综合平台",
        "石家庄",
        "weinong@demo.test",
        "李主任",
        (
            Store("为农服务中心 桃城站", "衡水", "桃城区人民西路 17 号"),
            Store("为农服务中心 南和站", "邢台", "南和区和阳大街 17 号"),
        ),
    ),
    Chain(
        "大管家便利店",
        "石家庄",
        "daguanjia@demo.test",
        "周店长",
        (
            Store("大管家便利店 裕华路店", "石家庄", "裕华区裕华东路 301 号"),
            Store("大管家便利店 新华道店", "唐山", "路北区新华西道 77 号"),
            Store("大管家便利店 文化路店", "秦皇岛", "海港区文化路 19 号"),
        ),
    ),
    Chain(
        "信誉楼",
        "沧州",
        MERCHANT_EMAIL,
        "马经理 Manager Ma",
        (
            Store("信誉楼 黄骅店", "沧州", "黄骅市渤海路 1 号"),
            Store("信誉楼 运河店", "沧州", "运河区解放西路 95 号"),
            Store("信誉楼 衡水店", "衡水", "桃城区前进大街 260 号"),
            Store("信誉楼 保定店", "保定", "莲池区东风中路 188 号"),
        ),
    ),
    Chain(
        "邯郸美食林",
        "邯郸",
        "meishilin@demo.test",
        "吴经理",
        (
            Store("美食林 丛台店", "邯郸", "丛台区人民东路 66 号"),
            Store("美食林 中华大街店", "邯郸", "邯山区中华南大街 210 号"),
            Store("美食林 复兴店", "邯郸", "复兴区复兴路 45 号", "waiting"),
        ),
    ),
    Chain(
        "邢台北国商城",
        "邢台",
        "beiguo@demo.test",
        "郑经理",
        (
            Store("北国商城 中兴大街店", "邢台", "襄都区中兴东大街 99 号"),
            Store("北国商城 钢铁路店", "邢台", "信都区钢铁北路 120 号"),
        ),
    ),
    Chain(
        "家乐园",
        "承德",
        "jialeyuan@demo.test",
        "冯店长",
        (
            Store("家乐园 双桥店", "承德", "双桥区新华路 8 号"),
            Store("家乐园 高新区店", "承德", "高新区上二道河子路 12 号"),
        ),
    ),
)


@dataclass(frozen=True)
class Centre:
    name: str
    city: str
    address: str
    email: str
    staff_name: str
    families: int


# The demo centre (centre@demo.test, in 石家庄, pwa/demo.py) and these. 承德 and 衡水 have fewer
# than five families, so the reach page keeps their numbers to itself.
CENTRES = (
    Centre(
        "石家庄市星语康复中心",
        "石家庄",
        "长安区中山东路 218 号",
        "centre.sjz@demo.test",
        "韩老师",
        9,
    ),
    Centre(
        "邯郸市晨曦儿童康复中心",
        "邯郸",
        "丛台区联纺东路 31 号",
        "centre.hd@demo.test",
        "曹老师",
        11,
    ),
    Centre(
        "保定市向阳康复中心", "保定", "竞秀区七一中路 402 号", "centre.bd@demo.test", "许医生", 11
    ),
    Centre(
        "唐山市启明星康复中心", "唐山", "路南区建设南路 65 号", "centre.ts@demo.test", "蒋老师", 10
    ),
    Centre(
        "邢台市彩虹康复中心", "邢台", "襄都区守敬南路 140 号", "centre.xt@demo.test", "沈老师", 11
    ),
    Centre(
        "承德市山花康复中心", "承德", "双桥区半壁山路 23 号", "centre.cd@demo.test", "杨老师", 3
    ),
    Centre(
        "衡水市湖畔康复中心", "衡水", "桃城区育才南大街 77 号", "centre.hs@demo.test", "朱老师", 2
    ),
)

# Where a city's families shop besides their own city.
NEARBY = {"衡水": ("沧州",), "承德": ("秦皇岛",), "唐山": ("秦皇岛",), "保定": ("廊坊",)}

SURNAMES = (
    "赵钱孙周吴郑冯陈褚卫蒋沈韩杨朱秦尤许何吕施孔曹严华金魏陶姜戚谢邹喻柏窦章云苏潘葛范彭"
    "郎鲁韦马苗方俞任袁柳唐罗薛贺倪汤殷罗毕郝邬安常乐于傅齐康伍余顾孟黄穆萧尹姚邵汪"
)
GIVEN = (
    "宇",
    "乐",
    "天",
    "杰",
    "琪",
    "朵",
    "航",
    "博",
    "悦",
    "睿",
    "涵",
    "轩",
    "萌",
    "诺",
    "晨",
    "阳",
    "可",
    "安",
    "然",
    "希",
)
AVATARS = ("1F466", "1F467", "1F9D2", "1F9D1", "1F466", "1F467")
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"

# Months of vouchers: each centre but the demo one gives ¥50 to each of its families at the
# start of each month; the expiry job returns what is left after the month ends. They gave
# December's on 27 November; the demo centre's December batch is left for people to give (the
# browser journey gives it).
MONTHS = (date(2026, 9, 1), date(2026, 10, 1), date(2026, 11, 1))
NEXT_MONTH = date(2026, 12, 1)
NEXT_BATCH_ON = date(2026, 11, 27)
MONTHLY = 50_00
GRANT = 3_000_00  # each centre's grant for the year so far, fen
DEMO_CENTRE_GRANT = 2_000_00
DEMO_GRANT_NOTE = "2026 年下半年 second half of 2026"
SEED = 17
NAMESPACE = uuid.UUID("5a7e0000-0000-4000-8017-000000000000")


@contextmanager
def _at(moment: datetime) -> Iterator[None]:
    """Demo data only: the app's clock and the database's automatic timestamps say `moment`
    (UTC), so what the services make now carries the date it would have had."""
    with (
        mock.patch.object(clock, "now", lambda: moment),
        mock.patch.object(orm_time, "now", lambda: moment),
    ):
        yield


def china(day: date, hour: int, minute: int = 0) -> datetime:
    """A moment of a day in China's time, in UTC."""
    return datetime.combine(day, time(hour, minute), tzinfo=CHINA).astimezone(UTC)


def family_code(n: int) -> str:
    """HB and six characters of the family code alphabet, the same for the same n."""
    n += 20_000
    digits = []
    for _step in range(6):
        n, rest = divmod(n, len(CODE_ALPHABET))
        digits.append(CODE_ALPHABET[rest])
    return "HB" + "".join(reversed(digits))


def _id(*parts: object) -> uuid.UUID:
    return uuid.uuid5(NAMESPACE, "/".join(str(p) for p in parts))


# --- the programme and the demo centre's budget ------------------------------------------------


async def programme_staff(password: str) -> tuple[Account, list[str]]:
    """The programme's organisation and its staff account (programme@demo.test)."""
    existed = await Account.exists(email=PROGRAMME_EMAIL)
    with _at(china(date(2026, 7, 31), 9)):
        account = await create_staff(
            kind=OrgKind.PROGRAMME,
            org_name=PROGRAMME,
            city=PROGRAMME_CITY,
            address="",
            email=PROGRAMME_EMAIL,
            password=password,
            name="郭主任 Director Guo",
        )
    return account, [] if existed else [PROGRAMME_EMAIL]


async def demo_centre_budget(centre: Organisation, programme: Account) -> list[str]:
    """The demo centre's grant, from which its vouchers (the Wang family's, a CSV import,
    December's batch in the browser journey) are paid."""
    # Its own note: a database loaded before budgets has a grant of what was issued then.
    if await BudgetEntry.exists(centre=centre, kind=BudgetKind.GRANT, note=DEMO_GRANT_NOTE):
        return []
    with _at(china(date(2026, 8, 20), 10)):
        await budgets.grant(
            centre,
            amount=str(DEMO_CENTRE_GRANT // 100),
            take_back=False,
            note=DEMO_GRANT_NOTE,
            actor=programme,
        )
    return ["budget"]


def friendly_shop_dates(approved: date) -> dict[str, datetime]:
    """A friendly shop's onboarding: the guide read and the checklist confirmed, then approved."""
    return {
        "guide_read_at": china(approved - timedelta(days=5), 10),
        "checklist_confirmed_at": china(approved - timedelta(days=4), 11),
        "approved_at": china(approved, 15),
    }


# --- Hebei: chains and stores, centres, families, then three months -----------------------------


@dataclass
class DemoFamily:
    """A family of the demo, with what its trips need."""

    family: Family
    person: Person
    centre: Organisation
    plan: Plan
    steps: list[dict[str, Any]]


async def load_hebei(password: str, programme: Account) -> list[str]:
    """Everything of the Hebei programme beyond the demo centre and shops, once: a second run
    finds the chains and adds nothing. One transaction: all of it, or none."""
    if await Organisation.exists(kind=OrgKind.CHAIN, name=CHAINS[0].name):
        return []
    rng = random.Random(SEED)
    # Every demo account has the same password: hash it once (argon2 takes a good part of a
    # second each time, and there are fifteen accounts here).
    hashed = passwords.hash_password(password)
    with mock.patch.object(passwords, "hash_password", lambda _password: hashed):
        async with in_transaction():
            stores, staff = await _chains(password, programme)
            await _demo_shops(stores, staff)
            centres = await _centres(password)
            families = await _families(centres, rng)
            await _grants(centres, programme)
            for month in MONTHS:
                await _month(month, centres, families, stores, staff, rng)
            await _next_month(centres)
            await _statements(programme)
            await _suspend(programme)
    return [
        f"{len(CHAINS)} merchants with {sum(len(c.stores) for c in CHAINS)} stores",
        f"{len(CENTRES)} more centres",
        f"{len(families)} more families with trips, vouchers and payments since September",
        "statements",
    ]


async def _chains(
    password: str, programme: Account
) -> tuple[list[Organisation], dict[int, Account]]:
    """The chains, made by the programme, each with its admin, who adds its stores; the stores'
    staff confirm the checklist and the programme approves them in August, but for one store
    that waits for approval. Returns the stores that take payments and each one's till staff."""
    stores: list[Organisation] = []
    staff: dict[int, Account] = {}
    for n, chain in enumerate(CHAINS):
        joined = date(2026, 8, 3 + n)
        with _at(china(joined, 9)):
            org = await programme_services.create_organisation(
                OrgKind.CHAIN, {"name": chain.name, "city": chain.city}, programme
            )
            admin = await Account.get_or_none(email=chain.admin_email)
            if admin is None:
                admin = await create_account(chain.admin_email, password, chain.admin_name)
            await OrgMembership.create(account=admin, organisation=org, admin=True)
        for k, store in enumerate(chain.stores):
            waiting = store.state == "waiting"
            made = china(date(2026, 11, 24) if waiting else joined + timedelta(days=1), 10 + k)
            with _at(made):
                shop = await programme_services.create_store(
                    org, {"name": store.name, "city": store.city, "address": store.address}, admin
                )
            # The directory entry and the checklist, as the store's staff fill them (the demo
            # has no photos of entrances and tills).
            confirmed = made + timedelta(days=2)
            shop.opening_hours = "每天 8:30–21:30"
            shop.quiet_hours = "工作日 9:00–11:00"
            shop.staff_know = "收银员知道爱星友好券，说话慢一点，可以带路到货架。"
            shop.guide_read_at = shop.checklist_confirmed_at = confirmed
            await shop.save()
            if waiting:
                continue
            with _at(confirmed + timedelta(days=3, hours=5)):
                await programme_services.approve(shop, programme)
            stores.append(shop)
            staff[shop.id] = admin
    return stores, staff


async def _demo_shops(stores: list[Organisation], staff: dict[int, Account]) -> None:
    """The demo shops (shop@demo.test's) take payments too: stores on their own."""
    clerk = await Account.get(email="shop@demo.test")
    for shop in await Organisation.filter(kind=OrgKind.MERCHANT, members__account=clerk):
        # Added before its first payment (September): a statement covers days from then on.
        added = china(date(2026, 8, 1), 9)
        await Organisation.filter(id=shop.id, created_at__gt=added).update(created_at=added)
        shop.created_at = min(shop.created_at, added)
        stores.append(shop)
        staff[shop.id] = clerk


async def _centres(password: str) -> list[Organisation]:
    centres = []
    for n, centre in enumerate(CENTRES):
        with _at(china(date(2026, 8, 10 + n), 9)):
            account = await create_staff(
                kind=OrgKind.CENTRE,
                org_name=centre.name,
                city=centre.city,
                address=centre.address,
                email=centre.email,
                password=password,
                name=centre.staff_name,
            )
        centres.append(
            await Organisation.get(kind=OrgKind.CENTRE, name=centre.name, members__account=account)
        )
    return centres


async def _families(centres: list[Organisation], rng: random.Random) -> list[DemoFamily]:
    """Each centre's families, one person each, registered in August and September."""
    made: list[DemoFamily] = []
    number = 0
    surnames = list(dict.fromkeys(SURNAMES))
    for centre, spec in zip(centres, CENTRES, strict=True):
        for _n in range(spec.families):
            surname = surnames[number % len(surnames)]
            registered = china(date(2026, 8, 15) + timedelta(days=rng.randrange(30)), 10)
            with _at(registered):
                family = await Family.create(
                    id=_id("family", number), name=f"{surname}家", code=family_code(number)
                )
                person = await Person.create(
                    id=_id("person", number),
                    family=family,
                    display_name=f"小{GIVEN[number % len(GIVEN)]}",
                    avatar=AVATARS[number % len(AVATARS)],
                )
                await CentreFamily.create(centre=centre, family=family)
                with i18n.use_locale("zh_Hans"):
                    plan = await plans.create_plan(
                        family,
                        plan_id=_id("plan", number),
                        name="",
                        person_id=str(person.id),
                        template_id="supermarket" if number % 3 else "convenience",
                    )
            steps = [s.as_data() for s in await plans.step_views(plan)]
            made.append(DemoFamily(family, person, centre, plan, steps))
            number += 1
    return made


async def _grants(centres: list[Organisation], programme: Account) -> None:
    for n, centre in enumerate(centres):
        with _at(china(date(2026, 8, 20), 10, n)):
            await budgets.grant(
                centre,
                amount=str(GRANT // 100),
                take_back=False,
                note="2026 年下半年",
                actor=programme,
            )


def _last_day(month: date) -> date:
    following = date(month.year + month.month // 12, month.month % 12 + 1, 1)
    return following - timedelta(days=1)


SUSPENDED_ON = date(2026, 11, 20)


async def _month(
    month: date,
    centres: list[Organisation],
    families: list[DemoFamily],
    stores: list[Organisation],
    staff: dict[int, Account],
    rng: random.Random,
) -> None:
    """One month: the expiry job returns last month's unspent balances just after midnight,
    each centre's batch gives ¥50 a family, then the families' trips, most with a payment at a
    store of their city (or one nearby), a few reversed by the store at once."""
    with _at(china(month, 0, 30)):
        await budgets.expire_vouchers()
    for n, centre in enumerate(centres):
        with _at(china(month, 8, 30 + n)):
            account = await Account.get(org_memberships__organisation=centre)
            await budgets.run_batch(
                centre, amount=str(MONTHLY // 100), month=month.strftime("%Y-%m"), actor=account
            )
    by_city: dict[str, list[Organisation]] = {}
    for store in stores:
        by_city.setdefault(store.city, []).append(store)
    vouchers_of = {
        v.family_id: v
        for v in await Voucher.filter(
            family_id__in=[f.family.id for f in families], valid_from=vouchers.start_of(month)
        )
    }
    last = min(_last_day(month), date(2026, 11, 28))
    for f in families:
        if rng.random() < 0.12:  # not this month
            continue
        days = sorted(
            {month + timedelta(days=rng.randrange((last - month).days + 1)) for _n in range(3)}
        )[: rng.choice((1, 2, 2, 3))]
        voucher = vouchers_of.get(f.family.id)
        for day in days:
            start = china(day, rng.randrange(9, 17), rng.choice((0, 10, 20, 30, 40, 50)))
            paid_at = await _trip(f, start, rng)
            if voucher is None or paid_at is None:
                continue
            city = f.centre.city
            # The store suspended on SUSPENDED_ON takes no payment from then on.
            choices = [
                s
                for c in (city, *NEARBY.get(city, ()))
                for s in by_city.get(c, [])
                if day < SUSPENDED_ON or s.name != _suspended_name()
            ]
            if not choices:
                continue
            await _pay(voucher, rng.choice(choices), paid_at, staff, rng)


async def _next_month(centres: list[Organisation]) -> None:
    """December's batch, given a few days ahead: good from 1 December."""
    for n, centre in enumerate(centres):
        with _at(china(NEXT_BATCH_ON, 9, n)):
            account = await Account.get(org_memberships__organisation=centre)
            await budgets.run_batch(
                centre,
                amount=str(MONTHLY // 100),
                month=NEXT_MONTH.strftime("%Y-%m"),
                actor=account,
            )


def _suspended_name() -> str:
    return next(s.name for c in CHAINS for s in c.stores if s.state == "suspended")


FEELINGS = ("happy", "calm", "calm", "worried")


async def _trip(f: DemoFamily, start: datetime, rng: random.Random) -> datetime | None:
    """A trip of the family's person with its plan; returns when they paid on it (None: a trip
    without shopping)."""
    steps = f.steps
    with _at(start):
        trip_id = _id("trip", f.family.id, start.isoformat())
        trip = await trips.start_trip(
            f.person, f.plan, trip_id=trip_id, steps=steps, client_time=start
        )
        if rng.random() < 0.7:
            await _event(trip, "feeling_before", None, start, rng.choice(FEELINGS))
        if rng.random() < 0.3 and len(steps) > 2:
            await _event(trip, "help_shown", 2, start + timedelta(minutes=8))
            await _event(trip, "help_closed", 2, start + timedelta(minutes=9))
        end = start + timedelta(minutes=rng.randrange(25, 50))
        await _event(trip, "finish", len(steps) - 1, end)
        if rng.random() < 0.7:
            await _event(trip, "feeling_after", None, end, rng.choice(FEELINGS[:3]))
    return end - timedelta(minutes=5) if rng.random() < 0.8 else None


async def _event(trip: Trip, kind: str, step: int | None, at: datetime, value: str = "") -> None:
    await trips.record_event(
        trip,
        event_id=uuid.uuid5(trip.id, f"{kind}-{step}-{value}"),
        kind=kind,
        step=step,
        client_time=at,
        value=value,
    )


async def _pay(
    voucher: Voucher,
    store: Organisation,
    at: datetime,
    staff: dict[int, Account],
    rng: random.Random,
) -> None:
    """A payment at the till with the person's pay code, as the till takes it; now and then
    the store's admin reverses it at once (the wrong amount typed)."""
    if voucher.balance < 5_00:
        return
    amount = min(voucher.balance, rng.randrange(8_00, 46_00, 10))
    clerk = staff.get(store.id)
    key = f"demo-{voucher.id}-{at.isoformat()}"
    with _at(at):
        token = (await vouchers.pay_tokens(voucher))[0]
        answer = await vouchers.redeem(
            store, key=key, presented=token.code, amount=amount, staff=clerk, secret="demo"
        )
    if answer.balance is None:
        return
    voucher.balance = answer.balance
    if clerk is not None and rng.random() < 0.04:
        with _at(at + timedelta(minutes=3)):
            await vouchers.reverse(await Redemption.get(idempotency_key=key), clerk)
        voucher.balance += amount


async def _statements(programme: Account) -> None:
    """September's statements, made on 8 October and paid on the 20th; one September payment
    reversed by the programme on 15 October after a complaint (an adjustment on October's
    statement); October's statements made on 6 November, half of them paid on the 18th."""
    merchants = await settlement.merchants()
    september = (date(2026, 9, 1), date(2026, 9, 30))
    october = (date(2026, 10, 1), date(2026, 10, 31))
    made = []
    for n, merchant in enumerate(merchants):
        # None for a merchant added later or with nothing in the period.
        with _at(china(date(2026, 10, 8), 10, n)), suppress(FormErrors):
            made.append(await settlement.make_statement(merchant, *september, programme))
    for n, statement in enumerate(s for s in made if s.total):
        with _at(china(date(2026, 10, 20), 14, n)):
            await settlement.mark_paid(
                statement, f"HB2026-09-{statement.merchant_id:04d}", programme
            )
    complaint = (
        await Redemption.filter(
            outcome=Outcome.PAID,
            reversed_at=None,
            created_at__gte=vouchers.start_of(september[0]),
            created_at__lt=vouchers.end_of(september[1]),
        )
        .order_by("id")
        .first()
    )
    if complaint is not None:
        with _at(china(date(2026, 10, 15), 11)):
            await vouchers.reverse(complaint, programme, any_day=True)
    made = []
    for n, merchant in enumerate(merchants):
        with _at(china(date(2026, 11, 6), 10, n)), suppress(FormErrors):
            made.append(await settlement.make_statement(merchant, *october, programme))
    for n, statement in enumerate([s for s in made if s.total][::2]):
        with _at(china(date(2026, 11, 18), 14, n)):
            await settlement.mark_paid(
                statement, f"HB2026-10-{statement.merchant_id:04d}", programme
            )


async def _suspend(programme: Account) -> None:
    """One store suspended by the programme on 20 November (a complaint being looked into)."""
    store = await Organisation.get(kind=OrgKind.MERCHANT, name=_suspended_name())
    with _at(china(SUSPENDED_ON, 16)):
        await programme_services.suspend(store, programme)
