"""Migrations are real: they build the schema, and they match the models."""

from __future__ import annotations

import sqlite3

from tortoise.migrations.autodetector import MigrationAutodetector

from pwa.db import migrate, tortoise_config


async def test_migrations_build_every_table_on_an_empty_database(tmp_path):
    db = tmp_path / "fresh.sqlite3"
    await migrate(f"sqlite://{db}")
    with sqlite3.connect(db) as connection:
        tables = {row[0] for row in connection.execute("select name from sqlite_master")}
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
    await migrate(f"sqlite://{db}")


async def test_models_have_no_change_missing_from_the_migrations(tmp_path):
    from tortoise.context import TortoiseContext

    config = tortoise_config(f"sqlite://{tmp_path / 'check.sqlite3'}")
    async with TortoiseContext() as ctx:
        await ctx.init(config=config)
        detector = MigrationAutodetector(ctx.apps, config["apps"])
        writers = await detector.changes()
    assert not writers, "models changed: run `make makemigrations` and commit the migration"


async def test_migrations_upgrade_a_database_that_has_data(tmp_path):
    """A centre that ran an earlier release keeps its families when it upgrades."""
    db = tmp_path / "old.sqlite3"
    await migrate(f"sqlite://{db}", target="models.0001_initial")
    with sqlite3.connect(db) as connection:
        connection.execute(
            "insert into family (id, name, code, created_at) values ('f1', 'Wang', 'ABCD2345', "
            "'2026-01-01 00:00:00+00:00')"
        )
        connection.execute(
            "insert into person (id, family_id, display_name, avatar, settings, created_at) "
            "values ('p1', 'f1', 'Ming', '1F642', '{}', '2026-01-01 00:00:00+00:00')"
        )
    await migrate(f"sqlite://{db}")
    with sqlite3.connect(db) as connection:
        rows = connection.execute("select display_name, help_text from person").fetchall()
    assert rows == [("Ming", "")]
