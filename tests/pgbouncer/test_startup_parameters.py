"""``server_settings`` through PgBouncer: which startup parameters it passes on.

PgBouncer passes on a few startup parameters (``client_encoding``, ``DateStyle``, ``TimeZone``,
``standard_conforming_strings``, ``application_name``) and refuses the others, unless
``ignore_startup_parameters`` names them, and then they are dropped, not applied.
"""

from __future__ import annotations

import pytest

import pgasync
from tests.pgbouncer.fixtures import ConnectThrough, MakePgBouncer


async def test_tracked_parameter_is_applied(
    make_pgbouncer: MakePgBouncer, through_bouncer: ConnectThrough
) -> None:
    bouncer = make_pgbouncer(pool_mode="transaction")
    client = await through_bouncer(
        bouncer, statement_cache_size=0, server_settings={"application_name": "through-pgbouncer"}
    )
    assert await client.fetchval("SHOW application_name") == "through-pgbouncer"


async def test_other_parameter_is_refused(
    make_pgbouncer: MakePgBouncer, through_bouncer: ConnectThrough
) -> None:
    bouncer = make_pgbouncer(pool_mode="transaction")
    with pytest.raises(pgasync.exceptions.ProtocolViolationError, match="unsupported startup parameter: jit"):
        await through_bouncer(bouncer, statement_cache_size=0, server_settings={"jit": "off"})


async def test_ignored_parameter_is_dropped(
    make_pgbouncer: MakePgBouncer, through_bouncer: ConnectThrough
) -> None:
    bouncer = make_pgbouncer(pool_mode="transaction", settings={"ignore_startup_parameters": "jit"})
    client = await through_bouncer(bouncer, statement_cache_size=0, server_settings={"jit": "off"})
    assert await client.fetchval("SHOW jit") == "on"  # the server's default: not applied
