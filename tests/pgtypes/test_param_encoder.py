"""ParameterEncoder in process: Bind values and formats, argument counts, and bad arguments.

Every argument is encoded before anything is sent, so a bad one must come back as a
``DataError`` in asyncpg's words (``invalid input for query argument $N: <repr> (<error>)``)
followed by the PostgreSQL type, chained to the codec's own error; an
``UnsupportedClientFeatureError`` keeps its class and gains the argument's position. In
``executemany`` the element is named too, counted from 0 (or from ``first_index``).
"""

from __future__ import annotations

import datetime
import math
import os
import struct
import time
from collections.abc import Callable, Iterator, Sequence
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pgasync.cluster import Cluster
from pgtypes import BINARY, MAX_ARGUMENTS, TEXT, Codec, ParameterEncoder, TypeInfo, TypeRegistry
from pgwire.blocking import BlockingConnection
from pgwire.exceptions import (
    DataError,
    InterfaceError,
    InternalClientError,
    OutdatedSchemaCacheError,
    PostgresError,
    UnsupportedClientFeatureError,
)
from tests.pgtypes.live import TypeSession
from tests.pgtypes.rows import fails_once

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


def many_error(params: ParameterEncoder, arg_sets: Any, **kwargs: int) -> Exception:
    with pytest.raises((DataError, InterfaceError)) as caught:
        params.encode_many(arg_sets, **kwargs)
    return caught.value


# Two parameters take the written-out loop, 33 the checked one: both must word errors alike.
@pytest.mark.parametrize("width", [2, 33])
def test_encode_many_names_the_element_that_fails(width: int) -> None:
    params = encoder(*[23] * (width - 1), 25)
    good = [1] * (width - 1)
    # An iterator of argument sets too: nothing is lost to the first pass.
    assert params.encode_many(iter([(*good, "a"), (*good, None)])) == [
        params.encode((*good, "a")),
        params.encode((*good, None)),
    ]
    for arg_sets in ([(*good, "a"), (*good, 7), (*good, None)], iter([(*good, "a"), (*good, 7)])):
        error = many_error(params, arg_sets)
        assert type(error) is DataError and error.sqlstate == "22000"
        assert str(error) == (
            f"invalid input for query argument ${width} in element #1 of executemany() sequence: 7 "
            "(expected str, got int); parameter type: text"
        )
        assert type(error.__cause__) is TypeError and str(error.__cause__) == "expected str, got int"
    error = many_error(params, [(*good, "a"), (*good, "b", "c")])
    assert type(error) is InterfaceError
    assert str(error) == (
        f"the server expects {width} arguments for this query, {width + 1} were passed "
        "(in element #1 of executemany() sequence)"
    )


@pytest.mark.parametrize("width", [2, 33])
def test_encode_many_counts_elements_from_first_index(width: int) -> None:
    params = encoder(*[23] * width)
    arg_sets: list[list[Any]] = [[1] * width, [1] * (width - 1) + ["x"]]
    error = many_error(params, arg_sets, first_index=500)
    assert str(error).startswith(
        f"invalid input for query argument ${width} in element #501 of executemany()"
    )
    assert "(in element #500 of" in str(many_error(params, [[1]], first_index=500))
    assert params.encode_many(arg_sets[:1], first_index=7) == [params.encode(arg_sets[0])]


class Row:
    """A sequence that is neither a list nor a tuple (as a numpy row is): indexable and sized."""

    def __init__(self, *values: object) -> None:
        self.values = values

    def __len__(self) -> int:
        return len(self.values)

    def __getitem__(self, index: int) -> object:
        return self.values[index]


@pytest.mark.parametrize("width", [2, 33])
@pytest.mark.parametrize(
    ("element", "kind"),
    [
        # A mapping of the right size would unpack into its keys: refused, not sent as "k0", "k1"...
        (lambda width: {f"k{i}": "v" for i in range(width)}, "dict"),
        (lambda width: {f"k{i}" for i in range(width)}, "set"),
        (lambda width: (f"k{i}" for i in range(width)), "generator"),
        (lambda width: iter([f"k{i}" for i in range(width)]), "list_iterator"),
        (lambda width: 5, "int"),
        (lambda width: None, "NoneType"),
    ],
)
def test_encode_many_refuses_elements_that_are_not_sequences(
    width: int, element: Callable[[int], object], kind: str
) -> None:
    params = encoder(*[25] * width)
    good = ["v"] * width
    error = many_error(params, [good, good, element(width)], first_index=10)
    assert type(error) is DataError and error.sqlstate == "22000"
    assert str(error) == (
        f"invalid input in executemany() argument sequence element #12: expected a sequence, got {kind}"
    )


def test_encode_many_takes_any_sequence_for_an_element() -> None:
    for width in (2, 33):
        params = encoder(*[25] * width)
        values = [f"v{i}" for i in range(width)]
        expected = [params.encode(values)] * 2
        row: Any = Row(*values)  # not a Sequence to mypy either
        assert params.encode_many([row, tuple(values)]) == expected
        assert params.encode_many([row, row]) == expected
    # A str is a sequence (of its characters), as in asyncpg.
    assert encoder(25, 25).encode_many(["ab"]) == [(b"a", b"b")]


def test_encode_many_keeps_a_codecs_interface_error_class() -> None:
    for width in (2, 33):
        params = encoder(*[23] * (width - 1), 2249)
        good = [1] * (width - 1)
        with pytest.raises(UnsupportedClientFeatureError) as caught:
            params.encode_many([(*good, None), (*good, (1, "a"))])
        assert caught.value.args[0] == (
            f"query argument ${width} in element #1 of executemany() sequence: "
            "input of anonymous composite types is not supported"
        )


# -- argument counts -------------------------------------------------------------------------------


def test_more_than_32767_arguments_are_refused_first() -> None:
    message = "the number of query arguments cannot exceed 32767"
    with pytest.raises(InterfaceError) as caught:
        encoder(23).encode([1] * 32768)
    assert type(caught.value) is InterfaceError and str(caught.value) == message
    # A statement may declare up to 65535 parameters; more than 32767 of them cannot be sent,
    # even with one argument for each and bad values among them.
    wide = ParameterEncoder([REGISTRY.parameter_codec(23)] * 40000)
    for args in ([1] * 40000, ["x"] * 40000):
        with pytest.raises(InterfaceError) as caught:
            wide.encode(args)
        assert type(caught.value) is InterfaceError and str(caught.value) == message
    assert str(many_error(wide, [[1] * 40000])) == f"{message} (in element #0 of executemany() sequence)"
    with pytest.raises(
        InterfaceError, match=r"^the server expects 40000 arguments for this query, 3 were passed$"
    ):
        wide.encode([1, 2, 3])
    assert len(ParameterEncoder([REGISTRY.parameter_codec(23)] * 32767).encode([1] * 32767)) == 32767


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
            "invalid input for query argument $1: 2147483648 "
            "(value out of int4 range (-2147483648..2147483647): 2147483648); parameter type: int4",
            OverflowError,
        ),
        (
            [25, 21],
            ["a", -40000],
            "invalid input for query argument $2: -40000 "
            "(value out of int2 range (-32768..32767): -40000); parameter type: int2",
            OverflowError,
        ),
        (
            [20, 20],
            [None, -(2**63) - 1],
            "invalid input for query argument $2: -9223372036854775809 "
            "(value out of int8 range (-9223372036854775808..9223372036854775807): -9223372036854775809); "
            "parameter type: int8",
            OverflowError,
        ),
        (
            [25],
            ["a\x00b"],
            "invalid input for query argument $1: 'a\\x00b' "
            "(PostgreSQL text cannot contain NUL (\\x00) characters: found at index 1); parameter type: text",
            ValueError,
        ),
        (
            [23],
            ["1"],
            "invalid input for query argument $1: '1' (expected int, got str); parameter type: int4",
            TypeError,
        ),
        (
            [23],
            [1.5],
            "invalid input for query argument $1: 1.5 "
            "(expected an integer, got float 1.5 with a fractional part); parameter type: int4",
            ValueError,
        ),
        (
            [23],
            [math.nan],
            "invalid input for query argument $1: nan (expected an integer, got float nan); "
            "parameter type: int4",
            ValueError,
        ),
        (
            [1114],
            [datetime.datetime(2020, 1, 1, tzinfo=datetime.UTC)],
            "invalid input for query argument $1: datetime.datetime(2020, 1, 1, 0, 0, tzin... "
            "(expected a naive datetime for timestamp, got an aware one); parameter type: timestamp",
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
    assert str(error).startswith("invalid input for query argument $2: 'x' ")
    assert str(error).endswith("; parameter type: int4")


def test_types_outside_pg_catalog_are_named_with_their_schema() -> None:
    registry = REGISTRY.copy()
    registry.add_types([TypeInfo(50003, "posint", "public", "domain", base_oid=23)])
    error = encode_error(ParameterEncoder.for_types(registry, [23, 50003]), [1, "two"])
    assert str(error) == (
        "invalid input for query argument $2: 'two' (expected int, got str); parameter type: public.posint"
    )


# asyncpg shows the first 40 characters of the repr, then "...".
@pytest.mark.parametrize(("size", "shown"), [(38, "'" + "x" * 38 + "'"), (39, "'" + "x" * 39 + "...")])
def test_long_reprs_are_cut(size: int, shown: str) -> None:
    error = encode_error(encoder(23), ["x" * size])
    assert (
        str(error)
        == f"invalid input for query argument $1: {shown} (expected int, got str); parameter type: int4"
    )


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
    flaky, calls = fails_once(lambda value: b"ok")
    error = encode_error(ParameterEncoder([custom(flaky)]), ["happy"])
    assert str(error) == "invalid input for query arguments: first call fails"
    assert isinstance(error.__cause__, ValueError)
    # Nor is it lost when the pure build's generated loop of encode_many saw it fail (the
    # compiled executor hands a sequence it did not finish to the checked loop, by design).
    calls.clear()
    many = ParameterEncoder([custom(flaky)])
    many._compiled = None  # the private switch to the pure executor
    with pytest.raises(DataError, match=r"^invalid input for query arguments") as caught:
        many.encode_many([["happy"], ["glad"]])
    assert isinstance(caught.value.__cause__, ValueError) and calls[0] == "happy"


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
        "invalid input for query argument $1: Decimal('1E+200000') "
        "(value out of numeric range: at most 131072 digits before the decimal point, got 200001); "
        "parameter type: numeric"
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
        "invalid input for query argument $1: 40000.0 ("
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
    refused = str(encode_error(encoder(1114), [india]))
    assert refused.startswith(
        "invalid input for query argument $1: datetime.datetime(2024, 5, 1, 12, 30, tz..."
    )
    assert refused.endswith("; parameter type: timestamp")


# -- live: a statement with more parameters than may be sent ---------------------------------------


def test_live_statement_with_40000_parameters(cluster: Cluster) -> None:
    # The server describes it (ParameterDescription's count is unsigned 16-bit, here 0x9c40);
    # the encoder then refuses to send that many arguments, as asyncpg does. A session of its
    # own, so that a protocol failure here cannot break the shared one.
    sql = "SELECT array_length(ARRAY[" + ", ".join(f"${n}::int4" for n in range(1, 40001)) + "], 1)"
    with BlockingConnection.connect(cluster.host, cluster.port, user=cluster.superuser) as blocking:
        session = TypeSession(blocking)
        described = session.raw_describe(sql)
        assert described.param_oids == (23,) * 40000
        params = ParameterEncoder.for_types(REGISTRY, described.param_oids)
        with pytest.raises(InterfaceError, match=r"^the number of query arguments cannot exceed 32767$"):
            params.encode(list(range(40000)))
        # The session is still in step with the server.
        assert session.fetchval("SELECT $1::int4 + 1", 41) == 42
