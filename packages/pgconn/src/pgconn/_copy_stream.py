"""``CopyRecordStream``: the records of a binary ``COPY ... TO STDOUT``, as an async iterator.

What ``copy_records_from_table`` and ``copy_records_from_query`` return. The COPY starts at
the first ``__anext__``; each CopyData chunk is decoded by :class:`pgtypes.CopyRecordDecoder`
with the columns' binary codecs, and the socket is read only as fast as the records are
consumed (the exchange pauses reading past its high-water mark). The stream holds the
connection as one operation from its start to its end: the connection is free again once the
last record was read, or the stream was closed (``async with``, :meth:`~CopyRecordStream.aclose`), which stops
the server's COPY with a CancelRequest in the connection's recovery.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Sequence
from types import TracebackType
from typing import TYPE_CHECKING, Any, Generic, Self, cast

import pgwire
from pgconn._copy_exchanges import CopyOutExchange, forget
from pgconn._typevars import RecordT
from pgtypes import CopyRecordDecoder, Record

if TYPE_CHECKING:
    from pgconn._copy_methods import CopyMethods

__all__ = ["CopyRecordStream"]


class CopyRecordStream(Generic[RecordT]):
    """An async iterator of the records of one binary COPY OUT; an async context manager too.

    Generic in the class of its records. Iterating raises what
    :meth:`Connection.copy_records_from_table` lists; :attr:`status` holds ``COPY n`` once the
    stream ended normally.
    """

    __slots__ = (
        "_args",
        "_buffer",
        "_connection",
        "_decoder",
        "_ended",
        "_entered",
        "_exchange",
        "_query",
        "_record_class",
        "_timeout",
        "status",
    )

    def __init__(
        self,
        connection: CopyMethods,
        query: str,
        args: Sequence[Any],
        timeout: float | None,
        record_class: type[RecordT],
    ) -> None:
        self._connection = connection
        self._query = query
        self._args = args
        self._timeout = timeout
        self._record_class = record_class
        self._buffer: deque[RecordT] = deque()
        self._decoder: CopyRecordDecoder | None = None
        self._exchange: CopyOutExchange | None = None
        self._entered = False
        self._ended = False
        #: The server's status (``COPY n``) once the stream ended normally.
        self.status: str | None = None

    def __repr__(self) -> str:
        state = "ended" if self._ended else ("running" if self._exchange is not None else "new")
        return f"<pgasync.CopyRecordStream {self._query[:30]!r} {state}>"

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()

    def __aiter__(self) -> Self:
        return self

    async def __anext__(self) -> RecordT:
        if self._buffer:
            return self._buffer.popleft()
        if self._ended:
            raise StopAsyncIteration
        try:
            seconds = self._connection._timeout(self._timeout)
            async with asyncio.timeout(seconds):
                if self._exchange is None:
                    await self._start()
                await self._fill()
        except BaseException:
            self._abandon()
            raise
        if self._buffer:
            return self._buffer.popleft()
        raise StopAsyncIteration

    async def _start(self) -> None:
        connection = self._connection
        connection._enter()
        self._entered = True
        await connection._hook_settle()
        state = await connection._statement(self._query)
        self._decoder = CopyRecordDecoder.for_fields(state.registry, state.fields or (), self._record_class)
        source = await connection._query_with_arguments(self._query, self._args)
        sql = f"COPY ({source}) TO STDOUT (FORMAT binary)"
        exchange = CopyOutExchange(connection._loop, sql, connection._protocol.transport)
        connection._protocol.start(exchange, pgwire.Query(sql))
        self._exchange = exchange

    async def _fill(self) -> None:
        """Decode chunks until records are buffered or the COPY is over."""
        exchange, decoder = self._exchange, self._decoder
        assert exchange is not None and decoder is not None
        out: list[Record] = []
        while not out:
            chunk = exchange.take()
            if chunk is None:
                if exchange.finished:
                    self._end()
                    self.status = await exchange.future
                    decoder.finish()
                    return
                await exchange.wait()
                continue
            decoder.feed(chunk, out)
        self._buffer.extend(cast("list[RecordT]", out))

    def _end(self) -> None:
        self._ended = True
        if self._entered:
            self._entered = False
            self._connection._busy = False

    def _abandon(self) -> None:
        exchange = self._exchange
        self._buffer.clear()
        if exchange is not None:
            forget(exchange.future)
        if exchange is not None and not exchange.finished:
            exchange.abandon()
            self._connection._begin_recovery(exchange)
        self._end()

    async def aclose(self) -> None:
        """Stop the stream: a COPY still running is cancelled; the connection is free again.

        Idempotent. Records not yet read are dropped; the rest of the server's COPY is read
        and dropped in the connection's recovery (the next operation waits for it). Raises
        nothing.
        """
        if not self._ended:
            self._abandon()
