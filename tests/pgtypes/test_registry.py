"""The codec registry: layers, copy on write, derived codecs, user codecs and their errors."""

from __future__ import annotations

import json
from typing import Any

import pytest

from pgtypes import BINARY, TEXT, Record, TypeInfo, TypeRegistry, lookup_builtin_type
from pgtypes._builtin_codecs import BUILTIN_TYPE_INFOS
from pgtypes._builtin_types import BUILTIN_TYPES
from pgtypes.types import Type
from pgwire.exceptions import InterfaceError, InternalClientError, UnsupportedClientFeatureError

MOOD = TypeInfo(50001, "mood", "public", "enum")
MOODS = TypeInfo(50002, "_mood", "public", "array", element_oid=50001)
POSINT = TypeInfo(50003, "posint", "public", "domain", base_oid=23)
PAIR = TypeInfo(50004, "pair", "public", "composite", attributes=(("a", 23), ("b", 25)))
PAIRS = TypeInfo(50005, "_pair", "public", "array", element_oid=50004)
FLOATRANGE = TypeInfo(50006, "floatrange", "public", "range", range_subtype_oid=701)
FLOATMULTI = TypeInfo(50007, "floatmultirange", "public", "multirange", range_subtype_oid=50006)
CITEXT = TypeInfo(50008, "citext", "public", "base")
HSTORE = TypeInfo(50009, "hstore", "public", "base")
ALL = (MOOD, MOODS, POSINT, PAIR, PAIRS, FLOATRANGE, FLOATMULTI, CITEXT, HSTORE)


def registry() -> TypeRegistry:
    copy = TypeRegistry.default().copy()
    copy.add_types(ALL)
    return copy


def test_every_builtin_type_with_an_io_function_has_a_codec() -> None:
    default = TypeRegistry.default()
    # Pseudo types other than these carry no values a query can return.
    valued_pseudo = {"record", "void", "unknown", "cstring", "_record"}
    catalog_rows = {name for _, name, typtype, *_ in BUILTIN_TYPES if typtype == "c"}
    for oid, name, typtype, *_ in BUILTIN_TYPES:
        if typtype == "p" and name not in valued_pseudo:
            continue
        if name.lstrip("_") in catalog_rows:
            # The system catalogs' row types are introspected like any composite.
            assert default.missing_oids([oid]), name
            continue
        codec = default.result_codec(oid)
        assert codec.oid == oid and codec.name == name, codec


def test_binary_is_preferred_and_text_kept_for_types_without_binary() -> None:
    default = TypeRegistry.default()
    assert default.result_codec(23).format == BINARY
    assert default.codec(23, TEXT) is not None
    money = default.result_codec(790)
    assert money.format == TEXT  # money's text form carries the currency format
    assert default.result_codec(1007).format == BINARY  # int4[]
    assert default.result_codec(791).format == TEXT  # money[] follows its element


def test_default_registry_is_read_only_and_copies_are_independent() -> None:
    default = TypeRegistry.default()
    with pytest.raises(InterfaceError, match="read-only"):
        default.add_types([MOOD])
    first = default.copy()
    second = default.copy()
    first.add_types([MOOD])
    assert first.type_info(MOOD.oid) == MOOD
    assert second.type_info(MOOD.oid) is None and default.type_info(MOOD.oid) is None
    first.set_type_codec(lookup_info("int4"), encoder=str, decoder=int, format="text")
    assert first.result_codec(23).format == TEXT
    assert second.result_codec(23).format == BINARY and default.result_codec(23).format == BINARY
    third = first.copy()
    assert third.result_codec(23).format == TEXT
    first.reset_type_codec(lookup_info("int4"))
    assert first.result_codec(23).format == BINARY and third.result_codec(23).format == TEXT


def lookup_info(name: str) -> TypeInfo:
    info = lookup_builtin_type(name)
    assert info is not None
    return info


def test_builtin_names_and_aliases() -> None:
    assert lookup_info("int4").oid == 23
    assert lookup_info("INTEGER").oid == 23
    assert lookup_info("character   varying").oid == 1043
    assert lookup_info("double precision").oid == 701
    assert lookup_info("timestamp with timezone").oid == 1184
    assert lookup_info("char").oid == 1042 and lookup_info('"char"').oid == 18
    assert lookup_builtin_type("no_such_type") is None


def test_missing_oids_follow_dependencies() -> None:
    copy = TypeRegistry.default().copy()
    assert copy.missing_oids([23, 1007, 0]) == set()
    assert copy.missing_oids([50002]) == {50002}
    copy.add_types([MOODS])
    assert copy.missing_oids([50002]) == {50001}
    copy.add_types([MOOD, PAIR])
    assert copy.missing_oids([50002, 50004]) == set()
    with pytest.raises(InternalClientError, match="no type information for OID 60000"):
        copy.result_codec(60000)


def test_describe_names_arrays_and_kinds() -> None:
    copy = registry()
    assert copy.describe(1007) == Type(1007, "int4[]", "array", "pg_catalog")
    assert copy.describe(23) == Type(23, "int4", "scalar", "pg_catalog")
    assert copy.describe(MOODS.oid) == Type(MOODS.oid, "mood[]", "array", "public")
    assert copy.describe(PAIR.oid).kind == "composite"
    assert copy.describe(3904).kind == "range" and copy.describe(4451).kind == "multirange"
    assert copy.describe(POSINT.oid).kind == "scalar"


def test_derived_codecs() -> None:
    copy = registry()
    mood = copy.result_codec(MOOD.oid)
    assert mood.decode(b"happy") == "happy" and mood.encode("sad") == b"sad"
    moods = copy.result_codec(MOODS.oid)
    assert moods.decode(moods.encode(["happy", None, "sad"])) == ["happy", None, "sad"]
    posint = copy.result_codec(POSINT.oid)
    assert posint.decode(posint.encode(5)) == 5 and posint.name == "posint" and posint.oid == POSINT.oid
    pair = copy.result_codec(PAIR.oid)
    value = pair.decode(pair.encode((1, "x")))
    assert isinstance(value, Record) and tuple(value) == (1, "x") and value["b"] == "x"
    assert copy.result_codec(PAIRS.oid).format == BINARY
    floats = copy.result_codec(FLOATMULTI.oid)
    assert floats.decode(floats.encode([])) == []
    citext = copy.result_codec(CITEXT.oid)
    assert citext.format == TEXT and citext.decode(b"Abc") == "Abc"
    hstore = copy.result_codec(HSTORE.oid)
    # str by default (the server's text form), as asyncpg; pg_contrib.hstore gives dicts.
    assert hstore.format == BINARY
    assert hstore.decode(hstore.encode({"a": "1", "b": None})) == '"a"=>"1", "b"=>NULL'


def test_composite_and_range_without_binary_attribute_codecs() -> None:
    copy = TypeRegistry.default().copy()
    odd = TypeInfo(50100, "odd", "public", "composite", attributes=(("m", 790),))
    odd_range = TypeInfo(50101, "moneyrange", "public", "range", range_subtype_oid=790)
    copy.add_types([odd, odd_range])
    with pytest.raises(
        UnsupportedClientFeatureError, match="text encoding of composite types is not supported"
    ):
        copy.result_codec(odd.oid)
    with pytest.raises(UnsupportedClientFeatureError, match="text encoding of range types is not supported"):
        copy.result_codec(odd_range.oid)


def test_text_codec_reaches_arrays_domains_and_composites() -> None:
    copy = registry()
    copy.set_type_codec(lookup_info("int4"), encoder=lambda v: str(v // 10), decoder=lambda s: int(s) * 10)
    int4 = copy.result_codec(23)
    assert int4.format == TEXT and int4.decode(b"5") == 50 and int4.encode(70) == b"7"
    assert copy.codec(23, BINARY) is None  # one format overridden: the other is off
    assert copy.result_codec(1007).decode(b"{1,2}") == [10, 20]
    assert copy.result_codec(POSINT.oid).decode(b"3") == 30
    # The composite needs binary attribute codecs, which int4 no longer has.
    with pytest.raises(UnsupportedClientFeatureError):
        copy.result_codec(PAIR.oid)


def test_binary_and_tuple_codecs() -> None:
    copy = registry()
    copy.set_type_codec(
        lookup_info("int8"),
        encoder=lambda v: int(v).to_bytes(8, "big", signed=True),
        decoder=lambda b: ("big", int.from_bytes(b, "big", signed=True)),
        format="binary",
    )
    int8 = copy.result_codec(20)
    assert int8.decode(b"\x00" * 7 + b"\x05") == ("big", 5)
    assert int8.encode(7) == b"\x00" * 7 + b"\x07"
    copy.set_type_codec(lookup_info("interval"), encoder=lambda v: v, decoder=lambda t: t, format="tuple")
    interval = copy.result_codec(1186)
    assert interval.decode(interval.encode((14, 3, 5_000_000))) == (14, 3, 5_000_000)
    copy.set_type_codec(PAIR, encoder=lambda d: (d["a"], d["b"]), decoder=lambda r: dict(r), format="tuple")
    pair = copy.result_codec(PAIR.oid)
    assert pair.decode(pair.encode({"a": 1, "b": "z"})) == {"a": 1, "b": "z"}
    pairs = copy.result_codec(PAIRS.oid)
    assert pairs.decode(pairs.encode([{"a": 2, "b": None}])) == [{"a": 2, "b": None}]


def test_user_encoder_returning_the_wrong_type() -> None:
    copy = registry()
    copy.set_type_codec(lookup_info("json"), encoder=lambda v: v, decoder=json.loads)
    with pytest.raises(TypeError, match="text-format encoder returned dict, expected str"):
        copy.result_codec(114).encode({"a": 1})
    copy.set_type_codec(lookup_info("json"), encoder=lambda v: 5, decoder=bytes, format="binary")
    with pytest.raises(TypeError, match="binary-format encoder returned int, expected a bytes-like object"):
        copy.result_codec(114).encode({"a": 1})


@pytest.mark.parametrize(
    ("info", "options", "error", "message"),
    [
        (lookup_builtin_type("int4"), {"format": "yaml"}, InterfaceError, "invalid `format` argument"),
        (POSINT, {}, UnsupportedClientFeatureError, "custom codecs on domain types are not supported"),
        (PAIR, {"format": "text"}, UnsupportedClientFeatureError, "only tuple-format codecs"),
        (MOODS, {}, InterfaceError, "cannot use custom codec on type public._mood: it is neither"),
        (FLOATRANGE, {}, InterfaceError, "neither a scalar type nor a composite type"),
        (
            lookup_builtin_type("int4"),
            {"format": "tuple"},
            InterfaceError,
            "int4 type does not support the 'tuple'",
        ),
    ],
)
def test_set_type_codec_errors(
    info: TypeInfo | None, options: dict[str, Any], error: type, message: str
) -> None:
    assert info is not None
    copy = registry()
    with pytest.raises(error, match=message) as caught:
        copy.set_type_codec(info, encoder=str, decoder=str, **options)
    if info is POSINT:
        assert getattr(caught.value, "hint", None) == "Set the codec on the base type."


def test_set_builtin_type_codec() -> None:
    copy = registry()
    copy.set_builtin_type_codec(CITEXT, codec_name="text")
    assert copy.result_codec(CITEXT.oid).format == BINARY
    assert copy.result_codec(CITEXT.oid).decode(b"x") == "x"
    copy.set_builtin_type_codec(MOOD, codec_name="int4", format="binary")
    assert copy.result_codec(MOOD.oid).decode(b"\x00\x00\x00\x07") == 7
    assert copy.codec(MOOD.oid, TEXT) is None
    copy.set_builtin_type_codec(CITEXT, codec_name="pg_contrib.hstore")
    assert copy.result_codec(CITEXT.oid).decode(copy.result_codec(HSTORE.oid).encode({"k": "v"})) == {
        "k": "v"
    }
    with pytest.raises(InterfaceError, match=r"cannot alias non-scalar type public\._mood"):
        copy.set_builtin_type_codec(MOODS, codec_name="text")
    with pytest.raises(InterfaceError, match="there is no binary codec for money"):
        copy.set_builtin_type_codec(CITEXT, codec_name="money", format="binary")
    with pytest.raises(InterfaceError, match="no such built-in codec"):
        copy.set_builtin_type_codec(CITEXT, codec_name="nonesuch")
    with pytest.raises(InterfaceError, match=r"invalid `format` argument"):
        copy.set_builtin_type_codec(CITEXT, codec_name="text", format="tuple")
    copy.reset_type_codec(CITEXT)
    assert copy.result_codec(CITEXT.oid).format == TEXT


def test_builtin_infos_cover_the_catalog_table() -> None:
    composites = [entry for entry in BUILTIN_TYPES if entry[2] == "c"]
    assert composites and len(BUILTIN_TYPE_INFOS) == len(BUILTIN_TYPES) - len(composites)
    assert BUILTIN_TYPE_INFOS[2287].kind == "array" and BUILTIN_TYPE_INFOS[2287].element_oid == 2249
    assert BUILTIN_TYPE_INFOS[1007].kind == "array" and BUILTIN_TYPE_INFOS[1007].element_oid == 23
    assert BUILTIN_TYPE_INFOS[22].kind == "array"  # int2vector travels as an int2 array
    assert BUILTIN_TYPE_INFOS[19].kind == "base"  # name has typelem but is not an array
    assert BUILTIN_TYPE_INFOS[1020].kind == "array" and BUILTIN_TYPE_INFOS[603].delimiter == ";"
