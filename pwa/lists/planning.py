"""What the person's list maker on the phone needs (issue 18, item 9), read for its page
(pwa/lists/planner.py), which the start screen asks the phone to keep (pwa/family/me.py).

The catalogue is a file of names and codes (catalogue_file), never picture addresses: the
service worker keeps every file a kept page names (static/js/sw.js, `keep`), and the catalogue
has over 400 pictures (about 3 KB each). The phone keeps the pictures of the shop areas,
those its family has used and the area it uses most; any other picture when first seen online.
Offline, a picture not kept shows its name.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections import Counter
from functools import cache
from typing import Any

from pwa.core import urls
from pwa.core.pictograms import catalogue, pictogram_url
from pwa.models import ListItem, Photo, ShoppingList

# The newest items of the family read for the pictures the phone keeps.
USED_BEFORE = 400


@cache
def catalogue_file() -> tuple[bytes, str]:
    """Every picture as [code, area, English name, Chinese name], and its version: a file the
    picker fetches when it first shows pictures, and the phone keeps (it is public, the same
    for everyone, so it is not in the list maker's page: issue 18 asks lists under 40 KB)."""
    rows = [[p.code, p.area, p.en, p.zh] for p in catalogue().items]
    body = json.dumps(rows, ensure_ascii=False, separators=(",", ":")).encode()
    return body, hashlib.sha256(body).hexdigest()[:12]


def picker_data(photos: list[Photo]) -> dict[str, Any]:
    """The shop areas in the page's language, where the pictures are, and the family's own
    photos."""
    return {
        "areas": [
            {"id": a.id, "label": a.label, "picture": pictogram_url(a.code)}
            for a in catalogue().areas
        ],
        "pictures_url": f"{urls.url('catalogue_file')}?v={catalogue_file()[1]}",
        "photos": [
            {
                "id": str(p.id),
                "label": p.label,
                "area": p.area,
                "picture": urls.url("serve_photo", photo_id=p.id),
            }
            for p in photos
        ],
    }


async def list_seed(shopping_list: ShoppingList, views: list[Any], cursor: int) -> dict[str, Any]:
    """A list as the server has it now, for the page opened online; `key` is what the picker
    tile of each item is (its photo's id or its picture's code)."""
    keys = {
        str(item.id): str(item.photo_id) if item.photo_id else item.pictogram
        for item in await ListItem.filter(list=shopping_list, deleted_at=None)
    }
    return {
        "list": {"id": str(shopping_list.id), "name": shopping_list.name},
        "cursor": cursor,
        "items": [
            {
                "id": v.id,
                "key": keys.get(v.id, ""),
                "label": v.label,
                "picture": v.picture_url,
                "quantity": v.quantity,
                "area": v.area,
            }
            for v in views
        ],
    }


async def kept_pictures(family_id: uuid.UUID) -> set[str]:
    """The pictures the phone keeps for planning with no signal: every shop area's, those the
    family has put on lists, and all of the area it uses most."""
    used = await (
        ListItem.filter(family_id=family_id, photo_id=None)
        .order_by("-created_at")
        .limit(USED_BEFORE)
        .values_list("pictogram", "area")
    )
    pictures = {pictogram_url(a.code) for a in catalogue().areas}
    pictures |= {pictogram_url(code) for code, _area in used if catalogue().get(code)}
    most = Counter(area for _code, area in used).most_common(1)
    if most:
        pictures |= {pictogram_url(p.code) for p in catalogue().in_area(most[0][0])}
    return pictures
