"""Generated from the app's route table (issue 8, first part): every route that names a family's
object answers 404 to a parent of another family, for every method, and changes nothing; a
visitor who is not logged in never gets a family's page. A route this file does not know fails
the test, so a new route has to say here what it shows."""

from __future__ import annotations

import re
import uuid
from contextlib import AsyncExitStack
from typing import Any

from starlette.routing import Mount, Route

from pwa import conflicts as history
from pwa.auth.rules import Action, Role, allowed
from pwa.lists import services as lists
from pwa.models import FieldHistory, Invitation, ListItem, PlanStep
from pwa.plans import services as plans
from pwa.trips import services as trips
from tests.conftest import Client
from tests.databases import table_counts
from tests.factories import (
    jpeg_bytes,
    link_phone,
    make_caregiver,
    make_centre_and_shop,
    make_family,
    make_list,
    make_plan,
    make_voucher,
)

# Routes that show no family's object, each with why.
OPEN_ROUTES = {
    "/": "sends each visitor to their start page",
    "/home": "the caller's own home",
    "/login": "public",
    "/logout": "the caller's own session",
    "/signup": "public",
    "/account": "the caller's own account",
    "/lang": "the caller's own language",
    "/invite/{token}": "a secret token is the key",
    "/link": "public: type a code",
    "/link/{code}": "a one-time code is the key",
    "/me": "the phone's own person",
    "/me/lists": "the phone's own person",
    "/me/help": "the phone's own person",
    "/me/pay": "the phone's own person",
    "/me/pay/{voucher_id}": "the phone's own person: tested in test_voucher_pages",
    "/shop/redeem": "shop staff only",
    "/api/redeem": "shop staff only; fuzzed in test_fuzz",
    "/shop/payments": "shop staff only, their own shop",
    "/shop/payments/{redemption_id:int}/reverse": "shop staff only, their own shop",
    "/shop/{shop_id:int}/edit": "shop staff only, their own shop",
    "/shop/guide": "the guide for shop staff (logged in)",
    "/shops": "the directory of friendly shops (logged in)",
    "/shops/{shop_id:int}": "the directory of friendly shops (logged in)",
    "/shops/{shop_id:int}/photo/{kind}": "the directory of friendly shops (logged in)",
    "/centre/families": "centre staff only",
    "/centre/vouchers/new": "centre staff only",
    "/centre/import": "centre staff only",
    "/centre/reports": "centre staff only",
    "/centre/reports.csv": "centre staff only",
    "/centre": "centre staff only",
    "/shop": "shop staff only",
    "/api/sync/push": "bound to its client; tested in test_sync",
    "/api/sync/pull": "bound to its client; tested in test_sync",
    "/sw.js": "public",
    "/manifest.webmanifest": "public",
    "/offline/{lang}": "public",
    "/help": "public",
    "/about": "public",
    "/healthz": "public",
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
    invitation = await Invitation.filter(family=family.family).first()
    phone_code = await link_phone(family)
    device = await family.person.device_links.all().first()
    await lists.update_item(item, {"note": "one"}, writer="a")
    await lists.update_item(item, {"note": "two"}, writer="b")
    entry = await FieldHistory.filter(row_id=item.id).first()
    await history.write_fields(step, {"text": "Go."}, client_time=trips.auth.now(), writer="b")
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
            "voucher_id": voucher.id,
            "trip_id": trip.id,
            "invitation_id": invitation.id,
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


def family_routes(app) -> list[Route]:
    found = []
    for route in app.routes:
        if isinstance(route, Mount):
            continue  # /static and /openmoji: files, no family data
        if route.path in OPEN_ROUTES:
            continue
        found.append(route)
    return found


async def test_another_family_gets_404_on_every_route_of_a_family(
    app, client: Client, other_client: Client
) -> None:
    mine = await family_with_everything(client)
    routes = family_routes(app)
    names = {n for r in routes for n in re.findall(r"\{([^}:]+)", r.path)}
    unknown = names - set(mine["params"]) - {"action"}
    assert not unknown, f"path parameters this test cannot fill: {unknown}"
    # Every route is either open (with its reason) or names a family's object.
    for route in routes:
        assert re.search(r"\{", route.path), f"{route.path}: say in OPEN_ROUTES what it shows"

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

A = Action
# What each family route needs, named as in the authorization table (pwa/auth.py). "GET" stands
# for GET and HEAD. The test checks each role against allowed(role, action).
ROUTE_ACTIONS: dict[str, dict[str, Action]] = {
    "/families/{family_id}/people/new": {"GET": A.FAMILY_MANAGE, "POST": A.FAMILY_MANAGE},
    "/people/{person_id}": {"GET": A.PERSON_VIEW},
    "/people/{person_id}/settings": {
        "GET": A.PERSON_SETTINGS_VIEW,
        "POST": A.PERSON_SETTINGS_EDIT,
    },
    "/families/{family_id}/caregivers": {"GET": A.CAREGIVER_INVITE, "POST": A.CAREGIVER_INVITE},
    "/families/{family_id}/caregivers/{invitation_id}/revoke": {"POST": A.CAREGIVER_INVITE},
    "/people/{person_id}/phone": {"GET": A.DEVICE_LINK, "POST": A.DEVICE_LINK},
    "/people/{person_id}/phone/{device_id}/revoke": {"POST": A.DEVICE_LINK},
    "/lists/{list_id}/shop": {"GET": A.LIST_VIEW},
    "/lists/{list_id}/items/{item_id}/mark": {"POST": A.LIST_SHOP},
    "/families/{family_id}/lists": {"GET": A.LIST_VIEW},
    "/families/{family_id}/lists/new": {"GET": A.LIST_EDIT, "POST": A.LIST_EDIT},
    "/lists/{list_id}": {"GET": A.LIST_VIEW},
    "/lists/{list_id}/edit": {"GET": A.LIST_EDIT, "POST": A.LIST_EDIT},
    "/lists/{list_id}/add": {"GET": A.LIST_EDIT},
    "/lists/{list_id}/items": {"POST": A.LIST_EDIT},
    "/lists/{list_id}/items/{item_id}": {"GET": A.LIST_EDIT, "POST": A.LIST_EDIT},
    "/lists/{list_id}/items/{item_id}/{action:str}": {"POST": A.LIST_EDIT},
    "/lists/{list_id}/delete": {"GET": A.LIST_EDIT, "POST": A.LIST_EDIT},
    "/lists/{list_id}/restore": {"POST": A.LIST_EDIT},
    "/lists/{list_id}/{action:str}": {"POST": A.LIST_EDIT},
    "/photos/{photo_id}": {"GET": A.PHOTO_VIEW},
    "/lists/{list_id}/photos/new": {"GET": A.PHOTO_ADD, "POST": A.PHOTO_ADD},
    "/families/{family_id}/plans": {"GET": A.PLAN_VIEW},
    "/families/{family_id}/plans/new": {"GET": A.PLAN_EDIT, "POST": A.PLAN_EDIT},
    "/families/{family_id}/boards/new": {"GET": A.PLAN_EDIT, "POST": A.PLAN_EDIT},
    "/boards/{board_id}": {"GET": A.PLAN_VIEW},
    "/boards/{board_id}/edit": {"GET": A.PLAN_EDIT, "POST": A.PLAN_EDIT},
    "/boards/{board_id}/{action:str}": {"POST": A.PLAN_EDIT},
    "/plans/{plan_id}": {"GET": A.PLAN_VIEW},
    "/plans/{plan_id}/rename": {"POST": A.PLAN_EDIT},
    "/plans/{plan_id}/delete": {"GET": A.PLAN_EDIT, "POST": A.PLAN_EDIT},
    "/plans/{plan_id}/restore": {"POST": A.PLAN_EDIT},
    "/plans/{plan_id}/story": {"GET": A.PLAN_VIEW},
    "/plans/{plan_id}/steps/new": {"GET": A.PLAN_EDIT, "POST": A.PLAN_EDIT},
    "/plans/{plan_id}/steps/{step_id}": {"GET": A.PLAN_EDIT, "POST": A.PLAN_EDIT},
    "/plans/{plan_id}/steps/{step_id}/{action:str}": {"POST": A.PLAN_EDIT},
    "/people/{person_id}/help-card": {
        "GET": A.PERSON_SETTINGS_EDIT,
        "POST": A.PERSON_SETTINGS_EDIT,
    },
    "/plans/{plan_id}/go": {"GET": A.TRIP_RUN},
    "/families/{family_id}/wallet": {"GET": A.WALLET_VIEW},
    "/api/vouchers/{voucher_id}/codes": {"POST": A.PERSON_SCREENS},
    "/lists/{list_id}/history": {"GET": A.LIST_EDIT},
    "/lists/{list_id}/history/{entry_id}": {"POST": A.LIST_EDIT},
    "/plans/{plan_id}/history": {"GET": A.PLAN_EDIT},
    "/plans/{plan_id}/history/{entry_id}": {"POST": A.PLAN_EDIT},
    "/people/{person_id}/trips": {"GET": A.TRIP_VIEW},
    "/people/{person_id}/trips/live": {"GET": A.TRIP_VIEW},
    "/people/{person_id}/progress": {"GET": A.TRIP_VIEW},
    "/people/{person_id}/care-record": {"GET": A.TRIP_VIEW},
    "/people/{person_id}/care-record.csv": {"GET": A.TRIP_VIEW},
    "/trips/{trip_id}": {"GET": A.TRIP_VIEW, "POST": A.TRIP_NOTE},
    "/api/people/{person_id}/alerts": {
        "POST": A.PERSON_SETTINGS_EDIT,
        "DELETE": A.PERSON_SETTINGS_EDIT,
    },
    "/api/people/{person_id}/alerts/key": {"GET": A.PERSON_SETTINGS_EDIT},
}
# Where a role is refused what its action alone would allow, and why.
NOT_FOR = {
    **{
        ("phone", path): "a parents' page: the phone changes lists through its own screens "
        "(the picture picker) and the sync push"
        for path in (
            "/families/{family_id}/lists",
            "/families/{family_id}/lists/new",
            "/lists/{list_id}/edit",
            "/lists/{list_id}/items/{item_id}",
            "/lists/{list_id}/delete",
            "/lists/{list_id}/restore",
            "/lists/{list_id}/{action:str}",
            "/families/{family_id}/plans",
            "/lists/{list_id}/history",
            "/lists/{list_id}/history/{entry_id}",
        )
    },
    ("guardian", "/api/vouchers/{voucher_id}/codes"): "pay codes are made for the phone that "
    "shows them at the till; the parent sees the wallet",
}
# The roles a caller can have in a family, and the callers with no role in it.
FAMILY_ROLES = {"guardian": Role.GUARDIAN, "caregiver": Role.CAREGIVER, "phone": Role.PERSON}
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


async def test_every_route_gives_each_role_what_the_authorization_table_says(app) -> None:
    routes = {r.path: r for r in family_routes(app)}
    assert set(routes) == set(ROUTE_ACTIONS), "say in ROUTE_ACTIONS what a new route needs"
    for path, route in routes.items():
        methods = {m for m in route.methods or {"GET"} if m != "HEAD"}
        assert methods == set(ROUTE_ACTIONS[path]), f"{path}: {methods}"

    async def fresh() -> dict[str, Any]:
        async with Client(app) as parent:
            family = await family_with_everything(parent)
        # The person may plan and change lists on the phone: what LIST_EDIT gives PERSON.
        person = family["family"].person
        await person.refresh_from_db()
        person.settings = {**person.settings, "can_plan": True}
        await person.save(update_fields=["settings"])
        return family

    stack = AsyncExitStack()
    mine, other = await fresh(), await fresh()
    names = (*FAMILY_ROLES, *OUTSIDERS)
    clients = {name: await caller(stack, app, mine, name) for name in names}
    other_clients = {name: await caller(stack, app, other, name) for name in FAMILY_ROLES}
    wrong = []
    for path, needs in ROUTE_ACTIONS.items():
        for method, action in needs.items():
            for name in names:
                expected = (
                    "allowed"
                    if name in FAMILY_ROLES
                    and allowed(FAMILY_ROLES[name], action)
                    and (name, path) not in NOT_FOR
                    else "refused"
                )
                http, family = clients[name], mine
                if expected == "allowed" and method != "GET":
                    # A change (a removal, a revoked phone) must not spoil the next checks.
                    family = await fresh()
                    http = await caller(stack, app, family, name)
                got = outcome(await send(http, method, url_for(path, family["params"])))
                if got != expected:
                    wrong.append(f"{name} {method} {path}: {got}, the table says {expected}")
                # Another family's caller never gets in, whatever their role there.
                if name in FAMILY_ROLES:
                    response = await send(
                        other_clients[name], method, url_for(path, mine["params"])
                    )
                    if response.status_code != 404:
                        wrong.append(f"other {name} {method} {path}: {response.status_code}")
    await stack.aclose()
    assert not wrong, "\n".join(wrong)
