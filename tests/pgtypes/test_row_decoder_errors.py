"""RowDecoder on bad input: malformed DataRow payloads and values their codecs cannot decode.

Every structural defect must raise ``RemoteProtocolError`` with the message that names it, on
every way through the decoder (whole-row unpack, segment walk, column by column, one column)
and wherever the row sits (alone, at the end of a buffer, with bytes after it). A value that
its codec rejects raises ``DataError`` naming the column, the type and the format, chained to
the codec's error. A row is never returned with a wrong value.
"""

from __future__ import annotations

import struct
from collections.abc import Sequence
from typing import Any

import pytest

from pgtypes import BINARY, TEXT, Codec, Record, RowDecoder
from pgwire.exceptions import DataError, OutdatedSchemaCacheError, RemoteProtocolError
from tests.pgtypes.rows import NULL, batch, codec, col, fails_once, length, payload, raw_row

# -- malformed rows ----------------------------------------------------------------------------

I4 = struct.pack("!i", 7)
I8 = struct.pack("!q", 8)
TRUE = b"\x01"
DECODERS = {
    "fixed": RowDecoder(["a", "b", "c"], [codec(23), codec(20), codec(16)]),
    "segment": RowDecoder(["a", "b", "c"], [codec(23), codec(25), codec(20)]),
    "single": RowDecoder(["t"], [codec(25)]),
}
GOOD = {
    "fixed": [col(I4), col(I8), col(TRUE)],
    "segment": [col(I4), col(b"xy"), col(I8)],
    "single": [col(b"xy")],
}
_M = "malformed DataRow message: "


def malformed_cases() -> list[tuple[str, str, bytes, str]]:
    """(id, decoder, payload, message) for each kind of defect and each way through the decoder."""
    cases: list[tuple[str, str, bytes, str]] = []
    for name, good in GOOD.items():
        n, left = len(good), len(good[-1]) - 4  # left: the bytes of the last value
        value = good[-1][4:]
        cases += [
            ("empty", name, b"", "no column count"),
            ("one-byte", name, b"\x00", "no column count"),
            (
                "extra-column",
                name,
                raw_row(n + 1, *good, col(b"")),
                f"{n + 1} columns, but the RowDescription has {n}",
            ),
            (
                "missing-column",
                name,
                raw_row(n - 1, *good[:-1]),
                f"{n - 1} columns, but the RowDescription has {n}",
            ),
            ("negative-count", name, raw_row(-1, *good), f"-1 columns, but the RowDescription has {n}"),
            (
                "length-past-row",
                name,
                raw_row(n, *good[:-1], length(left + 1), value),
                f"column {n} has length {left + 1}, but {left} bytes are left in the row",
            ),
            (
                "length-past-row-no-data",
                name,
                raw_row(n, *good[:-1], length(1000)),
                f"column {n} has length 1000, but 0 bytes are left in the row",
            ),
            (
                "length-minus-2",
                name,
                raw_row(n, *good[:-1], length(-2), value),
                f"column {n} has length -2, but {left} bytes are left in the row",
            ),
            ("trailing", name, raw_row(n, *good, b"\x00\x00\x00"), "3 bytes after the last column"),
            ("truncated-length", name, raw_row(n, *good[:-1], b"\x00\x00"), f"column {n} has no length"),
        ]
    # The column-by-column loop: a NULL first in the fixed run, then the defect (the first row
    # has exactly the all-fixed size).
    cases += [
        (
            "by-column-trailing",
            "fixed",
            raw_row(3, NULL, col(I8), col(TRUE), b"\x00" * 4),
            "4 bytes after the last column",
        ),
        (
            "by-column-length-minus-7",
            "fixed",
            raw_row(3, NULL, length(-7), col(TRUE)),
            "column 2 has length -7, but 5 bytes are left in the row",
        ),
        ("by-column-truncated-length", "fixed", raw_row(3, NULL, col(I8), b"\x00"), "column 3 has no length"),
        (
            "segment-nulls-trailing",
            "segment",
            raw_row(3, NULL, col(b"xy"), NULL, b"\x00"),
            "1 bytes after the last column",
        ),
    ]
    return cases


def malformed_params() -> list[Any]:
    params: list[Any] = []
    for where in ("payload", "end-of-buffer", "inside-buffer"):
        for case_id, name, data, message in malformed_cases():
            params.append(pytest.param(name, data, _M + message, where, id=f"{where}-{name}-{case_id}"))
    return params


@pytest.mark.parametrize(("decoder_name", "data", "message", "where"), malformed_params())
def test_malformed_rows(decoder_name: str, data: bytes, message: str, where: str) -> None:
    decoder = DECODERS[decoder_name]
    with pytest.raises(RemoteProtocolError) as caught:
        if where == "payload":
            decoder.decode_payload(data)
        elif where == "end-of-buffer":
            decoder.decode_batch(batch([data], after=b""))
        else:
            decoder.decode_batch(batch([data], after=b"\x00" * 64))
    assert str(caught.value) == message


@pytest.mark.parametrize("decoder_name", list(DECODERS))
def test_a_malformed_row_stops_the_batch_after_the_good_rows(decoder_name: str) -> None:
    decoder = DECODERS[decoder_name]
    good = raw_row(len(GOOD[decoder_name]), *GOOD[decoder_name])
    out: list[Record] = []
    with pytest.raises(RemoteProtocolError, match="3 bytes after the last column"):
        decoder.decode_batch(batch([good, good, good + b"\x00\x00\x00", good]), out)
    assert len(out) == 2 and out[0] == out[1] == decoder.decode_payload(good)


@pytest.mark.parametrize(
    "data",
    [
        # int4 given 8 bytes and int8 given 4: the row has exactly the all-fixed size.
        raw_row(3, col(I8), col(I4), col(TRUE)),
        raw_row(3, col(I4 + b"\x00"), col(I8[:-1]), col(TRUE)),
        raw_row(3, col(I4), col(I8 + TRUE), col(b"")),
    ],
)
def test_right_size_wrong_lengths_never_decode(data: bytes) -> None:
    decoder = DECODERS["fixed"]
    assert len(data) == len(raw_row(3, *GOOD["fixed"]))
    for rows in (batch([data]), batch([data], after=b"")):
        with pytest.raises(
            DataError, match=r"cannot decode column [12] \('[ab]', type int[48], binary format\)"
        ):
            decoder.decode_batch(rows)


# -- values a codec cannot decode ---------------------------------------------------------------


def failing(message: str, error: type[Exception] = ValueError) -> Codec:
    """A user codec of a non-catalog type whose decoder always raises."""

    def decode(data: bytes) -> Any:
        raise error(message)

    return Codec(50001, "mood", TEXT, lambda value: b"", decode, schema="public")


def decode_error(decoder: RowDecoder, values: Sequence[bytes | None]) -> DataError:
    """The DataError of the row, checked to be the same as a payload and inside a batch."""
    errors: list[DataError] = []
    for attempt in (
        lambda: decoder.decode_payload(payload(values)),
        lambda: decoder.decode_batch(batch([payload(values)])),
    ):
        with pytest.raises(DataError) as caught:
            attempt()
        errors.append(caught.value)
    assert str(errors[0]) == str(errors[1])
    return errors[1]


@pytest.mark.parametrize(
    ("oids", "values", "column", "cause"),
    [
        ([23, 25], [b"123", b"x"], "1 ('c0', type int4", "invalid int4 value: expected 4 bytes, got 3"),
        ([25, 18], [b"x", b"ab"], "2 ('c1', type char", 'invalid "char" value: expected 1 byte, got 2'),
        (
            [23, 23, 1082],
            [I4, None, b"\x00"],
            "3 ('c2', type date",
            "invalid date value: expected 4 bytes, got 1",
        ),
        (
            [25],
            [b"\xff"],
            "1 ('c0', type text",
            "'utf-8' codec can't decode byte 0xff in position 0: invalid start byte",
        ),
    ],
)
def test_undecodable_values_raise_data_error(
    oids: list[int], values: list[bytes | None], column: str, cause: str
) -> None:
    columns = [codec(oid) for oid in oids]
    decoder = RowDecoder([f"c{index}" for index in range(len(oids))], columns)
    error = decode_error(decoder, values)
    assert isinstance(error, DataError) and error.sqlstate == "22000"
    bad = values[int(column.split()[0]) - 1]
    assert str(error) == f"cannot decode column {column}, binary format): {cause} [data: {bad!r}]"
    assert isinstance(error.__cause__, ValueError) and str(error.__cause__) == cause


def test_a_failing_user_codec_is_named_with_its_schema_and_format() -> None:
    decoder = RowDecoder(["id", "feeling"], [codec(23), failing("no such mood", KeyError)])
    error = decode_error(decoder, [I4, b"happy"])
    assert error.sqlstate == "22000"
    assert str(error) == (
        "cannot decode column 2 ('feeling', type public.mood, text format): 'no such mood' [data: b'happy']"
    )
    assert isinstance(error.__cause__, KeyError)
    # One column alone takes its own loop; the message is the same.
    alone = decode_error(RowDecoder(["feeling"], [failing("no such mood")]), [b"sad"])
    assert (
        str(alone)
        == "cannot decode column 1 ('feeling', type public.mood, text format): no such mood [data: b'sad']"
    )


def test_long_data_is_cut_in_the_message() -> None:
    decoder = RowDecoder(["m"], [failing("bad")])
    error = decode_error(decoder, [b"x" * 41])
    assert str(error).endswith(f"bad [data: {b'x' * 40 + b'...'!r}]")
    assert str(decode_error(decoder, [b"y" * 40])).endswith(f"[data: {b'y' * 40!r}]")


@pytest.mark.parametrize("error", [IndexError, struct.error])
def test_a_user_codec_raising_index_or_struct_errors_gives_data_error(error: type[Exception]) -> None:
    decoder = RowDecoder(["id", "feeling"], [codec(23), failing("out of range", error)])
    assert str(decode_error(decoder, [I4, b"happy"])).startswith("cannot decode column 2 ('feeling'")


def test_a_codec_that_fails_only_once_is_still_reported() -> None:
    # The pure build's generated loop saw the error; the general loop, run to name the column,
    # finds none: the error is raised all the same, and no row of the batch is returned.
    flaky, calls = fails_once(bytes.decode)
    mood = Codec(50001, "mood", TEXT, lambda value: b"", flaky, schema="public")
    decoder = RowDecoder(["id", "feeling"], [codec(23), mood])
    decoder._compiled = None  # the private switch to the pure executor
    assert decoder._loop is not None
    out: list[Record] = []
    with pytest.raises(DataError, match=r"^cannot decode a row: first call fails$") as caught:
        decoder.decode_batch(batch([payload([I4, b"happy"]), payload([I4, b"glad"])]), out)
    assert isinstance(caught.value.__cause__, ValueError) and out == [] and len(calls) == 3


def test_the_rows_before_a_bad_value_are_kept_in_out() -> None:
    decoder = RowDecoder(["a", "t"], [codec(23), codec(25)])
    out: list[Record] = []
    rows = [payload([I4, b"ok"]), payload([I4, b"\xff"]), payload([I4, b"never"])]
    with pytest.raises(DataError, match=r"cannot decode column 2 \('t', type text"):
        decoder.decode_batch(batch(rows), out)
    assert [tuple(record) for record in out] == [(7, "ok")]


@pytest.mark.parametrize(
    ("leading", "values"),
    [
        ([], []),  # the one-column loop
        ([23], [I4]),  # the segment walk
        ([23, 23], [None, I4]),  # a NULL in the run: column by column
    ],
)
def test_outdated_schema_cache_error_passes_through(leading: list[int], values: list[bytes | None]) -> None:
    outdated = OutdatedSchemaCacheError("type public.pair changed", schema="public", data_type="pair")

    def decode(data: bytes) -> Any:
        raise outdated

    stale = Codec(50004, "pair", BINARY, lambda value: b"", decode, schema="public", kind="composite")
    codecs = [*(codec(oid) for oid in leading), stale]
    decoder = RowDecoder([f"c{index}" for index in range(len(codecs))], codecs)
    row = payload([*values, b"\x00\x00\x00\x00"])
    for attempt in (lambda: decoder.decode_payload(row), lambda: decoder.decode_batch(batch([row]))):
        with pytest.raises(OutdatedSchemaCacheError) as caught:
            attempt()
        assert caught.value is outdated
