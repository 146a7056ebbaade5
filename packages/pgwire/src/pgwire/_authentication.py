"""The authentication exchange: the backend 'R' requests and the frontend 'p' responses.

Every backend authentication message has type byte 'R' and opens with an ``Int32`` subtype
("Message Formats", AuthenticationOk to AuthenticationSASLFinal); each subtype is its own
class with the subtype as the class constant ``subtype``, and :func:`decode_authentication`
dispatches on it through a table built from the classes.

The frontend answers all share type byte 'p' (PasswordMessage, SASLInitialResponse,
SASLResponse, GSSResponse); only the authentication stage tells them apart, so a server
decodes 'p' with the class the stage expects.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import ClassVar, Final, Self

from pgwire._buffer import PayloadReader, cstring, int32, text
from pgwire._checks import INT32_MAX, non_empty_names
from pgwire._client_errors import LocalProtocolError, RemoteProtocolError
from pgwire._message import BackendMessage, FrontendMessage

__all__ = [
    "AuthenticationCleartextPassword",
    "AuthenticationGSS",
    "AuthenticationGSSContinue",
    "AuthenticationKerberosV5",
    "AuthenticationMD5Password",
    "AuthenticationOk",
    "AuthenticationRequest",
    "AuthenticationSASL",
    "AuthenticationSASLContinue",
    "AuthenticationSASLFinal",
    "AuthenticationSCMCredential",
    "AuthenticationSSPI",
    "GSSResponse",
    "PasswordMessage",
    "SASLInitialResponse",
    "SASLResponse",
    "decode_authentication",
]

_NULL_LENGTH: Final = int32(-1)


class AuthenticationRequest(BackendMessage):
    """Base of the 'R' messages: the ``Int32`` ``subtype`` that opens the payload."""

    __slots__ = ()

    type_code: ClassVar[bytes] = b"R"
    subtype: ClassVar[int]

    @classmethod
    def _open(cls, payload: bytes) -> PayloadReader:
        reader = PayloadReader(payload, cls.__name__)
        subtype = reader.int32()
        if subtype != cls.subtype:
            raise reader.error(f"authentication subtype {subtype}, expected {cls.subtype}")
        return reader


class _SubtypeOnly(AuthenticationRequest):
    """An 'R' message whose payload is the subtype alone."""

    __slots__ = ()

    def encode_payload(self) -> bytes:
        """The ``Int32`` subtype."""
        return int32(self.subtype)

    @classmethod
    def decode(cls, payload: bytes) -> Self:
        """Parse the payload: the subtype and nothing else.

        Raises:
            RemoteProtocolError: another subtype, a truncated payload or trailing bytes.
        """
        cls._open(payload).finish()
        return cls()


@dataclass(frozen=True, slots=True)
class _WithData(AuthenticationRequest):
    """An 'R' message whose payload is the subtype then mechanism data up to the end."""

    data: bytes

    def encode_payload(self) -> bytes:
        """The ``Int32`` subtype then the ``Byten`` data."""
        return int32(self.subtype) + self.data

    @classmethod
    def decode(cls, payload: bytes) -> Self:
        """Parse the payload: the subtype, then data to the end.

        Raises:
            RemoteProtocolError: another subtype or a truncated payload.
        """
        reader = cls._open(payload)
        return cls(reader.rest())


@dataclass(frozen=True, slots=True)
class AuthenticationOk(_SubtypeOnly):
    """AuthenticationOk (B): authentication succeeded."""

    subtype: ClassVar[int] = 0


@dataclass(frozen=True, slots=True)
class AuthenticationKerberosV5(_SubtypeOnly):
    """AuthenticationKerberosV5 (B): Kerberos V5 is required (no longer supported by servers)."""

    subtype: ClassVar[int] = 2


@dataclass(frozen=True, slots=True)
class AuthenticationCleartextPassword(_SubtypeOnly):
    """AuthenticationCleartextPassword (B): send the password in clear text."""

    subtype: ClassVar[int] = 3


@dataclass(frozen=True, slots=True)
class AuthenticationMD5Password(AuthenticationRequest):
    """AuthenticationMD5Password (B): send the password MD5-hashed with this 4-byte salt."""

    subtype: ClassVar[int] = 5

    salt: bytes

    def encode_payload(self) -> bytes:
        """The ``Int32`` subtype then the ``Byte4`` salt.

        Raises:
            LocalProtocolError: the salt is not exactly 4 bytes.
        """
        if len(self.salt) != 4:
            raise LocalProtocolError(f"AuthenticationMD5Password.salt must be 4 bytes, got {self.salt!r}")
        return int32(5) + self.salt

    @classmethod
    def decode(cls, payload: bytes) -> Self:
        """Parse the payload: the subtype and a 4-byte salt.

        Raises:
            RemoteProtocolError: another subtype, a truncated payload or trailing bytes.
        """
        reader = cls._open(payload)
        salt = reader.byten(4)
        reader.finish()
        return cls(salt)


@dataclass(frozen=True, slots=True)
class AuthenticationSCMCredential(_SubtypeOnly):
    """AuthenticationSCMCredential (B): an SCM credentials message is required."""

    subtype: ClassVar[int] = 6


@dataclass(frozen=True, slots=True)
class AuthenticationGSS(_SubtypeOnly):
    """AuthenticationGSS (B): GSSAPI authentication is required."""

    subtype: ClassVar[int] = 7


@dataclass(frozen=True, slots=True)
class AuthenticationGSSContinue(_WithData):
    """AuthenticationGSSContinue (B): GSSAPI or SSPI authentication data."""

    subtype: ClassVar[int] = 8


@dataclass(frozen=True, slots=True)
class AuthenticationSSPI(_SubtypeOnly):
    """AuthenticationSSPI (B): SSPI authentication is required."""

    subtype: ClassVar[int] = 9


@dataclass(frozen=True, slots=True)
class AuthenticationSASL(AuthenticationRequest):
    """AuthenticationSASL (B): SASL is required; the mechanisms the server offers, preferred first."""

    subtype: ClassVar[int] = 10

    mechanisms: tuple[str, ...]

    def encode_payload(self) -> bytes:
        """The ``Int32`` subtype, one ``String`` per mechanism, then a zero byte.

        Raises:
            LocalProtocolError: a mechanism name is empty (it would end the list) or holds a
                NUL.
        """
        non_empty_names(self.mechanisms, "AuthenticationSASL mechanism name")
        names = [cstring(name, "AuthenticationSASL mechanism name") for name in self.mechanisms]
        return int32(10) + b"".join(names) + b"\x00"

    @classmethod
    def decode(cls, payload: bytes) -> Self:
        """Parse the payload: the subtype, then names until an empty one.

        Raises:
            RemoteProtocolError: another subtype, an unterminated list or trailing bytes.
        """
        reader = cls._open(payload)
        mechanisms: list[str] = []
        while name := reader.cstring():
            mechanisms.append(name)
        reader.finish()
        return cls(tuple(mechanisms))


@dataclass(frozen=True, slots=True)
class AuthenticationSASLContinue(_WithData):
    """AuthenticationSASLContinue (B): a SASL challenge."""

    subtype: ClassVar[int] = 11


@dataclass(frozen=True, slots=True)
class AuthenticationSASLFinal(_WithData):
    """AuthenticationSASLFinal (B): SASL completed, with the mechanism's additional data."""

    subtype: ClassVar[int] = 12


_BY_SUBTYPE: Final[Mapping[int, type[AuthenticationRequest]]] = {
    request.subtype: request
    for request in (
        AuthenticationOk,
        AuthenticationKerberosV5,
        AuthenticationCleartextPassword,
        AuthenticationMD5Password,
        AuthenticationSCMCredential,
        AuthenticationGSS,
        AuthenticationGSSContinue,
        AuthenticationSSPI,
        AuthenticationSASL,
        AuthenticationSASLContinue,
        AuthenticationSASLFinal,
    )
}


def decode_authentication(payload: bytes) -> BackendMessage:
    """Decode the payload of an 'R' message into the class its subtype names.

    Args:
        payload: the bytes after the length word, starting with the ``Int32`` subtype.

    Returns:
        An instance of one of the ``Authentication*`` classes.

    Raises:
        RemoteProtocolError: the payload is shorter than the subtype, the subtype is unknown,
            or the message is malformed.
    """
    if len(payload) < 4:
        raise RemoteProtocolError(
            f"malformed authentication message: {len(payload)} bytes, too short for the Int32 subtype"
        )
    subtype = int.from_bytes(payload[:4], "big", signed=True)
    request = _BY_SUBTYPE.get(subtype)
    if request is None:
        raise RemoteProtocolError(f"unknown authentication request subtype {subtype}")
    return request.decode(payload)


@dataclass(frozen=True, slots=True)
class PasswordMessage(FrontendMessage):
    """PasswordMessage (F): the password, clear text or MD5-hashed as the server asked.

    The password never appears in ``repr`` or in an error message.
    """

    type_code: ClassVar[bytes] = b"p"

    password: str = field(repr=False)

    def encode_payload(self) -> bytes:
        """The password as a ``String``.

        Raises:
            LocalProtocolError: the password holds a NUL or cannot be encoded.
        """
        data = text(self.password, "PasswordMessage.password")
        if b"\x00" in data:
            raise LocalProtocolError("PasswordMessage.password must not contain a NUL character")
        return data + b"\x00"

    @classmethod
    def decode(cls, payload: bytes) -> Self:
        """Parse the payload: one ``String``.

        Raises:
            RemoteProtocolError: the string is unterminated or followed by trailing bytes.
        """
        reader = PayloadReader(payload, "PasswordMessage")
        password = reader.cstring()
        reader.finish()
        return cls(password)


@dataclass(frozen=True, slots=True)
class SASLInitialResponse(FrontendMessage):
    """SASLInitialResponse (F): the chosen mechanism and its optional initial response.

    ``data`` is ``None`` when the mechanism sends no initial response (length -1 on the wire),
    which is not the same as an empty response.
    """

    type_code: ClassVar[bytes] = b"p"

    mechanism: str
    data: bytes | None = None

    def encode_payload(self) -> bytes:
        """``String`` mechanism, ``Int32`` length (-1 for none), ``Byten`` response.

        Raises:
            LocalProtocolError: the mechanism is empty or holds a NUL, or the response is too
                long for an ``Int32`` length.
        """
        if not self.mechanism:
            raise LocalProtocolError("SASLInitialResponse.mechanism must not be empty")
        mechanism = cstring(self.mechanism, "SASLInitialResponse.mechanism")
        data = self.data
        if data is None:
            return mechanism + _NULL_LENGTH
        if len(data) > INT32_MAX:
            raise LocalProtocolError(f"SASLInitialResponse.data is {len(data)} bytes, over the Int32 limit")
        return mechanism + int32(len(data)) + data

    @classmethod
    def decode(cls, payload: bytes) -> Self:
        """Parse the payload: mechanism name and length-prefixed response.

        Raises:
            RemoteProtocolError: a truncated payload, an empty mechanism, a bad length or
                trailing bytes.
        """
        reader = PayloadReader(payload, "SASLInitialResponse")
        mechanism = reader.cstring()
        if not mechanism:
            raise reader.error("empty SASL mechanism name")
        data = reader.nullable_bytes()
        reader.finish()
        return cls(mechanism, data)


@dataclass(frozen=True, slots=True)
class SASLResponse(FrontendMessage):
    """SASLResponse (F): a SASL response after the initial one (``Byten`` to the end)."""

    type_code: ClassVar[bytes] = b"p"

    data: bytes

    def encode_payload(self) -> bytes:
        """The mechanism data as is."""
        return self.data

    @classmethod
    def decode(cls, payload: bytes) -> Self:
        """The whole payload is the mechanism data; never fails."""
        return cls(payload)


@dataclass(frozen=True, slots=True)
class GSSResponse(FrontendMessage):
    """GSSResponse (F): GSSAPI or SSPI data (``Byten`` to the end)."""

    type_code: ClassVar[bytes] = b"p"

    data: bytes

    def encode_payload(self) -> bytes:
        """The GSSAPI/SSPI data as is."""
        return self.data

    @classmethod
    def decode(cls, payload: bytes) -> Self:
        """The whole payload is the GSSAPI/SSPI data; never fails."""
        return cls(payload)
