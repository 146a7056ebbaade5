"""The COPY sub-protocol messages ("Message Formats"; "Message Flow", COPY Operations).

CopyData and CopyDone travel both ways, so their classes are frontend and backend messages
at once. CopyFail is the frontend's way to abort a COPY FROM STDIN. The server opens a copy
with CopyInResponse (COPY FROM STDIN), CopyOutResponse (COPY TO STDOUT) or CopyBothResponse
(streaming replication), each giving the overall format and one format code per column.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import ClassVar, Self

from pgwire._buffer import PayloadReader, cstring
from pgwire._checks import NoPayload, check_format, check_formats, read_formats
from pgwire._client_errors import LocalProtocolError
from pgwire._message import BackendMessage, FrontendMessage

__all__ = [
    "CopyBothResponse",
    "CopyData",
    "CopyDone",
    "CopyFail",
    "CopyInResponse",
    "CopyOutResponse",
    "CopyResponse",
]


@dataclass(frozen=True, slots=True)
class CopyData(FrontendMessage, BackendMessage):
    """CopyData (F & B): a chunk of the COPY data stream; chunks need not align with rows."""

    type_code: ClassVar[bytes] = b"d"

    data: bytes

    def encode_payload(self) -> bytes:
        """The data as is."""
        return self.data

    @classmethod
    def decode(cls, payload: bytes) -> Self:
        """The whole payload is the data; never fails."""
        return cls(payload)


@dataclass(frozen=True, slots=True)
class CopyDone(NoPayload, FrontendMessage, BackendMessage):
    """CopyDone (F & B): the end of the COPY data stream."""

    type_code: ClassVar[bytes] = b"c"


@dataclass(frozen=True, slots=True)
class CopyFail(FrontendMessage):
    """CopyFail (F): abort COPY FROM STDIN; the server fails the command with ``message``."""

    type_code: ClassVar[bytes] = b"f"

    message: str

    def encode_payload(self) -> bytes:
        """The message as a ``String``.

        Raises:
            LocalProtocolError: the message holds a NUL.
        """
        return cstring(self.message, "CopyFail.message")

    @classmethod
    def decode(cls, payload: bytes) -> Self:
        """Parse the payload: one ``String``.

        Raises:
            RemoteProtocolError: an unterminated string or trailing bytes.
        """
        reader = PayloadReader(payload, "CopyFail")
        message = reader.cstring()
        reader.finish()
        return cls(message)


@dataclass(frozen=True, slots=True)
class CopyResponse(BackendMessage):
    """The body shared by CopyInResponse, CopyOutResponse and CopyBothResponse.

    ``format`` is the overall COPY format, 0 textual or 1 binary; ``column_formats`` has one
    code per column, all 0 when the overall format is textual ("Message Formats").
    """

    format: int
    column_formats: tuple[int, ...] = ()

    def encode_payload(self) -> bytes:
        """``Int8`` overall format, ``Int16`` column count, one ``Int16`` code per column.

        Raises:
            LocalProtocolError: a format other than 0 or 1, more than 32767 columns, or a
                binary column in a textual copy.
        """
        what = type(self).__name__
        check_format(self.format, f"{what}.format")
        columns = self.column_formats
        check_formats(columns, f"{what}.column_formats")
        if self.format == 0 and any(columns):
            raise LocalProtocolError(
                f"{what}.column_formats must be all 0 in a textual copy, got {columns!r}"
            )
        return struct.pack(f"!bh{len(columns)}h", self.format, len(columns), *columns)

    @classmethod
    def decode(cls, payload: bytes) -> Self:
        """Parse the payload.

        Raises:
            RemoteProtocolError: a truncated payload, a format code other than 0 or 1, a
                negative count, a binary column in a textual copy, or trailing bytes.
        """
        reader = PayloadReader(payload, cls.__name__)
        overall = reader.byte1()
        if overall > 1:
            raise reader.error(f"overall format {overall} is neither 0 (text) nor 1 (binary)")
        columns = read_formats(reader, "column format code")
        reader.finish()
        if overall == 0 and any(columns):
            raise reader.error("binary column format in a textual copy")
        return cls(overall, columns)


@dataclass(frozen=True, slots=True)
class CopyInResponse(CopyResponse):
    """CopyInResponse (B): the server is ready for COPY FROM STDIN data."""

    type_code: ClassVar[bytes] = b"G"


@dataclass(frozen=True, slots=True)
class CopyOutResponse(CopyResponse):
    """CopyOutResponse (B): COPY TO STDOUT data follows."""

    type_code: ClassVar[bytes] = b"H"


@dataclass(frozen=True, slots=True)
class CopyBothResponse(CopyResponse):
    """CopyBothResponse (B): copy in both directions begins (streaming replication)."""

    type_code: ClassVar[bytes] = b"W"
