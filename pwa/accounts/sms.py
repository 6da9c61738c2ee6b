"""Mobile numbers and the SMS that carries a one-time code (issue 16, item 1).

Numbers are kept in E.164 ("+8613800138000"). A number typed the way people in China write
theirs (138 0013 8000, +86 138-0013-8000, 0086…) is a mainland mobile: 11 digits starting
13-19. Other countries are allowed with their code after a "+" (or "00").

Sending goes through a provider chosen by settings.sms_provider:
- "log": the whole message is written to the logger "pwa.messages", so whoever runs
  `make run` can finish a sign-up from the terminal (and nowhere else are codes logged);
- "aliyun": Alibaba Cloud SMS (dysmsapi, API version 2017-05-25, SendSms), signed the RPC way.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import re
import sys
import unicodedata
import uuid
from datetime import UTC, datetime
from typing import Protocol
from urllib.parse import quote

import httpx

from pwa.i18n import _, use_locale
from pwa.settings import Settings

messages_log = logging.getLogger("pwa.messages")
log = logging.getLogger(__name__)

# How long a code works; said in the message and on the page (codes.py uses the same).
CODE_MINUTES = 10

# --- numbers ---------------------------------------------------------------------------------

# What people put between digits: spaces, dashes, dots, brackets.
_SEPARATORS = re.compile(r"[\s\-.()\u00a0]")
_MAINLAND = re.compile(r"1[3-9][0-9]{9}")
# E.164: a country code and number, at most 15 digits, never starting with 0.
_E164 = re.compile(r"[1-9][0-9]{6,14}")


class BadNumber(ValueError):
    """The typed text is not a mobile number; str(exc) says why, translated."""


def parse_mobile(typed: str) -> str:
    """The typed number in E.164, or BadNumber with a translated reason."""
    # Full-width digits and plus (１３８…, ＋86) from a Chinese keyboard become ASCII.
    text = _SEPARATORS.sub("", unicodedata.normalize("NFKC", typed or ""))
    if not text:
        raise BadNumber(_("Write your mobile number, like 138 0013 8000."))
    if text.startswith("00"):
        text = "+" + text[2:]
    international = text.startswith("+")
    digits = text[1:] if international else text
    if not digits.isascii() or not digits.isdigit():
        raise BadNumber(_("A mobile number has only digits, like 138 0013 8000."))
    if international or (len(digits) == 13 and digits.startswith("86")):
        if digits.startswith("86"):
            national = digits[2:]
            if not _MAINLAND.fullmatch(national):
                raise BadNumber(
                    _("A mobile number in China has 11 digits and starts with 13 to 19.")
                )
            return "+86" + national
        if not _E164.fullmatch(digits):
            raise BadNumber(
                _("Write the country code after the +, then the number, like +44 7700 900123.")
            )
        return "+" + digits
    if _MAINLAND.fullmatch(digits):
        return "+86" + digits
    raise BadNumber(
        _(
            "A mobile number in China has 11 digits and starts with 13 to 19. "
            "A number in another country starts with + and its country code."
        )
    )


def show_mobile(number: str) -> str:
    """How a number is shown back: 138 0013 8000 for China, the E.164 form otherwise."""
    if number.startswith("+86") and len(number) == 14:
        national = number[3:]
        return f"{national[:3]} {national[3:7]} {national[7:]}"
    return number


def phone_from_mobile(number: str) -> str:
    """The number as the family's people would dial it (the account's "phone" to call)."""
    return number[3:] if number.startswith("+86") else number


# --- messages --------------------------------------------------------------------------------


class SmsFailed(Exception):
    """The provider did not take the message. Nothing was sent; the page says so in words."""


def message_text(code: str, locale: str) -> str:
    """The SMS in the recipient's language (the log provider sends exactly this)."""
    with use_locale(locale):
        return _(
            "Startrip: your code is %(code)s. It works for %(minutes)s minutes. "
            "Do not tell anyone this code.",
            code=code,
            minutes=CODE_MINUTES,
        )


class SmsProvider(Protocol):
    async def send(self, settings: Settings, number: str, code: str, locale: str) -> None:
        """Send the code to the number (E.164); SmsFailed when it was not sent."""


class LogProvider:
    """Development: the message goes to the log, where the person running the app reads it."""

    async def send(self, settings: Settings, number: str, code: str, locale: str) -> None:
        _make_visible(messages_log)
        messages_log.info("SMS to %s: %s", number, message_text(code, locale))


def _make_visible(logger: logging.Logger) -> None:
    """`python -m pwa serve` configures only uvicorn's loggers: without a handler of its own,
    an INFO message would never reach the terminal."""
    if not logger.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(levelname)s:     [%(name)s] %(message)s"))
        logger.addHandler(handler)
    if logger.level == logging.NOTSET or logger.level > logging.INFO:
        logger.setLevel(logging.INFO)


# --- Alibaba Cloud SMS -----------------------------------------------------------------------


def percent_encode(value: str) -> str:
    """RFC 3986 as Alibaba Cloud's RPC signature asks: letters, digits, - _ . ~ stay; everything
    else is %XY of its UTF-8 bytes (a space is %20, never +)."""
    return quote(value, safe="-_.~")


def rpc_signature(params: dict[str, str], secret: str, method: str = "POST") -> str:
    """Signature (version 1.0, HMAC-SHA1) of an RPC request's parameters: the parameters but
    Signature sorted by name, each name and value percent-encoded and joined with = and &;
    that query string percent-encoded again after "POST&%2F&"; HMAC-SHA1 with the secret
    and "&" as key; base64."""
    canonical = "&".join(
        f"{percent_encode(name)}={percent_encode(value)}"
        for name, value in sorted(params.items())
        if name != "Signature"
    )
    string_to_sign = f"{method}&{percent_encode('/')}&{percent_encode(canonical)}"
    digest = hmac.new((secret + "&").encode(), string_to_sign.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


def aliyun_number(number: str) -> str:
    """PhoneNumbers: a mainland number without +86; any other with its country code, no +."""
    return number[3:] if number.startswith("+86") else number.lstrip("+")


def send_sms_params(
    settings: Settings, number: str, code: str, *, nonce: str, timestamp: datetime
) -> dict[str, str]:
    """Every parameter of a SendSms request, signed."""
    params = {
        "AccessKeyId": settings.sms_access_key_id,
        "Action": "SendSms",
        "Format": "JSON",
        "PhoneNumbers": aliyun_number(number),
        "SignName": settings.sms_sign_name,
        "SignatureMethod": "HMAC-SHA1",
        "SignatureNonce": nonce,
        "SignatureVersion": "1.0",
        "TemplateCode": settings.sms_template_code,
        "TemplateParam": json.dumps({"code": code}, separators=(",", ":")),
        "Timestamp": timestamp.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "Version": "2017-05-25",
    }
    params["Signature"] = rpc_signature(params, settings.sms_access_key_secret)
    return params


class AliyunProvider:
    """Alibaba Cloud SMS. The text itself is the approved template (SMS_TEMPLATE_CODE) with the
    code as its ${code}; the provider answers {"Code": "OK", …} when it took the message."""

    timeout = 10.0

    async def send(self, settings: Settings, number: str, code: str, locale: str) -> None:
        params = send_sms_params(
            settings, number, code, nonce=str(uuid.uuid4()), timestamp=datetime.now(UTC)
        )
        try:
            async with httpx.AsyncClient(timeout=self.timeout) as client:
                response = await client.post(settings.sms_endpoint, data=params)
            answer = response.json()
        except (httpx.HTTPError, ValueError) as exc:
            # Logged without the number's digits or the code: only what went wrong.
            log.warning("SMS not sent: the provider could not be reached (%s)", type(exc).__name__)
            raise SmsFailed from exc
        if not isinstance(answer, dict) or answer.get("Code") != "OK":
            reason = answer.get("Code") if isinstance(answer, dict) else None
            log.warning(
                "SMS not sent: the provider answered %s (HTTP %s)", reason, response.status_code
            )
            raise SmsFailed(str(reason))


def provider(settings: Settings) -> SmsProvider:
    return AliyunProvider() if settings.sms_provider == "aliyun" else LogProvider()


async def send_code(settings: Settings, number: str, code: str, locale: str) -> None:
    """Send a one-time code by SMS through the provider the settings choose."""
    await provider(settings).send(settings, number, code, locale)
