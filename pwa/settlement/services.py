"""Statements of what the programme owes each merchant (issue 17).

A merchant is a chain, or a store with no chain (its own merchant). A statement covers a closed
period (its last day is before today, China's time) and lists every payment (REDEEM) and
reversal (REVERSE) ledger entry of the merchant's stores made before the end of its last day
that no statement lists yet: so an entry an earlier range left out is picked up, and each entry
is on one statement only (StatementLine.entry is one-to-one). A statement never changes once
made: a reversal of a payment that an earlier statement listed is on the next one, as an
adjustment. Money is integer fen; a statement keeps payments (> 0), reversals (<= 0) and their
sum, what the programme owes.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from tortoise.exceptions import IntegrityError
from tortoise.expressions import Subquery
from tortoise.functions import Sum
from tortoise.queryset import QuerySet

from pwa.audit import services as audit
from pwa.audit.services import AuditAction
from pwa.core import clock
from pwa.core.forms import FormErrors
from pwa.db import immediate_transaction
from pwa.i18n import _, format_date
from pwa.models import (
    Account,
    LedgerEntry,
    LedgerKind,
    Organisation,
    OrgKind,
    Outcome,
    PayToken,
    Redemption,
    Statement,
    StatementLine,
)
from pwa.vouchers.services import CHINA, end_of, today

MONEY_KINDS = (LedgerKind.REDEEM, LedgerKind.REVERSE)
MAX_REFERENCE = 100


# --- merchants ---------------------------------------------------------------------------------


def is_merchant(org: Organisation) -> bool:
    return org.kind == OrgKind.CHAIN or (org.kind == OrgKind.MERCHANT and org.chain_id is None)


async def merchants() -> list[Organisation]:
    """Every merchant: the chains, and the stores that belong to none."""
    chains = await Organisation.filter(kind=OrgKind.CHAIN).order_by("name", "id")
    alone = await Organisation.filter(kind=OrgKind.MERCHANT, chain_id=None).order_by("name", "id")
    return sorted([*chains, *alone], key=lambda o: (o.name.casefold(), o.id))


async def merchant_or_none(merchant_id: int) -> Organisation | None:
    org = await Organisation.get_or_none(id=merchant_id)
    return org if org is not None and is_merchant(org) else None


async def store_ids(merchant: Organisation) -> list[int]:
    if merchant.kind == OrgKind.CHAIN:
        found = await Organisation.filter(chain_id=merchant.id, kind=OrgKind.MERCHANT).values_list(
            "id", flat=True
        )
        return [int(i) for i in found]  # type: ignore[call-overload]
    return [merchant.id]


def merchant_of(store: Organisation) -> int:
    return store.chain_id if store.chain_id is not None else store.id


def _unlisted(stores: list[int] | None = None) -> QuerySet[LedgerEntry]:
    """Payments and reversals (of these stores) that no statement lists yet."""
    query = LedgerEntry.filter(kind__in=MONEY_KINDS, shop_id__not_isnull=True).exclude(
        id__in=Subquery(StatementLine.all().values("entry_id"))
    )
    return query.filter(shop_id__in=stores) if stores is not None else query


async def unlisted_entries(stores: list[int], before: datetime | None = None) -> list[LedgerEntry]:
    """The payments and reversals of these stores that no statement lists yet."""
    if not stores:
        return []
    query = _unlisted(stores)
    if before is not None:
        query = query.filter(created_at__lt=before)
    return list(await query.order_by("created_at", "id"))


async def _owners() -> dict[int, int]:
    """Store → its merchant (its chain, or itself)."""
    stores = await Organisation.filter(kind=OrgKind.MERCHANT).values_list("id", "chain_id")
    return {int(s): int(c) if c is not None else int(s) for s, c in stores}


async def _by_merchant(query: QuerySet[LedgerEntry]) -> dict[int, int]:
    """What the programme owes each merchant for these entries (fen: their sum, negated)."""
    owner = await _owners()
    owed: dict[int, int] = defaultdict(int)
    for shop_id, total in (
        await query.annotate(total=Sum("amount"))
        .group_by("shop_id")
        .values_list("shop_id", "total")
    ):
        owed[owner.get(int(shop_id), int(shop_id))] -= int(total or 0)
    return owed


@dataclass
class MerchantOwed:
    merchant: Organisation
    # Fen the programme owes that no statement lists yet (payments - reversals).
    owed: int
    statements: int
    waiting: int


async def merchant_owed() -> list[MerchantOwed]:
    """Each merchant with what no statement lists yet and how many statements wait for payment."""
    found = await merchants()
    owed = await _by_merchant(_unlisted())
    counts: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    for merchant_id, paid_at in await Statement.all().values_list("merchant_id", "paid_at"):
        counts[int(merchant_id)][0] += 1
        if paid_at is None:
            counts[int(merchant_id)][1] += 1
    return [MerchantOwed(m, owed.get(m.id, 0), counts[m.id][0], counts[m.id][1]) for m in found]


# --- making a statement ------------------------------------------------------------------------


def last_month() -> tuple[date, date]:
    first_of_this = today().replace(day=1)
    last = first_of_this - timedelta(days=1)
    return last.replace(day=1), last


def month_range(text: str) -> tuple[date, date]:
    """ "2026-10" → its first and last day."""
    try:
        year, month = (int(part) for part in text.strip().split("-"))
        first = date(year, month, 1)
        following = (first + timedelta(days=32)).replace(day=1)
    except (ValueError, OverflowError):
        raise FormErrors({"month": _("Choose a month, like 2026-10.")}) from None
    return first, following - timedelta(days=1)


def period_from_form(form: dict[str, str]) -> tuple[date, date]:
    """A period from a statement form: the first and last day when both are written,
    otherwise the month."""
    first, last = form.get("first_day", "").strip(), form.get("last_day", "").strip()
    if first or last:
        errors = {}
        days: list[date] = []
        for name, text in (("first_day", first), ("last_day", last)):
            try:
                days.append(date.fromisoformat(text))
            except ValueError:
                errors[name] = _("Write a date like 2026-12-31.")
        if errors:
            raise FormErrors(errors)
        return days[0], days[1]
    return month_range(form.get("month", ""))


def _check_period(first_day: date, last_day: date) -> None:
    if last_day < first_day:
        raise FormErrors({"last_day": _("The last day must be on or after the first day.")})
    if last_day >= today():
        raise FormErrors(
            {
                "last_day": _(
                    "This period is not over yet. A statement can only cover days before today."
                )
            }
        )


async def make_statement(
    merchant: Organisation, first_day: date, last_day: date, actor: Account | None
) -> Statement:
    """The statement of a closed period: every payment and reversal of the merchant's stores
    before the end of its last day that no statement lists yet."""
    if not is_merchant(merchant):
        raise FormErrors({"merchant": _("Choose a merchant.")})
    _check_period(first_day, last_day)
    added = merchant.created_at.astimezone(CHINA).date()
    if last_day < added:
        raise FormErrors(
            {
                "merchant": _(
                    "This period ends before %(merchant)s was added on %(day)s. "
                    "Choose days from then on.",
                    merchant=merchant.name,
                    day=format_date(merchant.created_at.astimezone(CHINA)),
                )
            }
        )
    try:
        return await _make(merchant, first_day, last_day, actor)
    except IntegrityError:
        # PostgreSQL: another statement listed one of these entries at the same moment, and
        # this one was rolled back as a whole.
        raise FormErrors(
            {
                "merchant": _(
                    "Another statement of this merchant was made at the same moment. "
                    "Nothing was made. Look at its statements, then try again."
                )
            }
        ) from None


async def _make(
    merchant: Organisation, first_day: date, last_day: date, actor: Account | None
) -> Statement:
    async with immediate_transaction():
        # PostgreSQL: one statement of a merchant at a time (SQLite's BEGIN IMMEDIATE holds
        # the whole database already).
        await Organisation.select_for_update().get(id=merchant.id)
        if await Statement.filter(
            merchant_id=merchant.id, first_day__lte=last_day, last_day__gte=first_day
        ).exists():
            raise FormErrors(
                {
                    "first_day": _(
                        "This merchant has a statement for some of these days already. "
                        "Choose days after it."
                    )
                }
            )
        entries = await unlisted_entries(await store_ids(merchant), before=end_of(last_day))
        if not entries:
            raise FormErrors(
                {
                    "merchant": _(
                        "Nothing to settle in this period. "
                        "No payment or reversal waits for a statement. Nothing was made."
                    )
                }
            )
        adjusted = await _adjustments(entries)
        # The pay codes as they are now, kept with the lines: a code goes with the phone's
        # session when it logs out, and a statement that was made never changes.
        nonces = dict(
            await Redemption.filter(
                id__in=[e.redemption_id for e in entries if e.redemption_id is not None]
            ).values_list("id", "token_nonce")
        )
        codes = await _codes([nonce for nonce in nonces.values() if nonce])
        payments = -sum(e.amount for e in entries if e.kind == LedgerKind.REDEEM)
        reversals = -sum(e.amount for e in entries if e.kind == LedgerKind.REVERSE)
        statement = await Statement.create(
            merchant_id=merchant.id,
            first_day=first_day,
            last_day=last_day,
            payments=payments,
            reversals=reversals,
            total=payments + reversals,
            created_by=actor,
        )
        await StatementLine.bulk_create(
            [
                StatementLine(
                    statement=statement,
                    entry_id=e.id,
                    adjustment=e.id in adjusted,
                    code=masked_code(codes.get(nonces.get(e.redemption_id) or "", "")),
                )
                for e in entries
            ]
        )
        await audit.record(
            AuditAction.STATEMENT_MAKE,
            actor=actor,
            object_kind="statement",
            object_id=statement.id,
            organisation_id=merchant.id,
            before=None,
            after={
                "merchant": merchant.id,
                "first_day": first_day,
                "last_day": last_day,
                "payments": payments,
                "reversals": reversals,
                "total": payments + reversals,
                "lines": len(entries),
            },
        )
    return statement


async def _adjustments(entries: list[LedgerEntry]) -> set[int]:
    """The reversals among these entries whose payment an earlier statement lists."""
    reversals = {e.redemption_id: e.id for e in entries if e.kind == LedgerKind.REVERSE}
    if not reversals:
        return set()
    listed = await StatementLine.filter(
        entry__kind=LedgerKind.REDEEM, entry__redemption_id__in=list(reversals)
    ).values_list("entry__redemption_id", flat=True)
    return {reversals[r] for r in listed}  # type: ignore[index]


# --- paying ------------------------------------------------------------------------------------


async def mark_paid(statement: Statement, reference: str, actor: Account | None) -> None:
    """Programme staff paid the statement: once, with the bank's or the payment's reference."""
    reference = reference.strip()
    if not reference:
        raise FormErrors({"reference": _("Write the reference of the payment.")})
    if len(reference) > MAX_REFERENCE:
        raise FormErrors({"reference": _("The reference can have at most 100 characters.")})
    now = clock.now()
    async with immediate_transaction():
        marked = await Statement.filter(id=statement.id, paid_at=None).update(
            paid_at=now, paid_reference=reference, paid_by=actor
        )
        if not marked:
            raise FormErrors({"reference": _("This statement is marked paid already.")})
        await audit.record(
            AuditAction.STATEMENT_PAID,
            actor=actor,
            object_kind="statement",
            object_id=statement.id,
            organisation_id=statement.merchant_id,
            before={"paid": False},
            after={"paid_at": now, "reference": reference},
        )
    statement.paid_at, statement.paid_reference = now, reference


# --- reading -----------------------------------------------------------------------------------


async def statements_of(merchant_ids: list[int]) -> list[Statement]:
    return list(
        await Statement.filter(merchant_id__in=merchant_ids)
        .prefetch_related("merchant")
        .order_by("-last_day", "-id")
    )


def payment_reference(redemption_id: int | None) -> str:
    return f"P{redemption_id}" if redemption_id is not None else ""


def parse_payment_reference(text: str) -> int | None:
    """ "P123", "p 123" or "123" → 123."""
    digits = text.strip().upper().removeprefix("P").strip()
    if not digits.isdigit() or len(digits) > 9:
        return None
    return int(digits)


def masked_code(code: str) -> str:
    """The last 4 characters of the pay code: enough to match the till's receipt, no more."""
    return f"••••-{code[-4:]}" if code else ""


@dataclass
class Line:
    entry_id: int
    kind: str  # "payment", "reversal" or "adjustment"
    day: date
    at: datetime
    store: str
    city: str
    # Fen the programme owes for the line: > 0 a payment, < 0 a reversal.
    amount: int
    reference: str
    code: str
    # An adjustment: the statement that listed its payment.
    payment_statement_id: int | None = None


async def _codes(nonces: list[str]) -> dict[str, str]:
    if not nonces:
        return {}
    return dict(await PayToken.filter(nonce__in=nonces).values_list("nonce", "code"))


async def lines_of(statement: Statement) -> list[Line]:
    """A statement's lines, oldest first. Each names its store, the payment's reference and
    the end of its pay code: never a person or a family."""
    rows = (
        await StatementLine.filter(statement_id=statement.id)
        .prefetch_related("entry", "entry__shop", "entry__redemption")
        .order_by("entry__created_at", "entry_id")
    )
    redemption_ids = [r.entry.redemption_id for r in rows if r.entry.redemption_id is not None]
    payment_statements = dict(
        await StatementLine.filter(
            entry__kind=LedgerKind.REDEEM, entry__redemption_id__in=redemption_ids
        ).values_list("entry__redemption_id", "statement_id")
    )
    lines = []
    for row in rows:
        entry = row.entry
        at = entry.created_at
        kind = "payment" if entry.kind == LedgerKind.REDEEM else "reversal"
        if row.adjustment:
            kind = "adjustment"
        lines.append(
            Line(
                entry_id=entry.id,
                kind=kind,
                day=at.astimezone(CHINA).date(),
                at=at,
                store=entry.shop.name if entry.shop else "",
                city=entry.shop.city if entry.shop else "",
                amount=-entry.amount,
                reference=payment_reference(entry.redemption_id),
                code=row.code,
                payment_statement_id=payment_statements.get(entry.redemption_id)
                if row.adjustment
                else None,
            )
        )
    return lines


@dataclass
class FoundPayment:
    redemption: Redemption
    store: Organisation
    merchant: Organisation | None
    code: str
    statement_id: int | None


async def find_payment(reference: str) -> FoundPayment | None:
    """A payment (one that went through) by its reference, with where it is listed."""
    redemption_id = parse_payment_reference(reference)
    if redemption_id is None:
        return None
    redemption = await Redemption.get_or_none(id=redemption_id, outcome=Outcome.PAID)
    if redemption is None:
        return None
    store = await Organisation.get(id=redemption.shop_id)
    merchant = await Organisation.get_or_none(id=merchant_of(store))
    codes = await _codes([redemption.token_nonce] if redemption.token_nonce else [])
    line = await StatementLine.get_or_none(
        entry__kind=LedgerKind.REDEEM, entry__redemption_id=redemption.id
    )
    return FoundPayment(
        redemption=redemption,
        store=store,
        merchant=merchant,
        code=masked_code(codes.get(redemption.token_nonce or "", "")),
        statement_id=line.statement_id if line else None,
    )


# --- checks ------------------------------------------------------------------------------------


async def statement_problems() -> list[str]:
    """For check-ledger: every statement whose stored totals are not its lines', and every
    merchant whose payments minus reversals are not what its statements list plus what no
    statement lists yet (there should be none)."""
    problems = []
    sums: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    for statement_id, kind, amount in await StatementLine.all().values_list(
        "statement_id", "entry__kind", "entry__amount"
    ):
        sums[int(statement_id)][0 if kind == LedgerKind.REDEEM else 1] -= int(amount)
    stated: dict[int, int] = defaultdict(int)
    for statement in await Statement.all().order_by("id"):
        payments, reversals = sums.get(statement.id, [0, 0])
        if (statement.payments, statement.reversals, statement.total) != (
            payments,
            reversals,
            payments + reversals,
        ):
            problems.append(
                f"statement {statement.id}: payments {statement.payments}, reversals "
                f"{statement.reversals}, total {statement.total}; its lines: payments "
                f"{payments}, reversals {reversals}, total {payments + reversals}"
            )
        stated[statement.merchant_id] += statement.total
    everything = await _by_merchant(
        LedgerEntry.filter(kind__in=MONEY_KINDS, shop_id__not_isnull=True)
    )
    unlisted = {m.merchant.id: m.owed for m in await merchant_owed()}
    for merchant_id in sorted(set(everything) | set(stated)):
        listed = stated.get(merchant_id, 0)
        waiting = unlisted.get(merchant_id, 0)
        if everything.get(merchant_id, 0) != listed + waiting:
            problems.append(
                f"merchant {merchant_id}: payments minus reversals {everything.get(merchant_id, 0)}"
                f", its statements {listed} and not on a statement {waiting}"
            )
    return problems
