"""Trip plans (visual schedules) and first–then boards: the service functions that change them,
and the views the editor, the story view and trip mode read.

Like lists, every writer takes the id the client made, so a form sent twice or a change
replayed by the offline sync finds what it already made.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any

from fractional_indexing import generate_key_between
from tortoise.transactions import in_transaction

from pwa import ROOT, i18n
from pwa import conflicts as history
from pwa.core import clock, ids, urls
from pwa.core.forms import FormErrors
from pwa.core.pictograms import pictogram_url
from pwa.i18n import _
from pwa.lists.services import NAME_MAX
from pwa.models import (
    Family,
    FirstThenBoard,
    Person,
    Photo,
    Plan,
    PlanStep,
    PromptLevel,
    ShoppingList,
)
from pwa.shops import services as shops

TEMPLATES_FILE = ROOT / "pwa" / "plan_templates.json"
TEXT_MAX = 120
MAX_WAIT_MINUTES = 120
LINKS = ("", "list", "pay")


def _in_locale(entry: dict[str, Any]) -> str:
    text: str = entry["zh"] if i18n.current_locale().startswith("zh") else entry["en"]
    return text


@cache
def _templates_data() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(TEMPLATES_FILE.read_text(encoding="utf-8"))
    return data


def step_pictures() -> list[tuple[str, str]]:
    """(OpenMoji code, label) of the pictures a step can have, in the page's language."""
    return [(p["code"], _in_locale(p)) for p in _templates_data()["step_pictures"]]


def templates() -> list[tuple[str, str]]:
    """(id, name) of the shipped plans, in the page's language."""
    return [(t["id"], _in_locale(t)) for t in _templates_data()["templates"]]


def _template(template_id: str) -> dict[str, Any] | None:
    return next((t for t in _templates_data()["templates"] if t["id"] == template_id), None)


async def save_help_text(person: Person, text: str) -> None:
    """The words of the help card; the default words are kept as "" so they follow the page's
    language."""
    text = text.strip()
    if len(text) > 300:
        raise FormErrors({"help_text": _("The words can have at most 300 characters.")})
    person.help_text = "" if text == default_help_text() else text
    await person.save(update_fields=["help_text"])


def default_help_text() -> str:
    return _("I am autistic. Please speak slowly and show me.")


def _check_name(name: str) -> str:
    name = name.strip()
    if not name:
        raise FormErrors({"name": _("Write a name for the plan.")})
    if len(name) > NAME_MAX:
        raise FormErrors({"name": _("The name can have at most 60 characters.")})
    return name


# --- plans -----------------------------------------------------------------------------------


async def create_plan(
    family: Family,
    *,
    plan_id: uuid.UUID,
    name: str,
    person_id: str = "",
    template_id: str = "",
    shop_id: str = "",
) -> Plan:
    """A new plan, empty or with the steps of a shipped template in the page's language."""
    existing = await Plan.get_or_none(id=plan_id)
    if existing is not None:
        if existing.family_id != family.id:
            raise FormErrors({"id": _("This form is old. Reload the page and try again.")})
        return existing
    errors: dict[str, str] = {}
    template = _template(template_id) if template_id else None
    if template_id and template is None:
        errors["template_id"] = _("Choose one of the choices.")
    if not name.strip() and template is not None:
        name = _in_locale(template)
    try:
        name = _check_name(name)
    except FormErrors as exc:
        errors.update(exc.errors)
    person = None
    if person_id:
        person = await Person.get_or_none(id=ids.uuid_or_none(person_id), family=family)
        if person is None:
            errors["person_id"] = _("Choose one of the people.")
    shop = None
    try:
        shop = await shops.chosen_shop(shop_id)
    except FormErrors as exc:
        errors.update(exc.errors)
    if errors:
        raise FormErrors(errors)
    # The "find the things" step opens the person's newest list, if there is one.
    family_lists = ShoppingList.filter(family=family, deleted_at=None, archived_at=None)
    newest_list = (
        await family_lists.filter(person=person).order_by("-created_at").first() if person else None
    ) or await family_lists.order_by("-created_at").first()
    async with in_transaction():
        plan = await Plan.create(id=plan_id, family=family, person=person, name=name, shop=shop)
        position = None
        for step in (template or {}).get("steps", []):
            position = generate_key_between(position, None)
            await PlanStep.create(
                id=uuid.uuid4(),
                family=family,
                plan=plan,
                position=position,
                pictogram=step["code"],
                text=_in_locale(step),
                wait_minutes=step.get("wait"),
                link=step.get("link", ""),
                shopping_list=newest_list if step.get("link") == "list" else None,
            )
    return plan


async def rename_plan(plan: Plan, *, name: str, person_id: str, shop_id: str | None = None) -> None:
    """The whole plan's name, person and (given: not None) its shop (issue 18)."""
    errors: dict[str, str] = {}
    if shop_id is not None:
        try:
            shop = await shops.chosen_shop(shop_id, plan.shop_id)
            plan.shop_id = shop.id if shop else None
        except FormErrors as exc:
            errors.update(exc.errors)
    try:
        plan.name = _check_name(name)
    except FormErrors as exc:
        errors.update(exc.errors)
    plan.person_id = None
    if person_id:
        person = await Person.get_or_none(id=ids.uuid_or_none(person_id), family_id=plan.family_id)
        if person is None:
            errors["person_id"] = _("Choose one of the people.")
        else:
            plan.person_id = person.id
    if errors:
        raise FormErrors(errors)
    await plan.save()


async def delete_plan(plan: Plan) -> None:
    if plan.deleted_at is None:
        plan.deleted_at = clock.now()
        await plan.save(update_fields=["deleted_at", "updated_at"])


async def restore_plan(plan: Plan) -> None:
    plan.deleted_at = None
    await plan.save(update_fields=["deleted_at", "updated_at"])


# --- steps -----------------------------------------------------------------------------------


async def step_values(plan: Plan, raw: dict[str, str]) -> dict[str, Any]:
    """Check the step fields given (form names: picture, text, wait_minutes, link, list_id,
    prompt_level) and turn them into the step's columns; FormErrors names each bad one."""
    errors: dict[str, str] = {}
    values: dict[str, Any] = {}
    if "text" in raw:
        text = str(raw["text"]).strip()
        if not text:
            errors["text"] = _("Write one short sentence, like “Take a basket.”")
        elif len(text) > TEXT_MAX:
            errors["text"] = _("The sentence can have at most 120 characters.")
        values["text"] = text
    if "picture" in raw:
        picture = str(raw["picture"])
        values["pictogram"], values["photo_id"] = "", None
        if picture.startswith("photo:"):
            photo = await Photo.get_or_none(
                id=ids.uuid_or_none(picture[6:]), family_id=plan.family_id
            )
            if photo is None:
                errors["picture"] = _("Choose one of the pictures.")
            else:
                values["photo_id"] = photo.id
        elif picture in dict(step_pictures()):
            values["pictogram"] = picture
        else:
            errors["picture"] = _("Choose one of the pictures.")
    if "wait_minutes" in raw:
        wait: int | None = None
        if str(raw["wait_minutes"]).strip():
            try:
                wait = int(raw["wait_minutes"])
            except ValueError:
                wait = -1
            if not 1 <= wait <= MAX_WAIT_MINUTES:
                errors["wait_minutes"] = _(
                    "Write a number of minutes from 1 to 120, or leave it empty."
                )
        values["wait_minutes"] = wait
    if "link" in raw:
        link = str(raw["link"])
        if link not in LINKS:
            errors["link"] = _("Choose one of the choices.")
        values["link"] = link
        values["shopping_list_id"] = None
        if link == "list":
            shopping_list = await ShoppingList.get_or_none(
                id=ids.uuid_or_none(str(raw.get("list_id", ""))),
                family_id=plan.family_id,
                deleted_at=None,
            )
            if shopping_list is None:
                errors["list_id"] = _("Choose the list this step opens.")
            else:
                values["shopping_list_id"] = shopping_list.id
    if "prompt_level" in raw:
        try:
            values["prompt_level"] = PromptLevel(raw["prompt_level"])
        except ValueError:
            errors["prompt_level"] = _("Choose one of the choices.")
    if errors:
        raise FormErrors(errors)
    return values


async def save_step(
    plan: Plan,
    *,
    step_id: uuid.UUID,
    raw: dict[str, str],
    changed: set[str] | None = None,
    client_time: datetime | None = None,
    writer: str = "",
) -> PlanStep:
    """Add a step (a new id) or change one (its id): the same form, the same checks. When
    changing, only the `changed` form fields are written, field by field, last writer wins
    (pwa/conflicts.py); a step taken out meanwhile stays out (delete beats edit) and the change
    is kept in its history: the caller sees step.deleted_at."""
    values = await step_values(plan, raw)
    step = await PlanStep.get_or_none(id=step_id)
    if step is not None:
        if step.plan_id != plan.id:
            raise FormErrors({"id": _("This form is old. Reload the page and try again.")})
        if changed is not None:
            columns = set().union(*(FORM_COLUMNS[name] for name in changed if name in FORM_COLUMNS))
            values = {k: v for k, v in values.items() if k in columns}
        await history.write_fields(
            step, values, client_time=client_time or clock.now(), writer=writer
        )
        return step
    last = await PlanStep.filter(plan=plan).order_by("-position").first()
    return await PlanStep.create(
        id=step_id,
        family_id=plan.family_id,
        plan=plan,
        position=generate_key_between(last.position if last else None, None),
        **values,
    )


# Which step columns each form field writes.
FORM_COLUMNS = {
    "picture": {"pictogram", "photo_id"},
    "text": {"text"},
    "wait_minutes": {"wait_minutes"},
    "link": {"link", "shopping_list_id"},
    "list_id": {"link", "shopping_list_id"},
    "prompt_level": {"prompt_level"},
}
STEP_FORM_FIELDS = tuple(FORM_COLUMNS)


async def move_step(step: PlanStep, direction: str) -> None:
    steps = sorted_steps(await PlanStep.filter(plan_id=step.plan_id, deleted_at=None))
    index = next(i for i, s in enumerate(steps) if s.id == step.id)
    if direction == "up" and index > 0:
        before = steps[index - 2].position if index > 1 else None
        step.position = generate_key_between(before, steps[index - 1].position)
    elif direction == "down" and index < len(steps) - 1:
        after = steps[index + 2].position if index + 2 < len(steps) else None
        step.position = generate_key_between(steps[index + 1].position, after)
    else:
        return
    await step.save(update_fields=["position", "updated_at"])


async def remove_step(step: PlanStep) -> None:
    if step.deleted_at is None:
        step.deleted_at = clock.now()
        await step.save(update_fields=["deleted_at", "updated_at"])


async def restore_step(step: PlanStep) -> None:
    step.deleted_at = None
    await step.save(update_fields=["deleted_at", "updated_at"])


def sorted_steps(steps: list[PlanStep]) -> list[PlanStep]:
    return sorted(steps, key=lambda s: (s.position, str(s.id)))


# --- first–then boards -----------------------------------------------------------------------


async def save_board(
    family: Family,
    *,
    board_id: uuid.UUID,
    first_code: str,
    first_text: str,
    then_code: str,
    then_text: str,
) -> FirstThenBoard:
    errors: dict[str, str] = {}
    codes = dict(step_pictures())
    for field, code in (("first_code", first_code), ("then_code", then_code)):
        if code not in codes:
            errors[field] = _("Choose one of the pictures.")
    # Empty words: the picture's name, shown in the reader's language (board_words).
    texts: dict[str, Any] = {"first_text": first_text.strip(), "then_text": then_text.strip()}
    for field, text in texts.items():
        if len(text) > NAME_MAX:
            errors[field] = _("The words can have at most 60 characters.")
    if errors:
        raise FormErrors(errors)
    board = await FirstThenBoard.get_or_none(id=board_id)
    if board is not None:
        if board.family_id != family.id:
            raise FormErrors({"id": _("This form is old. Reload the page and try again.")})
        board.update_from_dict({"first_code": first_code, "then_code": then_code, **texts})
        await board.save()
        return board
    return await FirstThenBoard.create(
        id=board_id, family=family, first_code=first_code, then_code=then_code, **texts
    )


def board_words(board: FirstThenBoard) -> tuple[str, str]:
    """The words under a board's two pictures, in the reader's language when none were given."""
    names = dict(step_pictures())
    return (
        board.first_text or names.get(board.first_code, ""),
        board.then_text or names.get(board.then_code, ""),
    )


async def delete_board(board: FirstThenBoard) -> None:
    if board.deleted_at is None:
        board.deleted_at = clock.now()
        await board.save(update_fields=["deleted_at"])


async def restore_board(board: FirstThenBoard) -> None:
    board.deleted_at = None
    await board.save(update_fields=["deleted_at"])


# --- reading ---------------------------------------------------------------------------------


@dataclass
class StepView:
    """A step as the editor, the story view and trip mode show it."""

    id: str
    number: int
    text: str
    picture_url: str
    picture_label: str
    wait_minutes: int | None
    link: str
    link_url: str
    list_id: str
    prompt_level: str
    # A guardian's recording, played by "Read aloud" instead of the phone's voice (issue 18).
    clip_url: str = ""

    def as_data(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "number": self.number,
            "text": self.text,
            "picture": self.picture_url,
            "wait": self.wait_minutes,
            "link": self.link,
            "link_url": self.link_url,
            "list_id": self.list_id,
            "level": self.prompt_level,
            "clip": self.clip_url,
        }


async def step_views(plan: Plan) -> list[StepView]:
    steps = sorted_steps(
        await PlanStep.filter(plan=plan, deleted_at=None).prefetch_related("photo")
    )
    labels = dict(step_pictures())
    views = []
    for number, step in enumerate(steps, start=1):
        if step.photo is not None:
            url, label = urls.url("serve_photo", photo_id=step.photo.id), step.photo.label
        else:
            url, label = pictogram_url(step.pictogram), labels.get(step.pictogram, "")
        link_url = ""
        if step.link == "list" and step.shopping_list_id:
            link_url = urls.url("shop_view", list_id=step.shopping_list_id)
        views.append(
            StepView(
                id=str(step.id),
                number=number,
                text=step.text,
                picture_url=url,
                picture_label=label,
                wait_minutes=step.wait_minutes,
                link=step.link,
                link_url=link_url,
                list_id=str(step.shopping_list_id or ""),
                prompt_level=step.prompt_level.value,
                clip_url=urls.url("serve_clip", clip_id=step.clip_id) if step.clip_id else "",
            )
        )
    return views


def prompt_level_options() -> list[tuple[str, str]]:
    return [
        ("full", _("Full help: picture, sentence and read-aloud")),
        ("less", _("Less help: picture and sentence")),
        ("least", _("Least help: picture only")),
    ]


def link_options() -> list[tuple[str, str]]:
    return [
        ("", _("Nothing to open")),
        ("list", _("Open a shopping list")),
        ("pay", _("Open the voucher to pay")),
    ]
