"""Small binary codecs and hypothesis strategies for the range and composite tests.

The range and composite codecs are built from other codecs; these tests build theirs from
:mod:`struct` here, so that they do not depend on the integer and text family modules.
"""

from __future__ import annotations

import struct
from typing import Any, Final

from hypothesis import strategies as st

from pgtypes._codec import BINARY, Codec
from pgtypes._range_type import Range

__all__ = [
    "INT4",
    "INT4_MAX",
    "INT4_MIN",
    "INT8",
    "TEXT_CODEC",
    "canonical_int_range",
    "int_ranges",
    "int_text",
    "range_text",
]

INT4_MIN: Final = -(2**31)
INT4_MAX: Final = 2**31 - 1

_int4 = struct.Struct("!i")
_int8 = struct.Struct("!q")


def _encode_int4(value: Any) -> bytes:
    if not isinstance(value, int):
        raise TypeError(f"expected int, got {type(value).__name__}")
    if not INT4_MIN <= value <= INT4_MAX:
        raise OverflowError(f"value out of int4 range: {value}")
    return _int4.pack(value)


def _decode_int4(data: bytes) -> int:
    if len(data) != 4:
        raise ValueError(f"invalid int4 value: expected 4 bytes, got {len(data)}")
    value: int = _int4.unpack(data)[0]
    return value


def _encode_int8(value: Any) -> bytes:
    if not isinstance(value, int):
        raise TypeError(f"expected int, got {type(value).__name__}")
    return _int8.pack(value)


def _decode_int8(data: bytes) -> int:
    value: int = _int8.unpack(data)[0]
    return value


def _encode_text(value: Any) -> bytes:
    if not isinstance(value, str):
        raise TypeError(f"expected str, got {type(value).__name__}")
    return value.encode()


def _decode_text(data: bytes) -> str:
    return data.decode()


INT4: Final = Codec(23, "int4", BINARY, _encode_int4, _decode_int4, fixed="i")
INT8: Final = Codec(20, "int8", BINARY, _encode_int8, _decode_int8, fixed="q")
TEXT_CODEC: Final = Codec(25, "text", BINARY, _encode_text, _decode_text)

#: Text the server stores unchanged: no NUL, no lone surrogates.
int_text = st.text(st.characters(codec="utf-8", exclude_characters="\x00"), max_size=20)


@st.composite
def int_ranges(draw: st.DrawFn, low: int = INT4_MIN, high: int = INT4_MAX) -> Range[int]:
    """Any ``Range[int]`` with bounds in ``low..high``, lower <= upper, or the empty range."""
    if draw(st.integers(0, 9)) == 0:
        return Range(empty=True)
    bounds = st.one_of(st.none(), st.integers(low, high), st.sampled_from([low, high, 0]))
    lower = draw(bounds)
    upper = draw(bounds)
    if lower is not None and upper is not None and lower > upper:
        lower, upper = upper, lower
    return Range(lower, upper, lower_inc=draw(st.booleans()), upper_inc=draw(st.booleans()))


def canonical_int_range(value: Range[int]) -> Range[int]:
    """What ``int4range``/``int8range`` canonicalisation makes of ``value``: ``[lower, upper)``.

    As the server's canonical function for discrete integer ranges: an exclusive lower bound
    moves up by one and becomes inclusive, an inclusive upper bound moves up by one and
    becomes exclusive, and a range left with no values is empty.
    """
    if value.isempty:
        return value
    lower = value.lower
    upper = value.upper
    if lower is not None and not value.lower_inc:
        lower += 1
    if upper is not None and value.upper_inc:
        upper += 1
    if lower is not None and upper is not None and lower >= upper:
        return Range(empty=True)
    return Range(lower, upper)


def range_text(value: Range[Any]) -> str:
    """How PostgreSQL prints a range of integers: ``empty``, ``[1,5)``, ``(,)``."""
    if value.isempty:
        return "empty"
    lower = "" if value.lower is None else str(value.lower)
    upper = "" if value.upper is None else str(value.upper)
    return f"{'[' if value.lower_inc else '('}{lower},{upper}{']' if value.upper_inc else ')'}"
