"""Demo data: every demo account logs in, and loading twice adds nothing."""

from __future__ import annotations

import pytest

from pwa.demo import PASSWORD, load_demo
from pwa.models import Account, Family, Organisation, Person


async def test_demo_data_loads_once(app):
    first = await load_demo()
    assert "parent@demo.test" in first
    counts = [await model.all().count() for model in (Account, Family, Person, Organisation)]
    assert await load_demo() == []
    assert counts == [
        await model.all().count() for model in (Account, Family, Person, Organisation)
    ]
    assert counts[3] == 3  # one centre, two friendly shops


@pytest.mark.parametrize(
    ("email", "lands_on", "sees"),
    [
        ("parent@demo.test", "/home", "Ming"),
        ("caregiver@demo.test", "/home", "You are a caregiver here."),
        ("centre@demo.test", "/centre", "Aixing Rehabilitation Centre"),
        ("shop@demo.test", "/shop", "Good Neighbour Convenience Store"),
    ],
)
async def test_every_demo_account_logs_in(client, email, lands_on, sees):
    await load_demo()
    await client.log_in(email, PASSWORD)
    page = await client.get("/", follow_redirects=True)
    assert str(page.url).endswith(lands_on)
    assert sees in page.text


async def test_staff_pages_are_for_staff_only(client):
    await load_demo()
    await client.log_in("parent@demo.test", PASSWORD)
    assert (await client.get("/centre")).status_code == 403
    assert (await client.get("/shop")).status_code == 403
