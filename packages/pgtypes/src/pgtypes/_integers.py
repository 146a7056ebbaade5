"""Codecs for booleans, integers, floats and the small fixed-width system types.

Covers ``bool``, ``int2``/``int4``/``int8``, the unsigned identifiers ``oid``, ``xid``,
``cid``, ``xid8``, ``pg_lsn``, ``float4``/``float8``, the one-byte ``"char"``, ``void``,
``tid`` and the ``reg*`` OID alias types (text only, as ``str``).

Binary formats are those of the types' ``*send``/``*recv`` functions: network byte order,
two's complement for signed integers, IEEE 754 for floats (PostgreSQL docs, "Numeric Types"
and "Object Identifier Types"; the Bind and DataRow messages carry these bytes unchanged).
Text formats are what the types' output functions print with ``extra_float_digits = 3``
(floats in shortest round-trip form, ``NaN``, ``Infinity``, ``-Infinity``).

Python types follow asyncpg, with one deliberate difference: integer encoders refuse a
float or ``Decimal`` with a fractional part instead of truncating it.
"""

from __future__ import annotations

import math
import operator
import re
import struct
from decimal import Decimal
from typing import Final, SupportsFloat, SupportsIndex

from pgtypes._codec import BINARY, TEXT, Codec, CodecTable, type_error

__all__ = [
    "BOOL_OID",
    "CHAR_OID",
    "CID_OID",
    "FLOAT4_OID",
    "FLOAT8_OID",
    "INT2_OID",
    "INT4_OID",
    "INT8_OID",
    "OID_OID",
    "PG_LSN_OID",
    "REG_OIDS",
    "TID_OID",
    "VOID_OID",
    "XID8_OID",
    "XID_OID",
    "register",
    "to_float",
    "to_int",
]

BOOL_OID: Final = 16
CHAR_OID: Final = 18
INT8_OID: Final = 20
INT2_OID: Final = 21
INT4_OID: Final = 23
OID_OID: Final = 26
TID_OID: Final = 27
XID_OID: Final = 28
CID_OID: Final = 29
FLOAT4_OID: Final = 700
FLOAT8_OID: Final = 701
VOID_OID: Final = 2278
PG_LSN_OID: Final = 3220
XID8_OID: Final = 5069

#: The OID alias types (PostgreSQL docs, "Object Identifier Types"), by OID.
REG_OIDS: Final[dict[int, str]] = {
    24: "regproc",
    2202: "regprocedure",
    2203: "regoper",
    2204: "regoperator",
    2205: "regclass",
    2206: "regtype",
    3734: "regconfig",
    3769: "regdictionary",
    4089: "regnamespace",
    4096: "regrole",
    4191: "regcollation",
}

_UINT32_MAX: Final = 0xFFFFFFFF
_UINT64_MAX: Final = 0xFFFFFFFFFFFFFFFF

_FLOAT4: Final = struct.Struct("!f")
_FLOAT8: Final = struct.Struct("!d")
_TID: Final = struct.Struct("!IH")
_PG_LSN_TEXT: Final = re.compile(rb"([0-9A-Fa-f]{1,8})/([0-9A-Fa-f]{1,8})")
_TID_TEXT: Final = re.compile(rb"\(([0-9]{1,10}),([0-9]{1,5})\)")
_INFINITY: Final = math.inf


def _show(value: int) -> str:
    """An integer for an error message; huge ones by size (``str()`` of them is limited)."""
    return str(value) if value.bit_length() <= 256 else f"an integer of {value.bit_length()} bits"


def to_int(value: object, name: str = "integer") -> int:
    """``value`` as a plain ``int``, the way every integer encoder accepts it.

    Accepts ``int`` (``bool`` and ``IntEnum`` too), objects with ``__index__``, and floats
    and ``Decimal`` values holding whole numbers. ``name`` is the type, for error messages.

    Raises:
        TypeError: any other type (``str`` included: no parsing).
        ValueError: a float or ``Decimal`` with a fractional part, NaN or infinity.
        OverflowError: a ``Decimal`` of 10**20 or more, beyond every integer type here.
    """
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        if value.is_integer():
            return int(value)
        if math.isfinite(value):
            raise ValueError(f"expected an integer, got float {value!r} with a fractional part")
        raise ValueError(f"expected an integer, got float {value!r}")
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise ValueError(f"expected an integer, got Decimal {value}")
        if value.adjusted() >= 20:
            # 2**64 has 20 digits; int() of Decimal('1E+10000000') would take minutes.
            raise OverflowError(f"value out of {name} range: {value}")
        if value != value.to_integral_value():
            raise ValueError(f"expected an integer, got Decimal {value} with a fractional part")
        return int(value)
    if isinstance(value, SupportsIndex):
        return operator.index(value)
    raise type_error("int", value)


class _Integer:
    """The binary and text encoders of one integer type, and its binary decoder.

    A small class rather than one function per type: the range check and the messages are
    the same for all of them, only the name, the bounds and the struct layout differ.
    """

    __slots__ = ("high", "low", "name", "pack", "unpack", "width")

    def __init__(self, name: str, low: int, high: int, layout: str) -> None:
        self.name = name
        self.low = low
        self.high = high
        packer = struct.Struct("!" + layout)
        self.pack = packer.pack
        self.unpack = packer.unpack
        self.width = packer.size

    def checked(self, value: object) -> int:
        """``value`` as an int inside the type's range, else the documented error."""
        number = to_int(value, self.name)
        if self.low <= number <= self.high:
            return number
        raise OverflowError(f"value out of {self.name} range ({self.low}..{self.high}): {_show(number)}")

    def encode_binary(self, value: object) -> bytes:
        """The value in network byte order (the type's ``*send`` layout)."""
        # Fast path for the common case: a plain int in range.
        if type(value) is int and self.low <= value <= self.high:
            return self.pack(value)
        return self.pack(self.checked(value))

    def encode_text(self, value: object) -> bytes:
        """The value's decimal digits, as the type's input function reads them."""
        if type(value) is int and self.low <= value <= self.high:
            return b"%d" % value
        return b"%d" % self.checked(value)

    def decode_binary(self, data: bytes) -> int:
        """The integer in ``data``, which must be exactly the type's width."""
        try:
            result: int = self.unpack(data)[0]
        except struct.error:
            raise ValueError(
                f"invalid {self.name} value: expected {self.width} bytes, got {len(data)}"
            ) from None
        return result


_INT2: Final = _Integer("int2", -0x8000, 0x7FFF, "h")
_INT4: Final = _Integer("int4", -0x80000000, 0x7FFFFFFF, "i")
_INT8: Final = _Integer("int8", -0x8000000000000000, 0x7FFFFFFFFFFFFFFF, "q")
_OID: Final = _Integer("oid", 0, _UINT32_MAX, "I")
_XID: Final = _Integer("xid", 0, _UINT32_MAX, "I")
_CID: Final = _Integer("cid", 0, _UINT32_MAX, "I")
_XID8: Final = _Integer("xid8", 0, _UINT64_MAX, "Q")
_PG_LSN: Final = _Integer("pg_lsn", 0, _UINT64_MAX, "Q")


def decode_int_text(data: bytes) -> int:
    """An integer type's text form (optional sign, decimal digits)."""
    try:
        return int(data)
    except ValueError:
        raise ValueError(f"invalid integer value: {data!r}") from None


# -- bool ------------------------------------------------------------------------------------


def encode_bool_binary(value: object) -> bytes:
    """``True``/``False`` as one byte 1/0 (``boolsend``); only ``bool`` is accepted."""
    if value is True:
        return b"\x01"
    if value is False:
        return b"\x00"
    raise type_error("bool", value)


def decode_bool_binary(data: bytes) -> bool:
    """One byte; any byte but 0 is true, as the server's own ``boolrecv`` reads it.

    The row decoder's fixed-width path unpacks bool with ``struct``'s ``?``, which reads a byte
    the same way, so both paths agree.
    """
    if len(data) != 1:
        raise ValueError(f"invalid bool value: expected 1 byte, got {len(data)}")
    return data != b"\x00"


def encode_bool_text(value: object) -> bytes:
    """``t``/``f``, as ``boolout`` prints them."""
    if value is True:
        return b"t"
    if value is False:
        return b"f"
    raise type_error("bool", value)


def decode_bool_text(data: bytes) -> bool:
    """``t`` or ``f``, as ``boolout`` prints them."""
    if data == b"t":
        return True
    if data == b"f":
        return False
    raise ValueError(f"invalid bool value: expected b't' or b'f', got {data!r}")


# -- float4, float8 --------------------------------------------------------------------------


def to_float(value: object, name: str) -> float:
    """``value`` as a float for type ``name``: floats, ints, ``Decimal``, ``__float__``.

    Raises:
        TypeError: ``str``, bytes-like or other non-numbers.
        OverflowError: an int or finite ``Decimal`` too large for a double.
        ValueError: a value ``float()`` refuses (a signalling NaN ``Decimal``).
    """
    if isinstance(value, float):
        return float(value)
    if not isinstance(value, SupportsFloat | SupportsIndex):
        raise type_error("float", value)
    try:
        result = float(value)
    except OverflowError:
        raise OverflowError(f"value out of {name} range: {value!r}") from None
    except ValueError as exc:
        raise ValueError(f"invalid {name} value {value!r}: {exc}") from None
    # float(Decimal) quietly turns a finite value beyond the double range into infinity.
    if isinstance(value, Decimal) and value.is_finite() and math.isinf(result):
        raise OverflowError(f"value out of {name} range: {value}")
    return result


def _float4(value: object) -> float:
    """``value`` rounded to single precision, the value ``float4`` stores."""
    number = to_float(value, "float4")
    try:
        result: float = _FLOAT4.unpack(_FLOAT4.pack(number))[0]
    except OverflowError:
        raise OverflowError(f"value out of float4 range: {number!r}") from None
    return result


def encode_float4_binary(value: object) -> bytes:
    """IEEE 754 single precision, big-endian (``float4send``)."""
    number = value if type(value) is float else to_float(value, "float4")
    try:
        return _FLOAT4.pack(number)
    except OverflowError:
        raise OverflowError(f"value out of float4 range: {number!r}") from None


def decode_float4_binary(data: bytes) -> float:
    """A single-precision value, widened to a Python float (``1.1`` -> 1.100000023841858)."""
    try:
        result: float = _FLOAT4.unpack(data)[0]
    except struct.error:
        raise ValueError(f"invalid float4 value: expected 4 bytes, got {len(data)}") from None
    return result


def encode_float8_binary(value: object) -> bytes:
    """IEEE 754 double precision, big-endian (``float8send``)."""
    if type(value) is float:
        return _FLOAT8.pack(value)
    return _FLOAT8.pack(to_float(value, "float8"))


def decode_float8_binary(data: bytes) -> float:
    """A double-precision value."""
    try:
        result: float = _FLOAT8.unpack(data)[0]
    except struct.error:
        raise ValueError(f"invalid float8 value: expected 8 bytes, got {len(data)}") from None
    return result


def _float_text(number: float) -> bytes:
    # The spellings float8in/float4in accept and float8out prints for the special values.
    if number != number:
        return b"NaN"
    if number == _INFINITY:
        return b"Infinity"
    if number == -_INFINITY:
        return b"-Infinity"
    # repr() is the shortest string that reads back as the same double.
    return repr(number).encode()


def encode_float8_text(value: object) -> bytes:
    """The shortest decimal form that reads back as the same double, or NaN/[-]Infinity."""
    return _float_text(value if type(value) is float else to_float(value, "float8"))


def encode_float4_text(value: object) -> bytes:
    """The value rounded to single precision first, so that text and binary agree.

    Rounding here also keeps values that single precision flushes to zero (``1e-50``)
    from reaching ``float4in``, which rejects them as out of range, while binary sends 0.
    """
    return _float_text(_float4(value))


def decode_float8_text(data: bytes) -> float:
    """``float8out`` output: digits, exponent, ``NaN``, ``Infinity``, ``-Infinity``."""
    try:
        return float(data)
    except ValueError:
        raise ValueError(f"invalid float8 value: {data!r}") from None


def decode_float4_text(data: bytes) -> float:
    """``float4out`` output, widened through single precision exactly as binary is."""
    try:
        result: float = _FLOAT4.unpack(_FLOAT4.pack(float(data)))[0]
    except (ValueError, OverflowError):
        raise ValueError(f"invalid float4 value: {data!r}") from None
    return result


# -- "char" ----------------------------------------------------------------------------------


def _char_bytes(value: object) -> bytes:
    if not isinstance(value, bytes | bytearray | memoryview):
        raise type_error("bytes-like object", value)
    data = bytes(value)
    if len(data) > 1:
        raise ValueError(f'value too long for type "char": expected at most 1 byte, got {len(data)}')
    return data


def encode_char_binary(value: object) -> bytes:
    """One byte (``charsend``); the empty value is the zero byte, as ``charin('')`` stores it."""
    return _char_bytes(value) or b"\x00"


def decode_char_binary(data: bytes) -> bytes:
    """The one byte ``charsend`` sends, as it is (the empty "char" is ``b"\\x00"``).

    Kept byte for byte so that the row decoder can unpack "char" columns with ``struct``'s
    ``c`` inside runs of fixed-width columns (``Codec.fixed``); the text form of the empty
    "char" is ``''``, which the text codec decodes as ``b""``.
    """
    if len(data) != 1:
        raise ValueError(f'invalid "char" value: expected 1 byte, got {len(data)}')
    return data


def encode_char_text(value: object) -> bytes:
    """The byte itself, or ``\\ooo`` for bytes with the high bit set.

    Since PostgreSQL 15 ``charin`` reads a backslash and three octal digits as that byte
    (and ``charout`` prints non-ASCII bytes that way); a raw byte >= 0x80 would not be valid
    UTF-8 in a text parameter. The zero byte cannot travel in text; ``''`` means the same.
    """
    data = _char_bytes(value)
    if not data or data == b"\x00":
        return b""
    if data[0] >= 0x80:
        return b"\\%03o" % data[0]
    return data


def decode_char_text(data: bytes) -> bytes:
    """``charout`` output: empty, one byte, or ``\\ooo`` (PostgreSQL 15+) for bytes >= 0x80."""
    if len(data) <= 1:
        return data
    if len(data) == 4 and data[0] == 0x5C and all(0x30 <= byte <= 0x37 for byte in data[1:]):
        code = int(data[1:], 8)
        if code <= 0xFF:
            return bytes((code,))
    raise ValueError(f'invalid "char" value: {data!r}')


# -- void ------------------------------------------------------------------------------------


def encode_void(value: object) -> bytes:
    """The empty value, whatever ``value`` is (``void_recv`` and ``void_in`` read nothing).

    A void has no value to check, so any Python object is accepted and ignored, as asyncpg
    does; the parameter encoder sends ``None`` as NULL before this is reached.
    """
    return b""


def decode_void(data: bytes) -> None:
    """The empty value, as ``None``."""
    if data:
        raise ValueError(f"invalid void value: expected no bytes, got {len(data)}")


# -- tid -------------------------------------------------------------------------------------


def _tid_parts(value: object) -> tuple[int, int]:
    # The errors are asyncpg's (reference 9.1), with the value that failed added.
    if not isinstance(value, tuple | list):
        raise type_error("list or tuple", value)
    if len(value) != 2:
        raise ValueError(f"invalid number of elements in tid tuple, expecting 2, got {len(value)}")
    block = to_int(value[0], "tid block")
    offset = to_int(value[1], "tid offset")
    if not 0 <= block <= _UINT32_MAX:
        raise OverflowError(f"tuple id block value out of uint32 range: {_show(block)}")
    if not 0 <= offset <= 0xFFFF:
        raise OverflowError(f"tuple id offset value out of uint16 range: {_show(offset)}")
    return block, offset


def encode_tid_binary(value: object) -> bytes:
    """``(block, offset)`` as uint32 + uint16 (``tidsend``)."""
    return _TID.pack(*_tid_parts(value))


def decode_tid_binary(data: bytes) -> tuple[int, int]:
    """``(block, offset)`` from uint32 + uint16."""
    try:
        block, offset = _TID.unpack(data)
    except struct.error:
        raise ValueError(f"invalid tid value: expected 6 bytes, got {len(data)}") from None
    return block, offset


def encode_tid_text(value: object) -> bytes:
    """``(block,offset)``, as ``tidin`` reads it."""
    return b"(%d,%d)" % _tid_parts(value)


def decode_tid_text(data: bytes) -> tuple[int, int]:
    """``tidout`` output, ``(block,offset)``."""
    match = _TID_TEXT.fullmatch(data)
    if match is None:
        raise ValueError(f"invalid tid value: {data!r}")
    return int(match[1]), int(match[2])


# -- pg_lsn ----------------------------------------------------------------------------------


def encode_pg_lsn_text(value: object) -> bytes:
    """``X/Y``: the high and low 32 bits in upper-case hex, as ``pg_lsn_out`` prints them."""
    lsn = _PG_LSN.checked(value)
    return b"%X/%X" % (lsn >> 32, lsn & _UINT32_MAX)


def decode_pg_lsn_text(data: bytes) -> int:
    """``X/Y`` (hex halves of up to 8 digits each) as one 64-bit integer."""
    match = _PG_LSN_TEXT.fullmatch(data)
    if match is None:
        raise ValueError(f"invalid pg_lsn value: {data!r}")
    return int(match[1], 16) << 32 | int(match[2], 16)


# -- reg* ------------------------------------------------------------------------------------


def encode_reg_text(value: object) -> bytes:
    """A name (``str``, parsed by the server: ``'pg_type'``, ``'int4'``...) or an OID (``int``).

    The ``reg*`` input functions take an all-digit string as a numeric OID.

    Raises:
        TypeError: neither ``str`` nor ``int``.
        OverflowError: an int outside the OID range.
    """
    if isinstance(value, str):
        return value.encode()
    if isinstance(value, int) and not isinstance(value, bool):
        return b"%d" % _OID.checked(value)
    raise type_error("str or int", value)


def register(table: CodecTable) -> None:
    """Add this module's codecs to ``table`` (see :mod:`pgtypes._codec`)."""
    table.add(Codec(BOOL_OID, "bool", BINARY, encode_bool_binary, decode_bool_binary, fixed="?"))
    table.add(Codec(BOOL_OID, "bool", TEXT, encode_bool_text, decode_bool_text))
    integers = (
        (INT2_OID, _INT2, "h"),
        (INT4_OID, _INT4, "i"),
        (INT8_OID, _INT8, "q"),
        (OID_OID, _OID, "I"),
        (XID_OID, _XID, "I"),
        (CID_OID, _CID, "I"),
        (XID8_OID, _XID8, "Q"),
        (PG_LSN_OID, _PG_LSN, "Q"),
    )
    for oid, kind, fixed in integers:
        table.add(Codec(oid, kind.name, BINARY, kind.encode_binary, kind.decode_binary, fixed=fixed))
        if oid != PG_LSN_OID:
            table.add(Codec(oid, kind.name, TEXT, kind.encode_text, decode_int_text))
    table.add(Codec(PG_LSN_OID, "pg_lsn", TEXT, encode_pg_lsn_text, decode_pg_lsn_text))
    table.add(Codec(FLOAT4_OID, "float4", BINARY, encode_float4_binary, decode_float4_binary, fixed="f"))
    table.add(Codec(FLOAT4_OID, "float4", TEXT, encode_float4_text, decode_float4_text))
    table.add(Codec(FLOAT8_OID, "float8", BINARY, encode_float8_binary, decode_float8_binary, fixed="d"))
    table.add(Codec(FLOAT8_OID, "float8", TEXT, encode_float8_text, decode_float8_text))
    table.add(Codec(CHAR_OID, "char", BINARY, encode_char_binary, decode_char_binary, fixed="c"))
    table.add(Codec(CHAR_OID, "char", TEXT, encode_char_text, decode_char_text))
    table.add(Codec(VOID_OID, "void", BINARY, encode_void, decode_void))
    table.add(Codec(VOID_OID, "void", TEXT, encode_void, decode_void))
    table.add(Codec(TID_OID, "tid", BINARY, encode_tid_binary, decode_tid_binary))
    table.add(Codec(TID_OID, "tid", TEXT, encode_tid_text, decode_tid_text))
    for oid, name in REG_OIDS.items():
        table.add(Codec(oid, name, TEXT, encode_reg_text, bytes.decode))
