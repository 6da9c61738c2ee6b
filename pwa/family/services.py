"""The family: its people and their settings (the only writers)."""

from __future__ import annotations

from uuid import UUID

from tortoise.transactions import in_transaction

from pwa.accounts import consent
from pwa.core import clock, person_settings
from pwa.core.forms import FormErrors
from pwa.core.person_settings import SettingsError
from pwa.i18n import _
from pwa.models import (
    Account,
    CentreFamily,
    CentreRequest,
    Family,
    Membership,
    Organisation,
    Person,
    Role,
)

# Pictures a person can choose to stand for them (OpenMoji codes).
AVATARS = ("1F9D2", "1F466", "1F467", "1F9D1", "1F468", "1F469", "1F642", "1F431", "1F436", "2B50")


# --- reading ---------------------------------------------------------------------------------


async def guardian_phone(person_family_id: object, exclude_account_id: int | None) -> str:
    """The phone of the first guardian who gave one (not the person themselves)."""
    guardians = (
        await Account.filter(
            memberships__family_id=person_family_id, memberships__role=Role.GUARDIAN
        )
        .exclude(phone="")
        .order_by("id")
    )
    for guardian in guardians:
        if guardian.id != exclude_account_id:
            return guardian.phone
    return ""


# --- service functions -----------------------------------------------------------------------


async def add_person(
    family: Family, *, display_name: str, avatar: str, guardian: Account, consented: bool
) -> Person:
    """A new person in the family, with the guardian's consent for them (issue 16, item 5):
    the consent at sign-up was for the people of that day, so each new one is asked again."""
    errors = {}
    if not display_name:
        errors["display_name"] = _("Write the name the person knows.")
    elif len(display_name) > 60:
        errors["display_name"] = _("The name can have at most 60 characters.")
    if avatar not in AVATARS:
        errors["avatar"] = _("Choose one of the pictures.")
    if not consented:
        errors[consent.FIELD] = consent.missing()
    if errors:
        raise FormErrors(errors)
    async with in_transaction():
        person = await Person.create(family=family, display_name=display_name, avatar=avatar)
        await consent.record(
            guardian, occasion="person_added", family_id=family.id, person_id=person.id
        )
    return person


async def save_settings(person: Person, form: dict[str, str]) -> None:
    try:
        person.settings = person_settings.from_form(form)
    except SettingsError as exc:
        raise FormErrors({exc.field: _("Choose one of the choices.")}) from None
    await person.save(update_fields=["settings"])


async def set_lost_share(person: Person, on: bool, guardian: Account) -> bool:
    """Whether "I am lost" shares the phone's position with the guardians (issue 18, item 6);
    who changed it and when are kept with it and shown beside the switch. Nothing is written
    when it stays as it was, so the words keep saying who decided. True: it changed."""
    if person.lost_share == on:
        return False
    person.lost_share = on
    person.lost_share_changed_at = clock.now()
    person.lost_share_changed_by = guardian.name[:100]
    await person.save(
        update_fields=["lost_share", "lost_share_changed_at", "lost_share_changed_by"]
    )
    return True


async def families_of(account: Account) -> list[tuple[Family, Role, list[Person]]]:
    memberships = (
        await Membership.filter(account=account).prefetch_related("family").order_by("created_at")
    )
    result = []
    for membership in memberships:
        people = await Person.filter(family=membership.family).order_by("created_at")
        result.append((membership.family, Role(membership.role), people))
    return result


# --- centres: a centre joins a family only when a parent accepts (issue 15) ------------------


async def centres_of(family_ids: list[UUID]) -> dict[UUID, list[Organisation]]:
    """The centres each family is with, by family id."""
    found: dict[UUID, list[Organisation]] = {}
    for link in await CentreFamily.filter(family_id__in=family_ids).prefetch_related("centre"):
        found.setdefault(link.family_id, []).append(link.centre)
    return found


async def centre_requests_of(family_ids: list[UUID]) -> dict[UUID, list[Organisation]]:
    """The centres that asked each family and wait for its answer, by family id."""
    found: dict[UUID, list[Organisation]] = {}
    asked = CentreRequest.filter(family_id__in=family_ids).prefetch_related("centre")
    for request in await asked.order_by("id"):
        found.setdefault(request.family_id, []).append(request.centre)
    return found


async def answer_centre(family: Family, centre: str, *, accept: bool) -> Organisation | None:
    """A parent's answer to a centre's request (`centre`: its id, as the form sends it).
    Accepting makes the family the centre's, as a family the centre registered itself; either
    answer ends the request. None: no request of that centre waits for this family (answered
    already, or never made)."""
    centre_id = int(centre) if centre.isascii() and centre.isdigit() and len(centre) < 10 else 0
    if not centre_id:
        return None
    async with in_transaction():
        request = await CentreRequest.get_or_none(
            family=family, centre_id=centre_id
        ).prefetch_related("centre")
        if request is None:
            return None
        # Deleted first: of two taps on Accept, only the one that removes the row goes on.
        if not await CentreRequest.filter(id=request.id).delete():
            return None
        if accept:
            await CentreFamily.get_or_create(centre_id=centre_id, family=family)
    return request.centre


# --- pages -----------------------------------------------------------------------------------
