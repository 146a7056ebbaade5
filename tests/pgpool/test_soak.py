"""A soak: many acquires at 10x oversubscription, with random cancellations and timeouts.

100 tasks share a pool of 10 connections; each acquire runs ``SELECT 1`` or a short
``pg_sleep``, some with a short acquire timeout, some cancelled at a random moment (waiting,
in the query, or releasing). At the end every connection is accounted for: the pool is back at
its floor, all idle, the server has exactly the pool's backends, and the statistics add up.

``PGASYNC_SOAK_ACQUIRES`` sets the number of acquires (5,000 by default, for CI; 100,000 by
hand); the figures are printed (``pytest -s``).
"""

from __future__ import annotations

import asyncio
import os
import random
import time
from dataclasses import dataclass

import pgconn
import pgpool
from pgasync.cluster import Cluster
from tests.pgpool.conftest import MakePool

ACQUIRES = int(os.environ.get("PGASYNC_SOAK_ACQUIRES", "5000"))
TASKS = 100
POOL_SIZE = 10
#: Just below what 100 tasks can queue: a few acquires are refused when all of them wait.
MAX_WAITING = 88


@dataclass
class Tally:
    """What the tasks saw."""

    started: int = 0
    acquired: int = 0
    timeouts: int = 0
    #: The reset at the end of a clean block outlasted the acquire's timeout (which bounds it).
    release_timeouts: int = 0
    cancelled_waiting: int = 0
    cancelled_holding: int = 0
    rejected: int = 0
    held_now: int = 0
    held_max: int = 0


async def test_soak(make_pool: MakePool, cluster: Cluster) -> None:
    name = "pgasync_soak"
    pool = await make_pool(
        min_size=POOL_SIZE,
        max_size=POOL_SIZE,
        max_waiting=MAX_WAITING,
        server_settings={"application_name": name},
    )
    rng = random.Random(20240501)
    tally = Tally()
    held: set[int] = set()
    issued = 0

    async def one(timeout: float | None, sleep: float) -> None:
        tally.started += 1
        acquired = False
        try:
            async with pool.acquire(timeout=timeout) as connection:
                acquired = True
                key = id(connection._con)
                assert key not in held, "a connection handed to two tasks"
                held.add(key)
                tally.acquired += 1
                tally.held_now += 1
                tally.held_max = max(tally.held_max, tally.held_now)
                try:
                    if sleep:
                        await connection.execute(f"SELECT pg_sleep({sleep})")
                    else:
                        assert await connection.fetchval("SELECT 1") == 1
                finally:
                    held.discard(key)
                    tally.held_now -= 1
        except TimeoutError:
            if acquired:
                tally.release_timeouts += 1
            else:
                tally.timeouts += 1
        except pgpool.TooManyWaitersError:
            tally.rejected += 1
            await asyncio.sleep(0.001)  # back off, as a caller would
        except asyncio.CancelledError:
            if acquired:
                tally.cancelled_holding += 1
            else:
                tally.cancelled_waiting += 1
            raise

    async def worker() -> None:
        nonlocal issued
        while issued < ACQUIRES:
            issued += 1
            roll = rng.random()
            timeout = rng.uniform(0.001, 0.02) if roll < 0.15 else None
            sleep = rng.choice((0.001, 0.002, 0.005)) if rng.random() < 0.2 else 0.0
            task = asyncio.ensure_future(one(timeout, sleep))
            roll = rng.random()
            if roll < 0.05:
                # Cancel at a random moment: before it starts, waiting, querying or releasing.
                for _ in range(rng.randrange(0, 60)):
                    if task.done():
                        break
                    await asyncio.sleep(0)
                task.cancel()
            elif roll < 0.1:
                # After a random time: mostly waiting, sometimes holding.
                await asyncio.wait({task}, timeout=rng.uniform(0, 0.05))
                task.cancel()
            try:
                await task
            except asyncio.CancelledError:
                # Ours, for the task; re-raise only if this worker itself is being cancelled.
                if not task.cancelled():
                    raise
                current = asyncio.current_task()
                assert current is not None
                if current.cancelling():
                    raise

    started = time.monotonic()
    await asyncio.wait_for(asyncio.gather(*(worker() for _ in range(TASKS))), timeout=max(60, ACQUIRES / 50))
    elapsed = time.monotonic() - started

    # Everything comes back: the floor, all idle, nothing waiting or being opened.
    deadline = time.monotonic() + 10
    while True:
        stats = pool.get_stats()
        if stats.in_use == 0 and stats.waiting == 0 and pool._core.opening == 0 and stats.idle == POOL_SIZE:
            break
        assert time.monotonic() < deadline, f"the pool does not settle: {pool!r}"
        await asyncio.sleep(0.01)
    pool._core.check()
    assert pool.get_size() == pool.get_idle_size() == POOL_SIZE
    assert tally.held_now == 0 and not held and tally.held_max <= POOL_SIZE

    # The server has exactly the pool's connections (replaced ones may still be closing).
    watcher = await pgconn.connect(cluster.dsn())
    try:
        query = "SELECT count(*) FROM pg_stat_activity WHERE application_name = $1"
        deadline = time.monotonic() + 10
        while (backends := await watcher.fetchval(query, name)) != pool.get_size():
            assert time.monotonic() < deadline, f"{backends} backends for a pool of {pool.get_size()}"
            await asyncio.sleep(0.02)
    finally:
        await watcher.close()

    # The statistics add up with what the tasks saw.
    outcomes = tally.acquired + tally.timeouts + tally.cancelled_waiting + tally.rejected
    assert outcomes == tally.started
    assert stats.requests == tally.started
    assert stats.timeouts == tally.timeouts
    assert stats.rejected == tally.rejected
    assert stats.requests_waited <= stats.requests
    assert tally.acquired > ACQUIRES // 2 and tally.timeouts and tally.cancelled_waiting
    assert 0 <= stats.wait_time_max <= elapsed
    assert tally.release_timeouts <= stats.connections_recycled  # each one retired its connection
    assert stats.connections_opened == POOL_SIZE + stats.connections_lost + stats.connections_recycled

    print(
        f"\nsoak: {ACQUIRES} acquires by {TASKS} tasks on {POOL_SIZE} connections in {elapsed:.2f} s "
        f"({ACQUIRES / elapsed:.0f} acquires/s); acquired {tally.acquired}, timeouts {tally.timeouts}, "
        f"cancelled waiting {tally.cancelled_waiting}, cancelled holding {tally.cancelled_holding}, "
        f"rejected {tally.rejected}, release timeouts {tally.release_timeouts}, "
        f"never started {ACQUIRES - tally.started}; waited "
        f"{stats.requests_waited}, max wait {stats.wait_time_max * 1000:.1f} ms, mean wait "
        f"{stats.wait_time / max(1, stats.requests_waited) * 1000:.2f} ms; connections opened "
        f"{stats.connections_opened}, lost {stats.connections_lost}, recycled {stats.connections_recycled}"
    )
