"""A stand-in for Alibaba Cloud SMS (dysmsapi, SendSms, API version 2017-05-25) on 127.0.0.1.

It checks each request the way the service does before it sends anything: every required
parameter there and with the value it must have, the Timestamp in ISO 8601 UTC and recent, each
SignatureNonce used once, TemplateParam a JSON object with the code, the number well formed,
and the Signature recomputed here, independently of the app, from the parameters and the
test's AccessKey secret. A request that passes is answered {"Code": "OK", …} and its code is
kept for the test to read (as if it had arrived on the phone); any other gets the service's
error answer, and nothing is kept.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, quote

KEY_ID = "LTAI-test-key-id"
SECRET = "test-secret/with+odd=chars"
SIGN_NAME = "星途"
TEMPLATE_CODE = "SMS_000000001"

FIXED = {
    "Action": "SendSms",
    "Format": "JSON",
    "SignatureMethod": "HMAC-SHA1",
    "SignatureVersion": "1.0",
    "Version": "2017-05-25",
}
REQUIRED = (
    "AccessKeyId",
    "PhoneNumbers",
    "SignName",
    "SignatureNonce",
    "TemplateCode",
    "TemplateParam",
    "Timestamp",
    "Signature",
    *FIXED,
)
TIMESTAMP = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ")
# A mainland number (11 digits, no +86) or one abroad with its country code (no + or 00).
NUMBER = re.compile(r"1[3-9]\d{9}|[1-9]\d{6,14}")


def signature(params: dict[str, str], secret: str) -> str:
    """RPC signature 1.0 as the service computes it (written apart from pwa/accounts/sms.py)."""

    def enc(text: str) -> str:
        # RFC 3986: only A-Z a-z 0-9 - _ . ~ stay as they are.
        return quote(text.encode("utf-8"), safe="~")

    pairs = sorted((k, v) for k, v in params.items() if k != "Signature")
    canonical = "&".join(enc(k) + "=" + enc(v) for k, v in pairs)
    to_sign = "POST&" + enc("/") + "&" + enc(canonical)
    mac = hmac.new(f"{secret}&".encode(), to_sign.encode("utf-8"), hashlib.sha1)
    return base64.b64encode(mac.digest()).decode()


@dataclass
class Received:
    number: str
    code: str
    params: dict[str, str]


@dataclass
class StandInSms:
    port: int = 0
    received: list[Received] = field(default_factory=list)
    # Every request's answer code, in order ("OK" or the error), for the tests to read.
    answers: list[str] = field(default_factory=list)
    # The service's error to answer to the next request, as a full outage or a daily limit would.
    fail_next: str | None = None
    # Seconds to wait before answering, as a real provider across the internet does.
    delay: float = 0.0
    nonces: set[str] = field(default_factory=set)
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/"

    def env(self) -> dict[str, str]:
        """The app's settings that send through this stand-in."""
        return {
            "SMS_PROVIDER": "aliyun",
            "SMS_ENDPOINT": self.url,
            "SMS_ACCESS_KEY_ID": KEY_ID,
            "SMS_ACCESS_KEY_SECRET": SECRET,
            "SMS_SIGN_NAME": SIGN_NAME,
            "SMS_TEMPLATE_CODE": TEMPLATE_CODE,
        }

    def reset(self) -> None:
        """Forget what was received (each test starts with an empty phone)."""
        with self.lock:
            self.received.clear()
            self.answers.clear()
            self.fail_next = None
            self.delay = 0.0

    def codes_to(self, number: str) -> list[str]:
        """The codes that reached a number (as PhoneNumbers says it: 13800138000)."""
        with self.lock:
            return [each.code for each in self.received if each.number == number]

    def last_code(self, number: str) -> str:
        codes = self.codes_to(number)
        assert codes, f"no SMS reached {number}"
        return codes[-1]

    def check(self, content_type: str, body: str) -> tuple[int, str]:
        """(HTTP status, the service's Code) for one request."""
        if not content_type.startswith("application/x-www-form-urlencoded"):
            return 400, "InvalidParameter"
        pairs = parse_qsl(body, keep_blank_values=True, strict_parsing=True)
        params = dict(pairs)
        if len(params) != len(pairs):
            return 400, "InvalidParameter.Duplicate"
        for name in REQUIRED:
            if not params.get(name):
                return 400, f"Missing{name}"
        for name, value in FIXED.items():
            if params[name] != value:
                return 400, f"InvalidParameter.{name}"
        if params["AccessKeyId"] != KEY_ID:
            return 404, "InvalidAccessKeyId.NotFound"
        if not TIMESTAMP.fullmatch(params["Timestamp"]):
            return 400, "InvalidTimeStamp.Format"
        sent_at = datetime.strptime(params["Timestamp"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
        if abs(datetime.now(UTC) - sent_at) > timedelta(minutes=15):
            return 400, "InvalidTimeStamp.Expired"
        if not hmac.compare_digest(params["Signature"], signature(params, SECRET)):
            return 400, "SignatureDoesNotMatch"
        with self.lock:
            if params["SignatureNonce"] in self.nonces:
                return 400, "SignatureNonceUsed"
            self.nonces.add(params["SignatureNonce"])
        if params["SignName"] != SIGN_NAME:
            return 200, "isv.SMS_SIGNATURE_ILLEGAL"
        if params["TemplateCode"] != TEMPLATE_CODE:
            return 200, "isv.SMS_TEMPLATE_ILLEGAL"
        if not NUMBER.fullmatch(params["PhoneNumbers"]):
            return 200, "isv.MOBILE_NUMBER_ILLEGAL"
        try:
            template = json.loads(params["TemplateParam"])
        except ValueError:
            return 200, "isv.INVALID_JSON_PARAM"
        if not isinstance(template, dict) or set(template) != {"code"}:
            return 200, "isv.TEMPLATE_PARAMS_ILLEGAL"
        if not re.fullmatch(r"\d{6}", str(template["code"])):
            return 200, "isv.TEMPLATE_PARAMS_ILLEGAL"
        with self.lock:
            if self.fail_next:
                failure, self.fail_next = self.fail_next, None
                return 200, failure
            self.received.append(Received(params["PhoneNumbers"], template["code"], params))
        return 200, "OK"


def _handler(stand_in: StandInSms) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            time.sleep(stand_in.delay)
            length = int(self.headers.get("Content-Length", "0"))
            body = self.rfile.read(length).decode("utf-8")
            try:
                status, code = stand_in.check(self.headers.get("Content-Type", ""), body)
            except ValueError:
                status, code = 400, "InvalidParameter"
            with stand_in.lock:
                stand_in.answers.append(code)
            answer: dict[str, Any] = {"Code": code, "RequestId": str(uuid.uuid4())}
            answer["Message"] = "OK" if code == "OK" else f"refused by the stand-in: {code}"
            if code == "OK":
                answer["BizId"] = uuid.uuid4().hex[:20]
            data = json.dumps(answer).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json;charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:
            """Quiet: the requests carry codes."""

    return Handler


@contextmanager
def running() -> Iterator[StandInSms]:
    """The stand-in on a free port of 127.0.0.1, in a thread, for as long as the block lasts."""
    stand_in = StandInSms()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(stand_in))
    stand_in.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield stand_in
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
