"""A pool of pgasync connections (``pgasync.create_pool``) through PgBouncer in transaction mode.

More pool connections than PgBouncer has server connections, many tasks at once: each
connection's requests land on whichever server connection is free, and no named statement
reaches the server. On release the pool rolls back an open transaction and, by default, runs
the reset query; in transaction mode that query reaches some server connection (not "the
session" of the pool's connection, which PgBouncer does not keep), so a pool behind a
transaction-mode PgBouncer may pass a ``reset`` hook that skips it.
"""

from __future__ import annotations

import asyncio
import itertools

import pgasync
from tests.pgbouncer.bouncer import PgBouncer, StatementLog
from tests.pgbouncer.fixtures import MakePgBouncer

_RESET_QUERY_START = "statement: SELECT pg_advisory_unlock_all();"
_tables = itertools.count(1)


async def no_server_reset(connection: pgasync.Connection) -> None:
    """A pool ``reset`` hook for transaction mode: nothing to undo on a server session."""


def assert_only_unnamed(statement_log: StatementLog) -> None:
    assert ("parse", "<unnamed>") in statement_log.steps()
    assert statement_log.named_statements() == set()


async def test_many_tasks_over_four_connections_and_two_servers(
    make_pgbouncer: MakePgBouncer, statement_log: StatementLog
) -> None:
    bouncer = make_pgbouncer(pool_mode="transaction", pool_size=2)
    table = f"bouncer_pool_{next(_tables)}"
    async with pgasync.create_pool(bouncer.dsn(), statement_cache_size=0, min_size=4, max_size=4) as pool:
        await pool.execute(f"CREATE TABLE {table} (task int, step int, pid int)")
        clients: set[int] = set()

        async def work(task: int) -> set[int]:
            servers: set[int] = set()
            for step in range(5):
                async with pool.acquire() as connection:
                    clients.add(id(connection._con))  # the connection behind the proxy
                    servers.add(await connection.fetchval("SELECT pg_backend_pid() + $1::int * 0", step))
                    async with connection.transaction():
                        pid = await connection.fetchval("SELECT pg_backend_pid()")
                        statement = await connection.prepare(f"INSERT INTO {table} VALUES ($1, $2, $3)")
                        await statement.fetch(task, step, pid)
                        async with connection.transaction():
                            await connection.executemany(
                                f"INSERT INTO {table} VALUES ($1, $2, $3)", [(task, -step, pid)]
                            )
                        # A transaction keeps one server connection from BEGIN to COMMIT.
                        assert await connection.fetchval("SELECT pg_backend_pid()") == pid
                assert await pool.fetchval("SELECT $1::int", task) == task
            return servers

        seen = await asyncio.gather(*(work(task) for task in range(20)))
        servers = set().union(*seen)
        assert len(clients) == 4
        assert len(servers) == 2  # PgBouncer's two server connections served all four
        assert await pool.fetchval(f"SELECT count(*) FROM {table}") == 200
        assert await pool.fetchval(f"SELECT count(DISTINCT pid) FROM {table}") == 2
        await pool.execute(f"DROP TABLE {table}")
    assert_only_unnamed(statement_log)


async def test_release_resets_through_pgbouncer(
    make_pgbouncer: MakePgBouncer, statement_log: StatementLog
) -> None:
    bouncer = make_pgbouncer(pool_mode="transaction", pool_size=1)
    async with pgasync.create_pool(bouncer.dsn(), statement_cache_size=0, min_size=1, max_size=1) as pool:
        async with pool.acquire() as connection:
            # A transaction left open is rolled back at release: the server connection goes
            # back to PgBouncer (it would stay pinned to this client otherwise).
            await connection.execute("BEGIN; CREATE TEMPORARY TABLE left_open (a int)")
        async with pool.acquire() as connection:
            assert not connection.is_in_transaction()
            assert await connection.fetchval("SELECT to_regclass('pg_temp.left_open')") is None
    assert statement_log.text().count(_RESET_QUERY_START) == 2  # the default reset ran each time
    assert_only_unnamed(statement_log)


async def test_reset_hook_skips_the_reset_query(
    make_pgbouncer: MakePgBouncer, statement_log: StatementLog
) -> None:
    bouncer = make_pgbouncer(pool_mode="transaction", pool_size=1)
    async with pgasync.create_pool(
        bouncer.dsn(), statement_cache_size=0, min_size=1, max_size=1, reset=no_server_reset
    ) as pool:
        for _ in range(3):
            async with pool.acquire() as connection:
                await connection.execute("BEGIN")  # still rolled back by the pool
                assert await connection.fetchval("SELECT $1::int", 1) == 1
        async with pool.acquire() as connection:
            assert not connection.is_in_transaction()
        assert await pool.fetchval("SELECT 2") == 2
    log = statement_log.text()
    assert _RESET_QUERY_START not in log
    assert log.count("statement: ROLLBACK") == 3
    assert_only_unnamed(statement_log)


async def test_pool_without_statement_cache_size_fails_with_the_hint(make_pgbouncer: MakePgBouncer) -> None:
    bouncer: PgBouncer = make_pgbouncer(pool_mode="transaction", pool_size=2)
    async with pgasync.create_pool(bouncer.dsn(), min_size=2, max_size=2) as pool:
        first, second = await pool.acquire(), await pool.acquire()
        try:
            await first.fetchval("SELECT $1::int", 1)  # prepared as a named statement, released
            await second.execute("BEGIN")  # takes that server connection (LIFO)
            try:
                await first.fetchval("SELECT $1::int", 1)
            except pgasync.exceptions.InvalidSQLStatementNameError as error:
                assert "statement_cache_size=0" in str(error)
            else:
                raise AssertionError("expected InvalidSQLStatementNameError")
        finally:
            await pool.release(first)
            await pool.release(second)
