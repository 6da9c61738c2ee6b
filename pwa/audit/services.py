"""The only writer of the audit log. Each domain's service calls `record` inside the transaction
of the change it records, so an entry exists exactly when the change does. The log is
append-only: the database refuses UPDATE and DELETE on it (migration 0018)."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from pwa.models import Account, AuditEntry


class AuditAction(StrEnum):
    """What an entry records; stored as its value, shown translated (pwa/audit/routes.py)."""

    # Money
    BUDGET_GRANT = "budget.grant"
    VOUCHER_ISSUE = "voucher.issue"
    VOUCHERS_IMPORT = "vouchers.import"
    BATCH_RUN = "batch.run"
    VOUCHER_RETURN = "voucher.return"
    PAYMENT = "payment"
    REVERSAL = "reversal"
    STATEMENT_MAKE = "statement.make"
    STATEMENT_PAID = "statement.paid"
    # Who may do what
    ORGANISATION_CREATE = "organisation.create"
    ORGANISATION_SUSPEND = "organisation.suspend"
    ORGANISATION_RESUME = "organisation.resume"
    ORGANISATION_END = "organisation.end"
    STORE_CREATE = "store.create"
    STORE_CHECKLIST = "store.checklist"
    STORE_APPROVE = "store.approve"
    STORE_VOUCHERS = "store.vouchers"  # its staff switched taking vouchers off or on
    INVITATION_MAKE = "invitation.make"
    INVITATION_ACCEPT = "invitation.accept"
    INVITATION_REVOKE = "invitation.revoke"
    STAFF_ADD = "staff.add"  # on the command line (an invitation accepted is INVITATION_ACCEPT)
    STAFF_REMOVE = "staff.remove"


# What acted when no account did.
COMMAND_LINE = "command line"
EXPIRY_JOB = "expiry job"


def plain(value: Any) -> Any:
    """A value as JSON holds it: dates and times in ISO 8601, ids as text."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, uuid.UUID | Decimal):
        return str(value)
    if isinstance(value, StrEnum):
        return value.value
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        return [plain(v) for v in value]
    return value


async def record(
    action: AuditAction,
    *,
    actor: Account | str | None,
    object_kind: str,
    object_id: object,
    organisation_id: int | None = None,
    before: Mapping[str, Any] | None = None,
    after: Mapping[str, Any] | None = None,
) -> AuditEntry:
    """Append one entry. `actor`: the account that acted, or what acted (COMMAND_LINE,
    EXPIRY_JOB). Call it inside the transaction of the change."""
    if isinstance(actor, Account):
        actor_id: int | None = actor.id
        actor_name = actor.name or actor.email or f"#{actor.id}"
    else:
        actor_id, actor_name = None, actor or ""
    return await AuditEntry.create(
        actor_id=actor_id,
        actor=actor_name[:120],
        action=action.value,
        object_kind=object_kind[:30],
        object_id=str(object_id)[:64],
        organisation_id=organisation_id,
        before=plain(before) if before is not None else None,
        after=plain(after) if after is not None else None,
    )
