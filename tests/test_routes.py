"""Generated from the app's route table: every route declares, per method, the action it does
(pwa/auth/routing.py), and these tests read those declarations, with no copy of their own.
Every route that names a family's object answers 404 to another family, for every method, and
changes nothing; a visitor who is not logged in never gets a family's page; each role gets on
each route what the one rule (pwa/auth/rules.py) says for the declared action."""

from __future__ import annotations

import re
import uuid
from contextlib import AsyncExitStack
from pathlib import Path
from typing import Any

import pytest
from starlette.routing import Match, Mount

from pwa import conflicts as history
from pwa.accounts import services as accounts
from pwa.auth import rules
from pwa.auth.routing import Route as DeclaredRoute
from pwa.auth.rules import Action, Role
from pwa.core import clock, urls
from pwa.lists import services as lists
from pwa.models import FieldHistory, Invitation, ListItem, Person, PlanStep
from pwa.plans import services as plans
from pwa.trips import services as trips
from tests.conftest import Client
from tests.databases import table_counts
from tests.factories import (
    jpeg_bytes,
    link_phone,
    make_account,
    make_caregiver,
    make_centre_and_shop,
    make_family,
    make_list,
    make_plan,
    make_voucher,
)

# Routes of no family, by the action they declare: anyone, the caller's own account, anyone
# logged in, sync (each mutation and pull decides for itself, tested in test_sync), and the
# screens of centre and shop staff.
NOT_FAMILY = {
    *rules.NOT_FAMILY,
    Action.CENTRE_SCREENS,
    Action.CENTRE_INVITE,
    Action.MERCHANT_SCREENS,
    # Issue 17: a merchant's (a chain's) admin, and programme staff.
    Action.MERCHANT_ADMIN,
    Action.PROGRAMME_SCREENS,
}
PUBLIC = {
    "/login",
    "/signup",
    "/link",
    "/sw.js",
    "/manifest.webmanifest",
    "/help",
    "/about",
    "/healthz",
}
FIXTURES = Path(__file__).parent / "fixtures"
# Path parameters that name something else than a family's object: an action each route knows.
ACTIONS = {
    "/lists/{list_id}/{action:str}": "duplicate",
    "/boards/{board_id}/{action:str}": "delete",
    "/lists/{list_id}/items/{item_id}/{action:str}": "remove",
    "/plans/{plan_id}/steps/{step_id}/{action:str}": "remove",
}


async def family_with_everything(client: Client) -> dict[str, Any]:
    """A family with one of every kind of object, and the values for each path parameter."""
    family = await make_family()
    shopping_list = await make_list(family, pictures={"1F34E": 1})
    item = await ListItem.get(list=shopping_list)
    plan = await make_plan(family)
    step = await PlanStep.filter(plan=plan).first()
    board = await plans.save_board(
        family.family,
        board_id=uuid.uuid4(),
        first_code="1F6D2",
        first_text="",
        then_code="1F3E0",
        then_text="",
    )
    centre, _shop, _staff = await make_centre_and_shop()
    voucher = await make_voucher(family, centre)
    trip = await trips.start_trip(
        family.person,
        plan,
        trip_id=uuid.uuid4(),
        steps=[s.as_data() for s in await plans.step_views(plan)],
    )
    _caregiver, caregiver_email = await make_caregiver(family)
    invitation = await Invitation.get(family=family.family)
    # Someone waits to become a parent through the centre (issue 16): what "Stop it" stops.
    _token, recovery_code = await accounts.create_guardian_invitation(family.family, centre, _staff)
    recovery = await accounts.find_guardian_invitation(recovery_code)
    assert recovery is not None
    recovering, _email = await make_account("Zhao Lei")
    await accounts.accept_guardian_invitation(recovery, recovering, occasion="joined")
    phone_code = await link_phone(family)
    device = await family.person.device_links.all().first()
    await lists.update_item(item, {"note": "one"}, writer="a")
    await lists.update_item(item, {"note": "two"}, writer="b")
    entry = await FieldHistory.filter(row_id=item.id).first()
    await history.write_fields(step, {"text": "Go."}, client_time=clock.now(), writer="b")
    step_entry = await FieldHistory.filter(row_id=step.id).first()
    await client.log_in(family.email, family.password)
    photo_page = await client.get(f"/lists/{shopping_list.id}/photos/new")
    token = re.search(r'name="csrf_token" value="([^"]+)"', photo_page.text).group(1)
    photo_id = re.search(r'name="photo_id" value="([^"]+)"', photo_page.text)
    photo_uuid = photo_id.group(1) if photo_id else str(uuid.uuid4())
    await client.post(
        f"/lists/{shopping_list.id}/photos/new",
        data={"csrf_token": token, "photo_id": photo_uuid, "label": "Cup", "area": "household"},
        files={"photo": ("cup.jpg", jpeg_bytes(), "image/jpeg")},
    )
    from pwa.models import Photo

    photo = await Photo.filter(family=family.family).first()
    assert photo is not None, "the photo form changed: this test makes a photo through it"
    # A guardian's voice clip on the step (issue 18), made through its form too.
    await client.post(
        f"/plans/{plan.id}/steps/{step.id}/voice",
        data={"csrf_token": token},
        files={"clip": ("voice.webm", (FIXTURES / "voice-2s.webm").read_bytes(), "audio/webm")},
    )
    await step.refresh_from_db()
    assert step.clip_id is not None, "the voice form changed: this test makes a clip through it"
    staff_emails = sorted(await centre.members.all().values_list("account__email", flat=True))
    return {
        "family": family,
        "caregiver_email": caregiver_email,
        "phone_code": phone_code,
        "centre_email": staff_emails[0],
        "shop_email": _staff.email,
        "params": {
            "family_id": family.family.id,
            "person_id": family.person.id,
            "list_id": shopping_list.id,
            "item_id": item.id,
            "plan_id": plan.id,
            "step_id": step.id,
            "board_id": board.id,
            "photo_id": photo.id,
            "clip_id": step.clip_id,
            "voucher_id": voucher.id,
            "trip_id": trip.id,
            "invitation_id": invitation.id,
            "recovery_id": recovery.id,
            "device_id": device.id,
            # An entry of the list's history, or of the plan's: whichever the route is about.
            "entry_id": (entry.id, step_entry.id),
        },
    }


def url_for(path: str, params: dict[str, Any]) -> str:
    def value(match: re.Match) -> str:
        name = match.group(1)
        if name.startswith("action"):
            return ACTIONS[path]
        if name == "entry_id":
            return str(params["entry_id"][0 if path.startswith("/lists") else 1])
        return str(params[name.split(":")[0]])

    return re.sub(r"\{([^}]+)\}", value, path)


def declared_routes(app) -> list[DeclaredRoute]:
    """Every route of the app but the static files, each with the actions it declares."""
    return [r for r in app.routes if not isinstance(r, Mount)]


def family_routes(app) -> list[DeclaredRoute]:
    """The routes whose every action is about a family's object (the table's actions)."""
    return [r for r in declared_routes(app) if not set(r.actions.values()) & NOT_FAMILY]


def test_every_route_declares_the_action_of_each_of_its_methods(app) -> None:
    for route in declared_routes(app):
        assert isinstance(route, DeclaredRoute), f"{route.path}: use pwa.auth.routing.Route"
        methods = {m for m in route.methods or {"GET"} if m != "HEAD"}
        assert methods and set(route.actions) == methods, (
            f"{route.path}: declare the action of {methods - set(route.actions)}"
        )
        for action in route.actions.values():
            assert isinstance(action, Action), (route.path, action)


def test_a_route_without_its_action_is_caught(app) -> None:
    """The check above fails for a route whose declaration was left out (a new route, or
    one removed by mistake), and its handler refuses to guess."""
    route = next(r for r in declared_routes(app) if r.path == "/lists/{list_id}")
    saved = route.actions
    route.actions = {}
    try:
        with pytest.raises(AssertionError, match="declare the action"):
            test_every_route_declares_the_action_of_each_of_its_methods(app)
    finally:
        route.actions = saved


async def test_another_family_gets_404_on_every_route_of_a_family(
    app, client: Client, other_client: Client
) -> None:
    mine = await family_with_everything(client)
    # The family routes that name an object: the /me screens name none (the caller's own).
    routes = [r for r in family_routes(app) if "{" in r.path]
    names = {n for r in routes for n in re.findall(r"\{([^}:]+)", r.path)}
    unknown = names - set(mine["params"]) - {"action"}
    assert not unknown, f"path parameters this test cannot fill: {unknown}"

    stranger = await make_family()
    await other_client.log_in(stranger.email, stranger.password)
    token = await other_client.csrf()
    before = await table_counts()
    for route in routes:
        url = url_for(route.path, mine["params"])
        for method in sorted(route.methods or {"GET"}):
            if method == "HEAD":
                continue
            if method == "GET":
                response = await other_client.get(url)
            else:
                response = await other_client.request(
                    method,
                    url,
                    data={"csrf_token": token, "text": "x", "note": "x", "name": "x"},
                    headers={"X-CSRF-Token": token},
                )
            assert response.status_code == 404, (method, url, response.status_code)
    assert await table_counts() == before


async def test_a_visitor_who_is_not_logged_in_sees_no_family_page(
    app, client: Client, other_client: Client
) -> None:
    mine = await family_with_everything(client)
    for route in family_routes(app):
        if "GET" not in (route.methods or set()):
            continue
        response = await other_client.get(url_for(route.path, mine["params"]))
        assert response.status_code in (303, 401, 404), (route.path, response.status_code)
        if response.status_code == 303:
            assert response.headers["location"].startswith("/login")
    for path in PUBLIC:
        assert (await other_client.get(path)).status_code == 200, path


# --- every route × every role, as the authorization table says (issue 8) ---------------------

# The roles a caller can have in a family, and the callers with no role in it.
FAMILY_ROLES = {
    "guardian": frozenset({Role.GUARDIAN}),
    "caregiver": frozenset({Role.CAREGIVER}),
    "phone": frozenset({Role.PERSON}),
}
OUTSIDERS = ("centre", "shop")


async def caller(stack: AsyncExitStack, app, mine: dict[str, Any], name: str) -> Client:
    """A client of the family `mine` logged in as one kind of caller, closed with the stack."""
    http = await stack.enter_async_context(Client(app))
    password = mine["family"].password
    if name == "phone":
        await http.link_phone(mine["phone_code"])
    else:
        email = {
            "guardian": mine["family"].email,
            "caregiver": mine["caregiver_email"],
            "centre": mine["centre_email"],
            "shop": mine["shop_email"],
        }[name]
        await http.log_in(email, password)
    return http


def outcome(response) -> str:
    """What the caller got: "allowed", or "refused" (403 or 404), or what went wrong."""
    status = response.status_code
    if status in (403, 404):
        return "refused"
    if status == 303 and response.headers["location"].startswith("/login"):
        return "sent to log in"
    if status >= 500:
        return f"error {status}"
    return "allowed"


async def send(http: Client, method: str, url: str) -> Any:
    if method == "GET":
        return await http.get(url)
    token = await http.csrf()
    return await http.request(
        method,
        url,
        data={"csrf_token": token, "text": "x", "note": "x", "name": "x"},
        headers={"X-CSRF-Token": token},
    )


def expected(name: str, path: str, action: Action, person: Person) -> str:
    """What the one rule says, asked as the app asks it: the caller's roles in the family
    (on a /me screen, toward their own person: only a phone has one here) and the action."""
    roles = FAMILY_ROLES.get(name, frozenset())
    if "{" not in path and name != "phone":
        roles = frozenset()
    return "allowed" if rules.allowed(roles, action, person) else "refused"


async def test_every_route_gives_each_role_what_the_authorization_table_says(app) -> None:
    routes = family_routes(app)

    async def fresh() -> dict[str, Any]:
        async with Client(app) as parent:
            family = await family_with_everything(parent)
        # The person may plan and change lists on the phone: what LIST_EDIT gives PERSON.
        person = family["family"].person
        await person.refresh_from_db()
        person.settings = {**person.settings, "can_plan": True}
        await person.save(update_fields=["settings"])
        family["person"] = person
        return family

    stack = AsyncExitStack()
    mine, other = await fresh(), await fresh()
    names = (*FAMILY_ROLES, *OUTSIDERS)
    clients = {name: await caller(stack, app, mine, name) for name in names}
    other_clients = {name: await caller(stack, app, other, name) for name in FAMILY_ROLES}
    wrong = []
    checked = 0
    for route in routes:
        path = route.path
        for method, action in route.actions.items():
            for name in names:
                want = expected(name, path, action, mine["person"])
                http, family = clients[name], mine
                if want == "allowed" and method != "GET":
                    # A change (a removal, a revoked phone) must not spoil the next checks.
                    family = await fresh()
                    http = await caller(stack, app, family, name)
                got = outcome(await send(http, method, url_for(path, family["params"])))
                checked += 1
                if got != want:
                    wrong.append(f"{name} {method} {path} ({action}): {got}, the rule says {want}")
                # Another family's caller never gets in, whatever their role there.
                if name in FAMILY_ROLES and "{" in path:
                    response = await send(
                        other_clients[name], method, url_for(path, mine["params"])
                    )
                    if response.status_code != 404:
                        wrong.append(f"other {name} {method} {path}: {response.status_code}")
    await stack.aclose()
    assert checked > 300
    assert not wrong, "\n".join(wrong)


async def test_centre_and_shop_screens_are_their_staffs_only(app, client: Client) -> None:
    mine = await family_with_everything(client)
    stack = AsyncExitStack()
    clients = {name: await caller(stack, app, mine, name) for name in (*FAMILY_ROLES, *OUTSIDERS)}
    staff = {"centre": Action.CENTRE_SCREENS, "shop": Action.MERCHANT_SCREENS}
    wrong = []
    for route in declared_routes(app):
        action = route.actions.get("GET")
        if action not in staff.values() or "{" in route.path:
            continue
        for name, http in clients.items():
            want = "allowed" if staff.get(name) == action else "refused"
            got = outcome(await http.get(route.path))
            if got != want:
                wrong.append(f"{name} GET {route.path}: {got}, the rule says {want}")
    await stack.aclose()
    assert not wrong, "\n".join(wrong)


def test_every_route_is_built_by_its_name(app) -> None:
    """pwa.core.urls builds links from route names: each route's name with its own parameters
    gives a path that the same route takes, so no two routes are mistaken for each other."""
    for route in declared_routes(app):
        params = {name.split(":")[0]: "7" for name in re.findall(r"\{([^}]+)\}", route.path)}
        path = urls.url(route.name, **params)
        scope = {"type": "http", "path": path, "method": sorted(route.methods or {"GET"})[0]}
        matched = next(r for r in declared_routes(app) if r.matches(scope)[0] == Match.FULL)
        assert matched is route, (route.name, route.path, path, matched.path)


def test_a_path_built_again_is_the_same_and_the_paths_kept_stay_bounded(app, monkeypatch) -> None:
    """urls.url keeps the paths it built: asked again, with the same or other ids, it gives
    what starlette builds; the paths kept stay within their bound."""
    monkeypatch.setattr(urls, "BUILT_KEPT", 5)
    for round_ in range(3):
        for n in range(8):
            list_id, item_id = uuid.UUID(int=n), uuid.UUID(int=100 + n)
            built = urls.url("item_action", list_id=list_id, item_id=item_id, action="move")
            assert built == f"/lists/{list_id}/items/{item_id}/move", round_
            assert urls.url("list_page", fragment="add", list_id=list_id) == (
                f"/lists/{list_id}#add"
            )
            assert len(urls._built) <= 5
    # The fragment and each parameter as text are part of what is kept.
    list_id = uuid.UUID(int=1)
    assert urls.url("list_page", list_id=list_id) == f"/lists/{list_id}"
    assert urls.url("list_page", fragment="add", list_id=list_id) == f"/lists/{list_id}#add"
    assert urls.url("item_action", list_id=1, item_id=True, action="move") == (
        "/lists/1/items/True/move"
    )
    assert urls.url("item_action", list_id=1, item_id=1, action="move") == "/lists/1/items/1/move"
    urls.install(app.router)  # a route table installed again starts with nothing kept
    assert not urls._built
