"""Cursors against the real server: iteration with prefetch, manual cursors, scroll, hold, misuse."""

from __future__ import annotations

import asyncio
import time

import pytest

import pgconn
from pgtypes import Record
from pgwire.exceptions import (
    DivisionByZeroError,
    InFailedSQLTransactionError,
    InterfaceError,
    NoActiveSQLTransactionError,
)

from .conftest import ConnectionFactory

ROWS = "SELECT i, i::text AS t FROM generate_series(1, $1::int) AS i"


async def open_cursors(conn: pgconn.Connection) -> list[tuple[str, bool, bool]]:
    """(statement, is_holdable, is_scrollable) of every cursor and named portal of the session."""
    rows = await conn.fetch(
        "SELECT statement, is_holdable, is_scrollable FROM pg_cursors WHERE name LIKE '__pgconn_portal_%'"
    )
    return [(row[0], row[1], row[2]) for row in rows]


async def test_iteration_returns_every_row_in_order(conn: pgconn.Connection) -> None:
    async with conn.transaction():
        values = [(row["i"], row["t"]) async for row in conn.cursor(ROWS, 237, prefetch=10)]
    assert values == [(i, str(i)) for i in range(1, 238)]


async def test_iteration_prefetches_that_many_rows_per_round_trip(conn: pgconn.Connection) -> None:
    await conn.execute("CREATE TEMP SEQUENCE cursor_rows")
    query = "SELECT nextval('cursor_rows') FROM generate_series(1, 100)"
    async with conn.transaction():
        iterator = conn.cursor(query, prefetch=30).__aiter__()
        assert await iterator.__anext__() == (1,)
        # The server produced one batch of 30 rows, not the whole result and not one row.
        assert await conn.fetchval("SELECT currval('cursor_rows')") == 30
        for _ in range(29):
            await iterator.__anext__()
        assert await conn.fetchval("SELECT currval('cursor_rows')") == 30
        assert await iterator.__anext__() == (31,)
        assert await conn.fetchval("SELECT currval('cursor_rows')") == 60
    default = conn.cursor(query)
    async with conn.transaction():
        await conn.execute("SELECT setval('cursor_rows', 1, false)")
        iterator = default.__aiter__()
        await iterator.__anext__()
        assert await conn.fetchval("SELECT currval('cursor_rows')") == 50  # asyncpg's default


async def test_portal_is_closed_as_soon_as_the_rows_are_exhausted(conn: pgconn.Connection) -> None:
    async with conn.transaction():
        iterator = conn.cursor(ROWS, 5, prefetch=2).__aiter__()
        await iterator.__anext__()
        assert [statement for statement, _, _ in await open_cursors(conn)] == [ROWS]
        rest = [row async for row in iterator]
        assert len(rest) == 4
        assert await open_cursors(conn) == []
        with pytest.raises(StopAsyncIteration):
            await iterator.__anext__()
        # An exact multiple of prefetch: the portal is closed after the empty last fetch.
        assert len([row async for row in conn.cursor(ROWS, 4, prefetch=2)]) == 4
        assert await open_cursors(conn) == []


async def test_record_class_and_statement_cache_off(connect: ConnectionFactory) -> None:
    class Row(Record):
        pass

    for cache in (100, 0):
        conn = await connect(statement_cache_size=cache)
        async with conn.transaction():
            rows = [row async for row in conn.cursor(ROWS, 3, record_class=Row)]
            cursor = await conn.cursor(ROWS, 3, record_class=Row)
            fetched = await cursor.fetch(5)
        assert [row["i"] for row in rows] == [1, 2, 3]
        assert all(isinstance(row, Row) for row in rows + fetched)
        assert [row["t"] for row in fetched] == ["1", "2", "3"]
        if cache == 0:
            named = await conn.fetchval("SELECT count(*) FROM pg_prepared_statements")
            assert named == 0  # behind a transaction pooler no named statement is left


async def test_manual_cursor_fetch_fetchrow_forward(conn: pgconn.Connection) -> None:
    async with conn.transaction():
        cursor = await conn.cursor(ROWS, 10)
        assert "exhausted" not in repr(cursor)
        assert repr(cursor).startswith("<pgasync.Cursor 'SELECT i, i::text AS t FROM ge'")
        assert [row["i"] for row in await cursor.fetch(3)] == [1, 2, 3]
        row = await cursor.fetchrow()
        assert row is not None and row["i"] == 4
        assert await cursor.forward(4) == 4
        assert [row["i"] for row in await cursor.fetch(5)] == [9, 10]
        assert "exhausted" in repr(cursor)
        assert await cursor.fetch(5) == []
        assert await cursor.fetchrow() is None
        other = await conn.cursor(ROWS, 3)
        assert await other.forward(10) == 3
        assert await other.fetch(1) == []


async def test_misuse_errors(conn: pgconn.Connection) -> None:
    with pytest.raises(
        NoActiveSQLTransactionError, match="cursor cannot be created outside of a transaction"
    ):
        await conn.cursor(ROWS, 3)
    with pytest.raises(NoActiveSQLTransactionError):
        async for _ in conn.cursor(ROWS, 3):
            pass
    assert not conn.is_in_transaction()
    async with conn.transaction():
        with pytest.raises(InterfaceError, match="prefetch argument must be greater than zero"):
            async for _ in conn.cursor(ROWS, 3, prefetch=0):
                pass
        with pytest.raises(
            InterfaceError, match="prefetch argument can only be specified for iterable cursor"
        ):
            await conn.cursor(ROWS, 3, prefetch=5)
        cursor = await conn.cursor(ROWS, 3)
        for bad in (0, -1):
            with pytest.raises(InterfaceError, match="n must be greater than zero"):
                await cursor.fetch(bad)
            with pytest.raises(InterfaceError, match="n must be greater than zero"):
                await cursor.forward(bad)
        with pytest.raises(InterfaceError, match="cursor is not scrollable"):
            await cursor.scroll(-1)
    # The transaction ended, and its portal with it.
    with pytest.raises(InterfaceError, match="the transaction it was opened in has ended"):
        await cursor.fetch(1)
    assert await conn.fetchval("SELECT 1") == 1


async def test_manual_begin_counts_as_a_transaction(conn: pgconn.Connection) -> None:
    await conn.execute("BEGIN")
    cursor = await conn.cursor(ROWS, 2)
    assert len(await cursor.fetch(5)) == 2
    await conn.execute("ROLLBACK")


async def test_prepared_statement_cursor(conn: pgconn.Connection) -> None:
    statement = await conn.prepare(ROWS)
    async with conn.transaction():
        assert [row["i"] async for row in statement.cursor(4, prefetch=3)] == [1, 2, 3, 4]
        cursor = await statement.cursor(4)
        assert [row["t"] for row in await cursor.fetch(2)] == ["1", "2"]


async def test_server_error_while_fetching(conn: pgconn.Connection) -> None:
    query = "SELECT 10 / (5 - i) FROM generate_series(1, 10) AS i"
    with pytest.raises(DivisionByZeroError):
        async with conn.transaction():
            cursor = await conn.cursor(query)
            assert len(await cursor.fetch(4)) == 4
            await cursor.fetch(4)
    assert not conn.is_in_transaction()
    assert await conn.fetchval("SELECT 2") == 2


async def test_scrollable_cursor_moves_backward_and_to_absolute_positions(conn: pgconn.Connection) -> None:
    async with conn.transaction():
        cursor = await conn.cursor(ROWS, 10, scrollable=True)
        assert "scrollable" in repr(cursor)
        [(statement, holdable, scrollable)] = await open_cursors(conn)
        assert statement.startswith("DECLARE") and (holdable, scrollable) == (False, True)
        assert [row["i"] for row in await cursor.fetch(3)] == [1, 2, 3]
        await cursor.scroll(-2)
        assert [row["i"] for row in await cursor.fetch(2)] == [2, 3]
        await cursor.scroll(0, "absolute")
        assert [row["i"] for row in await cursor.fetch(2)] == [1, 2]
        await cursor.scroll(7, "absolute")
        assert [row["i"] for row in await cursor.fetch(5)] == [8, 9, 10]
        # The fetch ran past the end: the cursor stands after the last row.
        await cursor.scroll(-1)
        assert await cursor.fetch(1) == []
        await cursor.scroll(-2)
        assert [row["i"] for row in await cursor.fetch(1)] == [10]
        await cursor.scroll(100)
        assert await cursor.fetch(1) == []
        await cursor.scroll(4, mode="absolute")
        row = await cursor.fetchrow()
        assert row is not None and row["i"] == 5
        with pytest.raises(InterfaceError, match="mode is expected"):
            await cursor.scroll(1, mode="sideways")  # type: ignore[arg-type]  # the misuse under test
        scrolled = [row["i"] async for row in conn.cursor(ROWS, 3, scrollable=True, prefetch=2)]
        assert scrolled == [1, 2, 3]


async def test_hold_cursor_outlives_its_transaction(conn: pgconn.Connection) -> None:
    async with conn.transaction():
        cursor = await conn.cursor(ROWS, 5, hold=True)
        assert [row["i"] for row in await cursor.fetch(2)] == [1, 2]
    assert not conn.is_in_transaction()
    assert [row["i"] for row in await cursor.fetch(2)] == [3, 4]
    assert [(holdable, scrollable) for _, holdable, scrollable in await open_cursors(conn)] == [(True, False)]
    async with cursor:
        row = await cursor.fetchrow()
        assert row is not None and row["i"] == 5
    assert await open_cursors(conn) == []
    with pytest.raises(InterfaceError, match="cursor is closed"):
        await cursor.fetch(1)
    await cursor.close()  # idempotent
    # Without any transaction, and scrollable too.
    both = await conn.cursor(ROWS, 3, hold=True, scrollable=True)
    await both.forward(3)
    await both.scroll(-3)
    assert [row["i"] for row in await both.fetch(3)] == [1, 2, 3]
    await both.close()
    assert await open_cursors(conn) == []
    assert [row["i"] async for row in conn.cursor(ROWS, 3, hold=True)] == [1, 2, 3]
    assert await open_cursors(conn) == []


async def test_cursor_of_a_closed_statement(conn: pgconn.Connection) -> None:
    statement = await conn.prepare(ROWS)
    factory = statement.cursor(3)
    # A composite type change closes a statement; here its state is closed the same way.
    statement._state.closed = True
    async with conn.transaction():
        with pytest.raises(InterfaceError, match="cursor: the prepared statement is closed"):
            await factory


async def test_fetch_timeout_holds_and_the_cursor_recovers(conn: pgconn.Connection) -> None:
    query = "SELECT pg_sleep(CASE WHEN i = 3 THEN 5 ELSE 0 END), i FROM generate_series(1, 5) AS i"
    await conn.execute("BEGIN")
    cursor = await conn.cursor(query)
    assert len(await cursor.fetch(2)) == 2
    started = time.monotonic()
    with pytest.raises(TimeoutError):
        await cursor.fetch(1, timeout=0.3)
    assert time.monotonic() - started < 1.0
    # The cancelled fetch failed the transaction, as a timeout does in asyncpg.
    with pytest.raises(InFailedSQLTransactionError):
        await conn.fetchval("SELECT 1")
    await conn.execute("ROLLBACK")
    assert await asyncio.wait_for(conn.fetchval("SELECT 3"), 5) == 3
