"""Codecs for the bit string types ``bit(n)`` and ``bit varying(n)`` (``varbit``).

Binary format (PostgreSQL's ``bit_send``/``varbit_send``): an int32 bit count, then the bits
packed most significant first, ``ceil(count / 8)`` bytes, the unused low bits of the last byte
zero. Text format: one ``'0'`` or ``'1'`` per bit (section 8.10, "Bit String Types").

Decoders return :class:`~pgtypes._bitstring.BitString`. Encoders take a ``BitString``, a
bytes-like object (8 bits per byte) or a ``str`` of ``'0'``/``'1'`` (spaces ignored, as in
``BitString``). ``bit(n)`` checks the length on the server: a bit string of another length
sent for a ``bit(n)`` parameter is rejected there, and an explicit cast pads or truncates.
"""

from __future__ import annotations

import struct
from typing import Final

from pgtypes._bitstring import BitString
from pgtypes._codec import BINARY, TEXT, Codec, CodecTable, type_error

__all__ = ["BIT_OID", "VARBIT_OID", "register"]

BIT_OID: Final = 1560
VARBIT_OID: Final = 1562

# VARBITMAXLEN in varbit.h: the most bits a bit string can hold.
MAX_BITS: Final = 0x7FFFFFFF - 8 + 1

_LENGTH: Final = struct.Struct("!i")
_pack_length: Final = _LENGTH.pack
_unpack_length: Final = _LENGTH.unpack_from
_frombytes: Final = BitString.frombytes


def _bit_string(value: object) -> BitString:
    """An encoder's input as a BitString, within the server's length limit."""
    if isinstance(value, BitString):
        bits = value
    elif isinstance(value, bytes | bytearray | memoryview):
        bits = _frombytes(value)
    elif isinstance(value, str):
        bits = BitString(value)
    else:
        raise type_error("BitString, bytes or a str of '0' and '1'", value)
    if len(bits) > MAX_BITS:
        raise ValueError(f"bit string too long: {len(bits)} bits (the maximum is {MAX_BITS})")
    return bits


def _encode_binary(value: object) -> bytes:
    bits = _bit_string(value)
    return _pack_length(len(bits)) + bits.bytes


def _decode_binary(data: bytes) -> BitString:
    if len(data) < 4:
        raise ValueError(f"invalid bit string value: expected at least 4 bytes, got {len(data)}")
    (bitlength,) = _unpack_length(data)
    if bitlength < 0 or (bitlength + 7) >> 3 != len(data) - 4:
        raise ValueError(f"invalid bit string value: {bitlength} bits in {len(data) - 4} bytes")
    return _frombytes(data[4:], bitlength)


def _encode_text(value: object) -> bytes:
    # BitString.as_string() groups the bits with spaces; bit_in takes none, so strip them.
    return _bit_string(value).as_string().replace(" ", "").encode()


def _decode_text(data: bytes) -> BitString:
    return BitString(data.decode())


def register(table: CodecTable) -> None:
    """Add the binary and text codecs of ``bit`` and ``varbit`` to ``table``.

    Raises:
        ValueError: one of them is already registered.
    """
    for oid, name in ((BIT_OID, "bit"), (VARBIT_OID, "varbit")):
        table.add(Codec(oid, name, BINARY, _encode_binary, _decode_binary))
        table.add(Codec(oid, name, TEXT, _encode_text, _decode_text))
