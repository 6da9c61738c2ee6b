"""A lean HTTP/1.1 client for the benchmarks' measured requests: one keep-alive connection,
the few calls bench/cycle.py makes (`get`, `post`), answers with `status_code`, `text`,
`json()` and `headers.get_list()` as httpx gives them.

Why not httpx: on this 2-core machine, bench/cycle.py's 50 clients in httpx took 0.7–0.8 of a
core (about 2.4 ms a request: URL parsing, header models, cookie jars, its transport's
layers), CPU the server under test then did not have. This client writes the request line
and headers as bytes and reads the answer with asyncio's streams: a tenth of that. It sends
what the browser sends that changes the server's work (the session cookie, Accept-Encoding:
gzip, a form or JSON body) and undoes the gzip, as a browser does.

Only what the app's answers use: Content-Length bodies or chunked ones; no redirects
followed, no proxies, no TLS. A connection the server closed is opened again once for the
next request.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import zlib
from typing import Any
from urllib.parse import urlencode, urlsplit


class Headers:
    def __init__(self, pairs: list[tuple[str, str]]) -> None:
        self.pairs = pairs

    def get(self, name: str, default: str = "") -> str:
        name = name.lower()
        for key, value in self.pairs:
            if key == name:
                return value
        return default

    def get_list(self, name: str) -> list[str]:
        name = name.lower()
        return [value for key, value in self.pairs if key == name]


class Answer:
    def __init__(self, status: int, headers: Headers, body: bytes) -> None:
        self.status_code = status
        self.headers = headers
        self.content = body

    @property
    def text(self) -> str:
        return self.content.decode("utf-8", "replace")

    def json(self) -> Any:
        return json.loads(self.content)


class ClosedError(ConnectionError):
    """The server closed the connection before answering."""


class Connection:
    def __init__(
        self, base_url: str, *, timeout: float, headers: dict[str, str] | None = None
    ) -> None:
        parts = urlsplit(base_url)
        self.host = parts.hostname or "127.0.0.1"
        self.port = parts.port or 80
        self.timeout = timeout
        fixed = {
            "Host": f"{self.host}:{self.port}",
            "Accept": "*/*",
            "Accept-Encoding": "gzip",
            "Connection": "keep-alive",
            **(headers or {}),
        }
        self.fixed = "".join(f"{k}: {v}\r\n" for k, v in fixed.items())
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def get(self, path: str, params: dict[str, Any] | None = None) -> Answer:
        if params:
            path = f"{path}?{urlencode(params)}"
        return await self.request("GET", path, b"", {})

    async def post(
        self,
        path: str,
        *,
        data: dict[str, str] | None = None,
        json: Any = None,  # httpx's name for a JSON body
        headers: dict[str, str] | None = None,
    ) -> Answer:
        extra = dict(headers or {})
        if json is not None:
            body = _dumps(json)
            extra["Content-Type"] = "application/json"
        else:
            body = urlencode(data or {}).encode()
            extra["Content-Type"] = "application/x-www-form-urlencoded"
        return await self.request("POST", path, body, extra)

    async def request(self, method: str, path: str, body: bytes, extra: dict[str, str]) -> Answer:
        head = f"{method} {path} HTTP/1.1\r\n{self.fixed}"
        head += "".join(f"{k}: {v}\r\n" for k, v in extra.items())
        if method != "GET" or body:
            head += f"Content-Length: {len(body)}\r\n"
        message = head.encode("latin-1") + b"\r\n" + body
        async with asyncio.timeout(self.timeout):
            try:
                fresh = self.writer is None
                if fresh:
                    await self._open()
                try:
                    return await self._exchange(message)
                except ClosedError:
                    if fresh:
                        raise
                    # A kept connection the server had closed: once more on a new one.
                    await self._open()
                    return await self._exchange(message)
            except BaseException:
                # A connection that failed part-way (a timeout, a bad answer) may still bring
                # the late answer, which the next request would take for its own: never reuse it.
                self._drop()
                raise

    async def connect(self) -> None:
        """Open the connection now, before the first request."""
        if self.writer is None:
            await self._open()

    async def _open(self) -> None:
        await self.aclose()
        self.reader, self.writer = await asyncio.open_connection(self.host, self.port)

    async def _exchange(self, message: bytes) -> Answer:
        assert self.reader is not None and self.writer is not None
        reader = self.reader
        self.writer.write(message)
        try:
            raw = await reader.readuntil(b"\r\n\r\n")
        except (asyncio.IncompleteReadError, ConnectionResetError) as exc:
            raise ClosedError() from exc
        lines = raw.decode("latin-1").split("\r\n")
        status = int(lines[0].split(" ", 2)[1])
        pairs = []
        for line in lines[1:]:
            if line:
                name, _colon, value = line.partition(":")
                pairs.append((name.strip().lower(), value.strip()))
        headers = Headers(pairs)
        if headers.get("transfer-encoding") == "chunked":
            body = await _chunked(reader)
        else:
            body = await reader.readexactly(int(headers.get("content-length", "0")))
        if headers.get("content-encoding") == "gzip":
            body = zlib.decompress(body, 31)
        if headers.get("connection").lower() == "close":
            await self.aclose()
        return Answer(status, headers, body)

    def _drop(self) -> None:
        writer, self.writer, self.reader = self.writer, None, None
        if writer is not None:
            writer.close()

    async def aclose(self) -> None:
        writer, self.writer, self.reader = self.writer, None, None
        if writer is not None:
            writer.close()
            with contextlib.suppress(OSError):
                await writer.wait_closed()


async def _chunked(reader: asyncio.StreamReader) -> bytes:
    parts = []
    while True:
        size = int((await reader.readuntil(b"\r\n")).split(b";", 1)[0], 16)
        if size == 0:
            await reader.readuntil(b"\r\n")  # no trailers in the app's answers
            return b"".join(parts)
        parts.append(await reader.readexactly(size))
        await reader.readexactly(2)


def _dumps(value: Any) -> bytes:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode()
