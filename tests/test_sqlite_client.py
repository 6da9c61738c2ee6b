"""SQLite statements in the loop's own thread (pwa/sqlite_client.py, issue 19): a write that
finds the file locked by the other worker still waits for it and goes through, without
stopping the worker, and a task that only reads cannot keep
the worker to itself."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from tortoise import Tortoise, connections

from pwa.db import immediate_transaction, tortoise_config
from pwa.sqlite_client import InlineSqliteClient

pytestmark = pytest.mark.sqlite_only


@pytest.fixture
async def worker(tmp_path: Path) -> AsyncIterator[Any]:
    await Tortoise.init(config=tortoise_config(f"sqlite://{tmp_path / 'server.sqlite3'}"))
    client = connections.get("default")
    assert isinstance(client, InlineSqliteClient)
    await client.execute_script("CREATE TABLE tally (who TEXT NOT NULL)")
    yield client
    await Tortoise.close_connections()


async def tally(client: Any) -> list[str]:
    rows = await client.execute_query_dict("SELECT who FROM tally ORDER BY rowid")
    return [row["who"] for row in rows]


class OtherWorker:
    """The second worker process, holding SQLite's write lock until it commits."""

    def __init__(self, path: str) -> None:
        self.connection = sqlite3.connect(path, isolation_level=None, check_same_thread=False)

    def __enter__(self) -> OtherWorker:
        self.connection.execute("BEGIN IMMEDIATE")
        self.connection.execute("INSERT INTO tally (who) VALUES ('other worker')")
        return self

    def __exit__(self, *exc: object) -> None:
        if self.connection.in_transaction:
            self.connection.execute("COMMIT")
        self.connection.close()


async def pay() -> None:
    """A payment, as the voucher services make it: BEGIN IMMEDIATE, then the write."""
    async with immediate_transaction() as connection:
        await connection.execute_query("INSERT INTO tally (who) VALUES ('payment')")


async def loop_turns_during(seconds: float) -> int:
    turns = 0
    end = asyncio.get_running_loop().time() + seconds
    while asyncio.get_running_loop().time() < end:
        await asyncio.sleep(0.01)
        turns += 1
    return turns


async def test_a_write_waits_for_the_other_workers_commit_and_the_worker_goes_on(worker) -> None:
    with OtherWorker(worker.filename) as other:
        write = asyncio.create_task(
            worker.execute_insert("INSERT INTO tally (who) VALUES ('this worker')", [])
        )
        # The write waits (it neither failed at once nor went through under the lock), and the
        # worker's loop keeps turning meanwhile: its other requests are served.
        turns = await loop_turns_during(0.4)
        assert not write.done()
        assert turns >= 10
        other.connection.execute("COMMIT")
    await asyncio.wait_for(write, timeout=5)
    assert await tally(worker) == ["other worker", "this worker"]


async def test_a_transaction_begins_once_the_other_worker_commits(worker) -> None:
    with OtherWorker(worker.filename) as other:
        paying = asyncio.create_task(pay())
        await asyncio.sleep(0.3)
        assert not paying.done()
        other.connection.execute("COMMIT")
    await asyncio.wait_for(paying, timeout=5)
    assert await tally(worker) == ["other worker", "payment"]


async def gives_up_while_the_other_worker_writes(
    worker: Any, start: Callable[[], Awaitable[Any]]
) -> None:
    """The request starts while the other worker holds the lock and is cancelled (its client
    went away) before the other worker commits."""
    with OtherWorker(worker.filename) as other:
        request = asyncio.create_task(start())
        await asyncio.sleep(0.2)
        request.cancel()
        await asyncio.sleep(0.1)
        other.connection.execute("COMMIT")
    with pytest.raises(asyncio.CancelledError):
        await asyncio.wait_for(request, timeout=5)


async def test_a_request_that_gave_up_waiting_leaves_the_connection_usable(worker) -> None:
    await gives_up_while_the_other_worker_writes(
        worker, lambda: worker.execute_insert("INSERT INTO tally (who) VALUES ('gave up')", [])
    )
    await asyncio.wait_for(
        worker.execute_insert("INSERT INTO tally (who) VALUES ('next')", []), timeout=5
    )
    # The request that gave up wrote nothing (it was waiting between tries); the next one
    # went through.
    assert await tally(worker) == ["other worker", "next"]


async def test_a_payment_that_gave_up_waiting_leaves_no_transaction_open(worker) -> None:
    """Nothing of a payment whose request was cancelled while it waited for the lock stays
    behind: no transaction that nobody would end (the other worker would wait for it), and
    not the payment's wait for the disk on every later commit of this worker."""
    await gives_up_while_the_other_worker_writes(worker, pay)
    assert not worker._connection.in_transaction
    # Back to the connection's own synchronous=NORMAL (1), not the payment's FULL (2).
    assert (await worker.execute_query_dict("PRAGMA synchronous"))[0]["synchronous"] == 1
    # The other worker writes at once, and so does this one.
    with OtherWorker(worker.filename):
        pass
    await asyncio.wait_for(pay(), timeout=5)
    assert await tally(worker) == ["other worker", "other worker", "payment"]


async def test_a_task_that_only_reads_in_a_loop_lets_the_others_run(worker) -> None:
    stop = False

    async def keep_reading() -> int:
        reads = 0
        # (Bounded, so that a worker kept to one task fails here instead of hanging.)
        while not stop and reads < 2000:
            await tally(worker)
            reads += 1
        return reads

    async def stop_soon() -> None:
        nonlocal stop
        await worker.execute_insert("INSERT INTO tally (who) VALUES ('writer')", [])
        stop = True

    reads, _ = await asyncio.wait_for(asyncio.gather(keep_reading(), stop_soon()), timeout=5)
    # The writer had its turn after the reader's first read or so. Without a turn for the
    # loop after each statement the reader keeps the worker: it reaches its bound of 2,000
    # reads before the writer starts (checked: that is how this fails).
    assert 1 <= reads < 10
    assert await tally(worker) == ["writer"]


async def test_a_locked_file_still_fails_after_the_busy_timeout(tmp_path: Path) -> None:
    url = f"sqlite://{tmp_path / 'short.sqlite3'}?busy_timeout=200"
    await Tortoise.init(config=tortoise_config(url))
    try:
        client = connections.get("default")
        await client.execute_script("CREATE TABLE tally (who TEXT NOT NULL)")
        with OtherWorker(client.filename), pytest.raises(Exception, match="locked"):
            await asyncio.wait_for(
                client.execute_insert("INSERT INTO tally (who) VALUES ('late')", []),
                timeout=5,
            )
        assert await tally(client) == ["other worker"]
    finally:
        await Tortoise.close_connections()
