"""The COPY methods of ``Connection``: asyncpg's four, and COPY OUT decoded into records.

Each runs one simple-protocol ``COPY`` as one operation, so ``timeout`` covers the whole COPY,
time spent in the caller's sink or source included. Memory stays bounded both ways: COPY OUT
pauses reading from the socket while the sink is behind (:mod:`pgconn._copy_exchanges`), and
COPY IN writes each chunk under the transport's flow control before taking the next from the
source. Faults: an error or cancellation in the source sends CopyFail (the server rolls the
COPY back); one in the sink, or a timeout during COPY OUT, sends a CancelRequest and drains the
rest in the connection's recovery. Either way the connection stays usable, and a server error
raises its exact class.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterable, AsyncIterator, Iterable, Sequence
from typing import TYPE_CHECKING, Any, overload

import pgwire
from pgconn._copy_exchanges import CopyInExchange, CopyOutExchange, forget
from pgconn._copy_io import Sink, chunks_of, sink_for
from pgconn._copy_sql import copy_in_sql, copy_out_sql, inline_arguments, table_sql
from pgconn._copy_stream import CopyRecordStream
from pgconn._sql import quote_identifier
from pgconn._typevars import RecordT
from pgtypes import CopyRecordEncoder, Record
from pgwire.exceptions import InterfaceError, UnsupportedServerFeatureError

if TYPE_CHECKING:
    from pgconn._runner import StatementRunner

    _Base = StatementRunner
else:
    _Base = object

__all__ = ["CopyMethods"]


def _copy_fail_message(error: BaseException) -> str:
    text = str(error) or type(error).__name__
    return text.replace("\x00", "\\0")  # CopyFail's message is a C string


class CopyMethods(_Base):
    """Mixed into ``Connection``; built on the runner's operation and request hooks."""

    # -- COPY OUT ---------------------------------------------------------------------------

    async def copy_from_table(
        self,
        table_name: str,
        *,
        output: Any,
        columns: Iterable[str] | None = None,
        schema_name: str | None = None,
        timeout: float | None = None,
        format: str | None = None,
        oids: bool | None = None,
        delimiter: str | None = None,
        null: str | None = None,
        header: bool | None = None,
        quote: str | None = None,
        escape: str | None = None,
        force_quote: bool | Iterable[str] | None = None,
        encoding: str | None = None,
    ) -> str:
        """Copy a table's rows to ``output`` (``COPY table TO STDOUT``).

        The options are COPY's (PostgreSQL docs, "COPY"); None leaves one out. Each chunk
        the server sends is written before more is read, so memory stays bounded.

        Args:
            table_name: the table; quoted as an identifier, so any name works as written.
            output: a path (``str``, ``bytes``, ``os.PathLike``; the file is created or
                truncated), an object with ``write`` (called in the default executor), or a
                callable (an ``async def`` one is awaited) called with each ``bytes`` chunk.
            columns: the columns to copy, in order (all by default).
            schema_name: the table's schema (by default the ``search_path`` decides).
            timeout: seconds for the whole COPY, time in ``output`` included.
            format: ``"text"`` (the default), ``"csv"`` or ``"binary"``.
            oids: ``OIDS`` (servers before 12 only).
            delimiter: the column separator (one character).
            null: the string that stands for NULL.
            header: write a header line (csv).
            quote: the quoting character (csv).
            escape: the character that escapes ``quote`` (csv).
            force_quote: quote these columns' non-NULL values, True for every column (csv).
            encoding: the encoding of the output (default: the client encoding).

        Returns:
            The status, ``COPY n``.

        Raises:
            InterfaceError: a name or option of the wrong type (before anything is sent), or
                the connection is closed or busy.
            TypeError: ``output`` is none of the accepted forms.
            OSError: the output file cannot be opened or written.
            PostgresError: the server's error (``UndefinedTableError``...).
            TimeoutError: ``timeout`` passed; the server is asked to stop the COPY and the
                connection stays usable.
            Exception: whatever ``output`` raised (the server's COPY is stopped the same way).
        """
        options = {
            "format": format,
            "oids": oids,
            "delimiter": delimiter,
            "null": null,
            "header": header,
            "quote": quote,
            "escape": escape,
            "force_quote": force_quote,
            "encoding": encoding,
        }
        sql = copy_out_sql(table_sql(table_name, schema_name, columns), options)
        return await self._copy_out_operation(sql, output, timeout)

    async def copy_from_query(
        self,
        query: str,
        *args: Any,
        output: Any,
        timeout: float | None = None,
        format: str | None = None,
        oids: bool | None = None,
        delimiter: str | None = None,
        null: str | None = None,
        header: bool | None = None,
        quote: str | None = None,
        escape: str | None = None,
        force_quote: bool | Iterable[str] | None = None,
        encoding: str | None = None,
    ) -> str:
        """Copy a query's rows to ``output`` (``COPY (query) TO STDOUT``).

        COPY takes no parameters, so ``args`` are written into the query as literals, each
        rendered by the server from its parameter type (``$n`` inside strings and comments is
        left alone).

        Args:
            query: the SQL query, with ``$1``, ``$2``... parameters.
            args: the values of ``$1``, ``$2``...
            output: a path, an object with ``write``, or a callable, as for
                :meth:`copy_from_table`.
            timeout: seconds for the whole COPY, time in ``output`` included.
            format: ``"text"`` (the default), ``"csv"`` or ``"binary"``.
            oids: as for :meth:`copy_from_table`.
            delimiter: as for :meth:`copy_from_table`.
            null: as for :meth:`copy_from_table`.
            header: as for :meth:`copy_from_table`.
            quote: as for :meth:`copy_from_table`.
            escape: as for :meth:`copy_from_table`.
            force_quote: as for :meth:`copy_from_table`.
            encoding: as for :meth:`copy_from_table`.

        Returns:
            The status, ``COPY n``.

        Raises:
            DataError: an argument cannot be encoded for its parameter.
            InterfaceError: an option of the wrong type, or the connection is closed or busy.
            TypeError: ``output`` is none of the accepted forms.
            OSError: the output file cannot be opened or written.
            PostgresError: the server's error.
            TimeoutError: ``timeout`` passed (as :meth:`copy_from_table`).
            Exception: whatever ``output`` raised.
        """
        options = {
            "format": format,
            "oids": oids,
            "delimiter": delimiter,
            "null": null,
            "header": header,
            "quote": quote,
            "escape": escape,
            "force_quote": force_quote,
            "encoding": encoding,
        }

        async def run() -> str:
            source = await self._query_with_arguments(query, args)
            sink = await sink_for(output)
            try:
                return await self._copy_out(copy_out_sql(f"({source})", options), sink)
            finally:
                await asyncio.shield(sink.close())

        return await self._operation(timeout, run, query, args)

    async def _copy_out_operation(self, sql: str, output: Any, timeout: float | None) -> str:
        async def run() -> str:
            sink = await sink_for(output)
            try:
                return await self._copy_out(sql, sink)
            finally:
                await asyncio.shield(sink.close())

        return await self._operation(timeout, run, sql)

    async def _query_with_arguments(self, query: str, args: Sequence[Any]) -> str:
        """``query`` with its arguments inlined as literals the server rendered."""
        if not args:
            return query
        state = await self._statement(query)
        literal_sql = "SELECT " + ", ".join(f"quote_nullable(${n}::text)" for n in range(1, len(args) + 1))
        literal_state = await self._describe(literal_sql, "", state.param_oids[: len(args)])
        executed = await self._execute_state(literal_state, [args], Record, rows=True, limit=0)
        standard = self._protocol.wire.parameters.get("standard_conforming_strings", "on") == "on"
        return inline_arguments(query, [str(value) for value in executed.rows[0]], standard_strings=standard)

    async def _copy_out(self, sql: str, sink: Sink) -> str:
        """Run ``sql`` (a COPY TO STDOUT), writing each chunk to ``sink`` before reading more."""
        protocol = self._protocol
        exchange = CopyOutExchange(self._loop, sql, protocol.transport)
        future = protocol.start(exchange, pgwire.Query(sql))
        try:
            while True:
                chunk = exchange.take()
                if chunk is None:
                    if exchange.finished:
                        break
                    await exchange.wait()
                    continue
                await sink.write(chunk)
        except BaseException:
            self._abandon_copy_out(exchange, future)
            raise
        return await future

    def _abandon_copy_out(self, exchange: CopyOutExchange, future: asyncio.Future[str]) -> None:
        """The sink failed or the caller gave up: the server is told to stop, and what it
        still sends is read and dropped in the background, up to its ReadyForQuery."""
        exchange.abandon()
        forget(future)
        self._begin_recovery(exchange)

    # -- COPY IN ----------------------------------------------------------------------------

    async def copy_to_table(
        self,
        table_name: str,
        *,
        source: Any,
        columns: Iterable[str] | None = None,
        schema_name: str | None = None,
        timeout: float | None = None,
        format: str | None = None,
        oids: bool | None = None,
        freeze: bool | None = None,
        delimiter: str | None = None,
        null: str | None = None,
        header: bool | str | None = None,
        quote: str | None = None,
        escape: str | None = None,
        force_quote: bool | Iterable[str] | None = None,
        force_not_null: bool | Iterable[str] | None = None,
        force_null: bool | Iterable[str] | None = None,
        encoding: str | None = None,
        where: str | None = None,
    ) -> str:
        """Copy data from ``source`` into a table (``COPY table FROM STDIN``).

        The source is read one chunk at a time, each sent under the transport's flow
        control before the next is read. The options are COPY FROM's; None leaves one out.

        Args:
            table_name: the table; quoted as an identifier.
            source: a path (``str``, ``bytes``, ``os.PathLike``), an object with ``read``
                (called in the default executor), an async iterable of chunks (bytes-like or
                str), or a bytes-like object sent as it is.
            columns: the columns the data is for, in order (all by default).
            schema_name: the table's schema (by default the ``search_path`` decides).
            timeout: seconds for the whole COPY, time spent reading ``source`` included.
            format: ``"text"`` (the default), ``"csv"`` or ``"binary"``.
            oids: ``OIDS`` (servers before 12 only).
            freeze: ``FREEZE``: rows are written frozen (the table must be new in this
                transaction).
            delimiter: the column separator (one character).
            null: the string that stands for NULL.
            header: the data starts with a header line to skip (csv); ``"match"`` checks it
                against the column names (PostgreSQL 15+).
            quote: the quoting character (csv).
            escape: the character that escapes ``quote`` (csv).
            force_quote: accepted and ignored, as asyncpg does (COPY FROM has no such option).
            force_not_null: these columns' empty values are empty strings, not NULL (csv).
            force_null: these columns' quoted empty values are NULL too (csv).
            encoding: the encoding of the data (default: the client encoding).
            where: an SQL condition, as written; only rows that satisfy it are inserted
                (PostgreSQL 12+).

        Returns:
            The status, ``COPY n``.

        Raises:
            InterfaceError: a name or option of the wrong type (before anything is sent), or
                the connection is closed or busy.
            TypeError: ``source`` is none of the accepted forms, or yields something that is
                not bytes-like or str.
            UnsupportedServerFeatureError: ``where`` with a server older than 12.
            PostgresError: the server's error; bad data raises its exact class
                (``InvalidTextRepresentationError``...) and nothing is applied.
            TimeoutError: ``timeout`` passed; the COPY is rolled back.
            Exception: whatever ``source`` raised, after CopyFail rolled the COPY back.
        """
        del force_quote
        options = {
            "format": format,
            "oids": oids,
            "freeze": freeze,
            "delimiter": delimiter,
            "null": null,
            "header": header,
            "quote": quote,
            "escape": escape,
            "force_not_null": force_not_null,
            "force_null": force_null,
            "encoding": encoding,
        }
        self._check_where(where)
        sql = copy_in_sql(table_sql(table_name, schema_name, columns), options, where)

        chunks = chunks_of(source)

        async def run() -> str:
            return await self._copy_in(sql, chunks)

        return await self._operation(timeout, run, sql)

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
        """Copy rows of Python values into a table, in binary COPY.

        Each column's binary codec encodes its values (looked up once per column), so this
        is the fastest way to load many rows.

        Args:
            table_name: the table; quoted as an identifier.
            records: an iterable or async iterable of sequences, one value per column
                (``None`` for NULL), read lazily as the data is sent.
            columns: the columns the values are for (all, in order, by default).
            schema_name: the table's schema (by default the ``search_path`` decides).
            timeout: seconds for the whole COPY, time spent reading ``records`` included.
            where: an SQL condition, as for :meth:`copy_to_table` (PostgreSQL 12+).

        Returns:
            The status, ``COPY n``.

        Raises:
            DataError: a value cannot be encoded; the message names the row (counted from 1),
                the column, its type and the value. Nothing of the COPY is applied.
            InternalClientError: a column's type has no binary encoder.
            InterfaceError: a bad name, ``records`` is a str or bytes, or the connection is
                closed or busy.
            UnsupportedServerFeatureError: ``where`` with a server older than 12.
            PostgresError: the server's error (``UndefinedTableError``,
                ``NotNullViolationError``...).
            TimeoutError: ``timeout`` passed; the COPY is rolled back.
            Exception: whatever iterating ``records`` raised, after the COPY was rolled back.
        """
        self._check_where(where)
        column_list = list(columns) if columns is not None else None
        target = table_sql(table_name, schema_name, column_list)
        selected = (
            "*" if column_list is None else ", ".join(quote_identifier(c, "column name") for c in column_list)
        )
        probe = f"SELECT {selected} FROM {table_sql(table_name, schema_name, None)} LIMIT 0"
        sql = copy_in_sql(target, {"format": "binary"}, where)

        async def run() -> str:
            state = await self._statement(probe)
            encoder = CopyRecordEncoder.for_fields(state.registry, state.fields or ())
            return await self._copy_in(sql, _encoded(encoder, records))

        return await self._operation(timeout, run, sql)

    def _check_where(self, where: str | None) -> None:
        if where is not None and self.get_server_version() < (12, 0):
            raise UnsupportedServerFeatureError("the `where` parameter requires PostgreSQL 12 or later")

    async def _copy_in(self, sql: str, chunks: AsyncIterator[bytes]) -> str:
        """Run ``sql`` (a COPY FROM STDIN), sending ``chunks`` under write flow control."""
        protocol = self._protocol
        exchange = CopyInExchange(self._loop, sql, protocol.send)
        future = protocol.start(exchange, pgwire.Query(sql))
        try:
            if await exchange.ready():
                async for chunk in chunks:
                    if exchange.failed:
                        break  # the server gave up: its error is what the caller gets
                    protocol.send(pgwire.CopyData(chunk))
                    await protocol.drain()
                if not exchange.failed:
                    exchange.send_done()
            return await future
        except BaseException as error:
            if not self.is_closed():
                exchange.abandon(_copy_fail_message(error))  # CopyFail, unless CopyDone went
            forget(future)
            if isinstance(error, asyncio.CancelledError):
                # After CopyDone the server may still be applying the data: it is asked to
                # stop, so that a COPY the caller was told timed out is not committed.
                self._begin_recovery(exchange)
                raise
            try:
                # The server answers CopyFail at once; waiting here keeps the next operation
                # from finding the cycle unfinished (the caller's deadline still applies).
                await asyncio.shield(exchange.when_finished())
            except asyncio.CancelledError:
                self._begin_recovery(exchange)
                raise
            raise
        finally:
            with contextlib.suppress(Exception):
                await chunks.aclose()  # type: ignore[attr-defined]  # our own async generators

    # -- COPY OUT as records ----------------------------------------------------------------

    @overload
    def copy_records_from_table(
        self,
        table_name: str,
        *,
        columns: Iterable[str] | None = ...,
        schema_name: str | None = ...,
        timeout: float | None = ...,
        record_class: None = ...,
    ) -> CopyRecordStream[Record]: ...
    @overload
    def copy_records_from_table(
        self,
        table_name: str,
        *,
        columns: Iterable[str] | None = ...,
        schema_name: str | None = ...,
        timeout: float | None = ...,
        record_class: type[RecordT],
    ) -> CopyRecordStream[RecordT]: ...
    def copy_records_from_table(
        self,
        table_name: str,
        *,
        columns: Iterable[str] | None = None,
        schema_name: str | None = None,
        timeout: float | None = None,
        record_class: type[Record] | None = None,
    ) -> CopyRecordStream[Any]:
        """A table's rows as records, streamed by binary COPY (``async with ... as rows``).

        Faster than a query for whole tables, and in bounded memory: the stream reads from
        the server only as fast as it is consumed. The connection is busy until the stream
        ends (iterated to the end, or left with ``async with``/:meth:`CopyRecordStream.aclose`).
        asyncpg has no such method.

        Args:
            table_name: the table; quoted as an identifier.
            columns: the columns to copy, in order (all by default).
            schema_name: the table's schema (by default the ``search_path`` decides).
            timeout: seconds for each wait for the server (the start, and each chunk).
            record_class: the class of the records (``None``: the connection's); typed, so
                the stream yields ``R``.

        Returns:
            A :class:`CopyRecordStream`, an async iterator of records; nothing is sent
            before its first ``__anext__``.

        Raises:
            InterfaceError: (at once) the connection is closed, or a bad name; (when
                iterated) the connection is busy.
            InternalClientError: (when iterated) a column's type has no binary decoder.
            PostgresError: (when iterated) the server's error.
            TimeoutError: (when iterated) a wait took longer than ``timeout``; the COPY is
                stopped and the connection stays usable.
        """
        column_list = list(columns) if columns is not None else None
        selected = (
            "*" if column_list is None else ", ".join(quote_identifier(c, "column name") for c in column_list)
        )
        query = f"SELECT {selected} FROM {table_sql(table_name, schema_name, None)}"
        return self._record_stream(query, (), timeout, record_class)

    @overload
    def copy_records_from_query(
        self, query: str, *args: Any, timeout: float | None = ..., record_class: None = ...
    ) -> CopyRecordStream[Record]: ...
    @overload
    def copy_records_from_query(
        self, query: str, *args: Any, timeout: float | None = ..., record_class: type[RecordT]
    ) -> CopyRecordStream[RecordT]: ...
    def copy_records_from_query(
        self,
        query: str,
        *args: Any,
        timeout: float | None = None,
        record_class: type[Record] | None = None,
    ) -> CopyRecordStream[Any]:
        """A query's rows as records, streamed by binary COPY; see :meth:`copy_records_from_table`.

        Args:
            query: the SQL query, with ``$1``, ``$2``... parameters.
            args: the values of ``$1``, ``$2``... (inlined as literals, as
                :meth:`copy_from_query` does).
            timeout: seconds for each wait for the server (the start, and each chunk).
            record_class: the class of the records (``None``: the connection's).

        Returns:
            A :class:`CopyRecordStream`; nothing is sent before its first ``__anext__``.

        Raises:
            InterfaceError: the connection is closed (at once), or (when iterated) busy.
            DataError: (when iterated) an argument cannot be encoded.
            InternalClientError: (when iterated) a column's type has no binary decoder.
            PostgresError: (when iterated) the server's error.
            TimeoutError: (when iterated) a wait took longer than ``timeout``.
        """
        return self._record_stream(query, args, timeout, record_class)

    def _record_stream(
        self, query: str, args: Sequence[Any], timeout: float | None, record_class: type[Record] | None
    ) -> CopyRecordStream[Any]:
        self._check_open()
        return CopyRecordStream(
            self, query, args, timeout, self._record_class if record_class is None else record_class
        )


async def _encoded(
    encoder: CopyRecordEncoder, records: Iterable[Sequence[Any]] | AsyncIterable[Sequence[Any]]
) -> AsyncIterator[bytes]:
    """The binary COPY chunks of ``records``, encoded as they are sent."""
    if isinstance(records, AsyncIterable):
        async for row in records:
            chunk = encoder.feed(row)
            if chunk is not None:
                yield chunk
    else:
        if isinstance(records, str | bytes):
            raise InterfaceError(
                f"records is expected to be an iterable of rows, got {type(records).__name__}"
            )
        for chunk in encoder.chunks(records):
            yield chunk
    yield encoder.finish()
