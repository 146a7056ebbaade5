"""Codecs of bit and varbit, in both formats, in process and live."""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pgtypes._bits import BIT_OID, MAX_BITS, VARBIT_OID, register
from pgtypes._bitstring import BitString
from pgtypes._codec import BINARY, TEXT, Codec, CodecTable

if TYPE_CHECKING:
    from tests.pgtypes.live import TypeSession

TABLE: Final = CodecTable()
register(TABLE)

FORMATS: Final = [pytest.param(BINARY, id="binary"), pytest.param(TEXT, id="text")]
TYPES: Final = [pytest.param(BIT_OID, id="bit"), pytest.param(VARBIT_OID, id="varbit")]
LIVE: Final = settings(
    max_examples=50, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
BIT_STRINGS: Final = st.text(alphabet="01", max_size=200).map(BitString)


def codec(oid: int, format_code: int) -> Codec:
    found = TABLE.get(oid, format_code)
    assert found is not None
    return found


def test_register_adds_both_formats_of_both_types() -> None:
    assert len(TABLE) == 4
    for oid, name in ((BIT_OID, "bit"), (VARBIT_OID, "varbit")):
        for format_code in (BINARY, TEXT):
            assert codec(oid, format_code).name == name
            assert codec(oid, format_code).format == format_code
    with pytest.raises(ValueError, match="already registered"):
        register(TABLE)


# -- golden values --------------------------------------------------------------------------------

GOLDEN: Final = [
    (BitString(), "00000000", ""),
    (BitString("1"), "00000001" + "80", "1"),
    (BitString("10101"), "00000005" + "a8", "10101"),
    (BitString("1111 0000 1"), "00000009" + "f080", "111100001"),
    (BitString("0000 0000"), "00000008" + "00", "00000000"),
]


@pytest.mark.parametrize("oid", TYPES)
@pytest.mark.parametrize(("value", "binary", "text"), GOLDEN, ids=[case[2] or "empty" for case in GOLDEN])
def test_golden_values(oid: int, value: BitString, binary: str, text: str) -> None:
    assert codec(oid, BINARY).encode(value) == bytes.fromhex(binary)
    assert codec(oid, BINARY).decode(bytes.fromhex(binary)) == value
    assert codec(oid, TEXT).encode(value) == text.encode()
    assert codec(oid, TEXT).decode(text.encode()) == value


def test_decoders_return_bit_strings() -> None:
    assert type(codec(VARBIT_OID, BINARY).decode(bytes.fromhex("0000000180"))) is BitString
    assert type(codec(VARBIT_OID, TEXT).decode(b"1")) is BitString


@pytest.mark.parametrize("format_code", FORMATS)
def test_encoders_take_bytes_and_strings(format_code: int) -> None:
    encode = codec(VARBIT_OID, format_code).encode
    expected = encode(BitString("0000 1111 1000 0000"))
    assert encode(b"\x0f\x80") == expected
    assert encode(bytearray(b"\x0f\x80")) == expected
    assert encode(memoryview(b"\x0f\x80")) == expected
    assert encode("0000 1111 1000 0000") == expected
    assert encode("0000111110000000") == expected
    assert encode(b"") == encode("") == encode(BitString())


def test_binary_decoding_clears_unused_bits() -> None:
    decoded = codec(VARBIT_OID, BINARY).decode(bytes.fromhex("00000003ff"))
    assert decoded == BitString("111")
    assert decoded.bytes == b"\xe0"


# -- bad values -----------------------------------------------------------------------------------


@pytest.mark.parametrize("format_code", FORMATS)
@pytest.mark.parametrize(
    ("value", "error", "message"),
    [
        (5, TypeError, r"^expected BitString, bytes or a str of '0' and '1', got int$"),
        ([1, 0], TypeError, r"^expected BitString, bytes or a str of '0' and '1', got list$"),
        (None, TypeError, r"^expected BitString, bytes or a str of '0' and '1', got NoneType$"),
        ("1012", ValueError, r"^invalid bit value at position 3$"),
        ("x'ff'", ValueError, r"^invalid bit value at position 0$"),
    ],
)
def test_bad_values_are_rejected(
    value: object, error: type[Exception], message: str, format_code: int
) -> None:
    with pytest.raises(error, match=message):
        codec(VARBIT_OID, format_code).encode(value)


def test_the_length_limit_is_the_servers() -> None:
    assert MAX_BITS == 2**31 - 8  # VARBITMAXLEN = INT_MAX - BITS_PER_BYTE + 1

    class Huge(BitString):
        __slots__ = ()

        def __len__(self) -> int:
            return MAX_BITS + 1

    with pytest.raises(
        ValueError, match=rf"^bit string too long: {MAX_BITS + 1} bits \(the maximum is {MAX_BITS}\)$"
    ):
        codec(VARBIT_OID, BINARY).encode(Huge("1"))


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ("000000", r"^invalid bit string value: expected at least 4 bytes, got 3$"),
        ("ffffffff", r"^invalid bit string value: -1 bits in 0 bytes$"),
        ("00000009" + "ff", r"^invalid bit string value: 9 bits in 1 bytes$"),
        ("00000008" + "ff00", r"^invalid bit string value: 8 bits in 2 bytes$"),
        ("00000000" + "00", r"^invalid bit string value: 0 bits in 1 bytes$"),
    ],
)
def test_malformed_binary_is_rejected(data: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        codec(VARBIT_OID, BINARY).decode(bytes.fromhex(data))


def test_malformed_text_is_rejected() -> None:
    with pytest.raises(ValueError, match=r"^invalid bit value at position 2$"):
        codec(BIT_OID, TEXT).decode(b"10a")


# -- round trips ----------------------------------------------------------------------------------


@pytest.mark.parametrize("format_code", FORMATS)
@pytest.mark.parametrize("oid", TYPES)
@given(value=BIT_STRINGS)
def test_round_trip(oid: int, format_code: int, value: BitString) -> None:
    found = codec(oid, format_code)
    assert found.decode(found.encode(value)) == value


@pytest.mark.parametrize("format_code", FORMATS)
@given(data=st.binary(max_size=40))
def test_bytes_round_trip_as_eight_bits_each(format_code: int, data: bytes) -> None:
    found = codec(VARBIT_OID, format_code)
    decoded = found.decode(found.encode(data))
    assert len(decoded) == 8 * len(data)
    assert decoded.bytes == data


# -- live -----------------------------------------------------------------------------------------


def echo(type_session: TypeSession, type_sql: str, value: object, format_code: int) -> tuple[BitString, str]:
    oid = BIT_OID if type_sql.startswith("bit(") else VARBIT_OID
    raw, text = type_session.echo(type_sql, codec(oid, format_code).encode(value), format_code)
    assert raw is not None and text is not None
    return codec(oid, format_code).decode(raw), text


@pytest.mark.parametrize("format_code", FORMATS)
@pytest.mark.parametrize(
    ("type_sql", "value", "server_text"),
    [
        ("varbit", BitString(), ""),
        ("varbit", BitString("1"), "1"),
        ("varbit", "1010 1", "10101"),
        ("varbit", b"\x0f\x80", "0000111110000000"),
        ("varbit", BitString("10" * 500), "10" * 500),
        ("bit(5)", BitString("10101"), "10101"),
        # An explicit cast to bit(5) pads on the right with zeros (section 8.10).
        ("bit(5)", BitString("101"), "10100"),
        ("bit(16)", b"\xff\x01", "1111111100000001"),
        ("varbit(3)", BitString("11111"), "111"),
    ],
)
def test_live_values(
    type_session: TypeSession, type_sql: str, value: object, server_text: str, format_code: int
) -> None:
    decoded, text = echo(type_session, type_sql, value, format_code)
    assert text == server_text
    assert decoded == BitString(server_text)
    assert len(decoded) == len(server_text)


@pytest.mark.parametrize("format_code", FORMATS)
@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("B'101'::bit(5)", BitString("10100")),
        ("''::varbit", BitString()),
        ("X'1F'::varbit", BitString("0001 1111")),
        ("repeat('1', 1000)::varbit", BitString("1" * 1000)),
        ("B'1'::varbit", BitString("1")),
        ("(-2)::bit(8)", BitString("1111 1110")),
        ("B'10110' >> 1", BitString("01011")),
    ],
)
def test_live_server_values(
    type_session: TypeSession, expression: str, expected: BitString, format_code: int
) -> None:
    oid = BIT_OID if "bit(" in expression or ">>" in expression else VARBIT_OID
    raw = type_session.select(expression, format_code)
    assert raw is not None
    decoded = codec(oid, format_code).decode(raw)
    assert decoded == expected and len(decoded) == len(expected)


@pytest.mark.parametrize("format_code", FORMATS)
def test_live_a_bit_parameter_keeps_its_length(type_session: TypeSession, format_code: int) -> None:
    # A parameter typed plain bit (no length modifier) takes any length; the codec never pads.
    result = type_session.raw(
        "SELECT $1, $1::text",
        [codec(BIT_OID, format_code).encode(BitString("101"))],
        param_oids=[BIT_OID],
        param_formats=[format_code],
        result_formats=[format_code, TEXT],
    )
    raw, text = result.rows[0]
    assert raw is not None
    assert codec(BIT_OID, format_code).decode(raw) == BitString("101")
    assert text == b"101"


@pytest.mark.parametrize("format_code", FORMATS)
@LIVE
@given(value=BIT_STRINGS)
def test_live_round_trip(type_session: TypeSession, value: BitString, format_code: int) -> None:
    decoded, text = echo(type_session, "varbit", value, format_code)
    assert decoded == value
    assert text == value.as_string().replace(" ", "")
    decoded, text = echo(
        type_session, f"bit({max(len(value), 1)})", value if len(value) else "0", format_code
    )
    assert decoded == (value if len(value) else BitString("0"))
