"""Codecs for ``numeric`` (as :class:`decimal.Decimal`) and ``money`` (text only, as ``str``).

The binary form of ``numeric`` (``numeric_send``/``numeric_recv``) is a header of four
16-bit fields -- the number of base-10000 digits, the weight of the first digit (its power
of 10000), the sign (0x0000 positive, 0x4000 negative, 0xC000 NaN, and since PostgreSQL 14
0xD000 +Infinity and 0xF000 -Infinity) and the display scale (digits after the decimal
point) -- followed by the digits, each 0..9999, most significant first. Trailing and leading
zero digits are left out; zero has no digits at all.

The limits are those of the PostgreSQL docs, "Arbitrary Precision Numbers": up to 131072
digits before the decimal point and up to 16383 after it. The display scale is kept on
decode, so that ``numeric(3,2)`` zero reads back as ``Decimal('0.00')``.

Both directions work on digit strings (``str(Decimal)``, or ``Decimal.as_tuple()`` for
exponent notation, one way; ``"%04d"`` groups the other), so that the per-value work is a few
C-level string operations and one loop over the base-10000 groups, never one over decimal
digits.
"""

from __future__ import annotations

import struct
from decimal import Decimal, InvalidOperation
from typing import Final

from pgtypes._codec import BINARY, TEXT, Codec, CodecTable, type_error

__all__ = ["MONEY_OID", "NUMERIC_OID", "register", "to_decimal"]

NUMERIC_OID: Final = 1700
MONEY_OID: Final = 790

# Sign codes of the binary format.
_POSITIVE: Final = 0x0000
_NEGATIVE: Final = 0x4000
_NAN: Final = 0xC000
_PLUS_INFINITY: Final = 0xD000
_MINUS_INFINITY: Final = 0xF000

# Display scale and weight limits of the on-disk format (docs, "Arbitrary Precision Numbers").
_MAX_SCALE: Final = 0x3FFF
_MAX_WEIGHT: Final = 0x7FFF
_MAX_INTEGER_DIGITS: Final = 4 * (_MAX_WEIGHT + 1)
# The bit length of 10**131072: no int with more bits fits.
_MAX_INTEGER_BITS: Final = 435412

# money is an int8 count of the currency's smallest unit.
_MONEY_LIMIT: Final = 2**63

_HEADER: Final = struct.Struct("!HhHH")
_NAN_BINARY: Final = _HEADER.pack(0, 0, _NAN, 0)
_PLUS_INFINITY_BINARY: Final = _HEADER.pack(0, 0, _PLUS_INFINITY, 0)
_MINUS_INFINITY_BINARY: Final = _HEADER.pack(0, 0, _MINUS_INFINITY, 0)

# Precompiled layouts for values of fewer than _CACHED base-10000 digits (up to 124 decimal
# digits): the header and digits packed at once, the digits unpacked, the digits printed.
_CACHED: Final = 32
_PACKERS: Final = tuple(struct.Struct(f"!HhHH{count}H") for count in range(_CACHED))
_UNPACKERS: Final = tuple(struct.Struct(f"!{count}H") for count in range(_CACHED))
_GROUP_FORMATS: Final = tuple("%04d" * count for count in range(_CACHED))

_DECIMAL_NAN: Final = Decimal("NaN")
_DECIMAL_PLUS_INFINITY: Final = Decimal("Infinity")
_DECIMAL_MINUS_INFINITY: Final = Decimal("-Infinity")


def to_decimal(value: object) -> Decimal:
    """``value`` as a ``Decimal``: a ``Decimal``, an ``int``, a ``float`` or a numeric ``str``.

    A float becomes the shortest decimal that reads back as the same float (``0.1`` ->
    ``Decimal('0.1')``, not its 55-digit binary expansion); NaN and infinities carry over.
    A ``str`` may be anything ``Decimal()`` accepts (``'1.5e3'``, ``'NaN'``, ``'-Infinity'``).

    Raises:
        TypeError: any other type.
        ValueError: a ``str`` that is not a number.
        OverflowError: an ``int`` of more than 131072 digits.
    """
    if isinstance(value, Decimal):
        return value
    if isinstance(value, int):
        if value.bit_length() > _MAX_INTEGER_BITS:
            # Decimal(int) takes quadratic time: refuse what cannot fit before converting.
            raise _too_large(f"an integer of {value.bit_length()} bits")
        return Decimal(int(value))
    if isinstance(value, float):
        return Decimal(repr(value))
    if isinstance(value, str):
        try:
            return Decimal(value)
        except InvalidOperation:
            raise ValueError(f"invalid numeric value: {value!r}") from None
    raise type_error("Decimal, int, float or str", value)


def _split(number: Decimal) -> tuple[bool, str, str]:
    """(negative, integer digits, fraction digits) of a finite ``Decimal``, in positional
    notation with the ``Decimal``'s own scale, after checking that ``numeric`` can hold it.
    """
    text = str(number)
    if "E" not in text:
        # The common case: str() already is positional notation (exponent <= 0 and not
        # tiny), and costs far less than as_tuple().
        negative = text[0] == "-"
        integer, _, fraction = text.lstrip("-").partition(".")
    else:
        sign, digits, exponent = number.as_tuple()
        assert isinstance(exponent, int)  # only NaN and infinities have a str exponent
        if exponent < -_MAX_SCALE:
            raise ValueError("cannot encode Decimal value into numeric: exponent is too small")
        negative = bool(sign)
        if number.is_zero():
            integer, fraction = "0", "0" * -exponent if exponent < 0 else ""
        elif number.adjusted() >= _MAX_INTEGER_DIGITS:
            # Checked before the digits are spelled out: 1E+999999999 must not build a string.
            raise _too_large(number.adjusted() + 1)
        else:
            coefficient = ("%d" * len(digits)) % digits
            point = len(coefficient) + exponent
            if exponent >= 0:
                integer, fraction = coefficient + "0" * exponent, ""
            elif point > 0:
                integer, fraction = coefficient[:point], coefficient[point:]
            else:
                integer, fraction = "0", "0" * -point + coefficient
    if len(fraction) > _MAX_SCALE:
        raise ValueError("cannot encode Decimal value into numeric: exponent is too small")
    if len(integer) > _MAX_INTEGER_DIGITS:
        raise _too_large(len(integer))
    return negative, integer, fraction


def _too_large(digits: int | str) -> OverflowError:
    """The error for a value with more than 131072 digits before the decimal point."""
    limit = f"at most {_MAX_INTEGER_DIGITS} digits before the decimal point"
    return OverflowError(f"value out of numeric range: {limit}, got {digits}")


def encode_numeric_binary(value: object) -> bytes:
    """``value`` (see :func:`to_decimal`) in ``numeric_recv``'s format.

    NaN (signalling too) encodes as NaN; infinities need PostgreSQL 14 or later (older
    servers answer ``invalid sign in external "numeric" value``).

    Raises:
        TypeError: a type :func:`to_decimal` refuses.
        ValueError: a bad ``str``, or more than 16383 digits after the decimal point
            ("cannot encode Decimal value into numeric: exponent is too small").
        OverflowError: more than 131072 digits before the decimal point.
    """
    number = value if type(value) is Decimal else to_decimal(value)
    if not number.is_finite():
        if number.is_nan():
            return _NAN_BINARY
        return _MINUS_INFINITY_BINARY if number.is_signed() else _PLUS_INFINITY_BINARY
    negative, integer, fraction = _split(number)
    scale = len(fraction)
    # Pad both parts to whole base-10000 digits around the decimal point.
    digits = "0" * (-len(integer) % 4) + integer + fraction + "0" * (-scale % 4)
    significant = digits.lstrip("0")
    if not significant:
        return _HEADER.pack(0, 0, _POSITIVE, scale)
    # Leave out the zero base-10000 digits at both ends, as numeric_send does.
    start = (len(digits) - len(significant)) & ~3
    end = (len(digits.rstrip("0")) + 3) & ~3
    weight = (len(integer) + 3) // 4 - 1 - (start >> 2)
    count = (end - start) >> 2
    groups = [int(digits[i : i + 4]) for i in range(start, end, 4)]
    sign = _NEGATIVE if negative else _POSITIVE
    if count < _CACHED:
        return _PACKERS[count].pack(count, weight, sign, scale, *groups)
    return struct.pack(f"!HhHH{count}H", count, weight, sign, scale, *groups)


def decode_numeric_binary(data: bytes) -> Decimal:
    """A ``numeric_send`` value as a ``Decimal`` with the value's display scale.

    Zero with display scale N is ``Decimal('0E-N')``; NaN and the infinities are the
    ``Decimal`` ones.

    Raises:
        ValueError: a short or long value, an unknown sign code, a display scale above
            16383 or a digit above 9999.
    """
    try:
        count, weight, sign, scale = _HEADER.unpack_from(data)
    except struct.error:
        raise ValueError(f"invalid numeric value: expected at least 8 bytes, got {len(data)}") from None
    if len(data) != 8 + 2 * count:
        raise ValueError(f"invalid numeric value: {count} digits need {8 + 2 * count} bytes, got {len(data)}")
    if sign == _POSITIVE:
        prefix = ""
    elif sign == _NEGATIVE:
        prefix = "-"
    elif sign == _NAN:
        return _DECIMAL_NAN
    elif sign == _PLUS_INFINITY:
        return _DECIMAL_PLUS_INFINITY
    elif sign == _MINUS_INFINITY:
        return _DECIMAL_MINUS_INFINITY
    else:
        raise ValueError(f"invalid numeric value: unknown sign code 0x{sign:04X}")
    if scale > _MAX_SCALE:
        raise ValueError(f"invalid numeric value: display scale {scale} is above {_MAX_SCALE}")
    if not count:
        return Decimal(f"0E-{scale}")
    if count < _CACHED:
        digits = _UNPACKERS[count].unpack_from(data, 8)
        text = _GROUP_FORMATS[count] % digits
    else:
        digits = struct.unpack_from(f"!{count}H", data, 8)
        text = ("%04d" * count) % digits
    if max(digits) > 9999:
        raise ValueError(f"invalid numeric value: base-10000 digit {max(digits)} is above 9999")
    # Make the last decimal digit the one at position -scale: append zeros for an integer
    # part that the digits leave out, or drop digits past the display scale (numeric_recv
    # truncates those too; numeric_send only sends zeros there).
    shift = 4 * (weight - count + 1) + scale
    if shift > 0:
        text += "0" * shift
    elif shift < 0:
        text = text[:shift] or "0"
    return Decimal(f"{prefix}{text}E-{scale}")


def encode_numeric_text(value: object) -> bytes:
    """``value`` (see :func:`to_decimal`) in positional notation, as ``numeric_in`` reads it.

    No exponent is sent, only plain digits, and the ``Decimal``'s scale is kept
    (``Decimal('1.50')`` -> ``1.50``, ``Decimal('1E+2')`` -> ``100``).

    Raises:
        The errors of :func:`encode_numeric_binary`.
    """
    number = value if type(value) is Decimal else to_decimal(value)
    if not number.is_finite():
        if number.is_nan():
            return b"NaN"
        return b"-Infinity" if number.is_signed() else b"Infinity"
    negative, integer, fraction = _split(number)
    # Binary has no negative zero either; numeric_in would drop the sign anyway.
    sign = "-" if negative and not number.is_zero() else ""
    if fraction:
        return f"{sign}{integer}.{fraction}".encode()
    return f"{sign}{integer}".encode()


def decode_numeric_text(data: bytes) -> Decimal:
    """``numeric_out`` output (``123.4500``, ``NaN``, ``Infinity``, ``-Infinity``).

    Raises:
        ValueError: not a number.
    """
    try:
        return Decimal(data.decode())
    except (InvalidOperation, UnicodeDecodeError):
        raise ValueError(f"invalid numeric value: {data!r}") from None


def encode_money_text(value: object) -> bytes:
    """A ``str`` as it is (``cash_in`` parses it per ``lc_monetary``), an ``int`` or a finite
    ``Decimal`` as plain digits.

    The server rounds to the currency's fraction digits and checks the range; values that
    cannot fit whatever ``lc_monetary`` says (money is a 64-bit count of the smallest unit)
    are refused here, before their digits are spelled out.

    Raises:
        TypeError: any other type (floats included: money is exact).
        ValueError: a NaN or infinite ``Decimal``, or one with over 1000 fraction digits.
        OverflowError: an ``int`` or ``Decimal`` of 2**63 or more in magnitude.
    """
    if isinstance(value, str):
        return value.encode()
    if isinstance(value, int):
        if -_MONEY_LIMIT <= value < _MONEY_LIMIT:
            return b"%d" % value
        raise OverflowError(f"value out of money range: an integer of {value.bit_length()} bits")
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise ValueError(f"invalid money value: {value}")
        if value.adjusted() >= 19:
            raise OverflowError(f"value out of money range: {value}")
        exponent = value.as_tuple().exponent
        if isinstance(exponent, int) and exponent < -1000:
            raise ValueError(f"invalid money value: {value}: more than 1000 digits after the decimal point")
        return format(value, "f").encode()
    raise type_error("str, int or Decimal", value)


def register(table: CodecTable) -> None:
    """Add this module's codecs to ``table`` (see :mod:`pgtypes._codec`)."""
    table.add(Codec(NUMERIC_OID, "numeric", BINARY, encode_numeric_binary, decode_numeric_binary))
    table.add(Codec(NUMERIC_OID, "numeric", TEXT, encode_numeric_text, decode_numeric_text))
    # money's text form depends on lc_monetary (currency symbol, separators, fraction digits),
    # so it stays the server's string, as in asyncpg.
    table.add(Codec(MONEY_OID, "money", TEXT, encode_money_text, bytes.decode))
