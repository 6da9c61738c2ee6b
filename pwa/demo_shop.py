"""The demo's friendly supermarket walks in its own order, with photos (issue 18, item 4):
its staff's order of its areas, a calm placeholder photo of the areas on the demo list, of
its entrance and of its till; the demo list and trip plan name it. Idempotent, as the rest of
the demo: the photos have fixed names, put in the database again the same each time."""

from __future__ import annotations

import io
import uuid

from PIL import Image, ImageDraw

from pwa.core import blobs
from pwa.models import Organisation, OrgKind, Plan, ShopArea, ShoppingList

SHOP_NAME = "邻里超市 Neighbourhood Supermarket"
# As a person walks through it: fresh food at the door, the till after household things.
ORDER = (
    "fruit_veg",
    "bread_rice",
    "milk_eggs",
    "meat_fish",
    "frozen",
    "cooking",
    "drinks",
    "snacks",
    "household",
    "personal_care",
    "clothes",
    "school",
)
# Muted colours (UX: simple, low saturation), one for each photo: two areas of the demo list
# (the milk, the toilet paper) have one, the others show that a photo is not needed.
COLOURS = {
    "milk_eggs": (196, 208, 216),
    "household": (190, 182, 204),
    "entrance": (176, 196, 186),
    "till": (206, 190, 176),
}


def placeholder(colour: tuple[int, int, int]) -> bytes:
    """A calm picture of shelves in one colour (a stand-in for a real photo), as a 2 KB JPEG:
    the shopping list stays light on a phone's first visit (bench/page_weight.py)."""
    image = Image.new("RGB", (240, 135), colour)
    draw = ImageDraw.Draw(image)
    darker = tuple(int(c * 0.82) for c in colour)
    for top in (40, 84, 127):
        draw.rectangle((0, top, 240, top + 6), fill=darker)
        draw.rectangle((12, top - 22, 228, top - 3), fill=(236, 232, 224))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=50, optimize=True)
    return out.getvalue()


async def load(list_id: uuid.UUID, plan_id: uuid.UUID) -> list[str]:
    shop = await Organisation.get_or_none(kind=OrgKind.MERCHANT, name=SHOP_NAME)
    if shop is None:
        return []
    # The photos first, the same each time: a demo loaded before finds them again.
    names = {key: f"demo-{shop.id}-{key}.jpg" for key in COLOURS}
    for key, colour in COLOURS.items():
        await blobs.put(blobs.key(blobs.SHOPS, names[key]), placeholder(colour), blobs.JPEG)
    made = []
    if not await ShopArea.exists(shop=shop):
        for position, area in enumerate(ORDER):
            await ShopArea.create(
                shop=shop, area=area, position=position, photo=names.get(area, "")
            )
        made.append("the supermarket's own order")
    # A demo loaded before gave photos to other areas: those photos are not made any more.
    stale = ShopArea.filter(shop=shop, photo__startswith="demo-").exclude(
        photo__in=list(names.values())
    )
    gone = [str(name) for name in await stale.values_list("photo", flat=True)]
    await blobs.delete(blobs.key(blobs.SHOPS, name) for name in gone)
    await stale.update(photo="")
    if not shop.entrance_photo and not shop.till_photo:
        shop.entrance_photo, shop.till_photo = names["entrance"], names["till"]
        await shop.save(update_fields=["entrance_photo", "till_photo"])
    await ShoppingList.filter(id=list_id, shop_id=None).update(shop_id=shop.id)
    await Plan.filter(id=plan_id, shop_id=None).update(shop_id=shop.id)
    return made
