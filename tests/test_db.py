"""Migrations are real: they build the schema, and they match the models."""

from __future__ import annotations

import sqlite3

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
