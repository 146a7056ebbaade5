"""Fixtures for tests through a real PgBouncer in front of the session's server (``cluster``).

They need the root ``tests/conftest.py`` fixtures (``cluster``, ``server_users``); a test
directory gets them by importing them into its ``conftest.py`` (and naming them in its
``__all__``), as ``tests/pgbouncer/conftest.py`` does.

- ``pgbouncer_program`` (session): the ``pgbouncer`` program; every test that uses a
  PgBouncer is skipped, with how to install it, when there is none.
- ``pgbouncer_version`` (session): its ``(major, minor, patch)``.
- ``bouncer_database`` (session): a database of its own on the shared server, where the server
  logs every Parse, Bind and Execute (``log_min_duration_statement = 0``), owned by the
  session's SCRAM role (``server_users["scram-sha-256"]``), which clients and PgBouncer log in
  as; it holds a ``mood`` enum and a ``money_pair`` composite type for the codec tests.
- ``bouncer_user`` (session): that role.
- ``make_pgbouncer`` (function): ``make_pgbouncer(pool_mode=..., pool_size=...,
  max_prepared_statements=..., settings=...)`` starts a :class:`~tests.pgbouncer.bouncer.PgBouncer`
  in front of that database; each is stopped after the test.
- ``through_bouncer`` (function): ``await through_bouncer(bouncer, **options)`` connects to a
  PgBouncer with :func:`pgasync.connect` (``options`` go to it); every connection it made is
  terminated after the test.
- ``statement_log`` (function): a :class:`~tests.pgbouncer.bouncer.StatementLog` made at the
  start of the test.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any, Protocol

import pytest

import pgasync
from pgasync.cluster import Cluster, ServerUser
from tests.pgbouncer.bouncer import (
    INSTALL_HINT,
    PgBouncer,
    StatementLog,
    find_pgbouncer,
)
from tests.pgbouncer.bouncer import pgbouncer_version as read_version

__all__ = [
    "BOUNCER_DATABASE",
    "ConnectThrough",
    "MakePgBouncer",
    "bouncer_database",
    "bouncer_user",
    "make_pgbouncer",
    "pgbouncer_program",
    "pgbouncer_version",
    "require_pgbouncer",
    "statement_log",
    "through_bouncer",
    "wait_for_no_server_sessions",
]

#: The server database behind every test PgBouncer.
BOUNCER_DATABASE = "pgasync_bouncer"


class MakePgBouncer(Protocol):
    """The ``make_pgbouncer`` fixture: :class:`PgBouncer` keyword arguments in, a running one out."""

    def __call__(self, **options: Any) -> PgBouncer: ...


class ConnectThrough(Protocol):
    """The ``through_bouncer`` fixture: a PgBouncer and ``connect()`` options in, a connection out."""

    async def __call__(self, bouncer: PgBouncer, **options: Any) -> pgasync.Connection: ...


def require_pgbouncer() -> str:
    """The ``pgbouncer`` program; skips the test, saying how to install it, when there is none."""
    program = find_pgbouncer()
    if program is None:
        pytest.skip(INSTALL_HINT)
    return program


@pytest.fixture(scope="session")
def pgbouncer_program() -> str:
    """The ``pgbouncer`` program, or a skip saying how to install it."""
    return require_pgbouncer()


@pytest.fixture(scope="session")
def pgbouncer_version(pgbouncer_program: str) -> tuple[int, int, int]:
    """The installed PgBouncer's version."""
    return read_version(pgbouncer_program)


@pytest.fixture(scope="session")
def bouncer_user(server_users: dict[str, ServerUser]) -> ServerUser:
    """The role clients log in to PgBouncer as, and PgBouncer to the server (SCRAM)."""
    return server_users["scram-sha-256"]


@pytest.fixture(scope="session")
def bouncer_database(cluster: Cluster, bouncer_user: ServerUser) -> str:
    """The server database behind the test PgBouncers (made once per session)."""
    cluster.execute_sql(
        f"DROP DATABASE IF EXISTS {BOUNCER_DATABASE}",
        f"CREATE DATABASE {BOUNCER_DATABASE} OWNER {bouncer_user.name}",
        # Each Parse/Bind/Execute is logged with its statement's name, for StatementLog.
        f"ALTER DATABASE {BOUNCER_DATABASE} SET log_min_duration_statement = 0",
    )
    cluster.execute_sql(
        f"SET ROLE {bouncer_user.name}",
        "CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy')",
        "CREATE TYPE money_pair AS (amount numeric, currency text)",
        database=BOUNCER_DATABASE,
    )
    return BOUNCER_DATABASE


async def wait_for_no_server_sessions(cluster: Cluster, database: str, timeout: float = 10.0) -> None:
    """Wait until no backend serves ``database`` (a stopped PgBouncer's sessions take a moment)."""
    watcher = await pgasync.connect(cluster.dsn(), statement_cache_size=0)
    try:
        for _ in range(int(timeout / 0.05)):
            if not await watcher.fetchval(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = $1", database
            ):
                return
            await asyncio.sleep(0.05)
        raise AssertionError(f"server sessions in {database} outlived their PgBouncer")
    finally:
        await watcher.close()


@pytest.fixture
async def make_pgbouncer(
    pgbouncer_program: str, cluster: Cluster, bouncer_database: str, bouncer_user: ServerUser
) -> AsyncIterator[MakePgBouncer]:
    """PgBouncers in front of ``bouncer_database``, each stopped after the test (and its server
    sessions gone, so that later tests see none of them)."""
    started: list[PgBouncer] = []
    password = bouncer_user.password
    assert password is not None

    def make(**options: Any) -> PgBouncer:
        bouncer = PgBouncer(
            pgbouncer_program, cluster, bouncer_database, bouncer_user.name, password, **options
        )
        started.append(bouncer)
        bouncer.start()
        return bouncer

    try:
        yield make
    finally:
        for bouncer in started:
            bouncer.stop()
        if started:
            await wait_for_no_server_sessions(cluster, bouncer_database)


@pytest.fixture
def statement_log(cluster: Cluster, bouncer_database: str) -> StatementLog:
    """The server's logged Parse/Bind/Execute steps from the start of the test on."""
    return StatementLog(cluster)


@pytest.fixture
async def through_bouncer() -> AsyncIterator[ConnectThrough]:
    """Connections through a PgBouncer, all terminated after the test."""
    made: list[pgasync.Connection] = []

    async def connect(bouncer: PgBouncer, **options: Any) -> pgasync.Connection:
        connection: pgasync.Connection = await pgasync.connect(bouncer.dsn(), **options)
        made.append(connection)
        return connection

    try:
        yield connect
    finally:
        for connection in made:
            connection.terminate()
