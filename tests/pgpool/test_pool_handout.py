"""The uncontended acquire and release against the real server: an idle connection is handed
out and taken back without a trip through the event loop, and nothing the slower path does
is lost on the way (statistics, leases, health checks, warnings)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from pgwire.exceptions import InterfaceError, InterfaceWarning
from tests.pgpool.conftest import MakePool


async def no_reset(connection: Any) -> None:
    """A ``reset=`` that sends nothing: the release then needs no round trip."""


@pytest.mark.parametrize("timeout", [None, 5.0], ids=["no_timeout", "timeout"])
async def test_an_idle_connection_comes_and_goes_without_the_event_loop(
    make_pool: MakePool, timeout: float | None
) -> None:
    pool = await make_pool(min_size=2, max_size=2, reset=no_reset)
    before = pool.get_stats()
    ran: list[str] = []
    asyncio.get_running_loop().call_soon(ran.append, "another callback")
    async with pool.acquire(timeout=timeout) as connection:
        assert pool.get_stats().in_use == 1
    again = await pool.acquire(timeout=timeout)
    raw = again._con
    await pool.release(again)
    # No await above gave the loop a turn: no waiter future, no task, no timeout callback ran.
    assert ran == []
    stats = pool.get_stats()
    assert stats.requests - before.requests == 2
    assert stats.requests_waited == before.requests_waited
    assert stats.usage_time > before.usage_time
    assert (stats.in_use, stats.idle) == (0, 2)
    # Released proxies refuse; the connection serves the next lease.
    for proxy in (connection, again):
        with pytest.raises(InterfaceError, match="released back to the pool"):
            proxy.fetchval("SELECT 1")  # type: ignore[unused-coroutine]  # it raises before making one
    async with pool.acquire() as connection:
        assert connection._con is raw  # the most recently used one
        assert await connection.fetchval("SELECT 1") == 1
    await asyncio.sleep(0)
    assert ran == ["another callback"]


async def test_a_connection_idle_past_health_check_after_is_checked_first(make_pool: MakePool) -> None:
    pool = await make_pool(min_size=1, max_size=1, health_check_after=0.2, reset=no_reset)
    queries: list[str] = []
    async with pool.acquire() as connection:
        connection.add_query_logger(lambda record: queries.append(record.query))
    async with pool.acquire() as connection:
        await connection.fetchval("SELECT 1")
    await asyncio.sleep(0.01)  # the loggers are called soon after the query
    assert queries == ["SELECT 1"]  # idle for less than health_check_after: handed out as it is
    await asyncio.sleep(0.3)
    async with pool.acquire() as connection:
        await connection.fetchval("SELECT 2")
    await asyncio.sleep(0.01)
    assert queries == ["SELECT 1", "", "SELECT 2"]  # the check's empty query, before the hand-out


@pytest.mark.parametrize("how", ["async_with", "release"])
async def test_the_listener_warning_points_at_the_caller(make_pool: MakePool, how: str) -> None:
    pool = await make_pool(min_size=1, max_size=1)
    with pytest.warns(InterfaceWarning, match="active notification") as warned:
        if how == "async_with":
            async with pool.acquire() as connection:
                await connection.add_listener("jobs", lambda *args: None)
        else:
            connection = await pool.acquire()
            await connection.add_listener("jobs", lambda *args: None)
            await pool.release(connection)
    assert [warning.filename for warning in warned] == [__file__]
    assert await pool.fetchval("SELECT count(*) FROM pg_listening_channels()") == 0
