"""Through PgBouncer in session pooling mode, with pgasync's default settings.

A client keeps one server session from login to logout, so the statement cache's named
statements work as with a direct connection. These tests also show that the server's
statement log sees named statements when they are used (what the transaction-mode tests
assert never happens there).
"""

from __future__ import annotations

import asyncio
import io

import pgasync
from tests.pgbouncer.bouncer import PgBouncer, StatementLog
from tests.pgbouncer.fixtures import ConnectThrough, MakePgBouncer


async def test_query_forms_with_the_statement_cache(
    make_pgbouncer: MakePgBouncer, through_bouncer: ConnectThrough, statement_log: StatementLog
) -> None:
    bouncer: PgBouncer = make_pgbouncer(pool_mode="session", pool_size=2)
    client = await through_bouncer(bouncer)
    other = await through_bouncer(bouncer)
    assert await client.fetchval("SELECT $1::int * 2", 21) == 42
    async with other.transaction():
        assert await other.fetchval("SELECT 1") == 1
        assert await client.fetchval("SELECT $1::int * 2", 4) == 8  # the cached statement
    statement = await client.prepare("SELECT $1::mood")
    assert statement.get_name().startswith("__pgconn_stmt_")
    assert await statement.fetchval("ok") == "ok"
    assert await client.fetchval("SELECT count(*) FROM pg_prepared_statements") >= 2
    await client.execute("CREATE TEMPORARY TABLE notes (id int, body text)")  # a session's own
    await client.copy_records_to_table("notes", records=[(1, "a"), (2, "b")])
    await client.executemany("INSERT INTO notes VALUES ($1, $2)", [(3, "c")])
    out = io.BytesIO()
    assert await client.copy_from_query("SELECT id FROM notes ORDER BY id", output=out) == "COPY 3"
    assert out.getvalue() == b"1\n2\n3\n"
    async with client.transaction():
        assert [row[0] async for row in client.cursor("SELECT id FROM notes ORDER BY id", prefetch=2)] == [
            1,
            2,
            3,
        ]
        async with client.transaction():
            await client.execute("DELETE FROM notes")
    # A holdable cursor and session settings outlive transactions in session mode.
    await client.execute("SET application_name = 'session-kept'")
    cursor = await client.cursor("SELECT g FROM generate_series(1, 3) AS g", hold=True)
    assert await cursor.fetch(2) == [(1,), (2,)]
    assert await client.fetchval("SHOW application_name") == "session-kept"
    await client.set_type_codec("mood", encoder=str.lower, decoder=str.upper)
    assert await client.fetchval("SELECT 'happy'::mood") == "HAPPY"
    named = statement_log.named_statements()
    assert named and all(name.startswith("__pgconn_stmt_") for name in named)


async def test_pool_with_default_settings(make_pgbouncer: MakePgBouncer, statement_log: StatementLog) -> None:
    bouncer = make_pgbouncer(pool_mode="session", pool_size=2)
    async with pgasync.create_pool(bouncer.dsn(), min_size=2, max_size=2) as pool:

        async def work(task: int) -> int:
            async with pool.acquire() as connection, connection.transaction():
                value: int = await connection.fetchval("SELECT $1::int + 1", task)
                return value

        assert await asyncio.gather(*(work(task) for task in range(10))) == list(range(1, 11))
        assert await pool.fetchval("SELECT 'ok'::mood") == "ok"
    assert statement_log.named_statements()
