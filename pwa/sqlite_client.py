"""SQLite as a server's database: a read connection beside the writer, and writers that take
turns through a lock file instead of SQLite's busy sleeps (issue 19, docs/DEPLOY.md).

tortoise's own SQLite client has one connection per worker behind one asyncio lock: a page's
SELECT waits behind another request's commit, and when the other worker holds the file's write
lock, SQLite's busy handler sleeps 25–100 ms at a time before it looks again, with the
connection (and so every read of the worker) held all the while. Here:

- SELECTs outside a transaction go to a second connection that can only read
  (``PRAGMA query_only``). With WAL a reader never waits for a writer and sees every commit
  made before it starts, so a request still reads what it has just written.
- Every write, and every transaction, first passes the writer gate: an asyncio lock for the
  worker's tasks, then ``flock`` on ``<database>-writer.lock`` for the host's other workers.
  A waiting worker wakes the moment the other lets go, and holds nothing else meanwhile.
  Transactions begin IMMEDIATE: the gate already makes them the only writer, and a deferred
  one that read first could not take the write lock from a tool outside the app (the sqlite3
  shell, a backup) without failing.
"""

from __future__ import annotations

import asyncio
import fcntl
import os
import re
import sqlite3
from collections.abc import Sequence
from typing import Any, cast

import aiosqlite
from tortoise.backends.base.client import TransactionContext
from tortoise.backends.sqlite.client import (
    SqliteClient,
    SqliteTransactionContext,
    SqliteTransactionWrapper,
    translate_exceptions,
)
from tortoise.connection import get_connections

# A statement that only reads: SELECT, or WITH … SELECT with no write in it.
_READ = re.compile(r"\s*(SELECT\b|WITH\b(?!.*\b(INSERT|UPDATE|DELETE|REPLACE)\b))", re.I | re.S)


def is_read(query: str) -> bool:
    return _READ.match(query) is not None


class WriterGate:
    """One writer at a time: the worker's tasks in turn (asyncio), then the host's processes
    (flock on a file beside the database; the kernel lets go of it if a process dies)."""

    def __init__(self, path: str) -> None:
        self.path = path
        self._turn = asyncio.Lock()
        self._fd: int | None = None

    async def acquire(self) -> None:
        await self._turn.acquire()
        try:
            await self._lock_file()
        except BaseException:
            self._turn.release()
            raise

    def release(self) -> None:
        try:
            if self._fd is not None:
                fcntl.flock(self._fd, fcntl.LOCK_UN)
        finally:
            self._turn.release()

    async def _lock_file(self) -> None:
        if self._fd is None:
            self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        fd = self._fd
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            pass
        # Another worker writes: wait for it in a thread, so this worker's reads go on.
        waiting = asyncio.ensure_future(asyncio.to_thread(fcntl.flock, fd, fcntl.LOCK_EX))
        try:
            await asyncio.shield(waiting)
        except asyncio.CancelledError:
            # The request went away while the thread still waits: when the thread gets the
            # lock, give it straight back, or every writer of the host would wait for ever.
            waiting.add_done_callback(_unlock_when_taken(fd))
            raise

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None


def _unlock_when_taken(fd: int) -> Any:
    def unlock(done: asyncio.Future[None]) -> None:
        if not done.cancelled() and done.exception() is None:
            fcntl.flock(fd, fcntl.LOCK_UN)

    return unlock


class _Gated:
    """``async with`` the gate, for the client's single statements."""

    __slots__ = ("gate",)

    def __init__(self, gate: WriterGate | None) -> None:
        self.gate = gate

    async def __aenter__(self) -> None:
        if self.gate is not None:
            await self.gate.acquire()

    async def __aexit__(self, *exc: object) -> None:
        if self.gate is not None:
            self.gate.release()


class ServerSqliteClient(SqliteClient):
    def __init__(self, file_path: str, **kwargs: Any) -> None:
        super().__init__(file_path, **kwargs)
        self._reader: aiosqlite.Connection | None = None
        self._read_lock = asyncio.Lock()
        # ":memory:" is one connection's own database: no second connection can read it.
        self.gate = None if file_path == ":memory:" else WriterGate(f"{file_path}-writer.lock")

    async def create_connection(self, with_db: bool) -> None:
        await super().create_connection(with_db)
        if self._reader is None and self.gate is not None:
            reader = await aiosqlite.connect(self.filename, isolation_level=None)
            reader._conn.row_factory = sqlite3.Row
            for pragma, value in self.pragmas.items():
                if pragma != "journal_mode":
                    await (await reader.execute(f"PRAGMA {pragma}={value}")).close()
            await (await reader.execute("PRAGMA query_only=1")).close()
            self._reader = reader

    async def close(self) -> None:
        try:
            if self._reader is not None:
                reader, self._reader = self._reader, None
                await reader.close()
        finally:
            await super().close()
            if self.gate is not None:
                self.gate.close()

    def _in_transaction(self) -> TransactionContext:
        return GatedTransactionContext(ImmediateTransaction(self), self._lock, self.gate)

    # Writes: the gate first, then tortoise's own connection lock and statement.

    async def execute_insert(self, query: str, values: list[Any]) -> int:
        async with _Gated(self.gate):
            return cast(int, await super().execute_insert(query, values))

    async def execute_many(self, query: str, values: list[list[Any]]) -> None:
        async with _Gated(self.gate):
            await super().execute_many(query, values)

    async def execute_script(self, query: str) -> None:
        async with _Gated(self.gate):
            await super().execute_script(query)

    async def execute_query(
        self, query: str, values: list[Any] | None = None
    ) -> tuple[int, Sequence[dict[str, Any]]]:
        if is_read(query) and await self._has_reader():
            rows = await self._read(query, values)
            return len(rows), rows
        async with _Gated(self.gate):
            done = await super().execute_query(query, values)
        return cast(tuple[int, Sequence[dict[str, Any]]], done)

    async def execute_query_dict(
        self, query: str, values: list[Any] | None = None
    ) -> list[dict[str, Any]]:
        if is_read(query) and await self._has_reader():
            return list(map(dict, await self._read(query, values)))
        async with _Gated(self.gate):
            return cast(list[dict[str, Any]], await super().execute_query_dict(query, values))

    async def _has_reader(self) -> bool:
        if self.gate is None:
            return False
        if self._reader is None:
            # Under the writer's lock, as tortoise opens its own: two first queries at once
            # open one pair of connections.
            async with self._lock:
                await self.create_connection(with_db=True)
        return True

    @translate_exceptions
    async def _read(self, query: str, values: list[Any] | None) -> Sequence[Any]:
        query = query.replace("\x00", "'||CHAR(0)||'")
        async with self._read_lock:
            reader = self._reader
            assert reader is not None
            self.log.debug("%s: %s", query, values)
            return list(await reader.execute_fetchall(query, values))


class GatedTransactionContext(SqliteTransactionContext):
    """tortoise's transaction, after the writer gate and with BEGIN IMMEDIATE; a BEGIN that
    fails lets go of everything it took (as tortoise has it, its lock stayed taken and every
    later query of the process waited for ever)."""

    __slots__ = ("gate",)

    def __init__(self, connection: Any, trxlock: asyncio.Lock, gate: WriterGate | None) -> None:
        super().__init__(connection, trxlock)
        self.gate = gate

    async def __aenter__(self) -> Any:
        if self.gate is not None:
            await self.gate.acquire()
        try:
            await self._trxlock.acquire()
            try:
                await self.ensure_connection()
                self.token = get_connections().set(self.connection_name, self.connection)
                try:
                    await self.connection.begin()
                except BaseException:
                    get_connections().reset(self.token)
                    raise
            except BaseException:
                self._trxlock.release()
                raise
        except BaseException:
            if self.gate is not None:
                self.gate.release()
            raise
        return self.connection

    async def __aexit__(self, exc_type: Any, exc_val: Any, exc_tb: Any) -> None:
        try:
            await super().__aexit__(exc_type, exc_val, exc_tb)
        finally:
            if self.gate is not None:
                self.gate.release()


class ImmediateTransaction(SqliteTransactionWrapper):
    async def begin(self) -> None:
        await self._connection.commit()
        await self._connection.execute("BEGIN IMMEDIATE")


client_class = ServerSqliteClient
