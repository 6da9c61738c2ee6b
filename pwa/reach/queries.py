"""The numbers of the reach page (issue 17): how many families the programme reaches in a month,
by city, by centre and by merchant, and what its vouchers did.

Read with a few grouped SQL queries (the same text on SQLite and PostgreSQL; only the
placeholders differ), never a loop over families: a month of the 6,000-family data set answers
in milliseconds (bench/programme.py). Money is integer fen.

Definitions (the page says them in a short note):
- A month is a calendar month in China's time.
- Families registered: CentreFamily rows made before the month ended. By city: the families of
  that city's centres; a family with two centres counts once in each centre's row, once in its
  city's row and once in the total.
- Families with a trip: registered families with at least one trip started in the month.
- Issued: vouchers made in the month (how many, and their face value) by their centre.
- Spent: payments less reversals in the month (REDEEM and REVERSE ledger entries), returned:
  ended vouchers' unspent balance gone back in the month (RETURN entries), both by the
  voucher's centre; by merchant, by the store that took the payment.
- Friendly stores active: stores that take vouchers now (the rule of
  pwa/vouchers/services.takes_vouchers), by the store's city and its merchant (its chain, or
  the store itself when it has no chain).
- Families that paid there: families with a payment in the month at one of the merchant's
  stores that was not reversed.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from tortoise import connections

from pwa.models import Organisation, OrgKind
from pwa.vouchers.services import start_of

# A family count under this shows "fewer than 5"; a row of fewer families hides its money.
SMALLEST = 5


def month_range(month: date) -> tuple[datetime, datetime]:
    """The month of `month` (its first day) as [start, end) in UTC, China's calendar."""
    first = month.replace(day=1)
    following = date(first.year + first.month // 12, first.month % 12 + 1, 1)
    return start_of(first), start_of(following)


@dataclass
class Row:
    """One row of a table: a city, a centre, a merchant, or the whole programme."""

    key: str
    label: str
    city: str = ""
    registered: int = 0
    active: int = 0
    issued_count: int = 0
    issued: int = 0
    spent: int = 0
    returned: int = 0
    stores: int = 0
    paid_families: int = 0
    total: bool = False
    # The family count that decides whether the row's money shows (registered, or for a
    # merchant the families that paid there).
    families_for_money: int = 0
    # Cells not shown although not small themselves ("registered", "active", "paid_families",
    # "money"): the one small cell of a column could be worked out from the total minus the
    # rest, so the next smallest is withheld too (complementary suppression, _complement).
    withheld: set[str] = field(default_factory=set)

    @property
    def money_hidden(self) -> bool:
        if self.total:
            # Only when a table's one row is hidden: the total would be that row.
            return "money" in self.withheld
        return self.families_for_money < SMALLEST or "money" in self.withheld

    def count_hidden(self, column: str) -> bool:
        """Whether a family count shows only as "fewer than 5" or "not shown"."""
        return int(getattr(self, column)) < SMALLEST or column in self.withheld

    def hidden(self, column: str) -> bool:
        return self.money_hidden if column == "money" else self.count_hidden(column)

    def size(self, column: str) -> int:
        return self.families_for_money if column == "money" else int(getattr(self, column))

    @property
    def share(self) -> int | None:
        """Spent as a whole percentage of what was issued in the month; None: nothing issued."""
        # None too when reversals of earlier payments outweigh the month's: no share of it.
        return round(100 * self.spent / self.issued) if self.issued and self.spent >= 0 else None


@dataclass
class Reach:
    start: datetime
    end: datetime
    cities: list[Row] = field(default_factory=list)
    centres: list[Row] = field(default_factory=list)
    merchants: list[Row] = field(default_factory=list)
    total: Row = field(default_factory=lambda: Row("total", "", total=True))


async def _rows(sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
    connection = connections.get("default")
    if connection.capabilities.dialect == "postgres":
        parts = sql.split("?")
        sql = parts[0] + "".join(f"${n}{part}" for n, part in enumerate(parts[1:], 1))
    return list(await connection.execute_query_dict(sql, list(params)))


def _grouped(rows: list[dict[str, Any]], value: str = "n") -> dict[Any, int]:
    return {row["k"]: int(row[value] or 0) for row in rows}


# Registered families (with a centre before the month ended) and those with a trip in the month,
# by centre, by city and in all, in one statement. The families with a trip are found once:
# each person's trips of the month through the trip (person_id, started_at) index, so a month
# of a year of trips reads only that month's index entries. `marked` is used three times, so
# SQLite and PostgreSQL both compute it once.
FAMILIES = """
WITH registered AS (
    SELECT cf.centre_id, o.city, cf.family_id FROM centre_family cf
    JOIN organisation o ON o.id = cf.centre_id WHERE cf.created_at < ?
), travelled AS (
    SELECT DISTINCT p.family_id FROM person p WHERE EXISTS (
        SELECT 1 FROM trip t WHERE t.person_id = p.id AND t.started_at >= ? AND t.started_at < ?)
), marked AS (
    SELECT r.centre_id, r.city, r.family_id,
        CASE WHEN t.family_id IS NULL THEN NULL ELSE r.family_id END AS active_id
    FROM registered r LEFT JOIN travelled t ON t.family_id = r.family_id
)
SELECT 'centre' AS part, CAST(centre_id AS VARCHAR(20)) AS k,
    COUNT(DISTINCT family_id) AS n, COUNT(DISTINCT active_id) AS a FROM marked GROUP BY centre_id
UNION ALL
SELECT 'city' AS part, city AS k,
    COUNT(DISTINCT family_id) AS n, COUNT(DISTINCT active_id) AS a FROM marked GROUP BY city
UNION ALL
SELECT 'total' AS part, '' AS k,
    COUNT(DISTINCT family_id) AS n, COUNT(DISTINCT active_id) AS a FROM marked
"""

# Families that paid (not reversed) in the month, by merchant (a store's chain, or the store)
# and in all: one read of the month's payments.
PAID = """
WITH paid AS (
    SELECT DISTINCT COALESCE(s.chain_id, s.id) AS merchant, v.family_id
    FROM redemption r JOIN voucher v ON v.id = r.voucher_id
    JOIN organisation s ON s.id = r.shop_id
    WHERE r.outcome = 'paid' AND r.reversed_at IS NULL
    AND r.created_at >= ? AND r.created_at < ?
)
SELECT merchant AS k, COUNT(DISTINCT family_id) AS n FROM paid GROUP BY merchant
UNION ALL
SELECT 0 AS k, COUNT(DISTINCT family_id) AS n FROM paid
"""


def takes_vouchers(store: Organisation, chains: dict[int, Organisation]) -> bool:
    """pwa/vouchers/services.takes_vouchers on rows already read (the chains by id)."""
    if store.kind != OrgKind.MERCHANT or not store.accepts_vouchers or store.approved_at is None:
        return False
    if store.suspended_at is not None or store.ended_at is not None:
        return False
    if store.chain_id is not None:
        chain = chains.get(store.chain_id)
        if chain is None or chain.suspended_at is not None or chain.ended_at is not None:
            return False
    return True


async def reach(month: date) -> Reach:
    """The numbers of the month that starts `month` (any day of it)."""
    start, end = month_range(month)
    found = Reach(start, end)
    organisations = await Organisation.filter(
        kind__in=[OrgKind.CENTRE, OrgKind.CHAIN, OrgKind.MERCHANT]
    ).order_by("city", "name", "id")
    centres = [o for o in organisations if o.kind == OrgKind.CENTRE]
    chains = {o.id: o for o in organisations if o.kind == OrgKind.CHAIN}
    stores = [o for o in organisations if o.kind == OrgKind.MERCHANT]

    families: dict[tuple[str, str], tuple[int, int]] = {
        (row["part"], str(row["k"])): (int(row["n"] or 0), int(row["a"] or 0))
        for row in await _rows(FAMILIES, [end, start, end])
    }
    issued = await _rows(
        "SELECT centre_id AS k, COUNT(*) AS n, SUM(face_value) AS money FROM voucher "
        "WHERE created_at >= ? AND created_at < ? GROUP BY centre_id",
        [start, end],
    )
    # Spent and returned by the voucher's centre and by store: payments are negative,
    # reversals positive, returns negative (an ended voucher's balance leaves it).
    ledger = await _rows(
        "SELECT v.centre_id AS k, le.shop_id AS shop, le.kind AS kind, SUM(le.amount) AS money "
        "FROM ledger_entry le JOIN voucher v ON v.id = le.voucher_id "
        "WHERE le.kind IN ('redeem', 'reverse', 'return') "
        "AND le.created_at >= ? AND le.created_at < ? GROUP BY v.centre_id, le.shop_id, le.kind",
        [start, end],
    )
    paid = _grouped(await _rows(PAID, [start, end]))

    # --- centres, then cities from their centres ---
    issued_of = {entry["k"]: (int(entry["n"]), int(entry["money"] or 0)) for entry in issued}
    spent_of: dict[int, int] = defaultdict(int)
    returned_of: dict[int, int] = defaultdict(int)
    spent_at: dict[int, int] = defaultdict(int)
    for entry in ledger:
        if entry["kind"] == "return":
            returned_of[entry["k"]] += abs(int(entry["money"] or 0))
        else:
            spent_of[entry["k"]] -= int(entry["money"] or 0)
            if entry["shop"] is not None:
                spent_at[int(entry["shop"])] -= int(entry["money"] or 0)
    city_rows: dict[str, Row] = {}

    def city(name: str) -> Row:
        if name not in city_rows:
            city_rows[name] = Row(name, name, name)
        return city_rows[name]

    for centre in centres:
        row = Row(
            str(centre.id),
            centre.name,
            centre.city,
            registered=families.get(("centre", str(centre.id)), (0, 0))[0],
            active=families.get(("centre", str(centre.id)), (0, 0))[1],
            issued_count=issued_of.get(centre.id, (0, 0))[0],
            issued=issued_of.get(centre.id, (0, 0))[1],
            spent=spent_of.get(centre.id, 0),
            returned=returned_of.get(centre.id, 0),
        )
        row.families_for_money = row.registered
        if centre.ended_at is not None and not (
            row.registered or row.issued or row.spent or row.returned
        ):
            continue  # an ended centre with nothing to show this month
        found.centres.append(row)
        in_city = city(centre.city)
        in_city.issued_count += row.issued_count
        in_city.issued += row.issued
        in_city.spent += row.spent
        in_city.returned += row.returned
    for name, row in city_rows.items():
        row.registered, row.active = families.get(("city", name), (0, 0))

    # --- merchants and stores ---
    merchant_rows: dict[int, Row] = {}
    for store in stores:
        merchant = chains.get(store.chain_id) if store.chain_id is not None else store
        if merchant is None:
            continue
        active_store = takes_vouchers(store, chains)
        spent_here = spent_at.get(store.id, 0)
        if not active_store and not spent_here and merchant.id not in merchant_rows:
            continue
        if merchant.id not in merchant_rows:
            merchant_rows[merchant.id] = Row(str(merchant.id), merchant.name)
        row = merchant_rows[merchant.id]
        row.spent += spent_here
        if active_store:
            row.stores += 1
            city(store.city).stores += 1
    for merchant_id, row in merchant_rows.items():
        row.paid_families = paid.get(merchant_id, 0)
        row.families_for_money = row.paid_families
    for row in city_rows.values():
        row.families_for_money = row.registered

    found.cities = [city_rows[name] for name in sorted(city_rows)]
    found.merchants = sorted(merchant_rows.values(), key=lambda r: (r.label, r.key))
    total = found.total
    total.registered, total.active = families.get(("total", ""), (0, 0))
    total.issued_count = sum(r.issued_count for r in found.centres)
    total.issued = sum(r.issued for r in found.centres)
    total.spent = sum(r.spent for r in found.centres)
    total.returned = sum(r.returned for r in found.centres)
    total.stores = sum(r.stores for r in found.merchants)
    total.paid_families = paid.get(0, 0)
    total.families_for_money = total.registered
    _suppress(found)
    return found


def _suppress(found: Reach) -> None:
    """Complementary suppression: no hidden cell may be worked out from what shows. Within each
    table its total is the sum of its rows; a city is the sum of its centres, so the two tables
    are checked together, until nothing more needs withholding."""
    for _round in range(10):
        changed = False
        for column in ("registered", "active", "money"):
            changed |= _complement(found.centres, column, found.total)
            changed |= _complement(found.cities, column, found.total)
            changed |= _within_cities(found, column)
        for column in ("paid_families", "money"):
            changed |= _complement(found.merchants, column, found.total)
        if not changed:
            return


def _withhold(row: Row, column: str) -> bool:
    if row.hidden(column):
        return False
    row.withheld.add(column)
    return True


def _complement(rows: list[Row], column: str, total: Row) -> bool:
    """When one row alone hides a column's cell, the total minus the other rows would give it:
    the row with the next smallest count withholds its cell too; with no other row, the total
    withholds it (it is that row). True when something more is withheld."""
    hidden = [row for row in rows if row.hidden(column)]
    if len(hidden) != 1:
        return False
    shown = [row for row in rows if not row.hidden(column)]
    if not shown:
        return column == "money" and _withhold(total, column)
    return _withhold(min(shown, key=lambda row: (row.size(column), row.key)), column)


def _within_cities(found: Reach, column: str) -> bool:
    """A city's cell is (about) the sum of its centres': where the city's cell shows, one
    hidden centre beside shown ones withholds the next smallest of them; a city of one centre
    that is hidden withholds its own cell (it is that centre's)."""
    changed = False
    by_city: dict[str, list[Row]] = defaultdict(list)
    for centre in found.centres:
        by_city[centre.city].append(centre)
    for city in found.cities:
        centres = by_city.get(city.key, [])
        hidden = [c for c in centres if c.hidden(column)]
        shown = [c for c in centres if not c.hidden(column)]
        if len(hidden) == 1 and shown and not city.hidden(column):
            # (A city's hidden cell gives nothing away: no withholding needed for it.)
            changed |= _withhold(min(shown, key=lambda c: (c.size(column), c.key)), column)
        elif len(centres) == 1 and hidden:
            changed |= _withhold(city, column)
    return changed
