"""Reading the audit log: filtered, newest first, a page at a time (keyset on the id, so a
long log costs the same to page through)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from tortoise.queryset import QuerySet

from pwa.models import AuditEntry
from pwa.vouchers.services import end_of, start_of

PAGE = 100


@dataclass(frozen=True)
class AuditFilter:
    action: str = ""
    organisation_id: int | None = None
    actor: str = ""
    first_day: date | None = None
    last_day: date | None = None

    def query(self) -> QuerySet[AuditEntry]:
        query = AuditEntry.all()
        if self.action:
            # "budget" finds every budget.* entry; "payment" only payments.
            query = query.filter(action__startswith=self.action)
        if self.organisation_id is not None:
            query = query.filter(organisation_id=self.organisation_id)
        if self.actor:
            query = query.filter(actor__icontains=self.actor)
        if self.first_day is not None:
            query = query.filter(at__gte=start_of(self.first_day))
        if self.last_day is not None:
            query = query.filter(at__lt=end_of(self.last_day))
        return query


async def page(chosen: AuditFilter, before_id: int | None = None) -> list[AuditEntry]:
    """Up to PAGE + 1 entries older than before_id (the one more says there is a next page)."""
    query = chosen.query()
    if before_id is not None:
        query = query.filter(id__lt=before_id)
    return list(await query.order_by("-id").limit(PAGE + 1))
