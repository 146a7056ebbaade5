"""Codecs of composite types: named row types (``CREATE TYPE ... AS``, tables' row types) and
the anonymous ``record`` of ``ROW(...)`` expressions.

Composites travel in binary only, in the format of PostgreSQL's ``record_send``/``record_recv``
(``src/backend/utils/adt/rowtypes.c``): an int32 count of the (non-dropped) attributes, then per
attribute its type OID as an int32 and its value as an int32 length (-1 for NULL) and the
attribute type's binary value. A composite with an attribute that only has a text codec has no
codec; the registry reports ``UnsupportedClientFeatureError(TEXT_COMPOSITE_UNSUPPORTED)``.

A named composite decodes to a record (the caller's factory, normally a
:class:`~pgtypes._record.Record` class with the attribute names) and encodes from a sequence of
all attribute values in order or from a mapping by attribute name. The OIDs the server sends
are checked against the cached type information: a composite altered since it was introspected
raises :class:`~pgwire.exceptions.OutdatedSchemaCacheError`, which tells the connection to
reload its type cache. Anonymous records decode to plain tuples and cannot be sent.
"""

from __future__ import annotations

import struct
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Final

from pgtypes._builtin_types import BUILTIN_TYPES
from pgtypes._codec import BINARY, Codec
from pgtypes._range import raise_with_prefix
from pgwire.exceptions import OutdatedSchemaCacheError, UnsupportedClientFeatureError

__all__ = [
    "RECORD_OID",
    "TEXT_COMPOSITE_UNSUPPORTED",
    "anonymous_record_codec",
    "binary_composite_codec",
]

#: ``pg_type.oid`` of the ``record`` pseudo-type (anonymous ``ROW(...)`` values).
RECORD_OID: Final = 2249

#: The message of the registry's ``UnsupportedClientFeatureError`` for a composite with an
#: attribute that has no binary codec.
TEXT_COMPOSITE_UNSUPPORTED: Final = "text encoding of composite types is not supported"

_INT32: Final = struct.Struct("!i")
_unpack_int32_from: Final = _INT32.unpack_from
_pack_int32: Final = _INT32.pack
# An attribute's type OID (unsigned, as OIDs are) and its value's length (-1 for NULL).
_ATTRIBUTE_HEADER: Final = struct.Struct("!Ii")
_unpack_attribute_header_from: Final = _ATTRIBUTE_HEADER.unpack_from
_pack_attribute_header: Final = _ATTRIBUTE_HEADER.pack

# For error messages only: the names of built-in types by OID.
_BUILTIN_NAMES: Final[dict[int, str]] = {entry[0]: entry[1] for entry in BUILTIN_TYPES}

# Sequences that are values of their own, never a composite's attribute list.
_NOT_SEQUENCES: Final = (str, bytes, bytearray, memoryview)


def _type_name(oid: int) -> str:
    return _BUILTIN_NAMES.get(oid, f"type OID {oid}")


def binary_composite_codec(
    oid: int,
    name: str,
    schema: str,
    attributes: Sequence[tuple[str, Codec]],
    make_record: Callable[[tuple[object, ...]], object],
) -> Codec:
    """The binary codec of a named composite type.

    Arguments:
        oid, name, schema: the composite type's identity.
        attributes: ``(name, binary codec)`` of each live attribute, in attribute order; the
            codec's ``oid`` is the attribute type the cached type information names.
        make_record: builds the decoded value from the attribute values in order (a
            :func:`~pgtypes._record.record_maker` factory for the attribute names, or
            ``tuple``).

    Returns:
        A :class:`Codec` of kind ``composite``. ``decode`` returns ``make_record(values)``;
        it raises ``ValueError`` for malformed data (attribute decoding errors keep their type,
        prefixed with ``attribute "name"``) and ``OutdatedSchemaCacheError`` when the server's
        attribute count or an attribute's type OID differs from ``attributes``.

        ``encode`` takes a sequence of exactly ``len(attributes)`` values (not ``str`` or
        bytes-like) or a mapping by attribute name, where a missing name is NULL. It raises
        ``TypeError`` for another type, ``ValueError`` for a sequence of the wrong length or a
        mapping key that is not an attribute (``'bad' is not a valid element of composite type
        public.t``), and each attribute codec's own exception, prefixed with
        ``attribute "name"``.

    Raises:
        ValueError: an attribute codec is not binary.
    """
    qualified_name = f"{schema}.{name}"
    for attribute_name, codec in attributes:
        if codec.format != BINARY:
            raise ValueError(
                f"the codec of attribute {attribute_name!r} of composite type {qualified_name} "
                f"must be binary, got {codec!r}"
            )
    names = tuple(attribute_name for attribute_name, _ in attributes)
    oids = tuple(codec.oid for _, codec in attributes)
    encoders = tuple(codec.encode for _, codec in attributes)
    decoders = tuple(codec.decode for _, codec in attributes)
    index = {attribute_name: position for position, attribute_name in enumerate(names)}
    count = len(names)
    header = _pack_int32(count)

    def encode(value: Any) -> bytes:
        # What record_recv reads (rowtypes.c): count, then OID + length + bytes per attribute.
        if isinstance(value, Mapping):
            for key in value:
                if key not in index:
                    raise ValueError(f"{key!r} is not a valid element of composite type {qualified_name}")
            values: Sequence[Any] = [value.get(attribute_name) for attribute_name in names]
        elif isinstance(value, Sequence) and not isinstance(value, _NOT_SEQUENCES):
            if len(value) != count:
                raise ValueError(
                    f"composite type {qualified_name} has {count} attributes, got {len(value)} values"
                )
            values = value
        else:
            raise TypeError(
                f"expected a sequence or a mapping for composite type {qualified_name}, "
                f"got {type(value).__name__}"
            )
        parts = [header]
        for position in range(count):
            item = values[position]
            if item is None:
                parts.append(_pack_attribute_header(oids[position], -1))
                continue
            try:
                data = encoders[position](item)
            except Exception as error:
                raise_with_prefix(error, f'attribute "{names[position]}"')
            parts.append(_pack_attribute_header(oids[position], len(data)))
            parts.append(data)
        return b"".join(parts)

    def outdated(detail: str, position: int | None = None) -> OutdatedSchemaCacheError:
        return OutdatedSchemaCacheError(
            f"type {qualified_name} has changed: {detail}",
            schema=schema,
            data_type=name,
            position=None if position is None else str(position),
        )

    def decode(data: bytes) -> object:
        size = len(data)
        if size < 4:
            raise ValueError(f"invalid {qualified_name} value: expected at least 4 bytes, got {size}")
        server_count = _unpack_int32_from(data, 0)[0]
        if server_count != count:
            raise outdated(
                f"the server sent {server_count} attributes, the cached type information has {count}"
            )
        position = 4
        values: list[object] = []
        for attribute in range(count):
            start = position + 8
            if start > size:
                raise ValueError(f"invalid {qualified_name} value: attribute {attribute + 1} is cut off")
            type_oid, length = _unpack_attribute_header_from(data, position)
            if type_oid != oids[attribute]:
                raise outdated(
                    f"attribute {attribute + 1} is {_type_name(type_oid)} on the server, "
                    f"{_type_name(oids[attribute])} in the cached type information",
                    attribute + 1,
                )
            if length < 0:
                values.append(None)
                position = start
                continue
            end = start + length
            if end > size:
                raise ValueError(
                    f"invalid {qualified_name} value: attribute {attribute + 1} needs {length} bytes, "
                    f"{size - start} left"
                )
            try:
                values.append(decoders[attribute](data[start:end]))
            except Exception as error:
                raise_with_prefix(error, f'attribute "{names[attribute]}"')
            position = end
        if position != size:
            raise ValueError(f"invalid {qualified_name} value: {size - position} bytes of trailing data")
        return make_record(tuple(values))

    return Codec(oid, name, BINARY, encode, decode, schema=schema, kind="composite")


def anonymous_record_codec(decoders: Callable[[int], Codec | None]) -> Codec:
    """The codec of ``record`` (OID 2249): anonymous ``ROW(...)`` values, output only.

    Arguments:
        decoders: returns the codec to decode a field of the given type OID with (the
            connection registry's binary codec), or ``None`` when there is none.

    Returns:
        A binary :class:`Codec` of kind ``composite`` whose ``decode`` returns a plain
        ``tuple`` of the field values, each decoded by the codec ``decoders`` gives for the
        field's type OID. ``decode`` raises ``ValueError`` for malformed data or a field type
        without a binary codec (field decoding errors keep their type, prefixed with the field
        number). ``encode`` always raises ``UnsupportedClientFeatureError``: the server needs
        a named composite type to read a record parameter.
    """

    def encode(value: Any) -> bytes:
        raise UnsupportedClientFeatureError(
            "input of anonymous composite types is not supported",
            hint="Cast the parameter to a named composite type, or pass the fields as separate parameters.",
        )

    def decode(data: bytes) -> tuple[object, ...]:
        size = len(data)
        if size < 4:
            raise ValueError(f"invalid record value: expected at least 4 bytes, got {size}")
        count = _unpack_int32_from(data, 0)[0]
        if count < 0:
            raise ValueError(f"invalid record value: negative field count {count}")
        position = 4
        values: list[object] = []
        for field in range(1, count + 1):
            start = position + 8
            if start > size:
                raise ValueError(f"invalid record value: field {field} is cut off")
            type_oid, length = _unpack_attribute_header_from(data, position)
            if length < 0:
                values.append(None)
                position = start
                continue
            end = start + length
            if end > size:
                raise ValueError(
                    f"invalid record value: field {field} needs {length} bytes, {size - start} left"
                )
            codec = decoders(type_oid)
            if codec is None or codec.format != BINARY:
                raise ValueError(
                    f"cannot decode field {field} of a record: no binary codec for {_type_name(type_oid)}"
                )
            try:
                values.append(codec.decode(data[start:end]))
            except Exception as error:
                raise_with_prefix(error, f"record field {field}")
            position = end
        if position != size:
            raise ValueError(f"invalid record value: {size - position} bytes of trailing data")
        return tuple(values)

    return Codec(RECORD_OID, "record", BINARY, encode, decode, kind="composite")
