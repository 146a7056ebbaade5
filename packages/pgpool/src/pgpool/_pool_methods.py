"""The query and COPY methods of ``Pool``: acquire a connection, run one call, release it."""

from __future__ import annotations

from collections.abc import AsyncIterable, Iterable, Sequence
from typing import TYPE_CHECKING, Any

from pgtypes import Record

if TYPE_CHECKING:
    from pgpool._acquire import PoolAcquireContext

__all__ = ["PoolQueryMethods"]


class PoolQueryMethods:
    """Mixed into ``Pool``: each method is the connection method of the same name, on a
    connection acquired for that one call (see ``pgconn.Connection`` for the arguments)."""

    if TYPE_CHECKING:

        def acquire(self, *, timeout: float | None = None) -> PoolAcquireContext: ...

    async def execute(self, query: str, *args: Any, timeout: float | None = None) -> str:
        """:meth:`pgconn.Connection.execute` on a pooled connection."""
        async with self.acquire() as connection:
            return await connection.execute(query, *args, timeout=timeout)

    async def executemany(
        self, command: str, args: Iterable[Sequence[Any]], *, timeout: float | None = None
    ) -> None:
        """:meth:`pgconn.Connection.executemany` on a pooled connection."""
        async with self.acquire() as connection:
            await connection.executemany(command, args, timeout=timeout)

    async def fetch(
        self, query: str, *args: Any, timeout: float | None = None, record_class: type[Record] | None = None
    ) -> list[Record]:
        """:meth:`pgconn.Connection.fetch` on a pooled connection."""
        async with self.acquire() as connection:
            return await connection.fetch(query, *args, timeout=timeout, record_class=record_class)

    async def fetchrow(
        self, query: str, *args: Any, timeout: float | None = None, record_class: type[Record] | None = None
    ) -> Record | None:
        """:meth:`pgconn.Connection.fetchrow` on a pooled connection."""
        async with self.acquire() as connection:
            return await connection.fetchrow(query, *args, timeout=timeout, record_class=record_class)

    async def fetchval(
        self, query: str, *args: Any, column: int | str = 0, timeout: float | None = None
    ) -> Any:
        """:meth:`pgconn.Connection.fetchval` on a pooled connection."""
        async with self.acquire() as connection:
            return await connection.fetchval(query, *args, column=column, timeout=timeout)

    async def fetchmany(
        self,
        query: str,
        args: Iterable[Sequence[Any]],
        *,
        timeout: float | None = None,
        record_class: type[Record] | None = None,
    ) -> list[Record]:
        """:meth:`pgconn.Connection.fetchmany` on a pooled connection."""
        async with self.acquire() as connection:
            return await connection.fetchmany(query, args, timeout=timeout, record_class=record_class)

    async def copy_from_table(self, table_name: str, *, output: Any, **options: Any) -> str:
        """:meth:`pgconn.Connection.copy_from_table` on a pooled connection (same options)."""
        async with self.acquire() as connection:
            return await connection.copy_from_table(table_name, output=output, **options)

    async def copy_from_query(self, query: str, *args: Any, output: Any, **options: Any) -> str:
        """:meth:`pgconn.Connection.copy_from_query` on a pooled connection (same options)."""
        async with self.acquire() as connection:
            return await connection.copy_from_query(query, *args, output=output, **options)

    async def copy_to_table(self, table_name: str, *, source: Any, **options: Any) -> str:
        """:meth:`pgconn.Connection.copy_to_table` on a pooled connection (same options)."""
        async with self.acquire() as connection:
            return await connection.copy_to_table(table_name, source=source, **options)

    async def copy_records_to_table(
        self,
        table_name: str,
        *,
        records: Iterable[Sequence[Any]] | AsyncIterable[Sequence[Any]],
        columns: Iterable[str] | None = None,
        schema_name: str | None = None,
        timeout: float | None = None,
        where: str | None = None,
    ) -> str:
        """:meth:`pgconn.Connection.copy_records_to_table` on a pooled connection."""
        async with self.acquire() as connection:
            return await connection.copy_records_to_table(
                table_name,
                records=records,
                columns=columns,
                schema_name=schema_name,
                timeout=timeout,
                where=where,
            )
