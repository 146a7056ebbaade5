"""Reading and writing the primitive fields of a message payload.

PostgreSQL's "Message Data Types" section defines them: big-endian ``Int8/16/32``, ``Byte1``,
``Byten`` and NUL-terminated ``String``. Strings are UTF-8; bytes that are not valid UTF-8 are
kept with ``surrogateescape`` so that decoding never fails and re-encoding gives the same bytes.
"""

from __future__ import annotations

import struct
from typing import Final

from pgwire._client_errors import LocalProtocolError, RemoteProtocolError

__all__ = ["PayloadReader", "cstring", "int16", "int32", "text", "uint32"]

ENCODING: Final = "utf-8"
ERRORS: Final = "surrogateescape"

_INT16: Final = struct.Struct("!h")
_INT32: Final = struct.Struct("!i")
_UINT16: Final = struct.Struct("!H")
_UINT32: Final = struct.Struct("!I")

int16 = _INT16.pack
int32 = _INT32.pack
uint32 = _UINT32.pack


def text(value: str, what: str) -> bytes:
    """Encode ``value`` for the wire; ``what`` names the field in the error."""
    try:
        return value.encode(ENCODING, ERRORS)
    except UnicodeEncodeError as exc:
        raise LocalProtocolError(
            f"{what} cannot be encoded as UTF-8: {exc.reason} at index {exc.start}"
        ) from None


def cstring(value: str, what: str) -> bytes:
    """Encode ``value`` as a NUL-terminated ``String``; a NUL inside it is an error."""
    data = text(value, what)
    if b"\x00" in data:
        raise LocalProtocolError(f"{what} must not contain a NUL character, got {value!r}")
    return data + b"\x00"


class PayloadReader:
    """A cursor over one message payload that raises ``RemoteProtocolError`` on bad data.

    Every read checks the remaining length, so a truncated or lying payload gives a clear
    error naming the message and the offset instead of an ``IndexError`` or ``struct.error``.
    """

    __slots__ = ("_data", "_end", "_pos", "message")

    def __init__(self, data: bytes, message: str) -> None:
        self._data = data
        self._pos = 0
        self._end = len(data)
        self.message = message

    def error(self, problem: str) -> RemoteProtocolError:
        """An error about this payload, naming the message and the current offset."""
        return RemoteProtocolError(f"malformed {self.message} message: {problem} (at byte {self._pos})")

    def _take(self, n: int) -> int:
        pos = self._pos
        if n < 0 or pos + n > self._end:
            raise self.error(f"needs {n} more bytes but only {self._end - pos} remain")
        self._pos = pos + n
        return pos

    def remaining(self) -> int:
        return self._end - self._pos

    def byte1(self) -> int:
        pos = self._take(1)
        return self._data[pos]

    def int16(self) -> int:
        return int(_INT16.unpack_from(self._data, self._take(2))[0])

    def uint16(self) -> int:
        return int(_UINT16.unpack_from(self._data, self._take(2))[0])

    def int32(self) -> int:
        return int(_INT32.unpack_from(self._data, self._take(4))[0])

    def uint32(self) -> int:
        return int(_UINT32.unpack_from(self._data, self._take(4))[0])

    def count(self, what: str) -> int:
        """An ``Int16`` element count, which must not be negative."""
        n = self.int16()
        if n < 0:
            raise self.error(f"negative {what} count {n}")
        return n

    def byten(self, n: int) -> bytes:
        """``Byten``: exactly ``n`` bytes."""
        pos = self._take(n)
        return self._data[pos : pos + n]

    def rest(self) -> bytes:
        """Everything up to the end of the payload."""
        pos = self._pos
        self._pos = self._end
        return self._data[pos:]

    def nullable_bytes(self) -> bytes | None:
        """An ``Int32`` length then that many bytes; length -1 means NULL."""
        n = self.int32()
        if n == -1:
            return None
        if n < 0:
            raise self.error(f"invalid value length {n}")
        return self.byten(n)

    def cstring(self) -> str:
        end = self._data.find(b"\x00", self._pos, self._end)
        if end < 0:
            raise self.error("string is not NUL-terminated")
        value = self._data[self._pos : end].decode(ENCODING, ERRORS)
        self._pos = end + 1
        return value

    def finish(self) -> None:
        """Check that the whole payload was used; trailing bytes mean a malformed message."""
        if self._pos != self._end:
            raise self.error(f"{self._end - self._pos} unexpected trailing bytes")
