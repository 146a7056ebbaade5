"""The binary COPY decoder: the data of ``COPY ... TO STDOUT (FORMAT binary)`` in, records out.

The data arrives in CopyData chunks that need not align with anything (PostgreSQL docs,
"Message Flow", "COPY Operations"): the header may be split, and a tuple may span chunks.
The decoder finds the complete tuples of what it has, hands them to a :class:`RowDecoder`
built for the columns (a binary COPY tuple is laid out exactly as a DataRow payload: an Int16
field count, then per field an Int32 length, -1 for NULL, and the value), and keeps the
incomplete rest for the next chunk. So values are decoded by the row decoder's loops and
codecs, and memory is bounded by one partial tuple plus the current chunk: when a tuple is
still incomplete, the chunks after it are only gathered until the bytes it needs are there.

Malformed data raises ``BadCopyFileFormatError`` (SQLSTATE 22P04, a ``DataError``), the class
the server raises for malformed binary COPY input; a value its codec cannot decode raises
``DataError`` naming the row and the column. Neither leaves the connection out of step: the
CopyData framing around the data is intact.
"""

from __future__ import annotations

import struct
from collections.abc import Sequence
from functools import partial
from typing import Final

from pgtypes._codec import Codec, data_error
from pgtypes._copy_format import (
    CRITICAL_FLAGS,
    HEADER_SIZE,
    OIDS_FLAG,
    SIGNATURE,
    binary_codecs,
    check_binary,
    column_list,
)
from pgtypes._copy_scan import Scanner, build_scanner
from pgtypes._implementation import speedups
from pgtypes._record import Record
from pgtypes._registry import TypeRegistry
from pgtypes._row_decoder import RowDecoder
from pgwire import FieldDescription
from pgwire.exceptions import BadCopyFileFormatError, DataError, InterfaceError

__all__ = ["CopyRecordDecoder"]

_INT16_AT: Final = struct.Struct("!h").unpack_from
_INT32_AT: Final = struct.Struct("!i").unpack_from
_FLAGS_AND_EXTENSION_AT: Final = struct.Struct("!Ii").unpack_from


def _bad(message: str) -> BadCopyFileFormatError:
    return BadCopyFileFormatError.client_side(f"invalid binary COPY data: {message}")


def _counted(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


class CopyRecordDecoder:
    """Decodes the data of one binary ``COPY ... TO STDOUT`` into records.

    Feed every CopyData payload to :meth:`feed`, in order, then call :meth:`finish` at
    CopyDone::

        decoder = CopyRecordDecoder.for_fields(registry, fields)
        for payload in payloads:
            records.extend(decoder.feed(payload))
        decoder.finish()

    Rows are numbered from 1 in error messages. After an error the decoder stops: feeding
    it again raises ``InterfaceError``.

    Attributes:
        names: the column names.
        codecs: the binary codec of each column.
        record_class: the class of the records made.
    """

    __slots__ = (
        "_count",
        "_error",
        "_gathered",
        "_has_header",
        "_is_complete",
        "_needed",
        "_pending",
        "_row_decoder",
        "_rows",
        "_scan_common",
        "codecs",
        "names",
        "record_class",
    )

    def __init__(
        self, names: Sequence[str], codecs: Sequence[Codec], record_class: type[Record] = Record
    ) -> None:
        """Build the decoder.

        Args:
            names: the column names, in the order of the fields in a tuple.
            codecs: one binary codec per column.
            record_class: :class:`Record` or a subclass.

        Raises:
            ValueError: ``names`` and ``codecs`` differ in length.
            InternalClientError: a codec is not a binary one (``no binary format decoder for
                type money (OID 790)``).
            TypeError: ``record_class`` is not a Record class.
        """
        check_binary(names, codecs, "decoder")
        self._row_decoder = RowDecoder(names, codecs, record_class)
        self.names = self._row_decoder.names
        self.codecs = self._row_decoder.codecs
        self.record_class = record_class
        self._count = len(codecs)
        # The compiled build walks the tuples in C (the row executor checks their lengths).
        self._scan_common: Scanner = (
            build_scanner([struct.calcsize("!" + codec.fixed) if codec.fixed else 0 for codec in codecs])
            if speedups is None
            else partial(speedups.scan_copy_tuples, len(codecs))
        )
        # Chunks not yet decoded (the start of an incomplete header or tuple, then what came
        # after it), their total length, and how many bytes the incomplete part needs at
        # least before it is worth looking at again.
        self._pending: list[bytes] = []
        self._gathered = 0
        self._needed = 0
        self._has_header = False
        self._is_complete = False
        self._rows = 0
        self._error: Exception | None = None

    @classmethod
    def for_fields(
        cls, registry: TypeRegistry, fields: Sequence[FieldDescription], record_class: type[Record] = Record
    ) -> CopyRecordDecoder:
        """The decoder for the columns of a RowDescription (``SELECT cols FROM t LIMIT 0``).

        Raises:
            InternalClientError: a column's type has no binary decoder, or is unknown to the
                registry (introspect it first).
        """
        return cls([field.name for field in fields], binary_codecs(registry, fields, "decoder"), record_class)

    def __repr__(self) -> str:
        columns = column_list(self.names, self.codecs)
        return f"<CopyRecordDecoder ({columns}) -> {self.record_class.__name__} rows={self._rows}>"

    @property
    def rows(self) -> int:
        """How many records have been decoded."""
        return self._rows

    @property
    def is_complete(self) -> bool:
        """Whether the trailer has been seen (the data is complete)."""
        return self._is_complete

    def feed(self, data: bytes, out: list[Record] | None = None) -> list[Record]:
        """Decode the tuples that ``data`` completes, appending their records to ``out``.

        Args:
            data: the next chunk of the COPY data (a CopyData payload), any length.
            out: the list to append to; a new one when ``None``.

        Returns:
            ``out``, with a record for each tuple completed, in order.

        Raises:
            BadCopyFileFormatError: malformed data (a bad signature, a critical flag this
                decoder does not know, a tuple with the wrong field count or a bad length,
                data after the trailer); the records of the tuples before it are in ``out``.
            DataError: a value its column's codec cannot decode (the message names the row
                and the column); the records before it are in ``out``.
            InterfaceError: the decoder stopped at an earlier error.
        """
        result: list[Record] = [] if out is None else out
        if self._error is not None:
            raise InterfaceError("this COPY decoder stopped at an error") from self._error
        if not data:
            return result
        if self._is_complete:
            raise self._stop(_bad(f"{_counted(len(data), 'byte')} after the trailer"))
        pending = self._pending
        if pending:
            # The rest of an incomplete header or tuple: gather until it can be complete.
            pending.append(data)
            self._gathered += len(data)
            if self._gathered < self._needed:
                return result
            buffer = b"".join(pending)
            pending.clear()
            self._gathered = 0
        else:
            # The common case (one CopyData per row, as the server sends them): no copy.
            buffer = data if type(data) is bytes else bytes(data)
        try:
            self._decode(buffer, result)
        except Exception as error:
            self._error = error
            raise
        return result

    def finish(self) -> None:
        """Check that the data ended with its trailer, and nothing is left over.

        Raises:
            BadCopyFileFormatError: the data stopped before the trailer (inside the header,
                a tuple, or between tuples).
            InterfaceError: the decoder stopped at an earlier error.
        """
        if self._error is not None:
            raise InterfaceError("this COPY decoder stopped at an error") from self._error
        if self._is_complete:
            return
        if not self._has_header:
            where = (
                f"inside the header, after {_counted(self._gathered, 'byte')}"
                if self._gathered
                else "before the header"
            )
        elif self._gathered == 1:
            where = f"after row {self._rows}, 1 byte into the next row or the trailer"
        elif self._gathered:
            where = f"inside row {self._rows + 1}, after {_counted(self._gathered, 'byte')} of it"
        else:
            where = f"after row {self._rows}, without the trailer"
        raise self._stop(_bad(f"the data ended {where}"))

    def _stop(self, error: Exception) -> Exception:
        self._error = error
        return error

    def _decode(self, buffer: bytes, out: list[Record]) -> None:
        """Decode the complete tuples in ``buffer``; keep what is incomplete."""
        position = 0
        if not self._has_header:
            position = self._header(buffer)
            if position < 0:
                return
        starts: list[int] = []
        ends: list[int] = []
        try:
            position = self._scan(buffer, position, starts, ends)
        finally:
            # The tuples before a malformed one are decoded first, in order.
            self._decode_tuples(buffer, starts, ends, out)
        if self._is_complete:
            extra = len(buffer) - position
            if extra:
                raise _bad(f"{_counted(extra, 'byte')} after the trailer")
        elif position < len(buffer):
            self._keep(buffer, position)

    def _keep(self, buffer: bytes, position: int) -> None:
        rest = buffer[position:]
        self._pending.append(rest)
        self._gathered = len(rest)

    def _header(self, buffer: bytes) -> int:
        """Read the header ("Binary Format", "File Header"); its end, or -1 while incomplete."""
        size = len(buffer)
        if buffer[: len(SIGNATURE)] != SIGNATURE[:size]:
            shown = buffer[: len(SIGNATURE)]
            raise _bad(f"the signature is not PGCOPY\\n\\377\\r\\n\\0 (got {shown!r})")
        if size < HEADER_SIZE:
            return self._incomplete(buffer, HEADER_SIZE)
        flags, extension = _FLAGS_AND_EXTENSION_AT(buffer, len(SIGNATURE))
        if flags & OIDS_FLAG:
            raise _bad("the header's flags say the tuples carry OIDs, which this decoder does not read")
        if flags & CRITICAL_FLAGS:
            raise _bad(f"the header's flags have critical bits this decoder does not know: {flags:#010x}")
        if extension < 0:
            raise _bad(f"the header extension has a negative length ({extension})")
        # A reader skips the extension area it does not know what to do with.
        end: int = HEADER_SIZE + extension
        if size < end:
            return self._incomplete(buffer, end)
        self._has_header = True
        self._needed = 0
        self._gathered = 0
        return end

    def _incomplete(self, buffer: bytes, needed: int) -> int:
        """Keep ``buffer`` until ``needed`` bytes are there; -1."""
        self._keep(buffer, 0)
        self._needed = needed
        return -1

    def _scan(self, buffer: bytes, position: int, starts: list[int], ends: list[int]) -> int:
        """Find the complete tuples from ``position``; return where the incomplete rest starts.

        Sets ``_needed`` to how many bytes the incomplete tuple needs at least (so that the
        chunks after it are only gathered until then), and ``_is_complete`` at the trailer.
        """
        size = len(buffer)
        count = self._count
        int32_at = _INT32_AT
        row = self._rows
        scan = self._scan_common
        while True:
            # The common tuples at the scanner's speed; then one other tuple walked here.
            position = scan(buffer, position, size, starts, ends)
            if position + 2 > size:
                break
            fields = _INT16_AT(buffer, position)[0]
            if fields != count:
                if fields == -1:
                    self._is_complete = True
                    self._needed = 0
                    return position + 2
                raise _bad(f"row {row + len(starts) + 1} has {_counted(fields, 'field')}, expected {count}")
            at = position + 2
            for column in range(count):
                if at + 4 > size:
                    break
                length = int32_at(buffer, at)[0]
                at += 4
                if length > 0:
                    at += length
                elif length < -1:
                    raise _bad(
                        f"row {row + len(starts) + 1}, column {column + 1} "
                        f"({self.names[column]!r}) has length {length}"
                    )
            else:
                if at <= size:
                    starts.append(position)
                    ends.append(at)
                    position = at
                    continue
                # The last value runs past the buffer: the tuple ends at ``at``.
                self._needed = at - position
                return position
            # A length word runs past the buffer: the tuple needs at least that word.
            self._needed = at + 4 - position
            return position
        self._needed = 2
        return position

    def _decode_tuples(self, buffer: bytes, starts: list[int], ends: list[int], out: list[Record]) -> None:
        """Decode the tuples found, naming the row of a value that cannot be decoded."""
        if not starts:
            return
        mark = len(out)
        try:
            self._row_decoder.decode_rows(buffer, starts, ends, out)
        except DataError as error:
            row = self._rows + len(out) - mark + 1
            self._rows += len(out) - mark
            raise data_error(f"COPY row {row}: {error.args[0]}") from error
        self._rows += len(starts)
