"""SQLite statements run on the event loop's own thread; a statement that finds the file locked
by the other worker is tried again after short pauses on the loop (issue 19, docs/DEPLOY.md).

tortoise's SQLite client goes through aiosqlite, which hands every statement to a thread of its
own and back: a queue, a wake-up and a callback into the loop for a query SQLite answers in
tens of microseconds. Measured under issue 19's cycle, that hand-over and the loop's work
around it cost more than the queries themselves. And each hand-over is a turn of the loop: a
transaction of four statements holds SQLite's write lock across four turns, while the loop
serves other requests in between, and the other worker waits all that time.

Here the connection has no busy timeout of its own: a statement runs at once, in the loop, and
when SQLite answers SQLITE_BUSY (the other worker holds the write lock) it is tried again after
short pauses on the loop, which serves other requests meanwhile, until the configured busy
timeout. Reads in WAL mode never wait for a writer. Schema scripts (migrations) run in a thread
with SQLite's own busy timeout.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from typing import Any, TypeVar

from tortoise.backends.sqlite.client import SqliteClient

T = TypeVar("T")

SQLITE_BUSY = 5
# A read transaction whose snapshot is older than the other worker's commit cannot become a
# write transaction: trying again cannot help, so it is not retried.
SQLITE_BUSY_SNAPSHOT = SQLITE_BUSY | (2 << 8)
# The pauses between tries of a statement that found the file locked: doubling from the first
# to the longest, about as long as another worker's write transaction takes.
FIRST_PAUSE = 0.0005
LONGEST_PAUSE = 0.004


def _is_busy(error: sqlite3.OperationalError) -> bool:
    code = getattr(error, "sqlite_errorcode", None)
    if code is None:
        return "locked" in str(error)
    return bool(code & 0xFF == SQLITE_BUSY and code != SQLITE_BUSY_SNAPSHOT)


class _Cursor:
    """What aiosqlite's execute returns, as far as tortoise uses it."""

    __slots__ = ("cursor",)

    def __init__(self, cursor: sqlite3.Cursor) -> None:
        self.cursor = cursor

    async def fetchall(self) -> list[Any]:
        return self.cursor.fetchall()

    async def close(self) -> None:
        self.cursor.close()


class InlineConnection:
    """The part of aiosqlite.Connection that tortoise's SQLite client uses."""

    def __init__(self, path: str, busy_timeout_ms: int) -> None:
        # No busy timeout of its own: a locked file answers at once (see _run). Used from a
        # thread only while the loop's task awaits that thread, under tortoise's lock.
        self._conn = sqlite3.connect(path, isolation_level=None, timeout=0, check_same_thread=False)
        self.busy_timeout_ms = busy_timeout_ms
        # A thread of the connection's own for schema scripts, which wait with SQLite's own
        # busy timeout: the loop's shared pool also sends mail and Web Push.
        self._waiter = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sqlite-wait")

    async def _run(self, fn: Callable[..., T], *args: Any) -> T:
        """The statement, at once; when the other worker holds the write lock, again after a
        pause on the loop (which serves other requests meanwhile), until it runs or the busy
        timeout has passed. Not SQLite's own busy handler, which sleeps 25 to 100 ms between
        tries once a wait has lasted a while, when the other worker's writes take a
        millisecond or two: under load that sleep was most of the slowest answers' time
        (bench/README.md). A failed try costs microseconds. Cancelled during a pause,
        nothing of the statement has run."""
        deadline, pause = None, 0.0
        while True:
            changes = self._conn.total_changes
            try:
                done = fn(*args)
            except sqlite3.OperationalError as error:
                # Tried again only if nothing ran: SQLite refuses a statement whole, but of
                # several rows (executemany) the first may have gone in before one was refused.
                if not _is_busy(error) or self._conn.total_changes != changes:
                    raise
                loop = asyncio.get_running_loop()
                if deadline is None:
                    deadline = loop.time() + self.busy_timeout_ms / 1000
                if loop.time() >= deadline:
                    raise
                pause = min(pause * 2, LONGEST_PAUSE) if pause else FIRST_PAUSE
                await asyncio.sleep(pause)
                continue
            if not self._conn.in_transaction:
                # A turn for the loop's other tasks after each statement or transaction, as
                # the thread's answer gave them: a task that only reads in a loop cannot keep
                # the worker to itself. Not inside a transaction, which would hold the write
                # lock across the turn.
                await asyncio.sleep(0)
            return done

    def _waiting(self, fn: Callable[..., T], *args: Any) -> T:
        self._conn.execute(f"PRAGMA busy_timeout={int(self.busy_timeout_ms)}")
        try:
            return fn(*args)
        finally:
            self._conn.execute("PRAGMA busy_timeout=0")

    def _execute(self, sql: str, parameters: Any) -> sqlite3.Cursor:
        return self._conn.execute(sql, parameters)

    def _execute_fetchall(self, sql: str, parameters: Any) -> list[Any]:
        return self._conn.execute(sql, parameters).fetchall()

    def _execute_insert(self, sql: str, parameters: Any) -> Any:
        cursor = self._conn.execute(sql, parameters)
        cursor.execute("SELECT last_insert_rowid()")
        return cursor.fetchone()

    async def execute(self, sql: str, parameters: Any = None) -> _Cursor:
        return _Cursor(await self._run(self._execute, sql, parameters or []))

    async def execute_fetchall(self, sql: str, parameters: Any = None) -> Any:
        return await self._run(self._execute_fetchall, sql, parameters or [])

    async def execute_insert(self, sql: str, parameters: Any = None) -> Any:
        return await self._run(self._execute_insert, sql, parameters or [])

    async def executemany(self, sql: str, parameters: Iterable[Iterable[Any]]) -> None:
        # A list, so that a try after a pause sends every row again, not what an iterator left.
        await self._run(self._conn.executemany, sql, list(parameters))

    async def executescript(self, script: str) -> None:
        # Schema changes (migrations): several statements, each its own commit, so a locked
        # file half-way must not run the first ones twice: always with the busy timeout.
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(
            self._waiter, partial(self._waiting, self._conn.executescript, script)
        )

    async def commit(self) -> None:
        await self._run(self._conn.commit)

    async def rollback(self) -> None:
        await self._run(self._conn.rollback)

    async def close(self) -> None:
        self._conn.close()
        self._waiter.shutdown(wait=False)

    @property
    def in_transaction(self) -> bool:
        return self._conn.in_transaction

    @property
    def total_changes(self) -> int:
        return self._conn.total_changes


class InlineSqliteClient(SqliteClient):
    async def create_connection(self, with_db: bool) -> None:
        if self._connection:
            return
        pragmas = dict(self.pragmas)
        busy = int(pragmas.pop("busy_timeout", 0) or 0)
        connection = InlineConnection(self.filename, busy)
        connection._conn.row_factory = sqlite3.Row
        try:
            for pragma, value in pragmas.items():
                await (await connection.execute(f"PRAGMA {pragma}={value}")).close()
        except BaseException:
            await connection.close()
            raise
        self._connection = connection  # type: ignore[assignment]
        await self._post_connect()


client_class = InlineSqliteClient
