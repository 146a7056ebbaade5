"""hstore codecs: golden bytes, round trips, errors, and the live server (when hstore is installed).

By default hstore decodes to ``str``, the server's text form, as in asyncpg (SQLAlchemy's
``HSTORE`` parses that string); the dict codecs are asyncpg's ``pg_contrib.hstore``, one
``set_builtin_type_codec`` call away. Both encode a mapping; the default ones a ``str`` too.
"""

from __future__ import annotations

import struct
from collections.abc import Callable, Iterator

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pgtypes import TypeInfo, TypeRegistry
from pgtypes._codec import BINARY, TEXT, Codec
from pgtypes._hstore import (
    decode_hstore_binary,
    decode_hstore_binary_str,
    decode_hstore_text,
    encode_hstore_binary,
    encode_hstore_input_binary,
    encode_hstore_input_text,
    encode_hstore_text,
    hstore_codec,
    hstore_str_codec,
    hstore_str_text_codec,
    hstore_text_codec,
)
from pgwire import PostgresError
from pgwire.exceptions import DataError
from tests.pgtypes.live import TypeSession

Hstore = dict[str, str | None]
LIVE = settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
CODECS = [hstore_codec(90001, "hstore", "public"), hstore_text_codec(90001, "hstore", "public")]
STR_CODECS = [hstore_str_codec(90001, "hstore", "public"), hstore_str_text_codec(90001, "hstore", "public")]


def pairs(*items: tuple[str, str | None]) -> bytes:
    """hstore_send's layout, written out by hand."""
    out = struct.pack("!i", len(items))
    for key, value in items:
        out += struct.pack("!i", len(key.encode())) + key.encode()
        out += (
            b"\xff\xff\xff\xff" if value is None else struct.pack("!i", len(value.encode())) + value.encode()
        )
    return out


@pytest.mark.parametrize(
    ("codecs", "binary_decode", "text_encode"),
    [
        (CODECS, decode_hstore_binary, encode_hstore_text),
        (STR_CODECS, decode_hstore_binary_str, encode_hstore_input_text),
    ],
)
def test_factories_build_codecs_for_the_given_type(
    codecs: list[Codec], binary_decode: object, text_encode: object
) -> None:
    binary, text = codecs
    for codec, format_code in ((binary, BINARY), (text, TEXT)):
        assert (codec.oid, codec.name, codec.schema, codec.format, codec.kind) == (
            90001,
            "hstore",
            "public",
            format_code,
            "scalar",
        )
    assert binary.decode is binary_decode and text.encode is text_encode


GOLDEN: list[tuple[Hstore, bytes, bytes]] = [
    ({}, pairs(), b""),
    ({"a": "1", "b": None}, pairs(("a", "1"), ("b", None)), b'"a"=>"1", "b"=>NULL'),
    ({"k": ""}, pairs(("k", "")), b'"k"=>""'),
    ({'q"k': "b\\s"}, pairs(('q"k', "b\\s")), b'"q\\"k"=>"b\\\\s"'),
    ({"NULL": "NULL"}, pairs(("NULL", "NULL")), b'"NULL"=>"NULL"'),
    ({"ключ": "значение"}, pairs(("ключ", "значение")), '"ключ"=>"значение"'.encode()),
]


@pytest.mark.parametrize(("value", "binary", "text"), GOLDEN)
def test_golden(value: Hstore, binary: bytes, text: bytes) -> None:
    assert encode_hstore_binary(value) == binary
    assert decode_hstore_binary(binary) == value
    assert encode_hstore_text(value) == text
    assert decode_hstore_text(text) == value


@pytest.mark.parametrize(("value", "binary", "text"), GOLDEN)
def test_golden_str_codecs(value: Hstore, binary: bytes, text: bytes) -> None:
    # The default codecs: the value is the text form, in both formats.
    binary_codec, text_codec = STR_CODECS
    assert binary_codec.decode(binary) == text.decode()
    assert text_codec.decode(text) == text.decode()
    for argument in (value, text.decode()):
        assert binary_codec.encode(argument) == binary
    assert text_codec.encode(value) == text
    # A str goes out as it is in text (the server reads it), and is read here for binary.
    assert text_codec.encode("a => 1") == b"a => 1"
    assert binary_codec.encode("a => 1, b=>NULL") == encode_hstore_binary({"a": "1", "b": None})


def test_default_registry_codecs_decode_to_str_and_pg_contrib_hstore_to_dict() -> None:
    registry = TypeRegistry.default().copy()
    info = TypeInfo(90001, "hstore", "public", "base")
    registry.add_types([info])
    wire = encode_hstore_binary({"a": "1", "b": None})
    for codec in (registry.result_codec(90001), registry.parameter_codec(90001)):
        assert codec.format == BINARY
        assert codec.decode(wire) == '"a"=>"1", "b"=>NULL'
        assert codec.encode({"a": "1", "b": None}) == codec.encode('"a"=>"1", "b"=>NULL') == wire
    text = registry.codec(90001, TEXT)
    assert text is not None and text.decode(b'"a"=>"1"') == '"a"=>"1"'
    # The dict codec is one call away, as asyncpg's pg_contrib.hstore.
    registry.set_builtin_type_codec(info, codec_name="pg_contrib.hstore")
    assert registry.result_codec(90001).decode(wire) == {"a": "1", "b": None}
    text = registry.codec(90001, TEXT)
    assert text is not None and text.decode(b'"a"=>"1"') == {"a": "1"}
    registry.reset_type_codec(info)
    assert registry.result_codec(90001).decode(wire) == '"a"=>"1", "b"=>NULL'


@pytest.mark.parametrize(
    ("encode", "value", "error", "message"),
    [
        (encode_hstore_input_binary, "a=>", ValueError, "unexpected end of input, value expected"),
        (encode_hstore_input_binary, "a=>1 b", ValueError, "',' expected"),
        (encode_hstore_input_binary, 5, TypeError, r"got int$"),
        (encode_hstore_input_binary, b"a=>1", TypeError, r"got bytes$"),
        (encode_hstore_input_text, "a=>\x00", ValueError, "cannot contain NUL"),
        (encode_hstore_input_text, 5, TypeError, r"got int$"),
        (encode_hstore_input_text, {"a": 1}, TypeError, r"got int$"),
    ],
)
def test_str_codec_encode_errors(
    encode: Callable[[object], bytes], value: object, error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message):
        encode(value)


@pytest.mark.parametrize(
    ("data", "value"),
    [
        (b"a=>1, b=>NULL", {"a": "1", "b": None}),
        (b"a=>1,b=>2", {"a": "1", "b": "2"}),
        (b"  a  =>  1  ,  b=>nUlL  ", {"a": "1", "b": None}),
        (b'"a"=>"NULL"', {"a": "NULL"}),
        (b"a=>\\NULL", {"a": "NULL"}),
        (b"NULL=>x", {"NULL": "x"}),
        (b'"a b"=>"c, d", e=>f=g>h', {"a b": "c, d", "e": "f=g>h"}),
        (b"a\\=b=>c\\,d", {"a=b": "c,d"}),
        (b'a=>""', {"a": ""}),
        (b'""=>x', {"": "x"}),
        (b"   ", {}),
        # hstore_in takes a trailing comma.
        (b"a=>b, ", {"a": "b"}),
    ],
)
def test_decode_text_forms(data: bytes, value: Hstore) -> None:
    assert decode_hstore_text(data) == value


@pytest.mark.parametrize("codec", CODECS)
def test_encode_accepts_mappings_and_pairs(codec: Codec) -> None:
    expected = {"a": "1", "b": None}
    for value in (
        expected,
        [("a", "1"), ("b", None)],
        (["a", "1"], ["b", None]),
        iter([("a", "1"), ("b", None)]),
    ):
        assert codec.decode(codec.encode(value)) == expected
    # A later pair replaces an earlier one with the same key, as in a dict.
    assert codec.decode(codec.encode([("a", "1"), ("a", "2")])) == {"a": "2"}


@pytest.mark.parametrize("codec", CODECS)
@pytest.mark.parametrize(
    ("value", "error", "message"),
    [
        ({None: "x"}, ValueError, r"^null value not allowed in hstore key$"),
        ([(None, None)], ValueError, r"^null value not allowed in hstore key$"),
        ({1: "x"}, TypeError, r"^expected str hstore key, got int$"),
        ({"a": 1}, TypeError, r"^expected str or None hstore value for key 'a', got int$"),
        ({"a": b"x"}, TypeError, r"got bytes$"),
        (5, TypeError, r"^expected a mapping or an iterable of \(key, value\) pairs, got int$"),
        ("a=>1", TypeError, r"got str$"),
        (b"a", TypeError, r"got bytes$"),
        ([("a", "1", "2")], TypeError, r"^expected a \(key, value\) pair in hstore, got tuple$"),
        (["ab"], TypeError, r"pair in hstore, got str$"),
    ],
)
def test_encode_errors(codec: Codec, value: object, error: type[Exception], message: str) -> None:
    with pytest.raises(error, match=message):
        codec.encode(value)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"\x00\x00", r"expected at least 4 bytes, got 2"),
        (struct.pack("!i", -1), r"-1 pairs do not fit"),
        (struct.pack("!i", 2) + b"\x00" * 8, r"2 pairs do not fit 12 bytes"),
        (struct.pack("!ii", 1, -1) + b"\x00" * 4, r"null value not allowed in hstore key"),
        (struct.pack("!ii", 1, 5) + b"ab" + b"\x00" * 2, r"data ends inside a pair"),
        (pairs(("a", "1")) + b"\x00", r"1 bytes after the last pair"),
        (pairs(("a", "1"))[:-1], r"value of key 'a' has length 1"),
        (struct.pack("!ii", 1, 1) + b"a" + struct.pack("!i", -2), r"value of key 'a' has length -2"),
        (
            struct.pack("!ii", 2, 1) + b"a" + struct.pack("!ii", -1, 9) + b"\x00" * 4,
            r"data ends inside a pair",
        ),
    ],
)
def test_decode_binary_errors(data: bytes, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        decode_hstore_binary(data)


def test_decode_binary_rejects_bad_utf8() -> None:
    with pytest.raises(ValueError, match="utf-8"):
        decode_hstore_binary(struct.pack("!ii", 1, 1) + b"\xff" + struct.pack("!i", -1))


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"a", r"'=>' expected at position 1"),
        (b"a=1", r"'=>' expected"),
        (b"a=>", r"unexpected end of input, value expected"),
        (b"a=>b c=>d", r"',' expected at position 5"),
        (b'"a', r"unterminated quoted string"),
        (b'a=>"b', r"unterminated quoted string"),
        (b"=>b", r"key expected at position 0"),
        (b"a=>,", r"value expected at position 3"),
        (b"a\\", r"after a backslash"),
        (b'"a\\', r"after a backslash"),
    ],
)
def test_decode_text_errors(data: bytes, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        decode_hstore_text(data)


# PostgreSQL text cannot hold NUL.
_STRINGS = st.text(
    st.characters(exclude_categories=["Cs"], exclude_characters="\x00"), max_size=10
) | st.sampled_from(["", "NULL", "null", " ", "=>", ",", '"', "\\", "a b"])
HSTORES = st.dictionaries(_STRINGS, _STRINGS | st.none(), max_size=6)


@pytest.mark.parametrize("codec", CODECS)
@given(value=HSTORES)
def test_round_trip(codec: Codec, value: Hstore) -> None:
    assert codec.decode(codec.encode(value)) == value


# --- live --------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def hstore_oid(type_session: TypeSession) -> Iterator[int]:
    """The OID of hstore in the test database; skips when the extension is not available."""
    try:
        type_session.execute("CREATE EXTENSION IF NOT EXISTS hstore")
    except PostgresError as exc:
        pytest.skip(f"the hstore extension is not available on this server (no contrib): {exc}")
    yield type_session.type_oid("hstore")


@pytest.mark.parametrize("codec", CODECS)
@pytest.mark.parametrize(
    ("value", "server_text"),
    [
        ({}, ""),
        ({"a": "1", "b": None}, '"a"=>"1", "b"=>NULL'),
        ({"long key": "x", "k": 'q"\\'}, '"k"=>"q\\"\\\\", "long key"=>"x"'),
        ({"NULL": "NULL", "": ""}, '""=>"", "NULL"=>"NULL"'),
    ],
)
def test_live_echo(
    type_session: TypeSession, hstore_oid: int, codec: Codec, value: Hstore, server_text: str
) -> None:
    first, text = type_session.echo("hstore", codec.encode(value), codec.format)
    assert first is not None
    assert codec.decode(first) == value
    assert text == server_text


@pytest.mark.parametrize("codec", CODECS)
def test_live_select(type_session: TypeSession, hstore_oid: int, codec: Codec) -> None:
    data = type_session.select("'a=>1, b=>NULL, c=>\"NULL\", a=>2'::hstore", codec.format)
    assert data is not None
    assert codec.decode(data) == {"a": "1", "b": None, "c": "NULL"}
    assert hstore_oid == type_session.type_oid("public.hstore")


@LIVE
@given(value=HSTORES)
def test_live_round_trip(type_session: TypeSession, hstore_oid: int, value: Hstore) -> None:
    for codec in CODECS:
        first, text = type_session.echo("hstore", codec.encode(value), codec.format)
        assert first is not None and text is not None
        assert codec.decode(first) == value
        assert decode_hstore_text(text.encode()) == value


@pytest.mark.parametrize("codec", STR_CODECS)
@given(value=HSTORES)
def test_str_codecs_round_trip(codec: Codec, value: Hstore) -> None:
    text = codec.decode(codec.encode(value))
    assert isinstance(text, str) and decode_hstore_text(text.encode()) == value
    # What they decode to encodes to the same value again (SQLAlchemy sends such strings).
    assert codec.decode(codec.encode(text)) == text


#: hstore input text (unsorted, unquoted words, an escaped quote) and the server's text for it.
LIVE_INPUT = r'b=>NULL, a=>1, "k q"=>"v\"w"'
LIVE_TEXT = r'"a"=>"1", "b"=>NULL, "k q"=>"v\"w"'


@pytest.mark.parametrize("text", [False, True])
def test_live_default_is_the_servers_text(type_session: TypeSession, hstore_oid: int, text: bool) -> None:
    registry = TypeRegistry.default().copy()
    sql = f"SELECT '{LIVE_INPUT}'::hstore, '{LIVE_INPUT}'::hstore::text"
    value, server_text = type_session.fetch(sql, registry=registry, text=text)[0]
    assert value == server_text == LIVE_TEXT
    arrays = type_session.fetchval("SELECT ARRAY['a=>1'::hstore, NULL, '']", registry=registry, text=text)
    assert arrays == ['"a"=>"1"', None, ""]
    # Arguments: the str decoded above, other hstore text, a dict or pairs.
    for argument in (value, LIVE_INPUT, {"b": None, "a": "1", "k q": 'v"w'}):
        assert type_session.fetchval("SELECT $1::hstore::text", argument, registry=registry) == LIVE_TEXT
    assert type_session.fetchval("SELECT $1::hstore", [("x", None)], registry=registry) == '"x"=>NULL'
    with pytest.raises(DataError, match=r"^invalid input for query argument \$1: 'a=>' "):
        type_session.fetchval("SELECT $1::hstore", "a=>", registry=registry)


def test_live_pg_contrib_hstore_gives_dicts(type_session: TypeSession, hstore_oid: int) -> None:
    registry = TypeRegistry.default().copy()
    type_session.introspect(registry, [hstore_oid])
    info = registry.type_info(hstore_oid)
    assert info is not None
    registry.set_builtin_type_codec(info, codec_name="pg_contrib.hstore")
    for text in (False, True):
        row = type_session.fetch(
            "SELECT 'a=>1, b=>NULL'::hstore, ARRAY['c=>d'::hstore]", registry=registry, text=text
        )
        assert list(row[0]) == [{"a": "1", "b": None}, [{"c": "d"}]]
    assert type_session.fetchval("SELECT $1::hstore::text", {"k": "v"}, registry=registry) == '"k"=>"v"'
