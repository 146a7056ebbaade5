"""The client role: a sans-IO PostgreSQL frontend connection.

``send(message)`` checks the message against the state machine and returns the bytes to
write; ``receive_data(data)`` takes what the socket gave (``b""`` at end of stream);
``next_event()`` returns the next backend message, a :class:`DataRowBatch`, an
:class:`SSLResponse`, :class:`ConnectionClosed`, or :data:`NEED_DATA`.
"""

from __future__ import annotations

from collections.abc import Iterable

from pgwire._backend import (
    BackendKeyData,
    DataRow,
    NegotiateProtocolVersion,
    ParameterStatus,
    ReadyForQuery,
    TransactionStatus,
)
from pgwire._client_errors import LocalProtocolError, ProtocolError, RemoteProtocolError
from pgwire._dispatch import decode_backend
from pgwire._events import NEED_DATA, ConnectionClosed, DataRowBatch, GSSENCResponse, NeedData, SSLResponse
from pgwire._framing import DEFAULT_MAX_MESSAGE_SIZE, Framer
from pgwire._message import BackendMessage, FrontendMessage
from pgwire._startup import PROTOCOL_3_0, StartupMessage
from pgwire._states import CycleKind, CycleState, Phase, ProtocolState, Violation

__all__ = ["ClientConnection", "ClientEvent"]

ClientEvent = BackendMessage | DataRowBatch | SSLResponse | GSSENCResponse | ConnectionClosed

_DATA_ROW = ord("D")


class ClientConnection:
    """One client-side protocol connection, with no I/O of its own.

    Args:
        max_message_size: the largest message accepted from the server, in bytes; a larger
            declared length is a :class:`RemoteProtocolError`.

    Attributes:
        parameters: the server's run-time parameters from ParameterStatus messages.
        backend_key: the BackendKeyData (process id and secret key for CancelRequest).
        transaction_status: from the latest ReadyForQuery, None before the first.
        protocol_version: the version asked for in StartupMessage, lowered by the server's
            NegotiateProtocolVersion.
        unsupported_options: protocol options (``_pq_.*``) the server did not recognise.
    """

    __slots__ = (
        "_error",
        "_framer",
        "_state",
        "backend_key",
        "parameters",
        "protocol_version",
        "transaction_status",
        "unsupported_options",
    )

    def __init__(self, *, max_message_size: int = DEFAULT_MAX_MESSAGE_SIZE) -> None:
        self._framer = Framer(max_message_size=max_message_size)
        self._state = ProtocolState()
        self._error: ProtocolError | None = None
        self.parameters: dict[str, str] = {}
        self.backend_key: BackendKeyData | None = None
        self.transaction_status: TransactionStatus | None = None
        self.protocol_version = PROTOCOL_3_0
        self.unsupported_options: tuple[str, ...] = ()

    def __repr__(self) -> str:
        return f"<ClientConnection phase={self.phase.value!r} pending={self.pending_requests}>"

    @property
    def phase(self) -> Phase:
        """Where the connection is in its life."""
        return self._state.phase

    @property
    def pending_requests(self) -> int:
        """Requests (queries, batches, function calls) sent and not finished by ReadyForQuery."""
        return self._state.pending_cycles

    @property
    def request_state(self) -> CycleState | None:
        """The state of the oldest unfinished request, None when there is none."""
        return self._state.cycle_state

    @property
    def request_kind(self) -> CycleKind | None:
        """The kind of the oldest unfinished request, None when there is none."""
        return self._state.cycle_kind

    @property
    def is_ready(self) -> bool:
        """Whether the connection is in normal operation with nothing in flight."""
        return self._state.phase is Phase.READY and not self._state.pending_cycles

    @property
    def max_message_size(self) -> int:
        return self._framer.max_message_size

    def send(self, message: FrontendMessage) -> bytes:
        """Check ``message`` against the protocol state and return its bytes.

        Raises:
            LocalProtocolError: the message is not allowed now, or one of its values cannot
                be encoded. The state is unchanged and nothing needs to be written.
        """
        data = message.encode()
        try:
            self._state.frontend(type(message))
        except Violation as exc:
            raise LocalProtocolError(str(exc)) from None
        if isinstance(message, StartupMessage):
            self.protocol_version = message.protocol_version
        return data

    def send_many(self, messages: Iterable[FrontendMessage]) -> bytes:
        """Like :meth:`send` for a pipelined batch: all messages are checked, or none is.

        Raises:
            LocalProtocolError: one of the messages is not allowed or cannot be encoded;
                the state is as it was before the call.
        """
        saved = self._state.copy()
        saved_version = self.protocol_version
        parts: list[bytes] = []
        try:
            for message in messages:
                parts.append(self.send(message))
        except LocalProtocolError:
            # A StartupMessage accepted before the refused message set the version too.
            self._state = saved
            self.protocol_version = saved_version
            raise
        return b"".join(parts)

    def receive_data(self, data: bytes | bytearray | memoryview) -> None:
        """Feed bytes received from the server; ``b""`` means the server closed the stream."""
        self._framer.receive_data(data)

    def next_event(self) -> ClientEvent | NeedData:
        """The next event, or :data:`NEED_DATA` when more bytes are needed.

        Raises:
            RemoteProtocolError: the server broke the protocol. The connection cannot be
                used any more; every later call raises the same error.
        """
        if self._error is not None:
            raise self._error
        try:
            return self._next_event()
        except RemoteProtocolError as exc:
            self._error = exc
            self._state.close()
            raise

    def _next_event(self) -> ClientEvent | NeedData:
        framer = self._framer
        state = self._state
        phase = state.phase
        if phase is Phase.READY and framer.peek_type() == _DATA_ROW:
            batch = framer.next_data_rows()
            if batch is not None:
                try:
                    state.backend(DataRow)
                except Violation as exc:
                    raise RemoteProtocolError(str(exc)) from None
                return batch
        if phase is Phase.SSL_REQUESTED or phase is Phase.GSSENC_REQUESTED:
            return self._negotiation_answer(phase)
        frame = framer.next_message()
        if frame is None:
            if framer.check_end():
                state.close()
                return ConnectionClosed()
            return NEED_DATA
        message = decode_backend(*frame)
        try:
            state.backend(type(message))
        except Violation as exc:
            raise RemoteProtocolError(str(exc)) from None
        if isinstance(message, ParameterStatus):
            self.parameters[message.name] = message.value
        elif isinstance(message, ReadyForQuery):
            self.transaction_status = message.status
        elif isinstance(message, BackendKeyData):
            self.backend_key = message
        elif isinstance(message, NegotiateProtocolVersion):
            asked = self.protocol_version & 0xFFFF
            # "Protocol versions": the server offers the newest minor version it supports,
            # which is older than the one asked for; anything else is not a negotiation.
            if not 0 <= message.newest_minor <= asked:
                raise RemoteProtocolError(
                    f"invalid NegotiateProtocolVersion: minor version {message.newest_minor} "
                    f"is not between 0 and the requested {asked}"
                )
            self.protocol_version = (self.protocol_version & 0xFFFF0000) | message.newest_minor
            self.unsupported_options = message.unrecognized_options
        return message

    def _negotiation_answer(self, phase: Phase) -> SSLResponse | GSSENCResponse | ConnectionClosed | NeedData:
        # "SSL Session Encryption" / "GSSAPI Session Encryption": one byte, not a message.
        framer = self._framer
        answer = framer.next_byte()
        if answer is None:
            if framer.check_end():
                self._state.close()
                return ConnectionClosed()
            return NEED_DATA
        what = "SSLRequest" if phase is Phase.SSL_REQUESTED else "GSSENCRequest"
        yes = ord("S") if phase is Phase.SSL_REQUESTED else ord("G")
        if answer == ord("E"):
            # Servers older than 7.3 answer with an ErrorResponse. It arrives before any
            # authentication, so its text is not shown (CVE-2024-10977).
            raise RemoteProtocolError(f"the server answered {what} with an error: it does not support it")
        if answer not in (yes, ord("N")):
            raise RemoteProtocolError(
                f"invalid answer {bytes([answer])!r} to {what}: expected {chr(yes)!r} or 'N'"
            )
        if answer == yes and framer.buffered:
            # Bytes after the answer and before the handshake were not encrypted: a
            # man-in-the-middle could have injected them (CVE-2021-23222).
            raise RemoteProtocolError(f"unencrypted data received after the server accepted {what}")
        self._state.ssl_answered()
        accepted = answer == yes
        return SSLResponse(accepted) if phase is Phase.SSL_REQUESTED else GSSENCResponse(accepted)

    def close(self) -> None:
        """Give up the connection: every later send raises LocalProtocolError."""
        self._state.close()
