"""ParameterEncoder in process: Bind values and formats, argument counts, and bad arguments.

Every argument is encoded before anything is sent, so a bad one must come back as a
``DataError`` naming its position, the PostgreSQL type and the value (asyncpg's wording for
the count check), chained to the codec's own error; an ``UnsupportedClientFeatureError`` keeps
its class and gains the argument's position.
"""

from __future__ import annotations

import datetime
import math
import os
import struct
import time
from collections.abc import Iterator, Sequence
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pgtypes import BINARY, MAX_ARGUMENTS, TEXT, Codec, ParameterEncoder, TypeInfo, TypeRegistry
from pgwire.exceptions import (
    DataError,
    InterfaceError,
    InternalClientError,
    OutdatedSchemaCacheError,
    PostgresError,
    UnsupportedClientFeatureError,
)

REGISTRY = TypeRegistry.default()


def encoder(*oids: int) -> ParameterEncoder:
    return ParameterEncoder.for_types(REGISTRY, oids)


def encode_error(params: ParameterEncoder, args: Sequence[Any]) -> DataError:
    with pytest.raises(DataError) as caught:
        params.encode(args)
    error = caught.value
    assert isinstance(error, DataError) and error.sqlstate == "22000"
    return error


# -- formats, NULL, order ------------------------------------------------------------------------


def test_formats_codecs_and_repr() -> None:
    params = encoder(23, 25, 790, 1700)
    assert params.formats == (BINARY, BINARY, TEXT, BINARY)  # money has only a text form
    assert [codec.name for codec in params.codecs] == ["int4", "text", "money", "numeric"]
    assert repr(params) == "<ParameterEncoder (int4, text, money, numeric)>"
    assert repr(encoder()) == "<ParameterEncoder ()>"
    assert MAX_ARGUMENTS == 32767  # Bind counts parameters in an Int16


def test_values_in_order_and_none_is_null() -> None:
    params = encoder(23, 25, 16, 20, 790)
    assert params.encode([7, "héllo", True, None, "$1.50"]) == (
        b"\x00\x00\x00\x07",
        "héllo".encode(),
        b"\x01",
        None,
        b"$1.50",
    )
    assert params.encode((None, None, None, None, None)) == (None,) * 5
    assert encoder().encode([]) == ()


_ARGUMENTS: dict[int, st.SearchStrategy[Any]] = {
    21: st.integers(-(2**15), 2**15 - 1),
    23: st.integers(-(2**31), 2**31 - 1),
    20: st.integers(-(2**63), 2**63 - 1),
    701: st.floats(),
    16: st.booleans(),
    25: st.text(st.characters(exclude_categories=["Cs"], exclude_characters="\x00")),
    17: st.binary(),
    1700: st.decimals(min_value=Decimal("-1e30"), max_value=Decimal("1e30"), allow_nan=False, places=None)
    | st.sampled_from([Decimal("NaN"), Decimal("Infinity"), Decimal("-Infinity")]),
    1082: st.dates(),
}


@st.composite
def arguments(draw: st.DrawFn) -> tuple[list[int], list[Any]]:
    oids = draw(st.lists(st.sampled_from(list(_ARGUMENTS)), max_size=10))
    return oids, [draw(st.none() | _ARGUMENTS[oid]) for oid in oids]


@given(arguments())
def test_encode_matches_each_codec_on_its_own(case: tuple[list[int], list[Any]]) -> None:
    oids, args = case
    params = encoder(*oids)
    expected = tuple(
        None if value is None else REGISTRY.parameter_codec(oid).encode(value)
        for oid, value in zip(oids, args, strict=True)
    )
    assert params.encode(args) == expected


@given(arguments().flatmap(lambda case: st.tuples(st.just(case[0]), st.lists(st.just(case[1]), max_size=3))))
def test_encode_many_matches_encode_per_sequence(case: tuple[list[int], list[list[Any]]]) -> None:
    oids, arg_sets = case
    params = encoder(*oids)
    assert params.encode_many(arg_sets) == [params.encode(args) for args in arg_sets]


@pytest.mark.parametrize("count", [1, 32, 33, 40])
def test_encode_many_for_every_parameter_count(count: int) -> None:
    # Up to 32 parameters the loop is written out for the count, beyond it is encode()'s.
    params = encoder(*[23] * count)
    arg_sets = [[None if i == row else i + row for i in range(count)] for row in range(3)]
    assert params.encode_many(arg_sets) == [params.encode(args) for args in arg_sets]


def test_encode_many_raises_what_encode_raises_for_the_first_bad_sequence() -> None:
    params = encoder(23, 25)
    # An iterator of argument sets too: nothing is lost to the first pass.
    assert params.encode_many(iter([(1, "a"), (2, None)])) == [
        params.encode((1, "a")),
        params.encode((2, None)),
    ]
    with pytest.raises(DataError, match=r"query argument \$2 \(text\): 7"):
        params.encode_many(iter([(1, "a"), (2, 7), (3, None)]))
    with pytest.raises(DataError, match=r"invalid input for query argument \$2 \(text\): 7"):
        params.encode_many([(1, "a"), (2, 7), (3, None)])
    with pytest.raises(InterfaceError, match="the server expects 2 arguments for this query, 1 was passed"):
        params.encode_many([(1, "a"), (2,)])


# -- argument counts -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("oids", "args", "message"),
    [
        ([23], [1, 2], "the server expects 1 argument for this query, 2 were passed"),
        ([23, 23], [1], "the server expects 2 arguments for this query, 1 was passed"),
        ([], [1], "the server expects 0 arguments for this query, 1 was passed"),
        ([], [1, 2], "the server expects 0 arguments for this query, 2 were passed"),
        ([23], [], "the server expects 1 argument for this query, 0 were passed"),
        ([23, 23], [], "the server expects 2 arguments for this query, 0 were passed"),
    ],
)
def test_argument_count_errors(oids: list[int], args: list[Any], message: str) -> None:
    with pytest.raises(InterfaceError) as caught:
        encoder(*oids).encode(args)
    assert type(caught.value) is InterfaceError
    assert str(caught.value) == message


def test_unknown_types_are_refused_when_building() -> None:
    with pytest.raises(
        InternalClientError, match=r"^no type information for OID 99999: introspect it before use$"
    ):
        encoder(23, 99999)


# -- bad values ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("oids", "args", "message", "cause"),
    [
        (
            [23],
            [2**31],
            "invalid input for query argument $1 (int4): 2147483648 "
            "(value out of int4 range (-2147483648..2147483647): 2147483648)",
            OverflowError,
        ),
        (
            [25, 21],
            ["a", -40000],
            "invalid input for query argument $2 (int2): -40000 "
            "(value out of int2 range (-32768..32767): -40000)",
            OverflowError,
        ),
        (
            [20, 20],
            [None, -(2**63) - 1],
            "invalid input for query argument $2 (int8): -9223372036854775809 "
            "(value out of int8 range (-9223372036854775808..9223372036854775807): -9223372036854775809)",
            OverflowError,
        ),
        (
            [25],
            ["a\x00b"],
            "invalid input for query argument $1 (text): 'a\\x00b' "
            "(PostgreSQL text cannot contain NUL (\\x00) characters: found at index 1)",
            ValueError,
        ),
        (
            [23],
            ["1"],
            "invalid input for query argument $1 (int4): '1' (expected int, got str)",
            TypeError,
        ),
        (
            [23],
            [1.5],
            "invalid input for query argument $1 (int4): 1.5 "
            "(expected an integer, got float 1.5 with a fractional part)",
            ValueError,
        ),
        (
            [23],
            [math.nan],
            "invalid input for query argument $1 (int4): nan (expected an integer, got float nan)",
            ValueError,
        ),
        (
            [1114],
            [datetime.datetime(2020, 1, 1, tzinfo=datetime.UTC)],
            "invalid input for query argument $1 (timestamp): "
            "datetime.datetime(2020, 1, 1, 0, 0, tzinfo=datetime.timezone.utc) "
            "(expected a naive datetime for timestamp, got an aware one)",
            ValueError,
        ),
    ],
)
def test_bad_values_raise_data_error(
    oids: list[int], args: list[Any], message: str, cause: type[Exception]
) -> None:
    error = encode_error(encoder(*oids), args)
    assert str(error) == message
    assert type(error.__cause__) is cause
    assert str(error.__cause__) in message


def test_the_first_bad_argument_is_named() -> None:
    error = encode_error(encoder(23, 23, 25), [None, "x", "a\x00"])
    assert str(error).startswith("invalid input for query argument $2 (int4): 'x' ")


def test_types_outside_pg_catalog_are_named_with_their_schema() -> None:
    registry = REGISTRY.copy()
    registry.add_types([TypeInfo(50003, "posint", "public", "domain", base_oid=23)])
    error = encode_error(ParameterEncoder.for_types(registry, [23, 50003]), [1, "two"])
    assert str(error) == "invalid input for query argument $2 (public.posint): 'two' (expected int, got str)"


@pytest.mark.parametrize(("size", "shown"), [(78, "'" + "x" * 78 + "'"), (79, "'" + "x" * 76 + "...")])
def test_long_reprs_are_cut(size: int, shown: str) -> None:
    error = encode_error(encoder(23), ["x" * size])
    assert str(error) == f"invalid input for query argument $1 (int4): {shown} (expected int, got str)"


def test_an_anonymous_record_keeps_its_error_class_with_the_position() -> None:
    params = encoder(23, 2249)
    with pytest.raises(UnsupportedClientFeatureError) as caught:
        params.encode([1, (1, "a")])
    error = caught.value
    assert type(error) is UnsupportedClientFeatureError
    assert error.args[0] == "query argument $2: input of anonymous composite types is not supported"
    assert error.hint is not None and "named composite type" in error.hint
    assert type(error.__cause__) is UnsupportedClientFeatureError
    assert error.__cause__.args[0] == "input of anonymous composite types is not supported"


def custom(encode: Any, name: str = "mood") -> Codec:
    return Codec(50001, name, TEXT, encode, lambda data: data, schema="public")


def test_server_style_errors_from_a_codec_pass_through() -> None:
    def refuse(value: object) -> bytes:
        raise PostgresError.new({"S": "ERROR", "C": "22P02", "M": f"no mood {value!r}"})

    def outdated(value: object) -> bytes:
        raise OutdatedSchemaCacheError("type public.mood changed", schema="public", data_type="mood")

    with pytest.raises(PostgresError) as refused:
        ParameterEncoder([custom(refuse)]).encode(["sad"])
    assert refused.value.sqlstate == "22P02" and str(refused.value) == "no mood 'sad'"
    with pytest.raises(OutdatedSchemaCacheError, match=r"^type public\.mood changed$") as stale:
        ParameterEncoder([custom(outdated)]).encode(["sad"])
    assert stale.value.data_type_name == "mood"


def test_a_codec_that_fails_only_once_is_still_reported() -> None:
    calls: list[object] = []

    def flaky(value: object) -> bytes:
        calls.append(value)
        if len(calls) == 1:
            raise ValueError("first call fails")
        return b"ok"

    error = encode_error(ParameterEncoder([custom(flaky)]), ["happy"])
    assert str(error) == "invalid input for query arguments: first call fails"
    assert isinstance(error.__cause__, ValueError)


# -- the outcome of values at the edges of their types ----------------------------------------------

NUMERIC_NAN = b"\x00\x00\x00\x00\xc0\x00\x00\x00"
NUMERIC_PLUS_INFINITY = b"\x00\x00\x00\x00\xd0\x00\x00\x00"
NUMERIC_MINUS_INFINITY = b"\x00\x00\x00\x00\xf0\x00\x00\x00"


@pytest.mark.parametrize(
    ("value", "wire", "decoded"),
    [
        (Decimal("NaN"), NUMERIC_NAN, "NaN"),
        (Decimal("sNaN"), NUMERIC_NAN, "NaN"),
        (Decimal("-NaN"), NUMERIC_NAN, "NaN"),
        (math.nan, NUMERIC_NAN, "NaN"),
        (math.inf, NUMERIC_PLUS_INFINITY, "Infinity"),
        (-math.inf, NUMERIC_MINUS_INFINITY, "-Infinity"),
        (Decimal("-Infinity"), NUMERIC_MINUS_INFINITY, "-Infinity"),
    ],
)
def test_non_finite_numerics_encode(value: Any, wire: bytes, decoded: str) -> None:
    assert encoder(1700).encode([value]) == (wire,)
    assert str(REGISTRY.result_codec(1700).decode(wire)) == decoded


def test_numerics_beyond_postgresql_range_raise_data_error() -> None:
    error = encode_error(encoder(1700), [Decimal("1E+200000")])
    assert str(error) == (
        "invalid input for query argument $1 (numeric): Decimal('1E+200000') "
        "(value out of numeric range: at most 131072 digits before the decimal point, got 200001)"
    )
    assert type(error.__cause__) is OverflowError
    assert encoder(1700).encode([Decimal("1E+131071")])[0] is not None


def test_whole_floats_are_accepted_for_integers() -> None:
    assert encoder(23, 21, 20).encode([2.0, -3.0, 1e18]) == (
        struct.pack("!i", 2),
        struct.pack("!h", -3),
        struct.pack("!q", 10**18),
    )
    assert str(encode_error(encoder(21), [40000.0])).startswith(
        "invalid input for query argument $1 (int2): 40000.0"
    )


@pytest.fixture
def kolkata_time() -> Iterator[None]:
    """The process's local time zone set to UTC+05:30 for one test, then restored."""
    if not hasattr(time, "tzset"):
        pytest.skip("time.tzset() is not available on this platform")
    saved = os.environ.get("TZ")
    os.environ["TZ"] = "Asia/Kolkata"
    time.tzset()
    try:
        yield
    finally:
        if saved is None:
            del os.environ["TZ"]
        else:
            os.environ["TZ"] = saved
        time.tzset()


def test_timestamp_and_timestamptz_with_naive_and_aware_datetimes(kolkata_time: None) -> None:
    naive = datetime.datetime(2024, 5, 1, 12, 30)
    utc = naive.replace(tzinfo=datetime.UTC)
    india = naive.replace(tzinfo=datetime.timezone(datetime.timedelta(hours=5, minutes=30)))
    (timestamp,) = encoder(1114).encode([naive])
    assert timestamp == REGISTRY.parameter_codec(1114).encode(naive)
    assert REGISTRY.result_codec(1114).decode(timestamp) == naive
    # timestamptz: an aware value is its own instant; a naive one is this process's local time.
    tz = REGISTRY.result_codec(1184)
    aware_utc, aware_india, naive_local = encoder(1184, 1184, 1184).encode([utc, india, naive])
    assert aware_utc is not None and tz.decode(aware_utc) == utc
    assert aware_india is not None and tz.decode(aware_india) == utc - datetime.timedelta(hours=5, minutes=30)
    assert naive_local == aware_india != aware_utc
    # timestamp refuses the aware one (see test_bad_values_raise_data_error), naming it.
    assert "(timestamp): datetime.datetime(2024, 5, 1, 12, 30, tzinfo=datetime.timezone(" in str(
        encode_error(encoder(1114), [india])
    )
