"""A family agrees before a centre joins it (issue 15): a centre that types a family's code only
asks; a parent accepts or declines on the family home; until then the centre sees the code as
waiting and cannot give the family vouchers. A code that is nobody's gets the same answer and
leaves nothing behind, so codes cannot be tried out."""

from __future__ import annotations

import html
import re
import uuid

from pwa.core import clock
from pwa.models import CentreFamily, CentreRequest, Organisation, OrgMembership, Voucher
from tests.conftest import Client
from tests.databases import table_counts
from tests.factories import (
    PASSWORD,
    FamilyFixture,
    link_phone,
    make_caregiver,
    make_centre_and_shop,
    make_family,
)
from tests.html import find_form

ASKED = (
    "If this code belongs to a family, its parent will see your request. "
    "The family is in your list when the parent accepts."
)


async def as_centre(client: Client, centre: Organisation) -> None:
    member = await OrgMembership.get(organisation=centre).prefetch_related("account")
    await client.log_in(member.account.email, PASSWORD)


def text(response) -> str:
    """The page's words as a person reads them: no tags, entities such as &#39; turned back."""
    return html.unescape(re.sub(r"<[^>]+>", "", response.text))


async def ask(client: Client, code: str):
    return await client.submit("/centre/families", {"action": "attach", "code": code})


async def answer_on_home(parent: Client, family: FamilyFixture, centre: Organisation, answer: str):
    """Press Accept or Decline on the card of the family home, as a browser sends it."""
    home = await parent.get("/home")
    form = find_form(
        home.text, f"/families/{family.family.id}/centre-requests", centre_id=str(centre.id)
    )
    return await parent.post(form.action, data={**form.fields, "answer": answer})


async def ask_and_accept(centre_http: Client, parent: Client, family: FamilyFixture, centre):
    """What other tests need: the centre asks by code and the family's parent accepts."""
    assert (await ask(centre_http, family.family.code)).status_code == 303
    await parent.log_in(family.email, family.password)
    accepted = await answer_on_home(parent, family, centre, "accept")
    assert accepted.status_code == 303


async def give_voucher(centre_http: Client, family: FamilyFixture):
    token = await centre_http.csrf()
    return await centre_http.post(
        "/centre/vouchers/new",
        data={
            "csrf_token": token,
            "id": str(uuid.uuid4()),
            "family_id": str(family.family.id),
            "amount": "50",
            "valid_from": "",
            "valid_until": clock.now().date().replace(year=clock.now().year + 1).isoformat(),
        },
    )


async def import_one(centre_http: Client, family: FamilyFixture):
    data = f"family_code,amount,valid_until\n{family.family.code},20,2099-01-01\n".encode()
    return await centre_http.post(
        "/centre/import",
        data={"csrf_token": await centre_http.csrf()},
        files={"file": ("vouchers.csv", data, "text/csv")},
    )


async def test_a_centres_request_to_attach_a_family_does_nothing_until_the_parent_accepts_it(
    app, client: Client, other_client: Client
) -> None:
    centre, _shop, _staff = await make_centre_and_shop()
    family = await make_family(name="Wang Fang")
    await as_centre(client, centre)

    # Typed as people type it: small letters, with the dash the home page shows.
    code = family.family.code
    asked = await ask(client, f"{code[:4].lower()}-{code[4:]}")
    assert asked.status_code == 303
    again = await ask(client, code)
    assert again.status_code == 303
    assert await CentreRequest.filter(centre=centre, family=family.family).count() == 1

    listing = await client.get("/centre/families")
    assert ASKED in text(listing)
    assert f"Family code {code}: waiting for the family." in text(listing)
    # Before the parent accepts, the centre has no more than the code it typed.
    assert family.family.name not in text(listing)
    voucher_page = await client.get("/centre/vouchers/new")
    assert str(family.family.id) not in voucher_page.text
    refused = await give_voucher(client, family)
    assert refused.status_code == 400
    assert "Choose one of the centre&#39;s families." in refused.text
    imported = await import_one(client, family)
    assert f"The family code {code} is not registered with this centre." in text(imported)
    assert await Voucher.filter(family=family.family).count() == 0
    assert not await CentreFamily.exists(centre=centre, family=family.family)

    # A caregiver of the family is not offered the card and cannot answer.
    _teacher, teacher_email = await make_caregiver(family)
    before = await table_counts()
    async with Client(app) as caregiver:
        await caregiver.log_in(teacher_email, PASSWORD)
        home = await caregiver.get("/home")
        assert "asks to join" not in home.text
        answered = await caregiver.submit(
            f"/families/{family.family.id}/centre-requests",
            {"centre_id": str(centre.id), "answer": "accept"},
        )
        assert answered.status_code == 403
    # Nor can the person's linked phone.
    async with Client(app) as phone:
        await phone.link_phone(await link_phone(family))
        answered = await phone.submit(
            f"/families/{family.family.id}/centre-requests",
            {"centre_id": str(centre.id), "answer": "accept"},
        )
        assert answered.status_code == 403
    # Another family's parent is not told the family exists, and their own family's form
    # does not take another family's request.
    stranger = await make_family()
    async with Client(app) as outsider:
        await outsider.log_in(stranger.email, stranger.password)
        answered = await outsider.submit(
            f"/families/{family.family.id}/centre-requests",
            {"centre_id": str(centre.id), "answer": "accept"},
        )
        assert answered.status_code == 404
        own = await outsider.submit(
            f"/families/{stranger.family.id}/centre-requests",
            {"centre_id": str(centre.id), "answer": "accept"},
        )
        assert own.status_code == 303
        assert "This request is answered already." in (await outsider.get("/home")).text
    assert not await CentreFamily.exists(centre=centre)
    after = await table_counts()
    # Only the log-ins, the phone's link and the stranger's sign-up wrote anything.
    assert after["centre_family"] == before["centre_family"] == 0
    assert after["centre_request"] == before["centre_request"] == 1

    # The parent sees the card: who asks, and literally what the centre would see.
    await other_client.log_in(family.email, family.password)
    home = text(await other_client.get("/home"))
    assert f"{centre.name} in {centre.city} asks to join your family's programme." in home
    assert (
        "If you accept, the centre can give your family vouchers. It sees your family's name, "
        f"“{family.family.name}”, and your family code. It does not see your people, lists, "
        "plans or trips."
    ) in home
    accepted = await answer_on_home(other_client, family, centre, "accept")
    assert accepted.status_code == 303
    assert accepted.headers["location"] == "/home"
    home = text(await other_client.get("/home"))
    assert f"{centre.name} is with your family now. It can give you vouchers." in home
    assert f"{centre.name} can give your family vouchers." in home
    assert "asks to join" not in home
    assert not await CentreRequest.exists(family=family.family)

    # Now the centre sees the family's name and gives it a voucher.
    listing = text(await client.get("/centre/families"))
    assert f"{family.family.name} · {code}" in listing
    assert "waiting for the family" not in listing
    given = await give_voucher(client, family)
    assert given.status_code == 303
    assert await Voucher.filter(family=family.family, centre=centre).count() == 1
    assert (await import_one(client, family)).status_code == 303
    assert await Voucher.filter(family=family.family, centre=centre).count() == 2


async def test_declining_leaves_nothing(client: Client, other_client: Client) -> None:
    centre, _shop, _staff = await make_centre_and_shop()
    family = await make_family()
    await as_centre(client, centre)
    await ask(client, family.family.code)
    await other_client.log_in(family.email, family.password)

    declined = await answer_on_home(other_client, family, centre, "decline")
    assert declined.status_code == 303
    home = text(await other_client.get("/home"))
    assert f"You said no to {centre.name}. It cannot give you vouchers." in home
    assert "asks to join" not in home
    assert not await CentreRequest.exists(family=family.family)
    assert not await CentreFamily.exists(family=family.family)
    listing = text(await client.get("/centre/families"))
    assert "waiting for the family" not in listing
    assert family.family.name not in listing
    assert (await give_voucher(client, family)).status_code == 400
    # A late tap on Accept (the page was still open) does not bring the request back.
    late = await other_client.submit(
        f"/families/{family.family.id}/centre-requests",
        {"centre_id": str(centre.id), "answer": "accept"},
    )
    assert late.status_code == 303
    assert "This request is answered already." in (await other_client.get("/home")).text
    assert not await CentreFamily.exists(family=family.family)


async def test_a_code_that_is_nobodys_gets_the_same_answer_and_leaves_nothing(
    client: Client,
) -> None:
    centre, _shop, _staff = await make_centre_and_shop()
    family = await make_family()
    await as_centre(client, centre)
    real = await ask(client, family.family.code)
    real_page = text(await client.get("/centre/families"))

    before = await table_counts()
    unknown = await ask(client, "ZZZZ-ZZZZ" if family.family.code != "ZZZZZZZZ" else "YYYYYYYY")
    unknown_page = text(await client.get("/centre/families"))
    assert await table_counts() == before
    assert (unknown.status_code, unknown.headers["location"]) == (
        real.status_code,
        real.headers["location"],
    )
    assert ASKED in real_page and ASKED in unknown_page
    assert "No family has this family code" not in unknown_page


async def test_a_family_already_with_the_centre_is_not_asked_again(
    client: Client, other_client: Client
) -> None:
    centre, _shop, _staff = await make_centre_and_shop()
    family = await make_family()
    await as_centre(client, centre)
    await ask_and_accept(client, other_client, family, centre)
    again = await ask(client, family.family.code)
    assert again.status_code == 303
    assert "This family is with the centre already." in (await client.get("/centre/families")).text
    assert not await CentreRequest.exists(family=family.family)
    assert "asks to join" not in (await other_client.get("/home")).text


async def test_a_family_the_centre_registers_itself_is_with_it_at_once(client: Client) -> None:
    """A new family with no account yet has nobody to ask: the centre registers it."""
    centre, _shop, _staff = await make_centre_and_shop()
    await as_centre(client, centre)
    registered = await client.submit(
        "/centre/families", {"action": "register", "name": "The Zhao family"}
    )
    assert registered.status_code == 303
    link = await CentreFamily.get(centre=centre).prefetch_related("family")
    assert link.family.name == "The Zhao family"
    assert not await CentreRequest.exists(centre=centre)
    page = await client.get("/centre/vouchers/new")
    form = find_form(page.text, "/centre/vouchers/new")
    assert form.fields["family_id"] == str(link.family_id)
    given = await client.post("/centre/vouchers/new", data=form.fields)
    assert given.status_code == 303
    assert await Voucher.filter(family_id=link.family_id).count() == 1


async def test_a_missing_or_impossible_code_is_said_in_words(client: Client) -> None:
    centre, _shop, _staff = await make_centre_and_shop()
    await as_centre(client, centre)
    before = await table_counts()
    empty = await ask(client, "  -  ")
    assert empty.status_code == 400
    assert "Write the family code." in empty.text
    too_long = await ask(client, "A" * 5000)
    assert too_long.status_code == 400
    assert "A family code has 8 letters and numbers, like ABCD-2345." in too_long.text
    assert await table_counts() == before


async def test_two_taps_on_accept_make_one_link_and_a_bad_answer_changes_nothing(
    client: Client, other_client: Client
) -> None:
    centre, _shop, _staff = await make_centre_and_shop()
    family = await make_family()
    await as_centre(client, centre)
    await ask(client, family.family.code)
    await other_client.log_in(family.email, family.password)
    url = f"/families/{family.family.id}/centre-requests"
    for answer, centre_id in (
        ("maybe", str(centre.id)),
        ("accept", "not-a-number"),
        ("accept", "9" * 40),
        ("accept", ""),
    ):
        response = await other_client.submit(url, {"centre_id": centre_id, "answer": answer})
        assert response.status_code == 303, (answer, centre_id)
    assert await CentreRequest.exists(family=family.family)
    assert not await CentreFamily.exists(family=family.family)

    home = await other_client.get("/home")
    form = find_form(home.text, url, centre_id=str(centre.id))
    first = await other_client.post(url, data={**form.fields, "answer": "accept"})
    second = await other_client.post(url, data={**form.fields, "answer": "accept"})
    assert (first.status_code, second.status_code) == (303, 303)
    assert await CentreFamily.filter(family=family.family).count() == 1
