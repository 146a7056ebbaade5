"""Codecs of ``int2vector`` and ``oidvector``: one-dimensional arrays with their own rules.

They are catalog types (``pg_index.indkey``, ``pg_proc.proargtypes``) stored as arrays, but
the server prints them space-separated (``1 2 3``) and their binary input insists on one
dimension, no NULLs and a lower bound of 0 (``int2vectorrecv``, ``oidvectorrecv``). Python
value: a ``list`` of ``int``.
"""

from __future__ import annotations

import struct
from collections.abc import Callable, Iterable
from typing import Final

from pgtypes._codec import BINARY, TEXT, Codec, CodecTable, type_error

__all__ = ["INT2VECTOR_OID", "OIDVECTOR_OID", "register"]

INT2VECTOR_OID: Final = 22
OIDVECTOR_OID: Final = 30
_INT2_OID: Final = 21
_OID_OID: Final = 26

_HEADER: Final = struct.Struct("!iiiii")  # ndim, has-nulls flag, element OID, length, lower bound
_EMPTY: Final = struct.Struct("!iii")


def _check(value: object, name: str) -> list[int]:
    if isinstance(value, str | bytes | bytearray | memoryview) or not isinstance(value, Iterable):
        raise type_error(f"a sequence of int for {name}", value)
    items = list(value)
    for index, item in enumerate(items):
        if item is None:
            raise ValueError(f"{name} cannot hold NULL (element {index})")
    return items


def _codecs(oid: int, name: str, element_oid: int, code: str, low: int, high: int) -> tuple[Codec, Codec]:
    element = struct.Struct("!i" + code)
    size = struct.calcsize("!" + code)

    def items(value: object) -> list[int]:
        numbers = _check(value, name)
        for index, number in enumerate(numbers):
            if isinstance(number, bool) or not isinstance(number, int):
                raise type_error(f"int for {name} element {index}", number)
            if not low <= number <= high:
                raise OverflowError(f"{name} element {index} out of range ({low}..{high}): {number}")
        return numbers

    def encode_binary(value: object) -> bytes:
        numbers = items(value)
        if not numbers:
            return _EMPTY.pack(0, 0, element_oid)
        head = _HEADER.pack(1, 0, element_oid, len(numbers), 0)
        return head + b"".join(element.pack(size, number) for number in numbers)

    def decode_binary(data: bytes) -> list[int]:
        ndim, _flags, found = _EMPTY.unpack_from(data)
        if found != element_oid:
            raise ValueError(f"invalid {name} value: element type OID {found}, expected {element_oid}")
        if ndim == 0:
            return []
        if ndim != 1:
            raise ValueError(f"invalid {name} value: {ndim} dimensions, expected 1")
        count = _HEADER.unpack_from(data)[3]
        pairs = struct.unpack_from("!" + ("i" + code) * count, data, _HEADER.size)
        if len(data) != _HEADER.size + count * (4 + size) or any(length != size for length in pairs[0::2]):
            raise ValueError(f"invalid {name} value: malformed elements")
        return list(pairs[1::2])

    def encode_text(value: object) -> bytes:
        return " ".join(str(number) for number in items(value)).encode()

    def decode_text(data: bytes) -> list[int]:
        try:
            return [int(part) for part in data.split()]
        except ValueError:
            raise ValueError(f"invalid {name} value: {data[:40]!r}") from None

    return (
        Codec(oid, name, BINARY, encode_binary, decode_binary, list_valued=True),
        Codec(oid, name, TEXT, encode_text, decode_text, list_valued=True),
    )


_MAKERS: Final[tuple[Callable[[], tuple[Codec, Codec]], ...]] = (
    lambda: _codecs(INT2VECTOR_OID, "int2vector", _INT2_OID, "h", -(2**15), 2**15 - 1),
    lambda: _codecs(OIDVECTOR_OID, "oidvector", _OID_OID, "I", 0, 2**32 - 1),
)


def register(table: CodecTable) -> None:
    """Add the binary and text codecs of int2vector and oidvector."""
    for make in _MAKERS:
        for codec in make():
            table.add(codec)
