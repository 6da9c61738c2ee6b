"""Alerts for guardians (pwa/review/services.py): a browser subscribes; when the phone's trip starts
and the help card is shown, the server sends an encrypted Web Push message to the browser's push
service (here a stand-in on this machine), which says only what happened."""

from __future__ import annotations

import base64
import dataclasses
import json
import os
import subprocess
import sys
import threading
import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import http_ece
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from pwa import ROOT
from pwa.models import PushSubscription
from pwa.review import services as review
from pwa.settings import Settings
from tests.conftest import Client
from tests.factories import PASSWORD, link_phone, make_caregiver, make_family, make_plan


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return dataclasses.replace(settings, push_allow_local=True)


class PushService:
    """A stand-in push service: keeps what it is sent, answers `status`."""

    def __init__(self) -> None:
        self.received: list[tuple[dict[str, str], bytes]] = []
        self.status = 201
        service = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                service.received.append(({k.lower(): v for k, v in self.headers.items()}, body))
                self.send_response(service.status)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = HTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/push/{uuid.uuid4()}"


@pytest.fixture
def push_service() -> Iterator[PushService]:
    service = PushService()
    yield service
    service.server.shutdown()


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def browser_keys() -> tuple[ec.EllipticCurvePrivateKey, bytes, dict[str, str]]:
    """What a browser makes when it subscribes: a P-256 key pair and an auth secret."""
    private = ec.generate_private_key(ec.SECP256R1())
    public = private.public_key().public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    secret = os.urandom(16)
    return private, secret, {"p256dh": b64(public), "auth": b64(secret)}


async def test_the_guardian_is_told_when_the_trip_starts_and_the_help_card_is_shown(
    client: Client, other_client: Client, push_service: PushService
) -> None:
    family = await make_family()
    plan = await make_plan(family)
    await client.log_in(family.email, family.password)
    alerts = f"/api/people/{family.person.id}/alerts"
    key = (await client.get(f"{alerts}/key")).json()["key"]
    assert len(base64.urlsafe_b64decode(key + "==")) == 65  # an uncompressed P-256 point
    private, secret, keys = browser_keys()
    endpoint = push_service.url
    token = await client.csrf()
    subscribed = await client.post(
        alerts, json={"endpoint": endpoint, "keys": keys}, headers={"X-CSRF-Token": token}
    )
    assert subscribed.json() == {"subscribed": True}

    await other_client.link_phone(await link_phone(family))
    trip_id = str(uuid.uuid4())
    base = {"trip_id": trip_id, "plan_id": str(plan.id)}
    for kind, step in (("start", 0), ("step_done", 0), ("help_shown", 1)):
        result = await other_client.push(
            "trip.event", {**base, "id": str(uuid.uuid4()), "kind": kind, "step": step}
        )
        assert result["status"] == "applied"

    # Two messages (a step done is not worth an alert), each readable only with the browser's
    # keys, saying only what happened.
    assert len(push_service.received) == 2
    messages = []
    for headers, body in push_service.received:
        assert headers["content-encoding"] == "aes128gcm"
        assert headers["authorization"].startswith("vapid t=")
        assert b"Ming" not in body  # encrypted
        plain = http_ece.decrypt(body, private_key=private, auth_secret=secret, version="aes128gcm")
        messages.append(json.loads(plain))
    assert [m["body"] for m in messages] == ["Ming started a trip.", "Ming showed the help card."]
    assert set(messages[0]) == {"title", "body", "url", "tag"}
    assert messages[0]["url"] == f"/people/{family.person.id}/trips"

    # The browser unsubscribed at its push service (410): the server forgets it.
    push_service.status = 410
    await other_client.push(
        "trip.event", {**base, "id": str(uuid.uuid4()), "kind": "finish", "step": 7}
    )
    assert len(push_service.received) == 3
    assert await PushSubscription.all().count() == 0


async def test_only_a_guardian_subscribes_and_only_to_a_real_push_service(
    client: Client, other_client: Client, push_service: PushService
) -> None:
    family = await make_family()
    _teacher, email = await make_caregiver(family)
    await other_client.log_in(email, PASSWORD)
    alerts = f"/api/people/{family.person.id}/alerts"
    _private, _secret, keys = browser_keys()
    token = await other_client.csrf()
    refused = await other_client.post(
        alerts, json={"endpoint": push_service.url, "keys": keys}, headers={"X-CSRF-Token": token}
    )
    assert refused.status_code == 403
    await client.log_in(family.email, family.password)
    token = await client.csrf()
    for bad in (
        {"endpoint": "http://10.0.0.1/push", "keys": keys},
        {"endpoint": "ftp://example.test/x", "keys": keys},
        {"endpoint": push_service.url, "keys": {"p256dh": "x", "auth": "y"}},
        {"keys": keys},
    ):
        response = await client.post(alerts, json=bad, headers={"X-CSRF-Token": token})
        assert response.status_code == 400, bad
    stranger = await make_family()
    await other_client.log_in(stranger.email, PASSWORD)
    token = await other_client.csrf()
    response = await other_client.post(
        alerts, json={"endpoint": push_service.url, "keys": keys}, headers={"X-CSRF-Token": token}
    )
    assert response.status_code == 404
    assert await PushSubscription.all().count() == 0


def test_every_app_process_signs_with_the_key_of_the_setting(tmp_path: Path) -> None:
    """VAPID_PRIVATE_KEY (issue 19): a browser's subscription is bound to the key it subscribed
    with, so a second app process needs the first one's. `python -m pwa vapid-key` prints the
    key a server made, as the setting takes it; set, the setting is used and no file made."""
    first = tmp_path / "first"
    env = {**os.environ, "DATA_DIR": str(first)}
    env.pop("VAPID_PRIVATE_KEY", None)
    printed = subprocess.run(
        [sys.executable, "-m", "pwa", "vapid-key"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    assert (first / "vapid_private.pem").exists()
    made_here = review.public_key(Settings(data_dir=first))
    second = tmp_path / "second"
    shared = Settings.from_env({"DATA_DIR": str(second), "VAPID_PRIVATE_KEY": printed})
    assert review.public_key(shared) == made_here
    assert not (second / "vapid_private.pem").exists()
    for wrong in ("not a key", printed[:20], "-----BEGIN PRIVATE KEY-----"):
        with pytest.raises(ValueError, match="VAPID_PRIVATE_KEY"):
            Settings.from_env({"DATA_DIR": str(second), "VAPID_PRIVATE_KEY": wrong})
