"""A guardian's voice clips (issue 18): checked by what the file holds, stored with nothing but
the sound, kept only for the family, and put on a step, an item or the help card."""

from __future__ import annotations

import asyncio
import uuid

from tortoise.transactions import in_transaction

from pwa.clips import opus
from pwa.core import blobs
from pwa.core.forms import FormErrors
from pwa.i18n import _
from pwa.models import Clip, Family, ListItem, Person, PlanStep

# A 15-second recording of speech in Opus is 30–60 KB; a file input may bring a richer one.
MAX_BYTES = 512 * 1024
MAX_SECONDS = 15
# The recorder stops at 15 s (static/js/record.js), a few frames after the timer says so.
MAX_MS = MAX_SECONDS * 1000 + 500
MIME = "audio/ogg"  # every stored clip is a rebuilt Ogg Opus file (pwa/clips/opus.py)
FIELD = "clip"
# What a browser records: WebM (Chromium, Firefox) or Ogg (Firefox, Android's recorders).
WEBM_MAGIC = b"\x1a\x45\xdf\xa3"
OGG_MAGIC = b"OggS"


def not_audio() -> FormErrors:
    return FormErrors(
        {FIELD: _("This file is not a voice recording we can use. Record it again here.")}
    )


def check(data: bytes) -> tuple[bytes, int]:
    """The bytes of a recording → the Ogg Opus file to store and its length in ms.

    The type is read from the content, never the name or the browser's word for it. Only the
    Opus packets go into the new file (opus.py): tags, pictures, other tracks and whatever
    else the upload carried stay behind, and the new file's comment header is empty. mutagen
    then reads the new file, and the length it finds is what is checked and kept."""
    if not data:
        raise FormErrors({FIELD: _("Record your voice first, or choose a recording.")})
    if len(data) > MAX_BYTES:
        raise FormErrors({FIELD: _("The recording is too big. It can be at most 512 KB.")})
    try:
        if data.startswith(WEBM_MAGIC):
            recording = opus.from_webm(data)
        elif data.startswith(OGG_MAGIC):
            recording = opus.from_ogg(data)
        else:
            raise not_audio()
        encoded, _samples = opus.to_ogg(recording)
        length = opus.seconds(encoded)
    except FormErrors:
        raise
    except Exception:  # the EBML reader's NotOpus, and mutagen's errors on what it rebuilt
        raise not_audio() from None
    duration_ms = round(length * 1000)
    if duration_ms <= 0:
        raise not_audio()
    if duration_ms > MAX_MS:
        raise FormErrors({FIELD: _("The recording is too long. It can be at most 15 seconds.")})
    return encoded, duration_ms


async def save_clip(family: Family, *, clip_id: uuid.UUID, data: bytes) -> Clip:
    """A new clip of the family, or the one this form already made (sent twice)."""
    existing = await Clip.get_or_none(id=clip_id)
    if existing is not None:
        if existing.family_id != family.id:
            raise FormErrors({FIELD: _("This form is old. Reload the page and try again.")})
        return existing
    encoded, duration_ms = await asyncio.to_thread(check, data)
    file_name = f"{uuid.uuid4().hex}.ogg"
    # The row and its bytes together, in the database: any app process serves them.
    async with in_transaction():
        await blobs.put(blobs.key(blobs.CLIPS, file_name), encoded, MIME)
        return await Clip.create(
            id=clip_id,
            family=family,
            file_name=file_name,
            mime=MIME,
            duration_ms=duration_ms,
            size=len(encoded),
        )


async def put_clip(owner: PlanStep | ListItem | Person, clip: Clip | None) -> None:
    """Give a step, an item or a help card this clip (None: no clip). The clip it had is
    deleted with its bytes: a clip belongs to one place only. A step or an item saved this way
    takes the next change number, so the phone's pull brings the new clip."""
    field = "help_clip_id" if isinstance(owner, Person) else "clip_id"
    old_id = getattr(owner, field)
    new_id = clip.id if clip else None
    if old_id == new_id:
        return
    async with in_transaction():
        setattr(owner, field, new_id)
        # A step or an item is a synced row: its change time goes with it.
        await owner.save(
            update_fields=[field] if isinstance(owner, Person) else [field, "updated_at"]
        )
        old = await Clip.get_or_none(id=old_id) if old_id else None
        if old is not None:
            await old.delete()
            await blobs.delete([blobs.key(blobs.CLIPS, old.file_name)])
