"""The protocol state machine, as tables of (state, message class) -> next state.

Both roles use the same tables: a frontend message moves the state when the client sends it
and when the server receives it; a backend message moves it when the server sends it and when
the client receives it. A message that is not in the table for the current state is a
protocol violation: the role that caused it decides whether that is a ``LocalProtocolError``
(our own misuse, nothing sent) or a ``RemoteProtocolError`` (the peer's).

There are two levels (protocol docs, "Message Flow"):

* the connection :class:`Phase`: startup, SSL/GSS negotiation, the authentication exchange,
  the parameter reports after ``AuthenticationOk``, normal operation, closed;
* in normal operation, a queue of *cycles*, one per request sent and not yet finished by
  ``ReadyForQuery``: a simple ``Query``, an extended-query batch ended by ``Sync``, or a
  ``FunctionCall``. Pipelining sends many before the first answer; answers belong to the
  oldest cycle. Each cycle has a :class:`CycleState` that its answers move.
"""

from __future__ import annotations

import enum
from collections import deque
from typing import Final

from pgwire._authentication import (
    AuthenticationCleartextPassword,
    AuthenticationGSS,
    AuthenticationGSSContinue,
    AuthenticationKerberosV5,
    AuthenticationMD5Password,
    AuthenticationOk,
    AuthenticationSASL,
    AuthenticationSASLContinue,
    AuthenticationSASLFinal,
    AuthenticationSCMCredential,
    AuthenticationSSPI,
    GSSResponse,
    PasswordMessage,
    SASLInitialResponse,
    SASLResponse,
)
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
from pgwire._message import BackendMessage, FrontendMessage, Message
from pgwire._startup import CancelRequest, GSSENCRequest, SSLRequest, StartupMessage

__all__ = ["EXTENDED_ANSWERS", "CycleKind", "CycleState", "Phase", "ProtocolState", "Violation"]


class Phase(enum.Enum):
    """Where the connection is in its life (protocol docs, "Start-up")."""

    #: Nothing sent yet, or the SSL/GSS answer arrived: the client sends a startup packet.
    STARTUP = "startup"
    #: SSLRequest sent: the server answers with one byte.
    SSL_REQUESTED = "ssl requested"
    #: GSSENCRequest sent: the server answers with one byte.
    GSSENC_REQUESTED = "gssenc requested"
    #: StartupMessage (or an authentication response) sent: the server answers.
    AUTHENTICATING = "authenticating"
    #: AuthenticationCleartextPassword or AuthenticationMD5Password received.
    PASSWORD_REQUESTED = "password requested"
    #: AuthenticationSASL received: the client picks a mechanism.
    SASL_STARTED = "sasl started"
    #: AuthenticationSASLContinue received.
    SASL_CONTINUE = "sasl continue"
    #: AuthenticationGSS, SSPI or GSSContinue received.
    GSS_CONTINUE = "gss continue"
    #: AuthenticationOk received: ParameterStatus and BackendKeyData until ReadyForQuery.
    AUTHENTICATED = "authenticated"
    #: Normal operation.
    READY = "ready"
    #: CancelRequest sent: the server closes the connection without answering.
    CANCEL_SENT = "cancel sent"
    #: Terminate sent, a startup error received, or the stream ended.
    CLOSED = "closed"

    # Members are singletons compared by identity: hashing them by identity too keeps the
    # transition tables' lookups in C (Enum's own __hash__ is a Python function).
    __hash__ = object.__hash__


class CycleKind(enum.Enum):
    """What started a cycle."""

    SIMPLE = "simple query"
    EXTENDED = "extended query"
    FUNCTION = "function call"

    __hash__ = object.__hash__  # as Phase's


class CycleState(enum.Enum):
    """Where the answers to one cycle are (protocol docs, "Simple Query", "Extended Query", "COPY")."""

    QUERY = "query"  # simple query, between statements
    ROWS = "rows"  # simple query, after RowDescription
    EXTENDED = "extended"
    FAILED = "failed"  # extended query after ErrorResponse: the server skips to Sync
    COPY_IN = "copy in"
    COPY_IN_FAILED = "copy in failed"  # the server dropped the COPY; our CopyData is discarded
    COPY_OUT = "copy out"
    COPY_BOTH = "copy both"
    FUNCTION = "function call"
    #: Finished by ReadyForQuery.
    DONE = "done"
    #: Stands for the cycle kind's own base state (QUERY, EXTENDED or FUNCTION).
    BASE = "base"

    __hash__ = object.__hash__  # as Phase's


_BASE_STATE: Final = {
    CycleKind.SIMPLE: CycleState.QUERY,
    CycleKind.EXTENDED: CycleState.EXTENDED,
    CycleKind.FUNCTION: CycleState.FUNCTION,
}

P = Phase
S = CycleState

# The members the per-query shortcuts compare with, as module constants: an enum member is an
# attribute lookup through the enum's metaclass, several times a plain name's cost.
_READY: Final = Phase.READY
_EXTENDED_KIND: Final = CycleKind.EXTENDED
_EXTENDED_STATE: Final = CycleState.EXTENDED
_COPY_OUT_STATE: Final = CycleState.COPY_OUT
PhaseTable = dict[tuple[Phase, type[Message]], Phase]
CycleTable = dict[tuple[CycleState, type[Message]], CycleState]

_GSS_REQUESTS = (AuthenticationGSS, AuthenticationSSPI, AuthenticationGSSContinue)
_UNANSWERABLE = (AuthenticationKerberosV5, AuthenticationSCMCredential)
#: Sent by the server at any time after startup, outside any cycle ("Asynchronous Operations").
ASYNCHRONOUS: Final = (NoticeResponse, NotificationResponse, ParameterStatus)

#: Frontend messages during startup and authentication.
FRONTEND_PHASE: Final[PhaseTable] = {
    (P.STARTUP, SSLRequest): P.SSL_REQUESTED,
    (P.STARTUP, GSSENCRequest): P.GSSENC_REQUESTED,
    (P.STARTUP, StartupMessage): P.AUTHENTICATING,
    (P.STARTUP, CancelRequest): P.CANCEL_SENT,
    (P.PASSWORD_REQUESTED, PasswordMessage): P.AUTHENTICATING,
    (P.SASL_STARTED, SASLInitialResponse): P.AUTHENTICATING,
    (P.SASL_CONTINUE, SASLResponse): P.AUTHENTICATING,
    (P.GSS_CONTINUE, GSSResponse): P.AUTHENTICATING,
    **{(phase, Terminate): P.CLOSED for phase in Phase if phase not in (P.STARTUP, P.CANCEL_SENT, P.CLOSED)},
}

#: Backend messages during startup and authentication ("Start-up").
BACKEND_PHASE: Final[PhaseTable] = {
    (P.AUTHENTICATING, NegotiateProtocolVersion): P.AUTHENTICATING,
    (P.AUTHENTICATING, NoticeResponse): P.AUTHENTICATING,
    (P.AUTHENTICATING, AuthenticationOk): P.AUTHENTICATED,
    (P.AUTHENTICATING, AuthenticationCleartextPassword): P.PASSWORD_REQUESTED,
    (P.AUTHENTICATING, AuthenticationMD5Password): P.PASSWORD_REQUESTED,
    (P.AUTHENTICATING, AuthenticationSASL): P.SASL_STARTED,
    (P.AUTHENTICATING, AuthenticationSASLContinue): P.SASL_CONTINUE,
    # SASLFinal carries the server's proof; AuthenticationOk follows it.
    (P.AUTHENTICATING, AuthenticationSASLFinal): P.AUTHENTICATING,
    **{(P.AUTHENTICATING, request): P.GSS_CONTINUE for request in _GSS_REQUESTS},
    # Requests this protocol library cannot answer are still delivered, so that the user
    # sees what the server asked for; the connection can only be closed afterwards.
    **{(P.AUTHENTICATING, request): P.AUTHENTICATING for request in _UNANSWERABLE},
    (P.AUTHENTICATING, ErrorResponse): P.CLOSED,
    (P.AUTHENTICATED, ParameterStatus): P.AUTHENTICATED,
    (P.AUTHENTICATED, BackendKeyData): P.AUTHENTICATED,
    (P.AUTHENTICATED, NoticeResponse): P.AUTHENTICATED,
    (P.AUTHENTICATED, NegotiateProtocolVersion): P.AUTHENTICATED,
    (P.AUTHENTICATED, ReadyForQuery): P.READY,
    (P.AUTHENTICATED, ErrorResponse): P.CLOSED,
    # A password prompt can be answered by closing; a server error ends the attempt.
    **{
        (phase, ErrorResponse): P.CLOSED
        for phase in (P.PASSWORD_REQUESTED, P.SASL_STARTED, P.SASL_CONTINUE, P.GSS_CONTINUE)
    },
    # "Start-up", AuthenticationGSSContinue: when this message completes the GSSAPI or SSPI
    # exchange, the client sends nothing and the server goes on with AuthenticationOk.
    (P.GSS_CONTINUE, AuthenticationOk): P.AUTHENTICATED,
}

#: The answers within an extended-query cycle that leave its state as it is.
EXTENDED_ANSWERS: Final = (
    ParseComplete,
    BindComplete,
    CloseComplete,
    ParameterDescription,
    RowDescription,
    NoData,
    DataRow,
    CommandComplete,
    EmptyQueryResponse,
    PortalSuspended,
)
_COPY_STARTS = ((CopyInResponse, S.COPY_IN), (CopyOutResponse, S.COPY_OUT), (CopyBothResponse, S.COPY_BOTH))

#: Backend messages within a cycle. ReadyForQuery ends it.
BACKEND_CYCLE: Final[CycleTable] = {
    # Simple query ("Simple Query"): any number of statements, each with its own results.
    (S.QUERY, RowDescription): S.ROWS,
    (S.QUERY, CommandComplete): S.QUERY,
    (S.QUERY, EmptyQueryResponse): S.QUERY,
    (S.QUERY, ErrorResponse): S.QUERY,
    (S.QUERY, ReadyForQuery): S.DONE,
    (S.ROWS, DataRow): S.ROWS,
    (S.ROWS, CommandComplete): S.QUERY,
    (S.ROWS, ErrorResponse): S.QUERY,
    **{(S.QUERY, start): state for start, state in _COPY_STARTS},
    # Extended query ("Extended Query"): after an error the server discards messages up to Sync.
    **{(S.EXTENDED, answer): S.EXTENDED for answer in EXTENDED_ANSWERS},
    (S.EXTENDED, ErrorResponse): S.FAILED,
    (S.EXTENDED, ReadyForQuery): S.DONE,
    (S.FAILED, ReadyForQuery): S.DONE,
    **{(S.EXTENDED, start): state for start, state in _COPY_STARTS},
    # COPY ("COPY Operations"): the server's side of the data flow.
    (S.COPY_OUT, CopyData): S.COPY_OUT,
    (S.COPY_OUT, CopyDone): S.BASE,
    (S.COPY_OUT, ErrorResponse): S.BASE,
    (S.COPY_BOTH, CopyData): S.COPY_BOTH,
    (S.COPY_BOTH, CopyDone): S.COPY_IN,
    (S.COPY_BOTH, ErrorResponse): S.COPY_IN_FAILED,
    (S.COPY_IN, ErrorResponse): S.COPY_IN_FAILED,
    (S.COPY_IN_FAILED, ReadyForQuery): S.DONE,
    # Function call ("Function Call").
    (S.FUNCTION, FunctionCallResponse): S.FUNCTION,
    (S.FUNCTION, ErrorResponse): S.FUNCTION,
    (S.FUNCTION, ReadyForQuery): S.DONE,
}

#: Frontend messages that move the oldest cycle: the client's side of COPY.
FRONTEND_COPY: Final[CycleTable] = {
    (S.COPY_IN, CopyData): S.COPY_IN,
    (S.COPY_IN, CopyDone): S.BASE,
    (S.COPY_IN, CopyFail): S.BASE,
    (S.COPY_BOTH, CopyData): S.COPY_BOTH,
    (S.COPY_BOTH, CopyDone): S.COPY_OUT,
    (S.COPY_BOTH, CopyFail): S.COPY_OUT,
    # After the server ended a COPY with an error, further copy messages are dropped by it.
    (S.COPY_IN_FAILED, CopyData): S.COPY_IN_FAILED,
    (S.COPY_IN_FAILED, CopyDone): S.COPY_IN_FAILED,
    (S.COPY_IN_FAILED, CopyFail): S.COPY_IN_FAILED,
}

#: Frontend messages of the extended query protocol (a batch ends with Sync).
EXTENDED_MESSAGES: Final = (Parse, Bind, Describe, Execute, Close, Flush)


_COPY_IN_STATES: Final = (CycleState.COPY_IN, CycleState.COPY_BOTH)
#: What the client may send while the server is in copy-in mode (it ignores Sync and Flush).
_ALLOWED_IN_COPY_IN: Final = (CopyData, CopyDone, CopyFail, Sync, Flush, Terminate)


class Violation(Exception):
    """A message not allowed in the current state; the role turns it into a ProtocolError."""


class _Cycle:
    __slots__ = ("kind", "open", "state")

    def __init__(self, kind: CycleKind, state: CycleState, open: bool) -> None:
        self.kind = kind
        self.state = state
        #: An extended batch stays open until its Sync is sent.
        self.open = open


def _describe(message: type[Message]) -> str:
    return message.__name__


class ProtocolState:
    """The state of one connection, as both peers see it.

    ``frontend(kind)`` applies a frontend message class (sent by a client, received by a
    server), ``backend(kind)`` a backend message class. Both raise :class:`Violation` when the message is
    not allowed now, without changing the state.
    """

    __slots__ = ("_cycles", "phase")

    def __init__(self) -> None:
        self.phase = Phase.STARTUP
        self._cycles: deque[_Cycle] = deque()

    @property
    def pending_cycles(self) -> int:
        """Requests sent and not yet finished by ReadyForQuery."""
        return len(self._cycles)

    @property
    def cycle_state(self) -> CycleState | None:
        """The state of the oldest unfinished cycle, or None when there is none."""
        return self._cycles[0].state if self._cycles else None

    @property
    def cycle_kind(self) -> CycleKind | None:
        """The kind of the oldest unfinished cycle, or None when there is none."""
        return self._cycles[0].kind if self._cycles else None

    @property
    def batch_open(self) -> bool:
        """Whether an extended-query batch was started and its Sync not sent yet."""
        return bool(self._cycles) and self._cycles[-1].open

    def ssl_answered(self) -> None:
        """The one-byte answer to SSLRequest or GSSENCRequest went by: startup continues."""
        if self.phase not in (Phase.SSL_REQUESTED, Phase.GSSENC_REQUESTED):
            raise Violation(f"an SSL/GSSENC answer is not expected in phase {self.phase.value!r}")
        self.phase = Phase.STARTUP

    def copy(self) -> ProtocolState:
        """An independent copy, to roll back to if a batch of messages is refused half-way."""
        twin = ProtocolState()
        twin.phase = self.phase
        twin._cycles.extend(_Cycle(c.kind, c.state, open=c.open) for c in self._cycles)
        return twin

    def frontend(self, kind: type[FrontendMessage]) -> None:
        """Apply a frontend message, given by its class."""
        phase = self.phase
        if phase is not _READY:
            following = FRONTEND_PHASE.get((phase, kind))
            if following is None:
                raise Violation(f"{_describe(kind)} is not allowed in phase {phase.value!r}")
            self.phase = following
            return
        cycles = self._cycles
        if cycles and cycles[0].state in _COPY_IN_STATES and kind not in _ALLOWED_IN_COPY_IN:
            # In copy-in mode the server takes any other message as a broken COPY and aborts it
            # ("COPY Operations"); refusing it here keeps the data the caller is sending.
            raise Violation(
                f"{_describe(kind)} is not allowed during COPY FROM STDIN: end it with CopyDone or CopyFail"
            )
        if kind in EXTENDED_MESSAGES:
            if kind is not Flush and not (cycles and cycles[-1].open):
                cycles.append(_Cycle(_EXTENDED_KIND, _EXTENDED_STATE, True))
        elif kind is Sync:
            if cycles and cycles[0].state in (CycleState.COPY_IN, CycleState.COPY_BOTH):
                # The server ignores Sync and Flush in copy-in mode ("COPY Operations").
                return
            if cycles and cycles[-1].open:
                cycles[-1].open = False
            else:
                cycles.append(_Cycle(_EXTENDED_KIND, _EXTENDED_STATE, False))
        elif kind is Query or kind is FunctionCall:
            if cycles and cycles[-1].open:
                raise Violation(
                    f"{_describe(kind)} cannot be sent inside an extended-query batch: send Sync first"
                )
            cycle_kind = CycleKind.SIMPLE if kind is Query else CycleKind.FUNCTION
            cycles.append(_Cycle(cycle_kind, _BASE_STATE[cycle_kind], open=False))
        elif kind is Terminate:
            self.phase = Phase.CLOSED
        else:
            state = cycles[0].state if cycles else None
            following_state = FRONTEND_COPY.get((state, kind)) if state is not None else None
            if following_state is None:
                where = f"cycle state {state.value!r}" if state else "no request in progress"
                raise Violation(f"{_describe(kind)} is not allowed now ({where})")
            self._move(cycles[0], following_state)

    def extended_request(self) -> bool:
        """The shortcut for one extended-query request sent whole: Parse, Bind, Describe,
        Execute or Close messages, then Sync.

        In normal operation with no COPY FROM STDIN at the head, such a request opens a
        cycle, or closes the open batch it joins: that is applied, the same as
        :meth:`frontend` of each message in turn would (the tests check it against the tables
        for every state), and True returned. Elsewhere nothing changes and False is returned:
        the messages then go through :meth:`frontend` one by one.
        """
        cycles = self._cycles
        if self.phase is not _READY or (cycles and cycles[0].state in _COPY_IN_STATES):
            return False
        if cycles and cycles[-1].open:
            cycles[-1].open = False
        else:
            cycles.append(_Cycle(_EXTENDED_KIND, _EXTENDED_STATE, False))
        return True

    def answers_leave_state(self) -> bool:
        """The shortcut for the answers of an extended query: whether BindComplete, DataRow,
        CommandComplete and the other :data:`EXTENDED_ANSWERS` leave the state as it is now.

        True in normal operation when the oldest cycle is an extended query in its base
        state: the tables map each of those answers back to that state (the tests check it),
        so the client skips :meth:`backend` for them.
        """
        cycles = self._cycles
        return self.phase is _READY and bool(cycles) and cycles[0].state is _EXTENDED_STATE

    def in_copy_out(self) -> bool:
        """Whether the oldest cycle is in copy-out mode, where CopyData leaves the state as it is
        (the client then takes a run of them without :meth:`backend` for each)."""
        cycles = self._cycles
        return self.phase is _READY and bool(cycles) and cycles[0].state is _COPY_OUT_STATE

    def extended_reply(self) -> bool:
        """The shortcut for a whole extended-query answer: BindComplete, DataRows,
        CommandComplete, then ReadyForQuery.

        When :meth:`answers_leave_state` holds and the oldest cycle's Sync was sent, those
        answers end that cycle: it is removed, the same as :meth:`backend` of each in turn
        would (the tests check it against the tables for every state), and True returned.
        Elsewhere nothing changes and False is returned: the answers then go through
        :meth:`backend` one by one, which says what is wrong.
        """
        cycles = self._cycles
        if self.phase is _READY and cycles and cycles[0].state is _EXTENDED_STATE and not cycles[0].open:
            cycles.popleft()
            return True
        return False

    def backend(self, kind: type[BackendMessage]) -> None:
        """Apply a backend message, given by its class."""
        phase = self.phase
        if phase is not _READY:
            following = BACKEND_PHASE.get((phase, kind))
            if following is None:
                raise Violation(f"{_describe(kind)} is not allowed in phase {phase.value!r}")
            self.phase = following
            return
        if kind in ASYNCHRONOUS:
            return
        cycles = self._cycles
        if not cycles:
            # A FATAL error can arrive at any time, e.g. from pg_terminate_backend.
            if kind is ErrorResponse:
                return
            raise Violation(f"{_describe(kind)} received with no request in progress")
        cycle = cycles[0]
        following_state = BACKEND_CYCLE.get((cycle.state, kind))
        if following_state is None:
            raise Violation(
                f"{_describe(kind)} is not allowed in {cycle.kind.value} state {cycle.state.value!r}"
            )
        if following_state is CycleState.DONE:
            if cycle.open:
                raise Violation("ReadyForQuery received for an extended-query batch whose Sync was not sent")
            cycles.popleft()
            return
        # The server ignores a Sync that arrives in copy-in mode, so one sent with the batch
        # does not end it: another Sync must follow CopyDone or CopyFail.
        if (
            following_state in (CycleState.COPY_IN, CycleState.COPY_BOTH)
            and cycle.kind is _EXTENDED_KIND
            and cycle is cycles[-1]
        ):
            cycle.open = True
        # As _move, inline: this runs for most received messages.
        cycle.state = _BASE_STATE[cycle.kind] if following_state is CycleState.BASE else following_state

    @staticmethod
    def _move(cycle: _Cycle, state: CycleState) -> None:
        cycle.state = _BASE_STATE[cycle.kind] if state is CycleState.BASE else state

    def close(self) -> None:
        """The stream ended or the connection was given up: nothing more is allowed."""
        self.phase = Phase.CLOSED
        self._cycles.clear()
