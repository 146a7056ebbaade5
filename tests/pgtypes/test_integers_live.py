"""Live round trips of the pgtypes._integers codecs through the test server, both formats."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pgtypes._codec import BINARY, TEXT
from tests.pgtypes.strategies_integers import codec, same

if TYPE_CHECKING:
    from tests.pgtypes.live import TypeSession

_LIVE = settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


# (type, value sent, value expected back, the server's text for it), for both formats.
LIVE_VALUES: list[tuple[str, object, object, str]] = [
    ("bool", True, True, "true"),
    ("bool", False, False, "false"),
    ("int2", -32768, -32768, "-32768"),
    ("int2", 32767, 32767, "32767"),
    ("int4", -(2**31), -(2**31), "-2147483648"),
    ("int4", 2**31 - 1, 2**31 - 1, "2147483647"),
    ("int4", 0, 0, "0"),
    ("int8", -(2**63), -(2**63), "-9223372036854775808"),
    ("int8", 2**63 - 1, 2**63 - 1, "9223372036854775807"),
    ("oid", 0, 0, "0"),
    ("oid", 2**32 - 1, 2**32 - 1, "4294967295"),
    ("xid", 2**32 - 1, 2**32 - 1, "4294967295"),
    ("cid", 2**32 - 1, 2**32 - 1, "4294967295"),
    ("xid8", 2**64 - 1, 2**64 - 1, "18446744073709551615"),
    ("xid8", 0, 0, "0"),
    ("float4", 1.1, 1.100000023841858, "1.1"),
    ("float4", math.nan, math.nan, "NaN"),
    ("float4", math.inf, math.inf, "Infinity"),
    ("float4", -math.inf, -math.inf, "-Infinity"),
    ("float4", -0.0, -0.0, "-0"),
    ("float4", 1.401298464324817e-45, 1.401298464324817e-45, "1e-45"),
    ("float4", 3.4028234663852886e38, 3.4028234663852886e38, "3.4028235e+38"),
    ("float8", 0.1, 0.1, "0.1"),
    ("float8", math.nan, math.nan, "NaN"),
    ("float8", -math.inf, -math.inf, "-Infinity"),
    ("float8", -0.0, -0.0, "-0"),
    ("float8", 5e-324, 5e-324, "5e-324"),
    ("float8", 2.225073858507201e-308, 2.225073858507201e-308, "2.225073858507201e-308"),
    ("float8", 1.7976931348623157e308, 1.7976931348623157e308, "1.7976931348623157e+308"),
    ('"char"', b"a", b"a", "a"),
    ('"char"', b"", b"", ""),
    ('"char"', b"\\", b"\\", "\\"),
    ('"char"', b"\x80", b"\x80", "\\200"),
    ("void", None, None, ""),
    ("tid", (0, 1), (0, 1), "(0,1)"),
    ("tid", (2**32 - 1, 2**16 - 1), (2**32 - 1, 2**16 - 1), "(4294967295,65535)"),
    ("pg_lsn", 0, 0, "0/0"),
    ("pg_lsn", 0x1_0000002A, 0x1_0000002A, "1/2A"),
    ("pg_lsn", 2**64 - 1, 2**64 - 1, "FFFFFFFF/FFFFFFFF"),
]


def empty_char(oid: int, fmt: int, expected: object) -> object:
    """The empty "char" is the byte it is stored as in binary (as asyncpg gives it), b"" in text."""
    return b"\x00" if oid == 18 and fmt == BINARY and expected == b"" else expected


def _server_version(type_session: TypeSession) -> int:
    value = type_session.select("current_setting('server_version_num')::int", TEXT)
    assert value is not None
    return int(value)


@pytest.mark.parametrize("fmt", [BINARY, TEXT])
@pytest.mark.parametrize(("type_sql", "value", "expected", "text"), LIVE_VALUES)
def test_live_echo(
    type_session: TypeSession, fmt: int, type_sql: str, value: object, expected: object, text: str
) -> None:
    if value == b"\x80" and _server_version(type_session) < 150000:
        pytest.skip('"char" reads and prints \\ooo escapes since PostgreSQL 15')
    oid = type_session.type_oid(type_sql)
    encoded = codec(oid, fmt).encode(value)
    expected = empty_char(oid, fmt, expected)
    first, server_text = type_session.echo(type_sql, encoded, fmt)
    assert first is not None
    assert same(codec(oid, fmt).decode(first), expected)
    assert server_text == text
    if fmt == BINARY:
        # What we send is byte for byte what the server sends for the same value.
        assert first == encoded


@pytest.mark.parametrize("fmt", [BINARY, TEXT])
@pytest.mark.parametrize(
    ("expression", "oid", "expected"),
    [
        ("(-32768)::int2", 21, -32768),
        ("(-2147483648)::int4", 23, -(2**31)),
        ("9223372036854775807::int8", 20, 2**63 - 1),
        ("'4294967295'::oid", 26, 2**32 - 1),
        ("'4294967295'::xid", 28, 2**32 - 1),
        ("'4294967295'::cid", 29, 2**32 - 1),
        ("'18446744073709551615'::xid8", 5069, 2**64 - 1),
        ("true", 16, True),
        ("1.1::float4", 700, 1.100000023841858),
        ("'NaN'::float4", 700, math.nan),
        ("'-Infinity'::float4", 700, -math.inf),
        ("'1e-45'::float4", 700, 1.401298464324817e-45),
        ("'-0'::float8", 701, -0.0),
        ("'Infinity'::float8", 701, math.inf),
        ("'4.9e-324'::float8", 701, 5e-324),
        ("1.0::float8 / 3", 701, 1 / 3),
        ("'x'::\"char\"", 18, b"x"),
        ("''::\"char\"", 18, b""),
        ("'(7,8)'::tid", 27, (7, 8)),
        ("'16/B374D848'::pg_lsn", 3220, 0x16_B374D848),
        ("NULL::void IS NULL", 16, True),
    ],
)
def test_live_select(
    type_session: TypeSession, fmt: int, expression: str, oid: int, expected: object
) -> None:
    data = type_session.select(expression, fmt)
    assert data is not None
    assert same(codec(oid, fmt).decode(data), empty_char(oid, fmt, expected))


def test_live_void_function(type_session: TypeSession) -> None:
    for fmt in (BINARY, TEXT):
        data = type_session.select("pg_sleep(0)", fmt)
        assert data == b""
        assert codec(2278, fmt).decode(data) is None


@pytest.mark.parametrize("value", ["anything", 5, b"\x00", [1, 2], object()])
def test_live_void_parameter_takes_any_value(type_session: TypeSession, value: object) -> None:
    # Any value is sent as the empty void (not NULL), None as NULL, as asyncpg does.
    assert type_session.raw_describe("SELECT $1::void").param_oids == (2278,)
    row = type_session.fetch("SELECT $1::void, $1::void IS NULL, $1::void::text", value)[0]
    assert list(row) == [None, False, ""]
    row = type_session.fetch("SELECT $1::void, $1::void IS NULL", None)[0]
    assert list(row) == [None, True]
    # A void argument next to a void-returning function (functions cannot take void arguments).
    assert type_session.fetchval("SELECT coalesce($1::void, pg_sleep(0)) IS NULL", value) is False
    for fmt in (BINARY, TEXT):
        first, text = type_session.echo("void", codec(2278, fmt).encode(value), fmt)
        assert (first, text) == (b"", "")


def test_live_ctid(type_session: TypeSession) -> None:
    rows = [
        type_session.select("ctid FROM pg_class WHERE relname = 'pg_type'", fmt) for fmt in (BINARY, TEXT)
    ]
    assert rows[0] is not None and rows[1] is not None
    assert codec(27, BINARY).decode(rows[0]) == codec(27, TEXT).decode(rows[1])


@pytest.mark.parametrize(
    ("type_sql", "value", "text"),
    [
        ("regclass", "pg_type", "pg_type"),
        ("regclass", 1247, "pg_type"),
        ("regtype", "int4", "integer"),
        ("regtype", 23, "integer"),
        ("regproc", "now", "now"),
        ("regprocedure", "now()", "now()"),
        # int4eq's operator: '=' is not unique, so regoperout qualifies it.
        ("regoper", 96, "pg_catalog.="),
        ("regoper", "||/", "||/"),
        ("regoperator", "+(int4,int4)", "+(integer,integer)"),
        ("regconfig", "english", "english"),
        ("regdictionary", "simple", "simple"),
        ("regnamespace", "pg_catalog", "pg_catalog"),
        ("regrole", "pg_monitor", "pg_monitor"),
        ("regcollation", '"C"', '"C"'),
        ("regclass", 0, "-"),
    ],
)
def test_live_reg_types(type_session: TypeSession, type_sql: str, value: object, text: str) -> None:
    oid = type_session.type_oid(type_sql)
    first, server_text = type_session.echo(type_sql, codec(oid, TEXT).encode(value), TEXT)
    assert first is not None
    assert codec(oid, TEXT).decode(first) == text
    assert server_text == text


@_LIVE
@given(value=st.integers(-(2**63), 2**63 - 1), fmt=st.sampled_from([BINARY, TEXT]))
def test_live_int8_property(type_session: TypeSession, value: int, fmt: int) -> None:
    first, text = type_session.echo("int8", codec(20, fmt).encode(value), fmt)
    assert first is not None
    assert codec(20, fmt).decode(first) == value
    assert text == str(value)


@_LIVE
@given(value=st.floats(), fmt=st.sampled_from([BINARY, TEXT]))
def test_live_float8_property(type_session: TypeSession, value: float, fmt: int) -> None:
    first, text = type_session.echo("float8", codec(701, fmt).encode(value), fmt)
    assert first is not None and text is not None
    assert same(codec(701, fmt).decode(first), value)
    assert same(float(text), value)


@_LIVE
@given(value=st.floats(width=32), fmt=st.sampled_from([BINARY, TEXT]))
def test_live_float4_property(type_session: TypeSession, value: float, fmt: int) -> None:
    first, text = type_session.echo("float4", codec(700, fmt).encode(value), fmt)
    assert first is not None and text is not None
    assert same(codec(700, fmt).decode(first), value)
    assert same(codec(700, TEXT).decode(text.encode()), value)
