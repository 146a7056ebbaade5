"""The server role: a sans-IO PostgreSQL backend connection, for fake servers and proxies.

It reads the untyped startup packets, decodes each ``p`` message according to the
authentication request the server sent last (PasswordMessage, SASLInitialResponse,
SASLResponse or GSSResponse share that type byte), and checks both directions against the
same state machine as the client role.
"""

from __future__ import annotations

from collections.abc import Callable

from pgwire._authentication import GSSResponse, PasswordMessage, SASLInitialResponse, SASLResponse
from pgwire._client_errors import LocalProtocolError, RemoteProtocolError
from pgwire._dispatch import decode_frontend
from pgwire._events import ConnectionClosed, GSSENCResponse, NeedData, SSLResponse
from pgwire._framing import DEFAULT_MAX_MESSAGE_SIZE
from pgwire._message import BackendMessage, FrontendMessage
from pgwire._role import ProtocolRole
from pgwire._startup import StartupMessage, decode_startup_packet
from pgwire._states import Phase, Violation

__all__ = ["ServerConnection", "ServerEvent"]

ServerEvent = FrontendMessage | ConnectionClosed

_PASSWORD_FAMILY = ord("p")
#: Which message a ``p`` is, by the authentication request it answers ("Message Formats").
_P_DECODERS: dict[Phase, Callable[[bytes], FrontendMessage]] = {
    Phase.PASSWORD_REQUESTED: PasswordMessage.decode,
    Phase.SASL_STARTED: SASLInitialResponse.decode,
    Phase.SASL_CONTINUE: SASLResponse.decode,
    Phase.GSS_CONTINUE: GSSResponse.decode,
}


class ServerConnection(ProtocolRole[BackendMessage | SSLResponse | GSSENCResponse, ServerEvent]):
    """One server-side protocol connection, with no I/O of its own.

    Args:
        max_message_size: the largest message accepted from the client, in bytes.

    Attributes:
        startup: the client's StartupMessage once received.
    """

    __slots__ = ("startup",)

    def __init__(self, *, max_message_size: int = DEFAULT_MAX_MESSAGE_SIZE) -> None:
        super().__init__(max_message_size=max_message_size)
        self.startup: StartupMessage | None = None

    def send(self, message: BackendMessage | SSLResponse | GSSENCResponse) -> bytes:
        """Check ``message`` against the protocol state and return its bytes.

        ``SSLResponse``/``GSSENCResponse`` give the one-byte answer to SSLRequest/GSSENCRequest.

        Raises:
            LocalProtocolError: the message is not allowed now or cannot be encoded; the
                state is unchanged.
        """
        if isinstance(message, SSLResponse | GSSENCResponse):
            return self._answer_negotiation(message)
        data = message.encode()
        try:
            self._state.backend(type(message))
        except Violation as exc:
            raise LocalProtocolError(str(exc)) from None
        return data

    def _answer_negotiation(self, answer: SSLResponse | GSSENCResponse) -> bytes:
        expected = Phase.SSL_REQUESTED if isinstance(answer, SSLResponse) else Phase.GSSENC_REQUESTED
        if self._state.phase is not expected:
            raise LocalProtocolError(f"{type(answer).__name__} is not allowed in phase {self.phase.value!r}")
        if answer.accepted and self._framer.buffered:
            # The client must wait for the answer before its handshake; plaintext already
            # buffered would be accepted as if it came through the encrypted channel.
            raise RemoteProtocolError("the client sent unencrypted data before the encryption handshake")
        self._state.ssl_answered()
        if isinstance(answer, SSLResponse):
            return b"S" if answer.accepted else b"N"
        return b"G" if answer.accepted else b"N"

    def _next_event(self) -> ServerEvent | NeedData:
        framer = self._framer
        state = self._state
        message: FrontendMessage
        if state.phase is Phase.STARTUP:
            payload = framer.next_untyped()
            if payload is None:
                return self._end_or_need_data()
            message = decode_startup_packet(payload)
        elif state.phase is Phase.SSL_REQUESTED or state.phase is Phase.GSSENC_REQUESTED:
            if framer.buffered:
                raise RemoteProtocolError("the client sent data before the answer to its encryption request")
            return self._end_or_need_data()
        else:
            frame = framer.next_message()
            if frame is None:
                return self._end_or_need_data()
            type_code, payload = frame
            decoder = _P_DECODERS.get(state.phase) if type_code == _PASSWORD_FAMILY else None
            message = decoder(payload) if decoder is not None else decode_frontend(type_code, payload)
        try:
            state.frontend(type(message))
        except Violation as exc:
            raise RemoteProtocolError(str(exc)) from None
        if isinstance(message, StartupMessage):
            self.startup = message
        return message
