"""The untyped startup-phase packets: StartupMessage, SSLRequest, GSSENCRequest, CancelRequest.

These are the only messages without a type byte ("Message Formats": "for historical reasons,
the very first message sent by the client (the startup message) has no initial message-type
byte"), so their ``type_code`` is ``b""`` and a server tells them apart by the ``Int32`` code
that opens the payload: a protocol version for StartupMessage, or one of the magic request
codes. :func:`decode_startup_packet` does that dispatch.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import ClassVar, Final, Self

from pgwire._buffer import PayloadReader, cstring, int32
from pgwire._checks import check_int32, check_secret_key, non_empty_names, read_secret_key
from pgwire._client_errors import LocalProtocolError, RemoteProtocolError
from pgwire._message import FrontendMessage

__all__ = [
    "CANCEL_REQUEST_CODE",
    "GSSENC_REQUEST_CODE",
    "PROTOCOL_3_0",
    "PROTOCOL_3_2",
    "SSL_REQUEST_CODE",
    "CancelRequest",
    "GSSENCRequest",
    "SSLRequest",
    "StartupMessage",
    "decode_startup_packet",
]

#: Protocol version 3.0: major 3 in the high 16 bits, minor 0 in the low 16 bits.
PROTOCOL_3_0: Final = 196608
#: Protocol version 3.2 (PostgreSQL 18): variable-length cancel keys.
PROTOCOL_3_2: Final = 196610

#: "Message Formats", SSLRequest: 1234 in the high 16 bits and 5679 in the low 16 bits.
SSL_REQUEST_CODE: Final = 80877103
#: "Message Formats", GSSENCRequest: 1234 and 5680.
GSSENC_REQUEST_CODE: Final = 80877104
#: "Message Formats", CancelRequest: 1234 and 5678.
CANCEL_REQUEST_CODE: Final = 80877102

_MAJOR_3: Final = 3
_MINOR_MASK: Final = 0xFFFF


@dataclass(frozen=True, slots=True)
class StartupMessage(FrontendMessage):
    """StartupMessage (F): the protocol version and the session parameters.

    ``parameters`` are (name, value) pairs in the order sent: ``user`` (required by the
    server), ``database``, ``options``, ``replication``, any run-time parameter, and the
    ``_pq_.``-prefixed protocol options of "Protocol versions".
    """

    type_code: ClassVar[bytes] = b""

    parameters: tuple[tuple[str, str], ...]
    protocol_version: int = PROTOCOL_3_0

    def get(self, name: str) -> str | None:
        """The value of parameter ``name``, or ``None`` when it was not sent."""
        for key, value in self.parameters:
            if key == name:
                return value
        return None

    def encode_payload(self) -> bytes:
        """``Int32`` protocol version, (``String`` name, ``String`` value) pairs, a zero byte.

        Raises:
            LocalProtocolError: the version is not 3.x, a name is empty (an empty name would
                end the list), or a string holds a NUL.
        """
        version = self.protocol_version
        if not PROTOCOL_3_0 <= version <= PROTOCOL_3_0 | _MINOR_MASK:
            raise LocalProtocolError(
                f"StartupMessage.protocol_version must be a 3.x version "
                f"({PROTOCOL_3_0} plus the minor version), got {version!r}"
            )
        parts = [int32(version)]
        non_empty_names((name for name, _ in self.parameters), "StartupMessage parameter name")
        for name, value in self.parameters:
            parts.append(cstring(name, "StartupMessage parameter name"))
            parts.append(cstring(value, f"StartupMessage parameter {name!r}"))
        parts.append(b"\x00")
        return b"".join(parts)

    @classmethod
    def decode(cls, payload: bytes) -> Self:
        """Parse a startup packet whose code is a 3.x protocol version.

        Raises:
            RemoteProtocolError: another major version, an unterminated list or string,
                trailing bytes.
        """
        reader = PayloadReader(payload, "StartupMessage")
        version = reader.uint32()
        if version >> 16 != _MAJOR_3:
            raise reader.error(f"protocol version {version >> 16}.{version & _MINOR_MASK} is not 3.x")
        parameters: list[tuple[str, str]] = []
        while True:
            name = reader.cstring()
            if not name:
                break
            parameters.append((name, reader.cstring()))
        reader.finish()
        return cls(tuple(parameters), version)


class _Request(FrontendMessage):
    """A startup-phase request identified by a magic code instead of a protocol version."""

    __slots__ = ()

    type_code: ClassVar[bytes] = b""
    request_code: ClassVar[int]

    @classmethod
    def _open(cls, payload: bytes) -> PayloadReader:
        reader = PayloadReader(payload, cls.__name__)
        code = reader.uint32()
        if code != cls.request_code:
            raise reader.error(f"request code {code}, expected {cls.request_code}")
        return reader


@dataclass(frozen=True, slots=True)
class SSLRequest(_Request):
    """SSLRequest (F): ask the server to switch to TLS before the startup message."""

    request_code: ClassVar[int] = SSL_REQUEST_CODE

    def encode_payload(self) -> bytes:
        """The ``Int32`` request code alone."""
        return int32(SSL_REQUEST_CODE)

    @classmethod
    def decode(cls, payload: bytes) -> Self:
        """Parse the payload: the request code and nothing else.

        Raises:
            RemoteProtocolError: another code or trailing bytes.
        """
        cls._open(payload).finish()
        return cls()


@dataclass(frozen=True, slots=True)
class GSSENCRequest(_Request):
    """GSSENCRequest (F): ask the server to switch to GSSAPI encryption."""

    request_code: ClassVar[int] = GSSENC_REQUEST_CODE

    def encode_payload(self) -> bytes:
        """The ``Int32`` request code alone."""
        return int32(GSSENC_REQUEST_CODE)

    @classmethod
    def decode(cls, payload: bytes) -> Self:
        """Parse the payload: the request code and nothing else.

        Raises:
            RemoteProtocolError: another code or trailing bytes.
        """
        cls._open(payload).finish()
        return cls()


@dataclass(frozen=True, slots=True)
class CancelRequest(_Request):
    """CancelRequest (F): sent on a new connection to cancel the query of another backend.

    ``process_id`` and ``secret_key`` come from that backend's BackendKeyData. The key is 4
    bytes in protocol 3.0 and up to 256 bytes in 3.2; the message does not know the version,
    so it accepts 4 to 256 bytes and the caller checks the length the version implies. The
    key is a credential and is left out of ``repr``.
    """

    request_code: ClassVar[int] = CANCEL_REQUEST_CODE

    process_id: int
    secret_key: bytes = field(repr=False)

    def encode_payload(self) -> bytes:
        """``Int32`` request code, ``Int32`` process ID, ``Byten`` secret key.

        Raises:
            LocalProtocolError: the process ID does not fit ``Int32``, or the key is not 4 to
                256 bytes long.
        """
        check_int32(self.process_id, "CancelRequest.process_id")
        check_secret_key(self.secret_key, "CancelRequest.secret_key")
        return int32(CANCEL_REQUEST_CODE) + int32(self.process_id) + self.secret_key

    @classmethod
    def decode(cls, payload: bytes) -> Self:
        """Parse the payload: code, process ID, and the key up to the end.

        Raises:
            RemoteProtocolError: another code, a truncated payload, a key shorter than 4 or
                longer than 256 bytes.
        """
        reader = cls._open(payload)
        process_id = reader.int32()
        return cls(process_id, read_secret_key(reader))


_REQUEST_DECODERS: Final[Mapping[int, Callable[[bytes], SSLRequest | GSSENCRequest | CancelRequest]]] = {
    request.request_code: request.decode for request in (SSLRequest, GSSENCRequest, CancelRequest)
}


def decode_startup_packet(payload: bytes) -> StartupMessage | SSLRequest | GSSENCRequest | CancelRequest:
    """Decode the first packet a client sends, which has no type byte.

    Args:
        payload: the bytes after the ``Int32`` length word.

    Returns:
        The request its leading ``Int32`` code names: SSLRequest, GSSENCRequest or
        CancelRequest for their magic codes, StartupMessage for any protocol version 3.x.

    Raises:
        RemoteProtocolError: the payload is shorter than the code, the code is unknown (an
            unsupported protocol version), or the packet is malformed.
    """
    if len(payload) < 4:
        raise RemoteProtocolError(
            f"malformed startup packet: {len(payload)} bytes, too short for the Int32 request code"
        )
    code = int.from_bytes(payload[:4], "big")
    decoder = _REQUEST_DECODERS.get(code)
    if decoder is not None:
        return decoder(payload)
    if code >> 16 == _MAJOR_3:
        return StartupMessage.decode(payload)
    raise RemoteProtocolError(
        f"unsupported startup packet code {code} (protocol version {code >> 16}.{code & _MINOR_MASK})"
    )
