"""txid_snapshot and pg_snapshot codecs: golden bytes, round trips, errors, and the live server."""

from __future__ import annotations

import struct
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pgtypes._codec import BINARY, TEXT, CodecTable
from pgtypes._snapshot import (
    PG_SNAPSHOT_OID,
    TXID_SNAPSHOT_OID,
    decode_snapshot_binary,
    decode_snapshot_text,
    encode_snapshot_binary,
    encode_snapshot_text,
    register,
)
from tests.pgtypes.live import TypeSession

Snapshot = tuple[int, int, tuple[int, ...]]
LIVE = settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
TYPES = ["txid_snapshot", "pg_snapshot"]
FORMATS = [BINARY, TEXT]


def _encode(value: object, format_code: int) -> bytes:
    return encode_snapshot_binary(value) if format_code == BINARY else encode_snapshot_text(value)


def _decode(data: bytes, format_code: int) -> Snapshot:
    return decode_snapshot_binary(data) if format_code == BINARY else decode_snapshot_text(data)


def test_register_adds_both_types_in_both_formats() -> None:
    table = CodecTable()
    register(table)
    assert len(table) == 4
    for oid, name in ((TXID_SNAPSHOT_OID, "txid_snapshot"), (PG_SNAPSHOT_OID, "pg_snapshot")):
        for format_code in FORMATS:
            codec = table.get(oid, format_code)
            assert codec is not None
            assert (codec.name, codec.schema, codec.kind, codec.fixed) == (name, "pg_catalog", "scalar", "")
    assert (TXID_SNAPSHOT_OID, PG_SNAPSHOT_OID) == (2970, 5038)
    with pytest.raises(ValueError, match="already registered"):
        register(table)


GOLDEN: list[tuple[Snapshot, bytes, bytes]] = [
    ((10, 20, (10, 14, 15)), struct.pack("!iQQQQQ", 3, 10, 20, 10, 14, 15), b"10:20:10,14,15"),
    ((10, 20, ()), struct.pack("!iQQ", 0, 10, 20), b"10:20:"),
    ((5, 5, ()), struct.pack("!iQQ", 0, 5, 5), b"5:5:"),
    (
        (1, 2**64 - 1, (2**63,)),
        struct.pack("!iQQQ", 1, 1, 2**64 - 1, 2**63),
        b"1:18446744073709551615:9223372036854775808",
    ),
]


@pytest.mark.parametrize(("value", "binary", "text"), GOLDEN)
def test_golden(value: Snapshot, binary: bytes, text: bytes) -> None:
    assert encode_snapshot_binary(value) == binary
    assert decode_snapshot_binary(binary) == value
    assert encode_snapshot_text(value) == text
    assert decode_snapshot_text(text) == value


@pytest.mark.parametrize("format_code", FORMATS)
def test_list_input_and_tuple_output(format_code: int) -> None:
    decoded = _decode(_encode([3, 9, [4, 5]], format_code), format_code)
    assert decoded == (3, 9, (4, 5))
    assert type(decoded) is tuple and type(decoded[2]) is tuple


def _valid(xid: int) -> bool:
    return bool(xid & 0xFFFFFFFF)


@st.composite
def snapshots(draw: st.DrawFn, limit: int = 2**64 - 1, unique: bool = False) -> Snapshot:
    xmin = draw(st.integers(1, limit).filter(_valid))
    xmax = draw((st.integers(xmin, min(limit, xmin + 1000)) | st.integers(xmin, limit)).filter(_valid))
    if xmax == xmin:
        return xmin, xmax, ()
    xip = draw(st.lists(st.integers(xmin, xmax - 1), max_size=6, unique=unique))
    return xmin, xmax, tuple(sorted(xip))


@pytest.mark.parametrize("format_code", FORMATS)
@given(value=snapshots())
def test_round_trip(format_code: int, value: Snapshot) -> None:
    assert _decode(_encode(value, format_code), format_code) == value


@pytest.mark.parametrize("format_code", FORMATS)
@pytest.mark.parametrize(
    ("value", "error", "message"),
    [
        (5, TypeError, r"^expected a tuple or list \(xmin, xmax, xip\), got int$"),
        ("1:2:", TypeError, r"got str$"),
        ((1, 2), ValueError, r"^invalid number of elements in snapshot tuple, expecting 3, got 2$"),
        ([1, 2, (), 4], ValueError, r"expecting 3, got 4$"),
        (("1", 2, ()), TypeError, r"^invalid snapshot xmin: expected int, got str$"),
        ((1, 2.0, ()), TypeError, r"^invalid snapshot xmax: expected int, got float$"),
        ((True, 2, ()), TypeError, r"^invalid snapshot xmin: expected int, got bool$"),
        ((1, 5, 3), TypeError, r"^invalid snapshot xip: expected a tuple or list of ints, got int$"),
        ((1, 5, ("3",)), TypeError, r"^invalid snapshot xip: expected int, got str$"),
        (
            (0, 5, ()),
            ValueError,
            r"^invalid snapshot xmin: transaction ID out of range \(1\.\.18446744073709551615\): 0$",
        ),
        ((1, 2**64, ()), ValueError, r"xmax: transaction ID out of range .*: 18446744073709551616$"),
        (
            (2**32, 2**32 + 1, ()),
            ValueError,
            r"^invalid snapshot xmin: 4294967296 is not a valid transaction ID",
        ),
        ((1, 2**33, ()), ValueError, r"^invalid snapshot xmax: 8589934592 is not a valid transaction ID"),
        ((6, 5, ()), ValueError, r"^invalid snapshot: xmax 5 is less than xmin 6$"),
        (
            (3, 9, (2,)),
            ValueError,
            r"^invalid snapshot xip: 2 is out of order or outside \[xmin, xmax\) = \[3, 9\)$",
        ),
        ((3, 9, (9,)), ValueError, r"xip: 9 is out of order"),
        ((3, 9, (5, 4)), ValueError, r"xip: 4 is out of order"),
    ],
)
def test_encode_errors(format_code: int, value: object, error: type[Exception], message: str) -> None:
    with pytest.raises(error, match=message):
        _encode(value, format_code)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", r"expected at least 20 bytes, got 0"),
        (struct.pack("!iQQ", 1, 1, 2), r"1 in-progress IDs do not fit 20 bytes"),
        (struct.pack("!iQQQ", 0, 1, 2, 1), r"0 in-progress IDs do not fit 28 bytes"),
        (struct.pack("!iQQ", -1, 1, 2), r"-1 in-progress IDs"),
    ],
)
def test_decode_binary_errors(data: bytes, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        decode_snapshot_binary(data)


@pytest.mark.parametrize(
    "data", [b"", b"1:2", b"1:2:3:4", b"a:2:", b"1:2:3,", b"+1:2:", b" 1:2:", b"1_0:20:", b"1:2:,3"]
)
def test_decode_text_errors(data: bytes) -> None:
    with pytest.raises(ValueError, match="invalid snapshot value"):
        decode_snapshot_text(data)


# --- live --------------------------------------------------------------------------------------


@pytest.mark.parametrize("type_sql", TYPES)
@pytest.mark.parametrize("format_code", FORMATS)
@pytest.mark.parametrize(
    ("literal", "value"),
    [
        ("10:20:10,14,15", (10, 20, (10, 14, 15))),
        ("12:16:14,14", (12, 16, (14,))),
        ("12:13:", (12, 13, ())),
        ("1:9223372036854775807:", (1, 2**63 - 1, ())),
    ],
)
def test_live_literals(
    type_session: TypeSession, type_sql: str, format_code: int, literal: str, value: Snapshot
) -> None:
    data = type_session.select(f"'{literal}'::{type_sql}", format_code)
    assert data is not None
    assert _decode(data, format_code) == value


@pytest.mark.parametrize(
    ("function", "type_sql"),
    [("txid_current_snapshot", "txid_snapshot"), ("pg_current_snapshot", "pg_snapshot")],
)
@pytest.mark.parametrize("format_code", FORMATS)
def test_live_current_snapshot(
    type_session: TypeSession, function: str, type_sql: str, format_code: int
) -> None:
    result = type_session.raw(f"SELECT s, s::text FROM {function}() AS s", result_formats=[format_code, TEXT])
    data, text = result.rows[0]
    assert data is not None and text is not None
    value = _decode(data, format_code)
    assert value == decode_snapshot_text(text)
    xmin, xmax, xip = value
    assert 1 <= xmin <= xmax and all(xmin <= x < xmax for x in xip)
    # What we encode from it, the server takes back unchanged.
    assert type_session.echo(type_sql, _encode(value, format_code), format_code)[1] == text.decode()


@pytest.mark.parametrize("type_sql", TYPES)
@pytest.mark.parametrize("format_code", FORMATS)
def test_live_echo_duplicates_are_dropped_by_the_server(
    type_session: TypeSession, type_sql: str, format_code: int
) -> None:
    first, text = type_session.echo(type_sql, _encode((12, 16, (13, 14, 14)), format_code), format_code)
    assert first is not None
    assert _decode(first, format_code) == (12, 16, (13, 14))
    assert text == "12:16:13,14"


@LIVE
@given(value=snapshots(unique=True))
def test_live_round_trip(type_session: TypeSession, value: Any) -> None:
    xmin, xmax, xip = value
    expected_text = f"{xmin}:{xmax}:{','.join(map(str, xip))}"
    for type_sql in TYPES:
        for format_code in FORMATS:
            first, text = type_session.echo(type_sql, _encode(value, format_code), format_code)
            assert first is not None
            assert _decode(first, format_code) == value
            assert text == expected_text
