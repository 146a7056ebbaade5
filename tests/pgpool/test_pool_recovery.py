"""The pool when the server goes away and comes back; the pool listener; pools over several hosts."""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

import pytest

import pgconn
import pgpool
from pgasync.cluster import Cluster
from tests.conftest import MakeCluster
from tests.pgpool.conftest import MakePool


async def test_pool_recovers_after_a_server_restart_under_load(make_cluster: MakeCluster) -> None:
    server = make_cluster()
    failures: list[BaseException] = []
    pool = await pgpool.create_pool(
        server.dsn(), min_size=3, max_size=5, reconnect_failed=lambda pool, error: failures.append(error)
    )
    stop = asyncio.Event()
    done = errors = 0

    async def worker() -> None:
        nonlocal done, errors
        while not stop.is_set():
            try:
                assert await pool.fetchval("SELECT 1", timeout=2) == 1
                done += 1
            except Exception:
                errors += 1
                await asyncio.sleep(0.02)

    try:
        workers = [asyncio.ensure_future(worker()) for _ in range(10)]
        await asyncio.sleep(0.3)
        before = done
        await asyncio.to_thread(server.stop)
        await asyncio.sleep(1.0)  # the floor tries to reconnect, and fails, while it is down
        port = server.port
        await asyncio.to_thread(server.start)
        assert server.port == port  # the pool's DSN still points at it
        started = time.monotonic()
        while time.monotonic() - started < 20:
            settled = done
            await asyncio.sleep(0.3)
            if done - settled > 20 and pool.get_size() >= 3:
                break
        stop.set()
        await asyncio.gather(*workers)
        assert done - before > 20 and errors > 0
        assert failures, "reconnect_failed was never called while the server was down"
        assert pool.get_size() >= 3  # the floor is back
        stats = pool.get_stats()
        assert stats.connections_lost >= 1 and stats.connections_failed >= 1
        async with pool.acquire() as connection:
            assert await connection.fetchval("SELECT 2") == 2
    finally:
        stop.set()
        await pool.close()


async def test_pool_listener_survives_the_loss_of_its_connection(
    make_pool: MakePool, cluster: Cluster, caplog: pytest.LogCaptureFixture
) -> None:
    pool = await make_pool(min_size=1, max_size=1)
    lost: list[BaseException] = []
    notifier = await pgconn.connect(cluster.dsn())
    try:
        async with pool.listen("pool jobs", on_reconnect=lambda listener, error: lost.append(error)) as jobs:
            assert "listening" in repr(jobs)
            await notifier.execute("""NOTIFY "pool jobs", 'one'""")
            first = await asyncio.wait_for(jobs.__anext__(), 5)
            assert (first.channel, first.payload) == ("pool jobs", "one")
            listening = await notifier.fetchval(
                "SELECT pid FROM pg_stat_activity WHERE query LIKE 'LISTEN%' AND pid <> pg_backend_pid()"
            )
            with caplog.at_level(logging.WARNING, logger="pgpool"):
                await notifier.fetchval("SELECT pg_terminate_backend($1)", listening)
                waiting = asyncio.ensure_future(jobs.__anext__())
                for _ in range(100):  # until it listens again on a new connection
                    count = await notifier.fetchval(
                        "SELECT count(*) FROM pg_stat_activity WHERE query LIKE 'LISTEN%' AND pid <> $1",
                        listening,
                    )
                    if count and jobs.reconnects:
                        break
                    await asyncio.sleep(0.05)
                await notifier.execute("""NOTIFY "pool jobs", 'two'""")
                second = await asyncio.wait_for(waiting, 5)
            assert second.payload == "two"
            assert jobs.reconnects == 1 and len(lost) == 1
            assert any(
                "notifications sent until it listens again are lost" in r.message for r in caplog.records
            )
        assert "closed" in repr(jobs)
        with pytest.raises(StopAsyncIteration):
            await jobs.__anext__()
    finally:
        await notifier.close()


async def test_a_pool_spreads_its_connections_over_several_hosts(
    make_pool: MakePool, cluster: Cluster
) -> None:
    # One server reached two ways (its Unix socket and TCP): two "hosts" told apart by
    # inet_server_addr(), which is NULL over the socket.
    spec: dict[str, Any] = cluster.connection_spec()
    hosts = [str(cluster.socket_dir), "127.0.0.1"]
    pool = await pgpool.create_pool(
        host=hosts,
        port=[cluster.port, cluster.port],
        user=spec["user"],
        database=spec.get("database", "postgres"),
        load_balance_hosts="random",
        min_size=12,
        max_size=12,
    )
    try:
        async with contextlib_acquire_all(pool, 12) as connections:
            kinds = {await c.fetchval("SELECT inet_server_addr() IS NULL") for c in connections}
        assert kinds == {True, False}
    finally:
        await pool.close()


class contextlib_acquire_all:  # used as a context manager, like contextlib's helpers
    """Acquire ``count`` connections of ``pool`` at once; release them all on exit."""

    def __init__(self, pool: pgpool.Pool, count: int) -> None:
        self.pool = pool
        self.count = count
        self.connections: list[Any] = []

    async def __aenter__(self) -> list[Any]:
        self.connections = [await self.pool.acquire() for _ in range(self.count)]
        return self.connections

    async def __aexit__(self, *exc_info: object) -> None:
        for connection in self.connections:
            await self.pool.release(connection)
