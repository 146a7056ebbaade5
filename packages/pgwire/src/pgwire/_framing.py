"""Incremental framing: cutting a byte stream into messages, whatever the chunk boundaries.

Typed messages are ``Byte1`` type, ``Int32`` length (counting itself), payload; the startup
packets a server receives first have no type byte. The framer reads from one immutable
``bytes`` (usually a received chunk itself, never copied) and keeps later chunks in a queue.
Only a frame that straddles chunks is joined, and only its own bytes: a large message that
arrives in many small chunks is copied once, and the rest of the chunk it ends in is read in
place (or, when only a few KiB of it are left, joined along). A declared length over
``max_message_size`` is a :class:`RemoteProtocolError` as soon as the header is seen: memory
stays bounded by the limit, whatever the peer claims.
"""

from __future__ import annotations

import struct
from collections import deque
from collections.abc import Sequence
from typing import Final

from pgwire._client_errors import RemoteProtocolError
from pgwire._events import DataRowBatch
from pgwire._implementation import speedups

__all__ = ["DEFAULT_MAX_MESSAGE_SIZE", "MAX_STARTUP_PACKET_SIZE", "Framer"]

#: PostgreSQL allocates a message in one piece of at most 1 GiB (MaxAllocSize).
DEFAULT_MAX_MESSAGE_SIZE: Final = 1 << 30
#: The server refuses startup packets over 10000 bytes (MAX_STARTUP_PACKET_LENGTH).
MAX_STARTUP_PACKET_SIZE: Final = 10000
#: DataRow messages collected into one batch at most, to bound the work of one event.
MAX_BATCH_ROWS: Final = 4096

#: When a frame ends in a chunk with at most this many bytes after it, the rest of the chunk
#: is joined along with the frame instead of being read in place.
_SMALL_REST: Final = 8192

_HEADER: Final = struct.Struct("!ci")
_TYPED_HEADER: Final = struct.Struct("!Bi")
_LENGTH: Final = struct.Struct("!i")
_DATA_ROW: Final = 0x44  # 'D'
_COPY_DATA: Final = 0x64  # 'd'
_BIND_COMPLETE_BYTES: Final = b"2\x00\x00\x00\x04"
_COMMAND_COMPLETE: Final = 0x43  # 'C'
_PORTAL_SUSPENDED_BYTES: Final = b"s\x00\x00\x00\x04"
#: ReadyForQuery's type byte and length: its six bytes but the status.
_READY_HEADER: Final = b"Z\x00\x00\x00\x05"


class Framer:
    """Splits a byte stream into frames.

    Args:
        max_message_size: the largest payload accepted, in bytes.
    """

    __slots__ = ("_buffer", "_eof", "_offset", "_pending", "_pending_size", "_pos", "max_message_size")

    def __init__(self, *, max_message_size: int = DEFAULT_MAX_MESSAGE_SIZE) -> None:
        if max_message_size < 0:
            raise ValueError(f"max_message_size must be >= 0, got {max_message_size}")
        self.max_message_size = max_message_size
        self._buffer = b""
        self._pos = 0
        # Chunks received after the current buffer; the first is read from ``_offset`` on, and
        # ``_pending_size`` counts their unread bytes.
        self._pending: deque[bytes] = deque()
        self._offset = 0
        self._pending_size = 0
        self._eof = False

    @property
    def eof(self) -> bool:
        """Whether the end of the stream was received."""
        return self._eof

    @property
    def buffered(self) -> int:
        """How many received bytes are not yet consumed."""
        return len(self._buffer) - self._pos + self._pending_size

    def receive_data(self, data: bytes | bytearray | memoryview) -> None:
        """Add received bytes; ``b""`` means the peer closed the stream.

        Raises:
            RemoteProtocolError: data after the end of the stream.
        """
        if not data:
            self._eof = True
            return
        if self._eof:
            raise RemoteProtocolError("data received after the end of the stream")
        chunk = bytes(data)
        if self._pos == len(self._buffer) and not self._pending:
            self._buffer = chunk
            self._pos = 0
        else:
            self._pending.append(chunk)
            self._pending_size += len(chunk)

    def _available(self, needed: int) -> bool:
        """Make ``needed`` bytes contiguous from the read position, if that many were received.

        When the current buffer is used up, the next chunk becomes the buffer as it is. When a
        frame straddles chunks, the unread rest of the buffer and exactly the missing bytes of
        the next chunks are joined into a buffer of their own; the chunk where the frame ends
        stays queued and is read in place from the frame's end.
        """
        have = len(self._buffer) - self._pos
        if have >= needed:
            return True
        if have + self._pending_size < needed:
            return False
        pending = self._pending
        if have == 0:
            chunk = pending.popleft()
            self._buffer = chunk
            self._pos = self._offset
            self._pending_size -= len(chunk) - self._offset
            self._offset = 0
            have = len(chunk) - self._pos
            if have >= needed:
                return True
        parts = [self._buffer[self._pos :]]
        missing = needed - have
        while missing:
            chunk = pending[0]
            start = self._offset
            unread = len(chunk) - start
            if unread <= missing:
                parts.append(chunk[start:] if start else chunk)
                pending.popleft()
                self._offset = 0
                self._pending_size -= unread
                missing -= unread
            elif unread <= _SMALL_REST + missing:
                # The rest of a small chunk is cheaper to copy along than to read apart, and
                # keeps the rows after this frame in the same batch.
                parts.append(chunk[start:] if start else chunk)
                pending.popleft()
                self._offset = 0
                self._pending_size -= unread
                missing = 0
            else:
                parts.append(chunk[start : start + missing])
                self._offset = start + missing
                self._pending_size -= missing
                missing = 0
        self._buffer = b"".join(parts)
        self._pos = 0
        return True

    def check_end(self) -> bool:
        """At the end of the stream, whether the consumed data ends on a frame boundary.

        Returns:
            True when the stream has ended with nothing left over, False while it has not ended.

        Raises:
            RemoteProtocolError: the stream ended in the middle of a message.
        """
        if not self._eof:
            return False
        if self.buffered:
            raise RemoteProtocolError(
                f"connection closed in the middle of a message ({self.buffered} bytes left over)"
            )
        return True

    def next_byte(self) -> int | None:
        """One single byte (the answer to SSLRequest or GSSENCRequest), or None if none yet."""
        if not self._available(1):
            return None
        value = self._buffer[self._pos]
        self._pos += 1
        return value

    def _peek_type(self) -> int | None:
        """The type byte of the next typed message, or None if nothing is buffered."""
        pos = self._pos
        if pos < len(self._buffer):  # the common case, without a call
            return self._buffer[pos]
        if not self._available(1):
            return None
        return self._buffer[self._pos]

    def _peek_bytes(self, count: int) -> bytes:
        """Up to ``count`` bytes at the read position in the current buffer, not consumed."""
        return self._buffer[self._pos : self._pos + count]

    def _skip(self, count: int) -> None:
        """Consume ``count`` bytes that :meth:`_peek_bytes` returned."""
        self._pos += count

    def _skip_exact(self, expected: bytes) -> bool:
        """Consume ``expected`` if the buffer holds exactly those bytes next (a known, fixed
        message such as BindComplete); False, consuming nothing, otherwise."""
        end = self._pos + len(expected)
        if self._buffer[self._pos : end] == expected:
            self._pos = end
            return True
        return False

    def _next_completion_run(self) -> tuple[bytes, int] | None:
        """A run of identical BindComplete + CommandComplete pairs, as ``(payload, count)``.

        When the read position holds BindComplete followed by a whole CommandComplete, every
        consecutive repeat of those same bytes in the current buffer is consumed, and the
        CommandComplete payload is returned with the number of pairs. Returns None,
        consuming nothing, otherwise (another message follows BindComplete, or the pair is
        not all here, or the CommandComplete's length is out of range: the message-by-message
        path then reads or reports it).
        """
        buffer = self._buffer
        pos = self._pos
        head = pos + 5
        if (
            buffer[pos:head] != _BIND_COMPLETE_BYTES
            or len(buffer) < head + 5
            or buffer[head] != _COMMAND_COMPLETE
        ):
            return None
        length = _LENGTH.unpack_from(buffer, head + 1)[0]
        end = head + 1 + length
        if length < 4 or length - 4 > self.max_message_size or end > len(buffer):
            return None
        unit = buffer[pos:end]
        size = end - pos
        most = (len(buffer) - pos) // size
        # Compare 16 repeats, then 8 times more while all match, so that the work stays
        # proportional to the run found (runs of alternating tags, such as UPDATE 1 and
        # UPDATE 0, must not cost the whole buffer each); then halve between the last good
        # count and the first bad one. Each probe is one C-level comparison.
        low, high = 1, min(16, most)
        while buffer.startswith(unit * high, pos):
            if high == most:
                low = high
                break
            low, high = high, min(high * 8, most)
        else:
            high -= 1
            while low < high:
                middle = (low + high + 1) // 2
                if buffer.startswith(unit * middle, pos):
                    low = middle
                else:
                    high = middle - 1
        count = low
        self._pos = pos + count * size
        return buffer[head + 5 : end], count

    def next_message(self) -> tuple[int, bytes] | None:
        """The next typed message as ``(type byte, payload)``, or None if it is incomplete.

        Raises:
            RemoteProtocolError: a length below 4 or over ``max_message_size``.
        """
        # The common case first: the whole message is in the current buffer.
        buffer = self._buffer
        pos = self._pos
        if len(buffer) - pos >= 5:
            type_byte, length = _TYPED_HEADER.unpack_from(buffer, pos)
            end = pos + 1 + length
            if 4 <= length <= self.max_message_size + 4 and end <= len(buffer):
                self._pos = end
                return type_byte, buffer[pos + 5 : end]
        if not self._available(5):
            return None
        type_code, length = _HEADER.unpack_from(self._buffer, self._pos)
        self._check_length(type_code[0], length)
        end = self._pos + 1 + length
        if not self._available(1 + length):
            return None
        start = self._pos + 5
        end = start + length - 4
        self._pos = end
        return type_code[0], self._buffer[start:end]

    def next_untyped(self) -> bytes | None:
        """The next untyped startup-phase packet's payload, or None if it is incomplete.

        Raises:
            RemoteProtocolError: a length below 8 or over the server's startup packet limit.
        """
        if not self._available(4):
            return None
        (length,) = _LENGTH.unpack_from(self._buffer, self._pos)
        if length < 8 or length > MAX_STARTUP_PACKET_SIZE:
            raise RemoteProtocolError(
                f"invalid startup packet length {length}: expected 8 to {MAX_STARTUP_PACKET_SIZE} bytes"
            )
        if not self._available(length):
            return None
        start = self._pos + 4
        self._pos += length
        return self._buffer[start : self._pos]

    def _next_data_rows(self) -> DataRowBatch | None:
        """All complete DataRow messages at the read position, as one batch without copying.

        Returns None when the next message is not a complete DataRow. Stops at the first
        message of another type, at an incomplete DataRow, or after ``MAX_BATCH_ROWS`` rows.

        Raises:
            RemoteProtocolError: the first DataRow's length is out of range.
        """
        if not self._available(5) or self._buffer[self._pos] != _DATA_ROW:
            return None
        buffer = self._buffer
        starts, ends, end = _row_run(buffer, self._pos, self.max_message_size + 4, MAX_BATCH_ROWS)
        if not starts:
            # The first DataRow is malformed, or incomplete in this buffer: join the pending
            # chunks for it.
            length = _LENGTH.unpack_from(buffer, self._pos + 1)[0]
            self._check_length(_DATA_ROW, length)
            if not self._available(1 + length):
                return None
            return self._next_data_rows()
        self._pos = end
        return DataRowBatch(buffer, starts, ends)

    def _next_copy_data(self) -> tuple[bytes, int] | None:
        """The complete CopyData messages at the read position in the current buffer, as
        ``(payloads joined, count)``; None, consuming nothing, when the next message is not a
        complete, well-formed CopyData (the message-by-message path then reads or reports it)."""
        data, count, end = _copy_run(self._buffer, self._pos, self.max_message_size + 4)
        if not count:
            return None
        self._pos = end
        return data, count

    def _scan_cycle_reply(self) -> tuple[DataRowBatch | None, bytes | None, bytes, int] | None:
        """A whole extended-query answer in the current buffer, not consumed.

        At the read position: BindComplete, any DataRows, CommandComplete or PortalSuspended,
        and a six-byte ReadyForQuery, all complete, and nothing after them (the answer to one
        request that one read brought). Returns ``(rows, CommandComplete payload or None for
        PortalSuspended, ReadyForQuery bytes, end)``; ``_consume_to(end)`` takes it. None
        otherwise: the messages are then read one by one, and any fault in them is reported
        there.
        """
        buffer = self._buffer
        size = len(buffer)
        pos = self._pos
        # The reply of a request ends the buffer with ReadyForQuery: one comparison turns
        # away partial results and pipelined requests before any scanning.
        if buffer[size - 6 : size - 1] != _READY_HEADER or buffer[pos : pos + 5] != _BIND_COMPLETE_BYTES:
            return None
        pos += 5
        rows = None
        if buffer[pos] == _DATA_ROW:
            starts, ends, pos = _row_run(buffer, pos, self.max_message_size + 4, MAX_BATCH_ROWS)
            if not starts:
                return None
            rows = DataRowBatch(buffer, starts, ends)
        if pos == size - 11 and buffer[pos : pos + 5] == _PORTAL_SUSPENDED_BYTES:
            return rows, None, buffer[pos + 5 :], size
        if pos > size - 11 or buffer[pos] != _COMMAND_COMPLETE:
            return None  # (11: CommandComplete's header and ReadyForQuery)
        end = pos + 1 + _LENGTH.unpack_from(buffer, pos + 1)[0]
        if end != size - 6 or end < pos + 5:
            return None
        return rows, buffer[pos + 5 : end], buffer[end:], size

    def _consume_to(self, end: int) -> None:
        """Consume the current buffer up to ``end``, which a ``_scan_*`` method returned."""
        self._pos = end

    def _check_length(self, type_code: int, length: int) -> None:
        if length < 4:
            raise RemoteProtocolError(f"invalid length {length} for message type {_describe(type_code)}")
        if length - 4 > self.max_message_size:
            raise RemoteProtocolError(
                f"message type {_describe(type_code)} declares {length - 4} bytes, "
                f"over the limit of {self.max_message_size} (max_message_size)"
            )


def _describe(type_code: int) -> str:
    char = chr(type_code)
    return f"{char!r} (0x{type_code:02x})" if char.isprintable() else f"0x{type_code:02x}"


def row_run(buffer: bytes, pos: int, limit: int, max_rows: int) -> tuple[Sequence[int], Sequence[int], int]:
    """The complete DataRow messages from ``pos`` on in ``buffer``: ``(starts, ends, end)``.

    ``starts`` and ``ends`` are where each payload starts and ends (ranges for a leading run of
    at least two rows of equal size, else lists), ``end`` where the run stops: at another
    message type, an incomplete DataRow, a length below 4 or over ``limit``, or after
    ``max_rows`` rows. Both are empty when the first message is not a complete, well-formed
    DataRow. The compiled twin (``pgwire._speedups.row_run``) returns the same.
    """
    if pos >= 0 and pos + 5 <= len(buffer) and buffer[pos] == _DATA_ROW:
        uniform = _uniform_run(buffer, pos, _LENGTH.unpack_from(buffer, pos + 1)[0], limit, max_rows)
        if uniform is not None:
            return uniform
    return _walk(buffer, pos, limit, max_rows)


def walk_rows(buffer: bytes, pos: int, limit: int, max_rows: int) -> tuple[list[int], list[int], int]:
    """The DataRow walk of :func:`row_run`, one message at a time: the pure reference.

    The compiled twin (``pgwire._speedups.walk_rows``) returns the same for every input.
    """
    unpack = _LENGTH.unpack_from
    size = len(buffer)
    starts: list[int] = []
    ends: list[int] = []
    while pos >= 0 and pos + 5 <= size and buffer[pos] == _DATA_ROW and len(starts) < max_rows:
        length = unpack(buffer, pos + 1)[0]
        end = pos + 1 + length
        if length < 4 or length > limit or end > size:
            break  # the rows before it first; the message-by-message path reads or reports it
        starts.append(pos + 5)
        ends.append(end)
        pos = end
    return starts, ends, pos


def copy_run(buffer: bytes, pos: int, limit: int) -> tuple[bytes, int, int]:
    """The complete CopyData messages from ``pos`` on: ``(payloads joined, count, end)``.

    The run stops at another message type, an incomplete CopyData, or a length below 4 or
    over ``limit`` (the message-by-message path then reads or reports that message); the
    count is 0 when the first message is not such a CopyData. The compiled twin
    (``pgwire._speedups.copy_run``) returns the same for every input.
    """
    unpack = _LENGTH.unpack_from
    size = len(buffer)
    parts: list[bytes] = []
    append = parts.append
    while pos >= 0 and pos + 5 <= size and buffer[pos] == _COPY_DATA:
        length = unpack(buffer, pos + 1)[0]
        end = pos + 1 + length
        if length < 4 or length > limit or end > size:
            break
        append(buffer[pos + 5 : end])
        pos = end
    return b"".join(parts), len(parts), pos


_walk: Final = walk_rows if speedups is None else speedups.walk_rows
_row_run: Final = row_run if speedups is None else speedups.row_run
_copy_run: Final = copy_run if speedups is None else speedups.copy_run


def _uniform_run(
    buffer: bytes, pos: int, length: int, limit: int, max_rows: int
) -> tuple[range, range, int] | None:
    """The leading run of DataRows that all have the first one's length, found in C.

    Rows of fixed-width columns (and many others) have equal sizes, so instead of walking
    them one by one, each of the five header bytes (type, length) is compared across the
    messages at a stride of one message: the run is as long as every header matches, and
    each matching header puts the next message exactly one stride further. Returns None
    (walk instead) unless at least two messages match.
    """
    step = length + 1
    if length < 4 or length > limit or buffer[pos + step : pos + step + 5] != buffer[pos : pos + 5]:
        return None
    most = min((len(buffer) - pos) // step, max_rows)
    # Look at 16 messages, then 8 times more while all match: the work stays proportional
    # to the run found, even when a short run sits at the start of a long buffer.
    window = min(16, most)
    while True:
        stop = pos + window * step
        matching = window
        for offset in range(5):
            # This byte of every message in the window, gathered by a strided slice.
            column = buffer[pos + offset : stop : step]
            first = column[:1]
            if column.count(first) != window:
                # How many leading messages have the first message's byte here.
                matching = min(matching, window - len(column.lstrip(first)))
        if matching < window or window == most:
            break
        window = min(window * 8, most)
    if matching < 2:
        return None
    end = pos + matching * step
    return range(pos + 5, end, step), range(pos + step, end + 1, step), end
