"""The audit log's pages: programme staff read, filter and download it; nobody else sees it."""

from __future__ import annotations

import csv
import io

from pwa.accounts.services import create_staff
from pwa.audit.services import AuditAction, record
from pwa.models import AuditEntry, Organisation, OrgKind
from tests.factories import PASSWORD


def entries(page) -> str:
    """The log's rows (the filter form names every kind of entry too)."""
    return page.text.split("<tbody>", 1)[1].split("</tbody>", 1)[0]


async def programme_staff(client, email: str = "programme@example.test") -> None:
    await create_staff(
        kind=OrgKind.PROGRAMME,
        org_name="Community Star",
        city="石家庄",
        address="",
        email=email,
        password=PASSWORD,
        name="Programme Zhao",
    )
    await client.log_in(email, PASSWORD)


async def test_programme_staff_read_filter_and_download_the_log(client, other_client):
    await programme_staff(client)
    centre = await Organisation.create(kind=OrgKind.CENTRE, name="邯郸康复中心", city="邯郸")
    await record(
        AuditAction.BUDGET_GRANT,
        actor="Programme Zhao",
        object_kind="centre",
        object_id=centre.id,
        organisation_id=centre.id,
        before={"granted": 0},
        after={"granted": 500000},
    )
    await record(
        AuditAction.STORE_APPROVE,
        actor="=Programme Qian",
        object_kind="store",
        object_id=99,
        after={"approved": "=cmd()"},
    )

    page = await client.get("/programme/audit")
    assert page.status_code == 200
    assert "Budget given" in entries(page) and "Store approved as a friendly shop" in entries(page)
    assert "granted: CN¥5,000.00" in entries(page) and "邯郸康复中心" in entries(page)

    only_budgets = await client.get(
        f"/programme/audit?action=budget.grant&organisation={centre.id}"
    )
    assert "Budget given" in entries(only_budgets)
    assert "Store approved as a friendly shop" not in entries(only_budgets)
    by_actor = await client.get("/programme/audit?actor=qian")
    assert "Store approved" in entries(by_actor) and "Budget given" not in entries(by_actor)

    for query in ("from=31/12/2026", "from=0001-01-01", "until=9999-12-31", "from=2026-13-01"):
        bad_day = await client.get(f"/programme/audit?{query}")
        assert bad_day.status_code == 400 and "Write a date like 2026-12-31." in bad_day.text
        refused = await client.get(f"/programme/audit.csv?{query}")
        assert refused.status_code == 400 and "Write a date like 2026-12-31." in refused.text
    backwards = await client.get("/programme/audit?from=2026-12-02&until=2026-12-01")
    assert (
        backwards.status_code == 400 and "The last day is before the first day." in backwards.text
    )

    download = await client.get("/programme/audit.csv?action=store.approve")
    assert download.status_code == 200
    rows = list(csv.reader(io.StringIO(download.text.lstrip("\ufeff"))))
    assert rows[0][:5] == ["id", "at", "actor_id", "actor", "action"]
    assert [row[4] for row in rows[1:]] == ["store.approve"]
    # A name typed as a formula is only text in a spreadsheet.
    assert rows[1][3] == "'=Programme Qian"

    # A family's parent, a centre's staff: no audit log.
    await create_staff(
        kind=OrgKind.CENTRE,
        org_name="Centre",
        city="邯郸",
        address="",
        email="centre@example.test",
        password=PASSWORD,
        name="Dr Zhou",
    )
    await other_client.log_in("centre@example.test", PASSWORD)
    for url in ("/programme/audit", "/programme/audit.csv"):
        assert (await other_client.get(url)).status_code == 403


async def test_the_log_pages_through_long_histories(client):
    await programme_staff(client)
    for n in range(130):
        await record(AuditAction.PAYMENT, actor="Till", object_kind="redemption", object_id=n)
    first = await client.get("/programme/audit")
    row = '<span class="hint">redemption '
    assert first.text.count(row) == 100
    assert "Older entries" in first.text
    older_url = next(
        part.split('"', 1)[0]
        for part in first.text.split('href="')[1:]
        if "before=" in part.split('"', 1)[0]
    ).replace("&amp;", "&")
    older = await client.get(older_url)
    assert older.text.count(row) == 30 and "Older entries" not in older.text
    download = await client.get("/programme/audit.csv")
    rows = list(csv.reader(io.StringIO(download.text.lstrip("\ufeff"))))
    assert [row[7] for row in rows[1:] if row[4] == "payment"] == [
        str(n) for n in range(129, -1, -1)
    ]
    assert await AuditEntry.filter(action="payment").count() == 130


async def test_work_and_family_stay_apart(client, other_client):
    """A staff account never follows a family (its caregiver invitation is refused in words),
    and create-staff refuses a family's account (issue 17 review)."""
    import pytest

    from pwa.accounts import services as accounts
    from pwa.core.forms import FormErrors
    from pwa.models import Membership, OrgMembership
    from tests.factories import make_family, make_programme_staff

    family = await make_family()
    token = await accounts.create_invitation(family.family, family.guardian)
    staff = await make_programme_staff()
    await other_client.log_in(staff.email or "", PASSWORD)
    answer = await other_client.submit(f"/invite/{token}")
    assert answer.status_code == 400
    assert "belongs to the staff of an organisation" in answer.text
    assert not await Membership.exists(account=staff)
    assert await AuditEntry.filter(action="invitation.make", object_kind="invitation").count() == 1
    assert not await AuditEntry.exists(action="invitation.accept")

    with pytest.raises(FormErrors):
        await create_staff(
            kind=OrgKind.CENTRE,
            org_name="Centre",
            city="邯郸",
            address="",
            email=family.email,
            password=PASSWORD,
            name="Parent",
        )
    assert not await OrgMembership.exists(account=family.guardian)
