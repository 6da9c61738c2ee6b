"""Who may sync a family: asked on every push and pull, so a caregiver whose invitation was
revoked, or a phone that was unlinked, gets nothing more."""

from __future__ import annotations

import uuid
from typing import Any

from starlette.exceptions import HTTPException
from tortoise.exceptions import IntegrityError

from pwa.auth import access
from pwa.auth.rules import Action, Denied, Hidden
from pwa.auth.sessions import Principal
from pwa.core import plain
from pwa.core.forms import FormErrors
from pwa.core.ids import BadId, parse_uuid
from pwa.i18n import _
from pwa.models import SyncClient


async def may_sync(who: Principal, family_id: uuid.UUID) -> bool:
    """Push and pull ask on every call: a caregiver whose invitation was revoked, or a phone
    that was unlinked, gets nothing more (the client's record remembers only who it was)."""
    try:
        await access.check(who, Action.LIST_VIEW, family_id)
    except (Hidden, Denied):
        return False
    return True


async def bind_client(who: Principal, client_id: uuid.UUID, family_id: Any) -> SyncClient:
    """The install's record; a client_id already bound to someone else is refused (403), and
    so is everyone who may not read the family any more, on every call (may_sync)."""
    client = await plain.by_id(SyncClient, client_id)
    account_id = who.account.id if who.account and who.device is None else None
    device_id = who.device.id if who.device else None
    if client is not None:
        if client.account_id != account_id or client.device_id != device_id:
            raise HTTPException(403)
        if not await may_sync(who, client.family_id):
            raise HTTPException(403)
        return client
    if who.device is not None and who.person is not None:
        family_uuid = who.person.family_id
    else:
        try:
            family_uuid = parse_uuid(family_id)
        except BadId:
            raise FormErrors(
                {"family_id": _("Something in the request was wrong. Nothing was changed.")}
            ) from None
    if not await may_sync(who, family_uuid):
        raise HTTPException(404)
    try:
        return await SyncClient.create(
            id=client_id, family_id=family_uuid, account_id=account_id, device_id=device_id
        )
    except IntegrityError:  # two first pushes at once: the other one made it
        return await SyncClient.get(id=client_id)
