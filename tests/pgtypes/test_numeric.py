"""Codecs of pgtypes._numeric: numeric as Decimal (binary and text) and money (text).

Golden bytes (checked against ``numeric_send`` output), in-process hypothesis round trips in
both formats, every error path, and live round trips through the test server.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from decimal import Decimal
from typing import TYPE_CHECKING

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pgtypes import _numeric as numeric
from pgtypes._codec import BINARY, TEXT, Codec, CodecTable

if TYPE_CHECKING:
    from tests.pgtypes.live import TypeSession

_TABLE = CodecTable()
numeric.register(_TABLE)

_LIVE = settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def codec(oid: int, format_code: int) -> Codec:
    found = _TABLE.get(oid, format_code)
    assert found is not None, (oid, format_code)
    return found


def header(count: int, weight: int, sign: int, scale: int, *digits: int) -> bytes:
    return struct.pack(f"!HhHH{count}H", count, weight, sign, scale, *digits)


def same_decimal(left: Decimal, right: Decimal) -> bool:
    """Same value and same representation (digits, exponent, sign); NaNs match each other."""
    if left.is_nan() or right.is_nan():
        return left.is_qnan() and right.is_qnan() and not left.is_signed() and not right.is_signed()
    return left.as_tuple() == right.as_tuple()


def expected_decimal(value: Decimal) -> Decimal:
    """What numeric gives back for ``value``: NaN for any NaN, no positive exponent (the
    display scale is at least 0), no negative zero."""
    if value.is_nan():
        return Decimal("NaN")
    if value.is_infinite():
        return value
    sign, digits, exponent = value.as_tuple()
    assert isinstance(exponent, int)
    if value.is_zero():
        return Decimal(f"0E{min(exponent, 0)}")
    return Decimal((sign, digits + (0,) * exponent, 0)) if exponent > 0 else value


def server_text(value: Decimal) -> str:
    """How numeric_out prints ``value``."""
    if value.is_nan():
        return "NaN"
    if value.is_infinite():
        return "-Infinity" if value.is_signed() else "Infinity"
    return format(expected_decimal(value), "f")


def test_registered_codecs() -> None:
    assert {(c.oid, c.format, c.name) for c in _TABLE} == {
        (1700, BINARY, "numeric"),
        (1700, TEXT, "numeric"),
        (790, TEXT, "money"),
    }
    assert all(c.fixed == "" for c in _TABLE)


# -- golden bytes --------------------------------------------------------------------------

GOLDEN_BINARY: list[tuple[str, bytes]] = [
    ("0", header(0, 0, 0, 0)),
    ("0.00", header(0, 0, 0, 2)),
    ("1", header(1, 0, 0, 0, 1)),
    ("10000", header(1, 1, 0, 0, 1)),
    ("-0.0001", header(1, -1, 0x4000, 4, 1)),
    ("0.01", header(1, -1, 0, 2, 100)),
    ("12345.678", header(3, 1, 0, 3, 1, 2345, 6780)),
    ("-12345.6780", header(3, 1, 0x4000, 4, 1, 2345, 6780)),
    ("100000000", header(1, 2, 0, 0, 1)),
    ("9999.9999", header(2, 0, 0, 4, 9999, 9999)),
    ("1.000001", header(3, 0, 0, 6, 1, 0, 100)),
    ("1E-16383", header(1, -4096, 0, 16383, 10)),
    ("NaN", header(0, 0, 0xC000, 0)),
    ("Infinity", header(0, 0, 0xD000, 0)),
    ("-Infinity", header(0, 0, 0xF000, 0)),
]


@pytest.mark.parametrize(("text", "data"), GOLDEN_BINARY)
def test_golden_binary(text: str, data: bytes) -> None:
    assert codec(1700, BINARY).encode(Decimal(text)) == data
    assert same_decimal(codec(1700, BINARY).decode(data), Decimal(text))


@pytest.mark.parametrize(
    ("value", "data"),
    [
        (Decimal("1E+5"), header(1, 1, 0, 0, 10)),
        (Decimal("-0"), header(0, 0, 0, 0)),
        (Decimal("0E+3"), header(0, 0, 0, 0)),
        (Decimal("-0.000"), header(0, 0, 0, 3)),
        (Decimal("sNaN"), header(0, 0, 0xC000, 0)),
        (Decimal("-NaN"), header(0, 0, 0xC000, 0)),
        (12, header(1, 0, 0, 0, 12)),
        (-(10**8), header(1, 2, 0x4000, 0, 1)),
        (True, header(1, 0, 0, 0, 1)),
        (0.1, header(1, -1, 0, 1, 1000)),
        (float("nan"), header(0, 0, 0xC000, 0)),
        (float("-inf"), header(0, 0, 0xF000, 0)),
        ("1.5e3", header(1, 0, 0, 0, 1500)),
        (" -2.50 ", header(2, 0, 0x4000, 2, 2, 5000)),
        ("Infinity", header(0, 0, 0xD000, 0)),
    ],
)
def test_encode_binary_inputs(value: object, data: bytes) -> None:
    assert codec(1700, BINARY).encode(value) == data


@pytest.mark.parametrize(
    ("data", "text"),
    [
        # numeric_send gives infinities a display scale; it means nothing there.
        (b"\x00\x00\x00\x00\xd0\x00\x00 ", "Infinity"),
        (header(1, 1, 0, 0, 10), "100000"),
        (header(1, 3, 0, 0, 5), "5000000000000"),
        (header(0, 0, 0, 5), "0.00000"),
        # Digits past the display scale are dropped, as numeric_recv does.
        (header(2, 0, 0, 2, 1, 2345), "1.23"),
        (header(1, -2, 0, 2, 1), "0.00"),
    ],
)
def test_decode_binary_forms(data: bytes, text: str) -> None:
    result = codec(1700, BINARY).decode(data)
    assert str(result) == text
    assert same_decimal(result, Decimal(text))


def test_zero_keeps_scale() -> None:
    zero = codec(1700, BINARY).decode(header(0, 0, 0, 5))
    assert zero.as_tuple() == (0, (0,), -5)
    assert repr(zero) == repr(Decimal("0E-5"))


@pytest.mark.parametrize(
    ("value", "data"),
    [
        (Decimal("1E+5"), b"100000"),
        (Decimal("1.50"), b"1.50"),
        (Decimal("-0.000001"), b"-0.000001"),
        (Decimal("1E-7"), b"0.0000001"),
        (Decimal("NaN"), b"NaN"),
        (Decimal("sNaN"), b"NaN"),
        (Decimal("Infinity"), b"Infinity"),
        (Decimal("-Infinity"), b"-Infinity"),
        (7, b"7"),
        (2.5, b"2.5"),
        (1e20, b"100000000000000000000"),
        (float("inf"), b"Infinity"),
        ("12.340", b"12.340"),
        ("nan", b"NaN"),
    ],
)
def test_encode_text(value: object, data: bytes) -> None:
    assert codec(1700, TEXT).encode(value) == data


@pytest.mark.parametrize("text", ["0", "0.00", "-1.5", "123.4500", "NaN", "Infinity", "-Infinity"])
def test_decode_text(text: str) -> None:
    result = codec(1700, TEXT).decode(text.encode())
    assert str(result) == text
    assert same_decimal(result, Decimal(text))


def test_large_values() -> None:
    big = Decimal("9" * 131072 + "." + "9" * 16383)
    for fmt in (BINARY, TEXT):
        assert same_decimal(codec(1700, fmt).decode(codec(1700, fmt).encode(big)), big)
    assert codec(1700, BINARY).encode(Decimal("1E+131071"))[:8] == struct.pack("!HhHH", 1, 32767, 0, 0)


# -- round trips ---------------------------------------------------------------------------


@st.composite
def decimals(draw: st.DrawFn) -> Decimal:
    """Any Decimal numeric can hold, small and huge, with the edges weighted in."""
    special = draw(st.sampled_from(["", "", "", "", "NaN", "sNaN", "Infinity", "-Infinity", "-NaN"]))
    if special:
        return Decimal(special)
    coefficient = draw(
        st.integers(0, 10**40) | st.integers(0, 10**400) | st.sampled_from([0, 1, 9999, 10000, 10**28 - 1])
    )
    digits = len(str(coefficient))
    exponent = draw(st.integers(-16383, 131072 - digits) | st.integers(-40, 40))
    sign = draw(st.integers(0, 1))
    return Decimal((sign, tuple(int(c) for c in str(coefficient)), exponent))


@pytest.mark.parametrize("fmt", [BINARY, TEXT])
@given(value=decimals())
def test_round_trip(fmt: int, value: Decimal) -> None:
    result = codec(1700, fmt).decode(codec(1700, fmt).encode(value))
    assert same_decimal(result, expected_decimal(value))


@given(value=decimals())
def test_formats_agree(value: Decimal) -> None:
    binary = codec(1700, BINARY)
    text = codec(1700, TEXT)
    assert same_decimal(binary.decode(binary.encode(value)), text.decode(text.encode(value)))


@pytest.mark.parametrize("fmt", [BINARY, TEXT])
@given(value=st.floats())
def test_float_round_trip(fmt: int, value: float) -> None:
    result = float(codec(1700, fmt).decode(codec(1700, fmt).encode(value)))
    assert result == value or (result != result and value != value)


@given(value=st.text(st.characters(exclude_categories=["Cs"])))
def test_money_round_trip(value: str) -> None:
    assert codec(790, TEXT).decode(codec(790, TEXT).encode(value)) == value


def test_money_inputs() -> None:
    encode = codec(790, TEXT).encode
    assert encode("$1,000.50") == b"$1,000.50"
    assert encode(12) == b"12"
    assert encode(-3) == b"-3"
    assert encode(Decimal("12.5")) == b"12.5"
    assert encode(Decimal("1E+3")) == b"1000"
    assert codec(790, TEXT).decode(b"-$12.50") == "-$12.50"


# -- errors --------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", [BINARY, TEXT])
@pytest.mark.parametrize(
    ("value", "error", "match"),
    [
        (
            Decimal("1E-16384"),
            ValueError,
            "^cannot encode Decimal value into numeric: exponent is too small$",
        ),
        (
            Decimal("0E-16384"),
            ValueError,
            "^cannot encode Decimal value into numeric: exponent is too small$",
        ),
        ("1.5E-20000", ValueError, "^cannot encode Decimal value into numeric: exponent is too small$"),
        (
            Decimal("1E+131072"),
            OverflowError,
            "^value out of numeric range: at most 131072 digits before the decimal point, got 131073$",
        ),
        ("-1E+999999999", OverflowError, "^value out of numeric range: .*, got 1000000000$"),
        (10**131072, OverflowError, "^value out of numeric range: at most 131072 digits.*, got 131073$"),
        (-(2**500000), OverflowError, "^value out of numeric range: .*, got an integer of 500001 bits$"),
        ("abc", ValueError, r"^invalid numeric value: 'abc'$"),
        ("", ValueError, r"^invalid numeric value: ''$"),
        (b"1", TypeError, "^expected Decimal, int, float or str, got bytes$"),
        (None, TypeError, "^expected Decimal, int, float or str, got NoneType$"),
        (1j, TypeError, "^expected Decimal, int, float or str, got complex$"),
    ],
    ids=lambda value: f"int:{value.bit_length()}bits" if isinstance(value, int) else repr(value)[:40],
)
def test_encode_errors(fmt: int, value: object, error: type[Exception], match: str) -> None:
    with pytest.raises(error, match=match):
        codec(1700, fmt).encode(value)


def test_encode_limits_are_inclusive() -> None:
    for fmt in (BINARY, TEXT):
        codec(1700, fmt).encode(Decimal("1E-16383"))
        codec(1700, fmt).encode(Decimal("9.99E+131071"))


@pytest.mark.parametrize(
    ("data", "match"),
    [
        (b"", "^invalid numeric value: expected at least 8 bytes, got 0$"),
        (b"\x00\x00\x00", "^invalid numeric value: expected at least 8 bytes, got 3$"),
        (header(0, 0, 0, 0) + b"\x00", "^invalid numeric value: 0 digits need 8 bytes, got 9$"),
        (header(2, 0, 0, 0, 1, 2)[:-2], "^invalid numeric value: 2 digits need 12 bytes, got 10$"),
        (header(0, 0, 0x8000, 0), "^invalid numeric value: unknown sign code 0x8000$"),
        (header(1, 0, 0x4001, 0, 1), "^invalid numeric value: unknown sign code 0x4001$"),
        (header(0, 0, 0, 0x4000), "^invalid numeric value: display scale 16384 is above 16383$"),
        (header(2, 0, 0, 0, 1, 10000), "^invalid numeric value: base-10000 digit 10000 is above 9999$"),
    ],
)
def test_decode_binary_errors(data: bytes, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        codec(1700, BINARY).decode(data)


@pytest.mark.parametrize("data", [b"abc", b"", b"1.2.3", b"\xff"])
def test_decode_text_errors(data: bytes) -> None:
    with pytest.raises(ValueError, match=r"^invalid numeric value: b"):
        codec(1700, TEXT).decode(data)


def test_money_encode_errors() -> None:
    encode = codec(790, TEXT).encode
    for value in (1.5, b"1", None):
        with pytest.raises(TypeError, match=f"^expected str, int or Decimal, got {type(value).__name__}$"):
            encode(value)
    for bad in ("NaN", "-Infinity"):
        with pytest.raises(ValueError, match=f"^invalid money value: {bad}$"):
            encode(Decimal(bad))
    with pytest.raises(OverflowError, match=r"^value out of money range: an integer of 64 bits$"):
        encode(2**63)
    with pytest.raises(OverflowError, match=r"^value out of money range: 1E\+19$"):
        encode(Decimal("1E+19"))
    with pytest.raises(ValueError, match=r"^invalid money value: 1E-1001: more than 1000 digits after"):
        encode(Decimal("1E-1001"))
    assert encode(-(2**63)) == b"-9223372036854775808"
    assert encode(Decimal("-9.99E+18")) == b"-9990000000000000000"


# -- live ----------------------------------------------------------------------------------

LIVE_VALUES: list[object] = [
    Decimal("0"),
    Decimal("0.00"),
    Decimal("-1.5"),
    Decimal("12345678901234567890.123456789"),
    Decimal("-0.0000000001"),
    Decimal("1E+100"),
    Decimal("1E-16383"),
    Decimal("9" * 1000 + "." + "9" * 1000),
    Decimal("NaN"),
    Decimal("sNaN"),
    Decimal("Infinity"),
    Decimal("-Infinity"),
    0.1,
    float("-inf"),
    10**40,
    "3.14159",
]


@pytest.mark.parametrize("fmt", [BINARY, TEXT])
@pytest.mark.parametrize("value", LIVE_VALUES, ids=lambda value: repr(value)[:40])
def test_live_echo(type_session: TypeSession, fmt: int, value: object) -> None:
    expected = expected_decimal(numeric.to_decimal(value))
    encoded = codec(1700, fmt).encode(value)
    first, text = type_session.echo("numeric", encoded, fmt)
    assert first is not None
    assert same_decimal(codec(1700, fmt).decode(first), expected)
    assert text == server_text(expected)
    if fmt == BINARY and expected.is_finite():
        # Our encoding is the server's canonical one: same digits, weight and scale.
        assert first == encoded


@pytest.mark.parametrize("fmt", [BINARY, TEXT])
@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("0::numeric(3,2)", "0.00"),
        ("1.00000::numeric", "1.00000"),
        ("'123.456'::numeric(10,5)", "123.45600"),
        ("'-1'::numeric(10,3)", "-1.000"),
        ("'NaN'::numeric", "NaN"),
        ("'Infinity'::numeric", "Infinity"),
        ("'-Infinity'::numeric", "-Infinity"),
        ("1::numeric / 3", "0.33333333333333333333"),
        ("'1e-16383'::numeric", "1E-16383"),
        ("2::numeric ^ 200", None),
        ("10::numeric ^ 131071", None),
    ],
)
def test_live_select(type_session: TypeSession, fmt: int, expression: str, expected: str | None) -> None:
    data = type_session.select(expression, fmt)
    assert data is not None
    result = codec(1700, fmt).decode(data)
    if expected is None:
        text = type_session.select(f"({expression})::text", TEXT)
        assert text is not None
        expected = text.decode()
    assert same_decimal(result, Decimal(expected))


@_LIVE
@given(value=decimals(), fmt=st.sampled_from([BINARY, TEXT]))
def test_live_property(type_session: TypeSession, value: Decimal, fmt: int) -> None:
    expected = expected_decimal(value)
    first, text = type_session.echo("numeric", codec(1700, fmt).encode(value), fmt)
    assert first is not None
    assert same_decimal(codec(1700, fmt).decode(first), expected)
    assert text == server_text(expected)


@pytest.fixture
def c_monetary(type_session: TypeSession) -> Iterator[TypeSession]:
    """The session with lc_monetary 'C' ($ and two fraction digits), reset afterwards."""
    type_session.execute("SET lc_monetary TO 'C'")
    try:
        yield type_session
    finally:
        type_session.execute("RESET lc_monetary")


@pytest.mark.parametrize(
    ("value", "text"),
    [
        ("12.5", "$12.50"),
        (12, "$12.00"),
        (Decimal("-3.25"), "-$3.25"),
        ("$1,000.01", "$1,000.01"),
        (-92233720368547758, "-$92,233,720,368,547,758.00"),
    ],
)
def test_live_money(c_monetary: TypeSession, value: object, text: str) -> None:
    first, server_text_ = c_monetary.echo("money", codec(790, TEXT).encode(value), TEXT)
    assert first is not None
    assert codec(790, TEXT).decode(first) == text
    assert server_text_ == text


def test_live_money_select(c_monetary: TypeSession) -> None:
    data = c_monetary.select("(-12.345)::money", TEXT)
    assert data is not None
    assert codec(790, TEXT).decode(data) == "-$12.35"
