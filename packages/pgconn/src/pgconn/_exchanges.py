"""Exchanges: the client's side of one request cycle, from the messages sent to ReadyForQuery.

Each exchange takes the server's events inside ``data_received`` (see :mod:`pgconn._protocol`)
and resolves its future once, at ReadyForQuery, with its result or with the first server
error of the cycle. The first error is the one raised: after it the server skips to Sync, so
later messages of the cycle carry nothing of use (protocol docs, "Extended Query").
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import pgwire
from pgtypes import Record, RowDecoder
from pgwire import (
    BindComplete,
    ClientEvent,
    CommandComplete,
    CompletionRun,
    CopyInResponse,
    CycleReply,
    DataRowBatch,
    EmptyQueryResponse,
    ErrorResponse,
    NoData,
    ParameterDescription,
    PortalSuspended,
    ReadyForQuery,
    RowDescription,
)
from pgwire.exceptions import PostgresError

__all__ = ["DescribeExchange", "Described", "ExecuteExchange", "Executed", "SimpleExchange"]

T = TypeVar("T")


class _Exchange(Generic[T]):
    """Shared parts: the future, the first error, the query text for error messages.

    ``finished`` turns true at the cycle's ReadyForQuery (or when the connection breaks),
    whether or not anyone still waits on ``future``: a task cancelled mid-query stops
    waiting, while the connection still has to see the cycle through to stay in sync.
    """

    __slots__ = ("_finished_waiter", "error", "finished", "future", "query")

    def __init__(self, loop: asyncio.AbstractEventLoop, query: str | None) -> None:
        self.future: asyncio.Future[T] = loop.create_future()
        self.error: BaseException | None = None
        self.query = query
        self.finished = False
        self._finished_waiter: asyncio.Future[None] | None = None

    def when_finished(self) -> asyncio.Future[None]:
        """A future resolved when the cycle is over (at once if it already is)."""
        waiter = self._finished_waiter
        if waiter is None:
            waiter = self._finished_waiter = self.future.get_loop().create_future()
            if self.finished:
                waiter.set_result(None)
        return waiter

    def _mark_finished(self) -> None:
        self.finished = True
        waiter = self._finished_waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    def fail(self, error: BaseException) -> None:
        self._mark_finished()
        if not self.future.done():
            self.future.set_exception(error)

    def on_recovery(self) -> None:
        """Nobody waits for the answer any more (most exchanges need do nothing about it)."""

    def on_cancel_settled(self) -> None:
        """The recovery's CancelRequest was delivered, failed, or is not sent: nothing to do."""

    def _server_error(self, event: ErrorResponse) -> None:
        if self.error is None:
            self.error = PostgresError.new(event.as_dict(), query=self.query)

    def _local_error(self, error: BaseException) -> None:
        """An error found on our side (a row we cannot decode); the cycle still runs to its end."""
        if self.error is None:
            self.error = error

    def _finish(self, result: T) -> None:
        self._mark_finished()
        if self.future.done():  # the waiting task gave up (cancelled); nobody reads it
            return
        if self.error is not None:
            self.future.set_exception(self.error)
        else:
            self.future.set_result(result)


@dataclass
class Described:
    """What Describe of a statement said: parameter type OIDs and the result columns."""

    param_oids: tuple[int, ...] = ()
    fields: tuple[pgwire.FieldDescription, ...] | None = None


class DescribeExchange(_Exchange[Described]):
    """Parse (+ Describe statement) + Sync: the statement's parameter and column types."""

    __slots__ = ("described",)

    def __init__(self, loop: asyncio.AbstractEventLoop, query: str | None) -> None:
        super().__init__(loop, query)
        self.described = Described()

    def handle(self, event: ClientEvent) -> None:
        if type(event) is ParameterDescription:
            self.described.param_oids = event.type_oids
        elif type(event) is RowDescription:
            self.described.fields = event.fields
        elif type(event) is NoData:
            self.described.fields = None
        elif type(event) is ReadyForQuery:
            self._finish(self.described)
        elif type(event) is ErrorResponse:
            self._server_error(event)


class Executed:
    """The outcome of executing a portal (or several, for ``executemany``).

    A plain slotted class (one is made per query): a dataclass's generated ``__init__`` with a
    ``default_factory`` costs several times more.
    """

    __slots__ = ("completed", "rows", "status", "suspended")

    def __init__(self) -> None:
        self.rows: list[Record] = []
        self.status = ""
        self.suspended = False
        self.completed = 0

    def __repr__(self) -> str:
        return (
            f"Executed(rows={len(self.rows)}, status={self.status!r}, "
            f"suspended={self.suspended}, completed={self.completed})"
        )


class ExecuteExchange(_Exchange[Executed]):
    """[Parse +] Bind + Execute (+ more Bind/Execute pairs) + Sync: rows, status, suspension.

    With ``decoder`` None, rows are counted and dropped (``execute`` with arguments and
    ``executemany`` return no rows).
    """

    __slots__ = ("decoder", "executed", "send")

    def __init__(
        self,
        loop: asyncio.AbstractEventLoop,
        query: str | None,
        decoder: RowDecoder | None,
        send: Callable[[pgwire.FrontendMessage], None],
    ) -> None:
        super().__init__(loop, query)
        self.decoder = decoder
        self.executed = Executed()
        #: Sends a message (to refuse a COPY FROM STDIN the statement started).
        self.send = send

    def handle(self, event: ClientEvent) -> None:
        # Exact classes (pgwire makes no subclasses; mypy narrows on them), most frequent first:
        # a failed isinstance also looks up the instance's __class__.
        if type(event) is CycleReply:  # the whole answer at once: most queries
            executed = self.executed
            rows = event.rows
            if rows is not None:
                decoder = self.decoder
                if decoder is not None and self.error is None:
                    try:
                        decoder.decode_batch(rows, executed.rows)
                    except Exception as error:
                        self._local_error(error)
            if event.suspended:
                executed.suspended = True
            else:
                executed.status = event.tag
                executed.completed += 1
            self._finish(executed)
        elif type(event) is DataRowBatch:
            decoder = self.decoder
            if decoder is not None and self.error is None:
                try:
                    decoder.decode_batch(event, self.executed.rows)
                except Exception as error:
                    self._local_error(error)
        elif type(event) is CompletionRun:  # executemany: one event for many executions
            self.executed.status = event.tag
            self.executed.completed += event.count
        elif type(event) is BindComplete:
            pass  # one per execution; nothing to record
        elif type(event) is CommandComplete:
            self.executed.status = event.tag
            self.executed.completed += 1
        elif type(event) is ReadyForQuery:
            self._finish(self.executed)
        elif type(event) is ErrorResponse:
            self._server_error(event)
        elif type(event) is PortalSuspended:
            self.executed.suspended = True
        elif type(event) is EmptyQueryResponse:
            self.executed.completed += 1
        elif type(event) is CopyInResponse:
            # COPY FROM STDIN through fetch()/execute() with arguments: refused at once, so the
            # cycle ends (the server answers CopyFail with an error) instead of waiting forever.
            # The server ignored the request's Sync while in copy-in mode: another one ends it.
            self.send(pgwire.CopyFail("COPY FROM STDIN is not supported here: use copy_to_table()"))
            self.send(pgwire.Sync())


class SimpleExchange(_Exchange[str]):
    """Query (the simple protocol, several statements allowed): the last status.

    Rows are dropped, as ``Connection.execute`` returns only the status. A COPY started by
    the query is refused cleanly (CopyFail for COPY FROM STDIN, the data dropped for COPY TO
    STDOUT), so the connection stays in sync; COPY has methods of its own.
    """

    __slots__ = ("result", "send", "syncs_before")

    def __init__(
        self, loop: asyncio.AbstractEventLoop, query: str, send: Any, *, syncs_before: int = 0
    ) -> None:
        super().__init__(loop, query)
        self.send = send
        self.result = ""
        #: ReadyForQuery messages that answer Syncs sent ahead of the Query (closing evicted
        #: statements); the cycle ends only at the Query's own ReadyForQuery.
        self.syncs_before = syncs_before

    def handle(self, event: ClientEvent) -> None:
        if type(event) is CommandComplete:
            self.result = event.tag
        elif type(event) is ReadyForQuery:
            if self.syncs_before:
                self.syncs_before -= 1
            else:
                self._finish(self.result)
        elif type(event) is ErrorResponse:
            self._server_error(event)
        elif type(event) is CopyInResponse:
            self.send(pgwire.CopyFail("COPY FROM STDIN is not supported by execute(): use copy_to_table()"))
        # Anything else (rows, CopyOutResponse and CopyData of a COPY TO STDOUT) is dropped:
        # execute() returns the status only.
