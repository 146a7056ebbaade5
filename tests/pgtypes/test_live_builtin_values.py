"""Every built-in type with a codec, end to end through the registry and the real server.

:data:`VALUES` holds, per built-in type name, SQL expressions of that type with the Python
value each must decode to (edge values included). The tests fetch them through
:meth:`TypeSession.fetch` in every wire format the registry has for the type, send the values
back as parameters (``SELECT $1::T``) in both formats, and compare the server's text for what
was sent with its text for the original. A test also checks that the table names exactly the
built-in types that have a codec, so that a codec added later without a value here fails.
"""

from __future__ import annotations

import ipaddress
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, time, timedelta, timezone
from decimal import Decimal
from typing import Any, Final, NamedTuple

import pytest

from pgtypes import BINARY, TEXT, ParameterEncoder, Record, RowDecoder, TypeRegistry
from pgtypes._builtin_types import BUILTIN_TYPES
from pgtypes._record import record_maker
from pgtypes.types import BitString, Box, Circle, Line, LineSegment, Path, Point, Polygon, Range
from pgwire import DataRow, PostgresError
from pgwire.exceptions import UnsupportedClientFeatureError
from tests.pgtypes.live import TypeSession

SCHEMA: Final = "pgtypes_live_values"
# Pseudo types whose values a query can return; the others only appear in function signatures.
VALUED_PSEUDO: Final = frozenset({"record", "_record", "void", "unknown", "cstring"})
KOLKATA: Final = timezone(timedelta(hours=5, minutes=30))

# How a case's value survives being sent back as a parameter.
ROUND_TRIP: Final = 2  # the same value back, and the server prints it as it printed the original
VALUE_ONLY: Final = 1  # the same value back; the original's text differs (a lossy Python type)
NO_INPUT: Final = 0  # the type cannot be sent (no input function, or not a value of its own)


class Lazy:
    """An expected value computed from the server at test time (catalog-dependent values)."""

    def __init__(self, compute: Callable[[TypeSession], object]) -> None:
        self.compute = compute


class Unsupported:
    """The expectation that the registry refuses the type with UnsupportedClientFeatureError."""


UNSUPPORTED: Final = Unsupported()


class Case(NamedTuple):
    """One SQL expression of a type and what it decodes to."""

    sql: str
    value: object
    text_value: object = None  # what the TEXT codec gives, when it differs from ``value``
    param: int = ROUND_TRIP

    def expected(self, fmt: int) -> object:
        return self.value if fmt == BINARY or self.text_value is None else self.text_value


def server_text(sql: str) -> Lazy:
    """The value is the server's own text for ``sql`` (types only the server can produce)."""
    return Lazy(lambda session: session.fetchval(f"SELECT ({sql})::text"))


def fields_of(sql: str) -> Lazy:
    """A composite ``sql`` decodes as the record of its attributes, ``SELECT (sql).*``."""

    def compute(session: TypeSession) -> object:
        row = session.fetch(f"SELECT ({sql}).*")[0]
        return record_maker(list(row.keys()))(tuple(row))

    return Lazy(compute)


def fields_case(sql: str) -> Case:
    """A built-in composite's catalog row, compared with its attributes fetched one by one."""
    return Case(sql, fields_of(sql), param=NO_INPUT)


def catalog_row(table: str, condition: str) -> str:
    return f"(SELECT x FROM pg_catalog.{table} AS x WHERE {condition})"


def no_codec(table: str, condition: str) -> Case:
    """A catalog row with an aclitem[] attribute (text only): such composites have no codec."""
    return Case(catalog_row(table, condition), UNSUPPORTED, param=NO_INPUT)


def record(**fields: object) -> Record:
    return record_maker(list(fields))(tuple(fields.values()))


def stats(column: str) -> str:
    return (
        f"(SELECT d.{column} FROM pg_catalog.pg_statistic_ext_data AS d "
        f"JOIN pg_catalog.pg_statistic_ext AS s ON s.oid = d.stxoid WHERE s.stxname = 'live_stats')"
    )


MAX_DT: Final = datetime.max
TS: Final = datetime(2024, 2, 29, 12, 34, 56, 789012)
FLOAT4_MAX: Final = 3.4028234663852886e38
NODE_TREE: Final = (
    "(SELECT ev_action FROM pg_catalog.pg_rewrite WHERE ev_class = 'pg_catalog.pg_roles'::regclass)"
)

SCALARS: Final[dict[str, list[Case]]] = {
    "bool": [Case("true", True), Case("false", False)],
    "bytea": [Case("'\\x00ff5c27'::bytea", b"\x00\xff\\'"), Case("''::bytea", b"")],
    "char": [Case("'a'::\"char\"", b"a"), Case("''::\"char\"", b"\x00", b"")],
    "name": [Case("'a name'::name", "a name"), Case("repeat('x', 70)::name", "x" * 63)],
    "int2": [Case("(-32768)::int2", -32768), Case("32767::int2", 32767)],
    "int4": [Case("(-2147483648)::int4", -(2**31)), Case("2147483647", 2**31 - 1), Case("0", 0)],
    "int8": [Case("(-9223372036854775808)::int8", -(2**63)), Case("9223372036854775807", 2**63 - 1)],
    "int2vector": [Case("'1 2 -3'::int2vector", [1, 2, -3])],
    "oidvector": [Case("'23 4294967295'::oidvector", [23, 2**32 - 1])],
    "text": [Case("'héllo ☃ \\ \" '' end'::text", "héllo ☃ \\ \" ' end"), Case("''::text", "")],
    "varchar": [Case("'abc'::varchar(10)", "abc")],
    "bpchar": [Case("'ab'::char(5)", "ab   ")],
    "oid": [Case("4294967295::oid", 2**32 - 1), Case("0::oid", 0)],
    "tid": [Case("'(4294967295,65535)'::tid", (2**32 - 1, 65535))],
    "xid": [Case("'4294967295'::xid", 2**32 - 1)],
    "cid": [Case("'4294967295'::cid", 2**32 - 1)],
    "xid8": [Case("'18446744073709551615'::xid8", 2**64 - 1), Case("'3'::xid8", 3)],
    "pg_lsn": [Case("'16/B374D848'::pg_lsn", 0x16B374D848), Case("'FFFFFFFF/FFFFFFFF'::pg_lsn", 2**64 - 1)],
    "json": [Case('\'{"a": [1, 2.50, null],  "é": {}}\'::json', '{"a": [1, 2.50, null],  "é": {}}')],
    "jsonb": [Case('\'{"b": 1, "a": [true, null, 2.50]}\'::jsonb', '{"a": [true, null, 2.50], "b": 1}')],
    "jsonpath": [Case("'$.a[*] ? (@ > 1)'::jsonpath", '$."a"[*]?(@ > 1)')],
    "xml": [Case("'<a x=\"1\">t</a>'::xml", '<a x="1">t</a>')],
    "pg_node_tree": [Case(NODE_TREE, server_text(NODE_TREE), param=NO_INPUT)],
    "pg_ndistinct": [Case(stats("stxdndistinct"), server_text(stats("stxdndistinct")), param=NO_INPUT)],
    "pg_dependencies": [
        Case(stats("stxddependencies"), server_text(stats("stxddependencies")), param=NO_INPUT)
    ],
    "pg_mcv_list": [Case(stats("stxdmcv"), server_text(stats("stxdmcv")), param=NO_INPUT)],
    # Only index internals hold values of these; the server can hand out a typed NULL.
    "pg_brin_bloom_summary": [Case("NULL::pg_brin_bloom_summary", None, param=NO_INPUT)],
    "pg_brin_minmax_multi_summary": [Case("NULL::pg_brin_minmax_multi_summary", None, param=NO_INPUT)],
    "gtsvector": [Case("NULL::gtsvector", None, param=NO_INPUT)],
    "point": [
        Case("'(1.5,-2)'::point", Point(1.5, -2)),
        Case("'(NaN,Infinity)'::point", Point(float("nan"), float("inf"))),
    ],
    "lseg": [Case("'[(1,2),(3,4)]'::lseg", LineSegment((1, 2), (3, 4)))],
    "path": [
        Case("'[(0,0),(1,1),(2,0)]'::path", Path((0, 0), (1, 1), (2, 0), is_closed=False)),
        Case("'((0,0),(1,1))'::path", Path((0, 0), (1, 1), is_closed=True)),
    ],
    "box": [Case("'(1,2),(3,4)'::box", Box((3, 4), (1, 2)))],
    "polygon": [Case("'((0,0),(1,0),(0,1))'::polygon", Polygon((0, 0), (1, 0), (0, 1)))],
    "line": [Case("'{1,-1,0.5}'::line", Line(1, -1, 0.5))],
    "circle": [Case("'<(1,2),3.5>'::circle", Circle((1, 2), 3.5))],
    "cidr": [
        Case("'10.0.0.0/8'::cidr", ipaddress.IPv4Network("10.0.0.0/8")),
        Case("'2001:db8::/32'::cidr", ipaddress.IPv6Network("2001:db8::/32")),
    ],
    "inet": [
        Case("'192.168.0.1/24'::inet", ipaddress.IPv4Interface("192.168.0.1/24")),
        Case("'10.1.2.3'::inet", ipaddress.IPv4Address("10.1.2.3")),
        Case("'::1'::inet", ipaddress.IPv6Address("::1")),
        Case("'fe80::1/64'::inet", ipaddress.IPv6Interface("fe80::1/64")),
    ],
    "float4": [
        Case("'1.5'::float4", 1.5),
        Case("'1.1'::float4", 1.100000023841858),
        Case("'3.4028235e38'::float4", FLOAT4_MAX),
        Case("'NaN'::float4", float("nan")),
        Case("'-Infinity'::float4", float("-inf")),
    ],
    "float8": [
        Case("'1.7976931348623157e308'::float8", 1.7976931348623157e308),
        Case("'5e-324'::float8", 5e-324),
        Case("'-0'::float8", -0.0),
        Case("'NaN'::float8", float("nan")),
        Case("'Infinity'::float8", float("inf")),
    ],
    "macaddr": [Case("'08:00:2B:01:02:03'::macaddr", "08:00:2b:01:02:03")],
    "macaddr8": [Case("'08:00:2b:01:02:03:04:05'::macaddr8", "08:00:2b:01:02:03:04:05")],
    "money": [
        Case("'12.50'::money", "$12.50"),
        Case("'-92233720368547758.08'::money", "-$92,233,720,368,547,758.08"),
    ],
    "aclitem": [
        Case(
            "makeaclitem('pg_monitor'::regrole, 'pg_monitor'::regrole, 'SELECT', true)",
            "pg_monitor=r*/pg_monitor",
        )
    ],
    "date": [
        Case("'2024-02-29'::date", date(2024, 2, 29)),
        # date.min and date.max stand for -infinity and infinity (asyncpg's choice): sending
        # the first date there is sends -infinity.
        Case("'0001-01-01'::date", date(1, 1, 1), param=VALUE_ONLY),
        Case("'infinity'::date", date.max),
        Case("'-infinity'::date", date.min),
    ],
    "time": [Case("'23:59:59.999999'::time", time(23, 59, 59, 999999)), Case("'00:00'::time", time(0))],
    "timetz": [
        Case("'12:34:56.789+05:30'::timetz", time(12, 34, 56, 789000, tzinfo=KOLKATA)),
        Case("'01:02:03-08'::timetz", time(1, 2, 3, tzinfo=timezone(timedelta(hours=-8)))),
    ],
    "timestamp": [
        Case("'2024-02-29 12:34:56.789012'::timestamp", TS),
        Case("'0001-01-01 00:00:00'::timestamp", datetime(1, 1, 1), param=VALUE_ONLY),  # as date.min
        Case("'9999-12-31 23:59:58.999999'::timestamp", datetime(9999, 12, 31, 23, 59, 58, 999999)),
        Case("'infinity'::timestamp", MAX_DT),
        Case("'-infinity'::timestamp", datetime.min),
    ],
    "timestamptz": [
        Case("'2024-02-29 12:34:56.789012+00'::timestamptz", TS.replace(tzinfo=UTC)),
        Case("'2000-01-01 05:30:00+05:30'::timestamptz", datetime(2000, 1, 1, tzinfo=UTC)),
        Case("'infinity'::timestamptz", MAX_DT),
        Case("'-infinity'::timestamptz", datetime.min),
    ],
    "interval": [
        # Months count as 30 days and years as 365 (asyncpg's lossy decoding): the text differs.
        Case(
            "'1 year 2 mons 3 days 04:05:06.7'::interval",
            timedelta(days=428, seconds=14706, microseconds=700000),
            param=VALUE_ONLY,
        ),
        Case("'-1 mons'::interval", timedelta(days=-30), param=VALUE_ONLY),
        # A negative timedelta is days=-1 plus positive seconds: the server prints it so.
        Case("'-00:00:00.000001'::interval", timedelta(microseconds=-1), param=VALUE_ONLY),
        Case("'00:00:00.000001'::interval", timedelta(microseconds=1)),
        Case("'999999999 days'::interval", timedelta(days=999999999)),
    ],
    "numeric": [
        Case(
            "'12345678901234567890.123456789012345678901234567890'::numeric",
            Decimal("12345678901234567890.123456789012345678901234567890"),
        ),
        Case("'0.00'::numeric", Decimal("0.00")),
        Case("'-1e-1000'::numeric", Decimal("-1e-1000")),
        Case("'1e100'::numeric", Decimal("1" + "0" * 100)),
        Case("'NaN'::numeric", Decimal("NaN")),
        Case("'Infinity'::numeric", Decimal("Infinity")),
        Case("'-Infinity'::numeric", Decimal("-Infinity")),
    ],
    "bit": [Case("B'101'::bit(3)", BitString("101")), Case("B'1'::bit", BitString("1"))],
    "varbit": [Case("B'1011001110'::varbit", BitString("1011001110")), Case("B''::varbit", BitString(""))],
    "refcursor": [Case("'c1'::refcursor", "c1")],
    "regproc": [Case("'now'::regproc", "now")],
    "regprocedure": [Case("'abs(integer)'::regprocedure", "abs(integer)")],
    "regoper": [Case("'||/'::regoper", "||/")],
    "regoperator": [Case("'+(integer,integer)'::regoperator", "+(integer,integer)")],
    "regclass": [Case("'pg_catalog.pg_class'::regclass", "pg_class")],
    "regtype": [
        Case("'integer'::regtype", "integer"),
        Case("'character varying[]'::regtype", "character varying[]"),
    ],
    "regconfig": [Case("'english'::regconfig", "english")],
    "regdictionary": [Case("'simple'::regdictionary", "simple")],
    "regnamespace": [Case("'pg_catalog'::regnamespace", "pg_catalog")],
    "regrole": [Case("'pg_monitor'::regrole", "pg_monitor")],
    "regcollation": [Case("'\"C\"'::regcollation", '"C"')],
    "tsvector": [Case("'a fat cat:2A'::tsvector", "'a' 'cat':2A 'fat'")],
    "tsquery": [Case("'fat & (rat | !cat)'::tsquery", "'fat' & ( 'rat' | !'cat' )")],
    "uuid": [
        Case(
            "'A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11'::uuid", uuid.UUID("a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11")
        )
    ],
    "txid_snapshot": [Case("'10:20:10,14,15'::txid_snapshot", (10, 20, (10, 14, 15)))],
    "pg_snapshot": [
        Case("'10:20:10,14,15'::pg_snapshot", (10, 20, (10, 14, 15))),
        Case("'10:10:'::pg_snapshot", (10, 10, ())),
    ],
    # Since PostgreSQL 10 an unknown literal in the select list becomes text; only a field of an
    # anonymous record keeps the type unknown (COLUMN_TYPES).
    "unknown": [Case("ROW('abc'::unknown, 'x')", ("abc", "x"), "(abc,x)", NO_INPUT)],
    "cstring": [Case("'abc'::cstring", "abc", param=NO_INPUT)],
    "void": [Case("pg_sleep(0)", None, param=NO_INPUT)],
    # Anonymous records: tuples in binary; the text codec of a pseudo type is the server's text.
    "record": [
        Case(
            "ROW(1, 'a b'::text, NULL::int4, ROW(2.5::float8))",
            (1, "a b", None, (2.5,)),
            '(1,"a b",,"(2.5)")',
            NO_INPUT,
        )
    ],
    "_record": [
        Case(
            "ARRAY[ROW(1, 'a'::text), ROW(2, NULL::text)]",
            [(1, "a"), (2, None)],
            ["(1,a)", "(2,)"],
            NO_INPUT,
        )
    ],
    "int4range": [
        Case("'[1,10)'::int4range", Range(1, 10)),
        Case("'(,5]'::int4range", Range(None, 6)),
        Case("'empty'::int4range", Range(empty=True)),
    ],
    "int8range": [Case("'[-9223372036854775808,0]'::int8range", Range(-(2**63), 1))],
    "numrange": [
        Case(
            "'(1.5,2.50]'::numrange", Range(Decimal("1.5"), Decimal("2.50"), lower_inc=False, upper_inc=True)
        )
    ],
    "tsrange": [Case("'[2024-02-29 12:34:56.789012,infinity)'::tsrange", Range(TS, MAX_DT))],
    "tstzrange": [
        Case(
            "'(,2000-01-01 05:30+05:30]'::tstzrange",
            Range(None, datetime(2000, 1, 1, tzinfo=UTC), upper_inc=True),
        )
    ],
    "daterange": [Case("'[2024-01-01,2024-02-01]'::daterange", Range(date(2024, 1, 1), date(2024, 2, 2)))],
    "int4multirange": [
        Case("'{[1,3), [5,7]}'::int4multirange", [Range(1, 3), Range(5, 8)]),
        Case("'{}'::int4multirange", []),
    ],
    "int8multirange": [Case("'{(,0)}'::int8multirange", [Range(None, 0)])],
    "nummultirange": [
        Case("'{[1.5,2), [3,)}'::nummultirange", [Range(Decimal("1.5"), Decimal(2)), Range(Decimal(3))])
    ],
    "tsmultirange": [Case("'{[2024-02-29 12:34:56.789012,)}'::tsmultirange", [Range(TS)])],
    "tstzmultirange": [
        Case(
            "'{[2000-01-01 05:30+05:30,infinity)}'::tstzmultirange",
            [Range(datetime(2000, 1, 1, tzinfo=UTC), MAX_DT)],
        )
    ],
    "datemultirange": [
        Case("'{[2024-01-01,2024-01-03)}'::datemultirange", [Range(date(2024, 1, 1), date(2024, 1, 3))])
    ],
    # Built-in composites: pg_catalog rows. The ones with an aclitem[] attribute (text only)
    # have no codec at all, as in asyncpg.
    "pg_type": [no_codec("pg_type", "x.oid = 23")],
    "pg_attribute": [no_codec("pg_attribute", "x.attrelid = 'pg_class'::regclass AND x.attnum = 1")],
    "pg_proc": [no_codec("pg_proc", "x.oid = 'now'::regproc")],
    "pg_class": [no_codec("pg_class", "x.relname = 'pg_class'")],
    "pg_database": [no_codec("pg_database", "x.datname = 'template1'")],
    "pg_authid": [fields_case(catalog_row("pg_authid", "x.rolname = 'pg_monitor'"))],
    "pg_auth_members": [
        fields_case(catalog_row("pg_auth_members", "true ORDER BY x.roleid, x.member LIMIT 1"))
    ],
    "pg_subscription": [fields_case(catalog_row("pg_subscription", "x.subname = 'live_sub'"))],
    "pg_shseclabel": [
        Case(
            "ROW(1, 2, 'provider', 'a label')::pg_catalog.pg_shseclabel",
            record(objoid=1, classoid=2, provider="provider", label="a label"),
        )
    ],
}

# Arrays chosen for their shape (dimensions, NULLs, quoting, delimiters); every other array
# type gets ARRAY[<first value of its element>, NULL] (see derived_array()).
ARRAYS: Final[dict[str, list[Case]]] = {
    "_int4": [
        Case("ARRAY[[1,2],[3,NULL]]::int4[]", [[1, 2], [3, None]]),
        Case("'{{{1},{2}},{{3},{4}}}'::int4[]", [[[1], [2]], [[3], [4]]]),
        Case("'[2:3]={7,8}'::int4[]", [7, 8], param=VALUE_ONLY),  # lower bounds are not kept
        Case("'{}'::int4[]", []),
    ],
    "_text": [
        Case(
            "ARRAY['a,b', 'c\"d', 'e\\f', '', 'NULL', NULL, ' sp ', '{x}', 'é']",
            ["a,b", 'c"d', "e\\f", "", "NULL", None, " sp ", "{x}", "é"],
        ),
        Case("ARRAY[ARRAY['a', NULL], ARRAY['b', 'c']]", [["a", None], ["b", "c"]]),
    ],
    "_float8": [
        Case("ARRAY['NaN', '-Infinity', '-0', 1.5]::float8[]", [float("nan"), float("-inf"), -0.0, 1.5])
    ],
    "_numeric": [
        Case(
            "ARRAY[1.50, NULL, 'NaN', '-Infinity']::numeric[]",
            [Decimal("1.50"), None, Decimal("NaN"), Decimal("-Infinity")],
        )
    ],
    "_box": [Case("ARRAY['(1,2),(0,0)'::box, '(3,3),(2,2)']", [Box((1, 2), (0, 0)), Box((3, 3), (2, 2))])],
    "_date": [Case("ARRAY['infinity', '2024-02-29', NULL]::date[]", [date.max, date(2024, 2, 29), None])],
    "_jsonb": [Case("ARRAY['{\"a\": \"x,y\"}', '[]']::jsonb[]", ['{"a": "x,y"}', "[]"])],
    "_bytea": [Case("ARRAY['\\x00'::bytea, '', NULL]", [b"\x00", b"", None])],
    "_int4range": [Case("ARRAY['[1,2)'::int4range, 'empty', NULL]", [Range(1, 2), Range(empty=True), None])],
    "_money": [Case("ARRAY['1.5'::money, NULL]", ["$1.50", None])],
    "_int2vector": [Case("ARRAY['1 2'::int2vector, '3'::int2vector]", [[1, 2], [3]])],
}


def resolve(session: TypeSession, expected: object) -> object:
    return expected.compute(session) if isinstance(expected, Lazy) else expected


def derived_array(element: Case, array_name: str) -> Case:
    """``ARRAY[element, NULL]``: the element's value and a NULL, in a one-dimensional array."""

    def wrap(value: object) -> object:
        if isinstance(value, Unsupported):
            return value
        if isinstance(value, Lazy):
            inner = value
            return Lazy(lambda session: [resolve(session, inner), None])
        return [value, None]

    text_value = None if element.text_value is None else wrap(element.text_value)
    sql = f'ARRAY[({element.sql}), NULL]::pg_catalog."{array_name}"'
    return Case(sql, wrap(element.value), text_value, element.param)


def _build_table() -> dict[str, list[Case]]:
    table = {**SCALARS, **ARRAYS}
    registry = TypeRegistry.default()
    names = {entry[0]: entry[1] for entry in BUILTIN_TYPES}
    for oid, name, _typtype, _category, element, *_ in BUILTIN_TYPES:
        info = registry.type_info(oid)
        if info is not None and info.kind == "array" and name not in table and names[element] in SCALARS:
            table[name] = [derived_array(SCALARS[names[element]][0], name)]
    return table


#: Built-in type name -> cases; the coverage test keeps it equal to the types with a codec.
VALUES: Final = _build_table()
OIDS: Final = {name: oid for oid, name, *_ in BUILTIN_TYPES}

# Column types that differ from the type a case is filed under (see the "unknown" case).
COLUMN_TYPES: Final = {"unknown": "record"}

COMPOSITES: Final = frozenset(name for _, name, typtype, *_ in BUILTIN_TYPES if typtype == "c")


def known_bug(name: str, fmt: int, parameters: bool) -> list[pytest.MarkDecorator]:
    """Expected failures for known bugs (none at present; keep the hook for the next one)."""
    return []


def builtin_types_with_a_codec() -> set[str]:
    """Built-in types with a codec; the system catalogs' row types (and their arrays) get
    theirs once introspected, as the registry leaves their attributes to the catalog."""
    registry = TypeRegistry.default()
    return {
        name
        for oid, name, typtype, *_ in BUILTIN_TYPES
        if (typtype != "p" or name in VALUED_PSEUDO)
        and (
            registry.codec(oid, BINARY) is not None
            or registry.codec(oid, TEXT) is not None
            or name.lstrip("_") in COMPOSITES
        )
    }


def format_params(only_input: bool) -> list[Any]:
    registry = TypeRegistry.default()
    params = []
    for name in sorted(VALUES):
        if only_input and all(case.param == NO_INPUT for case in VALUES[name]):
            continue
        for fmt, label in ((BINARY, "binary"), (TEXT, "text")):
            if registry.codec(OIDS[name], fmt) is not None:
                marks = known_bug(name, fmt, parameters=only_input)
                params.append(pytest.param(name, fmt, id=f"{name}-{label}", marks=marks))
    return params


@pytest.fixture(scope="module")
def session(type_session: TypeSession) -> Iterator[TypeSession]:
    """The type session with the catalog objects some cases read (statistics, a subscription)."""
    type_session.execute(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE")
    type_session.execute(
        f"CREATE SCHEMA {SCHEMA}; "
        f"CREATE TABLE {SCHEMA}.t AS SELECT i AS a, i % 10 AS b FROM generate_series(1, 100) AS i; "
        f"CREATE STATISTICS {SCHEMA}.live_stats (ndistinct, dependencies, mcv) ON a, b FROM {SCHEMA}.t; "
        f"ANALYZE {SCHEMA}.t"
    )
    type_session.execute("DROP SUBSCRIPTION IF EXISTS live_sub")
    type_session.execute(
        "CREATE SUBSCRIPTION live_sub CONNECTION 'dbname=none' PUBLICATION p "
        "WITH (connect = false, slot_name = NONE, enabled = false)"
    )
    try:
        yield type_session
    finally:
        type_session.execute("DROP SUBSCRIPTION IF EXISTS live_sub")
        type_session.execute(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE")


def same(got: object, want: object) -> bool:
    """Equal, of the same type, with NaN equal to NaN, -0.0 apart from 0.0, scale and offset kept."""
    if isinstance(want, float):
        return isinstance(got, float) and repr(got) == repr(want)
    if isinstance(want, Decimal):
        return isinstance(got, Decimal) and got.as_tuple() == want.as_tuple()
    if isinstance(want, datetime | time):
        return type(got) is type(want) and got == want and got.utcoffset() == want.utcoffset()
    if isinstance(want, Record):
        return (
            isinstance(got, Record)
            and list(got.keys()) == list(want.keys())
            and same(tuple(got), tuple(want))
        )
    if isinstance(want, list | tuple):
        return (
            type(got) is type(want)
            and len(got) == len(want)
            and all(same(g, w) for g, w in zip(got, want, strict=True))
        )
    return type(got) is type(want) and got == want


def skip_if_unsupported(error: PostgresError) -> None:
    """xml needs a server built with libxml; its absence is a feature_not_supported error."""
    if error.sqlstate == "0A000":
        pytest.skip(f"the server cannot do this: {error}")


def test_table_covers_every_builtin_type_with_a_codec() -> None:
    wanted = builtin_types_with_a_codec()
    assert sorted(wanted - VALUES.keys()) == []
    assert sorted(VALUES.keys() - wanted) == []


@pytest.mark.parametrize(("name", "fmt"), format_params(only_input=False))
def test_server_values_decode(session: TypeSession, name: str, fmt: int) -> None:
    cases = VALUES[name]
    sql = "SELECT " + ", ".join(f"({case.sql})" for case in cases)
    try:
        described = session.raw_describe(sql)
    except PostgresError as error:
        skip_if_unsupported(error)
        raise
    # The table's SQL really produces the type it is filed under.
    assert [field.type_oid for field in described.fields] == [OIDS[COLUMN_TYPES.get(name, name)]] * len(cases)
    if any(isinstance(case.value, Unsupported) for case in cases):
        with pytest.raises(
            UnsupportedClientFeatureError, match="text encoding of composite types is not supported"
        ):
            session.fetch(sql, text=fmt == TEXT)
        return
    expected = [resolve(session, case.expected(fmt)) for case in cases]
    row = session.fetch(sql, text=fmt == TEXT)[0]
    for got, want, case in zip(row, expected, cases, strict=True):
        assert same(got, want), f"{case.sql}: got {got!r}, expected {want!r}"


@pytest.mark.parametrize(("name", "fmt"), format_params(only_input=True))
def test_values_round_trip_as_parameters(session: TypeSession, name: str, fmt: int) -> None:
    registry = TypeRegistry.default()
    cases = [case for case in VALUES[name] if case.param != NO_INPUT]
    count = len(cases)
    codec = registry.codec(OIDS[name], fmt)
    text_codec = registry.result_codec(OIDS["text"])
    assert codec is not None
    type_sql = f'pg_catalog."{name}"'
    columns = [f"${n}::{type_sql}" for n in range(1, count + 1)]
    columns += [f"${n}::{type_sql}::text" for n in range(1, count + 1)]
    columns += [f"({case.sql})::text" for case in cases]
    sql = "SELECT " + ", ".join(columns)
    encoder = ParameterEncoder([codec] * count)
    decoder = RowDecoder([f"c{n}" for n in range(3 * count)], [codec] * count + [text_codec] * (2 * count))
    values = [case.expected(fmt) for case in cases]
    try:
        result = session.raw(
            sql,
            encoder.encode(values),
            param_oids=[OIDS[name]] * count,
            param_formats=encoder.formats,
            result_formats=decoder.result_formats,
        )
    except PostgresError as error:
        skip_if_unsupported(error)
        raise
    row = decoder.decode_payload(DataRow(result.rows[0]).encode_payload())
    echoed, sent_text, original_text = row[:count], row[count : 2 * count], row[2 * count :]
    for case, value, got in zip(cases, values, echoed, strict=True):
        assert same(got, value), f"{case.sql}: sent {value!r}, got back {got!r}"
    for case, sent, original in zip(cases, sent_text, original_text, strict=True):
        if case.param == ROUND_TRIP:
            assert sent == original, f"{case.sql}: the server printed {sent!r} for what we sent"
