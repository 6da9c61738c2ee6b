"""The family's own photos: checked and re-encoded with Pillow, no metadata, kept only for the
family."""

from __future__ import annotations

import asyncio
import io
import uuid
import warnings
from pathlib import Path

from PIL import Image, ImageOps, UnidentifiedImageError
from starlette.requests import Request

from pwa.core.forms import FormErrors
from pwa.core.pictograms import catalogue
from pwa.i18n import _
from pwa.lists import services as lists
from pwa.models import Family, Photo

MAX_BYTES = 2 * 1024 * 1024
# More pixels than any phone camera makes; a small file that unpacks to more is an attack.
MAX_PIXELS = 40_000_000
MAX_SIDE = 1024
FORMATS = {"JPEG", "PNG", "WEBP", "GIF"}


def photo_dir(request: Request) -> Path:
    return Path(request.app.state.settings.data_dir) / "photos"


def reencode(data: bytes) -> tuple[bytes, int, int]:
    """The bytes of a real image → a new JPEG at most 1024 px, with no metadata (EXIF, GPS)."""
    if len(data) > MAX_BYTES:
        raise FormErrors({"photo": _("The photo is too big. It can be at most 2 MB.")})
    not_image = FormErrors({"photo": _("This file is not a photo. Choose a JPEG or PNG photo.")})
    too_many_pixels = FormErrors({"photo": _("The photo has too many pixels.")})
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as probe:
                if probe.format not in FORMATS:
                    raise not_image
                width, height = probe.size
                if width * height > MAX_PIXELS:
                    raise too_many_pixels
                probe.verify()
            with Image.open(io.BytesIO(data)) as image:
                image.load()
                # Turn it the way the camera held it before the EXIF that says so is dropped.
                upright = ImageOps.exif_transpose(image)
                if upright.mode in ("RGBA", "LA", "P"):
                    background = Image.new("RGB", upright.size, "white")
                    background.paste(upright.convert("RGBA"), mask=upright.convert("RGBA"))
                    upright = background
                upright = upright.convert("RGB")
                upright.thumbnail((MAX_SIDE, MAX_SIDE))
                out = io.BytesIO()
                upright.save(out, "JPEG", quality=85, optimize=True)
                return out.getvalue(), upright.width, upright.height
    except FormErrors:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise too_many_pixels from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        raise not_image from None


async def save_photo(
    family: Family, *, photo_id: uuid.UUID, data: bytes, label: str, area: str, folder: Path
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
            # Decoding and encoding take a while; other requests go on meanwhile.
            encoded, width, height = await asyncio.to_thread(reencode, data)
        except FormErrors as exc:
            errors.update(exc.errors)
    if errors:
        raise FormErrors(errors)
    file_name = f"{uuid.uuid4().hex}.jpg"
    path = folder / file_name
    await asyncio.to_thread(write_file, path, encoded)
    try:
        return await Photo.create(
            id=photo_id,
            family=family,
            label=label,
            area=area,
            file_name=file_name,
            width=width,
            height=height,
        )
    except Exception:
        await asyncio.to_thread(path.unlink, missing_ok=True)
        raise


def write_file(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


# --- pages -----------------------------------------------------------------------------------
