"""The real shop in the story (issue 18): a trip plan that names a friendly shop shows the
shop's own photos at the steps where the person meets them — its entrance where they arrive,
its till where they pay.

Which steps (the rule, as families write steps freely):
- the till photo: every step that opens the voucher to pay (link "pay");
- the entrance photo: the first step, before the first pay step, whose picture is the shop,
  a trolley or a basket (the shipped templates' "Walk to the convenience shop." and "Take a
  trolley or a basket.": the moment at the shop's door); a plan with no such step: the first
  step that opens the shopping list (the person is inside then). The door picture is not
  used: in the templates it is the home's door ("Leave home. Close the door.").
"""

from __future__ import annotations

from dataclasses import dataclass

from pwa.core.pictograms import pictogram_url
from pwa.i18n import _
from pwa.models import Plan
from pwa.plans.services import StepView
from pwa.shops import areas, services

# The shop, a shopping trolley, a basket.
ARRIVING = ("1F3EA", "1F6D2", "1F9FA")


@dataclass(frozen=True)
class StepPhoto:
    url: str
    alt: str  # says whose entrance or till it is: the photo is the information
    caption: str


async def at_steps(plan: Plan, steps: list[StepView]) -> dict[str, StepPhoto]:
    """step id → the shop's photo to show at it (none when the plan names no friendly shop,
    or the shop has no such photo)."""
    if plan.shop_id is None:
        return {}
    shop = await (await services.friendly_shops()).get_or_none(id=plan.shop_id)
    if shop is None:
        return {}
    found: dict[str, StepPhoto] = {}
    if shop.till_photo:
        till = StepPhoto(
            areas.photo_url(shop.id, shop.till_photo),
            _("The till of %(shop)s", shop=shop.name),
            _("This is the till."),
        )
        found.update({step.id: till for step in steps if step.link == "pay"})
    entrance_step = _entrance_step(steps)
    if shop.entrance_photo and entrance_step is not None and entrance_step.id not in found:
        found[entrance_step.id] = StepPhoto(
            areas.photo_url(shop.id, shop.entrance_photo),
            _("The entrance of %(shop)s", shop=shop.name),
            _("This is the entrance of the shop."),
        )
    return found


def _entrance_step(steps: list[StepView]) -> StepView | None:
    first_pay = next((i for i, step in enumerate(steps) if step.link == "pay"), len(steps))
    before_pay = steps[:first_pay]
    arriving = {pictogram_url(code) for code in ARRIVING}
    return next((s for s in before_pay if s.picture_url in arriving), None) or next(
        (s for s in before_pay if s.link == "list"), None
    )
