"""Range checks and small building blocks shared by the protocol message modules.

A message is validated when it is encoded, not when it is built, so that constructing the
messages of a hot path costs nothing extra. Every check raises
:class:`~pgwire.LocalProtocolError` naming the message, the field and the offending value,
before any byte is produced. The limits are those of PostgreSQL's "Message Data Types" and
"Message Formats" sections: ``Int16`` element counts, ``Int32`` integers, unsigned 32-bit
OIDs, format codes 0 (text) and 1 (binary), and cancel keys of at most 256 bytes.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Final, Self

from pgwire._buffer import PayloadReader
from pgwire._client_errors import LocalProtocolError, RemoteProtocolError

__all__ = [
    "FORMAT_CODES",
    "INT16_MAX",
    "INT16_MIN",
    "INT32_MAX",
    "INT32_MIN",
    "MAX_COUNT",
    "MAX_SECRET_KEY_LENGTH",
    "MIN_SECRET_KEY_LENGTH",
    "UINT32_MAX",
    "NoPayload",
    "check_count",
    "check_format",
    "check_formats",
    "check_int16",
    "check_int32",
    "check_secret_key",
    "check_uint32",
    "non_empty_names",
    "read_formats",
    "read_secret_key",
]

INT16_MIN: Final = -0x8000
INT16_MAX: Final = 0x7FFF
INT32_MIN: Final = -0x8000_0000
INT32_MAX: Final = 0x7FFF_FFFF
UINT32_MAX: Final = 0xFFFF_FFFF

#: Element counts are ``Int16`` on the wire, so at most 32767 elements.
MAX_COUNT: Final = INT16_MAX

#: "Message Formats", Bind: "Each must presently be zero (text) or one (binary)."
FORMAT_CODES: Final = frozenset({0, 1})

#: "Message Formats", BackendKeyData: "The maximum key length is 256 bytes." Protocol 3.0
#: always used 4-byte keys, which is also the shortest any protocol version sends.
MIN_SECRET_KEY_LENGTH: Final = 4
MAX_SECRET_KEY_LENGTH: Final = 256


def check_int16(value: int, what: str) -> None:
    """Raise ``LocalProtocolError`` unless ``value`` fits in a signed ``Int16``."""
    if not INT16_MIN <= value <= INT16_MAX:
        raise LocalProtocolError(f"{what} must fit in Int16 ({INT16_MIN}..{INT16_MAX}), got {value!r}")


def check_int32(value: int, what: str) -> None:
    """Raise ``LocalProtocolError`` unless ``value`` fits in a signed ``Int32``."""
    if not INT32_MIN <= value <= INT32_MAX:
        raise LocalProtocolError(f"{what} must fit in Int32 ({INT32_MIN}..{INT32_MAX}), got {value!r}")


def check_uint32(value: int, what: str) -> None:
    """Raise ``LocalProtocolError`` unless ``value`` is an unsigned 32-bit value such as an OID."""
    if not 0 <= value <= UINT32_MAX:
        raise LocalProtocolError(f"{what} must be an unsigned 32-bit value (0..{UINT32_MAX}), got {value!r}")


def check_count(count: int, what: str) -> None:
    """Raise ``LocalProtocolError`` when ``count`` elements do not fit an ``Int16`` count."""
    if count > MAX_COUNT:
        raise LocalProtocolError(f"{what} has {count} elements; the protocol allows at most {MAX_COUNT}")


def check_format(code: int, what: str) -> None:
    """Raise ``LocalProtocolError`` unless ``code`` is 0 (text) or 1 (binary)."""
    if code not in FORMAT_CODES:
        raise LocalProtocolError(f"{what} must be 0 (text) or 1 (binary), got {code!r}")


def check_formats(codes: tuple[int, ...], what: str) -> None:
    """Check an ``Int16`` count of format codes, each 0 or 1."""
    check_count(len(codes), what)
    if not FORMAT_CODES.issuperset(codes):
        bad = next(code for code in codes if code not in FORMAT_CODES)
        raise LocalProtocolError(f"{what} must hold only 0 (text) or 1 (binary), got {bad!r}")


def check_secret_key(key: bytes, what: str) -> None:
    """Check a cancel key's length; the key itself never appears in the error."""
    if not MIN_SECRET_KEY_LENGTH <= len(key) <= MAX_SECRET_KEY_LENGTH:
        raise LocalProtocolError(
            f"{what} must be {MIN_SECRET_KEY_LENGTH} to {MAX_SECRET_KEY_LENGTH} bytes long, "
            f"got {len(key)} bytes"
        )


def read_secret_key(reader: PayloadReader) -> bytes:
    """Read a cancel key that extends to the end of the payload and check its length."""
    key = reader.rest()
    if not MIN_SECRET_KEY_LENGTH <= len(key) <= MAX_SECRET_KEY_LENGTH:
        raise reader.error(
            f"secret key must be {MIN_SECRET_KEY_LENGTH} to {MAX_SECRET_KEY_LENGTH} bytes long, "
            f"got {len(key)}"
        )
    return key


def read_formats(reader: PayloadReader, what: str) -> tuple[int, ...]:
    """Read an ``Int16`` count then that many ``Int16`` format codes, each 0 or 1."""
    count = reader.count(what)
    codes = tuple(reader.int16() for _ in range(count))
    if not FORMAT_CODES.issuperset(codes):
        bad = next(code for code in codes if code not in FORMAT_CODES)
        raise reader.error(f"{what} {bad} is neither 0 (text) nor 1 (binary)")
    return codes


def non_empty_names(names: Iterable[str], what: str) -> None:
    """Names in a list ended by an empty string must not be empty themselves."""
    for name in names:
        if not name:
            raise LocalProtocolError(f"{what} must not be empty: an empty string ends the list on the wire")


_EMPTY_INSTANCES: dict[type, object] = {}


class NoPayload:
    """Mixin for messages that are only a type byte and a length: the payload is empty."""

    __slots__ = ()

    def encode_payload(self) -> bytes:
        """The empty payload."""
        return b""

    @classmethod
    def decode(cls, payload: bytes) -> Self:
        """The message, from an empty payload.

        Raises:
            RemoteProtocolError: the payload is not empty.
        """
        if payload:
            raise RemoteProtocolError(
                f"malformed {cls.__name__} message: expected an empty payload, got {len(payload)} bytes"
            )
        # Immutable and field-less, so one instance per class serves every decode (these
        # arrive once per execution in a pipelined batch).
        instance = _EMPTY_INSTANCES.get(cls)
        if instance is None:
            instance = _EMPTY_INSTANCES[cls] = cls()
        return instance  # type: ignore[return-value]  # an instance of cls, made just above
