"""The compiled row executor against the pure one: the same records and the same errors.

Every row decoder built in the compiled build runs ``pgtypes._speedups`` on the plan of
``pgtypes._row_plan``; a decoder with its compiled executor switched off runs the pure-Python
reference on the same codecs. hypothesis draws column types (fixed-width, text, bytea, arrays,
types decoded by a call), rows with NULLs, and then damages the rows (a byte changed, bytes cut
or added, a length rewritten): both executors must return the same values of the same types, or
raise the same exception with the same message. In the pure build these tests are skipped (there
is one executor); tests/test_implementation.py makes sure the default environment is compiled.
"""

from __future__ import annotations

import struct
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import pgtypes
from pgtypes import Codec, RowDecoder
from pgtypes._row_plan import ARRAY, BYTES, CALL, NUMERIC, UTF8, column_code
from pgwire import DataRowBatch
from pgwire.exceptions import DataError, RemoteProtocolError
from tests.pgtypes.rows import JUNK, batch, codec, payload, shape

pytestmark = pytest.mark.skipif(pgtypes.implementation != "c", reason="the pure build has one executor")

_TEXT = st.text(st.characters(exclude_categories=["Cs"], exclude_characters="\x00"), max_size=12)
VALUES: dict[int, st.SearchStrategy[Any]] = {
    16: st.booleans(),
    18: st.binary(min_size=1, max_size=1),
    21: st.integers(-(2**15), 2**15 - 1),
    23: st.integers(-(2**31), 2**31 - 1),
    20: st.integers(-(2**63), 2**63 - 1),
    26: st.integers(0, 2**32 - 1),
    700: st.floats(width=32),
    701: st.floats(),
    25: _TEXT,
    1043: _TEXT,
    19: st.text(st.characters(codec="ascii", exclude_characters="\x00"), max_size=10),
    17: st.binary(max_size=12),
    114: st.just('{"a": [1, 2]}'),
    1082: st.dates(),
    1700: st.decimals(allow_nan=False, allow_infinity=False, places=3, max_value=10**9, min_value=-(10**9)),
    1007: st.lists(st.one_of(st.none(), st.integers(-(2**31), 2**31 - 1)), max_size=5),
    1016: st.lists(st.integers(-(2**63), 2**63 - 1), max_size=5),
    1022: st.lists(st.floats(), max_size=4),
    1009: st.lists(st.one_of(st.none(), _TEXT), max_size=4),
    1000: st.lists(st.booleans(), max_size=4),
    1001: st.lists(st.binary(max_size=4), max_size=3),
}


def pure(decoder: RowDecoder) -> RowDecoder:
    """The same decoder with the compiled executor switched off: the pure reference."""
    decoder._compiled = None  # the private switch the differential test needs
    return decoder


def outcome(decoder: RowDecoder, rows: DataRowBatch) -> tuple[str, Any]:
    try:
        records = decoder.decode_batch(rows)
    except Exception as error:
        return "error", (type(error), str(error))
    return "rows", [(type(record), shape(record)) for record in records]


@st.composite
def tables(draw: st.DrawFn) -> tuple[list[Codec], list[list[bytes | None]]]:
    columns = [codec(oid) for oid in draw(st.lists(st.sampled_from(list(VALUES)), min_size=1, max_size=8))]
    rows: list[list[bytes | None]] = []
    for _ in range(draw(st.integers(0, 5))):
        rows.append(
            [
                None if draw(st.integers(0, 5)) == 0 else item.encode(draw(VALUES[item.oid]))
                for item in columns
            ]
        )
    return columns, rows


def compare(columns: Sequence[Codec], payloads: Sequence[bytes]) -> None:
    names = [f"c{index}" for index in range(len(columns))]
    rows = batch(payloads)
    compiled = RowDecoder(names, columns)
    assert compiled._compiled is not None
    assert outcome(compiled, rows) == outcome(pure(RowDecoder(names, columns)), rows)


@settings(max_examples=400)
@given(tables())
def test_well_formed_rows_decode_alike(table: tuple[list[Codec], list[list[bytes | None]]]) -> None:
    columns, rows = table
    compare(columns, [payload(row) for row in rows])


@settings(max_examples=400)
@given(tables(), st.data())
def test_damaged_rows_fail_alike(
    table: tuple[list[Codec], list[list[bytes | None]]], data: st.DataObject
) -> None:
    columns, rows = table
    payloads = [payload(row) for row in rows] or [payload([None] * len(columns))]
    index = data.draw(st.integers(0, len(payloads) - 1))
    damaged = bytearray(payloads[index])
    how = data.draw(st.sampled_from(["byte", "cut", "extend", "length"]))
    if how == "byte":
        position = data.draw(st.integers(0, len(damaged) - 1))
        damaged[position] = data.draw(st.integers(0, 255))
    elif how == "cut":
        del damaged[data.draw(st.integers(0, len(damaged) - 1)) :]
    elif how == "extend":
        damaged += data.draw(st.binary(min_size=1, max_size=6))
    elif len(damaged) >= 6:
        damaged[2:6] = struct.pack("!i", data.draw(st.integers(-(2**31), 2**31 - 1)))
    payloads[index] = bytes(damaged)
    compare(columns, payloads)


def test_invalid_utf8_is_reported_by_the_reference() -> None:
    columns = [codec(23), codec(25)]
    rows = [payload([struct.pack("!i", 1), b"ok"]), payload([struct.pack("!i", 2), b"\xff\xfe"])]
    compare(columns, rows)
    with pytest.raises(DataError, match=r"column 2 \('c1', type text"):
        RowDecoder(["c0", "c1"], columns).decode_batch(batch(rows))


def test_rows_before_a_bad_row_are_kept_in_out() -> None:
    columns = [codec(23)]
    good = payload([struct.pack("!i", 7)])
    out: list[Any] = []
    decoder = RowDecoder(["a"], columns)
    with pytest.raises(RemoteProtocolError, match="malformed DataRow message"):
        decoder.decode_batch(batch([good, good, good[:-1]]), out)
    assert [tuple(record) for record in out] == [(7,), (7,)]


def test_equal_size_rows_in_a_range() -> None:
    # pgwire hands over rows of equal size as ranges of offsets: the compiled loop reads them.
    row = payload([struct.pack("!i", 5), b"abc"])
    size = len(JUNK) + len(row)
    buffer = (JUNK + row) * 4
    rows = DataRowBatch(buffer, range(len(JUNK), len(buffer), size), range(size, len(buffer) + 1, size))
    records = RowDecoder(["n", "t"], [codec(23), codec(25)]).decode_batch(rows)
    assert [tuple(record) for record in records] == [(5, "abc")] * 4


def test_the_plan_codes() -> None:
    assert column_code(codec(23)) == (ord("i"), 0)
    assert column_code(codec(25)) == (UTF8, 0)
    assert column_code(codec(17)) == (BYTES, 0)
    assert column_code(codec(1007)) == (ARRAY, ord("i"))
    assert column_code(codec(1009)) == (ARRAY, UTF8)
    assert column_code(codec(1700)) == (NUMERIC, 0)
    assert column_code(codec(1231)) == (CALL, 0)  # numeric[]: the array codec decodes it
    assert column_code(codec(3802)) == (CALL, 0)  # jsonb's binary form has a version byte


def numeric_outcome(decoder: RowDecoder, data: bytes) -> tuple[str, str]:
    """A one-numeric-column row's value as text (exponent included), or its error."""
    try:
        (record,) = decoder.decode_batch(batch([payload([data])]))
    except Exception as error:
        return "error", f"{type(error).__name__}: {error}"
    return "value", str(record[0])


def numeric_decoders() -> tuple[RowDecoder, RowDecoder]:
    compiled = RowDecoder(["n"], [codec(1700)])
    assert compiled._compiled is not None
    return compiled, pure(RowDecoder(["n"], [codec(1700)]))


@settings(max_examples=500)
@given(
    st.one_of(
        st.decimals(allow_nan=True, allow_infinity=True),
        st.decimals(places=20, allow_nan=False, allow_infinity=False),
        st.integers(-(10**60), 10**60).map(Decimal),
        st.tuples(st.integers(-(10**30), 10**30), st.integers(-60, 40)).map(
            lambda pair: Decimal(pair[0]).scaleb(pair[1])
        ),
    )
)
def test_numerics_decode_alike(value: Decimal) -> None:
    compiled, reference = numeric_decoders()
    try:
        data = codec(1700).encode(value)
    except Exception:
        return  # beyond what numeric holds: refused when encoding, nothing to decode
    got = numeric_outcome(compiled, data)
    assert got == numeric_outcome(reference, data)
    assert got[0] == "value"


@settings(max_examples=500)
@given(
    st.integers(0, 6),
    st.integers(-(2**15), 2**15 - 1),
    st.sampled_from([0, 0x4000, 0xC000, 0xD000, 0xF000, 0x1234]),
    st.sampled_from([0, 1, 3, 16383, 16384, 65535]),
    st.lists(st.sampled_from([0, 1, 9999, 10000, 1234]), max_size=6),
    st.integers(-2, 2),
)
def test_raw_numerics_decode_or_fail_alike(
    count: int, weight: int, sign: int, scale: int, digits: list[int], extra: int
) -> None:
    data = struct.pack("!HhHH", count, weight, sign, scale) + struct.pack(f"!{len(digits)}H", *digits)
    data = data[: len(data) + extra] if extra < 0 else data + b"\x00" * extra
    compiled, reference = numeric_decoders()
    assert numeric_outcome(compiled, data) == numeric_outcome(reference, data)


def test_records_are_the_shape_class_of_the_record_class() -> None:
    columns = [codec(23), codec(25)]
    rows = batch([payload([struct.pack("!i", 1), b"x"])])
    compiled = RowDecoder(["a", "b"], columns).decode_batch(rows)
    reference = pure(RowDecoder(["a", "b"], columns)).decode_batch(rows)
    assert type(compiled[0]) is type(reference[0])
    assert compiled[0]["b"] == "x" and repr(compiled[0]) == "<Record a=1 b='x'>"
    assert hash(compiled[0]) == hash((1, "x"))
