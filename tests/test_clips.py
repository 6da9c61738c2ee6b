"""A guardian's voice clips (issue 18, item 2): only real recordings up to 15 seconds and 512 KB,
stored with nothing but the sound, served to their family only, and read aloud on the phone.

The recordings in tests/fixtures/ were made by Chromium's MediaRecorder from its fake microphone
(WebM with Opus in it, as the guardian's browser sends them): 2 s and 16.5 s."""

from __future__ import annotations

import io
import json
import re
import zipfile
from pathlib import Path

import pytest
from mutagen.oggopus import OggOpus

from pwa.clips import opus
from pwa.core import blobs
from pwa.family import deletion
from pwa.models import Clip, ListItem, Person, PlanStep
from pwa.settings import Settings
from tests.conftest import Client
from tests.factories import (
    jpeg_bytes,
    link_phone,
    make_family,
    make_list,
    make_plan,
    stored_bytes,
)
from tests.html import find_form

FIXTURES = Path(__file__).parent / "fixtures"
SHORT = (FIXTURES / "voice-2s.webm").read_bytes()
LONG = (FIXTURES / "voice-16s.webm").read_bytes()


def with_secret(webm: bytes) -> bytes:
    """The recording with words hidden in it (an EBML Void element after its header), as a
    file could carry a name or a place: they must not reach the stored clip."""
    header_size = opus._vint(webm, 4, keep_marker=False)
    end = header_size[1] + header_size[0]
    secret = b"Secret place 39.9N 116.4E"
    return webm[:end] + bytes([0xEC, 0x80 | len(secret)]) + secret + webm[end:]


async def stored() -> dict[str, bytes]:
    """The clips' bytes in the database, by file name."""
    return await stored_bytes(blobs.CLIPS)


async def send(
    client: Client, page_url: str, data: bytes, name: str = "voice.webm"
) -> tuple[int, str]:
    """Send a recording with the voice form of a page; (status, the page it leads back to)."""
    page = await client.get(page_url)
    action = re.search(r'action="([^"]+/voice)"', page.text)
    assert action, "the page has the voice form"
    form = find_form(page.text, action.group(1))
    response = await client.post(
        form.action,
        data={k: v for k, v in form.fields.items() if k != "clip"},
        files={"clip": (name, data, "audio/webm")},
    )
    back = await client.get(response.headers["location"]) if response.status_code == 303 else None
    return response.status_code, back.text if back else response.text


async def step_of(family) -> tuple[str, PlanStep]:
    plan = await make_plan(family)
    step = await PlanStep.filter(plan=plan, deleted_at=None).order_by("position").first()
    assert step is not None
    return f"/plans/{plan.id}/steps/{step.id}", step


async def test_a_recording_keeps_only_its_sound_and_is_heard_by_the_family_only(
    app, client: Client, other_client: Client, settings: Settings
) -> None:
    family = await make_family()
    await client.log_in(family.email, family.password)
    page_url, step = await step_of(family)
    status, page = await send(client, page_url, with_secret(SHORT))
    assert status == 303
    assert "Your recording is saved." in page
    await step.refresh_from_db()
    clip = await Clip.get(id=step.clip_id)
    assert clip.family_id == family.family.id and clip.mime == "audio/ogg"
    assert 1800 <= clip.duration_ms <= 2200  # read from the sound itself
    [(name, kept)] = (await stored()).items()
    assert name == clip.file_name and name != "voice.webm"
    assert f"/clips/{clip.id}" in page  # the guardian can listen to it, and delete it

    served = await client.get(f"/clips/{clip.id}")
    assert served.status_code == 200
    assert served.headers["content-type"] == "audio/ogg"
    assert b"Secret place" not in served.content and b"Secret place" not in kept
    audio = OggOpus(io.BytesIO(served.content))
    assert abs(audio.info.length - clip.duration_ms / 1000) < 0.05
    assert not list(audio.tags or [])  # an empty comment header
    # The audio element asks for parts (Safari plays nothing from a server that cannot answer).
    part = await client.get(f"/clips/{clip.id}", headers={"Range": "bytes=100-199"})
    assert part.status_code == 206 and part.content == served.content[100:200]
    assert part.headers["content-range"] == f"bytes 100-199/{len(served.content)}"

    # The person's phone gets it (and may keep it offline), and "Read aloud" is told of it.
    async with Client(app) as phone:
        await phone.link_phone(await link_phone(family))
        heard = await phone.get(f"/clips/{clip.id}")
        assert heard.status_code == 200 and heard.content == served.content
        assert heard.headers.get("X-Startrip-Offline") == "keep"
        trip = await phone.get(f"/plans/{step.plan_id}/go")
        data = json.loads(re.search(r'id="trip-data"[^>]*>(.*?)</script>', trip.text, re.S)[1])
        assert f"/clips/{clip.id}" in [s.get("clip") for s in data["steps"]]

    # Another family: as if it were not there.
    stranger = await make_family()
    await other_client.log_in(stranger.email, stranger.password)
    assert (await other_client.get(f"/clips/{clip.id}")).status_code == 404
    # And the guardian deletes it: the row and its bytes go.
    form = find_form(page, f"{page_url}/voice", do="delete")
    await client.post(form.action, data=form.fields)
    await step.refresh_from_db()
    assert step.clip_id is None and await Clip.all().count() == 0 and await stored() == {}


@pytest.mark.parametrize(
    ("name", "data", "reason"),
    [
        ("picture.webm", jpeg_bytes(), "This file is not a voice recording we can use."),
        ("noise.webm", bytes(range(256)) * 40, "This file is not a voice recording we can use."),
        ("broken.webm", SHORT[: len(SHORT) // 2] + b"\xff" * 64, "not a voice recording"),
        ("long.webm", LONG, "The recording is too long. It can be at most 15 seconds."),
        ("big.webm", SHORT + b"\0" * (512 * 1024), "The recording is too big. It can be at most"),
    ],
)
async def test_what_is_not_a_short_recording_is_refused_and_nothing_is_stored(
    client: Client, settings: Settings, name: str, data: bytes, reason: str
) -> None:
    family = await make_family()
    await client.log_in(family.email, family.password)
    page_url, step = await step_of(family)
    status, page = await send(client, page_url, data, name)
    assert status == 303
    assert reason in page
    await step.refresh_from_db()
    assert step.clip_id is None
    assert await Clip.all().count() == 0 and await stored() == {}


async def test_the_reason_is_in_chinese_on_a_chinese_page(app, settings: Settings) -> None:
    family = await make_family()
    async with Client(app, locale="zh-CN") as client:
        await client.log_in(family.email, family.password)
        await client.submit("/account", {"name": "Parent", "phone": "", "locale": "zh_Hans"})
        page_url, _step = await step_of(family)
        _status, page = await send(client, page_url, LONG)
        assert "录音太长" in page
        _status, page = await send(client, page_url, b"hello")
        assert "这个文件不是" in page
    assert await Clip.all().count() == 0 and await stored() == {}


async def test_an_ogg_recording_loses_its_tags(client: Client, settings: Settings) -> None:
    """Firefox and Android's recorders make Ogg Opus: its comments (a name, a place) go."""
    family = await make_family()
    await client.log_in(family.email, family.password)
    ogg, _samples = opus.to_ogg(opus.from_webm(SHORT))
    tagged = OggOpus(io.BytesIO(ogg))
    tagged["artist"] = ["Secret Singer"]
    out = io.BytesIO(ogg)
    tagged.save(out)
    assert b"Secret Singer" in out.getvalue()
    page_url, step = await step_of(family)
    status, _page = await send(client, page_url, out.getvalue(), "voice.ogg")
    assert status == 303
    await step.refresh_from_db()
    served = await client.get(f"/clips/{step.clip_id}")
    assert b"Secret Singer" not in served.content


async def test_an_item_and_the_help_card_get_a_voice_too(app, client: Client) -> None:
    family = await make_family()
    await client.log_in(family.email, family.password)
    shopping_list = await make_list(family, pictures={"1F34E": 1})
    item = await ListItem.get(list=shopping_list)
    status, _page = await send(client, f"/lists/{shopping_list.id}/items/{item.id}", SHORT)
    assert status == 303
    await item.refresh_from_db()
    assert item.clip_id is not None
    status, _page = await send(client, f"/people/{family.person.id}/help-card", SHORT)
    assert status == 303
    person = await Person.get(id=family.person.id)
    assert person.help_clip_id is not None
    async with Client(app) as phone:
        await phone.link_phone(await link_phone(family))
        shop = await phone.get(f"/lists/{shopping_list.id}/shop")
        assert f"/clips/{item.clip_id}" in shop.text
        help_card = await phone.get("/me/help")
        assert f'data-clip="/clips/{person.help_clip_id}"' in help_card.text


async def test_the_clips_go_with_their_person_and_with_their_family(
    client: Client, settings: Settings
) -> None:
    family = await make_family()
    await client.log_in(family.email, family.password)
    page_url, _step = await step_of(family)
    await send(client, page_url, SHORT)
    await send(client, f"/people/{family.person.id}/help-card", SHORT)
    assert len(await stored()) == 2
    await deletion.delete_person(await Person.get(id=family.person.id))
    assert await Clip.all().count() == 0 and await stored() == {}

    other = await make_family()
    await client.log_in(other.email, other.password)
    other_step_url, _step = await step_of(other)
    await send(client, other_step_url, SHORT)
    assert len(await stored()) == 1
    await deletion.delete_family(other.family)
    assert await Clip.all().count() == 0 and await stored() == {}


async def test_the_familys_download_holds_its_clips(client: Client, settings: Settings) -> None:
    family = await make_family()
    await client.log_in(family.email, family.password)
    page_url, step = await step_of(family)
    await send(client, page_url, SHORT)
    await step.refresh_from_db()
    response = await client.get(f"/families/{family.family.id}/export")
    assert response.status_code == 200
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    [clip] = json.loads(archive.read("clips.json"))
    assert clip["id"] == str(step.clip_id)
    assert clip["for"] == {"kind": "step", "id": str(step.id)}
    assert archive.read(clip["file"]) == (await client.get(f"/clips/{step.clip_id}")).content
    assert (
        "clips.json and the folder clips: the voice recordings (1)"
        in archive.read("README.txt").decode()
    )
