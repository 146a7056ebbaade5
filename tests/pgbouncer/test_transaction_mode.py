"""Every query form through PgBouncer in transaction pooling mode, with ``statement_cache_size=0``.

PgBouncer hands each transaction to whichever server connection is free. A second client, the
:class:`~tests.pgbouncer.bouncer.Hog`, makes a client's consecutive requests land on different
server connections; ``test_hog_moves_the_client`` checks that this really happens, the other
tests rely on it.

After each test the server's log (``log_min_duration_statement = 0`` on the database) must
show Parse, Bind and Execute steps, none of them of a named statement.
"""

from __future__ import annotations

import decimal
import io
import itertools
import json
from collections.abc import AsyncIterator, Iterator

import pytest

import pgasync
from tests.pgbouncer.bouncer import Hog, PgBouncer, StatementLog
from tests.pgbouncer.fixtures import ConnectThrough, MakePgBouncer

_tables = itertools.count(1)


@pytest.fixture
def bouncer(make_pgbouncer: MakePgBouncer) -> PgBouncer:
    """PgBouncer in transaction mode with two server connections."""
    return make_pgbouncer(pool_mode="transaction", pool_size=2)


@pytest.fixture
async def client(bouncer: PgBouncer, through_bouncer: ConnectThrough) -> pgasync.Connection:
    """A client of ``bouncer`` with the statement cache off."""
    return await through_bouncer(bouncer, statement_cache_size=0)


@pytest.fixture
async def hog(bouncer: PgBouncer, through_bouncer: ConnectThrough) -> Hog:
    """Another client, to move ``client`` from one server connection to the other."""
    return Hog(await through_bouncer(bouncer, statement_cache_size=0))


@pytest.fixture(autouse=True)
def no_named_statements(statement_log: StatementLog) -> Iterator[None]:
    """After the test: the server parsed statements, and never a named one."""
    yield
    steps = statement_log.steps()
    assert ("parse", "<unnamed>") in steps, "the server logged no Parse: is the statement log on?"
    assert statement_log.named_statements() == set()


@pytest.fixture
async def table(client: pgasync.Connection) -> AsyncIterator[str]:
    """A new table ``(id int PRIMARY KEY, name text)``, dropped after the test."""
    name = f"bouncer_test_{next(_tables)}"
    await client.execute(f"CREATE TABLE {name} (id int PRIMARY KEY, name text)")
    yield name
    await client.execute(f"DROP TABLE IF EXISTS {name}")


async def test_hog_moves_the_client(client: pgasync.Connection, hog: Hog) -> None:
    first = await client.fetchval("SELECT pg_backend_pid()")
    assert await hog.take() == first  # the hog holds the server connection the client used
    second = await client.fetchval("SELECT pg_backend_pid()")
    assert second != first
    await hog.give()


async def test_execute_without_and_with_arguments(client: pgasync.Connection, hog: Hog, table: str) -> None:
    assert await client.execute(
        f"INSERT INTO {table} VALUES (1, 'one'); INSERT INTO {table} VALUES (2, 'two')"
    ) == ("INSERT 0 1")
    await hog.take()
    assert await client.execute(f"INSERT INTO {table} VALUES ($1, $2)", 3, "three") == "INSERT 0 1"
    await hog.give()
    assert await client.execute(f"UPDATE {table} SET name = upper(name) WHERE id > $1", 1) == "UPDATE 2"
    assert await client.fetch(f"SELECT id, name FROM {table} ORDER BY id") == [
        (1, "one"),
        (2, "TWO"),
        (3, "THREE"),
    ]


async def test_fetch_fetchrow_fetchval_fetchmany(client: pgasync.Connection, hog: Hog) -> None:
    query = "SELECT g, g * $1::int AS double FROM generate_series(1, 3) AS g"
    assert await client.fetch(query, 2) == [(1, 2), (2, 4), (3, 6)]
    await hog.take()
    row = await client.fetchrow(query, 10)
    assert row is not None and row["double"] == 10
    await hog.give()
    assert await client.fetchval("SELECT $1::text || $2::text", "a", "b") == "ab"
    await hog.take()
    assert await client.fetchval(query, 3, column="double") == 3
    assert await client.fetchmany("SELECT $1::int + 1", [(1,), (2,)]) == [(2,), (3,)]
    await hog.give()
    assert await client.fetchrow("SELECT 1 WHERE false") is None


async def test_executemany_short_and_streamed(client: pgasync.Connection, hog: Hog, table: str) -> None:
    await client.executemany(f"INSERT INTO {table} VALUES ($1, $2)", [(1, "a"), (2, "b")])
    await hog.take()
    # More than one batch (1,000 sets): streamed in one extended-query cycle.
    await client.executemany(f"INSERT INTO {table} VALUES ($1, $2)", ((i, str(i)) for i in range(3, 2503)))
    await hog.give()
    assert await client.fetchval(f"SELECT count(*) FROM {table}") == 2502
    # Atomic outside a transaction: a failing set (a duplicate key) leaves nothing behind.
    with pytest.raises(pgasync.exceptions.UniqueViolationError):
        await client.executemany(f"INSERT INTO {table} VALUES ($1, $2)", [(9000, "x"), (1, "dup")])
    assert await client.fetchval(f"SELECT count(*) FROM {table} WHERE id = 9000") == 0


async def test_prepared_statement_survives_server_switches(
    client: pgasync.Connection, hog: Hog, table: str
) -> None:
    statement = await client.prepare("SELECT $1::int * 2 AS doubled")
    assert statement.get_name() == ""
    assert [attribute.name for attribute in statement.get_attributes()] == ["doubled"]
    await hog.take()  # the next request goes to the other server connection
    assert await statement.fetchval(21) == 42
    assert await client.fetchval("SELECT 'another query'") == "another query"
    assert await statement.fetch(1) == [(2,)]
    await hog.give()
    assert await statement.fetchrow(5) == (10,)
    insert = await client.prepare(f"INSERT INTO {table} VALUES ($1, $2)")
    await hog.take()
    await insert.executemany([(1, "a"), (2, "b")])
    await hog.give()
    assert await client.fetchval(f"SELECT count(*) FROM {table}") == 2


async def test_cursors_in_a_transaction(client: pgasync.Connection, hog: Hog) -> None:
    query = "SELECT g FROM generate_series(1, $1::int) AS g"
    await hog.take()
    async with client.transaction():
        assert [row[0] async for row in client.cursor(query, 250, prefetch=100)] == list(range(1, 251))
        cursor = await client.cursor(query, 10)
        assert await cursor.fetch(3) == [(1,), (2,), (3,)]
        assert await cursor.fetchrow() == (4,)
        await cursor.forward(2)
        assert await cursor.fetch(10) == [(7,), (8,), (9,), (10,)]
        scrollable = await client.cursor(query, 5, scrollable=True)
        assert await scrollable.fetch(5) == [(i,) for i in range(1, 6)]
        await scrollable.scroll(-3)
        assert await scrollable.fetchrow() == (3,)
        statement = await client.prepare(query)
        assert [row[0] async for row in statement.cursor(4)] == [1, 2, 3, 4]
    await hog.give()


async def test_copy_in_and_out(client: pgasync.Connection, hog: Hog, table: str) -> None:
    assert await client.copy_to_table(table, source=io.BytesIO(b"1\tone\n2\ttwo\n")) == "COPY 2"
    await hog.take()
    assert await client.copy_records_to_table(table, records=[(3, "three"), (4, None)]) == "COPY 2"
    await hog.give()
    out = io.BytesIO()
    assert await client.copy_from_table(table, output=out, columns=["id"]) == "COPY 4"
    assert out.getvalue() == b"1\n2\n3\n4\n"
    await hog.take()
    out = io.BytesIO()
    assert await client.copy_from_query(
        f"SELECT name FROM {table} WHERE id > $1 ORDER BY id", 2, output=out
    ) == ("COPY 2")
    assert out.getvalue() == b"three\n\\N\n"
    await hog.give()
    async with client.transaction():
        await client.copy_records_to_table(table, records=[(5, "five")])
    assert await client.fetchval(f"SELECT name FROM {table} WHERE id = 5") == "five"


async def test_transactions_and_savepoints(client: pgasync.Connection, hog: Hog, table: str) -> None:
    await hog.take()
    async with client.transaction():
        await client.execute(f"INSERT INTO {table} VALUES (1, 'kept')")
        try:
            async with client.transaction():  # a savepoint
                await client.execute(f"INSERT INTO {table} VALUES ($1, $2)", 2, "rolled back")
                raise RuntimeError("roll back to the savepoint")
        except RuntimeError:
            pass
        async with client.transaction():
            await client.execute(f"INSERT INTO {table} VALUES ($1, $2)", 3, "released")
    await hog.give()
    transaction = client.transaction(isolation="repeatable_read")
    await transaction.start()
    await client.execute(f"INSERT INTO {table} VALUES (4, 'not committed')")
    await transaction.rollback()
    assert not client.is_in_transaction()
    assert await client.fetch(f"SELECT id FROM {table} ORDER BY id") == [(1,), (3,)]


async def test_type_introspection_and_codecs(client: pgasync.Connection, hog: Hog) -> None:
    # Unknown types (an enum, a composite, their arrays) are introspected on first use.
    assert await client.fetchval("SELECT 'happy'::mood") == "happy"
    await hog.take()
    pair = await client.fetchval("SELECT ROW(1.5, 'EUR')::money_pair")
    assert (pair["amount"], pair["currency"]) == (decimal.Decimal("1.5"), "EUR")
    assert await client.fetchval("SELECT $1::mood[]", ["sad", "ok"]) == ["sad", "ok"]
    await hog.give()
    await client.set_type_codec("mood", encoder=str.lower, decoder=str.upper)
    assert await client.fetchval("SELECT $1::mood", "OK") == "OK"
    await hog.take()
    await client.set_type_codec("json", schema="pg_catalog", encoder=json.dumps, decoder=json.loads)
    assert await client.fetchval("SELECT $1::json", {"a": [1, 2]}) == {"a": [1, 2]}
    await hog.give()
    await client.reset_type_codec("mood")
    assert await client.fetchval("SELECT 'sad'::mood") == "sad"


async def test_timeout_cancels_through_pgbouncer(client: pgasync.Connection, hog: Hog) -> None:
    # The CancelRequest goes to PgBouncer, which passes it to the server session running it.
    with pytest.raises(TimeoutError):
        await client.fetchval("SELECT pg_sleep($1::float8)", 30.0, timeout=0.5)
    await hog.take()
    assert await client.fetchval("SELECT $1::int", 7, timeout=10) == 7
    await hog.give()
    # The interrupted statement is over: no server session still runs it.
    running = (
        "SELECT count(*) FROM pg_stat_activity WHERE state = 'active' AND query LIKE 'SELECT pg_sleep(%'"
    )
    assert await client.fetchval(running) == 0


async def test_set_outside_a_transaction_stays_on_the_server_session(
    client: pgasync.Connection, hog: Hog
) -> None:
    # Why docs/pgbouncer.md advises SET LOCAL: a plain SET belongs to the server session, and
    # the next client there inherits it, while the client that set it may move on.
    await client.execute("SET work_mem = '7MB'")
    await hog.take()  # the server session the SET ran on
    assert await hog.connection.fetchval("SHOW work_mem") == "7MB"
    assert await client.fetchval("SHOW work_mem") != "7MB"  # the other server session
    async with client.transaction():
        await client.execute("SET LOCAL work_mem = '9MB'")
        assert await client.fetchval("SHOW work_mem") == "9MB"
    await hog.give()
