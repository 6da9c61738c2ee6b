"""Scripts and the stylesheet are sent minified (pwa/core/minify.py): smaller, and the same code."""

from __future__ import annotations

import gzip
import shutil
import subprocess
from pathlib import Path

import pytest

from pwa import ROOT
from pwa.core import minify
from pwa.templating import STATIC_DIR, static_url
from tests.conftest import Client

SCRIPTS = sorted((STATIC_DIR / "js").glob("*.js"))


def test_every_script_is_the_same_code_minified(tmp_path: Path) -> None:
    node = shutil.which("node")
    assert node, "node is installed by `make setup` (npm ci)"
    pairs: list[str] = []
    for script in SCRIPTS:
        small = tmp_path / script.name
        small.write_bytes(minify.minified(script))
        pairs += [str(script), str(small)]
    result = subprocess.run(
        [node, str(ROOT / "tests" / "js" / "same_code.cjs"), *pairs],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_minified_files_are_much_smaller() -> None:
    source = sum(len(gzip.compress(s.read_bytes())) for s in SCRIPTS)
    sent = sum(len(gzip.compress(minify.minified(s))) for s in SCRIPTS)
    assert sent < source * 0.75


@pytest.mark.parametrize("path", ["js/trip.js", "css/app.css"])
async def test_a_script_is_served_minified_and_cached(client: Client, path: str) -> None:
    answer = await client.get(static_url(path))
    assert answer.status_code == 200
    assert answer.content == minify.minified(STATIC_DIR / path)
    assert b"\n  " not in answer.content
    assert "immutable" in answer.headers["cache-control"]
    etag = answer.headers["etag"]
    assert (await client.get(static_url(path), headers={"If-None-Match": etag})).status_code == 304
