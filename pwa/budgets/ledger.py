"""A centre's budget as money moves (issue 17): the few writes issuing, reversing and expiry
share with pwa/vouchers/services.py, which calls them inside its own transactions. The rest
of budgets (grants, batches, the expiry job, the checks) is in services.py, which issues
through the vouchers' services; this module imports neither, so neither imports the other
back."""

from __future__ import annotations

from tortoise.expressions import F

from pwa.i18n import _, format_money
from pwa.models import BudgetEntry, BudgetKind, CentreBudget, LedgerEntry, LedgerKind, Voucher


class NotEnoughBudget(Exception):
    """Issuing needs more than the centre's budget has left; nothing was taken."""

    def __init__(self, needed: int, left: int) -> None:
        super().__init__(f"needed {needed}, left {left}")
        self.needed = needed
        self.left = left

    @property
    def words(self) -> str:
        return _(
            "The centre's budget has %(left)s left. This needs %(needed)s.",
            left=format_money(self.left),
            needed=format_money(self.needed),
        )


async def unissued_of(centre_id: int) -> int:
    """What the centre may still issue, in fen."""
    budget = await CentreBudget.get_or_none(centre_id=centre_id)
    return int(budget.unissued) if budget else 0


async def lock(centre_id: int) -> None:
    """First thing in an issuing transaction: on PostgreSQL, one centre's issuing transactions
    go one after another from here (SQLite's BEGIN IMMEDIATE holds the whole database), so
    what they read next (vouchers made, a batch) is what the others committed."""
    await CentreBudget.select_for_update().filter(centre_id=centre_id).first()


async def take(centre_id: int, amount: int) -> None:
    """Inside the issuing transaction: the budget pays `amount` fen of vouchers, or
    NotEnoughBudget and nothing is taken (the caller's transaction rolls back)."""
    if amount <= 0:
        return
    taken = await CentreBudget.filter(centre_id=centre_id, unissued__gte=amount).update(
        unissued=F("unissued") - amount
    )
    if not taken:
        raise NotEnoughBudget(needed=amount, left=await unissued_of(centre_id))


async def give_back(voucher: Voucher, amount: int) -> None:
    """Inside the transaction that took `amount` off an ended voucher (or kept a reversal's
    money off it): its ledger says where the money went, and the budget has it again."""
    await LedgerEntry.create(voucher_id=voucher.id, kind=LedgerKind.RETURN, amount=-amount)
    await BudgetEntry.create(
        centre_id=voucher.centre_id, kind=BudgetKind.RETURN, amount=amount, voucher_id=voucher.id
    )
    moved = await CentreBudget.filter(centre_id=voucher.centre_id).update(
        unissued=F("unissued") + amount
    )
    if not moved:
        # A centre with no budget row cannot have issued through one; make it here.
        await CentreBudget.create(centre_id=voucher.centre_id, unissued=amount)
