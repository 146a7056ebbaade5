"""The codec: how values of one PostgreSQL type travel in one wire format.

Every type family module (``_integers``, ``_datetime``, ...) builds :class:`Codec` objects
and adds them to a :class:`CodecTable` in its ``register()``; the registry
(:mod:`pgtypes._registry`) layers per-connection user codecs and codecs derived from type
information (arrays, composites, ranges, domains, enums) on top.

Conventions every codec follows, so that the row decoder and the parameter encoder can treat
them alike:

- ``decode(data)`` takes the value's bytes exactly as they came in a DataRow (text format:
  UTF-8, the client encoding pgconn sets) and returns the Python value. Malformed data raises
  ``ValueError`` naming what is wrong; the row decoder adds the column and type.
- ``encode(value)`` returns the value's bytes in the codec's format, or raises ``TypeError``
  (wrong Python type), ``ValueError`` (a value PostgreSQL cannot hold) or ``OverflowError``
  (out of the type's range) with a message saying what was expected and what was given; the
  parameter encoder turns that into a ``DataError`` naming the argument. A request this client
  does not implement raises ``UnsupportedClientFeatureError``.
- ``fixed`` is a :mod:`struct` format character when the binary value has a fixed width and
  ``decode(data) == struct.unpack("!" + fixed, data)[0]``; the row decoder then unpacks whole
  rows of such columns with one precompiled ``struct.Struct``.
"""

from __future__ import annotations

import struct
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from typing import Any, Final

from pgwire.exceptions import DataError

__all__ = [
    "BINARY",
    "TEXT",
    "Codec",
    "CodecTable",
    "Decoder",
    "Encoder",
    "data_error",
    "format_name",
    "type_error",
]

#: Wire format codes, as in Bind and RowDescription.
TEXT: Final = 0
BINARY: Final = 1

Encoder = Callable[[Any], bytes]
Decoder = Callable[[bytes], Any]


def format_name(format_code: int) -> str:
    """``"text"`` or ``"binary"`` for a wire format code."""
    return "binary" if format_code == BINARY else "text"


def type_error(expected: str, value: object) -> TypeError:
    """A ``TypeError`` saying what an encoder expected and what it was given.

    Example: ``type_error("int", "1")`` -> ``TypeError("expected int, got str")``.
    """
    return TypeError(f"expected {expected}, got {type(value).__name__}")


def data_error(message: str) -> DataError:
    """A client-side ``DataError`` (SQLSTATE 22000) with ``message`` set, as the server's are."""
    return DataError.client_side(message)


@dataclass(frozen=True, slots=True)
class Codec:
    """How values of one type are encoded and decoded in one wire format.

    Attributes:
        oid: the type's OID.
        name: the type's name (``int4``, ``_text`` for arrays as in ``pg_type``).
        format: :data:`TEXT` or :data:`BINARY`.
        encode: Python value -> bytes in ``format`` (see the module docstring for errors).
        decode: bytes in ``format`` -> Python value.
        schema: the type's schema.
        kind: ``scalar``, ``array``, ``composite``, ``range`` or ``multirange`` (as
            ``pgtypes.types.Type.kind``); domains and enums are ``scalar``.
        fixed: a :mod:`struct` format character for fixed-width binary values (``"i"`` for
            int4), else ``""``.
        element: for arrays, ranges and multiranges, the codec of the elements (the range
            codec for a multirange); ``None`` otherwise.
        list_valued: the Python value is a ``list`` (multiranges, int2vector, oidvector), so
            in an array of this type the innermost lists are elements, not a dimension.
    """

    oid: int
    name: str
    format: int
    encode: Encoder
    decode: Decoder
    schema: str = "pg_catalog"
    kind: str = "scalar"
    fixed: str = ""
    element: Codec | None = None
    list_valued: bool = False

    def __post_init__(self) -> None:
        if self.format not in (TEXT, BINARY):
            raise ValueError(f"Codec.format must be 0 (text) or 1 (binary), got {self.format!r}")
        if self.fixed and struct.calcsize("!" + self.fixed) == 0:
            raise ValueError(f"Codec.fixed must be one struct format character, got {self.fixed!r}")

    def renamed(self, oid: int, name: str, schema: str) -> Codec:
        """The same conversion under another type's identity (a domain, an alias)."""
        return replace(self, oid=oid, name=name, schema=schema)

    @property
    def qualified_name(self) -> str:
        """``schema.name``."""
        return f"{self.schema}.{self.name}"

    @property
    def display_name(self) -> str:
        """How error messages name the type: ``int4``, or ``schema.name`` outside pg_catalog."""
        return self.name if self.schema == "pg_catalog" else f"{self.schema}.{self.name}"

    def __repr__(self) -> str:
        return f"<Codec {self.schema}.{self.name} oid={self.oid} {format_name(self.format)}>"


class CodecTable:
    """Codecs keyed by (OID, format): what the family modules fill in ``register()``.

    Adding a second codec for the same (OID, format) is an error: each built-in type has one
    conversion per format, and a silent replacement would hide a mistake.
    """

    __slots__ = ("_codecs",)

    def __init__(self) -> None:
        self._codecs: dict[tuple[int, int], Codec] = {}

    def add(self, codec: Codec) -> None:
        """Add ``codec``.

        Raises:
            ValueError: a codec for the same OID and format is already there.
        """
        key = (codec.oid, codec.format)
        if key in self._codecs:
            raise ValueError(f"a {format_name(codec.format)} codec for {codec.name} is already registered")
        self._codecs[key] = codec

    def get(self, oid: int, format_code: int) -> Codec | None:
        """The codec for ``oid`` in ``format_code``, or ``None``."""
        return self._codecs.get((oid, format_code))

    def __contains__(self, key: object) -> bool:
        return key in self._codecs

    def __iter__(self) -> Iterator[Codec]:
        return iter(self._codecs.values())

    def __len__(self) -> int:
        return len(self._codecs)
