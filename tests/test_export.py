"""A guardian downloads everything the family holds as one zip (issue 16, item 6): it opens,
holds the lists, trips and photos (the photos' own bytes), the care record as the page gives
it, no secret of the app, and nothing of another family; nobody but a guardian gets it."""

from __future__ import annotations

import io
import json
import threading
import tracemalloc
import uuid
import zipfile
from pathlib import Path

from pwa.core import blobs
from pwa.family import export
from pwa.models import Account, DeviceLink, Invitation, Membership, Photo, Role, Session
from pwa.settings import Settings
from tests.conftest import Client
from tests.factories import (
    PASSWORD,
    link_phone,
    make_account,
    make_caregiver,
    make_family,
    make_list,
    stored_bytes,
)
from tests.family_data import add_photo, rich_family


def open_archive(body: bytes) -> zipfile.ZipFile:
    archive = zipfile.ZipFile(io.BytesIO(body))
    assert archive.testzip() is None, "every member's CRC is right"
    return archive


def read_json(archive: zipfile.ZipFile, name: str):
    return json.loads(archive.read(name))


async def test_the_archive_holds_the_familys_lists_trips_photos_and_care_record(
    client: Client, other_client: Client, settings: Settings
) -> None:
    rich = await rich_family(client, other_client)
    response = await client.get(f"/families/{rich.family.family.id}/export")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/zip"
    assert "attachment" in response.headers["content-disposition"]
    assert response.headers["cache-control"] == "private, no-store"
    assert int(response.headers["content-length"]) == len(response.content)
    archive = open_archive(response.content)
    names = set(archive.namelist())
    assert {
        "README.txt",
        "family.json",
        "lists.json",
        "plans.json",
        "boards.json",
        "trips.json",
        "feelings.json",
        "vouchers.json",
        "consents.json",
        "phones.json",
        "photos.json",
        "clips.json",
        "history.json",
        "changes_sent.json",
    } <= names

    family = read_json(archive, "family.json")
    assert family["family"]["name"] == rich.family.family.name
    assert {p["display_name"] for p in family["people"]} == {"Zhuzhu Qiao", "Hua Lan"}
    members = {m["name"]: m for m in family["members"]}
    assert members["Parent"]["email"] == rich.family.email
    assert members["Parent"]["role"] == "guardian" and members["Teacher"]["role"] == "caregiver"
    # Another member: who they are and since when, never how to reach them.
    assert set(members["Teacher"]) == {"name", "role", "member_since"}

    shopping = {x["name"]: x for x in read_json(archive, "lists.json")}
    assert {"Zhuzhu's shop", "Family list", "Hua's list", "Zhuzhu's old list"} <= set(shopping)
    # A list in the bin is there, marked deleted.
    assert shopping["Zhuzhu's old list"]["deleted_at"]
    apples = next(i for i in shopping["Zhuzhu's shop"]["items"] if i["pictogram"] == "1F34E")
    assert apples["quantity"] == 2 and apples["note"] == "green ones"
    assert {m["state"] for m in apples["marks"]} == {"ticked", "not_found"}

    trips = read_json(archive, "trips.json")
    assert [t["plan_name"] for t in trips] == ["Zhuzhu's supermarket"]
    assert {e["kind"] for e in trips[0]["events"]} >= {"start", "feeling_before", "step_done"}
    assert trips[0]["notes"][0]["text"] == "Zhuzhu asked for help kindly."
    assert read_json(archive, "feelings.json")[0]["feeling"] == "worried"

    # Each photo's file, byte for byte as the app keeps it.
    photos = read_json(archive, "photos.json")
    assert len(photos) == 2
    for photo in photos:
        stored = await Photo.get(id=photo["id"])
        kept = (await stored_bytes(blobs.PHOTOS))[stored.file_name]
        assert archive.read(photo["file"]) == kept
        assert photo["file"] == f"photos/{photo['id']}.jpg"

    vouchers = read_json(archive, "vouchers.json")
    assert vouchers[0]["face_value"] == 5000 and vouchers[0]["balance"] == 3800
    assert [e["kind"] for e in vouchers[0]["ledger"]] == ["issue", "redeem"]
    phones = read_json(archive, "phones.json")
    assert phones and phones[0]["person"] == "Zhuzhu Qiao" and phones[0]["claimed_at"]
    assert read_json(archive, "consents.json")[0]["for_person"] == "Zhuzhu Qiao"

    # The care record: the same file as the person's page gives.
    for person in (rich.person, rich.other):
        page = await client.get(f"/people/{person.id}/care-record.csv")
        assert archive.read(f"csv/care-record-{person.id}.csv") == page.content
    assert b"Zhuzhu's supermarket" in archive.read(f"csv/care-record-{rich.person.id}.csv")
    readme = archive.read("README.txt").decode()
    assert "lists.json" in readme and "clips.json" in readme


async def test_other_members_contacts_are_not_in_it(app, client: Client) -> None:
    """No page shows a caregiver's or a co-parent's email, mobile or phone: the archive shows
    each parent their own contacts and, of everyone else, the name, role and when they joined."""
    family = await make_family(person_name="Ming")
    caregiver, caregiver_email = await make_caregiver(family)
    co_parent, co_email = await make_account("Co-parent")
    await Membership.create(family=family.family, account=co_parent, role=Role.GUARDIAN)
    await Account.filter(id=caregiver.id).update(mobile="13800138001", phone="021-5550101")
    await Account.filter(id=co_parent.id).update(mobile="13900139002", phone="021-5550202")
    await Account.filter(id=family.guardian.id).update(mobile="13700137003", phone="021-5550303")
    await client.log_in(family.email, family.password)
    mine = open_archive((await client.get(f"/families/{family.family.id}/export")).content)
    everything = b"".join(mine.read(name) for name in mine.namelist())
    for theirs in (caregiver_email, "13800138001", "021-5550101", co_email, "13900139002"):
        assert theirs.encode() not in everything, theirs
    members = {m["name"]: m for m in read_json(mine, "family.json")["members"]}
    assert members["Parent"]["email"] == family.email
    assert members["Parent"]["mobile"] == "13700137003"
    assert members["Parent"]["phone"] == "021-5550303"
    for name, role in (("Teacher", "caregiver"), ("Co-parent", "guardian")):
        assert set(members[name]) == {"name", "role", "member_since"}
        assert members[name]["role"] == role
    # The co-parent's archive: theirs in full, the first parent's not at all.
    async with Client(app) as other:
        await other.log_in(co_email, PASSWORD)
        archive = open_archive((await other.get(f"/families/{family.family.id}/export")).content)
        everything = b"".join(archive.read(name) for name in archive.namelist())
        for theirs in (family.email, "13700137003", "021-5550303", caregiver_email):
            assert theirs.encode() not in everything, theirs
        members = {m["name"]: m for m in read_json(archive, "family.json")["members"]}
        assert members["Co-parent"]["email"] == co_email
        assert members["Co-parent"]["mobile"] == "13900139002"
        assert set(members["Parent"]) == {"name", "role", "member_since"}


async def test_the_archive_holds_no_secret_of_the_app(client: Client, other_client: Client) -> None:
    rich = await rich_family(client, other_client)
    # An open phone link and an open invitation: their code and token hashes exist.
    await link_phone(rich.family)
    archive = open_archive((await client.get(f"/families/{rich.family.family.id}/export")).content)
    everything = b"".join(archive.read(name) for name in archive.namelist())
    secrets = [rich.family.guardian.password_hash, rich.caregiver.password_hash]
    secrets += [h for h in await DeviceLink.all().values_list("code_hash", flat=True) if h]
    secrets += await Invitation.all().values_list("token_hash", flat=True)
    secrets += await Session.all().values_list("key_hash", flat=True)
    assert len(secrets) >= 6
    for secret in secrets:
        assert secret.encode() not in everything
    for word in (b"password", b"code_hash", b"token_hash", b"key_hash", b"p256dh"):
        assert word not in everything


async def test_only_the_familys_own_rows_are_in_it(client: Client, other_client: Client) -> None:
    rich = await rich_family(client)
    stranger = await make_family(person_name="Stranger Child")
    theirs = await make_list(stranger, "Stranger's secret list", {"1F34E": 1})
    await other_client.log_in(stranger.email, stranger.password)
    their_photo = await add_photo(other_client, theirs.id, "Stranger's mug")
    archive = open_archive((await client.get(f"/families/{rich.family.family.id}/export")).content)
    everything = b"".join(archive.read(name) for name in archive.namelist())
    for trace in (
        b"Stranger",
        str(stranger.family.id).encode(),
        str(theirs.id).encode(),
        str(their_photo.id).encode(),
        stranger.email.encode(),
    ):
        assert trace not in everything, trace
    # And the stranger's archive holds theirs, not ours.
    mine = open_archive((await other_client.get(f"/families/{stranger.family.id}/export")).content)
    assert [x["name"] for x in read_json(mine, "lists.json")] == ["Stranger's secret list"]
    assert b"Zhuzhu" not in b"".join(mine.read(name) for name in mine.namelist())


async def test_caregivers_phones_and_other_families_cannot_export(
    app, client: Client, other_client: Client
) -> None:
    rich = await rich_family(client, other_client)
    family_id = rich.family.family.id
    # The phone (other_client) and the caregiver: not allowed; another family: not there.
    for path in (f"/families/{family_id}/export", f"/families/{family_id}/data"):
        assert (await other_client.get(path)).status_code in (403, 404)
    async with Client(app) as caregiver:
        await caregiver.log_in(rich.caregiver_email, rich.family.password)
        for path in (f"/families/{family_id}/export", f"/families/{family_id}/data"):
            assert (await caregiver.get(path)).status_code == 403
        home = await caregiver.get("/home")
        assert "Your family's data" not in home.text
    async with Client(app) as stranger:
        someone = await make_family()
        await stranger.log_in(someone.email, someone.password)
        assert (await stranger.get(f"/families/{family_id}/export")).status_code == 404
        assert (await stranger.get(f"/families/{uuid.uuid4()}/export")).status_code == 404
    async with Client(app) as nobody:
        response = await nobody.get(f"/families/{family_id}/export")
        assert response.status_code == 303 and response.headers["location"].startswith("/login")
    # The guardian finds it from the family home.
    home = await client.get("/home")
    assert f"/families/{family_id}/data" in home.text
    page = await client.get(f"/families/{family_id}/data")
    assert page.status_code == 200 and f"/families/{family_id}/export" in page.text


async def test_hundreds_of_photos_are_never_in_memory_at_once(
    client: Client, settings: Settings, tmp_path: Path
) -> None:
    """200 photos of 100 KB (20 MB) go into the archive with Python's memory up by far less
    than that: one photo's bytes at a time (tracemalloc counts every Python allocation, the
    bytes read from the database too). The file is then sent in pieces (export.reader)."""
    family = await make_family()
    await client.log_in(family.email, family.password)
    sizes = {}
    for n in range(200):
        name = f"{uuid.uuid4().hex}.jpg"
        data = bytes([n % 251]) * 1000 + uuid.uuid4().bytes * 6_000
        await blobs.put(blobs.key(blobs.PHOTOS, name), data, blobs.JPEG)
        photo = await Photo.create(
            id=uuid.uuid4(),
            family=family.family,
            label=f"photo {n}",
            area="household",
            file_name=name,
            width=10,
            height=10,
        )
        sizes[f"photos/{photo.id}.jpg"] = len(data)
    target = tmp_path / "archive.zip"
    # Once untraced: what loads once per process (Babel's locale data, 4 MB) is not per photo.
    guardian = family.guardian
    await export.write_archive(family.family, tmp_path / "first.zip", caller=guardian)
    tracemalloc.start()
    try:
        await export.write_archive(family.family, target, caller=guardian)
        _now, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    archive = open_archive(target.read_bytes())
    assert {n: archive.getinfo(n).file_size for n in sizes} == sizes
    total = sum(sizes.values())
    assert total > 19_000_000
    assert peak < total / 10, peak
    # Through the page too, the same archive.
    response = await client.get(f"/families/{family.family.id}/export")
    assert set(open_archive(response.content).namelist()) == set(archive.namelist())


async def test_the_zip_is_compressed_and_written_off_the_event_loop(
    client: Client, other_client: Client, tmp_path: Path, settings: Settings, monkeypatch
) -> None:
    """Compressing and writing the archive is CPU and disk work: done on the event loop, a
    large family's export would stall every other request. Every write into the zip (zlib
    compresses as it is written) and its closing run in another thread."""
    rich = await rich_family(client, other_client)
    loop_thread = threading.get_ident()
    on_loop: list[str] = []
    off_loop: list[str] = []

    def watch(cls: type, name: str) -> None:
        original = getattr(cls, name)

        def watched(self, *args, **kwargs):
            # (A ZipFile already closed, collected later, calls close() again: nothing to do.)
            if getattr(self, "fp", True) is not None:
                (on_loop if threading.get_ident() == loop_thread else off_loop).append(name)
            return original(self, *args, **kwargs)

        monkeypatch.setattr(cls, name, watched)

    watch(zipfile._ZipWriteFile, "write")
    watch(zipfile._ZipWriteFile, "close")
    watch(zipfile.ZipFile, "close")
    watch(zipfile.ZipFile, "open")
    target = tmp_path / "archive.zip"
    await export.write_archive(rich.family.family, target, caller=rich.family.guardian)
    assert on_loop == []
    assert {"write", "close", "open"} <= set(off_loop)
    # And the archive is whole.
    archive = open_archive(target.read_bytes())
    assert len(read_json(archive, "photos.json")) == 2
    assert read_json(archive, "lists.json")
