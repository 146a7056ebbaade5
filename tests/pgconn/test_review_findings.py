"""Bugs a review found in pgconn (runner recovery, COPY, executemany, cursors, listeners), pinned.

Each test showed one bug against the real server before its fix: a late CancelRequest that
cancelled the next query, COPY IN timeouts that skipped recovery, an unretrieved future,
close() stuck behind a paused COPY OUT, COPY FROM STDIN through fetch(), argument inlining
that lexed SQL unlike the server, a concurrent add_listener left without LISTEN, an abandoned
WITH HOLD cursor, and a cursor of an ended transaction.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import time
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest

import pgconn
from pgwire.exceptions import InFailedSQLTransactionError, InterfaceError, PostgresError, QueryCanceledError
from tests.pgconn.conftest import ConnectionFactory, MakeTable


class SourceFailed(Exception):
    """Raised by a test's COPY source midway."""


async def assert_usable(conn: pgconn.Connection) -> None:
    """The connection is open and answers a fresh query with its own result."""
    assert not conn.is_closed()
    assert await asyncio.wait_for(conn.fetchval("SELECT $1::int + 1", 41), 10) == 42
    assert not conn.is_in_transaction()


@contextlib.contextmanager
def loop_errors() -> Iterator[list[dict[str, Any]]]:
    """What reaches the running loop's exception handler in the block (and a gc pass after it)."""
    loop = asyncio.get_running_loop()
    previous = loop.get_exception_handler()
    seen: list[dict[str, Any]] = []
    loop.set_exception_handler(lambda _loop, context: seen.append(context))
    try:
        yield seen
        gc.collect()
    finally:
        loop.set_exception_handler(previous)


def never_retrieved(seen: list[dict[str, Any]]) -> list[str]:
    return [str(c.get("exception")) for c in seen if "never retrieved" in str(c.get("message"))]


# -- recovery ------------------------------------------------------------------------------------


async def test_late_cancel_request_does_not_cancel_the_next_query(conn: pgconn.Connection) -> None:
    # Timeouts just before the query ends by itself: the CancelRequest goes out, the query
    # finishes first, and the next query starts before the postmaster delivered the signal.
    # A query can only be cancelled by the CancelRequest of an earlier, already recovered one.
    cancelled = 0
    for attempt in range(100):
        try:
            await conn.execute("SELECT pg_sleep(0.05)", timeout=0.030 + (attempt % 40) * 0.0005)
        except TimeoutError:
            pass
        except QueryCanceledError:
            cancelled += 1
        try:
            await conn.execute("SELECT pg_sleep(0.02)")
        except QueryCanceledError:
            cancelled += 1
    assert cancelled == 0, f"{cancelled} queries were cancelled by an earlier query's CancelRequest"


# -- COPY IN: interrupted waits that skip recovery ------------------------------------------------


async def test_copy_in_timeout_after_copydone_recovers(conn: pgconn.Connection, table: MakeTable) -> None:
    # Each row sleeps `a` seconds in its CHECK: the server answers CopyDone after 2 s.
    name = await table("a float8 CHECK (pg_sleep(a) IS NOT NULL)")
    with pytest.raises(TimeoutError):
        await conn.copy_to_table(name, source=bytearray(b"2\n"), timeout=0.3)
    await assert_usable(conn)
    # The caller was told the COPY timed out: it must not have been applied behind its back.
    assert await conn.fetchval(f"SELECT count(*) FROM {name}") == 0


async def test_copy_in_timeout_while_waiting_for_copyfail_answer(
    conn: pgconn.Connection, table: MakeTable
) -> None:
    name = await table("a float8 CHECK (pg_sleep(a) IS NOT NULL)")

    async def source() -> AsyncIterator[bytes]:
        yield b"2\n"  # the server sleeps 2 s on this row before it reads the CopyFail
        await asyncio.sleep(0.1)
        raise SourceFailed("source broke")

    with pytest.raises((TimeoutError, SourceFailed)):
        await conn.copy_to_table(name, source=source(), timeout=0.4)
    await assert_usable(conn)


# -- executemany ---------------------------------------------------------------------------------


async def test_streaming_executemany_cancel_leaves_no_unretrieved_future(
    connect: ConnectionFactory, table: MakeTable
) -> None:
    name = await table("a int, b text")
    conn = await connect()
    locker = await connect()
    command = f"INSERT INTO {name} VALUES ($1, $2)"
    await conn.execute(command, 0, "cached")  # prepared now: Parse/Describe do not wait for the lock
    await locker.execute(f"BEGIN; LOCK TABLE {name} IN ACCESS EXCLUSIVE MODE")
    with loop_errors() as seen:
        # The first Execute waits for the lock, the server stops reading, the writes fill the
        # socket and executemany waits in drain() when the deadline passes.
        with pytest.raises(TimeoutError):
            await conn.executemany(command, ((i, "x" * 1000) for i in range(50_000)), timeout=0.5)
        await assert_usable(conn)  # waits for the recovery (the lock is still held)
        await locker.execute("ROLLBACK")
        assert await conn.fetchval(f"SELECT count(*) FROM {name}") == 1
    assert never_retrieved(seen) == []


# -- close() -------------------------------------------------------------------------------------


async def test_close_with_an_unread_copy_record_stream_does_not_hang(conn: pgconn.Connection) -> None:
    stream = conn.copy_records_from_query("SELECT g, repeat('x', 1000) FROM generate_series(1, 100000) g")
    assert (await stream.__anext__())[0] == 1
    await asyncio.sleep(0.5)  # more than the high-water mark is queued: reading is paused
    started = time.monotonic()
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(5):
            await conn.close()
    assert time.monotonic() - started < 3
    await stream.aclose()


# -- COPY through the query methods --------------------------------------------------------------


async def test_fetch_of_copy_from_stdin_is_refused_cleanly(conn: pgconn.Connection, table: MakeTable) -> None:
    name = await table("a int")
    # execute() without arguments refuses it with CopyFail at once; the extended path should too.
    with pytest.raises((PostgresError, InterfaceError)):
        await conn.fetch(f"COPY {name} FROM STDIN", timeout=2)
    await assert_usable(conn)


# -- copy_from_query: inline_arguments lexes SQL unlike the server ---------------------------------

_INLINE_CASES = [
    # An identifier ending in e/E before a quote (the typed literal name'...') is taken for an
    # E'' string: the regex runs past the server's string end, and $1 inside the next string is
    # replaced, so the argument's text runs as SQL (here: current_user is evaluated).
    pytest.param(
        "", "SELECT name'\\' AS a, ' $1 ' AS b", "||current_user||", b"\\\\\t $1 \n", id="typed-literal"
    ),
    # standard_conforming_strings=off: '\'' escapes a quote; the regex ends the string early.
    pytest.param(
        "SET standard_conforming_strings = off; SET escape_string_warning = off",
        "SELECT 'a\\' $1 ' AS a",
        "||current_user||",
        b"a' $1 \n",
        id="standard-conforming-strings-off",
    ),
    # A dollar-quote tag with a character beyond U+FFFF is valid SQL but not matched.
    pytest.param("", "SELECT $\U0001f600$ $1 $\U0001f600$ AS a", "v", b" $1 \n", id="non-bmp-dollar-tag"),
    # A -- comment ends at \r for the server, at \n for the regex: $1 after it is left unreplaced.
    pytest.param("", "SELECT 1 AS a -- note\r, $1::int AS b", 5, b"1\t5\n", id="comment-ended-by-cr"),
]


@pytest.mark.parametrize(("setup", "query", "argument", "expected"), _INLINE_CASES)
async def test_copy_from_query_inlines_arguments_as_the_server_lexes(
    conn: pgconn.Connection, setup: str, query: str, argument: object, expected: bytes
) -> None:
    if setup:
        await conn.execute(setup)
    chunks: list[bytes] = []

    async def sink(chunk: bytes) -> None:
        chunks.append(bytes(chunk))

    await conn.copy_from_query(query, argument, output=sink)
    assert b"".join(chunks) == expected


# -- listeners -----------------------------------------------------------------------------------


async def test_concurrent_add_listener_survives_a_failed_listen(connect: ConnectionFactory) -> None:
    conn = await connect()
    notifier = await connect()
    received: list[str] = []
    with contextlib.suppress(PostgresError):
        await conn.execute("BEGIN; SELECT 1/0")  # a failed transaction: LISTEN will be refused
    first = asyncio.create_task(conn.add_listener("review_ch", lambda *_: received.append("first")))
    await asyncio.sleep(0)  # the first callback is registered and its LISTEN is on its way
    # The second shares the first's LISTEN: it fails with it instead of returning at once and
    # leaving a callback that nothing LISTENs for.
    with pytest.raises(InFailedSQLTransactionError):
        await conn.add_listener("review_ch", lambda *_: received.append("second"))
    with pytest.raises(InFailedSQLTransactionError):
        await first
    await conn.execute("ROLLBACK")
    await conn.add_listener("review_ch", lambda *_: received.append("second"))
    await notifier.execute("NOTIFY review_ch")
    for _ in range(50):
        if received:
            break
        await conn.execute("SELECT 1")  # reads what the server sent
        await asyncio.sleep(0.02)
    assert received == ["second"]


# -- cursors -------------------------------------------------------------------------------------


async def test_leaving_a_hold_cursor_iteration_early_closes_it(conn: pgconn.Connection) -> None:
    # Refusing hold=True for `async for` (no handle to close it with) would be a fix too.
    with contextlib.suppress(InterfaceError):
        async for row in conn.cursor("SELECT g FROM generate_series(1, 1000) g", hold=True):
            assert row[0] == 1
            break
    gc.collect()
    await asyncio.sleep(0.05)
    await conn.execute("SELECT 1")  # a CLOSE scheduled for the next operation goes first
    assert await conn.fetchval("SELECT count(*) FROM pg_cursors WHERE is_holdable") == 0


async def test_cursor_from_an_ended_transaction_does_not_break_the_next_one(conn: pgconn.Connection) -> None:
    async with conn.transaction():
        cursor = await conn.cursor("SELECT g FROM generate_series(1, 10) g")
        assert (await cursor.fetchrow()) is not None
    async with conn.transaction():
        with pytest.raises(InterfaceError):
            await cursor.fetch(1)
        assert await conn.fetchval("SELECT 1") == 1  # the new transaction is still healthy
