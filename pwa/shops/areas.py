"""A friendly shop's own order of its areas, as a person walks through it, and a photo of each
(issue 18, item 4). The shop's staff are the only writers (pwa/shops/routes.py); a list or trip
plan that names the shop reads the order (the shopping view, pwa/lists/shopping.py).

The areas are the catalogue's (pwa/pictograms.json), read at run time: an area the shop has not
ordered (one added to the catalogue later) comes after the ordered ones, in catalogue order;
a row for an area the catalogue no longer has is left out.
"""

from __future__ import annotations

import asyncio
import io
import uuid
from dataclasses import dataclass

from PIL import Image, ImageOps
from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from pwa.core import blobs, urls
from pwa.core.forms import FormErrors
from pwa.core.pictograms import Area, catalogue
from pwa.i18n import _
from pwa.models import Organisation, ShopArea
from pwa.photos import services as photos
from pwa.shops import services


@dataclass(frozen=True)
class ShopAreaView:
    """One area as the shop's order has it: the catalogue's area and the shop's photo's URL
    ("" without one)."""

    area: Area
    photo_url: str


def photo_url(shop_id: int, file_name: str) -> str:
    """A shop's photo under /photos/: the service worker keeps it for offline as it keeps a
    family's photos (static/js/sw.js, FILE_URL). The file's name is new for each upload, so the
    address of a photo never shows another."""
    return urls.url("shop_file", shop_id=shop_id, file_name=file_name) if file_name else ""


async def ordered(shop_id: int | None) -> list[ShopAreaView]:
    """Every catalogue area in the shop's order: those it ordered first, then the rest in
    catalogue order. No shop (or none that is friendly now): the catalogue's order, no photos."""
    rows: list[ShopArea] = []
    if shop_id is not None and await (await services.friendly_shops()).filter(id=shop_id).exists():
        rows = await ShopArea.filter(shop_id=shop_id).order_by("position", "id")
    return _in_order(shop_id or 0, rows)


def _in_order(shop_id: int, rows: list[ShopArea]) -> list[ShopAreaView]:
    known = {area.id: area for area in catalogue().areas}
    views = [
        ShopAreaView(known[row.area], photo_url(shop_id, row.photo))
        for row in rows
        if row.area in known
    ]
    placed = {view.area.id for view in views}
    views += [ShopAreaView(area, "") for area in catalogue().areas if area.id not in placed]
    return views


async def staff_view(shop: Organisation) -> list[ShopAreaView]:
    """The order as the shop's own staff see it, also before the shop is friendly."""
    return _in_order(shop.id, await ShopArea.filter(shop=shop).order_by("position", "id"))


def _check_area(area_id: str) -> Area:
    area = catalogue().area(area_id)
    if area is None:
        raise FormErrors({"area": _("Choose one of the shop areas.")})
    return area


async def _rows_in_order(shop: Organisation) -> list[ShopArea]:
    """A row for every catalogue area, in the order the shop sees now, numbered 0, 1, 2…:
    the first change writes the whole order down, so what was shown is what is moved."""
    rows = {row.area: row for row in await ShopArea.filter(shop=shop).select_for_update()}
    result = []
    for position, view in enumerate(await staff_view(shop)):
        row = rows.get(view.area.id)
        if row is None:
            row = await ShopArea.create(shop=shop, area=view.area.id, position=position)
        elif row.position != position:
            row.position = position
            await row.save(update_fields=["position"])
        result.append(row)
    return result


async def move(shop: Organisation, area_id: str, direction: str) -> None:
    """Move up / Move down (UX rule 10): the area changes place with the one before or after
    it. The first area moved up, or the last moved down, stays where it is."""
    _check_area(area_id)
    if direction not in ("up", "down"):
        raise FormErrors({"direction": _("Choose one of the choices.")})
    try:
        async with in_transaction():
            rows = await _rows_in_order(shop)
            index = next(i for i, row in enumerate(rows) if row.area == area_id)
            other = index - 1 if direction == "up" else index + 1
            if not 0 <= other < len(rows):
                return
            a, b = rows[index], rows[other]
            a.position, b.position = b.position, a.position
            await a.save(update_fields=["position"])
            await b.save(update_fields=["position"])
    except IntegrityError:
        # Another member of staff wrote the order down at the same moment: theirs stands.
        raise FormErrors(
            {"area": _("Someone else changed the order just now. Look again and try again.")}
        ) from None


# An area's photo is shown as a strip above the area's things on the phone's shopping list
# (.area-photo: 28rem × 9rem, the photo cropped to fill it). It is kept as that strip, cut from
# the middle of the photo: a 640 × 480 photo was 40–60 KB, the strip about a quarter of that,
# so the shopping list stays under 40 KB on a first visit (bench/page_weight.py, issue 18).
AREA_PHOTO_SIZE = (480, 160)


def _strip(jpeg: bytes) -> bytes:
    """The re-encoded photo (no metadata already), as the strip the list shows."""
    with Image.open(io.BytesIO(jpeg)) as image:
        strip = ImageOps.fit(image, AREA_PHOTO_SIZE)
        out = io.BytesIO()
        strip.save(out, "JPEG", quality=70, optimize=True, progressive=True)
        return out.getvalue()


async def save_photo(shop: Organisation, area_id: str, data: bytes) -> None:
    """A photo of the area, re-encoded (no metadata) as the entrance and till photos are;
    FormErrors and nothing saved when it is not a photo. The photo it replaces goes with the
    same save."""
    _check_area(area_id)
    if not data:
        raise FormErrors({"photo": _("Choose a photo.")})
    encoded = await asyncio.to_thread(_strip, (await photos.reencode_in_turn(data))[0])
    file_name = f"{uuid.uuid4().hex}.jpg"
    try:
        async with in_transaction():
            rows = await _rows_in_order(shop)
            row = next(row for row in rows if row.area == area_id)
            replaced = row.photo
            await blobs.put(blobs.key(blobs.SHOPS, file_name), encoded, blobs.JPEG)
            row.photo = file_name
            await row.save(update_fields=["photo"])
            if replaced:
                await blobs.delete([blobs.key(blobs.SHOPS, replaced)])
    except IntegrityError:
        raise FormErrors(
            {"photo": _("Someone else changed the order just now. Look again and try again.")}
        ) from None


async def remove_photo(shop: Organisation, area_id: str) -> None:
    _check_area(area_id)
    async with in_transaction():
        row = await ShopArea.filter(shop=shop, area=area_id).select_for_update().first()
        if row is not None and row.photo:
            await blobs.delete([blobs.key(blobs.SHOPS, row.photo)])
            row.photo = ""
            await row.save(update_fields=["photo"])


async def owns_file(shop: Organisation, file_name: str) -> bool:
    """Is this one of the shop's photos now (its entrance, its till or one of its areas)?"""
    if file_name and file_name in (shop.entrance_photo, shop.till_photo):
        return True
    return await ShopArea.exists(shop=shop, photo=file_name) if file_name else False
