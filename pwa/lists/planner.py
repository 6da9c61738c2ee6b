"""The person's list maker on their phone (issue 18, item 9): make a list, put pictures on it,
change how many, take things off, with or without internet.

Local-first like the shopping view (SYNC.md, "Where offline lives"): the page is one shell for
all of the person's lists (the list is in its address, ?list=<id>), so the phone keeps one copy
for every list, even one made offline. static/js/planner.js fills it from the phone's copy and
writes each change there with its outbox entry in one transaction; the outbox sends them as
list.create, item.add, item.quantity and item.remove, which run the same services under the
same rule as the forms (Action.LIST_EDIT: the guardian's can_plan setting). Opened online for a
list the server has, the page brings that list too, so nothing has to be pulled first.
Without JavaScript the person's forms (POST /me/lists, the picker, the list page) do the same.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from pwa.auth import sessions
from pwa.auth.routing import Route
from pwa.auth.rules import Action, Denied, Hidden
from pwa.core import ids, urls
from pwa.family import access as family_access
from pwa.i18n import _, ngettext
from pwa.lists import access
from pwa.lists import services as lists
from pwa.lists.planning import catalogue_file, kept_pictures, list_seed, picker_data
from pwa.models import Photo, current_change_seq
from pwa.templating import render


async def planner(request: Request) -> Response:
    person, _granted = await family_access.own_person_for(request)
    list_id = ids.uuid_or_none(request.query_params.get("list", ""))
    seed = None
    list_url = ""
    if list_id is not None:
        try:
            shopping_list, _access = await access.shopping_list(
                sessions.principal(request), list_id, Action.LIST_EDIT
            )
        except (Hidden, Denied):
            # Made on this phone and not sent yet, or not the person's: the phone's copy says.
            shopping_list = None
        if shopping_list is not None:
            # Read before the items: a change made meanwhile is pulled again, not missed.
            cursor = await current_change_seq()
            seed = await list_seed(shopping_list, await lists.item_views(shopping_list), cursor)
            list_url = urls.url("list_page", list_id=shopping_list.id)
    photos = await Photo.filter(family_id=person.family_id).order_by("-created_at")
    data: dict[str, Any] = {
        **picker_data(photos),
        "person_id": str(person.id),
        # Named here so the phone keeps them with this page (static/js/sw.js, "keep").
        "keep": sorted(await kept_pictures(person.family_id)),
        "seed": seed,
    }
    return render(
        request,
        "lists/planner.html",
        {
            "title": _("Change my list"),
            "data": data,
            "strings": planner_strings(),
            "list_url": list_url,
            "back_url": urls.url("me"),
            "sync_who": sessions.sync_key(sessions.principal(request)),
            "family_id": person.family_id,
        },
    )


def planner_strings() -> dict[str, str]:
    """The words planner.js puts together, with {placeholders} it fills."""
    return {
        "name": _("My list, %(date)s", date="{date}"),
        "add_to": _("Add things to “%(name)s”", name="{name}"),
        "added": _("%(label)s: %(n)s on the list.", label="{label}", n="{n}"),
        "on_list": _("%(n)s on the list", n="{n}"),
        "removed": _("“%(label)s” is taken off the list.", label="{label}"),
        "back": _("“%(label)s” is back on the list.", label="{label}"),
        "alt": _("%(label)s × %(n)s", label="{label}", n="{n}"),
        "count_one": ngettext("%(num)s thing on the list.", "%(num)s things on the list.", 1)
        % {"num": "{n}"},
        "count_other": ngettext("%(num)s thing on the list.", "%(num)s things on the list.", 2)
        % {"num": "{n}"},
    }


async def catalogue_json(request: Request) -> Response:
    """GET /static/catalogue.json?v=…: the picker's pictures (planning.catalogue_file). Under
    /static/ because it is one: public, fixed for its version, and kept by the phone with the
    page that names it, as the service worker keeps every /static/ file."""
    body, _version = catalogue_file()
    return Response(
        body,
        media_type="application/json",
        headers={"Cache-Control": "public, max-age=31536000, immutable"},
    )


routes = [
    # The same rule as any change to the person's lists: only while the guardian allows it.
    Route("/me/plan", planner, action=Action.LIST_EDIT),
    # Before the /static mount (pwa/app.py lists these routes first).
    Route("/static/catalogue.json", catalogue_json, name="catalogue_file", action=Action.PUBLIC),
]
