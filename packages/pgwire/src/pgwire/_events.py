"""Events that are not protocol messages: the ``NEED_DATA`` sentinel, the one-byte answers to
SSLRequest and GSSENCRequest, the end of the byte stream, and the two batches of the hot path:
DataRow messages, and the BindComplete + CommandComplete answers of a pipelined run.
"""

from __future__ import annotations

import enum
import struct
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Final

from pgwire._backend import BindComplete, CommandComplete
from pgwire._client_errors import RemoteProtocolError

__all__ = [
    "NEED_DATA",
    "CompletionRun",
    "ConnectionClosed",
    "DataRowBatch",
    "GSSENCResponse",
    "NeedData",
    "SSLResponse",
]

_INT16: Final = struct.Struct("!h")
_INT32: Final = struct.Struct("!i")


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
            if end - start < 2:
                raise RemoteProtocolError("malformed DataRow message: no column count")
            count = _INT16.unpack_from(buffer, start)[0]
            if count < 0:
                raise RemoteProtocolError(f"malformed DataRow message: negative column count {count}")
            pos = start + 2
            values: list[bytes | None] = []
            for _ in range(count):
                if pos + 4 > end:
                    raise RemoteProtocolError("malformed DataRow message: truncated column length")
                length = _INT32.unpack_from(buffer, pos)[0]
                pos += 4
                if length == -1:
                    values.append(None)
                    continue
                if length < 0 or pos + length > end:
                    raise RemoteProtocolError(
                        f"malformed DataRow message: column length {length} out of range"
                    )
                values.append(buffer[pos : pos + length])
                pos += length
            if pos != end:
                raise RemoteProtocolError(f"malformed DataRow message: {end - pos} unexpected trailing bytes")
            yield tuple(values)


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
