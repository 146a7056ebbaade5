"""The demo's pool part: ``pgasync.create_pool`` on the same server.

Twenty concurrent calls share four connections (two opened at start, two on demand), so most
of them wait; the pool's statistics say so. Then one connection is acquired for a
transaction, and the pool is closed.
"""

from __future__ import annotations

import asyncio
from typing import TextIO

import pgasync

__all__ = ["pool_tour"]

#: Concurrent calls, each taking at least this many seconds on the server.
CALLS = 20
QUERY_SECONDS = 0.05


async def pool_tour(dsn: str, out: TextIO) -> None:
    """Create a pool, load it with concurrent calls, show its statistics, and close it."""
    print("\n11. A pool: pgasync.create_pool(dsn, min_size=2, max_size=4):", file=out)
    pool = await pgasync.create_pool(dsn, min_size=2, max_size=4)
    try:
        print(f"    started: {pool!r}", file=out)
        await _concurrent_calls(pool, out)
        await _transaction(pool, out)
    finally:
        await pool.close()
    print(f"    pool.close() -> {pool!r}", file=out)


async def _concurrent_calls(pool: pgasync.Pool, out: TextIO) -> None:
    query = f"SELECT $1::int FROM pg_sleep({QUERY_SECONDS})"
    print(f"    {CALLS} concurrent pool.fetchval({query!r}, n):", file=out)
    calls = [asyncio.ensure_future(pool.fetchval(query, n)) for n in range(1, CALLS + 1)]
    await asyncio.sleep(0)  # each call has asked for a connection: two got one, the rest wait
    print(f"      while they run: {pool!r}", file=out)
    values = await asyncio.gather(*calls)
    print(f"      results in order: {values == list(range(1, CALLS + 1))}, sum = {sum(values)}", file=out)
    print(f"      after them: {pool!r}", file=out)
    stats = pool.get_stats()
    print(
        f"    get_stats(): requests={stats.requests}, requests_waited={stats.requests_waited}, "
        f"connections_opened={stats.connections_opened} (2 at start, 2 for the waiters)",
        file=out,
    )
    # The last call served waited for 16 of the others, 4 at a time: at least 4 query times.
    print(
        f"    the longest wait: {stats.wait_time_max:.2f} s (at least 4 x {QUERY_SECONDS} s), "
        f"all waits: {stats.wait_time:.2f} s",
        file=out,
    )


async def _transaction(pool: pgasync.Pool, out: TextIO) -> None:
    print("    async with pool.acquire() as connection, then connection.transaction():", file=out)
    async with pool.acquire() as connection:
        async with connection.transaction():
            await connection.execute("CREATE TEMPORARY TABLE demo_jobs (id int, done bool) ON COMMIT DROP")
            await connection.executemany(
                "INSERT INTO demo_jobs VALUES ($1, $2)", [(1, True), (2, False), (3, True)]
            )
            done = await connection.fetchval("SELECT count(*) FROM demo_jobs WHERE done")
            print(
                f"      in a transaction: {done} of 3 jobs done, "
                f"is_in_transaction() -> {connection.is_in_transaction()}",
                file=out,
            )
        print(f"      while acquired: {pool!r}", file=out)
    try:
        await connection.fetchval("SELECT 1")
    except pgasync.InterfaceError as error:
        print(f"      released, the proxy refuses: {type(error).__name__}: {error}", file=out)
