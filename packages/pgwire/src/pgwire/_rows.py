"""The messages of the row path: RowDescription (with FieldDescription) and DataRow.

Rows are the hot path (DESIGN section 2): the connection hands DataRow payloads in batches to
the row decoder of ``pgtypes``, so ``DataRow`` as a message object serves protocol tooling,
fake servers and tests. Its ``decode`` is still written for speed: precompiled structs and
slicing, no reader object.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import ClassVar, Final, Self

from pgwire._buffer import PayloadReader, cstring, int16, int32
from pgwire._checks import FORMAT_CODES, INT32_MAX, check_count, check_format
from pgwire._client_errors import LocalProtocolError, RemoteProtocolError
from pgwire._message import BackendMessage

__all__ = ["DataRow", "FieldDescription", "RowDescription"]

_INT16_AT: Final = struct.Struct("!h").unpack_from
_INT32_AT: Final = struct.Struct("!i").unpack_from
_NULL: Final = int32(-1)

# RowDescription, after each field name: table OID (Int32, unsigned as an OID), column
# number (Int16), type OID, type size (Int16), type modifier (Int32), format code (Int16).
_FIELD: Final = struct.Struct("!IhIhih")


def _malformed(message: str, problem: str, pos: int) -> RemoteProtocolError:
    # Same wording as PayloadReader.error, for the decoder that skips the reader for speed.
    return RemoteProtocolError(f"malformed {message} message: {problem} (at byte {pos})")


@dataclass(frozen=True, slots=True)
class FieldDescription:
    """One column of a RowDescription.

    Attributes:
        name: the column name (or the alias of an expression).
        table_oid: the OID of the table the column comes from, else 0.
        column_number: the attribute number within that table, else 0.
        type_oid: the OID of the column's data type.
        type_size: ``pg_type.typlen``; negative for variable-width types.
        type_modifier: ``pg_attribute.atttypmod``; its meaning depends on the type.
        format: 0 text, 1 binary (always 0 when describing a statement).
    """

    name: str
    table_oid: int
    column_number: int
    type_oid: int
    type_size: int
    type_modifier: int
    format: int = 0


@dataclass(frozen=True, slots=True)
class RowDescription(BackendMessage):
    """RowDescription (B): the columns of the rows that follow."""

    type_code: ClassVar[bytes] = b"T"

    fields: tuple[FieldDescription, ...]

    def encode_payload(self) -> bytes:
        """``Int16`` count, then per field its ``String`` name and 18 bytes of numbers.

        Raises:
            LocalProtocolError: more than 32767 fields, a NUL in a name, a number outside its
                wire type, or a format code other than 0 or 1.
        """
        fields = self.fields
        check_count(len(fields), "RowDescription.fields")
        parts = [int16(len(fields))]
        for index, item in enumerate(fields):
            what = f"RowDescription.fields[{index}]"
            check_format(item.format, f"{what}.format")
            parts.append(cstring(item.name, f"{what}.name"))
            try:
                parts.append(
                    _FIELD.pack(
                        item.table_oid,
                        item.column_number,
                        item.type_oid,
                        item.type_size,
                        item.type_modifier,
                        item.format,
                    )
                )
            except struct.error:
                raise LocalProtocolError(
                    f"{what} has a number outside its wire type (table_oid and type_oid UInt32, "
                    f"column_number and type_size Int16, type_modifier Int32): {item!r}"
                ) from None
        return b"".join(parts)

    @classmethod
    def decode(cls, payload: bytes) -> Self:
        """Parse the payload.

        Raises:
            RemoteProtocolError: a truncated payload, a negative count, a format code other
                than 0 or 1, or trailing bytes.
        """
        reader = PayloadReader(payload, "RowDescription")
        count = reader.count("field")
        fields: list[FieldDescription] = []
        for _ in range(count):
            name = reader.cstring()
            table_oid, column_number, type_oid, type_size, type_modifier, format_code = _FIELD.unpack(
                reader.byten(_FIELD.size)
            )
            if format_code not in FORMAT_CODES:
                raise reader.error(f"format code {format_code} is neither 0 (text) nor 1 (binary)")
            fields.append(
                FieldDescription(
                    name, table_oid, column_number, type_oid, type_size, type_modifier, format_code
                )
            )
        reader.finish()
        return cls(tuple(fields))


@dataclass(frozen=True, slots=True)
class DataRow(BackendMessage):
    """DataRow (B): one row's column values in their wire format, ``None`` for NULL."""

    type_code: ClassVar[bytes] = b"D"

    values: tuple[bytes | None, ...]

    def encode_payload(self) -> bytes:
        """``Int16`` count, then per value an ``Int32`` length (-1 for NULL) and the bytes.

        Raises:
            LocalProtocolError: more than 32767 values, or a value too long for ``Int32``.
        """
        values = self.values
        check_count(len(values), "DataRow.values")
        parts = [int16(len(values))]
        for value in values:
            if value is None:
                parts.append(_NULL)
            else:
                if len(value) > INT32_MAX:
                    raise LocalProtocolError(
                        f"DataRow.values holds a value of {len(value)} bytes, over Int32"
                    )
                parts.append(int32(len(value)))
                parts.append(value)
        return b"".join(parts)

    @classmethod
    def decode(cls, payload: bytes) -> Self:
        """Parse the payload.

        Raises:
            RemoteProtocolError: a truncated payload, a negative count, a length below -1, or
                trailing bytes.
        """
        return cls(parse_data_row(payload, 0, len(payload)))


def parse_data_row(buffer: bytes, start: int, end: int) -> tuple[bytes | None, ...]:
    """The values of the DataRow payload at ``buffer[start:end]``: the one DataRow parser.

    :meth:`DataRow.decode` and :meth:`DataRowBatch.rows` read rows with it, and pgtypes' row
    decoder reports a malformed row through it, so a fault is described in the same words
    (naming the column, counted from 1) whichever way the row is read.

    Raises:
        RemoteProtocolError: no column count, a negative count, a column without its length,
            a length below -1 or past the row's end, or bytes after the last column.
    """
    if end - start < 2:
        raise RemoteProtocolError("malformed DataRow message: no column count")
    (count,) = _INT16_AT(buffer, start)
    if count < 0:
        raise RemoteProtocolError(f"malformed DataRow message: negative column count {count}")
    values: list[bytes | None] = []
    append = values.append
    pos = start + 2
    for column in range(1, count + 1):
        if pos + 4 > end:
            raise RemoteProtocolError(f"malformed DataRow message: column {column} has no length")
        (length,) = _INT32_AT(buffer, pos)
        pos += 4
        if length == -1:
            append(None)
            continue
        stop = pos + length
        if length < 0 or stop > end:
            raise RemoteProtocolError(
                f"malformed DataRow message: column {column} has length {length}, "
                f"but {end - pos} bytes are left in the row"
            )
        append(buffer[pos:stop])
        pos = stop
    if pos != end:
        raise RemoteProtocolError(f"malformed DataRow message: {end - pos} bytes after the last column")
    return tuple(values)
