"""Decoder tables keyed by message type byte, built from the message classes.

DESIGN section 4, rule 4: the type byte is a class constant and dispatch goes through a
table built from the classes. Two tables, one per direction, because the same byte means
different messages each way ('D' is Describe from the frontend and DataRow from the backend).
Two entries are special:

* backend 'R' is the whole authentication family, dispatched again on its subtype by
  :func:`~pgwire._authentication.decode_authentication`;
* frontend 'p' is PasswordMessage, SASLInitialResponse, SASLResponse or GSSResponse, and only
  the authentication stage tells which ("Message Formats": "the exact message type can be
  deduced from the context"). The table maps it to ``PasswordMessage.decode``; a server
  that expects a SASL or GSS answer decodes the payload with that class's own ``decode``.

The untyped startup packets are not here: :func:`~pgwire._startup.decode_startup_packet`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from types import MappingProxyType
from typing import Final, TypeVar

from pgwire._authentication import AuthenticationRequest, PasswordMessage, decode_authentication
from pgwire._backend import (
    BackendKeyData,
    BindComplete,
    CloseComplete,
    CommandComplete,
    DataRow,
    EmptyQueryResponse,
    ErrorResponse,
    FunctionCallResponse,
    NegotiateProtocolVersion,
    NoData,
    NoticeResponse,
    NotificationResponse,
    ParameterDescription,
    ParameterStatus,
    ParseComplete,
    PortalSuspended,
    ReadyForQuery,
    RowDescription,
)
from pgwire._client_errors import RemoteProtocolError
from pgwire._copy import CopyBothResponse, CopyData, CopyDone, CopyFail, CopyInResponse, CopyOutResponse
from pgwire._frontend import (
    Bind,
    Close,
    Describe,
    Execute,
    Flush,
    FunctionCall,
    Parse,
    Query,
    Sync,
    Terminate,
)
from pgwire._message import BackendMessage, FrontendMessage

__all__ = ["BACKEND_DECODERS", "FRONTEND_DECODERS", "decode_backend", "decode_frontend"]

_M = TypeVar("_M", BackendMessage, FrontendMessage)


def _table(
    classes: Iterable[type[_M]], special: Mapping[int, Callable[[bytes], _M]]
) -> Mapping[int, Callable[[bytes], _M]]:
    table: dict[int, Callable[[bytes], _M]] = dict(special)
    for cls in classes:
        code = cls.type_code[0]
        # Two classes with one type byte in one direction would make dispatch ambiguous;
        # fail at import rather than decode one as the other.
        if code in table:
            raise RuntimeError(f"type byte {cls.type_code!r} of {cls.__name__} is already taken")
        table[code] = cls.decode
    return MappingProxyType(table)


#: Backend type byte (as an int) -> decoder of the payload.
BACKEND_DECODERS: Final[Mapping[int, Callable[[bytes], BackendMessage]]] = _table(
    (
        BackendKeyData,
        BindComplete,
        CloseComplete,
        CommandComplete,
        CopyBothResponse,
        CopyData,
        CopyDone,
        CopyInResponse,
        CopyOutResponse,
        DataRow,
        EmptyQueryResponse,
        ErrorResponse,
        FunctionCallResponse,
        NegotiateProtocolVersion,
        NoData,
        NoticeResponse,
        NotificationResponse,
        ParameterDescription,
        ParameterStatus,
        ParseComplete,
        PortalSuspended,
        ReadyForQuery,
        RowDescription,
    ),
    {AuthenticationRequest.type_code[0]: decode_authentication},
)

#: Frontend type byte (as an int) -> decoder of the payload.
FRONTEND_DECODERS: Final[Mapping[int, Callable[[bytes], FrontendMessage]]] = _table(
    (
        Bind,
        Close,
        CopyData,
        CopyDone,
        CopyFail,
        Describe,
        Execute,
        Flush,
        FunctionCall,
        Parse,
        Query,
        Sync,
        Terminate,
    ),
    {PasswordMessage.type_code[0]: PasswordMessage.decode},
)


def _unknown(direction: str, type_code: int) -> RemoteProtocolError:
    shown = repr(chr(type_code)) if 0 <= type_code < 256 else "?"
    return RemoteProtocolError(f"unknown {direction} message type {shown} (0x{type_code:02x})")


def decode_backend(type_code: int, payload: bytes) -> BackendMessage:
    """Decode a message the backend sent.

    Args:
        type_code: the type byte, as an int.
        payload: the bytes after the length word.

    Returns:
        The message; any 'R' message as its ``Authentication*`` class.

    Raises:
        RemoteProtocolError: the type byte is not a backend message, or the payload is
            malformed.
    """
    decoder = BACKEND_DECODERS.get(type_code)
    if decoder is None:
        raise _unknown("backend", type_code)
    return decoder(payload)


def decode_frontend(type_code: int, payload: bytes) -> FrontendMessage:
    """Decode a message the frontend sent (after the startup packet).

    Args:
        type_code: the type byte, as an int.
        payload: the bytes after the length word.

    Returns:
        The message; a 'p' message as a PasswordMessage (see the module docstring).

    Raises:
        RemoteProtocolError: the type byte is not a frontend message, or the payload is
            malformed.
    """
    decoder = FRONTEND_DECODERS.get(type_code)
    if decoder is None:
        raise _unknown("frontend", type_code)
    return decoder(payload)
