"""Migrations are real: they build the schema, and they match the models."""

from __future__ import annotations

import sqlite3

import pytest
from tortoise.migrations.autodetector import MigrationAutodetector

from pwa.db import migrate, tortoise_config
from tests.databases import fetch, table_names


async def test_migrations_build_every_table_on_an_empty_database(empty_database_url):
    await migrate(empty_database_url)
    tables = await table_names(empty_database_url)
    assert {
        "account",
        "family",
        "person",
        "membership",
        "invitation",
        "organisation",
        "org_membership",
        "device_link",
        "login_failure",
    } <= tables
    # Running them again changes nothing and does not fail.
    await migrate(empty_database_url)
    assert await table_names(empty_database_url) == tables


async def test_models_have_no_change_missing_from_the_migrations(tmp_path):
    from tortoise.context import TortoiseContext

    config = tortoise_config(f"sqlite://{tmp_path / 'check.sqlite3'}")
    async with TortoiseContext() as ctx:
        await ctx.init(config=config)
        detector = MigrationAutodetector(ctx.apps, config["apps"])
        writers = await detector.changes()
    assert not writers, "models changed: run `make makemigrations` and commit the migration"


async def test_migrations_upgrade_a_database_that_has_data(empty_database_url):
    """A centre that ran an earlier release keeps its families when it upgrades."""
    url = empty_database_url
    await migrate(url, target="models.0001_initial")
    family, person = "0a0a0a0a-0000-4000-8000-000000000001", "0a0a0a0a-0000-4000-8000-000000000002"
    await fetch(
        url,
        f"insert into family (id, name, code, created_at) values ('{family}', 'Wang', "
        "'ABCD2345', '2026-01-01 00:00:00+00:00')",
    )
    await fetch(
        url,
        "insert into person (id, family_id, display_name, avatar, settings, created_at) "
        f"values ('{person}', '{family}', 'Ming', '1F642', '{{}}', '2026-01-01 00:00:00+00:00')",
    )
    await migrate(url)
    rows = await fetch(url, "select display_name, help_text from person")
    assert rows == [("Ming", "")]


async def test_upgrading_to_0016_keeps_accounts_and_lets_vouchers_outlive_their_family(
    empty_database_url,
):
    """0016 lets an account have no email and a voucher no family without rebuilding either
    table (SQLite's rebuild would drop "account" under every membership and session)."""
    url = empty_database_url
    await migrate(url, target="models.0015_centre_requests")
    family = "0a0a0a0a-0000-4000-8000-000000000001"
    at = "'2026-01-01 00:00:00+00:00'"
    await fetch(
        url,
        f"insert into family (id, name, code, created_at) values ('{family}', 'Wang', "
        f"'ABCD2345', {at})",
    )
    await fetch(
        url,
        "insert into account (id, email, password_hash, name, phone, created_at) "
        f"values (7, 'wang@example.test', 'x', 'Wang', '', {at})",
    )
    await fetch(
        url,
        "insert into membership (account_id, family_id, role, created_at) "
        f"values (7, '{family}', 'guardian', {at})",
    )
    await fetch(
        url,
        "insert into organisation (id, kind, name, city, address, opening_hours, quiet_hours, "
        "staff_know, accepts_vouchers, entrance_photo, till_photo, created_at) "
        f"values (3, 'centre', 'Centre', 'Baoding', '', '', '', '', true, '', '', {at})",
    )
    await fetch(
        url,
        "insert into voucher (id, family_id, centre_id, face_value, balance, valid_from, "
        "valid_until, status, everywhere, created_at) values "
        f"('0a0a0a0a-0000-4000-8000-000000000009', '{family}', 3, 5000, 5000, {at}, {at}, "
        f"'active', true, {at})",
    )
    await migrate(url)
    assert await fetch(url, "select account_id, role from membership") == [(7, "guardian")]
    await fetch(
        url,
        "insert into account (email, password_hash, name, phone, created_at, mobile) "
        f"values (null, '', 'Li', '', {at}, '+8613800138000')",
    )
    delete = f"delete from family where id = '{family}'"
    if url.startswith("sqlite://"):
        # As the app's connections do (tortoise turns foreign keys on for SQLite).
        with sqlite3.connect(url.removeprefix("sqlite://").split("?", 1)[0]) as connection:
            connection.execute("PRAGMA foreign_keys = ON")
            connection.execute(delete)
    else:
        await fetch(url, delete)
    assert await fetch(url, "select balance, family_id from voucher") == [(5000, None)]
    assert await fetch(url, "select count(*) from membership") == [(0,)]


async def test_upgrading_to_0018_keeps_stores_taking_vouchers_and_the_money_balanced(
    empty_database_url,
):
    """A store made before issue 17 stays a friendly shop, and a centre's vouchers come out
    of a budget of their size: granted = unissued + outstanding + spent from the first day."""
    url = empty_database_url
    await migrate(url, target="models.0017_sync_removals")
    at = "'2026-01-01 00:00:00+00:00'"
    for org_id, kind in ((3, "centre"), (4, "merchant")):
        await fetch(
            url,
            "insert into organisation (id, kind, name, city, address, opening_hours, "
            "quiet_hours, staff_know, accepts_vouchers, entrance_photo, till_photo, created_at) "
            f"values ({org_id}, '{kind}', 'Org {org_id}', 'Baoding', '', '', '', '', true, '', "
            f"'', {at})",
        )
    for n, (face, balance) in enumerate(((5000, 5000), (3000, 1000)), start=1):
        await fetch(
            url,
            "insert into voucher (id, family_id, centre_id, face_value, balance, valid_from, "
            "valid_until, status, everywhere, created_at) values "
            f"('0a0a0a0a-0000-4000-8000-00000000000{n}', null, 3, {face}, {balance}, {at}, "
            f"{at}, 'active', true, {at})",
        )
    await migrate(url)
    approved = await fetch(
        url, "select kind, approved_at is not null from organisation order by id"
    )
    assert [(kind, bool(flag)) for kind, flag in approved] == [
        ("centre", False),
        ("merchant", True),
    ]
    assert await fetch(url, "select centre_id, granted, unissued from centre_budget") == [
        (3, 8000, 0)
    ]
    entries = await fetch(url, "select kind, amount from budget_entry order by id")
    assert entries == [("grant", 8000), ("issue", -8000)]


async def test_the_audit_log_refuses_changes_and_deletions(database_url):
    """Nobody can change or delete an audit entry: not the app's ORM, nor its raw SQL."""
    import pytest
    from tortoise import Tortoise

    from pwa.audit.services import AuditAction, record
    from pwa.models import AuditEntry

    await Tortoise.init(config=tortoise_config(database_url))
    try:
        entry = await record(
            AuditAction.BUDGET_GRANT,
            actor="command line",
            object_kind="centre",
            object_id=3,
            before={"granted": 0},
            after={"granted": 100},
        )
        # The database's own words (tortoise wraps them on SQLite, asyncpg raises them as is).
        refused = "audit entries cannot be"
        with pytest.raises(Exception, match=refused):
            await AuditEntry.filter(id=entry.id).update(actor="someone else")
        with pytest.raises(Exception, match=refused):
            await AuditEntry.filter(id=entry.id).delete()
        entry.after = {"granted": 1}
        with pytest.raises(Exception, match=refused):
            await entry.save()
        with pytest.raises(Exception, match=refused):
            await entry.delete()
        kept = await AuditEntry.get(id=entry.id)
        assert (kept.actor, kept.after) == ("command line", {"granted": 100})
    finally:
        await Tortoise.close_connections()


async def test_a_centre_has_one_budget_row_on_both_databases(database_url):
    """The database refuses a second budget row for a centre (0018's unique index: SQLite's
    rebuild for the CHECK dropped the column's UNIQUE)."""
    import pytest
    from tortoise import Tortoise

    from pwa.models import CentreBudget, Organisation, OrgKind

    await Tortoise.init(config=tortoise_config(database_url))
    try:
        centre = await Organisation.create(kind=OrgKind.CENTRE, name="Centre", city="邯郸")
        await CentreBudget.create(centre=centre)
        with pytest.raises(Exception, match=r"(?i)unique"):
            await CentreBudget.create(centre=centre)
    finally:
        await Tortoise.close_connections()


@pytest.mark.sqlite_only
async def test_sqlite_waits_for_the_disk_for_money_and_pushes_only(app) -> None:
    """SQLite as a server database (issue 19, docs/DEPLOY.md): WAL, a busy timeout, NORMAL
    syncing for everyday writes, FULL for a transaction that moves money or applies a push."""
    from tortoise import connections

    from pwa.db import immediate_transaction

    client = connections.get("default")
    assert client.capabilities.dialect == "sqlite"

    async def pragma(name: str) -> int | str:
        return next(
            iter(
                (await connections.get("default").execute_query_dict(f"PRAGMA {name}"))[0].values()
            )
        )

    assert await pragma("journal_mode") == "wal"
    # A statement runs at once in the loop; one that finds the file locked waits for it in a
    # thread, up to the configured 5 s (pwa/sqlite_client.py).
    assert await pragma("busy_timeout") == 0
    assert client._connection.busy_timeout_ms == 5000
    assert await pragma("synchronous") == 1  # NORMAL
    async with immediate_transaction():
        assert await pragma("synchronous") == 2  # FULL
    assert await pragma("synchronous") == 1
    try:
        async with immediate_transaction():
            raise RuntimeError("a refused payment")
    except RuntimeError:
        pass
    assert await pragma("synchronous") == 1


@pytest.mark.sqlite_only
async def test_a_payment_that_finds_the_file_locked_fails_and_the_app_goes_on(app) -> None:
    """Another process holds SQLite's write lock past the busy timeout: the money transaction
    fails with the lock error, and the app's next queries are answered, not stuck."""
    import asyncio

    from tortoise import connections

    from pwa.db import immediate_transaction
    from pwa.models import Family

    client = connections.get("default")
    other = sqlite3.connect(client.filename, timeout=0)
    other.execute("BEGIN IMMEDIATE")
    try:
        with pytest.raises(Exception, match="locked"):
            async with immediate_transaction():
                pass
    finally:
        other.rollback()
        other.close()
    await asyncio.wait_for(Family.create(name="After", code="AFTER1"), timeout=10)
    async with immediate_transaction():
        assert await Family.filter(code="AFTER1").count() == 1
    rows = await client.execute_query_dict("PRAGMA synchronous")
    assert rows[0]["synchronous"] == 1
