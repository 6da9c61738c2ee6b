"""SQLite as a server's database (pwa/sqlite_client.py, issue 19): a page is read while another
request writes, and two workers on one file write in turn instead of failing or sleeping.

A second ServerSqliteClient on the same file stands for the second worker process: flock locks
belong to an open file, so two clients in one process exclude each other as two processes do.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from tortoise import Tortoise, connections
from tortoise.transactions import in_transaction

from pwa.db import immediate_transaction, tortoise_config
from pwa.sqlite_client import ServerSqliteClient, is_read

pytestmark = pytest.mark.sqlite_only


@pytest.fixture
async def worker(tmp_path: Path) -> AsyncIterator[ServerSqliteClient]:
    await Tortoise.init(config=tortoise_config(f"sqlite://{tmp_path / 'server.sqlite3'}"))
    client = connections.get("default")
    assert isinstance(client, ServerSqliteClient)
    await client.execute_script("CREATE TABLE tally (who TEXT NOT NULL)")
    yield client
    await Tortoise.close_connections()


@pytest.fixture
async def other_worker(worker: ServerSqliteClient) -> AsyncIterator[ServerSqliteClient]:
    # No busy timeout at all: without the writer gate, a write that finds the file locked
    # fails at once with "database is locked".
    other = ServerSqliteClient(
        worker.filename, connection_name="other", **{**worker.pragmas, "busy_timeout": 0}
    )
    yield other
    await other.close()


async def tally(client: ServerSqliteClient) -> list[str]:
    rows = await client.execute_query_dict("SELECT who FROM tally ORDER BY rowid")
    return [row["who"] for row in rows]


async def hold_a_transaction(started: asyncio.Event, finish: asyncio.Event) -> None:
    async with in_transaction() as connection:
        await connection.execute_query("INSERT INTO tally (who) VALUES ('first')")
        started.set()
        await finish.wait()


async def test_a_page_is_read_while_another_request_is_inside_its_transaction(worker) -> None:
    started, finish = asyncio.Event(), asyncio.Event()
    writer = asyncio.create_task(hold_a_transaction(started, finish))
    await started.wait()
    # Answered now, not after the transaction (one connection would wait for it here for
    # ever), and without the row that is not committed yet.
    assert await asyncio.wait_for(tally(worker), timeout=5) == []
    finish.set()
    await writer
    assert await tally(worker) == ["first"]


async def test_the_other_worker_writes_when_the_first_commits_instead_of_failing(
    worker, other_worker
) -> None:
    started, finish = asyncio.Event(), asyncio.Event()
    writer = asyncio.create_task(hold_a_transaction(started, finish))
    await started.wait()
    second = asyncio.create_task(
        other_worker.execute_insert("INSERT INTO tally (who) VALUES ('second')", [])
    )
    await asyncio.sleep(0.3)
    assert not second.done(), "the second worker wrote while the first held its transaction"
    # Its reads go on meanwhile.
    assert await asyncio.wait_for(tally(other_worker), timeout=5) == []
    finish.set()
    await writer
    await asyncio.wait_for(second, timeout=5)
    assert await tally(worker) == ["first", "second"]


async def test_money_waits_its_turn_behind_the_other_worker(worker, other_worker) -> None:
    """Two payments at once on two workers: both go through, one after the other."""

    async def pay(client: ServerSqliteClient, who: str) -> None:
        async with client._in_transaction() as connection:
            await connection.execute_query("INSERT INTO tally (who) VALUES (?)", [who])
            await asyncio.sleep(0.05)

    async def pay_here(who: str) -> None:
        async with immediate_transaction() as connection:
            await connection.execute_query("INSERT INTO tally (who) VALUES (?)", [who])
            await asyncio.sleep(0.05)

    await asyncio.wait_for(
        asyncio.gather(
            *(pay_here(f"here {n}") for n in range(5)),
            *(pay(other_worker, f"there {n}") for n in range(5)),
        ),
        timeout=20,
    )
    assert sorted(await tally(worker)) == sorted(
        [f"here {n}" for n in range(5)] + [f"there {n}" for n in range(5)]
    )


async def test_a_request_that_gave_up_waiting_to_write_leaves_the_file_free(
    worker, other_worker
) -> None:
    started, finish = asyncio.Event(), asyncio.Event()
    writer = asyncio.create_task(hold_a_transaction(started, finish))
    await started.wait()
    gave_up = asyncio.create_task(
        other_worker.execute_insert("INSERT INTO tally (who) VALUES ('gave up')", [])
    )
    await asyncio.sleep(0.2)
    gave_up.cancel()
    with pytest.raises(asyncio.CancelledError):
        await gave_up
    finish.set()
    await writer
    await asyncio.sleep(0.2)
    # Neither worker is shut out by the lock the cancelled request was waiting for.
    await asyncio.wait_for(
        worker.execute_insert("INSERT INTO tally (who) VALUES ('again')", []), timeout=5
    )
    await asyncio.wait_for(
        other_worker.execute_insert("INSERT INTO tally (who) VALUES ('other')", []), timeout=5
    )
    assert await tally(worker) == ["first", "again", "other"]


async def test_writes_that_start_with_with_go_to_the_writer(worker) -> None:
    await worker.execute_query("INSERT INTO tally (who) VALUES ('a')")
    await worker.execute_query(
        "WITH renamed AS (SELECT 'b' AS who) UPDATE tally SET who = (SELECT who FROM renamed)"
    )
    assert await tally(worker) == ["b"]
    assert is_read("  select 1") and is_read("WITH x AS (SELECT 1) SELECT * FROM x")
    assert not is_read("WITH x AS (SELECT 1)\nDELETE FROM tally")
    assert not is_read("INSERT INTO tally SELECT 'c'")
