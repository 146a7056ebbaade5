"""The binary COPY format: its fixed bytes, and the binary codecs its columns travel in.

PostgreSQL docs, "COPY", "Binary Format": a binary COPY stream is a header (the 11-byte
signature ``PGCOPY\\n\\377\\r\\n\\0``, an Int32 flags field, an Int32 header extension length and
that many bytes), then per tuple an Int16 field count and per field an Int32 length (-1 for
NULL) followed by the value in its type's binary representation (``*send``/``*recv``), and
a trailer, the Int16 -1. Every integer is in network byte order. A tuple's body is therefore
laid out exactly as a DataRow payload, which is what lets the row decoder read tuples.

The encoder (:mod:`pgtypes._copy_encoder`) and decoder (:mod:`pgtypes._copy_decoder`) share
what is here: the constants, and the choice of one binary codec per column.
"""

from __future__ import annotations

import struct
from collections.abc import Sequence
from typing import Any, Final, Literal

from pgtypes._codec import BINARY, Codec
from pgtypes._registry import TypeRegistry
from pgwire import FieldDescription
from pgwire.exceptions import InternalClientError

__all__ = [
    "COPY_CHUNK_SIZE",
    "CRITICAL_FLAGS",
    "HEADER",
    "HEADER_SIZE",
    "NULL_FIELD",
    "OIDS_FLAG",
    "SIGNATURE",
    "TRAILER",
    "binary_codecs",
    "check_binary",
    "column_list",
    "compile_builder",
    "piece_layouts",
    "shown",
]

#: "Binary Format", "File Header": the signature, chosen to catch files mangled in transit.
SIGNATURE: Final = b"PGCOPY\n\xff\r\n\x00"
#: The fixed part of the header: the signature, the flags and the extension area's length.
HEADER_SIZE: Final = len(SIGNATURE) + 8
#: What the encoder writes: no flag set, no header extension.
HEADER: Final = SIGNATURE + struct.pack("!iI", 0, 0)
#: "File Trailer": a 16-bit word holding -1, where a tuple's field count would be.
TRAILER: Final = struct.pack("!h", -1)
#: A field's length word for NULL; no value bytes follow it.
NULL_FIELD: Final = struct.pack("!i", -1)
#: Flags bit 16: OIDs are included in the data (servers since PostgreSQL 12 never set it).
OIDS_FLAG: Final = 1 << 16
#: Flags bits 16-31 denote critical format issues: a reader aborts on one it does not know.
#: Bits 0-15 are backwards-compatible and are ignored.
CRITICAL_FLAGS: Final = 0xFFFF0000
#: How much tuple data the encoder gathers before it hands a chunk out (as asyncpg flushes).
COPY_CHUNK_SIZE: Final = 512 * 1024

Direction = Literal["encoder", "decoder"]


def binary_codecs(
    registry: TypeRegistry, fields: Sequence[FieldDescription], direction: Direction
) -> list[Codec]:
    """The binary codec of each column of ``fields``.

    Raises:
        InternalClientError: a column's type has no binary codec (``no binary format
            encoder for type money (OID 790)``), or is unknown to the registry.
    """
    codecs: list[Codec] = []
    for field in fields:
        codec = registry.codec(field.type_oid, BINARY)
        if codec is None:
            described = registry.describe(field.type_oid)  # InternalClientError when unknown
            name = (
                described.name if described.schema == "pg_catalog" else f"{described.schema}.{described.name}"
            )
            raise InternalClientError(f"no binary format {direction} for type {name} (OID {field.type_oid})")
        codecs.append(codec)
    return codecs


def check_binary(names: Sequence[str], codecs: Sequence[Codec], direction: Direction) -> None:
    """Check that there is one codec per name and that every codec is a binary one.

    Raises:
        ValueError: ``names`` and ``codecs`` differ in length.
        InternalClientError: a text-format codec, named as :func:`binary_codecs` names it.
    """
    if len(names) != len(codecs):
        raise ValueError(f"binary COPY needs one codec per column: {len(names)} names, {len(codecs)} codecs")
    for codec in codecs:
        if codec.format != BINARY:
            raise InternalClientError(
                f"no binary format {direction} for type {codec.display_name} (OID {codec.oid})"
            )


def shown(value: object) -> str:
    """A value's ``repr`` for an error message, cut to 80 characters."""
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def column_list(names: Sequence[str], codecs: Sequence[Codec]) -> str:
    """``id int4, name text``: the columns, for a ``repr``."""
    return ", ".join(f"{name} {codec.name}" for name, codec in zip(names, codecs, strict=True))


def piece_layouts(columns: Sequence[tuple[str, bool]]) -> list[str]:
    """How a tuple is read or written in ``struct`` pieces around its variable-width values.

    Args:
        columns: per column, its ``struct`` format (its length word, and its value or pad
            bytes when a piece holds the value) and whether the value has a variable width.

    Returns:
        The layout of each piece, in order: the first starts with the Int16 field count; a
        piece ends after the length word of a variable-width value (whose bytes belong to no
        piece) or at the end of the tuple.
    """
    layouts: list[str] = []
    layout = "!h"
    for column_format, variable in columns:
        layout += column_format
        if variable:
            layouts.append(layout)
            layout = "!"
    if layout != "!":
        layouts.append(layout)
    return layouts


def compile_builder(lines: Sequence[str]) -> Any:
    """The function ``build`` defined by ``lines``: source the copy modules generate per shape.

    As ``collections.namedtuple`` does, the source is made from a shape only (struct codes,
    widths, counts), never from data, and compiled once per shape by the caller's cache.
    """
    namespace: dict[str, Any] = {}
    exec("\n".join(lines), namespace)  # our own source, made from a shape only
    return namespace["build"]
