"""Ready for the shop (issue 18, item 5): the list of what a trip needs on the phone, as the
start screen and the start of a trip give it to static/js/ready.js (and the service worker)."""

from __future__ import annotations

import json
import re
from typing import Any

from pwa.models import PlanStep
from pwa.trips.queries import Needs, files_in
from tests.conftest import Client
from tests.factories import (
    give_budget,
    link_phone,
    make_centre_and_shop,
    make_family,
    make_list,
    make_plan,
    make_voucher,
)


def page_json(html: str, element_id: str) -> Any:
    found = re.search(rf'<script type="application/json" id="{element_id}">(.*?)</script>', html)
    return json.loads(found.group(1)) if found else None


def test_every_picture_photo_and_clip_in_a_screens_data_is_found() -> None:
    needs = Needs()
    files_in(
        {
            "steps": [{"picture": "/openmoji/1F6B6.svg", "text": "Walk /openmoji/ there."}],
            "items": [
                {
                    "picture": "/photos/abc",
                    "clip": "/clips/one",
                    "plan_b": {"picture": "/openmoji/1F34E.svg", "clip_url": "/f/1/clip"},
                    "link_url": "/lists/x/shop",
                },
                {"picture": "/openmoji/1F6B6.svg", "audio": "/families/f/clips/two"},
            ],
        },
        needs,
    )
    assert needs.files == ["/openmoji/1F6B6.svg", "/photos/abc", "/openmoji/1F34E.svg"]
    assert needs.clips == ["/clips/one", "/f/1/clip", "/families/f/clips/two"]
    assert needs.pages == []


async def test_the_start_of_a_trip_lists_its_screens_pictures_and_pay_code(
    client: Client, other_client: Client
) -> None:
    family = await make_family()
    plan = await make_plan(family)
    groceries = await make_list(family, pictures={"1F34E": 2, "1F95B": 1})
    await PlanStep.filter(plan=plan, link="list").update(shopping_list_id=groceries.id)
    # A list of another family, forged into a step, is never named to this phone.
    stranger = await make_family()
    theirs = await make_list(stranger, pictures={"1F96C": 1})
    step = await PlanStep.filter(plan=plan, link="").first()
    assert step is not None
    step.link, step.shopping_list_id = "list", theirs.id
    await step.save()
    await other_client.link_phone(await link_phone(family))

    page = await other_client.get(f"/plans/{plan.id}/go")
    needs = page_json(page.text, "ready-needs")
    # The demo template's trip pays at the till, but the family has no voucher: no pay screen.
    assert needs["pages"] == [f"/plans/{plan.id}/go", f"/lists/{groceries.id}/shop", "/me/help"]
    assert needs["vouchers"] == []
    steps = page_json(page.text, "trip-data")["steps"]
    for picture in [s["picture"] for s in steps] + ["/openmoji/1F34E.svg", "/openmoji/1F95B.svg"]:
        assert picture in needs["files"]
    assert "/openmoji/1F96C.svg" not in needs["files"]
    assert {"/static/js/phone.js", "/static/js/outbox.js"} <= set(needs["files"])
    assert "Get it now" in page.text and 'data-module="ready"' in page.text

    # With a voucher, the pay screen and a pay code for it.
    centre, _shop, _staff = await make_centre_and_shop()
    await give_budget(centre)
    voucher = await make_voucher(family, centre)
    needs = page_json((await other_client.get(f"/plans/{plan.id}/go")).text, "ready-needs")
    assert "/me/pay" in needs["pages"]
    assert needs["vouchers"] == [str(voucher.id)]

    # A parent's preview of the trip has no check: nothing of it is kept on their computer.
    await client.log_in(family.email, family.password)
    preview = await client.get(f"/plans/{plan.id}/go")
    assert preview.status_code == 200
    assert page_json(preview.text, "ready-needs") is None
    assert 'data-module="ready"' not in preview.text


async def test_the_start_screen_checks_what_the_phone_keeps(other_client: Client) -> None:
    family = await make_family()
    plan = await make_plan(family)
    groceries = await make_list(family, pictures={"1F34E": 1})
    await other_client.link_phone(await link_phone(family))

    page = (await other_client.get("/me")).text
    needs = page_json(page, "ready-needs")
    keep = page_json(page, "keep-offline")
    # The service worker keeps what the check looks for: the same screens and files.
    assert needs["pages"] == keep["pages"]
    assert set(needs["files"]) | set(needs["clips"]) == set(keep["files"])
    assert {f"/plans/{plan.id}/go", f"/lists/{groceries.id}/shop", "/me/help"} <= set(
        needs["pages"]
    )
    assert "/openmoji/1F34E.svg" in needs["files"]
    assert any(url.startswith("/static/js/ready.js?v=") for url in needs["files"])
