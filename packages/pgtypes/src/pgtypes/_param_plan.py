"""The parameter plan: what each parameter's encode is, as one code the compiled encoder runs.

The contract of :class:`pgtypes.ParameterEncoder` is its codecs: parameter ``i`` is sent as
``codecs[i].encode(value)`` (``None`` for NULL). The compiled encoder (``pgtypes._speedups``)
keeps it for the values it encodes itself, chosen here from the codec's encode function:

- the built-in binary ``int2``, ``int4``, ``int8`` and ``oid`` encoders (:data:`INTEGER_CODES`):
  an exact ``int`` inside the type's range, packed big-endian in C;
- :func:`~pgtypes._integers.encode_float8_binary`: an exact ``float``, packed in C;
- :func:`~pgtypes._text.encode_str` (every text-like type, either format): an exact ``str``
  without NUL, encoded as UTF-8 in C;
- :func:`~pgtypes._text.encode_bytea_binary`: an exact ``bytes``, sent as it is;
- anything else, and any value of another Python type: the codec's encode function.

An argument sequence the compiled encoder does not finish (not a list or tuple, the wrong
length, a value an encoder refused) goes to the pure encoder, which encodes it or raises the
error naming the element and the argument: both builds send the same bytes and raise the same
errors.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

from pgtypes._codec import BINARY, Codec
from pgtypes._integers import _Integer, encode_float8_binary
from pgtypes._text import encode_bytea_binary, encode_str

__all__ = ["CALL", "INTEGER_CODES", "ParameterPlan"]

#: A parameter encoded by calling its codec's encode function.
CALL: Final = ord("*")
#: The struct characters of the integer encoders run in C (uint64 types keep their encoder).
INTEGER_CODES: Final = frozenset("hiqI")


class ParameterPlan:
    """One code per parameter, with the integer bounds and the encode functions.

    Attributes:
        codes: one byte per parameter (an :data:`INTEGER_CODES` character, ``d`` for float8,
            ``s`` for UTF-8 text, ``y`` for bytea, or :data:`CALL`).
        lows: per parameter, the lowest value of an integer type (0 otherwise).
        highs: per parameter, the highest value of an integer type (0 otherwise).
        encoders: each parameter's encode function.
    """

    __slots__ = ("codes", "encoders", "highs", "lows")

    def __init__(self, codecs: Sequence[Codec]) -> None:
        """Make the plan of the parameters encoded by ``codecs``."""
        codes: list[int] = []
        lows: list[int] = []
        highs: list[int] = []
        for codec in codecs:
            code, low, high = _parameter_code(codec)
            codes.append(code)
            lows.append(low)
            highs.append(high)
        self.codes = bytes(codes)
        self.lows = tuple(lows)
        self.highs = tuple(highs)
        self.encoders = tuple(codec.encode for codec in codecs)


def _parameter_code(codec: Codec) -> tuple[int, int, int]:
    encode = codec.encode
    integer = getattr(encode, "__self__", None)
    if (
        isinstance(integer, _Integer)
        and getattr(encode, "__func__", None) is _Integer.encode_binary
        and codec.format == BINARY
        and codec.fixed in INTEGER_CODES
    ):
        return ord(codec.fixed), integer.low, integer.high
    if encode is encode_float8_binary and codec.format == BINARY:
        return ord("d"), 0, 0
    if encode is encode_str:
        return ord("s"), 0, 0
    if encode is encode_bytea_binary and codec.format == BINARY:
        return ord("y"), 0, 0
    return CALL, 0, 0
