"""Access that ends, ends everywhere at once (issue 14): a caregiver whose invitation was
revoked and a phone that was unlinked get nothing more from the pages or from sync, with the
cookie they had and after logging in again; a session that was logged out, or ended by "log out
on every device" or a new password, opens nothing."""

from __future__ import annotations

import json
import uuid
from base64 import b64encode
from datetime import timedelta
from typing import Any

from itsdangerous import TimestampSigner

from pwa.accounts import services as accounts
from pwa.auth import passwords, sessions, throttle
from pwa.core import clock
from pwa.models import Account, DeviceLink, Invitation, ItemMark, Session
from tests.conftest import Client
from tests.factories import (
    PASSWORD,
    link_phone,
    make_caregiver,
    make_centre_and_shop,
    make_family,
    make_list,
    make_voucher,
)


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


async def test_the_password_page_cannot_be_used_to_guess_the_password(client: Client) -> None:
    """A session left open on a shared computer: wrong current passwords count like wrong
    log-ins, and after the limit even the right one is not taken."""
    family = await make_family()
    await client.log_in(family.email, PASSWORD)
    for _ in range(throttle.BACKOFF["account"].free):
        wrong = await client.submit(
            "/account/password",
            {
                "current_password": "guess",
                "password": "taken over 1",
                "password_again": "taken over 1",
            },
        )
        assert wrong.status_code == 400
    blocked = await client.submit(
        "/account/password",
        {
            "current_password": PASSWORD,
            "password": "taken over 1",
            "password_again": "taken over 1",
        },
    )
    assert blocked.status_code == 429
    assert passwords.verify_password(
        (await Account.get(email=family.email)).password_hash, PASSWORD
    )


async def test_revoking_any_invitation_a_caregiver_accepted_ends_their_access(
    client: Client, other_client: Client
) -> None:
    family = await make_family()
    caregiver, email = await make_caregiver(family)
    second = await accounts.create_invitation(family.family, family.guardian)
    await accounts.accept_invitation(second, caregiver)
    await other_client.log_in(email, PASSWORD)
    lists_page = f"/families/{family.family.id}/lists"
    assert (await other_client.get(lists_page)).status_code == 200
    await client.log_in(family.email, PASSWORD)
    latest = await Invitation.filter(family=family.family).order_by("-created_at").first()
    assert latest is not None
    await client.submit(f"/families/{family.family.id}/caregivers/{latest.id}/revoke")
    assert (await other_client.get(lists_page)).status_code == 404
    # Nor can they come back through the other invitation they had accepted.
    assert not await Invitation.filter(family=family.family, revoked_at=None).exists()


async def test_a_phone_cookie_from_before_sessions_opens_one_session_once(app, other_client):
    """A phone linked before sessions had rows keeps its link, once: after that only its
    session opens it, and logging out ends it."""
    family = await make_family()
    await other_client.link_phone(await link_phone(family))
    device = await DeviceLink.get(person=family.person)
    await Session.filter(device_id=device.id).delete()  # as before sessions had rows
    old = TimestampSigner(app.state.settings.secret_key)
    payload = b64encode(json.dumps({"device_id": str(device.id)}).encode())
    async with Client(app) as phone:
        phone.cookies.set("startrip_session", old.sign(payload).decode())
        assert (await phone.get("/me")).status_code == 200
        assert await Session.filter(device_id=device.id).count() == 1
        # The same old cookie, sent again, opens nothing more.
    async with Client(app) as replay:
        replay.cookies.set("startrip_session", old.sign(payload).decode())
        assert (await replay.get("/me")).status_code == 303
    assert await Session.filter(device_id=device.id).count() == 1


async def test_the_apis_answer_an_ended_session_in_json(client: Client, other_client: Client):
    family = await make_family()
    centre, _shop, _staff = await make_centre_and_shop()
    voucher = await make_voucher(family, centre)
    await other_client.link_phone(await link_phone(family))
    token = await other_client.csrf()
    codes = f"/api/vouchers/{voucher.id}/codes"
    assert (await other_client.post(codes, headers={"X-CSRF-Token": token})).status_code == 200
    await client.log_in(family.email, PASSWORD)
    device = await DeviceLink.get(person=family.person)
    await client.submit(f"/people/{family.person.id}/phone/{device.id}/revoke")
    unlinked = await other_client.post(codes, headers={"X-CSRF-Token": token})
    assert unlinked.status_code == 403 and unlinked.json()["error"]
    await client.submit("/logout")
    anonymous = await client.get(f"/api/people/{family.person.id}/alerts/key")
    assert anonymous.status_code == 401 and anonymous.json()["error"]


async def test_ids_too_big_for_the_database_are_not_found(client: Client) -> None:
    family = await make_family()
    shopping_list = await make_list(family)
    await client.log_in(family.email, PASSWORD)
    huge = "9" * 40
    assert (await client.get(f"/shops/{huge}")).status_code == 404
    assert (await client.get(f"/shops/{huge}/photo/entrance")).status_code == 404
    put_back = await client.submit(f"/lists/{shopping_list.id}/history/{huge}")
    assert put_back.status_code == 404


async def test_an_account_session_ends_after_its_days_and_a_phone_stays_linked(
    client: Client, other_client: Client
) -> None:
    family = await make_family()
    await client.log_in(family.email, PASSWORD)
    await other_client.link_phone(await link_phone(family))
    account_session = await Session.get(account__email=family.email)
    assert account_session.expires_at is not None
    lifetime = account_session.expires_at - account_session.created_at
    assert abs(lifetime - timedelta(days=sessions.ACCOUNT_SESSION_DAYS)) < timedelta(minutes=1)
    phone_session = await Session.get(device__person_id=family.person.id)
    assert phone_session.expires_at is None, "the person never has to log in (WCAG 2.2.6)"
    await Session.filter(id=account_session.id).update(expires_at=clock.now())
    ended = await client.get("/home")
    assert ended.status_code == 303 and ended.headers["location"].startswith("/login")
    assert (await other_client.get("/me")).status_code == 200
