"""The types a user's code sees, pinned with ``assert_type`` (mypy fails on any difference).

Never run, only type-checked: by the repository's ``mypy`` run and by ``test_typing.py``.
"""

from __future__ import annotations

from typing import Any, assert_type

import pgasync
import pgconn
import pgpool
from pgasync.connection import CopyRecordStream, Notification, NotificationStream


class Item(pgasync.Record):
    """A user's record class."""


async def connection_methods(connection: pgasync.Connection) -> None:
    """``record_class=`` decides the row type; without it rows are ``Record``."""
    assert_type(await connection.fetch("q", record_class=Item), list[Item])
    assert_type(await connection.fetch("q", 1, timeout=2.0), list[pgasync.Record])
    assert_type(await connection.fetchrow("q", record_class=Item), Item | None)
    assert_type(await connection.fetchrow("q"), pgasync.Record | None)
    assert_type(await connection.fetchmany("q", [(1,)], record_class=Item), list[Item])
    assert_type(await connection.fetchmany("q", [(1,)]), list[pgasync.Record])
    assert_type(await connection.fetchval("q"), Any)
    assert_type(await connection.execute("q"), str)
    assert_type(await connection.prepare("q", record_class=Item), pgasync.PreparedStatement[Item])
    assert_type(await connection.prepare("q"), pgasync.PreparedStatement[pgasync.Record])
    assert_type(connection.cursor("q", record_class=Item), pgasync.CursorFactory[Item])
    assert_type(connection.cursor("q"), pgasync.CursorFactory[pgasync.Record])
    assert_type(connection.copy_records_from_table("t", record_class=Item), CopyRecordStream[Item])
    assert_type(connection.copy_records_from_query("q", record_class=Item), CopyRecordStream[Item])
    assert_type(connection.copy_records_from_query("q"), CopyRecordStream[pgasync.Record])
    assert_type(connection.transaction(), pgasync.Transaction)
    async with connection.listen("channel") as stream:
        assert_type(stream, NotificationStream)
        async for notification in stream:
            assert_type(notification, Notification)


async def statement_and_cursor(connection: pgasync.Connection) -> None:
    """A prepared statement and a cursor carry their record class to every row."""
    statement = await connection.prepare("q", record_class=Item)
    assert_type(await statement.fetch(), list[Item])
    assert_type(await statement.fetchrow(), Item | None)
    assert_type(await statement.fetchmany([(1,)]), list[Item])
    assert_type(statement.cursor(), pgasync.CursorFactory[Item])
    async for row in connection.cursor("q", record_class=Item):
        assert_type(row, Item)
    cursor = await connection.cursor("q", record_class=Item)
    assert_type(cursor, pgasync.Cursor[Item])
    assert_type(await cursor.fetch(5), list[Item])
    assert_type(await cursor.fetchrow(), Item | None)
    async with connection.copy_records_from_table("t", record_class=Item) as rows:
        async for record in rows:
            assert_type(record, Item)


async def pool_methods(pool: pgasync.Pool) -> None:
    """The pool's shortcuts and its proxies are typed as the connection's methods."""
    assert_type(await pool.fetch("q", record_class=Item), list[Item])
    assert_type(await pool.fetch("q"), list[pgasync.Record])
    assert_type(await pool.fetchrow("q", record_class=Item), Item | None)
    assert_type(await pool.fetchmany("q", [(1,)], record_class=Item), list[Item])
    async with pool.acquire() as connection:
        assert_type(connection, pgpool.PoolConnectionProxy)
        assert_type(await connection.fetch("q", record_class=Item), list[Item])
        assert_type(await connection.fetchrow("q", record_class=Item), Item | None)
        assert_type(connection.cursor("q", record_class=Item), pgconn.CursorFactory[Item])
    proxy = await pool.acquire()
    assert_type(proxy, pgpool.PoolConnectionProxy)
    await pool.release(proxy)


async def starting(dsn: str) -> None:
    """``connect`` and ``create_pool`` give the documented classes."""
    assert_type(await pgasync.connect(dsn), pgasync.Connection)
    assert_type(await pgasync.create_pool(dsn), pgasync.Pool)
    async with pgasync.create_pool(dsn) as pool:
        assert_type(pool, pgasync.Pool)
