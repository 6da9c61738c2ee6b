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
