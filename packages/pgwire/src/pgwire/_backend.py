"""Backend messages other than authentication and COPY, as in PostgreSQL's "Message Formats".

BackendKeyData, the extended-query acknowledgements (ParseComplete, BindComplete,
CloseComplete, NoData, PortalSuspended), EmptyQueryResponse, CommandComplete, DataRow,
ErrorResponse and NoticeResponse, FunctionCallResponse, NegotiateProtocolVersion,
NotificationResponse, ParameterDescription, ParameterStatus, ReadyForQuery and
RowDescription. DataRow, RowDescription and FieldDescription are defined in
:mod:`pgwire._rows` and re-exported here.
"""

from __future__ import annotations

import enum
import struct
from dataclasses import dataclass, field
from typing import ClassVar, Final, Self

from pgwire._buffer import ENCODING, ERRORS, PayloadReader, cstring, int32
from pgwire._checks import (
    INT32_MAX,
    NoPayload,
    check_int32,
    check_secret_key,
    check_uint32,
    read_secret_key,
)
from pgwire._client_errors import LocalProtocolError
from pgwire._message import BackendMessage

# The row-path messages live in their own module; they are re-exported here so that every
# backend message can be imported from one place.
from pgwire._rows import DataRow, FieldDescription, RowDescription

__all__ = [
    "BackendKeyData",
    "BindComplete",
    "CloseComplete",
    "CommandComplete",
    "DataRow",
    "EmptyQueryResponse",
    "ErrorResponse",
    "FieldDescription",
    "FunctionCallResponse",
    "NegotiateProtocolVersion",
    "NoData",
    "NoticeFields",
    "NoticeResponse",
    "NotificationResponse",
    "ParameterDescription",
    "ParameterStatus",
    "ParseComplete",
    "PortalSuspended",
    "ReadyForQuery",
    "RowDescription",
    "TransactionStatus",
]

_NULL: Final = int32(-1)
#: ParameterDescription's count is unsigned 16-bit, so a statement has at most 65535 parameters.
_MAX_PARAMETERS: Final = 0xFFFF


@dataclass(frozen=True, slots=True)
class BackendKeyData(BackendMessage):
    """BackendKeyData (B): the process ID and secret key a CancelRequest must quote.

    The key is 4 bytes in protocol 3.0 and up to 256 bytes in 3.2; the message accepts 4 to
    256 bytes and leaves the version check to the caller. The key is left out of ``repr``.
    """

    type_code: ClassVar[bytes] = b"K"

    process_id: int
    secret_key: bytes = field(repr=False)

    def encode_payload(self) -> bytes:
        """``Int32`` process ID then the ``Byten`` key.

        Raises:
            LocalProtocolError: the process ID does not fit ``Int32`` or the key is not 4 to
                256 bytes long.
        """
        check_int32(self.process_id, "BackendKeyData.process_id")
        check_secret_key(self.secret_key, "BackendKeyData.secret_key")
        return int32(self.process_id) + self.secret_key

    @classmethod
    def decode(cls, payload: bytes) -> Self:
        """Parse the payload.

        Raises:
            RemoteProtocolError: a truncated payload, or a key shorter than 4 or longer than
                256 bytes.
        """
        reader = PayloadReader(payload, "BackendKeyData")
        process_id = reader.int32()
        return cls(process_id, read_secret_key(reader))


@dataclass(frozen=True, slots=True)
class ParseComplete(NoPayload, BackendMessage):
    """ParseComplete (B): a Parse succeeded."""

    type_code: ClassVar[bytes] = b"1"


@dataclass(frozen=True, slots=True)
class BindComplete(NoPayload, BackendMessage):
    """BindComplete (B): a Bind succeeded."""

    type_code: ClassVar[bytes] = b"2"


@dataclass(frozen=True, slots=True)
class CloseComplete(NoPayload, BackendMessage):
    """CloseComplete (B): a Close succeeded."""

    type_code: ClassVar[bytes] = b"3"


@dataclass(frozen=True, slots=True)
class NoData(NoPayload, BackendMessage):
    """NoData (B): the described statement or portal returns no rows."""

    type_code: ClassVar[bytes] = b"n"


@dataclass(frozen=True, slots=True)
class PortalSuspended(NoPayload, BackendMessage):
    """PortalSuspended (B): Execute reached its row limit before the portal was done."""

    type_code: ClassVar[bytes] = b"s"


@dataclass(frozen=True, slots=True)
class EmptyQueryResponse(NoPayload, BackendMessage):
    """EmptyQueryResponse (B): the query string was empty; stands in for CommandComplete."""

    type_code: ClassVar[bytes] = b"I"


@dataclass(frozen=True, slots=True)
class CommandComplete(BackendMessage):
    """CommandComplete (B): a command finished; ``tag`` is e.g. "INSERT 0 1" or "SELECT 5"."""

    type_code: ClassVar[bytes] = b"C"

    tag: str

    def encode_payload(self) -> bytes:
        """The tag as a ``String``.

        Raises:
            LocalProtocolError: the tag holds a NUL.
        """
        return cstring(self.tag, "CommandComplete.tag")

    @classmethod
    def decode(cls, payload: bytes) -> Self:
        """Parse the payload: one ``String``.

        Raises:
            RemoteProtocolError: an unterminated string or trailing bytes.
        """
        # Sent once per executed statement: the usual well-formed tag skips the reader.
        if payload.find(b"\x00") == len(payload) - 1 >= 0:
            return cls(payload[:-1].decode(ENCODING, ERRORS))
        reader = PayloadReader(payload, "CommandComplete")
        tag = reader.cstring()
        reader.finish()
        return cls(tag)


@dataclass(frozen=True, slots=True)
class NoticeFields(BackendMessage):
    """The body shared by ErrorResponse and NoticeResponse: (code, value) fields in order.

    Codes are the one-character field types of "Error and Notice Message Fields": "S"
    severity (localized), "V" severity (never localized), "C" SQLSTATE, "M" message, "D"
    detail, "H" hint, "P" position, and so on. Unknown codes are kept: the docs say a
    frontend should ignore fields it does not recognise, and a proxy must pass them on.
    """

    fields: tuple[tuple[str, str], ...]

    def get(self, code: str) -> str | None:
        """The value of the first field with this one-character ``code``, or ``None``."""
        for key, value in self.fields:
            if key == code:
                return value
        return None

    @property
    def severity(self) -> str | None:
        """Field "S": ERROR, FATAL, PANIC, WARNING, NOTICE, DEBUG, INFO or LOG, possibly localized."""
        return self.get("S")

    @property
    def sqlstate(self) -> str | None:
        """Field "C": the SQLSTATE code."""
        return self.get("C")

    @property
    def message(self) -> str | None:
        """Field "M": the primary human-readable message."""
        return self.get("M")

    def as_dict(self) -> dict[str, str]:
        """The fields as a new ``{code: value}`` dict; the first wins if a code repeats."""
        result: dict[str, str] = {}
        for code, value in self.fields:
            result.setdefault(code, value)
        return result

    def encode_payload(self) -> bytes:
        """Per field a ``Byte1`` code and a ``String`` value, then a zero byte.

        Raises:
            LocalProtocolError: a code that is not one character in U+0001..U+00FF (it must be
                a single non-zero byte), or a value with a NUL.
        """
        what = type(self).__name__
        parts: list[bytes] = []
        for code, value in self.fields:
            if len(code) != 1 or not 0 < ord(code) < 256:
                raise LocalProtocolError(f"{what}.fields code must be one character, not NUL, got {code!r}")
            parts.append(code.encode("latin-1"))
            parts.append(cstring(value, f"{what}.fields[{code!r}]"))
        parts.append(b"\x00")
        return b"".join(parts)

    @classmethod
    def decode(cls, payload: bytes) -> Self:
        """Parse the payload.

        Raises:
            RemoteProtocolError: an unterminated value or list, or trailing bytes.
        """
        reader = PayloadReader(payload, cls.__name__)
        fields: list[tuple[str, str]] = []
        while code := reader.byte1():
            fields.append((chr(code), reader.cstring()))
        reader.finish()
        return cls(tuple(fields))


@dataclass(frozen=True, slots=True)
class ErrorResponse(NoticeFields):
    """ErrorResponse (B): the server reports an error."""

    type_code: ClassVar[bytes] = b"E"


@dataclass(frozen=True, slots=True)
class NoticeResponse(NoticeFields):
    """NoticeResponse (B): the server reports a notice or warning."""

    type_code: ClassVar[bytes] = b"N"


@dataclass(frozen=True, slots=True)
class FunctionCallResponse(BackendMessage):
    """FunctionCallResponse (B): the result of a FunctionCall, ``None`` for NULL."""

    type_code: ClassVar[bytes] = b"V"

    result: bytes | None

    def encode_payload(self) -> bytes:
        """``Int32`` length (-1 for NULL) then the bytes.

        Raises:
            LocalProtocolError: a result too long for an ``Int32`` length.
        """
        result = self.result
        if result is None:
            return _NULL
        if len(result) > INT32_MAX:
            raise LocalProtocolError(f"FunctionCallResponse.result is {len(result)} bytes, over Int32")
        return int32(len(result)) + result

    @classmethod
    def decode(cls, payload: bytes) -> Self:
        """Parse the payload.

        Raises:
            RemoteProtocolError: a truncated payload, a length below -1, or trailing bytes.
        """
        reader = PayloadReader(payload, "FunctionCallResponse")
        result = reader.nullable_bytes()
        reader.finish()
        return cls(result)


@dataclass(frozen=True, slots=True)
class NegotiateProtocolVersion(BackendMessage):
    """NegotiateProtocolVersion (B): the server's newest minor version, and the options it ignored.

    ``unrecognized_options`` are the ``_pq_.`` startup options the server does not know.
    """

    type_code: ClassVar[bytes] = b"v"

    newest_minor: int
    unrecognized_options: tuple[str, ...] = ()

    def encode_payload(self) -> bytes:
        """``Int32`` newest minor version, ``Int32`` count, one ``String`` per option.

        Raises:
            LocalProtocolError: a minor version that does not fit ``Int32`` or a NUL in an option.
        """
        check_int32(self.newest_minor, "NegotiateProtocolVersion.newest_minor")
        options = self.unrecognized_options
        parts = [int32(self.newest_minor), int32(len(options))]
        parts += [cstring(option, "NegotiateProtocolVersion.unrecognized_options") for option in options]
        return b"".join(parts)

    @classmethod
    def decode(cls, payload: bytes) -> Self:
        """Parse the payload.

        Raises:
            RemoteProtocolError: a truncated payload, a negative count or trailing bytes.
        """
        reader = PayloadReader(payload, "NegotiateProtocolVersion")
        newest_minor = reader.int32()
        count = reader.int32()
        # Each option takes at least its NUL, so a count above the remaining bytes is a lie;
        # checking first keeps a hostile count from driving a long loop.
        if not 0 <= count <= reader.remaining():
            raise reader.error(f"invalid option count {count}")
        options = tuple(reader.cstring() for _ in range(count))
        reader.finish()
        return cls(newest_minor, options)


@dataclass(frozen=True, slots=True)
class NotificationResponse(BackendMessage):
    """NotificationResponse (B): a NOTIFY on ``channel`` from the backend ``process_id``."""

    type_code: ClassVar[bytes] = b"A"

    process_id: int
    channel: str
    payload: str = ""

    def encode_payload(self) -> bytes:
        """``Int32`` process ID, ``String`` channel, ``String`` payload.

        Raises:
            LocalProtocolError: a process ID that does not fit ``Int32`` or a NUL in a string.
        """
        check_int32(self.process_id, "NotificationResponse.process_id")
        return b"".join(
            (
                int32(self.process_id),
                cstring(self.channel, "NotificationResponse.channel"),
                cstring(self.payload, "NotificationResponse.payload"),
            )
        )

    @classmethod
    def decode(cls, payload: bytes) -> Self:
        """Parse the payload.

        Raises:
            RemoteProtocolError: a truncated payload, an unterminated string or trailing bytes.
        """
        reader = PayloadReader(payload, "NotificationResponse")
        process_id = reader.int32()
        channel = reader.cstring()
        message = reader.cstring()
        reader.finish()
        return cls(process_id, channel, message)


@dataclass(frozen=True, slots=True)
class ParameterDescription(BackendMessage):
    """ParameterDescription (B): the type OID of each parameter of a described statement.

    The count is documented as an ``Int16``, but the server writes and reads it as unsigned
    (``pq_sendint16`` / ``pq_getmsgint``), and a statement may have up to 65535 parameters, so
    it is read and written as an unsigned 16-bit value.
    """

    type_code: ClassVar[bytes] = b"t"

    type_oids: tuple[int, ...]

    def encode_payload(self) -> bytes:
        """Unsigned 16-bit count then one ``Int32`` OID each.

        Raises:
            LocalProtocolError: more than 65535 OIDs, or an OID that is not unsigned 32-bit.
        """
        oids = self.type_oids
        if len(oids) > _MAX_PARAMETERS:
            raise LocalProtocolError(
                f"ParameterDescription.type_oids has {len(oids)} elements; "
                f"the protocol allows at most {_MAX_PARAMETERS}"
            )
        for oid in oids:
            check_uint32(oid, "ParameterDescription.type_oids element")
        return struct.pack(f"!H{len(oids)}I", len(oids), *oids)

    @classmethod
    def decode(cls, payload: bytes) -> Self:
        """Parse the payload.

        Raises:
            RemoteProtocolError: a truncated payload or trailing bytes.
        """
        reader = PayloadReader(payload, "ParameterDescription")
        count = reader.uint16()
        oids = tuple(reader.uint32() for _ in range(count))
        reader.finish()
        return cls(oids)


@dataclass(frozen=True, slots=True)
class ParameterStatus(BackendMessage):
    """ParameterStatus (B): the current value of a reported run-time parameter."""

    type_code: ClassVar[bytes] = b"S"

    name: str
    value: str

    def encode_payload(self) -> bytes:
        """``String`` name then ``String`` value.

        Raises:
            LocalProtocolError: a NUL in a string.
        """
        return cstring(self.name, "ParameterStatus.name") + cstring(self.value, "ParameterStatus.value")

    @classmethod
    def decode(cls, payload: bytes) -> Self:
        """Parse the payload.

        Raises:
            RemoteProtocolError: an unterminated string or trailing bytes.
        """
        reader = PayloadReader(payload, "ParameterStatus")
        name = reader.cstring()
        value = reader.cstring()
        reader.finish()
        return cls(name, value)


class TransactionStatus(enum.StrEnum):
    """The transaction status indicator of ReadyForQuery."""

    IDLE = "I"
    """Not in a transaction block."""
    IN_TRANSACTION = "T"
    """In a transaction block."""
    IN_FAILED_TRANSACTION = "E"
    """In a failed transaction block: queries are rejected until the block ends."""


_STATUS_BY_BYTE: Final = {ord(status.value): status for status in TransactionStatus}
_BYTE_BY_STATUS: Final[dict[str, bytes]] = {
    status: status.value.encode("ascii") for status in TransactionStatus
}


@dataclass(frozen=True, slots=True)
class ReadyForQuery(BackendMessage):
    """ReadyForQuery (B): the backend is ready for a new query cycle."""

    type_code: ClassVar[bytes] = b"Z"

    status: TransactionStatus

    def encode_payload(self) -> bytes:
        """The ``Byte1`` status.

        Raises:
            LocalProtocolError: the status is not one of ``TransactionStatus``.
        """
        code = _BYTE_BY_STATUS.get(self.status)
        if code is None:
            raise LocalProtocolError(f"ReadyForQuery.status must be a TransactionStatus, got {self.status!r}")
        return code

    @classmethod
    def decode(cls, payload: bytes) -> Self:
        """Parse the payload.

        Raises:
            RemoteProtocolError: a status byte other than 'I', 'T' or 'E', or a payload that is
                not exactly one byte.
        """
        reader = PayloadReader(payload, "ReadyForQuery")
        code = reader.byte1()
        reader.finish()
        status = _STATUS_BY_BYTE.get(code)
        if status is None:
            raise reader.error(f"unknown transaction status {chr(code)!r} (0x{code:02x})")
        return cls(status)
