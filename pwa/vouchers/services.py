"""Friendly vouchers (爱星友好券): issuing, the ledger, pay codes and redemption at the till.

Money rules (SYNC.md, "Vouchers at the till"): balances change only here, each change with its
immutable ledger entry in the same transaction; the database refuses a negative balance; a
payment is one transaction that claims its Idempotency-Key and the code's nonce, takes the
money with a conditional UPDATE and writes the ledger. Vouchers never go through the outbox.
"""

from __future__ import annotations

import csv
import hashlib
import io
import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import cast
from zoneinfo import ZoneInfo

from itsdangerous import BadSignature, URLSafeSerializer
from tortoise.exceptions import IntegrityError
from tortoise.expressions import F, Q
from tortoise.functions import Sum
from tortoise.queryset import QuerySet
from tortoise.transactions import in_transaction

from pwa.audit import services as audit
from pwa.audit.services import AuditAction
from pwa.budgets import ledger as budgets
from pwa.core import clock, ids, money
from pwa.core.forms import FormErrors
from pwa.db import immediate_transaction
from pwa.i18n import _
from pwa.models import (
    Account,
    BudgetEntry,
    BudgetKind,
    CentreFamily,
    Family,
    LedgerEntry,
    LedgerKind,
    Organisation,
    OrgKind,
    Outcome,
    PayToken,
    Redemption,
    Voucher,
    VoucherShop,
    VoucherStatus,
)

CHINA = ZoneInfo("Asia/Shanghai")
# A code fetched online lasts long enough for a trip.
TOKEN_HOURS = 12
# The phone keeps a few, so two payments in one offline trip both work.
TOKENS_KEPT = 3
# No 0/O, 1/I/L: the code is typed by hand at the till.
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
MAX_FACE_VALUE = 10_000_00
EXPIRY_NOTICE_DAYS = 7


def parse_yuan(text: str, field: str = "amount") -> int:
    """ "30", "30.5", "¥30.50" → fen (> 0); anything else is a form error."""
    fen = money.parse_fen(text, field=field, maximum=MAX_FACE_VALUE, positive=True)
    if fen is None:
        raise FormErrors({field: _("Write an amount in yuan, like 30 or 12.50.")})
    return fen


def parse_day(text: str, field: str) -> date:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise FormErrors({field: _("Write a date like 2026-12-31.")}) from None


def start_of(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=CHINA).astimezone(UTC)


def end_of(day: date) -> datetime:
    """Vouchers are good until the end of their last day, in China's time."""
    return datetime.combine(day + timedelta(days=1), time.min, tzinfo=CHINA).astimezone(UTC)


def today() -> date:
    return clock.now().astimezone(CHINA).date()


# --- families of a centre --------------------------------------------------------------------


async def register_family(centre: Organisation, *, name: str) -> Family:
    """A new family the centre registers itself is with it at once; a family that uses
    Startrip already is only asked, and joins when a parent accepts (pwa/centre/services.py)."""
    from pwa.accounts.services import new_family

    name = name.strip()
    if not name:
        raise FormErrors({"name": _("Write the family's name.")})
    if len(name) > 100:
        raise FormErrors({"name": _("The name can have at most 100 characters.")})
    async with in_transaction():
        family = await new_family(name)
        await CentreFamily.create(centre=centre, family=family)
    return family


# --- issuing ---------------------------------------------------------------------------------


@dataclass
class NewVoucher:
    family_id: uuid.UUID
    face_value: int
    valid_from: datetime
    valid_until: datetime
    shop_ids: list[int]


async def create_vouchers(
    centre: Organisation,
    vouchers: list[tuple[uuid.UUID, NewVoucher]],
    *,
    batch_id: uuid.UUID | None = None,
) -> int:
    """Vouchers with their issue entries, paid for by the centre's budget (one BudgetEntry
    each), all or nothing: call it inside the issuing transaction (immediate_transaction), after
    budgets.lock. budgets.NotEnoughBudget when the budget has less left than they add up to;
    the caller's transaction then rolls back. Returns their total (fen)."""
    total = sum(v.face_value for _id, v in vouchers)
    await budgets.take(centre.id, total)
    await Voucher.bulk_create(
        [
            Voucher(
                id=voucher_id,
                family_id=v.family_id,
                centre=centre,
                face_value=v.face_value,
                balance=v.face_value,
                valid_from=v.valid_from,
                valid_until=v.valid_until,
                everywhere=not v.shop_ids,
                batch_id=batch_id,
            )
            for voucher_id, v in vouchers
        ],
        batch_size=500,
    )
    await LedgerEntry.bulk_create(
        [
            LedgerEntry(voucher_id=voucher_id, kind=LedgerKind.ISSUE, amount=v.face_value)
            for voucher_id, v in vouchers
        ],
        batch_size=500,
    )
    await BudgetEntry.bulk_create(
        [
            BudgetEntry(
                centre_id=centre.id,
                kind=BudgetKind.ISSUE,
                amount=-v.face_value,
                voucher_id=voucher_id,
                batch_id=batch_id,
            )
            for voucher_id, v in vouchers
        ],
        batch_size=500,
    )
    await VoucherShop.bulk_create(
        [
            VoucherShop(voucher_id=voucher_id, shop_id=shop_id)
            for voucher_id, v in vouchers
            for shop_id in v.shop_ids
        ],
        batch_size=500,
    )
    return total


async def issue_voucher(
    centre: Organisation,
    *,
    voucher_id: uuid.UUID,
    family_id: str,
    amount: str,
    valid_from: str,
    valid_until: str,
    shop_ids: list[str],
    actor: Account | str | None = None,
) -> Voucher:
    """One voucher for one of the centre's families, paid for by the centre's budget (a
    FormErrors naming what is left when it cannot). The same voucher_id again (a form sent
    twice) gives the voucher made the first time."""
    existing = await Voucher.get_or_none(id=voucher_id)
    if existing is not None and existing.centre_id == centre.id:
        return existing
    if existing is not None:
        # Another centre's voucher has this id: say nothing of it.
        raise FormErrors({"id": _("This form is old. Reload the page and try again.")})
    errors: dict[str, str] = {}
    link = await CentreFamily.get_or_none(centre=centre, family_id=ids.uuid_or_none(family_id))
    if link is None:
        errors["family_id"] = _("Choose one of the centre's families.")
    new = None
    try:
        new = await _checked(
            family_id=link.family_id if link else uuid.uuid4(),
            amount=amount,
            valid_from=valid_from,
            valid_until=valid_until,
            shops=";".join(shop_ids),
            known_shops=await _merchant_ids(),
        )
    except FormErrors as exc:
        errors.update(exc.errors)
    if errors or new is None:
        raise FormErrors(errors)
    try:
        async with immediate_transaction():
            await budgets.lock(centre.id)
            if not await Voucher.exists(id=voucher_id):
                await create_vouchers(centre, [(voucher_id, new)])
                await audit.record(
                    AuditAction.VOUCHER_ISSUE,
                    actor=actor,
                    object_kind="voucher",
                    object_id=voucher_id,
                    organisation_id=centre.id,
                    after={
                        "family": new.family_id,
                        "face_value": new.face_value,
                        "valid_from": new.valid_from,
                        "valid_until": new.valid_until,
                        "shops": new.shop_ids,
                    },
                )
    except budgets.NotEnoughBudget as exc:
        raise FormErrors({"amount": exc.words}) from None
    except IntegrityError:
        # PostgreSQL: the same form sent twice at once; the other one made the voucher.
        if not await Voucher.exists(id=voucher_id):
            raise
    return await Voucher.get(id=voucher_id)


def friendly_stores() -> QuerySet[Organisation]:
    """The stores that take vouchers now (the rule of takes_vouchers, as one query): a voucher
    is limited to these only, or its money would wait on a shop that takes none."""
    return Organisation.filter(
        Q(chain_id=None) | Q(chain__suspended_at=None, chain__ended_at=None),
        kind=OrgKind.MERCHANT,
        approved_at__isnull=False,
        suspended_at=None,
        ended_at=None,
        accepts_vouchers=True,
    )


async def _merchant_ids() -> set[int]:
    # tortoise types values_list(flat=True) as tuples; it gives the values.
    ids = await friendly_stores().values_list("id", flat=True)
    return set(cast(list[int], ids))


async def _checked(
    *,
    family_id: uuid.UUID,
    amount: str,
    valid_from: str,
    valid_until: str,
    shops: str,
    known_shops: set[int],
) -> NewVoucher:
    errors: dict[str, str] = {}
    face = 0
    try:
        face = parse_yuan(amount)
    except FormErrors as exc:
        errors.update(exc.errors)
    first = today()
    last = first
    try:
        first = parse_day(valid_from, "valid_from") if valid_from.strip() else today()
        last = parse_day(valid_until, "valid_until")
        if last < first:
            errors["valid_until"] = _("The last day is before the first day.")
        elif last < today():
            errors["valid_until"] = _("The last day has passed already.")
    except FormErrors as exc:
        errors.update(exc.errors)
    shop_ids: list[int] = []
    if shops.strip() and shops.strip().lower() != "all":
        for part in shops.replace(",", ";").split(";"):
            if not part.strip():
                continue
            if not part.strip().isdigit() or int(part) not in known_shops:
                errors["shops"] = _("Shop %(shop)s is not a friendly shop.", shop=part.strip())
                break
            shop_ids.append(int(part))
    if errors:
        raise FormErrors(errors)
    return NewVoucher(
        family_id=family_id,
        face_value=face,
        valid_from=start_of(first),
        valid_until=end_of(last),
        shop_ids=shop_ids,
    )


CSV_COLUMNS = ("family_code", "amount", "valid_until")


async def import_csv(
    centre: Organisation, data: bytes, *, actor: Account | str | None = None
) -> int:
    """Issue one voucher per row. Every row is checked first; one bad row imports nothing, and
    neither does a file whose vouchers add up to more than the centre's budget has left.

    Columns: family_code, amount (yuan), valid_until (YYYY-MM-DD); optional valid_from, and
    shops (friendly shop numbers separated by ";", empty or "all" for every friendly shop).
    The same file imported twice issues nothing the second time.
    """
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise FormErrors({"file": _("The file is not a UTF-8 CSV file.")}) from None
    reader = csv.DictReader(io.StringIO(text))
    missing = [c for c in CSV_COLUMNS if c not in (reader.fieldnames or [])]
    if missing:
        raise FormErrors(
            {
                "file": _(
                    "The first row must name the columns. Missing: %(columns)s.",
                    columns=", ".join(missing),
                )
            }
        )
    rows = list(reader)
    if not rows:
        raise FormErrors({"file": _("The file has no vouchers in it.")})
    families = dict(
        await CentreFamily.filter(centre=centre)
        .prefetch_related("family")
        .values_list("family__code", "family_id")
    )
    known_shops = await _merchant_ids()
    digest = hashlib.sha256(data).hexdigest()
    problems: list[str] = []
    checked: list[tuple[uuid.UUID, NewVoucher]] = []
    for number, row in enumerate(rows, start=2):  # row 1 names the columns
        code = (row.get("family_code") or "").strip().upper().replace("-", "")
        try:
            if code not in families:
                raise FormErrors(
                    {
                        "family_code": _(
                            "The family code %(code)s is not registered with this centre.",
                            code=code or "—",
                        )
                    }
                )
            new = await _checked(
                family_id=families[code],
                amount=row.get("amount") or "",
                valid_from=row.get("valid_from") or "",
                valid_until=row.get("valid_until") or "",
                shops=row.get("shops") or "",
                known_shops=known_shops,
            )
        except FormErrors as exc:
            reason = next(iter(exc.errors.values()))
            problems.append(_("Row %(row)s: %(reason)s", row=number, reason=reason))
            if len(problems) >= 5:
                break
            continue
        checked.append((uuid.uuid5(uuid.NAMESPACE_URL, f"{centre.id}:{digest}:{number}"), new))
    if problems:
        raise FormErrors({"file": " ".join([_("Nothing was imported."), *problems])})
    imported_before = FormErrors(
        {"file": _("This file was imported before. Nothing was imported.")}
    )
    try:
        async with immediate_transaction():
            await budgets.lock(centre.id)
            if await Voucher.exists(id=checked[0][0]):
                raise imported_before
            total = await create_vouchers(centre, checked)
            await audit.record(
                AuditAction.VOUCHERS_IMPORT,
                actor=actor,
                object_kind="centre",
                object_id=centre.id,
                organisation_id=centre.id,
                after={"count": len(checked), "total": total, "file_sha256": digest},
            )
    except budgets.NotEnoughBudget as exc:
        raise FormErrors({"file": " ".join([_("Nothing was imported."), exc.words])}) from None
    except IntegrityError:
        # PostgreSQL: the same file sent twice at once; the other one imported it.
        raise imported_before from None
    return len(checked)


# --- pay codes on the person's phone ---------------------------------------------------------


def _serializer(secret: str) -> URLSafeSerializer:
    return URLSafeSerializer(secret, salt="startrip.pay")


def format_code(code: str) -> str:
    return f"{code[:4]}-{code[4:]}"


def normalise_code(typed: str) -> str:
    return "".join(ch for ch in typed.upper() if ch.isalnum())


def signed(token: PayToken, secret: str) -> str:
    """What the QR code carries: the voucher's id, the nonce and the expiry, signed.
    Nothing in it says who the person is."""
    payload = {"v": str(token.voucher_id), "n": token.nonce, "e": int(token.expires_at.timestamp())}
    return _serializer(secret).dumps(payload)


async def pay_tokens(voucher: Voucher, session_id: int | None = None) -> list[PayToken]:
    """The unused codes this phone (its session) keeps, made up to TOKENS_KEPT. They belong to
    the session: logging out deletes them with it, unlinking the phone ends them."""
    now = clock.now()
    fresh = list(
        await PayToken.filter(
            voucher=voucher,
            session_id=session_id,
            used_at=None,
            expires_at__gt=now + timedelta(hours=1),
        ).order_by("created_at")
    )
    while len(fresh) < TOKENS_KEPT:
        try:
            fresh.append(
                await PayToken.create(
                    voucher=voucher,
                    session_id=session_id,
                    code="".join(secrets.choice(CODE_ALPHABET) for _ in range(8)),
                    nonce=secrets.token_hex(16),
                    expires_at=now + timedelta(hours=TOKEN_HOURS),
                )
            )
        except IntegrityError:  # the same random code twice: draw again
            continue
    return fresh


async def find_token(presented: str, secret: str, *, lock: bool = False) -> PayToken | None:
    """A typed code or a scanned QR code → its token (None when it is not one of ours).
    lock: FOR UPDATE until the transaction ends (PostgreSQL; SQLite's BEGIN IMMEDIATE holds the
    whole database already), so a second till with the same code waits, then sees it used."""
    tokens = PayToken.select_for_update() if lock else PayToken.all()
    presented = presented.strip()
    if "." in presented and len(presented) > 20:
        try:
            payload = _serializer(secret).loads(presented)
        except BadSignature:
            return None
        if not isinstance(payload, dict):
            return None
        return await tokens.get_or_none(nonce=str(payload.get("n")), voucher_id=payload.get("v"))
    code = normalise_code(presented)
    if len(code) != 8:
        return None
    return await tokens.get_or_none(code=code)


# --- paying at the till ----------------------------------------------------------------------


@dataclass
class Answer:
    """The till's answer; kept with the Idempotency-Key so a retry gets the same one."""

    outcome: Outcome
    amount: int
    balance: int | None = None

    @property
    def words(self) -> str:
        return {
            Outcome.PAID: _(
                "Paid. The voucher has %(balance)s left.", balance=_money(self.balance or 0)
            ),
            Outcome.NOT_ENOUGH: _("Not enough balance. Nothing was paid."),
            Outcome.EXPIRED: _("This voucher has expired. Nothing was paid."),
            Outcome.NOT_YET: _("This voucher cannot be used yet. Nothing was paid."),
            Outcome.NOT_ACCEPTED: _("This voucher is not accepted at this shop. Nothing was paid."),
            Outcome.USED: _("This code was used already. Ask for a new code. Nothing was paid."),
            Outcome.INVALID: _(
                "This code is not valid. Check it, or ask for a new code. Nothing was paid."
            ),
        }[self.outcome]


def _money(fen: int) -> str:
    from pwa.i18n import format_money

    return format_money(fen)


class KeyReused(Exception):
    """The same Idempotency-Key was sent with a different request (HTTP 422)."""


def request_hash(shop_id: int, presented: str, amount: int) -> str:
    code = presented.strip() if "." in presented else normalise_code(presented)
    return hashlib.sha256(f"{shop_id}|{code}|{amount}".encode()).hexdigest()


async def redeem(
    shop: Organisation,
    *,
    key: str,
    presented: str,
    amount: int,
    staff: Account | None,
    secret: str,
) -> Answer:
    """Take `amount` fen from the voucher behind a code, at most once per key and per code."""
    try:
        return await _redeem(shop, key, presented, amount, staff, secret)
    except IntegrityError:
        # PostgreSQL only (SQLite's BEGIN IMMEDIATE lets one payment in at a time): another
        # till's transaction wrote this Idempotency-Key between our look and our write, and ours
        # was rolled back. That one has committed now, so a second look finds its answer.
        return await _redeem(shop, key, presented, amount, staff, secret)


async def _redeem(
    shop: Organisation,
    key: str,
    presented: str,
    amount: int,
    staff: Account | None,
    secret: str,
) -> Answer:
    fingerprint = request_hash(shop.id, presented, amount)
    async with immediate_transaction():
        earlier = await Redemption.get_or_none(idempotency_key=key)
        if earlier is not None:
            if earlier.request_hash != fingerprint:
                raise KeyReused
            return Answer(earlier.outcome, earlier.amount, earlier.balance_after)
        # Read again in the transaction: a store suspended a moment ago takes no voucher.
        shop = await Organisation.get(id=shop.id)
        token = await find_token(presented, secret, lock=True)
        # Locked too, so the balance read here is the one this payment changes and the balance
        # it reports is right while other tills pay from the same voucher.
        voucher = (
            await Voucher.select_for_update().get_or_none(id=token.voucher_id) if token else None
        )
        now = clock.now()
        outcome = await _refusal(shop, token, voucher, amount, now)
        balance = None
        if outcome is None and voucher is not None and token is not None:
            taken = await Voucher.filter(
                id=voucher.id,
                balance__gte=amount,
                status=VoucherStatus.ACTIVE,
                valid_from__lte=now,
                valid_until__gt=now,
            ).update(balance=F("balance") - amount)
            if taken:
                balance = voucher.balance - amount
                redemption = await Redemption.create(
                    idempotency_key=key,
                    request_hash=fingerprint,
                    voucher=voucher,
                    shop=shop,
                    amount=amount,
                    token_nonce=token.nonce,
                    outcome=Outcome.PAID,
                    balance_after=balance,
                    staff=staff,
                )
                await LedgerEntry.create(
                    voucher=voucher,
                    kind=LedgerKind.REDEEM,
                    amount=-amount,
                    shop=shop,
                    redemption=redemption,
                )
                await PayToken.filter(id=token.id, used_at=None).update(used_at=now)
                await audit.record(
                    AuditAction.PAYMENT,
                    actor=staff,
                    object_kind="redemption",
                    object_id=redemption.id,
                    organisation_id=shop.id,
                    before={"voucher": voucher.id, "balance": voucher.balance},
                    after={"voucher": voucher.id, "balance": balance, "amount": amount},
                )
                return Answer(Outcome.PAID, amount, balance)
            outcome = Outcome.NOT_ENOUGH
        # _refusal answers None only with a token and a voucher, and that path paid or set it.
        assert outcome is not None
        await Redemption.create(
            idempotency_key=key,
            request_hash=fingerprint,
            voucher=voucher,
            shop=shop,
            amount=amount,
            outcome=outcome,
            staff=staff,
        )
        return Answer(outcome, amount)


async def _refusal(
    shop: Organisation,
    token: PayToken | None,
    voucher: Voucher | None,
    amount: int,
    now: datetime,
) -> Outcome | None:
    if token is None or voucher is None or token.expires_at <= now:
        return Outcome.INVALID
    if token.used_at is not None:
        return Outcome.USED
    if voucher.status != VoucherStatus.ACTIVE or voucher.valid_until <= now:
        return Outcome.EXPIRED
    if voucher.valid_from > now:
        return Outcome.NOT_YET
    if not await takes_vouchers(shop) or (
        not voucher.everywhere and not await VoucherShop.exists(voucher=voucher, shop=shop)
    ):
        return Outcome.NOT_ACCEPTED
    if voucher.balance < amount:
        return Outcome.NOT_ENOUGH
    return None


async def takes_vouchers(shop: Organisation) -> bool:
    """A store takes vouchers while it is a friendly shop (approved by the programme), neither
    it nor its merchant is suspended or ended, and its staff have not switched it off."""
    if shop.kind != OrgKind.MERCHANT or not shop.accepts_vouchers or shop.approved_at is None:
        return False
    if shop.suspended_at is not None or shop.ended_at is not None:
        return False
    if shop.chain_id is not None:
        chain = await Organisation.get_or_none(id=shop.chain_id)
        if chain is None or chain.suspended_at is not None or chain.ended_at is not None:
            return False
    return True


async def reverse(redemption: Redemption, staff: Account, *, any_day: bool = False) -> None:
    """Undo a payment: a new ledger entry gives the money back. A shop's admin reverses
    payments of today at the shop; programme staff (any_day) any payment, e.g. after a
    complaint: a statement that listed it stays as it was, and the reversal is an adjustment
    on the next one (pwa/settlement/services.py)."""
    if redemption.outcome != Outcome.PAID:
        raise FormErrors({"redemption": _("Only a payment can be reversed.")})
    if not any_day and redemption.created_at.astimezone(CHINA).date() != today():
        raise FormErrors({"redemption": _("Only payments of today can be reversed.")})
    async with immediate_transaction():
        claimed = await Redemption.filter(id=redemption.id, reversed_at=None).update(
            reversed_at=clock.now()
        )
        if not claimed:
            raise FormErrors({"redemption": _("This payment was reversed already.")})
        # Locked (PostgreSQL): the expiry job returning this voucher's balance at this moment
        # waits, or has done it and we see it.
        voucher = await Voucher.select_for_update().get(id=redemption.voucher_id)
        await LedgerEntry.create(
            voucher_id=redemption.voucher_id,
            kind=LedgerKind.REVERSE,
            amount=redemption.amount,
            shop_id=redemption.shop_id,
            redemption=redemption,
        )
        if voucher.returned_at is None:
            await Voucher.filter(id=redemption.voucher_id).update(
                balance=F("balance") + redemption.amount
            )
        else:
            # The voucher ended and gave its balance back already: the money the shop gives
            # back goes to the centre's budget too, and the voucher stays at 0.
            await budgets.give_back(voucher, redemption.amount)
        await audit.record(
            AuditAction.REVERSAL,
            actor=staff,
            object_kind="redemption",
            object_id=redemption.id,
            organisation_id=redemption.shop_id,
            before={"reversed": False, "amount": redemption.amount},
            after={
                "reversed": True,
                "amount": redemption.amount,
                "returned_to_budget": voucher.returned_at is not None,
            },
        )


# --- checks and reading ----------------------------------------------------------------------


async def ledger_problems() -> list[str]:
    """Every voucher whose balance is not the sum of its ledger (there should be none)."""
    sums = dict(
        await LedgerEntry.annotate(total=Sum("amount"))
        .group_by("voucher_id")
        .values_list("voucher_id", "total")
    )
    problems = []
    for voucher_id, balance in await Voucher.all().values_list("id", "balance"):
        total = sums.get(voucher_id) or sums.get(str(voucher_id)) or 0
        if total != balance:
            problems.append(f"voucher {voucher_id}: balance {balance}, ledger {total}")
    return problems


def expiring_soon(voucher: Voucher) -> bool:
    left = voucher.valid_until - clock.now()
    return voucher.balance > 0 and timedelta(0) < left <= timedelta(days=EXPIRY_NOTICE_DAYS)


def last_day(voucher: Voucher) -> date:
    return (voucher.valid_until - timedelta(seconds=1)).astimezone(CHINA).date()
