"""Files an older release kept under DATA_DIR (photos/, clips/, shops/), moved into the database
(issue 19, item 4): `python -m pwa migrate` does it, and so does each app process as it starts,
so a host that still has files (the one that had them all, before a second host was added)
gives them to the others whichever command it runs first.

A file is moved when a row names it (a photo, a clip, a shop's entrance, till or area photo):
its bytes go into the blob store under its own name (pwa/core/blobs.py), and once they are
committed the file is removed. The database is then the one place the bytes are, so deleting a
family on any host deletes them (pwa/family/deletion.py) and no copy stays on a disk. A file no
row names (one an older release failed to remove) is left where it is and counted. Two
processes moving the same file at once both find the blob there afterwards: nothing is lost.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass
from pathlib import Path

from tortoise.exceptions import IntegrityError
from tortoise.expressions import Q

from pwa.core import blobs
from pwa.models import Blob, Clip, Organisation, Photo, ShopArea

log = logging.getLogger(__name__)
# Names looked up per query.
CHUNK = 500


@dataclass(frozen=True)
class Moved:
    moved: int  # files now in the database (and gone from the folder)
    left: int  # files no row names, or that could not be read: still in the folder


def _files_in(data_dir: Path) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for folder in blobs.FOLDERS:
        path = data_dir / folder
        if path.is_dir():
            found[folder] = sorted(p.name for p in path.iterdir() if p.is_file())
    return found


async def _content_types(folder: str, names: list[str]) -> dict[str, str]:
    """name → the type to serve it as, for the names a row of this folder's kind names."""
    named: dict[str, str] = {}
    for start in range(0, len(names), CHUNK):
        part = names[start : start + CHUNK]
        if folder == blobs.PHOTOS:
            for name in await Photo.filter(file_name__in=part).values_list("file_name", flat=True):
                named[str(name)] = blobs.JPEG
        elif folder == blobs.CLIPS:
            for name, mime in await Clip.filter(file_name__in=part).values_list(
                "file_name", "mime"
            ):
                named[str(name)] = str(mime)
        else:
            shops = Organisation.filter(Q(entrance_photo__in=part) | Q(till_photo__in=part))
            for pair in await shops.values_list("entrance_photo", "till_photo"):
                named.update({str(name): blobs.JPEG for name in pair if name in part})
            for name in await ShopArea.filter(photo__in=part).values_list("photo", flat=True):
                named[str(name)] = blobs.JPEG
    return named


async def _move(path: Path, blob_key: str, content_type: str) -> bool:
    if not await Blob.exists(key=blob_key):
        try:
            data = await asyncio.to_thread(path.read_bytes)
        except OSError as error:
            log.warning("%s could not be read (%s): left in place", path, error)
            return False
        # IntegrityError: another process moved the same file a moment ago.
        with contextlib.suppress(IntegrityError):
            await Blob.create(key=blob_key, data=data, content_type=content_type, size=len(data))
    # The bytes are committed (by this process or another): the file is no longer needed.
    await asyncio.to_thread(path.unlink, missing_ok=True)
    return True


async def move_into_database(data_dir: Path) -> Moved:
    found = await asyncio.to_thread(_files_in, Path(data_dir))
    moved = left = 0
    for folder, names in found.items():
        named = await _content_types(folder, names) if names else {}
        for name in names:
            content_type = named.get(name)
            path = Path(data_dir) / folder / name
            if content_type is not None and await _move(
                path, blobs.key(folder, name), content_type
            ):
                moved += 1
            else:
                left += 1
    if moved or left:
        log.info(
            "files under %s: %s moved into the database, %s left (no row names them)",
            data_dir,
            moved,
            left,
        )
    return Moved(moved, left)
