"""Uploads kept in the database (issue 19, item 4; pwa/core/blobs.py): served as a file was
(ETag, byte ranges), replaced or removed with the row that names them, and the files an older
release kept under DATA_DIR moved in (pwa/legacy_files.py), by the app's start and by
`python -m pwa migrate`."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from dataclasses import dataclass
from pathlib import Path

from starlette.applications import Starlette

from pwa import ROOT, legacy_files
from pwa.app import create_app
from pwa.core import blobs
from pwa.models import Clip, Organisation, Photo, ShopArea
from pwa.settings import Settings
from pwa.shops import services as shops
from tests import databases
from tests.conftest import Client
from tests.factories import (
    PASSWORD,
    FamilyFixture,
    jpeg_bytes,
    make_centre_and_shop,
    make_family,
    make_list,
    stored_bytes,
)
from tests.family_data import add_photo
from tests.test_clips import SHORT


async def test_a_photo_is_served_with_its_etag_and_in_ranges(client: Client) -> None:
    family = await make_family()
    await client.log_in(family.email, family.password)
    photo = await add_photo(client, (await make_list(family)).id, "Blue cup")
    url = f"/photos/{photo.id}"
    whole = await client.get(url)
    size = len(whole.content)
    assert whole.status_code == 200 and whole.headers["content-length"] == str(size)
    assert whole.headers["accept-ranges"] == "bytes" and whole.headers["last-modified"]
    tag = whole.headers["etag"]
    # The same tag each time (made from the key, so every app process gives the same one).
    assert (await client.get(url)).headers["etag"] == tag
    unchanged = await client.get(url, headers={"If-None-Match": tag})
    assert unchanged.status_code == 304 and unchanged.content == b""

    def asked(value: str, **more: str) -> dict[str, str]:
        return {"Range": value, **more}

    tail = await client.get(url, headers=asked("bytes=-10"))
    assert tail.status_code == 206 and tail.content == whole.content[-10:]
    assert tail.headers["content-range"] == f"bytes {size - 10}-{size - 1}/{size}"
    rest = await client.get(url, headers=asked("bytes=20-"))
    assert rest.status_code == 206 and rest.content == whole.content[20:]
    past = await client.get(url, headers=asked(f"bytes={size}-"))
    assert past.status_code == 416 and past.headers["content-range"] == f"bytes */{size}"
    # Several ranges, or an If-Range for other bytes: the whole file.
    several = await client.get(url, headers=asked("bytes=0-1,5-6"))
    assert several.status_code == 200 and several.content == whole.content
    other = await client.get(url, headers=asked("bytes=0-1", **{"If-Range": '"other"'}))
    assert other.status_code == 200 and other.content == whole.content
    same = await client.get(url, headers=asked("bytes=0-1", **{"If-Range": tag}))
    assert same.status_code == 206 and same.content == whole.content[:2]
    head = await client.head(url)
    assert head.status_code == 200 and head.content == b""
    assert head.headers["content-length"] == str(size)


async def test_a_shops_new_entrance_photo_replaces_the_old_ones_bytes(app: Starlette) -> None:
    _centre, shop, staff = await make_centre_and_shop()
    form = {"address": "1 Main Road"}
    await shops.save_directory_entry(shop, form, {"entrance": jpeg_bytes()}, by=staff)
    first = (await Organisation.get(id=shop.id)).entrance_photo
    assert first in await stored_bytes(blobs.SHOPS)
    await shops.save_directory_entry(shop, form, {"entrance": jpeg_bytes(50, 40)}, by=staff)
    second = (await Organisation.get(id=shop.id)).entrance_photo
    assert second != first and set(await stored_bytes(blobs.SHOPS)) == {second}
    # Saved again without a new photo: the photo stays.
    await shops.save_directory_entry(shop, form, {}, by=staff)
    assert (await Organisation.get(id=shop.id)).entrance_photo == second
    assert set(await stored_bytes(blobs.SHOPS)) == {second}


def write(folder: Path, name: str, data: bytes) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_bytes(data)
    return folder / name


@dataclass
class Before:
    family: FamilyFixture
    shop: Organisation
    photo: Photo
    clip: Clip
    bytes: dict[str, bytes]  # file name → what its file holds


async def files_from_before(data_dir: Path) -> Before:
    """Rows an older release made, with their files in its data folder (and one file no row
    names); what each holds."""
    family = await make_family()
    _centre, shop, _staff = await make_centre_and_shop()
    photo_bytes, area_bytes, till_bytes = jpeg_bytes(), jpeg_bytes(50, 40), jpeg_bytes(30, 20)
    photo = await Photo.create(
        id=uuid.uuid4(),
        family=family.family,
        label="Old cup",
        area="household",
        file_name="old-photo.jpg",
        width=40,
        height=30,
    )
    clip = await Clip.create(
        id=uuid.uuid4(),
        family=family.family,
        file_name="old-clip.ogg",
        mime="audio/ogg",
        duration_ms=2000,
        size=len(SHORT),
    )
    shop.till_photo = "old-till.jpg"
    await shop.save(update_fields=["till_photo"])
    await ShopArea.create(shop=shop, area="drinks", position=0, photo="old-area.jpg")
    write(data_dir / "photos", photo.file_name, photo_bytes)
    write(data_dir / "clips", clip.file_name, SHORT)
    write(data_dir / "shops", "old-till.jpg", till_bytes)
    write(data_dir / "shops", "old-area.jpg", area_bytes)
    write(data_dir / "photos", "nobodys.jpg", b"left over")
    held = {"old-till.jpg": till_bytes, "old-area.jpg": area_bytes}
    return Before(family, shop, photo, clip, {photo.file_name: photo_bytes, **held})


async def test_the_app_moves_the_files_of_an_older_release_into_the_database_as_it_starts(
    settings: Settings,
) -> None:
    data_dir = settings.data_dir
    application = create_app(settings)
    async with application.router.lifespan_context(application):
        old = await files_from_before(data_dir)
    # The next start (of this process, or of the host that had the files, issue 19).
    application = create_app(settings)
    async with application.router.lifespan_context(application), Client(application) as client:
        await client.log_in(old.family.email, PASSWORD)
        served = await client.get(f"/photos/{old.photo.id}")
        assert served.status_code == 200 and served.content == old.bytes[old.photo.file_name]
        heard = await client.get(f"/clips/{old.clip.id}")
        assert heard.headers["content-type"] == "audio/ogg" and heard.content == SHORT
        for name in ("old-till.jpg", "old-area.jpg"):
            shop_photo = await client.get(f"/photos/shops/{old.shop.id}/{name}")
            assert shop_photo.status_code == 200 and shop_photo.content == old.bytes[name]
        # The files are gone from the folder, but for the one no row names.
        assert sorted(p.name for p in data_dir.glob("*/*") if p.parent.name in blobs.FOLDERS) == [
            "nobodys.jpg"
        ]
        assert "photos/nobodys.jpg" not in await blobs.present(["photos/nobodys.jpg"])
        # Nothing more to move the next time.
        assert await legacy_files.move_into_database(data_dir) == legacy_files.Moved(0, 1)


async def test_a_file_already_in_the_database_is_not_read_again(app: Starlette) -> None:
    """Moved by another process a moment ago (or this one stopped after the commit): the file
    goes, the bytes in the database stay as they are."""
    data_dir = app.state.settings.data_dir
    old = await files_from_before(data_dir)
    name = old.photo.file_name
    await blobs.put(blobs.key(blobs.PHOTOS, name), old.bytes[name], blobs.JPEG)
    (data_dir / "photos" / name).write_bytes(b"changed on disk since")
    moved = await legacy_files.move_into_database(data_dir)
    assert moved == legacy_files.Moved(4, 1)
    assert (await stored_bytes(blobs.PHOTOS))[name] == old.bytes[name]
    assert not (data_dir / "photos" / name).exists()


def test_migrate_moves_the_files_too(tmp_path: Path, database_url: str) -> None:
    """`python -m pwa migrate` on the host that has the files, before a second host starts."""
    env = {**os.environ, "DATA_DIR": str(tmp_path), "DATABASE_URL": database_url}

    def pwa(*args: str) -> str:
        done = subprocess.run(
            [sys.executable, "-m", "pwa", *args],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            check=True,
        )
        return done.stdout

    pwa("demo")
    # The demo's shop photos are in the database from the start; as an older release had them:
    names = [
        str(row[0]).removeprefix("shops/")
        for row in databases.query(database_url, "SELECT key FROM blob ORDER BY key")
    ]
    assert names and all(name.startswith("demo-") for name in names)
    databases.query(database_url, "DELETE FROM blob")
    for name in names:
        write(tmp_path / "shops", name, b"\xff\xd8 an old demo photo")
    write(tmp_path / "shops", "nobodys.jpg", b"left over")
    said = pwa("migrate")
    assert f"{len(names)} moved into the database, 1 left in place" in said
    rows = databases.query(database_url, "SELECT key, size FROM blob")
    assert sorted(str(key) for key, _size in rows) == sorted(f"shops/{n}" for n in names)
    assert [p.name for p in (tmp_path / "shops").iterdir()] == ["nobodys.jpg"]
