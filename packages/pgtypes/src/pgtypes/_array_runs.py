"""The elements of a one-dimensional binary array of non-NULL fixed-width values, at C speed.

In ``array_send``'s format such an array is a 20-byte header, then per element an int32
length (always the element's width) and the value. :class:`FixedRun` turns that body into
the list of values in a few C-level passes, checking every length:

- 4-byte integers (``int4``, ``oid`` and its relatives) go through the ``array`` module: the
  body read as 32-bit words in one copy, byte-swapped when the machine is little-endian, the
  lengths checked with one comparison of the even words, the values taken from the odd ones;
- other widths unpack (length, value) pairs with one ``struct.Struct`` made for the count
  (cached), or pair by pair for very long arrays.

:meth:`FixedRun.decode` returns None, deciding nothing, when a length is not the width (a NULL
among the elements): the caller's general loop then decodes the array or reports what is
wrong with it.
"""

from __future__ import annotations

import struct
import sys
from array import array
from typing import Any, Final

__all__ = ["FixedRun"]

#: Element struct codes read through the ``array`` module, by their typecode there: only
#: 4-byte integers, whose length words and value words share one typecode.
_WORD_TYPECODES: Final = {code: code for code in ("i", "I") if array(code).itemsize == 4}
_SWAP: Final = sys.byteorder == "little"

#: (element struct character, element count) -> Struct of ``count`` (length, value) pairs;
#: bounded so that odd sizes cannot grow it without limit.
_RUN_STRUCTS: dict[tuple[str, int], struct.Struct] = {}
_RUN_STRUCTS_LIMIT: Final = 256
#: How many element counts each FixedRun keeps the expected lengths of.
_LENGTHS_LIMIT: Final = 64
#: Longer runs unpack pair by pair (``iter_unpack``) instead of with one very long Struct.
_RUN_STRUCT_MAX_COUNT: Final = 4096


def _run_struct(fixed: str, count: int) -> struct.Struct:
    """The cached Struct unpacking ``count`` (int32 length, ``fixed`` value) pairs."""
    key = (fixed, count)
    run = _RUN_STRUCTS.get(key)
    if run is None:
        run = struct.Struct("!" + ("i" + fixed) * count)
        if len(_RUN_STRUCTS) < _RUN_STRUCTS_LIMIT:
            _RUN_STRUCTS[key] = run
    return run


class FixedRun:
    """Decodes the element runs of arrays whose element has the struct code ``fixed``."""

    __slots__ = ("_fixed", "_lengths", "_pair", "_size", "_typecode")

    def __init__(self, fixed: str) -> None:
        self._fixed = fixed
        self._size = struct.calcsize("!" + fixed)
        self._pair = struct.Struct("!i" + fixed)
        self._typecode = _WORD_TYPECODES.get(fixed)
        #: element count -> the lengths words such an array must have (the most common counts)
        self._lengths: dict[int, array[Any]] = {}

    def decode(self, data: bytes, count: int) -> list[Any] | None:
        """The ``count`` values after the 20-byte header of ``data``, or None for a NULL among them.

        The caller has checked that ``data`` is exactly ``20 + count * (4 + width)`` bytes.
        """
        size = self._size
        typecode = self._typecode
        if typecode is not None:
            words = array(typecode, data[20:])
            if _SWAP:
                words.byteswap()
            # Arrays of one typecode compare item by item in C (count() would box each item).
            lengths = self._lengths.get(count)
            if lengths is None:
                lengths = array(typecode, (size,)) * count
                if len(self._lengths) < _LENGTHS_LIMIT:
                    self._lengths[count] = lengths
            if words[0::2] != lengths:
                return None
            return words[1::2].tolist()
        if count <= _RUN_STRUCT_MAX_COUNT:
            pairs = _run_struct(self._fixed, count).unpack_from(data, 20)
            if pairs[0::2].count(size) != count:
                return None
            return list(pairs[1::2])
        values: list[Any] = []
        for length, value in self._pair.iter_unpack(memoryview(data)[20:]):
            if length != size:
                return None
            values.append(value)
        return values
