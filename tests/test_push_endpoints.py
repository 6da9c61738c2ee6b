"""Where the server's Web Push may go (issue 15, item 3; pwa/review/services.py): the endpoint
comes from the browser, so a subscription must name a known push service over https, and when a
push is sent, the name must resolve only to public addresses, and the connection goes to the
address that was checked. Otherwise the server would post to whatever a guardian's account (or
someone who took it over) chose: its own admin ports, the cloud's metadata service, the LAN."""

from __future__ import annotations

import dataclasses
import datetime
import logging
import socket
import ssl
import threading
import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any

import pytest
import urllib3
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from pwa.models import PushSubscription
from pwa.review import services as alerts
from pwa.settings import DEFAULT_PUSH_SERVICES, Settings
from tests.conftest import Client
from tests.factories import FamilyFixture, link_phone, make_family, make_plan
from tests.test_alerts import PushService, browser_keys

REFUSED_WORDS = "Alerts can go only to the push service of a common browser"

# The stand-in resolver's answers (socket.getaddrinfo is replaced; any other name, such as
# localhost, is asked of the real resolver). None: the name does not resolve.
FAKE_DNS: dict[str, list[str] | None] = {
    # The browsers' push services, at public addresses (no network needed in tests).
    "fcm.googleapis.com": ["142.250.72.10", "2607:f8b0:4005:80c::200a"],
    "web.push.apple.com": ["17.188.143.1"],
    "updates.push.services.mozilla.com": ["34.107.221.82"],
    "public.test": ["8.8.8.8"],
    # Listed names that lead inside.
    "push.test": ["127.0.0.1"],  # this machine
    "mixed.test": ["8.8.8.8", "10.0.0.5"],  # one public answer is not enough
    "mapped.test": ["::ffff:127.0.0.1"],  # loopback dressed as IPv6
    "metadata.push.apple.com": ["169.254.169.254"],  # the cloud's metadata service
    "nat64.test": ["64:ff9b::a00:5"],  # 10.0.0.5 through NAT64
    "gone.test": None,
}
# On the list in these tests besides the browsers' own; each leads inside (localhost for real)
# or nowhere.
LISTED = (
    *DEFAULT_PUSH_SERVICES.split(","),
    "localhost",
    "push.test",
    "mixed.test",
    "mapped.test",
    "nat64.test",
    "gone.test",
)


@pytest.fixture
def fake_dns(monkeypatch: pytest.MonkeyPatch) -> None:
    real = socket.getaddrinfo

    def getaddrinfo(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        if host not in FAKE_DNS:
            return real(host, port, *args, **kwargs)
        answer = FAKE_DNS[host]
        if answer is None:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        out: list[Any] = []
        for address in answer:
            if ":" in address:
                out.append((socket.AF_INET6, socket.SOCK_STREAM, 6, "", (address, port, 0, 0)))
            else:
                out.append((socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port)))
        return out

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)


@pytest.fixture
def connections(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, int]]:
    """Every (address, port) urllib3 opens a connection to: the only way the sender connects."""
    seen: list[tuple[str, int]] = []
    real = urllib3.util.connection.create_connection

    def create_connection(address: tuple[str, int], *args: Any, **kwargs: Any) -> socket.socket:
        seen.append(address)
        if address[0] not in ("127.0.0.1", "::1"):  # never reach out of this machine
            raise ConnectionRefusedError("not from a test")
        return real(address, *args, **kwargs)

    monkeypatch.setattr(urllib3.util.connection, "create_connection", create_connection)
    return seen


class Listener:
    """A TCP port that only counts who connects to it."""

    def __init__(self) -> None:
        self.accepted = 0
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.sock.settimeout(0.1)
        self.port = self.sock.getsockname()[1]
        self.running = True
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        while self.running:
            try:
                conn, _peer = self.sock.accept()
            except TimeoutError:
                continue
            self.accepted += 1
            conn.close()

    def close(self) -> None:
        self.running = False
        self.thread.join()
        self.sock.close()


@pytest.fixture
def listener() -> Iterator[Listener]:
    found = Listener()
    yield found
    found.close()


def bad_endpoints(listener: Listener) -> list[str]:
    """Each must be refused; the path stands for the browser's secret."""
    secret = "/secret-path-" + uuid.uuid4().hex
    return [
        f"https://127.0.0.1:{listener.port}{secret}",
        f"https://127.0.0.1:9443{secret}",
        f"https://10.0.0.5{secret}",
        f"https://[::1]{secret}",
        f"https://[::1]:{listener.port}{secret}",
        f"http://fcm.googleapis.com{secret}",
        f"https://evil.example{secret}",
        f"https://fcm.googleapis.com.evil.example{secret}",
        f"https://push.apple.com{secret}",  # "*.push.apple.com" is its subdomains only
        f"https://user:pw@fcm.googleapis.com{secret}",
        f"https://fcm.googleapis.com@127.0.0.1:{listener.port}{secret}",
        f"https://fcm.googleapis.com:{listener.port}{secret}",
        f"https://fcm.googleapis.com:{secret}",
        f"https://fcm.googleapis.com.{secret}",
        f"https://2130706433{secret}",  # 127.0.0.1 as one number
        f"https://fcm.googleapis.com{secret}\n",
        f"https://fcm.googleapis.com/{'a' * 1000}",
        f"ftp://fcm.googleapis.com{secret}",
        f"//fcm.googleapis.com{secret}",
        "https://",
        "",
        # Listed, but resolving inside.
        f"https://localhost{secret}",
        f"https://push.test{secret}",
        f"https://mixed.test{secret}",
        f"https://mapped.test{secret}",
        f"https://metadata.push.apple.com{secret}",
        f"https://nat64.test{secret}",
    ]


# --- subscribing ---------------------------------------------------------------------------


async def guardian_posts(client: Client, family: FamilyFixture, body: Any) -> Any:
    token = await client.csrf()
    return await client.post(
        f"/api/people/{family.person.id}/alerts", json=body, headers={"X-CSRF-Token": token}
    )


@pytest.fixture(params=[False, True], ids=["production", "push_allow_local"])
def settings(settings: Settings, request: pytest.FixtureRequest) -> Settings:
    # Both ways: the tests' PUSH_ALLOW_LOCAL lets in http://127.0.0.1:port and nothing else.
    return dataclasses.replace(settings, push_services=LISTED, push_allow_local=request.param)


async def test_subscribing_to_anything_but_a_listed_push_service_is_refused(
    client: Client,
    listener: Listener,
    settings: Settings,
    fake_dns: None,
    connections: list[tuple[str, int]],
) -> None:
    family = await make_family()
    await client.log_in(family.email, family.password)
    _private, _secret, keys = browser_keys()
    endpoints = [*bad_endpoints(listener), "https://localhost.evil.example/x"]
    if not settings.push_allow_local:
        endpoints.append(f"http://127.0.0.1:{listener.port}/x")
    for endpoint in endpoints:
        response = await guardian_posts(client, family, {"endpoint": endpoint, "keys": keys})
        assert response.status_code == 400, endpoint
        assert REFUSED_WORDS in response.json()["error"], endpoint
    for not_text in (["https://fcm.googleapis.com/x"], {"u": 1}, 7, None):
        response = await guardian_posts(client, family, {"endpoint": not_text, "keys": keys})
        assert response.status_code == 400
        assert "Something in the request was wrong" in response.json()["error"]
    # A name that does not resolve (maybe only for now) is a different answer.
    response = await guardian_posts(
        client, family, {"endpoint": "https://gone.test/x", "keys": keys}
    )
    assert response.status_code == 503
    assert "could not find this browser's push service" in response.json()["error"]
    assert await PushSubscription.all().count() == 0
    assert listener.accepted == 0
    assert connections == []


ZH_REFUSED = "提醒只能发到常用浏览器的推送服务，这个地址不是。没有做任何修改。"


async def test_the_refusal_is_in_the_guardians_language(client: Client) -> None:
    family = await make_family()
    family.guardian.locale = "zh_Hans"
    await family.guardian.save()
    await client.log_in(family.email, family.password)
    _private, _secret, keys = browser_keys()
    response = await guardian_posts(
        client, family, {"endpoint": "https://10.0.0.5/x", "keys": keys}
    )
    assert response.status_code == 400
    assert response.json()["error"] == ZH_REFUSED


async def test_a_browsers_push_service_is_accepted(
    client: Client, fake_dns: None, connections: list[tuple[str, int]]
) -> None:
    family = await make_family()
    await client.log_in(family.email, family.password)
    _private, _secret, keys = browser_keys()
    accepted = [
        "https://fcm.googleapis.com/fcm/send/abc",
        "https://FCM.googleapis.com:443/fcm/send/def",
        "https://web.push.apple.com/QGp0b2tlbg",
        "https://updates.push.services.mozilla.com/wpush/v2/gAAAA",
    ]
    for endpoint in accepted:
        response = await guardian_posts(client, family, {"endpoint": endpoint, "keys": keys})
        assert response.json() == {"subscribed": True}, endpoint
    stored = await PushSubscription.all().values_list("endpoint", flat=True)
    assert sorted(stored) == sorted(accepted)
    assert connections == []  # subscribing sends nothing
    # Stopping works for any endpoint, also one that would be refused now.
    response = await client.request(
        "DELETE",
        f"/api/people/{family.person.id}/alerts",
        json={"endpoint": accepted[0]},
        headers={"X-CSRF-Token": await client.csrf()},
    )
    assert response.json() == {"subscribed": False}
    assert await PushSubscription.all().count() == len(accepted) - 1


# --- sending ---------------------------------------------------------------------------------


@pytest.fixture
def push_service() -> Iterator[PushService]:
    service = PushService()
    yield service
    service.server.shutdown()


@pytest.mark.parametrize("settings", [True], indirect=True, ids=["push_allow_local"])
async def test_a_stored_subscription_that_leads_inside_is_never_connected_to(
    client: Client,
    other_client: Client,
    settings: Settings,
    push_service: PushService,
    listener: Listener,
    fake_dns: None,
    connections: list[tuple[str, int]],
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Subscriptions stored before the checks (or under other settings) are checked again, with
    DNS, each time; a refused one is skipped without a connection, and the others still go."""
    family = await make_family()
    plan = await make_plan(family)
    _private, _secret, keys = browser_keys()
    # (All but the one too long for the column: that one cannot have been stored.)
    bad = [e for e in bad_endpoints(listener) if len(e) <= 1000] + ["https://gone.test/secret-x"]
    for endpoint in bad:
        await PushSubscription.create(
            account=family.guardian,
            family=family.family,
            endpoint=endpoint,
            p256dh=keys["p256dh"],
            auth=keys["auth"],
        )
    good = push_service.url  # the tests' stand-in: http://127.0.0.1:port, allowed here
    await PushSubscription.create(
        account=family.guardian, family=family.family, endpoint=good, **keys
    )
    assert listener.accepted == 0

    await other_client.link_phone(await link_phone(family))
    caplog.set_level(logging.INFO, logger="pwa.review.services")
    result = await other_client.push(
        "trip.event",
        {
            "trip_id": str(uuid.uuid4()),
            "plan_id": str(plan.id),
            "id": str(uuid.uuid4()),
            "kind": "start",
            "step": 0,
        },
    )
    assert result["status"] == "applied"

    # The good one got its message, the only connection made; nothing else was reached.
    assert len(push_service.received) == 1
    assert connections == [("127.0.0.1", push_service.server.server_address[1])]
    assert listener.accepted == 0
    # Each refusal is in the log by host, never with the secret path; all are kept.
    refusals = [r for r in caplog.records if "push not sent" in r.getMessage()]
    assert len(refusals) == len(bad)
    assert "secret-" not in caplog.text
    assert "push.test" in caplog.text and "169.254.169.254" in caplog.text
    assert await PushSubscription.all().count() == len(bad) + 1


@pytest.mark.parametrize("settings", [False], indirect=True, ids=["production"])
async def test_a_public_answer_is_connected_to_by_its_address(
    settings: Settings, fake_dns: None, connections: list[tuple[str, int]]
) -> None:
    """The checked address is the one connected to (no second lookup that could answer
    differently); here it is refused by the stand-in, so nothing leaves the machine."""
    settings = dataclasses.replace(settings, push_services=("public.test",))
    target = await alerts.checked_target("https://public.test/x", settings)
    assert target.addresses == ("8.8.8.8",)
    with pytest.raises(urllib3.exceptions.NewConnectionError):
        alerts.PinnedPost(target).post("https://public.test/x", data=b"", headers={})
    assert connections == [("8.8.8.8", 443)]
    # Without PUSH_ALLOW_LOCAL the tests' own kind of endpoint is refused too.
    for refused in ("http://127.0.0.1:9/x", "http://localhost:9/x", "https://push.test/x"):
        with pytest.raises(alerts.RefusedEndpoint):
            await alerts.checked_target(refused, settings)


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "127.9.9.9",
        "10.0.0.5",
        "172.16.0.1",
        "192.168.1.1",
        "169.254.169.254",
        "100.64.0.1",
        "0.0.0.0",
        "224.0.0.1",
        "240.0.0.1",
        "255.255.255.255",
        "192.0.2.1",
        "::1",
        "::",
        "fe80::1",
        "fc00::1",
        "ff02::1",
        "::ffff:127.0.0.1",
        "::ffff:10.0.0.1",
        "64:ff9b::a00:1",
        "64:ff9b:1::1",
        "2002:a00:1::1",
        "2001:db8::1",
    ],
)
def test_addresses_inside_are_not_public(address: str) -> None:
    import ipaddress

    assert not alerts.is_public(ipaddress.ip_address(address))


@pytest.mark.parametrize(
    "address", ["8.8.8.8", "142.250.1.1", "2001:4860:4860::8888", "::ffff:8.8.8.8"]
)
def test_addresses_outside_are_public(address: str) -> None:
    import ipaddress

    assert alerts.is_public(ipaddress.ip_address(address))


# --- the pinned connection speaks TLS with the service's name ---------------------------------


def make_certificates(directory: Path, name: str) -> tuple[Path, Path]:
    """A test CA (its certificate file) and, signed by it, a certificate for `name` (cert and
    key in one file)."""
    now = datetime.datetime.now(datetime.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Test CA")])
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    leaf = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    ca_file, leaf_file = directory / f"ca-{name}.pem", directory / f"leaf-{name}.pem"
    ca_file.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    leaf_file.write_bytes(
        leaf.public_bytes(serialization.Encoding.PEM)
        + key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return ca_file, leaf_file


class TlsPushService:
    """A push service over TLS on 127.0.0.1 with a certificate for some name; keeps the name
    each client asked for (SNI) and the requests' Host and path."""

    def __init__(self, leaf: Path, redirect_to: str = "") -> None:
        self.names: list[str | None] = []
        self.requests: list[tuple[str, str]] = []
        service = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                self.rfile.read(int(self.headers["Content-Length"]))
                service.requests.append((self.headers["Host"], self.path))
                if redirect_to:
                    self.send_response(307)
                    self.send_header("Location", redirect_to)
                else:
                    self.send_response(201)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(leaf)
        context.sni_callback = lambda _sock, name, _ctx: self.names.append(name)  # type: ignore[assignment,misc,return-value]
        self.server = HTTPServer(("127.0.0.1", 0), Handler)
        self.server.socket = context.wrap_socket(self.server.socket, server_side=True)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


def pinned(name: str, port: int, addresses: tuple[str, ...], ca: Path) -> alerts.PinnedPost:
    endpoint = alerts.Endpoint("https", name, port, f"{name}:{port}", "/secret", local=False)
    return alerts.PinnedPost(alerts.Target(endpoint, addresses), ca_certs=str(ca))


def test_the_connection_goes_to_the_checked_address_with_the_services_name(
    tmp_path: Path, listener: Listener
) -> None:
    # push.test resolves nowhere: the connection must not look it up again.
    ca, leaf = make_certificates(tmp_path, "push.test")
    service = TlsPushService(leaf)
    try:
        # 127.0.0.2 answers nothing (the service is on .1 only): the next checked address.
        post = pinned("push.test", service.port, ("127.0.0.2", "127.0.0.1"), ca)
        answer = post.post("https://push.test/secret", data=b"hello", headers={"TTL": "60"})
        assert answer.status_code == 201
        assert service.names == ["push.test"]
        assert service.requests == [(f"push.test:{service.port}", "/secret")]
    finally:
        service.server.shutdown()


def test_a_certificate_for_another_name_is_refused(tmp_path: Path) -> None:
    ca, leaf = make_certificates(tmp_path, "other.test")
    service = TlsPushService(leaf)
    try:
        post = pinned("push.test", service.port, ("127.0.0.1",), ca)
        with pytest.raises(urllib3.exceptions.SSLError):
            post.post("https://push.test/secret", data=b"hello", headers={})
        assert service.requests == []
    finally:
        service.server.shutdown()


def test_a_redirect_is_not_followed(tmp_path: Path, listener: Listener) -> None:
    ca, leaf = make_certificates(tmp_path, "push.test")
    service = TlsPushService(leaf, redirect_to=f"http://127.0.0.1:{listener.port}/admin")
    try:
        post = pinned("push.test", service.port, ("127.0.0.1",), ca)
        answer = post.post("https://push.test/secret", data=b"hello", headers={})
        assert answer.status_code == 307  # pywebpush takes it as a failed push
        assert len(service.requests) == 1
        assert listener.accepted == 0
    finally:
        service.server.shutdown()
