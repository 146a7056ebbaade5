"""Composite codecs: record_send bytes, sequence and mapping input, the schema-change check, the
anonymous ``record`` codec, and round trips through the server with user-defined types.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pgtypes._codec import BINARY, TEXT, Codec
from pgtypes._composite import (
    RECORD_OID,
    TEXT_COMPOSITE_UNSUPPORTED,
    anonymous_record_codec,
    binary_composite_codec,
)
from pgtypes._range import TEXT_RANGE_UNSUPPORTED
from pgtypes._record import Record, record_maker
from pgwire.exceptions import OutdatedSchemaCacheError, UnsupportedClientFeatureError
from tests.pgtypes.live import TypeSession
from tests.pgtypes.strategies_range import INT4, INT4_MAX, INT4_MIN, INT8, TEXT_CODEC, int_text

SCHEMA = "test_composite"
LIVE = settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])

PAIR = binary_composite_codec(
    90001, "pair", "public", [("a", INT4), ("b", TEXT_CODEC)], record_maker(["a", "b"])
)
PAIR_TUPLE = binary_composite_codec(90001, "pair", "public", [("a", INT4), ("b", TEXT_CODEC)], tuple)


def attribute(oid: int, data: bytes | None) -> bytes:
    """One attribute as record_send writes it: type OID, length (-1 for NULL), bytes."""
    if data is None:
        return struct.pack("!Ii", oid, -1)
    return struct.pack("!Ii", oid, len(data)) + data


PAIR_1_X = struct.pack("!i", 2) + attribute(23, b"\x00\x00\x00\x01") + attribute(25, b"x")


# --- codec identity ---------------------------------------------------------------------------


def test_codec_identity() -> None:
    assert (PAIR.oid, PAIR.name, PAIR.schema, PAIR.format, PAIR.kind) == (
        90001,
        "pair",
        "public",
        BINARY,
        "composite",
    )
    assert PAIR.element is None and PAIR.fixed == ""


def test_attribute_codecs_must_be_binary() -> None:
    text_int4 = Codec(23, "int4", TEXT, str.encode, bytes.decode)
    with pytest.raises(ValueError, match=r"attribute 'a' of composite type public\.t must be binary"):
        binary_composite_codec(1, "t", "public", [("a", text_int4)], tuple)


def test_unsupported_messages() -> None:
    assert TEXT_COMPOSITE_UNSUPPORTED == "text encoding of composite types is not supported"
    assert TEXT_RANGE_UNSUPPORTED == "text encoding of range types is not supported"


# --- golden bytes -----------------------------------------------------------------------------


def test_golden_bytes() -> None:
    assert PAIR.encode((1, "x")) == PAIR_1_X
    assert PAIR.encode([1, "x"]) == PAIR_1_X
    assert PAIR.encode({"a": 1, "b": "x"}) == PAIR_1_X
    record = PAIR.decode(PAIR_1_X)
    assert isinstance(record, Record)
    assert tuple(record) == (1, "x")
    assert record["a"] == 1 and record["b"] == "x"
    assert PAIR_TUPLE.decode(PAIR_1_X) == (1, "x")
    assert type(PAIR_TUPLE.decode(PAIR_1_X)) is tuple


def test_nulls() -> None:
    data = struct.pack("!i", 2) + attribute(23, None) + attribute(25, None)
    assert PAIR.encode((None, None)) == data
    assert PAIR.encode({}) == data  # missing keys are NULL
    assert PAIR_TUPLE.decode(data) == (None, None)
    partial = struct.pack("!i", 2) + attribute(23, None) + attribute(25, b"")
    assert PAIR.encode({"b": ""}) == partial
    assert PAIR_TUPLE.decode(partial) == (None, "")


def test_a_record_encodes_again() -> None:
    assert PAIR.encode(PAIR.decode(PAIR_1_X)) == PAIR_1_X


def test_no_attributes() -> None:
    empty = binary_composite_codec(5, "nothing", "public", [], tuple)
    assert empty.encode(()) == b"\x00\x00\x00\x00"
    assert empty.decode(b"\x00\x00\x00\x00") == ()


def test_large_type_oids_are_unsigned() -> None:
    big = Codec(4_000_000_000, "mytype", BINARY, INT4.encode, INT4.decode)
    codec = binary_composite_codec(6, "t", "public", [("v", big)], tuple)
    data = codec.encode((5,))
    assert data == struct.pack("!iIi", 1, 4_000_000_000, 4) + b"\x00\x00\x00\x05"
    assert codec.decode(data) == (5,)
    assert codec.encode((None,)) == struct.pack("!iIi", 1, 4_000_000_000, -1)


def test_nested_composite_golden_bytes() -> None:
    outer = binary_composite_codec(90002, "outer", "public", [("p", PAIR), ("n", INT8)], tuple)
    data = outer.encode(((1, "x"), 7))
    assert data == struct.pack("!i", 2) + attribute(90001, PAIR_1_X) + attribute(20, struct.pack("!q", 7))
    assert outer.decode(data) == ((1, "x"), 7)


# --- bad Python values ------------------------------------------------------------------------


def test_unknown_mapping_key() -> None:
    with pytest.raises(ValueError, match=r"^'bad' is not a valid element of composite type public\.pair$"):
        PAIR.encode({"a": 1, "bad": 2})


def test_sequence_of_the_wrong_length() -> None:
    with pytest.raises(ValueError, match=r"^composite type public\.pair has 2 attributes, got 1 values$"):
        PAIR.encode((1,))
    with pytest.raises(ValueError, match=r"^composite type public\.pair has 2 attributes, got 3 values$"):
        PAIR.encode([1, "x", 3])


@pytest.mark.parametrize(
    ("value", "type_name"), [(1, "int"), ("ab", "str"), (b"ab", "bytes"), ({1, 2}, "set")]
)
def test_other_types(value: object, type_name: str) -> None:
    with pytest.raises(
        TypeError,
        match=rf"^expected a sequence or a mapping for composite type public\.pair, got {type_name}$",
    ):
        PAIR.encode(value)


def test_attribute_errors_keep_their_type_and_name_the_attribute() -> None:
    with pytest.raises(TypeError, match=r'^attribute "a": expected int, got str$'):
        PAIR.encode(("1", "x"))
    with pytest.raises(OverflowError, match=r'^attribute "a": value out of int4 range: 2147483648$'):
        PAIR.encode({"a": 2**31})
    with pytest.raises(TypeError, match=r'^attribute "b": expected str, got int$'):
        PAIR.encode((1, 2))


# --- malformed data and schema changes --------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"\x00\x00", "invalid public.pair value: expected at least 4 bytes, got 2"),
        (struct.pack("!i", 2) + b"\x00\x00\x00\x17", "invalid public.pair value: attribute 1 is cut off"),
        (
            struct.pack("!i", 2) + struct.pack("!Ii", 23, 4) + b"\x00",
            "invalid public.pair value: attribute 1 needs 4 bytes, 1 left",
        ),
        (PAIR_1_X + b"\x00", "invalid public.pair value: 1 bytes of trailing data"),
        (
            struct.pack("!i", 2) + attribute(23, b"\x00") + attribute(25, b""),
            'attribute "a": invalid int4 value: expected 4 bytes, got 1',
        ),
    ],
)
def test_malformed_data(data: bytes, message: str) -> None:
    with pytest.raises(ValueError) as info:
        PAIR.decode(data)
    assert str(info.value) == message


def test_attribute_count_change_is_an_outdated_cache() -> None:
    data = (
        struct.pack("!i", 3) + attribute(23, b"\x00\x00\x00\x01") + attribute(25, b"x") + attribute(23, None)
    )
    with pytest.raises(OutdatedSchemaCacheError) as info:
        PAIR.decode(data)
    assert str(info.value) == (
        "type public.pair has changed: the server sent 3 attributes, the cached type information has 2"
    )
    assert (info.value.schema_name, info.value.data_type_name) == ("public", "pair")


def test_attribute_type_change_is_an_outdated_cache() -> None:
    data = struct.pack("!i", 2) + attribute(23, b"\x00\x00\x00\x01") + attribute(20, struct.pack("!q", 1))
    codec = binary_composite_codec(7, "t", "s", [("a", INT4), ("b", INT4)], tuple)
    with pytest.raises(OutdatedSchemaCacheError) as info:
        codec.decode(data)
    assert (
        str(info.value)
        == "type s.t has changed: attribute 2 is int8 on the server, int4 in the cached type information"
    )
    assert (info.value.schema_name, info.value.data_type_name, info.value.position) == ("s", "t", "2")


def test_nested_outdated_composite_reaches_the_caller_intact() -> None:
    stale_inner = binary_composite_codec(90001, "pair", "public", [("a", INT4), ("b", INT4)], tuple)
    outer = binary_composite_codec(90002, "outer", "public", [("p", stale_inner)], tuple)
    data = struct.pack("!i", 1) + attribute(90001, PAIR_1_X)
    with pytest.raises(OutdatedSchemaCacheError) as info:
        outer.decode(data)
    assert str(info.value) == (
        "type public.pair has changed: attribute 2 is text on the server, int4 in the cached type information"
    )
    assert info.value.data_type_name == "pair"


def test_unknown_server_type_is_named_by_oid() -> None:
    data = struct.pack("!i", 1) + attribute(123456, None)
    codec = binary_composite_codec(7, "t", "s", [("a", INT4)], tuple)
    with pytest.raises(
        OutdatedSchemaCacheError, match="attribute 1 is type OID 123456 on the server, int4 in"
    ):
        codec.decode(data)


# --- round trips ------------------------------------------------------------------------------

_pair_values = st.tuples(
    st.one_of(st.none(), st.integers(INT4_MIN, INT4_MAX)), st.one_of(st.none(), int_text)
)


@given(_pair_values)
def test_round_trip(value: tuple[int | None, str | None]) -> None:
    assert PAIR_TUPLE.decode(PAIR.encode(value)) == value
    mapping = {name: item for name, item in zip("ab", value, strict=True) if item is not None}
    assert PAIR_TUPLE.decode(PAIR.encode(mapping)) == value


# --- anonymous records ------------------------------------------------------------------------

# ``unknown`` (705): a bare literal inside a top-level ROW(...) keeps that type, and its binary
# form (unknownsend) is the literal's text.
_KNOWN = {
    23: INT4,
    25: TEXT_CODEC,
    20: INT8,
    705: TEXT_CODEC.renamed(705, "unknown", "pg_catalog"),
    700: Codec(700, "float4", TEXT, str.encode, bytes.decode),
}
RECORD = anonymous_record_codec(_KNOWN.get)


def test_record_codec_identity() -> None:
    assert (RECORD.oid, RECORD.name, RECORD.schema, RECORD.format, RECORD.kind) == (
        RECORD_OID,
        "record",
        "pg_catalog",
        BINARY,
        "composite",
    )
    assert RECORD_OID == 2249


def test_record_decode() -> None:
    data = (
        struct.pack("!i", 3)
        + attribute(23, b"\x00\x00\x00\x01")
        + attribute(25, b"a")
        + attribute(9999, None)
    )
    value = RECORD.decode(data)
    assert value == (1, "a", None)
    assert type(value) is tuple
    assert RECORD.decode(b"\x00\x00\x00\x00") == ()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"\x00", "invalid record value: expected at least 4 bytes, got 1"),
        (struct.pack("!i", -1), "invalid record value: negative field count -1"),
        (struct.pack("!i", 1), "invalid record value: field 1 is cut off"),
        (struct.pack("!iIi", 1, 23, 4), "invalid record value: field 1 needs 4 bytes, 0 left"),
        (struct.pack("!i", 0) + b"\x00", "invalid record value: 1 bytes of trailing data"),
        (
            struct.pack("!i", 1) + attribute(9999, b"\x00"),
            "cannot decode field 1 of a record: no binary codec for type OID 9999",
        ),
        # A text codec is no use for binary data.
        (
            struct.pack("!i", 1) + attribute(700, b"\x00\x00\x00\x00"),
            "cannot decode field 1 of a record: no binary codec for float4",
        ),
        (
            struct.pack("!i", 1) + attribute(23, b"\x00"),
            "record field 1: invalid int4 value: expected 4 bytes, got 1",
        ),
    ],
)
def test_record_malformed(data: bytes, message: str) -> None:
    with pytest.raises(ValueError) as info:
        RECORD.decode(data)
    assert str(info.value) == message


def test_record_input_is_unsupported() -> None:
    with pytest.raises(UnsupportedClientFeatureError) as info:
        RECORD.encode((1, "a"))
    assert info.value.args[0] == "input of anonymous composite types is not supported"
    assert info.value.hint


# --- through the server -----------------------------------------------------------------------


class LiveTypes:
    """The test schema's types and codecs built from their OIDs on the server."""

    def __init__(self, session: TypeSession) -> None:
        self.pair_oid = session.type_oid(f"{SCHEMA}.pair")
        self.pair = binary_composite_codec(
            self.pair_oid, "pair", SCHEMA, [("a", INT4), ("b", TEXT_CODEC)], record_maker(["a", "b"])
        )
        self.outer_oid = session.type_oid(f"{SCHEMA}.outer")
        self.outer = binary_composite_codec(
            self.outer_oid, "outer", SCHEMA, [("p", self.pair), ("n", INT8)], record_maker(["p", "n"])
        )


@pytest.fixture(scope="module")
def live_types(type_session: TypeSession) -> Iterator[LiveTypes]:
    type_session.execute(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE")
    type_session.execute(f"CREATE SCHEMA {SCHEMA}")
    type_session.execute(f"CREATE TYPE {SCHEMA}.pair AS (a int4, b text)")
    type_session.execute(f"CREATE TYPE {SCHEMA}.outer AS (p {SCHEMA}.pair, n int8)")
    yield LiveTypes(type_session)
    type_session.execute(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE")


@pytest.mark.parametrize(
    ("value", "expected", "text"),
    [
        ((1, "x"), (1, "x"), "(1,x)"),
        ({"a": 1, "b": "x"}, (1, "x"), "(1,x)"),
        ((None, None), (None, None), "(,)"),
        ({"b": "with space"}, (None, "with space"), '(,"with space")'),
        ((-(2**31), ""), (-(2**31), ""), '(-2147483648,"")'),
    ],
)
def test_pair_echo(
    type_session: TypeSession, live_types: LiveTypes, value: Any, expected: tuple[Any, ...], text: str
) -> None:
    data, server_text = type_session.echo(f"{SCHEMA}.pair", live_types.pair.encode(value), BINARY)
    assert data is not None
    decoded = live_types.pair.decode(data)
    assert isinstance(decoded, Record)
    assert decoded == expected
    assert server_text == text


def test_nested_echo(type_session: TypeSession, live_types: LiveTypes) -> None:
    data, text = type_session.echo(f"{SCHEMA}.outer", live_types.outer.encode(((1, "a"), 2)), BINARY)
    assert data is not None
    decoded = live_types.outer.decode(data)
    assert decoded == ((1, "a"), 2)
    assert isinstance(decoded, Record) and isinstance(decoded["p"], Record)
    assert decoded["p"]["b"] == "a"
    assert text == '("(1,a)",2)'
    data, text = type_session.echo(f"{SCHEMA}.outer", live_types.outer.encode({"n": 5}), BINARY)
    assert data is not None
    assert live_types.outer.decode(data) == (None, 5)
    assert text == "(,5)"


def test_composite_from_server(type_session: TypeSession, live_types: LiveTypes) -> None:
    data = type_session.select(f"ROW(ROW(7, 'q')::{SCHEMA}.pair, NULL)::{SCHEMA}.outer", BINARY)
    assert data is not None
    assert live_types.outer.decode(data) == ((7, "q"), None)


@LIVE
@given(value=_pair_values)
def test_pair_echo_property(type_session: TypeSession, live_types: LiveTypes, value: tuple[Any, ...]) -> None:
    data, _ = type_session.echo(f"{SCHEMA}.pair", live_types.pair.encode(value), BINARY)
    assert data is not None
    assert live_types.pair.decode(data) == value


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("ROW(1, 'a')", (1, "a")),
        ("ROW(1, 'a'::text, NULL::int4, 9::int8)", (1, "a", None, 9)),
        ("ROW()", ()),
    ],
)
def test_anonymous_record_from_server(
    type_session: TypeSession, expression: str, expected: tuple[Any, ...]
) -> None:
    data = type_session.select(expression, BINARY)
    assert data is not None
    assert RECORD.decode(data) == expected


def test_anonymous_record_with_a_named_composite_field(
    type_session: TypeSession, live_types: LiveTypes
) -> None:
    known = {**_KNOWN, live_types.pair_oid: live_types.pair}
    record = anonymous_record_codec(known.get)
    data = type_session.select(f"ROW(ROW(3, 'z')::{SCHEMA}.pair, 4)", BINARY)
    assert data is not None
    assert record.decode(data) == ((3, "z"), 4)


def test_altered_type_gives_outdated_schema_cache(type_session: TypeSession, live_types: LiveTypes) -> None:
    type_session.execute(f"DROP TYPE IF EXISTS {SCHEMA}.changing")
    type_session.execute(f"CREATE TYPE {SCHEMA}.changing AS (a int4, b int4)")
    oid = type_session.type_oid(f"{SCHEMA}.changing")
    cached = binary_composite_codec(oid, "changing", SCHEMA, [("a", INT4), ("b", INT4)], tuple)
    data = type_session.select(f"ROW(1, 2)::{SCHEMA}.changing", BINARY)
    assert data is not None
    assert cached.decode(data) == (1, 2)

    type_session.execute(f"ALTER TYPE {SCHEMA}.changing ALTER ATTRIBUTE b TYPE int8")
    data = type_session.select(f"ROW(1, 2)::{SCHEMA}.changing", BINARY)
    assert data is not None
    with pytest.raises(OutdatedSchemaCacheError) as info:
        cached.decode(data)
    assert str(info.value) == (
        f"type {SCHEMA}.changing has changed: "
        "attribute 2 is int8 on the server, int4 in the cached type information"
    )

    type_session.execute(f"ALTER TYPE {SCHEMA}.changing ADD ATTRIBUTE c text")
    data = type_session.select(f"ROW(1, 2, 'c')::{SCHEMA}.changing", BINARY)
    assert data is not None
    with pytest.raises(
        OutdatedSchemaCacheError, match="the server sent 3 attributes, the cached type information has 2"
    ):
        cached.decode(data)

    # A dropped attribute is not sent at all (record_send skips dropped columns).
    type_session.execute(f"ALTER TYPE {SCHEMA}.changing DROP ATTRIBUTE b")
    data = type_session.select(f"ROW(1, 'c')::{SCHEMA}.changing", BINARY)
    assert data is not None
    current = binary_composite_codec(oid, "changing", SCHEMA, [("a", INT4), ("c", TEXT_CODEC)], tuple)
    assert current.decode(data) == (1, "c")
