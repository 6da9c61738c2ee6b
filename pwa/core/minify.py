"""Scripts and the stylesheet as the phone gets them: without comments and indentation.

The sources keep their JSDoc and the comments that say why (STYLE.md); on the wire those were
half of each script's compressed bytes, and the person's screens must stay under 40 KB on a
first visit (issue 18, bench/page_weight.py). rJSmin and rCSSmin are made to run at serve time
(no build step): each file is minified once, then again only when it changes on disk.
tests/test_minify.py checks that every script is the same code (acorn)."""

from __future__ import annotations

import os
from pathlib import Path

import rcssmin  # type: ignore[import-untyped]
import rjsmin  # type: ignore[import-untyped]

_minified: dict[Path, tuple[int, int, bytes]] = {}


def minifier_for(path: Path) -> str:
    """ "js", "css" or "" (served as it is)."""
    return {".js": "js", ".css": "css"}.get(path.suffix, "")


def minified(path: Path) -> bytes:
    """The file's bytes, minified; read and minified again only after it changed."""
    stat = os.stat(path)
    kept = _minified.get(path)
    if kept and kept[:2] == (stat.st_mtime_ns, stat.st_size):
        return kept[2]
    text = path.read_text(encoding="utf-8")
    small: str = rjsmin.jsmin(text) if minifier_for(path) == "js" else rcssmin.cssmin(text)
    data = small.encode("utf-8")
    _minified[path] = (stat.st_mtime_ns, stat.st_size, data)
    return data
