"""pgconn on uvloop's event loop, whose transports derive from no asyncio transport class.

The whole suite runs on uvloop with ``PGASYNC_TEST_LOOP=uvloop`` (``hatch run test-uvloop``);
these tests run on it in every run: a query, a CancelRequest after a timeout (its own
connection and transport), TLS, and COPY OUT's back-pressure (pause_reading on the transport).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

import pytest
import uvloop

import pgconn
from pgasync.cluster import Cluster
from tests.conftest import TEST_LOOP

T = TypeVar("T")


def _on_uvloop(main: Callable[[], Awaitable[T]]) -> T:
    async def checked() -> T:
        assert isinstance(asyncio.get_running_loop(), uvloop.Loop)
        return await main()

    return uvloop.run(checked())


async def test_the_suite_runs_on_the_loop_asked_for() -> None:
    loop = asyncio.get_running_loop()
    assert isinstance(loop, uvloop.Loop) == (TEST_LOOP == "uvloop")


def test_query_and_transaction_on_uvloop(cluster: Cluster) -> None:
    async def main() -> tuple[int, str]:
        connection = await pgconn.connect(cluster.dsn())
        try:
            async with connection.transaction():
                value = await connection.fetchval("SELECT $1::int + 1", 41)
            status = await connection.execute("SELECT 1")
            return value, status
        finally:
            await connection.close()

    assert _on_uvloop(main) == (42, "SELECT 1")


def test_timeout_cancels_the_query_on_uvloop(cluster: Cluster) -> None:
    async def main() -> int:
        # Without TLS, the CancelRequest goes through a protocol of pgconn's own on a transport
        # of uvloop's (with TLS, through asyncio streams).
        connection = await pgconn.connect(cluster.dsn(), ssl="disable")
        try:
            with pytest.raises(TimeoutError):
                await connection.execute("SELECT pg_sleep(30)", timeout=0.2)
            # The CancelRequest went through: the connection is usable at once.
            return int(await connection.fetchval("SELECT 7", timeout=5))
        finally:
            await connection.close()

    assert _on_uvloop(main) == 7


def test_tls_on_uvloop(cluster: Cluster) -> None:
    if cluster.tls is None:
        pytest.skip("the server binaries have no TLS")

    async def main() -> bool:
        connection = await pgconn.connect(cluster.dsn(), ssl="require")
        try:
            return bool(await connection.fetchval("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()"))
        finally:
            await connection.close()

    assert _on_uvloop(main) is True


def test_copy_out_with_back_pressure_on_uvloop(cluster: Cluster) -> None:
    async def main() -> tuple[int, str]:
        connection = await pgconn.connect(cluster.dsn())
        size = 0

        async def slow(chunk: bytes) -> None:
            nonlocal size
            size += len(chunk)
            await asyncio.sleep(0)

        try:
            status = await connection.copy_from_query(
                "SELECT repeat('x', 1000) FROM generate_series(1, 5000)", output=slow
            )
            return size, status
        finally:
            await connection.close()

    assert _on_uvloop(main) == (5000 * 1001, "COPY 5000")
