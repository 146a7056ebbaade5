"""The implicit statement cache of ``fetch`` and friends, watched from the server's side."""

from __future__ import annotations

import asyncio

import pytest

import pgconn
from pgwire.exceptions import InvalidCachedStatementError
from tests.pgconn.conftest import ConnectionFactory, MakeTable

_LIST = "SELECT name, statement FROM pg_prepared_statements"


async def server_statements(connection: pgconn.Connection) -> dict[str, str]:
    """The session's prepared statements, name to SQL text (the listing query left out).

    The listing goes through the cache itself, so it is a statement too: it is left out, and
    tests keep the cache large enough for it or count it in.
    """
    rows = await connection.fetch(_LIST)
    return {row[0]: row[1] for row in rows if row[1] != _LIST}


async def test_queries_are_cached_as_named_statements(conn: pgconn.Connection) -> None:
    assert await conn.fetchval("SELECT 1 + $1::int", 1) == 2
    assert await conn.fetchval("SELECT 1 + $1::int", 2) == 3
    statements = await server_statements(conn)
    assert list(statements.values()) == ["SELECT 1 + $1::int"]
    assert all(name.startswith("__pgconn_stmt_") for name in statements)


async def test_lru_size_and_eviction_closes_on_the_server(connect: ConnectionFactory) -> None:
    conn = await connect(statement_cache_size=3)
    for number in range(3):
        await conn.fetchval(f"SELECT {number}")
    await conn.fetchval("SELECT 1")  # most recently used again; "SELECT 0" is now the oldest
    # The listing query is the fourth statement: preparing it evicts "SELECT 0", and the
    # Close rides ahead of its Parse, so the listing no longer sees it.
    assert set((await server_statements(conn)).values()) == {"SELECT 1", "SELECT 2"}
    await conn.fetchval("SELECT 3")  # evicts "SELECT 2", now the least recently used
    assert set((await server_statements(conn)).values()) == {"SELECT 1", "SELECT 3"}


async def test_evicted_statements_are_closed_ahead_of_a_simple_query(
    connect: ConnectionFactory,
) -> None:
    conn = await connect(statement_cache_size=1)
    await conn.fetchval("SELECT 'first'")
    await conn.fetchval("SELECT 'second'")  # evicts 'first'; its Close waits for the next request
    # A simple-protocol request carries the Close (with a Sync of its own) ahead of its Query;
    # the snapshot it takes shows the statement already gone.
    await conn.execute("CREATE TEMP TABLE seen AS SELECT statement FROM pg_prepared_statements")
    assert await conn.fetch("SELECT statement FROM seen") == [("SELECT 'second'",)]
    assert await conn.execute("SELECT 1; SELECT 2") == "SELECT 1"
    assert not conn.is_in_transaction()


async def test_max_cached_statement_lifetime(connect: ConnectionFactory) -> None:
    conn = await connect(max_cached_statement_lifetime=0.2)
    await conn.fetchval("SELECT 'old'")
    name_before = set(await server_statements(conn))
    await asyncio.sleep(0.3)
    await conn.fetchval("SELECT 'old'")  # expired: prepared again under a new name
    after = await server_statements(conn)
    assert list(after.values()).count("SELECT 'old'") == 1
    assert not name_before & {name for name, sql in after.items() if sql == "SELECT 'old'"}


async def test_long_query_is_not_cached(connect: ConnectionFactory) -> None:
    conn = await connect(max_cacheable_statement_size=100)
    long_query = "SELECT " + " + ".join(["1"] * 60)
    assert len(long_query) > 100
    assert await conn.fetchval(long_query) == 60
    assert await conn.fetchval(long_query) == 60
    assert long_query not in (await server_statements(conn)).values()
    assert await conn.fetchval("SELECT 2") == 2
    assert "SELECT 2" in (await server_statements(conn)).values()


async def test_zero_lifts_the_lifetime_and_size_limits(connect: ConnectionFactory) -> None:
    conn = await connect(max_cached_statement_lifetime=0, max_cacheable_statement_size=0)
    long_query = "SELECT 1" + " " * 16000  # over the default 15360 characters
    assert await conn.fetchval(long_query) == 1
    first = {name for name, sql in (await server_statements(conn)).items() if sql == long_query}
    assert len(first) == 1  # cached although long
    await asyncio.sleep(0.05)
    assert await conn.fetchval(long_query) == 1
    again = {name for name, sql in (await server_statements(conn)).items() if sql == long_query}
    assert again == first  # reused: no age limit


async def test_cache_disabled_creates_no_named_statements(
    connect: ConnectionFactory, table: MakeTable
) -> None:
    conn = await connect(statement_cache_size=0)
    name = await table("a int, b text")
    await conn.execute(f"INSERT INTO {name} VALUES ($1, $2)", 1, "x")
    await conn.executemany(f"INSERT INTO {name} VALUES ($1, $2)", [(2, "y"), (3, "z")])
    assert await conn.fetch(f"SELECT a, b FROM {name} ORDER BY a") == [(1, "x"), (2, "y"), (3, "z")]
    assert await conn.fetchrow(f"SELECT b FROM {name} WHERE a = $1", 2) == ("y",)
    assert await conn.fetchmany(f"SELECT b FROM {name} WHERE a = $1", [(1,), (3,)]) == [("x",), ("z",)]
    assert await conn.fetch("SELECT name FROM pg_prepared_statements") == []


async def test_cache_disabled_with_types_that_need_introspection(connect: ConnectionFactory) -> None:
    conn = await connect(statement_cache_size=0)
    await conn.execute("CREATE TYPE pg_temp.mood AS ENUM ('sad', 'happy')")
    await conn.execute("CREATE TYPE pg_temp.point2 AS (x int, y text)")
    assert await conn.fetchval("SELECT 'happy'::pg_temp.mood") == "happy"
    assert await conn.fetchval("SELECT $1::pg_temp.mood", "sad") == "sad"
    assert await conn.fetchval("SELECT ARRAY['sad', 'happy']::pg_temp.mood[]") == ["sad", "happy"]
    row = await conn.fetchval("SELECT ROW(1, 'a')::pg_temp.point2")
    assert tuple(row) == (1, "a")
    assert await conn.fetchval("SELECT ($1::pg_temp.point2).y", (2, "b")) == "b"
    assert await conn.fetch("SELECT name FROM pg_prepared_statements") == []


async def test_introspection_is_cached_with_the_cache_on(conn: pgconn.Connection) -> None:
    await conn.execute("CREATE TYPE pg_temp.colour AS ENUM ('red', 'blue')")
    assert await conn.fetchval("SELECT 'red'::pg_temp.colour") == "red"
    assert await conn.fetchval("SELECT 'blue'::pg_temp.colour") == "blue"


async def test_schema_change_reprepares_transparently_outside_a_transaction(
    conn: pgconn.Connection, table: MakeTable
) -> None:
    name = await table("a int")
    await conn.execute(f"INSERT INTO {name} VALUES (1)")
    query = f"SELECT * FROM {name}"
    assert await conn.fetch(query) == [(1,)]
    await conn.execute(f"ALTER TABLE {name} ADD COLUMN b text DEFAULT 'new'")
    assert await conn.fetch(query) == [(1, "new")]
    await conn.execute(f"ALTER TABLE {name} ALTER COLUMN a TYPE bigint")
    assert await conn.fetchrow(query) == (1, "new")


async def test_schema_change_inside_a_transaction_raises(conn: pgconn.Connection, table: MakeTable) -> None:
    name = await table("a int")
    await conn.execute(f"INSERT INTO {name} VALUES (1)")
    query = f"SELECT * FROM {name}"
    assert await conn.fetch(query) == [(1,)]
    with pytest.raises(InvalidCachedStatementError, match="cached statement plan is invalid"):
        async with conn.transaction():
            await conn.execute(f"ALTER TABLE {name} ADD COLUMN b int DEFAULT 2")
            await conn.fetch(query)
    assert not conn.is_in_transaction()
    # The stale statement was dropped: the next run prepares the query afresh.
    assert await conn.fetch(query) == [(1,)]


async def test_schema_change_by_another_session(connect: ConnectionFactory, table: MakeTable) -> None:
    conn, other = await connect(), await connect()
    name = await table("a int")
    await other.execute(f"INSERT INTO {name} VALUES (7)")
    query = f"SELECT * FROM {name}"
    assert await conn.fetch(query) == [(7,)]
    await other.execute(f"ALTER TABLE {name} ADD COLUMN b int DEFAULT 8")
    assert await conn.fetch(query) == [(7, 8)]


async def test_reload_schema_state_clears_the_cache(conn: pgconn.Connection) -> None:
    await conn.fetchval("SELECT 'cached'")
    assert "SELECT 'cached'" in (await server_statements(conn)).values()
    await conn.reload_schema_state()
    assert "SELECT 'cached'" not in (await server_statements(conn)).values()
    assert await conn.fetchval("SELECT 'cached'") == "cached"


async def test_prepare_does_not_use_the_cache(conn: pgconn.Connection) -> None:
    await conn.fetchval("SELECT 'q'")
    statement = await conn.prepare("SELECT 'q'")
    statements = await server_statements(conn)
    assert list(statements.values()).count("SELECT 'q'") == 2
    assert statement.get_name() in statements
