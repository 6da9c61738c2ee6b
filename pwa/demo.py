"""Demo data (`python -m pwa demo`): safe to run again, it only adds what is missing."""

from __future__ import annotations

from tortoise.transactions import in_transaction

from pwa.accounts import create_account, new_family
from pwa.models import Account, Family, Membership, OrgKind, Person, Role
from pwa.orgs import create_staff

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
            made.append(parent.email)
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
        caregiver = await Account.get_or_none(email="caregiver@demo.test")
        if caregiver is None:
            caregiver = await create_account(
                "caregiver@demo.test", PASSWORD, "陈老师 Teacher Chen", "", None
            )
            made.append(caregiver.email)
        await Membership.get_or_create(
            account=caregiver, family=family, defaults={"role": Role.CAREGIVER}
        )
    staff = [
        (
            OrgKind.CENTRE,
            "爱星康复中心 Aixing Rehabilitation Centre",
            "杭州 Hangzhou",
            "西湖区文三路 100 号",
            "centre@demo.test",
            "周医生 Dr Zhou",
        ),
        (
            OrgKind.MERCHANT,
            "邻里超市 Neighbourhood Supermarket",
            "杭州 Hangzhou",
            "西湖区学院路 28 号",
            "shop@demo.test",
            "刘店长 Manager Liu",
        ),
        (
            OrgKind.MERCHANT,
            "好邻居便利店 Good Neighbour Convenience Store",
            "杭州 Hangzhou",
            "西湖区教工路 9 号",
            "shop@demo.test",
            "刘店长 Manager Liu",
        ),
    ]
    for kind, org, city, address, email, name in staff:
        existed = await Account.exists(email=email)
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
    return made
