"""Own photos: only real images, re-encoded without metadata, served to their family only."""

from __future__ import annotations

import io
import uuid

from PIL import Image

from pwa.core import blobs
from pwa.models import ListItem, Photo
from pwa.settings import Settings
from tests.conftest import Client
from tests.factories import jpeg_bytes, make_family, make_list, stored_bytes
from tests.html import find_form


async def upload(
    client: Client, list_id: object, data: bytes, name: str = "photo.jpg", label: str = "Blue cup"
) -> tuple[object, dict[str, str]]:
    page = await client.get(f"/lists/{list_id}/photos/new")
    form = find_form(page.text, f"/lists/{list_id}/photos/new")
    fields = {**form.fields, "label": label, "area": "household"}
    response = await client.post(
        form.action, data=fields, files={"photo": (name, data, "image/jpeg")}
    )
    return response, fields


async def stored_files() -> dict[str, bytes]:
    """The photos' bytes in the database, by file name."""
    return await stored_bytes(blobs.PHOTOS)


async def test_a_photo_is_reencoded_without_metadata_and_put_on_the_list(
    client: Client, settings: Settings
) -> None:
    family = await make_family()
    shopping_list = await make_list(family)
    await client.log_in(family.email, family.password)
    original = jpeg_bytes(2000, 1500, exif=True)
    assert b"PhoneMaker" in original
    response, fields = await upload(client, shopping_list.id, original)
    assert response.status_code == 303, response.text
    photo = await Photo.get(id=fields["photo_id"])
    assert await ListItem.filter(list=shopping_list, photo=photo).count() == 1
    [name] = await stored_files()
    assert name == photo.file_name and name != "photo.jpg"
    served = await client.get(f"/photos/{photo.id}")
    assert served.status_code == 200 and served.headers["content-type"] == "image/jpeg"
    assert b"PhoneMaker" not in served.content
    with Image.open(io.BytesIO(served.content)) as image:
        assert max(image.size) == 1024
        assert not image.getexif()
    page = await client.get(f"/lists/{shopping_list.id}")
    assert 'aria-label="Blue cup × 1"' in page.text and f"/photos/{photo.id}" in page.text
    # Sent again (a double tap), the same form stores nothing new.
    again = await client.post(
        f"/lists/{shopping_list.id}/photos/new",
        data=fields,
        files={"photo": ("photo.jpg", original, "image/jpeg")},
    )
    assert again.status_code == 303
    assert await Photo.all().count() == 1 and len(await stored_files()) == 1


async def test_a_text_file_called_jpg_is_refused_and_nothing_is_stored(
    client: Client, settings: Settings
) -> None:
    family = await make_family()
    shopping_list = await make_list(family)
    await client.log_in(family.email, family.password)
    response, _fields = await upload(client, shopping_list.id, b"just some words\n" * 50)
    assert response.status_code == 400
    assert "This file is not a photo. Choose a JPEG or PNG photo." in response.text
    assert await Photo.all().count() == 0 and await stored_files() == {}
    assert await ListItem.filter(list=shopping_list).count() == 0


async def test_the_error_is_in_chinese_on_a_chinese_page(app, settings: Settings) -> None:
    family = await make_family()
    shopping_list = await make_list(family)
    async with Client(app, locale="zh-CN") as client:
        await client.log_in(family.email, family.password)
        await client.submit("/account", {"name": "Parent", "phone": "", "locale": "zh_Hans"})
        response, _fields = await upload(client, shopping_list.id, b"not a picture")
        assert response.status_code == 400
        assert "这个文件不是照片" in response.text


async def test_a_photo_over_2_mb_is_refused(client: Client, settings: Settings) -> None:
    family = await make_family()
    shopping_list = await make_list(family)
    await client.log_in(family.email, family.password)
    noise = Image.effect_noise((1050, 1050), 100).convert("RGB")
    out = io.BytesIO()
    noise.save(out, "PNG")
    big = out.getvalue()
    assert 2 * 1024 * 1024 < len(big) < 3 * 1024 * 1024
    response, _fields = await upload(client, shopping_list.id, big, "big.png")
    assert response.status_code == 400
    assert "The photo is too big. It can be at most 2 MB." in response.text
    assert await Photo.all().count() == 0 and await stored_files() == {}


async def test_a_request_over_the_limit_is_refused_before_it_is_read(client: Client) -> None:
    family = await make_family()
    shopping_list = await make_list(family)
    await client.log_in(family.email, family.password)
    response, _fields = await upload(client, shopping_list.id, b"\0" * (4 * 1024 * 1024))
    assert response.status_code == 413
    assert "What you sent is too big." in response.text
    assert await Photo.all().count() == 0


async def test_a_picture_with_too_many_pixels_is_refused(client: Client) -> None:
    family = await make_family()
    shopping_list = await make_list(family)
    await client.log_in(family.email, family.password)
    # A few KB that would unpack to 100 million pixels.
    out = io.BytesIO()
    Image.new("1", (10_000, 10_000)).save(out, "PNG")
    response, _fields = await upload(client, shopping_list.id, out.getvalue(), "bomb.png")
    assert response.status_code == 400
    assert "The photo has too many pixels." in response.text


async def test_photos_are_served_only_to_their_family(client: Client, other_client: Client) -> None:
    family = await make_family()
    shopping_list = await make_list(family)
    await client.log_in(family.email, family.password)
    _response, fields = await upload(client, shopping_list.id, jpeg_bytes())
    url = f"/photos/{fields['photo_id']}"
    assert (await other_client.get(url)).status_code == 303  # not logged in: log in first
    stranger = await make_family()
    await other_client.log_in(stranger.email, stranger.password)
    assert (await other_client.get(url)).status_code == 404
    assert (await other_client.get(f"/photos/{uuid.uuid4()}")).status_code == 404
    served = await client.get(url)
    assert "private" in served.headers["cache-control"]
