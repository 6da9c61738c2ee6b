"""The family's own photos of products: checked, re-encoded, stored, served to that family only.

The browser shrinks a photo before sending it (static/js/photo-upload.js); the server still
checks everything itself, because not every upload comes from our page.
"""

from __future__ import annotations

import asyncio
import io
import uuid
import warnings
from pathlib import Path

from PIL import Image, ImageOps, UnidentifiedImageError
from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import FileResponse, RedirectResponse, Response
from starlette.routing import Route

from pwa import auth, lists
from pwa.auth import Action
from pwa.forms import FormErrors
from pwa.i18n import _
from pwa.models import Family, Photo, ShoppingList
from pwa.pictograms import catalogue
from pwa.templating import notify, render

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


async def serve_photo(request: Request) -> Response:
    photo = await Photo.get_or_none(id=auth.uuid_or_404(request.path_params["photo_id"]))
    if photo is None:
        raise auth.not_found()
    await auth.authorize_object(request, photo.family_id, Action.PHOTO_VIEW)
    return FileResponse(
        photo_dir(request) / photo.file_name,
        media_type="image/jpeg",
        # The file behind an id never changes; only this family may keep it.
        headers={"Cache-Control": "private, max-age=31536000, immutable"},
    )


async def add_photo_page(request: Request) -> Response:
    shopping_list = await ShoppingList.get_or_none(
        id=auth.uuid_or_404(request.path_params["list_id"]), deleted_at=None
    )
    if shopping_list is None:
        raise auth.not_found()
    await auth.authorize_object(request, shopping_list.family_id, Action.PHOTO_ADD)
    family = await Family.get(id=shopping_list.family_id)
    ctx = {
        "title": _("Add a photo"),
        "list": shopping_list,
        "area_options": lists.area_options(),
        "errors": {},
        "back_url": f"/lists/{shopping_list.id}/add",
    }
    if request.method == "GET":
        form = {"photo_id": str(uuid.uuid4()), "item_id": str(uuid.uuid4()), "area": "household"}
        return render(request, "lists/add_photo.html", {**ctx, "form": form})
    async with request.form(max_files=1, max_fields=20) as submitted:
        form = {k: v.strip() for k, v in submitted.items() if isinstance(v, str)}
        upload = submitted.get("photo")
        data = await upload.read(MAX_BYTES + 1) if isinstance(upload, UploadFile) else b""
    try:
        photo = await save_photo(
            family,
            photo_id=lists.parse_id(form.get("photo_id")),
            data=data,
            label=form.get("label", ""),
            area=form.get("area", ""),
            folder=photo_dir(request),
        )
        await lists.add_item(
            shopping_list, item_id=lists.parse_id(form.get("item_id")), photo_id=str(photo.id)
        )
    except FormErrors as exc:
        return render(
            request, "lists/add_photo.html", {**ctx, "form": form, "errors": exc.errors}, 400
        )
    notify(request, _("The photo “%(label)s” is on the list.", label=photo.label))
    return RedirectResponse(f"/lists/{shopping_list.id}", status_code=303)


routes = [
    Route("/photos/{photo_id}", serve_photo),
    Route("/lists/{list_id}/photos/new", add_photo_page, methods=["GET", "POST"]),
]
