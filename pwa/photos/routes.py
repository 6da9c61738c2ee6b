"""Photos: serving a family's photo to the family, and the form that adds one."""

from __future__ import annotations

import uuid

from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from pwa.auth import sessions
from pwa.auth.routing import Route, action_of
from pwa.auth.rules import Action
from pwa.core import blobs, ids, urls
from pwa.core.forms import FormErrors
from pwa.i18n import _
from pwa.lists import access as list_access
from pwa.lists import services as lists
from pwa.models import Family
from pwa.photos.services import MAX_BYTES, save_photo
from pwa.templating import notify, render


async def serve_photo(request: Request) -> Response:
    photo, _access = await list_access.photo(
        sessions.principal(request), request.path_params["photo_id"], action_of(request)
    )
    blob = await blobs.get(blobs.key(blobs.PHOTOS, photo.file_name))
    if blob is None:
        raise HTTPException(404)
    # The file behind an id never changes; only this family may keep it.
    return blobs.BlobResponse(blob, "private, max-age=31536000, immutable")


async def add_photo_page(request: Request) -> Response:
    shopping_list, _access = await list_access.list_for(request)
    family = await Family.get(id=shopping_list.family_id)
    ctx = {
        "title": _("Add a photo"),
        "list": shopping_list,
        "area_options": lists.area_options(),
        "errors": {},
        "back_url": urls.url("picker", list_id=shopping_list.id),
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
            photo_id=ids.form_id(form.get("photo_id")),
            data=data,
            label=form.get("label", ""),
            area=form.get("area", ""),
        )
        await lists.add_item(
            shopping_list, item_id=ids.form_id(form.get("item_id")), photo_id=str(photo.id)
        )
    except FormErrors as exc:
        return render(
            request, "lists/add_photo.html", {**ctx, "form": form, "errors": exc.errors}, 400
        )
    notify(request, _("The photo “%(label)s” is on the list.", label=photo.label))
    return RedirectResponse(urls.url("list_page", list_id=shopping_list.id), status_code=303)


routes = [
    Route("/photos/{photo_id}", serve_photo, action=Action.PHOTO_VIEW),
    Route(
        "/lists/{list_id}/photos/new",
        add_photo_page,
        methods=["GET", "POST"],
        action=Action.PHOTO_ADD,
    ),
]
