"""Backups of the embedded SQLite database (`python -m pwa backup` / `restore`).

The backup uses SQLite's online backup API, so it is a consistent copy even while the app
serves requests. A restore checks the file first (a SQLite database that passes its integrity
check and has this app's tables), then copies it over the live database with the same API.
PostgreSQL deployments use pg_dump and pg_restore instead (docs/DEPLOY.md).

The database holds the photos, voice clips and shop photos too (table blob, issue 19), so a
backup is the whole of what the families have; only the secret key and the VAPID key stay
outside it (DATA_DIR or the settings).
"""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from pathlib import Path

REQUIRED_TABLES = {"account", "family", "person", "shopping_list", "voucher", "op_log"}


class BackupError(Exception):
    """Said in words to whoever runs the command."""


def sqlite_path(database_url: str) -> Path:
    if not database_url.startswith("sqlite://"):
        raise BackupError(
            "This database is not SQLite: back it up with pg_dump (see docs/DEPLOY.md)."
        )
    return Path(database_url.removeprefix("sqlite://").split("?", 1)[0])


def backup(database_url: str, target: Path | None, data_dir: Path) -> Path:
    """Copy the live database to `target` (default data/backups/startrip-<UTC time>.sqlite3)."""
    source_path = sqlite_path(database_url)
    if not source_path.exists():
        raise BackupError(f"There is no database at {source_path}.")
    if target is None:
        stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
        target = data_dir / "backups" / f"startrip-{stamp}.sqlite3"
    target.parent.mkdir(parents=True, exist_ok=True)
    with sqlite3.connect(source_path) as source, sqlite3.connect(target) as copy:
        source.backup(copy)
    check(target)
    return target


def check(path: Path) -> None:
    """A database this app can use: readable, intact, with its tables."""
    try:
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as db:
            if db.execute("PRAGMA integrity_check").fetchone()[0] != "ok":
                raise BackupError(f"{path} is damaged (its integrity check failed).")
            tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"{path} is not a SQLite database ({exc}).") from None
    missing = REQUIRED_TABLES - tables
    if missing:
        raise BackupError(
            f"{path} is not a Startrip backup: it has no {', '.join(sorted(missing))}."
        )


def restore(database_url: str, source: Path) -> Path:
    """Put a backup back as the live database. Stop the app first."""
    if not source.exists():
        raise BackupError(f"There is no file at {source}.")
    check(source)
    target_path = sqlite_path(database_url)
    target_path.parent.mkdir(parents=True, exist_ok=True)
    with sqlite3.connect(source) as backup_db, sqlite3.connect(target_path) as live:
        backup_db.backup(live)
    return target_path
