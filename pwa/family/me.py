"""The person's own start screen, on their linked phone (or for an adult who plans alone)."""

from __future__ import annotations

import uuid

from starlette.requests import Request
from starlette.responses import Response
from tortoise.expressions import Q

from pwa.auth.routing import Route
from pwa.auth.rules import Action
from pwa.core import urls
from pwa.core.pictograms import pictogram_url
from pwa.family import access
from pwa.family.services import guardian_phone
from pwa.lists import services as lists
from pwa.lists.services import person_lists
from pwa.models import FirstThenBoard, Plan, Voucher, VoucherStatus
from pwa.plans import services as plans
from pwa.plans.services import board_words
from pwa.templating import render, static_url
from pwa.trips import queries as ready


async def me(request: Request) -> Response:
    person, granted = await access.own_person_for(request)
    phone = await guardian_phone(person.family_id, person.account_id)
    my_lists = await person_lists(person)
    my_plans = (
        await Plan.filter(family_id=person.family_id, deleted_at=None)
        .filter(Q(person_id=person.id) | Q(person_id=None))
        .order_by("-created_at")
    )
    # Each tile shows its own first picture, so lists and trips look different even with
    # pictures only (a cart for an empty list, a calendar for an empty plan).
    covers = {}
    # What the phone needs for a shop with no signal (pwa/trips/queries.py): every screen these
    # tiles open, with the pictures, photos and clips in their data.
    needs = ready.Needs()
    for each in my_lists:
        views = await lists.item_views(each)
        covers[each.id] = views[0].picture_url if views else pictogram_url("1F6D2")
        needs.add(ready.list_needs(each, views))
    for plan in my_plans:
        steps = await plans.step_views(plan)
        covers[plan.id] = steps[0].picture_url if steps else pictogram_url("1F5D3")
        needs.add(ready.plan_needs(plan, steps))
    can_pay = (
        granted.may(Action.PAY)
        and await Voucher.filter(
            family_id=person.family_id, status=VoucherStatus.ACTIVE, balance__gt=0
        ).exists()
    )
    boards = await FirstThenBoard.filter(family_id=person.family_id, deleted_at=None).order_by(
        "-created_at"
    )
    needs.add(ready.boards_needs(boards))
    needs.add(ready.help_needs())
    if can_pay:
        needs.add(await ready.pay_needs(person))
    ready.files_in(list(covers.values()), needs)
    # What the phone keeps (static/js/sw.js, "keep"), fetched while online: those, and the
    # scripts the screens use. "Ready for the shop" (static/js/ready.js) checks the same.
    keep = {
        "pages": needs.pages,
        "files": sorted(
            set(needs.files)
            | set(needs.clips)
            | {static_url(f"js/{name}.js") for name in ("trip", "shopping", "pay", "ready")}
            | set(ready.IMPORTED_MODULES)
        ),
    }
    if granted.may(Action.LIST_EDIT):
        # The list maker opens with no signal too (issue 18, item 9): its page names its
        # scripts and the pictures to keep (pwa/lists/planning.py).
        keep["pages"] = [*keep["pages"], urls.url("planner")]
    return render(
        request,
        "person/me.html",
        {
            "title": person.display_name,
            "person": person,
            "parent_phone": phone,
            "lists": my_lists,
            "plans": my_plans,
            "covers": covers,
            "boards": boards,
            "keep": keep,
            "needs": {
                **needs.as_data(),
                "files": [f for f in keep["files"] if f not in needs.clips],
            },
            "can_plan": granted.may(Action.LIST_EDIT),
            "new_list_id": str(uuid.uuid4()),
            "board_words": board_words,
            "can_pay": can_pay,
        },
    )


routes = [Route("/me", me, action=Action.PERSON_SCREENS)]
