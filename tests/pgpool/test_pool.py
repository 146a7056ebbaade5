"""The pool against the real server: asyncpg's API and behaviour, and what the pool adds."""

from __future__ import annotations

import asyncio
import contextlib
import time
from typing import Any

import pytest

import pgconn
import pgpool
from pgasync.cluster import Cluster
from pgwire.exceptions import InterfaceError, InterfaceWarning, UndefinedTableError
from tests.pgpool.conftest import MakePool


async def backend_pids(cluster: Cluster) -> set[int]:
    watcher = await pgconn.connect(cluster.dsn())
    try:
        rows = await watcher.fetch(
            "SELECT pid FROM pg_stat_activity "
            "WHERE backend_type = 'client backend' AND pid <> pg_backend_pid()"
        )
        return {row[0] for row in rows}
    finally:
        await watcher.close()


# -- creation and validation ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"max_size": 0}, "max_size is expected to be greater than zero"),
        ({"min_size": -1}, "min_size is expected to be greater or equal to zero"),
        ({"min_size": 5, "max_size": 2}, "min_size is greater than max_size"),
        ({"max_queries": 0}, "max_queries is expected to be greater than zero"),
        ({"max_inactive_connection_lifetime": -1}, "max_inactive_connection_lifetime is expected"),
        ({"max_waiting": -1}, "max_waiting is expected"),
        ({"lifetime_jitter": 2}, "lifetime_jitter is expected"),
    ],
)
def test_bad_sizes_are_refused(options: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        pgpool.create_pool("postgresql://x", **options)


def test_bad_classes_are_type_errors() -> None:
    with pytest.raises(TypeError, match="connection_class"):
        pgpool.create_pool(connection_class=int)  # type: ignore[arg-type]  # the misuse under test
    with pytest.raises(TypeError, match="record_class"):
        pgpool.create_pool(record_class=dict)  # type: ignore[arg-type]  # the misuse under test


async def test_not_initialized_and_closed_pools_refuse(cluster: Cluster) -> None:
    pool = pgpool.create_pool(cluster.dsn(), min_size=1, max_size=1)
    with pytest.raises(InterfaceError, match="pool is not initialized"):
        await pool.acquire()
    async with pool:
        assert await pool.fetchval("SELECT 1") == 1
    assert pool.is_closing()
    with pytest.raises(InterfaceError, match="pool is closed"):
        await pool.acquire()
    await pool.close()  # idempotent


async def test_min_size_connections_are_opened_at_start(make_pool: MakePool, cluster: Cluster) -> None:
    before = await backend_pids(cluster)
    pool = await make_pool(min_size=3, max_size=5)
    assert (pool.get_size(), pool.get_idle_size(), pool.get_min_size(), pool.get_max_size()) == (3, 3, 3, 5)
    assert len(await backend_pids(cluster) - before) == 3
    assert repr(pool) == "<pgasync.Pool open size=3 in_use=0 idle=3 waiting=0 max=5>"


async def test_a_failing_start_raises_and_leaves_nothing_open(cluster: Cluster) -> None:
    pool = pgpool.create_pool(cluster.dsn(database="no_such_database"), min_size=2, max_size=2)
    with pytest.raises(Exception, match="no_such_database"):
        await pool
    assert pool.is_closing()


# -- acquire and release ------------------------------------------------------------------------


async def test_acquire_as_context_and_await(make_pool: MakePool) -> None:
    pool = await make_pool()
    async with pool.acquire() as connection:
        assert await connection.fetchval("SELECT 40 + $1::int", 2) == 42
        assert pool.get_idle_size() == 1
    assert "[released]" in repr(connection)
    with pytest.raises(
        InterfaceError, match=r"cannot call Connection.fetchval\(\): connection has been released"
    ):
        connection.fetchval("SELECT 1")  # type: ignore[unused-coroutine]  # it raises before making one
    acquired = await pool.acquire()
    try:
        assert await acquired.execute("SELECT 1") == "SELECT 1"
    finally:
        await pool.release(acquired)
    await pool.release(acquired)  # a second release does nothing
    with pytest.raises(InterfaceError, match="is not a member of this pool"):
        await pool.release(object())


async def test_objects_made_under_an_earlier_lease_refuse(make_pool: MakePool) -> None:
    pool = await make_pool(min_size=1, max_size=1)
    async with pool.acquire() as connection:
        transaction = connection.transaction()
        statement = await connection.prepare("SELECT 1")
    async with pool.acquire() as again:
        assert again._con is not None
        message = "the underlying connection has been released back to the pool"
        with pytest.raises(InterfaceError, match=rf"Transaction.start\(\): {message}"):
            await transaction.start()
        with pytest.raises(InterfaceError, match=rf"PreparedStatement.fetch\(\): {message}"):
            await statement.fetch()


async def test_acquire_timeout_and_fifo_waiters(make_pool: MakePool) -> None:
    pool = await make_pool(min_size=1, max_size=1)
    held = await pool.acquire()
    started = time.monotonic()
    with pytest.raises(TimeoutError):
        await pool.acquire(timeout=0.2)
    assert 0.15 < time.monotonic() - started < 1.0
    order: list[int] = []

    async def wait(number: int) -> None:
        async with pool.acquire() as connection:
            order.append(number)
            await connection.fetchval("SELECT 1")

    tasks = []
    for number in range(5):
        tasks.append(asyncio.ensure_future(wait(number)))
        await asyncio.sleep(0.01)  # queue them in order
    await pool.release(held)
    await asyncio.gather(*tasks)
    assert order == [0, 1, 2, 3, 4]  # first come, first served
    stats = pool.get_stats()
    assert stats.timeouts == 1 and stats.requests_waited >= 6


async def test_a_waiter_that_timed_out_never_gets_a_connection(make_pool: MakePool) -> None:
    pool = await make_pool(min_size=1, max_size=1)
    held = await pool.acquire()
    for _ in range(20):
        waiter = asyncio.ensure_future(pool.acquire(timeout=0.05))
        await asyncio.sleep(0.05)
        await pool.release(held)  # in the same moment the waiter gives up
        with contextlib.suppress(TimeoutError):
            got = await waiter
            await pool.release(got)
        held = await pool.acquire(timeout=5)
    await pool.release(held)
    assert pool.get_size() == 1 and pool.get_idle_size() == 1


async def test_max_waiting_refuses_at_once(make_pool: MakePool) -> None:
    pool = await make_pool(min_size=1, max_size=1, max_waiting=2)
    held = await pool.acquire()
    waiters = [asyncio.ensure_future(pool.acquire()) for _ in range(2)]
    await asyncio.sleep(0.01)
    with pytest.raises(pgpool.TooManyWaitersError, match="2 callers waiting"):
        await pool.acquire()
    assert pool.get_stats().rejected == 1
    await pool.release(held)
    for waiter in waiters:
        await pool.release(await waiter)


async def test_release_resets_the_session_but_keeps_statements_and_codecs(make_pool: MakePool) -> None:
    pool = await make_pool(min_size=1, max_size=1)
    async with pool.acquire() as connection:
        await connection.execute("SET application_name = 'dirty'")
        await connection.set_type_codec(
            "json", schema="pg_catalog", encoder=str, decoder=lambda text: ("decoded", text)
        )
        await connection.fetchval("SELECT 1")
        await connection.execute("BEGIN")
        raw = connection._con
    async with pool.acquire() as connection:
        assert connection._con is raw
        assert not connection.is_in_transaction()
        assert await connection.fetchval("SHOW application_name") != "dirty"
        assert await connection.fetchval("SELECT '[1]'::json") == ("decoded", "[1]")


async def test_listeners_left_at_release_warn(make_pool: MakePool) -> None:
    pool = await make_pool(min_size=1, max_size=1)
    connection = await pool.acquire()
    await connection.add_listener("jobs", lambda *args: None)
    with pytest.warns(InterfaceWarning, match="active notification"):
        await pool.release(connection)
    async with pool.acquire() as connection:
        assert await connection.fetchval("SELECT count(*) FROM pg_listening_channels()") == 0


async def test_hooks_get_the_right_objects(make_pool: MakePool) -> None:
    seen: list[tuple[str, str]] = []

    async def init(connection: Any) -> None:
        seen.append(("init", type(connection).__name__))
        await connection.execute("SET application_name = 'from init'")

    async def setup(proxy: Any) -> None:
        seen.append(("setup", type(proxy).__name__))

    async def reset(connection: Any) -> None:
        seen.append(("reset", type(connection).__name__))

    pool = await make_pool(min_size=1, max_size=1, init=init, setup=setup, reset=reset)
    async with pool.acquire() as connection:
        # The custom reset replaces the reset query: the setting from init survives.
        assert await connection.fetchval("SHOW application_name") == "from init"
    async with pool.acquire() as connection:
        assert await connection.fetchval("SHOW application_name") == "from init"
    assert seen[0] == ("init", "Connection")
    assert ("setup", "PoolConnectionProxy[Connection]") in seen
    assert ("reset", "Connection") in seen


async def test_failing_hooks(make_pool: MakePool) -> None:
    async def setup(proxy: Any) -> None:
        raise RuntimeError("setup failed")

    pool = await make_pool(min_size=1, max_size=1, setup=setup)
    with pytest.raises(RuntimeError, match="setup failed"):
        await pool.acquire()
    assert pool.get_size() == 0  # the connection was closed, not handed out

    failures = [RuntimeError("reset failed")]

    async def reset(connection: Any) -> None:
        if failures:
            raise failures.pop()

    pool = await make_pool(min_size=1, max_size=1, reset=reset)
    connection = await pool.acquire()
    with pytest.raises(RuntimeError, match="reset failed"):
        await pool.release(connection)
    assert await pool.fetchval("SELECT 7") == 7  # replaced


# -- limits -------------------------------------------------------------------------------------


async def test_max_queries_replaces_the_connection(make_pool: MakePool) -> None:
    pool = await make_pool(min_size=1, max_size=1, max_queries=3)
    pids = []
    for _ in range(4):
        async with pool.acquire() as connection:
            pids.append(await connection.fetchval("SELECT pg_backend_pid()"))
    assert pids[0] == pids[1] == pids[2] != pids[3]
    assert pool.get_stats().connections_recycled >= 1


async def test_inactive_lifetime_closes_idle_connections_above_the_floor(make_pool: MakePool) -> None:
    pool = await make_pool(min_size=1, max_size=3, max_inactive_connection_lifetime=0.3)
    held = [await pool.acquire() for _ in range(3)]
    for connection in held:
        await pool.release(connection)
    assert pool.get_size() == 3
    for _ in range(100):
        if pool.get_size() == 1:
            break
        await asyncio.sleep(0.05)
    assert pool.get_size() == 1  # the floor stays


async def test_expire_connections_with_connections_in_use(make_pool: MakePool) -> None:
    pool = await make_pool(min_size=2, max_size=2)
    held = await pool.acquire()
    old = await held.fetchval("SELECT pg_backend_pid()")
    await pool.expire_connections()
    await pool.release(held)
    async with pool.acquire() as a, pool.acquire() as b:
        new = {await a.fetchval("SELECT pg_backend_pid()"), await b.fetchval("SELECT pg_backend_pid()")}
    assert old not in new


@pytest.mark.parametrize("checked", [True, False])
async def test_floor_is_kept_when_a_backend_is_killed_while_idle(
    make_pool: MakePool, cluster: Cluster, checked: bool
) -> None:
    pool = await make_pool(min_size=2, max_size=2, health_check_after=0.0 if checked else None)
    async with pool.acquire() as connection:
        victim = await connection.fetchval("SELECT pg_backend_pid()")
    killer = await pgconn.connect(cluster.dsn())
    try:
        await killer.fetchval("SELECT pg_terminate_backend($1)", victim)
    finally:
        await killer.close()
    if checked:
        # Checked before hand-out: the dead connection is never handed out, even at once.
        pids = set(await asyncio.gather(*(pool.fetchval("SELECT pg_backend_pid()") for _ in range(4))))
        assert victim not in pids

    def noticed() -> int:  # found closed in the pool, or by the check before hand-out
        stats = pool.get_stats()
        return stats.connections_lost + stats.health_checks_failed

    for _ in range(100):
        if noticed() and pool.get_size() == 2:
            break
        await asyncio.sleep(0.05)
    assert pool.get_size() == 2 and noticed() >= 1
    async with pool.acquire() as a, pool.acquire() as b:
        pids = {await a.fetchval("SELECT pg_backend_pid()"), await b.fetchval("SELECT pg_backend_pid()")}
    assert victim not in pids


async def test_resize_at_run_time(make_pool: MakePool) -> None:
    pool = await make_pool(min_size=1, max_size=2)
    pool.resize(3, 4)
    for _ in range(100):
        if pool.get_size() == 3:
            break
        await asyncio.sleep(0.02)
    assert (pool.get_size(), pool.get_min_size(), pool.get_max_size()) == (3, 3, 4)
    pool.resize(0, 1)
    assert pool.get_size() <= 1
    with pytest.raises(ValueError, match="min_size is greater than max_size"):
        pool.resize(3, 1)


# -- pool methods and closing -------------------------------------------------------------------


async def test_query_and_copy_methods(make_pool: MakePool) -> None:
    pool = await make_pool()
    await pool.execute("CREATE TABLE IF NOT EXISTS pool_methods (a int, b text)")
    try:
        await pool.execute("TRUNCATE pool_methods")
        await pool.executemany("INSERT INTO pool_methods VALUES ($1, $2)", [(1, "a"), (2, "b")])
        assert [tuple(r) for r in await pool.fetch("SELECT * FROM pool_methods ORDER BY a")] == [
            (1, "a"),
            (2, "b"),
        ]
        row = await pool.fetchrow("SELECT * FROM pool_methods WHERE a = $1", 2)
        assert row is not None and row["b"] == "b"
        assert await pool.fetchval("SELECT b FROM pool_methods WHERE a = 1") == "a"
        rows = await pool.fetchmany("SELECT $1::int * 2", [(1,), (2,)])
        assert [r[0] for r in rows] == [2, 4]
        assert await pool.copy_records_to_table("pool_methods", records=[(3, "c")]) == "COPY 1"
        assert await pool.copy_to_table("pool_methods", source=bytearray(b"4\td\n")) == "COPY 1"
        chunks: list[bytes] = []

        async def sink(chunk: bytes) -> None:
            chunks.append(chunk)

        assert await pool.copy_from_table("pool_methods", output=sink, columns=["a"]) == "COPY 4"
        assert await pool.copy_from_query("SELECT $1::int", 9, output=sink) == "COPY 1"
        assert b"".join(chunks).split() == [b"1", b"2", b"3", b"4", b"9"]
        with pytest.raises(UndefinedTableError):
            await pool.fetch("SELECT * FROM no_such_table")
        assert pool.get_idle_size() == pool.get_size()
    finally:
        await pool.execute("DROP TABLE pool_methods")


async def test_close_waits_for_acquired_connections(make_pool: MakePool, cluster: Cluster) -> None:
    before = await backend_pids(cluster)
    pool = await make_pool(min_size=2, max_size=2)
    held = await pool.acquire()
    closing = asyncio.ensure_future(pool.close())
    await asyncio.sleep(0.1)
    assert not closing.done() and pool.is_closing()
    with pytest.raises(InterfaceError, match="pool is closing"):
        await pool.acquire()
    await pool.release(held)
    await asyncio.wait_for(closing, 5)
    for _ in range(50):
        if await backend_pids(cluster) <= before:
            break
        await asyncio.sleep(0.05)
    assert await backend_pids(cluster) <= before


async def test_terminate_closes_everything_at_once(make_pool: MakePool) -> None:
    pool = await make_pool(min_size=2, max_size=3)
    held = await pool.acquire()
    waiter_pool = await make_pool(min_size=1, max_size=1)
    blocker = await waiter_pool.acquire()
    waiter = asyncio.ensure_future(waiter_pool.acquire())
    await asyncio.sleep(0.01)
    pool.terminate()
    waiter_pool.terminate()
    assert held._con is not None and held._con.is_closed()
    assert blocker._con is not None and blocker._con.is_closed()
    with pytest.raises(InterfaceError, match="pool is closed"):
        await waiter
    assert pool.is_closing()
