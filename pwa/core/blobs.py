"""The bytes of uploads, kept in the database (issue 19, item 4): a family's photos, the
guardians' voice clips and the shops' photos. Every app process on the database serves them,
whatever its own data folder holds, and a backup of the database holds them too.

A key is the folder an older release kept the file in and the file's name ("photos/NAME.jpg"):
the rows keep naming the file as before (Photo.file_name, Clip.file_name, a shop's photo), and
files left from before are found under the same name (pwa/legacy_files.py). A key's bytes never
change: a new upload takes a new name, which is what lets the answer be kept for a year.

The writers call put and delete inside their own transaction, so a row and its bytes come and
go together.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from email.utils import formatdate

from starlette.datastructures import Headers
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from pwa.models import Blob

PHOTOS = "photos"  # a family's photos (pwa/photos/)
CLIPS = "clips"  # the guardians' voice clips (pwa/clips/)
SHOPS = "shops"  # a shop's entrance, till and area photos (pwa/shops/)
FOLDERS = (PHOTOS, CLIPS, SHOPS)
JPEG = "image/jpeg"
# Keys per DELETE: well under SQLite's and PostgreSQL's limits on parameters.
CHUNK = 500


def key(folder: str, name: str) -> str:
    return f"{folder}/{name}"


async def put(blob_key: str, data: bytes, content_type: str) -> None:
    """Keep these bytes under the key; bytes already there are replaced (only the demo puts
    the same key again, with the same picture)."""
    existing = await Blob.get_or_none(key=blob_key).only("key")
    if existing is None:
        await Blob.create(key=blob_key, data=data, content_type=content_type, size=len(data))
    else:
        await Blob.filter(key=blob_key).update(data=data, content_type=content_type, size=len(data))


async def get(blob_key: str) -> Blob | None:
    return await Blob.get_or_none(key=blob_key)


async def present(keys: list[str]) -> set[str]:
    """Which of these keys have bytes, without reading them."""
    found: set[str] = set()
    for start in range(0, len(keys), CHUNK):
        part = keys[start : start + CHUNK]
        found.update(str(k) for k in await Blob.filter(key__in=part).values_list("key", flat=True))
    return found


async def delete(keys: Iterable[str]) -> None:
    wanted = [k for k in keys if k]
    for start in range(0, len(wanted), CHUNK):
        await Blob.filter(key__in=wanted[start : start + CHUNK]).delete()


# --- serving -------------------------------------------------------------------------------------

_RANGE = re.compile(r"bytes=(\d*)-(\d*)")


class BlobResponse(Response):
    """The stored bytes as a file answer: the headers a file had (Content-Length, ETag,
    Last-Modified, Accept-Ranges) and one byte range on request, as the audio element asks for
    a clip (Safari plays nothing from a server that cannot answer one). The ETag comes from the
    key, so every app process gives the same one for the same bytes; an If-None-Match that
    names it is answered 304 with no body."""

    def __init__(self, blob: Blob, cache_control: str) -> None:
        super().__init__(
            content=blob.data if isinstance(blob.data, bytes) else bytes(blob.data),
            media_type=blob.content_type,
            headers={
                "Cache-Control": cache_control,
                "Accept-Ranges": "bytes",
                "ETag": etag(blob),
                "Last-Modified": formatdate(blob.created_at.timestamp(), usegmt=True),
            },
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        asked = Headers(scope=scope)
        tag = self.headers["etag"]
        size = len(self.body)
        status, body, headers = self.status_code, self.body, self.headers.mutablecopy()
        if tag in (t.strip() for t in asked.get("if-none-match", "").split(",")):
            status, body = 304, b""
            del headers["content-length"]
        elif asked.get("range") is not None:
            try:
                wanted = _range(asked, tag, headers["last-modified"], size)
            except _Unsatisfiable:
                status, body = 416, b""
                headers["content-range"] = f"bytes */{size}"
                headers["content-length"] = "0"
            else:
                if wanted is not None:
                    start, end = wanted
                    status, body = 206, self.body[start:end]
                    headers["content-range"] = f"bytes {start}-{end - 1}/{size}"
                    headers["content-length"] = str(end - start)
        await send({"type": "http.response.start", "status": status, "headers": headers.raw})
        head = scope.get("method", "GET").upper() == "HEAD"
        await send({"type": "http.response.body", "body": b"" if head else body})


def etag(blob: Blob) -> str:
    digest = hashlib.md5(f"{blob.key}-{blob.size}".encode(), usedforsecurity=False).hexdigest()
    return f'"{digest}"'


class _Unsatisfiable(Exception):
    """The range starts past the end (416)."""


def _range(asked: Headers, tag: str, modified: str, size: int) -> tuple[int, int] | None:
    """(start, end) of the one range asked for; None for the whole file: an If-Range for other
    bytes, several ranges or one not understood (a server may always answer those with the
    whole file)."""
    if_range = asked.get("if-range")
    if if_range is not None and if_range not in (tag, modified):
        return None
    match = _RANGE.fullmatch(asked.get("range", "").strip())
    if match is None or match.group(1) == match.group(2) == "":
        return None
    first, last = match.groups()
    if first == "":  # the last N bytes
        start, end = max(0, size - int(last)), size
    else:
        start = int(first)
        end = min(size, int(last) + 1) if last else size
        if last and int(last) < start:
            return None
    if start >= size or start >= end:
        raise _Unsatisfiable
    return start, end
