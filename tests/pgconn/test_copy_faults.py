"""COPY under faults: failing and slow sources and sinks, cancellation, timeouts, bounded memory."""

from __future__ import annotations

import asyncio
import contextlib
import time
import tracemalloc
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest

import pgconn
from pgwire.exceptions import QueryCanceledError
from tests.pgconn.conftest import MakeTable


class SourceFailed(Exception):
    """Raised by a test's COPY source midway."""


async def assert_usable(conn: pgconn.Connection) -> None:
    assert not conn.is_closed()
    assert await asyncio.wait_for(conn.fetchval("SELECT 'usable'"), 10) == "usable"


async def test_source_error_sends_copyfail_and_nothing_is_applied(
    conn: pgconn.Connection, table: MakeTable
) -> None:
    name = await table("a int")

    async def source() -> AsyncIterator[bytes]:
        yield b"1\n2\n"
        raise SourceFailed("the disk went away")

    with pytest.raises(SourceFailed, match="the disk went away"):
        await conn.copy_to_table(name, source=source())
    await assert_usable(conn)
    assert await conn.fetchval(f"SELECT count(*) FROM {name}") == 0

    def records() -> Iterator[tuple[int]]:
        yield (1,)
        raise SourceFailed("no more records")

    with pytest.raises(SourceFailed, match="no more records"):
        await conn.copy_records_to_table(name, records=records())
    await assert_usable(conn)
    assert await conn.fetchval(f"SELECT count(*) FROM {name}") == 0


async def test_cancelled_copy_in_leaves_the_connection_usable(
    conn: pgconn.Connection, table: MakeTable
) -> None:
    name = await table("a int")

    async def endless() -> AsyncIterator[bytes]:
        while True:
            yield b"1\n" * 1000
            await asyncio.sleep(0)

    for delay in (0.0, 0.05):
        task = asyncio.ensure_future(conn.copy_to_table(name, source=endless()))
        await asyncio.sleep(delay)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        await assert_usable(conn)
        assert await conn.fetchval(f"SELECT count(*) FROM {name}") == 0


async def test_sink_error_cancels_the_copy_and_the_connection_stays_usable(conn: pgconn.Connection) -> None:
    calls = 0

    async def sink(chunk: bytes) -> None:
        nonlocal calls
        calls += 1
        if calls == 3:
            raise OSError("the sink is full")

    started = time.monotonic()
    with pytest.raises(OSError, match="the sink is full"):
        await conn.copy_from_query(
            "SELECT i, repeat('x', 100) FROM generate_series(1, 10000000) AS i", output=sink
        )
    assert time.monotonic() - started < 5
    await assert_usable(conn)
    # The server stopped producing the ten million rows (it did not run on unseen).
    assert time.monotonic() - started < 8


async def test_timeout_covers_the_whole_copy_with_a_slow_sink(conn: pgconn.Connection) -> None:
    async def slow_sink(chunk: bytes) -> None:
        await asyncio.sleep(0.05)

    started = time.monotonic()
    with pytest.raises(TimeoutError):
        await conn.copy_from_query("SELECT generate_series(1, 10000000)", output=slow_sink, timeout=0.5)
    elapsed = time.monotonic() - started
    assert 0.45 < elapsed < 1.5, elapsed
    await assert_usable(conn)

    async def slow_source() -> AsyncIterator[bytes]:
        while True:
            await asyncio.sleep(0.05)
            yield b"1\n"

    await conn.execute("CREATE TEMP TABLE copy_target (a int)")
    started = time.monotonic()
    with pytest.raises(TimeoutError):
        await conn.copy_to_table("copy_target", source=slow_source(), timeout=0.5)
    elapsed = time.monotonic() - started
    assert 0.45 < elapsed < 1.5, elapsed
    await assert_usable(conn)
    assert await conn.fetchval("SELECT count(*) FROM copy_target") == 0


async def test_copy_out_pauses_reading_while_the_sink_is_slow(conn: pgconn.Connection) -> None:
    # About 40 MB from the server; a sink that keeps nothing but is slower than the server.
    query = "SELECT repeat('x', 1000) FROM generate_series(1, 40000)"
    received = 0

    async def slow_sink(chunk: bytes) -> None:
        nonlocal received
        received += len(chunk)
        await asyncio.sleep(0.0005)

    tracemalloc.start()
    try:
        assert await conn.copy_from_query(query, output=slow_sink) == "COPY 40000"
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert received == 40000 * 1001
    # Reading pauses past about 1 MB queued: memory never holds more than a few MB of it.
    assert peak < 8_000_000, f"peak {peak} bytes"


async def test_copy_in_sends_under_flow_control(conn: pgconn.Connection, table: MakeTable) -> None:
    name = await table("t text")
    line = b"y" * 999 + b"\n"
    chunk = line * 64  # 64 kB
    produced = 0

    async def source() -> AsyncIterator[bytes]:
        nonlocal produced
        for _ in range(600):  # about 40 MB in all
            produced += len(chunk)
            yield chunk

    tracemalloc.start()
    try:
        assert await conn.copy_to_table(name, source=source()) == "COPY 38400"
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert produced == 600 * len(chunk)
    assert peak < 8_000_000, f"peak {peak} bytes"


async def test_record_stream_timeout_and_cancel(conn: pgconn.Connection) -> None:
    stream = conn.copy_records_from_query("SELECT pg_sleep(5), 1", timeout=0.3)
    started = time.monotonic()
    with pytest.raises(TimeoutError):
        await stream.__anext__()
    assert time.monotonic() - started < 1
    await assert_usable(conn)
    task = asyncio.ensure_future(anext_of(conn.copy_records_from_query("SELECT pg_sleep(5), 1")))
    await asyncio.sleep(0.1)
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
    await assert_usable(conn)


async def anext_of(stream: Any) -> Any:
    return await stream.__anext__()


async def test_close_during_copy_out_stops_it(conn: pgconn.Connection) -> None:
    async def sink(chunk: bytes) -> None:
        await asyncio.sleep(0.01)

    task = asyncio.ensure_future(conn.copy_from_query("SELECT generate_series(1, 10000000)", output=sink))
    await asyncio.sleep(0.2)
    started = time.monotonic()
    await conn.close()
    assert time.monotonic() - started < 5
    with pytest.raises(QueryCanceledError):
        await task
