"""Binary COPY in both directions: CopyRecordEncoder and CopyRecordDecoder.

Golden bytes for a small table; a round trip for every built-in type with a binary codec (the
samples of ``test_live_builtin_values``); the encoder's fast loops against its plain path and
the decoder's chunking invariance, with hypothesis; every error path; and the real server:
the encoder's output goes in with ``COPY ... FROM STDIN (FORMAT binary)``, the server's
``COPY ... TO STDOUT (FORMAT binary)`` comes back through the decoder, and both are compared
with the values sent and with a ``SELECT`` of the table.
"""

from __future__ import annotations

import datetime
import struct
from collections.abc import Iterator, Sequence
from dataclasses import replace
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import pgwire
from pgtypes import BINARY, TEXT, Codec, CopyRecordDecoder, CopyRecordEncoder, Record, TypeRegistry
from pgtypes._copy_encoder import encode_tuple
from pgwire.exceptions import (
    BadCopyFileFormatError,
    DataError,
    InterfaceError,
    InternalClientError,
    PostgresError,
    QueryCanceledError,
    UnsupportedClientFeatureError,
)
from tests.pgtypes.copy_rows import (
    SIGNATURE,
    column_codec,
    cut,
    encode_all,
    fields,
    rows_for,
    split_stream,
    split_tuples,
    tables,
)
from tests.pgtypes.live import TypeSession
from tests.pgtypes.rows import shape
from tests.pgtypes.test_live_builtin_values import NO_INPUT, OIDS, VALUES, same, skip_if_unsupported

REGISTRY = TypeRegistry.default()
HEADER = SIGNATURE + bytes(8)
TRAILER = b"\xff\xff"

# -- golden bytes ------------------------------------------------------------------------------

GOLDEN_FIELDS = fields([23, 25, 701, 16, 17, 1082])  # int4, text, float8, bool, bytea, date
GOLDEN_ROWS = [
    (1, "ann", 1.5, True, b"\x00\xff", datetime.date(2000, 1, 2)),
    (2, None, None, False, b"", datetime.date(1999, 12, 31)),
]
GOLDEN = bytes.fromhex(
    "5047434f50590aff0d0a00"
    "00000000"
    "00000000"  # signature, flags, no header extension
    "0006"  # row 1: six fields
    "00000004 00000001"  # int4 1
    "00000003 616e6e"  # text 'ann'
    "00000008 3ff8000000000000"  # float8 1.5
    "00000001 01"  # bool true
    "00000002 00ff"  # bytea
    "00000004 00000001"  # date: days since 2000-01-01
    "0006"  # row 2
    "00000004 00000002"
    "ffffffff"  # NULL
    "ffffffff"  # NULL
    "00000001 00"
    "00000000"  # an empty bytea: length 0, no bytes
    "00000004 ffffffff"  # date -1 (four value bytes, not a NULL)
    "ffff"  # trailer
)


def test_encoder_writes_the_golden_bytes() -> None:
    encoder = CopyRecordEncoder.for_fields(REGISTRY, GOLDEN_FIELDS)
    assert encode_all(encoder, GOLDEN_ROWS) == GOLDEN
    assert encoder.rows == 2


def test_decoder_reads_the_golden_bytes() -> None:
    decoder = CopyRecordDecoder.for_fields(REGISTRY, GOLDEN_FIELDS)
    records = decoder.feed(GOLDEN)
    decoder.finish()
    assert records == GOLDEN_ROWS and decoder.rows == 2 and decoder.is_complete
    assert all(type(record) is not tuple and isinstance(record, Record) for record in records)
    assert list(records[0].keys()) == [f"c{index}" for index in range(6)]


def test_an_empty_copy_is_the_header_and_the_trailer() -> None:
    encoder = CopyRecordEncoder.for_fields(REGISTRY, GOLDEN_FIELDS)
    assert list(encoder.chunks([])) == []
    assert encoder.finish() == HEADER + TRAILER
    decoder = CopyRecordDecoder.for_fields(REGISTRY, GOLDEN_FIELDS)
    assert decoder.feed(HEADER + TRAILER) == []
    decoder.finish()


def test_zero_columns() -> None:
    encoder = CopyRecordEncoder([], [])
    data = encode_all(encoder, [(), []])
    assert data == HEADER + b"\x00\x00\x00\x00" + TRAILER
    decoder = CopyRecordDecoder([], [])
    assert decoder.feed(data) == [(), ()]


# -- every built-in type with a binary codec, in process -------------------------------------


def binary_types() -> list[str]:
    return [
        name
        for name in sorted(VALUES)
        if REGISTRY.codec(OIDS[name], BINARY) is not None
        and any(case.param != NO_INPUT for case in VALUES[name])
    ]


def sample_row(name: str) -> list[Any]:
    return [case.expected(BINARY) for case in VALUES[name] if case.param != NO_INPUT]


@pytest.mark.parametrize("name", binary_types())
def test_builtin_values_round_trip(name: str) -> None:
    values = sample_row(name)
    codecs = [column_codec(OIDS[name])] * len(values)
    names = [f"v{index}" for index in range(len(values))]
    rows = [values, [None] * len(values), values]
    data = encode_all(CopyRecordEncoder(names, codecs, chunk_size=7), rows)
    decoder = CopyRecordDecoder(names, codecs)
    records = [record for piece in cut(data, range(0, len(data), 5)) for record in decoder.feed(piece)]
    decoder.finish()
    assert len(records) == 3
    for record, row in zip(records, rows, strict=True):
        for got, want in zip(record, row, strict=True):
            assert same(got, want), f"{name}: sent {want!r}, got back {got!r}"


def test_every_type_with_a_binary_codec_is_covered() -> None:
    assert len(binary_types()) >= 100
    assert {"int4", "text", "numeric", "timestamptz", "_int4", "int4range", "jsonb"} <= set(binary_types())


# -- the encoder's streaming API ---------------------------------------------------------------


def bench_rows(count: int) -> list[tuple[Any, ...]]:
    start = datetime.datetime(2024, 1, 1, tzinfo=datetime.UTC)
    return [(n, f"row {n}", n / 4, start + datetime.timedelta(seconds=n), n % 3 == 0) for n in range(count)]


BENCH_FIELDS = fields([23, 25, 701, 1184, 16])


def test_chunks_hold_whole_tuples_and_reach_the_chunk_size() -> None:
    rows = bench_rows(500)
    encoder = CopyRecordEncoder.for_fields(REGISTRY, BENCH_FIELDS, chunk_size=1000)
    chunks = list(encoder.chunks(rows))
    last = encoder.finish()
    assert all(1000 <= len(chunk) < 1100 for chunk in chunks) and len(last) < 1100
    assert chunks[0].startswith(HEADER) and last.endswith(TRAILER)
    # Each chunk splits into whole tuples on its own.
    pieces = [chunks[0][len(HEADER) :], *chunks[1:], last[: -len(TRAILER)]]
    assert sum(len(split_tuples(piece)) for piece in pieces) == 500 == encoder.rows
    assert split_stream(b"".join([*chunks, last])) == split_stream(
        encode_all(encoder_for(BENCH_FIELDS), rows)
    )


def encoder_for(columns: Sequence[pgwire.FieldDescription], **options: Any) -> CopyRecordEncoder:
    return CopyRecordEncoder.for_fields(REGISTRY, columns, **options)


def test_feed_take_and_finish_stream_rows_one_by_one() -> None:
    rows = bench_rows(300)
    encoder = encoder_for(BENCH_FIELDS, chunk_size=2000)
    assert encoder.buffered == len(HEADER)
    chunks = [chunk for row in rows if (chunk := encoder.feed(row)) is not None]
    assert chunks and all(len(chunk) >= 2000 for chunk in chunks)
    assert encoder.buffered < 2000
    early = encoder.take()  # what a caller sends before waiting on a slow source
    assert encoder.buffered == 0 and encoder.take() == b""
    assert b"".join([*chunks, early, encoder.finish()]) == encode_all(encoder_for(BENCH_FIELDS), rows)


def test_chunks_and_feed_mix_in_batches() -> None:
    rows = bench_rows(100)
    encoder = encoder_for(BENCH_FIELDS, chunk_size=300)
    out: list[bytes] = []
    for start in range(0, 100, 30):  # an async source handing over batches
        out += encoder.chunks(rows[start : start + 15])
        for row in rows[start + 15 : start + 30]:
            if (chunk := encoder.feed(row)) is not None:
                out.append(chunk)
    out.append(encoder.finish())
    assert encoder.rows == 100
    assert b"".join(out) == encode_all(encoder_for(BENCH_FIELDS), rows)


def test_chunks_is_lazy() -> None:
    taken: list[int] = []

    def source() -> Iterator[tuple[Any, ...]]:
        for row in bench_rows(1000):
            taken.append(row[0])
            yield row

    encoder = encoder_for(BENCH_FIELDS, chunk_size=500)
    first = next(encoder.chunks(source()))
    assert len(first) >= 500 and len(taken) < 50


def test_records_and_lists_are_rows() -> None:
    decoder = CopyRecordDecoder.for_fields(REGISTRY, GOLDEN_FIELDS)
    records = decoder.feed(GOLDEN)
    encoder = CopyRecordEncoder.for_fields(REGISTRY, GOLDEN_FIELDS)
    assert encode_all(encoder, records) == GOLDEN
    assert encode_all(encoder_for(GOLDEN_FIELDS), [list(row) for row in GOLDEN_ROWS]) == GOLDEN


def test_repr() -> None:
    assert repr(encoder_for(BENCH_FIELDS[:2])) == "<CopyRecordEncoder (c0 int4, c1 text) rows=0>"
    decoder = CopyRecordDecoder.for_fields(REGISTRY, BENCH_FIELDS[:1])
    assert repr(decoder) == "<CopyRecordDecoder (c0 int4) -> Record rows=0>"


# -- the fast loops against the plain path -----------------------------------------------------


def plain_stream(
    names: Sequence[str], codecs: Sequence[Codec], rows: Sequence[Any]
) -> tuple[bytes, str | None]:
    """The reference: the header and each row by ``encode_tuple``, up to the first bad row.

    Returns the bytes and, for a bad row, its error's message (else the stream has its trailer).
    """
    parts = [HEADER]
    for number, row in enumerate(rows, start=1):
        try:
            parts.append(encode_tuple(names, codecs, row, number))
        except (DataError, InterfaceError) as error:
            assert error.__cause__ is not None or "COPY row" in str(error)
            return b"".join(parts), str(error)
    return b"".join(parts) + TRAILER, None


def chunked_stream(encoder: CopyRecordEncoder, rows: Sequence[Any]) -> tuple[bytes, str | None]:
    out: list[bytes] = []
    try:
        for chunk in encoder.chunks(rows):
            out.append(chunk)
    except (DataError, InterfaceError) as error:
        return b"".join(out) + encoder.take(), str(error)
    return b"".join(out) + encoder.finish(), None


def fed_stream(encoder: CopyRecordEncoder, rows: Sequence[Any]) -> tuple[bytes, str | None]:
    out: list[bytes] = []
    try:
        for row in rows:
            if (chunk := encoder.feed(row)) is not None:
                out.append(chunk)
    except (DataError, InterfaceError) as error:
        return b"".join(out) + encoder.take(), str(error)
    return b"".join(out) + encoder.finish(), None


@settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow])
@given(tables(refused=True), st.integers(1, 300))
def test_fast_loops_match_the_plain_path(table: tuple[list[int], list[Any]], chunk_size: int) -> None:
    oids, rows = table
    codecs = [column_codec(oid) for oid in oids]
    names = [f"c{index}" for index in range(len(oids))]
    expected = plain_stream(names, codecs, rows)
    assert chunked_stream(CopyRecordEncoder(names, codecs, chunk_size=chunk_size), rows) == expected
    assert fed_stream(CopyRecordEncoder(names, codecs, chunk_size=chunk_size), rows) == expected


def test_plain_path_values_are_encoded_as_their_codecs_encode_them() -> None:
    # A whole float and a Decimal for an int4, an int for a float8, b"" for "char", a NULL in
    # a fixed-width column: the fast loop hands each such row to the plain path.
    columns = fields([23, 701, 18, 16])
    rows = [(3.0, 2, b"", True), (1, 2.5, b"a", False), (None, None, bytearray(b"z"), None)]
    data = encode_all(encoder_for(columns), rows)
    assert split_stream(data) == [
        (b"\x00\x00\x00\x03", struct.pack("!d", 2.0), b"\x00", b"\x01"),
        (b"\x00\x00\x00\x01", struct.pack("!d", 2.5), b"a", b"\x00"),
        (None, None, b"z", None),
    ]


def test_a_user_codec_with_a_struct_code_keeps_its_own_encoder() -> None:
    # Only the built-in encoders are known to agree with struct.pack.
    doubled = replace(column_codec(23), encode=lambda value: struct.pack("!i", 2 * value))
    assert doubled.fixed == "i"
    data = encode_all(CopyRecordEncoder(["n"], [doubled]), [(21,)])
    assert split_stream(data) == [(struct.pack("!i", 42),)]


# -- encoder errors ----------------------------------------------------------------------------


def encoding_error(columns: Sequence[pgwire.FieldDescription], rows: Sequence[Any]) -> DataError:
    encoder = encoder_for(columns)
    with pytest.raises(DataError) as caught:
        list(encoder.chunks(rows))
    return caught.value


def test_a_type_without_a_binary_encoder_is_refused_when_the_encoder_is_built() -> None:
    with pytest.raises(InternalClientError) as caught:
        encoder_for(fields([23, 790]))  # money: text only
    assert str(caught.value) == "no binary format encoder for type money (OID 790)"
    text_codec = REGISTRY.codec(790, TEXT)
    assert text_codec is not None
    with pytest.raises(InternalClientError, match=r"^no binary format encoder for type money \(OID 790\)$"):
        CopyRecordEncoder(["m"], [text_codec])
    with pytest.raises(InternalClientError, match="no type information for OID 99999"):
        encoder_for(fields([99999]))


def test_bad_construction_arguments() -> None:
    with pytest.raises(ValueError, match="one codec per column: 2 names, 1 codecs"):
        CopyRecordEncoder(["a", "b"], [column_codec(23)])
    with pytest.raises(ValueError, match="chunk_size must be at least 1, got 0"):
        encoder_for(GOLDEN_FIELDS, chunk_size=0)


def test_a_bad_value_names_the_row_the_column_the_type_and_the_value() -> None:
    error = encoding_error(BENCH_FIELDS[:2], [(1, "a"), (2, "b"), (3, 5)])
    assert str(error) == "invalid input for COPY row 3, column 'c1' (text): 5 (expected str, got int)"
    assert type(error) is DataError and error.sqlstate == "22000"
    assert isinstance(error.__cause__, TypeError)
    error = encoding_error(BENCH_FIELDS[:1], [("x" * 200,)])
    assert (
        str(error)
        == f"invalid input for COPY row 1, column 'c0' (int4): '{'x' * 76}... (expected int, got str)"
    )
    error = encoding_error(fields([23]), [(2**31,)])
    assert str(error).startswith("invalid input for COPY row 1, column 'c0' (int4): 2147483648 (value out of")
    assert isinstance(error.__cause__, OverflowError)


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ((1,), "COPY row 1 has 1 value, expected 2 (one per column)"),
        ([1, "a", 2], "COPY row 1 has 3 values, expected 2 (one per column)"),
        (5, "COPY row 1 must be a sequence of column values, got int"),
        ("ab", "COPY row 1 must be a sequence of column values, got str"),
        (b"ab", "COPY row 1 must be a sequence of column values, got bytes"),
        ({"c0": 1, "c1": "a"}, "COPY row 1 must be a sequence of column values, got dict"),
        ({1, "a"}, "COPY row 1 must be a sequence of column values, got set"),
        (None, "COPY row 1 must be a sequence of column values, got NoneType"),
    ],
)
def test_a_row_that_is_not_a_sequence_of_the_right_length(row: Any, message: str) -> None:
    assert str(encoding_error(BENCH_FIELDS[:2], [row])) == message
    with pytest.raises(DataError) as caught:
        encoder_for(BENCH_FIELDS[:2]).feed(row)
    assert str(caught.value) == message


def test_after_a_bad_row_only_whole_tuples_are_gathered() -> None:
    rows = bench_rows(40)
    bad = [*rows[:25], (25, "x", "not a float", None, True), *rows[26:]]
    encoder = encoder_for(BENCH_FIELDS, chunk_size=500)
    sent: list[bytes] = []
    with pytest.raises(DataError, match="COPY row 26, column 'c2'"):
        for chunk in encoder.chunks(bad):
            sent.append(chunk)
    sent.append(encoder.take())
    data = b"".join(sent)
    assert len(split_tuples(data[len(HEADER) :])) == 25 == encoder.rows
    # The encoder is still usable: the bad row is left out, and numbering goes on past it.
    with pytest.raises(DataError, match="COPY row 27 has 1 value"):
        encoder.feed((1,))
    assert encoder.feed(rows[27]) is None and encoder.rows == 26


def test_an_error_from_the_rows_iterable_passes_through() -> None:
    def source() -> Iterator[tuple[Any, ...]]:
        yield from bench_rows(3)
        raise RuntimeError("the source failed")

    encoder = encoder_for(BENCH_FIELDS)
    with pytest.raises(RuntimeError, match="the source failed"):
        list(encoder.chunks(source()))
    assert encoder.rows == 3
    assert encoder.buffered == len(data := encoder.take())
    assert len(split_tuples(data[len(HEADER) :])) == 3


def test_a_value_this_client_cannot_send_names_its_row_and_column() -> None:
    encoder = encoder_for(fields([2249]))  # record: decodable, never encodable
    with pytest.raises(UnsupportedClientFeatureError) as caught:
        encoder.feed(((1, "a"),))
    assert str(caught.value).startswith(
        "COPY row 1, column 'c0': input of anonymous composite types is not supported\nHINT:  Cast"
    )


def test_a_finished_encoder_refuses_more() -> None:
    encoder = encoder_for(BENCH_FIELDS)
    encoder.finish()
    for attempt in (lambda: encoder.feed(bench_rows(1)[0]), lambda: list(encoder.chunks([])), encoder.finish):
        with pytest.raises(InterfaceError, match="this COPY encoder is finished"):
            attempt()


# -- the decoder: any chunking gives the same records ----------------------------------------


def decode_in_pieces(decoder: CopyRecordDecoder, pieces: Iterator[bytes] | Sequence[bytes]) -> list[Record]:
    records: list[Record] = []
    for piece in pieces:
        decoder.feed(piece, records)
    decoder.finish()
    return records


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(tables(), st.lists(st.integers(0, 10_000), max_size=30))
def test_any_chunking_gives_the_same_records(table: tuple[list[int], list[Any]], points: list[int]) -> None:
    oids, rows = table
    columns = fields(oids)
    data = encode_all(encoder_for(columns), rows)
    codecs = [column_codec(oid) for oid in oids]
    expected = [
        shape([None if raw is None else codec.decode(raw) for codec, raw in zip(codecs, values, strict=True)])
        for values in split_stream(data)
    ]
    whole = decode_in_pieces(CopyRecordDecoder.for_fields(REGISTRY, columns), [data])
    assert [shape(record) for record in whole] == expected
    pieces = decode_in_pieces(CopyRecordDecoder.for_fields(REGISTRY, columns), list(cut(data, points)))
    assert [shape(record) for record in pieces] == expected


def test_byte_at_a_time() -> None:
    rows = [*bench_rows(20), (None, None, None, None, None), (1, "", 0.0, None, False)]
    data = encode_all(encoder_for(BENCH_FIELDS), rows)
    decoder = CopyRecordDecoder.for_fields(REGISTRY, BENCH_FIELDS)
    records = decode_in_pieces(decoder, [data[index : index + 1] for index in range(len(data))])
    assert records == [tuple(row) for row in rows] and decoder.rows == 22


def as_decoded(oid: int, value: Any) -> Any:
    """What a value accepted for a column of type ``oid`` decodes to."""
    if value is None:
        return None
    return {23: int, 701: float}.get(oid, lambda same: same)(value)


@given(st.data())
def test_values_decode_as_sent(data: st.DataObject) -> None:
    oids = [23, 25, 701, 16, 17, 1082, 1184, 2950, 1007]
    rows = data.draw(rows_for(oids, refused=False, max_rows=20))
    decoder = CopyRecordDecoder.for_fields(REGISTRY, fields(oids))
    records = decoder.feed(encode_all(encoder_for(fields(oids)), rows))
    expected = [[as_decoded(oid, value) for oid, value in zip(oids, row, strict=True)] for row in rows]
    assert [shape(record) for record in records] == [shape(values) for values in expected]


def test_a_tuple_spanning_many_chunks_is_gathered_not_rescanned() -> None:
    columns = fields([23, 17])
    big = bytes(range(256)) * 400  # 100 KiB
    data = encode_all(encoder_for(columns), [(1, big), (2, b"x")])
    decoder = CopyRecordDecoder.for_fields(REGISTRY, columns)
    records: list[Record] = []
    tuple_size = 2 + 8 + 4 + len(big)
    for start in range(0, len(data), 1000):
        decoder.feed(data[start : start + 1000], records)
        # At most one partial tuple (plus the chunk that just came) is held.
        assert sum(map(len, decoder._pending)) <= tuple_size + 1000
    decoder.finish()
    assert records == [(1, big), (2, b"x")]


# -- decoder errors ----------------------------------------------------------------------------


def header(flags: int = 0, extension: bytes = b"") -> bytes:
    return SIGNATURE + struct.pack("!Ii", flags, len(extension)) + extension


def decoding_error(data: bytes, columns: Sequence[pgwire.FieldDescription] = GOLDEN_FIELDS) -> PostgresError:
    decoder = CopyRecordDecoder.for_fields(REGISTRY, columns)
    with pytest.raises(DataError) as caught:
        decoder.feed(data)
        decoder.finish()
    # The decoder stops at the first error.
    with pytest.raises(InterfaceError, match="this COPY decoder stopped at an error"):
        decoder.feed(b"more")
    with pytest.raises(InterfaceError, match="this COPY decoder stopped at an error"):
        decoder.finish()
    return caught.value


ONE_ROW = encode_tuple(
    [field.name for field in GOLDEN_FIELDS],
    [column_codec(f.type_oid) for f in GOLDEN_FIELDS],
    GOLDEN_ROWS[0],
    1,
)
assert GOLDEN.startswith(HEADER + ONE_ROW)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (
            b"PGCOPY\n\xff\r\n\x01" + bytes(8),
            r"the signature is not PGCOPY\n\377\r\n\0 (got b'PGCOPY\n\xff\r\n\x01')",
        ),
        (b"COPY", r"the signature is not PGCOPY\n\377\r\n\0 (got b'COPY')"),
        (header(1 << 16), "the header's flags say the tuples carry OIDs, which this decoder does not read"),
        (header(1 << 17), "the header's flags have critical bits this decoder does not know: 0x00020000"),
        (header(1 << 31), "the header's flags have critical bits this decoder does not know: 0x80000000"),
        (SIGNATURE + struct.pack("!Ii", 0, -1), "the header extension has a negative length (-1)"),
        (HEADER + ONE_ROW + b"\x00\x02", "row 2 has 2 fields, expected 6"),
        (
            HEADER + b"\x00\x06\x00\x00\x00\x04\x00\x00\x00\x01\xff\xff\xff\xfe",
            "row 1, column 2 ('c1') has length -2",
        ),
        (b"", "the data ended before the header"),
        (HEADER[:5], "the data ended inside the header, after 5 bytes"),
        (HEADER[:-1], "the data ended inside the header, after 18 bytes"),
        (HEADER + ONE_ROW + ONE_ROW[:2], "the data ended inside row 2, after 2 bytes of it"),
        (
            HEADER + ONE_ROW + ONE_ROW[:-1],
            f"the data ended inside row 2, after {len(ONE_ROW) - 1} bytes of it",
        ),
        (HEADER + ONE_ROW + ONE_ROW, "the data ended after row 2, without the trailer"),
        (HEADER + TRAILER[:1], "the data ended after row 0, 1 byte into the next row or the trailer"),
        (
            HEADER + ONE_ROW + TRAILER[:1],
            "the data ended after row 1, 1 byte into the next row or the trailer",
        ),
        (GOLDEN + b"\x00\x00", "2 bytes after the trailer"),
    ],
)
def test_malformed_data(data: bytes, message: str) -> None:
    error = decoding_error(data)
    assert str(error) == f"invalid binary COPY data: {message}"
    assert type(error) is BadCopyFileFormatError and error.sqlstate == "22P04"


def test_a_wrong_signature_is_refused_from_its_first_byte() -> None:
    decoder = CopyRecordDecoder.for_fields(REGISTRY, GOLDEN_FIELDS)
    with pytest.raises(BadCopyFileFormatError, match="signature"):
        decoder.feed(b"X")


def test_data_after_the_trailer_in_a_later_chunk() -> None:
    decoder = CopyRecordDecoder.for_fields(REGISTRY, GOLDEN_FIELDS)
    assert len(decoder.feed(GOLDEN)) == 2
    decoder.feed(b"")  # nothing is fine
    with pytest.raises(
        BadCopyFileFormatError, match=r"^invalid binary COPY data: 3 bytes after the trailer$"
    ):
        decoder.feed(b"abc")


def test_backwards_compatible_flags_and_the_header_extension_are_skipped() -> None:
    body = GOLDEN[len(HEADER) :]
    for data in (header(0xFFFF) + body, header(0, b"extension") + body):
        decoder = CopyRecordDecoder.for_fields(REGISTRY, GOLDEN_FIELDS)
        assert (
            decode_in_pieces(decoder, [data[index : index + 3] for index in range(0, len(data), 3)])
            == GOLDEN_ROWS
        )


def test_records_before_a_malformed_tuple_are_delivered() -> None:
    decoder = CopyRecordDecoder.for_fields(REGISTRY, GOLDEN_FIELDS)
    records: list[Record] = []
    with pytest.raises(BadCopyFileFormatError, match="row 3 has 1 field, expected 6"):
        decoder.feed(GOLDEN[:-2] + b"\x00\x01", records)
    assert records == GOLDEN_ROWS and decoder.rows == 2


def test_a_value_its_codec_cannot_decode_names_the_row_and_the_column() -> None:
    bad_int = b"\x00\x06\x00\x00\x00\x03\x00\x00\x01" + ONE_ROW[2 + 8 :]  # a 3-byte int4
    records: list[Record] = []
    decoder = CopyRecordDecoder.for_fields(REGISTRY, GOLDEN_FIELDS)
    with pytest.raises(DataError) as caught:
        decoder.feed(HEADER + ONE_ROW + bad_int + TRAILER, records)
    assert str(caught.value).startswith(
        "COPY row 2: cannot decode column 1 ('c0', type int4, binary format): invalid int4 value"
    )
    assert type(caught.value) is DataError and isinstance(caught.value.__cause__, DataError)
    assert records == GOLDEN_ROWS[:1]


def test_a_type_without_a_binary_decoder_is_refused_when_the_decoder_is_built() -> None:
    with pytest.raises(InternalClientError, match=r"^no binary format decoder for type money \(OID 790\)$"):
        CopyRecordDecoder.for_fields(REGISTRY, fields([790]))
    text_codec = REGISTRY.codec(25, TEXT)
    assert text_codec is not None
    with pytest.raises(InternalClientError, match=r"^no binary format decoder for type text \(OID 25\)$"):
        CopyRecordDecoder(["t"], [text_codec])
    with pytest.raises(ValueError, match="one codec per column"):
        CopyRecordDecoder(["a"], [])


def test_a_record_class_of_ones_own() -> None:
    class Row(Record):
        pass

    records = CopyRecordDecoder.for_fields(REGISTRY, GOLDEN_FIELDS, Row).feed(GOLDEN)
    assert all(isinstance(record, Row) for record in records) and records == GOLDEN_ROWS


# -- the real server ---------------------------------------------------------------------------

TABLE = "copy_binary_t"


@pytest.fixture
def session(type_session: TypeSession) -> Iterator[TypeSession]:
    """The type session; the test's table is dropped afterwards."""
    try:
        yield type_session
    finally:
        type_session.execute(f"DROP TABLE IF EXISTS {TABLE}")


def copy_in(session: TypeSession, chunks: Iterator[bytes] | Sequence[bytes], **options: Any) -> str:
    return session.session.copy_in(f"COPY {TABLE} FROM STDIN (FORMAT binary)", chunks, **options)


def copy_out(session: TypeSession, source: str, columns: Sequence[pgwire.FieldDescription]) -> list[Record]:
    """``COPY source TO STDOUT (FORMAT binary)``, decoded in 1000-byte pieces."""
    data, status = session.session.copy_out(f"COPY {source} TO STDOUT (FORMAT binary)")
    records = decode_in_pieces(
        CopyRecordDecoder.for_fields(REGISTRY, columns), list(cut(data, range(0, len(data), 1000)))
    )
    assert status == f"COPY {len(records)}"
    return records


def table_fields(session: TypeSession) -> tuple[pgwire.FieldDescription, ...]:
    return session.raw_describe(f"SELECT * FROM {TABLE}").fields


@pytest.mark.parametrize("name", binary_types())
def test_builtin_values_through_the_server(session: TypeSession, name: str) -> None:
    cases = [case for case in VALUES[name] if case.param != NO_INPUT]
    # One column per sample, typed by the sample's own expression (bit(3), char(5), ...).
    columns = ", ".join(f"({case.sql}) AS v{index}" for index, case in enumerate(cases))
    try:
        # PostgreSQL 18 reads the samples' literals already here, even WITH NO DATA: a server
        # without libxml refuses xml at this point, older ones only in COPY.
        session.execute(f"CREATE TEMP TABLE {TABLE} AS SELECT 0 AS n, {columns} WITH NO DATA")
        described = table_fields(session)
        encoder = CopyRecordEncoder.for_fields(REGISTRY, described, chunk_size=64)
        values = sample_row(name)
        rows = [(1, *values), (2, *[None] * len(values)), (3, *values)]
        status = copy_in(session, [*encoder.chunks(rows), encoder.finish()])
    except PostgresError as error:
        skip_if_unsupported(error)
        raise
    assert status == "COPY 3"
    query = f"SELECT * FROM {TABLE} ORDER BY n"
    copied = copy_out(session, f"({query})", described)
    selected = session.fetch(query)
    assert len(copied) == len(selected) == 3
    for record, row, seen in zip(copied, rows, selected, strict=True):
        for got, want, fetched in zip(record, row, seen, strict=True):
            assert same(got, want), f"{name}: sent {want!r}, the server's COPY gave {got!r}"
            assert same(got, fetched), f"{name}: COPY gave {got!r}, SELECT gave {fetched!r}"


def test_many_rows_through_the_server(session: TypeSession) -> None:
    session.execute(f"CREATE TEMP TABLE {TABLE} (i int4, t text, f float8, ts timestamptz, b bool)")
    described = table_fields(session)
    rows = bench_rows(5000)
    rows[7] = (None, None, None, None, None)
    rows[8] = (8, "é ☃ \\ \t\n", float("-inf"), datetime.datetime.min, None)
    encoder = CopyRecordEncoder.for_fields(REGISTRY, described, chunk_size=10_000)
    chunks = [*encoder.chunks(rows), encoder.finish()]
    assert len(chunks) > 10
    assert copy_in(session, chunks) == "COPY 5000"
    copied = copy_out(session, TABLE, described)
    assert copied == session.fetch(f"SELECT * FROM {TABLE}")
    assert [shape(record) for record in copied] == [shape(row) for row in rows]


def test_a_bad_row_aborts_the_copy_with_copy_fail(session: TypeSession) -> None:
    session.execute(f"CREATE TEMP TABLE {TABLE} (a int4, b text)")
    encoder = CopyRecordEncoder.for_fields(REGISTRY, table_fields(session), chunk_size=20)
    sent: list[bytes] = []
    with pytest.raises(DataError) as caught:
        for chunk in encoder.chunks([(1, "a"), (2, "b"), (3, 4)]):
            sent.append(chunk)
    assert sent  # whole tuples went out before the bad row; CopyFail aborts them all
    with pytest.raises(QueryCanceledError, match="COPY row 3, column 'b'"):
        copy_in(session, [*sent, encoder.take()], fail=str(caught.value))
    assert session.fetchval(f"SELECT count(*) FROM {TABLE}") == 0
