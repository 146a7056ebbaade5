"""Codecs of pgtypes._integers: bool, integers, floats, "char", void, tid, pg_lsn, reg*.

Golden bytes (checked against the server's own output), in-process hypothesis round trips in
both formats and every error path; the live round trips are in test_integers_live.py.
"""

from __future__ import annotations

import enum
import math
import struct
from decimal import Decimal
from fractions import Fraction
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pgtypes import _integers as ints
from pgtypes._codec import BINARY, TEXT
from tests.pgtypes.strategies_integers import REG_OIDS, all_codecs, codec, same

# -- registration --------------------------------------------------------------------------

_BOTH_FORMATS = {
    16: ("bool", "?"),
    18: ("char", "c"),
    20: ("int8", "q"),
    21: ("int2", "h"),
    23: ("int4", "i"),
    26: ("oid", "I"),
    27: ("tid", ""),
    28: ("xid", "I"),
    29: ("cid", "I"),
    700: ("float4", "f"),
    701: ("float8", "d"),
    2278: ("void", ""),
    3220: ("pg_lsn", "Q"),
    5069: ("xid8", "Q"),
}


def test_registered_codecs() -> None:
    expected = {(oid, fmt) for oid in _BOTH_FORMATS for fmt in (BINARY, TEXT)}
    expected |= {(oid, TEXT) for oid in REG_OIDS}
    assert {(c.oid, c.format) for c in all_codecs()} == expected
    for oid, (name, fixed) in _BOTH_FORMATS.items():
        assert codec(oid, BINARY).name == name
        assert codec(oid, TEXT).name == name
        assert codec(oid, BINARY).fixed == fixed
        assert codec(oid, TEXT).fixed == ""
    assert sorted(ints.REG_OIDS) == [24, 2202, 2203, 2204, 2205, 2206, 3734, 3769, 4089, 4096, 4191]
    assert codec(2205, TEXT).name == "regclass"


@pytest.mark.parametrize(
    ("oid", "value"),
    [
        (16, True),
        (21, -2),
        (23, -5),
        (20, 2**62),
        (26, 2**32 - 1),
        (28, 9),
        (29, 1),
        (5069, 2**64 - 1),
        (3220, 2**40 + 7),
        (700, 1.5),
        (701, -0.25),
    ],
)
def test_fixed_matches_struct(oid: int, value: object) -> None:
    """The row decoder may unpack these with struct instead of calling decode."""
    binary = codec(oid, BINARY)
    data = binary.encode(value)
    assert struct.unpack("!" + binary.fixed, data)[0] == binary.decode(data) == value


# -- golden bytes --------------------------------------------------------------------------

GOLDEN: list[tuple[int, int, Any, bytes]] = [
    (16, BINARY, True, b"\x01"),
    (16, BINARY, False, b"\x00"),
    (16, TEXT, True, b"t"),
    (16, TEXT, False, b"f"),
    (21, BINARY, -1, b"\xff\xff"),
    (21, BINARY, 258, b"\x01\x02"),
    (21, TEXT, -32768, b"-32768"),
    (23, BINARY, 1, b"\x00\x00\x00\x01"),
    (23, BINARY, -(2**31), b"\x80\x00\x00\x00"),
    (23, TEXT, 2147483647, b"2147483647"),
    (20, BINARY, 2**63 - 1, b"\x7f" + b"\xff" * 7),
    (20, BINARY, -2, b"\xff" * 7 + b"\xfe"),
    (20, TEXT, -(2**63), b"-9223372036854775808"),
    (26, BINARY, 2**32 - 1, b"\xff\xff\xff\xff"),
    (26, TEXT, 4294967295, b"4294967295"),
    (28, BINARY, 7, b"\x00\x00\x00\x07"),
    (29, TEXT, 3, b"3"),
    (5069, BINARY, 2**64 - 1, b"\xff" * 8),
    (5069, TEXT, 2**64 - 1, b"18446744073709551615"),
    (700, BINARY, 1.5, b"?\xc0\x00\x00"),
    (700, BINARY, -math.inf, b"\xff\x80\x00\x00"),
    (701, BINARY, 1.0, b"?\xf0\x00\x00\x00\x00\x00\x00"),
    (701, BINARY, -0.0, b"\x80" + b"\x00" * 7),
    (701, TEXT, 0.1, b"0.1"),
    (701, TEXT, math.inf, b"Infinity"),
    (701, TEXT, -math.inf, b"-Infinity"),
    (701, TEXT, 5e-324, b"5e-324"),
    (701, TEXT, -0.0, b"-0.0"),
    (700, TEXT, 1.5, b"1.5"),
    (18, BINARY, b"a", b"a"),
    (18, BINARY, b"\x00", b"\x00"),
    (18, BINARY, b"\x80", b"\x80"),
    (18, TEXT, b"a", b"a"),
    (18, TEXT, b"", b""),
    (18, TEXT, b"\\", b"\\"),
    (18, TEXT, b"\xff", b"\\377"),
    (2278, BINARY, None, b""),
    (2278, TEXT, None, b""),
    (27, BINARY, (1, 2), b"\x00\x00\x00\x01\x00\x02"),
    (27, TEXT, (4294967295, 65535), b"(4294967295,65535)"),
    (3220, BINARY, 0x1_0000002A, b"\x00\x00\x00\x01\x00\x00\x00*"),
    (3220, TEXT, 0x1_0000002A, b"1/2A"),
    (3220, TEXT, 0, b"0/0"),
    (3220, TEXT, 2**64 - 1, b"FFFFFFFF/FFFFFFFF"),
    (2205, TEXT, "pg_type", b"pg_type"),
    (2206, TEXT, "double precision", b"double precision"),
]


@pytest.mark.parametrize(("oid", "fmt", "value", "data"), GOLDEN)
def test_golden(oid: int, fmt: int, value: Any, data: bytes) -> None:
    assert codec(oid, fmt).encode(value) == data
    assert same(codec(oid, fmt).decode(data), value)


@pytest.mark.parametrize(
    ("oid", "fmt", "data", "value"),
    [
        (700, TEXT, b"1.1", 1.100000023841858),  # widened through single precision, as binary
        (700, BINARY, b"?\x8c\xcc\xcd", 1.100000023841858),
        (700, TEXT, b"NaN", math.nan),
        (700, TEXT, b"-Infinity", -math.inf),
        (701, TEXT, b"NaN", math.nan),
        (701, TEXT, b"1e+300", 1e300),
        (701, TEXT, b"-0", -0.0),
        (18, TEXT, b"\\200", b"\x80"),
        (21, TEXT, b"-7", -7),
        (3220, TEXT, b"ab/cdef0123", 0xAB_CDEF0123),
        (27, TEXT, b"(0,1)", (0, 1)),
    ],
)
def test_decode_server_forms(oid: int, fmt: int, data: bytes, value: object) -> None:
    assert same(codec(oid, fmt).decode(data), value)


def test_float4_encodes_single_precision() -> None:
    assert codec(700, BINARY).encode(1.1) == b"?\x8c\xcc\xcd"
    assert codec(700, TEXT).encode(1.1) == b"1.100000023841858"
    # Flushed to zero by single precision instead of refused by float4in.
    assert codec(700, TEXT).encode(1e-50) == b"0.0"
    assert codec(700, BINARY).encode(1e-50) == b"\x00\x00\x00\x00"


class _Color(enum.IntEnum):
    RED = 3


class _Index:
    def __index__(self) -> int:
        return 12


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (True, 1),
        (False, 0),
        (_Color.RED, 3),
        (_Index(), 12),
        (2.0, 2),
        (-0.0, 0),
        (Decimal("7"), 7),
        (Decimal("1E+2"), 100),
        (Decimal("-3.000"), -3),
    ],
)
def test_integer_inputs(value: object, expected: int) -> None:
    for fmt in (BINARY, TEXT):
        data = codec(23, fmt).encode(value)
        result = codec(23, fmt).decode(data)
        assert type(result) is int
        assert result == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (1, 1.0),
        (Decimal("0.5"), 0.5),
        (Fraction(1, 4), 0.25),
        (True, 1.0),
        (_Index(), 12.0),
        (2**100, 2.0**100),
    ],
)
def test_float_inputs(value: object, expected: float) -> None:
    for oid in (700, 701):
        for fmt in (BINARY, TEXT):
            assert codec(oid, fmt).decode(codec(oid, fmt).encode(value)) == expected


def test_char_accepts_bytes_like() -> None:
    for fmt in (BINARY, TEXT):
        assert codec(18, fmt).encode(bytearray(b"z")) == b"z"
        assert codec(18, fmt).encode(memoryview(b"q")) == b"q"
    assert codec(18, TEXT).encode(b"\x00") == b""


def test_tid_accepts_lists() -> None:
    assert codec(27, BINARY).encode([3, 4]) == b"\x00\x00\x00\x03\x00\x04"
    assert codec(27, TEXT).encode([3.0, True]) == b"(3,1)"


def test_reg_accepts_oids() -> None:
    assert codec(2205, TEXT).encode(1247) == b"1247"
    assert codec(24, TEXT).encode(0) == b"0"
    assert codec(4096, TEXT).decode(b"pg_monitor") == "pg_monitor"


# -- round trips ---------------------------------------------------------------------------

_INTEGER_RANGES = {
    21: (-(2**15), 2**15 - 1),
    23: (-(2**31), 2**31 - 1),
    20: (-(2**63), 2**63 - 1),
    26: (0, 2**32 - 1),
    28: (0, 2**32 - 1),
    29: (0, 2**32 - 1),
    5069: (0, 2**64 - 1),
    3220: (0, 2**64 - 1),
}


def _integers_of(oid: int) -> st.SearchStrategy[int]:
    low, high = _INTEGER_RANGES[oid]
    return st.integers(low, high) | st.sampled_from([low, high, 0, low + 1, high - 1])


@pytest.mark.parametrize("oid", list(_INTEGER_RANGES))
@pytest.mark.parametrize("fmt", [BINARY, TEXT])
@given(data=st.data())
def test_integer_round_trip(oid: int, fmt: int, data: st.DataObject) -> None:
    value = data.draw(_integers_of(oid))
    result = codec(oid, fmt).decode(codec(oid, fmt).encode(value))
    assert same(result, value)


_EDGE_FLOATS = [0.0, -0.0, math.nan, math.inf, -math.inf, 5e-324, 2.2250738585072014e-308]
_EDGE_FLOATS += [1.7976931348623157e308, 1e-45, 1.401298464324817e-45, 3.4028234663852886e38]


@pytest.mark.parametrize("fmt", [BINARY, TEXT])
@given(value=st.floats() | st.sampled_from(_EDGE_FLOATS))
def test_float8_round_trip(fmt: int, value: float) -> None:
    assert same(codec(701, fmt).decode(codec(701, fmt).encode(value)), value)


@pytest.mark.parametrize("fmt", [BINARY, TEXT])
@given(value=st.floats(width=32) | st.sampled_from([1.401298464324817e-45, 3.4028234663852886e38]))
def test_float4_round_trip(fmt: int, value: float) -> None:
    assert same(codec(700, fmt).decode(codec(700, fmt).encode(value)), value)


@pytest.mark.parametrize("fmt", [BINARY, TEXT])
@given(value=st.floats(allow_nan=False, min_value=-3.4e38, max_value=3.4e38))
def test_float4_rounds_like_struct(fmt: int, value: float) -> None:
    expected = struct.unpack("!f", struct.pack("!f", value))[0]
    assert same(codec(700, fmt).decode(codec(700, fmt).encode(value)), expected)


@pytest.mark.parametrize("fmt", [BINARY, TEXT])
@given(value=st.booleans())
def test_bool_round_trip(fmt: int, value: bool) -> None:
    assert same(codec(16, fmt).decode(codec(16, fmt).encode(value)), value)


@pytest.mark.parametrize("fmt", [BINARY, TEXT])
@given(value=st.binary(max_size=1))
def test_char_round_trip(fmt: int, value: bytes) -> None:
    # The empty "char" (b"" or b"\x00") is the zero byte in binary, as asyncpg decodes it,
    # and b"" in text, as the server prints it.
    empty = b"\x00" if fmt == BINARY else b""
    expected = empty if value in (b"", b"\x00") else value
    assert codec(18, fmt).decode(codec(18, fmt).encode(value)) == expected


@pytest.mark.parametrize("fmt", [BINARY, TEXT])
@given(value=st.tuples(st.integers(0, 2**32 - 1), st.integers(0, 2**16 - 1)))
def test_tid_round_trip(fmt: int, value: tuple[int, int]) -> None:
    assert codec(27, fmt).decode(codec(27, fmt).encode(value)) == value


@pytest.mark.parametrize("oid", REG_OIDS)
@given(value=st.text(st.characters(exclude_categories=["Cs"])))
def test_reg_round_trip(oid: int, value: str) -> None:
    assert codec(oid, TEXT).decode(codec(oid, TEXT).encode(value)) == value


@pytest.mark.parametrize("fmt", [BINARY, TEXT])
def test_void_round_trip(fmt: int) -> None:
    assert codec(2278, fmt).decode(codec(2278, fmt).encode(None)) is None


# -- errors --------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", [BINARY, TEXT])
@pytest.mark.parametrize(
    ("value", "error", "match"),
    [
        ("1", TypeError, "^expected int, got str$"),
        (b"1", TypeError, "^expected int, got bytes$"),
        (None, TypeError, "^expected int, got NoneType$"),
        (1.7, ValueError, r"^expected an integer, got float 1\.7 with a fractional part$"),
        (math.nan, ValueError, "^expected an integer, got float nan$"),
        (-math.inf, ValueError, "^expected an integer, got float -inf$"),
        (Decimal("2.5"), ValueError, r"^expected an integer, got Decimal 2\.5 with a fractional part$"),
        (Decimal("NaN"), ValueError, "^expected an integer, got Decimal NaN$"),
        (2**31, OverflowError, r"^value out of int4 range \(-2147483648\.\.2147483647\): 2147483648$"),
        (-(2**31) - 1, OverflowError, r"value out of int4 range .*: -2147483649$"),
        (2**1000, OverflowError, "out of int4 range .*: an integer of 1001 bits$"),
        (Decimal("1E+10"), OverflowError, "value out of int4 range .*: 10000000000$"),
        (Decimal("1E+10000000"), OverflowError, r"^value out of int4 range: 1E\+10000000$"),
        (1e308, OverflowError, "out of int4 range .*: an integer of 1024 bits$"),
    ],
)
def test_int4_encode_errors(fmt: int, value: object, error: type[Exception], match: str) -> None:
    with pytest.raises(error, match=match):
        codec(23, fmt).encode(value)


@pytest.mark.parametrize(
    ("oid", "value", "match"),
    [
        (21, 32768, r"^value out of int2 range \(-32768\.\.32767\): 32768$"),
        (20, 2**63, r"^value out of int8 range \(-9223372036854775808\.\.9223372036854775807\)"),
        (26, -1, r"^value out of oid range \(0\.\.4294967295\): -1$"),
        (28, 2**32, r"^value out of xid range \(0\.\.4294967295\): 4294967296$"),
        (29, -1, r"^value out of cid range"),
        (5069, 2**64, r"^value out of xid8 range \(0\.\.18446744073709551615\): 18446744073709551616$"),
        (3220, -1, r"^value out of pg_lsn range \(0\.\.18446744073709551615\): -1$"),
    ],
)
def test_integer_range_errors(oid: int, value: int, match: str) -> None:
    for fmt in (BINARY, TEXT):
        with pytest.raises(OverflowError, match=match):
            codec(oid, fmt).encode(value)


@pytest.mark.parametrize(
    ("oid", "data", "match"),
    [
        (21, b"\x00", "^invalid int2 value: expected 2 bytes, got 1$"),
        (23, b"\x00\x00\x00", "^invalid int4 value: expected 4 bytes, got 3$"),
        (20, b"\x00" * 9, "^invalid int8 value: expected 8 bytes, got 9$"),
        (26, b"", "^invalid oid value: expected 4 bytes, got 0$"),
        (5069, b"\x00", "^invalid xid8 value: expected 8 bytes, got 1$"),
        (3220, b"\x00" * 4, "^invalid pg_lsn value: expected 8 bytes, got 4$"),
        (700, b"\x00" * 8, "^invalid float4 value: expected 4 bytes, got 8$"),
        (701, b"\x00" * 4, "^invalid float8 value: expected 8 bytes, got 4$"),
        (16, b"\x01\x00", r"^invalid bool value: expected 1 byte, got 2$"),
        (16, b"", "^invalid bool value"),
        (18, b"", '^invalid "char" value: expected 1 byte, got 0$'),
        (18, b"ab", '^invalid "char" value: expected 1 byte, got 2$'),
        (2278, b"\x00", "^invalid void value: expected no bytes, got 1$"),
        (27, b"\x00" * 5, "^invalid tid value: expected 6 bytes, got 5$"),
    ],
)
def test_binary_decode_errors(oid: int, data: bytes, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        codec(oid, BINARY).decode(data)


@pytest.mark.parametrize(
    ("oid", "data", "match"),
    [
        (23, b"12a", r"^invalid integer value: b'12a'$"),
        (20, b"", "^invalid integer value: b''$"),
        (16, b"true", r"^invalid bool value: expected b't' or b'f', got b'true'$"),
        (700, b"abc", r"^invalid float4 value: b'abc'$"),
        (700, b"1e39", r"^invalid float4 value: b'1e39'$"),
        (701, b"1,5", r"^invalid float8 value: b'1,5'$"),
        (18, b"ab", r"^invalid \"char\" value: b'ab'$"),
        (18, b"\\400", r"^invalid \"char\" value"),
        (18, b"\\08a", r"^invalid \"char\" value"),
        (2278, b"x", "^invalid void value"),
        (27, b"(1,2", r"^invalid tid value: b'\(1,2'$"),
        (27, b"(1,-2)", "^invalid tid value"),
        (3220, b"12", r"^invalid pg_lsn value: b'12'$"),
        (3220, b"123456789/0", "^invalid pg_lsn value"),
        (3220, b"1/G", "^invalid pg_lsn value"),
        (2205, b"\xff", "utf-8"),
    ],
)
def test_text_decode_errors(oid: int, data: bytes, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        codec(oid, TEXT).decode(data)


@pytest.mark.parametrize("fmt", [BINARY, TEXT])
def test_bool_encode_errors(fmt: int) -> None:
    for value in (1, 0, "t", None):
        with pytest.raises(TypeError, match=f"^expected bool, got {type(value).__name__}$"):
            codec(16, fmt).encode(value)


@pytest.mark.parametrize("oid", [700, 701])
@pytest.mark.parametrize("fmt", [BINARY, TEXT])
def test_float_encode_errors(oid: int, fmt: int) -> None:
    name = "float4" if oid == 700 else "float8"
    encode = codec(oid, fmt).encode
    for value in ("1.5", b"1", None, 1j, [1.0]):
        with pytest.raises(TypeError, match=f"^expected float, got {type(value).__name__}$"):
            encode(value)
    with pytest.raises(OverflowError, match=f"^value out of {name} range: 1000000000"):
        encode(10**400)
    with pytest.raises(OverflowError, match=rf"^value out of {name} range: 1E\+400$"):
        encode(Decimal("1E+400"))
    with pytest.raises(ValueError, match=f"^invalid {name} value Decimal\\('sNaN'\\): "):
        encode(Decimal("sNaN"))


@pytest.mark.parametrize("fmt", [BINARY, TEXT])
def test_float4_overflow(fmt: int) -> None:
    with pytest.raises(OverflowError, match=r"^value out of float4 range: 1e\+39$"):
        codec(700, fmt).encode(1e39)
    with pytest.raises(OverflowError, match=r"^value out of float4 range: -3\.5e\+38$"):
        codec(700, fmt).encode(Decimal("-3.5e38"))


@pytest.mark.parametrize("fmt", [BINARY, TEXT])
def test_char_encode_errors(fmt: int) -> None:
    with pytest.raises(TypeError, match=r"^expected bytes-like object, got str$"):
        codec(18, fmt).encode("a")
    with pytest.raises(TypeError, match=r"^expected bytes-like object, got int$"):
        codec(18, fmt).encode(65)
    with pytest.raises(ValueError, match=r'^value too long for type "char": expected at most 1 byte, got 2$'):
        codec(18, fmt).encode(b"ab")


@pytest.mark.parametrize("fmt", [BINARY, TEXT])
@pytest.mark.parametrize("value", [b"", "anything", 0, 1.5, [1, 2], {"a": 1}, object(), Decimal("NaN")])
def test_void_encode_takes_any_value_and_sends_nothing(fmt: int, value: object) -> None:
    # asyncpg's void encoder ignores the value: a void has nothing to carry.
    assert codec(2278, fmt).encode(value) == b""


@pytest.mark.parametrize("fmt", [BINARY, TEXT])
@pytest.mark.parametrize(
    ("value", "error", "match"),
    [
        ("(1,2)", TypeError, "^expected list or tuple, got str$"),
        ({1: 2}, TypeError, "^expected list or tuple, got dict$"),
        ((1, 2, 3), ValueError, "^invalid number of elements in tid tuple, expecting 2, got 3$"),
        ([], ValueError, "^invalid number of elements in tid tuple, expecting 2, got 0$"),
        ((-1, 0), OverflowError, "^tuple id block value out of uint32 range: -1$"),
        ((2**32, 0), OverflowError, "^tuple id block value out of uint32 range: 4294967296$"),
        ((0, 65536), OverflowError, "^tuple id offset value out of uint16 range: 65536$"),
        ((0, "1"), TypeError, "^expected int, got str$"),
        ((0.5, 1), ValueError, "with a fractional part$"),
        ((0, Decimal("1E+30")), OverflowError, r"^value out of tid offset range: 1E\+30$"),
    ],
)
def test_tid_encode_errors(fmt: int, value: object, error: type[Exception], match: str) -> None:
    with pytest.raises(error, match=match):
        codec(27, fmt).encode(value)


@pytest.mark.parametrize("oid", REG_OIDS)
def test_reg_encode_errors(oid: int) -> None:
    encode = codec(oid, TEXT).encode
    for value in (True, 1.0, b"pg_type", None):
        with pytest.raises(TypeError, match=f"^expected str or int, got {type(value).__name__}$"):
            encode(value)
    with pytest.raises(OverflowError, match=r"^value out of oid range \(0\.\.4294967295\): -1$"):
        encode(-1)
