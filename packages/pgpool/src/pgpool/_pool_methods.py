"""The query and COPY methods of ``Pool``: acquire a connection, run one call, release it."""

from __future__ import annotations

from collections.abc import AsyncIterable, Iterable, Sequence
from typing import TYPE_CHECKING, Any, TypeVar, overload

from pgtypes import Record

if TYPE_CHECKING:
    from pgpool._acquire import PoolAcquireContext

__all__ = ["PoolQueryMethods"]

#: The class of the rows a call returns (``record_class=``).
RecordT = TypeVar("RecordT", bound=Record)


class PoolQueryMethods:
    """Mixed into ``Pool``: each method is the connection method of the same name, on a
    connection acquired for that one call and released after it (see ``pgconn.Connection``).

    ``timeout`` bounds the call on the connection, not the wait for one (which has none).
    """

    if TYPE_CHECKING:

        def acquire(self, *, timeout: float | None = None) -> PoolAcquireContext: ...

    async def execute(self, query: str, *args: Any, timeout: float | None = None) -> str:
        """:meth:`pgconn.Connection.execute` on a pooled connection.

        Args:
            query: the SQL text; ``$1``, ``$2``... stand for the arguments.
            args: the values of ``$1``, ``$2``...
            timeout: seconds for the statement (``None``: ``command_timeout``).

        Returns:
            The status of the (last) command, e.g. ``"INSERT 0 1"``.

        Raises:
            DataError: an argument cannot be encoded.
            TimeoutError: ``timeout`` passed.
            TooManyWaitersError: ``max_waiting`` callers wait for a connection already.
            InterfaceError: the pool is not started, closing or closed, or the arguments do
                not match the parameters.
            PostgresError: the server's error.
        """
        async with self.acquire() as connection:
            return await connection.execute(query, *args, timeout=timeout)

    async def executemany(
        self, command: str, args: Iterable[Sequence[Any]], *, timeout: float | None = None
    ) -> None:
        """:meth:`pgconn.Connection.executemany` on a pooled connection.

        Args:
            command: the SQL statement, with ``$1``, ``$2``... parameters.
            args: an iterable of argument sequences, streamed in bounded batches.
            timeout: seconds for the whole run (``None``: ``command_timeout``).

        Raises:
            DataError: an element is not a sequence or holds a value that cannot be encoded.
            TimeoutError: ``timeout`` passed.
            TooManyWaitersError: ``max_waiting`` callers wait for a connection already.
            InterfaceError: the pool is not started, closing or closed.
            PostgresError: the server's error (nothing of the run is applied).
        """
        async with self.acquire() as connection:
            await connection.executemany(command, args, timeout=timeout)

    @overload
    async def fetch(
        self, query: str, *args: Any, timeout: float | None = ..., record_class: None = ...
    ) -> list[Record]: ...
    @overload
    async def fetch(
        self, query: str, *args: Any, timeout: float | None = ..., record_class: type[RecordT]
    ) -> list[RecordT]: ...
    async def fetch(
        self, query: str, *args: Any, timeout: float | None = None, record_class: type[Record] | None = None
    ) -> list[Any]:
        """:meth:`pgconn.Connection.fetch` on a pooled connection.

        Args:
            query: the SQL query; ``$1``, ``$2``... stand for the arguments.
            args: the values of ``$1``, ``$2``...
            timeout: seconds for the query (``None``: ``command_timeout``).
            record_class: the class of the rows (``None``: the pool's ``record_class``);
                typed, so ``fetch(q, record_class=R)`` is a ``list[R]``.

        Returns:
            A list of records, ``[]`` when there are none.

        Raises:
            DataError: an argument cannot be encoded.
            TimeoutError: ``timeout`` passed.
            TooManyWaitersError: ``max_waiting`` callers wait for a connection already.
            InterfaceError: the pool is not started, closing or closed.
            PostgresError: the server's error.
        """
        async with self.acquire() as connection:
            return await connection.fetch(query, *args, timeout=timeout, record_class=record_class)

    @overload
    async def fetchrow(
        self, query: str, *args: Any, timeout: float | None = ..., record_class: None = ...
    ) -> Record | None: ...
    @overload
    async def fetchrow(
        self, query: str, *args: Any, timeout: float | None = ..., record_class: type[RecordT]
    ) -> RecordT | None: ...
    async def fetchrow(
        self, query: str, *args: Any, timeout: float | None = None, record_class: type[Record] | None = None
    ) -> Record | None:
        """:meth:`pgconn.Connection.fetchrow` on a pooled connection.

        Args:
            query: the SQL query; ``$1``, ``$2``... stand for the arguments.
            args: the values of ``$1``, ``$2``...
            timeout: seconds for the query (``None``: ``command_timeout``).
            record_class: the class of the row, as for :meth:`fetch`.

        Returns:
            The first row, or None when there are no rows.

        Raises:
            DataError: an argument cannot be encoded.
            TimeoutError: ``timeout`` passed.
            TooManyWaitersError: ``max_waiting`` callers wait for a connection already.
            InterfaceError: the pool is not started, closing or closed.
            PostgresError: the server's error.
        """
        async with self.acquire() as connection:
            return await connection.fetchrow(query, *args, timeout=timeout, record_class=record_class)

    async def fetchval(
        self, query: str, *args: Any, column: int | str = 0, timeout: float | None = None
    ) -> Any:
        """:meth:`pgconn.Connection.fetchval` on a pooled connection.

        Args:
            query: the SQL query; ``$1``, ``$2``... stand for the arguments.
            args: the values of ``$1``, ``$2``...
            column: the value's position in the row (from 0) or its column name.
            timeout: seconds for the query (``None``: ``command_timeout``).

        Returns:
            The value, or None when there are no rows.

        Raises:
            IndexError: ``column`` is a position the row does not have.
            KeyError: ``column`` is a name the row does not have.
            DataError: an argument cannot be encoded.
            TimeoutError: ``timeout`` passed.
            TooManyWaitersError: ``max_waiting`` callers wait for a connection already.
            InterfaceError: the pool is not started, closing or closed.
            PostgresError: the server's error.
        """
        async with self.acquire() as connection:
            return await connection.fetchval(query, *args, column=column, timeout=timeout)

    @overload
    async def fetchmany(
        self,
        query: str,
        args: Iterable[Sequence[Any]],
        *,
        timeout: float | None = ...,
        record_class: None = ...,
    ) -> list[Record]: ...
    @overload
    async def fetchmany(
        self,
        query: str,
        args: Iterable[Sequence[Any]],
        *,
        timeout: float | None = ...,
        record_class: type[RecordT],
    ) -> list[RecordT]: ...
    async def fetchmany(
        self,
        query: str,
        args: Iterable[Sequence[Any]],
        *,
        timeout: float | None = None,
        record_class: type[Record] | None = None,
    ) -> list[Any]:
        """:meth:`pgconn.Connection.fetchmany` on a pooled connection.

        Args:
            query: the SQL query, with ``$1``, ``$2``... parameters.
            args: an iterable of argument sequences, one per execution.
            timeout: seconds for the request (``None``: ``command_timeout``).
            record_class: the class of the rows, as for :meth:`fetch`.

        Returns:
            The rows of every execution, in order.

        Raises:
            DataError: an element is not a sequence or holds a value that cannot be encoded.
            TimeoutError: ``timeout`` passed.
            TooManyWaitersError: ``max_waiting`` callers wait for a connection already.
            InterfaceError: the pool is not started, closing or closed.
            PostgresError: the server's error.
        """
        async with self.acquire() as connection:
            return await connection.fetchmany(query, args, timeout=timeout, record_class=record_class)

    async def copy_from_table(self, table_name: str, *, output: Any, **options: Any) -> str:
        """:meth:`pgconn.Connection.copy_from_table` on a pooled connection.

        Args:
            table_name: the table.
            output: a path, an object with ``write``, or a callable given each chunk.
            options: the other keyword arguments of
                :meth:`pgconn.Connection.copy_from_table` (``columns``, ``schema_name``,
                ``timeout``, ``format``...).

        Returns:
            The status, ``COPY n``.

        Raises:
            TypeError: ``output`` is unusable, or an unknown option.
            TimeoutError: ``timeout`` passed.
            TooManyWaitersError: ``max_waiting`` callers wait for a connection already.
            InterfaceError: the pool is not started, closing or closed, or a bad name or option.
            PostgresError: the server's error.
        """
        async with self.acquire() as connection:
            return await connection.copy_from_table(table_name, output=output, **options)

    async def copy_from_query(self, query: str, *args: Any, output: Any, **options: Any) -> str:
        """:meth:`pgconn.Connection.copy_from_query` on a pooled connection.

        Args:
            query: the SQL query, with ``$1``, ``$2``... parameters.
            args: the values of ``$1``, ``$2``... (inlined as literals).
            output: a path, an object with ``write``, or a callable given each chunk.
            options: the other keyword arguments of
                :meth:`pgconn.Connection.copy_from_query` (``timeout``, ``format``...).

        Returns:
            The status, ``COPY n``.

        Raises:
            DataError: an argument cannot be encoded.
            TypeError: ``output`` is unusable, or an unknown option.
            TimeoutError: ``timeout`` passed.
            TooManyWaitersError: ``max_waiting`` callers wait for a connection already.
            InterfaceError: the pool is not started, closing or closed, or a bad option.
            PostgresError: the server's error.
        """
        async with self.acquire() as connection:
            return await connection.copy_from_query(query, *args, output=output, **options)

    async def copy_to_table(self, table_name: str, *, source: Any, **options: Any) -> str:
        """:meth:`pgconn.Connection.copy_to_table` on a pooled connection.

        Args:
            table_name: the table.
            source: a path, an object with ``read``, an async iterable of chunks, or a
                bytes-like object.
            options: the other keyword arguments of :meth:`pgconn.Connection.copy_to_table`
                (``columns``, ``schema_name``, ``timeout``, ``format``, ``where``...).

        Returns:
            The status, ``COPY n``.

        Raises:
            TypeError: ``source`` is unusable, or an unknown option.
            UnsupportedServerFeatureError: ``where`` with a server older than 12.
            TimeoutError: ``timeout`` passed.
            TooManyWaitersError: ``max_waiting`` callers wait for a connection already.
            InterfaceError: the pool is not started, closing or closed, or a bad name or option.
            PostgresError: the server's error (nothing is applied).
        """
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
        """:meth:`pgconn.Connection.copy_records_to_table` on a pooled connection.

        Args:
            table_name: the table.
            records: an iterable or async iterable of sequences, one value per column.
            columns: the columns the values are for (all, in order, by default).
            schema_name: the table's schema.
            timeout: seconds for the whole COPY.
            where: an SQL condition rows must satisfy (PostgreSQL 12+).

        Returns:
            The status, ``COPY n``.

        Raises:
            DataError: a value cannot be encoded (the message names the row and column).
            UnsupportedServerFeatureError: ``where`` with a server older than 12.
            TimeoutError: ``timeout`` passed.
            TooManyWaitersError: ``max_waiting`` callers wait for a connection already.
            InterfaceError: the pool is not started, closing or closed, or a bad name.
            PostgresError: the server's error (nothing is applied).
        """
        async with self.acquire() as connection:
            return await connection.copy_records_to_table(
                table_name,
                records=records,
                columns=columns,
                schema_name=schema_name,
                timeout=timeout,
                where=where,
            )
