"""``Connection.prepare`` and ``PreparedStatement`` against a real server."""

from __future__ import annotations

import pytest

import pgconn
from pgtypes import Attribute, Type
from pgwire.exceptions import (
    DivisionByZeroError,
    DuplicatePreparedStatementError,
    InterfaceError,
    OutdatedSchemaCacheError,
    UndefinedColumnError,
)
from tests.pgconn.conftest import ConnectionFactory, MakeTable

INT4 = Type(oid=23, name="int4", kind="scalar", schema="pg_catalog")
TEXT = Type(oid=25, name="text", kind="scalar", schema="pg_catalog")
TEXT_ARRAY = Type(oid=1009, name="text[]", kind="array", schema="pg_catalog")


async def server_statements(connection: pgconn.Connection) -> list[str]:
    """The names of the session's prepared statements, as the server lists them."""
    rows = await connection.fetch("SELECT name FROM pg_prepared_statements ORDER BY name")
    return [row[0] for row in rows]


async def test_prepare_describes_the_statement(conn: pgconn.Connection) -> None:
    query = "SELECT $1::int AS n, $2::text[] AS a"
    statement = await conn.prepare(query)
    assert statement.get_query() == query
    assert statement.get_parameters() == (INT4, TEXT_ARRAY)
    assert statement.get_attributes() == (Attribute("n", INT4), Attribute("a", TEXT_ARRAY))
    assert statement.get_statusmsg() is None
    assert await statement.fetch(1, ["x"]) == [(1, ["x"])]
    assert statement.get_statusmsg() == "SELECT 1"
    # Limit-1 executions suspend the portal: no CommandComplete, no status (reference 3.2).
    assert await statement.fetchrow(2, []) == (2, [])
    assert statement.get_statusmsg() is None
    assert await statement.fetchval(3, None, column="n") == 3


async def test_statement_without_rows_has_no_attributes(conn: pgconn.Connection, table: MakeTable) -> None:
    name = await table("a int")
    statement = await conn.prepare(f"INSERT INTO {name} VALUES ($1)")
    assert statement.get_attributes() == ()
    assert statement.get_parameters() == (INT4,)
    assert await statement.fetch(5) == []
    assert statement.get_statusmsg() == "INSERT 0 1"
    await statement.executemany([(6,), (7,)])
    assert await conn.fetchval(f"SELECT array_agg(a ORDER BY a) FROM {name}") == [5, 6, 7]


async def test_domain_columns_are_described_by_their_base_type(conn: pgconn.Connection) -> None:
    await conn.execute("CREATE DOMAIN pg_temp.positive_int AS int CHECK (VALUE > 0)")
    statement = await conn.prepare("SELECT 5::pg_temp.positive_int AS p")
    assert statement.get_attributes() == (Attribute("p", INT4),)
    assert await statement.fetchval() == 5


async def test_generated_names_are_unique_and_server_side(conn: pgconn.Connection) -> None:
    first = await conn.prepare("SELECT 1")
    second = await conn.prepare("SELECT 1")
    assert first.get_name() and second.get_name()
    assert first.get_name() != second.get_name()
    names = await server_statements(conn)
    assert first.get_name() in names and second.get_name() in names


async def test_names_are_unique_across_connections_too(connect: ConnectionFactory) -> None:
    one, two = await connect(), await connect()
    assert (await one.prepare("SELECT 1")).get_name() != (await two.prepare("SELECT 1")).get_name()


async def test_unnamed_statement_without_a_cache(connect: ConnectionFactory) -> None:
    conn = await connect(statement_cache_size=0)
    statement = await conn.prepare("SELECT $1::int * 2")
    assert statement.get_name() == ""
    assert await statement.fetchval(21) == 42
    # Another statement in between replaces the server's unnamed statement; ours still works.
    assert await conn.fetchval("SELECT 'other'") == "other"
    assert await statement.fetchval(5) == 10
    assert await server_statements(conn) == []


async def test_explicit_name_is_reachable_with_sql_execute(conn: pgconn.Connection) -> None:
    statement = await conn.prepare("SELECT $1::int + 1", name="pgconn_foo")
    assert statement.get_name() == "pgconn_foo"
    assert await conn.fetchval("EXECUTE pgconn_foo(41)") == 42
    assert await conn.execute("EXECUTE pgconn_foo(1)") == "SELECT 1"


async def test_duplicate_name(conn: pgconn.Connection) -> None:
    await conn.prepare("SELECT 1", name="pgconn_dup")
    with pytest.raises(
        DuplicatePreparedStatementError, match='prepared statement "pgconn_dup" already exists'
    ):
        await conn.prepare("SELECT 2", name="pgconn_dup")
    assert await conn.fetchval("SELECT 3") == 3


async def test_parse_error_at_prepare_time(conn: pgconn.Connection) -> None:
    with pytest.raises(UndefinedColumnError, match='column "nope" does not exist'):
        await conn.prepare("SELECT nope")
    assert not conn.is_in_transaction()
    assert await conn.fetchval("SELECT 1") == 1


async def test_prepare_leaves_no_implicit_transaction_open(conn: pgconn.Connection) -> None:
    # Appendix A7: asyncpg's Parse/Describe without Sync leaves the implicit transaction open,
    # so a following BEGIN ISOLATION LEVEL fails. Ours ends every request with Sync.
    await conn.prepare("SELECT 1")
    assert not conn.is_in_transaction()
    async with conn.transaction(isolation="serializable"):
        assert await conn.fetchval("SHOW transaction_isolation") == "serializable"


async def test_statement_survives_a_runtime_error(conn: pgconn.Connection) -> None:
    statement = await conn.prepare("SELECT 10 / $1::int")
    assert await statement.fetchval(2) == 5
    with pytest.raises(DivisionByZeroError):
        await statement.fetchval(0)
    assert await statement.fetchval(5) == 2
    assert statement.get_name() in await server_statements(conn)


async def test_fetchmany_and_executemany_on_a_statement(conn: pgconn.Connection) -> None:
    statement = await conn.prepare("SELECT $1::int * 10")
    assert await statement.fetchmany([(1,), (2,), (3,)]) == [(10,), (20,), (30,)]
    assert statement.get_statusmsg() == "SELECT 1"
    assert await statement.fetchmany([]) == []
    await statement.executemany([(1,)])


async def test_explain(conn: pgconn.Connection) -> None:
    statement = await conn.prepare("SELECT g FROM generate_series(1, $1::int) AS g")
    plan = await statement.explain(3)
    assert isinstance(plan, list)
    assert plan[0]["Plan"]["Node Type"] == "Function Scan"
    assert "Actual Rows" not in plan[0]["Plan"]
    analyzed = await statement.explain(3, analyze=True)
    assert analyzed[0]["Plan"]["Actual Rows"] == 3
    assert not conn.is_in_transaction()


async def test_explain_analyze_rolls_back(conn: pgconn.Connection, table: MakeTable) -> None:
    name = await table("a int")
    await conn.execute(f"INSERT INTO {name} SELECT generate_series(1, 4)")
    statement = await conn.prepare(f"DELETE FROM {name} WHERE a > $1")
    analyzed = await statement.explain(1, analyze=True)
    assert analyzed[0]["Plan"]["Actual Rows"] == 0  # ModifyTable returns no rows
    assert await conn.fetchval(f"SELECT count(*) FROM {name}") == 4
    assert not conn.is_in_transaction()


async def test_explain_analyze_inside_a_transaction_uses_a_savepoint(
    conn: pgconn.Connection, table: MakeTable
) -> None:
    name = await table("a int")
    async with conn.transaction():
        await conn.execute(f"INSERT INTO {name} VALUES (1), (2)")
        await (await conn.prepare(f"DELETE FROM {name}")).explain(analyze=True)
        assert await conn.fetchval(f"SELECT count(*) FROM {name}") == 2
    assert await conn.fetchval(f"SELECT count(*) FROM {name}") == 2


@pytest.mark.parametrize("method", ["fetch", "fetchrow", "fetchval", "explain"])
async def test_methods_on_a_closed_connection(connect: ConnectionFactory, method: str) -> None:
    conn = await connect()
    statement = await conn.prepare("SELECT 1")
    await conn.close()
    message = f"cannot call PreparedStatement.{method}(): the underlying connection is closed"
    with pytest.raises(InterfaceError, match=message.replace("(", r"\(").replace(")", r"\)")):
        await getattr(statement, method)()


async def test_methods_on_a_closed_statement(conn: pgconn.Connection) -> None:
    # A statement becomes closed when its schema went stale (reference 4.2): a composite
    # type changed under it. Reproduce that and check the guard's message.
    await conn.execute("CREATE TYPE pg_temp.pair AS (a int, b int)")
    statement = await conn.prepare("SELECT ROW(1, 2)::pg_temp.pair")
    assert await statement.fetchval() == (1, 2)
    await conn.execute("ALTER TYPE pg_temp.pair ADD ATTRIBUTE c int")
    with pytest.raises(OutdatedSchemaCacheError):
        await statement.fetchval()
    for method in ("fetch", "fetchrow", "fetchval", "executemany", "fetchmany", "explain"):
        args: tuple[object, ...] = ([(1,)],) if method in ("executemany", "fetchmany") else ()
        expected = rf"cannot call PreparedStmt\.{method}\(\): the prepared statement is closed"
        with pytest.raises(InterfaceError, match=expected):
            await getattr(statement, method)(*args)
    assert await conn.fetchval("SELECT ROW(1, 2, 3)::pg_temp.pair") == (1, 2, 3)


SERVER_STATEMENTS = "SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE 'SELECT 4%'"


async def test_a_dropped_statement_is_closed_on_the_server(conn: pgconn.Connection) -> None:
    statement = await conn.prepare("SELECT 41")
    assert await conn.fetchval(SERVER_STATEMENTS) == 1
    del statement  # nothing refers to it any more
    # Its Close rides along with the next request.
    assert await conn.fetchval(SERVER_STATEMENTS) == 0
    # A name of the caller's own stays, dropped or not (EXECUTE can still reach it).
    named = await conn.prepare("SELECT 42", name="kept_statement")
    del named
    assert await conn.fetchval(SERVER_STATEMENTS) == 1
    assert await conn.fetchval("EXECUTE kept_statement") == 42


async def test_a_cursor_keeps_its_dropped_statement_open(conn: pgconn.Connection) -> None:
    async with conn.transaction():
        statement = await conn.prepare("SELECT 43 + generate_series(1, 10)")
        cursor = await statement.cursor()
        del statement
        # Closing the statement would close the portal: it stays while the cursor lives.
        assert await cursor.fetch(3) == [(44,), (45,), (46,)]
        assert await conn.fetchval(SERVER_STATEMENTS) == 1
        assert len(await cursor.fetch(100)) == 7
        del cursor
        assert await conn.fetchval(SERVER_STATEMENTS) == 0
