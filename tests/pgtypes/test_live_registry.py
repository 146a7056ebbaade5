"""The type registry end to end against the real server: introspected types, user codecs, errors.

Each test runs statements through :meth:`TypeSession.fetch`, which describes the statement,
introspects unknown types with ``INTROSPECTION_SQL``, encodes the arguments with
``ParameterEncoder`` and decodes the rows with ``RowDecoder`` -- what ``pgconn`` does. The
types live in a schema of a unique name, created for this module and dropped afterwards.
Every introspected type is checked as a column (in each wire format its codec has) and as a
parameter (the value sent back, and the server's text for what was sent).
"""

from __future__ import annotations

import json
import struct
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, time, timedelta, timezone
from decimal import Decimal
from typing import Final

import pytest

from pgtypes import TEXT, Record, TypeInfo, TypeRegistry, lookup_builtin_type
from pgtypes.types import Range
from pgwire import PostgresError
from pgwire.exceptions import (
    CheckViolationError,
    DataError,
    InterfaceError,
    OutdatedSchemaCacheError,
    UnsupportedClientFeatureError,
)
from tests.pgtypes.live import TypeSession

SCHEMA: Final = f"pgtypes_live_{uuid.uuid4().hex[:12]}"
AT: Final = datetime(2024, 2, 29, 7, 4, 56, 789012, tzinfo=UTC)

DDL: Final = f"""
CREATE SCHEMA {SCHEMA};
CREATE TYPE {SCHEMA}.mood AS ENUM ('sad', 'ok', 'happy');
CREATE DOMAIN {SCHEMA}.posint AS int4 CHECK (VALUE > 0);
CREATE DOMAIN {SCHEMA}.smallpos AS {SCHEMA}.posint CHECK (VALUE < 100);
CREATE DOMAIN {SCHEMA}.intlist AS int4[];
CREATE DOMAIN {SCHEMA}.jsondoc AS json;
CREATE TYPE {SCHEMA}.item AS (id int4, name text, price numeric, at timestamptz);
CREATE TYPE {SCHEMA}.parcel AS (label text, item {SCHEMA}.item, moods {SCHEMA}.mood[]);
CREATE TYPE {SCHEMA}.drift AS (a int4);
CREATE TABLE {SCHEMA}.t (id int4 PRIMARY KEY, note text);
INSERT INTO {SCHEMA}.t VALUES (1, 'one'), (2, NULL);
CREATE TYPE {SCHEMA}.floatrange AS RANGE (subtype = float8);
"""


@pytest.fixture(scope="module")
def session(type_session: TypeSession) -> Iterator[TypeSession]:
    """The type session with this module's schema of user-defined types."""
    type_session.execute(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE")
    type_session.execute(DDL)
    try:
        yield type_session
    finally:
        type_session.execute(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE")


def new_registry() -> TypeRegistry:
    return TypeRegistry.default().copy()


def info_of(session: TypeSession, registry: TypeRegistry, type_sql: str) -> TypeInfo:
    """The registry's TypeInfo of a type, introspecting it first when it is not known yet."""
    oid = session.type_oid(type_sql)
    session.introspect(registry, [oid])
    info = registry.type_info(oid)
    assert info is not None
    return info


def builtin(name: str) -> TypeInfo:
    info = lookup_builtin_type(name)
    assert info is not None
    return info


def check_columns(session: TypeSession, sql: str, expected: list[object]) -> TypeRegistry:
    """``sql`` decodes to ``expected`` in every format its columns have; returns the registry."""
    registry = new_registry()
    oids = [field.type_oid for field in session.raw_describe(sql).fields]
    for text in (False, True):
        if text and not all(registry.codec(oid, TEXT) is not None for oid in oids):
            continue
        row = session.fetch(sql, registry=registry, text=text)[0]
        assert list(row) == expected, f"text={text}"
    return registry


def check_parameters(
    session: TypeSession, types: list[str], values: list[object], echoed: list[object]
) -> None:
    """Send ``values`` as parameters of ``types``: they come back as ``echoed``, and the server's
    text for each equals its text for the value cast from its own text (a fixed point)."""
    registry = new_registry()
    count = len(types)
    columns = [f"${n}::{type_sql}" for n, type_sql in enumerate(types, start=1)]
    texts = [f"${n}::{type_sql}::text" for n, type_sql in enumerate(types, start=1)]
    row = session.fetch("SELECT " + ", ".join(columns + texts), *values, registry=registry)[0]
    assert list(row[:count]) == echoed
    for type_sql, text in zip(types, row[count:], strict=True):
        if text is not None:
            assert session.fetchval(f"SELECT $1::text::{type_sql}::text", text, registry=registry) == text


# -- introspected types ---------------------------------------------------------------------


def test_enum_and_enum_array(session: TypeSession) -> None:
    mood = f"{SCHEMA}.mood"
    registry = check_columns(
        session, f"SELECT 'ok'::{mood}, ARRAY['sad', NULL, 'happy']::{mood}[]", ["ok", ["sad", None, "happy"]]
    )
    info = info_of(session, registry, mood)
    assert (info.kind, info.schema, info.name) == ("enum", SCHEMA, "mood")
    check_parameters(session, [mood, f"{mood}[]"], ["happy", ["ok", None]], ["happy", ["ok", None]])
    text = session.fetchval(f"SELECT $1::{mood}[]::text", ["sad", "ok"], registry=registry)
    assert text == "{sad,ok}"


def test_domains(session: TypeSession) -> None:
    sql = (
        f"SELECT 5::{SCHEMA}.posint, 7::{SCHEMA}.smallpos, ARRAY[1, NULL]::{SCHEMA}.intlist, "
        f"'{{\"a\": [1]}}'::{SCHEMA}.jsondoc"
    )
    registry = check_columns(session, sql, [5, 7, [1, None], '{"a": [1]}'])
    smallpos = info_of(session, registry, f"{SCHEMA}.smallpos")
    posint = registry.type_info(smallpos.base_oid)
    assert smallpos.kind == "domain" and posint is not None and posint.name == "posint"
    assert posint.base_oid == builtin("int4").oid
    types = [f"{SCHEMA}.posint", f"{SCHEMA}.smallpos", f"{SCHEMA}.intlist", f"{SCHEMA}.jsondoc"]
    values: list[object] = [1, 99, [3, None, 4], '{"b": null}']
    check_parameters(session, types, values, values)
    # The domain's CHECK is the server's business: the value is sent, the server refuses it.
    with pytest.raises(CheckViolationError, match="smallpos"):
        session.fetch(f"SELECT $1::{SCHEMA}.smallpos", 100, registry=new_registry())


ITEM: Final = f"{SCHEMA}.item"
ITEM_SQL: Final = f"ROW(1, 'x y', 1.50, '2024-02-29 12:34:56.789012+05:30')::{ITEM}"


def test_composites_as_columns(session: TypeSession) -> None:
    sql = (
        f"SELECT {ITEM_SQL}, ROW('L', {ITEM_SQL}, ARRAY['ok']::{SCHEMA}.mood[])::{SCHEMA}.parcel, "
        f"ARRAY[{ITEM_SQL}, NULL, ROW(2, NULL, NULL, NULL)::{ITEM}], ROW(2, NULL, NULL, NULL)::{ITEM}"
    )
    item = (1, "x y", Decimal("1.50"), AT)
    registry = check_columns(
        session, sql, [item, ("L", item, ["ok"]), [item, None, (2, None, None, None)], (2, None, None, None)]
    )
    row = session.fetch(sql, registry=registry)[0]
    first, parcel = row[0], row[1]
    assert isinstance(first, Record) and list(first.keys()) == ["id", "name", "price", "at"]
    assert first["price"].as_tuple() == Decimal("1.50").as_tuple() and first["at"].tzinfo == UTC
    assert list(parcel.keys()) == ["label", "item", "moods"] and parcel["item"]["name"] == "x y"
    # Composites travel in binary only.
    assert registry.codec(info_of(session, registry, ITEM).oid, TEXT) is None


def test_composites_as_parameters(session: TypeSession) -> None:
    item = (1, "x y", Decimal("1.50"), AT)
    types = [ITEM, ITEM, f"{SCHEMA}.parcel", f"{ITEM}[]"]
    values: list[object] = [item, {"id": 3, "name": "m"}, ("L", item, ["ok", None]), [item, None]]
    echoed: list[object] = [item, (3, "m", None, None), ("L", item, ["ok", None]), [item, None]]
    check_parameters(session, types, values, echoed)
    registry = new_registry()
    text = session.fetchval(f"SELECT $1::{ITEM}::text", {"id": 3, "name": "a,b"}, registry=registry)
    assert text == '(3,"a,b",,)'
    with pytest.raises(DataError, match=r"\$1: .*'bad' is not a valid element of composite type"):
        session.fetch(f"SELECT $1::{ITEM}", {"bad": 1}, registry=registry)


def test_table_row_type(session: TypeSession) -> None:
    registry = new_registry()
    rows = session.fetch(f"SELECT t FROM {SCHEMA}.t AS t ORDER BY t.id", registry=registry)
    assert [tuple(row[0]) for row in rows] == [(1, "one"), (2, None)]
    assert list(rows[0][0].keys()) == ["id", "note"]
    info = info_of(session, registry, f"{SCHEMA}.t")
    assert info.kind == "composite" and info.attributes == (("id", 23), ("note", 25))
    check_parameters(session, [f"{SCHEMA}.t"], [(5, "five")], [(5, "five")])


def test_range_multirange_and_range_array(session: TypeSession) -> None:
    floatrange = f"{SCHEMA}.floatrange"
    has_multirange = session.fetchval("SHOW server_version_num") >= "140000"  # type: ignore[operator]  # a str
    sql = f"SELECT '[1.5,2.5)'::{floatrange}, ARRAY['(,0]'::{floatrange}, 'empty', NULL]"
    expected: list[object] = [Range(1.5, 2.5), [Range(None, 0.0, upper_inc=True), Range(empty=True), None]]
    if has_multirange:
        sql += f", '{{[1,2), [3,4]}}'::{SCHEMA}.floatmultirange"
        expected.append([Range(1.0, 2.0), Range(3.0, 4.0, upper_inc=True)])
    registry = check_columns(session, sql, expected)
    info = info_of(session, registry, floatrange)
    assert info.kind == "range" and info.range_subtype_oid == builtin("float8").oid
    types = [floatrange, f"{floatrange}[]"]
    values: list[object] = [Range(-1.5, None), [Range(0.5, 1.0, upper_inc=True), Range(empty=True)]]
    if has_multirange:
        types.append(f"{SCHEMA}.floatmultirange")
        values.append([Range(1.0, 2.0), Range(5.0)])
    check_parameters(session, types, values, values)
    # The server merges what a multirange may not hold apart.
    if has_multirange:
        merged = session.fetchval(
            f"SELECT $1::{SCHEMA}.floatmultirange",
            [Range(1.0, 3.0), Range(2.0, 4.0)],
            registry=new_registry(),
        )
        assert merged == [Range(1.0, 4.0)]


def extension_type(session: TypeSession, extension: str) -> str:
    """The qualified name of an extension's type, creating the extension when needed."""
    try:
        session.execute(f"CREATE EXTENSION IF NOT EXISTS {extension} SCHEMA {SCHEMA}")
    except PostgresError as error:
        pytest.skip(f"the {extension} extension is not available on this server (no contrib): {error}")
    schema = session.fetchval(
        "SELECT n.nspname::text FROM pg_catalog.pg_type AS t "
        "JOIN pg_catalog.pg_namespace AS n ON n.oid = t.typnamespace WHERE t.typname = $1",
        extension,
    )
    return f"{schema}.{extension}"


def test_hstore(session: TypeSession) -> None:
    hstore = extension_type(session, "hstore")
    sql = f'SELECT \'a=>1, "b c"=>NULL, ""=>"\\"q\\""\'::{hstore}'
    # str by default, the server's text (keys in its order), in either format.
    check_columns(session, sql, [r'""=>"\"q\"", "a"=>"1", "b c"=>NULL'])
    value = {"k": "v", "n": None, "e=>": "x,y"}
    text = '"k"=>"v", "n"=>NULL, "e=>"=>"x,y"'
    check_parameters(session, [hstore, hstore], [value, text], [text, text])
    # pg_contrib.hstore gives dicts.
    registry = new_registry()
    info = info_of(session, registry, hstore)
    registry.set_builtin_type_codec(info, codec_name="pg_contrib.hstore")
    assert session.fetchval(sql, registry=registry) == {"a": "1", "b c": None, "": '"q"'}


def test_a_type_without_a_codec_decodes_as_str(session: TypeSession) -> None:
    citext = extension_type(session, "citext")
    registry = check_columns(
        session, f"SELECT 'MiXed'::{citext}, ARRAY['a'::{citext}, NULL]", ["MiXed", ["a", None]]
    )
    info = info_of(session, registry, citext)
    assert info.kind == "base" and registry.result_codec(info.oid).format == TEXT
    check_parameters(session, [citext], ["Ab c"], ["Ab c"])


# -- user codecs ------------------------------------------------------------------------------


def test_text_codec_on_json_reaches_arrays_and_domains(session: TypeSession) -> None:
    registry = new_registry()
    json_info = builtin("json")
    registry.set_type_codec(json_info, encoder=json.dumps, decoder=json.loads, format="text")
    sql = f"SELECT '{{\"a\": [1, 2]}}'::json, ARRAY['[1]'::json, NULL], '{{\"b\": null}}'::{SCHEMA}.jsondoc"
    for text in (False, True):
        row = session.fetch(sql, registry=registry, text=text)[0]
        assert list(row) == [{"a": [1, 2]}, [[1], None], {"b": None}]
    sent = session.fetch(
        f"SELECT $1::json::text, $2::{SCHEMA}.jsondoc::text", {"x": [True]}, "s", registry=registry
    )[0]
    assert list(sent) == ['{"x": [true]}', '"s"']
    registry.reset_type_codec(json_info)
    assert session.fetchval("SELECT '{\"a\": 1}'::json", registry=registry) == '{"a": 1}'


def test_tuple_codecs_for_timestamp_interval_and_composite(session: TypeSession) -> None:
    registry = new_registry()
    for name in ("timestamp", "interval"):
        registry.set_type_codec(
            builtin(name), encoder=tuple, decoder=lambda value: ("raw", value), format="tuple"
        )
    row = session.fetch(
        "SELECT '2000-01-01 00:00:01.5'::timestamp, 'infinity'::timestamp, "
        "'1 year 2 mons -3 days 00:00:01'::interval",
        registry=registry,
    )[0]
    assert list(row) == [("raw", (1_500_000,)), ("raw", (2**63 - 1,)), ("raw", (14, -3, 1_000_000))]
    # The tuple form keeps the months that timedelta cannot.
    text = session.fetchval("SELECT $1::interval::text", (14, -3, 1_000_000), registry=registry)
    assert text == "1 year 2 mons -3 days +00:00:01"
    item = info_of(session, registry, ITEM)
    registry.set_type_codec(
        item, encoder=lambda value: (value["id"], value["name"], None, None), decoder=dict, format="tuple"
    )
    decoded = session.fetchval(f"SELECT {ITEM_SQL}", registry=registry)
    assert decoded == {"id": 1, "name": "x y", "price": Decimal("1.50"), "at": AT}
    assert (
        session.fetchval(f"SELECT $1::{ITEM}::text", {"id": 4, "name": "n"}, registry=registry) == "(4,n,,)"
    )


def test_tuple_codec_for_timetz_counts_the_zone_west_of_utc(session: TypeSession) -> None:
    # asyncpg's timetz tuple is (microseconds, the wire's zone offset): seconds west of UTC.
    registry = new_registry()
    registry.set_type_codec(builtin("timetz"), encoder=tuple, decoder=tuple, format="tuple")
    row = session.fetch(
        "SELECT '12:00:00+05:30'::timetz, '00:00:01.5-08'::timetz, '23:59:59Z'::timetz", registry=registry
    )[0]
    assert list(row) == [(43_200_000_000, -19800), (1_500_000, 28800), (86_399_000_000, 0)]
    sent = session.fetch(
        "SELECT $1::timetz::text, $2::timetz::text, $3::timetz",
        (43_200_000_000, -19800),
        (1_500_000, 28800),
        (0, -3600),
        registry=registry,
    )[0]
    assert list(sent) == ["12:00:00+05:30", "00:00:01.5-08", (0, -3600)]
    registry.reset_type_codec(builtin("timetz"))
    back = session.fetchval("SELECT '12:00:00+05:30'::timetz", registry=registry)
    assert back == time(12, tzinfo=timezone(timedelta(hours=5, minutes=30)))


def test_binary_codec_override_for_int8(session: TypeSession) -> None:
    registry = new_registry()
    int8 = builtin("bigint")
    unpack = struct.Struct("!q").unpack
    registry.set_type_codec(
        int8,
        encoder=lambda value: struct.pack("!q", value * 10),
        decoder=lambda data: ("int8", unpack(data)[0]),
        format="binary",
    )
    row = session.fetch("SELECT 5::int8, ARRAY[1, NULL]::int8[], $1::int8::text", 7, registry=registry)[0]
    assert list(row) == [("int8", 5), [("int8", 1), None], "70"]
    assert registry.codec(int8.oid, TEXT) is None  # one format set: the other is no longer used
    registry.reset_type_codec(int8)
    assert session.fetchval("SELECT $1::int8", 7, registry=registry) == 7


def test_builtin_alias_on_an_enum_and_reset(session: TypeSession) -> None:
    registry = new_registry()
    mood = info_of(session, registry, f"{SCHEMA}.mood")
    sql = f"SELECT 'ok'::{SCHEMA}.mood, ARRAY['sad']::{SCHEMA}.mood[], $1::{SCHEMA}.mood::text"
    registry.set_builtin_type_codec(mood, codec_name="text")
    assert registry.result_codec(mood.oid).name == "mood"
    assert list(session.fetch(sql, "happy", registry=registry)[0]) == ["ok", ["sad"], "happy"]
    with pytest.raises(DataError, match=r"\$1: .*expected str, got int"):
        session.fetch(sql, 1, registry=registry)
    # bytea shows that the alias, not the enum codec, is in use: the label's bytes.
    registry.set_builtin_type_codec(mood, codec_name="bytea", format="binary")
    assert list(session.fetch(sql, b"sad", registry=registry)[0]) == [b"ok", [b"sad"], "sad"]
    registry.reset_type_codec(mood)
    assert list(session.fetch(sql, "ok", registry=registry)[0]) == ["ok", ["sad"], "ok"]


# -- errors -----------------------------------------------------------------------------------


def test_bad_argument_is_refused_before_sending(session: TypeSession) -> None:
    with pytest.raises(DataError) as caught:
        session.fetch("SELECT $1::text, $2::int4", "a", "x")
    assert str(caught.value) == (
        "invalid input for query argument $2: 'x' (expected int, got str); parameter type: int4"
    )
    assert isinstance(caught.value.__cause__, TypeError)
    assert session.fetchval("SELECT $1::int4 + 1", 41) == 42


def test_wrong_argument_count(session: TypeSession) -> None:
    with pytest.raises(InterfaceError, match="the server expects 2 arguments for this query, 1 was passed"):
        session.fetch("SELECT $1::int4, $2::int4", 1)
    with pytest.raises(InterfaceError, match="the server expects 1 argument for this query, 0 were passed"):
        session.fetch("SELECT $1::int4")
    assert session.fetchval("SELECT 1") == 1


def test_anonymous_record_parameter(session: TypeSession) -> None:
    with pytest.raises(
        UnsupportedClientFeatureError, match=r"query argument \$1: input of anonymous composite types"
    ):
        session.fetch("SELECT $1::record", (1, "a"))
    assert session.fetchval("SELECT ROW(1, 'a')") == (1, "a")


@pytest.mark.parametrize("text", [False, True], ids=["binary", "text"])
def test_value_the_decoder_cannot_represent(session: TypeSession, text: bool) -> None:
    label = "text" if text else "binary"
    with pytest.raises(DataError, match=rf"cannot decode column 2 \('ides', type date, {label} format\).*BC"):
        session.fetch("SELECT 1 AS n, '0044-03-15 BC'::date AS ides", text=text)
    assert session.fetchval("SELECT '0044-03-15'::date", text=text) == datetime(44, 3, 15).date()


def test_outdated_composite(session: TypeSession) -> None:
    registry = new_registry()
    drift = f"{SCHEMA}.drift"
    assert session.fetchval(f"SELECT ROW(1)::{drift}", registry=registry) == (1,)
    old = info_of(session, registry, drift)
    session.execute(f"ALTER TYPE {drift} ADD ATTRIBUTE b text")
    try:
        with pytest.raises(OutdatedSchemaCacheError, match=f"type {drift} has changed"):
            session.fetch(f"SELECT ROW(1, 'x')::{drift}", registry=registry)
        # Re-learning the type (what reload_schema_state does) makes it work again.
        registry.clear_types()
        assert session.fetchval(f"SELECT ROW(1, 'x')::{drift}", registry=registry) == (1, "x")
        assert registry.type_info(old.oid) != old
    finally:
        session.execute(f"ALTER TYPE {drift} DROP ATTRIBUTE b")
