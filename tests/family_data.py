"""A family with something of every kind, for the export and deletion tests: two people (the
one the tests delete has a name found nowhere else), lists with items, ticks and photos, plans,
a trip with its feelings and a caregiver's note, field history, a linked phone that has synced,
a voucher paid with at a shop, and consent records."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field
from typing import Any

from pwa import conflicts
from pwa.core import clock
from pwa.lists import services as lists
from pwa.models import Account, ConsentRecord, ListItem, Organisation, Person, Photo, PlanStep, Trip
from pwa.plans import services as plans
from pwa.trips import services as trips
from pwa.vouchers import services as vouchers
from tests.conftest import Client
from tests.factories import (
    FamilyFixture,
    jpeg_bytes,
    link_phone,
    make_caregiver,
    make_centre_and_shop,
    make_family,
    make_list,
    make_plan,
    make_voucher,
)

SECRET = "test-secret-key"


@dataclass
class RichFamily:
    family: FamilyFixture
    # The person the tests delete, and another who stays.
    person: Person
    other: Person
    caregiver: Account
    caregiver_email: str
    shop: Organisation
    centre: Organisation
    ids: dict[str, Any] = field(default_factory=dict)


async def add_photo(client: Client, list_id: Any, label: str) -> Photo:
    """A photo through the page that adds one to a list (the client is a logged-in parent)."""
    page = await client.get(f"/lists/{list_id}/photos/new")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    photo_id = re.search(r'name="photo_id" value="([^"]+)"', page.text)
    item_id = re.search(r'name="item_id" value="([^"]+)"', page.text)
    assert token and photo_id and item_id, "the photo form changed"
    response = await client.post(
        f"/lists/{list_id}/photos/new",
        data={
            "csrf_token": token.group(1),
            "photo_id": photo_id.group(1),
            "item_id": item_id.group(1),
            "label": label,
            "area": "household",
        },
        files={"photo": ("photo.jpg", jpeg_bytes(60, 40), "image/jpeg")},
    )
    assert response.status_code == 303, response.text
    return await Photo.get(id=photo_id.group(1))


async def rich_family(guardian: Client, phone: Client | None = None) -> RichFamily:
    """Made through the services and pages; `guardian` is logged in as its parent, `phone` (if
    given) is linked to the person and has pushed a tick."""
    family = await make_family(person_name="Zhuzhu Qiao")
    other = await Person.create(family=family.family, display_name="Hua Lan", avatar="1F467")
    caregiver, caregiver_email = await make_caregiver(family)
    centre, shop, _staff = await make_centre_and_shop()
    await guardian.log_in(family.email, family.password)

    theirs = await make_list(family, "Zhuzhu's shop", {"1F34E": 2, "1F95B": 1})
    only_theirs = await add_photo(guardian, theirs.id, "Zhuzhu's cup")
    # A list for nobody in particular and one for the other person, with their own photos; one
    # photo is on both a list of the person's and the shared list: it stays.
    shared_list = await lists.create_list(
        family.family, list_id=uuid.uuid4(), name="Family list", person_id=""
    )
    shared_photo = await add_photo(guardian, shared_list.id, "Family bread")
    await lists.add_item(theirs, item_id=uuid.uuid4(), photo_id=str(shared_photo.id))
    hua_list = await lists.create_list(
        family.family, list_id=uuid.uuid4(), name="Hua's list", person_id=str(other.id)
    )
    await lists.add_item(hua_list, item_id=uuid.uuid4(), pictogram="1F34C")
    # A list of theirs in the bin (soft-deleted): deleting the person removes it too.
    binned = await make_list(family, "Zhuzhu's old list", {"1F36A": 1})
    await lists.delete_list(binned)

    plan = await make_plan(family, name="Zhuzhu's supermarket")
    step = await PlanStep.filter(plan=plan).order_by("position").first()
    assert step is not None
    # A step of Hua's plan opens Zhuzhu's list: the link goes, the step stays.
    hua_plan = await plans.create_plan(
        family.family,
        plan_id=uuid.uuid4(),
        name="Hua's plan",
        person_id=str(other.id),
        template_id="supermarket",
    )
    hua_step = await PlanStep.filter(plan=hua_plan).order_by("position").first()
    assert hua_step is not None
    await PlanStep.filter(id=hua_step.id).update(link="list", shopping_list_id=theirs.id)

    item = await ListItem.filter(list=theirs, pictogram="1F34E").first()
    assert item is not None
    await lists.update_item(item, {"note": "red ones"}, writer="a")
    await lists.update_item(item, {"note": "green ones"}, writer="b")
    await conflicts.write_fields(step, {"text": "Go in."}, client_time=clock.now(), writer="b")

    trip = await trips.start_trip(
        family.person,
        plan,
        trip_id=uuid.uuid4(),
        steps=[s.as_data() for s in await plans.step_views(plan)],
    )
    await trips.record_event(
        trip,
        event_id=uuid.uuid4(),
        kind="feeling_before",
        step=None,
        value="worried",
        client_time=clock.now(),
    )
    await trips.record_event(
        trip, event_id=uuid.uuid4(), kind="step_done", step=1, value="", client_time=clock.now()
    )
    note = await trips.add_note(
        trip, note_id=uuid.uuid4(), account=caregiver, text="Zhuzhu asked for help kindly."
    )

    voucher = await make_voucher(family, centre, yuan=50)
    token = (await vouchers.pay_tokens(voucher))[0]
    paid = await vouchers.redeem(
        shop, key=str(uuid.uuid4()), presented=token.code, amount=1200, staff=None, secret=SECRET
    )
    assert paid.outcome == "paid"
    await ConsentRecord.create(
        account=family.guardian,
        family=family.family,
        person=family.person,
        notice_version="test",
        occasion="person_added",
    )

    rich = RichFamily(
        family=family,
        person=family.person,
        other=other,
        caregiver=caregiver,
        caregiver_email=caregiver_email,
        shop=shop,
        centre=centre,
    )
    if phone is not None:
        await phone.link_phone(await link_phone(family))
        # The phone ticks an item of the person's list: an op log entry that names it.
        mark = await phone.push(
            "item.mark", {"id": str(uuid.uuid4()), "item_id": str(item.id), "state": "ticked"}
        )
        assert mark["status"] == "applied", mark
    # The parent ticks one too, from the parent's own browser.
    mark = await guardian.push(
        "item.mark",
        {"id": str(uuid.uuid4()), "item_id": str(item.id), "state": "not_found"},
        family_id=family.family.id,
    )
    assert mark["status"] == "applied", mark
    rich.ids = {
        "list": theirs.id,
        "binned_list": binned.id,
        "item": item.id,
        "plan": plan.id,
        "step": step.id,
        "trip": trip.id,
        "note": note.id,
        "photo": only_theirs.id,
        "photo_file": only_theirs.file_name,
        "shared_photo": shared_photo.id,
        "shared_list": shared_list.id,
        "hua_list": hua_list.id,
        "hua_plan": hua_plan.id,
        "hua_step": hua_step.id,
        "voucher": voucher.id,
    }
    assert await Trip.filter(person=family.person).count() == 1
    return rich
