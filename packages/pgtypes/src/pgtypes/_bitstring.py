"""``BitString``: the value of PostgreSQL's ``bit(n)`` and ``bit varying(n)`` columns.

Part of ``pgtypes.types`` (re-exported as ``pgasync.types``), with asyncpg's ``BitString``
API. A bit string is a sequence of bits; it is stored packed, most significant bit first, the
unused low bits of the last byte zero (the layout of the binary wire format, section 8.10 "Bit
String Types" of the PostgreSQL documentation). The codecs are in :mod:`pgtypes._bits`.
"""

from __future__ import annotations

import operator
from collections.abc import Iterator
from typing import Final, Self, SupportsIndex

from pgtypes._codec import type_error

__all__ = ["BitString"]

_BITORDERS: Final = ("big", "little")
# Every character but '0', '1' and ' ' is deleted: what is left says whether the input is valid.
_NOT_BITS: Final = str.maketrans("", "", "01 ")


def _check_bitorder(bitorder: str) -> None:
    if bitorder not in _BITORDERS:
        raise ValueError(f"bitorder must be either 'big' or 'little', got {bitorder!r}")


def _reverse_bits(value: int, length: int) -> int:
    """``value``'s ``length`` low bits in reverse order."""
    if length == 0:
        return 0
    return int(format(value, f"0{length}b")[::-1], 2)


class BitString:
    """An immutable string of bits.

    Args:
        bitstring: ``'0'`` and ``'1'`` characters, most significant first; spaces are ignored
            (so that ``as_string()`` output reads back). ``None`` or ``''``: no bits.

    Raises:
        TypeError: ``bitstring`` is not a ``str``.
        ValueError: another character (``'invalid bit value at position i'``, ``i`` counting
            characters of ``bitstring``, spaces included).

    >>> bits = BitString("1010 1")
    >>> bits, len(bits), bits[0], bits[-1]
    (<BitString 1010 1>, 5, 1, 1)
    >>> bits.bytes
    b'\\xa8'
    >>> bits.to_int()
    21
    >>> BitString.from_int(-3, 4, signed=True)
    <BitString 1101>
    """

    __slots__ = ("_bitlength", "_bytes")

    _bytes: bytes
    _bitlength: int

    def __init__(self, bitstring: str | None = None) -> None:
        if bitstring is None:
            bitstring = ""
        elif not isinstance(bitstring, str):
            raise type_error("str of '0' and '1'", bitstring)
        if bitstring.translate(_NOT_BITS):
            for position, char in enumerate(bitstring):
                if char not in "01 ":
                    raise ValueError(f"invalid bit value at position {position}")
        bits = bitstring.replace(" ", "")
        length = len(bits)
        self._bitlength = length
        if length == 0:
            self._bytes = b""
        else:
            self._bytes = (int(bits, 2) << (-length % 8)).to_bytes((length + 7) >> 3, "big")

    @classmethod
    def frombytes(
        cls, bytes_: bytes | bytearray | memoryview | None = None, bitlength: int | None = None
    ) -> Self:
        """A bit string from packed bytes, most significant bit first.

        Args:
            bytes_: the bits, packed; ``None``: none.
            bitlength: how many bits of ``bytes_`` are used; ``None``: all (8 per byte).
                Otherwise ``bytes_`` must be exactly as long as ``bitlength`` bits need;
                the unused low bits of the last byte are ignored (and set to zero).

        Returns:
            The bit string.

        Raises:
            ValueError: ``'invalid bit length specified'``: ``bitlength`` is negative or does
                not match the length of ``bytes_``.

        >>> BitString.frombytes(b"\\xf0", 4)
        <BitString 1111>
        """
        data = b"" if bytes_ is None else bytes(bytes_)
        if bitlength is None:
            bitlength = len(data) * 8
        elif bitlength < 0 or (bitlength + 7) >> 3 != len(data):
            raise ValueError("invalid bit length specified")
        unused = -bitlength % 8
        if unused and data[-1] & ((1 << unused) - 1):
            data = data[:-1] + bytes([data[-1] & (0xFF << unused) & 0xFF])
        bits = cls.__new__(cls)
        bits._bytes = data
        bits._bitlength = bitlength
        return bits

    @property
    def bytes(self) -> bytes:
        """The bits packed into bytes, most significant first, the unused low bits zero."""
        return self._bytes

    def as_string(self) -> str:
        """The bits as ``'0'``/``'1'`` characters in groups of four separated by spaces.

        >>> BitString("101011").as_string()
        '1010 11'
        """
        text = self._bits_text()
        return " ".join([text[i : i + 4] for i in range(0, len(text), 4)])

    def _bits_text(self) -> str:
        """The bits as ``'0'``/``'1'`` characters, no spaces."""
        if self._bitlength == 0:
            return ""
        value = int.from_bytes(self._bytes, "big") >> (-self._bitlength % 8)
        return format(value, f"0{self._bitlength}b")

    def to_int(self, bitorder: str = "big", *, signed: bool = False) -> int:
        """The bits as an integer.

        Args:
            bitorder: ``'big'``: the first bit is the most significant; ``'little'``: the
                first bit is the least significant.
            signed: read the most significant bit as the sign (two's complement).

        Returns:
            The integer (0 for an empty bit string).

        Raises:
            ValueError: ``bitorder`` is neither ``'big'`` nor ``'little'``.

        >>> BitString("0011").to_int(), BitString("0011").to_int("little")
        (3, 12)
        >>> BitString("1110").to_int(signed=True)
        -2
        """
        _check_bitorder(bitorder)
        length = self._bitlength
        value = int.from_bytes(self._bytes, "big") >> (-length % 8)
        if bitorder == "little":
            value = _reverse_bits(value, length)
        if signed and length and value >> (length - 1):
            value -= 1 << length
        return value

    @classmethod
    def from_int(
        cls, x: SupportsIndex, length: SupportsIndex, bitorder: str = "big", *, signed: bool = False
    ) -> Self:
        """A bit string of ``length`` bits holding the integer ``x``.

        Args:
            x: the integer.
            length: the number of bits.
            bitorder: ``'big'``: the first bit is the most significant; ``'little'``: the
                first bit is the least significant.
            signed: store ``x`` in two's complement (else ``x`` must not be negative).

        Returns:
            The bit string.

        Raises:
            ValueError: ``length`` is negative, or ``bitorder`` is neither ``'big'`` nor
                ``'little'``.
            OverflowError: ``x`` does not fit in ``length`` bits, or is negative and
                ``signed`` is false.

        >>> BitString.from_int(1, 5), BitString.from_int(1, 5, "little")
        (<BitString 0000 1>, <BitString 1000 0>)
        """
        value = operator.index(x)
        bitlength = operator.index(length)
        if bitlength < 0:
            raise ValueError(f"length must not be negative, got {bitlength}")
        _check_bitorder(bitorder)
        if signed:
            limit = 1 << (bitlength - 1) if bitlength else 0
            if not -limit <= value < max(limit, 1):
                raise OverflowError(
                    f"int {value} does not fit in {bitlength} signed bits ({-limit}..{max(limit - 1, 0)})"
                )
            value &= (1 << bitlength) - 1
        elif value < 0:
            raise OverflowError(f"cannot convert negative int {value} to an unsigned bit string")
        elif value >> bitlength:
            raise OverflowError(
                f"int {value} does not fit in {bitlength} unsigned bits (0..{(1 << bitlength) - 1})"
            )
        if bitorder == "little":
            value = _reverse_bits(value, bitlength)
        bits = cls.__new__(cls)
        bits._bytes = (value << (-bitlength % 8)).to_bytes((bitlength + 7) >> 3, "big")
        bits._bitlength = bitlength
        return bits

    def __len__(self) -> int:
        return self._bitlength

    def __getitem__(self, index: SupportsIndex | slice) -> int:
        """The bit at ``index`` (0 or 1); negative indices count from the end.

        Raises:
            IndexError: ``'index out of range'``.
            NotImplementedError: ``index`` is a slice (as in asyncpg, slicing is not offered).
        """
        if isinstance(index, slice):
            raise NotImplementedError("BitString does not support slicing")
        position = operator.index(index)
        if position < 0:
            position += self._bitlength
        if not 0 <= position < self._bitlength:
            raise IndexError("index out of range")
        return (self._bytes[position >> 3] >> (7 - (position & 7))) & 1

    def __iter__(self) -> Iterator[int]:
        return (int(char) for char in self._bits_text())

    def __eq__(self, other: object) -> bool:
        if isinstance(other, BitString):
            return self._bitlength == other._bitlength and self._bytes == other._bytes
        return NotImplemented

    def __hash__(self) -> int:
        return hash((self._bytes, self._bitlength))

    def __reduce__(self) -> tuple[type[Self], tuple[str]]:
        return (type(self), (self._bits_text(),))

    def __repr__(self) -> str:
        return f"<BitString {self.as_string()}>"
