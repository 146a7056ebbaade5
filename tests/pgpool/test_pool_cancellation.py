"""Cancellation at every await point of ``acquire`` and ``release``, on the real server.

Each test cancels a task after N event-loop iterations, for N from 0 up to the point where the
operation finished before the cancel (DESIGN rule 8). After each round the pool must have
leaked nothing (everything comes back idle, nothing waits, nothing is being opened, the core's
invariants hold), handed nothing out twice, and still work; at the end of each test the pool's
size is the number of its backends in ``pg_stat_activity``.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import time
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

import pytest

import pgconn
import pgpool
from pgasync.cluster import Cluster
from tests.pgpool.conftest import MakePool

_names = itertools.count(1)


def cancel_points() -> Iterator[int]:
    """After how many event-loop iterations to cancel: each of the first 30, then sparser
    (while the server answers, the loop spins many times per round trip)."""
    yield from range(30)
    iterations = 30
    while iterations < 20000:
        yield iterations
        iterations = int(iterations * 1.3) + 1


async def spin(iterations: int) -> None:
    for _ in range(iterations):
        await asyncio.sleep(0)


async def cancel_after(task: asyncio.Task[Any], iterations: int) -> tuple[bool, Any]:
    """Cancel ``task`` after ``iterations`` loop iterations: whether it had finished, its result
    (None when cancelled)."""
    await spin(iterations)
    finished = task.done()
    task.cancel()
    try:
        return finished, await task
    except asyncio.CancelledError:
        assert not finished
        return finished, None


async def settle(pool: pgpool.Pool, *, timeout: float = 10.0) -> None:
    """Wait until everything the pool holds is idle, nothing waits and nothing is being opened
    or released, then check the pool's invariants."""
    core = pool._core
    deadline = time.monotonic() + timeout
    while True:
        stats = pool.get_stats()
        quiet = stats.in_use == 0 and stats.waiting == 0 and core.opening == 0
        if quiet and stats.idle == stats.size >= stats.min_size:
            break
        assert time.monotonic() < deadline, f"the pool does not settle: {pool!r} opening={core.opening}"
        await asyncio.sleep(0.001)
    core.check()
    assert pool.get_size() == pool.get_idle_size() <= pool.get_max_size()


async def assert_works(pool: pgpool.Pool) -> None:
    """Every connection can be acquired at once, each a different one, and answers."""
    count = pool.get_max_size()
    proxies = await asyncio.wait_for(asyncio.gather(*(pool.acquire() for _ in range(count))), 10)
    try:
        assert len({id(proxy._con) for proxy in proxies}) == count, "a connection handed out twice"
        assert [await proxy.fetchval("SELECT $1::int", n) for n, proxy in enumerate(proxies)] == list(
            range(count)
        )
    finally:
        for proxy in proxies:
            await pool.release(proxy)
    await settle(pool)


async def pool_backends(cluster: Cluster, name: str) -> int:
    watcher = await pgconn.connect(cluster.dsn())
    try:
        count = await watcher.fetchval(
            "SELECT count(*) FROM pg_stat_activity WHERE application_name = $1", name
        )
        assert isinstance(count, int)
        return count
    finally:
        await watcher.close()


async def assert_backends_match(pool: pgpool.Pool, cluster: Cluster, name: str) -> None:
    """The server has exactly the pool's connections (closers may still be finishing)."""
    await settle(pool)
    deadline = time.monotonic() + 10
    while (backends := await pool_backends(cluster, name)) != pool.get_size():
        assert time.monotonic() < deadline, f"{backends} backends for a pool of {pool.get_size()}"
        await asyncio.sleep(0.02)


async def named_pool(make_pool: MakePool, **options: Any) -> tuple[pgpool.Pool, str]:
    name = f"pgasync_cancel_{next(_names)}"
    pool = await make_pool(server_settings={"application_name": name}, **options)
    return pool, name


async def give_back(pool: pgpool.Pool, result: Any) -> None:
    if result is not None:
        await pool.release(result)


async def every_cancel_point(
    pool: pgpool.Pool,
    cluster: Cluster,
    name: str,
    one_round: Callable[[int], Awaitable[bool]],
) -> None:
    """``one_round(iterations)`` for each cancel point, until it says the operation finished
    before the cancel; then the pool must still work and the server have just its backends."""
    for iterations in cancel_points():
        if await one_round(iterations):
            break
    else:
        pytest.fail("the operation never finished within the iterations tried")
    await assert_works(pool)
    await assert_backends_match(pool, cluster, name)


# -- acquire ------------------------------------------------------------------------------------


@pytest.mark.parametrize("health_check", [False, True], ids=["idle", "health_checked"])
async def test_cancel_acquire_of_an_idle_connection(
    make_pool: MakePool, cluster: Cluster, health_check: bool
) -> None:
    pool, name = await named_pool(
        make_pool, min_size=1, max_size=1, health_check_after=0.0 if health_check else None
    )

    async def one_round(iterations: int) -> bool:
        finished, proxy = await cancel_after(asyncio.ensure_future(pool.acquire()), iterations)
        await give_back(pool, proxy)
        await settle(pool)
        return finished

    await every_cancel_point(pool, cluster, name, one_round)


async def test_cancel_acquire_that_opens_a_connection(make_pool: MakePool, cluster: Cluster) -> None:
    pool, name = await named_pool(make_pool, min_size=0, max_size=2)

    async def one_round(iterations: int) -> bool:
        await pool.expire_connections()  # nothing idle: the acquire must open one
        await settle(pool)
        assert pool.get_size() == 0
        finished, proxy = await cancel_after(asyncio.ensure_future(pool.acquire()), iterations)
        await give_back(pool, proxy)
        # The open goes on without its waiter, and its connection ends up idle (unless the
        # task was cancelled before it ran at all).
        await settle(pool)
        assert pool.get_size() == (1 if iterations else 0)
        return finished

    await every_cancel_point(pool, cluster, name, one_round)


@pytest.mark.parametrize("opens", [True, False], ids=["opening", "idle"])
async def test_cancel_acquire_with_init_and_setup(make_pool: MakePool, cluster: Cluster, opens: bool) -> None:
    """Cancelled in connect, ``init`` or ``setup`` (opening), or in ``setup`` alone (idle)."""
    initialized: set[int] = set()
    set_up: set[int] = set()

    async def init(connection: Any) -> None:
        await connection.execute("SET search_path = public")
        initialized.add(id(connection))

    async def setup(proxy: Any) -> None:
        assert await proxy.fetchval("SELECT 2") == 2
        set_up.add(id(proxy))

    pool, name = await named_pool(
        make_pool, min_size=0 if opens else 1, max_size=2, init=init, setup=setup, health_check_after=None
    )

    async def one_round(iterations: int) -> bool:
        if opens:
            await pool.expire_connections()  # every round opens, so init runs too
        await settle(pool)
        finished, proxy = await cancel_after(asyncio.ensure_future(pool.acquire()), iterations)
        if proxy is not None:
            # Handed out only after init and setup both ran for it.
            assert id(proxy._con) in initialized and id(proxy) in set_up
        await give_back(pool, proxy)
        # A cancelled setup closes its connection (it may be half set up); the floor refills.
        await settle(pool)
        for connection in (slot.connection for slot in pool._core.idle):
            assert id(connection) in initialized, "an idle connection whose init did not finish"
        return finished

    await every_cancel_point(pool, cluster, name, one_round)


async def test_a_failed_or_cancelled_setup_leaves_no_trace(make_pool: MakePool) -> None:
    failures = [RuntimeError("setup failed")]

    async def setup(proxy: Any) -> None:
        await proxy.fetchval("SELECT 1")
        if failures:
            raise failures.pop()

    pool = await make_pool(min_size=1, max_size=1, setup=setup, health_check_after=None)
    with pytest.raises(RuntimeError, match="setup failed"):
        await pool.acquire()
    await settle(pool)
    failures.append(RuntimeError("setup failed"))
    task = asyncio.ensure_future(pool.acquire())
    await spin(3)  # inside setup's query
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    await settle(pool)
    # Neither hand-out counts as time acquired; the next acquire (setup passing) does.
    assert pool.get_stats().usage_time == 0.0
    failures.clear()
    async with pool.acquire() as connection:
        assert await connection.fetchval("SELECT 1") == 1
    assert pool.get_stats().usage_time > 0.0


async def test_cancel_a_waiting_acquire_as_the_connection_comes_back(
    make_pool: MakePool, cluster: Cluster
) -> None:
    """The waiter is cancelled before, while and after the release hands it the connection:
    either it gets it or the next waiter does (FIFO), never both, never nobody."""
    pool, name = await named_pool(make_pool, min_size=1, max_size=1, health_check_after=None)

    async def one_round(iterations: int) -> bool:
        held = await pool.acquire()
        raw = held._con
        waiter = asyncio.ensure_future(pool.acquire())
        await spin(2)
        behind = asyncio.ensure_future(pool.acquire())
        await spin(2)
        releasing = asyncio.ensure_future(pool.release(held))
        finished, proxy = await cancel_after(waiter, iterations)
        await releasing
        if proxy is not None:
            await spin(5)
            assert not behind.done(), "the one connection handed to two waiters"
            await pool.release(proxy)
        second = await asyncio.wait_for(behind, 10)
        assert second._con is raw  # the one connection, never lost on the way
        await pool.release(second)
        await settle(pool)
        assert pool.get_size() == 1
        return finished

    await every_cancel_point(pool, cluster, name, one_round)


async def test_cancel_a_waiting_acquire_with_a_timeout(make_pool: MakePool) -> None:
    """A waiter cancelled and one timing out in the same moment the connection comes back."""
    pool, _ = await named_pool(make_pool, min_size=1, max_size=1, health_check_after=None)
    for iterations in range(0, 40, 2):
        held = await pool.acquire()
        timing_out = asyncio.ensure_future(pool.acquire(timeout=0.02))
        cancelled = asyncio.ensure_future(pool.acquire())
        await asyncio.sleep(0.02)
        releasing = asyncio.ensure_future(pool.release(held))
        _, proxy = await cancel_after(cancelled, iterations)
        await releasing
        await give_back(pool, proxy)
        with contextlib.suppress(TimeoutError):
            await give_back(pool, await timing_out)
        await settle(pool)
    await assert_works(pool)


# -- release ------------------------------------------------------------------------------------


async def release_if_never_started(pool: pgpool.Pool, proxy: Any, iterations: int) -> None:
    """A release cancelled before its task ran did nothing: the caller still holds the
    connection. Once started, the proxy is detached at once and the rest is shielded."""
    if proxy._con is not None:
        assert iterations == 0, "a release that started but left the connection acquired"
        await pool.release(proxy)


async def test_cancel_release_still_resets_and_returns_the_connection(
    make_pool: MakePool, cluster: Cluster
) -> None:
    pool, name = await named_pool(make_pool, min_size=1, max_size=1)

    async def one_round(iterations: int) -> bool:
        proxy = await pool.acquire()
        raw = proxy._con
        await proxy.execute("SET search_path = dirty; SELECT pg_advisory_lock(4242)")
        finished, _ = await cancel_after(asyncio.ensure_future(pool.release(proxy)), iterations)
        await release_if_never_started(pool, proxy, iterations)
        await settle(pool)  # the reset is shielded: it finishes and the connection is idle
        async with pool.acquire() as again:
            assert again._con is raw, "a cancelled release cost the connection"
            assert await again.fetchval("SHOW search_path") != "dirty"
            locks = "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid()"
            assert await again.fetchval(locks) == 0
        await settle(pool)
        return finished

    await every_cancel_point(pool, cluster, name, one_round)


async def test_cancel_release_of_a_connection_past_max_queries(make_pool: MakePool, cluster: Cluster) -> None:
    """Not reusable: it closes and the floor replaces it, cancelled or not."""
    pool, name = await named_pool(make_pool, min_size=1, max_size=1, max_queries=1)

    async def one_round(iterations: int) -> bool:
        proxy = await pool.acquire()
        await proxy.fetchval("SELECT 1")
        finished, _ = await cancel_after(asyncio.ensure_future(pool.release(proxy)), iterations)
        await release_if_never_started(pool, proxy, iterations)
        await settle(pool)
        return finished

    await every_cancel_point(pool, cluster, name, one_round)


# -- whole operations -----------------------------------------------------------------------------


async def _context_body(pool: pgpool.Pool) -> Any:
    async with pool.acquire() as connection:
        await connection.execute("SET search_path = dirty")
        return await connection.fetchval("SELECT pg_sleep(0.001)::text || $1::text", "done")


OPERATIONS: dict[str, Callable[[pgpool.Pool], Awaitable[Any]]] = {
    "async_with_body": _context_body,
    "fetchval": lambda pool: pool.fetchval("SELECT $1::int + 1", 41),
    "execute": lambda pool: pool.execute("SELECT 1; SELECT 2"),
}


@pytest.mark.parametrize("operation", OPERATIONS)
async def test_cancel_pool_operations(make_pool: MakePool, cluster: Cluster, operation: str) -> None:
    pool, name = await named_pool(make_pool, min_size=1, max_size=2)
    run = OPERATIONS[operation]

    async def one_round(iterations: int) -> bool:
        finished, result = await cancel_after(asyncio.ensure_future(run(pool)), iterations)
        if finished:
            assert result in ("done", 42, "SELECT 1")
        await settle(pool)
        async with pool.acquire() as connection:
            # In sync (its own answer) and reset.
            assert await connection.fetchval("SELECT $1::int", iterations) == iterations
            assert await connection.fetchval("SHOW search_path") != "dirty"
        return finished

    await every_cancel_point(pool, cluster, name, one_round)


async def test_cancel_many_concurrent_acquires(make_pool: MakePool, cluster: Cluster) -> None:
    """Waiters queued behind a full pool, half of them cancelled at once while connections
    come back: the rest are served, in order."""
    pool, name = await named_pool(make_pool, min_size=2, max_size=2, health_check_after=None)
    for iterations in (0, 1, 2, 3, 5, 8, 13, 21, 34):
        held = [await pool.acquire() for _ in range(2)]
        order: list[int] = []

        async def wait(number: int, order: list[int] = order) -> None:
            async with pool.acquire() as connection:
                order.append(number)
                await connection.fetchval("SELECT 1")

        tasks = []
        for number in range(10):
            tasks.append(asyncio.ensure_future(wait(number)))
            await spin(1)
        releases = [asyncio.ensure_future(pool.release(proxy)) for proxy in held]
        await spin(iterations)
        for task in tasks[::2]:
            task.cancel()
        results = await asyncio.gather(*tasks, return_exceptions=True)
        await asyncio.gather(*releases)
        for number, result in enumerate(results):
            if number % 2:
                assert result is None, result
            else:
                assert result is None or isinstance(result, asyncio.CancelledError)
        assert [n for n in order if n % 2] == [1, 3, 5, 7, 9]
        assert order == sorted(order)  # FIFO, the cancelled ones skipped
        await settle(pool)
    await assert_backends_match(pool, cluster, name)


# -- a release that fails after the block raised --------------------------------------------------


async def slow_reset(connection: Any) -> None:
    await asyncio.sleep(1)  # longer than the acquire's timeout, which bounds the reset


@pytest.mark.parametrize("ending", ["raises", "cancelled"])
async def test_a_failed_release_does_not_hide_the_blocks_exception(
    make_pool: MakePool, caplog: pytest.LogCaptureFixture, ending: str
) -> None:
    """The reset times out as the block ends with an error (or a cancellation): the connection
    is terminated and replaced, the caller sees the block's exception, the pool logs the rest."""
    pool = await make_pool(min_size=1, max_size=1, health_check_after=None, reset=slow_reset)
    entered = asyncio.Event()

    async def body() -> None:
        async with pool.acquire(timeout=0.05) as connection:
            entered.set()
            if ending == "raises":
                raise LookupError("from the block")
            await connection.execute("SELECT pg_sleep(10)")

    task = asyncio.ensure_future(body())
    await entered.wait()
    if ending == "cancelled":
        await asyncio.sleep(0.05)  # the query is under way
        task.cancel()
    with caplog.at_level("WARNING", logger="pgpool"):
        if ending == "raises":
            with pytest.raises(LookupError, match="from the block"):
                await task
        else:
            with pytest.raises(asyncio.CancelledError):
                await task
            assert task.cancelled()
    failed = [record.getMessage() for record in caplog.records if record.name == "pgpool"]
    assert any("TimeoutError" in message for message in failed), failed
    stats = pool.get_stats()
    assert stats.connections_recycled == 1 and stats.timeouts == 0
    await settle(pool)
    assert await pool.fetchval("SELECT 1") == 1


async def test_a_failed_release_after_a_clean_block_raises(make_pool: MakePool) -> None:
    pool = await make_pool(min_size=1, max_size=1, health_check_after=None, reset=slow_reset)
    with pytest.raises(TimeoutError):
        async with pool.acquire(timeout=0.05) as connection:
            assert await connection.fetchval("SELECT 1") == 1
    assert pool.get_stats().connections_recycled == 1
    await settle(pool)


# -- resize and expiry around acquire and release ---------------------------------------------------


async def test_resize_up_serves_the_waiters_at_once(make_pool: MakePool) -> None:
    """Waiters queued behind a full pool get the room a resize makes, without a release."""
    pool = await make_pool(min_size=1, max_size=1, health_check_after=None)
    held = await pool.acquire()
    waiters = [asyncio.ensure_future(pool.acquire()) for _ in range(2)]
    await asyncio.sleep(0.02)
    pool.resize(1, 3)
    got = await asyncio.wait_for(asyncio.gather(*waiters), 5)
    assert len({id(proxy._con) for proxy in [held, *got]}) == 3
    for proxy in [held, *got]:
        await pool.release(proxy)
    await settle(pool)


async def test_opens_under_way_at_a_resize_down_do_not_stay_above_max_size(make_pool: MakePool) -> None:
    pool = await make_pool(min_size=0, max_size=3, health_check_after=None)
    acquires = [asyncio.ensure_future(pool.acquire()) for _ in range(3)]
    await spin(2)  # three opens under way
    pool.resize(0, 1)
    for task in acquires:
        task.cancel()
    await asyncio.gather(*acquires, return_exceptions=True)
    deadline = time.monotonic() + 1
    while (pool._core.opening or pool.get_size() > 1) and time.monotonic() < deadline:
        await asyncio.sleep(0.02)
    assert pool.get_size() <= 1, repr(pool)
    await settle(pool)


async def test_expire_connections_during_a_release_replaces_that_connection(make_pool: MakePool) -> None:
    slow: set[int] = set()

    async def reset(connection: Any) -> None:
        if id(connection) in slow:
            await asyncio.sleep(0.3)

    pool = await make_pool(min_size=2, max_size=3, health_check_after=None, reset=reset)
    proxy = await pool.acquire()
    slow.add(id(proxy._con))
    old = await proxy.fetchval("SELECT pg_backend_pid()")
    releasing = asyncio.ensure_future(pool.release(proxy))
    await asyncio.sleep(0.01)  # the reset is under way
    await pool.expire_connections()
    await asyncio.sleep(0.1)  # the floor opens a new connection
    async with pool.acquire() as fresh:  # its release gives the maintenance task a deadline
        await fresh.fetchval("SELECT 1")
    await releasing
    async with pool.acquire() as again:
        assert await again.fetchval("SELECT pg_backend_pid()") != old, "an expired connection handed out"
