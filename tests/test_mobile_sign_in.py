"""Signing in and up with a mobile number and an SMS code (issue 16, items 1 and 4).

The app sends through its Alibaba Cloud SMS adapter to the stand-in provider
(tests/stand_ins/sms_provider.py), which checks each request as the service would and keeps
the codes that "reached the phone"."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import logging
import re
import time
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from starlette.applications import Starlette

from pwa.accounts import codes, sms
from pwa.auth import throttle
from pwa.core import clock
from pwa.core.forms import FormErrors
from pwa.i18n import _, use_locale
from pwa.models import (
    Account,
    CodePurpose,
    ConsentRecord,
    Membership,
    OneTimeCode,
    Person,
)
from pwa.settings import Settings
from tests.conftest import BASE_URL, Client
from tests.factories import PASSWORD, make_account, make_centre_and_shop
from tests.stand_ins import sms_provider
from tests.stand_ins.sms_provider import StandInSms

NUMBER = "13800138000"
E164 = "+8613800138000"
OTHER = "13900139000"


@pytest.fixture(scope="module")
def stand_in() -> Iterator[StandInSms]:
    with sms_provider.running() as server:
        yield server


@pytest.fixture
def settings(settings: Settings, stand_in: StandInSms) -> Settings:
    """Every test here sends through the adapter to the stand-in provider."""
    stand_in.reset()
    return dataclasses.replace(
        settings,
        sms_provider="aliyun",
        sms_endpoint=stand_in.url,
        sms_access_key_id=sms_provider.KEY_ID,
        sms_access_key_secret=sms_provider.SECRET,
        sms_sign_name=sms_provider.SIGN_NAME,
        sms_template_code=sms_provider.TEMPLATE_CODE,
    )


class ClientFrom(Client):
    """A browser at another address."""

    def __init__(self, app: Starlette, address: str) -> None:
        httpx.AsyncClient.__init__(
            self,
            transport=httpx.ASGITransport(app=app, client=(address, 4000)),
            base_url=BASE_URL,
            headers={"Accept-Language": "en"},
        )


def sent(stand_in: StandInSms, number: str) -> int:
    return len(stand_in.codes_to(number))


def main_text(response: httpx.Response) -> str:
    """What the page says, without the per-session CSRF token and the typed number."""
    body = re.sub(r'name="csrf_token" value="[^"]*"', "", response.text)
    return body


async def send_sign_up(client: Client, number: str = NUMBER, **extra: str) -> httpx.Response:
    fields = {
        "step": "send",
        "kind": "family",
        "name": "Li Hua",
        "number": number,
        "person_name": "Ming",
        "consent": "yes",
    }
    return await client.submit("/signup/mobile", {**fields, **extra})


async def type_sign_up_code(client: Client, number: str, code: str) -> httpx.Response:
    return await send_sign_up(client, number, step="code", code=code)


async def send_login(client: Client, number: str = NUMBER) -> httpx.Response:
    return await client.submit("/login/mobile", {"step": "send", "number": number})


async def type_login_code(client: Client, number: str, code: str) -> httpx.Response:
    return await client.submit("/login/mobile", {"step": "code", "number": number, "code": code})


async def mobile_account(number: str = E164, name: str = "Li Hua") -> Account:
    return await Account.create(email=None, password_hash="", name=name, mobile=number)


# --- numbers ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "typed",
    [
        "13800138000",
        "138 0013 8000",
        "138-0013-8000",
        "+86 138 0013 8000",
        "+86-13800138000",
        "0086 13800138000",
        "8613800138000",
        "１３８ ００１３ ８０００",
    ],
)
def test_a_mainland_number_is_read_in_every_usual_form(typed: str) -> None:
    assert sms.parse_mobile(typed) == E164
    assert sms.show_mobile(E164) == "138 0013 8000"


def test_a_number_abroad_needs_its_country_code() -> None:
    assert sms.parse_mobile("+44 7700 900123") == "+447700900123"
    assert sms.parse_mobile("0044 7700 900123") == "+447700900123"
    # The reason is in the page's language; whatever ran before may have left another one.
    with use_locale("en"), pytest.raises(sms.BadNumber, match="country code"):
        sms.parse_mobile("07700 900123")


@pytest.mark.parametrize(
    ("typed", "words"),
    [
        ("", "Write your mobile number"),
        ("1380013800", "11 digits"),
        ("12800138000", "starts with 13 to 19"),
        ("+86 123456", "11 digits"),
        ("138OO138000", "only digits"),
        ("+0123456789", "country code"),
        ("+1234567890123456", "country code"),
        ("9" * 200, "11 digits"),
    ],
)
async def test_a_bad_number_is_refused_in_words_and_sends_nothing(
    client: Client, stand_in: StandInSms, typed: str, words: str
) -> None:
    before = len(stand_in.answers)
    response = await send_login(client, typed)
    assert response.status_code == 400
    assert words in response.text
    assert 'aria-invalid="true"' in response.text
    assert len(stand_in.answers) == before
    assert await OneTimeCode.all().count() == 0


async def test_a_bad_number_is_refused_in_chinese_too(app) -> None:
    async with Client(app, locale="zh-CN") as client:
        response = await send_login(client, "12345")
    assert response.status_code == 400
    assert "中国大陆的手机号有 11 位数字" in response.text


# --- signing up ------------------------------------------------------------------------------


async def test_sign_up_by_mobile_makes_the_account_family_person_and_consent(
    client: Client, stand_in: StandInSms
) -> None:
    response = await send_sign_up(client)
    assert response.status_code == 200
    assert "We sent a code to 138 0013 8000." in response.text
    assert 'autocomplete="one-time-code"' in response.text
    assert 'inputmode="numeric"' in response.text
    assert "10 minutes" in response.text and "Send a new code" in response.text
    assert await Account.filter(mobile=E164).count() == 0, "nothing is made before the code"

    response = await type_sign_up_code(client, NUMBER, stand_in.last_code(NUMBER))
    assert response.status_code == 303 and response.headers["location"] == "/home"
    account = await Account.get(mobile=E164)
    assert account.email is None and account.password_hash == ""
    assert account.name == "Li Hua" and account.phone == NUMBER and account.locale == "en"
    membership = await Membership.get(account=account)
    assert membership.role == "guardian"
    person = await Person.get(family_id=membership.family_id)
    assert person.display_name == "Ming"
    record = await ConsentRecord.get(account=account)
    assert record.occasion == "sign_up"
    assert (record.family_id, record.person_id) == (membership.family_id, person.id)
    home = await client.get("/home")
    assert home.status_code == 200 and "Ming" in home.text and "Li Hua" in home.text

    # My account shows the number, and offers no password to change (there is none).
    page = await client.get("/account")
    assert "138 0013 8000" in page.text and "None" not in page.text
    assert "/account/password" not in page.text


async def test_an_adult_signs_up_for_themselves_by_mobile(
    client: Client, stand_in: StandInSms
) -> None:
    await send_sign_up(client, kind="self", person_name="")
    response = await type_sign_up_code(client, NUMBER, stand_in.last_code(NUMBER))
    assert response.status_code == 303
    account = await Account.get(mobile=E164)
    assert (await Person.get(account=account)).display_name == "Li Hua"


async def test_sign_up_without_consent_or_with_bad_fields_sends_nothing(
    client: Client, stand_in: StandInSms
) -> None:
    before = len(stand_in.answers)
    response = await send_sign_up(client, consent="", name="", person_name="x" * 61)
    assert response.status_code == 400
    assert "tick the box" in response.text
    assert "Write your name." in response.text
    assert "at most 60 characters" in response.text
    assert len(stand_in.answers) == before


async def test_sign_up_answers_the_same_for_a_known_and_an_unknown_number(
    client: Client, other_client: Client, stand_in: StandInSms
) -> None:
    known = await mobile_account(E164, name="Old Account")
    accounts_before = await Account.all().count()

    to_known = await send_sign_up(client, NUMBER)
    to_unknown = await send_sign_up(other_client, OTHER)
    assert to_known.status_code == to_unknown.status_code == 200
    shown = main_text(to_unknown).replace("139 0013 9000", "138 0013 8000")
    assert main_text(to_known) == shown.replace("+8613900139000", E164)
    # Both got an SMS: nothing on the way tells them apart.
    assert sent(stand_in, NUMBER) == sent(stand_in, OTHER) == 1

    # Wrong codes are answered the same too.
    wrong_known = await type_sign_up_code(client, NUMBER, "000000")
    wrong_unknown = await type_sign_up_code(other_client, OTHER, "000000")
    assert wrong_known.status_code == wrong_unknown.status_code == 400
    assert "This code is not right" in wrong_known.text and "This code is not right" in (
        wrong_unknown.text
    )

    # Whoever has the known number's phone is simply logged in to its account: no new one.
    response = await type_sign_up_code(client, NUMBER, stand_in.last_code(NUMBER))
    assert response.status_code == 303
    assert await Account.all().count() == accounts_before
    assert "Old Account" in (await client.get("/account")).text
    assert await Account.filter(mobile=E164).count() == 1 and known.id


# --- logging in ------------------------------------------------------------------------------


async def test_log_in_by_code_and_the_code_is_refused_after_use(
    client: Client, other_client: Client, stand_in: StandInSms
) -> None:
    account = await mobile_account()
    response = await send_login(client, "+86 138-0013-8000")
    assert response.status_code == 200
    assert "If this number has an account, we sent a code to 138 0013 8000." in response.text
    assert 'autocomplete="one-time-code"' in response.text
    code = stand_in.last_code(NUMBER)
    assert re.fullmatch(r"\d{6}", code)
    row = await OneTimeCode.get(target=E164)
    assert row.code_hash != code and code not in json.dumps(row.payload), "only its sha256"

    response = await type_login_code(client, E164, f" {code[:3]} {code[3:]} ")
    assert response.status_code == 303 and response.headers["location"] == "/"
    assert any("known_device=" in c for c in response.headers.get_list("set-cookie"))
    account_page = await client.get("/account")
    assert account_page.status_code == 200 and account.name in account_page.text

    # The same code again: refused, in the browser that asked for it …
    again = await type_login_code(client, E164, code)
    assert again.status_code == 400
    assert "This code was already used. Send a new code." in again.text
    # … and in another browser, where nobody is logged in by it.
    elsewhere = await type_login_code(other_client, E164, code)
    assert elsewhere.status_code == 400
    assert "No code was asked for in this browser" in elsewhere.text
    assert (await other_client.get("/account")).status_code in (302, 303)


async def test_log_in_answers_the_same_for_a_known_and_an_unknown_number(
    client: Client, other_client: Client, stand_in: StandInSms
) -> None:
    await mobile_account()
    to_known = await send_login(client, NUMBER)
    to_unknown = await send_login(other_client, OTHER)
    assert to_known.status_code == to_unknown.status_code == 200
    shown = main_text(to_unknown).replace("139 0013 9000", "138 0013 8000")
    assert main_text(to_known) == shown.replace("+8613900139000", E164)
    # Only the number with an account is sent an SMS …
    assert (sent(stand_in, NUMBER), sent(stand_in, OTHER)) == (1, 0)
    # … but each has a code that counts tries the same way, and the same answers.
    for attempt in range(codes.MAX_TRIES):
        known = await type_login_code(client, NUMBER, f"00000{attempt}")
        unknown = await type_login_code(other_client, OTHER, f"00000{attempt}")
        assert known.status_code == unknown.status_code == 400
        assert main_text(known).replace("138 0013 8000", "X").replace(E164, "Y") == main_text(
            unknown
        ).replace("139 0013 9000", "X").replace("+8613900139000", "Y")
    assert "typed wrong too many times" in known.text


async def test_a_number_without_account_takes_as_long_to_answer(
    client: Client, other_client: Client, stand_in: StandInSms, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The provider takes its time; a number with no account (no SMS) is not answered faster."""
    # A fresh process: the earlier tests' quick sends are not this provider's time.
    monkeypatch.setattr(codes, "_typical_send", 0.0)
    await mobile_account()
    stand_in.delay = 0.3
    started = time.monotonic()
    await send_login(client, NUMBER)
    known = time.monotonic() - started
    started = time.monotonic()
    await send_login(other_client, OTHER)
    unknown = time.monotonic() - started
    assert known >= 0.3 and unknown >= 0.2
    assert sent(stand_in, OTHER) == 0


async def test_a_code_is_refused_after_it_expires(client: Client, stand_in: StandInSms) -> None:
    await mobile_account()
    await send_login(client, NUMBER)
    code = stand_in.last_code(NUMBER)
    row = await OneTimeCode.get(target=E164)
    assert timedelta(minutes=9) < row.expires_at - clock.now() <= timedelta(minutes=10)
    await OneTimeCode.filter(id=row.id).update(expires_at=clock.now() - timedelta(seconds=1))
    response = await type_login_code(client, NUMBER, code)
    assert response.status_code == 400
    assert "This code is too old: a code works for 10 minutes. Send a new code." in response.text
    assert (await client.get("/account")).status_code in (302, 303)


async def test_a_code_is_refused_after_too_many_wrong_tries(
    client: Client, stand_in: StandInSms, monkeypatch: pytest.MonkeyPatch
) -> None:
    await mobile_account()
    await send_login(client, NUMBER)
    code = stand_in.last_code(NUMBER)
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    for _try in range(codes.MAX_TRIES - 1):
        response = await type_login_code(client, NUMBER, wrong)
        assert "This code is not right" in response.text
    response = await type_login_code(client, NUMBER, wrong)
    assert "This code was typed wrong too many times. Send a new code." in response.text
    # Wrong codes for the number are slowed down too: the next try waits …
    response = await type_login_code(client, NUMBER, code)
    assert response.status_code == 429 and "Retry-After" in response.headers
    # … and after the wait, even the right code no longer works.
    later = clock.now() + timedelta(seconds=6)
    monkeypatch.setattr(throttle, "now", lambda: later)
    response = await type_login_code(client, NUMBER, code)
    assert response.status_code == 400
    assert "typed wrong too many times" in response.text
    assert (await OneTimeCode.get(target=E164)).tries == codes.MAX_TRIES


async def test_a_new_code_retires_the_one_before(client: Client, stand_in: StandInSms) -> None:
    await mobile_account()
    await send_login(client, NUMBER)
    first = stand_in.last_code(NUMBER)
    response = await client.submit("/login/mobile", {"step": "send", "number": E164})
    assert response.status_code == 200
    second = stand_in.last_code(NUMBER)
    if first != second:
        assert (await type_login_code(client, NUMBER, first)).status_code == 400
    assert (await type_login_code(client, NUMBER, second)).status_code == 303
    assert await OneTimeCode.filter(target=E164, used_at=None).count() == 0


def wrong_codes(*right: str) -> list[str]:
    """Codes that are none of these."""
    return [c for c in (f"{n:06d}" for n in range(20)) if c not in right]


async def test_a_strangers_wrong_codes_neither_kill_nor_slow_the_owners_code(
    app, client: Client, stand_in: StandInSms
) -> None:
    """The number is a form field: anyone can type codes for it. Before codes belonged to a
    browser, five wrong ones from anywhere killed the owner's code and made them wait."""
    await mobile_account()
    await send_login(client, NUMBER)
    mine = stand_in.last_code(NUMBER)
    async with ClientFrom(app, "203.0.113.7") as stranger:
        # Without asking for a code first …
        response = await type_login_code(stranger, NUMBER, wrong_codes(mine)[0])
        assert response.status_code == 400
        assert "No code was asked for in this browser" in response.text
        # … and after asking for one (its code goes to the owner's phone, not to them).
        await send_login(stranger, NUMBER)
        theirs = stand_in.last_code(NUMBER)
        answers = [
            await type_login_code(stranger, NUMBER, wrong)
            for wrong in wrong_codes(mine, theirs)[: codes.MAX_TRIES + 1]
        ]
        assert "typed wrong too many times" in answers[codes.MAX_TRIES - 1].text
        assert answers[-1].status_code == 429, "the stranger is slowed down"
    response = await type_login_code(client, NUMBER, mine)
    assert response.status_code == 303, "the owner is neither slowed nor refused"
    assert "Li Hua" in (await client.get("/account")).text


async def test_a_stranger_asking_for_codes_does_not_retire_the_owners_code(
    app, client: Client, stand_in: StandInSms
) -> None:
    await mobile_account()
    await send_login(client, NUMBER)
    mine = stand_in.last_code(NUMBER)
    async with ClientFrom(app, "203.0.113.7") as stranger:
        for _send in range(2):
            assert (await send_login(stranger, NUMBER)).status_code == 200
    assert sent(stand_in, NUMBER) == 3
    response = await type_login_code(client, NUMBER, mine)
    assert response.status_code == 303
    assert "Li Hua" in (await client.get("/account")).text


async def test_a_code_works_only_in_the_browser_that_asked_for_it(
    client: Client, other_client: Client, stand_in: StandInSms
) -> None:
    await mobile_account()
    response = await send_login(client, NUMBER)
    assert "the code works only where it was asked for" in response.text
    code = stand_in.last_code(NUMBER)
    # Typed in a browser that never asked: refused, in words.
    elsewhere = await type_login_code(other_client, NUMBER, code)
    assert elsewhere.status_code == 400
    assert (
        "No code was asked for in this browser for this number. Type the code in the browser "
        "where you asked for it, or send a new code from here."
    ) in elsewhere.text
    assert (await other_client.get("/account")).status_code in (302, 303)
    # A browser that asked for its own code is not let in by the other one's.
    await send_login(other_client, NUMBER)
    if stand_in.last_code(NUMBER) != code:
        response = await type_login_code(other_client, NUMBER, code)
        assert response.status_code == 400 and "This code is not right" in response.text
        assert (await other_client.get("/account")).status_code in (302, 303)
    # The code still works where it was asked for.
    assert (await type_login_code(client, NUMBER, code)).status_code == 303


async def test_the_owners_known_browser_gets_a_code_while_a_stranger_used_up_the_sends(
    app, client: Client, stand_in: StandInSms
) -> None:
    await mobile_account()
    await send_login(client, NUMBER)
    response = await type_login_code(client, NUMBER, stand_in.last_code(NUMBER))
    assert any("known_device=" in c for c in response.headers.get_list("set-cookie"))
    await client.submit("/logout", {})
    assert (await client.get("/account")).status_code in (302, 303)

    async with ClientFrom(app, "203.0.113.7") as stranger:
        answers = [
            (await send_login(stranger, NUMBER)).status_code
            for _send in range(throttle.BACKOFF["send_to"].free)
        ]
        assert answers[-1] == 429, "the number's sends are used up"
    before = sent(stand_in, NUMBER)
    # The owner's own phone, which logged in before, still gets a code and logs in with it.
    response = await send_login(client, NUMBER)
    assert response.status_code == 200
    assert sent(stand_in, NUMBER) == before + 1
    response = await type_login_code(client, NUMBER, stand_in.last_code(NUMBER))
    assert response.status_code == 303
    assert "Li Hua" in (await client.get("/account")).text


async def test_two_tabs_cannot_both_use_one_code(app) -> None:
    browser = codes.new_browser()
    code, _row = await codes.issue(CodePurpose.SIGN_IN, E164, browser=browser)
    results = await asyncio.gather(
        codes.take(CodePurpose.SIGN_IN, E164, code, browser=browser),
        codes.take(CodePurpose.SIGN_IN, E164, code, browser=browser),
        return_exceptions=True,
    )
    taken = [r for r in results if isinstance(r, OneTimeCode)]
    refused = [r for r in results if isinstance(r, FormErrors)]
    assert len(taken) == 1 and len(refused) == 1
    assert refused[0].errors["code"] == _("This code was already used. Send a new code.")


async def test_staff_add_their_mobile_and_log_in_with_it(
    client: Client, other_client: Client, stand_in: StandInSms
) -> None:
    _centre, _shop, staff = await make_centre_and_shop()
    await client.log_in(staff.email or "", PASSWORD)
    assert (await client.get("/account/mobile")).status_code == 200
    await client.submit("/account/mobile", {"step": "send", "number": NUMBER})
    response = await client.submit(
        "/account/mobile", {"step": "code", "number": E164, "code": stand_in.last_code(NUMBER)}
    )
    assert response.status_code == 303

    await send_login(other_client, NUMBER)
    response = await type_login_code(other_client, NUMBER, stand_in.last_code(NUMBER))
    assert response.status_code == 303
    assert (await other_client.get("/")).headers["location"] == "/shop"
    assert (await other_client.get("/shop")).status_code == 200


async def test_an_account_without_email_cannot_be_logged_in_to_by_password(
    client: Client,
) -> None:
    await mobile_account()
    response = await client.submit("/login", {"email": "", "password": ""})
    assert response.status_code == 400


# --- throttling ------------------------------------------------------------------------------


async def test_sending_codes_to_one_number_is_throttled(
    client: Client, other_client: Client, stand_in: StandInSms
) -> None:
    await mobile_account()
    free = throttle.BACKOFF["send_to"].free
    for _send in range(free):
        assert (await send_login(client, NUMBER)).status_code == 200
    # From another browser too: it is the number that is protected.
    response = await send_login(other_client, NUMBER)
    assert response.status_code == 429
    assert int(response.headers["Retry-After"]) >= 59
    assert "Wait 1 minute, then try again" in response.text
    assert sent(stand_in, NUMBER) == free
    # Another number is not slowed by it.
    assert (await send_login(client, OTHER)).status_code == 200


async def test_sending_codes_from_one_address_is_throttled(app, stand_in: StandInSms) -> None:
    free = throttle.BACKOFF["send_from"].free
    async with Client(app) as client:
        for n in range(free):
            response = await send_sign_up(client, f"1370000{n:04d}")
            assert response.status_code == 200
        response = await send_sign_up(client, "13799999999")
        assert response.status_code == 429 and "too many tries" in response.text
    assert sent(stand_in, "13799999999") == 0
    # Another address is not slowed by it.
    async with ClientFrom(app, "203.0.113.9") as other:
        assert (await send_sign_up(other, "13799999999")).status_code == 200
    assert sent(stand_in, "13799999999") == 1


# --- the adapter -----------------------------------------------------------------------------


def test_the_signature_matches_the_alibaba_cloud_documentation_example() -> None:
    """The SMS documentation's worked example (a GET with the test key "testId")."""
    params = {
        "AccessKeyId": "testId",
        "Action": "SendSms",
        "Format": "XML",
        "OutId": "123",
        "PhoneNumbers": "15300000001",
        "RegionId": "cn-hangzhou",
        "SignName": "阿里云短信测试专用",
        "SignatureMethod": "HMAC-SHA1",
        "SignatureNonce": "45e25e9b-0a6f-4070-8c85-2956eda1b466",
        "SignatureVersion": "1.0",
        "TemplateCode": "SMS_71390007",
        "TemplateParam": '{"customer":"test"}',
        "Timestamp": "2017-07-12T02:42:19Z",
        "Version": "2017-05-25",
    }
    assert sms.rpc_signature(params, "testSecret", "GET") == "zJDF+Lrzhj/ThnlvIToysFRq6t4="
    assert sms.percent_encode("a b*~/") == "a%20b%2A~%2F"


async def test_the_adapter_request_is_taken_by_the_stand_in(
    settings: Settings, stand_in: StandInSms
) -> None:
    await sms.AliyunProvider().send(settings, "+447700900123", "012345", "en")
    await sms.AliyunProvider().send(settings, E164, "654321", "zh_Hans")
    assert stand_in.codes_to("447700900123") == ["012345"]
    assert stand_in.codes_to(NUMBER)[-1] == "654321"
    params = stand_in.received[-1].params
    assert params["TemplateParam"] == '{"code":"654321"}'
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", params["Timestamp"])
    assert params["SignatureNonce"] != stand_in.received[-2].params["SignatureNonce"]


async def test_the_stand_in_refuses_what_alibaba_cloud_would(
    settings: Settings, stand_in: StandInSms
) -> None:
    """The checks the browser journey relies on can fail: a request signed with another
    secret, sent twice, or with its timestamp in another format is refused."""
    moment = datetime.now(UTC)
    good = sms.send_sms_params(settings, E164, "123456", nonce="nonce-1", timestamp=moment)
    async with httpx.AsyncClient() as http:
        first = await http.post(stand_in.url, data=good)
        replay = await http.post(stand_in.url, data=good)
        wrong_key = dataclasses.replace(settings, sms_access_key_secret="not-the-secret")
        forged = sms.send_sms_params(wrong_key, E164, "123456", nonce="n-2", timestamp=moment)
        bad_signature = await http.post(stand_in.url, data=forged)
        tampered = {**good, "SignatureNonce": "n-3", "PhoneNumbers": "13900139000"}
        changed = await http.post(stand_in.url, data=tampered)
        local_time = {**good, "SignatureNonce": "n-4", "Timestamp": "2026-01-01 08:00:00"}
        local_time["Signature"] = sms.rpc_signature(local_time, settings.sms_access_key_secret)
        bad_time = await http.post(stand_in.url, data=local_time)
        no_template = {k: v for k, v in good.items() if k != "TemplateParam"}
        missing = await http.post(stand_in.url, data=no_template)
    assert first.json()["Code"] == "OK"
    assert replay.json()["Code"] == "SignatureNonceUsed"
    assert bad_signature.json()["Code"] == "SignatureDoesNotMatch"
    assert changed.json()["Code"] == "SignatureDoesNotMatch"
    assert bad_time.json()["Code"] == "InvalidTimeStamp.Format"
    assert missing.json()["Code"] == "MissingTemplateParam"


@pytest.fixture
async def wrong_secret_app(settings: Settings) -> AsyncIterator[Client]:
    from pwa.app import create_app

    application = create_app(dataclasses.replace(settings, sms_access_key_secret="wrong"))
    async with (
        application.router.lifespan_context(application),
        Client(application, locale="zh-CN") as http,
    ):
        yield http


async def test_a_refused_send_says_so_in_words_and_leaves_nothing(
    wrong_secret_app: Client, stand_in: StandInSms
) -> None:
    await mobile_account()
    response = await send_login(wrong_secret_app, NUMBER)
    assert stand_in.answers[-1] == "SignatureDoesNotMatch"
    # At log-in only a number with an account is really sent a code, so a refusal there must
    # look like any other answer: a number without an account gets exactly the same page.
    unknown = await send_login(wrong_secret_app, OTHER)
    assert response.status_code == unknown.status_code == 200
    words = (response.text, unknown.text)
    for shown, e164 in (("138 0013 8000", E164), ("139 0013 9000", "+8613900139000")):
        words = tuple(w.replace(shown, "N").replace(e164, "N") for w in words)
    assert words[0] == words[1]
    assert await OneTimeCode.filter(target=E164).count() == 0

    # Sign-up sends to every number alike, so there it says the code could not be sent.
    await OneTimeCode.all().delete()
    response = await send_sign_up(wrong_secret_app, OTHER)
    assert response.status_code == 503
    assert "验证码没有发出去。请稍后再试。" in response.text
    assert await OneTimeCode.all().count() == 0
    assert await Account.filter(mobile="+8613900139000").count() == 0


async def test_a_provider_error_answer_is_a_refused_send(
    client: Client, stand_in: StandInSms
) -> None:
    stand_in.fail_next = "isv.BUSINESS_LIMIT_CONTROL"
    response = await send_sign_up(client, NUMBER)
    assert response.status_code == 503
    assert "The code could not be sent. Try again later." in response.text
    assert sent(stand_in, NUMBER) == 0 and await OneTimeCode.all().count() == 0


async def test_an_unreachable_provider_is_a_refused_send(settings: Settings) -> None:
    gone = dataclasses.replace(settings, sms_endpoint="http://127.0.0.1:9/")
    with pytest.raises(sms.SmsFailed):
        await sms.AliyunProvider().send(gone, E164, "123456", "en")


async def test_the_log_provider_writes_the_whole_message_in_the_recipients_language(
    settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    log_mode = dataclasses.replace(settings, sms_provider="log")
    with caplog.at_level(logging.INFO, logger="pwa.messages"):
        await sms.send_code(log_mode, E164, "246810", "en")
    [record] = [r for r in caplog.records if r.name == "pwa.messages"]
    assert E164 in record.getMessage() and "246810" in record.getMessage()
    assert "10 minutes" in record.getMessage()
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="pwa.messages"):
        await sms.send_code(log_mode, E164, "135790", "zh_Hans")
    [record] = [r for r in caplog.records if r.name == "pwa.messages"]
    assert "135790" in record.getMessage() and "10" in record.getMessage()


# --- my account: adding the number -----------------------------------------------------------


async def test_an_account_adds_its_mobile_by_code_and_then_logs_in_with_it(
    client: Client, other_client: Client, stand_in: StandInSms
) -> None:
    account, email = await make_account("Wang")
    await client.log_in(email, PASSWORD)
    page = await client.get("/account")
    assert "Add a mobile number" in page.text
    response = await client.submit("/account/mobile", {"step": "send", "number": NUMBER})
    assert "We sent a code to 138 0013 8000." in response.text
    assert (await Account.get(id=account.id)).mobile is None, "saved only once proved"
    # Its code is no log-in code: typed at /login/mobile it opens nothing.
    code = stand_in.last_code(NUMBER)
    response = await client.submit(
        "/account/mobile", {"step": "code", "number": E164, "code": code}
    )
    assert response.status_code == 303
    assert (await Account.get(id=account.id)).mobile == E164
    assert "138 0013 8000" in (await client.get("/account")).text

    await send_login(other_client, NUMBER)
    response = await type_login_code(other_client, NUMBER, stand_in.last_code(NUMBER))
    assert response.status_code == 303
    assert "Wang" in (await other_client.get("/account")).text


async def test_an_account_add_code_does_not_log_in(client: Client, stand_in: StandInSms) -> None:
    """Asking to add another account's number sends its phone a code: typed at log-in, in the
    very browser that asked for it, the code opens nothing."""
    await mobile_account(name="Owner")
    _account, email = await make_account("Wang")
    await client.log_in(email, PASSWORD)
    await client.submit("/account/mobile", {"step": "send", "number": NUMBER})
    code = stand_in.last_code(NUMBER)
    response = await type_login_code(client, NUMBER, code)
    assert response.status_code == 400
    assert "This code is not right" in response.text
    page = await client.get("/account")
    assert "Wang" in page.text and "Owner" not in page.text


async def test_a_number_of_another_account_is_not_added(
    client: Client, stand_in: StandInSms
) -> None:
    await mobile_account(name="Owner")
    account, email = await make_account("Wang")
    await client.log_in(email, PASSWORD)
    response = await client.submit("/account/mobile", {"step": "send", "number": NUMBER})
    assert response.status_code == 200
    response = await client.submit(
        "/account/mobile",
        {"step": "code", "number": E164, "code": stand_in.last_code(NUMBER)},
    )
    assert response.status_code == 400
    assert "already logs in to another account" in response.text
    assert (await Account.get(id=account.id)).mobile is None
