"""Migrations are real: they build the schema, and they match the models."""

from __future__ import annotations

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
