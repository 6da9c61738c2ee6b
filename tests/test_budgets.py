"""Centre budgets (issue 17): a centre issues only what its budget has left, also when twenty
issues and batches run at once; the programme gives and takes back; check-ledger finds a
budget changed behind its back."""

from __future__ import annotations

import asyncio
import os
import re
import sys
import uuid
from datetime import timedelta

import pytest
from tortoise.exceptions import IntegrityError, OperationalError

from pwa import ROOT, i18n
from pwa.accounts.services import create_staff
from pwa.audit.services import AuditAction
from pwa.budgets import services as budgets
from pwa.core.forms import FormErrors
from pwa.models import (
    AuditEntry,
    BudgetEntry,
    CentreBudget,
    CentreFamily,
    LedgerEntry,
    Organisation,
    OrgKind,
    Voucher,
)
from pwa.vouchers import services as vouchers
from tests.conftest import Client
from tests.factories import (
    PASSWORD,
    give_budget,
    make_centre_and_shop,
    make_family,
)


async def new_centre(yuan: int = 0) -> tuple[Organisation, str]:
    """A centre with a staff account (its email), and a budget of `yuan`."""
    email = f"centre-{uuid.uuid4().hex[:8]}@example.test"
    await create_staff(
        kind=OrgKind.CENTRE,
        org_name=f"Centre {email}",
        city="Baoding",
        address="",
        email=email,
        password=PASSWORD,
        name="Ms Zhao",
    )
    centre = await Organisation.get(name=f"Centre {email}")
    if yuan:
        await give_budget(centre, yuan)
    return centre, email


async def add_families(centre: Organisation, count: int) -> list[uuid.UUID]:
    found = []
    for n in range(count):
        family = await vouchers.register_family(centre, name=f"Family {n}")
        found.append(family.id)
    return found


def last_day(days: int = 30) -> str:
    return (vouchers.today() + timedelta(days=days)).isoformat()


async def issue(centre: Organisation, family_id: uuid.UUID, yuan: int) -> Voucher:
    return await vouchers.issue_voucher(
        centre,
        voucher_id=uuid.uuid4(),
        family_id=str(family_id),
        amount=str(yuan),
        valid_from="",
        valid_until=last_day(),
        shop_ids=[],
    )


async def assert_money_agrees(centre: Organisation) -> None:
    """What a user of check-ledger would see, plus the sums a person checks by hand."""
    budget = await CentreBudget.get(centre_id=centre.id)
    assert budget.unissued >= 0
    entries = await BudgetEntry.filter(centre_id=centre.id).values_list("amount", flat=True)
    assert sum(entries) == budget.unissued
    issued = sum(await Voucher.filter(centre=centre).values_list("face_value", flat=True))
    assert budget.granted - budget.unissued == issued
    for voucher in await Voucher.filter(centre=centre):
        ledger = await LedgerEntry.filter(voucher=voucher).values_list("amount", flat=True)
        assert sum(ledger) == voucher.balance
    assert await budgets.money_problems() == []


async def run_check_ledger(database_url: str) -> tuple[int, str]:
    """`python -m pwa check-ledger` against the test's database, as an operator runs it."""
    env = {**os.environ, "DATABASE_URL": database_url, "SECRET_KEY": "x" * 40}
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "pwa",
        "check-ledger",
        cwd=ROOT,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    out, _err = await process.communicate()
    assert process.returncode is not None
    return process.returncode, out.decode()


@pytest.mark.usefixtures("app")
async def test_a_centre_cannot_issue_beyond_its_budget() -> None:
    centre, _email = await new_centre(yuan=100)
    (family_id,) = await add_families(centre, 1)
    await issue(centre, family_id, 60)
    with pytest.raises(FormErrors) as refused, i18n.use_locale("en"):
        await issue(centre, family_id, 50)
    assert refused.value.errors["amount"] == (
        "The centre's budget has CN¥40.00 left. This needs CN¥50.00."
    )
    assert await Voucher.filter(centre=centre).count() == 1
    assert (await CentreBudget.get(centre_id=centre.id)).unissued == 4000
    await issue(centre, family_id, 40)
    assert (await CentreBudget.get(centre_id=centre.id)).unissued == 0
    await assert_money_agrees(centre)
    issues = await AuditEntry.filter(action=AuditAction.VOUCHER_ISSUE, organisation_id=centre.id)
    assert len(issues) == 2 and {e.after["face_value"] for e in issues} == {6000, 4000}


@pytest.mark.usefixtures("app")
async def test_a_centre_with_no_budget_issues_nothing() -> None:
    centre, _email = await new_centre()
    (family_id,) = await add_families(centre, 1)
    with pytest.raises(FormErrors, match=r"has CN¥0\.00 left"), i18n.use_locale("en"):
        await issue(centre, family_id, 1)
    assert not await Voucher.filter(centre=centre).exists()


@pytest.mark.usefixtures("app")
async def test_the_database_refuses_a_negative_budget() -> None:
    centre, _email = await new_centre(yuan=10)
    with pytest.raises((IntegrityError, OperationalError)):
        await CentreBudget.filter(centre_id=centre.id).update(unissued=-1)
    assert (await CentreBudget.get(centre_id=centre.id)).unissued == 1000


@pytest.mark.usefixtures("app")
async def test_the_programme_gives_and_takes_back_only_what_is_unissued() -> None:
    centre, _email = await new_centre(yuan=100)
    (family_id,) = await add_families(centre, 1)
    await issue(centre, family_id, 70)
    left = await budgets.grant(centre, amount="20", take_back=True, note="", actor="test")
    assert left == 1000
    with pytest.raises(FormErrors) as refused, i18n.use_locale("en"):
        await budgets.grant(centre, amount="10.01", take_back=True, note="", actor="test")
    assert refused.value.errors["amount"] == (
        "Only what the centre has not issued can be taken back: CN¥10.00."
    )
    budget = await CentreBudget.get(centre_id=centre.id)
    assert (budget.granted, budget.unissued) == (8000, 1000)
    grants = await AuditEntry.filter(action=AuditAction.BUDGET_GRANT, organisation_id=centre.id)
    assert [g.after["amount"] for g in sorted(grants, key=lambda g: g.id)] == [10000, -2000]
    await assert_money_agrees(centre)


async def test_twenty_issues_and_batches_at_once_never_take_more_than_the_budget(app) -> None:
    """Twenty service calls at once, each in its own transaction (PostgreSQL runs them side by
    side): single vouchers and batches for four months, asking ¥1,160 of a ¥500 budget."""
    centre, _email = await new_centre(yuan=500)
    families = await add_families(centre, 4)
    months = [value for value, _label in budgets.month_choices(4)]

    async def single(n: int) -> int:
        try:
            return (await issue(centre, families[n % 4], 30)).face_value
        except FormErrors:
            return 0

    async def batch(n: int) -> int:
        try:
            return (
                await budgets.run_batch(centre, amount="50", month=months[n % 4], actor=None)
            ).total
        except FormErrors:
            return 0

    calls = [single(n) if n % 5 < 3 else batch(n) for n in range(20)]
    assert sum(1 for n in range(20) if n % 5 >= 3) == 8
    taken = await asyncio.gather(*calls)
    budget = await CentreBudget.get(centre_id=centre.id)
    assert budget.unissued >= 0
    assert sum(taken) == 50000 - budget.unissued
    issued = await Voucher.filter(centre=centre).values_list("face_value", flat=True)
    assert sum(issued) == sum(taken) and sum(issued) <= 50000
    # Whatever ran first, once less than ¥30 was left nothing more could be paid.
    assert budget.unissued < 3000
    # A batch gives a family one voucher at most.
    for voucher_batch in await budgets.VoucherBatch.filter(centre_id=centre.id):
        per_family = await Voucher.filter(batch_id=voucher_batch.id).values_list(
            "family_id", flat=True
        )
        assert len(per_family) == len(set(per_family)) == 4
    await assert_money_agrees(centre)


@pytest.mark.usefixtures("app")
async def test_check_ledger_finds_a_budget_changed_behind_its_back(database_url: str) -> None:
    centre, _email = await new_centre(yuan=100)
    (family_id,) = await add_families(centre, 1)
    await issue(centre, family_id, 30)
    code, out = await run_check_ledger(database_url)
    assert (code, out.strip()) == (0, "the ledger agrees with every balance")
    await CentreBudget.filter(centre_id=centre.id).update(unissued=9000)
    problems = await budgets.money_problems()
    assert f"centre {centre.id}: budget unissued 9000, budget entries 7000" in problems
    assert any(p.startswith(f"centre {centre.id}: granted 10000 ≠ unissued 9000") for p in problems)
    code, out = await run_check_ledger(database_url)
    assert code == 1
    assert f"centre {centre.id}: budget unissued 9000, budget entries 7000" in out
    assert out.strip().endswith("the ledger disagrees")


@pytest.mark.usefixtures("app")
async def test_check_ledger_finds_an_issue_the_budget_did_not_pay_for() -> None:
    centre, _email = await new_centre(yuan=100)
    (family_id,) = await add_families(centre, 1)
    voucher = await issue(centre, family_id, 30)
    await BudgetEntry.filter(voucher_id=voucher.id).delete()
    await CentreBudget.filter(centre_id=centre.id).update(unissued=10000)
    problems = await budgets.money_problems()
    assert f"centre {centre.id}: issue entries 0, vouchers' face values 3000" in problems


# --- pages -------------------------------------------------------------------------------------


async def test_the_centre_sees_its_budget_and_is_refused_beyond_it(client: Client) -> None:
    centre, email = await new_centre(yuan=80)
    family = await make_family()
    await CentreFamily.create(centre=centre, family=family.family)
    await client.log_in(email, PASSWORD)
    page = await client.get("/centre/vouchers/new")
    assert "Budget left to give: CN¥80.00" in page.text
    form = {
        "id": str(uuid.uuid4()),
        "family_id": str(family.family.id),
        "amount": "90",
        "valid_from": "",
        "valid_until": last_day(),
    }
    refused = await client.submit("/centre/vouchers/new", form)
    assert refused.status_code == 400
    assert "The centre&#39;s budget has CN¥80.00 left. This needs CN¥90.00." in refused.text
    assert not await Voucher.filter(centre=centre).exists()
    given = await client.submit("/centre/vouchers/new", {**form, "amount": "80"})
    assert given.status_code == 303
    entry = await AuditEntry.get(action=AuditAction.VOUCHER_ISSUE, organisation_id=centre.id)
    assert entry.actor == "Ms Zhao"
    csv_page = await client.get("/centre/import")
    assert "Budget left to give: CN¥0.00" in csv_page.text


async def test_a_csv_import_beyond_the_budget_gives_nothing(client: Client) -> None:
    centre, email = await new_centre(yuan=100)
    codes = []
    for _n in range(3):
        family = await make_family()
        await CentreFamily.create(centre=centre, family=family.family)
        codes.append(family.family.code)
    await client.log_in(email, PASSWORD)
    rows = "".join(f"{code},40,{last_day()}\n" for code in codes)
    data = ("family_code,amount,valid_until\n" + rows).encode()
    refused = await client.post(
        "/centre/import",
        data={"csrf_token": await client.csrf()},
        files={"file": ("vouchers.csv", data, "text/csv")},
    )
    assert refused.status_code == 400
    assert "Nothing was imported. The centre&#39;s budget has CN¥100.00 left." in refused.text
    assert "This needs CN¥120.00." in refused.text
    assert not await Voucher.filter(centre=centre).exists()
    await budgets.grant(centre, amount="20", take_back=False, note="", actor="test")
    given = await client.post(
        "/centre/import",
        data={"csrf_token": await client.csrf()},
        files={"file": ("vouchers.csv", data, "text/csv")},
    )
    assert given.status_code == 303
    assert await Voucher.filter(centre=centre).count() == 3
    (entry,) = await AuditEntry.filter(
        action=AuditAction.VOUCHERS_IMPORT, organisation_id=centre.id
    )
    assert (entry.after["count"], entry.after["total"]) == (3, 12000)
    await assert_money_agrees(centre)


async def test_a_suspended_centre_issues_nothing(client: Client) -> None:
    centre, email = await new_centre(yuan=100)
    await client.log_in(email, PASSWORD)
    assert (await client.get("/centre/vouchers/new")).status_code == 200
    await Organisation.filter(id=centre.id).update(suspended_at=vouchers.clock.now())
    for path in ("/centre/vouchers/new", "/centre/import", "/centre/batch"):
        assert (await client.get(path)).status_code == 403, path


async def test_programme_staff_see_every_budget_and_give_one(client: Client) -> None:
    centre, _email = await new_centre(yuan=100)
    other, _shop, _staff = await make_centre_and_shop()
    programme_email = f"programme-{uuid.uuid4().hex[:8]}@example.test"
    await create_staff(
        kind=OrgKind.PROGRAMME,
        org_name="The programme",
        city="Beijing",
        address="",
        email=programme_email,
        password=PASSWORD,
        name="Mr Sun",
    )
    await client.log_in(programme_email, PASSWORD)
    page = await client.get("/programme/budgets")
    assert page.status_code == 200
    assert centre.name in page.text and other.name in page.text
    assert "CN¥100,000.00" in page.text
    given = await client.submit(
        "/programme/budgets",
        {
            "id": str(uuid.uuid4()),
            "centre_id": str(centre.id),
            "direction": "give",
            "amount": "250",
            "note": "2027",
        },
    )
    assert given.status_code == 303
    budget = await CentreBudget.get(centre_id=centre.id)
    assert (budget.granted, budget.unissued) == (35000, 35000)
    entry = await AuditEntry.filter(action=AuditAction.BUDGET_GRANT).order_by("-id").first()
    assert entry is not None and entry.actor == "Mr Sun" and entry.after["note"] == "2027"
    refused = await client.submit(
        "/programme/budgets",
        {
            "id": str(uuid.uuid4()),
            "centre_id": str(centre.id),
            "direction": "take_back",
            "amount": "400",
            "note": "",
        },
    )
    assert refused.status_code == 400
    assert "Only what the centre has not issued can be taken back: CN¥350.00." in refused.text
    assert (await CentreBudget.get(centre_id=centre.id)).unissued == 35000
    no_centre = await client.submit(
        "/programme/budgets",
        {"id": str(uuid.uuid4()), "centre_id": "x", "direction": "give", "amount": "1"},
    )
    assert no_centre.status_code == 400 and "Choose a centre." in no_centre.text


async def test_a_centre_cannot_open_the_programmes_budgets(client: Client) -> None:
    _centre, email = await new_centre(yuan=100)
    await client.log_in(email, PASSWORD)
    assert (await client.get("/programme/budgets")).status_code == 403


async def programme_account() -> str:
    email = f"programme-{uuid.uuid4().hex[:8]}@example.test"
    await create_staff(
        kind=OrgKind.PROGRAMME,
        org_name=f"The programme {email}",
        city="Beijing",
        address="",
        email=email,
        password=PASSWORD,
        name="Mr Sun",
    )
    return email


def hidden_id(html: str) -> str:
    found = re.search(r'<input type="hidden" name="id" value="([0-9a-f-]{36})">', html)
    assert found is not None
    return found.group(1)


async def test_the_grant_form_sent_twice_grants_once(client: Client) -> None:
    centre, _email = await new_centre()
    await client.log_in(await programme_account(), PASSWORD)
    page = await client.get("/programme/budgets")
    form = {
        "id": hidden_id(page.text),
        "centre_id": str(centre.id),
        "direction": "give",
        "amount": "300",
        "note": "",
    }
    first = await client.submit("/programme/budgets", form)
    assert first.status_code == 303
    second = await client.submit("/programme/budgets", form)
    assert second.status_code == 303
    said = await client.get(second.headers["location"])
    assert "This was saved already. Nothing more was moved." in said.text
    assert f"{centre.name} has CN¥300.00 left to give." in said.text
    # The page after a grant has a new form id: the next grant is a new one.
    assert hidden_id(said.text) != form["id"]
    budget = await CentreBudget.get(centre_id=centre.id)
    assert (budget.granted, budget.unissued) == (30000, 30000)
    assert await BudgetEntry.filter(centre_id=centre.id).count() == 1
    grants = await AuditEntry.filter(action=AuditAction.BUDGET_GRANT, organisation_id=centre.id)
    assert len(grants) == 1
    old_form = await client.submit("/programme/budgets", {**form, "id": "old"})
    assert old_form.status_code == 400
    assert "This form is old. Reload the page and try again." in old_form.text
    assert (await CentreBudget.get(centre_id=centre.id)).unissued == 30000


async def test_one_grant_form_sent_five_times_at_once_grants_once(app) -> None:
    """Five sends of one form at once, each in its own transaction (side by side on
    PostgreSQL): one grant, four told it was saved already."""
    centre, _email = await new_centre()
    request_id = uuid.uuid4()

    async def send() -> int | str:
        try:
            return await budgets.grant(
                centre,
                amount="100",
                take_back=False,
                note="",
                actor="test",
                request_id=request_id,
            )
        except budgets.AlreadyGranted as done:
            return f"again {done.left}"

    answers = await asyncio.gather(*(send() for _n in range(5)))
    assert sorted(answers, key=str) == [10000, *["again 10000"] * 4]
    assert await BudgetEntry.filter(request_id=request_id).count() == 1
    await assert_money_agrees(centre)


async def test_nothing_is_given_to_an_ended_or_suspended_centre(client: Client) -> None:
    centre, _email = await new_centre(yuan=100)
    await Organisation.filter(id=centre.id).update(suspended_at=vouchers.clock.now())
    centre = await Organisation.get(id=centre.id)
    with pytest.raises(FormErrors) as refused, i18n.use_locale("en"):
        await budgets.grant(centre, amount="10", take_back=False, note="", actor="test")
    assert refused.value.errors["centre_id"] == (
        f"{centre.name} is suspended. Nothing can be given to it until it is resumed."
    )
    await Organisation.filter(id=centre.id).update(ended_at=vouchers.clock.now())
    await client.log_in(await programme_account(), PASSWORD)
    page = await client.get("/programme/budgets")
    # Ended with money left: listed for taking back only.
    assert f"{centre.name} · Baoding (ended: only taking back)" in page.text
    refused_page = await client.submit(
        "/programme/budgets",
        {
            "id": hidden_id(page.text),
            "centre_id": str(centre.id),
            "direction": "give",
            "amount": "10",
        },
    )
    assert refused_page.status_code == 400
    assert f"{centre.name} has ended. Nothing can be given to it." in refused_page.text
    assert (await CentreBudget.get(centre_id=centre.id)).unissued == 10000
    taken = await client.submit(
        "/programme/budgets",
        {
            "id": hidden_id(refused_page.text),
            "centre_id": str(centre.id),
            "direction": "take_back",
            "amount": "100",
        },
    )
    assert taken.status_code == 303
    budget = await CentreBudget.get(centre_id=centre.id)
    assert (budget.granted, budget.unissued) == (0, 0)
    # Ended with nothing left: not offered at all (still in the table).
    page = await client.get("/programme/budgets")
    assert f'<option value="{centre.id}"' not in page.text
    assert f"{centre.name} · Baoding (ended)" in page.text
    await assert_money_agrees(centre)
