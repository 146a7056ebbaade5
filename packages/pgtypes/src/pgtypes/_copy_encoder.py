"""The binary COPY encoder: rows in, the data of ``COPY ... FROM STDIN (FORMAT binary)`` out.

Built once per COPY from the target columns (DESIGN section 2): each column's binary codec
is chosen when the encoder is built, and rows are encoded by a loop written out for the
columns' shape (:mod:`pgtypes._copy_loops`), which packs runs of fixed-width values with
one precompiled ``struct.Struct``. Rows that loop does not take go through the plain path,
:func:`encode_tuple`, which encodes value by value and is the reference the fast path is
tested against; it raises the ``DataError`` that names the row, the column, the type and
the value.

The encoder gathers whole tuples and hands them out in chunks of about ``chunk_size`` bytes,
so that a caller can send each chunk as a CopyData message and wait for the transport to
drain between chunks (flow control) while the rows are still being produced. A row is
appended only once all of its values are encoded, so a chunk never holds part of a row and,
after an error, the caller can abort with CopyFail at once.
"""

from __future__ import annotations

import struct
from collections.abc import Iterable, Iterator, Sequence
from functools import cache
from typing import Any, Final

from pgtypes._builtin_codecs import builtin_codecs
from pgtypes._codec import BINARY, Codec, data_error
from pgtypes._copy_format import (
    COPY_CHUNK_SIZE,
    HEADER,
    NULL_FIELD,
    TRAILER,
    binary_codecs,
    check_binary,
    column_list,
    shown,
)
from pgtypes._copy_loops import CopyLoop, LoopEnd, build_copy_loop
from pgtypes._implementation import speedups
from pgtypes._param_plan import ParameterPlan
from pgtypes._registry import TypeRegistry
from pgwire import FieldDescription
from pgwire.exceptions import InterfaceError, OutdatedSchemaCacheError

__all__ = ["CopyRecordEncoder", "encode_tuple"]

_INT16: Final = struct.Struct("!h").pack
_INT32: Final = struct.Struct("!i").pack

# Struct codes whose ``struct.pack`` accepts only values the built-in codec accepts, giving
# the same bytes (integers: ``__index__`` objects in range; "char": one byte), and those that
# also accept values the codec refuses or converts otherwise, so that a value is packed only
# when it has exactly the guard's type (``?`` packs any object by its truth; ``d`` and ``f``
# turn a Decimal beyond the double range into infinity, which the codecs refuse).
_UNGUARDED: Final = frozenset("hiqIQc")
_GUARDS: Final[dict[str, type]] = {"?": bool, "f": float, "d": float}


@cache
def _packable() -> dict[Any, tuple[str, type | None]]:
    """Built-in binary encode function -> (its struct code, the guard type or None).

    Only the built-in encoders are known to agree with ``struct``: a user codec that declares
    a struct code (for its decoding) keeps its own encode function. Aliases and domains of a
    built-in type share the built-in encode function, so they are packed too.
    """
    table: dict[Any, tuple[str, type | None]] = {}
    for codec in builtin_codecs():
        if codec.format == BINARY and (codec.fixed in _UNGUARDED or codec.fixed in _GUARDS):
            table[codec.encode] = (codec.fixed, _GUARDS.get(codec.fixed))
    return table


class CopyRecordEncoder:
    """Encodes rows as the data of one binary ``COPY ... FROM STDIN``.

    One encoder serves one COPY: it starts with the format's header buffered, counts the rows
    and ends with :meth:`finish`. Rows are sequences of column values (``tuple``, ``list``,
    :class:`Record`, ...; ``str`` and bytes are refused) with ``None`` for NULL.

    Streaming, with ``send`` a coroutine that writes one CopyData and waits for the transport
    to drain::

        for chunk in encoder.chunks(records):        # a sync iterable, encoded lazily
            await send(chunk)
        async for record in source:                  # an async iterable, row by row
            if (chunk := encoder.feed(record)) is not None:
                await send(chunk)
        async for batch in batches:                  # or in batches
            for chunk in encoder.chunks(batch):
                await send(chunk)
        await send(encoder.finish())                 # what is left, and the trailer

    Rows are numbered from 1, the first row given to this encoder, in the order given.

    Attributes:
        names: the column names.
        codecs: the binary codec of each column.
        chunk_size: a chunk is handed out once this many bytes are gathered (so chunks are
            ``chunk_size`` bytes plus less than one row).
    """

    __slots__ = (
        "_finished",
        "_loop",
        "_pieces",
        "_position",
        "_rows",
        "_size",
        "chunk_size",
        "codecs",
        "names",
    )

    def __init__(
        self, names: Sequence[str], codecs: Sequence[Codec], *, chunk_size: int = COPY_CHUNK_SIZE
    ) -> None:
        """Build the encoder.

        Args:
            names: the column names, in the order of the values in a row (for errors).
            codecs: one binary codec per column.
            chunk_size: the size, in bytes, from which gathered tuples are handed out.

        Raises:
            ValueError: ``names`` and ``codecs`` differ in length, or ``chunk_size`` < 1.
            InternalClientError: a codec is not a binary one (``no binary format encoder for
                type money (OID 790)``).
        """
        check_binary(names, codecs, "encoder")
        if chunk_size < 1:
            raise ValueError(f"chunk_size must be at least 1, got {chunk_size}")
        self.names = tuple(names)
        self.codecs = tuple(codecs)
        self.chunk_size = chunk_size
        packable = _packable()
        columns = [packable.get(codec.encode, ("", None)) for codec in codecs]
        if speedups is not None and codecs:
            # The compiled executor of the same contract, on the parameters' plan.
            self._loop: CopyLoop = _compiled_loop(ParameterPlan(self.codecs))
        else:
            self._loop = build_copy_loop(
                [(code, guard is not None) for code, guard in columns],
                [codec.encode for codec in codecs],
                [guard for _, guard in columns],
            )
        self._pieces: list[bytes] = [HEADER]
        self._size = len(HEADER)
        self._rows = 0
        self._position = 0
        self._finished = False

    @classmethod
    def for_fields(
        cls, registry: TypeRegistry, fields: Sequence[FieldDescription], *, chunk_size: int = COPY_CHUNK_SIZE
    ) -> CopyRecordEncoder:
        """The encoder for the columns of a RowDescription (``SELECT cols FROM t LIMIT 0``).

        Raises:
            InternalClientError: a column's type has no binary encoder, or is unknown to the
                registry (introspect it first).
        """
        return cls(
            [field.name for field in fields],
            binary_codecs(registry, fields, "encoder"),
            chunk_size=chunk_size,
        )

    def __repr__(self) -> str:
        return f"<CopyRecordEncoder ({column_list(self.names, self.codecs)}) rows={self._rows}>"

    @property
    def rows(self) -> int:
        """How many tuples have been encoded (the count of the server's ``COPY n``)."""
        return self._rows

    @property
    def buffered(self) -> int:
        """How many encoded bytes wait to be handed out (whole tuples, and the header at first)."""
        return self._size

    def feed(self, row: Sequence[Any]) -> bytes | None:
        """Encode one row; return a chunk once ``chunk_size`` bytes are gathered, else ``None``.

        Raises:
            DataError: the row is not a sequence, has the wrong number of values, or holds a
                value its column's codec cannot encode; the message names the row number, the
                column, its type and the value, and ``__cause__`` is the codec's error. Nothing
                of the row is kept; the tuples gathered before it are.
            UnsupportedClientFeatureError: a value of a type this client cannot send.
            InterfaceError: the encoder is finished.
        """
        self._check_open()
        end, self._size = self._loop(iter((row,)), self._pieces, self._size, self.chunk_size)
        if end is LoopEnd.DONE or end is LoopEnd.FULL:
            self._rows += 1
            self._position += 1
        else:
            self._add_plain(row)
        return self.take() if self._size >= self.chunk_size else None

    def chunks(self, rows: Iterable[Sequence[Any]]) -> Iterator[bytes]:
        """Encode ``rows``, yielding a chunk each time ``chunk_size`` bytes are gathered.

        A generator: rows are taken from ``rows`` only as the chunks are asked for, so a
        caller can send each chunk before the next is encoded. What is left when the rows run
        out stays gathered for the next call, :meth:`take` or :meth:`finish`.

        Raises: as :meth:`feed`, for the first bad row; the tuples of the rows before it
        stay gathered (or were yielded). An exception from iterating ``rows`` passes through.
        """
        self._check_open()
        rows_iterator = iter(rows)
        loop = self._loop
        limit = self.chunk_size
        while True:
            before = len(self._pieces)
            try:
                end, self._size = loop(rows_iterator, self._pieces, self._size, limit)
            except BaseException:
                # ``rows`` itself raised: count what the loop appended before that.
                self._size = sum(map(len, self._pieces))
                self._count(len(self._pieces) - before)
                raise
            self._count(len(self._pieces) - before)
            if end is LoopEnd.DONE:
                return
            if end is not LoopEnd.FULL:
                self._add_plain(end)
            if self._size >= limit:
                yield self.take()

    def take(self) -> bytes:
        """Hand out every tuple gathered so far (``b""`` when there is none).

        For a caller that sends early, for example before waiting on a slow source.
        """
        pieces = self._pieces
        data = pieces[0] if len(pieces) == 1 else b"".join(pieces)
        pieces.clear()
        self._size = 0
        return data

    def finish(self) -> bytes:
        """The tuples still gathered and the trailer: the last chunk of the COPY data.

        Raises:
            InterfaceError: the encoder is already finished.
        """
        self._check_open()
        self._finished = True
        self._pieces.append(TRAILER)
        return self.take()

    def _check_open(self) -> None:
        if self._finished:
            raise InterfaceError("this COPY encoder is finished: build another one for the next COPY")

    def _count(self, rows: int) -> None:
        self._rows += rows
        self._position += rows

    def _add_plain(self, row: Any) -> None:
        """Encode a row the fast loop handed back, by the plain path (or raise its error)."""
        self._position += 1
        data = encode_tuple(self.names, self.codecs, row, self._position)
        self._pieces.append(data)
        self._size += len(data)
        self._rows += 1


def _compiled_loop(plan: ParameterPlan) -> CopyLoop:
    """A :data:`CopyLoop` running ``pgtypes._speedups.copy_rows`` on ``plan``."""
    assert speedups is not None
    copy_rows = speedups.copy_rows
    full = LoopEnd.FULL
    done = LoopEnd.DONE

    def loop(rows: Iterator[Sequence[Any]], pieces: list[bytes], size: int, limit: int) -> tuple[Any, int]:
        result: tuple[Any, int] = copy_rows(plan, rows, pieces, size, limit, full, done)
        return result

    return loop


def encode_tuple(names: Sequence[str], codecs: Sequence[Codec], row: Any, number: int) -> bytes:
    """The plain path: one row as one binary COPY tuple, value by value.

    The reference for the fast loops, which must give the same bytes for every row they take.

    Args:
        names: the column names (for errors).
        codecs: the binary codec of each column.
        row: the row: a sequence of values, ``None`` for NULL.
        number: the row's number, for errors.

    Raises: as :meth:`CopyRecordEncoder.feed`.
    """
    values = _row_values(row, len(codecs), number)
    parts = [_INT16(len(codecs))]
    for name, codec, value in zip(names, codecs, values, strict=True):
        if value is None:
            parts.append(NULL_FIELD)
            continue
        try:
            data = codec.encode(value)
        except OutdatedSchemaCacheError:
            raise
        except InterfaceError as failure:  # UnsupportedClientFeatureError: say where
            raise failure.with_msg(f"COPY row {number}, column {name!r}: {failure.args[0]}") from failure
        except Exception as failure:
            raise data_error(
                f"invalid input for COPY row {number}, column {name!r} ({codec.display_name}): "
                f"{shown(value)} ({failure})"
            ) from failure
        parts.append(_INT32(len(data)))
        parts.append(data)
    return b"".join(parts)


def _row_values(row: Any, count: int, number: int) -> Sequence[Any]:
    """The row's values, checked to be a sequence of ``count`` of them."""
    if not isinstance(row, Sequence) or isinstance(row, str | bytes | bytearray):
        raise data_error(f"COPY row {number} must be a sequence of column values, got {type(row).__name__}")
    if len(row) != count:
        raise data_error(
            f"COPY row {number} has {len(row)} value{'' if len(row) == 1 else 's'}, "
            f"expected {count} (one per column)"
        )
    return row
