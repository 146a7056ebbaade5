"""A connection dropped without close(): a ResourceWarning, and the socket is closed."""

from __future__ import annotations

import asyncio
import gc

import pytest

import pgconn
from pgasync.cluster import Cluster


async def test_unclosed_connection_warns_and_is_aborted(cluster: Cluster) -> None:
    connection = await pgconn.connect(cluster.dsn())
    protocol = connection._protocol
    pid = connection.get_server_pid()
    with pytest.warns(ResourceWarning, match=r"unclosed connection <Connection .* pid=\d+>"):
        del connection
        gc.collect()
    for _ in range(100):
        if protocol.is_lost:
            break
        await asyncio.sleep(0.01)
    assert protocol.is_lost
    checker = await pgconn.connect(cluster.dsn())
    try:
        for _ in range(100):
            if not await checker.fetchval("SELECT count(*) FROM pg_stat_activity WHERE pid = $1", pid):
                break
            await asyncio.sleep(0.02)
        # The server saw the socket close: the backend is gone.
        assert await checker.fetchval("SELECT count(*) FROM pg_stat_activity WHERE pid = $1", pid) == 0
    finally:
        await checker.close()


async def test_closed_connections_do_not_warn(cluster: Cluster) -> None:
    connection = await pgconn.connect(cluster.dsn())
    await connection.close()
    del connection
    gc.collect()  # filterwarnings=error: a ResourceWarning here would fail the test
