"""Alerts for guardians (issue 7): Web Push, where the browser has it, when a trip starts, when
the help card is shown, and when the trip ends. The message says only that ("Ming showed the
help card"), never anything about health. VAPID keys are made on first use and kept under the
data folder; pywebpush encrypts each message for the one browser that subscribed.
"""

from __future__ import annotations

import asyncio
import base64
import json
import logging
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from py_vapid import Vapid02
from pywebpush import WebPushException, webpush

from pwa import i18n
from pwa.core import urls
from pwa.i18n import _
from pwa.models import Account, Membership, Person, PushSubscription, Role, Trip

log = logging.getLogger(__name__)
ALERT_KINDS = ("start", "help_shown", "finish")


def vapid(data_dir: Path) -> Vapid02:
    """The server's VAPID key pair, made once and kept as data/vapid_private.pem."""
    path = Path(data_dir) / "vapid_private.pem"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        key = Vapid02()
        key.generate_keys()
        key.save_key(str(path))
        path.chmod(0o600)
    return Vapid02.from_file(str(path))


def public_key(data_dir: Path) -> str:
    """The applicationServerKey a browser subscribes with (base64url, no padding)."""
    raw = vapid(data_dir).public_key.public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


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


def _send(subscription: PushSubscription, payload: str, key: Vapid02, subject: str) -> bool:
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
        )
    except WebPushException as exc:
        status = exc.response.status_code if exc.response is not None else None
        log.info("push refused (%s) for subscription %s", status, subscription.id)
        return status not in (404, 410)
    except Exception:  # the push service is down: the live status on the page still works
        log.warning("push not sent to subscription %s", subscription.id, exc_info=True)
    return True


async def send_alerts(events: list[tuple[str, str]], data_dir: Path) -> None:
    """Send after the events are committed (a background task of the sync answer). A browser
    that unsubscribed (404/410 from its push service) is forgotten."""
    pending = await alerts_for(events)
    if not pending:
        return
    key = vapid(data_dir)
    for subscription, payload in pending:
        alive = await asyncio.to_thread(
            _send, subscription, payload, key, "mailto:alerts@startrip.invalid"
        )
        if not alive:
            await subscription.delete()


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
