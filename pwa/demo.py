"""Demo data (`python -m pwa demo`): safe to run again, it only adds what is missing."""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta

from tortoise.transactions import in_transaction

from pwa import demo_programme, demo_shop, i18n
from pwa.accounts import consent
from pwa.accounts.services import create_account, create_staff, new_family
from pwa.core import clock
from pwa.lists import services as lists
from pwa.models import (
    Account,
    CentreFamily,
    Family,
    ListItem,
    Membership,
    Organisation,
    OrgKind,
    OrgMembership,
    Person,
    Plan,
    PlanStep,
    Role,
    ShoppingList,
    Trip,
    Voucher,
)
from pwa.plans import services as plans
from pwa.trips import services as trips
from pwa.vouchers import services as vouchers

PASSWORD = "startrip-demo"
DEMO_FAMILY_CODE = "DEMO2345"


async def load_demo() -> list[str]:
    """Create the demo family, centre and shops; returns what was made, for the command's output."""
    made: list[str] = []
    async with in_transaction():
        parent = await Account.get_or_none(email="parent@demo.test")
        if parent is None:
            parent = await create_account(
                "parent@demo.test", PASSWORD, "王丽 Li Wang", "13800138000", None
            )
            made.append("parent@demo.test")
        family = await Family.get_or_none(code=DEMO_FAMILY_CODE)
        if family is None:
            family = await new_family("王家 The Wang family")
            family.code = DEMO_FAMILY_CODE
            await family.save(update_fields=["code"])
            made.append("family")
        await Membership.get_or_create(
            account=parent, family=family, defaults={"role": Role.GUARDIAN}
        )
        if not await Person.exists(family=family):
            await Person.create(family=family, display_name="小明 Ming", avatar="1F466")
            made.append("person")
        if not await consent.current(parent):
            # The demo parent has agreed to the privacy notice as it is now, as at sign-up:
            # logging in goes to the family home, not to /privacy/agree.
            await consent.record(parent, occasion="sign_up", family_id=family.id)
            made.append("consent")
        caregiver = await Account.get_or_none(email="caregiver@demo.test")
        if caregiver is None:
            caregiver = await create_account(
                "caregiver@demo.test", PASSWORD, "陈老师 Teacher Chen", "", None
            )
            made.append("caregiver@demo.test")
        await Membership.get_or_create(
            account=caregiver, family=family, defaults={"role": Role.CAREGIVER}
        )
    staff = [
        (
            OrgKind.CENTRE,
            "爱星康复中心 Aixing Rehabilitation Centre",
            "石家庄",
            "桥西区维明南大街 100 号",
            "centre@demo.test",
            "周医生 Dr Zhou",
        ),
        (
            OrgKind.MERCHANT,
            "邻里超市 Neighbourhood Supermarket",
            "石家庄",
            "长安区建设北大街 28 号",
            "shop@demo.test",
            "刘店长 Manager Liu",
        ),
        (
            OrgKind.MERCHANT,
            "好邻居便利店 Good Neighbour Convenience Store",
            "石家庄",
            "桥西区自强路 9 号",
            "shop@demo.test",
            "刘店长 Manager Liu",
        ),
    ]
    made += await demo_list(family)
    made += await demo_plan(family)
    for kind, org, city, address, email, name in staff:
        existed = await Account.exists(email=email)
        # The demo was in Hangzhou before the Hebei programme: a database loaded then moves.
        await (
            Organisation.filter(kind=kind, name=org)
            .exclude(city=city)
            .update(city=city, address=address)
        )
        await create_staff(
            kind=kind,
            org_name=org,
            city=city,
            address=address,
            email=email,
            password=PASSWORD,
            name=name,
        )
        if not existed:
            made.append(email)
    programme, added = await demo_programme.programme_staff(PASSWORD)
    made += added
    centre = await Organisation.get(kind=OrgKind.CENTRE, members__account__email="centre@demo.test")
    made += await demo_programme.demo_centre_budget(centre, programme)
    made += await demo_vouchers(family)
    # After demo_vouchers: the supermarket is a friendly shop by then.
    made += await demo_shop.load(DEMO_LIST_ID, DEMO_PLAN_ID)
    made += await demo_trips(family, caregiver)
    made += await demo_programme.load_hebei(PASSWORD, programme)
    return made


# Fixed ids, so running the demo again finds the list it made (the services are idempotent).
DEMO_LIST_ID = uuid.UUID("5a7e0000-0000-4000-8000-000000000001")
DEMO_ITEMS = [
    # (pictogram, quantity, price in yuan, note)
    ("1F95B", 2, "6.50", ""),
    ("1F34E", 3, "2.00", ""),
    ("1F35E", 1, "8.00", "切片的 sliced"),
    ("1F95A", 1, "12.00", ""),
    ("1F9FB", 1, "15.00", ""),
]


async def demo_list(family: Family) -> list[str]:
    """A shopping list for Ming with milk, apples, bread, eggs and toilet paper."""
    person = await Person.filter(family=family).order_by("created_at").first()
    existed = await ShoppingList.exists(id=DEMO_LIST_ID)
    shopping_list = await lists.create_list(
        family,
        list_id=DEMO_LIST_ID,
        name="周六购物 Saturday shop",
        person_id=str(person.id) if person else "",
        budget="60",
    )
    for n, (code, quantity, price, note) in enumerate(DEMO_ITEMS, start=1):
        item_id = uuid.UUID(f"5a7e0000-0000-4000-8001-{n:012d}")
        if await ListItem.exists(id=item_id):
            continue
        item = await lists.add_item(
            shopping_list, item_id=item_id, pictogram=code, quantity=quantity
        )
        await lists.update_item(item, {"note": note, "price": price}, writer="demo")
    return [] if existed else ["shopping list"]


DEMO_PLAN_ID = uuid.UUID("5a7e0000-0000-4000-8002-000000000001")


async def demo_plan(family: Family) -> list[str]:
    """The supermarket template for Ming, its "find the items" step opening the demo list."""
    if await Plan.exists(id=DEMO_PLAN_ID):
        return []
    person = await Person.filter(family=family).order_by("created_at").first()
    with i18n.use_locale("zh_Hans"):
        plan = await plans.create_plan(
            family,
            plan_id=DEMO_PLAN_ID,
            name="去超市 Supermarket trip",
            person_id=str(person.id) if person else "",
            template_id="supermarket",
        )
    await PlanStep.filter(plan=plan, link="list").update(shopping_list_id=DEMO_LIST_ID)
    return ["trip plan"]


DEMO_TRIPS = uuid.UUID("5a7e0000-0000-4000-8004-000000000000")
# Twelve Saturday trips, oldest first: (help card shown at these steps, minutes per step,
# items ticked, feeling before, feeling after). Ming needs the help card less as weeks go by.
PAST_TRIPS = [
    ((1, 3, 4, 5), 6, 3, "worried", "upset"),
    ((3, 4, 5), 6, 3, "worried", "calm"),
    ((3, 5), 5, 4, "worried", "calm"),
    ((3, 5), 5, 4, "calm", "calm"),
    ((5,), 5, 4, "calm", "happy"),
    ((3,), 4, 5, "worried", "calm"),
    ((5,), 4, 5, "calm", "happy"),
    ((), 4, 5, "calm", "happy"),
    ((5,), 3, 5, "happy", "happy"),
    ((), 3, 5, "calm", "happy"),
    ((), 3, 5, "", ""),
    ((), 3, 5, "happy", "happy"),
]


async def _event(trip: Trip, kind: str, step: int | None, at: datetime, value: str = "") -> None:
    await trips.record_event(
        trip,
        event_id=uuid.uuid5(trip.id, f"{kind}-{step}-{value}"),
        kind=kind,
        step=step,
        client_time=at,
        value=value,
    )


async def demo_trips(family: Family, caregiver: Account) -> list[str]:
    """Past trips of Ming over twelve weeks, so the history and the progress charts mean
    something: each with its steps, help-card uses, ticks on the list (cleared again after
    the trip) and a feelings check; two with a note from Teacher Chen."""
    first_id = uuid.uuid5(DEMO_TRIPS, "0")
    if await Trip.exists(id=first_id):
        return []
    plan = await Plan.get(id=DEMO_PLAN_ID)
    person = await Person.get(id=plan.person_id)
    steps = [s.as_data() for s in await plans.step_views(plan)]
    items = await ListItem.filter(list_id=DEMO_LIST_ID, deleted_at=None).order_by("position")
    last_saturday = clock.now().replace(hour=2, minute=0, second=0, microsecond=0)
    last_saturday -= timedelta(days=(last_saturday.weekday() - 5) % 7 or 7)
    for n, (help_at, minutes, ticked, before, after) in enumerate(PAST_TRIPS):
        trip_id = uuid.uuid5(DEMO_TRIPS, str(n))
        start = last_saturday - timedelta(weeks=len(PAST_TRIPS) - 1 - n)
        trip = await trips.start_trip(person, plan, trip_id=trip_id, steps=steps, client_time=start)

        if before:
            await _event(trip, "feeling_before", None, start, before)
        at = start
        for index in range(len(steps)):
            if index in help_at:
                await _event(trip, "help_shown", index, at + timedelta(minutes=1))
                await _event(trip, "help_closed", index, at + timedelta(minutes=2))
            if index == 3:  # find the things on the list
                for k, item in enumerate(items[:ticked]):
                    await lists.mark_item(
                        item,
                        mark_id=uuid.uuid5(trip_id, f"tick-{k}"),
                        state="ticked",
                        client_time=at + timedelta(minutes=1 + k),
                    )
            at += timedelta(minutes=minutes)
            await _event(trip, "step_done", index, at)
        await _event(trip, "finish", len(steps) - 1, at)
        if after:
            await _event(trip, "feeling_after", None, at + timedelta(minutes=1), after)
        # The list starts again for the next Saturday.
        for k, item in enumerate(items[:ticked]):
            await lists.mark_item(
                item,
                mark_id=uuid.uuid5(trip_id, f"clear-{k}"),
                state="cleared",
                client_time=at + timedelta(minutes=2),
            )
        if n in (0, len(PAST_TRIPS) - 1):
            text = (
                "第一次自己去超市，在排队时有点紧张。 First trip alone; a bit tense in the line."
                if n == 0
                else "这次全程没用求助卡。 No help card at all this time."
            )
            await trips.add_note(
                trip, note_id=uuid.uuid5(trip_id, "note"), account=caregiver, text=text
            )
    return [f"{len(PAST_TRIPS)} past trips"]


DEMO_VOUCHER_ID = uuid.UUID("5a7e0000-0000-4000-8003-000000000001")
# Two more families registered with the centre, so a CSV import has three to give vouchers to.
OTHER_FAMILIES = (("DEMO3456", "李家 The Li family"), ("DEMO4567", "张家 The Zhang family"))


async def demo_vouchers(family: Family) -> list[str]:
    """The centre knows three families; the Wang family has a ¥50 voucher; shop staff are the
    shops' admins; the shops have their directory details."""
    centre = await Organisation.get(kind=OrgKind.CENTRE, members__account__email="centre@demo.test")
    await CentreFamily.get_or_create(centre=centre, family=family)
    for code, name in OTHER_FAMILIES:
        other = await Family.get_or_none(code=code)
        if other is None:
            other = await new_family(name)
            other.code = code
            await other.save(update_fields=["code"])
        await CentreFamily.get_or_create(centre=centre, family=other)
    await OrgMembership.filter(account__email="shop@demo.test").update(admin=True)
    await Organisation.filter(kind=OrgKind.MERCHANT, opening_hours="").update(
        opening_hours="每天 8:00–21:00 every day",
        quiet_hours="工作日 14:00–16:00 weekdays",
        staff_know="我们说话慢一点，带你去货架。We speak slowly and show the way.",
    )
    # Friendly shops of the programme: the guide read, the checklist confirmed, approved.
    await Organisation.filter(
        kind=OrgKind.MERCHANT, members__account__email="shop@demo.test", guide_read_at=None
    ).update(**demo_programme.friendly_shop_dates(date(2026, 8, 12)))
    if await Voucher.exists(id=DEMO_VOUCHER_ID):
        return []
    await vouchers.issue_voucher(
        centre,
        voucher_id=DEMO_VOUCHER_ID,
        family_id=str(family.id),
        amount="50",
        valid_from="",
        valid_until=(vouchers.today() + timedelta(days=180)).isoformat(),
        shop_ids=[],
    )
    return ["voucher"]
