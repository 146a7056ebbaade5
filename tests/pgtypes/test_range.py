"""Range and multirange codecs: range_send/multirange_send bytes, Python inputs, errors, and
round trips through the server with its canonicalisation.
"""

from __future__ import annotations

import importlib
import importlib.util
import itertools
import struct
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pgtypes._codec import BINARY, TEXT, Codec, CodecTable
from pgtypes._range import (
    RANGE_CONTAIN_EMPTY,
    RANGE_EMPTY,
    RANGE_LB_INC,
    RANGE_LB_INF,
    RANGE_LB_NULL,
    RANGE_UB_INC,
    RANGE_UB_INF,
    RANGE_UB_NULL,
    binary_multirange_codec,
    binary_range_codec,
    raise_with_prefix,
)
from pgtypes._range_type import Range
from pgwire import PostgresError
from pgwire.exceptions import OutdatedSchemaCacheError, UnsupportedClientFeatureError
from tests.pgtypes.live import TypeSession
from tests.pgtypes.strategies_range import (
    INT4,
    INT4_MAX,
    INT4_MIN,
    INT8,
    canonical_int_range,
    int_ranges,
    range_text,
)

INT4RANGE = binary_range_codec(3904, "int4range", "pg_catalog", INT4)
INT8RANGE = binary_range_codec(3926, "int8range", "pg_catalog", INT8)
INT4MULTIRANGE = binary_multirange_codec(4451, "int4multirange", "pg_catalog", INT4RANGE)
INT8MULTIRANGE = binary_multirange_codec(4536, "int8multirange", "pg_catalog", INT8RANGE)

LIVE = settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def i4(value: int) -> bytes:
    """An int4 bound as range_send writes it: length 4, then the value."""
    return struct.pack("!ii", 4, value)


# --- the flags byte ---------------------------------------------------------------------------


def test_flag_values_are_those_of_rangetypes_h() -> None:
    flags = [
        RANGE_EMPTY,
        RANGE_LB_INC,
        RANGE_UB_INC,
        RANGE_LB_INF,
        RANGE_UB_INF,
        RANGE_LB_NULL,
        RANGE_UB_NULL,
        RANGE_CONTAIN_EMPTY,
    ]
    assert flags == [0x01, 0x02, 0x04, 0x08, 0x10, 0x20, 0x40, 0x80]


# --- codec identity ---------------------------------------------------------------------------


def test_codec_identity() -> None:
    assert (INT4RANGE.oid, INT4RANGE.name, INT4RANGE.schema) == (3904, "int4range", "pg_catalog")
    assert (INT4RANGE.format, INT4RANGE.kind, INT4RANGE.element) == (BINARY, "range", INT4)
    assert INT4RANGE.fixed == ""
    assert (INT4MULTIRANGE.format, INT4MULTIRANGE.kind, INT4MULTIRANGE.element) == (
        BINARY,
        "multirange",
        INT4RANGE,
    )


def test_codecs_need_binary_element_codecs() -> None:
    text_int4 = Codec(23, "int4", TEXT, str.encode, bytes.decode)
    with pytest.raises(ValueError, match=r"subtype codec of range type public.r must be binary"):
        binary_range_codec(1, "r", "public", text_int4)
    text_range = Codec(3904, "int4range", TEXT, str.encode, bytes.decode)
    with pytest.raises(ValueError, match=r"range codec of multirange type public.m must be binary"):
        binary_multirange_codec(2, "m", "public", text_range)


# --- golden bytes -----------------------------------------------------------------------------

GOLDEN_RANGES: list[tuple[object, bytes, Range[int]]] = [
    (Range(1, 5), b"\x02" + i4(1) + i4(5), Range(1, 5)),
    (Range(empty=True), b"\x01", Range(empty=True)),
    (Range(None, 6), b"\x08" + i4(6), Range(None, 6)),
    (Range(6, None), b"\x12" + i4(6), Range(6, None)),
    (Range(), b"\x18", Range()),
    (
        Range(1, 5, lower_inc=False, upper_inc=True),
        b"\x04" + i4(1) + i4(5),
        Range(1, 5, lower_inc=False, upper_inc=True),
    ),
    (Range(-1, -1, upper_inc=True), b"\x06" + i4(-1) + i4(-1), Range(-1, -1, upper_inc=True)),
    # Tuples and lists: () empty, (x,) [x, inf), (lo, hi) inclusive at both ends.
    ((), b"\x01", Range(empty=True)),
    ([], b"\x01", Range(empty=True)),
    ((3,), b"\x12" + i4(3), Range(3, None)),
    ((1, 9), b"\x06" + i4(1) + i4(9), Range(1, 9, upper_inc=True)),
    ([1, 9], b"\x06" + i4(1) + i4(9), Range(1, 9, upper_inc=True)),
    ((None, 9), b"\x0c" + i4(9), Range(None, 9, upper_inc=True)),
    ((1, None), b"\x12" + i4(1), Range(1, None)),
    ((None, None), b"\x18", Range()),
    ((None,), b"\x18", Range()),
]


@pytest.mark.parametrize(("value", "data", "decoded"), GOLDEN_RANGES)
def test_range_golden_bytes(value: object, data: bytes, decoded: Range[int]) -> None:
    assert INT4RANGE.encode(value) == data
    assert INT4RANGE.decode(data) == decoded


def test_int8range_golden_bytes() -> None:
    data = b"\x02" + struct.pack("!iq", 8, -(2**63)) + struct.pack("!iq", 8, 2**63 - 1)
    assert INT8RANGE.encode(Range(-(2**63), 2**63 - 1)) == data
    assert INT8RANGE.decode(data) == Range(-(2**63), 2**63 - 1)


def test_range_decode_ignores_flags_range_recv_masks() -> None:
    # The NULL flags are unused and CONTAIN_EMPTY only marks index pages; range_recv masks
    # them off, and so does the decoder: the bounds are still read.
    data = bytes([RANGE_LB_INC | RANGE_LB_NULL | RANGE_UB_NULL | RANGE_CONTAIN_EMPTY]) + i4(1) + i4(5)
    assert INT4RANGE.decode(data) == Range(1, 5)


def test_empty_flag_wins_over_the_others() -> None:
    assert INT4RANGE.decode(bytes([RANGE_EMPTY | RANGE_LB_INC | RANGE_UB_INC])) == Range(empty=True)


def test_multirange_golden_bytes() -> None:
    one = b"\x02" + i4(1) + i4(3)
    two = b"\x12" + i4(10)
    data = struct.pack("!i", 2) + struct.pack("!i", len(one)) + one + struct.pack("!i", len(two)) + two
    assert INT4MULTIRANGE.encode([Range(1, 3), Range(10, None)]) == data
    assert INT4MULTIRANGE.encode((Range(1, 3), (10,))) == data
    assert INT4MULTIRANGE.decode(data) == [Range(1, 3), Range(10, None)]
    assert INT4MULTIRANGE.encode([]) == b"\x00\x00\x00\x00"
    assert INT4MULTIRANGE.decode(b"\x00\x00\x00\x00") == []


# --- bad Python values ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "type_name"),
    [(1, "int"), ("[1,2)", "str"), ({1: 2}, "dict"), (b"\x01", "bytes"), (None, "NoneType")],
)
def test_range_rejects_other_types(value: object, type_name: str) -> None:
    with pytest.raises(TypeError, match=rf"^list, tuple or Range object expected \(got type {type_name}\)$"):
        INT4RANGE.encode(value)


def test_range_rejects_more_than_two_elements() -> None:
    with pytest.raises(ValueError, match=r"^expected 0, 1 or 2 elements in range \(got 3\)$"):
        INT4RANGE.encode((1, 2, 3))
    with pytest.raises(ValueError, match=r"\(got 4\)$"):
        INT4RANGE.encode([1, 2, 3, 4])


def test_bound_errors_keep_their_type_and_say_which_bound() -> None:
    with pytest.raises(TypeError, match=r"^lower bound: expected int, got str$"):
        INT4RANGE.encode(("1", 2))
    with pytest.raises(TypeError, match=r"^upper bound: expected int, got float$"):
        INT4RANGE.encode(Range(1, 2.5))
    with pytest.raises(OverflowError, match=r"^upper bound: value out of int4 range: 2147483648$"):
        INT4RANGE.encode((1, 2**31))


def test_multirange_rejects_non_sequences() -> None:
    for value, type_name in [
        (1, "int"),
        ("{[1,2)}", "str"),
        (b"", "bytes"),
        (Range(1, 2), "Range"),
        ({1}, "set"),
    ]:
        with pytest.raises(TypeError, match=rf"^expected a sequence \(got type {type_name}\)$"):
            INT4MULTIRANGE.encode(value)


def test_multirange_item_errors_name_the_index() -> None:
    with pytest.raises(
        TypeError, match=r"^range at index 1: list, tuple or Range object expected \(got type int\)$"
    ):
        INT4MULTIRANGE.encode([Range(1, 2), 5])
    with pytest.raises(TypeError, match=r"^range at index 0: lower bound: expected int, got str$"):
        INT4MULTIRANGE.encode([("a", 1)])


def test_raise_with_prefix_keeps_interface_error_details() -> None:
    error = UnsupportedClientFeatureError("not here", hint="do that")
    with pytest.raises(UnsupportedClientFeatureError) as info:
        raise_with_prefix(error, "lower bound")
    assert info.value.args[0] == "lower bound: not here"
    assert info.value.hint == "do that"
    assert info.value.__cause__ is error


def test_raise_with_prefix_passes_internal_errors_through() -> None:
    error = OutdatedSchemaCacheError("type s.t has changed", schema="s", data_type="t")
    with pytest.raises(OutdatedSchemaCacheError) as info:
        raise_with_prefix(error, "lower bound")
    assert info.value is error
    assert str(error) == "type s.t has changed"


def test_raise_with_prefix_keeps_exceptions_it_cannot_rebuild() -> None:
    class Odd(ValueError):
        def __init__(self, a: int, b: int) -> None:
            super().__init__(a, b)

    odd = Odd(1, 2)
    with pytest.raises(Odd) as info:
        raise_with_prefix(odd, "x")
    assert info.value is odd


# --- malformed data ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "invalid int4range value: no flags byte"),
        (b"\x02\x00\x00", "invalid int4range value: the lower bound's length is cut off"),
        (b"\x02" + i4(1), "invalid int4range value: the upper bound's length is cut off"),
        (b"\x02" + struct.pack("!i", -1), "invalid int4range value: the lower bound is NULL"),
        (
            b"\x12" + struct.pack("!i", 4) + b"\x00",
            "invalid int4range value: the lower bound needs 4 bytes, 1 left",
        ),
        (b"\x02" + i4(1) + i4(2) + b"\x00", "invalid int4range value: 1 bytes of trailing data"),
        (b"\x01\x00", "invalid int4range value: 1 bytes of trailing data"),
        (b"\x18" + i4(1), "invalid int4range value: 8 bytes of trailing data"),
        (
            b"\x12" + struct.pack("!i", 3) + b"\x00\x00\x01",
            "lower bound: invalid int4 value: expected 4 bytes, got 3",
        ),
        (
            b"\x08" + struct.pack("!i", 2) + b"\x00\x01",
            "upper bound: invalid int4 value: expected 4 bytes, got 2",
        ),
    ],
)
def test_range_malformed_data(data: bytes, message: str) -> None:
    with pytest.raises(ValueError) as info:
        INT4RANGE.decode(data)
    assert str(info.value) == message


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"\x00\x00\x00", "invalid int4multirange value: expected at least 4 bytes, got 3"),
        (struct.pack("!i", -1), "invalid int4multirange value: negative range count -1"),
        (struct.pack("!i", 1), "invalid int4multirange value: range 0 is cut off"),
        (struct.pack("!ii", 1, -5), "invalid int4multirange value: range 0 has a bad length -5"),
        (struct.pack("!ii", 1, 2) + b"\x01", "invalid int4multirange value: range 0 has a bad length 2"),
        (struct.pack("!ii", 1, 1) + b"\x01\x01", "invalid int4multirange value: 1 bytes of trailing data"),
        (struct.pack("!ii", 1, 0), "range at index 0: invalid int4range value: no flags byte"),
    ],
)
def test_multirange_malformed_data(data: bytes, message: str) -> None:
    with pytest.raises(ValueError) as info:
        INT4MULTIRANGE.decode(data)
    assert str(info.value) == message


# --- round trips ------------------------------------------------------------------------------


@given(int_ranges())
def test_int4range_round_trip(value: Range[int]) -> None:
    assert INT4RANGE.decode(INT4RANGE.encode(value)) == value


@given(int_ranges(-(2**63), 2**63 - 1))
def test_int8range_round_trip(value: Range[int]) -> None:
    assert INT8RANGE.decode(INT8RANGE.encode(value)) == value


@given(st.lists(int_ranges(), max_size=5))
def test_multirange_round_trip(value: list[Range[int]]) -> None:
    assert INT4MULTIRANGE.decode(INT4MULTIRANGE.encode(value)) == value


@given(
    st.one_of(
        st.tuples(),
        st.tuples(st.integers(INT4_MIN, INT4_MAX)),
        st.tuples(st.integers(-100, 0), st.integers(0, 100)),
    )
)
def test_tuple_input_is_inclusive(value: tuple[int, ...]) -> None:
    decoded = INT4RANGE.decode(INT4RANGE.encode(value))
    if not value:
        assert decoded == Range(empty=True)
    elif len(value) == 1:
        assert decoded == Range(value[0], None)
    else:
        assert decoded == Range(value[0], value[1], upper_inc=True)


# --- through the server -----------------------------------------------------------------------


@pytest.mark.parametrize(("type_sql", "codec"), [("int4range", INT4RANGE), ("int8range", INT8RANGE)])
@pytest.mark.parametrize(
    ("value", "canonical", "text"),
    [
        (Range(1, 5), Range(1, 5), "[1,5)"),
        (Range(empty=True), Range(empty=True), "empty"),
        (Range(), Range(), "(,)"),
        (Range(None, 6, upper_inc=True), Range(None, 7), "(,7)"),
        (Range(3, None, lower_inc=False), Range(4, None), "[4,)"),
        ((1, 9), Range(1, 10), "[1,10)"),  # asyncpg's example: inclusive tuple, canonical result
        ((), Range(empty=True), "empty"),
        ((5,), Range(5, None), "[5,)"),
        (Range(5, 5), Range(empty=True), "empty"),
        (Range(5, 6, lower_inc=False), Range(empty=True), "empty"),
    ],
)
def test_range_echo(
    type_session: TypeSession, type_sql: str, codec: Codec, value: object, canonical: Range[int], text: str
) -> None:
    data, server_text = type_session.echo(type_sql, codec.encode(value), BINARY)
    assert data is not None
    assert codec.decode(data) == canonical
    assert server_text == text


@pytest.mark.parametrize(
    ("expression", "codec", "expected"),
    [
        ("'[1,5)'::int4range", INT4RANGE, Range(1, 5)),
        ("'(1,9]'::int4range", INT4RANGE, Range(2, 10)),
        ("'empty'::int4range", INT4RANGE, Range(empty=True)),
        ("'(,)'::int4range", INT4RANGE, Range()),
        ("int4range(NULL, 3, '[]')", INT4RANGE, Range(None, 4)),
        ("int4range(-2147483648, 2147483647)", INT4RANGE, Range(INT4_MIN, INT4_MAX)),
        ("int8range(-9223372036854775808, 9223372036854775807)", INT8RANGE, Range(-(2**63), 2**63 - 1)),
        ("'[7,)'::int8range", INT8RANGE, Range(7, None)),
    ],
)
def test_range_from_server(
    type_session: TypeSession, expression: str, codec: Codec, expected: Range[int]
) -> None:
    data = type_session.select(expression, BINARY)
    assert data is not None
    assert codec.decode(data) == expected


@LIVE
@given(value=int_ranges(INT4_MIN, INT4_MAX - 1))
def test_int4range_echo_property(type_session: TypeSession, value: Range[int]) -> None:
    data, text = type_session.echo("int4range", INT4RANGE.encode(value), BINARY)
    assert data is not None
    expected = canonical_int_range(value)
    assert INT4RANGE.decode(data) == expected
    assert text == range_text(expected)


@LIVE
@given(value=int_ranges(-(2**63), 2**63 - 2))
def test_int8range_echo_property(type_session: TypeSession, value: Range[int]) -> None:
    data, text = type_session.echo("int8range", INT8RANGE.encode(value), BINARY)
    assert data is not None
    expected = canonical_int_range(value)
    assert INT8RANGE.decode(data) == expected
    assert text == range_text(expected)


def test_server_rejects_reversed_bounds(type_session: TypeSession) -> None:
    # The codec sends what it is given; range ordering is the server's rule to enforce.
    with pytest.raises(
        PostgresError, match="range lower bound must be less than or equal to range upper bound"
    ):
        type_session.echo("int4range", INT4RANGE.encode(Range(5, 1)), BINARY)


def test_inclusive_int4_maximum_overflows_on_the_server(type_session: TypeSession) -> None:
    # [1, 2147483647] canonicalises to [1, 2147483648), which int4 cannot hold.
    with pytest.raises(PostgresError, match="integer out of range"):
        type_session.echo("int4range", INT4RANGE.encode((1, INT4_MAX)), BINARY)


@pytest.mark.parametrize(
    ("type_sql", "codec"), [("int4multirange", INT4MULTIRANGE), ("int8multirange", INT8MULTIRANGE)]
)
@pytest.mark.parametrize(
    ("value", "expected", "text"),
    [
        ([], [], "{}"),
        ([Range(empty=True)], [], "{}"),
        ([Range(1, 3)], [Range(1, 3)], "{[1,3)}"),
        # The server sorts and merges: overlapping and adjacent ranges become one.
        ([(10, None), (2, 6), Range(1, 3)], [Range(1, 7), Range(10, None)], "{[1,7),[10,)}"),
        ([Range(1, 3), Range(3, 5)], [Range(1, 5)], "{[1,5)}"),
        ([Range(None, 0), Range(5, 6, upper_inc=True)], [Range(None, 0), Range(5, 7)], "{(,0),[5,7)}"),
        ([Range(), Range(1, 2)], [Range()], "{(,)}"),
    ],
)
def test_multirange_echo(
    type_session: TypeSession,
    type_sql: str,
    codec: Codec,
    value: list[Any],
    expected: list[Range[int]],
    text: str,
) -> None:
    data, server_text = type_session.echo(type_sql, codec.encode(value), BINARY)
    assert data is not None
    assert codec.decode(data) == expected
    assert server_text == text


def test_multirange_from_server(type_session: TypeSession) -> None:
    data = type_session.select("'{[1,3), [5,9], (20,)}'::int4multirange", BINARY)
    assert data is not None
    assert INT4MULTIRANGE.decode(data) == [Range(1, 3), Range(5, 10), Range(21, None)]
    data = type_session.select("'{}'::int8multirange", BINARY)
    assert data is not None
    assert INT8MULTIRANGE.decode(data) == []


@LIVE
@given(value=st.lists(int_ranges(-1000, 1000), max_size=6))
def test_int4multirange_echo_property(type_session: TypeSession, value: list[Range[int]]) -> None:
    data, _ = type_session.echo("int4multirange", INT4MULTIRANGE.encode(value), BINARY)
    assert data is not None
    decoded = INT4MULTIRANGE.decode(data)
    # The server's multirange holds exactly the integers of the ranges sent, in sorted,
    # disjoint, non-adjacent canonical ranges: check by membership over a window.
    window = range(-1005, 1006)

    def contains(ranges: list[Range[int]], x: int) -> bool:
        for r in map(canonical_int_range, ranges):
            if not r.isempty and (r.lower is None or r.lower <= x) and (r.upper is None or x < r.upper):
                return True
        return False

    assert all(contains(decoded, x) == contains(value, x) for x in window)
    assert all(r == canonical_int_range(r) and not r.isempty for r in decoded)
    for first, second in itertools.pairwise(decoded):
        assert first.upper is not None and second.lower is not None and first.upper < second.lower


def _numeric_codec() -> Codec | None:
    if importlib.util.find_spec("pgtypes._numeric") is None:
        return None
    numeric = importlib.import_module("pgtypes._numeric")
    table = CodecTable()
    numeric.register(table)
    return table.get(1700, BINARY)


def test_numrange_echo(type_session: TypeSession) -> None:
    numeric = _numeric_codec()
    if numeric is None:
        pytest.skip("the numeric codec (pgtypes._numeric) is not there yet")
    numrange = binary_range_codec(3906, "numrange", "pg_catalog", numeric)
    value = Range(Decimal("1.5"), Decimal("2.25"), lower_inc=False, upper_inc=True)
    data, text = type_session.echo("numrange", numrange.encode(value), BINARY)
    assert data is not None
    # numrange is continuous: no canonicalisation, the flags come back as sent.
    assert numrange.decode(data) == value
    assert text == "(1.5,2.25]"
