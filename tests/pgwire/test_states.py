"""The state machine's refusals: our misuse is a LocalProtocolError, the peer's a RemoteProtocolError.

A refused ``send()`` returns nothing and leaves the state as it was; a refused received message
makes the connection unusable, and every later ``next_event()`` raises the same error. The last
tests walk the tables of ``pgwire._states`` themselves.
"""

from __future__ import annotations

import pytest

from pgwire import (
    NEED_DATA,
    PROTOCOL_3_0,
    PROTOCOL_3_2,
    AuthenticationGSSContinue,
    AuthenticationOk,
    Bind,
    BindComplete,
    ClientConnection,
    CommandComplete,
    CopyData,
    CopyDone,
    CopyFail,
    CopyInResponse,
    CycleState,
    DataRow,
    ErrorResponse,
    Execute,
    Flush,
    FunctionCall,
    GSSResponse,
    LocalProtocolError,
    NegotiateProtocolVersion,
    Parse,
    PasswordMessage,
    Phase,
    Query,
    ReadyForQuery,
    RemoteProtocolError,
    RowDescription,
    ServerConnection,
    SSLRequest,
    SSLResponse,
    StartupMessage,
    Sync,
    Terminate,
    TransactionStatus,
)
from pgwire._message import BackendMessage, FrontendMessage, Message
from pgwire._states import (
    ASYNCHRONOUS,
    BACKEND_CYCLE,
    BACKEND_PHASE,
    FRONTEND_COPY,
    FRONTEND_PHASE,
    CycleKind,
    ProtocolState,
    Violation,
)
from tests.pgwire.strategies import BACKEND_CLASSES, FRONTEND_CLASSES, STARTUP_CLASSES

STARTUP = StartupMessage((("user", "alice"),))
IDLE = ReadyForQuery(TransactionStatus.IDLE)


def phase_of(connection: ClientConnection | ServerConnection) -> Phase:
    """The phase, read through a call so that mypy does not narrow it between steps."""
    return connection.phase


def request_state_of(connection: ClientConnection | ServerConnection) -> CycleState | None:
    return connection.request_state


def request_kind_of(client: ClientConnection) -> CycleKind | None:
    return client.request_kind


def ready_client() -> ClientConnection:
    client = ClientConnection()
    client.send(STARTUP)
    client.receive_data(AuthenticationOk().encode() + IDLE.encode())
    assert client.next_event() == AuthenticationOk()
    assert client.next_event() == IDLE
    assert client.is_ready
    return client


def snapshot(client: ClientConnection) -> tuple[object, ...]:
    return (phase_of(client), client.pending_requests, request_state_of(client), request_kind_of(client))


def feed(client: ClientConnection, *messages: BackendMessage) -> None:
    client.receive_data(b"".join(message.encode() for message in messages))


def refused(client: ClientConnection, message: FrontendMessage) -> None:
    """``send(message)`` raises LocalProtocolError and changes nothing."""
    before = snapshot(client)
    with pytest.raises(LocalProtocolError):
        client.send(message)
    assert snapshot(client) == before


def broken(client: ClientConnection, match: str | None = None) -> RemoteProtocolError:
    """Drain until the RemoteProtocolError; check that it sticks."""
    with pytest.raises(RemoteProtocolError, match=match) as caught:
        while client.next_event() is not NEED_DATA:
            pass
    with pytest.raises(RemoteProtocolError) as again:
        client.next_event()
    assert again.value is caught.value
    assert phase_of(client) is Phase.CLOSED
    return caught.value


# -- our own misuse: LocalProtocolError, nothing sent, state unchanged --------------------------------


def test_query_before_startup() -> None:
    client = ClientConnection()
    refused(client, Query("SELECT 1"))
    assert phase_of(client) is Phase.STARTUP
    client.send(STARTUP)  # still usable
    assert phase_of(client) is Phase.AUTHENTICATING


def test_query_during_authentication() -> None:
    client = ClientConnection()
    client.send(STARTUP)
    refused(client, Query("SELECT 1"))
    refused(client, Sync())


def test_query_inside_an_open_extended_batch() -> None:
    client = ready_client()
    client.send_many([Parse("", "SELECT 1"), Bind("", "")])
    refused(client, Query("SELECT 2"))
    client.send(Sync())
    client.send(Query("SELECT 2"))
    assert client.pending_requests == 2


def test_copy_messages_with_no_copy() -> None:
    client = ready_client()
    for message in (CopyData(b"x"), CopyDone(), CopyFail("no")):
        refused(client, message)
    client.send(Query("SELECT 1"))
    for message in (CopyData(b"x"), CopyDone(), CopyFail("no")):
        refused(client, message)


def test_password_message_when_none_was_requested() -> None:
    client = ClientConnection()
    refused(client, PasswordMessage("pw"))
    client.send(STARTUP)
    refused(client, PasswordMessage("pw"))
    refused(client, GSSResponse(b"token"))


def test_nothing_after_terminate() -> None:
    client = ready_client()
    client.send(Terminate())
    assert phase_of(client) is Phase.CLOSED
    for message in (Query("SELECT 1"), Sync(), Terminate(), STARTUP, CopyData(b"")):
        refused(client, message)


def test_send_many_is_all_or_nothing() -> None:
    client = ready_client()
    before = snapshot(client)
    with pytest.raises(LocalProtocolError):
        client.send_many([Parse("", "SELECT 1"), Bind("", ""), Query("SELECT 2"), Sync()])
    assert snapshot(client) == before
    # The batch that was opened and rolled back does not linger: a Query goes through alone.
    client.send(Query("SELECT 2"))
    assert client.pending_requests == 1
    assert request_kind_of(client) is CycleKind.SIMPLE


def test_send_many_rolls_back_the_protocol_version() -> None:
    client = ClientConnection()
    with pytest.raises(LocalProtocolError):
        client.send_many([StartupMessage((("user", "alice"),), PROTOCOL_3_2), Query("SELECT 1")])
    assert phase_of(client) is Phase.STARTUP
    assert client.protocol_version == PROTOCOL_3_0


def test_server_refuses_to_send_out_of_turn() -> None:
    server = ServerConnection()
    with pytest.raises(LocalProtocolError):
        server.send(AuthenticationOk())
    with pytest.raises(LocalProtocolError):
        server.send(SSLResponse(False))
    server.receive_data(STARTUP.encode())
    assert server.next_event() == STARTUP
    with pytest.raises(LocalProtocolError):
        server.send(IDLE)
    assert phase_of(server) is Phase.AUTHENTICATING


# -- server misbehaviour: RemoteProtocolError, and it sticks ------------------------------------------


def test_data_row_with_no_request() -> None:
    client = ready_client()
    feed(client, DataRow((b"1",)))
    broken(client, "no request in progress")


def test_ready_for_query_for_a_batch_whose_sync_was_not_sent() -> None:
    client = ready_client()
    client.send_many([Parse("", "SELECT 1"), Bind("", ""), Execute()])
    feed(client, IDLE)
    broken(client, "Sync was not sent")


def test_ready_for_query_with_nothing_sent() -> None:
    client = ready_client()
    feed(client, IDLE)
    broken(client)


def test_bind_complete_in_a_simple_query() -> None:
    client = ready_client()
    client.send(Query("SELECT 1"))
    feed(client, BindComplete())
    broken(client, "BindComplete")


def test_data_row_before_row_description_in_a_simple_query() -> None:
    client = ready_client()
    client.send(Query("SELECT 1"))
    feed(client, DataRow((b"1",)), CommandComplete("SELECT 1"), IDLE)
    broken(client, "DataRow")


def test_data_row_after_command_complete() -> None:
    client = ready_client()
    client.send(Query("SELECT 1"))
    feed(client, RowDescription(()), CommandComplete("SELECT 0"), DataRow(()))
    broken(client)


def test_negotiate_protocol_version_after_startup() -> None:
    client = ready_client()
    feed(client, NegotiateProtocolVersion(0, ()))
    broken(client)


@pytest.mark.parametrize("minor", [3, 0xFFFF, -1, 0x40000, 0x30003])
def test_negotiate_protocol_version_cannot_raise_the_version(minor: int) -> None:
    # "Protocol versions": the server answers with the newest minor version it supports that
    # is older than the one asked for; a higher (or negative) one is not a negotiation.
    client = ClientConnection()
    client.send(StartupMessage((("user", "alice"),), PROTOCOL_3_2))
    feed(client, NegotiateProtocolVersion(minor, ()))
    broken(client, "NegotiateProtocolVersion")


@pytest.mark.parametrize("offered", [0, 0x30000])
def test_negotiate_protocol_version_as_minor_or_whole_code(offered: int) -> None:
    # Servers send the whole version code (196608 = 3.0) where the docs say "minor version".
    client = ClientConnection()
    client.send(StartupMessage((("user", "alice"),), PROTOCOL_3_2))
    feed(client, NegotiateProtocolVersion(offered, ("_pq_.x",)), AuthenticationOk())
    assert client.next_event() == NegotiateProtocolVersion(offered, ("_pq_.x",))
    assert client.protocol_version == 0x30000
    assert client.unsupported_options == ("_pq_.x",)


@pytest.mark.parametrize("message", [Query("SELECT 1"), Parse("", "SELECT 1"), Bind("", ""), FunctionCall(1)])
def test_new_requests_are_refused_during_copy_in(message: FrontendMessage) -> None:
    # The server would take them as a broken COPY and abort it with the data sent so far.
    client = ready_client()
    client.send(Query("COPY t FROM STDIN"))
    feed(client, CopyInResponse(0, ()))
    assert client.next_event() == CopyInResponse(0, ())
    refused(client, message)
    client.send_many([CopyData(b"1\n"), Flush(), Sync(), CopyDone()])
    assert request_state_of(client) is CycleState.QUERY
    assert client.send(Query("SELECT 2"))  # after CopyDone, pipelining the next request is fine


def test_gss_exchange_may_end_with_authentication_ok() -> None:
    # "Start-up": when AuthenticationGSSContinue completes the exchange, the server next sends
    # AuthenticationOk or ErrorResponse, without waiting for a GSSResponse.
    client = ClientConnection()
    client.send(STARTUP)
    feed(client, AuthenticationGSSContinue(b"last token"), AuthenticationOk(), IDLE)
    assert client.next_event() == AuthenticationGSSContinue(b"last token")
    assert phase_of(client) is Phase.GSS_CONTINUE
    assert client.next_event() == AuthenticationOk()
    assert client.next_event() == IDLE
    assert client.is_ready


def test_gss_exchange_may_end_with_an_error() -> None:
    client = ClientConnection()
    client.send(STARTUP)
    error = ErrorResponse((("S", "FATAL"), ("C", "28000"), ("M", "GSSAPI authentication failed")))
    feed(client, AuthenticationGSSContinue(b"token"), error)
    assert client.next_event() == AuthenticationGSSContinue(b"token")
    assert client.next_event() == error
    assert phase_of(client) is Phase.CLOSED


@pytest.mark.parametrize("answer", [b"X", b"\x00", b"G"])
def test_invalid_answer_to_ssl_request(answer: bytes) -> None:
    client = ClientConnection()
    client.send(SSLRequest())
    client.receive_data(answer)
    broken(client, "invalid answer")


def test_error_response_answering_ssl_request() -> None:
    # A server older than 7.3 sends an ErrorResponse; its text is never shown (CVE-2024-10977).
    client = ClientConnection()
    client.send(SSLRequest())
    client.receive_data(ErrorResponse((("S", "FATAL"), ("M", "attacker text"))).encode())
    error = broken(client, "answered SSLRequest with an error")
    assert "attacker text" not in str(error)


def test_unencrypted_bytes_after_ssl_accepted() -> None:
    # CVE-2021-23222: bytes after 'S' and before the TLS handshake may have been injected.
    client = ClientConnection()
    client.send(SSLRequest())
    client.receive_data(b"S" + AuthenticationOk().encode())
    broken(client, "unencrypted data")


def test_ssl_accepted_with_nothing_after_it() -> None:
    client = ClientConnection()
    client.send(SSLRequest())
    client.receive_data(b"S")
    assert client.next_event() == SSLResponse(True)
    assert phase_of(client) is Phase.STARTUP


def test_ssl_answer_not_yet_received() -> None:
    client = ClientConnection()
    client.send(SSLRequest())
    assert client.next_event() is NEED_DATA
    client.receive_data(b"N")
    assert client.next_event() == SSLResponse(False)
    assert phase_of(client) is Phase.STARTUP


def test_eof_in_the_middle_of_a_client_message() -> None:
    server = ServerConnection()
    server.receive_data(STARTUP.encode()[:-2])
    server.receive_data(b"")
    with pytest.raises(RemoteProtocolError, match="middle of a message") as first:
        server.next_event()
    with pytest.raises(RemoteProtocolError) as again:
        server.next_event()
    assert again.value is first.value


def test_server_refuses_ssl_when_the_client_already_sent_plaintext() -> None:
    server = ServerConnection()
    server.receive_data(SSLRequest().encode() + STARTUP.encode())
    assert server.next_event() == SSLRequest()
    with pytest.raises(RemoteProtocolError, match="unencrypted"):
        server.send(SSLResponse(True))
    assert phase_of(server) is Phase.SSL_REQUESTED
    with pytest.raises(RemoteProtocolError, match="before the answer"):
        server.next_event()


def test_server_sees_client_messages_out_of_turn() -> None:
    server = ServerConnection()
    server.receive_data(STARTUP.encode() + Query("SELECT 1").encode())
    assert server.next_event() == STARTUP
    with pytest.raises(RemoteProtocolError, match="Query") as caught:
        server.next_event()
    with pytest.raises(RemoteProtocolError) as again:
        server.next_event()
    assert again.value is caught.value
    assert phase_of(server) is Phase.CLOSED


def test_copy_data_from_the_client_with_no_copy() -> None:
    server = ServerConnection()
    server.receive_data(STARTUP.encode())
    server.next_event()
    server.send_many([AuthenticationOk(), IDLE])
    server.receive_data(CopyData(b"x").encode())
    with pytest.raises(RemoteProtocolError, match="CopyData"):
        server.next_event()


def test_server_send_many_rolls_back() -> None:
    server = ServerConnection()
    server.receive_data(STARTUP.encode() + Query("COPY t FROM STDIN").encode())
    server.next_event()
    server.send_many([AuthenticationOk(), IDLE])
    assert server.next_event() == Query("COPY t FROM STDIN")
    with pytest.raises(LocalProtocolError):
        server.send_many([CopyInResponse(0, ()), IDLE])
    assert request_state_of(server) is CycleState.QUERY
    assert server.pending_requests == 1


# -- the tables themselves -----------------------------------------------------------------------------

_ALL_CLASSES: tuple[type[Message], ...] = (*STARTUP_CLASSES, *FRONTEND_CLASSES, *BACKEND_CLASSES)


def test_table_keys_and_targets_are_real() -> None:
    for (phase, kind), target in (*FRONTEND_PHASE.items(), *BACKEND_PHASE.items()):
        assert isinstance(phase, Phase)
        assert isinstance(target, Phase)
        assert kind in _ALL_CLASSES
    for (state, kind), following in (*BACKEND_CYCLE.items(), *FRONTEND_COPY.items()):
        assert state not in (CycleState.DONE, CycleState.BASE)
        assert isinstance(following, CycleState)
        assert kind in _ALL_CLASSES
    for _, kind in FRONTEND_PHASE:
        assert issubclass(kind, FrontendMessage)
    for _, kind in BACKEND_PHASE:
        assert issubclass(kind, BackendMessage)


def _reachable_phases() -> set[Phase]:
    """Phases reachable from STARTUP through the phase tables and the one-byte answers."""
    seen = {Phase.STARTUP}
    todo = [Phase.STARTUP]
    while todo:
        phase = todo.pop()
        targets = [t for (p, _), t in (*FRONTEND_PHASE.items(), *BACKEND_PHASE.items()) if p is phase]
        if phase in (Phase.SSL_REQUESTED, Phase.GSSENC_REQUESTED):
            targets.append(Phase.STARTUP)
        for target in targets:
            if target not in seen:
                seen.add(target)
                todo.append(target)
    return seen


def test_every_phase_is_reachable_and_every_phase_key_is_live() -> None:
    reachable = _reachable_phases()
    assert reachable == set(Phase)
    for phase, _ in (*FRONTEND_PHASE, *BACKEND_PHASE):
        assert phase in reachable


def test_every_waiting_phase_accepts_a_server_error() -> None:
    # Wherever the server waits for the client's next authentication answer, it may give up
    # with an ErrorResponse (authentication_timeout), which ends the attempt.
    for phase in (
        Phase.AUTHENTICATING,
        Phase.PASSWORD_REQUESTED,
        Phase.SASL_STARTED,
        Phase.SASL_CONTINUE,
        Phase.GSS_CONTINUE,
        Phase.AUTHENTICATED,
    ):
        assert BACKEND_PHASE[phase, ErrorResponse] is Phase.CLOSED


def _state_with(kind: CycleKind, state: CycleState) -> ProtocolState:
    protocol = ProtocolState()
    protocol.phase = Phase.READY
    protocol.frontend(Query if kind is CycleKind.SIMPLE else Sync)
    protocol._cycles[0].state = state
    return protocol


def test_every_cycle_entry_applies() -> None:
    # Each (state, message) entry moves a cycle in that state to the listed state.
    for (state, kind), following in BACKEND_CYCLE.items():
        for cycle_kind in (CycleKind.SIMPLE, CycleKind.EXTENDED):
            protocol = _state_with(cycle_kind, state)
            assert issubclass(kind, BackendMessage)
            protocol.backend(kind)
            if following is CycleState.DONE:
                assert protocol.pending_cycles == 0
            elif following is CycleState.BASE:
                expected = CycleState.QUERY if cycle_kind is CycleKind.SIMPLE else CycleState.EXTENDED
                assert protocol.cycle_state is expected
            else:
                assert protocol.cycle_state is following
    for (state, kind), following in FRONTEND_COPY.items():
        protocol = _state_with(CycleKind.SIMPLE, state)
        assert issubclass(kind, FrontendMessage)
        protocol.frontend(kind)
        assert protocol.cycle_state is (CycleState.QUERY if following is CycleState.BASE else following)


def test_every_missing_cycle_entry_is_refused() -> None:
    for state in CycleState:
        if state in (CycleState.DONE, CycleState.BASE):
            continue
        for kind in BACKEND_CLASSES:
            if (state, kind) in BACKEND_CYCLE or kind in ASYNCHRONOUS:
                continue
            protocol = _state_with(CycleKind.SIMPLE, state)
            assert issubclass(kind, BackendMessage)
            with pytest.raises(Violation):
                protocol.backend(kind)
            assert protocol.cycle_state is state  # unchanged


def test_every_cycle_state_is_reachable() -> None:
    reachable = {CycleState.QUERY, CycleState.EXTENDED, CycleState.FUNCTION}
    changed = True
    while changed:
        changed = False
        for (state, _), following in (*BACKEND_CYCLE.items(), *FRONTEND_COPY.items()):
            usable = following not in (CycleState.DONE, CycleState.BASE, *reachable)
            if state in reachable and usable:
                reachable.add(following)
                changed = True
    assert reachable == set(CycleState) - {CycleState.DONE, CycleState.BASE}
