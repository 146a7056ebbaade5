"""The drivers that ``bench_drivers.py`` compares, behind one small interface.

A :class:`Session` is one connection of one driver, with the few calls the benchmark makes:
``fetch``, ``executemany``, ``execute``, and three COPY calls. pgconn and asyncpg share the
asyncpg API, so one adapter serves both (pgconn's adds ``copy_records_from_query``, which
asyncpg has not: asyncpg answers that call with ``fetch``). psycopg gets an adapter of its own:
an ``AsyncConnection`` in autocommit with ``prepare_threshold=0`` and one
``cursor(binary=True)``, ``%s`` placeholders for ``$n``, and binary COPY through ``cursor.copy``
with the column types given by :meth:`Session.copy_records_to_table`'s ``types``.

:data:`DRIVERS` lists the three, in the order they take turns.
"""

from __future__ import annotations

import functools
import importlib
import importlib.util
import re
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import pgconn

__all__ = [
    "DRIVERS",
    "BenchmarkError",
    "Driver",
    "Rows",
    "Session",
    "Shape",
    "Sink",
    "driver_version",
]

Rows = Sequence[Sequence[Any]]
#: What one call handled: (rows, columns).
Shape = tuple[int, int]
#: Takes each chunk of a COPY OUT (psycopg hands over memoryviews, the other two bytes).
Sink = Callable[[bytes | bytearray | memoryview], Awaitable[None]]


class BenchmarkError(RuntimeError):
    """A driver returned something other than what the query must return."""


class Session(Protocol):
    """One connection of one driver, as the benchmark drives it."""

    async def fetch(self, sql: str, args: Sequence[Any]) -> Rows:
        """Run ``sql`` (``$n`` placeholders) with ``args``; every row."""

    async def executemany(self, sql: str, rows: Rows) -> None:
        """Run ``sql`` once per argument row, pipelined."""

    async def execute(self, sql: str) -> None:
        """Run one statement without arguments."""

    async def copy_records_to_table(
        self, table: str, records: Rows, columns: Sequence[str], types: Sequence[str]
    ) -> None:
        """Binary COPY of ``records`` into ``columns`` of ``table`` (of the types ``types``)."""

    async def copy_from_query(self, query: str, sink: Sink) -> None:
        """``COPY (query) TO STDOUT`` in text format, every chunk given to ``sink``."""

    async def copy_records_from_query(self, query: str, types: Sequence[str]) -> Rows:
        """Every row of ``query`` (of the column types ``types``), by binary COPY if the
        driver can decode it, else by ``fetch``."""

    async def close(self) -> None:
        """Close the connection."""


class _AsyncpgApiSession:
    """pgconn and asyncpg share the asyncpg API, so one adapter serves both."""

    def __init__(self, connection: Any) -> None:
        self._connection = connection

    async def fetch(self, sql: str, args: Sequence[Any]) -> Rows:
        rows: Rows = await self._connection.fetch(sql, *args)
        return rows

    async def executemany(self, sql: str, rows: Rows) -> None:
        await self._connection.executemany(sql, rows)

    async def execute(self, sql: str) -> None:
        await self._connection.execute(sql)

    async def copy_records_to_table(
        self, table: str, records: Rows, columns: Sequence[str], types: Sequence[str]
    ) -> None:
        await self._connection.copy_records_to_table(table, records=records, columns=columns)

    async def copy_from_query(self, query: str, sink: Sink) -> None:
        await self._connection.copy_from_query(query, output=sink)

    async def copy_records_from_query(self, query: str, types: Sequence[str]) -> Rows:
        # asyncpg has no record stream from COPY: its nearest call is fetch.
        return await self.fetch(query, ())

    async def close(self) -> None:
        await self._connection.close()


class _PgconnSession(_AsyncpgApiSession):
    async def copy_records_from_query(self, query: str, types: Sequence[str]) -> Rows:
        async with self._connection.copy_records_from_query(query) as stream:
            return [record async for record in stream]


@functools.cache
def _percent_placeholders(sql: str) -> str:
    """psycopg's ``%s`` for each ``$n`` (the queries use their parameters in order, once each)."""
    return re.sub(r"\$\d+", "%s", sql)


class _PsycopgSession:
    def __init__(self, connection: Any) -> None:
        self._connection = connection
        self._cursor = connection.cursor(binary=True)

    async def fetch(self, sql: str, args: Sequence[Any]) -> Rows:
        cursor = self._cursor
        await cursor.execute(_percent_placeholders(sql), args)
        rows: Rows = await cursor.fetchall()
        return rows

    async def executemany(self, sql: str, rows: Rows) -> None:
        await self._cursor.executemany(_percent_placeholders(sql), rows)

    async def execute(self, sql: str) -> None:
        await self._cursor.execute(sql)

    async def copy_records_to_table(
        self, table: str, records: Rows, columns: Sequence[str], types: Sequence[str]
    ) -> None:
        sql = f"COPY {table} ({', '.join(columns)}) FROM STDIN (FORMAT BINARY)"
        async with self._cursor.copy(sql) as copy:
            copy.set_types(types)
            write_row = copy.write_row
            for record in records:
                await write_row(record)

    async def copy_from_query(self, query: str, sink: Sink) -> None:
        async with self._cursor.copy(f"COPY ({query}) TO STDOUT") as copy:
            async for data in copy:
                await sink(data)

    async def copy_records_from_query(self, query: str, types: Sequence[str]) -> Rows:
        async with self._cursor.copy(f"COPY ({query}) TO STDOUT (FORMAT BINARY)") as copy:
            copy.set_types(types)
            return [row async for row in copy.rows()]

    async def close(self) -> None:
        await self._connection.close()


async def _connect_pgconn(dsn: str) -> Session:
    return _PgconnSession(await pgconn.connect(dsn))


async def _connect_asyncpg(dsn: str) -> Session:
    import asyncpg

    return _AsyncpgApiSession(await asyncpg.connect(dsn))


async def _connect_psycopg(dsn: str) -> Session:
    import psycopg

    connection = await psycopg.AsyncConnection.connect(dsn, autocommit=True, prepare_threshold=0)
    return _PsycopgSession(connection)


@dataclass(frozen=True)
class Driver:
    """A driver under test: its name, the module it needs, and how to open a session."""

    name: str
    module: str
    connect: Callable[[str], Awaitable[Session]]

    def is_installed(self) -> bool:
        """Whether :attr:`module` can be imported."""
        return importlib.util.find_spec(self.module) is not None


DRIVERS: tuple[Driver, ...] = (
    Driver("pgconn", "pgconn", _connect_pgconn),
    Driver("asyncpg", "asyncpg", _connect_asyncpg),
    Driver("psycopg", "psycopg", _connect_psycopg),
)


def driver_version(driver: Driver) -> str:
    """The installed version of ``driver``'s module (psycopg's with its libpq implementation)."""
    module = importlib.import_module(driver.module)
    version = str(getattr(module, "__version__", "?"))
    if driver.module == "psycopg":
        version += f" ({module.pq.__impl__} implementation)"
    return version
