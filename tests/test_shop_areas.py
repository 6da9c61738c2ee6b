"""A friendly shop's own order of its areas, with a photo of each (issue 18, item 4): its staff
move the areas up and down and add photos; a list or trip plan that names the shop is shown in
that order, with the photos, and the story shows the shop's entrance and till."""

from __future__ import annotations

import io
import json
import re
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from PIL import Image
from starlette.applications import Starlette

from pwa.core import blobs
from pwa.core.pictograms import catalogue
from pwa.models import Organisation, Plan, ShopArea, ShoppingList
from pwa.shops import areas
from tests.conftest import Client
from tests.factories import (
    PASSWORD,
    jpeg_bytes,
    link_phone,
    make_centre_and_shop,
    make_family,
    make_list,
    make_plan,
    stored_bytes,
)

APPLE, MILK, SOAP = "1F34E", "1F95B", "1F9FC"  # fruit_veg, milk_eggs, personal_care


def area_ids() -> list[str]:
    return [area.id for area in catalogue().areas]


@asynccontextmanager
async def logged_in(app: Starlette, email: str) -> AsyncIterator[Client]:
    async with Client(app) as client:
        await client.log_in(email, PASSWORD)
        yield client


async def move(client: Client, shop: Organisation, area: str, direction: str) -> int:
    response = await client.submit(f"/shop/{shop.id}/areas/{area}/move", {"direction": direction})
    return response.status_code


async def add_photo(client: Client, shop: Organisation, area: str, data: bytes) -> int:
    response = await client.post(
        f"/shop/{shop.id}/areas/{area}/photo",
        data={"csrf_token": await client.csrf()},
        files={"photo": ("photo.jpg", data, "image/jpeg")},
    )
    return response.status_code


def shopping_data(html: str) -> dict:
    match = re.search(r'<script[^>]*id="shopping-data"[^>]*>(.*?)</script>', html, re.S)
    assert match
    return json.loads(match.group(1))


def headings(html: str) -> list[str]:
    return re.findall(r'<section class="area-group" data-area="([a-z_]+)"', html)


async def test_staff_order_their_areas_and_add_photos(app: Starlette) -> None:
    _centre, shop, staff = await make_centre_and_shop()
    async with logged_in(app, str(staff.email)) as desk:
        page = await desk.get(f"/shop/{shop.id}/areas")
        assert page.status_code == 200
        # Before any change: the catalogue's order, read from the catalogue at run time.
        assert re.findall(r'id="area-([a-z_]+)"', page.text) == area_ids()
        assert "Move up" in page.text and "Move down" in page.text

        # The milk and eggs move up twice: first in the shop.
        third = area_ids()[2]
        assert await move(desk, shop, third, "up") == 303
        assert await move(desk, shop, third, "up") == 303
        order = [view.area.id for view in await areas.staff_view(shop)]
        assert order[0] == third and order[1:] == [a for a in area_ids() if a != third]
        # The first moved up stays first; the last moved down stays last.
        assert await move(desk, shop, third, "up") == 303
        assert await move(desk, shop, area_ids()[-1], "down") == 303
        assert [view.area.id for view in await areas.staff_view(shop)] == order
        # Moved back down: it changes place with the next one only.
        assert await move(desk, shop, third, "down") == 303
        assert [v.area.id for v in await areas.staff_view(shop)][:2] == [order[1], third]

        # A photo, re-encoded without its metadata.
        assert await add_photo(desk, shop, "fruit_veg", jpeg_bytes(exif=True)) == 303
        row = await ShopArea.get(shop=shop, area="fruit_veg")
        assert row.photo.endswith(".jpg")
        stored = (await stored_bytes(blobs.SHOPS))[row.photo]
        assert b"PhoneMaker" not in stored and stored[:2] == b"\xff\xd8"
        # A big photo is kept small enough for a phone's list (a strip above the area).
        assert await add_photo(desk, shop, "drinks", jpeg_bytes(1600, 1200)) == 303
        big = (await ShopArea.get(shop=shop, area="drinks")).photo
        with Image.open(io.BytesIO((await stored_bytes(blobs.SHOPS))[big])) as image:
            assert image.size == (480, 160)
        # A new photo of the area takes a new name; the one it replaces is gone.
        assert await add_photo(desk, shop, "drinks", jpeg_bytes()) == 303
        assert (await ShopArea.get(shop=shop, area="drinks")).photo != big
        assert big not in await stored_bytes(blobs.SHOPS)
        listed = await desk.get(f"/shop/{shop.id}/areas")
        assert f"/photos/shops/{shop.id}/{row.photo}" in listed.text
        assert (await desk.get(f"/photos/shops/{shop.id}/{row.photo}")).status_code == 200

        # Taken away again, the order stays.
        removed = await desk.post(
            f"/shop/{shop.id}/areas/fruit_veg/photo",
            data={"csrf_token": await desk.csrf(), "remove": "yes"},
        )
        assert removed.status_code == 303
        assert (await ShopArea.get(shop=shop, area="fruit_veg")).photo == ""
        assert row.photo not in await stored_bytes(blobs.SHOPS)
        assert (await desk.get(f"/photos/shops/{shop.id}/{row.photo}")).status_code == 404


async def test_a_file_that_is_not_a_photo_is_refused_in_words(app: Starlette) -> None:
    _centre, shop, staff = await make_centre_and_shop()
    async with logged_in(app, str(staff.email)) as desk:
        response = await desk.post(
            f"/shop/{shop.id}/areas/fruit_veg/photo",
            data={"csrf_token": await desk.csrf()},
            files={"photo": ("photo.jpg", b"%PDF-1.4 not a photo", "image/jpeg")},
        )
        assert response.status_code == 400
        assert "This file is not a photo. Choose a JPEG or PNG photo." in response.text
        empty = await desk.post(
            f"/shop/{shop.id}/areas/fruit_veg/photo", data={"csrf_token": await desk.csrf()}
        )
        assert empty.status_code == 400 and "Choose a photo." in empty.text
        # An area the catalogue does not have.
        assert (await desk.get(f"/shop/{shop.id}/areas/nowhere/photo")).status_code == 404
        assert await move(desk, shop, "nowhere", "up") == 303
        assert await move(desk, shop, "fruit_veg", "sideways") == 303
    assert not await ShopArea.exists(shop=shop)
    assert await stored_bytes(blobs.SHOPS) == {}


async def test_another_shops_staff_and_families_are_refused(app: Starlette) -> None:
    _centre, shop, _staff = await make_centre_and_shop()
    _centre2, _other_shop, other_staff = await make_centre_and_shop()
    family = await make_family()
    async with logged_in(app, str(other_staff.email)) as other:
        assert (await other.get(f"/shop/{shop.id}/areas")).status_code == 404
        assert await move(other, shop, "milk_eggs", "up") == 404
        assert await add_photo(other, shop, "milk_eggs", jpeg_bytes()) == 404
    async with logged_in(app, family.email) as parent:
        assert (await parent.get(f"/shop/{shop.id}/areas")).status_code == 403
        assert await move(parent, shop, "milk_eggs", "up") == 403
    assert not await ShopArea.exists(shop=shop)


async def test_a_list_for_the_shop_follows_its_order_with_photos(app: Starlette) -> None:
    _centre, shop, staff = await make_centre_and_shop()
    family = await make_family()
    async with logged_in(app, str(staff.email)) as desk:
        # Personal care first, then milk and eggs; the fruit has a photo.
        for _ in area_ids():  # up to the top (the first moved up stays first)
            await move(desk, shop, "personal_care", "up")
        for _ in area_ids():
            await move(desk, shop, "milk_eggs", "up")
        await add_photo(desk, shop, "fruit_veg", jpeg_bytes())
    photo = (await ShopArea.get(shop=shop, area="fruit_veg")).photo

    async with logged_in(app, family.email) as parent:
        # The list form offers the friendly shops of the directory.
        form = await parent.get(f"/families/{family.family.id}/lists/new")
        assert f'<option value="{shop.id}">' in form.text
        list_id = str(uuid.uuid4())
        made = await parent.submit(
            f"/families/{family.family.id}/lists/new",
            {
                "id": list_id,
                "name": "For the shop",
                "person_id": str(family.person.id),
                "shop_id": str(shop.id),
            },
        )
        assert made.status_code == 303
        shopping_list = await ShoppingList.get(id=list_id)
        assert shopping_list.shop_id == shop.id
        from pwa.lists import services as lists

        for code in (APPLE, MILK, SOAP):
            await lists.add_item(shopping_list, item_id=uuid.uuid4(), pictogram=code)

        page = await parent.get(f"/lists/{list_id}/shop")
        assert headings(page.text) == ["milk_eggs", "personal_care", "fruit_veg"]
        data = shopping_data(page.text)
        # The phone's copy for offline has every area, in the shop's order, with the photos.
        rest = [a for a in area_ids() if a not in ("milk_eggs", "personal_care")]
        assert [a["id"] for a in data["areas"]] == ["milk_eggs", "personal_care", *rest]
        by_id = {a["id"]: a for a in data["areas"]}
        assert by_id["fruit_veg"]["photo"] == f"/photos/shops/{shop.id}/{photo}"
        assert by_id["milk_eggs"]["photo"] == ""
        assert f'class="area-photo" src="/photos/shops/{shop.id}/{photo}"' in page.text
        # The parent's own page of the list follows the shop too.
        listed = await parent.get(f"/lists/{list_id}")
        assert listed.text.index("Milk and eggs") < listed.text.index("Fruit and vegetables")

        # The same list with no shop: the catalogue's order, no photos.
        await parent.submit(
            f"/lists/{list_id}/edit",
            {
                "id": list_id,
                "name": "For the shop",
                "person_id": str(family.person.id),
                "shop_id": "",
            },
        )
        plain = await parent.get(f"/lists/{list_id}/shop")
        assert headings(plain.text) == ["fruit_veg", "milk_eggs", "personal_care"]
        assert "/photos/shops/" not in plain.text

        # A shop that is not in the directory is refused in words, nothing changed.
        await Organisation.filter(id=shop.id).update(approved_at=None)
        refused = await parent.submit(
            f"/lists/{list_id}/edit",
            {"id": list_id, "name": "Renamed", "person_id": "", "shop_id": str(shop.id)},
        )
        assert refused.status_code == 400 and "Choose one of the shops." in refused.text
        assert (await ShoppingList.get(id=list_id)).name == "For the shop"


async def test_the_phone_gets_the_photo_to_keep_and_other_families_see_nothing(
    app: Starlette,
) -> None:
    _centre, shop, staff = await make_centre_and_shop()
    async with logged_in(app, str(staff.email)) as desk:
        await add_photo(desk, shop, "fruit_veg", jpeg_bytes())
    photo = (await ShopArea.get(shop=shop, area="fruit_veg")).photo
    family, other = await make_family(), await make_family()
    shopping_list = await make_list(family, pictures={APPLE: 1})
    shopping_list.shop_id = shop.id
    await shopping_list.save()

    async with Client(app) as phone:
        await phone.link_phone(await link_phone(family))
        page = await phone.get(f"/lists/{shopping_list.id}/shop")
        assert page.headers.get("X-Startrip-Offline") == "keep"
        assert f"/photos/shops/{shop.id}/{photo}" in page.text
        kept = await phone.get(f"/photos/shops/{shop.id}/{photo}")
        # The person's phone may keep the shop's photo for offline (static/js/sw.js).
        assert kept.status_code == 200 and kept.headers.get("X-Startrip-Offline") == "keep"
        # Only the shop's own files by their names.
        assert (await phone.get(f"/photos/shops/{shop.id}/secret_key")).status_code == 404
        assert (await phone.get(f"/photos/shops/{shop.id}/..%2Fsecret_key")).status_code == 404

    # Family isolation of lists is unchanged: another family sees neither the list nor its page.
    async with logged_in(app, other.email) as stranger:
        assert (await stranger.get(f"/lists/{shopping_list.id}/shop")).status_code == 404
        assert (await stranger.get(f"/lists/{shopping_list.id}")).status_code == 404
        # A parent's view is not kept on a (maybe shared) computer.
        seen = await stranger.get(f"/photos/shops/{shop.id}/{photo}")
        assert seen.status_code == 200 and "X-Startrip-Offline" not in seen.headers


async def test_a_list_made_offline_names_a_friendly_shop_or_is_refused(app: Starlette) -> None:
    _centre, shop, _staff = await make_centre_and_shop()
    family = await make_family()
    async with logged_in(app, family.email) as parent:
        list_id = str(uuid.uuid4())
        applied = await parent.push(
            "list.create",
            {"id": list_id, "name": "Made offline", "shop_id": str(shop.id)},
            family.family.id,
        )
        assert applied["status"] == "applied"
        assert (await ShoppingList.get(id=list_id)).shop_id == shop.id
        await Organisation.filter(id=shop.id).update(suspended_at=shop.created_at)
        refused = await parent.push(
            "list.create",
            {"id": str(uuid.uuid4()), "name": "Another", "shop_id": str(shop.id)},
            family.family.id,
        )
        assert refused["status"] == "refused"
        assert "Choose one of the shops." in json.dumps(refused, ensure_ascii=False)
        assert await ShoppingList.filter(family_id=family.family.id).count() == 1


async def test_the_story_shows_the_shops_entrance_and_till(app: Starlette) -> None:
    _centre, shop, staff = await make_centre_and_shop()
    async with logged_in(app, str(staff.email)) as desk:
        await desk.post(
            f"/shop/{shop.id}/edit",
            data={
                "csrf_token": await desk.csrf(),
                "quiet_hours": "14:00",
                "staff_know": "We help.",
            },
            files={
                "entrance": ("entrance.jpg", jpeg_bytes(), "image/jpeg"),
                "till": ("till.jpg", jpeg_bytes(), "image/jpeg"),
            },
        )
    shop = await Organisation.get(id=shop.id)
    family = await make_family()
    plan = await make_plan(family)  # the supermarket: walk, trolley, list, wait, pay…
    async with logged_in(app, family.email) as parent:
        page = await parent.get(f"/plans/{plan.id}")
        assert f'<option value="{shop.id}">' in page.text
        saved = await parent.submit(
            f"/plans/{plan.id}/rename",
            {"name": plan.name, "person_id": str(family.person.id), "shop_id": str(shop.id)},
        )
        assert saved.status_code == 303
        assert (await Plan.get(id=plan.id)).shop_id == shop.id
        story = await parent.get(f"/plans/{plan.id}/story")
        steps = story.text.split('<li class="story-step">')[1:]
        entrance = f"/photos/shops/{shop.id}/{shop.entrance_photo}"
        till = f"/photos/shops/{shop.id}/{shop.till_photo}"
        # The entrance where the trolley is taken (step 3), the till at the pay step (6).
        assert [n for n, step in enumerate(steps, 1) if entrance in step] == [3]
        assert [n for n, step in enumerate(steps, 1) if till in step] == [6]
        assert f"The entrance of {shop.name}" in steps[2]
        # Trip mode (trip.js) shows the same photos at the same steps.
        trip = await parent.get(f"/plans/{plan.id}/go")
        found = re.search(r'<script[^>]*id="trip-data"[^>]*>(.*?)</script>', trip.text, re.S)
        assert found
        at = {
            step["number"]: step["shop_photo"]["url"]
            for step in json.loads(found.group(1))["steps"]
            if "shop_photo" in step
        }
        assert at == {3: entrance, 6: till}

        # A plan made for the shop from the start; no shop chosen: no photos.
        made = await parent.submit(
            f"/families/{family.family.id}/plans/new",
            {"id": str(uuid.uuid4()), "template_id": "convenience", "shop_id": str(shop.id)},
        )
        assert made.status_code == 303
        convenience = await Plan.get(id=made.headers["location"].split("/")[2])
        assert convenience.shop_id == shop.id
        told = (await parent.get(f"/plans/{convenience.id}/story")).text
        told_steps = told.split('<li class="story-step">')[1:]
        # "Walk to the convenience shop." has the shop's picture: the entrance is there.
        assert [n for n, step in enumerate(told_steps, 1) if entrance in step] == [2]
        await parent.submit(
            f"/plans/{plan.id}/rename", {"name": plan.name, "person_id": "", "shop_id": ""}
        )
        assert entrance not in (await parent.get(f"/plans/{plan.id}/story")).text
        refused = await parent.submit(
            f"/plans/{plan.id}/rename", {"name": plan.name, "person_id": "", "shop_id": "99999"}
        )
        assert refused.status_code == 303
        assert (await Plan.get(id=plan.id)).shop_id is None
