"""Who may hear a clip: the family it was recorded for, asked of the one rule each time."""

from __future__ import annotations

from typing import Any

from pwa.auth.access import Access
from pwa.auth.rules import Action, Hidden
from pwa.auth.sessions import Principal
from pwa.family.access import family_row, id_of
from pwa.models import Clip


async def clip(who: Principal, clip_id: Any, action: Action) -> tuple[Clip, Access]:
    found = await Clip.get_or_none(id=id_of(clip_id))
    if found is None:
        raise Hidden()
    return found, await family_row(who, action, found.family_id)
