"""The row plan: what each column's decode is, as one code the compiled executor understands.

The row decoder's contract is its codecs: column ``i`` of a row is ``codecs[i].decode(data)``
(or ``None`` for NULL). Both executors keep that contract. The pure one (:mod:`pgtypes._row_decoder`)
calls the decode functions, with struct tricks for fixed-width runs; the compiled one
(``pgtypes._speedups``, built from ``_speedups.pyx``) reads the values with C types. What the
compiled executor does for a column is decided here, in Python, once per statement, from facts
the codec states about itself:

- a binary codec whose ``fixed`` struct character is one of :data:`FIXED_CODES` (its contract is
  ``decode(data) == struct.unpack("!" + fixed, data)[0]``): the value read big-endian in C;
- a codec whose decode is ``bytes.decode`` (text, varchar, name, bpchar, json text, enums,
  every text-format fallback): strict UTF-8 decoding in C;
- a codec whose decode is ``bytes`` (binary bytea): the bytes copied in C;
- a codec whose decode is :func:`pgtypes._numeric.decode_numeric_binary` (binary numeric): a
  finite non-zero value read in C into the same ``Decimal``, any other value passed to it;
- a binary array codec of such an element: a one-dimensional array read in C, any other array
  value (several dimensions, a wrong element type) passed to the array codec's own decode;
- anything else (:data:`CALL`): the codec's decode function, called on the value's bytes.

A codec a user registers has its own decode function, so it is always called as itself: the plan
never reinterprets a user's conversion. The compiled executor hands back any row it does not
decode completely (a malformed row, invalid UTF-8, a decode function that raised) to the pure
executor, which decodes it or raises the error that describes it: the two builds give the same
records and the same errors.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

from pgtypes._codec import BINARY, Codec
from pgtypes._numeric import decode_numeric_binary

__all__ = ["CALL", "FIXED_CODES", "NUMERIC", "RowPlan", "column_code", "row_plan"]

#: The plan code of a column decoded by calling its codec's decode function.
CALL: Final = ord("*")
#: A column decoded as strict UTF-8 text.
UTF8: Final = ord("s")
#: A column whose bytes are the value.
BYTES: Final = ord("y")
#: A binary numeric, read into a ``Decimal`` (not an array element code).
NUMERIC: Final = ord("n")
#: A one-dimensional binary array; its element's code is in the plan's element codes.
ARRAY: Final = ord("a")
#: The ``struct`` characters of fixed-width binary values the compiled executor reads itself.
FIXED_CODES: Final = frozenset("?chiqIQfd")

_utf8_decode: Final = bytes.decode


class RowPlan:
    """One code per column, and what the codes refer to.

    Attributes:
        codes: one byte per column (a struct character from :data:`FIXED_CODES`,
            :data:`UTF8`, :data:`BYTES`, :data:`NUMERIC`, :data:`ARRAY` or :data:`CALL`).
        element_codes: per column, the element's code for an :data:`ARRAY` column, else 0.
        element_oids: per column, the element type OID for an :data:`ARRAY` column, else 0.
        decoders: each column's decode function (called for :data:`CALL` columns and for array
            values the executor does not read itself).
    """

    __slots__ = ("codes", "decoders", "element_codes", "element_oids")

    def __init__(self, codecs: Sequence[Codec]) -> None:
        """Make the plan of rows whose columns are decoded by ``codecs``."""
        pairs = [column_code(codec) for codec in codecs]
        self.codes = bytes(code for code, _ in pairs)
        self.element_codes = bytes(element for _, element in pairs)
        self.element_oids = tuple(
            codec.element.oid if code == ARRAY and codec.element is not None else 0
            for (code, _), codec in zip(pairs, codecs, strict=True)
        )
        self.decoders = tuple(codec.decode for codec in codecs)

    def is_worthwhile(self) -> bool:
        """Whether the compiled executor reads at least one column itself."""
        return any(code != CALL for code in self.codes)


def column_code(codec: Codec) -> tuple[int, int]:
    """``(code, element code)`` of one column: how the compiled executor decodes its values."""
    code = _scalar_code(codec)
    if code != CALL:
        return code, 0
    element = codec.element
    if codec.kind == "array" and codec.format == BINARY and element is not None:
        element_code = _scalar_code(element)
        if element_code not in (CALL, NUMERIC) and element.format == BINARY:
            return ARRAY, element_code
    return CALL, 0


def row_plan(codecs: Sequence[Codec]) -> RowPlan:
    """The :class:`RowPlan` of ``codecs`` (see the module docstring)."""
    return RowPlan(codecs)


def _scalar_code(codec: Codec) -> int:
    if codec.kind != "scalar":
        return CALL
    if codec.format == BINARY and codec.fixed in FIXED_CODES:
        return ord(codec.fixed)
    if codec.decode is _utf8_decode:
        return UTF8
    if codec.decode is bytes:
        return BYTES
    if codec.decode is decode_numeric_binary:
        return NUMERIC
    return CALL
