"""The family's own photos: checked and re-encoded with Pillow, no metadata, kept only for the
family."""

from __future__ import annotations

import asyncio
import io
import uuid
import warnings
import weakref

from PIL import Image, ImageOps, PngImagePlugin, UnidentifiedImageError
from tortoise.transactions import in_transaction

from pwa.core import blobs
from pwa.core.forms import FormErrors
from pwa.core.pictograms import catalogue
from pwa.i18n import _
from pwa.lists import services as lists
from pwa.models import Family, Photo

MAX_BYTES = 2 * 1024 * 1024
# The pixels a photo may have, read from its header before anything is decoded. A small file can
# say it has many: a 130 KB PNG of one colour, 6300 × 6300 (under the old 40 million), took
# 400 MB to turn into a JPEG, three at once 1.2 GB. A decoded pixel takes 4 bytes, so 12 million
# is 48 MB, twice that for a see-through PNG (its premultiplied copy); a JPEG is decoded at most
# at twice the stored size on a side (see _shrink). The phone shrinks a photo to 1024 px before
# sending it (static/js/photo-upload.js): only a browser without that sends big ones, and a
# 4000 × 3000 one still goes.
MAX_PIXELS = 12_000_000
# Pillow decodes a WebP through libwebp's animation decoder, which holds the picture three times
# over (about 16 bytes a pixel, 190 MB at 12 million); a WebP may have half as many.
MAX_WEBP_PIXELS = MAX_PIXELS // 2
# And at most this long on a side: Pillow keeps a pointer for each row, so a picture 1 px wide and
# 12 million high would take 150 MB decoded. Panoramas from phones stay well under.
MAX_EDGE = 16_384
MAX_SIDE = 1024
FORMATS = {"JPEG", "PNG", "WEBP", "GIF"}
# At most this many photos are decoded at once in the process: each may take up to 100 MB (see
# MAX_PIXELS) for a moment, so many uploads at once wait their turn instead of adding up.
IMAGE_WORKERS = 2
# Text in a PNG (compressed, up to 1 MB a chunk) is unpacked when the file is opened, up to 64 MB
# by Pillow's default before it gives up; the text is dropped anyway. Pillow is used only here.
PngImagePlugin.MAX_TEXT_MEMORY = 1024 * 1024


def _too_many_pixels() -> FormErrors:
    return FormErrors({"photo": _("The photo has too many pixels. Choose a smaller photo.")})


def reencode(data: bytes) -> tuple[bytes, int, int]:
    """The bytes of a real image → a new JPEG at most 1024 px, with no metadata (EXIF, GPS).

    The size is checked from the header (Image.open reads only that) before any pixel is
    decoded, and a big photo is decoded small: a JPEG straight at 1/2, 1/4 or 1/8 of its size
    (draft), other kinds whole and then reduced before anything else is done with them."""
    if len(data) > MAX_BYTES:
        raise FormErrors({"photo": _("The photo is too big. It can be at most 2 MB.")})
    not_image = FormErrors({"photo": _("This file is not a photo. Choose a JPEG or PNG photo.")})
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as probe:
                if probe.format not in FORMATS:
                    raise not_image
                width, height = probe.size
                limit = MAX_WEBP_PIXELS if probe.format == "WEBP" else MAX_PIXELS
                if width * height > limit or max(width, height) > MAX_EDGE:
                    raise _too_many_pixels()
                probe.verify()
            with Image.open(io.BytesIO(data)) as image:
                return _shrink(image)
    except FormErrors:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise _too_many_pixels() from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        raise not_image from None


def _shrink(image: Image.Image) -> tuple[bytes, int, int]:
    width, height = image.size
    scale = min(1.0, MAX_SIDE / max(width, height))
    # The size the photo is stored at, before it is turned upright (1024 px on the long side).
    target = (max(1, round(width * scale)), max(1, round(height * scale)))
    if image.format == "JPEG":
        # The JPEG decoder itself makes the picture smaller, never below the target.
        image.draft("RGB", target)
    image.load()
    if image.mode in ("P", "PA"):
        see_through = image.mode == "PA" or "transparency" in image.info
        image = image.convert("RGBA" if see_through else "RGB")
    elif image.mode == "1":
        image = image.convert("L")  # a byte a pixel, not four
    elif image.mode not in ("RGB", "RGBA", "LA", "L"):
        image = image.convert("RGB")
    factor = (max(1, image.width // target[0]), max(1, image.height // target[1]))
    if factor != (1, 1):
        # Averaged down to at least the target before the copies below are made (the EXIF goes
        # along, in .info).
        image = image.reduce(factor)
    # Turn it the way the camera held it before the EXIF that says so is dropped (in place: no
    # copy).
    ImageOps.exif_transpose(image, in_place=True)
    if image.mode in ("RGBA", "LA"):
        background = Image.new("RGB", image.size, "white")
        background.paste(image, mask=image.getchannel("A"))
        image = background
    elif image.mode != "RGB":
        image = image.convert("RGB")
    image.thumbnail((MAX_SIDE, MAX_SIDE))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=85, optimize=True)
    return out.getvalue(), image.width, image.height


# One semaphore per event loop (the server has one; each test has its own).
_slots: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Semaphore] = (
    weakref.WeakKeyDictionary()
)


def image_slots() -> asyncio.Semaphore:
    loop = asyncio.get_running_loop()
    slots = _slots.get(loop)
    if slots is None:
        slots = _slots[loop] = asyncio.Semaphore(IMAGE_WORKERS)
    return slots


async def reencode_in_turn(data: bytes) -> tuple[bytes, int, int]:
    """reencode in a thread, other requests going on meanwhile, IMAGE_WORKERS at a time."""
    async with image_slots():
        return await asyncio.to_thread(reencode, data)


async def save_photo(
    family: Family, *, photo_id: uuid.UUID, data: bytes, label: str, area: str
) -> Photo:
    existing = await Photo.get_or_none(id=photo_id)
    if existing is not None:
        if existing.family_id != family.id:
            raise FormErrors({"photo": _("This form is old. Reload the page and try again.")})
        return existing
    errors: dict[str, str] = {}
    label = label.strip()
    if not label:
        errors["label"] = _("Write what is in the photo, like “blue cup”.")
    elif len(label) > lists.NAME_MAX:
        errors["label"] = _("The name can have at most 60 characters.")
    if catalogue().area(area) is None:
        errors["area"] = _("Choose one of the shop areas.")
    encoded = b""
    if not data:
        errors["photo"] = _("Choose a photo.")
    else:
        try:
            encoded, width, height = await reencode_in_turn(data)
        except FormErrors as exc:
            errors.update(exc.errors)
    if errors:
        raise FormErrors(errors)
    file_name = f"{uuid.uuid4().hex}.jpg"
    # The row and its bytes together, in the database: any app process serves them.
    async with in_transaction():
        await blobs.put(blobs.key(blobs.PHOTOS, file_name), encoded, blobs.JPEG)
        return await Photo.create(
            id=photo_id,
            family=family,
            label=label,
            area=area,
            file_name=file_name,
            width=width,
            height=height,
        )


# --- pages -----------------------------------------------------------------------------------
