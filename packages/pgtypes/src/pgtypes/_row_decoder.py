"""The row decoder: a batch of raw DataRow payloads in, a list of records out.

Built once per RowDescription and record class (DESIGN section 2): the codec of every column
is looked up when the decoder is built, never per row. Rows whose columns all have a
fixed-width binary form are unpacked by one precompiled ``struct.Struct`` (a row with a NULL
takes the general loop); other rows go through a loop written out for their shape
(:mod:`pgtypes._row_loops`), slicing each variable-width value out of the buffer for its
column's decode function and unpacking each run of fixed-width columns at once. The general
loop walks any row column by column and takes the rows the others hand back.

Malformed rows (a wrong column count, a length that runs past the row) raise
``RemoteProtocolError``; a value its codec cannot decode raises ``DataError`` naming the
column, its type and the format, chained to the codec's own error. A row is never returned
with a wrong value.
"""

from __future__ import annotations

import struct
from collections.abc import Sequence
from functools import lru_cache
from typing import Any, Final

from pgtypes._codec import BINARY, Codec, data_error, format_name
from pgtypes._implementation import speedups
from pgtypes._record import Record, RecordMaker, record_maker
from pgtypes._registry import TypeRegistry
from pgtypes._row_loops import MAX_SEGMENTS, RowLoop, build_row_loop
from pgtypes._row_plan import RowPlan, row_plan
from pgwire import DataRow, DataRowBatch, FieldDescription
from pgwire.exceptions import OutdatedSchemaCacheError, RemoteProtocolError

__all__ = ["RowDecoder"]

_INT16_AT: Final = struct.Struct("!h").unpack_from
_INT32_AT: Final = struct.Struct("!i").unpack_from
_COUNT_AND_LENGTH_AT: Final = struct.Struct("!hi").unpack_from
#: The offset sequences the compiled executor reads directly (others take the pure loops).
_OFFSET_TYPES: Final = (list, range)


class RowDecoder:
    """Decodes the rows of one statement into records.

    Attributes:
        names: the column names.
        codecs: the codec of each column.
        result_formats: the format code of each column, for Bind's result formats.
        record_class: the class of the records made.
    """

    __slots__ = (
        "_compiled",
        "_decoders",
        "_fixed_lengths",
        "_fixed_size",
        "_fixed_unpack",
        "_loop",
        "_make",
        "_message_bytes",
        "_message_iter",
        "_message_size",
        "_plan",
        "_segments",
        "_single",
        "codecs",
        "names",
        "record_class",
        "result_formats",
    )

    def __init__(
        self, names: Sequence[str], codecs: Sequence[Codec], record_class: type[Record] = Record
    ) -> None:
        """Build the decoder.

        Args:
            names: the column names, in order.
            codecs: one codec per column, in the format the rows will arrive in.
            record_class: :class:`Record` or a subclass.

        Raises:
            ValueError: ``names`` and ``codecs`` differ in length.
            TypeError: ``record_class`` is not a Record class.
        """
        if len(names) != len(codecs):
            raise ValueError(
                f"RowDecoder needs one codec per column: {len(names)} names, {len(codecs)} codecs"
            )
        self.names = tuple(names)
        self.codecs = tuple(codecs)
        self.result_formats = tuple(codec.format for codec in codecs)
        self.record_class = record_class
        self._make: RecordMaker = record_maker(self.names, record_class)
        self._decoders = tuple(codec.decode for codec in codecs)
        fixed = [codec.fixed if codec.format == BINARY else "" for codec in codecs]
        if codecs and all(fixed):
            row = struct.Struct("!h" + "".join("i" + code for code in fixed))
            self._fixed_unpack: Any = row.unpack_from
            self._fixed_size = row.size
            self._fixed_lengths = tuple(struct.calcsize("!" + code) for code in fixed)
            # Whole messages (type byte, length, row), for batches of equal-size rows: the
            # values of all of them in one iter_unpack that skips every other byte, after a
            # check of those other bytes (see _decode_uniform).
            skip_values = "".join("4x" + code for code in fixed)
            self._message_iter: Any = struct.Struct("!7x" + skip_values).iter_unpack
            self._message_size = row.size + 5
            template = struct.pack(
                "!cih" + "i" * len(fixed), b"D", row.size + 4, len(codecs), *self._fixed_lengths
            )
            offsets = [*range(7)]
            position = 7
            for code in fixed:
                offsets.extend(range(position, position + 4))
                position += 4 + struct.calcsize("!" + code)
            # (offset in a message, the byte every message must have there)
            self._message_bytes = tuple(
                (offset, template[_non_value_index(offset, fixed)]) for offset in offsets
            )
        else:
            self._fixed_unpack = None
            self._fixed_size = -1
            self._fixed_lengths = ()
            self._message_iter = None
        self._segments = _segments(self.codecs, fixed)
        self._single: Any = codecs[0].decode if len(codecs) == 1 and not fixed[0] else None
        # Rows with a variable-width column, except the one-column kind: a loop written out
        # for their shape (the general loop below stays for the rows it hands back).
        self._loop: RowLoop | None = None
        if self._single is None and self._fixed_unpack is None and 0 < len(self._segments) <= MAX_SEGMENTS:
            self._loop = build_row_loop(self._segments, len(codecs), self._make, self._decode_row)
        # The compiled executor of the same contract (pgtypes._row_plan), when it is installed.
        self._plan: RowPlan | None = row_plan(self.codecs) if speedups is not None and codecs else None
        self._compiled: Any = (
            speedups.decode_rows if self._plan is not None and speedups is not None else None
        )

    @classmethod
    def for_fields(
        cls, registry: TypeRegistry, fields: Sequence[FieldDescription], record_class: type[Record] = Record
    ) -> RowDecoder:
        """The decoder for a RowDescription, choosing binary wherever the registry can.

        Use :attr:`result_formats` in the Bind that asks for these rows.

        Raises:
            InternalClientError: a column's type is unknown to the registry (introspect first).
            UnsupportedClientFeatureError: a column's type has no codec.
        """
        codecs = [registry.result_codec(field.type_oid) for field in fields]
        return cls([field.name for field in fields], codecs, record_class)

    def __repr__(self) -> str:
        columns = ", ".join(
            f"{name} {codec.name}" for name, codec in zip(self.names, self.codecs, strict=True)
        )
        return f"<RowDecoder ({columns}) -> {self.record_class.__name__}>"

    def decode_batch(self, batch: DataRowBatch, out: list[Record] | None = None) -> list[Record]:
        """Decode every row of a pgwire ``DataRowBatch``, appending to ``out`` (or a new list).

        Raises:
            RemoteProtocolError: a malformed row.
            DataError: a value that its column's codec cannot decode.
        """
        result: list[Record] = [] if out is None else out
        starts, ends = batch.starts, batch.ends
        if self._compiled is not None:
            # The compiled executor reads every batch (the uniform-batch trick is the pure build's).
            if type(starts) in _OFFSET_TYPES and type(ends) in _OFFSET_TYPES:
                self._decode_compiled(batch.buffer, starts, ends, result)
                return result
        elif self._message_iter is not None and len(starts) >= 2 and self._decode_uniform(batch, result):
            return result
        self.decode_rows(batch.buffer, starts, ends, result)
        return result

    def _decode_uniform(self, batch: DataRowBatch, out: list[Record]) -> bool:
        """Rows of fixed-width columns only, none NULL: the whole batch in a few C-level passes.

        A batch holds consecutive DataRow messages. When its span is exactly ``count``
        messages of the no-NULL size, every byte that is not a value (type, length, column
        count, value lengths) is compared across all messages at once (a strided slice per
        byte position); the lengths being right means every message starts where the next
        unpack reads it, so no value can come from the wrong bytes. Then one ``iter_unpack``
        yields the values of every row. Anything else returns False for the general loop.
        """
        starts = batch.starts
        count = len(starts)
        size = self._message_size
        first = starts[0] - 5
        last = batch.ends[-1]
        if last - first != count * size:
            return False
        buffer = batch.buffer
        for offset, byte in self._message_bytes:
            # A strided slice of bytes gathers in C; a memoryview's would go item by item.
            if buffer[first + offset : last : size] != _repeated(byte, count):
                return False
        out.extend(map(self._make, self._message_iter(memoryview(buffer)[first:last])))
        return True

    def decode_payload(self, payload: bytes) -> Record:
        """Decode one DataRow payload (``Int16`` count, then length-prefixed values)."""
        result: list[Record] = []
        self.decode_rows(payload, [0], [len(payload)], result)
        return result[0]

    def decode_rows(
        self, buffer: bytes, starts: Sequence[int], ends: Sequence[int], out: list[Record]
    ) -> None:
        """The hot loop: decode the payloads ``buffer[starts[i]:ends[i]]`` into ``out``.

        Raises: as :meth:`decode_batch`; rows before the bad one may have been appended.
        """
        if self._compiled is not None and type(starts) in _OFFSET_TYPES and type(ends) in _OFFSET_TYPES:
            self._decode_compiled(buffer, starts, ends, out)
            return
        if self._single is not None:
            self._decode_one_column(buffer, starts, ends, out)
            return
        loop = self._loop
        if loop is not None:
            mark = len(out)
            try:
                loop(buffer, starts, ends, out)
                return
            except (RemoteProtocolError, OutdatedSchemaCacheError):
                raise
            except Exception as error:
                # A value its codec refused: the general loop runs only to name the column.
                # Never swallowed: should it find nothing wrong (a codec that failed once),
                # the fast loop's error stands.
                del out[mark:]
                self._decode_general(buffer, starts, ends, out)
                del out[mark:]
                raise data_error(f"cannot decode a row: {error}") from error
        self._decode_general(buffer, starts, ends, out)

    def _decode_compiled(
        self, buffer: bytes, starts: Sequence[int], ends: Sequence[int], out: list[Record]
    ) -> None:
        """The compiled executor, with each row it hands back decoded (or reported) by the reference."""
        compiled = self._compiled
        plan = self._plan
        make = self._make
        count = len(starts)
        row = compiled(plan, make, buffer, starts, ends, out, 0)
        while row < count:
            self._decode_general(buffer, (starts[row],), (ends[row],), out)
            row = compiled(plan, make, buffer, starts, ends, out, row + 1)

    def _decode_row(self, buffer: bytes, start: int, end: int, out: list[Record]) -> None:
        """One row by the general loop (the written-out loop's way out)."""
        self._decode_general(buffer, (start,), (end,), out)

    def _decode_general(
        self, buffer: bytes, starts: Sequence[int], ends: Sequence[int], out: list[Record]
    ) -> None:
        """Walk each row's segments: every row shape, every NULL, every malformed row."""
        make = self._make
        segments = self._segments
        count = len(self.codecs)
        fixed_unpack = self._fixed_unpack
        fixed_size = self._fixed_size
        fixed_lengths = self._fixed_lengths
        append = out.append
        int32_at = _INT32_AT
        start = end = 0
        try:
            for start, end in zip(starts, ends, strict=True):
                if end - start == fixed_size:
                    row = fixed_unpack(buffer, start)
                    if row[0] == count and row[1::2] == fixed_lengths:
                        append(make(row[2::2]))
                        continue
                if _INT16_AT(buffer, start)[0] != count:
                    raise self._malformed(buffer, start, end)
                pos = start + 2
                values: list[Any] = []
                for decode, unpack, size, lengths in segments:
                    if unpack is None:
                        length = int32_at(buffer, pos)[0]
                        pos += 4
                        if length < 0:
                            if length != -1:
                                raise self._malformed(buffer, start, end)
                            values.append(None)
                        else:
                            values.append(decode(buffer[pos : pos + length]))
                            pos += length
                    elif pos + size <= end and (unpacked := unpack(buffer, pos))[0::2] == lengths:
                        # A run of fixed-width columns: lengths and values in one unpack.
                        values += unpacked[1::2]
                        pos += size
                    else:
                        # A NULL in the run (the row is shorter than the run): column by column.
                        for run_decode in decode:
                            length = int32_at(buffer, pos)[0]
                            pos += 4
                            if length < 0:
                                if length != -1:
                                    raise self._malformed(buffer, start, end)
                                values.append(None)
                            else:
                                values.append(run_decode(buffer[pos : pos + length]))
                                pos += length
                if pos != end:
                    raise self._malformed(buffer, start, end)
                append(make(values))
        except (RemoteProtocolError, OutdatedSchemaCacheError):
            raise
        except Exception as error:
            raise self._diagnose(buffer, start, end, error) from error

    def _decode_one_column(
        self, buffer: bytes, starts: Sequence[int], ends: Sequence[int], out: list[Record]
    ) -> None:
        """:meth:`decode_rows` for one variable-width column (``fetchval``, one-column queries).

        The column count and the value's length come out of one unpack, and the length must
        account for exactly the rest of the row.
        """
        decode = self._single
        make = self._make
        append = out.append
        head = _COUNT_AND_LENGTH_AT
        start = end = 0
        try:
            for start, end in zip(starts, ends, strict=True):
                count, length = head(buffer, start)
                if count == 1 and length == end - start - 6:
                    append(make((decode(buffer[start + 6 : end]),)))
                elif count == 1 and length == -1 and end - start == 6:
                    append(make((None,)))
                else:
                    raise self._malformed(buffer, start, end)
        except (RemoteProtocolError, OutdatedSchemaCacheError):
            raise
        except Exception as error:
            raise self._diagnose(buffer, start, end, error) from error

    def _malformed(self, buffer: bytes, start: int, end: int) -> RemoteProtocolError:
        """Say exactly what is wrong with a row's structure."""
        return self._structure_problem(buffer, start, end) or RemoteProtocolError(
            "malformed DataRow message: the row's values do not match its description"
        )

    def _structure_problem(self, buffer: bytes, start: int, end: int) -> RemoteProtocolError | None:
        """What is wrong with the row's count and lengths, or None when they are consistent.

        The count is checked against the RowDescription here; the rest is pgwire's DataRow
        parser, so a malformed row is described in its words whichever path read it.
        """
        if end - start >= 2:
            count = _INT16_AT(buffer, start)[0]
            expected = len(self.codecs)
            if count != expected:
                return RemoteProtocolError(
                    f"malformed DataRow message: {count} columns, but the RowDescription has {expected}"
                )
        try:
            DataRow.decode(buffer[start:end])
        except RemoteProtocolError as problem:
            return problem
        return None

    def _diagnose(self, buffer: bytes, start: int, end: int, error: Exception) -> Exception:
        """Find what failed in a row: its structure, or a column's value (re-walked slowly)."""
        problem = self._structure_problem(buffer, start, end)
        if problem is not None:
            return problem
        pos = start + 2
        for column, codec in enumerate(self.codecs):
            length = _INT32_AT(buffer, pos)[0]
            pos += 4
            if length < 0:
                continue
            data = buffer[pos : pos + length]
            pos += length
            try:
                codec.decode(data)
            except OutdatedSchemaCacheError as outdated:
                return outdated
            except Exception as failure:
                shown = data if len(data) <= 40 else data[:40] + b"..."
                return data_error(
                    f"cannot decode column {column + 1} ({self.names[column]!r}, type {codec.display_name}, "
                    f"{format_name(codec.format)} format): {failure} [data: {shown!r}]"
                )
        return data_error(f"cannot decode a row: {error}")


# One step of the column walk: (decode, None, 0, ()) for a column decoded on its own, or
# (the run's decode functions, unpack_from, size, lengths) for a run of fixed-width binary
# columns unpacked together (decoded one by one when a NULL breaks the run).
_Segment = tuple[Any, Any, int, tuple[int, ...]]


def _segments(codecs: Sequence[Codec], fixed: Sequence[str]) -> tuple[_Segment, ...]:
    segments: list[_Segment] = []
    run: list[str] = []
    run_decoders: list[Any] = []

    def close_run() -> None:
        if run:
            layout = struct.Struct("!" + "".join("i" + code for code in run))
            lengths = tuple(struct.calcsize("!" + code) for code in run)
            segments.append((tuple(run_decoders), layout.unpack_from, layout.size, lengths))
            run.clear()
            run_decoders.clear()

    for codec, code in zip(codecs, fixed, strict=True):
        if code:
            run.append(code)
            run_decoders.append(codec.decode)
        else:
            close_run()
            segments.append((codec.decode, None, 0, ()))
    close_run()
    return tuple(segments)


def _non_value_index(offset: int, fixed: Sequence[str]) -> int:
    """Where message byte ``offset`` (not part of a value) is in the values-free template."""
    if offset < 7:
        return offset
    position = 7
    template_position = 7
    for code in fixed:
        if offset < position + 4:
            return template_position + offset - position
        position += 4 + struct.calcsize("!" + code)
        template_position += 4
    raise ValueError(f"offset {offset} is inside a value")


@lru_cache(maxsize=64)
def _repeated(byte: int, count: int) -> bytes:
    """``count`` copies of ``byte``; batches of the same size reuse the comparison bytes."""
    return bytes([byte]) * count
