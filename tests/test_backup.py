"""`python -m pwa backup` and `restore` (pwa/backup.py): a consistent copy while the app
serves, checked before it is put back; a file that is not a backup changes nothing."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from pwa import ROOT

pytestmark = pytest.mark.sqlite_only


def run(data_dir: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "DATA_DIR": str(data_dir)}
    return subprocess.run(
        [sys.executable, "-m", "pwa", *args], cwd=ROOT, env=env, capture_output=True, text=True
    )


def families(db: Path) -> list[str]:
    with sqlite3.connect(db) as connection:
        return [r[0] for r in connection.execute("SELECT name FROM family ORDER BY name")]


def test_backup_and_restore_bring_the_data_back(tmp_path: Path) -> None:
    assert run(tmp_path, "migrate").returncode == 0
    assert run(tmp_path, "demo").returncode == 0
    live = tmp_path / "startrip.sqlite3"
    before = families(live)
    assert before

    made = run(tmp_path, "backup")
    assert made.returncode == 0, made.stderr
    copy = Path(made.stdout.strip().removeprefix("backup written to "))
    assert copy.parent == tmp_path / "backups" and families(copy) == before

    # Something goes wrong: the families are gone. The backup brings them back.
    with sqlite3.connect(live) as connection:
        connection.execute("PRAGMA foreign_keys = OFF")
        connection.execute("DELETE FROM family")
    assert families(live) == []
    restored = run(tmp_path, "restore", str(copy))
    assert restored.returncode == 0, restored.stderr
    assert families(live) == before


def test_a_file_that_is_not_a_backup_is_refused_and_changes_nothing(tmp_path: Path) -> None:
    assert run(tmp_path, "migrate").returncode == 0
    assert run(tmp_path, "demo").returncode == 0
    live = tmp_path / "startrip.sqlite3"
    before = families(live)
    junk = tmp_path / "junk.sqlite3"
    junk.write_bytes(b"not a database at all" * 100)
    other = tmp_path / "other.sqlite3"
    with sqlite3.connect(other) as connection:
        connection.execute("CREATE TABLE notes (text TEXT)")
    for path, words in ((junk, "is not a SQLite database"), (other, "is not a Startrip backup")):
        refused = run(tmp_path, "restore", str(path))
        assert refused.returncode == 1 and words in refused.stderr
    assert run(tmp_path, "restore", str(tmp_path / "missing.sqlite3")).returncode == 1
    assert families(live) == before
