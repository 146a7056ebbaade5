"""The client role: a sans-IO PostgreSQL frontend connection.

``send(message)`` checks the message against the state machine and returns the bytes to
write; ``receive_data(data)`` takes what the socket gave (``b""`` at end of stream);
``next_event()`` returns the next backend message, an :class:`SSLResponse`,
:class:`ConnectionClosed`, or :data:`NEED_DATA`. With ``batch_events=True`` it also returns a
:class:`DataRowBatch` (consecutive DataRows) and a :class:`CompletionRun` (consecutive equal
BindComplete + CommandComplete pairs) in place of those messages: the hot path of a driver.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Final

from pgwire._backend import (
    BackendKeyData,
    BindComplete,
    CommandComplete,
    DataRow,
    NegotiateProtocolVersion,
    ParameterStatus,
    ReadyForQuery,
    TransactionStatus,
)
from pgwire._batch import BindExecuteBatch
from pgwire._client_errors import LocalProtocolError, RemoteProtocolError
from pgwire._copy import CopyBothResponse, CopyInResponse, CopyOutResponse
from pgwire._dispatch import decode_backend
from pgwire._events import (
    NEED_DATA,
    CompletionRun,
    ConnectionClosed,
    CopyDataRun,
    CycleReply,
    DataRowBatch,
    GSSENCResponse,
    NeedData,
    SSLResponse,
)
from pgwire._framing import DEFAULT_MAX_MESSAGE_SIZE
from pgwire._frontend import Bind, Close, Describe, Execute, Parse, Sync
from pgwire._message import BackendMessage, FrontendMessage
from pgwire._role import ProtocolRole
from pgwire._startup import PROTOCOL_3_0, StartupMessage
from pgwire._states import _READY, Phase, Violation

__all__ = ["ClientConnection", "ClientEvent"]

ClientEvent = (
    BackendMessage
    | DataRowBatch
    | CompletionRun
    | CopyDataRun
    | CycleReply
    | SSLResponse
    | GSSENCResponse
    | ConnectionClosed
)

_DATA_ROW = ord("D")
_COPY_DATA = ord("d")
_BIND_COMPLETE = ord("2")
_BIND_COMPLETE_MESSAGE: Final = BindComplete()
_BIND_COMPLETE_BYTES: Final = _BIND_COMPLETE_MESSAGE.encode()
_READY_FOR_QUERY = ord("Z")
#: What an extended-query request may hold before its Sync (see ProtocolState.extended_request).
_REQUEST_KINDS: Final = frozenset({Parse, Bind, Describe, Execute, Close, BindExecuteBatch})
_SYNC_BYTES: Final = Sync().encode()
_COPY_RESPONSES: Final = frozenset({CopyInResponse, CopyOutResponse, CopyBothResponse})
#: The messages whose content the connection keeps (one set lookup per other message).
_SESSION_MESSAGES: Final = frozenset(
    {ReadyForQuery, ParameterStatus, BackendKeyData, NegotiateProtocolVersion}
)
_READY_MESSAGES: Final = {
    message.encode(): message for message in (ReadyForQuery(status) for status in TransactionStatus)
}


#: CommandComplete payloads already decoded, and their tags (bounded: cleared when full).
_TAGS: Final[dict[bytes, str]] = {}
_MAX_TAGS: Final = 512


def _decode_tag(payload: bytes) -> str:
    """The tag of a CommandComplete payload, remembered in :data:`_TAGS`.

    Raises:
        RemoteProtocolError: a malformed payload, as message by message.
    """
    tag = CommandComplete.decode(payload).tag
    if len(_TAGS) >= _MAX_TAGS:
        _TAGS.clear()
    _TAGS[payload] = tag
    return tag


class ClientConnection(ProtocolRole[FrontendMessage | BindExecuteBatch, ClientEvent]):
    """One client-side protocol connection, with no I/O of its own.

    Args:
        max_message_size: the largest message accepted from the server, in bytes; a larger
            declared length is a :class:`RemoteProtocolError`.
        batch_events: hand over consecutive DataRows as one :class:`DataRowBatch`, runs of
            equal BindComplete + CommandComplete pairs as one :class:`CompletionRun`, the
            CopyData of a COPY OUT as one :class:`CopyDataRun` and a whole extended-query
            answer as one :class:`CycleReply`, instead of one message per event (the default).

    Attributes:
        parameters: the server's run-time parameters from ParameterStatus messages.
        backend_key: the BackendKeyData (process id and secret key for CancelRequest).
        transaction_status: from the latest ReadyForQuery, None before the first.
        protocol_version: the version asked for in StartupMessage, lowered by the server's
            NegotiateProtocolVersion.
        unsupported_options: protocol options (``_pq_.*``) the server did not recognise.
        batch_events: as given.
    """

    __slots__ = (
        "_copying_rows",
        "backend_key",
        "batch_events",
        "parameters",
        "protocol_version",
        "transaction_status",
        "unsupported_options",
    )

    def __init__(
        self, *, max_message_size: int = DEFAULT_MAX_MESSAGE_SIZE, batch_events: bool = False
    ) -> None:
        super().__init__(max_message_size=max_message_size)
        if not isinstance(batch_events, bool):
            raise TypeError(f"batch_events must be a bool, got {batch_events!r}")
        self.batch_events = batch_events
        self.parameters: dict[str, str] = {}
        self.backend_key: BackendKeyData | None = None
        self.transaction_status: TransactionStatus | None = None
        self.protocol_version = PROTOCOL_3_0
        self.unsupported_options: tuple[str, ...] = ()
        #: The last COPY the server began was a COPY TO STDOUT (CopyOutResponse): its CopyData
        #: are rows that may be joined; copy-both mode's (replication) stay one by one, also
        #: once the client ended its direction.
        self._copying_rows = False

    def send(self, message: FrontendMessage | BindExecuteBatch) -> bytes:
        """Check ``message`` against the protocol state and return its bytes.

        A :class:`BindExecuteBatch` is checked as its Bind and Execute messages would be.

        Raises:
            LocalProtocolError: the message is not allowed now, or one of its values cannot
                be encoded. The state is unchanged and nothing needs to be written.
        """
        if type(message) is BindExecuteBatch:
            return self._send_batch(message)
        assert not isinstance(message, BindExecuteBatch)
        data = message.encode()
        try:
            self._state.frontend(type(message))
        except Violation as exc:
            raise LocalProtocolError(str(exc)) from None
        if isinstance(message, StartupMessage):
            self.protocol_version = message.protocol_version
        return data

    def send_many(self, messages: Iterable[FrontendMessage | BindExecuteBatch]) -> bytes:
        """Like :meth:`send` for a pipelined batch: all messages are checked, or none is.

        One extended-query request (Parse, Bind, Describe, Execute, Close messages and
        :class:`BindExecuteBatch` runs, then Sync) is checked in one step by the state
        machine's shortcut (:meth:`~pgwire._states.ProtocolState.extended_request`), with no copy of the
        state; anything else, or in another state, message by message.

        Raises:
            LocalProtocolError: one of the messages is not allowed or cannot be encoded;
                the state is as it was before the call.
        """
        if type(messages) is tuple or type(messages) is list:
            last = len(messages) - 1
            if last >= 0 and type(messages[last]) is Sync:
                parts: list[bytes] = []
                for index in range(last):
                    message = messages[index]
                    if type(message) not in _REQUEST_KINDS:
                        break
                    parts.append(message.encode())
                else:
                    if self._state.extended_request():
                        parts.append(_SYNC_BYTES)
                        return b"".join(parts)
        return super().send_many(messages)

    def _send_batch(self, batch: BindExecuteBatch) -> bytes:
        data = batch.encode()
        if not len(batch):
            return data
        try:
            # The first Bind is refused with the state unchanged, or it opens (or joins) the
            # open extended-query batch; every later Bind and Execute is then allowed under
            # the same checks and changes nothing. One pair checks them all, with no copy.
            self._state.frontend(Bind)
            self._state.frontend(Execute)
        except Violation as exc:
            raise LocalProtocolError(str(exc)) from None
        return data

    def _save(self) -> object:
        # A StartupMessage accepted before a refused message set the version too.
        return (super()._save(), self.protocol_version)

    def _restore(self, saved: object) -> None:
        assert isinstance(saved, tuple)
        state, self.protocol_version = saved
        super()._restore(state)

    def _next_event(self) -> ClientEvent | NeedData:
        framer = self._framer
        state = self._state
        phase = state.phase
        if phase is _READY:
            type_byte = framer._peek_type()
            if type_byte is None and not framer.eof:
                return NEED_DATA
            if type_byte == _DATA_ROW and self.batch_events:
                batch = framer._next_data_rows()
                if batch is not None:
                    if not state.answers_leave_state():
                        try:
                            state.backend(DataRow)
                        except Violation as exc:
                            raise RemoteProtocolError(str(exc)) from None
                    return batch
            elif type_byte == _BIND_COMPLETE:
                if self.batch_events:
                    reply = self._cycle_reply()
                    if reply is not None:
                        return reply
                    run = framer._next_completion_run()
                    if run is not None:
                        return self._completion_run(*run)
                if framer._skip_exact(_BIND_COMPLETE_BYTES):
                    # BindComplete before rows: five known bytes, one shared message.
                    if not state.answers_leave_state():
                        try:
                            state.backend(BindComplete)
                        except Violation as exc:
                            raise RemoteProtocolError(str(exc)) from None
                    return _BIND_COMPLETE_MESSAGE
            elif type_byte == _COPY_DATA and self._copying_rows and self.batch_events and state.in_copy_out():
                run = framer._next_copy_data()
                if run is not None:
                    return CopyDataRun(*run)
            elif type_byte == _READY_FOR_QUERY:
                # Once per request: six bytes, one shared message per transaction status.
                ready = _READY_MESSAGES.get(framer._peek_bytes(6))
                if ready is not None:
                    try:
                        state.backend(ReadyForQuery)
                    except Violation as exc:
                        raise RemoteProtocolError(str(exc)) from None
                    framer._skip(6)
                    self.transaction_status = ready.status
                    return ready
        if phase is Phase.SSL_REQUESTED or phase is Phase.GSSENC_REQUESTED:
            return self._negotiation_answer(phase)
        frame = framer.next_message()
        if frame is None:
            if framer.check_end():
                state.close()
                return ConnectionClosed()
            return NEED_DATA
        message = decode_backend(*frame)
        kind = type(message)
        try:
            state.backend(kind)
        except Violation as exc:
            raise RemoteProtocolError(str(exc)) from None
        if kind in _SESSION_MESSAGES:
            self._note_session(message)
        elif kind in _COPY_RESPONSES:
            self._copying_rows = kind is CopyOutResponse
        return message

    def _note_session(self, message: BackendMessage) -> None:
        """Keep what a message says about the session (status, parameters, key, version)."""
        if isinstance(message, ReadyForQuery):
            self.transaction_status = message.status
        elif isinstance(message, ParameterStatus):
            self.parameters[message.name] = message.value
        elif isinstance(message, BackendKeyData):
            self.backend_key = message
        elif isinstance(message, NegotiateProtocolVersion):
            self.protocol_version = self._negotiated_version(message.newest_minor)
            self.unsupported_options = message.unrecognized_options

    def _cycle_reply(self) -> CycleReply | None:
        """The whole answer to the oldest request as one event, if it is all in the buffer."""
        framer = self._framer
        scanned = framer._scan_cycle_reply()
        if scanned is None:
            return None
        rows, payload, ready_bytes, end = scanned
        ready = _READY_MESSAGES.get(ready_bytes)
        if ready is None:
            return None  # message by message: the decoder says what is wrong
        if payload is None:
            tag = ""
        else:
            known = _TAGS.get(payload)  # a statement's tag repeats: decoded once
            tag = known if known is not None else _decode_tag(payload)
        if not self._state.extended_reply():
            return None  # message by message: the state machine says what is wrong
        framer._consume_to(end)
        self.transaction_status = ready.status
        return CycleReply(rows, tag, ready.status, payload is None)

    def _completion_run(self, payload: bytes, count: int) -> CompletionRun:
        """Check ``count`` BindComplete + CommandComplete pairs against the state machine."""
        tag = CommandComplete.decode(payload).tag
        state = self._state
        try:
            before = state.cycle_state
            state.backend(BindComplete)
            state.backend(CommandComplete)
            # In an extended-query cycle both answers leave the state as it was, so one pair
            # checks them all; should that ever differ, every pair is applied.
            if state.cycle_state is not before:
                for _ in range(count - 1):
                    state.backend(BindComplete)
                    state.backend(CommandComplete)
        except Violation as exc:
            raise RemoteProtocolError(str(exc)) from None
        return CompletionRun(tag, count)

    def _negotiated_version(self, offered: int) -> int:
        """The protocol version after NegotiateProtocolVersion offered ``offered``.

        The docs ("NegotiateProtocolVersion") call the field the newest minor version, but
        servers send the whole version code (196608 for 3.0); both forms are accepted. The
        offer must be 3.x and no newer than what was asked for.
        """
        asked_major, asked_minor = self.protocol_version >> 16, self.protocol_version & 0xFFFF
        major, minor = (offered >> 16, offered & 0xFFFF) if offered > 0xFFFF else (asked_major, offered)
        if major != asked_major or not 0 <= minor <= asked_minor:
            raise RemoteProtocolError(
                f"invalid NegotiateProtocolVersion: version {major}.{minor} offered "
                f"for a request of {asked_major}.{asked_minor}"
            )
        return (major << 16) | minor

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
