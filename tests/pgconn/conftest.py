"""Fixtures for the Connection tests against the shared real server (``cluster``).

- ``connect``: a factory for :class:`pgconn.Connection` objects to the session cluster as the
  superuser; keyword arguments go to :func:`pgconn.connect`. Every connection it made is
  terminated when the test ends, whatever state the test left it in.
- ``conn``: one such connection with the default settings.
- ``table``: makes a uniquely named table (``await table("a int, b text")`` returns its name),
  so tests never see each other's rows; the tables are dropped at the end of the test, after
  the test's connections are gone (so a transaction a test left open cannot block the drop).
"""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator, Awaitable
from typing import Any, Protocol

import pytest

import pgconn
from pgasync.cluster import Cluster

__all__ = ["ConnectionFactory", "MakeTable"]

_table_numbers = itertools.count(1)


class ConnectionFactory:
    """The ``connect`` fixture: :func:`pgconn.connect` keyword arguments in, a connection out."""

    def __init__(self, cluster: Cluster) -> None:
        self.cluster = cluster
        self.connections: list[pgconn.Connection] = []

    async def __call__(self, **options: Any) -> pgconn.Connection:
        connection: pgconn.Connection = await pgconn.connect(self.cluster.dsn(), **options)
        self.connections.append(connection)
        return connection

    def terminate_all(self) -> None:
        """Abort every connection made so far."""
        for connection in self.connections:
            connection.terminate()
        self.connections.clear()


class MakeTable(Protocol):
    """The ``table`` fixture: column definitions in, a new table's name out."""

    def __call__(self, columns: str) -> Awaitable[str]: ...


@pytest.fixture
async def connect(cluster: Cluster) -> AsyncIterator[ConnectionFactory]:
    """Connections to the shared cluster as the superuser, all terminated after the test."""
    factory = ConnectionFactory(cluster)
    try:
        yield factory
    finally:
        factory.terminate_all()


@pytest.fixture
async def conn(connect: ConnectionFactory) -> pgconn.Connection:
    """One connection with the default settings."""
    return await connect()


@pytest.fixture
async def table(cluster: Cluster, connect: ConnectionFactory) -> AsyncIterator[MakeTable]:
    """Uniquely named tables, visible to every session, dropped after the test."""
    names: list[str] = []

    async def make(columns: str) -> str:
        name = f"pgconn_test_{next(_table_numbers)}"
        owner = await pgconn.connect(cluster.dsn())
        try:
            await owner.execute(f"DROP TABLE IF EXISTS {name}; CREATE TABLE {name} ({columns})")
        finally:
            await owner.close()
        names.append(name)
        return name

    yield make
    if names:
        connect.terminate_all()
        owner = await pgconn.connect(cluster.dsn())
        try:
            # A terminated backend may still hold its locks for a moment: wait for them.
            await owner.execute("SET lock_timeout = '5s'")
            await owner.execute(f"DROP TABLE IF EXISTS {', '.join(names)} CASCADE")
        finally:
            await owner.close()
