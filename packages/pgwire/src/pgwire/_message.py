"""The base of every protocol message.

Each message of PostgreSQL's "Message Formats" section is a frozen, slotted dataclass that
derives from :class:`FrontendMessage` (sent by the client), :class:`BackendMessage` (sent by
the server) or both (``CopyData``, ``CopyDone``). Its one-byte type code is the class constant
``type_code``; the untyped startup-phase packets (``StartupMessage``, ``SSLRequest``,
``GSSENCRequest``, ``CancelRequest``) have ``type_code = b""``.

``encode()`` gives the whole message (type byte, length, payload); the class method
``decode(payload)`` takes the payload alone (what follows the length word) and raises
:class:`~pgwire.RemoteProtocolError` when it is malformed.

The bases are plain classes, not ``abc.ABC``: every received message is dispatched on its
class, and ``isinstance`` against an ABC goes through ``ABCMeta.__instancecheck__`` (a
failed check cost four times a plain one). A subclass that forgets ``encode_payload`` or
``decode`` raises ``NotImplementedError`` when they are called.
"""

from __future__ import annotations

from typing import ClassVar, Self

from pgwire._buffer import int32

__all__ = ["BackendMessage", "FrontendMessage", "Message"]


class Message:
    """A protocol message: encodes to bytes and decodes from its payload."""

    __slots__ = ()

    type_code: ClassVar[bytes]

    def encode(self) -> bytes:
        """The message as it goes on the wire: type byte (if any), ``Int32`` length, payload."""
        payload = self.encode_payload()
        return self.type_code + int32(len(payload) + 4) + payload

    def encode_payload(self) -> bytes:
        """The payload alone: the bytes after the length word (each message class defines it)."""
        raise NotImplementedError(f"{type(self).__name__} does not define encode_payload()")

    @classmethod
    def decode(cls, payload: bytes) -> Self:
        """Parse a payload (the bytes after the length word) into a message.

        Raises:
            RemoteProtocolError: the payload is truncated, has trailing bytes or holds an
                invalid value.
        """
        raise NotImplementedError(f"{cls.__name__} does not define decode()")


class FrontendMessage(Message):
    """A message sent by the frontend (client) to the backend (server)."""

    __slots__ = ()


class BackendMessage(Message):
    """A message sent by the backend (server) to the frontend (client)."""

    __slots__ = ()
