"""Reach (issue 17): the programme page by city, centre and merchant, checked against a
hand-built fixture for October 2026 (China's time): two cities, three centres (7, 3 and 3
families, one family with two centres), trips, vouchers, payments, a reversal and returns just
inside and just outside the month. Counts under 5 families show "fewer than 5", and such a
row's money is not shown."""

from __future__ import annotations

import csv
import io
import uuid
from datetime import UTC, datetime
from html.parser import HTMLParser
from typing import Any

import pytest

from pwa import i18n
from pwa.accounts.services import create_staff
from pwa.models import (
    CentreFamily,
    Family,
    LedgerEntry,
    LedgerKind,
    Organisation,
    OrgKind,
    Outcome,
    Person,
    Redemption,
    Trip,
    Voucher,
)
from pwa.reach.queries import Reach, Row, _complement, _suppress
from tests.conftest import Client
from tests.factories import PASSWORD

# October 2026 in China's time is [30 Sep 16:00, 31 Oct 16:00) UTC.
START = datetime(2026, 9, 30, 16, 0, tzinfo=UTC)
END = datetime(2026, 10, 31, 16, 0, tzinfo=UTC)
JUST_BEFORE = datetime(2026, 9, 30, 15, 59, tzinfo=UTC)
MID = datetime(2026, 10, 15, 3, 0, tzinfo=UTC)
SEPTEMBER = datetime(2026, 9, 20, 3, 0, tzinfo=UTC)
NOVEMBER = datetime(2026, 11, 5, 3, 0, tzinfo=UTC)


def money(fen: int) -> str:
    with i18n.use_locale("en"):
        return i18n.format_money(fen)


class Tables(HTMLParser):
    """The page's tables by caption id: rows of cell texts (header cells included)."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: dict[str, list[list[str]]] = {}
        self._table: list[list[str]] | None = None
        self._cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "caption":
            key = dict(attrs).get("id") or ""
            self._table = self.tables.setdefault(key, [])
        elif tag == "tr" and self._table is not None:
            self._table.append([])
        elif tag in ("td", "th") and self._table is not None:
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._cell is not None and self._table is not None:
            self._table[-1].append(" ".join("".join(self._cell).split()))
            self._cell = None
        elif tag == "table":
            self._table = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)


def tables(html: str) -> dict[str, dict[str, list[str]]]:
    parser = Tables()
    parser.feed(html)
    return {key: {row[0]: row[1:] for row in rows if row} for key, rows in parser.tables.items()}


async def family(name: str) -> tuple[Family, Person]:
    made = await Family.create(id=uuid.uuid4(), name=name, code=uuid.uuid4().hex[:10].upper())
    person = await Person.create(id=uuid.uuid4(), family=made, display_name=name)
    return made, person


async def trip(person: Person, at: datetime) -> None:
    await Trip.create(
        id=uuid.uuid4(),
        family_id=person.family_id,
        person=person,
        plan_name="Shop",
        started_at=at,
        created_at=at,
    )


async def voucher(fam: Family, centre: Organisation, fen: int, at: datetime) -> Voucher:
    made = await Voucher.create(
        id=uuid.uuid4(),
        family=fam,
        centre=centre,
        face_value=fen,
        balance=fen,
        valid_from=at,
        valid_until=datetime(2027, 6, 1, tzinfo=UTC),
        created_at=at,
    )
    await LedgerEntry.create(voucher=made, kind=LedgerKind.ISSUE, amount=fen, created_at=at)
    return made


async def pay(
    v: Voucher, store: Organisation, fen: int, at: datetime, reversed_at: datetime | None = None
) -> None:
    redemption = await Redemption.create(
        idempotency_key=uuid.uuid4().hex,
        request_hash="x",
        voucher=v,
        shop=store,
        amount=fen,
        outcome=Outcome.PAID,
        created_at=at,
        reversed_at=reversed_at,
    )
    await LedgerEntry.create(
        voucher=v,
        kind=LedgerKind.REDEEM,
        amount=-fen,
        shop=store,
        redemption=redemption,
        created_at=at,
    )
    if reversed_at is not None:
        await LedgerEntry.create(
            voucher=v,
            kind=LedgerKind.REVERSE,
            amount=fen,
            shop=store,
            redemption=redemption,
            created_at=reversed_at,
        )


async def org(kind: OrgKind, name: str, city: str, **more: Any) -> Organisation:
    return await Organisation.create(kind=kind, name=name, city=city, **more)


@pytest.fixture
async def fixture(app: Any) -> dict[str, Any]:
    a, b = "Shijiazhuang", "Baoding"
    c1 = await org(OrgKind.CENTRE, "Sunflower Centre", a)
    c2 = await org(OrgKind.CENTRE, "Rainbow Centre", a)
    c3 = await org(OrgKind.CENTRE, "Lotus Centre", b)
    approved = {"approved_at": SEPTEMBER}
    chain = await org(OrgKind.CHAIN, "Happy Mart", a)
    s1 = await org(OrgKind.MERCHANT, "Happy Mart East", a, chain=chain, **approved)
    s2 = await org(OrgKind.MERCHANT, "Happy Mart Baoding", b, chain=chain, **approved)
    await org(OrgKind.MERCHANT, "Happy Mart West", a, chain=chain, suspended_at=MID, **approved)
    s3 = await org(OrgKind.MERCHANT, "Corner Shop", a, **approved)
    await org(OrgKind.MERCHANT, "Not Yet Shop", b)  # not approved: not a friendly store
    stopped = await org(OrgKind.CHAIN, "Stopped Chain", b, suspended_at=MID)
    await org(OrgKind.MERCHANT, "Stopped Store", b, chain=stopped, **approved)

    f = [await family(f"f{n}") for n in range(1, 8)]  # Sunflower's 7; f7 is with Rainbow too
    g = [await family(f"g{n}") for n in range(1, 3)]  # Rainbow: f7, g1, g2
    h = [await family(f"h{n}") for n in range(1, 4)]  # Lotus: 3
    late = await family("late")  # with Sunflower only from November
    for fam, _p in f:
        await CentreFamily.create(centre=c1, family=fam, created_at=SEPTEMBER)
    for fam, _p in [f[6], *g]:
        await CentreFamily.create(centre=c2, family=fam, created_at=SEPTEMBER)
    for fam, _p in h:
        await CentreFamily.create(centre=c3, family=fam, created_at=SEPTEMBER)
    await CentreFamily.create(centre=c1, family=late[0], created_at=NOVEMBER)

    # Trips: f1 at the first minute of October, f2-f4 and f7 (twice) in it; f5 a minute before,
    # f6 at the first minute of November; g1 and h1 in October; the late family too.
    await trip(f[0][1], START)
    for _fam, person in (f[1], f[2], f[3], f[6], f[6], g[0], h[0], late):
        await trip(person, MID)
    await trip(f[4][1], JUST_BEFORE)
    await trip(f[5][1], END)

    # Vouchers: five of ¥20 by Sunflower in October, one of ¥50 in September; Rainbow ¥20 and
    # Lotus ¥40 in October.
    v = [await voucher(f[n][0], c1, 2000, START) for n in range(5)]
    v0 = await voucher(f[5][0], c1, 5000, SEPTEMBER)
    v6 = await voucher(g[0][0], c2, 2000, MID)
    await voucher(h[0][0], c3, 4000, MID)
    # Payments: ¥3 by each of f1-f5 at Happy Mart's stores, ¥5 paid and reversed by f5, ¥15 by
    # g1; ¥30 by f6 at the Corner Shop, and ¥2 there in September; ¥1 just after October.
    for n, store in enumerate((s1, s1, s2, s1, s2)):
        await pay(v[n], store, 300, MID)
    await pay(v[4], s2, 500, MID, reversed_at=MID)
    await pay(v6, s1, 1500, MID)
    await pay(v0, s3, 3000, MID)
    await pay(v0, s3, 200, SEPTEMBER)
    await pay(v[1], s1, 100, END)
    # Returns: ¥10 of the September voucher in October, ¥2 of Rainbow's in November.
    await LedgerEntry.create(voucher=v0, kind=LedgerKind.RETURN, amount=-1000, created_at=MID)
    await LedgerEntry.create(voucher=v6, kind=LedgerKind.RETURN, amount=-200, created_at=NOVEMBER)

    await create_staff(
        kind=OrgKind.PROGRAMME,
        org_name="Programme",
        city="Shijiazhuang",
        address="",
        email="programme@example.test",
        password=PASSWORD,
        name="Programme staff",
    )
    return {"centre": c1}


FEWER = "fewer than 5"
HIDDEN = "not shown"


async def test_reach_page_counts_by_city_centre_and_merchant(
    client: Client, fixture: dict[str, Any]
) -> None:
    await client.log_in("programme@example.test", PASSWORD)
    page = await client.get("/programme/reach?month=2026-10", headers={"Accept-Language": "en"})
    assert page.status_code == 200, page.text
    assert "October 2026" in page.text
    found = tables(page.text)
    city = found["caption-city-families"]
    # City: families registered, with a trip, friendly stores active.
    # Two cities, one under 5: the other is withheld too, or the total minus it would give
    # Baoding's (complementary suppression).
    assert city["Shijiazhuang"] == [HIDDEN, HIDDEN, "2"]
    assert city["Baoding"] == [FEWER, FEWER, "1"]
    assert city["Whole programme"] == ["12", "7", "3"]
    # Vouchers: how many issued, issued, spent, returned, share spent.
    city = found["caption-city-vouchers"]
    assert city["Shijiazhuang"] == [HIDDEN] * 5
    assert city["Baoding"] == [HIDDEN] * 5
    assert city["Whole programme"] == ["7", money(16000), money(6000), money(1000), "38 %"]
    centre = found["caption-centre-families"]
    assert centre["Sunflower Centre"] == ["Shijiazhuang", "7", "5"]
    assert centre["Rainbow Centre"] == ["Shijiazhuang", FEWER, FEWER]
    assert centre["Lotus Centre"] == ["Baoding", FEWER, FEWER]
    assert centre["Whole programme"] == ["", "12", "7"]
    centre = found["caption-centre-vouchers"]
    assert centre["Sunflower Centre"] == ["5", money(10000), money(4500), money(1000), "45 %"]
    assert centre["Rainbow Centre"] == [HIDDEN] * 5
    assert centre["Lotus Centre"] == [HIDDEN] * 5
    assert centre["Whole programme"] == city["Whole programme"]
    merchant = found["caption-merchants"]
    assert merchant == {
        "Merchant": ["Friendly stores active", "Families that paid there", "Spent there"],
        "Corner Shop": ["1", FEWER, HIDDEN],
        "Happy Mart": ["2", HIDDEN, HIDDEN],
        "Whole programme": ["3", "7", money(6000)],
    }
    # The charts: no bar for a suppressed count, its words instead.
    # The charts (by city and by merchant): a bar only where the table shows the number, and
    # here both cities and both merchants are withheld.
    assert page.text.count('class="chart-bar"') == 0
    assert FEWER in page.text.split('id="chart-active"')[1].split("</figure>")[0]


async def test_reach_csv_suppresses_small_counts(client: Client, fixture: dict[str, Any]) -> None:
    await client.log_in("programme@example.test", PASSWORD)
    answer = await client.get("/programme/reach.csv?month=2026-10")
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(answer.text.lstrip("\ufeff"))))
    header, body = rows[0], rows[1:]
    by_name = {(row[1], row[2]): dict(zip(header, row, strict=True)) for row in body}
    shijiazhuang = by_name[("city", "Shijiazhuang")]
    assert shijiazhuang["families_registered"] == "hidden"
    assert shijiazhuang["families_with_a_trip"] == "hidden"
    assert shijiazhuang["issued_yuan"] == "hidden"
    assert shijiazhuang["spent_yuan"] == "hidden"
    assert shijiazhuang["friendly_stores_active"] == "2"
    baoding = by_name[("city", "Baoding")]
    assert baoding["families_registered"] == "<5"
    assert baoding["families_with_a_trip"] == "<5"
    assert baoding["spent_yuan"] == "hidden"
    assert by_name[("centre", "Rainbow Centre")]["families_registered"] == "<5"
    assert by_name[("centre", "Sunflower Centre")]["spent_yuan"] == "45.00"
    assert by_name[("merchant", "Corner Shop")]["families_that_paid"] == "<5"
    assert by_name[("merchant", "Corner Shop")]["spent_yuan"] == "hidden"
    assert by_name[("merchant", "Happy Mart")]["spent_yuan"] == "hidden"
    total = by_name[("total", "all")]
    assert total["families_registered"] == "12"
    assert total["families_with_a_trip"] == "7"
    assert total["vouchers_issued"] == "7"
    assert total["share_spent_percent"] == "38"
    assert total["families_that_paid"] == "7"
    assert all(row["month"] == "2026-10" for row in by_name.values())


async def test_a_month_with_nothing_says_so_and_counts_under_5(
    client: Client, fixture: dict[str, Any]
) -> None:
    """August: no trips, vouchers or families yet; nothing issued shows "—"."""
    await client.log_in("programme@example.test", PASSWORD)
    page = await client.get("/programme/reach?month=2026-08", headers={"Accept-Language": "en"})
    found = tables(page.text)
    assert found["caption-city-families"]["Whole programme"] == [FEWER, FEWER, "3"]
    assert found["caption-city-vouchers"]["Whole programme"] == [
        "0",
        money(0),
        money(0),
        money(0),
        "—",
    ]


async def test_reach_in_chinese(client: Client, fixture: dict[str, Any]) -> None:
    await client.log_in("programme@example.test", PASSWORD)
    page = await client.get("/programme/reach?month=2026-10", headers={"Accept-Language": "zh"})
    assert page.status_code == 200
    assert "2026年10月" in page.text


async def test_only_programme_staff_see_reach(
    client: Client, other_client: Client, fixture: dict[str, Any]
) -> None:
    await create_staff(
        kind=OrgKind.CENTRE,
        org_name="Sunflower Centre",
        city="Shijiazhuang",
        address="",
        email="centre@example.test",
        password=PASSWORD,
        name="Centre staff",
    )
    await client.log_in("centre@example.test", PASSWORD)
    for url in ("/programme/reach", "/programme/reach.csv?month=2026-10"):
        assert (await client.get(url)).status_code == 403
        answer = await other_client.get(url)
        assert answer.status_code in (302, 303, 401, 403) and "Shijiazhuang" not in answer.text


async def test_a_wrong_month_is_refused_in_words(client: Client, fixture: dict[str, Any]) -> None:
    await client.log_in("programme@example.test", PASSWORD)
    page = await client.get("/programme/reach?month=2026-13", headers={"Accept-Language": "en"})
    assert page.status_code == 400
    assert "Choose a month, for example 2026-11." in page.text
    answer = await client.get("/programme/reach.csv?month=oops")
    assert answer.status_code == 400


def _row(key: str, city: str, families: int, spent: int) -> Row:
    row = Row(key, key, city, registered=families, spent=spent)
    row.families_for_money = families
    return row


def test_one_small_cell_of_a_column_withholds_the_next_smallest_and_no_more() -> None:
    """The total minus the shown rows must not give a hidden cell: with one row under 5, the
    next smallest row is withheld too; with two or more under 5, nothing more."""
    total = Row("total", "", total=True)
    rows = [_row("a", "X", 3, 0), _row("b", "X", 6, 0), _row("c", "X", 9, 0)]
    _complement(rows, "registered", total)
    _complement(rows, "money", total)
    assert [row.count_hidden("registered") for row in rows] == [True, True, False]
    assert [row.money_hidden for row in rows] == [True, True, False]
    two_small = [_row("a", "X", 3, 0), _row("b", "X", 2, 0), _row("c", "X", 9, 0)]
    _complement(two_small, "registered", total)
    assert [row.count_hidden("registered") for row in two_small] == [True, True, False]
    # A table of one hidden row: the total is that row, so its money is withheld too.
    alone = [_row("a", "X", 3, 3000)]
    _complement(alone, "money", total)
    assert total.money_hidden


def test_a_hidden_centre_cannot_be_worked_out_from_its_city() -> None:
    """City X has centres A (3 families, ¥30 spent) and B (50 families); city Y has only C
    (10 families). Hiding A in the centres table alone would leave A = X − B; every cell that
    could give A (or the centre withheld for it) is withheld too, in both tables."""
    a, b, c = _row("A", "X", 3, 3000), _row("B", "X", 50, 90000), _row("C", "Y", 10, 20000)
    x, y = _row("X", "X", 53, 93000), _row("Y", "Y", 10, 20000)
    found = Reach(datetime.now(UTC), datetime.now(UTC), cities=[x, y], centres=[a, b, c])
    found.total.registered, found.total.spent = 63, 113000
    found.total.families_for_money = 63
    _suppress(found)
    shown = {
        row.key: (
            None if row.count_hidden("registered") else row.registered,
            None if row.money_hidden else row.spent,
        )
        for row in (a, b, c, x, y)
    }
    # Nothing of A, B, C, X or Y shows, but the total.
    assert all(value == (None, None) for value in shown.values()), shown
    assert not found.total.money_hidden and found.total.spent == 113000
