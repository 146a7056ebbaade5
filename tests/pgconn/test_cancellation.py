"""Timeouts, task cancellation, concurrent use, lost connections and closing, on a real server.

The invariant under test (DESIGN section 5): after any interruption the connection is either
usable and in sync (the next query returns its own answer) or closed, never desynchronised.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

import pytest

import pgconn
from pgwire.exceptions import (
    ConnectionDoesNotExistError,
    InFailedSQLTransactionError,
    InterfaceError,
    QueryCanceledError,
)
from tests.pgconn.conftest import ConnectionFactory, MakeTable

Operation = Callable[[pgconn.Connection], Awaitable[Any]]


async def assert_in_sync(conn: pgconn.Connection, marker: int) -> None:
    """The connection answers a fresh query with that query's own result."""
    assert await conn.fetchval("SELECT $1::int + 1", marker) == marker + 1
    assert await conn.execute(f"SELECT {marker}") == "SELECT 1"
    assert not conn.is_in_transaction()


# -- timeouts --------------------------------------------------------------------------------------


async def test_timeout_expires_and_connection_stays_usable(conn: pgconn.Connection) -> None:
    started = time.monotonic()
    with pytest.raises(TimeoutError):
        await conn.execute("SELECT pg_sleep(5)", timeout=0.2)
    assert time.monotonic() - started < 3
    assert await conn.fetchval("SELECT 1") == 1
    assert not conn.is_in_transaction()
    with pytest.raises(TimeoutError):
        await conn.fetchval("SELECT pg_sleep(5)", timeout=0.2)
    await assert_in_sync(conn, 1)


async def test_command_timeout(connect: ConnectionFactory) -> None:
    conn = await connect(command_timeout=0.2)
    with pytest.raises(TimeoutError):
        await conn.fetch("SELECT pg_sleep(5)")
    await assert_in_sync(conn, 2)
    # An explicit timeout overrides command_timeout.
    assert await conn.fetchval("SELECT pg_sleep(0.3)::text", timeout=5) == ""


async def test_timeout_inside_a_transaction_fails_the_transaction(conn: pgconn.Connection) -> None:
    transaction = conn.transaction()
    await transaction.start()
    with pytest.raises(TimeoutError):
        await conn.execute("SELECT pg_sleep(5)", timeout=0.2)
    assert conn.is_in_transaction()
    with pytest.raises(InFailedSQLTransactionError):
        await conn.fetchval("SELECT 1")
    await transaction.rollback()
    await assert_in_sync(conn, 3)


async def test_timeout_of_executemany(conn: pgconn.Connection, table: MakeTable) -> None:
    name = await table("a int")
    with pytest.raises(TimeoutError):
        await conn.executemany(f"INSERT INTO {name} SELECT $1 FROM pg_sleep(1)", [(1,), (2,)], timeout=0.2)
    await assert_in_sync(conn, 4)
    assert await conn.fetchval(f"SELECT count(*) FROM {name}") == 0


# -- task cancellation at every await point --------------------------------------------------------


async def _enum_query(conn: pgconn.Connection) -> Any:
    return await conn.fetchval("SELECT 'b'::pg_temp.cancel_enum")


OPERATIONS: dict[str, Operation] = {
    "execute": lambda c: c.execute("SELECT 1; SELECT 2"),
    "fetch_new_statement": lambda c: c.fetch(f"SELECT $1::int, {time.monotonic_ns()}", 1),
    "fetchrow": lambda c: c.fetchrow("SELECT generate_series(1, 1000)"),
    "executemany": lambda c: c.executemany("SELECT $1::int", [(i,) for i in range(50)]),
    "prepare": lambda c: c.prepare(f"SELECT {time.monotonic_ns()}"),
    "introspection": _enum_query,
    "transaction": lambda c: c.transaction().start(),
}


def cancel_points() -> Iterator[int]:
    """After how many event-loop iterations to cancel: each of the first 30, then sparser.

    An operation's await points are its round trips; while one waits for the server the loop
    spins many times, so past the first few the points only need to land in every round trip.
    """
    yield from range(30)
    iterations = 30
    while iterations < 20000:
        yield iterations
        iterations = int(iterations * 1.15) + 1


@pytest.mark.parametrize("operation", OPERATIONS)
@pytest.mark.parametrize("cache", [100, 0])
async def test_cancel_at_every_await_point(connect: ConnectionFactory, operation: str, cache: int) -> None:
    conn = await connect(statement_cache_size=cache)
    run = OPERATIONS[operation]
    if operation == "introspection":
        await conn.execute("CREATE TYPE pg_temp.cancel_enum AS ENUM ('a', 'b')")
    for iterations in cancel_points():
        if conn.is_closed():
            conn = await connect(statement_cache_size=cache)
            if operation == "introspection":
                await conn.execute("CREATE TYPE pg_temp.cancel_enum AS ENUM ('a', 'b')")
        if operation == "introspection":
            await conn.reload_schema_state()  # so that every round introspects the type again
        task = asyncio.ensure_future(run(conn))
        for _ in range(iterations):
            await asyncio.sleep(0)
        finished = task.done()
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        if conn.is_closed():
            continue
        if conn.is_in_transaction():
            assert operation == "transaction"  # a BEGIN that ran before the cancel
            await conn.execute("ROLLBACK")
        await assert_in_sync(conn, iterations)
        if finished:
            break
    else:
        pytest.fail("the operation never finished within the iterations tried")


async def test_cancel_while_the_server_sleeps(conn: pgconn.Connection) -> None:
    for delay in (0.0, 0.05, 0.1):
        task = asyncio.ensure_future(conn.fetchval("SELECT pg_sleep(5)"))
        await asyncio.sleep(delay)
        started = time.monotonic()
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert time.monotonic() - started < 3
        assert not conn.is_closed()
        await assert_in_sync(conn, 5)


async def test_cancelled_transaction_start_does_not_poison_the_connection(connect: ConnectionFactory) -> None:
    conn = await connect()
    for iterations in range(200):
        transaction = conn.transaction()
        task = asyncio.ensure_future(transaction.start())
        for _ in range(iterations):
            await asyncio.sleep(0)
        finished = task.done()
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        if conn.is_closed():
            conn = await connect()
        elif conn.is_in_transaction():
            # Either start() finished, or its BEGIN ran before the cancel reached the server.
            await conn.execute("ROLLBACK")
        async with conn.transaction():  # must be a BEGIN, not a SAVEPOINT
            assert conn.is_in_transaction()
        assert not conn.is_in_transaction()
        if finished:
            break


# -- concurrency -----------------------------------------------------------------------------------


async def test_second_operation_is_refused_at_once(conn: pgconn.Connection) -> None:
    first = asyncio.ensure_future(conn.fetchval("SELECT pg_sleep(0.2)::text || 'first'"))
    await asyncio.sleep(0.02)
    message = "cannot perform operation: another operation is in progress"
    started = time.monotonic()
    with pytest.raises(InterfaceError, match=message):
        await conn.fetchval("SELECT 2")
    with pytest.raises(InterfaceError, match=message):
        await conn.execute("SELECT 2")
    with pytest.raises(InterfaceError, match=message):
        await conn.prepare("SELECT 2")
    assert time.monotonic() - started < 0.1
    assert await first == "first"
    await assert_in_sync(conn, 6)


# -- lost connections and closing ------------------------------------------------------------------


async def test_backend_terminated_mid_query(connect: ConnectionFactory) -> None:
    conn, killer = await connect(), await connect()
    pid = conn.get_server_pid()
    task = asyncio.ensure_future(conn.fetchval("SELECT pg_sleep(5)"))
    await asyncio.sleep(0.05)
    assert await killer.fetchval("SELECT pg_terminate_backend($1)", pid) is True
    with pytest.raises(ConnectionDoesNotExistError):
        await asyncio.wait_for(task, 3)
    assert conn.is_closed()
    with pytest.raises(InterfaceError, match="connection is closed"):
        await conn.fetchval("SELECT 1")
    with pytest.raises(InterfaceError, match="connection is closed"):
        await conn.execute("SELECT 1")
    await conn.close()  # closing a lost connection is fine


async def test_backend_terminated_while_idle(connect: ConnectionFactory) -> None:
    conn, killer = await connect(), await connect()
    await killer.fetchval("SELECT pg_terminate_backend($1)", conn.get_server_pid())
    await asyncio.sleep(0.1)
    with pytest.raises((InterfaceError, ConnectionDoesNotExistError)):
        await conn.fetchval("SELECT 1")
    assert conn.is_closed()
    with pytest.raises(InterfaceError, match="connection is closed"):
        await conn.fetchval("SELECT 1")


async def test_close_while_a_query_runs(connect: ConnectionFactory) -> None:
    conn, watcher = await connect(), await connect()
    pid = conn.get_server_pid()
    task = asyncio.ensure_future(conn.fetchval("SELECT pg_sleep(5)"))
    await asyncio.sleep(0.05)
    started = time.monotonic()
    await conn.close()
    assert time.monotonic() - started < 3
    with pytest.raises(QueryCanceledError):
        await task
    assert conn.is_closed()
    # The backend went away with the Terminate.
    for _ in range(50):
        if not await watcher.fetchval("SELECT count(*) FROM pg_stat_activity WHERE pid = $1", pid):
            break
        await asyncio.sleep(0.02)
    else:
        pytest.fail("the server backend is still there after close()")


async def test_close_and_terminate_are_idempotent(connect: ConnectionFactory) -> None:
    conn = await connect()
    await conn.close()
    await conn.close()
    conn.terminate()
    assert conn.is_closed()
    other = await connect()
    other.terminate()
    other.terminate()
    await other.close()
    assert other.is_closed()
    with pytest.raises(InterfaceError, match="connection is closed"):
        await other.fetch("SELECT 1")
