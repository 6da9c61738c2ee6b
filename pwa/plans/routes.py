"""The pages of plans: the family's plans, the editor, steps, the story view, first–then boards
and the help card text. Trip mode itself is in pwa/trips/routes.py."""

from __future__ import annotations

import json
import uuid
from typing import Any

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from pwa import conflicts as history
from pwa.auth import sessions
from pwa.auth.routing import Route
from pwa.auth.rules import Action
from pwa.core import ids, urls
from pwa.core.forms import FormErrors, read_form
from pwa.family import access as family_access
from pwa.i18n import _
from pwa.models import Family, FirstThenBoard, Person, Photo, Plan, PlanStep, ShoppingList
from pwa.plans import access, shop_photos
from pwa.plans import services as plans
from pwa.plans.services import default_help_text
from pwa.shops import services as shops
from pwa.templating import form_page, notify, render


def plan_url(plan: Plan, fragment: str = "") -> str:
    return urls.url("plan_page", plan_id=plan.id, fragment=fragment)


def redirect(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


# --- the family's plans ----------------------------------------------------------------------


async def family_plans(request: Request) -> Response:
    family, granted = await family_access.family_for(request)
    undo = None
    if undo_id := request.session.pop("undo_plan", None):
        undo = await Plan.get_or_none(id=undo_id, family=family, deleted_at__isnull=False)
    undo_board = None
    if board_id := request.session.pop("undo_board", None):
        undo_board = await FirstThenBoard.get_or_none(
            id=board_id, family=family, deleted_at__isnull=False
        )
    return render(
        request,
        "plans/index.html",
        {
            "title": _("Trip plans"),
            "family": family,
            "plans": await Plan.filter(family=family, deleted_at=None)
            .prefetch_related("person")
            .order_by("-created_at"),
            "boards": await FirstThenBoard.filter(family=family, deleted_at=None).order_by(
                "-created_at"
            ),
            "undo": undo,
            "undo_board": undo_board,
            "board_words": plans.board_words,
            "can_edit": granted.may(Action.PLAN_EDIT),
            "back_url": "/home",
        },
    )


async def new_plan(request: Request) -> Response:
    family, _access = await family_access.family_for(request)
    people = await Person.filter(family=family).order_by("created_at")
    ctx = {
        "title": _("New trip plan"),
        "back_url": urls.url("family_plans", family_id=family.id),
        "action": urls.url("new_plan", family_id=family.id),
        "person_options": [(str(p.id), p.display_name) for p in people],
        "template_options": [*plans.templates(), ("", _("Start with no steps"))],
        # The friendly shop the trip goes to: the story shows its entrance and till (issue 18).
        "shop_options": await shops.shop_options(),
    }
    initial = {
        "id": str(uuid.uuid4()),
        "person_id": str(people[0].id) if people else "",
        "template_id": "supermarket",
    }

    async def save(form: dict[str, str]) -> str:
        plan = await plans.create_plan(
            family,
            plan_id=ids.form_id(form.get("id")),
            name=form.get("name", ""),
            person_id=form.get("person_id", ""),
            template_id=form.get("template_id", ""),
            shop_id=form.get("shop_id", ""),
        )
        notify(request, _("The plan “%(name)s” is made.", name=plan.name))
        return plan_url(plan)

    return await form_page(request, "plans/new.html", ctx, initial, save)


async def plan_page(request: Request) -> Response:
    plan, granted = await access.plan_for(request)
    undo = None
    if undo_id := request.session.pop("undo_step", None):
        undo = await PlanStep.get_or_none(id=undo_id, plan=plan, deleted_at__isnull=False)
    people = await Person.filter(family_id=plan.family_id).order_by("created_at")
    return render(
        request,
        "plans/plan.html",
        {
            "title": plan.name,
            "plan": plan,
            "steps": await plans.step_views(plan),
            "person_options": [(str(p.id), p.display_name) for p in people],
            "shop_options": await shops.shop_options(plan.shop_id),
            "levels": dict(plans.prompt_level_options()),
            "undo": undo,
            "can_edit": granted.may(Action.PLAN_EDIT),
            "can_run": granted.may(Action.TRIP_RUN),
            "list_names": {
                str(x.id): x.name
                for x in await ShoppingList.filter(family_id=plan.family_id, deleted_at=None)
            },
            "new_step_id": str(uuid.uuid4()),
            "back_url": urls.url("family_plans", family_id=plan.family_id),
        },
    )


async def rename_plan(request: Request) -> Response:
    plan, _access = await access.plan_for(request)
    form = await read_form(request)
    try:
        await plans.rename_plan(
            plan,
            name=form.get("name", ""),
            person_id=form.get("person_id", ""),
            shop_id=form.get("shop_id"),
        )
    except FormErrors as exc:
        notify(request, next(iter(exc.errors.values())), "warning")
        return redirect(plan_url(plan))
    notify(request, _("The plan is saved."))
    return redirect(plan_url(plan))


async def delete_plan(request: Request) -> Response:
    plan, _access = await access.plan_for(request)
    if request.method == "GET":
        return render(
            request,
            "plans/delete.html",
            {
                "title": _("Delete “%(name)s”?", name=plan.name),
                "plan": plan,
                "back_url": plan_url(plan),
            },
        )
    await plans.delete_plan(plan)
    request.session["undo_plan"] = str(plan.id)
    notify(request, _("The plan “%(name)s” is deleted.", name=plan.name))
    return redirect(urls.url("family_plans", family_id=plan.family_id))


async def restore_plan(request: Request) -> Response:
    plan, _access = await access.plan_for(request, deleted=True)
    await plans.restore_plan(plan)
    notify(request, _("The plan “%(name)s” is back.", name=plan.name))
    return redirect(plan_url(plan))


# --- steps -----------------------------------------------------------------------------------


async def step_form(request: Request) -> Response:
    """Add a step (/plans/{id}/steps/new) or change one (/plans/{id}/steps/{step_id})."""
    step: PlanStep | None = None
    if "step_id" in request.path_params:
        plan, step, _access = await access.step_for(request)  # the step and its plan, once
    else:
        plan, _access = await access.plan_for(request)
    photos = await Photo.filter(family_id=plan.family_id).order_by("-created_at")
    family_lists = await ShoppingList.filter(
        family_id=plan.family_id, deleted_at=None, archived_at=None
    ).order_by("-created_at")
    ctx: dict[str, Any] = {
        "title": _("Change the step") if step else _("Add a step"),
        "plan": plan,
        "action": urls.url("step_form", plan_id=plan.id, step_id=step.id)
        if step
        else urls.url("step_form", plan_id=plan.id),
        "pictures": plans.step_pictures(),
        "photos": photos,
        "list_options": [(str(x.id), x.name) for x in family_lists],
        "link_options": plans.link_options(),
        "level_options": plans.prompt_level_options(),
        "back_url": plan_url(plan),
        # The voice clip's form, for a step that exists (templates/components/voice_clip.html).
        "step": step,
    }
    if step is not None:
        initial = {
            "id": str(step.id),
            "picture": f"photo:{step.photo_id}" if step.photo_id else step.pictogram,
            "text": step.text,
            "wait_minutes": str(step.wait_minutes or ""),
            "link": step.link,
            "list_id": str(step.shopping_list_id or ""),
            "prompt_level": step.prompt_level.value,
        }
        initial["was"] = json.dumps(initial)
    else:
        initial = {"id": str(uuid.uuid4()), "picture": "1F6B6", "prompt_level": "full"}

    async def save(form: dict[str, str]) -> str:
        saved = await plans.save_step(
            plan,
            step_id=ids.form_id(form.get("id")),
            raw={name: form.get(name, "") for name in plans.STEP_FORM_FIELDS},
            changed=set(history.changed_fields(form, plans.STEP_FORM_FIELDS)) if step else None,
            writer=sessions.sync_key(sessions.principal(request)),
        )
        if saved.deleted_at is not None:
            notify(request, history.taken_out_words(), "warning")
            return urls.url("plan_history", plan_id=plan.id)
        notify(request, _("The step “%(text)s” is saved.", text=saved.text))
        return plan_url(plan, fragment=f"step-{saved.id}")

    return await form_page(request, "plans/step.html", ctx, initial, save)


async def step_action(request: Request) -> Response:
    plan, _access = await access.plan_for(request)
    plan, step, _access = await access.step_for(request)
    form = await read_form(request)
    action = request.path_params["action"]
    if action == "move":
        await plans.move_step(step, form.get("direction", ""))
    elif action == "remove":
        await plans.remove_step(step)
        request.session["undo_step"] = str(step.id)
        notify(request, _("The step “%(text)s” is taken out.", text=step.text))
        return redirect(plan_url(plan))
    elif action == "restore":
        await plans.restore_step(step)
        notify(request, _("The step “%(text)s” is back.", text=step.text))
    else:
        raise ids.not_found()
    return redirect(plan_url(plan, fragment=f"step-{step.id}"))


# --- story view and boards -------------------------------------------------------------------


async def story(request: Request) -> Response:
    plan, granted = await access.plan_for(request)
    steps = await plans.step_views(plan)
    return render(
        request,
        "plans/story.html",
        {
            "title": _("The story of “%(name)s”", name=plan.name),
            "plan": plan,
            "steps": steps,
            # The plan's shop's entrance and till, at the steps they are met (issue 18).
            "shop_photos": await shop_photos.at_steps(plan, steps),
            "can_run": granted.may(Action.TRIP_RUN),
            "back_url": "/me" if granted.is_person else plan_url(plan),
        },
    )


async def new_board(request: Request) -> Response:
    """Make a board (/families/{id}/boards/new) or change one (/boards/{id}/edit)."""
    board = None
    if "board_id" in request.path_params:
        board, _access = await access.board_for(request)
        family = await Family.get(id=board.family_id)
    else:
        family, _access = await family_access.family_for(request)
    ctx = {
        "title": _("Change the first–then board") if board else _("New first–then board"),
        "action": urls.url("new_board", board_id=board.id)
        if board
        else urls.url("new_board", family_id=family.id),
        "pictures": plans.step_pictures(),
        "back_url": urls.url("board_page", board_id=board.id)
        if board
        else urls.url("family_plans", family_id=family.id),
    }
    if board is not None:
        initial = {
            "id": str(board.id),
            "first_code": board.first_code,
            "first_text": board.first_text,
            "then_code": board.then_code,
            "then_text": board.then_text,
        }
    else:
        initial = {"id": str(uuid.uuid4()), "first_code": "1F6D2", "then_code": "1F3E0"}

    async def save(form: dict[str, str]) -> str:
        board = await plans.save_board(
            family,
            board_id=ids.form_id(form.get("id")),
            first_code=form.get("first_code", ""),
            first_text=form.get("first_text", ""),
            then_code=form.get("then_code", ""),
            then_text=form.get("then_text", ""),
        )
        return urls.url("board_page", board_id=board.id)

    return await form_page(request, "plans/new_board.html", ctx, initial, save)


async def board_page(request: Request) -> Response:
    board, granted = await access.board_for(request)
    first, then = plans.board_words(board)
    return render(
        request,
        "plans/board.html",
        {
            "title": _("First %(first)s, then %(then)s", first=first, then=then),
            "board": board,
            "words": (first, then),
            "can_edit": granted.may(Action.PLAN_EDIT),
            "back_url": "/me"
            if granted.is_person
            else urls.url("family_plans", family_id=board.family_id),
        },
    )


async def board_action(request: Request) -> Response:
    """Delete a board, or bring it back (undo)."""
    action = request.path_params["action"]
    board, _access = await access.board_for(request, deleted=action == "restore")
    if action == "delete":
        await plans.delete_board(board)
        request.session["undo_board"] = str(board.id)
        notify(request, _("The first–then board is deleted."))
    elif action == "restore":
        await plans.restore_board(board)
        notify(request, _("The first–then board is back."))
    else:
        raise ids.not_found()
    return redirect(urls.url("family_plans", family_id=board.family_id))


# --- the help card ---------------------------------------------------------------------------


async def help_card_text(request: Request) -> Response:
    person, _access = await family_access.person_for(request)
    ctx = {
        "title": _("Help card of %(name)s", name=person.display_name),
        "person": person,
        "default_text": default_help_text(),
        "back_url": urls.url("person_page", person_id=person.id),
    }

    async def save(form: dict[str, str]) -> str:
        await plans.save_help_text(person, form.get("help_text", ""))
        notify(request, _("The help card is saved."))
        return urls.url("person_page", person_id=person.id)

    initial = {"help_text": person.help_text or default_help_text()}
    return await form_page(request, "plans/help_card_text.html", ctx, initial, save)


# --- earlier changes (pwa/conflicts.py) ------------------------------------------------------


async def plan_history(request: Request) -> Response:
    plan, _access = await access.plan_for(request)
    steps = await PlanStep.filter(plan=plan)
    return render(
        request,
        "history/history.html",
        {
            "title": _("Earlier changes to “%(name)s”", name=plan.name),
            "entries": await history.entries(
                plan.family_id, plan.id, {s.id: s.text for s in steps}
            ),
            "put_back_url": lambda entry_id: urls.url(
                "put_back_step", plan_id=plan.id, entry_id=entry_id
            ),
            "back_url": plan_url(plan),
        },
    )


async def put_back_step(request: Request) -> Response:
    """POST /plans/{id}/history/{entry_id}: put one earlier value of a step back."""
    plan, _access = await access.plan_for(request)
    entry = await history.entry_of(plan, "step", request.path_params["entry_id"])
    await history.put_back(entry, writer=sessions.sync_key(sessions.principal(request)))
    notify(request, _("The earlier value is back."))
    return redirect(urls.url("plan_history", plan_id=plan.id))


A = Action
GET_POST = ["GET", "POST"]
POST = ["POST"]
routes = [
    Route("/families/{family_id}/plans", family_plans, action=A.FAMILY_VIEW),
    Route("/families/{family_id}/plans/new", new_plan, methods=GET_POST, action=A.PLAN_EDIT),
    Route("/families/{family_id}/boards/new", new_board, methods=GET_POST, action=A.PLAN_EDIT),
    Route("/boards/{board_id}", board_page, action=A.PLAN_VIEW),
    Route("/boards/{board_id}/edit", new_board, methods=GET_POST, action=A.PLAN_EDIT),
    Route("/boards/{board_id}/{action:str}", board_action, methods=POST, action=A.PLAN_EDIT),
    Route("/plans/{plan_id}", plan_page, action=A.PLAN_VIEW),
    Route("/plans/{plan_id}/rename", rename_plan, methods=POST, action=A.PLAN_EDIT),
    Route("/plans/{plan_id}/delete", delete_plan, methods=GET_POST, action=A.PLAN_EDIT),
    Route("/plans/{plan_id}/restore", restore_plan, methods=POST, action=A.PLAN_EDIT),
    Route("/plans/{plan_id}/story", story, action=A.PLAN_VIEW),
    Route("/plans/{plan_id}/steps/new", step_form, methods=GET_POST, action=A.PLAN_EDIT),
    Route("/plans/{plan_id}/steps/{step_id}", step_form, methods=GET_POST, action=A.PLAN_EDIT),
    Route(
        "/plans/{plan_id}/steps/{step_id}/{action:str}",
        step_action,
        methods=POST,
        action=A.PLAN_EDIT,
    ),
    Route(
        "/people/{person_id}/help-card",
        help_card_text,
        methods=GET_POST,
        action=A.PERSON_SETTINGS_EDIT,
    ),
    Route("/plans/{plan_id}/history", plan_history, action=A.PLAN_EDIT),
    Route("/plans/{plan_id}/history/{entry_id}", put_back_step, methods=POST, action=A.PLAN_EDIT),
]
