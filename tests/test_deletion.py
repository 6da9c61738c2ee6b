"""Deleting a person, a family or an account (issue 16, item 7): the rows themselves go, with
every file, link, session and history entry of theirs; no page, export or pull serves anything
of them afterwards, and a pull from before the deletion tells other devices to drop them; the
money records stay, naming nobody, and the ledger still agrees; another family is untouched."""

from __future__ import annotations

import html
import io
import uuid
import zipfile
from typing import Any

from pwa import conflicts, i18n
from pwa.accounts import consent
from pwa.core import blobs, clock
from pwa.models import (
    Account,
    CentreFamily,
    ConsentRecord,
    DeviceLink,
    Family,
    FieldHistory,
    HistoryReason,
    Invitation,
    LedgerEntry,
    ListItem,
    Membership,
    OpLog,
    PayToken,
    Person,
    Photo,
    Plan,
    PlanStep,
    Redemption,
    Role,
    Session,
    ShoppingList,
    SyncClient,
    Trip,
    TripEvent,
    TripNote,
    Voucher,
)
from pwa.plans import services as plans
from pwa.settings import Settings
from pwa.trips import services as trips
from pwa.vouchers.services import ledger_problems
from tests.conftest import Client
from tests.databases import table_counts
from tests.factories import link_phone, make_account, make_family, make_list, stored_bytes
from tests.family_data import add_photo, rich_family


async def pull(client: Client, cursor: int = 0, family_id: Any = "") -> dict[str, Any]:
    """A pull from this client's own install (the one its pushes used), every page."""
    rows: dict[str, list[dict[str, Any]]] = {}
    removed: list[dict[str, Any]] = []
    while True:
        response = await client.get(
            "/api/sync/pull",
            params={"client_id": client.sync_client_id, "cursor": cursor, "family_id": family_id},
        )
        assert response.status_code == 200, response.text
        body = response.json()
        for kind, found in body["rows"].items():
            rows.setdefault(kind, []).extend(found)
        removed += body["removed"]
        cursor = body["cursor"]
        if not body["more"]:
            return {"rows": rows, "removed": removed, "cursor": cursor}


async def id_set(query: Any) -> set[str]:
    return {str(i) for i in await query.values_list("id", flat=True)}


def ids_of(rows: list[dict[str, Any]]) -> set[str]:
    return {row["id"] for row in rows}


async def archive_bytes(client: Client, family_id: Any) -> bytes:
    response = await client.get(f"/families/{family_id}/export")
    assert response.status_code == 200
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    return b"".join(archive.read(name) for name in archive.namelist())


async def family_rows(family_id: Any) -> dict[str, int]:
    """How many rows of each kind a family has: what another family's deletion must not change."""
    return {
        model.__name__: await model.filter(family_id=family_id).count()
        for model in (Person, ShoppingList, ListItem, Plan, PlanStep, Trip, TripEvent, Photo)
    } | {
        "memberships": await Membership.filter(family_id=family_id).count(),
        "vouchers": await Voucher.filter(family_id=family_id).count(),
    }


async def another_family(client: Client) -> Any:
    """A family of strangers, with a list, a phone and a synced install."""
    stranger = await make_family(person_name="Stranger Child")
    await make_list(stranger, "Stranger's list", {"1F34E": 1})
    await link_phone(stranger)
    return stranger.family.id


# --- a person --------------------------------------------------------------------------------


async def test_the_delete_page_says_what_goes_and_asks_for_the_name(
    client: Client, other_client: Client
) -> None:
    rich = await rich_family(client, other_client)
    url = f"/people/{rich.person.id}/delete"
    page = await client.get(url)
    assert page.status_code == 200
    text = page.text
    # Counted: 2 lists (one in the bin) with 5 things, 1 plan, 1 trip with 1 note, 1 photo
    # only theirs (the other is on the family list too), 1 linked phone.
    for said in (
        "Shopping lists: 2, with 5 things on them",
        "Trip plans: 1,",
        "Trips: 1, with what happened and the feelings",
        "Notes on these trips: 1",
        "Photos: 1",
        "Linked phones: 1",
    ):
        assert said in text, said
    assert "Zhuzhu Qiao" in text
    before = await table_counts()
    # Not the name: nothing happens, and the page says why.
    for typed in ("", "Zhuzhu", "Hua Lan", "x" * 5000):
        response = await client.submit(url, {"confirm_name": typed})
        assert response.status_code == 400
        assert "To delete, type the name as it is written here: Zhuzhu Qiao" in response.text
    assert await table_counts() == before
    # The name as shown, give or take case and spaces, deletes.
    response = await client.submit(url, {"confirm_name": "  zhuzhu   QIAO "})
    assert response.status_code == 303
    assert response.headers["location"] == f"/families/{rich.family.family.id}/data"
    notice = await client.get(response.headers["location"])
    assert "Zhuzhu Qiao is deleted, with everything of theirs." in notice.text


async def test_nothing_of_a_deleted_person_is_served_by_any_page_export_or_pull(
    app, client: Client, other_client: Client, settings: Settings
) -> None:
    rich = await rich_family(client, other_client)
    ids = rich.ids
    family_id = rich.family.family.id
    stranger_id = await another_family(client)
    stranger_before = await family_rows(stranger_id)
    # Another device of the parent has pulled everything before the deletion.
    async with Client(app) as laptop:
        await laptop.log_in(rich.family.email, rich.family.password)
        laptop.sync_client_id = str(uuid.uuid4())
        before = await pull(laptop, 0, family_id)
        assert str(ids["list"]) in ids_of(before["rows"]["lists"])
        assert str(ids["item"]) in ids_of(before["rows"]["items"])
        their = {
            "lists": {
                str(i)
                for i in await ShoppingList.filter(person=rich.person).values_list("id", flat=True)
            },
            "items": {
                str(i)
                for i in await ListItem.filter(list__person=rich.person).values_list(
                    "id", flat=True
                )
            },
            "plans": {str(ids["plan"])},
            "steps": {
                str(i)
                for i in await PlanStep.filter(plan_id=ids["plan"]).values_list("id", flat=True)
            },
        }
        marks = {r["id"] for r in before["rows"]["marks"] if r["item_id"] in their["items"]}
        assert len(marks) == 2 and len(their["lists"]) == 2
        assert ids["photo_file"] in await stored_bytes(blobs.PHOTOS)
        consents = await ConsentRecord.all().count()

        response = await client.submit(
            f"/people/{rich.person.id}/delete", {"confirm_name": "Zhuzhu Qiao"}
        )
        assert response.status_code == 303

        # Pages: gone (404), the family's own still there.
        for path in (
            f"/people/{rich.person.id}",
            f"/people/{rich.person.id}/trips",
            f"/people/{rich.person.id}/care-record.csv",
            f"/lists/{ids['list']}",
            f"/lists/{ids['binned_list']}",
            f"/plans/{ids['plan']}",
            f"/trips/{ids['trip']}",
            f"/photos/{ids['photo']}",
        ):
            assert (await client.get(path)).status_code == 404, path
        for path in (f"/lists/{ids['shared_list']}", f"/photos/{ids['shared_photo']}"):
            assert (await client.get(path)).status_code == 200, path
        home = await client.get("/home")
        assert "Zhuzhu" not in home.text and "Hua Lan" in home.text
        lists_page = await client.get(f"/families/{family_id}/lists")
        assert "Zhuzhu" not in lists_page.text and "Hua&#39;s list" in lists_page.text
        # The photo only they used: its row and its bytes.
        assert ids["photo_file"] not in await stored_bytes(blobs.PHOTOS)
        assert await Photo.exists(id=ids["shared_photo"])

        # The export: no trace of them.
        everything = await archive_bytes(client, family_id)
        for trace in ("Zhuzhu", str(rich.person.id), str(ids["list"]), str(ids["photo"])):
            assert trace.encode() not in everything, trace
        assert b"Hua Lan" in everything

        # The other device's next pull, from its cursor of before, says what to drop.
        after = await pull(laptop, before["cursor"], family_id)
        removed: dict[str, set[str]] = {}
        for gone in after["removed"]:
            removed.setdefault(gone["kind"], set()).add(gone["id"])
        assert removed == {**their, "marks": marks}
        sent = {row["id"] for rows in after["rows"].values() for row in rows}
        assert not sent & set().union(*their.values())
        # Hua's step no longer opens the deleted list: pulled as a change.
        hua_step = next(r for r in after["rows"]["steps"] if r["id"] == str(ids["hua_step"]))
        assert hua_step["shopping_list_id"] is None
        # A pull from 0 (a new device) has nothing of them, and nothing to remove twice over
        # ids it never had.
        fresh = await pull(laptop, 0, family_id)
        everything_pulled = {row["id"] for rows in fresh["rows"].values() for row in rows}
        assert not everything_pulled & set().union(*their.values())

    # Their phone is no longer linked: its session, pay codes and install are gone.
    assert await DeviceLink.filter(person_id=rich.person.id).count() == 0
    assert await Session.filter(device_id__isnull=False).count() == 0
    assert await PayToken.filter(session__device_id__isnull=False).count() == 0
    gone = await other_client.get(
        "/api/sync/pull", params={"client_id": other_client.sync_client_id, "cursor": 0}
    )
    assert gone.status_code == 401
    me = await other_client.get("/me")
    assert me.status_code == 303 and me.headers["location"].startswith("/login")
    # History and the op log: nothing names their rows; Hua's and the family's stay.
    assert await FieldHistory.filter(family_id=family_id).count() == 0
    named = [op.args for op in await OpLog.filter(family_id=family_id)]
    assert not [a for a in named if str(a.get("item_id")) in their["items"]]
    # Consent records stay, pointing at nobody.
    assert await ConsentRecord.all().count() == consents
    assert await ConsentRecord.filter(family_id=family_id, person_id__isnull=False).count() == 0
    # Money: untouched, and the ledger agrees.
    assert await Voucher.filter(family_id=family_id).count() == 1
    assert await ledger_problems() == []
    # Another family: every row still there.
    assert await family_rows(stranger_id) == stranger_before


async def test_caregivers_phones_and_other_families_cannot_delete(
    app, client: Client, other_client: Client
) -> None:
    rich = await rich_family(client, other_client)
    someone = await make_family()
    targets = (
        f"/people/{rich.person.id}/delete",
        f"/families/{rich.family.family.id}/delete",
    )
    async with Client(app) as caregiver, Client(app) as stranger:
        await caregiver.log_in(rich.caregiver_email, rich.family.password)
        await stranger.log_in(someone.email, someone.password)
        before = await table_counts()
        for url in targets:
            name = "Zhuzhu Qiao" if "people" in url else rich.family.family.name
            assert (await caregiver.submit(url, {"confirm_name": name})).status_code == 403
            assert (await caregiver.get(url)).status_code == 403
            assert (await stranger.submit(url, {"confirm_name": name})).status_code == 404
            assert (await other_client.get(url)).status_code in (403, 404)
    assert await table_counts() == before


# --- a family --------------------------------------------------------------------------------


async def test_deleting_the_family_keeps_its_vouchers_naming_nobody(
    app, client: Client, other_client: Client, settings: Settings
) -> None:
    rich = await rich_family(client, other_client)
    family_id = rich.family.family.id
    stranger_id = await another_family(client)
    stranger_before = await family_rows(stranger_id)
    ledger_before = await LedgerEntry.all().count()
    redemptions_before = await Redemption.all().count()
    files = list(await Photo.filter(family_id=family_id).values_list("file_name", flat=True))
    assert await PayToken.filter(voucher_id=rich.ids["voucher"]).count() > 0
    assert set(files) <= set(await stored_bytes(blobs.PHOTOS)) and len(files) == 2

    page = await client.get(f"/families/{family_id}/delete")
    assert (
        "People: 2" in page.text and "Other parents and caregivers who lose access: 1" in page.text
    )
    assert "Vouchers: 1. They stay in the centre" in page.text
    response = await client.submit(f"/families/{family_id}/delete", {"confirm_name": "nope"})
    assert response.status_code == 400 and await Family.exists(id=family_id)
    response = await client.submit(
        f"/families/{family_id}/delete", {"confirm_name": rich.family.family.name}
    )
    assert response.status_code == 303 and response.headers["location"] == "/home"

    assert not await Family.exists(id=family_id)
    for model in (Person, ShoppingList, ListItem, Plan, Trip, TripNote, Photo, SyncClient):
        assert await model.filter(family_id=family_id).count() == 0, model
    assert not set(files) & set(await stored_bytes(blobs.PHOTOS))
    # The caregiver's membership ended, and the centre's link; the accounts stay.
    assert await Membership.filter(family_id=family_id).count() == 0
    assert await CentreFamily.filter(family_id=family_id).count() == 0
    assert await Account.exists(id=rich.caregiver.id)
    # The voucher, its ledger and the payment stay, naming nobody; the ledger agrees.
    voucher = await Voucher.get(id=rich.ids["voucher"])
    assert voucher.family_id is None and voucher.balance == 3800
    assert await PayToken.filter(voucher_id=voucher.id).count() == 0
    assert await LedgerEntry.all().count() == ledger_before
    assert await Redemption.all().count() == redemptions_before
    assert await ledger_problems() == []
    # Nothing is served: the family's pages, its export, any pull.
    assert (await client.get(f"/families/{family_id}/export")).status_code == 404
    assert (await client.get(f"/lists/{rich.ids['shared_list']}")).status_code == 404
    assert rich.family.family.name not in (await client.get("/home")).text
    response = await client.get(
        "/api/sync/pull",
        params={"client_id": client.sync_client_id, "cursor": 0, "family_id": str(family_id)},
    )
    assert response.status_code == 404
    assert (await other_client.get("/me")).status_code == 303  # the phone: logged out
    assert await family_rows(stranger_id) == stranger_before


async def test_earlier_values_pointing_at_a_deleted_list_or_photo_cannot_break_put_back(
    client: Client,
) -> None:
    """A plan for nobody whose step opened Ming's list and showed Ming's photo; the parent
    changed the step since, so the earlier values point at them. Ming is deleted: those entries
    go with them, and an entry like them (kept from before) puts back an empty field instead of
    failing on the database's link (it answered 500 with IntegrityError, FOREIGN KEY)."""
    family = await make_family(person_name="Ming")
    await client.log_in(family.email, family.password)
    mings = await make_list(family, "Ming's list", {"1F34E": 1})
    photo = await add_photo(client, mings.id, "Ming's cup")
    with i18n.use_locale("en"):
        plan = await plans.create_plan(
            family.family, plan_id=uuid.uuid4(), name="Our shop", template_id="supermarket"
        )
    assert plan.person_id is None
    step = await PlanStep.get(plan=plan, shopping_list_id=mings.id)
    await conflicts.write_fields(
        step, {"photo_id": photo.id}, client_time=clock.now(), writer="parent"
    )
    await conflicts.write_fields(
        step,
        {"shopping_list_id": None, "photo_id": None},
        client_time=clock.now(),
        writer="parent",
    )
    earlier = {
        entry.field: entry.id
        for entry in await FieldHistory.filter(
            parent_id=plan.id, field__in=["shopping_list_id", "photo_id"]
        )
    }
    assert set(earlier) == {"shopping_list_id", "photo_id"}
    response = await client.submit(f"/people/{family.person.id}/delete", {"confirm_name": "Ming"})
    assert response.status_code == 303
    assert not await ShoppingList.exists(id=mings.id) and not await Photo.exists(id=photo.id)

    # The entries went with Ming: the page lists nothing of them, putting one back finds none.
    assert not await FieldHistory.filter(id__in=list(earlier.values())).exists()
    page = await client.get(f"/plans/{plan.id}/history")
    assert page.status_code == 200 and "another list" not in page.text
    for entry_id in earlier.values():
        answer = await client.submit(f"/plans/{plan.id}/history/{entry_id}")
        assert answer.status_code == 404

    # An entry kept from before this was fixed: putting it back empties the field.
    for field, value in (("shopping_list_id", mings.id), ("photo_id", photo.id)):
        left = await FieldHistory.create(
            family_id=family.family.id,
            kind="step",
            row_id=step.id,
            parent_id=plan.id,
            field=field,
            value={"v": str(value)},
            client_time=clock.now(),
            writer="parent",
            reason=HistoryReason.REPLACED,
        )
        await conflicts.write_fields(step, {field: None}, client_time=clock.now(), writer="parent")
        answer = await client.submit(f"/plans/{plan.id}/history/{left.id}")
        assert answer.status_code == 303, answer.text
        step = await PlanStep.get(id=step.id)
        assert getattr(step, field) is None
        assert (await FieldHistory.get(id=left.id)).put_back_at is not None
    assert (await client.get(f"/plans/{plan.id}")).status_code == 200


# --- an account ------------------------------------------------------------------------------


async def test_the_only_parent_chooses_what_becomes_of_the_family(
    app, client: Client, other_client: Client
) -> None:
    rich = await rich_family(client, other_client)
    family_id = rich.family.family.id
    page = await client.get("/account/delete")
    assert page.status_code == 200
    assert f"You are the only parent of {rich.family.family.name}. What becomes of it?" in page.text
    before = await table_counts()
    # Without a choice, or without the name: nothing happens, and the page says why.
    response = await client.submit("/account/delete", {"confirm_name": "Parent"})
    assert response.status_code == 400
    assert f"Choose what becomes of the family {rich.family.family.name}." in response.text
    response = await client.submit(
        "/account/delete", {"confirm_name": "Someone", f"family-{family_id}": "keep"}
    )
    assert (
        response.status_code == 400
        and "type the name as it is written here: Parent" in response.text
    )
    assert await table_counts() == before

    response = await client.submit(
        "/account/delete", {"confirm_name": "parent", f"family-{family_id}": "keep"}
    )
    assert response.status_code == 303 and response.headers["location"] == "/login"
    assert response.headers["clear-site-data"] == '"cache", "storage"'
    assert not await Account.exists(id=rich.family.guardian.id)
    # Logged out here and everywhere.
    assert await Session.filter(account_id=rich.family.guardian.id).count() == 0
    assert (await client.get("/home")).status_code == 303
    # The family stays for a new parent: its people, lists, the caregiver, who stays revocable.
    assert await Family.exists(id=family_id)
    assert await Person.filter(family_id=family_id).count() == 2
    invitation = await Invitation.get(family_id=family_id, accepted_by_id=rich.caregiver.id)
    assert invitation.created_by_id == rich.caregiver.id
    assert await Membership.filter(family_id=family_id, role=Role.CAREGIVER).count() == 1
    # The phone links it made ended with it (no other parent to take them over), and say so.
    assert await DeviceLink.filter(person__family_id=family_id).count() == 0
    assert (await other_client.get("/me")).status_code == 303
    assert await ledger_problems() == []


async def test_without_a_centre_the_only_parents_family_cannot_be_kept(
    client: Client, other_client: Client
) -> None:
    """Kept with no centre to invite a new parent and no other parent, the child's data could
    be reached by nobody: not exported, not deleted, not purged. The page offers no "keep"
    then, says the family goes, and a "keep" sent anyway (a page from before the centre left)
    is refused in words; deleting takes the family with the account."""
    rich = await rich_family(client, other_client)
    family_id = rich.family.family.id
    name = rich.family.family.name
    await CentreFamily.filter(family_id=family_id).delete()
    page = await client.get("/account/delete")
    assert page.status_code == 200
    assert 'value="keep"' not in page.text and "Keep the family for a new parent" not in page.text
    said = f"No centre works with {name}, so nobody could invite a new parent"
    assert html.escape(said) in page.text
    before = await table_counts()
    response = await client.submit(
        "/account/delete", {"confirm_name": "Parent", f"family-{family_id}": "keep"}
    )
    assert response.status_code == 400 and html.escape(said) in response.text
    assert await table_counts() == before
    # No choice to make: the name is enough, and the family goes with the account.
    response = await client.submit("/account/delete", {"confirm_name": "Parent"})
    assert response.status_code == 303
    assert not await Account.exists(id=rich.family.guardian.id)
    assert not await Family.exists(id=family_id)
    assert not await Person.filter(family_id=family_id).exists()
    assert await ledger_problems() == []


async def test_with_a_centre_keep_is_offered(client: Client, other_client: Client) -> None:
    rich = await rich_family(client, other_client)
    assert await CentreFamily.exists(family_id=rich.family.family.id)
    page = await client.get("/account/delete")
    assert 'value="keep"' in page.text and 'value="delete"' in page.text
    assert "No centre works with" not in page.text


async def test_deleting_the_account_and_its_family(client: Client, other_client: Client) -> None:
    rich = await rich_family(client, other_client)
    family_id = rich.family.family.id
    response = await client.submit(
        "/account/delete", {"confirm_name": "Parent", f"family-{family_id}": "delete"}
    )
    assert response.status_code == 303
    assert not await Family.exists(id=family_id)
    assert not await Account.exists(id=rich.family.guardian.id)
    voucher = await Voucher.get(id=rich.ids["voucher"])
    assert voucher.family_id is None
    assert await ledger_problems() == []
    # The caregiver's account stays, with no family.
    assert await Account.exists(id=rich.caregiver.id)
    assert await Membership.filter(account_id=rich.caregiver.id).count() == 0


async def test_with_another_parent_the_family_and_its_phone_stay(
    app, client: Client, other_client: Client
) -> None:
    rich = await rich_family(client, other_client)
    family_id = rich.family.family.id
    second, second_email = await make_account("Second Parent")
    await Membership.create(account=second, family_id=family_id, role=Role.GUARDIAN)
    await consent.record(second, occasion="sign_up", family_id=family_id)
    # A note the first parent wrote: it stays, without the name.
    trip = await Trip.get(id=rich.ids["trip"])
    await trips.add_note(trip, note_id=uuid.uuid4(), account=rich.family.guardian, text="Good day.")
    page = await client.get("/account/delete")
    assert "only parent" not in page.text and rich.family.family.name in page.text
    response = await client.submit("/account/delete", {"confirm_name": "Parent"})
    assert response.status_code == 303
    # The phone stays linked: its link is the second parent's now.
    link = await DeviceLink.get(person_id=rich.person.id)
    assert link.created_by_id == second.id
    me = await other_client.get("/me")
    assert me.status_code == 200
    note = await TripNote.get(text="Good day.")
    assert note.account_id is None and note.author_name == "—"
    async with Client(app) as other_parent:
        await other_parent.log_in(second_email, rich.family.password)
        assert (await other_parent.get(f"/people/{rich.person.id}")).status_code == 200


async def test_a_person_with_their_own_account_keeps_it(client: Client) -> None:
    """An adult who is their own parent: deleting them as a person (from their own family's
    page) leaves their log-in, as the page says; their pay codes go."""
    from pwa.accounts import services as accounts

    adult = await accounts.sign_up_self(
        email="adult@example.test",
        password="correct-horse-battery",
        name="Adult Lee",
        phone="",
        locale="en",
    )
    person = await Person.get(account=adult)
    await consent.record(adult, occasion="sign_up", family_id=person.family_id)
    await client.log_in("adult@example.test", "correct-horse-battery")
    page = await client.get(f"/people/{person.id}/delete")
    assert "has their own log-in. It stays" in page.text
    response = await client.submit(f"/people/{person.id}/delete", {"confirm_name": "Adult Lee"})
    assert response.status_code == 303
    assert not await Person.exists(id=person.id)
    assert await Account.exists(id=adult.id)
    assert (await client.get("/home")).status_code == 200
