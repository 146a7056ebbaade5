"""Pool options against the real server: connect callbacks, connect arguments, lifetimes, targets."""

from __future__ import annotations

import asyncio
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
