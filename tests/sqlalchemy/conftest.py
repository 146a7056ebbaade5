"""Fixtures for the ``postgresql+pgasync`` dialect tests, on the session's real server.

- ``sqla_database`` (session): a database of its own on the shared ``cluster``, so that what
  these tests create never meets other tests' objects.
- ``sqla_url``: the ``postgresql+pgasync://`` URL of that database, as the superuser.
- ``make_engine``: ``create_async_engine(sqla_url, **options)``; every engine made is disposed
  when the test ends, then the ``public`` schema is emptied.
- ``engine``: one engine with the default options.
- ``admin``: a plain pgasync connection to the same database (to terminate backends, run DDL
  behind the engine's back...), closed after the test.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any, Protocol

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

import pgasync
from pgasync.cluster import Cluster

DATABASE = "pgasync_sqlalchemy"


class MakeEngine(Protocol):
    """The ``make_engine`` fixture: ``create_async_engine`` keyword arguments in, an engine out."""

    def __call__(self, **options: Any) -> AsyncEngine: ...


@pytest.fixture(scope="session")
def sqla_database(cluster: Cluster) -> str:
    """The name of the database these tests use (created once per session)."""
    cluster.create_database(DATABASE)
    return DATABASE


@pytest.fixture(scope="session")
def sqla_dsn(cluster: Cluster, sqla_database: str) -> str:
    """The plain ``postgresql://`` DSN of the test database."""
    return cluster.dsn(database=sqla_database)


@pytest.fixture(scope="session")
def sqla_url(sqla_dsn: str) -> str:
    """The ``postgresql+pgasync://`` URL of the test database."""
    return sqla_dsn.replace("postgresql://", "postgresql+pgasync://", 1)


async def empty_public_schema(dsn: str) -> None:
    """Drop everything the test made (tables, types) in the test database."""
    connection = await pgasync.connect(dsn)
    try:
        await connection.execute("SET lock_timeout = '5s'")
        await connection.execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public")
    finally:
        await connection.close()


@pytest.fixture
async def make_engine(sqla_url: str, sqla_dsn: str) -> AsyncIterator[MakeEngine]:
    """Engines on the test database, disposed after the test; the schema is emptied then."""
    engines: list[AsyncEngine] = []

    def make(**options: Any) -> AsyncEngine:
        engine = create_async_engine(sqla_url, **options)
        engines.append(engine)
        return engine

    try:
        yield make
    finally:
        for engine in engines:
            await engine.dispose()
        await empty_public_schema(sqla_dsn)


@pytest.fixture
def engine(make_engine: MakeEngine) -> AsyncEngine:
    """An engine with the default options."""
    return make_engine()


@pytest.fixture
async def admin(sqla_dsn: str) -> AsyncIterator[pgasync.Connection]:
    """A pgasync connection to the test database, outside every engine."""
    connection = await pgasync.connect(sqla_dsn)
    try:
        yield connection
    finally:
        await connection.close()
