"""Codecs of ``hstore``, the key/value extension type (PostgreSQL docs, Appendix F, "hstore").

``hstore`` lives in an extension, so its OID differs from database to database: nothing is
registered by OID here. The registry builds these codecs once it has looked the type up. Two
pairs of codecs, as in asyncpg (reference section 9.1):

- the default (:func:`hstore_str_codec`, :func:`hstore_str_text_codec`) decodes to ``str``, the
  text form the server prints (``"a"=>"1", "b"=>NULL``), which is what asyncpg gives for an
  hstore it has not been told about and what libraries on top of it (SQLAlchemy's ``HSTORE``)
  parse; it encodes that text (a ``str``) or a mapping;
- the dict codecs (:func:`hstore_codec`, :func:`hstore_text_codec`) are asyncpg's
  ``pg_contrib.hstore``, chosen with ``set_builtin_type_codec(info, codec_name=
  'pg_contrib.hstore')``: the Python value is ``dict[str, str | None]``.

Every encoder takes any ``Mapping`` or an iterable of ``(key, value)`` pairs (a later pair
wins over an earlier one with the same key); the default ones take a ``str`` of hstore text too.

Wire formats (``hstore_send``/``hstore_recv``, ``hstore_out``/``hstore_in``):

- binary: int32 number of pairs, then per pair int32 key length and the key's bytes, int32
  value length (-1 for NULL) and the value's bytes;
- text: ``"a"=>"1", "b"=>NULL``: keys and values double-quoted with ``"`` and ``\\`` escaped by
  a backslash; on input also unquoted words, and an unquoted ``NULL`` value (any case) is NULL.
"""

from __future__ import annotations

import struct
from collections.abc import Iterable, Mapping
from typing import Final

from pgtypes._codec import BINARY, TEXT, Codec
from pgtypes._text import encode_str

__all__ = [
    "decode_hstore_binary",
    "decode_hstore_binary_str",
    "decode_hstore_text",
    "encode_hstore_binary",
    "encode_hstore_input_binary",
    "encode_hstore_input_text",
    "encode_hstore_text",
    "hstore_codec",
    "hstore_str_codec",
    "hstore_str_text_codec",
    "hstore_text_codec",
]

_INT32: Final = struct.Struct("!i")
_NULL: Final = b"\xff\xff\xff\xff"
#: hstore's HSTORE_MAX_KEY_LEN and HSTORE_MAX_VALUE_LEN: lengths are kept in 30 bits.
_MAX_LENGTH: Final = 0x3FFFFFFF
#: isspace() in the C locale, as hstore_in uses it between tokens.
_WHITESPACE: Final = " \t\n\r\v\f"
#: The server's text, decoded as strict UTF-8 without a Python frame per value.
_decode_utf8: Final = bytes.decode


def _pairs(value: object) -> list[tuple[str, str | None]]:
    """``value`` as checked (key, value) pairs, one per distinct key.

    Raises:
        TypeError: not a mapping or an iterable of pairs; a key that is not ``str``, a value
            that is neither ``str`` nor ``None``.
        ValueError: a ``None`` key.
    """
    if isinstance(value, Mapping):
        items: Iterable[object] = value.items()
    elif isinstance(value, str | bytes | bytearray | memoryview) or not isinstance(value, Iterable):
        raise TypeError(
            f"expected a mapping or an iterable of (key, value) pairs, got {type(value).__name__}"
        )
    else:
        items = value
    result: dict[str, str | None] = {}
    for item in items:
        if not isinstance(item, tuple | list) or len(item) != 2:
            raise TypeError(f"expected a (key, value) pair in hstore, got {type(item).__name__}")
        key, val = item
        if key is None:
            raise ValueError("null value not allowed in hstore key")
        if not isinstance(key, str):
            raise TypeError(f"expected str hstore key, got {type(key).__name__}")
        if val is not None and not isinstance(val, str):
            raise TypeError(f"expected str or None hstore value for key {key!r}, got {type(val).__name__}")
        result[key] = val
    return list(result.items())


def encode_hstore_binary(value: object) -> bytes:
    """A mapping (or pairs) in hstore's binary format.

    Raises:
        TypeError: as :func:`encode_hstore_text`.
        ValueError: as :func:`encode_hstore_text`, or a key or value over hstore's 1 GiB limit.
    """
    pairs = _pairs(value)
    pack = _INT32.pack
    parts = [pack(len(pairs))]
    for key, val in pairs:
        key_bytes = key.encode()
        if len(key_bytes) > _MAX_LENGTH:
            raise ValueError(f"string too long for hstore key: {len(key_bytes)} bytes, at most {_MAX_LENGTH}")
        parts.append(pack(len(key_bytes)))
        parts.append(key_bytes)
        if val is None:
            parts.append(_NULL)
            continue
        val_bytes = val.encode()
        if len(val_bytes) > _MAX_LENGTH:
            raise ValueError(
                f"string too long for hstore value: {len(val_bytes)} bytes, at most {_MAX_LENGTH}"
            )
        parts.append(pack(len(val_bytes)))
        parts.append(val_bytes)
    return b"".join(parts)


def decode_hstore_binary(data: bytes) -> dict[str, str | None]:
    """hstore's binary format as a dict.

    Raises:
        ValueError: truncated or trailing data, a negative count or length, a NULL key, or
            text that is not UTF-8.
    """
    return dict(_binary_pairs(data))


def decode_hstore_binary_str(data: bytes) -> str:
    """hstore's binary format as the server prints it: ``"a"=>"1", "b"=>NULL``.

    The pairs come in the order the server stores them, which is the order ``hstore_out``
    prints them in, so the result is the server's text for the value.

    Raises:
        ValueError: as :func:`decode_hstore_binary`.
    """
    return _render(_binary_pairs(data))


def _binary_pairs(data: bytes) -> list[tuple[str, str | None]]:
    """The (key, value) pairs of hstore's binary format, in their order on the wire."""
    size = len(data)
    if size < 4:
        raise ValueError(f"invalid hstore value: expected at least 4 bytes, got {size}")
    (count,) = _INT32.unpack_from(data)
    # Each pair takes at least its two 4-byte lengths: reject impossible counts before looping.
    if count < 0 or count * 8 > size - 4:
        raise ValueError(f"invalid hstore value: {count} pairs do not fit {size} bytes")
    unpack = _INT32.unpack_from
    result: list[tuple[str, str | None]] = []
    offset = 4
    for _ in range(count):
        if offset + 4 > size:
            raise ValueError("invalid hstore value: data ends inside a pair")
        (length,) = unpack(data, offset)
        offset += 4
        if length < 0:
            raise ValueError("invalid hstore value: null value not allowed in hstore key")
        if offset + length + 4 > size:
            raise ValueError("invalid hstore value: data ends inside a pair")
        key = data[offset : offset + length].decode()
        offset += length
        (length,) = unpack(data, offset)
        offset += 4
        if length == -1:
            result.append((key, None))
            continue
        if length < 0 or offset + length > size:
            raise ValueError(f"invalid hstore value: value of key {key!r} has length {length}")
        result.append((key, data[offset : offset + length].decode()))
        offset += length
    if offset != size:
        raise ValueError(f"invalid hstore value: {size - offset} bytes after the last pair")
    return result


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def encode_hstore_text(value: object) -> bytes:
    """A mapping (or pairs) as hstore text, every key and value quoted.

    Raises:
        TypeError: not a mapping or an iterable of pairs; a key that is not ``str``, a value
            that is neither ``str`` nor ``None``.
        ValueError: a ``None`` key (``'null value not allowed in hstore key'``).
    """
    return _render(_pairs(value)).encode()


def _render(pairs: Iterable[tuple[str, str | None]]) -> str:
    """Pairs in ``hstore_out``'s form: every key and value quoted, ``NULL`` bare, ``, `` between."""
    return ", ".join([f"{_quote(key)}=>{'NULL' if val is None else _quote(val)}" for key, val in pairs])


def encode_hstore_input_binary(value: object) -> bytes:
    """A ``str`` of hstore text, a mapping or pairs, in hstore's binary format.

    A ``str`` is read with hstore's input syntax (:func:`decode_hstore_text`) first, so it may
    be what the default codecs decode to, or any text the server would accept.

    Raises:
        TypeError: as :func:`encode_hstore_binary`.
        ValueError: as :func:`encode_hstore_binary`, or a ``str`` that is not hstore text.
    """
    if isinstance(value, str):
        value = decode_hstore_text(value.encode())
    return encode_hstore_binary(value)


def encode_hstore_input_text(value: object) -> bytes:
    """A ``str`` of hstore text as it is (the server reads it), or a mapping or pairs as text.

    Raises:
        TypeError: as :func:`encode_hstore_text`.
        ValueError: as :func:`encode_hstore_text`, or a ``str`` holding a NUL character.
    """
    if isinstance(value, str):
        return encode_str(value)
    return encode_hstore_text(value)


def _read_word(text: str, pos: int, is_key: bool) -> tuple[str, bool, int]:
    """The key or value starting at ``text[pos]`` (not whitespace): (word, quoted or escaped, end).

    A quoted word runs to the closing quote; an unquoted one to whitespace, the end, or the
    next ``=`` (a key) or ``,`` (a value). A backslash takes the next character literally.
    """
    end = len(text)
    chars: list[str] = []
    if text[pos] == '"':
        pos += 1
        while True:
            if pos >= end:
                raise ValueError("invalid hstore value: unterminated quoted string")
            char = text[pos]
            if char == '"':
                return "".join(chars), True, pos + 1
            if char == "\\":
                pos += 1
                if pos >= end:
                    raise ValueError("invalid hstore value: unexpected end after a backslash")
                char = text[pos]
            chars.append(char)
            pos += 1
    stop = "=" if is_key else ","
    escaped = False
    while pos < end:
        char = text[pos]
        if char == stop or char in _WHITESPACE:
            break
        if char == "\\":
            pos += 1
            if pos >= end:
                raise ValueError("invalid hstore value: unexpected end after a backslash")
            char = text[pos]
            escaped = True
        chars.append(char)
        pos += 1
    return "".join(chars), escaped, pos


def _skip(text: str, pos: int) -> int:
    end = len(text)
    while pos < end and text[pos] in _WHITESPACE:
        pos += 1
    return pos


def decode_hstore_text(data: bytes) -> dict[str, str | None]:
    """hstore text (``"a"=>"1", "b"=>NULL``) as a dict.

    Raises:
        ValueError: the text does not follow hstore's input syntax.
    """
    text = data.decode()
    end = len(text)
    result: dict[str, str | None] = {}
    pos = _skip(text, 0)
    while pos < end:
        key, quoted, pos = _read_word(text, pos, True)
        if not key and not quoted:
            raise ValueError(f"invalid hstore value: key expected at position {pos}")
        pos = _skip(text, pos)
        if text[pos : pos + 2] != "=>":
            raise ValueError(f"invalid hstore value: '=>' expected at position {pos}")
        pos = _skip(text, pos + 2)
        if pos >= end:
            raise ValueError("invalid hstore value: unexpected end of input, value expected")
        val, literal, pos = _read_word(text, pos, False)
        if not val and not literal:
            raise ValueError(f"invalid hstore value: value expected at position {pos}")
        # An unquoted, unescaped NULL in any case is SQL NULL; as a key it is just text.
        result[key] = None if not literal and len(val) == 4 and val.upper() == "NULL" else val
        pos = _skip(text, pos)
        if pos < end:
            if text[pos] != ",":
                raise ValueError(f"invalid hstore value: ',' expected at position {pos}")
            pos = _skip(text, pos + 1)
    return result


def hstore_str_codec(oid: int, name: str, schema: str) -> Codec:
    """The default binary codec of the ``hstore`` type installed under ``oid``: values as ``str``.

    Args:
        oid: the OID of ``hstore`` in this database (``'hstore'::regtype::oid``).
        name: its type name (``hstore``).
        schema: the schema the extension was created in.

    Returns:
        A scalar binary codec decoding to the server's text form of the value and encoding a
        ``str`` of hstore text, a mapping or ``(key, value)`` pairs.
    """
    return Codec(oid, name, BINARY, encode_hstore_input_binary, decode_hstore_binary_str, schema=schema)


def hstore_str_text_codec(oid: int, name: str, schema: str) -> Codec:
    """The default text codec of ``hstore`` (arguments as :func:`hstore_str_codec`).

    Returns:
        A scalar text codec passing the server's text through as ``str`` and encoding a ``str``
        as it is, or a mapping or ``(key, value)`` pairs as hstore text.
    """
    return Codec(oid, name, TEXT, encode_hstore_input_text, _decode_utf8, schema=schema)


def hstore_codec(oid: int, name: str, schema: str) -> Codec:
    """The dict binary codec of ``hstore`` (``pg_contrib.hstore``; arguments as :func:`hstore_str_codec`).

    Returns:
        A scalar binary codec between ``dict[str, str | None]`` and hstore.
    """
    return Codec(oid, name, BINARY, encode_hstore_binary, decode_hstore_binary, schema=schema)


def hstore_text_codec(oid: int, name: str, schema: str) -> Codec:
    """The dict text codec of ``hstore`` (``pg_contrib.hstore``; arguments as :func:`hstore_codec`).

    Returns:
        A scalar text codec between ``dict[str, str | None]`` and hstore's text syntax.
    """
    return Codec(oid, name, TEXT, encode_hstore_text, decode_hstore_text, schema=schema)
