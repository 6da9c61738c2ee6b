"""Access that ends, ends everywhere at once (issue 14): a caregiver whose invitation was
revoked and a phone that was unlinked get nothing more from the pages or from sync, with the
cookie they had and after logging in again; a session that was logged out, or ended by "log out
on every device" or a new password, opens nothing."""

from __future__ import annotations

import uuid
from typing import Any

from pwa.models import DeviceLink, Invitation, ItemMark
from tests.conftest import Client
from tests.factories import PASSWORD, link_phone, make_caregiver, make_family, make_list


async def pull(http: Client, client_id: str, family_id: Any) -> Any:
    return await http.get(
        "/api/sync/pull", params={"client_id": client_id, "cursor": 0, "family_id": family_id}
    )


async def push_tick(http: Client, client_id: str, family_id: Any, item_id: Any, number: int):
    return await http.post(
        "/api/sync/push",
        json={
            "client_id": client_id,
            "family_id": str(family_id),
            "mutations": [
                {
                    "mutation_id": number,
                    "name": "item.mark",
                    "args": {"id": str(uuid.uuid4()), "item_id": str(item_id), "state": "ticked"},
                }
            ],
        },
        headers={"X-CSRF-Token": await http.csrf()},
    )


def no_rows(response: Any) -> bool:
    """Refused, and nothing of the family in the answer."""
    return response.status_code in (403, 404) and "rows" not in response.text


async def test_a_revoked_caregiver_pulls_and_pushes_nothing_with_the_old_cookie_or_a_new_one(
    client: Client, other_client: Client, app
) -> None:
    family = await make_family()
    shopping_list = await make_list(family, pictures={"1F34E": 1})
    item = await shopping_list.items.all().first()
    _caregiver, email = await make_caregiver(family)
    await other_client.log_in(email, PASSWORD)
    install = str(uuid.uuid4())
    before = await pull(other_client, install, family.family.id)
    assert before.status_code == 200
    assert before.json()["rows"]["items"], "the caregiver read the list before"

    await client.log_in(family.email, PASSWORD)
    invitation = await Invitation.get(family=family.family)
    await client.submit(f"/families/{family.family.id}/caregivers/{invitation.id}/revoke")

    # The same browser, with the cookie it had.
    assert no_rows(await pull(other_client, install, family.family.id))
    assert no_rows(await pull(other_client, str(uuid.uuid4()), family.family.id))
    assert no_rows(await push_tick(other_client, install, family.family.id, item.id, 1))
    # Logged in again, in another browser.
    async with Client(app) as again:
        await again.log_in(email, PASSWORD)
        assert no_rows(await pull(again, install, family.family.id))
        assert no_rows(await pull(again, str(uuid.uuid4()), family.family.id))
        assert no_rows(await push_tick(again, str(uuid.uuid4()), family.family.id, item.id, 1))
    assert not await ItemMark.filter(item=item).exists()


async def test_an_unlinked_phone_pulls_and_pushes_nothing(client: Client, other_client: Client):
    family = await make_family()
    shopping_list = await make_list(family, pictures={"1F34E": 1})
    item = await shopping_list.items.all().first()
    await other_client.link_phone(await link_phone(family))
    install = str(uuid.uuid4())
    before = await pull(other_client, install, "")
    assert before.status_code == 200 and before.json()["rows"]["items"]
    assert (await push_tick(other_client, install, "", item.id, 1)).status_code == 200

    await client.log_in(family.email, PASSWORD)
    device = await DeviceLink.get(person=family.person)
    await client.submit(f"/people/{family.person.id}/phone/{device.id}/revoke")

    assert no_rows(await pull(other_client, install, ""))
    assert no_rows(await push_tick(other_client, install, "", item.id, 2))
    assert (await other_client.get("/me")).status_code in (303, 403, 404)
    assert await ItemMark.filter(item=item).count() == 1, "only the tick sent while linked"


async def test_a_logged_out_cookie_opens_nothing(client: Client, app) -> None:
    family = await make_family()
    await client.log_in(family.email, PASSWORD)
    assert (await client.get("/home")).status_code == 200
    kept = dict(client.cookies)
    await client.submit("/logout")
    async with Client(app) as replay:
        replay.cookies.update(kept)
        page = await replay.get("/home")
        assert page.status_code == 303 and page.headers["location"].startswith("/login")
        api = await pull(replay, str(uuid.uuid4()), family.family.id)
        assert api.status_code == 401 and "rows" not in api.text


async def test_log_out_on_every_device_ends_the_other_browsers_sessions(
    client: Client, other_client: Client
) -> None:
    family = await make_family()
    await client.log_in(family.email, PASSWORD)
    await other_client.log_in(family.email, PASSWORD)
    assert (await other_client.get("/home")).status_code == 200
    response = await client.submit("/account/log-out-everywhere")
    assert response.headers["location"].startswith("/login")
    for http in (client, other_client):
        page = await http.get("/home")
        assert page.status_code == 303 and page.headers["location"].startswith("/login")
    # Logging in again works, and only this browser is in.
    await client.log_in(family.email, PASSWORD)
    assert (await client.get("/home")).status_code == 200
    assert (await other_client.get("/home")).status_code == 303


async def test_a_new_password_ends_the_other_browsers_sessions(
    client: Client, other_client: Client
) -> None:
    family = await make_family()
    await client.log_in(family.email, PASSWORD)
    await other_client.log_in(family.email, PASSWORD)
    wrong = await client.submit(
        "/account/password",
        {"current_password": "not it", "password": "a new one 123", "password_again": "x"},
    )
    assert wrong.status_code == 400
    assert "This is not your password now." in wrong.text
    assert (await other_client.get("/home")).status_code == 200, "nothing changed"

    changed = await client.submit(
        "/account/password",
        {
            "current_password": PASSWORD,
            "password": "a new one 123",
            "password_again": "a new one 123",
        },
    )
    assert changed.status_code == 303
    assert (await client.get("/home")).status_code == 200, "this browser stays logged in"
    gone = await other_client.get("/home")
    assert gone.status_code == 303 and gone.headers["location"].startswith("/login")
    old = await other_client.submit("/login", {"email": family.email, "password": PASSWORD})
    assert old.status_code == 400
    await other_client.log_in(family.email, "a new one 123")
