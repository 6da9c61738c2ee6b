"""Voice clips: a guardian records one for a step, an item or the help card (the form on each
one's page, templates/components/voice_clip.html), and the family hears it."""

from __future__ import annotations

import uuid

from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from pwa.auth import sessions
from pwa.auth.routing import Route, action_of
from pwa.auth.rules import Action
from pwa.clips import access
from pwa.clips.services import MAX_BYTES, put_clip, save_clip
from pwa.core import blobs, urls
from pwa.core.forms import FormErrors
from pwa.family import access as family_access
from pwa.i18n import _
from pwa.lists import access as list_access
from pwa.models import Family, ListItem, Person, PlanStep
from pwa.plans import access as plan_access
from pwa.templating import notify


async def serve_clip(request: Request) -> Response:
    clip, _access = await access.clip(
        sessions.principal(request), request.path_params["clip_id"], action_of(request)
    )
    blob = await blobs.get(blobs.key(blobs.CLIPS, clip.file_name))
    if blob is None:
        raise HTTPException(404)
    # The file behind an id never changes. The answer is not stored by the browser's HTTP
    # cache (pwa/security.py); the person's phone keeps it in the service worker's cache.
    return blobs.BlobResponse(blob, "private, max-age=31536000, immutable")


async def _voice(
    request: Request, owner: PlanStep | ListItem | Person, family_id: uuid.UUID, back: str
) -> Response:
    """Save the recording sent, or delete the one there is ("do" = "delete")."""
    async with request.form(max_files=1, max_fields=10) as submitted:
        do = submitted.get("do")
        upload = submitted.get("clip")
        data = await upload.read(MAX_BYTES + 1) if isinstance(upload, UploadFile) else b""
    if do == "delete":
        await put_clip(owner, None)
        notify(request, _("The recording is deleted."))
        return RedirectResponse(back, status_code=303)
    try:
        family = await Family.get(id=family_id)
        clip = await save_clip(family, clip_id=uuid.uuid4(), data=data)
    except FormErrors as exc:
        # Nothing is stored; the reason is shown at the top of the page the form came from.
        notify(request, next(iter(exc.errors.values())), "warning")
        return RedirectResponse(back, status_code=303)
    await put_clip(owner, clip)
    notify(request, _("Your recording is saved. “Read aloud” on the phone plays it."))
    return RedirectResponse(back, status_code=303)


async def step_voice(request: Request) -> Response:
    plan, step, _access = await plan_access.step_for(request)
    back = urls.url("step_form", plan_id=plan.id, step_id=step.id)
    return await _voice(request, step, plan.family_id, back)


async def item_voice(request: Request) -> Response:
    shopping_list, item, _access = await list_access.item_for(request)
    back = urls.url("edit_item", list_id=shopping_list.id, item_id=item.id)
    return await _voice(request, item, shopping_list.family_id, back)


async def help_voice(request: Request) -> Response:
    person, _access = await family_access.person_for(request)
    back = urls.url("help_card_text", person_id=person.id)
    return await _voice(request, person, person.family_id, back)


POST = ["POST"]
# Before the plans' and lists' routes: their ".../{action:str}" would take ".../voice".
routes = [
    Route("/clips/{clip_id}", serve_clip, action=Action.CLIP_VIEW),
    Route(
        "/plans/{plan_id}/steps/{step_id}/voice", step_voice, methods=POST, action=Action.PLAN_EDIT
    ),
    Route(
        "/lists/{list_id}/items/{item_id}/voice",
        item_voice,
        methods=POST,
        action=Action.LIST_MANAGE,
    ),
    Route(
        "/people/{person_id}/help-card/voice",
        help_voice,
        methods=POST,
        action=Action.PERSON_SETTINGS_EDIT,
    ),
]
