"""What a browser may keep (issue 15): every answer that needs a session is `no-store` (pages,
JSON, CSV, a family's photo), public pages and files keep their caching, logging out clears the
browser's copies, and only the person's own screens are marked for the phone's offline copy."""

from __future__ import annotations

import uuid
from datetime import timedelta

import httpx
from starlette.applications import Starlette

from pwa.accounts import services as accounts
from pwa.auth.offline import HEADER as OFFLINE
from pwa.family import services as people
from pwa.lists import services as lists
from pwa.models import CentreFamily, Person
from pwa.vouchers import services as vouchers
from tests.conftest import Client
from tests.factories import (
    PASSWORD,
    jpeg_bytes,
    link_phone,
    make_centre_and_shop,
    make_family,
    make_list,
    make_plan,
    make_voucher,
)
from tests.test_photos import upload


def no_store(response: httpx.Response) -> bool:
    directives = {d.strip() for d in response.headers.get("cache-control", "").split(",")}
    return "no-store" in directives


async def codes(client: Client, voucher_id: object) -> httpx.Response:
    return await client.post(
        f"/api/vouchers/{voucher_id}/codes", headers={"X-CSRF-Token": await client.csrf()}
    )


async def test_a_parents_pages_json_and_csv_are_not_stored(client: Client) -> None:
    family = await make_family()
    shopping_list = await make_list(family, pictures={"1F34E": 2})
    plan = await make_plan(family)
    await client.log_in(family.email, PASSWORD)
    answers = {
        "home": await client.get("/home"),
        "plan": await client.get(f"/plans/{plan.id}"),
        "trip screen": await client.get(f"/plans/{plan.id}/go"),
        "list": await client.get(f"/lists/{shopping_list.id}"),
        "shopping view": await client.get(f"/lists/{shopping_list.id}/shop"),
        "pull": await client.get(
            "/api/sync/pull",
            params={"client_id": str(uuid.uuid4()), "cursor": "0", "family_id": family.family.id},
        ),
        "care record": await client.get(f"/people/{family.person.id}/care-record.csv"),
        # A public page shows the parent's name when they are logged in.
        "help": await client.get("/help"),
    }
    for name, response in answers.items():
        assert response.status_code == 200, name
        assert no_store(response), f"{name}: {response.headers.get('cache-control')}"
        # A parent's view is never marked for the service worker's offline copy.
        assert OFFLINE not in response.headers, name
    assert answers["pull"].headers["content-type"].startswith("application/json")
    assert answers["care record"].headers["content-type"].startswith("text/csv")


async def test_logging_out_tells_the_browser_to_clear_what_it_holds(client: Client) -> None:
    family = await make_family()
    await client.log_in(family.email, PASSWORD)
    response = await client.submit("/logout")
    assert response.status_code == 303
    assert response.headers["clear-site-data"] == '"cache", "storage"'
    assert no_store(response)
    # "Log out on every device" logs this browser out as well.
    await client.log_in(family.email, PASSWORD)
    everywhere = await client.submit("/account/log-out-everywhere")
    assert everywhere.status_code == 303
    assert everywhere.headers["clear-site-data"] == '"cache", "storage"'


async def test_a_public_page_and_the_files_keep_their_caching(client: Client) -> None:
    login = await client.get("/login")
    assert login.status_code == 200 and not no_store(login)
    assert "cache-control" not in login.headers
    page = login.text
    css = page.split('href="/static/css/app.css', 1)[1].split('"', 1)[0]
    static = await client.get(f"/static/css/app.css{css}")
    assert static.status_code == 200
    assert static.headers["cache-control"] == "public, max-age=31536000, immutable"
    family = await make_family()
    await client.log_in(family.email, PASSWORD)
    # Logged in, the files and the service worker still keep their own caching.
    assert (await client.get(f"/static/css/app.css{css}")).headers["cache-control"] == (
        "public, max-age=31536000, immutable"
    )
    assert (await client.get("/sw.js")).headers["cache-control"] == "no-cache"
    pictogram = await client.get("/openmoji/1F34E.svg")
    assert "immutable" in pictogram.headers["cache-control"] and not no_store(pictogram)


async def test_a_family_photo_is_not_kept_in_the_browsers_cache(
    client: Client, other_client: Client
) -> None:
    family = await make_family()
    shopping_list = await make_list(family)
    await client.log_in(family.email, PASSWORD)
    _response, fields = await upload(client, shopping_list.id, jpeg_bytes())
    url = f"/photos/{fields['photo_id']}"
    served = await client.get(url)
    assert served.status_code == 200 and no_store(served)
    assert "immutable" not in served.headers["cache-control"]
    assert OFFLINE not in served.headers
    # The person's phone keeps it in the service worker's cache, for its trip screens offline.
    await other_client.link_phone(await link_phone(family))
    on_phone = await other_client.get(url)
    assert on_phone.status_code == 200 and no_store(on_phone)
    assert on_phone.headers[OFFLINE] == "keep"


async def test_the_phones_screens_are_marked_to_keep_offline(other_client: Client) -> None:
    family = await make_family()
    shopping_list = await make_list(family, pictures={"1F34E": 1})
    plan = await make_plan(family)
    centre, _shop, _staff = await make_centre_and_shop()
    voucher = await make_voucher(family, centre)
    await other_client.link_phone(await link_phone(family))
    for url in (
        "/me",
        "/me/help",
        f"/me/pay/{voucher.id}",
        f"/lists/{shopping_list.id}/shop",
        f"/plans/{plan.id}/go",
    ):
        response = await other_client.get(url)
        assert response.status_code == 200, url
        assert response.headers[OFFLINE] == "keep", url
        assert no_store(response), url
    pay_codes = await codes(other_client, voucher.id)
    assert pay_codes.status_code == 200 and pay_codes.json()["codes"]
    assert no_store(pay_codes)
    # A page that is not found is not kept.
    missing = await other_client.get(f"/lists/{uuid.uuid4()}/shop")
    assert missing.status_code == 404 and OFFLINE not in missing.headers


async def test_an_adult_who_plans_alone_keeps_their_own_screens_not_others(
    app: Starlette,
) -> None:
    centre, _shop, _staff = await make_centre_and_shop()
    adult = await accounts.sign_up_self(
        email="lin@example.test", password=PASSWORD, name="Lin", phone="", locale="en"
    )
    membership = await adult.memberships.all().prefetch_related("family").first()
    assert membership is not None
    family = membership.family
    person = await Person.get(account=adult)
    own = await lists.create_list(
        family, list_id=uuid.uuid4(), name="Mine", person_id=str(person.id)
    )
    await CentreFamily.get_or_create(centre=centre, family=family)
    voucher = await vouchers.issue_voucher(
        centre,
        voucher_id=uuid.uuid4(),
        family_id=str(family.id),
        amount="50",
        valid_from="",
        valid_until=(vouchers.today() + timedelta(days=30)).isoformat(),
        shop_ids=[],
    )
    # Someone else in the same family: the adult is their guardian, not them.
    other = await people.add_person(
        family, display_name="Bo", avatar=people.AVATARS[0], guardian=adult, consented=True
    )
    theirs = await lists.create_list(
        family, list_id=uuid.uuid4(), name="Bo's", person_id=str(other.id)
    )
    async with Client(app) as computer:
        await computer.log_in("lin@example.test", PASSWORD)
        for url in ("/me", f"/me/pay/{voucher.id}", f"/lists/{own.id}/shop"):
            response = await computer.get(url)
            assert response.status_code == 200, url
            assert response.headers[OFFLINE] == "keep", url
        theirs_view = await computer.get(f"/lists/{theirs.id}/shop")
        assert theirs_view.status_code == 200 and OFFLINE not in theirs_view.headers
        pay_codes = await codes(computer, voucher.id)
        assert pay_codes.status_code == 200 and no_store(pay_codes)
