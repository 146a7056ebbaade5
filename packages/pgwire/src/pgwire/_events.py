"""Events that are not protocol messages: the ``NEED_DATA`` sentinel, the one-byte answers to
SSLRequest and GSSENCRequest, the end of the byte stream, and the batches of the hot path:
DataRow messages, the BindComplete + CommandComplete answers of a pipelined run, and the whole
answer to one extended-query request.
"""

from __future__ import annotations

import enum
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Final

from pgwire._backend import (
    BindComplete,
    CommandComplete,
    DataRow,
    PortalSuspended,
    ReadyForQuery,
    TransactionStatus,
)
from pgwire._rows import parse_data_row

__all__ = [
    "NEED_DATA",
    "CompletionRun",
    "ConnectionClosed",
    "CopyDataRun",
    "CycleReply",
    "DataRowBatch",
    "GSSENCResponse",
    "NeedData",
    "SSLResponse",
]


class NeedData(enum.Enum):
    """The type of :data:`NEED_DATA`; a one-member enum so that type checkers narrow on it."""

    NEED_DATA = enum.auto()


#: Returned by ``next_event()`` when no complete event is buffered: feed more bytes.
NEED_DATA: Final = NeedData.NEED_DATA


@dataclass(frozen=True, slots=True)
class SSLResponse:
    """The server's one-byte answer to ``SSLRequest``: ``S`` (start TLS now) or ``N`` (refused)."""

    accepted: bool


@dataclass(frozen=True, slots=True)
class GSSENCResponse:
    """The server's one-byte answer to ``GSSENCRequest``: ``G`` (start GSSAPI encryption) or ``N``."""

    accepted: bool


@dataclass(frozen=True, slots=True)
class ConnectionClosed:
    """The peer closed the byte stream (``receive_data(b"")``) at a message boundary."""


class DataRowBatch:
    """Consecutive DataRow messages, as raw payloads inside one buffer.

    This is the hot path of DESIGN section 2: instead of one message object per row, the
    framer hands over the buffer the rows arrived in and where each payload starts and ends,
    and the row decoder of ``pgtypes`` turns the whole batch into records in one loop.
    Each payload is ``Int16`` column count, then per column ``Int32`` length (-1 for NULL) and
    that many bytes.

    Attributes:
        buffer: bytes holding the rows (and possibly other data around them).
        starts: offset of each row's payload in ``buffer`` (a list, or a ``range`` for rows of
            equal size).
        ends: offset just past each row's payload.
    """

    __slots__ = ("buffer", "ends", "starts")

    def __init__(self, buffer: bytes, starts: Sequence[int], ends: Sequence[int]) -> None:
        self.buffer = buffer
        self.starts = starts
        self.ends = ends

    def __len__(self) -> int:
        return len(self.starts)

    def __repr__(self) -> str:
        return f"<DataRowBatch rows={len(self.starts)}>"

    def payloads(self) -> Iterator[bytes]:
        """Each row's payload as its own ``bytes`` (a copy; for tools, not the hot path)."""
        buffer = self.buffer
        for start, end in zip(self.starts, self.ends, strict=True):
            yield buffer[start:end]

    def rows(self) -> Iterator[tuple[bytes | None, ...]]:
        """Each row as a tuple of raw column values (``None`` for NULL).

        Raises:
            RemoteProtocolError: a payload's column lengths do not fit the message.
        """
        buffer = self.buffer
        for start, end in zip(self.starts, self.ends, strict=True):
            yield parse_data_row(buffer, start, end)


@dataclass(frozen=True, slots=True)
class CompletionRun:
    """``count`` consecutive answers of BindComplete then ``CommandComplete(tag)``.

    A pipelined run of Bind + Execute of a statement that returns no rows (``executemany``
    of an INSERT, say) is answered by this pair once per execution, byte for byte the same
    while the tags are. The client connection hands over every such pair it finds in a row in
    the received data as one event, so that a thousand executions cost one event, not two
    thousand messages. How many pairs one event holds depends on how the data arrived; use
    :meth:`messages` to see them one by one.

    Attributes:
        tag: the CommandComplete tag of every pair (``INSERT 0 1``).
        count: how many pairs, at least 1.
    """

    tag: str
    count: int

    def messages(self) -> Iterator[BindComplete | CommandComplete]:
        """The pairs as messages: BindComplete, CommandComplete, BindComplete, ..."""
        bind_complete = BindComplete()
        command_complete = CommandComplete(self.tag)
        for _ in range(self.count):
            yield bind_complete
            yield command_complete


@dataclass(frozen=True, slots=True)
class CopyDataRun:
    """``count`` consecutive CopyData messages of a COPY TO STDOUT, their payloads joined.

    The server sends one CopyData per row; a COPY OUT of small rows is thousands of messages
    per read. The client connection hands over every CopyData it finds in a row in the
    received data (in copy-out mode only: in copy-both mode each message has a meaning of its
    own) as one event. How many messages one event holds depends on how the data arrived.

    Attributes:
        data: the payloads, in order, as one ``bytes``.
        count: how many messages, at least 1.
    """

    data: bytes
    count: int


class CycleReply:
    """The whole answer to one extended-query request that executes one portal.

    BindComplete, the DataRows (if any), ``CommandComplete(tag)`` (or PortalSuspended, when
    the Execute's row limit was reached: ``fetchrow`` asks for one row) and
    ``ReadyForQuery(status)``, as one event: what most queries of a driver get back, and often
    in a single read. The client connection hands such an answer over whole when it arrived in
    one buffer and nothing follows it; :meth:`messages` gives the messages one by one.

    Attributes:
        rows: the rows as a :class:`DataRowBatch`, or None when the portal returned none.
        tag: the CommandComplete tag (``SELECT 1``); ``""`` when suspended.
        status: the ReadyForQuery transaction status.
        suspended: the portal was suspended (PortalSuspended in place of CommandComplete).
    """

    __slots__ = ("rows", "status", "suspended", "tag")

    def __init__(
        self, rows: DataRowBatch | None, tag: str, status: TransactionStatus, suspended: bool = False
    ) -> None:
        self.rows = rows
        self.tag = tag
        self.status = status
        self.suspended = suspended

    def __repr__(self) -> str:
        rows = 0 if self.rows is None else len(self.rows)
        end = "suspended" if self.suspended else f"tag={self.tag!r}"
        return f"<CycleReply rows={rows} {end} status={self.status.name}>"

    def messages(
        self,
    ) -> Iterator[BindComplete | DataRow | CommandComplete | PortalSuspended | ReadyForQuery]:
        """The answer as messages: BindComplete, each DataRow, CommandComplete (or
        PortalSuspended), ReadyForQuery.

        Raises:
            RemoteProtocolError: a row's column lengths do not fit its message.
        """
        yield BindComplete()
        if self.rows is not None:
            for values in self.rows.rows():
                yield DataRow(values)
        yield PortalSuspended() if self.suspended else CommandComplete(self.tag)
        yield ReadyForQuery(self.status)
