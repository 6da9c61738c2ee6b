"""Alerts for guardians (issue 7): Web Push, where the browser has it, when a trip starts, when
the help card is shown, and when the trip ends. The message says only that ("Ming showed the
help card"), never anything about health. The VAPID key comes from the setting
VAPID_PRIVATE_KEY, the same on every app process (docs/DEPLOY.md); without it, it is made on
first use and kept under the data folder. pywebpush encrypts each message for the one browser
that subscribed.
"""

from __future__ import annotations

import asyncio
import base64
import ipaddress
import json
import logging
import re
import socket
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import certifi
import urllib3
from cryptography.hazmat.primitives import serialization
from py_vapid import Vapid02
from pywebpush import WebPushException, webpush
from urllib3.exceptions import ConnectTimeoutError, NewConnectionError

from pwa import i18n
from pwa.core import urls
from pwa.i18n import _
from pwa.models import Account, Membership, Person, PushSubscription, Role, Trip
from pwa.settings import Settings

log = logging.getLogger(__name__)
ALERT_KINDS = ("start", "help_shown", "finish")


def vapid(settings: Settings) -> Vapid02:
    """The server's VAPID key pair: VAPID_PRIVATE_KEY when set, else made once and kept as
    DATA_DIR/vapid_private.pem. A browser's subscription is bound to the public half, so every
    app process must sign with the same key (issue 19)."""
    if settings.vapid_private_key:
        return Vapid02.from_raw(settings.vapid_private_key.encode())
    path = Path(settings.data_dir) / "vapid_private.pem"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        key = Vapid02()
        key.generate_keys()
        key.save_key(str(path))
        path.chmod(0o600)
    return Vapid02.from_file(str(path))


def public_key(settings: Settings) -> str:
    """The applicationServerKey a browser subscribes with (base64url, no padding)."""
    raw = vapid(settings).public_key.public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def private_raw(settings: Settings) -> str:
    """The private key as VAPID_PRIVATE_KEY takes it (32 bytes, base64url, no padding), for
    `python -m pwa vapid-key`: giving every app process the key the first one made keeps the
    browsers' subscriptions working."""
    number = vapid(settings).private_key.private_numbers().private_value
    return base64.urlsafe_b64encode(number.to_bytes(32, "big")).rstrip(b"=").decode()


def message(kind: str, name: str) -> str:
    words = {
        "start": _("%(name)s started a trip.", name=name),
        "help_shown": _("%(name)s showed the help card.", name=name),
        "finish": _("%(name)s finished the trip.", name=name),
    }
    return words[kind]


async def alerts_for(events: list[tuple[str, str]]) -> list[tuple[PushSubscription, str]]:
    """[(trip id, kind)] of events just applied → (subscription, payload) to send, each in the
    language of the guardian who subscribed."""
    out = []
    for trip_id, kind in events:
        if kind not in ALERT_KINDS:
            continue
        trip = await Trip.get_or_none(id=trip_id).prefetch_related("person")
        if trip is None:
            continue
        guardians = await Membership.filter(
            family_id=trip.family_id, role=Role.GUARDIAN
        ).values_list("account_id", flat=True)
        subscriptions = await PushSubscription.filter(
            family_id=trip.family_id, account_id__in=guardians
        ).prefetch_related("account")
        for subscription in subscriptions:
            with i18n.use_locale(subscription.account.locale or "zh_Hans"):
                payload = {
                    "title": "星途 Startrip",
                    "body": message(kind, trip.person.display_name),
                    "url": urls.url("person_trips", person_id=trip.person_id),
                    "tag": f"trip-{trip.id}",
                }
            out.append((subscription, json.dumps(payload, ensure_ascii=False)))
    return out


# --- "I am lost" (issue 18, item 6) ------------------------------------------------------------
# Only when a guardian turned sharing on (Person.lost_share). The position goes into the
# message and is never stored. The map is Amap's URI API (高德, uri.amap.com): it opens in
# any browser in China, and in the Amap app where there is one, while OpenStreetMap's pages are
# slow or unreachable there. `coordinate=wgs84` tells it the position is the phone's own (GPS),
# which it shifts onto its GCJ-02 map itself.
MAP_LINK = "https://uri.amap.com/marker?position={lon},{lat}&coordinate=wgs84&callnative=1"


def position_words(latitude: float, longitude: float) -> tuple[str, str]:
    """The position as the phone's text message writes it: 5 decimals, about a metre."""
    return f"{latitude:.5f}", f"{longitude:.5f}"


def map_link(latitude: float, longitude: float) -> str:
    lat, lon = position_words(latitude, longitude)
    return MAP_LINK.format(lat=lat, lon=lon)


async def lost_alerts(
    person: Person, latitude: float, longitude: float
) -> list[tuple[PushSubscription, str]]:
    """The alert for each guardian's browser of the person's family that asked for alerts, in
    that guardian's language: who, where in words, and the map link to open."""
    guardians = await Membership.filter(family_id=person.family_id, role=Role.GUARDIAN).values_list(
        "account_id", flat=True
    )
    subscriptions = await PushSubscription.filter(
        family_id=person.family_id, account_id__in=guardians
    ).prefetch_related("account")
    lat, lon = position_words(latitude, longitude)
    link = map_link(latitude, longitude)
    out = []
    for subscription in subscriptions:
        with i18n.use_locale(subscription.account.locale or "zh_Hans"):
            body = _(
                "%(name)s tapped “I am lost”. The phone is at latitude %(lat)s, "
                "longitude %(lon)s: %(link)s",
                name=person.display_name,
                lat=lat,
                lon=lon,
                link=link,
            )
            payload = {
                "title": "星途 Startrip",
                "body": body,
                "url": link,
                "tag": f"lost-{person.id}",
            }
        out.append((subscription, json.dumps(payload, ensure_ascii=False)))
    return out


# --- where a push may go (issue 15, item 3) ----------------------------------------------------
# The endpoint comes from the browser, so anyone who may subscribe chooses where the server
# connects. It must be https to a push service on PUSH_SERVICES, and when sent, every address
# its name resolves to must be a public one; the connection then goes to the checked address
# itself, so a name that changes its answer between the check and the connection (DNS
# rebinding) still cannot lead the server to its own neighbours.

LOCAL_HOSTS = ("127.0.0.1", "localhost")
# An endpoint is stored in a column of this size (PushSubscription.endpoint).
MAX_ENDPOINT = 1000
# Printable ASCII only: no spaces or control characters (urlsplit would silently drop tabs and
# line breaks, so what is checked could differ from what is stored).
_PRINTABLE = re.compile(r"[\x21-\x7e]+")
_HOST_NAME = re.compile(r"[a-z0-9-]+(\.[a-z0-9-]+)*")
# NAT64 carries an IPv4 address in its last 32 bits (RFC 6052); the local-use prefix (RFC 8215)
# leads wherever the network's own translator leads.
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")
_NAT64_LOCAL = ipaddress.IPv6Network("64:ff9b:1::/48")
RESOLVE_SECONDS = 10


class RefusedEndpoint(ValueError):
    """A push endpoint the server will not connect to. `host` and `reason` are for the log: the
    endpoint's path is the browser's secret (whoever knows it can push to that browser), so it
    is never logged."""

    def __init__(self, host: str, reason: str) -> None:
        super().__init__(f"{host}: {reason}")
        self.host = host
        self.reason = reason


class UnresolvedEndpoint(RefusedEndpoint):
    """The push service's name did not resolve: maybe only for now."""


@dataclass(frozen=True)
class Endpoint:
    """An endpoint that passed the checks that need no network."""

    scheme: str
    host: str  # lower case; what TLS checks the certificate against, and the Host header
    port: int
    netloc: str  # the Host header as the browser wrote it
    target: str  # path and query: the secret part
    local: bool  # the tests' stand-in push service (PUSH_ALLOW_LOCAL)


def _listed(host: str, services: tuple[str, ...]) -> bool:
    """On the list exactly, or under an entry "*.example.com" (not example.com itself)."""
    for entry in services:
        entry = entry.strip().lower()
        if entry.startswith("*."):
            if host.endswith(entry[1:]):  # ".example.com": a label before it (_HOST_NAME)
                return True
        elif host == entry:
            return True
    return False


def check_endpoint(endpoint: str, settings: Settings) -> Endpoint:
    """The endpoint's parts if it is https to a listed push service on the default port, with
    no user name; or, with PUSH_ALLOW_LOCAL, http to this machine. Raises RefusedEndpoint."""
    if not (len(endpoint) <= MAX_ENDPOINT and _PRINTABLE.fullmatch(endpoint)):
        raise RefusedEndpoint("?", "not a plain URL")
    try:
        parts = urlsplit(endpoint)
        port = parts.port
    except ValueError:
        raise RefusedEndpoint("?", "not a URL") from None
    host = parts.hostname or ""
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    if "@" in parts.netloc:
        raise RefusedEndpoint(host, "a user name in the URL")
    if (
        settings.push_allow_local
        and parts.scheme == "http"
        and host in LOCAL_HOSTS
        and port is not None
        and parts.netloc.lower() == f"{host}:{port}"
    ):
        return Endpoint("http", host, port, parts.netloc, target, local=True)
    if parts.scheme != "https":
        raise RefusedEndpoint(host, "not https")
    # The netloc must be the bare name (or with :443): no empty port, no brackets, nothing else.
    if parts.netloc.lower() not in (host, f"{host}:443") or not _HOST_NAME.fullmatch(host):
        raise RefusedEndpoint(host, "not a host name on the default port")
    if not _listed(host, settings.push_services):
        raise RefusedEndpoint(host, "not a push service on PUSH_SERVICES")
    return Endpoint("https", host, 443, parts.netloc, target, local=False)


Address = ipaddress.IPv4Address | ipaddress.IPv6Address


def is_public(address: Address) -> bool:
    """Whether the server may connect to this address: not loopback, private, link-local,
    multicast, reserved or unspecified, also when an IPv6 address carries an IPv4 one."""
    if isinstance(address, ipaddress.IPv6Address):
        if address in _NAT64_LOCAL:
            return False
        carried = [address.ipv4_mapped, address.sixtofour, *(address.teredo or ())]
        if address in _NAT64:
            carried.append(ipaddress.IPv4Address(int(address) & 0xFFFFFFFF))
        if any(inner is not None and not is_public(inner) for inner in carried):
            return False
        if address.ipv4_mapped is not None:
            return True  # judged by the IPv4 address it carries, just above
    return address.is_global and not (
        address.is_loopback
        or address.is_private
        or address.is_link_local
        or address.is_multicast
        or address.is_reserved
        or address.is_unspecified
    )


async def _resolve(host: str, port: int) -> list[Address]:
    loop = asyncio.get_running_loop()
    try:
        found = await asyncio.wait_for(
            loop.getaddrinfo(host, port, type=socket.SOCK_STREAM), RESOLVE_SECONDS
        )
    except (OSError, UnicodeError, TimeoutError):
        raise UnresolvedEndpoint(host, "the name does not resolve") from None
    addresses: list[Address] = []
    for _family, _type, _proto, _name, sockaddr in found:
        try:
            address = ipaddress.ip_address(str(sockaddr[0]))
        except ValueError:
            raise RefusedEndpoint(host, "an address that is not an IP address") from None
        if address not in addresses:
            addresses.append(address)
    if not addresses:
        raise UnresolvedEndpoint(host, "the name does not resolve")
    return addresses


@dataclass(frozen=True)
class Target:
    """A checked endpoint and the checked addresses to connect to, in the resolver's order."""

    endpoint: Endpoint
    addresses: tuple[str, ...]


async def checked_target(endpoint: str, settings: Settings) -> Target:
    """The endpoint checked again with today's settings (it may have been stored before them),
    its name resolved, and every address public; or, for the tests' local stand-in, every
    address a loopback one. Raises RefusedEndpoint."""
    parts = check_endpoint(endpoint, settings)
    addresses = await _resolve(parts.host, parts.port)
    for address in addresses:
        allowed = address.is_loopback if parts.local else is_public(address)
        if not allowed:
            # Any one bad answer refuses the lot: which one a connection would use is not ours
            # to predict once the resolver is involved.
            raise RefusedEndpoint(parts.host, f"resolves to a non-public address ({address})")
    return Target(parts, tuple(str(address) for address in addresses))


@dataclass
class Answer:
    """The push service's answer, in the shape pywebpush reads from a requests.Response."""

    status_code: int
    reason: str
    text: str
    headers: Mapping[str, str]


class PinnedPost:
    """Stands in for the requests.Session pywebpush posts through (its `requests_session`):
    pywebpush encrypts and signs, this sends, to a checked address only. requests would resolve
    the name again (a second, unchecked answer), use proxies from the environment, and follow
    redirects anywhere; urllib3 is told the address to connect to, while TLS (SNI and the
    certificate check) and the Host header still use the push service's name. No redirects, no
    retries, no proxy: an HTTPS_PROXY in the environment is not used for pushes."""

    def __init__(self, target: Target, ca_certs: str | None = None) -> None:
        self.target = target
        self.ca_certs = ca_certs or certifi.where()

    def _pool(self, address: str, timeout: float) -> urllib3.HTTPConnectionPool:
        parts = self.target.endpoint
        if parts.scheme == "http":  # only the local stand-in (check_endpoint)
            return urllib3.HTTPConnectionPool(address, parts.port, timeout=timeout, retries=False)
        return urllib3.HTTPSConnectionPool(
            address,
            parts.port,
            timeout=timeout,
            retries=False,
            server_hostname=parts.host,
            cert_reqs="CERT_REQUIRED",
            ca_certs=self.ca_certs,
        )

    def post(
        self,
        url: str,
        *,
        data: bytes | None = None,
        headers: Mapping[str, str] | None = None,
        timeout: float = 10,
    ) -> Answer:
        # `url` is the endpoint as pywebpush has it; the checked parts of the same string are
        # what is used.
        parts = self.target.endpoint
        sent = {str(k): str(v) for k, v in (headers or {}).items()}
        sent["Host"] = parts.netloc
        for n, address in enumerate(self.target.addresses):
            with self._pool(address, timeout) as pool:
                try:
                    response = pool.urlopen(
                        "POST", parts.target, body=data, headers=sent, redirect=False
                    )
                except (NewConnectionError, ConnectTimeoutError):
                    # Not connected, so nothing was sent: the next address (an IPv6 answer
                    # where this machine has no IPv6 route, say), as requests would.
                    if n == len(self.target.addresses) - 1:
                        raise
                    continue
            return Answer(
                response.status,
                response.reason or "",
                response.data.decode("utf-8", "replace"),
                dict(response.headers),
            )
        raise AssertionError("checked_target resolves to at least one address")


def _send(
    subscription: PushSubscription, target: Target, payload: str, key: Vapid02, subject: str
) -> bool:
    host = target.endpoint.host
    try:
        webpush(
            {
                "endpoint": subscription.endpoint,
                "keys": {"p256dh": subscription.p256dh, "auth": subscription.auth},
            },
            data=payload,
            vapid_private_key=key,
            vapid_claims={"sub": subject},
            ttl=3600,
            timeout=10,
            requests_session=PinnedPost(target),
        )
    except WebPushException as exc:
        status = exc.response.status_code if exc.response is not None else None
        log.info("push refused (%s) by %s for subscription %s", status, host, subscription.id)
        return status not in (404, 410)
    except Exception as exc:  # the push service is down: the live status on the page still works
        # Only the kind of error: some name the URL, and its path is the browser's secret.
        log.warning(
            "push not sent to subscription %s at %s (%s)", subscription.id, host, type(exc).__name__
        )
    return True


async def send_alerts(events: list[tuple[str, str]], settings: Settings) -> None:
    """Send after the events are committed (a background task of the sync answer). A browser
    that unsubscribed (404/410 from its push service) is forgotten. A subscription whose
    endpoint fails the checks (one stored before them, or a service taken off PUSH_SERVICES)
    is skipped and kept: the browser still shows alerts as on, and they work again if the
    service is put back on the list."""
    await deliver(await alerts_for(events), settings)


async def deliver(pending: list[tuple[PushSubscription, str]], settings: Settings) -> int:
    """Send each payload to its subscription; how many went to a push service that took them
    (or at least was tried: a push service that is down is not known from here)."""
    if not pending:
        return 0
    key = vapid(settings)
    sent = 0
    for subscription, payload in pending:
        try:
            target = await checked_target(subscription.endpoint, settings)
        except RefusedEndpoint as refused:
            log.warning(
                "push not sent to subscription %s at %s: %s",
                subscription.id,
                refused.host,
                refused.reason,
            )
            continue
        alive = await asyncio.to_thread(
            _send, subscription, target, payload, key, "mailto:alerts@startrip.invalid"
        )
        if not alive:
            await subscription.delete()
        else:
            sent += 1
    return sent


# --- subscribing -------------------------------------------------------------------------------


async def save_subscription(
    person: Person, account: Account, endpoint: str, p256dh: str, secret: str
) -> None:
    await PushSubscription.update_or_create(
        family_id=person.family_id,
        endpoint=endpoint,
        defaults={"account": account, "p256dh": p256dh, "auth": secret},
    )


async def remove_subscription(person: Person, endpoint: str) -> None:
    await PushSubscription.filter(family_id=person.family_id, endpoint=endpoint).delete()
