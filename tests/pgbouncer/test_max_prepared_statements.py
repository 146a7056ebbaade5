"""Transaction mode with PgBouncer's ``max_prepared_statements`` above 0 (PgBouncer 1.21 and later).

PgBouncer then keeps track of the named statements its clients prepare (protocol-level Parse,
Bind, Describe, Close), prepares them under names of its own on whichever server connection
runs them, so pgasync's default statement cache works in transaction mode. Skipped with an
older PgBouncer, which has no such setting and refuses to start with it (Debian 12 ships 1.18).
"""

from __future__ import annotations

import pytest

from tests.pgbouncer.bouncer import (
    PREPARED_STATEMENTS_VERSION,
    Hog,
    PgBouncer,
    PgBouncerError,
    StatementLog,
    run_client_process,
)
from tests.pgbouncer.fixtures import ConnectThrough, MakePgBouncer


@pytest.fixture
def bouncer(make_pgbouncer: MakePgBouncer, pgbouncer_version: tuple[int, int, int]) -> PgBouncer:
    """Transaction mode, two server connections, ``max_prepared_statements = 100``."""
    if pgbouncer_version < PREPARED_STATEMENTS_VERSION:
        have = ".".join(map(str, pgbouncer_version))
        pytest.skip(f"max_prepared_statements needs PgBouncer 1.21 or later; this one is {have}")
    return make_pgbouncer(pool_mode="transaction", pool_size=2, max_prepared_statements=100)


async def test_statement_cache_across_server_switches(
    bouncer: PgBouncer, through_bouncer: ConnectThrough, statement_log: StatementLog
) -> None:
    client = await through_bouncer(bouncer)  # the default statement cache
    hog = Hog(await through_bouncer(bouncer))
    assert await client.fetchval("SELECT $1::int * 2", 21) == 42
    await hog.take()
    assert await client.fetchval("SELECT $1::int * 2", 2) == 4  # cached, on the other server session
    statement = await client.prepare("SELECT $1::text || '!'")
    assert statement.get_name().startswith("__pgconn_stmt_")
    await hog.give()
    await hog.take()
    assert await statement.fetchval("moved") == "moved!"
    await client.executemany("SELECT $1::int", [(1,), (2,)])
    await hog.give()
    # PgBouncer prepared them on the server under names of its own.
    named = statement_log.named_statements()
    assert named
    assert not any(name.startswith("__pgconn_stmt_") for name in named)


def test_two_processes_with_the_same_statement_names(bouncer: PgBouncer) -> None:
    assert run_client_process(bouncer) is None
    assert run_client_process(bouncer) is None  # its __pgconn_stmt_1__ is no clash any more


def test_older_pgbouncer_refuses_the_setting(
    make_pgbouncer: MakePgBouncer, pgbouncer_version: tuple[int, int, int]
) -> None:
    if pgbouncer_version >= PREPARED_STATEMENTS_VERSION:
        pytest.skip("this PgBouncer has max_prepared_statements")
    with pytest.raises(PgBouncerError, match="unknown parameter: pgbouncer/max_prepared_statements"):
        make_pgbouncer(pool_mode="transaction", max_prepared_statements=100)
