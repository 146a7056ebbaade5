"""Events that are not protocol messages: the ``NEED_DATA`` sentinel, the one-byte answers to
SSLRequest and GSSENCRequest, the end of the byte stream, and the DataRow batch of the hot path.
"""

from __future__ import annotations

import enum
import struct
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Final

from pgwire._client_errors import RemoteProtocolError

__all__ = ["NEED_DATA", "ConnectionClosed", "DataRowBatch", "GSSENCResponse", "NeedData", "SSLResponse"]

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
