"""Friendly shops: the shop's entry in the directory (the only writer of it). Payments and
reversals are the vouchers' services (pwa/vouchers/services.py)."""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path

from pwa.core.forms import FormErrors
from pwa.i18n import _
from pwa.models import Organisation
from pwa.photos import services as photos

LIMITS = (("opening_hours", 120), ("quiet_hours", 120), ("staff_know", 500), ("address", 200))


async def save_directory_entry(
    shop: Organisation, form: dict[str, str], pictures: dict[str, bytes], folder: Path
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
    for name, data in encoded.items():
        file_name = f"{uuid.uuid4().hex}.jpg"
        await asyncio.to_thread(photos.write_file, folder / file_name, data)
        setattr(shop, f"{name}_photo", file_name)
    shop.opening_hours = form.get("opening_hours", "")
    shop.quiet_hours = form.get("quiet_hours", "")
    shop.staff_know = form.get("staff_know", "")
    shop.address = form.get("address", "")
    shop.accepts_vouchers = form.get("accepts_vouchers") == "on"
    await shop.save()
