"""Friendly shops: the shop's entry in the directory (the only writer of it). Payments and
reversals are the vouchers' services (pwa/vouchers/services.py)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from tortoise.transactions import in_transaction

from pwa.audit import services as audit
from pwa.audit.services import AuditAction
from pwa.core import blobs, clock
from pwa.core.forms import FormErrors
from pwa.i18n import _, format_date
from pwa.models import Account, Organisation, OrgKind, Outcome, Redemption
from pwa.photos import services as photos
from pwa.shops.directory import chain_works

# The directory's rules, where the shops' pages have always found them.
from pwa.shops.directory import chosen_shop as chosen_shop
from pwa.shops.directory import friendly_shops as friendly_shops
from pwa.shops.directory import inactive_chain_ids as inactive_chain_ids
from pwa.shops.directory import shop_label as shop_label
from pwa.shops.directory import shop_options as shop_options

LIMITS = (("opening_hours", 120), ("quiet_hours", 120), ("staff_know", 500), ("address", 200))


async def save_directory_entry(
    shop: Organisation,
    form: dict[str, str],
    pictures: dict[str, bytes],
    by: Account | None = None,
) -> None:
    """The shop's words and its entrance and till photos (re-encoded, no metadata);
    FormErrors and nothing saved when any of it is wrong."""
    errors: dict[str, str] = {}
    for field, limit in LIMITS:
        if len(form.get(field, "")) > limit:
            errors[field] = _("This is too long. It can have at most %(n)s characters.", n=limit)
    encoded: dict[str, bytes] = {}
    for name, data in pictures.items():
        try:
            encoded[name] = photos.reencode(data)[0]
        except FormErrors as exc:
            errors[name] = exc.errors["photo"]
    if errors:
        raise FormErrors(errors)
    # A new photo takes a new name (its address is kept for a year, pwa/shops/routes.py
    # shop_file); the one it replaces goes with the same save.
    replaced = [getattr(shop, f"{name}_photo") for name in encoded]
    new_names = {name: f"{uuid.uuid4().hex}.jpg" for name in encoded}
    shop.opening_hours = form.get("opening_hours", "")
    shop.quiet_hours = form.get("quiet_hours", "")
    shop.staff_know = form.get("staff_know", "")
    shop.address = form.get("address", "")
    was = shop.accepts_vouchers
    shop.accepts_vouchers = form.get("accepts_vouchers") == "on"
    async with in_transaction():
        for name, data in encoded.items():
            await blobs.put(blobs.key(blobs.SHOPS, new_names[name]), data, blobs.JPEG)
            setattr(shop, f"{name}_photo", new_names[name])
        await blobs.delete(blobs.key(blobs.SHOPS, old) for old in replaced if old)
        await shop.save()
        if was != shop.accepts_vouchers:
            # Switching vouchers off (or on) stops (or starts) the store's till: audited.
            await audit.record(
                AuditAction.STORE_VOUCHERS,
                actor=by,
                object_kind="organisation",
                object_id=shop.id,
                organisation_id=shop.id,
                before={"accepts_vouchers": was},
                after={"accepts_vouchers": shop.accepts_vouchers},
            )


# --- friendly-shop status (issue 17) -----------------------------------------------------------


@dataclass(frozen=True)
class StoreStatus:
    """Where a store is on its way to being a friendly shop, or why it is not one now."""

    key: str  # "checklist", "waiting", "friendly", "suspended", "ended"
    since: datetime | None

    @property
    def words(self) -> str:
        day = format_date(self.since) if self.since else ""
        if self.key == "ended":
            return _("Ended on %(day)s", day=day)
        if self.key == "suspended":
            return _("Suspended since %(day)s", day=day)
        if self.key == "friendly":
            return _("Friendly shop since %(day)s", day=day)
        if self.key == "active":
            return _("Active")
        if self.key == "waiting":
            return _("Waiting for approval since %(day)s", day=day)
        return _("Needs the checklist")

    @property
    def icon(self) -> str:
        return {
            "ended": "26D4",
            "suspended": "23F8",
            "friendly": "2705",
            "waiting": "23F3",
            "active": "2705",
        }.get(self.key, "1F4CB")


def store_status(store: Organisation, chain: Organisation | None = None) -> StoreStatus:
    """The store's status; `chain`: its merchant, when it has one (a suspended or ended
    merchant suspends or ends its stores too)."""
    if store.ended_at is not None:
        return StoreStatus("ended", store.ended_at)
    if chain is not None and chain.ended_at is not None:
        return StoreStatus("ended", chain.ended_at)
    if store.suspended_at is not None:
        return StoreStatus("suspended", store.suspended_at)
    if chain is not None and chain.suspended_at is not None:
        return StoreStatus("suspended", chain.suspended_at)
    if store.approved_at is not None:
        return StoreStatus("friendly", store.approved_at)
    if store.checklist_confirmed_at is not None:
        return StoreStatus("waiting", store.checklist_confirmed_at)
    return StoreStatus("checklist", None)


def organisation_status(org: Organisation) -> StoreStatus:
    """Active, suspended or ended, for an organisation that is not a store ("friendly" stands
    for active here: key "active")."""
    if org.ended_at is not None:
        return StoreStatus("ended", org.ended_at)
    if org.suspended_at is not None:
        return StoreStatus("suspended", org.suspended_at)
    return StoreStatus("active", None)


def checklist_missing(store: Organisation) -> list[str]:
    """What the store's directory entry still lacks before its staff can confirm the
    checklist, in words (empty: nothing)."""
    missing = []
    if not store.quiet_hours.strip():
        missing.append(_("Write your quiet hours."))
    if not store.staff_know.strip():
        missing.append(_("Write what your staff know to do."))
    if not store.entrance_photo:
        missing.append(_("Add a photo of the entrance."))
    if not store.till_photo:
        missing.append(_("Add a photo of the till."))
    return missing


async def confirm_checklist(store: Organisation, by: Account, *, guide_read: bool) -> None:
    """The store's staff have read the staff guide and its entry has everything the checklist
    asks: it waits for the programme's approval. FormErrors (nothing changed) otherwise."""
    errors: dict[str, str] = {}
    if not guide_read:
        errors["guide_read"] = _("Read the staff guide first, then tick this box.")
    if missing := checklist_missing(store):
        errors["checklist"] = " ".join(missing)
    if errors:
        raise FormErrors(errors)
    now = clock.now()
    async with in_transaction():
        # Once: a second confirmation (two staff at once) changes nothing and is not recorded.
        confirmed = await Organisation.filter(id=store.id, checklist_confirmed_at=None).update(
            guide_read_at=now, checklist_confirmed_at=now
        )
        if not confirmed:
            await store.refresh_from_db()
            return
        await audit.record(
            AuditAction.STORE_CHECKLIST,
            actor=by,
            object_kind="organisation",
            object_id=store.id,
            organisation_id=store.id,
            before={"checklist_confirmed_at": None},
            after={
                "checklist_confirmed_at": now,
                "guide_read_at": now,
                "quiet_hours": store.quiet_hours,
                "staff_know": store.staff_know,
            },
        )
    store.guide_read_at = store.checklist_confirmed_at = now


async def active_stores_of(account: Account) -> list[Organisation]:
    """The stores the account is staff of that may work now (neither they nor their merchant
    suspended or ended)."""
    return await Organisation.filter(
        await chain_works(),
        members__account=account,
        kind=OrgKind.MERCHANT,
        suspended_at=None,
        ended_at=None,
    ).order_by("id")


async def paid_at(shop_ids: list[int], limit: int = 200) -> list[Redemption]:
    """The latest payments at these stores (their reversals marked on them)."""
    return (
        await Redemption.filter(shop_id__in=shop_ids, outcome=Outcome.PAID)
        .prefetch_related("shop")
        .order_by("-created_at")
        .limit(limit)
    )
