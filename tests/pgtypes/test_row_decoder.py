"""RowDecoder in process: its fast paths against a per-value reference, record classes, repr.

The decoder has four ways through a row: the whole-row ``struct`` unpack (every column fixed
width), the segment walk (runs of fixed-width columns unpacked together between variable
columns), the column-by-column fallback (a NULL inside a fixed run) and the one-column loop.
All of them must give what decoding each value with its own codec gives. Rows are built with
``pgwire.DataRow`` and batched inside buffers that hold other bytes around them, as the framer
hands them over. Malformed rows and undecodable values: ``test_row_decoder_errors.py``.
"""

from __future__ import annotations

import datetime
import struct
from collections.abc import Sequence
from dataclasses import replace
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import pgtypes
from pgtypes import BINARY, TEXT, Codec, Record, RowDecoder
from pgwire import FieldDescription
from pgwire.exceptions import DataError, InternalClientError, RemoteProtocolError
from tests.pgtypes.rows import JUNK, REGISTRY, batch, codec, payload, reference, shape, unfixed

# -- the reference model, with hypothesis ------------------------------------------------------

_TEXT = st.text(st.characters(exclude_categories=["Cs"], exclude_characters="\x00"), max_size=20)
_NUMERIC = st.one_of(
    st.decimals(min_value=Decimal("-1e20"), max_value=Decimal("1e20"), allow_nan=False, places=None),
    st.sampled_from([Decimal("NaN"), Decimal("Infinity"), Decimal("-Infinity")]),
)
VALUES: dict[int, st.SearchStrategy[Any]] = {
    21: st.integers(-(2**15), 2**15 - 1),  # int2
    23: st.integers(-(2**31), 2**31 - 1),  # int4
    20: st.integers(-(2**63), 2**63 - 1),  # int8
    701: st.floats(),  # float8, NaN and infinities included
    16: st.booleans(),  # bool
    25: _TEXT,  # text
    17: st.binary(max_size=20),  # bytea
    18: st.binary(max_size=1),  # "char"
    1700: _NUMERIC,  # numeric
    1082: st.dates(),  # date
}
FIXED_OIDS = [21, 23, 20, 701, 16]


@st.composite
def tables(
    draw: st.DrawFn, oids: Sequence[int] = tuple(VALUES)
) -> tuple[list[Codec], list[list[bytes | None]]]:
    """Column codecs and rows of encoded values; about one value in five is NULL."""
    columns = [codec(oid) for oid in draw(st.lists(st.sampled_from(list(oids)), min_size=1, max_size=12))]
    rows: list[list[bytes | None]] = []
    for _ in range(draw(st.integers(0, 6))):
        row: list[bytes | None] = []
        for item in columns:
            if draw(st.integers(0, 4)) == 0:
                row.append(None)
            else:
                row.append(item.encode(draw(VALUES[item.oid])))
        rows.append(row)
    return columns, rows


def check_batch(columns: Sequence[Codec], rows: Sequence[Sequence[bytes | None]], gap: bytes) -> None:
    names = [f"c{index}" for index in range(len(columns))]
    rows_batch = batch([payload(row) for row in rows], gap=gap)
    expected = [shape(reference(columns, row)) for row in rows]
    for decoder in (RowDecoder(names, columns), RowDecoder(names, unfixed(columns))):
        records = decoder.decode_batch(rows_batch)
        assert [shape(record) for record in records] == expected
        assert all(isinstance(record, Record) and list(record.keys()) == names for record in records)


@settings(max_examples=300)
@given(tables(), st.binary(max_size=8))
def test_batches_match_the_per_value_reference(
    table: tuple[list[Codec], list[list[bytes | None]]], gap: bytes
) -> None:
    columns, rows = table
    check_batch(columns, rows, gap)


@settings(max_examples=200)
@given(tables(FIXED_OIDS), st.binary(max_size=8))
def test_all_fixed_batches_match_the_per_value_reference(
    table: tuple[list[Codec], list[list[bytes | None]]], gap: bytes
) -> None:
    columns, rows = table
    check_batch(columns, rows, gap)


@given(tables())
def test_rows_decode_alone_as_in_a_batch(table: tuple[list[Codec], list[list[bytes | None]]]) -> None:
    columns, rows = table
    decoder = RowDecoder([f"c{index}" for index in range(len(columns))], columns)
    for row in rows:
        assert shape(decoder.decode_payload(payload(row))) == shape(reference(columns, row))


def counting(codecs: Sequence[Codec], calls: list[str]) -> list[Codec]:
    """The codecs with a decode that records its column type name, struct codes kept."""

    def wrap(item: Codec) -> Codec:
        inner = item.decode

        def decode(data: bytes) -> Any:
            calls.append(item.name)
            return inner(data)

        return replace(item, decode=decode)

    return [wrap(item) for item in codecs]


def test_all_fixed_rows_take_the_whole_row_unpack() -> None:
    calls: list[str] = []
    columns = [codec(23), codec(20), codec(701), codec(16)]
    decoder = RowDecoder(["i", "l", "f", "b"], counting(columns, calls))
    rows = [
        [struct.pack("!i", -5), struct.pack("!q", 2**40), struct.pack("!d", 1.5), b"\x01"],
        [struct.pack("!i", 7), struct.pack("!q", -1), struct.pack("!d", -0.0), b"\x00"],
    ]
    records = decoder.decode_batch(batch([payload(row) for row in rows]))
    assert [tuple(record) for record in records] == [(-5, 2**40, 1.5, True), (7, -1, -0.0, False)]
    assert calls == []  # no codec was called: the values came out of one struct unpack
    # A NULL in the run sends the pure build's row column by column, through the codecs; the
    # compiled build reads fixed-width values itself, NULL or not.
    (record,) = decoder.decode_batch(batch([payload([None, rows[0][1], None, b"\x01"])]))
    assert tuple(record) == (None, 2**40, None, True)
    assert calls == ([] if pgtypes.implementation == "c" else ["int8", "bool"])


PG_TYPE_NAMES = [
    "typname", "oid", "typnamespace", "typlen", "typbyval", "typtype",
    "typisdefined", "typnotnull", "typcategory", "typrelid", "typelem", "typarray",
]  # fmt: skip
PG_TYPE_OIDS = [19, 26, 26, 21, 16, 18, 16, 16, 18, 26, 26, 26]
PG_TYPE_ROWS: list[tuple[Any, ...]] = [
    ("int4", 23, 11, 4, True, b"b", True, False, b"N", 0, 0, 1007),
    ("_text", 1009, 11, -1, False, b"b", True, False, b"A", 0, 25, 0),
    ("pg_class", 83, 11, -1, False, b"c", True, False, b"C", 1259, 0, 273),
]


def test_the_pg_type_row_takes_the_segment_walk() -> None:
    calls: list[str] = []
    columns = [codec(oid) for oid in PG_TYPE_OIDS]
    decoder = RowDecoder(PG_TYPE_NAMES, counting(columns, calls))
    raw = [[item.encode(value) for item, value in zip(columns, row, strict=True)] for row in PG_TYPE_ROWS]
    records = decoder.decode_batch(batch([payload(row) for row in raw]))
    assert [tuple(record) for record in records] == PG_TYPE_ROWS
    assert records[1]["typelem"] == 25 and records[2]["typname"] == "pg_class"
    # Only the variable column went through its codec; the run of the eleven fixed-width
    # columns ("char" included) was unpacked at once (the compiled build reads them in C).
    assert calls == ["name"] * 3
    # NULLs inside a run (typowner, typlen): the written-out loop hands the row to the general
    # loop (after decoding the name), which decodes that run alone column by column; the
    # compiled build reads the fixed-width columns itself, NULL or not.
    calls.clear()
    with_nulls: list[bytes | None] = list(raw[0])
    with_nulls[2] = with_nulls[3] = None
    (record,) = decoder.decode_batch(batch([payload(with_nulls)]))
    assert tuple(record) == ("int4", 23, None, None, True, b"b", True, False, b"N", 0, 0, 1007)
    pure_calls = ["name", "name", "oid", "bool", "char", "bool", "bool", "char", "oid", "oid", "oid"]
    assert calls == (["name"] if pgtypes.implementation == "c" else pure_calls)


@pytest.mark.parametrize("width", [2, 47, 48, 49, 120])
def test_wide_rows_of_alternating_columns(width: int) -> None:
    # Rows of up to 48 segments take the loop written out for their shape, wider rows the
    # general loop: the same records either way, NULLs in both kinds of column included.
    columns = [codec(25) if index % 2 == 0 else codec(23) for index in range(width)]
    rows = [
        [None if (index + row) % 7 == 0 else column.encode("x" * row if index % 2 == 0 else index * row)
         for index, column in enumerate(columns)]
        for row in range(5)
    ]  # fmt: skip
    check_batch(columns, rows, b"")


def test_batches_share_a_buffer_and_append_to_out() -> None:
    decoder = RowDecoder(["a", "t"], [codec(23), codec(25)])
    rows = [payload([struct.pack("!i", n), str(n).encode()]) for n in range(50)]
    out: list[Record] = []
    first = decoder.decode_batch(batch(rows[:25], before=b"\x00" * 7, gap=b"\x01\x02"), out)
    second = decoder.decode_batch(batch(rows[25:], before=b"", gap=b""), out)
    assert first is out and second is out
    assert [tuple(record) for record in out] == [(n, str(n)) for n in range(50)]
    assert decoder.decode_batch(batch([])) == []


def test_one_variable_column() -> None:
    decoder = RowDecoder(["t"], [codec(25)])
    records = decoder.decode_batch(batch([payload([b"x"]), payload([None]), payload([b""])]))
    assert [tuple(record) for record in records] == [("x",), (None,), ("",)]


def test_zero_columns() -> None:
    decoder = RowDecoder([], [])
    assert tuple(decoder.decode_payload(b"\x00\x00")) == ()
    with pytest.raises(RemoteProtocolError, match="1 columns, but the RowDescription has 0"):
        decoder.decode_payload(payload([None]))


# A valid row with a NULL in a run of fixed-width columns, where nothing follows it in the
# buffer: the run must not be read past the row.
@pytest.mark.parametrize(
    ("oids", "values"),
    [
        ([23], [None]),  # SELECT NULL::int4
        ([23, 23], [None, struct.pack("!i", 5)]),
        ([25, 23, 20], [b"x", struct.pack("!i", 5), None]),
    ],
)
def test_null_in_a_fixed_run_at_the_end_of_the_buffer(oids: list[int], values: list[bytes | None]) -> None:
    columns = [codec(oid) for oid in oids]
    decoder = RowDecoder([f"c{index}" for index in range(len(oids))], columns)
    expected = reference(columns, values)
    assert list(decoder.decode_payload(payload(values))) == expected
    for after in (b"", JUNK):
        (record,) = decoder.decode_batch(batch([payload(values)], after=after))
        assert list(record) == expected


def test_paths_agree_on_a_bool_byte_other_than_0_and_1() -> None:
    def outcome(oids: list[int], values: list[bytes | None]) -> object:
        decoder = RowDecoder([f"c{index}" for index in range(len(oids))], [codec(oid) for oid in oids])
        try:
            return decoder.decode_batch(batch([payload(values)]))[0][0]
        except DataError:
            return DataError

    fixed = outcome([16], [b"\x02"])
    segment = outcome([16, 25], [b"\x02", b"x"])
    by_column = outcome([16, 23], [b"\x02", None])
    assert fixed == segment == by_column


# -- construction, record classes, repr ---------------------------------------------------------


class Named(Record):
    """Rows whose columns read as attributes."""

    def __getattr__(self, name: str) -> Any:
        try:
            return self[name]
        except KeyError:
            raise AttributeError(name) from None


@pytest.mark.parametrize("oids", [[23, 20], [23, 25], [25]])
def test_record_class_gives_instances_of_it(oids: list[int]) -> None:
    columns = [codec(oid) for oid in oids]
    decoder = RowDecoder(["x", "y"][: len(oids)], columns, record_class=Named)
    values = [item.encode(5 if item.oid != 25 else "five") for item in columns]
    (record,) = decoder.decode_batch(batch([payload(values)]))
    assert isinstance(record, Named) and type(record).__name__ == "Named"
    assert record.x == record[0] == record["x"]
    assert decoder.record_class is Named
    assert repr(record).startswith("<Named x=")


def test_duplicate_names_keep_every_value_and_the_last_wins_by_name() -> None:
    decoder = RowDecoder(["a", "b", "a"], [codec(23), codec(25), codec(23)])
    record = decoder.decode_payload(payload([struct.pack("!i", 1), b"x", struct.pack("!i", 2)]))
    assert tuple(record) == (1, "x", 2)
    assert record["a"] == 2 and list(record.keys()) == ["a", "b", "a"]
    assert list(record.items()) == [("a", 1), ("b", "x"), ("a", 2)]


def test_decode_payload_and_result_formats() -> None:
    money = codec(790)
    assert money.format == TEXT
    decoder = RowDecoder(["id", "price", "day"], [codec(23), money, codec(1082)])
    assert decoder.result_formats == (BINARY, TEXT, BINARY)
    assert decoder.names == ("id", "price", "day")
    day = datetime.date(2024, 2, 29)
    record = decoder.decode_payload(payload([struct.pack("!i", 7), b"$1.50", codec(1082).encode(day)]))
    assert tuple(record) == (7, "$1.50", day) and record["day"] == day


def test_constructor_errors() -> None:
    with pytest.raises(ValueError, match=r"^RowDecoder needs one codec per column: 2 names, 1 codecs$"):
        RowDecoder(["a", "b"], [codec(23)])
    with pytest.raises(
        TypeError, match=r"^record class must be a subclass of pgtypes.Record, got <class 'tuple'>$"
    ):
        RowDecoder(["a"], [codec(23)], record_class=tuple)  # type: ignore[arg-type]  # the error under test


def test_for_fields_uses_the_registry() -> None:
    fields = [
        FieldDescription("id", 1259, 1, 23, 4, -1),
        FieldDescription("price", 0, 0, 790, 8, -1),
        FieldDescription("tags", 0, 0, 1009, -1, -1),
    ]
    decoder = RowDecoder.for_fields(REGISTRY, fields, Named)
    assert decoder.names == ("id", "price", "tags")
    assert [item.name for item in decoder.codecs] == ["int4", "money", "_text"]
    assert decoder.result_formats == (BINARY, TEXT, BINARY)
    assert decoder.record_class is Named
    with pytest.raises(InternalClientError, match="no type information for OID 99999"):
        RowDecoder.for_fields(REGISTRY, [FieldDescription("x", 0, 0, 99999, -1, -1)])


def test_repr() -> None:
    decoder = RowDecoder(["id", "name"], [codec(23), codec(25)])
    assert repr(decoder) == "<RowDecoder (id int4, name text) -> Record>"
    assert repr(RowDecoder(["x"], [codec(16)], Named)) == "<RowDecoder (x bool) -> Named>"
    assert repr(RowDecoder([], [])) == "<RowDecoder () -> Record>"


# -- the uniform path: a batch of equal-size rows of fixed-width columns -------------------


def framed(rows: Sequence[Sequence[bytes | None]]) -> tuple[bytes, list[int], list[int]]:
    """Consecutive whole DataRow messages in one buffer, as the framer batches them."""
    messages = [b"D" + struct.pack("!i", len(payload(row)) + 4) + payload(row) for row in rows]
    buffer = JUNK + b"".join(messages) + JUNK
    starts, ends, position = [], [], len(JUNK)
    for message in messages:
        starts.append(position + 5)
        ends.append(position + len(message))
        position += len(message)
    return buffer, starts, ends


@given(st.lists(st.tuples(st.integers(-(2**31), 2**31 - 1), st.integers(-(2**63), 2**63 - 1)), min_size=2))
def test_uniform_batches_match_the_general_loop(values: list[tuple[int, int]]) -> None:
    from pgwire import DataRowBatch

    columns = [codec(23), codec(20)]
    rows = [[columns[0].encode(a), columns[1].encode(b)] for a, b in values]
    decoder = RowDecoder(["a", "b"], columns)
    buffer, starts, ends = framed(rows)
    decoded = decoder.decode_batch(DataRowBatch(buffer, starts, ends))
    assert [tuple(record) for record in decoded] == values
    general: list[Record] = []
    decoder.decode_rows(buffer, starts, ends, general)
    assert decoded == general


def test_uniform_batch_with_a_null_takes_the_general_loop() -> None:
    from pgwire import DataRowBatch

    int4 = codec(23)
    rows: list[list[bytes | None]] = [[int4.encode(1)], [None], [int4.encode(3)]]
    decoder = RowDecoder(["a"], [int4])
    assert [tuple(r) for r in decoder.decode_batch(DataRowBatch(*framed(rows)))] == [(1,), (None,), (3,)]


def test_uniform_span_with_wrong_lengths_never_gives_values() -> None:
    """Two messages of the right total size whose value lengths lie: refused, not misread."""
    from pgwire import DataRowBatch

    decoder = RowDecoder(["a"], [codec(23)])
    good = b"D" + struct.pack("!ihi", 14, 1, 4) + struct.pack("!i", 7)
    bad = b"D" + struct.pack("!ihi", 14, 1, 3) + b"\x00\x00\x00\x08"  # length 3, 4 bytes follow
    buffer = good + bad + good
    starts = [5, 20, 35]
    ends = [15, 30, 45]
    with pytest.raises(RemoteProtocolError, match=r"bytes after the last column|has length 3"):
        decoder.decode_batch(DataRowBatch(buffer, starts, ends))
