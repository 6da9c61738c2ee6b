"""`python -m pwa purge` (pwa/retention.py, issue 16 item 8): the op log, the field history and
failed log-ins go once older than their setting, used or expired codes and ended sessions a day
after; nothing younger goes. Run on SQLite and, with TEST_POSTGRES_URL, on PostgreSQL."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import uuid
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from pwa import ROOT
from pwa.core.clock import now
from pwa.models import (
    CodePurpose,
    DeviceLink,
    FieldHistory,
    HistoryReason,
    ItemMark,
    ListItem,
    LoginFailure,
    OneTimeCode,
    OpLog,
    Session,
    SyncClient,
)
from pwa.retention import purge
from pwa.settings import Settings
from tests.conftest import Client
from tests.factories import FamilyFixture, link_phone, make_family, make_list

# A minute either side of each limit: far more than the test takes, far less than a day.
MARGIN = timedelta(minutes=1)


async def op_log(family: FamilyFixture, at: datetime) -> int:
    client = await SyncClient.create(id=uuid.uuid4(), family=family.family)
    entry = await OpLog.create(client=client, mutation_id=1, family=family.family, name="x")
    await OpLog.filter(id=entry.id).update(applied_at=at)
    return entry.id


async def history(family: FamilyFixture, at: datetime) -> int:
    entry = await FieldHistory.create(
        family=family.family,
        kind="item",
        row_id=uuid.uuid4(),
        parent_id=uuid.uuid4(),
        field="note",
        value={"note": "old"},
        client_time=at,
        writer="a",
        reason=HistoryReason.REPLACED,
    )
    await FieldHistory.filter(id=entry.id).update(created_at=at)
    return entry.id


async def failure(at: datetime) -> int:
    entry = await LoginFailure.create(key=f"account:{uuid.uuid4()}@example.test")
    await LoginFailure.filter(id=entry.id).update(at=at)
    return entry.id


async def code(*, expires_at: datetime, used_at: datetime | None = None) -> int:
    entry = await OneTimeCode.create(
        purpose=CodePurpose.SIGN_IN,
        target="+8613800138000",
        code_hash=uuid.uuid4().hex,
        expires_at=expires_at,
        used_at=used_at,
    )
    return entry.id


async def session(
    family: FamilyFixture,
    *,
    expires_at: datetime | None = None,
    revoked_at: datetime | None = None,
    phone: bool = False,
) -> int:
    owner: dict[str, Any] = {"account": family.guardian, "expires_at": expires_at}
    if phone:
        device = await DeviceLink.create(
            person=family.person,
            created_by=family.guardian,
            code_expires_at=now(),
            claimed_at=now() - timedelta(days=30),
            revoked_at=revoked_at,
        )
        owner = {"device": device, "expires_at": None}
    entry = await Session.create(key_hash=uuid.uuid4().hex, **owner)
    return entry.id


async def ids(model: Any) -> set[int]:
    return set(await model.all().values_list("id", flat=True))


async def test_purge_removes_what_is_older_than_each_setting_and_nothing_younger(
    app: Any, settings: Settings
) -> None:
    family = await make_family()
    moment = now()
    # Not the defaults: each kind is read from its own setting.
    settings = replace(
        settings, keep_op_log_days=30, keep_field_history_days=200, keep_login_failures_days=3
    )
    day = timedelta(days=1)
    await op_log(family, moment - 30 * day - MARGIN)
    young_op = await op_log(family, moment - 30 * day + MARGIN)
    await history(family, moment - 200 * day - MARGIN)
    young_history = await history(family, moment - 200 * day + MARGIN)
    await failure(moment - 3 * day - MARGIN)
    young_failure = await failure(moment - 3 * day + MARGIN)
    # Codes: expired or used over a day ago go; one that ended within the day, or is live, stays.
    await code(expires_at=moment - day - MARGIN)
    await code(expires_at=moment + MARGIN, used_at=moment - day - MARGIN)
    just_expired_code = await code(expires_at=moment - day + MARGIN)
    just_used_code = await code(expires_at=moment + MARGIN, used_at=moment - day + MARGIN)
    live_code = await code(expires_at=moment + 10 * MARGIN)
    # Sessions: an account's expired over a day ago, an unlinked phone's unlinked over a day
    # ago go; the rest stay (a linked phone's session has no end).
    expired_session = await session(family, expires_at=moment - day - MARGIN)
    unlinked_phone = await session(family, phone=True, revoked_at=moment - day - MARGIN)
    just_expired_session = await session(family, expires_at=moment - day + MARGIN)
    just_unlinked_phone = await session(family, phone=True, revoked_at=moment - day + MARGIN)
    live_session = await session(family, expires_at=moment + day)
    linked_phone = await session(family, phone=True)
    sessions_before = await ids(Session)

    removed = await purge(settings, at=moment)

    assert await ids(OpLog) == {young_op}
    assert await ids(FieldHistory) == {young_history}
    assert await ids(LoginFailure) == {young_failure}
    assert await ids(OneTimeCode) == {just_expired_code, just_used_code, live_code}
    assert await ids(Session) == sessions_before - {expired_session, unlinked_phone}
    assert {just_expired_session, just_unlinked_phone, live_session, linked_phone} <= (
        sessions_before
    )
    assert removed == {
        "op log entries": 1,
        "field history entries": 1,
        "failed log-ins": 1,
        "one-time codes": 2,
        "sessions": 2,
    }
    # A second run the same day finds nothing more.
    assert set((await purge(settings, at=moment)).values()) == {0}


async def test_purge_goes_through_more_than_one_batch(app: Any, settings: Settings) -> None:
    """The op log of a busy year goes in batches (pwa/retention.BATCH), all of it."""
    from pwa import retention

    family = await make_family()
    client = await SyncClient.create(id=uuid.uuid4(), family=family.family)
    await OpLog.bulk_create(
        [
            OpLog(client=client, mutation_id=n, family=family.family, name="x")
            for n in range(1, 2 * retention.BATCH + 11)
        ]
    )
    await OpLog.all().update(applied_at=now() - timedelta(days=settings.keep_op_log_days + 1))
    fresh = await OpLog.create(
        client=client, mutation_id=2 * retention.BATCH + 11, family=family.family, name="x"
    )
    removed = await purge(settings)
    assert removed["op log entries"] == 2 * retention.BATCH + 10
    assert await ids(OpLog) == {fresh.id}


async def test_a_replayed_old_change_after_the_purge_still_applies_once(
    app: Any, settings: Settings, other_client: Client
) -> None:
    """A phone that sends again a batch whose op log entries are gone (a retry after months
    offline, a restored outbox): the client's last mutation id still says it was applied."""
    family = await make_family()
    shopping_list = await make_list(family, pictures={"1F34E": 1, "1F95B": 1})
    await other_client.link_phone(await link_phone(family))
    items = list(await ListItem.filter(list=shopping_list).order_by("position"))
    token = await other_client.csrf()
    client_id = str(uuid.uuid4())
    tick, untick = str(uuid.uuid4()), str(uuid.uuid4())
    item = str(items[0].id)
    batch = [
        {
            "mutation_id": 1,
            "name": "item.mark",
            "args": {"id": tick, "item_id": item, "state": "ticked"},
        },
        {
            "mutation_id": 2,
            "name": "item.mark",
            "args": {"id": untick, "item_id": item, "state": "cleared"},
        },
    ]

    async def push(mutations: list[dict[str, Any]]) -> Any:
        response = await other_client.post(
            "/api/sync/push",
            json={"client_id": client_id, "mutations": mutations},
            headers={"X-CSRF-Token": token},
        )
        assert response.status_code == 200, response.text
        return response.json()

    first = await push(batch)
    assert [r["status"] for r in first["results"]] == ["applied", "applied"]
    marks_before = await ItemMark.all().count()
    await OpLog.all().update(applied_at=now() - timedelta(days=settings.keep_op_log_days + 1))

    removed = await purge(settings)
    assert removed["op log entries"] == 2 and await OpLog.all().count() == 0

    again = await push(batch)
    assert again["last_mutation_id"] == 2
    assert [r["status"] for r in again["results"]] == ["skipped", "skipped"]
    # Nothing new written: no op log entry, no mark; the item is still out of the basket.
    assert await OpLog.all().count() == 0
    assert await ItemMark.all().count() == marks_before
    page = await other_client.get(f"/lists/{shopping_list.id}/shop")
    assert "0 of 2 in the basket." in page.text
    # The next new change still applies, numbered after the old ones.
    tick_again = {"id": str(uuid.uuid4()), "item_id": str(items[1].id), "state": "ticked"}
    later = await push([{"mutation_id": 3, "name": "item.mark", "args": tick_again}])
    assert [r["status"] for r in later["results"]] == ["applied"]
    assert (
        "1 of 2 in the basket." in (await other_client.get(f"/lists/{shopping_list.id}/shop")).text
    )


async def test_the_purge_command_reads_its_settings_and_says_what_it_removed(
    app: Any, settings: Settings, tmp_path: Path
) -> None:
    family = await make_family()
    old = await op_log(family, now() - timedelta(days=11))
    young = await op_log(family, now() - timedelta(days=9))
    await failure(now() - timedelta(days=8))
    env = {
        **os.environ,
        "DATABASE_URL": settings.database_url,
        "DATA_DIR": str(tmp_path),
        "KEEP_OP_LOG_DAYS": "10",
    }
    done = await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-m", "pwa", "purge"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == (
        "removed: 1 op log entries, 0 field history entries, 1 failed log-ins, "
        "0 one-time codes, 0 sessions"
    )
    assert await ids(OpLog) == {young} and old != young
    assert await LoginFailure.all().count() == 0
