"""App hosts that share nothing but the database (issue 19, item 4; docs/DEPLOY.md, "Several
app processes on one PostgreSQL"): two `python -m pwa serve` processes, each with its own data
folder, on one database with the same SECRET_KEY and VAPID_PRIVATE_KEY. A photo and a voice
clip sent to one are served by the other to the same session, and nothing is written to either
data folder.

The database is the run's (tests/databases.py): PostgreSQL on `make test`'s PostgreSQL pass,
where the two hosts are what DEPLOY.md describes; on the SQLite pass both processes open one
SQLite file, which shows the same thing on one machine.
"""

from __future__ import annotations

import base64
import io
import os
import re
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from PIL import Image
from tortoise import Tortoise

from pwa import ROOT
from pwa.db import tortoise_config
from pwa.models import PlanStep
from tests import databases
from tests.conftest import CSRF_RE
from tests.factories import FamilyFixture, jpeg_bytes, make_family, make_list, make_plan
from tests.html import find_form
from tests.test_clips import SHORT
from tests.test_limits import free_port


def vapid_pair() -> tuple[str, str]:
    """A Web Push key as VAPID_PRIVATE_KEY takes it, and the public key browsers are given."""
    key = ec.generate_private_key(ec.SECP256R1())
    raw = key.private_numbers().private_value.to_bytes(32, "big")
    public = key.public_key().public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    encode = base64.urlsafe_b64encode
    return encode(raw).rstrip(b"=").decode(), encode(public).rstrip(b"=").decode()


@contextmanager
def host(data_dir: Path, shared: dict[str, str]) -> Iterator[str]:
    """`python -m pwa serve` with its own data folder and the shared settings; its address."""
    port = free_port()
    env = {**os.environ, **shared, "DATA_DIR": str(data_dir), "PYTHONUNBUFFERED": "1"}
    process = subprocess.Popen(
        [sys.executable, "-m", "pwa", "serve", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the app at {url} did not start")
            time.sleep(0.1)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)


async def _a_family(database_url: str) -> tuple[FamilyFixture, uuid.UUID, PlanStep]:
    await Tortoise.init(config=tortoise_config(database_url))
    try:
        family = await make_family()
        shopping_list = await make_list(family)
        plan = await make_plan(family)
        step = await PlanStep.filter(plan=plan, deleted_at=None).order_by("position").first()
        assert step is not None
        return family, shopping_list.id, step
    finally:
        await Tortoise.close_connections()


def form_token(http: httpx.Client) -> str:
    match = CSRF_RE.search(http.get("/help").text)
    assert match
    return match.group(1)


def test_a_photo_and_a_clip_sent_to_one_host_are_served_by_the_other(
    tmp_path: Path, database_url: str
) -> None:
    family, list_id, step = databases.run(_a_family(database_url))
    private, public = vapid_pair()
    # What every app process is given alike (docs/DEPLOY.md); DATA_DIR is each one's own.
    shared = {
        "DATABASE_URL": database_url,
        "SECRET_KEY": "one-secret-for-every-app-process-" + uuid.uuid4().hex,
        "VAPID_PRIVATE_KEY": private,
    }
    folder_a, folder_b = tmp_path / "host-a", tmp_path / "host-b"
    folder_a.mkdir()
    folder_b.mkdir()
    with (
        host(folder_a, shared) as url_a,
        host(folder_b, shared) as url_b,
        httpx.Client(base_url=url_a, headers={"Accept-Language": "en"}) as on_a,
    ):
        # The parent logs in on host A and adds a photo through the page's form.
        login = {"csrf_token": form_token(on_a), "email": family.email}
        assert on_a.post("/login", data={**login, "password": family.password}).status_code == 303
        photo_page = f"/lists/{list_id}/photos/new"
        form = find_form(on_a.get(photo_page).text, photo_page)
        original = jpeg_bytes(1200, 900)
        sent = on_a.post(
            form.action,
            data={**form.fields, "label": "Blue cup", "area": "household"},
            files={"photo": ("cup.jpg", original, "image/jpeg")},
        )
        assert sent.status_code == 303, sent.text
        photo_url = f"/photos/{form.fields['photo_id']}"
        from_a = on_a.get(photo_url)
        assert from_a.status_code == 200

        # And a voice clip for a step of the trip plan, through the step's voice form.
        step_page = f"/plans/{step.plan_id}/steps/{step.id}"
        voice = find_form(on_a.get(step_page).text, f"{step_page}/voice")
        recorded = on_a.post(
            voice.action,
            data={k: v for k, v in voice.fields.items() if k != "clip"},
            files={"clip": ("voice.webm", SHORT, "audio/webm")},
        )
        assert recorded.status_code == 303
        clip_url = re.search(r"/clips/[0-9a-f-]{36}", on_a.get(step_page).text)
        assert clip_url, "the step's page offers the recording"
        heard_on_a = on_a.get(clip_url.group(0))
        assert heard_on_a.status_code == 200

        # The same browser (its session cookie) on host B: the same bytes, the same headers.
        with httpx.Client(base_url=url_b, cookies=on_a.cookies) as on_b:
            from_b = on_b.get(photo_url)
            assert from_b.status_code == 200 and from_b.content == from_a.content
            for header in ("content-type", "etag", "cache-control", "last-modified"):
                assert from_b.headers[header] == from_a.headers[header], header
            with Image.open(io.BytesIO(from_b.content)) as picture:
                assert picture.size == (1024, 768)
            heard_on_b = on_b.get(clip_url.group(0))
            assert heard_on_b.status_code == 200 and heard_on_b.content == heard_on_a.content
            assert heard_on_b.headers["content-type"] == "audio/ogg"
            part = on_b.get(clip_url.group(0), headers={"Range": "bytes=0-99"})
            assert part.status_code == 206 and part.content == heard_on_a.content[:100]
            # Alerts: both hosts give browsers the key of the shared setting.
            key_url = f"/api/people/{family.person.id}/alerts/key"
            assert on_b.get(key_url).json() == on_a.get(key_url).json()
            assert on_b.get(key_url).json() == {"key": public}

            # Logging out on B ends the session on A too (sessions are rows, pwa/auth).
            logged_out = on_b.post("/logout", data={"csrf_token": form_token(on_b)})
            assert logged_out.status_code == 303
        after = on_a.get(photo_url)
        assert after.status_code == 303 and after.headers["location"].startswith("/login")

    # Nothing was written to either host's data folder: no photo, clip, key or secret.
    assert list(folder_a.iterdir()) == list(folder_b.iterdir()) == []
