"""Deadlines hold on a stalled network: the caller's timeout fires on time, whatever the network does.

Every test runs through :class:`tests.faults.FaultProxy` in front of the real server: the
proxy stalls a direction mid-result (or before the query reaches the server), and for some
tests also blackholes new connections, so that the CancelRequest's own connection never
gets through. The deadline is the caller's: it fires within :data:`LATE` of the timeout;
the cancel and resync go on in the connection's recovery, and the next operation waits for
it (or finds the connection closed, when it could not be brought back in step).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest

import pgconn
from pgasync.cluster import Cluster
from pgwire.exceptions import InterfaceError
from tests.faults import Direction, FaultProxy, ProxyConnection

#: How late a deadline may fire on these shared, noisy machines (it fires within a few ms).
LATE = 0.25
#: Rows big enough that the answer does not fit the socket buffers: a stall holds it mid-result.
BIG = "SELECT i, repeat('x', 200) FROM generate_series(1, 200000) AS i"


@pytest.fixture
async def proxy(cluster: Cluster) -> AsyncIterator[FaultProxy]:
    async with FaultProxy(cluster.host, cluster.port) as running:
        yield running


async def through(proxy: FaultProxy, **options: Any) -> tuple[pgconn.Connection, ProxyConnection]:
    connection = await pgconn.connect(proxy.dsn(), **options)
    return connection, proxy.connections[-1]


async def late_by(timeout: float, operation: Awaitable[Any]) -> float:
    """Run ``operation`` (which must time out); how long after ``timeout`` it raised."""
    started = time.monotonic()
    with pytest.raises(TimeoutError):
        await asyncio.wait_for(operation, timeout + 10)  # a safety net, far beyond the deadline
    return time.monotonic() - started - timeout


@pytest.mark.parametrize("blackhole_cancel", [False, True])
async def test_fetch_timeout_holds_when_the_answer_stalls_mid_result(
    proxy: FaultProxy, blackhole_cancel: bool
) -> None:
    conn, relay = await through(proxy)
    try:
        relay.stall_after(Direction.TO_CLIENT, 100_000)  # part of the rows, then nothing
        proxy.blackhole_new_connections(blackhole_cancel)
        lateness = await late_by(1.0, conn.fetch(BIG, timeout=1.0))
        assert -0.01 < lateness < LATE, lateness
        # The recovery cannot finish while the network stalls; the next operation waits for
        # it within its own deadline, which holds as well.
        assert await late_by(0.5, conn.fetchval("SELECT 1", timeout=0.5)) < LATE
        relay.resume()
        proxy.blackhole_new_connections(False)
        # With the network back, the connection is in step again, or closed if it could not
        # be brought back (a blackholed CancelRequest leaves the query to finish by itself).
        try:
            assert await asyncio.wait_for(conn.fetchval("SELECT 42", timeout=20), 30) == 42
        except InterfaceError as error:
            assert "connection is closed" in str(error)
    finally:
        conn.terminate()


async def test_command_timeout_holds_when_the_answer_stalls(proxy: FaultProxy) -> None:
    conn, relay = await through(proxy, command_timeout=1.0)
    try:
        relay.stall_after(Direction.TO_CLIENT, 100_000)
        assert -0.01 < await late_by(1.0, conn.fetch(BIG)) < LATE
    finally:
        conn.terminate()


async def test_timeout_holds_when_the_query_never_reaches_the_server(proxy: FaultProxy) -> None:
    conn, relay = await through(proxy)
    try:
        relay.stall(Direction.TO_SERVER)
        assert -0.01 < await late_by(0.5, conn.fetchval("SELECT 1", timeout=0.5)) < LATE
        relay.resume()
        assert await asyncio.wait_for(conn.fetchval("SELECT 2", timeout=15), 20) == 2
    finally:
        conn.terminate()


OPERATIONS: dict[str, Callable[[pgconn.Connection], Awaitable[Any]]] = {
    "execute": lambda c: c.execute(BIG, timeout=0.5),
    "fetchrow-new-statement": lambda c: c.fetchrow(f"SELECT {time.monotonic_ns()}, $1::int", 1, timeout=0.5),
    "prepare": lambda c: c.prepare(f"SELECT {time.monotonic_ns()}", timeout=0.5),
    "executemany": lambda c: c.executemany("SELECT $1::int", [(i,) for i in range(5000)], timeout=0.5),
    "copy_from_query": lambda c: c.copy_from_query(BIG, output=_discard, timeout=0.5),
    "copy_records_to_table": lambda c: c.copy_records_to_table("pg_temp_none", records=[(1,)], timeout=0.5),
}


async def _discard(chunk: bytes) -> None:
    return None


@pytest.mark.parametrize("operation", OPERATIONS)
async def test_every_operation_keeps_its_deadline_on_a_stalled_network(
    proxy: FaultProxy, operation: str
) -> None:
    conn, relay = await through(proxy)
    try:
        relay.stall(Direction.TO_CLIENT)
        proxy.blackhole_new_connections()
        assert -0.01 < await late_by(0.5, OPERATIONS[operation](conn)) < LATE
    finally:
        conn.terminate()


async def test_close_is_bounded_by_its_timeout_on_a_stalled_network(proxy: FaultProxy) -> None:
    conn, relay = await through(proxy)
    relay.stall(Direction.TO_CLIENT)
    proxy.blackhole_new_connections()
    sent = relay.bytes_received(Direction.TO_SERVER)
    query = asyncio.ensure_future(conn.fetchval("SELECT 1"))
    await relay.wait_for_bytes(Direction.TO_SERVER, sent + 1)  # the query is on its way
    started = time.monotonic()
    with pytest.raises(TimeoutError):
        await conn.close(timeout=0.5)
    assert time.monotonic() - started < 0.5 + LATE
    assert conn.is_closed()
    with pytest.raises(Exception):  # noqa: B017  # the query's own error: the connection was aborted
        await query
