"""Codecs of the character types and their relatives: text, json, bytea, uuid and text-only types.

Python values follow asyncpg (reference section 9.1): every character-like type is ``str``,
``bytea`` is ``bytes`` and ``uuid`` is :class:`uuid.UUID`.

Wire formats (PostgreSQL's ``*_send``/``*_recv`` and ``*_out``/``*_in`` functions):

- ``text``, ``varchar``, ``bpchar``, ``name``, ``unknown``, ``xml``, ``json`` and ``refcursor``:
  binary and text are both the value's characters in the client encoding, which pgconn sets to
  UTF-8. ``bpchar`` comes back blank-padded to its length and ``name`` is cut to 63 bytes by the
  server (section 8.3, "Character Types").
- ``jsonb`` and ``jsonpath``: the text form, preceded in binary by a version byte, 1 being the
  only version the server writes or reads (section 8.14, "JSON Types").
- ``bytea``: binary is the raw bytes; text is the hex format ``\\x0a0b`` that the server prints
  by default, or the legacy escape format when ``bytea_output = escape`` (section 8.4,
  "Binary Data Types"). Encoding uses the hex format.
- ``uuid``: 16 bytes in binary; the hyphenated lower-case hex form in text (section 8.12).
- ``tsvector``, ``tsquery``, ``aclitem``, ``pg_node_tree``, the extended statistics types,
  the BRIN summary types and ``cstring`` are handled in text format only, as ``str``.

PostgreSQL text cannot hold the NUL character (section 8.3), so every encoder of a text-like
type rejects a ``str`` containing one instead of sending something the server refuses.

:func:`text_codec` and :func:`enum_codec` build the same ``str`` codec for types that have no
codec of their own (extension types in text, enums in binary, whose binary form is the label).
"""

from __future__ import annotations

import binascii
from typing import Final
from uuid import UUID

from pgtypes._codec import BINARY, TEXT, Codec, CodecTable, type_error

__all__ = [
    "ACLITEM_OID",
    "BPCHAR_OID",
    "BYTEA_OID",
    "CSTRING_OID",
    "JSONB_OID",
    "JSONPATH_OID",
    "JSON_OID",
    "NAME_OID",
    "PG_BRIN_BLOOM_SUMMARY_OID",
    "PG_BRIN_MINMAX_MULTI_SUMMARY_OID",
    "PG_DEPENDENCIES_OID",
    "PG_MCV_LIST_OID",
    "PG_NDISTINCT_OID",
    "PG_NODE_TREE_OID",
    "REFCURSOR_OID",
    "TEXT_OID",
    "TSQUERY_OID",
    "TSVECTOR_OID",
    "UNKNOWN_OID",
    "UUID_OID",
    "VARCHAR_OID",
    "XML_OID",
    "decode_bytea_text",
    "decode_jsonb_binary",
    "decode_jsonpath_binary",
    "decode_uuid_binary",
    "decode_uuid_text",
    "encode_bytea_binary",
    "encode_bytea_text",
    "encode_jsonb_binary",
    "encode_jsonpath_binary",
    "encode_str",
    "encode_uuid_binary",
    "encode_uuid_text",
    "enum_codec",
    "register",
    "text_codec",
]

TEXT_OID: Final = 25
VARCHAR_OID: Final = 1043
BPCHAR_OID: Final = 1042
NAME_OID: Final = 19
UNKNOWN_OID: Final = 705
XML_OID: Final = 142
JSON_OID: Final = 114
JSONB_OID: Final = 3802
JSONPATH_OID: Final = 4072
BYTEA_OID: Final = 17
UUID_OID: Final = 2950
REFCURSOR_OID: Final = 1790
TSVECTOR_OID: Final = 3614
TSQUERY_OID: Final = 3615
ACLITEM_OID: Final = 1033
PG_NODE_TREE_OID: Final = 194
PG_NDISTINCT_OID: Final = 3361
PG_DEPENDENCIES_OID: Final = 3402
PG_MCV_LIST_OID: Final = 5017
PG_BRIN_BLOOM_SUMMARY_OID: Final = 4600
PG_BRIN_MINMAX_MULTI_SUMMARY_OID: Final = 4601
CSTRING_OID: Final = 2275

#: Types whose binary and text formats are both the plain text.
_PLAIN_TYPES: Final = (
    (TEXT_OID, "text"),
    (VARCHAR_OID, "varchar"),
    (BPCHAR_OID, "bpchar"),
    (NAME_OID, "name"),
    (UNKNOWN_OID, "unknown"),
    (XML_OID, "xml"),
    (JSON_OID, "json"),
    (REFCURSOR_OID, "refcursor"),
)

#: Types this client exchanges in text format only.
_TEXT_ONLY_TYPES: Final = (
    (TSVECTOR_OID, "tsvector"),
    (TSQUERY_OID, "tsquery"),
    (ACLITEM_OID, "aclitem"),
    (PG_NODE_TREE_OID, "pg_node_tree"),
    (PG_NDISTINCT_OID, "pg_ndistinct"),
    (PG_DEPENDENCIES_OID, "pg_dependencies"),
    (PG_MCV_LIST_OID, "pg_mcv_list"),
    (PG_BRIN_BLOOM_SUMMARY_OID, "pg_brin_bloom_summary"),
    (PG_BRIN_MINMAX_MULTI_SUMMARY_OID, "pg_brin_minmax_multi_summary"),
    (CSTRING_OID, "cstring"),
)

#: The one version byte jsonb_send and jsonpath_send write and their receive functions accept.
_JSON_VERSION: Final = 1
_JSON_VERSION_BYTE: Final = b"\x01"

#: The prefix of bytea's hex format (section 8.4.1).
_HEX_PREFIX: Final = b"\\x"
_BACKSLASH: Final = 0x5C
_OCTAL_DIGITS: Final = b"01234567"

#: Decoding strict UTF-8 is the unbound ``bytes.decode`` itself: no Python frame per value.
_decode_utf8: Final = bytes.decode
_hexlify: Final = binascii.hexlify
_unhexlify: Final = binascii.unhexlify


def encode_str(value: object) -> bytes:
    """Encode a ``str`` as UTF-8 for any text-like type, in either format.

    Args:
        value: the ``str`` to send.

    Returns:
        Its UTF-8 bytes.

    Raises:
        TypeError: ``value`` is not a ``str``.
        ValueError: it contains a NUL character, which PostgreSQL text cannot hold, or a lone
            surrogate, which UTF-8 cannot encode (``UnicodeEncodeError``).
    """
    if not isinstance(value, str):
        raise type_error("str", value)
    index = value.find("\x00")
    if index >= 0:
        raise ValueError(f"PostgreSQL text cannot contain NUL (\\x00) characters: found at index {index}")
    return value.encode()


def _encode_versioned(value: object) -> bytes:
    return _JSON_VERSION_BYTE + encode_str(value)


def _decode_versioned(data: bytes, type_name: str) -> str:
    if not data:
        raise ValueError(f"invalid {type_name} value: expected a version byte, got no data")
    if data[0] != _JSON_VERSION:
        raise ValueError(f"unexpected {type_name} format: {data[0]}")
    return data[1:].decode()


def encode_jsonb_binary(value: object) -> bytes:
    """Encode a ``str`` as binary ``jsonb``: version byte 1, then the UTF-8 text.

    Raises:
        TypeError, ValueError: as :func:`encode_str`.
    """
    return _encode_versioned(value)


def decode_jsonb_binary(data: bytes) -> str:
    """Decode binary ``jsonb`` to its text.

    Raises:
        ValueError: no data, a version byte other than 1, or invalid UTF-8.
    """
    return _decode_versioned(data, "jsonb")


def encode_jsonpath_binary(value: object) -> bytes:
    """Encode a ``str`` as binary ``jsonpath``: version byte 1, then the UTF-8 text.

    Raises:
        TypeError, ValueError: as :func:`encode_str`.
    """
    return _encode_versioned(value)


def decode_jsonpath_binary(data: bytes) -> str:
    """Decode binary ``jsonpath`` to its text.

    Raises:
        ValueError: no data, a version byte other than 1, or invalid UTF-8.
    """
    return _decode_versioned(data, "jsonpath")


def encode_bytea_binary(value: object) -> bytes:
    """The raw bytes of a ``bytes``, ``bytearray`` or ``memoryview`` (binary ``bytea``).

    Raises:
        TypeError: ``value`` is none of those.
    """
    if isinstance(value, bytes):
        return value
    if isinstance(value, bytearray | memoryview):
        return bytes(value)
    raise type_error("bytes, bytearray or memoryview", value)


def encode_bytea_text(value: object) -> bytes:
    """Encode bytes in bytea's hex text format, ``\\x`` then two hex digits per byte.

    Raises:
        TypeError: as :func:`encode_bytea_binary`.
    """
    return _HEX_PREFIX + _hexlify(encode_bytea_binary(value))


def decode_bytea_text(data: bytes) -> bytes:
    """Decode bytea's text format: the hex format, else the escape format.

    Returns:
        The bytes.

    Raises:
        ValueError: an odd number of hex digits or a non-hex character, or in the escape format
            a backslash followed by neither a backslash nor three octal digits.
    """
    if data[:2] == _HEX_PREFIX:
        try:
            return _unhexlify(data[2:])
        except binascii.Error:
            # bytea_in also allows whitespace between digit pairs (section 8.4.1), which
            # bytes.fromhex skips and unhexlify does not; the server never prints any.
            try:
                return bytes.fromhex(data[2:].decode("ascii"))
            except ValueError:
                raise ValueError(f"invalid bytea value: bad hex format: {data[:40]!r}") from None
    return _decode_bytea_escape(data)


def _decode_bytea_escape(data: bytes) -> bytes:
    """Decode bytea's escape format (section 8.4.2): ``\\\\`` and ``\\ooo`` escapes."""
    slash = data.find(b"\\")
    if slash < 0:
        return bytes(data)
    out = bytearray()
    position = 0
    while slash >= 0:
        out += data[position:slash]
        if data[slash + 1 : slash + 2] == b"\\":
            out.append(_BACKSLASH)
            position = slash + 2
        else:
            digits = data[slash + 1 : slash + 4]
            if (
                len(digits) != 3
                or digits[0] not in b"0123"
                or digits[1] not in _OCTAL_DIGITS
                or digits[2] not in _OCTAL_DIGITS
            ):
                raise ValueError(f"invalid bytea value: bad escape sequence at byte {slash}")
            out.append(int(digits, 8))
            position = slash + 4
        slash = data.find(b"\\", position)
    out += data[position:]
    return bytes(out)


def _uuid(value: object) -> UUID:
    """An encoder's input as a UUID."""
    if isinstance(value, UUID):
        return value
    if isinstance(value, str):
        try:
            return UUID(value)
        except ValueError:
            raise ValueError(f"invalid uuid value: {value!r}") from None
    raw = getattr(value, "bytes", None)
    if isinstance(raw, bytes):
        if len(raw) != 16:
            raise ValueError(f"invalid uuid value: .bytes must be 16 bytes, got {len(raw)}")
        return UUID(bytes=raw)
    raise type_error("uuid.UUID, str or an object with 16-byte .bytes", value)


def encode_uuid_binary(value: object) -> bytes:
    """The 16 bytes of a UUID given as ``uuid.UUID``, ``str`` or an object with ``.bytes``.

    Raises:
        TypeError: another type.
        ValueError: a string that is not a UUID, or ``.bytes`` not 16 bytes long.
    """
    if isinstance(value, UUID):
        return value.bytes
    return _uuid(value).bytes


def decode_uuid_binary(data: bytes) -> UUID:
    """Decode 16 bytes into a ``uuid.UUID``.

    Raises:
        ValueError: not 16 bytes.
    """
    if len(data) != 16:
        raise ValueError(f"invalid uuid value: expected 16 bytes, got {len(data)}")
    return UUID(bytes=data)


def encode_uuid_text(value: object) -> bytes:
    """A UUID's hyphenated hex text (``uuid_in`` accepts it); inputs as :func:`encode_uuid_binary`."""
    return str(_uuid(value)).encode()


def decode_uuid_text(data: bytes) -> UUID:
    """Decode the server's text form of a uuid.

    Raises:
        ValueError: not a UUID.
    """
    try:
        return UUID(data.decode())
    except ValueError:
        raise ValueError(f"invalid uuid value: {data[:40]!r}") from None


def text_codec(oid: int, name: str, schema: str) -> Codec:
    """A text-format ``str`` codec for a type without a codec of its own.

    Args:
        oid: the type's OID.
        name: its ``pg_type`` name.
        schema: its schema.

    Returns:
        A :data:`~pgtypes._codec.TEXT` codec decoding strict UTF-8 and encoding with
        :func:`encode_str` (so a NUL character or a non-``str`` is rejected).
    """
    return Codec(oid, name, TEXT, encode_str, _decode_utf8, schema)


def enum_codec(oid: int, name: str, schema: str) -> Codec:
    """The binary ``str`` codec of an enum: its binary form is the label's text (``enum_send``).

    Args:
        oid: the enum type's OID.
        name: its ``pg_type`` name.
        schema: its schema.

    Returns:
        A :data:`~pgtypes._codec.BINARY` codec with the same conversions as :func:`text_codec`.
    """
    return Codec(oid, name, BINARY, encode_str, _decode_utf8, schema)


def register(table: CodecTable) -> None:
    """Add the codecs of the character, json, bytea, uuid and text-only types to ``table``.

    Raises:
        ValueError: one of them is already registered.
    """
    for oid, name in _PLAIN_TYPES:
        table.add(Codec(oid, name, BINARY, encode_str, _decode_utf8))
        table.add(Codec(oid, name, TEXT, encode_str, _decode_utf8))
    for oid, name in _TEXT_ONLY_TYPES:
        table.add(Codec(oid, name, TEXT, encode_str, _decode_utf8))
    table.add(Codec(JSONB_OID, "jsonb", BINARY, encode_jsonb_binary, decode_jsonb_binary))
    table.add(Codec(JSONB_OID, "jsonb", TEXT, encode_str, _decode_utf8))
    table.add(Codec(JSONPATH_OID, "jsonpath", BINARY, encode_jsonpath_binary, decode_jsonpath_binary))
    table.add(Codec(JSONPATH_OID, "jsonpath", TEXT, encode_str, _decode_utf8))
    # bytes() of an exact bytes object returns that object: no copy for the common case.
    table.add(Codec(BYTEA_OID, "bytea", BINARY, encode_bytea_binary, bytes))
    table.add(Codec(BYTEA_OID, "bytea", TEXT, encode_bytea_text, decode_bytea_text))
    table.add(Codec(UUID_OID, "uuid", BINARY, encode_uuid_binary, decode_uuid_binary))
    table.add(Codec(UUID_OID, "uuid", TEXT, encode_uuid_text, decode_uuid_text))
