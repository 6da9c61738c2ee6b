"""What the person's phone needs to hold for a trip with no signal (issue 18, item 5, "Ready
for the shop"): the screens, the pictures, photos and voice clips in their data, and the pay
codes when the trip pays.

The same lists feed the service worker's "keep" (static/js/sw.js: it fetches them while
online) and the check on the start screen and at the start of a trip (static/js/ready.js: it
looks for each in the phone's Cache Storage). The page's own scripts and the files a cached
screen names (its icons, its shop's area photos) are found by the phone from the page, as the
service worker finds them, so they are not listed here.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from pwa.core import clock, urls
from pwa.core.pictograms import pictogram_url
from pwa.lists import services as lists
from pwa.models import FirstThenBoard, Person, Plan, ShoppingList, Voucher, VoucherStatus
from pwa.plans import services as plans

# Files a page's data names that the phone keeps (the service worker's FILE_URL, and the
# family's voice clips, wherever their route puts them).
FILE_PREFIXES = ("/openmoji/", "/photos/", "/static/")
# The modules the person's screens import by their plain names: a screen's kept copy names only
# its own versioned script, so these are listed (static/js/trip.js, shopping.js, pay.js).
IMPORTED_MODULES = tuple(f"/static/js/{name}.js" for name in ("phone", "outbox", "lost"))


@dataclass
class Needs:
    """URLs in the order they were found, each once."""

    pages: list[str] = field(default_factory=list)
    files: list[str] = field(default_factory=list)
    clips: list[str] = field(default_factory=list)
    # The vouchers whose pay codes the phone keeps (localStorage "startrip.pay.<id>", pay.js).
    vouchers: list[str] = field(default_factory=list)

    def add(self, other: Needs) -> None:
        for mine, theirs in (
            (self.pages, other.pages),
            (self.files, other.files),
            (self.clips, other.clips),
            (self.vouchers, other.vouchers),
        ):
            mine.extend(url for url in theirs if url not in mine)

    def as_data(self) -> dict[str, list[str]]:
        return {
            "pages": self.pages,
            "files": self.files,
            "clips": self.clips,
            "vouchers": self.vouchers,
        }


def _is_clip(key: str, value: str) -> bool:
    return value.startswith("/") and ("clip" in key.lower() or "/clips/" in value)


def files_in(data: Any, needs: Needs, key: str = "") -> None:
    """Every picture, photo and voice clip a screen's data names (a step's, an item's, its
    plan B's …), however deep: a part added to the data later is kept and checked too."""
    if isinstance(data, dict):
        for name, value in data.items():
            files_in(value, needs, str(name))
    elif isinstance(data, list | tuple):
        for value in data:
            files_in(value, needs, key)
    elif isinstance(data, str):
        if _is_clip(key, data):
            if data not in needs.clips:
                needs.clips.append(data)
        elif data.startswith(FILE_PREFIXES) and data not in needs.files:
            needs.files.append(data)


def plan_needs(plan: Plan, steps: Iterable[plans.StepView]) -> Needs:
    """The trip screen and what its steps show."""
    needs = Needs(pages=[urls.url("trip_mode", plan_id=plan.id)])
    files_in([step.as_data() for step in steps], needs)
    return needs


def list_needs(shopping_list: ShoppingList, views: Iterable[lists.ItemView]) -> Needs:
    """The shopping view of a list and what its items show."""
    needs = Needs(pages=[urls.url("shop_view", list_id=shopping_list.id)])
    files_in([view.as_data() for view in views], needs)
    return needs


async def usable_vouchers(person: Person) -> list[Voucher]:
    """The vouchers the pay screen offers now (pwa/vouchers/routes.pay_page): a pay code is
    kept for each."""
    now = clock.now()
    return (
        await Voucher.filter(
            family_id=person.family_id,
            status=VoucherStatus.ACTIVE,
            balance__gt=0,
            valid_from__lte=now,
            valid_until__gt=now,
        )
        .order_by("valid_until")
        .all()
    )


async def pay_needs(person: Person) -> Needs:
    """The pay screen (one per voucher when there are several to choose from) and a pay code
    for each voucher; nothing when there is no voucher to pay with now."""
    usable = await usable_vouchers(person)
    if not usable:
        return Needs()
    pages = [urls.url("pay_page")]
    if len(usable) > 1:
        pages += [urls.url("pay_page", voucher_id=v.id) for v in usable]
    return Needs(pages=pages, vouchers=[str(v.id) for v in usable])


def help_needs() -> Needs:
    return Needs(pages=[urls.url("help_card")])


async def trip_needs(
    person: Person, plan: Plan, steps: list[plans.StepView], *, may_pay: bool
) -> Needs:
    """What one trip needs: its screen, the shopping view of each list a step opens, the help
    card, and, when a step opens the voucher and the person may pay, the pay screen and codes."""
    needs = plan_needs(plan, steps)
    list_ids = [step.list_id for step in steps if step.link == "list" and step.list_id]
    for shopping_list in await ShoppingList.filter(
        id__in=list_ids, family_id=person.family_id, deleted_at=None
    ):
        needs.add(list_needs(shopping_list, await lists.item_views(shopping_list)))
    needs.add(help_needs())
    if may_pay and any(step.link == "pay" for step in steps):
        needs.add(await pay_needs(person))
    return needs


def boards_needs(boards: Iterable[FirstThenBoard]) -> Needs:
    """The first–then boards on the start screen, with their two pictures each."""
    needs = Needs()
    for board in boards:
        needs.pages.append(urls.url("board_page", board_id=board.id))
        files_in([pictogram_url(board.first_code), pictogram_url(board.then_code)], needs)
    return needs
