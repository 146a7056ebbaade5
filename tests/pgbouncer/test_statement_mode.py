"""Through PgBouncer in statement pooling mode, with ``statement_cache_size=0``.

Each statement may run on another server session, and PgBouncer refuses transaction blocks:
the queries, ``prepare()`` and ``executemany`` (one implicit transaction) work; ``BEGIN`` makes
PgBouncer close the client.
"""

from __future__ import annotations

import pytest

import pgasync
from tests.pgbouncer.bouncer import StatementLog
from tests.pgbouncer.fixtures import ConnectThrough, MakePgBouncer


async def test_queries_work_and_transactions_are_refused(
    make_pgbouncer: MakePgBouncer, through_bouncer: ConnectThrough, statement_log: StatementLog
) -> None:
    bouncer = make_pgbouncer(pool_mode="statement", pool_size=2)
    client = await through_bouncer(bouncer, statement_cache_size=0)
    assert await client.fetchval("SELECT $1::int + 1", 1) == 2
    statement = await client.prepare("SELECT $1::text")
    assert await statement.fetchval("x") == "x"
    await client.executemany("SELECT $1::int", [(1,), (2,)])
    assert await client.fetchval("SELECT 'sad'::mood") == "sad"
    with pytest.raises(pgasync.ConnectionDoesNotExistError) as raised:
        async with client.transaction():
            pass
    # PgBouncer's reason, sent as a FATAL error before it closed the client, is the cause.
    cause = raised.value.__cause__
    assert isinstance(cause, pgasync.PostgresError) and cause.sqlstate == "08P01"
    assert "transaction blocks not allowed in statement pooling mode" in str(cause)
    assert client.is_closed()
    assert statement_log.named_statements() == set()
