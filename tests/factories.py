"""Test data, made through the same service functions the pages use."""

from __future__ import annotations

import io
import itertools
import uuid
from dataclasses import dataclass
from datetime import timedelta

from PIL import Image

from pwa import i18n
from pwa.accounts import consent
from pwa.accounts import services as accounts
from pwa.lists import services as lists
from pwa.models import (
    Account,
    Blob,
    CentreFamily,
    Family,
    Organisation,
    OrgKind,
    Person,
    Plan,
    ShoppingList,
    Voucher,
)
from pwa.plans import services as plans
from pwa.vouchers import services as vouchers

PASSWORD = "correct-horse-battery"
_counter = itertools.count(1)


@dataclass
class FamilyFixture:
    guardian: Account
    family: Family
    person: Person
    email: str
    password: str = PASSWORD


async def make_family(
    name: str = "Parent", person_name: str = "Ming", phone: str = "13800138000"
) -> FamilyFixture:
    email = f"parent{next(_counter)}@example.test"
    guardian = await accounts.sign_up_parent(
        email=email,
        password=PASSWORD,
        name=name,
        phone=phone,
        person_name=person_name,
        locale="en",
    )
    family = (await guardian.memberships.all().prefetch_related("family"))[0].family
    person = await Person.get(family=family)
    # Agreed to the privacy notice, as every sign-up page asks (else logging in leads to
    # /privacy/agree: tests/test_consent.py).
    await consent.record(guardian, occasion="sign_up", family_id=family.id, person_id=person.id)
    return FamilyFixture(guardian=guardian, family=family, person=person, email=email)


async def make_account(name: str = "Someone", locale: str = "en") -> tuple[Account, str]:
    email = f"someone{next(_counter)}@example.test"
    account = await accounts.create_account(email, PASSWORD, name, locale=locale)
    return account, email


async def make_caregiver(family: FamilyFixture) -> tuple[Account, str]:
    account, email = await make_account("Teacher")
    token = await accounts.create_invitation(family.family, family.guardian)
    await accounts.accept_invitation(token, account)
    return account, email


async def link_phone(family: FamilyFixture) -> str:
    """A one-time code for the person's phone."""
    return await accounts.create_device_link(family.person, family.guardian)


async def make_list(
    family: FamilyFixture, name: str = "Saturday shop", pictures: dict[str, int] | None = None
) -> ShoppingList:
    """A list for the family's person with {pictogram code: quantity} on it."""
    shopping_list = await lists.create_list(
        family.family, list_id=uuid.uuid4(), name=name, person_id=str(family.person.id)
    )
    for code, quantity in (pictures or {}).items():
        await lists.add_item(shopping_list, item_id=uuid.uuid4(), pictogram=code, quantity=quantity)
    return shopping_list


async def stored_bytes(folder: str) -> dict[str, bytes]:
    """What the blob store holds under a folder (pwa/core/blobs.py): file name → bytes."""
    prefix = f"{folder}/"
    found = await Blob.filter(key__startswith=prefix).values_list("key", "data")
    return {str(key).removeprefix(prefix): bytes(data) for key, data in found}


def jpeg_bytes(width: int = 40, height: int = 30, exif: bool = False) -> bytes:
    """A real JPEG; with exif, it carries a GPS position like a phone photo."""
    image = Image.new("RGB", (width, height), (200, 120, 40))
    out = io.BytesIO()
    if exif:
        data = Image.Exif()
        data[0x010F] = "PhoneMaker"  # Make
        data[0x8825] = {1: "N", 2: (31.0, 14.0, 0.0)}  # GPSInfo: latitude
        image.save(out, "JPEG", exif=data)
    else:
        image.save(out, "JPEG")
    return out.getvalue()


async def make_plan(
    family: FamilyFixture, template_id: str = "supermarket", name: str = ""
) -> Plan:
    """A plan for the family's person, from a shipped template (in English)."""
    with i18n.use_locale("en"):
        return await plans.create_plan(
            family.family,
            plan_id=uuid.uuid4(),
            name=name,
            person_id=str(family.person.id),
            template_id=template_id,
        )


async def make_centre_and_shop() -> tuple[Organisation, Organisation, Account]:
    """A centre and a friendly shop, with a staff account for the shop."""
    from pwa.accounts.services import create_staff

    n = next(_counter)
    await create_staff(
        kind=OrgKind.CENTRE,
        org_name=f"Centre {n}",
        city="Hangzhou",
        address="",
        email=f"centre{n}@example.test",
        password=PASSWORD,
        name="Dr Zhou",
    )
    staff = await create_staff(
        kind=OrgKind.MERCHANT,
        org_name=f"Shop {n}",
        city="Hangzhou",
        address="",
        email=f"shop{n}@example.test",
        password=PASSWORD,
        name="Manager Liu",
    )
    centre = await Organisation.get(name=f"Centre {n}")
    shop = await Organisation.get(name=f"Shop {n}")
    await give_budget(centre)
    return centre, shop, staff


async def give_budget(centre: Organisation, yuan: int = 100_000) -> None:
    """The programme gives the centre a budget to issue vouchers from (issue 17)."""
    from pwa.audit.services import COMMAND_LINE
    from pwa.budgets.services import grant

    await grant(centre, amount=str(yuan), take_back=False, note="tests", actor=COMMAND_LINE)


async def make_voucher(
    family: FamilyFixture, centre: Organisation, yuan: int = 50, days: int = 30
) -> Voucher:
    await CentreFamily.get_or_create(centre=centre, family=family.family)
    last = vouchers.today() + timedelta(days=days)
    return await vouchers.issue_voucher(
        centre,
        voucher_id=uuid.uuid4(),
        family_id=str(family.family.id),
        amount=str(yuan),
        valid_from="",
        valid_until=last.isoformat(),
        shop_ids=[],
    )


async def make_programme_staff(name: str = "Ms Gao") -> Account:
    """A programme staff account (issue 17), as `python -m pwa create-staff programme` makes."""
    n = next(_counter)
    return await accounts.create_staff(
        kind=OrgKind.PROGRAMME,
        org_name="Startrip programme",
        city="石家庄",
        address="",
        email=f"programme{n}@example.test",
        password=PASSWORD,
        name=name,
    )
