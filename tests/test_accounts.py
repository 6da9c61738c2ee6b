"""Sign-up, log-in, throttling, CSRF, caregiver invitations and linking the person's phone."""

from __future__ import annotations

import base64
import re
from datetime import timedelta

from pwa.accounts import services as accounts
from pwa.auth import sessions
from pwa.core import clock
from pwa.models import Account, DeviceLink, Invitation, Person
from tests.factories import PASSWORD, link_phone, make_account, make_family

# Signing up by email goes through the link sent to the address: tests/test_email.py (the
# family and person made, the adult who plans their own trips, a known email answered the same).


async def test_sign_up_with_bad_input_explains_each_field_and_creates_nothing(client):
    response = await client.submit(
        "/signup",
        {
            "kind": "family",
            "name": "",
            "email": "not-an-email",
            "password": "short",
        },
    )
    assert response.status_code == 400
    assert "Write your name." in response.text
    assert "Write an email address like name@example.com." in response.text
    assert "The password needs at least 8 characters." in response.text
    assert await Account.all().count() == 0


async def test_sign_up_errors_are_translated(app):
    from tests.conftest import Client

    async with Client(app, locale="zh-CN") as chinese:
        response = await chinese.submit("/signup", {"name": "", "email": "x", "password": "1"})
    assert response.status_code == 400
    assert 'lang="zh-Hans"' in response.text
    assert "Write your name." not in response.text
    assert "请写你的名字。" in response.text


async def test_log_in_lands_on_the_family_home_and_log_out_ends_it(client):
    family = await make_family(name="Li", person_name="Ming")
    response = await client.submit("/login", {"email": family.email, "password": PASSWORD})
    assert response.status_code == 303 and response.headers["location"] == "/"
    home = await client.get("/", follow_redirects=True)
    assert str(home.url).endswith("/home") and "Ming" in home.text
    await client.submit("/logout")
    after = await client.get("/home")
    assert after.status_code == 303 and after.headers["location"].startswith("/login")


async def test_wrong_password_is_refused_in_words(client):
    family = await make_family()
    response = await client.submit("/login", {"email": family.email, "password": "wrong-one"})
    assert response.status_code == 400
    assert "The email or the password is not right." in response.text
    assert (await client.get("/home")).status_code == 303


async def test_a_form_without_the_csrf_token_is_refused_and_changes_nothing(client):
    client.cookies.clear()
    await client.get("/signup")
    response = await client.post(
        "/signup",
        data={
            "name": "Li",
            "email": "li@example.test",
            "password": PASSWORD,
        },
    )
    assert response.status_code == 403
    assert "This form could not be checked" in response.text
    assert await Account.all().count() == 0


async def test_json_calls_pass_csrf_with_a_header(client):
    token = await client.csrf()
    refused = await client.post("/lang", json={})
    assert refused.status_code == 403
    # With the header the request reaches the handler, which then rejects the empty language.
    passed = await client.post("/lang", data={"locale": "en"}, headers={"X-CSRF-Token": token})
    assert passed.status_code == 303


async def test_caregiver_invitation_link_gives_read_only_access(client, other_client):
    family = await make_family(person_name="Ming")
    await client.log_in(family.email, PASSWORD)
    page = await client.submit(f"/families/{family.family.id}/caregivers")
    link = next(part.split('"')[0] for part in page.text.split('href="') if "/invite/" in part)
    token = link.rsplit("/", 1)[1]
    # The link is shown once, in that answer: not kept in the session cookie, not shown again.
    assert token not in session_cookie_text(client)
    assert token not in (await client.get(f"/families/{family.family.id}/caregivers")).text
    invite_path = link.removeprefix("http://127.0.0.1")
    # Someone new signs up through the email link (tests/test_email.py); with an account, one
    # press accepts.
    _teacher, teacher_email = await make_account("Teacher Chen")
    await other_client.log_in(teacher_email, PASSWORD)
    accepted = await other_client.submit(invite_path)
    assert accepted.status_code == 303
    person_page = await other_client.get(f"/people/{family.person.id}")
    assert person_page.status_code == 200 and "Ming" in person_page.text
    settings = await other_client.get(f"/people/{family.person.id}/settings")
    assert "Only a parent can change them." in settings.text
    change = await other_client.submit(
        f"/people/{family.person.id}/settings", {"theme": "contrast"}
    )
    assert change.status_code == 403
    assert (await Person.get(id=family.person.id)).settings == {}


async def test_revoking_an_invitation_ends_the_caregivers_access(client, other_client):
    family = await make_family()
    caregiver, email = await make_account("Teacher")
    token = await accounts.create_invitation(family.family, family.guardian)
    await accounts.accept_invitation(token, caregiver)
    await other_client.log_in(email, PASSWORD)
    assert (await other_client.get(f"/people/{family.person.id}")).status_code == 200

    await client.log_in(family.email, PASSWORD)
    invitation = await Invitation.get(family=family.family)
    await client.submit(f"/families/{family.family.id}/caregivers/{invitation.id}/revoke")
    # At once, in the browser that was logged in, and after logging in again.
    assert (await other_client.get(f"/people/{family.person.id}")).status_code == 404
    await other_client.log_in(email, PASSWORD)
    assert (await other_client.get(f"/people/{family.person.id}")).status_code == 404
    assert (await other_client.get(f"/invite/{token}")).status_code == 404


async def test_an_expired_invitation_does_not_open(other_client):
    family = await make_family()
    token = await accounts.create_invitation(family.family, family.guardian)
    await Invitation.filter(family=family.family).update(
        expires_at=clock.now() - timedelta(minutes=1)
    )
    assert (await other_client.get(f"/invite/{token}")).status_code == 404


async def test_the_phone_links_with_a_one_time_code_and_sees_only_the_person(client, other_client):
    family = await make_family(person_name="Ming")
    code = await link_phone(family)
    shown = await other_client.get(f"/link/{code}")
    assert "This phone will be the phone of Ming." in shown.text
    linked = await other_client.submit(f"/link/{code}", {"confirm": "yes"})
    assert linked.status_code == 303 and linked.headers["location"] == "/me"
    me = await other_client.get("/me")
    assert me.status_code == 200 and "Hello, Ming." in me.text
    assert "tel:13800138000" in me.text
    # The parents' pages stay closed to the phone.
    assert (await other_client.get("/home")).status_code == 403
    assert (await other_client.get(f"/people/{family.person.id}/settings")).status_code == 403
    assert (await other_client.get(f"/people/{family.person.id}/phone")).status_code == 403
    # The code works once.
    again = await client.submit(f"/link/{code}", {"confirm": "yes"})
    assert again.status_code == 400
    assert "This code does not work." in again.text


async def test_a_typed_code_with_dash_and_lower_case_is_accepted(other_client):
    family = await make_family(person_name="Ming")
    code = await link_phone(family)
    typed = f"{code[:4].lower()}-{code[4:]}"
    response = await other_client.submit("/link", {"code": typed})
    assert response.status_code == 303 and response.headers["location"] == f"/link/{code}"


async def test_revoking_the_phone_ends_its_session(client, other_client):
    family = await make_family()
    code = await link_phone(family)
    await other_client.submit(f"/link/{code}", {"confirm": "yes"})
    assert (await other_client.get("/me")).status_code == 200
    device = await DeviceLink.get(person=family.person)
    await client.log_in(family.email, PASSWORD)
    page = await client.get(f"/people/{family.person.id}/phone")
    assert "Unlink this phone" in page.text
    await client.submit(f"/people/{family.person.id}/phone/{device.id}/revoke")
    after = await other_client.get("/me")
    # The phone is told in words on the page that links a phone, not sent to a log-in form.
    assert after.status_code == 303 and after.headers["location"] == "/link"


async def test_the_phone_last_seen_time_is_written_at_most_every_30_seconds(other_client):
    """Not on every request: that made every page view and pull a write (bench/load.py)."""
    family = await make_family()
    code = await link_phone(family)
    await other_client.submit(f"/link/{code}", {"confirm": "yes"})
    await other_client.get("/me")
    first = (await DeviceLink.get(person=family.person)).last_seen_at
    assert first is not None
    await other_client.get("/me")
    assert (await DeviceLink.get(person=family.person)).last_seen_at == first
    older = clock.now() - sessions.LAST_SEEN_EVERY
    await DeviceLink.filter(person=family.person).update(last_seen_at=older)
    await other_client.get("/me")
    assert (await DeviceLink.get(person=family.person)).last_seen_at > older


async def test_an_expired_code_does_not_link(other_client):
    family = await make_family()
    code = await link_phone(family)
    await DeviceLink.filter(person=family.person).update(
        code_expires_at=clock.now() - timedelta(seconds=1)
    )
    response = await other_client.submit(f"/link/{code}", {"confirm": "yes"})
    assert response.status_code == 400
    assert (await other_client.get("/me")).status_code == 303


async def test_guardian_shows_the_code_as_text_and_qr(client):
    family = await make_family(person_name="Ming")
    await client.log_in(family.email, PASSWORD)
    page = await client.submit(f"/people/{family.person.id}/phone")
    assert page.status_code == 200
    assert 'class="code-text"' in page.text and "<svg" in page.text
    assert 'aria-label="QR code to link the phone of Ming"' in page.text
    code = re.search(r'class="code-text"[^>]*>([^<]+)<', page.text)[1].strip().replace("-", "")
    assert code not in session_cookie_text(client).replace("-", "")
    assert 'class="code-text"' not in (await client.get(f"/people/{family.person.id}/phone")).text


def session_cookie_text(client) -> str:
    """What the session cookie carries, readable by whoever holds it (signed, not secret)."""
    value = client.cookies.get("startrip_session", "")
    payload = value.split(".", 1)[0]
    return base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)).decode()


async def test_an_empty_code_asks_for_the_code(other_client):
    response = await other_client.submit("/link", {"code": " "})
    assert response.status_code == 400
    assert "Type the code." in response.text
    assert "Ask your parent" not in response.text


async def test_an_accepted_invitation_says_so_instead_of_asking_again(client):
    family = await make_family()
    caregiver, email = await make_account("Teacher")
    token = await accounts.create_invitation(family.family, family.guardian)
    await accounts.accept_invitation(token, caregiver)
    await client.log_in(email, PASSWORD)
    page = await client.get(f"/invite/{token}")
    assert "You already follow this family." in page.text
    assert "Accept the invitation" not in page.text
