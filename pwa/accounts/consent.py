"""The guardian's consent to what the app keeps about the person (issue 16, item 5): the
privacy notice's version, asked at sign-up, when a person is added and when the notice changes.

PIPL Art. 28/29/31 (a child under 14 is sensitive by age; a guardian consents for them) and
GDPR Art. 8/9 ask for a separate, explicit consent to sensitive personal information: a box the
guardian ticks themselves beside a link to the notice, recorded with its time and version.
"""

from __future__ import annotations

from collections.abc import Mapping
from uuid import UUID

from pwa.core.forms import FormErrors
from pwa.i18n import _, current_locale
from pwa.models import Account, ConsentRecord

# Raise it whenever the notice (templates/accounts/privacy.html) says something new: every
# guardian is asked again at their next log-in.
NOTICE_VERSION = "2026-12-01"
FIELD = "consent"


def given(form: Mapping[str, str]) -> bool:
    """The form's consent box was ticked (templates/components/consent.html)."""
    return form.get(FIELD) == "yes"


def check(form: Mapping[str, str], errors: dict[str, str] | None = None) -> dict[str, str]:
    """Add the consent field's error to errors when the box was not ticked."""
    errors = dict(errors or {})
    if not given(form):
        errors[FIELD] = _("Read the privacy notice, then tick the box to agree.")
    return errors


def require(form: Mapping[str, str]) -> None:
    """FormErrors when the box was not ticked."""
    if errors := check(form):
        raise FormErrors(errors)


async def record(
    account: Account | None,
    *,
    occasion: str,
    family_id: UUID | None = None,
    person_id: UUID | None = None,
    version: str = NOTICE_VERSION,
) -> ConsentRecord:
    """Keep the consent: who, for which family and person, which notice, when, in which
    language. occasion: "sign_up", "person_added" or "new_notice"."""
    return await ConsentRecord.create(
        account=account,
        family_id=family_id,
        person_id=person_id,
        notice_version=version,
        occasion=occasion,
        locale=current_locale(),
    )


async def current(account: Account) -> bool:
    """The account has agreed to the notice as it is now."""
    return await ConsentRecord.filter(account=account, notice_version=NOTICE_VERSION).exists()
