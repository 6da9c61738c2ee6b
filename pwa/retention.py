"""How long records that are not the family's own data are kept (issue 16, item 8):
`python -m pwa purge`, run daily (docs/DEPLOY.md), removes what is older than the settings.

- The sync op log (KEEP_OP_LOG_DAYS). Removing entries cannot make a replay apply twice: a
  push is applied or skipped by its client's high-water mark, SyncClient.last_mutation_id
  (pwa/sync/services.apply), never by looking in the op log, and the client row stays.
- Field history (KEEP_FIELD_HISTORY_DAYS): earlier values a parent could put back.
- Failed log-ins and code tries (KEEP_LOGIN_FAILURES_DAYS): typed emails and addresses.
  Throttling reads only the last hour of them (pwa/auth/throttle.WINDOW).
- One-time codes used or expired, and sessions expired or of an unlinked phone, a day after:
  they open nothing any more; the day leaves them for a support question about yesterday.

The privacy notice (templates/accounts/privacy.html) states the same times from the settings.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from tortoise.expressions import Q
from tortoise.models import Model
from tortoise.queryset import QuerySet

from pwa.core.clock import now
from pwa.models import FieldHistory, LoginFailure, OneTimeCode, OpLog, Session
from pwa.settings import Settings

# Rows removed per statement: each batch is its own short write, so the app's own writes (one
# writer at a time on SQLite) wait at most one batch, never the whole first purge of a year.
BATCH = 2000
# Codes and sessions that open nothing any more are kept this long, then removed.
DEAD_KEPT = timedelta(days=1)


async def _remove(model: type[Model], query: QuerySet[Any]) -> int:
    """Delete what the query finds, oldest first, BATCH rows at a time. The op log and the
    field history have no index on their time: their ids grow with it, so each batch is found
    at the start of the primary key and the scan stops after BATCH rows."""
    removed = 0
    while True:
        ids = await query.order_by("id").limit(BATCH).values_list("id", flat=True)
        if not ids:
            return removed
        removed += await model.filter(id__in=list(ids)).delete()
        if len(ids) < BATCH:
            return removed


async def purge(settings: Settings, at: datetime | None = None) -> dict[str, int]:
    """Remove what is older than the settings allow; returns how many rows of each kind."""
    moment = at or now()

    def before(days: int) -> datetime:
        return moment - timedelta(days=days)

    dead = moment - DEAD_KEPT
    return {
        "op log entries": await _remove(
            OpLog, OpLog.filter(applied_at__lt=before(settings.keep_op_log_days))
        ),
        "field history entries": await _remove(
            FieldHistory,
            FieldHistory.filter(created_at__lt=before(settings.keep_field_history_days)),
        ),
        "failed log-ins": await _remove(
            LoginFailure, LoginFailure.filter(at__lt=before(settings.keep_login_failures_days))
        ),
        "one-time codes": await _remove(
            OneTimeCode, OneTimeCode.filter(Q(used_at__lt=dead) | Q(expires_at__lt=dead))
        ),
        "sessions": await _remove(
            Session,
            # A phone's session has no expiry: it ends when the phone is unlinked.
            Session.filter(Q(expires_at__lt=dead) | Q(device__revoked_at__lt=dead)),
        ),
    }
