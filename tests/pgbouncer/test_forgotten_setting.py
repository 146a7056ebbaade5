"""What a user sees who forgets ``statement_cache_size=0`` behind a transaction-mode PgBouncer.

The statement cache prepares named statements (``__pgconn_stmt_N__``) on one server session
and uses them later, when PgBouncer may have handed the client another one: the statement
does not exist there (``InvalidSQLStatementNameError``); and a second process numbers its
statements from 1 too, so its first one may already exist on a server session that the first
process used (``DuplicatePreparedStatementError``). Both errors say what to set.
"""

from __future__ import annotations

import pytest

import pgasync
from tests.pgbouncer.bouncer import run_client_process
from tests.pgbouncer.fixtures import ConnectThrough, MakePgBouncer


def assert_explains_the_settings(text: str) -> None:
    assert "PgBouncer" in text
    assert "statement_cache_size=0" in text
    assert "max_prepared_statements" in text


async def test_statement_missing_on_the_next_server_session(
    make_pgbouncer: MakePgBouncer, through_bouncer: ConnectThrough
) -> None:
    bouncer = make_pgbouncer(pool_mode="transaction", pool_size=2)
    client = await through_bouncer(bouncer)  # the default statement cache
    other = await through_bouncer(bouncer)
    assert await client.fetchval("SELECT $1::int * 2", 21) == 42  # prepared on server session A
    async with other.transaction():  # the other client holds session A (PgBouncer reuses LIFO)
        with pytest.raises(pgasync.exceptions.InvalidSQLStatementNameError) as raised:
            await client.fetchval("SELECT $1::int * 2", 21)  # the cached statement, on session B
    error = raised.value
    assert error.sqlstate == "26000"
    assert (
        error.message is not None and "__pgconn_stmt_" in error.message and "does not exist" in error.message
    )
    assert_explains_the_settings(str(error))
    # The connection itself is fine: a query it has not cached is prepared where it runs.
    assert await client.fetchval("SELECT 'still usable'") == "still usable"


def test_statement_already_exists_for_a_second_process(make_pgbouncer: MakePgBouncer) -> None:
    # One server session: both processes' first statement, __pgconn_stmt_1__, lands on it, and
    # in transaction mode PgBouncer does not clean a session when its client disconnects.
    bouncer = make_pgbouncer(pool_mode="transaction", pool_size=1)
    assert run_client_process(bouncer) is None
    error = run_client_process(bouncer)
    assert error is not None
    assert error["class"] == "DuplicatePreparedStatementError" and error["sqlstate"] == "42P05"
    assert '"__pgconn_stmt_1__" already exists' in error["text"]
    assert_explains_the_settings(error["text"])


def test_session_mode_cleans_up_between_clients(make_pgbouncer: MakePgBouncer) -> None:
    # The same two processes in session mode: PgBouncer runs DISCARD ALL (server_reset_query)
    # when a client leaves, so the second process's statement of the same name is no clash.
    bouncer = make_pgbouncer(pool_mode="session", pool_size=1)
    assert run_client_process(bouncer) is None
    assert run_client_process(bouncer) is None
