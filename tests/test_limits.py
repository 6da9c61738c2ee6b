"""Limits that hold (issue 15, item 2): a request body is counted as it streams in, chunked
too, and refused with 413 once it passes the limit, before anything holds it whole; JSON nested
deeper than a small bound is a 400 like any other bad request, never a RecursionError."""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from pwa import ROOT
from pwa.app import MAX_BODY_BYTES
from pwa.auth.middleware import CSRFMiddleware
from pwa.core import jsonbody
from pwa.models import (
    ListItem,
    OpLog,
    Photo,
    PushSubscription,
    Redemption,
    ShoppingList,
    SyncClient,
)
from pwa.security import BodyLimitMiddleware
from tests import databases
from tests.conftest import CSRF_RE, Client
from tests.factories import (
    PASSWORD,
    jpeg_bytes,
    make_centre_and_shop,
    make_family,
    make_list,
    make_voucher,
)
from tests.html import find_form

CHUNK = 64 * 1024
DEEP = 5000


class Chunks:
    """A request body sent in chunks with no Content-Length (Transfer-Encoding: chunked),
    counting how much of it the server asked for."""

    def __init__(self, data: bytes = b"", *, total: int = 0, fill: bytes = b"x") -> None:
        self.data = data
        self.total = len(data) if data else total
        self.fill = fill
        self.sent = 0

    def _chunk(self) -> bytes:
        if self.data:
            return self.data[self.sent : self.sent + CHUNK]
        return self.fill * min(CHUNK, self.total - self.sent)

    def __iter__(self) -> Iterator[bytes]:
        while self.sent < self.total:
            chunk = self._chunk()
            self.sent += len(chunk)
            yield chunk

    async def aiter(self) -> AsyncIterator[bytes]:
        """The same chunks, for the in-process client (httpx.AsyncClient)."""
        for chunk in self:
            yield chunk


# --- in the test's process ---------------------------------------------------------------------


async def test_the_body_limit_stays_outside_the_csrf_check(app) -> None:
    # Starlette applies the list outermost first: the CSRF check reads a form through the
    # counting receive only if the limit comes before it.
    order = [m.cls for m in app.user_middleware]
    assert order.index(BodyLimitMiddleware) < order.index(CSRFMiddleware)


async def test_a_chunked_form_over_the_limit_gets_413_before_it_is_read_whole(app) -> None:
    body = Chunks(total=100 * MAX_BODY_BYTES)
    async with Client(app, locale="zh-CN") as client:
        response = await client.post(
            "/login",
            content=body.aiter(),
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
    assert response.status_code == 413
    assert "content-length" not in response.request.headers
    assert "你发送的内容太大了。照片最大只能 2 MB。没有做任何修改。" in response.text
    # The server stopped at the chunk that passed the limit.
    assert MAX_BODY_BYTES < body.sent <= MAX_BODY_BYTES + CHUNK


async def test_a_chunked_push_over_the_limit_gets_413_in_json(client: Client) -> None:
    family = await make_family()
    await client.log_in(family.email, family.password)
    body = Chunks(total=10 * MAX_BODY_BYTES, fill=b"[")
    response = await client.post(
        "/api/sync/push",
        content=body.aiter(),
        headers={"X-CSRF-Token": await client.csrf(), "Content-Type": "application/json"},
    )
    assert response.status_code == 413
    assert response.json() == {
        "error": "This is too big",
        "detail": "What you sent is too big. A photo can be at most 2 MB. Nothing was changed.",
    }
    assert MAX_BODY_BYTES < body.sent <= MAX_BODY_BYTES + CHUNK
    assert await SyncClient.all().count() == 0


async def test_a_content_length_over_the_limit_is_still_refused_unread(client: Client) -> None:
    response = await client.post("/login", content=b"x" * (MAX_BODY_BYTES + 1))
    assert response.status_code == 413


def client_id_push(family: Any, padding: int) -> tuple[dict[str, Any], str]:
    list_id = str(uuid.uuid4())
    mutation = {
        "mutation_id": 1,
        "name": "list.create",
        "args": {"id": list_id, "name": "Just fits", "person_id": str(family.person.id)},
    }
    body = {
        "client_id": str(uuid.uuid4()),
        "family_id": str(family.family.id),
        "mutations": [mutation],
        "padding": "x" * padding,
    }
    return body, list_id


async def test_a_chunked_push_just_under_the_limit_is_applied(client: Client) -> None:
    family = await make_family()
    await client.log_in(family.email, family.password)
    body, _list_id = client_id_push(family, 0)
    size = len(httpx.Request("POST", "/", json=body).read())
    body, list_id = client_id_push(family, MAX_BODY_BYTES - 100 - size)
    data = httpx.Request("POST", "/", json=body).read()
    assert MAX_BODY_BYTES - 100 <= len(data) <= MAX_BODY_BYTES
    response = await client.post(
        "/api/sync/push",
        content=Chunks(data).aiter(),
        headers={"X-CSRF-Token": await client.csrf(), "Content-Type": "application/json"},
    )
    assert response.status_code == 200, response.text
    assert [r["status"] for r in response.json()["results"]] == ["applied"]
    assert (await ShoppingList.get(id=list_id)).name == "Just fits"


async def test_a_photo_form_just_under_the_limit_is_stored_sent_chunked_or_not(
    client: Client,
) -> None:
    family = await make_family()
    shopping_list = await make_list(family)
    await client.log_in(family.email, family.password)
    url = f"/lists/{shopping_list.id}/photos/new"
    # A photo at its own limit (2 MB; a JPEG decoder stops at its end marker) and a form field
    # that brings the whole body to just under the request limit.
    photo = jpeg_bytes(400, 300)
    photo += b"\0" * (2 * 1024 * 1024 - len(photo))

    def request(padding: int) -> httpx.Request:
        page_form = find_form(page.text, url)
        fields = {**page_form.fields, "label": "Blue cup", "area": "household"}
        fields["padding"] = "p" * padding
        return httpx.Request(
            "POST", url, data=fields, files={"photo": ("cup.jpg", photo, "image/jpeg")}
        )

    for chunked in (False, True):
        page = await client.get(url)
        size = len(request(0).read())
        prepared = request(MAX_BODY_BYTES - 100 - size)
        data = prepared.read()
        assert MAX_BODY_BYTES - 100 <= len(data) <= MAX_BODY_BYTES
        headers = {"Content-Type": prepared.headers["content-type"]}
        response = await client.post(
            url, content=Chunks(data).aiter() if chunked else data, headers=headers
        )
        assert response.status_code == 303, response.text
    assert await Photo.all().count() == 2
    assert await ListItem.filter(list=shopping_list, photo_id__isnull=False).count() == 2


def deep(depth: int = DEEP) -> str:
    return "[" * depth + "]" * depth


DEEP_VALUE = "(nested arrays)"


def with_deep(body: dict[str, Any], depth: int = DEEP) -> bytes:
    """The JSON of body with arrays nested depth deep where it says DEEP_VALUE."""
    return json.dumps(body).replace(json.dumps(DEEP_VALUE), deep(depth)).encode()


async def test_a_push_nested_5000_deep_is_400_translated_and_changes_nothing(app) -> None:
    family = await make_family()
    shopping_list = await make_list(family)
    before = await ListItem.filter(list=shopping_list).count()
    async with Client(app, locale="zh-CN") as client:
        await client.log_in(family.email, family.password)
        await client.submit("/account", {"name": "Parent", "phone": "", "locale": "zh_Hans"})
        mutation = {
            "mutation_id": 1,
            "name": "item.add",
            "args": {
                "list_id": str(shopping_list.id),
                "id": str(uuid.uuid4()),
                "pictogram": "1F34C",
                "quantity": 1,
                "note": DEEP_VALUE,
            },
        }
        body = with_deep(
            {
                "client_id": str(uuid.uuid4()),
                "family_id": str(family.family.id),
                "mutations": [mutation],
            }
        )
        response = await client.post(
            "/api/sync/push",
            content=body,
            headers={"X-CSRF-Token": await client.csrf(), "Content-Type": "application/json"},
        )
    assert response.status_code == 400
    assert response.json() == {"error": "请求里有错误。没有做任何修改。"}
    assert await SyncClient.all().count() == 0 and await OpLog.all().count() == 0
    assert await ListItem.filter(list=shopping_list).count() == before


async def test_the_alerts_and_the_till_refuse_deep_json_with_400(client: Client) -> None:
    family = await make_family()
    await client.log_in(family.email, family.password)
    response = await client.post(
        f"/api/people/{family.person.id}/alerts",
        content=with_deep({"endpoint": "https://push.example.test/x", "keys": DEEP_VALUE}),
        headers={"X-CSRF-Token": await client.csrf(), "Content-Type": "application/json"},
    )
    assert response.status_code == 400
    assert response.json() == {"error": "Something in the request was wrong. Nothing was changed."}
    assert await PushSubscription.all().count() == 0

    centre, shop, staff = await make_centre_and_shop()
    await make_voucher(family, centre, yuan=50)
    await client.log_in(staff.email, PASSWORD)
    response = await client.post(
        "/api/redeem",
        content=with_deep({"code": "x", "amount": 100, "shop_id": shop.id, "n": DEEP_VALUE}),
        headers={
            "X-CSRF-Token": await client.csrf(),
            "Idempotency-Key": str(uuid.uuid4()),
            "Content-Type": "application/json",
        },
    )
    assert response.status_code == 400
    assert response.json() == {"error": "Something in the request was wrong. Nothing was changed."}
    assert await Redemption.all().count() == 0


def test_the_json_helper_bounds_the_depth_and_nothing_else() -> None:
    assert jsonbody.loads(b'{"a": [1, {"b": "[[[[\\"]]"}]}') == {"a": [1, {"b": '[[[["]]'}]}
    assert jsonbody.loads("[" * 50 + "]" * 50) is not None
    assert jsonbody.loads('"just a string"') == "just a string"
    assert jsonbody.loads(b"\xef\xbb\xbf[1]") == [1]
    for bad in ("[" * 51 + "]" * 51, deep(), "[" * DEEP, "]" * DEEP, "[}", "", "{"):
        with pytest.raises(ValueError):
            jsonbody.loads(bad)
    with pytest.raises(jsonbody.TooDeep):
        jsonbody.loads(with_deep({"a": DEEP_VALUE}, 60))


# The limit trips after the app started its answer: no second answer, and no more reading.


async def _limit_trips(app_started: bool) -> tuple[list[dict[str, Any]], int]:
    refused: list[str] = []

    async def on_failure(scope, receive, send) -> None:
        refused.append(scope["path"])
        await send({"type": "http.response.start", "status": 413, "headers": []})
        await send({"type": "http.response.body", "body": b"too big"})

    async def app(scope, receive, send) -> None:
        if app_started:
            await send({"type": "http.response.start", "status": 200, "headers": []})
            await send({"type": "http.response.body", "body": b"streaming", "more_body": True})
        while True:  # reads everything, as a careless endpoint would
            message = await receive()
            if not message.get("more_body"):
                break
        await send({"type": "http.response.body", "body": b"done"})

    asked = 0

    async def receive() -> dict[str, Any]:
        nonlocal asked
        asked += 1
        # 100 times the limit, if nothing stopped the app reading.
        return {"type": "http.request", "body": b"x" * 1000, "more_body": asked < 1000}

    sent: list[dict[str, Any]] = []

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    limited = BodyLimitMiddleware(app, max_bytes=10_000, on_failure=on_failure)
    scope = {"type": "http", "method": "POST", "path": "/upload", "headers": []}
    await limited(scope, receive, send)  # type: ignore[arg-type]
    assert refused == ([] if app_started else ["/upload"])
    return sent, asked


async def test_the_limit_tripping_before_the_answer_sends_413() -> None:
    sent, asked = await _limit_trips(app_started=False)
    assert [m.get("status") for m in sent if m["type"] == "http.response.start"] == [413]
    assert asked == 11


async def test_the_limit_tripping_after_the_answer_started_sends_no_second_start() -> None:
    sent, asked = await _limit_trips(app_started=True)
    assert [m.get("status") for m in sent if m["type"] == "http.response.start"] == [200]
    # The answer stays unfinished (the server then closes the connection); nothing after it.
    assert sent[-1] == {"type": "http.response.body", "body": b"streaming", "more_body": True}
    assert asked == 11


# --- a real server: its memory while 100 MB stream in ----------------------------------------

HUNDRED_MB = 100 * 1024 * 1024
# The body is 100 MB; what the server may add to its peak while refusing it.
MEMORY_BOUND = 30 * 1024 * 1024


def peak_rss(pid: int) -> int:
    """The process's peak resident memory (VmHWM), in bytes."""
    status = Path(f"/proc/{pid}/status").read_text()
    match = re.search(r"^VmHWM:\s+(\d+) kB", status, re.MULTILINE)
    assert match, status
    return int(match.group(1)) * 1024


def reset_peak(pid: int) -> None:
    """Start the peak over from the memory in use now (Linux's clear_refs, value 5)."""
    Path(f"/proc/{pid}/clear_refs").write_text("5")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    def __init__(self, folder: Path, database_url: str) -> None:
        self.env = {**os.environ, "DATA_DIR": str(folder), "PYTHONUNBUFFERED": "1"}
        self.env["DATABASE_URL"] = database_url or f"sqlite://{folder / 'startrip.sqlite3'}"
        for command in ("migrate", "demo"):
            subprocess.run(
                [sys.executable, "-m", "pwa", command],
                cwd=ROOT,
                env=self.env,
                check=True,
                capture_output=True,
            )
        self.url = f"http://127.0.0.1:{free_port()}"
        self.process = subprocess.Popen(
            [sys.executable, "-m", "pwa", "serve", "--port", self.url.rsplit(":", 1)[1]],
            cwd=ROOT,
            env=self.env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{self.url}/healthz", timeout=1).status_code == 200:
                    return
            except httpx.TransportError:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError("the server did not start")

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)

    def growth_while(self, send: Any) -> tuple[httpx.Response, int]:
        """What send() answered, and how far the server's peak memory rose meanwhile."""
        pid = self.process.pid
        reset_peak(pid)
        before = peak_rss(pid)
        response = send()
        after = peak_rss(pid)
        print(f"server peak RSS {before / 2**20:.0f} → {after / 2**20:.0f} MB")
        return response, after - before


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    folder = tmp_path_factory.mktemp("limits")
    database_url = databases.empty(folder) if databases.ON_POSTGRES else ""
    running = Server(folder, database_url)
    yield running
    running.stop()
    if database_url:
        databases.drop(database_url)


def test_100_mb_chunked_to_login_gets_413_with_memory_bounded(server: Server) -> None:
    form = {"Content-Type": "application/x-www-form-urlencoded", "Accept-Language": "en"}
    with httpx.Client(base_url=server.url, timeout=60) as http:
        # Once small, so what the first request loads is not counted.
        assert http.post("/login", content=Chunks(total=1000), headers=form).status_code == 403
        body = Chunks(total=HUNDRED_MB)
        response, growth = server.growth_while(
            lambda: http.post("/login", content=body, headers=form)
        )
    assert response.status_code == 413
    assert "What you sent is too big." in response.text
    assert growth < MEMORY_BOUND, f"grew {growth / 2**20:.0f} MB"


def test_100_mb_chunked_to_sync_push_gets_413_with_memory_bounded(server: Server) -> None:
    with httpx.Client(base_url=server.url, timeout=60) as http:
        login = http.get("/login")
        token = CSRF_RE.search(login.text)
        assert token
        fields = {
            "csrf_token": token.group(1),
            "email": "parent@demo.test",
            "password": "startrip-demo",
        }
        assert http.post("/login", data=fields).status_code == 303
        match = CSRF_RE.search(http.get("/help").text)
        assert match
        headers = {"X-CSRF-Token": match.group(1), "Content-Type": "application/json"}
        small = http.post("/api/sync/push", content=Chunks(b"{}"), headers=headers)
        assert small.status_code == 400
        body = Chunks(total=HUNDRED_MB, fill=b"[")
        response, growth = server.growth_while(
            lambda: http.post("/api/sync/push", content=body, headers=headers)
        )
    assert response.status_code == 413
    assert set(response.json()) == {"error", "detail"}
    assert growth < MEMORY_BOUND, f"grew {growth / 2**20:.0f} MB"
