"""The family: its people and their settings (the only writers)."""

from __future__ import annotations

from pwa.core import person_settings
from pwa.core.forms import FormErrors
from pwa.core.person_settings import SettingsError
from pwa.i18n import _
from pwa.models import Account, Family, Membership, Person, Role

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


async def add_person(family: Family, *, display_name: str, avatar: str) -> Person:
    errors = {}
    if not display_name:
        errors["display_name"] = _("Write the name the person knows.")
    elif len(display_name) > 60:
        errors["display_name"] = _("The name can have at most 60 characters.")
    if avatar not in AVATARS:
        errors["avatar"] = _("Choose one of the pictures.")
    if errors:
        raise FormErrors(errors)
    return await Person.create(family=family, display_name=display_name, avatar=avatar)


async def save_settings(person: Person, form: dict[str, str]) -> None:
    try:
        person.settings = person_settings.from_form(form)
    except SettingsError as exc:
        raise FormErrors({exc.field: _("Choose one of the choices.")}) from None
    await person.save(update_fields=["settings"])


async def families_of(account: Account) -> list[tuple[Family, Role, list[Person]]]:
    memberships = (
        await Membership.filter(account=account).prefetch_related("family").order_by("created_at")
    )
    result = []
    for membership in memberships:
        people = await Person.filter(family=membership.family).order_by("created_at")
        result.append((membership.family, Role(membership.role), people))
    return result


# --- pages -----------------------------------------------------------------------------------
