"""Helpers for the binary COPY tests: an independent reader of the format, tables and rows.

:func:`split_stream` reads a binary COPY stream with nothing but ``struct`` (no pgtypes code),
so that the encoder's output is checked against the format itself. The strategies make
tables of a few column types and rows for them: values each fast path takes, values only
the plain path takes (a whole float for an int4, an int for a float8, ...), NULLs, and
values the codecs refuse.
"""

from __future__ import annotations

import itertools
import struct
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from hypothesis import strategies as st

import pgwire
from pgtypes import BINARY, Codec, CopyRecordEncoder, TypeRegistry

__all__ = [
    "ACCEPTED",
    "REFUSED",
    "SIGNATURE",
    "column_codec",
    "cut",
    "encode_all",
    "fields",
    "rows_for",
    "split_stream",
    "split_tuples",
    "tables",
]

SIGNATURE = b"PGCOPY\n\xff\r\n\x00"
REGISTRY = TypeRegistry.default()

_TEXT = st.text(st.characters(exclude_categories=["Cs"], exclude_characters="\x00"), max_size=12)
_INT4 = st.integers(-(2**31), 2**31 - 1)

#: Column type OID -> values its codec accepts, fast-path and plain-path ones alike.
ACCEPTED: dict[int, st.SearchStrategy[Any]] = {
    21: st.integers(-(2**15), 2**15 - 1) | st.booleans(),  # int2
    23: _INT4 | _INT4.map(float) | st.integers(-99, 99).map(Decimal),  # int4
    20: st.integers(-(2**63), 2**63 - 1),  # int8
    26: st.integers(0, 2**32 - 1),  # oid
    700: st.floats(width=32),  # float4
    701: st.floats() | st.integers(-(2**53), 2**53) | st.just(Decimal("2.5")),  # float8
    16: st.booleans(),  # bool
    18: st.binary(max_size=1) | st.binary(max_size=1).map(bytearray),  # "char"
    25: _TEXT,  # text
    17: st.binary(max_size=16),  # bytea
    1700: st.decimals(allow_nan=False, allow_infinity=False, places=3, min_value=-(10**9), max_value=10**9),
    1082: st.dates(),  # date
    # timestamptz; not the extremes, which are +/-infinity and decode naive (as in asyncpg).
    1184: st.datetimes(
        min_value=datetime.min + timedelta(microseconds=1),
        max_value=datetime.max - timedelta(microseconds=1),
        timezones=st.just(UTC),
    ).map(lambda value: value.replace(fold=0)),
    2950: st.uuids(),  # uuid
    1007: st.lists(st.none() | _INT4, max_size=4),  # int4[]
}

#: Column type OID -> values its codec refuses.
REFUSED: dict[int, st.SearchStrategy[Any]] = {
    21: st.just(2**15) | st.just("1"),
    23: st.just(1.5) | st.just(2**31) | st.just("7") | st.just(Decimal("0.5")),
    20: st.just(2**63) | st.just(b"1"),
    26: st.just(-1),
    700: st.just(1e300) | st.just("1.0"),
    701: st.just("x") | st.just(Decimal("1e400")) | st.just(2**1100),
    16: st.just(1) | st.just("t") | st.just(0.0),
    18: st.just(b"ab") | st.just("a"),
    25: st.just(5) | st.just("a\x00b"),
    17: st.just("bytes"),
    1700: st.just("abc"),
    1082: st.just("2024-01-01"),
    1184: st.just(12),
    2950: st.just("not a uuid"),
    1007: st.just(["x"]) | st.just(5),
}


def column_codec(oid: int) -> Codec:
    codec = REGISTRY.codec(oid, BINARY)
    assert codec is not None
    return codec


def fields(oids: Sequence[int]) -> list[pgwire.FieldDescription]:
    """A RowDescription's fields for columns ``c0``, ``c1``, ... of the given types."""
    return [pgwire.FieldDescription(f"c{index}", 0, 0, oid, -1, -1) for index, oid in enumerate(oids)]


@st.composite
def rows_for(draw: st.DrawFn, oids: Sequence[int], *, refused: bool, max_rows: int = 8) -> list[Any]:
    """Rows for columns of ``oids``: about one value in six NULL; with ``refused``, rarely a bad value."""
    rows: list[Any] = []
    for _ in range(draw(st.integers(0, max_rows))):
        row: list[Any] = []
        for oid in oids:
            choice = draw(st.integers(0, 40 if refused else 5))
            if choice == 0:
                row.append(None)
            elif choice == 1 and refused:
                row.append(draw(REFUSED[oid]))
            else:
                row.append(draw(ACCEPTED[oid]))
        if refused and draw(st.integers(0, 30)) == 0:
            rows.append([*row, 0])  # one value too many
        else:
            rows.append(draw(st.sampled_from([tuple, list]))(row))
    return rows


@st.composite
def tables(draw: st.DrawFn, *, refused: bool = False) -> tuple[list[int], list[Any]]:
    """Column type OIDs (none to eight) and rows for them."""
    oids = draw(st.lists(st.sampled_from(sorted(ACCEPTED)), max_size=8))
    return oids, draw(rows_for(oids, refused=refused))


def encode_all(encoder: CopyRecordEncoder, rows: Sequence[Any]) -> bytes:
    """The whole stream for ``rows``, through :meth:`CopyRecordEncoder.chunks`."""
    return b"".join([*encoder.chunks(rows), encoder.finish()])


def split_tuples(data: bytes) -> list[tuple[bytes | None, ...]]:
    """The tuples of a run of whole binary COPY tuples (no header, no trailer), as raw values.

    Fails (``AssertionError``) unless ``data`` is exactly a sequence of whole tuples.
    """
    tuples: list[tuple[bytes | None, ...]] = []
    position = 0
    while position < len(data):
        (count,) = struct.unpack_from("!h", data, position)
        assert count >= 0, f"a field count of {count} at {position}"
        position += 2
        values: list[bytes | None] = []
        for _ in range(count):
            (length,) = struct.unpack_from("!i", data, position)
            position += 4
            if length == -1:
                values.append(None)
            else:
                assert length >= 0
                values.append(data[position : position + length])
                position += length
        assert position <= len(data), "a tuple runs past the data"
        tuples.append(tuple(values))
    return tuples


def split_stream(data: bytes) -> list[tuple[bytes | None, ...]]:
    """The tuples of a whole stream with the header the encoder writes and the trailer."""
    assert data[:19] == SIGNATURE + bytes(8), data[:19]
    assert data[-2:] == b"\xff\xff"
    return split_tuples(data[19:-2])


def cut(data: bytes, points: Sequence[int]) -> Iterator[bytes]:
    """``data`` in pieces, cut at ``points`` (taken modulo the length, in order)."""
    if not data:
        return
    positions = sorted({point % len(data) for point in points} | {0, len(data)})
    for start, end in itertools.pairwise(positions):
        yield data[start:end]
