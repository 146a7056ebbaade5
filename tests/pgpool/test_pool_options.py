"""Pool options against the real server: connect callbacks, connect arguments, lifetimes, targets."""

from __future__ import annotations

import asyncio
import itertools
from typing import Any

import pytest

import pgconn
import pgpool
from pgasync.cluster import Cluster
from pgwire.exceptions import InterfaceError, TargetServerAttributeNotMatched
from tests.pgpool.conftest import MakePool


class AppConnection(pgconn.Connection):
    """A connection class of the application's own."""


async def test_connect_callback_gets_the_pools_arguments(cluster: Cluster) -> None:
    calls: list[dict[str, Any]] = []

    async def connect(*args: Any, **kwargs: Any) -> pgconn.Connection:
        calls.append(kwargs)
        return await pgconn.connect(*args, **kwargs)

    async with (
        pgpool.create_pool(
            cluster.dsn(), min_size=1, max_size=1, connect=connect, connection_class=AppConnection
        ) as pool,
        pool.acquire() as connection,
    ):
        assert isinstance(connection._con, AppConnection)
        assert hasattr(connection, "fetchval")
    assert calls and calls[0]["connection_class"] is AppConnection and "record_class" in calls[0]


async def test_connect_callback_must_return_the_connection_class(cluster: Cluster) -> None:
    async def connect(*args: Any, **kwargs: Any) -> Any:
        return 42

    pool = pgpool.create_pool(cluster.dsn(), min_size=1, max_size=1, connect=connect)
    with pytest.raises(InterfaceError, match="expected pool connect callback to return an instance of"):
        await pool


async def test_set_connect_args_applies_to_new_connections(make_pool: MakePool, cluster: Cluster) -> None:
    pool = await make_pool(min_size=1, max_size=1, server_settings={"application_name": "first"})
    assert await pool.fetchval("SELECT current_setting('application_name')") == "first"
    pool.set_connect_args(cluster.dsn(), server_settings={"application_name": "second"})
    assert await pool.fetchval("SELECT current_setting('application_name')") == "first"  # kept
    await pool.expire_connections()
    assert await pool.fetchval("SELECT current_setting('application_name')") == "second"


async def test_max_lifetime_recycles_with_jitter(make_pool: MakePool) -> None:
    pool = await make_pool(min_size=4, max_size=4, max_lifetime=0.6, lifetime_jitter=0.5)
    expiries = sorted(slot.expires_at - slot.opened_at for slot in pool._core.idle)
    assert all(0.3 <= lifetime <= 0.6 for lifetime in expiries)
    assert len(set(expiries)) > 1  # not all at once
    first = set(await asyncio.gather(*(pool.fetchval("SELECT pg_backend_pid()") for _ in range(4))))
    for _ in range(100):
        await asyncio.sleep(0.05)
        if pool.get_stats().connections_recycled >= 4 and pool.get_size() == 4:
            break
    assert pool.get_stats().connections_recycled >= 4
    async with pool.acquire() as connection:
        assert await connection.fetchval("SELECT pg_backend_pid()") not in first


async def test_target_session_attrs_pass_through(cluster: Cluster) -> None:
    async with pgpool.create_pool(
        cluster.dsn(), min_size=1, max_size=2, target_session_attrs="read-write"
    ) as pool:
        assert await pool.fetchval("SELECT pg_is_in_recovery()") is False
    standby_only = pgpool.create_pool(cluster.dsn(), min_size=1, max_size=1, target_session_attrs="standby")
    with pytest.raises(TargetServerAttributeNotMatched):
        await standby_only


async def test_floor_retries_one_at_a_time_with_backoff(cluster: Cluster) -> None:
    started = asyncio.get_running_loop().time()
    attempts: list[float] = []
    pool = await pgpool.create_pool(
        cluster.dsn(),
        min_size=3,
        max_size=3,
        reconnect_failed=lambda pool, error: attempts.append(asyncio.get_running_loop().time() - started),
    )
    try:
        pool.set_connect_args(cluster.dsn(database="no_such_database"))
        await pool.expire_connections()
        await asyncio.sleep(2.5)
        first_round = [t for t in attempts if t < attempts[0] + 0.2]
        later = attempts[len(first_round) :]
        assert len(first_round) == 3  # the whole floor at once, the first time
        assert later, "the floor was never tried again"
        # Then one attempt per backoff step, never a burst of the whole floor again.
        assert all(b - a > 0.1 for a, b in itertools.pairwise(later)), attempts
        assert len(later) <= 4
        pool.set_connect_args(cluster.dsn())
        for _ in range(200):
            if pool.get_size() == 3:
                break
            await asyncio.sleep(0.05)
        assert pool.get_size() == 3  # back, and the whole floor refilled
    finally:
        pool.terminate()


async def test_release_takes_the_acquires_timeout(make_pool: MakePool) -> None:
    pool = await make_pool(min_size=1, max_size=1)
    assert "new" in repr(pgpool.create_pool("postgresql://x"))
    connection = await pool.acquire(timeout=5)
    assert connection._acquire_timeout == 5
    await pool.release(connection)
