"""Codecs of range and multirange types, built from the codec of their subtype.

Ranges travel in binary only, in the format of PostgreSQL's ``range_send``/``range_recv``
(``src/backend/utils/adt/rangetypes.c``): one flags byte, then the lower bound if the range
has one, then the upper bound if it has one, each as an int32 length and the subtype's binary
value. A multirange (``multirange_send``, PostgreSQL 14+) is an int32 count of ranges, then
each range as an int32 length and the range's binary value.

There are no text codecs here, as in asyncpg: parsing every subtype's text form inside range
literals is not worth its cost. When a range's subtype has no binary codec (an extension type
that only has the text fallback), the registry has no codec for the range and reports
``UnsupportedClientFeatureError(TEXT_RANGE_UNSUPPORTED)``.

Python values (asyncpg's conventions): a range decodes to a
:class:`~pgtypes._range_type.Range`, a multirange to a ``list`` of them. A range encodes from a
``Range`` or from a tuple or list: ``()`` is empty, ``(x,)`` is ``[x, infinity)`` and
``(lo, hi)`` is ``[lo, hi]``, inclusive at both ends, with ``None`` for an unbounded end.
"""

from __future__ import annotations

import struct
from collections.abc import Sequence
from typing import Any, Final, NoReturn

from pgtypes._codec import BINARY, Codec
from pgtypes._range_type import Range
from pgwire.exceptions import InterfaceError, InternalClientError

__all__ = [
    "TEXT_RANGE_UNSUPPORTED",
    "binary_multirange_codec",
    "binary_range_codec",
    "raise_with_prefix",
]

#: The message of the registry's ``UnsupportedClientFeatureError`` for a range (or
#: multirange) whose subtype has no binary codec.
TEXT_RANGE_UNSUPPORTED: Final = "text encoding of range types is not supported"

# The flags byte of a range's binary form (rangetypes.h). The NULL flags are never set by
# the server ("NOT USED") and range_recv masks them out; CONTAIN_EMPTY only marks GiST
# index pages. They are listed so that the decoder can ignore them the same way.
RANGE_EMPTY: Final = 0x01
RANGE_LB_INC: Final = 0x02
RANGE_UB_INC: Final = 0x04
RANGE_LB_INF: Final = 0x08
RANGE_UB_INF: Final = 0x10
RANGE_LB_NULL: Final = 0x20
RANGE_UB_NULL: Final = 0x40
RANGE_CONTAIN_EMPTY: Final = 0x80

_INT32: Final = struct.Struct("!i")
_unpack_int32_from: Final = _INT32.unpack_from
_pack_int32: Final = _INT32.pack

# Sequences that are values of their own and never a list of ranges.
_NOT_SEQUENCES: Final = (str, bytes, bytearray, memoryview)


def raise_with_prefix(error: Exception, prefix: str) -> NoReturn:
    """Raise the same kind of exception as ``error``, its message prefixed with ``prefix: ``.

    Used by the container codecs (ranges, composites) to say which part of a value failed
    while keeping the exception type the parameter encoder and the row decoder rely on; the
    new exception's ``__cause__`` is ``error``. ``error`` itself is raised again, unchanged,
    when it is an ``InternalClientError`` (an ``OutdatedSchemaCacheError`` from a nested
    composite must reach the connection with its fields intact) or when its class cannot be
    built from one message.
    """
    if isinstance(error, InterfaceError):
        message = error.args[0] if error.args else ""
        raise error.with_msg(f"{prefix}: {message}") from error
    if isinstance(error, InternalClientError):
        raise error
    try:
        prefixed = type(error)(f"{prefix}: {error}")
    except Exception:
        raise error from None
    raise prefixed from error


def binary_range_codec(oid: int, name: str, schema: str, subtype: Codec) -> Codec:
    """The binary codec of a range type over ``subtype``.

    Arguments:
        oid, name, schema: the range type's identity (``3904``, ``int4range``, ``pg_catalog``).
        subtype: the binary codec of the range's subtype (``pg_range.rngsubtype``).

    Returns:
        A :class:`Codec` of kind ``range`` with ``element=subtype``. Its ``decode`` returns a
        :class:`Range`; its ``encode`` takes a ``Range``, a tuple or a list (see the module
        docstring) and raises ``TypeError`` for anything else
        (``list, tuple or Range object expected (got type int)``), ``ValueError`` for a tuple
        or list longer than two (``expected 0, 1 or 2 elements in range (got 3)``), and the
        subtype's own exception, prefixed with the bound (``lower bound: ...``), for a bound
        the subtype cannot encode. ``decode`` raises ``ValueError`` for malformed data.

    Raises:
        ValueError: ``subtype`` is not a binary codec.
    """
    if subtype.format != BINARY:
        raise ValueError(f"the subtype codec of range type {schema}.{name} must be binary, got {subtype!r}")
    encode_bound = subtype.encode
    decode_bound = subtype.decode

    def encode(value: Any) -> bytes:
        # What range_recv reads (rangetypes.c): flags, then each present bound as length + bytes.
        if isinstance(value, Range):
            if value.isempty:
                return b"\x01"
            lower = value.lower
            upper = value.upper
            lower_inc = value.lower_inc
            upper_inc = value.upper_inc
        elif isinstance(value, tuple | list):
            count = len(value)
            if count == 0:
                return b"\x01"
            if count > 2:
                raise ValueError(f"expected 0, 1 or 2 elements in range (got {count})")
            lower = value[0]
            upper = value[1] if count == 2 else None
            # A tuple or list is inclusive at both ends (asyncpg's convention).
            lower_inc = upper_inc = True
        else:
            raise TypeError(f"list, tuple or Range object expected (got type {type(value).__name__})")
        flags = 0
        parts: list[bytes] = []
        if lower is None:
            flags |= RANGE_LB_INF
        else:
            if lower_inc:
                flags |= RANGE_LB_INC
            try:
                data = encode_bound(lower)
            except Exception as error:
                raise_with_prefix(error, "lower bound")
            parts.append(_pack_int32(len(data)))
            parts.append(data)
        if upper is None:
            flags |= RANGE_UB_INF
        else:
            if upper_inc:
                flags |= RANGE_UB_INC
            try:
                data = encode_bound(upper)
            except Exception as error:
                raise_with_prefix(error, "upper bound")
            parts.append(_pack_int32(len(data)))
            parts.append(data)
        return bytes((flags,)) + b"".join(parts)

    def read_bound(data: bytes, position: int, which: str) -> tuple[Any, int]:
        end = position + 4
        if end > len(data):
            raise ValueError(f"invalid {name} value: the {which} bound's length is cut off")
        size = _unpack_int32_from(data, position)[0]
        if size < 0:
            raise ValueError(f"invalid {name} value: the {which} bound is NULL")
        stop = end + size
        if stop > len(data):
            raise ValueError(
                f"invalid {name} value: the {which} bound needs {size} bytes, {len(data) - end} left"
            )
        try:
            return decode_bound(data[end:stop]), stop
        except Exception as error:
            raise_with_prefix(error, f"{which} bound")

    def decode(data: bytes) -> Range[Any]:
        if not data:
            raise ValueError(f"invalid {name} value: no flags byte")
        flags = data[0]
        position = 1
        lower: Any = None
        upper: Any = None
        if flags & RANGE_EMPTY:
            result: Range[Any] = Range(empty=True)
        else:
            # As range_recv: a bound is present unless the range is empty or the bound is
            # infinite; the unused NULL flags do not remove a bound.
            if not flags & RANGE_LB_INF:
                lower, position = read_bound(data, position, "lower")
            if not flags & RANGE_UB_INF:
                upper, position = read_bound(data, position, "upper")
            result = Range(
                lower,
                upper,
                lower_inc=bool(flags & RANGE_LB_INC),
                upper_inc=bool(flags & RANGE_UB_INC),
            )
        if position != len(data):
            raise ValueError(f"invalid {name} value: {len(data) - position} bytes of trailing data")
        return result

    return Codec(oid, name, BINARY, encode, decode, schema=schema, kind="range", element=subtype)


def binary_multirange_codec(oid: int, name: str, schema: str, range_codec: Codec) -> Codec:
    """The binary codec of a multirange type over the ranges of ``range_codec``.

    Arguments:
        oid, name, schema: the multirange type's identity (``4451``, ``int4multirange``, ...).
        range_codec: the binary codec of its range type (from :func:`binary_range_codec`).

    Returns:
        A :class:`Codec` of kind ``multirange`` with ``element=range_codec``. Its ``decode``
        returns a ``list`` of :class:`Range` (``[]`` for the empty multirange); its ``encode``
        takes any sequence of range inputs except ``str`` and bytes-like objects, raises
        ``TypeError`` for anything else (``expected a sequence (got type int)``), and the range
        codec's exception, prefixed with the range's index, for a range it cannot encode.
        ``decode`` raises ``ValueError`` for malformed data.

    Raises:
        ValueError: ``range_codec`` is not a binary codec.
    """
    if range_codec.format != BINARY:
        raise ValueError(
            f"the range codec of multirange type {schema}.{name} must be binary, got {range_codec!r}"
        )
    encode_range = range_codec.encode
    decode_range = range_codec.decode

    def encode(value: Any) -> bytes:
        # What multirange_recv reads (multirangetypes.c): a count, then length + range per range.
        if not isinstance(value, Sequence) or isinstance(value, _NOT_SEQUENCES):
            raise TypeError(f"expected a sequence (got type {type(value).__name__})")
        parts = [_pack_int32(len(value))]
        for index, item in enumerate(value):
            try:
                data = encode_range(item)
            except Exception as error:
                raise_with_prefix(error, f"range at index {index}")
            parts.append(_pack_int32(len(data)))
            parts.append(data)
        return b"".join(parts)

    def decode(data: bytes) -> list[Range[Any]]:
        size = len(data)
        if size < 4:
            raise ValueError(f"invalid {name} value: expected at least 4 bytes, got {size}")
        count = _unpack_int32_from(data, 0)[0]
        if count < 0:
            raise ValueError(f"invalid {name} value: negative range count {count}")
        position = 4
        result: list[Range[Any]] = []
        for index in range(count):
            start = position + 4
            if start > size:
                raise ValueError(f"invalid {name} value: range {index} is cut off")
            length = _unpack_int32_from(data, position)[0]
            end = start + length
            if length < 0 or end > size:
                raise ValueError(f"invalid {name} value: range {index} has a bad length {length}")
            try:
                result.append(decode_range(data[start:end]))
            except Exception as error:
                raise_with_prefix(error, f"range at index {index}")
            position = end
        if position != size:
            raise ValueError(f"invalid {name} value: {size - position} bytes of trailing data")
        return result

    return Codec(
        oid,
        name,
        BINARY,
        encode,
        decode,
        schema=schema,
        kind="multirange",
        element=range_codec,
        list_valued=True,
    )
