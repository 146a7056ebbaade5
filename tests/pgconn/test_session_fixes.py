"""Behaviour found by using the connection as a new user would, each fixed and pinned here.

executemany over long iterables (bounded memory, atomicity, element numbers across batches),
statements left on the server by a cancelled first Parse, the server's reason when it ends a
session, stale plans of prepared statements, and too many arguments.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import tracemalloc
from collections.abc import Iterator
from typing import Any

import pytest

import pgconn
from pgconn._batches import BATCH_SIZE
from pgwire.exceptions import (
    AdminShutdownError,
    ConnectionDoesNotExistError,
    DataError,
    InterfaceError,
    InvalidCachedStatementError,
    UniqueViolationError,
)
from tests.pgconn.conftest import ConnectionFactory, MakeTable


class Boom(Exception):
    """Raised by a test's argument iterable midway."""


def rows_then_boom(count: int) -> Iterator[tuple[int]]:
    yield from ((i,) for i in range(count))
    raise Boom("the source failed")


# -- executemany streams --------------------------------------------------------------------


async def test_executemany_streams_a_long_generator(conn: pgconn.Connection, table: MakeTable) -> None:
    name = await table("a int")
    total = BATCH_SIZE * 3 + 17
    await conn.executemany(f"INSERT INTO {name} VALUES ($1)", ((i,) for i in range(total)))
    assert await conn.fetchval(f"SELECT count(*) FROM {name}") == total
    assert await conn.fetchval(f"SELECT sum(a) FROM {name}") == sum(range(total))


async def test_executemany_memory_stays_bounded(conn: pgconn.Connection) -> None:
    # Sixty thousand argument sets: all of them encoded at once would take about 10 MB.
    count = 60_000
    await conn.executemany("SELECT $1::int", [(0,)])  # prepare outside the measurement
    tracemalloc.start()
    try:
        await conn.executemany("SELECT $1::int", ((i,) for i in range(count)))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    # One batch at a time: the arguments alone, all held, would be over 4 MB.
    assert peak < 2_000_000, f"peak {peak} bytes"


async def test_executemany_is_atomic_when_the_iterable_raises(
    conn: pgconn.Connection, table: MakeTable
) -> None:
    name = await table("a int")
    with pytest.raises(Boom, match="the source failed"):
        await conn.executemany(f"INSERT INTO {name} VALUES ($1)", rows_then_boom(BATCH_SIZE * 2 + 5))
    assert await conn.fetchval(f"SELECT count(*) FROM {name}") == 0
    assert not conn.is_in_transaction()
    # Inside a transaction the batches already executed stay, as in asyncpg.
    async with conn.transaction():
        with pytest.raises(Boom):
            await conn.executemany(f"INSERT INTO {name} VALUES ($1)", rows_then_boom(BATCH_SIZE * 2 + 5))
        kept = await conn.fetchval(f"SELECT count(*) FROM {name}")
    assert kept >= BATCH_SIZE * 2
    assert await conn.fetchval(f"SELECT count(*) FROM {name}") == kept


async def test_executemany_server_error_midway_applies_nothing(
    conn: pgconn.Connection, table: MakeTable
) -> None:
    name = await table("a int PRIMARY KEY")
    values = (
        [(i,) for i in range(BATCH_SIZE * 2)] + [(5,)] + [(i,) for i in range(BATCH_SIZE * 2, BATCH_SIZE * 3)]
    )
    with pytest.raises(UniqueViolationError):
        await conn.executemany(f"INSERT INTO {name} VALUES ($1)", iter(values))
    assert await conn.fetchval(f"SELECT count(*) FROM {name}") == 0
    assert await conn.fetchval("SELECT 7") == 7


async def test_executemany_names_the_bad_element_across_batches(
    conn: pgconn.Connection, table: MakeTable
) -> None:
    name = await table("a int")
    bad = BATCH_SIZE * 2 + 3

    def values() -> Iterator[Any]:
        for i in range(BATCH_SIZE * 3):
            yield ("x",) if i == bad else (i,)

    with pytest.raises(DataError, match=f"element #{bad} of executemany"):
        await conn.executemany(f"INSERT INTO {name} VALUES ($1)", values())
    assert await conn.fetchval(f"SELECT count(*) FROM {name}") == 0
    with pytest.raises(
        DataError, match="executemany\\(\\) argument sequence element #1: expected a sequence"
    ):
        await conn.executemany(f"INSERT INTO {name} VALUES ($1)", [(1,), 5])  # type: ignore[list-item]  # the misuse under test


async def test_executemany_cancelled_midway_leaves_the_connection_usable(
    conn: pgconn.Connection, table: MakeTable
) -> None:
    name = await table("a int")
    for delay in (0.0, 0.01, 0.05):
        task = asyncio.ensure_future(
            conn.executemany(f"INSERT INTO {name} VALUES ($1)", ((i,) for i in range(BATCH_SIZE * 50)))
        )
        await asyncio.sleep(delay)
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        if conn.is_closed():
            pytest.fail("the connection was given up after a cancelled executemany")
        assert await conn.fetchval("SELECT 1") == 1
        assert await conn.fetchval(f"SELECT count(*) FROM {name}") in (0, BATCH_SIZE * 50)
        await conn.execute(f"TRUNCATE {name}")


# -- statements of a cancelled first execution ------------------------------------------------


async def test_cancelled_first_parse_leaves_no_statement_behind(connect: ConnectionFactory) -> None:
    conn = await connect(statement_cache_size=10)
    for number in range(60):
        task = asyncio.ensure_future(conn.fetchval(f"SELECT {number}"))
        for _ in range(number % 4):
            await asyncio.sleep(0)
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        if conn.is_closed():
            conn = await connect(statement_cache_size=10)
    # The abandoned statements' Close messages ride along the next request.
    assert await conn.fetchval("SELECT 1") == 1
    left = await conn.fetchval("SELECT count(*) FROM pg_prepared_statements")
    assert left <= 10 + 1


# -- the server's reason for ending a session --------------------------------------------------


async def test_terminated_backend_keeps_the_servers_reason(connect: ConnectionFactory) -> None:
    conn, killer = await connect(), await connect()
    task = asyncio.ensure_future(conn.fetchval("SELECT pg_sleep(5)"))
    await asyncio.sleep(0.1)
    await killer.fetchval("SELECT pg_terminate_backend($1)", conn.get_server_pid())
    with pytest.raises(ConnectionDoesNotExistError) as caught:
        await asyncio.wait_for(task, 5)
    cause = caught.value.__cause__
    assert isinstance(cause, AdminShutdownError)
    assert "terminating connection due to administrator command" in str(cause)


async def test_idle_terminated_backend_keeps_the_servers_reason(connect: ConnectionFactory) -> None:
    conn, killer = await connect(), await connect()
    await killer.fetchval("SELECT pg_terminate_backend($1)", conn.get_server_pid())
    for _ in range(100):
        if conn.is_closed():
            break
        await asyncio.sleep(0.02)
    lost = conn._protocol.lost
    assert isinstance(lost, ConnectionDoesNotExistError)
    assert isinstance(lost.__cause__, AdminShutdownError)


# -- stale plans and argument counts -----------------------------------------------------------


async def test_prepared_statement_after_a_column_type_change(
    conn: pgconn.Connection, table: MakeTable
) -> None:
    name = await table("a int")
    await conn.execute(f"INSERT INTO {name} VALUES (1)")
    statement = await conn.prepare(f"SELECT * FROM {name}")
    assert await statement.fetchval() == 1
    await conn.execute(f"ALTER TABLE {name} ALTER COLUMN a TYPE bigint")
    with pytest.raises(InvalidCachedStatementError, match="cached statement plan is invalid") as caught:
        await statement.fetch()
    assert caught.value.__cause__ is not None
    # Prepared again, it works; the connection was never out of step.
    assert await (await conn.prepare(f"SELECT * FROM {name}")).fetchval() == 1


async def test_more_than_32767_arguments_is_refused_before_sending(conn: pgconn.Connection) -> None:
    count = 40000
    query = "SELECT " + " + ".join(f"${i}::int" for i in range(1, count + 1))
    with pytest.raises(InterfaceError, match="the number of query arguments cannot exceed 32767"):
        await conn.fetchval(query, *itertools.repeat(1, count))
    # (The pattern is split so that this query's own text does not match it.)
    prepared = "SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE '%$4000' || '0::int%'"
    assert await conn.fetchval(prepared) == 0
    assert await conn.fetchval("SELECT 5") == 5
