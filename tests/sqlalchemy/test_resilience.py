"""The engine survives what a server does to its connections: ``pool_pre_ping`` after
``pg_terminate_backend``, a disconnect noticed by a statement, a prepared statement that an
``ALTER TABLE`` made stale, and ``engine.dispose()``."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import DDL, text
from sqlalchemy.exc import DBAPIError, NotSupportedError
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.pool import AsyncAdaptedQueuePool

import pgasync
from tests.sqlalchemy.conftest import MakeEngine


def queue_pool(engine: AsyncEngine) -> AsyncAdaptedQueuePool:
    pool = engine.pool
    assert isinstance(pool, AsyncAdaptedQueuePool)
    return pool


async def backend_pid(engine: AsyncEngine) -> int:
    async with engine.connect() as connection:
        pid = await connection.scalar(text("SELECT pg_backend_pid()"))
    assert isinstance(pid, int)
    return pid


async def terminate(admin: pgasync.Connection, pid: int) -> None:
    """End backend ``pid`` and wait until it is gone."""
    assert await admin.fetchval("SELECT pg_terminate_backend($1)", pid) is True
    for _ in range(200):
        if not await admin.fetchval("SELECT count(*) FROM pg_stat_activity WHERE pid = $1", pid):
            return
        await asyncio.sleep(0.025)
    raise AssertionError(f"backend {pid} did not exit")


async def test_pool_pre_ping_replaces_a_terminated_connection(
    make_engine: MakeEngine, admin: pgasync.Connection
) -> None:
    engine = make_engine(pool_pre_ping=True, pool_size=1, max_overflow=0)
    first = await backend_pid(engine)
    assert await backend_pid(engine) == first  # the pool hands the same connection back
    await terminate(admin, first)
    # The ping finds the connection dead; the pool connects again, the caller sees nothing.
    second = await backend_pid(engine)
    assert second != first
    assert queue_pool(engine).checkedin() == 1


async def test_without_pre_ping_the_failure_invalidates_and_the_next_use_reconnects(
    make_engine: MakeEngine, admin: pgasync.Connection
) -> None:
    engine = make_engine(pool_size=1, max_overflow=0)
    first = await backend_pid(engine)
    await terminate(admin, first)
    with pytest.raises(DBAPIError) as caught:
        async with engine.connect() as connection:
            await connection.execute(text("SELECT 1"))
    assert caught.value.connection_invalidated
    assert isinstance(caught.value.orig, pgasync.PostgresError | pgasync.InterfaceError)
    assert await backend_pid(engine) != first


async def test_alter_table_invalidates_cached_statements(
    engine: AsyncEngine, admin: pgasync.Connection
) -> None:
    await admin.execute(
        "CREATE TABLE shapes (id int PRIMARY KEY, size int); INSERT INTO shapes VALUES (1, 10)"
    )
    query = text("SELECT * FROM shapes")
    async with engine.connect() as connection:
        assert (await connection.execute(query)).all() == [(1, 10)]
    # Behind the engine's back: the cached statement's result type changes.
    await admin.execute("ALTER TABLE shapes ALTER COLUMN size TYPE text")
    async with engine.connect() as connection:
        # The statement inside the running transaction fails (the transaction is spoiled)
        # and every prepared-statement cache of the engine is invalidated...
        with pytest.raises(NotSupportedError) as caught:
            await connection.execute(query)
        assert isinstance(caught.value.orig, pgasync.InvalidCachedStatementError)
        await connection.rollback()
        # ...so the next transaction prepares it again and sees the new type.
        assert (await connection.execute(query)).all() == [(1, "10")]


async def test_ddl_through_the_engine_needs_no_failure(engine: AsyncEngine) -> None:
    async with engine.begin() as connection:
        await connection.execute(text("CREATE TABLE gauges (id int, level int)"))
        await connection.execute(text("INSERT INTO gauges VALUES (1, 5)"))
    query = text("SELECT * FROM gauges")
    async with engine.connect() as connection:
        assert (await connection.execute(query)).all() == [(1, 5)]
    async with engine.begin() as connection:
        # A DDL construct (not text()) tells the dialect to drop its statement caches.
        alter = DDL("ALTER TABLE gauges ALTER COLUMN level TYPE numeric")  # type: ignore[no-untyped-call]  # unannotated in SQLAlchemy
        await connection.execute(alter)
    async with engine.connect() as connection:
        rows = (await connection.execute(query)).all()
    assert [tuple(map(str, row)) for row in rows] == [("1", "5")]


async def test_dispose_closes_every_pooled_connection(
    make_engine: MakeEngine, admin: pgasync.Connection
) -> None:
    engine = make_engine(pool_size=3)
    async with engine.connect() as one, engine.connect() as two:
        pids = {
            await one.scalar(text("SELECT pg_backend_pid()")),
            await two.scalar(text("SELECT pg_backend_pid()")),
        }
    assert queue_pool(engine).checkedin() == 2
    await engine.dispose()
    for _ in range(200):
        alive = await admin.fetchval(
            "SELECT count(*) FROM pg_stat_activity WHERE pid = any($1::int[])", list(pids)
        )
        if alive == 0:
            break
        await asyncio.sleep(0.025)
    assert alive == 0
    # A disposed engine still works: it opens new connections.
    assert await backend_pid(engine) not in pids
