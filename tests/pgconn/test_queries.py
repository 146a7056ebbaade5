"""Connection query methods against a real server: execute, fetch*, executemany, fetchmany."""

from __future__ import annotations

import pytest

import pgconn
from pgtypes import Record
from pgwire.exceptions import (
    DataError,
    InterfaceError,
    PostgresSyntaxError,
    QueryCanceledError,
    UniqueViolationError,
)
from tests.pgconn.conftest import ConnectionFactory, MakeTable


class MyRecord(Record):
    """A record class of the tests' own, to see which class rows come back as."""


def record_class_of(row: object) -> type:
    """The record class a row was made as (rows are of a per-shape subclass of it)."""
    assert isinstance(row, Record)
    return type(row).__mro__[1]


class OtherRecord(Record):
    """A second record class, for the per-call versus per-connection choice."""


# -- execute: status strings (reference 3.2) --------------------------------------------------


@pytest.mark.parametrize(
    ("sql", "status"),
    [
        ("SELECT generate_series(1, 3)", "SELECT 3"),
        ("VALUES (1), (2)", "SELECT 2"),
        ("SELECT 1; SELECT generate_series(0, 9)", "SELECT 10"),
        ("SET search_path = public", "SET"),
        ("RESET search_path", "RESET"),
        ("SHOW search_path", "SHOW"),
        ("DO $$ BEGIN END $$", "DO"),
        ("BEGIN; SAVEPOINT s; RELEASE s; ROLLBACK", "ROLLBACK"),
        ("LISTEN pgconn_chan; UNLISTEN *", "UNLISTEN"),
        ("BEGIN; DECLARE c CURSOR FOR SELECT 1; CLOSE c; COMMIT", "COMMIT"),
        ("BEGIN; DECLARE c CURSOR FOR SELECT 1; CLOSE c", "CLOSE CURSOR"),
    ],
)
async def test_execute_status_of_utility_statements(conn: pgconn.Connection, sql: str, status: str) -> None:
    assert await conn.execute(sql) == status


async def test_execute_dml_statuses(conn: pgconn.Connection, table: MakeTable) -> None:
    name = await table("a int")
    assert await conn.execute(f"INSERT INTO {name} SELECT generate_series(1, 5)") == "INSERT 0 5"
    assert await conn.execute(f"INSERT INTO {name} SELECT 1 WHERE false") == "INSERT 0 0"
    assert await conn.execute(f"UPDATE {name} SET a = a + 1 WHERE a > 2") == "UPDATE 3"
    assert await conn.execute(f"DELETE FROM {name} WHERE a > 4") == "DELETE 2"
    assert await conn.execute(f"TRUNCATE {name}") == "TRUNCATE TABLE"
    assert await conn.execute("CREATE TEMP TABLE pgconn_status_t (a int)") == "CREATE TABLE"
    assert await conn.execute("CREATE TEMP TABLE pgconn_status_s AS SELECT 1 AS a") == "SELECT 1"
    assert await conn.execute("DROP TABLE pgconn_status_t, pgconn_status_s") == "DROP TABLE"


@pytest.mark.parametrize("sql", ["", "   ", "\n;", "-- only a comment"])
async def test_execute_empty_query_returns_empty_status(conn: pgconn.Connection, sql: str) -> None:
    # Appendix A2: asyncpg fails with AttributeError here; an empty query has no status.
    assert await conn.execute(sql) == ""
    assert await conn.fetchval("SELECT 1") == 1


async def test_fetch_of_empty_query(conn: pgconn.Connection) -> None:
    assert await conn.fetch("") == []
    assert await conn.fetchrow("") is None
    assert await conn.fetchval("") is None


async def test_execute_with_args_uses_extended_protocol(conn: pgconn.Connection, table: MakeTable) -> None:
    name = await table("a int, b text")
    assert await conn.execute(f"INSERT INTO {name} VALUES ($1, $2), ($1 + 1, $2)", 1, "x") == "INSERT 0 2"
    assert await conn.execute(f"UPDATE {name} SET b = $1 WHERE a = $2", "y", 2) == "UPDATE 1"
    assert await conn.execute("SELECT $1::int", 5) == "SELECT 1"
    assert await conn.fetch(f"SELECT a, b FROM {name} ORDER BY a") == [(1, "x"), (2, "y")]


async def test_execute_with_args_refuses_several_statements(conn: pgconn.Connection) -> None:
    with pytest.raises(PostgresSyntaxError, match="cannot insert multiple commands"):
        await conn.execute("SELECT $1::int; SELECT 2", 1)
    assert await conn.fetchval("SELECT 7") == 7


async def test_execute_multi_statement_error_runs_in_one_implicit_transaction(
    conn: pgconn.Connection, table: MakeTable
) -> None:
    name = await table("a int primary key")
    with pytest.raises(UniqueViolationError):
        await conn.execute(f"INSERT INTO {name} VALUES (1); INSERT INTO {name} VALUES (1)")
    assert await conn.fetchval(f"SELECT count(*) FROM {name}") == 0
    assert not conn.is_in_transaction()


async def test_copy_from_stdin_through_execute_fails_cleanly(
    conn: pgconn.Connection, table: MakeTable
) -> None:
    # Appendix A9: asyncpg hangs here and the connection is lost; ours refuses the COPY.
    name = await table("a int")
    with pytest.raises(QueryCanceledError, match="COPY FROM STDIN is not supported"):
        await conn.execute(f"COPY {name} FROM STDIN", timeout=5)
    assert await conn.fetchval("SELECT 41 + 1") == 42
    assert not conn.is_in_transaction()
    assert await conn.fetchval(f"SELECT count(*) FROM {name}") == 0


async def test_copy_to_stdout_through_execute_returns_the_status(conn: pgconn.Connection) -> None:
    assert await conn.execute("COPY (SELECT generate_series(1, 4)) TO STDOUT") == "COPY 4"
    assert await conn.fetchval("SELECT 'ok'") == "ok"


# -- fetch, fetchrow, fetchval ---------------------------------------------------------------------


async def test_fetch_rows_and_records(conn: pgconn.Connection) -> None:
    rows = await conn.fetch("SELECT g AS n, g::text AS t FROM generate_series(1, 3) AS g")
    assert [tuple(row) for row in rows] == [(1, "1"), (2, "2"), (3, "3")]
    assert all(record_class_of(row) is Record for row in rows)
    assert rows[1]["t"] == "2"
    assert list(rows[0].keys()) == ["n", "t"]


async def test_fetch_empty_and_nulls(conn: pgconn.Connection) -> None:
    assert await conn.fetch("SELECT 1 WHERE false") == []
    assert await conn.fetchrow("SELECT 1 WHERE false") is None
    assert await conn.fetchval("SELECT 1 WHERE false") is None
    row = await conn.fetchrow("SELECT NULL::int AS a, NULL::text AS b, 3 AS c")
    assert row is not None
    assert tuple(row) == (None, None, 3)
    assert await conn.fetchval("SELECT $1::int", None) is None


async def test_fetchrow_returns_first_row_only(conn: pgconn.Connection) -> None:
    row = await conn.fetchrow("SELECT g FROM generate_series(5, 100) AS g")
    assert row is not None and row[0] == 5
    # The portal was suspended; the connection is in sync and not in a transaction.
    assert not conn.is_in_transaction()
    assert await conn.fetchval("SELECT 2") == 2


async def test_fetchval_column_by_index_and_name(conn: pgconn.Connection) -> None:
    query = "SELECT 1 AS a, 'two' AS b, 3.5::float8 AS c"
    assert await conn.fetchval(query) == 1
    assert await conn.fetchval(query, column=1) == "two"
    assert await conn.fetchval(query, column=-1) == 3.5
    assert await conn.fetchval(query, column="b") == "two"
    with pytest.raises(IndexError):
        await conn.fetchval(query, column=3)
    with pytest.raises(KeyError):
        await conn.fetchval(query, column="nope")


async def test_fetch_with_arguments(conn: pgconn.Connection) -> None:
    rows = await conn.fetch("SELECT $1::int + g, $2::text FROM generate_series(1, 2) AS g", 10, "s")
    assert rows == [(11, "s"), (12, "s")]


async def test_many_rows_are_all_correct(conn: pgconn.Connection) -> None:
    rows = await conn.fetch("SELECT g, g::text, g % 7 = 0 FROM generate_series(1, 100000) AS g")
    assert len(rows) == 100000
    assert all(row[0] == i and row[1] == str(i) and row[2] == (i % 7 == 0) for i, row in enumerate(rows, 1))


async def test_record_class_per_call_and_per_connection(connect: ConnectionFactory) -> None:
    plain = await connect()
    row = await plain.fetchrow("SELECT 1 AS a", record_class=MyRecord)
    assert record_class_of(row) is MyRecord
    assert repr(row) == "<MyRecord a=1>"
    assert record_class_of(await plain.fetchrow("SELECT 1 AS a")) is Record
    custom = await connect(record_class=MyRecord)
    assert record_class_of(await custom.fetchrow("SELECT 1 AS a")) is MyRecord
    assert all(record_class_of(r) is MyRecord for r in await custom.fetch("SELECT 1 UNION ALL SELECT 2"))
    # The per-call class wins over the connection's.
    assert record_class_of(await custom.fetchrow("SELECT 1 AS a", record_class=OtherRecord)) is OtherRecord
    many = await custom.fetchmany("SELECT $1::int", [(1,)], record_class=OtherRecord)
    assert record_class_of(many[0]) is OtherRecord
    statement = await custom.prepare("SELECT 1 AS a")
    assert record_class_of(await statement.fetchrow()) is MyRecord


# -- executemany and fetchmany -------------------------------------------------------------------


async def test_executemany_inserts_every_row(conn: pgconn.Connection, table: MakeTable) -> None:
    name = await table("a int, b text")
    await conn.executemany(f"INSERT INTO {name} VALUES ($1, $2)", [(i, str(i)) for i in range(500)])
    assert await conn.fetchval(f"SELECT count(*) FROM {name}") == 500
    assert await conn.fetchval(f"SELECT sum(a) FROM {name}") == sum(range(500))


async def test_executemany_accepts_a_generator_and_empty_input(
    conn: pgconn.Connection, table: MakeTable
) -> None:
    name = await table("a int")
    await conn.executemany(f"INSERT INTO {name} VALUES ($1)", ((i,) for i in range(3)))
    await conn.executemany(f"INSERT INTO {name} VALUES ($1)", [])
    assert await conn.fetchval(f"SELECT count(*) FROM {name}") == 3


async def test_executemany_is_atomic_outside_a_transaction(conn: pgconn.Connection, table: MakeTable) -> None:
    name = await table("a int primary key")
    rows = [(1,), (2,), (1,), (4,), (5,)]  # row 3 violates the key
    with pytest.raises(UniqueViolationError):
        await conn.executemany(f"INSERT INTO {name} VALUES ($1)", rows)
    assert await conn.fetchval(f"SELECT count(*) FROM {name}") == 0
    assert not conn.is_in_transaction()


async def test_executemany_bad_argument_sends_nothing(conn: pgconn.Connection, table: MakeTable) -> None:
    name = await table("a int")
    with pytest.raises(DataError, match=r"\$1"):
        await conn.executemany(f"INSERT INTO {name} VALUES ($1)", [(1,), (2,), ("x",)])
    assert await conn.fetchval(f"SELECT count(*) FROM {name}") == 0


async def test_executemany_inside_a_transaction_fails_the_transaction(
    conn: pgconn.Connection, table: MakeTable
) -> None:
    name = await table("a int primary key")
    with pytest.raises(UniqueViolationError):
        async with conn.transaction():
            await conn.execute(f"INSERT INTO {name} VALUES (10)")
            await conn.executemany(f"INSERT INTO {name} VALUES ($1)", [(1,), (1,)])
    assert await conn.fetchval(f"SELECT count(*) FROM {name}") == 0


async def test_fetchmany_collects_rows_of_every_execution(conn: pgconn.Connection, table: MakeTable) -> None:
    name = await table("a serial, b text")
    rows = await conn.fetchmany(
        f"INSERT INTO {name} (b) VALUES ($1) RETURNING a, b", [("x",), ("y",), ("z",)]
    )
    assert rows == [(1, "x"), (2, "y"), (3, "z")]
    assert await conn.fetchmany(f"INSERT INTO {name} (b) VALUES ($1)", [("w",)]) == []
    assert await conn.fetchmany("SELECT $1::int", []) == []


# -- argument checks -----------------------------------------------------------------------------


async def test_wrong_argument_count_is_an_interface_error(conn: pgconn.Connection) -> None:
    with pytest.raises(InterfaceError, match="the server expects 1 argument for this query, 2 were passed"):
        await conn.fetchval("SELECT $1::int", 1, 2)
    with pytest.raises(InterfaceError, match="the server expects 2 arguments for this query, 0 were passed"):
        await conn.fetch("SELECT $1::int, $2::int")
    assert await conn.fetchval("SELECT $1::int", 3) == 3


async def test_invalid_timeout_values(conn: pgconn.Connection) -> None:
    with pytest.raises(ValueError, match="invalid timeout value"):
        await conn.fetchval("SELECT 1", timeout=True)
    with pytest.raises(ValueError, match="invalid timeout value"):
        await conn.fetchval("SELECT 1", timeout="soon")  # type: ignore[arg-type]  # a str on purpose
    with pytest.raises(TimeoutError):
        await conn.fetchval("SELECT 1", timeout=0)
    with pytest.raises(TimeoutError):
        await conn.execute("SELECT 1", timeout=-1)
    assert await conn.fetchval("SELECT 1", timeout=5) == 1
