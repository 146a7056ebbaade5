"""Array codecs: golden bytes, round trips, shape and element errors, and the live server.

The element codecs are small ones built here (int4 and text in both formats, a point-like
tuple codec, an identity text codec for ``box``), so these tests depend on nothing but the
array module and :mod:`pgtypes._codec`.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pgtypes import TypeRegistry
from pgtypes._array import binary_array_codec, text_array_codec
from pgtypes._codec import BINARY, TEXT, Codec, type_error
from pgtypes.types import BitString, Path, Polygon
from tests.pgtypes.live import TypeSession

_INT4 = struct.Struct("!i")
_POINT = struct.Struct("!dd")


def _check_int4(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise type_error("int", value)
    if not -(2**31) <= value < 2**31:
        raise OverflowError(f"value out of int4 range (-2147483648..2147483647): {value}")
    return value


def _encode_int4(value: object) -> bytes:
    return _INT4.pack(_check_int4(value))


def _decode_int4(data: bytes) -> int:
    if len(data) != 4:
        raise ValueError(f"invalid int4 value: expected 4 bytes, got {len(data)}")
    return int(_INT4.unpack(data)[0])


def _encode_int4_text(value: object) -> bytes:
    return str(_check_int4(value)).encode()


def _decode_int4_text(data: bytes) -> int:
    return int(data)


def _encode_text(value: object) -> bytes:
    if not isinstance(value, str):
        raise type_error("str", value)
    return value.encode()


def _decode_text(data: bytes) -> str:
    return data.decode()


def _encode_point(value: object) -> bytes:
    if not isinstance(value, tuple):
        raise type_error("tuple", value)
    return _POINT.pack(*value)


def _decode_point(data: bytes) -> tuple[float, float]:
    x, y = _POINT.unpack(data)
    return (x, y)


INT4_BINARY = Codec(23, "int4", BINARY, _encode_int4, _decode_int4, fixed="i")
INT4_TEXT = Codec(23, "int4", TEXT, _encode_int4_text, _decode_int4_text)
TEXT_BINARY = Codec(25, "text", BINARY, _encode_text, _decode_text)
TEXT_TEXT = Codec(25, "text", TEXT, _encode_text, _decode_text)
POINT_BINARY = Codec(600, "point", BINARY, _encode_point, _decode_point)
BOX_TEXT = Codec(603, "box", TEXT, _encode_text, _decode_text)

INT4_ARRAY = binary_array_codec(1007, "_int4", "pg_catalog", INT4_BINARY)
INT4_ARRAY_TEXT = text_array_codec(1007, "_int4", "pg_catalog", INT4_TEXT)
TEXT_ARRAY = binary_array_codec(1009, "_text", "pg_catalog", TEXT_BINARY)
TEXT_ARRAY_TEXT = text_array_codec(1009, "_text", "pg_catalog", TEXT_TEXT)
POINT_ARRAY = binary_array_codec(1017, "_point", "pg_catalog", POINT_BINARY)
BOX_ARRAY_TEXT = text_array_codec(1020, "_box", "pg_catalog", BOX_TEXT, delimiter=";")

ALL_INT4 = [INT4_ARRAY, INT4_ARRAY_TEXT]
ALL_TEXT = [TEXT_ARRAY, TEXT_ARRAY_TEXT]
LIVE = settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def binary(ndim: int, flags: int, oid: int, dims: list[tuple[int, int]], *elements: bytes | None) -> bytes:
    """array_send's layout, written out by hand for the golden tests."""
    out = struct.pack("!iii", ndim, flags, oid)
    for size, lower in dims:
        out += struct.pack("!ii", size, lower)
    for element in elements:
        out += b"\xff\xff\xff\xff" if element is None else struct.pack("!i", len(element)) + element
    return out


def i4(value: int) -> bytes:
    return struct.pack("!i", value)


# --- codec objects ---------------------------------------------------------------------------


def test_codec_attributes() -> None:
    assert (INT4_ARRAY.oid, INT4_ARRAY.name, INT4_ARRAY.format, INT4_ARRAY.kind) == (
        1007,
        "_int4",
        BINARY,
        "array",
    )
    assert INT4_ARRAY.element is INT4_BINARY
    assert INT4_ARRAY.fixed == ""
    assert (INT4_ARRAY_TEXT.format, INT4_ARRAY_TEXT.kind, INT4_ARRAY_TEXT.element) == (
        TEXT,
        "array",
        INT4_TEXT,
    )


def test_builders_check_element_format_and_delimiter() -> None:
    with pytest.raises(ValueError, match="binary element codec"):
        binary_array_codec(1007, "_int4", "pg_catalog", INT4_TEXT)
    with pytest.raises(ValueError, match="text element codec"):
        text_array_codec(1007, "_int4", "pg_catalog", INT4_BINARY)
    for delimiter in ("", ";;", "{", '"', "\\", " "):
        with pytest.raises(ValueError, match="invalid array delimiter"):
            text_array_codec(1007, "_int4", "pg_catalog", INT4_TEXT, delimiter=delimiter)


# --- golden bytes ------------------------------------------------------------------------------

GOLDEN_BINARY: list[tuple[Codec, Any, bytes]] = [
    (INT4_ARRAY, [], binary(0, 0, 23, [])),
    (INT4_ARRAY, [1, 2], binary(1, 0, 23, [(2, 1)], i4(1), i4(2))),
    (INT4_ARRAY, [None, -1], binary(1, 1, 23, [(2, 1)], None, i4(-1))),
    (INT4_ARRAY, [[1, 2], [3, None]], binary(2, 1, 23, [(2, 1), (2, 1)], i4(1), i4(2), i4(3), None)),
    (TEXT_ARRAY, ["a", "", None, "é"], binary(1, 1, 25, [(4, 1)], b"a", b"", None, "é".encode())),
    (INT4_ARRAY, [[[7]]], binary(3, 0, 23, [(1, 1), (1, 1), (1, 1)], i4(7))),
]


@pytest.mark.parametrize(("codec", "value", "data"), GOLDEN_BINARY)
def test_golden_binary(codec: Codec, value: Any, data: bytes) -> None:
    assert codec.encode(value) == data
    assert codec.decode(data) == value


GOLDEN_TEXT: list[tuple[Codec, Any, bytes]] = [
    (INT4_ARRAY_TEXT, [], b"{}"),
    (INT4_ARRAY_TEXT, [1, 2, None], b"{1,2,NULL}"),
    (INT4_ARRAY_TEXT, [[1, 2], [3, 4]], b"{{1,2},{3,4}}"),
    (INT4_ARRAY_TEXT, [[[1], [2]], [[3], [None]]], b"{{{1},{2}},{{3},{NULL}}}"),
    (TEXT_ARRAY_TEXT, ["plain", None], b"{plain,NULL}"),
    (
        TEXT_ARRAY_TEXT,
        ["", "NULL", "null", "a b", "a,b", "{x}", 'q"t', "b\\s", "tab\t", "ü"],
        '{"","NULL","null","a b","a,b","{x}","q\\"t","b\\\\s","tab\t",ü}'.encode(),
    ),
    (BOX_ARRAY_TEXT, ["(3,4),(1,2)", "(1,1),(0,0)"], b"{(3,4),(1,2);(1,1),(0,0)}"),
]


@pytest.mark.parametrize(("codec", "value", "data"), GOLDEN_TEXT)
def test_golden_text(codec: Codec, value: Any, data: bytes) -> None:
    assert codec.encode(value) == data
    assert codec.decode(data) == value


@pytest.mark.parametrize(
    ("data", "value"),
    [
        (b"{ 1 , 2 ,NULL }", [1, 2, None]),
        (b"  {{1,2},{3,4}}  ", [[1, 2], [3, 4]]),
        (b"[0:1]={5,6}", [5, 6]),
        (b"[2:3]={1,2}", [1, 2]),
        (b"[-1:0][1:2]={{1,2},{3,4}}", [[1, 2], [3, 4]]),
        (b"[2]={8,9}", [8, 9]),
        (b"{ }", []),
        (b"{{}}", []),
        (b'{"1",NULL,nUlL}', [1, None, None]),
        (b"{1,\\2}", [1, 2]),
    ],
)
def test_decode_text_int4_forms(data: bytes, value: list[Any]) -> None:
    assert INT4_ARRAY_TEXT.decode(data) == value


@pytest.mark.parametrize(
    ("data", "value"),
    [
        (b'{"NULL",NULL,"null"}', ["NULL", None, "null"]),
        (b'{" a ", b c ,"",x\\ }', [" a ", "b c", "", "x "]),
        (b'{"a\\"b","c\\\\d",e\\,f,g\\}h}', ['a"b', "c\\d", "e,f", "g}h"]),
        (b'{a"b c"d}', ["ab cd"]),
        (b'{{"{",","},{"}",""}}', [["{", ","], ["}", ""]]),
        (b"{\\NULL}", ["NULL"]),
    ],
)
def test_decode_text_quoting(data: bytes, value: list[Any]) -> None:
    assert TEXT_ARRAY_TEXT.decode(data) == value


def test_tuple_inside_an_array_is_an_element() -> None:
    value = [(1.0, 2.0), (3.0, 4.0)]
    data = POINT_ARRAY.encode(value)
    assert data == binary(1, 0, 600, [(2, 1)], _POINT.pack(1.0, 2.0), _POINT.pack(3.0, 4.0))
    assert POINT_ARRAY.decode(data) == value
    assert POINT_ARRAY.decode(POINT_ARRAY.encode([[(1.0, 2.0)], [(5.0, 6.0)]])) == [
        [(1.0, 2.0)],
        [(5.0, 6.0)],
    ]


def _encode_path_size(value: object) -> bytes:
    if not isinstance(value, Path):
        raise type_error("Path", value)
    return _INT4.pack(len(value))


def _encode_bits(value: object) -> bytes:
    if not isinstance(value, BitString):
        raise type_error("BitString", value)
    return value.bytes


def _decode_bits(data: bytes) -> BitString:
    return BitString.frombytes(data, len(data) * 8)


def test_path_and_bitstring_inside_an_array_are_elements() -> None:
    # Both are sized iterables, yet they are the elements of path[], polygon[] and bit[] arrays.
    sizes = binary_array_codec(
        1019, "_path", "pg_catalog", Codec(602, "path", BINARY, _encode_path_size, _decode_int4)
    )
    value = [Path((1, 2), (3, 4)), Polygon((0, 0), (1, 0), (1, 1))]
    assert sizes.decode(sizes.encode(value)) == [2, 3]
    assert sizes.decode(sizes.encode([value, value])) == [[2, 3], [2, 3]]
    bits = binary_array_codec(
        1561, "_bit", "pg_catalog", Codec(1560, "bit", BINARY, _encode_bits, _decode_bits)
    )
    bit_values = [BitString("10100000"), BitString("11111111")]
    assert bits.decode(bits.encode(bit_values)) == bit_values
    with pytest.raises(TypeError, match=r"got type Path"):
        sizes.encode(Path((1, 2), (3, 4)))


@pytest.mark.parametrize("value", [(1, 2, 3), range(1, 4), [1, 2, 3]])
def test_any_sized_iterable_is_an_array(value: Any) -> None:
    for codec in ALL_INT4:
        assert codec.decode(codec.encode(value)) == [1, 2, 3]
    assert INT4_ARRAY.decode(INT4_ARRAY.encode({5})) == [5]
    assert INT4_ARRAY.decode(INT4_ARRAY.encode([range(2), [7, 8]])) == [[0, 1], [7, 8]]
    # A tuple is a sub-array only at the top: inside, it is one (here ill-typed) element.
    with pytest.raises(ValueError, match=r"element \[1\] is a scalar, expected an array of 2 items"):
        INT4_ARRAY.encode([[1, 2], (3, 4)])


def test_zero_length_dimensions_encode_as_empty_array() -> None:
    assert INT4_ARRAY.encode([[], []]) == binary(0, 0, 23, [])
    assert INT4_ARRAY_TEXT.encode([[], []]) == b"{}"


def test_decode_ignores_lower_bounds_and_zero_size_dimensions() -> None:
    assert INT4_ARRAY.decode(binary(1, 0, 23, [(2, 0)], i4(1), i4(2))) == [1, 2]
    assert INT4_ARRAY.decode(binary(2, 0, 23, [(1, -5), (2, 3)], i4(1), i4(2))) == [[1, 2]]
    assert INT4_ARRAY.decode(binary(2, 0, 23, [(3, 1), (0, 1)])) == []


def test_six_dimensions_is_the_limit() -> None:
    six: Any = [1]
    for _ in range(5):
        six = [six]
    for codec in ALL_INT4:
        assert codec.decode(codec.encode(six)) == six
    with pytest.raises(
        ValueError, match=r"^number of array dimensions \(7\) exceed the maximum expected \(6\)$"
    ):
        INT4_ARRAY.encode([six])
    with pytest.raises(ValueError, match=r"number of array dimensions \(7\)"):
        INT4_ARRAY_TEXT.decode(b"{{{{{{{1}}}}}}}")


# --- fast path ---------------------------------------------------------------------------------


@pytest.mark.parametrize("count", [1, 2, 100, 4096, 4097, 10000])
def test_fixed_width_fast_path_sizes(count: int) -> None:
    value = list(range(-count // 2, count - count // 2))
    data = INT4_ARRAY.encode(value)
    assert INT4_ARRAY.decode(data) == value
    with_null = [*value[:-1], None]
    assert INT4_ARRAY.decode(INT4_ARRAY.encode(with_null)) == with_null


@pytest.mark.parametrize("count", [1, 100, 5000])
@pytest.mark.parametrize(
    ("array_oid", "element"),
    [
        (1028, lambda i: (i * 2654435761) % 2**32),  # oid[]: 32-bit words, unsigned
        (1007, lambda i: (i * 2654435761) % 2**32 - 2**31),  # int4[]: 32-bit words, signed
        (1016, lambda i: i * 2**40 - 2**62),  # int8[]: (length, value) pairs by struct
        (1005, lambda i: i % 2**15 - 2**14),  # int2[]
        (1022, lambda i: i / 7),  # float8[]
    ],
)
def test_every_fixed_width_run_path(array_oid: int, element: Any, count: int) -> None:
    codec = TypeRegistry.default().result_codec(array_oid)
    value = [element(i) for i in range(count)]
    assert codec.decode(codec.encode(value)) == value
    with_null = [*value[: count // 2], None, *value[count // 2 + 1 :]]
    assert codec.decode(codec.encode(with_null)) == with_null
    nested = [value, value]
    assert codec.decode(codec.encode(nested)) == nested


def test_fast_path_falls_back_when_lengths_are_wrong() -> None:
    # Same total size as two 4-byte elements, but lengths 3 and 5: the general loop reports it.
    data = binary(1, 0, 23, [(2, 1)], b"\x00\x00\x01", b"\x00\x00\x00\x00\x02")
    with pytest.raises(
        ValueError, match=r"^invalid array element at index \[0\]: invalid int4 value: expected 4 bytes"
    ):
        INT4_ARRAY.decode(data)
    big = binary(1, 0, 23, [(5000, 1)], *([i4(1)] * 4998), b"\x00\x00\x01", b"\x00\x00\x00\x00\x02")
    with pytest.raises(ValueError, match=r"index \[4998\]"):
        INT4_ARRAY.decode(big)


# --- encode errors -----------------------------------------------------------------------------


@pytest.mark.parametrize("codec", [*ALL_INT4, *ALL_TEXT])
@pytest.mark.parametrize(
    ("value", "type_name"),
    [
        (5, "int"),
        ("abc", "str"),
        (b"ab", "bytes"),
        (bytearray(b"a"), "bytearray"),
        ({"a": 1}, "dict"),
        (None, "NoneType"),
    ],
)
def test_encode_non_container(codec: Codec, value: object, type_name: str) -> None:
    with pytest.raises(TypeError, match=rf"^a sized iterable container expected \(got type {type_name}\)$"):
        codec.encode(value)


def test_encode_generator_is_not_sized() -> None:
    with pytest.raises(TypeError, match=r"got type generator"):
        INT4_ARRAY.encode(x for x in [1])


@pytest.mark.parametrize("codec", ALL_INT4)
@pytest.mark.parametrize(
    ("value", "message"),
    [
        ([[1, 2, 3], [4, 5]], r"^non-homogeneous array: element \[1\] has 2 items, expected 3$"),
        ([[[1], [2]], [[3], [4, 5]]], r"^non-homogeneous array: element \[1\]\[1\] has 2 items, expected 1$"),
        ([1, [2]], r"^non-homogeneous array: element \[1\] is an array, expected a scalar$"),
        ([[1], 2], r"^non-homogeneous array: element \[1\] is a scalar, expected an array of 1 items$"),
        ([[], [1]], r"^non-homogeneous array: element \[1\] has 1 items, expected 0$"),
    ],
)
def test_encode_non_homogeneous(codec: Codec, value: Any, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        codec.encode(value)


@pytest.mark.parametrize("codec", ALL_INT4)
def test_element_errors_keep_their_type_and_name_the_index(codec: Codec) -> None:
    with pytest.raises(TypeError, match=r"^invalid array element at index \[1\]: expected int, got str$"):
        codec.encode([1, "2"])
    with pytest.raises(
        OverflowError, match=r"^invalid array element at index \[1\]\[0\]: value out of int4 range"
    ):
        codec.encode([[1, 2], [2**31, 3]])
    with pytest.raises(
        TypeError, match=r"^invalid array element at index \[0\]\[1\]: expected int, got tuple$"
    ):
        codec.encode([[1, (2,)]])


class _StrictError(ValueError):
    def __init__(self, code: int, text: str) -> None:
        super().__init__(text)
        self.code = code


def _refuse(value: object) -> bytes:
    raise _StrictError(7, "refused")


def test_element_error_with_another_constructor_falls_back_to_its_base() -> None:
    codec = binary_array_codec(1007, "_int4", "pg_catalog", Codec(23, "int4", BINARY, _refuse, _decode_int4))
    with pytest.raises(ValueError, match=r"^invalid array element at index \[0\]: refused$") as info:
        codec.encode([1])
    assert type(info.value) is ValueError
    assert isinstance(info.value.__cause__, _StrictError)


# --- decode errors -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"\x00\x00\x00\x01", r"expected at least 12 bytes, got 4"),
        (binary(1, 0, 25, [(1, 1)], b"x"), r"element type OID 25 does not match int4 \(23\)"),
        (binary(1, 2, 23, [(1, 1)], i4(1)), r"has-nulls flag must be 0 or 1, got 2"),
        (binary(7, 0, 23, [(1, 1)] * 7, i4(1)), r"number of dimensions 7 is not in 0..6"),
        (binary(-1, 0, 23, []), r"number of dimensions -1"),
        (binary(2, 0, 23, [(1, 1)]), r"2 dimensions need 28 bytes, got 20"),
        (binary(1, 0, 23, [(-1, 1)]), r"negative dimension size -1"),
        (binary(1, 0, 23, [(1000, 1)], i4(1)), r"1000 elements declared but only 8 bytes"),
        (binary(0, 0, 23, []) + b"\x00", r"1 bytes after an empty array"),
        (binary(1, 0, 23, [(0, 1)]) + b"\x00", r"1 bytes after an empty array"),
        (binary(1, 0, 23, [(1, 1)], i4(1)) + b"\x00\x00\x00\x00", r"4 bytes after the last element"),
        (
            binary(1, 0, 23, [(2, 1)], i4(1)) + i4(8) + b"\x00" * 4,
            r"element \[1\] has length 8 but 4 bytes remain",
        ),
        (binary(1, 0, 23, [(2, 1)]) + b"\x00\x00\x00\x09" + b"\x00" * 4, r"element \[0\] has length 9"),
        (binary(1, 0, 23, [(2, 1)]) + b"\xff\xff\xff\xfe" + b"\x00" * 4, r"element \[0\] has length -2"),
        (binary(1, 0, 23, [(2, 1)], i4(1)), r"data ends before element \[1\]"),
        (
            binary(1, 0, 23, [(1, 1)], b"\x00\x01"),
            r"^invalid array element at index \[0\]: invalid int4 value",
        ),
    ],
)
def test_decode_binary_errors(data: bytes, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        INT4_ARRAY.decode(data)


def test_decode_element_error_in_nested_array() -> None:
    data = binary(2, 0, 23, [(2, 1), (1, 1)], i4(1), b"\x00")
    with pytest.raises(ValueError, match=r"^invalid array element at index \[1\]\[0\]: invalid int4 value"):
        INT4_ARRAY.decode(data)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", r"does not start with '\{'"),
        (b"1,2", r"does not start with '\{'"),
        (b"{1,2", r"unexpected end of input"),
        (b"{1,,2}", r"empty element"),
        (b"{,}", r"empty element"),
        (b"{1}x", r"junk after the closing brace"),
        (b"{{1},2}", r"non-homogeneous array: element \[1\] is a scalar"),
        (b"{{1,2},{3}}", r"non-homogeneous array: element \[1\] has 1 items, expected 2"),
        (b"{1{2}}", r"unexpected '\{'"),
        (b'{"ab}', r"unexpected end of input"),
        (b"{a\\", r"after a backslash"),
        (b"{{1} {2}}", r"unexpected '\{' at position 5"),
        (b"[1:3]={1,2}", r"declared dimensions \[3\] do not match \[2\]"),
        (b"[1:2]]={1,2}", r"'=' expected"),
        (b"[1:x]={1}", r"invalid dimension bounds \[1:x\]"),
        (b"[3:1]={1}", r"upper bound below lower bound"),
        (b"[1:1]{1}", r"'=' expected"),
        (b"[1:1", r"unterminated dimension bounds"),
        (b"{1,x}", r"^invalid array element at index \[1\]: invalid literal for int"),
        (b'{{1,"x"}}', r"^invalid array element at index \[0\]\[1\]: invalid literal for int"),
        (b"{1}}", r"junk after the closing brace"),
    ],
)
def test_decode_text_errors(data: bytes, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        INT4_ARRAY_TEXT.decode(data)


# --- round trips -------------------------------------------------------------------------------

INT4_VALUES = st.integers(-(2**31), 2**31 - 1)
# PostgreSQL text cannot hold NUL.
TEXT_VALUES = st.text(
    st.characters(exclude_categories=["Cs"], exclude_characters="\x00"), max_size=8
) | st.sampled_from(["", "NULL", "null", " ", "a,b", "{", "}", '"', "\\", "a b", "\t"])


@st.composite
def arrays(
    draw: st.DrawFn, elements: st.SearchStrategy[Any], max_dims: int = 3
) -> tuple[list[Any], list[Any]]:
    """(value, what it decodes to): a rectangular array with NULLs, ``[]`` when any size is 0."""
    dims = draw(st.lists(st.integers(0, 4), min_size=1, max_size=max_dims))
    count = 1
    for dim in dims:
        count *= dim
    flat = iter(draw(st.lists(elements | st.none(), min_size=count, max_size=count)))
    value = _build(dims, flat)
    return value, value if count else []


def _build(dims: list[int], flat: Iterator[Any]) -> list[Any]:
    if len(dims) == 1:
        return [next(flat) for _ in range(dims[0])]
    return [_build(dims[1:], flat) for _ in range(dims[0])]


@given(arrays(INT4_VALUES))
def test_round_trip_int4(case: tuple[list[Any], list[Any]]) -> None:
    value, expected = case
    for codec in ALL_INT4:
        assert codec.decode(codec.encode(value)) == expected


@given(arrays(TEXT_VALUES))
def test_round_trip_text(case: tuple[list[Any], list[Any]]) -> None:
    value, expected = case
    for codec in ALL_TEXT:
        assert codec.decode(codec.encode(value)) == expected


@given(
    st.lists(
        st.text(st.characters(exclude_categories=["Cs"], exclude_characters='\x00{}"\\;'), min_size=1).map(
            str.strip
        ),
        max_size=5,
    )
)
def test_round_trip_box_delimiter(value: list[str]) -> None:
    assert BOX_ARRAY_TEXT.decode(BOX_ARRAY_TEXT.encode(value)) == value


# --- live --------------------------------------------------------------------------------------

_ARRAY_SQL = {23: "int4[]", 25: "text[]"}


def _echo(session: TypeSession, codec: Codec, value: Any) -> tuple[Any, str | None]:
    assert codec.element is not None
    first, text = session.echo(_ARRAY_SQL[codec.element.oid], codec.encode(value), codec.format)
    assert first is not None
    return codec.decode(first), text


@pytest.mark.parametrize("codec", ALL_INT4)
@pytest.mark.parametrize(
    ("value", "server_text"),
    [
        ([], "{}"),
        ([1, -2, None], "{1,-2,NULL}"),
        ([[1, 2], [3, None]], "{{1,2},{3,NULL}}"),
        ([[[2**31 - 1]], [[-(2**31)]]], "{{{2147483647}},{{-2147483648}}}"),
        ([None], "{NULL}"),
    ],
)
def test_live_echo_int4(type_session: TypeSession, codec: Codec, value: Any, server_text: str) -> None:
    assert _echo(type_session, codec, value) == (value, server_text)


@pytest.mark.parametrize("codec", ALL_TEXT)
def test_live_echo_text_quoting(type_session: TypeSession, codec: Codec) -> None:
    value = ["", "NULL", "null", "a b", "a,b", "{x}", 'q"t', "b\\s", None, "ü", " lead", "trail\n"]
    decoded, text = _echo(type_session, codec, value)
    assert decoded == value
    assert text == '{"","NULL","null","a b","a,b","{x}","q\\"t","b\\\\s",NULL,ü," lead","trail\n"}'
    assert TEXT_ARRAY_TEXT.encode(value).decode() == text


@pytest.mark.parametrize("codec", ALL_INT4)
@pytest.mark.parametrize(
    ("sql", "value"),
    [
        ("'[2:3]={1,2}'::int4[]", [1, 2]),
        ("'[0:1][-1:0]={{1,2},{3,NULL}}'::int4[]", [[1, 2], [3, None]]),
        ("'{}'::int4[]", []),
        ("ARRAY[[1,2,3],[4,5,6]]", [[1, 2, 3], [4, 5, 6]]),
        ("array_fill(7, ARRAY[1,1,1,1,1,2])", [[[[[[7, 7]]]]]]),
    ],
)
def test_live_select_int4(type_session: TypeSession, codec: Codec, sql: str, value: Any) -> None:
    data = type_session.select(sql, codec.format)
    assert data is not None
    assert codec.decode(data) == value


@pytest.mark.parametrize("codec", ALL_TEXT)
def test_live_select_text(type_session: TypeSession, codec: Codec) -> None:
    data = type_session.select(
        "ARRAY['a b', NULL, 'NULL', '', 'x\"y', E'c\\\\d', '{', ',']::text[]", codec.format
    )
    assert data is not None
    assert codec.decode(data) == ["a b", None, "NULL", "", 'x"y', "c\\d", "{", ","]


def test_live_box_array_uses_semicolons(type_session: TypeSession) -> None:
    data = type_session.select("ARRAY[box '((1,2),(3,4))', box '((0,0),(1,1))']", TEXT)
    assert data == b"{(3,4),(1,2);(1,1),(0,0)}"
    assert BOX_ARRAY_TEXT.decode(data) == ["(3,4),(1,2)", "(1,1),(0,0)"]


@LIVE
@given(case=arrays(INT4_VALUES))
def test_live_round_trip_int4(type_session: TypeSession, case: tuple[list[Any], list[Any]]) -> None:
    value, expected = case
    for codec in ALL_INT4:
        decoded, text = _echo(type_session, codec, value)
        assert decoded == expected
        assert text == INT4_ARRAY_TEXT.encode(expected).decode()


@LIVE
@given(case=arrays(TEXT_VALUES))
def test_live_round_trip_text(type_session: TypeSession, case: tuple[list[Any], list[Any]]) -> None:
    value, expected = case
    for codec in ALL_TEXT:
        decoded, text = _echo(type_session, codec, value)
        assert decoded == expected
        assert text == TEXT_ARRAY_TEXT.encode(expected).decode()
