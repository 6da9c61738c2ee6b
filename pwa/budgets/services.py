"""Centre budgets (issue 17): the programme grants a centre money to give as vouchers; issuing
takes from it (never below zero: CentreBudget.unissued has a CHECK, and the take is a
conditional UPDATE in the issuing transaction); a batch gives every family of a centre its
voucher for a month, once; and an ended voucher's unspent balance goes back to the budget,
once (Voucher.returned_at is set by the UPDATE that takes the balance).

Money is conserved. For each centre and for the programme:
granted = unissued + outstanding + spent, where outstanding = issued − spent − returned is what
the vouchers still hold and spent = −(redeem + reverse). `budget_problems()` checks it.
"""

from __future__ import annotations

import asyncio
import calendar
import contextlib
import logging
import uuid
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, cast

from babel.dates import format_skeleton
from tortoise.exceptions import IntegrityError
from tortoise.expressions import F, Q
from tortoise.functions import Sum

from pwa import i18n
from pwa.audit import services as audit
from pwa.audit.services import AuditAction
from pwa.budgets.ledger import NotEnoughBudget, give_back, lock
from pwa.budgets.ledger import unissued_of as unissued_of
from pwa.core import clock, money
from pwa.core.forms import FormErrors
from pwa.db import immediate_transaction
from pwa.i18n import _, format_money
from pwa.models import (
    Account,
    BudgetEntry,
    BudgetKind,
    CentreBudget,
    CentreFamily,
    LedgerEntry,
    LedgerKind,
    Organisation,
    OrgKind,
    Voucher,
    VoucherBatch,
    VoucherStatus,
)
from pwa.vouchers import services as vouchers

log = logging.getLogger(__name__)

# What one grant may move (fen): ¥10,000,000.
MAX_GRANT = 10_000_000_00
# Batch ids are derived from the centre and the period, so two first runs at once name the
# same batch, and a batch's vouchers from the batch and the family.
BATCH_NAMESPACE = uuid.UUID("7f0c2b1e-5d3a-4e57-9a61-3b0f6c1d2e17")


# --- reading ---------------------------------------------------------------------------------


async def ensure_budget(centre_id: int) -> CentreBudget:
    """The centre's budget row (made, empty, on first use). Outside a transaction: on
    PostgreSQL a failed INSERT would end the transaction it ran in."""
    budget = await CentreBudget.get_or_none(centre_id=centre_id)
    if budget is not None:
        return budget
    try:
        async with immediate_transaction():
            # One maker at a time (the centre's row locked on PostgreSQL; SQLite's BEGIN
            # IMMEDIATE holds the database): the table does not refuse a second row itself.
            await Organisation.select_for_update().filter(id=centre_id).first()
            budget = await CentreBudget.get_or_none(centre_id=centre_id)
            return budget or await CentreBudget.create(centre_id=centre_id)
    except IntegrityError:  # made by someone else a moment ago
        return await CentreBudget.get(centre_id=centre_id)


@dataclass
class BudgetRow:
    centre: Organisation
    granted: int = 0
    unissued: int = 0
    issued: int = 0
    spent: int = 0
    returned: int = 0

    @property
    def outstanding(self) -> int:
        """What the centre's vouchers still hold."""
        return self.issued - self.spent - self.returned


async def overview(centre_ids: list[int] | None = None) -> list[BudgetRow]:
    """Per centre: granted, issued, spent, returned and unissued, in fen."""
    centres = Organisation.filter(kind=OrgKind.CENTRE)
    if centre_ids is not None:
        centres = centres.filter(id__in=centre_ids)
    rows = {c.id: BudgetRow(centre=c) for c in await centres.order_by("city", "name")}
    for budget in await CentreBudget.filter(centre_id__in=list(rows)):
        rows[budget.centre_id].granted = int(budget.granted)
        rows[budget.centre_id].unissued = int(budget.unissued)
    for centre_id, kind, total in await _budget_sums(list(rows)):
        if kind == BudgetKind.ISSUE:
            rows[centre_id].issued = -total
        elif kind == BudgetKind.RETURN:
            rows[centre_id].returned = total
    for centre_id, kind, total in await _ledger_sums(list(rows)):
        if kind in (LedgerKind.REDEEM, LedgerKind.REVERSE):
            rows[centre_id].spent -= total
    return list(rows.values())


def totals(rows: list[BudgetRow]) -> dict[str, int]:
    """The programme's: the rows added up."""
    names = ("granted", "unissued", "issued", "spent", "returned", "outstanding")
    return {name: sum(getattr(row, name) for row in rows) for name in names}


async def _budget_sums(centre_ids: list[int]) -> list[tuple[int, str, int]]:
    found = (
        await BudgetEntry.filter(centre_id__in=centre_ids)
        .annotate(total=Sum("amount"))
        .group_by("centre_id", "kind")
        .values_list("centre_id", "kind", "total")
    )
    return [(int(c), str(k), int(t or 0)) for c, k, t in cast(list[tuple[Any, Any, Any]], found)]


async def _ledger_sums(centre_ids: list[int]) -> list[tuple[int, str, int]]:
    found = (
        await LedgerEntry.filter(voucher__centre_id__in=centre_ids)
        .annotate(total=Sum("amount"))
        .group_by("voucher__centre_id", "kind")
        .values_list("voucher__centre_id", "kind", "total")
    )
    return [(int(c), str(k), int(t or 0)) for c, k, t in cast(list[tuple[Any, Any, Any]], found)]


# --- the programme gives (or takes back) -------------------------------------------------------


class AlreadyGranted(Exception):
    """The grant form with this id was saved already (sent twice): nothing more was moved.
    `left` is what the centre has left to give now (fen)."""

    def __init__(self, centre: Organisation, left: int) -> None:
        super().__init__(f"centre {centre.id}: granted already")
        self.centre = centre
        self.left = left


def grant_refusal(centre: Organisation, take_back: bool) -> str | None:
    """Why nothing can be given to this centre now (in words); None: it can. Taking back what
    it has not issued stays allowed for a centre that ended or is suspended: that is how the
    money goes back to the programme."""
    if take_back:
        return None
    if centre.ended_at is not None:
        return _(
            "%(centre)s has ended. Nothing can be given to it. "
            "You can take back what it has not given.",
            centre=centre.name,
        )
    if centre.suspended_at is not None:
        return _(
            "%(centre)s is suspended. Nothing can be given to it until it is resumed.",
            centre=centre.name,
        )
    return None


async def grant(
    centre: Organisation,
    *,
    amount: str,
    take_back: bool,
    note: str,
    actor: Account | str | None,
    request_id: uuid.UUID | None = None,
) -> int:
    """Give the centre `amount` yuan to issue, or take back as much of what it has not issued.
    Returns the budget left (fen). `request_id`, the id of the form that asked: the same id
    again moves nothing and raises AlreadyGranted, also when both arrive at the same moment."""
    if request_id is not None:
        await _check_repeated(centre, request_id)
    errors: dict[str, str] = {}
    fen = 0
    try:
        fen = money.parse_fen(amount, field="amount", maximum=MAX_GRANT, positive=True) or 0
        if not fen:
            errors["amount"] = _("Write an amount in yuan, like 30 or 12.50.")
    except FormErrors as exc:
        errors.update(exc.errors)
    note = note.strip()
    if len(note) > 200:
        errors["note"] = _("The note can have at most 200 characters.")
    if centre.kind != OrgKind.CENTRE:
        errors["centre"] = _("Budgets are for rehabilitation centres.")
    if errors:
        raise FormErrors(errors)
    change = -fen if take_back else fen
    await ensure_budget(centre.id)
    try:
        return await _grant(centre, change, note, actor, request_id)
    except IntegrityError:
        # PostgreSQL: the same form's grant was written at the same moment (request_id is
        # unique), and ours was rolled back as a whole; outside the transaction, a look finds it.
        if request_id is None:
            raise
        await _check_repeated(centre, request_id)
        raise


async def _check_repeated(centre: Organisation, request_id: uuid.UUID) -> None:
    if await BudgetEntry.exists(request_id=request_id):
        raise AlreadyGranted(centre, await unissued_of(centre.id))


async def _grant(
    centre: Organisation,
    change: int,
    note: str,
    actor: Account | str | None,
    request_id: uuid.UUID | None,
) -> int:
    async with immediate_transaction():
        before = await CentreBudget.select_for_update().get(centre_id=centre.id)
        # After the lock: a grant of the same form that was first is committed and seen here.
        if request_id is not None and await BudgetEntry.exists(request_id=request_id):
            raise AlreadyGranted(centre, int(before.unissued))
        # The centre's state as the lock found it: ended or suspended a moment ago counts.
        current = await Organisation.get(id=centre.id)
        refusal = grant_refusal(current, take_back=change < 0)
        if refusal is not None:
            raise FormErrors({"centre_id": refusal})
        moved = await CentreBudget.filter(centre_id=centre.id, unissued__gte=-change).update(
            unissued=F("unissued") + change, granted=F("granted") + change
        )
        if not moved:
            raise FormErrors(
                {
                    "amount": _(
                        "Only what the centre has not issued can be taken back: %(left)s.",
                        left=format_money(int(before.unissued)),
                    )
                }
            )
        await BudgetEntry.create(
            centre_id=centre.id,
            kind=BudgetKind.GRANT,
            amount=change,
            note=note,
            request_id=request_id,
        )
        after = await CentreBudget.get(centre_id=centre.id)
        await audit.record(
            AuditAction.BUDGET_GRANT,
            actor=actor,
            object_kind="centre_budget",
            object_id=centre.id,
            organisation_id=centre.id,
            before={"granted": before.granted, "unissued": before.unissued},
            after={
                "granted": after.granted,
                "unissued": after.unissued,
                "amount": change,
                "note": note,
            },
        )
    return int(after.unissued)


# --- issuing takes from the budget ------------------------------------------------------------


# --- batches ---------------------------------------------------------------------------------


def parse_month(text: str, field: str = "month") -> tuple[date, date]:
    """ "2026-12" → (first day, last day)."""
    try:
        year, month = (int(part) for part in text.strip().split("-"))
        first = date(year, month, 1)
    except (ValueError, OverflowError):
        raise FormErrors({field: _("Choose a month.")}) from None
    return first, first.replace(day=calendar.monthrange(year, month)[1])


def month_label(day: date) -> str:
    """ "December 2026" / "2026年12月"."""
    return str(format_skeleton("yMMMM", day, locale=i18n.FORMAT_LOCALE[i18n.current_locale()]))


def month_choices(count: int = 13) -> list[tuple[str, str]]:
    """This month and the next ones, as (value, label)."""
    first = vouchers.today().replace(day=1)
    found = []
    for n in range(count):
        year, month = divmod(first.month - 1 + n, 12)
        day = date(first.year + year, month + 1, 1)
        found.append((day.strftime("%Y-%m"), month_label(day)))
    return found


def batch_id(centre_id: int, valid_from: datetime, valid_until: datetime) -> uuid.UUID:
    return uuid.uuid5(
        BATCH_NAMESPACE, f"{centre_id}:{valid_from.isoformat()}:{valid_until.isoformat()}"
    )


def batch_voucher_id(batch: uuid.UUID, family_id: uuid.UUID) -> uuid.UUID:
    return uuid.uuid5(batch, str(family_id))


@dataclass
class BatchResult:
    batch: VoucherBatch
    first_day: date
    # Vouchers this run gave, and their total (fen); 0: every family had its voucher.
    count: int
    total: int
    families: int


async def run_batch(
    centre: Organisation, *, amount: str, month: str, actor: Account | str | None
) -> BatchResult:
    """Give every family of the centre a voucher of `amount` yuan for `month`, at every
    friendly shop. Once: a second run gives only families that have none from this batch
    (those who joined since), and nothing when every family has one. All or nothing: when the
    budget cannot pay them all, nothing is given (FormErrors)."""
    errors: dict[str, str] = {}
    face = 0
    try:
        face = vouchers.parse_yuan(amount)
    except FormErrors as exc:
        errors.update(exc.errors)
    first, last = vouchers.today(), vouchers.today()
    try:
        first, last = parse_month(month)
        if last < vouchers.today():
            errors["month"] = _("This month has passed already.")
        elif month.strip() not in {value for value, _label in month_choices()}:
            # Only the months the form offers: a batch far ahead would hold today's budget
            # for years (and a year like 9999 has no day after its last).
            errors["month"] = _("Choose one of the months on the list.")
    except FormErrors as exc:
        errors.update(exc.errors)
    if errors:
        raise FormErrors(errors)
    await ensure_budget(centre.id)
    for attempt in range(3):
        try:
            return await _run_batch(centre, face, first, last, actor)
        except IntegrityError:
            # PostgreSQL: another run made this batch, or one of its vouchers, between our
            # look and our write, and ours was rolled back. A second look finds them.
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


async def _run_batch(
    centre: Organisation, face: int, first: date, last: date, actor: Account | str | None
) -> BatchResult:
    valid_from, valid_until = vouchers.start_of(first), vouchers.end_of(last)
    async with immediate_transaction():
        await lock(centre.id)
        batch = await VoucherBatch.get_or_none(
            centre_id=centre.id, valid_from=valid_from, valid_until=valid_until
        )
        if batch is None:
            batch = await VoucherBatch.create(
                id=batch_id(centre.id, valid_from, valid_until),
                centre_id=centre.id,
                face_value=face,
                valid_from=valid_from,
                valid_until=valid_until,
                created_by=actor if isinstance(actor, Account) else None,
            )
        elif batch.face_value != face:
            raise FormErrors(
                {
                    "amount": _(
                        "This month's batch gave %(amount)s to each family. "
                        "To give it to families that joined since, run it with %(amount)s.",
                        amount=format_money(batch.face_value),
                    )
                }
            )
        family_ids = cast(
            list[uuid.UUID],
            await CentreFamily.filter(centre_id=centre.id).values_list("family_id", flat=True),
        )
        if not family_ids:
            raise FormErrors({"amount": _("The centre has no families yet. Register one first.")})
        wanted = {batch_voucher_id(batch.id, uuid.UUID(str(f))): f for f in family_ids}
        have = {
            str(v)
            for v in cast(
                list[uuid.UUID],
                await Voucher.filter(id__in=list(wanted)).values_list("id", flat=True),
            )
        }
        missing = [
            (
                voucher_id,
                vouchers.NewVoucher(
                    family_id=uuid.UUID(str(family_id)),
                    face_value=face,
                    valid_from=valid_from,
                    valid_until=valid_until,
                    shop_ids=[],
                ),
            )
            for voucher_id, family_id in wanted.items()
            if str(voucher_id) not in have
        ]
        result = BatchResult(batch=batch, first_day=first, count=0, total=0, families=len(wanted))
        if not missing:
            return result
        try:
            total = await vouchers.create_vouchers(centre, missing, batch_id=batch.id)
        except NotEnoughBudget as exc:
            raise FormErrors(
                {
                    "amount": " ".join(
                        [
                            _("Nothing was given."),
                            _(
                                "%(count)s families need %(amount)s each.",
                                count=len(missing),
                                amount=format_money(face),
                            ),
                            exc.words,
                        ]
                    )
                }
            ) from None
        await audit.record(
            AuditAction.BATCH_RUN,
            actor=actor,
            object_kind="voucher_batch",
            object_id=batch.id,
            organisation_id=centre.id,
            after={
                "count": len(missing),
                "total": total,
                "face_value": face,
                "first_day": first,
                "last_day": last,
            },
        )
        result.count, result.total = len(missing), total
        return result


async def batches_of(centre_id: int) -> list[dict[str, Any]]:
    """The centre's batches, newest period first, with how many vouchers each gave."""
    found = []
    for batch in await VoucherBatch.filter(centre_id=centre_id).order_by("-valid_from"):
        count = await Voucher.filter(batch_id=batch.id).count()
        first = batch.valid_from.astimezone(vouchers.CHINA).date()
        found.append(
            {
                "month": month_label(first),
                "face_value": batch.face_value,
                "count": count,
                "total": count * batch.face_value,
            }
        )
    return found


# --- ended vouchers give their money back -----------------------------------------------------


@dataclass
class Returned:
    count: int = 0
    total: int = 0


async def expire_vouchers(
    now: datetime | None = None, stop: asyncio.Event | None = None
) -> Returned:
    """The expiry job: every voucher that ended (its last day passed, or cancelled) and has
    not given back its unspent balance gives it back to its centre's budget, each in its own
    transaction. Exactly once, also when two jobs run at the same time. `stop` set: it ends
    after the voucher it is on (the app is stopping)."""
    now = now or clock.now()
    done = Returned()
    ended = Q(valid_until__lte=now) | Q(status=VoucherStatus.CANCELLED)
    voucher_ids = cast(
        list[uuid.UUID],
        await Voucher.filter(ended, returned_at=None)
        .order_by("valid_until")
        .values_list("id", flat=True),
    )
    for voucher_id in voucher_ids:
        if stop is not None and stop.is_set():
            break
        amount = await _return_one(voucher_id, now)
        if amount is not None:
            done.count += 1
            done.total += amount
    return done


async def expire_every(seconds: int, stop: asyncio.Event) -> None:
    """The app's expiry job (pwa/app.py): at start, then every `seconds`, until `stop` is set.
    It is never cancelled in the middle of a query: the app sets `stop` and waits for it. A
    failure is logged and tried again next time."""
    while not stop.is_set():
        try:
            returned = await expire_vouchers(stop=stop)
            if returned.count:
                log.info("%s ended vouchers gave %s fen back", returned.count, returned.total)
        except Exception:
            log.exception("the expiry job failed; it runs again in %s seconds", seconds)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), seconds)


async def _return_one(voucher_id: uuid.UUID, now: datetime) -> int | None:
    """The voucher's balance back to its centre's budget; None when another job did it."""
    async with immediate_transaction():
        # Locked (PostgreSQL): a reversal at this moment waits, then sees it returned.
        voucher = await Voucher.select_for_update().get_or_none(id=voucher_id)
        if voucher is None or voucher.returned_at is not None:
            return None
        balance = voucher.balance
        ended = Q(valid_until__lte=now) | Q(status=VoucherStatus.CANCELLED)
        taken = await Voucher.filter(
            ended, id=voucher_id, returned_at=None, balance=balance
        ).update(balance=0, returned_at=now)
        if not taken:
            return None
        if balance:
            await give_back(voucher, balance)
            await audit.record(
                AuditAction.VOUCHER_RETURN,
                actor=audit.EXPIRY_JOB,
                object_kind="voucher",
                object_id=voucher.id,
                organisation_id=voucher.centre_id,
                before={"balance": balance, "status": voucher.status},
                after={"balance": 0, "returned": balance},
            )
        return balance


# --- the check ------------------------------------------------------------------------------


async def budget_problems() -> list[str]:
    """Where the budgets disagree with their entries or with the vouchers (there should be
    none): per centre and for the programme."""
    problems: list[str] = []
    rows = await overview()
    entries: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for centre_id, kind, total in await _budget_sums([r.centre.id for r in rows]):
        entries[centre_id][kind] = total
    ledger: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for centre_id, kind, total in await _ledger_sums([r.centre.id for r in rows]):
        ledger[centre_id][kind] = total
    held: dict[int, int] = defaultdict(int)
    faces: dict[int, int] = defaultdict(int)
    for centre_id, face, balance in cast(
        list[tuple[int, int, int]],
        await Voucher.all().values_list("centre_id", "face_value", "balance"),
    ):
        held[centre_id] += balance
        faces[centre_id] += face
    totals = {"granted": 0, "unissued": 0, "outstanding": 0, "spent": 0}
    for row in rows:
        cid = row.centre.id
        name = f"centre {cid}"
        mine = entries[cid]
        if row.unissued != sum(mine.values()):
            problems.append(
                f"{name}: budget unissued {row.unissued}, budget entries {sum(mine.values())}"
            )
        if row.granted != mine[BudgetKind.GRANT]:
            problems.append(
                f"{name}: budget granted {row.granted}, grant entries {mine[BudgetKind.GRANT]}"
            )
        if row.issued != faces[cid]:
            problems.append(
                f"{name}: issue entries {row.issued}, vouchers' face values {faces[cid]}"
            )
        if ledger[cid][LedgerKind.ISSUE] != faces[cid]:
            problems.append(
                f"{name}: ledger issued {ledger[cid][LedgerKind.ISSUE]}, "
                f"vouchers' face values {faces[cid]}"
            )
        if row.returned != -ledger[cid][LedgerKind.RETURN]:
            problems.append(
                f"{name}: budget returned {row.returned}, "
                f"ledger returned {-ledger[cid][LedgerKind.RETURN]}"
            )
        if held[cid] != row.outstanding:
            problems.append(
                f"{name}: vouchers hold {held[cid]}, issued − spent − returned {row.outstanding}"
            )
        if row.granted != row.unissued + held[cid] + row.spent:
            problems.append(
                f"{name}: granted {row.granted} ≠ unissued {row.unissued} + outstanding "
                f"{held[cid]} + spent {row.spent}"
            )
        totals["granted"] += row.granted
        totals["unissued"] += row.unissued
        totals["outstanding"] += held[cid]
        totals["spent"] += row.spent
    if totals["granted"] != totals["unissued"] + totals["outstanding"] + totals["spent"]:
        problems.append(
            f"programme: granted {totals['granted']} ≠ unissued {totals['unissued']} + "
            f"outstanding {totals['outstanding']} + spent {totals['spent']}"
        )
    returned_with_money = await Voucher.filter(returned_at__not_isnull=True, balance__gt=0).count()
    if returned_with_money:
        problems.append(f"{returned_with_money} returned vouchers still hold money")
    return problems


async def money_problems() -> list[str]:
    """Everything `python -m pwa check-ledger` checks: each voucher's balance against its
    ledger, the budgets against their entries and the vouchers (granted = unissued +
    outstanding + spent), and the statements against their lines."""
    # Here, not at the top: settlement's services import the vouchers' names.
    from pwa.settlement.services import statement_problems

    return [
        *await vouchers.ledger_problems(),
        *await budget_problems(),
        *await statement_problems(),
    ]
