"""Test data, made through the same service functions the pages use."""

from __future__ import annotations

import itertools
from dataclasses import dataclass

from pwa import accounts
from pwa.models import Account, Family, Person

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
