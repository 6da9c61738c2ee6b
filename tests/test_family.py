"""The family home, people, person settings, and that families never see each other."""

from __future__ import annotations

from pwa.core import person_settings
from pwa.models import Person
from tests.factories import PASSWORD, link_phone, make_caregiver, make_family


async def test_guardian_adds_a_person_with_a_picture(client):
    family = await make_family()
    await client.log_in(family.email, PASSWORD)
    response = await client.submit(
        f"/families/{family.family.id}/people/new",
        {
            "display_name": "Hong",
            "avatar": "1F467",
            "consent": "yes",
        },
    )
    assert response.status_code == 303
    person = await Person.get(display_name="Hong")
    assert person.family_id == family.family.id and person.avatar == "1F467"
    assert "Hong" in (await client.get("/home")).text


async def test_adding_a_person_without_a_name_explains_and_adds_nobody(client):
    family = await make_family()
    await client.log_in(family.email, PASSWORD)
    response = await client.submit(
        f"/families/{family.family.id}/people/new",
        {
            "display_name": "",
            "avatar": "not-a-picture",
        },
    )
    assert response.status_code == 400
    assert "Write the name the person knows." in response.text
    assert "Choose one of the pictures." in response.text
    assert await Person.filter(family=family.family).count() == 1


async def test_another_familys_person_and_settings_answer_404(client):
    mine = await make_family(person_name="Ming")
    theirs = await make_family(person_name="Hong")
    await client.log_in(mine.email, PASSWORD)
    for path in (
        f"/people/{theirs.person.id}",
        f"/people/{theirs.person.id}/settings",
        f"/people/{theirs.person.id}/phone",
        f"/families/{theirs.family.id}/caregivers",
        f"/families/{theirs.family.id}/people/new",
    ):
        response = await client.get(path)
        assert response.status_code == 404, path
        assert "Hong" not in response.text
    change = await client.submit(f"/people/{theirs.person.id}/settings", {"theme": "contrast"})
    assert change.status_code == 404
    assert (await Person.get(id=theirs.person.id)).settings == {}
    assert "Hong" not in (await client.get("/home")).text


async def test_a_made_up_id_answers_404_not_an_error(client):
    family = await make_family()
    await client.log_in(family.email, PASSWORD)
    assert (await client.get("/people/not-a-uuid/settings")).status_code == 404
    assert (await client.get("/people/00000000-0000-0000-0000-000000000000")).status_code == 404


async def test_guardian_saves_settings_and_the_phone_applies_them(client, other_client):
    family = await make_family(person_name="Ming")
    await client.log_in(family.email, PASSWORD)
    response = await client.submit(
        f"/people/{family.person.id}/settings",
        {
            "text_size": "largest",
            "theme": "contrast",
            "display": "pictures_only",
            "language": "en",
            "reduced_motion": "on",
            "hide_prices": "on",
        },
    )
    assert response.status_code == 303
    saved = person_settings.effective((await Person.get(id=family.person.id)).settings)
    assert saved["text_size"] == "largest" and saved["hide_prices"] is True
    assert saved["sound"] is False and saved["one_step"] is False
    page = await client.get(f"/people/{family.person.id}/settings")
    assert 'value="largest" checked' in page.text

    code = await link_phone(family)
    await other_client.submit(f"/link/{code}", {"confirm": "yes"})
    me = await other_client.get("/me", headers={"Accept-Language": "zh-CN"})
    assert 'class="text-largest theme-contrast reduce-motion pictures-only"' in me.text
    # The person's language setting wins over the phone's browser language.
    assert '<html lang="en"' in me.text
    assert '"hide_prices": true' in me.text


async def test_a_setting_outside_the_choices_is_refused_and_changes_nothing(client):
    family = await make_family()
    await client.log_in(family.email, PASSWORD)
    response = await client.submit(
        f"/people/{family.person.id}/settings",
        {
            "text_size": "enormous",
            "theme": "calm",
        },
    )
    assert response.status_code == 400
    assert "Choose one of the choices." in response.text
    assert (await Person.get(id=family.person.id)).settings == {}


async def test_caregiver_sees_the_family_but_cannot_change_settings(client):
    family = await make_family(person_name="Ming")
    _caregiver, email = await make_caregiver(family)
    await client.log_in(email, PASSWORD)
    home = await client.get("/home")
    assert "Ming" in home.text and "You are a caregiver here." in home.text
    assert "Invite a caregiver" not in home.text
    settings = await client.get(f"/people/{family.person.id}/settings")
    assert settings.status_code == 200 and "Save the settings" not in settings.text
    change = await client.submit(f"/people/{family.person.id}/settings", {"theme": "contrast"})
    assert change.status_code == 403
    assert (await client.get(f"/people/{family.person.id}/phone")).status_code == 403
    assert (await client.get(f"/families/{family.family.id}/caregivers")).status_code == 403
    assert (await client.get(f"/families/{family.family.id}/people/new")).status_code == 403


def test_settings_form_reading():
    values = person_settings.from_form(
        {
            "text_size": "large",
            "theme": "calm",
            "display": "pictures_words",
            "language": "",
            "sound": "on",
        }
    )
    assert values["text_size"] == "large" and values["language"] is None
    assert values["sound"] is True and values["read_aloud"] is False
    assert person_settings.html_classes(values) == "text-large theme-calm"
