"""A ClientConnection and a ServerConnection joined in memory: whole protocol flows, no server.

The bytes one role's ``send()`` returns are fed to the other's ``receive_data()``, and each side's
events are drained until ``NEED_DATA``. Both roles run the same state machine, so each flow checks
that they agree on every step (protocol docs, "Message Flow").
"""

from __future__ import annotations

import pytest

from pgwire import (
    NEED_DATA,
    PROTOCOL_3_0,
    PROTOCOL_3_2,
    AuthenticationCleartextPassword,
    AuthenticationMD5Password,
    AuthenticationOk,
    AuthenticationSASL,
    AuthenticationSASLContinue,
    AuthenticationSASLFinal,
    BackendKeyData,
    BackendMessage,
    Bind,
    BindComplete,
    CancelRequest,
    ClientAuthenticator,
    ClientConnection,
    ClientEvent,
    CommandComplete,
    CompletionRun,
    ConnectionClosed,
    CopyBothResponse,
    CopyData,
    CopyDataRun,
    CopyDone,
    CopyFail,
    CopyInResponse,
    CopyOutResponse,
    CycleKind,
    CycleReply,
    CycleState,
    DataRow,
    DataRowBatch,
    Describe,
    ErrorResponse,
    Execute,
    FieldDescription,
    FrontendMessage,
    FunctionCall,
    FunctionCallResponse,
    LocalProtocolError,
    NegotiateProtocolVersion,
    NoticeResponse,
    NotificationResponse,
    ParameterStatus,
    Parse,
    ParseComplete,
    PasswordMessage,
    Phase,
    PortalSuspended,
    Query,
    ReadyForQuery,
    RemoteProtocolError,
    RowDescription,
    SASLInitialResponse,
    SASLResponse,
    ScramServer,
    ScramVerifier,
    ServerConnection,
    ServerEvent,
    SSLRequest,
    SSLResponse,
    StartupMessage,
    Sync,
    Terminate,
    TransactionStatus,
    md5_verifier,
    verify_md5_response,
)

USER = "alice"
PASSWORD = "s3cret"
IDLE = ReadyForQuery(TransactionStatus.IDLE)


def phase_of(connection: ClientConnection | ServerConnection) -> Phase:
    """The phase, read through a call so that mypy does not narrow it between steps."""
    return connection.phase


def request_state_of(connection: ClientConnection | ServerConnection) -> CycleState | None:
    return connection.request_state


def request_kind_of(client: ClientConnection) -> CycleKind | None:
    return client.request_kind


def drain(connection: ClientConnection | ServerConnection) -> list[ClientEvent | ServerEvent]:
    """Every event the connection can produce from what it was fed, up to NEED_DATA or the end."""
    events: list[ClientEvent | ServerEvent] = []
    while (event := connection.next_event()) is not NEED_DATA and not isinstance(event, ConnectionClosed):
        if isinstance(event, CycleReply):  # the whole answer in one event: compared as its parts
            events.append(BindComplete())
            if event.rows is not None:
                events.append(event.rows)
            events += [PortalSuspended() if event.suspended else CommandComplete(event.tag)]
            events.append(ReadyForQuery(event.status))
        else:
            events.append(event)
    return events if event is NEED_DATA else [*events, event]


def rows_of(events: list[ClientEvent | ServerEvent]) -> list[tuple[bytes | None, ...]]:
    """The rows of every DataRowBatch among ``events``, in order."""
    return [row for event in events if isinstance(event, DataRowBatch) for row in event.rows()]


def without_rows(events: list[ClientEvent | ServerEvent]) -> list[ClientEvent | ServerEvent]:
    return [event for event in events if not isinstance(event, DataRowBatch)]


def column(name: str) -> FieldDescription:
    return FieldDescription(name, 0, 0, 23, 4, -1, 0)


class Pair:
    """A client and a server wired together in memory."""

    def __init__(self) -> None:
        self.client = ClientConnection(batch_events=True)
        self.server = ServerConnection()

    def to_server(self, *messages: FrontendMessage) -> list[ClientEvent | ServerEvent]:
        self.server.receive_data(self.client.send_many(messages))
        return drain(self.server)

    def to_client(self, *messages: BackendMessage) -> list[ClientEvent | ServerEvent]:
        self.client.receive_data(self.server.send_many(messages))
        return drain(self.client)


def startup(pair: Pair, version: int = PROTOCOL_3_0) -> StartupMessage:
    message = StartupMessage((("user", USER), ("database", "db")), version)
    assert pair.to_server(message) == [message]
    assert pair.server.startup == message
    assert phase_of(pair.client) is phase_of(pair.server) is Phase.AUTHENTICATING
    return message


def finish_startup(pair: Pair) -> list[ClientEvent | ServerEvent]:
    """The server's reports after AuthenticationOk ("Start-up"), up to ReadyForQuery."""
    messages: list[BackendMessage] = [
        ParameterStatus("server_version", "17.0"),
        ParameterStatus("client_encoding", "UTF8"),
        BackendKeyData(4242, b"\x01\x02\x03\x04"),
        IDLE,
    ]
    events = pair.to_client(*messages)
    assert events == messages
    return events


def ready_pair() -> Pair:
    pair = Pair()
    startup(pair)
    assert pair.to_client(AuthenticationOk()) == [AuthenticationOk()]
    finish_startup(pair)
    assert pair.client.is_ready
    assert phase_of(pair.server) is Phase.READY
    return pair


def test_trust_startup_updates_the_client_attributes() -> None:
    pair = Pair()
    assert (pair.client.transaction_status, pair.client.backend_key) == (None, None)
    startup(pair)
    assert pair.to_client(AuthenticationOk()) == [AuthenticationOk()]
    assert phase_of(pair.client) is phase_of(pair.server) is Phase.AUTHENTICATED
    finish_startup(pair)
    assert pair.client.parameters == {"server_version": "17.0", "client_encoding": "UTF8"}
    assert pair.client.backend_key == BackendKeyData(4242, b"\x01\x02\x03\x04")
    assert pair.client.transaction_status is TransactionStatus.IDLE
    assert phase_of(pair.client) is phase_of(pair.server) is Phase.READY
    assert pair.client.pending_requests == pair.server.pending_requests == 0


@pytest.mark.parametrize("accepted", [False, True])
def test_ssl_request_answered(accepted: bool) -> None:
    # "SSL Session Encryption": one byte, then the startup packet (over TLS when 'S').
    pair = Pair()
    assert pair.to_server(SSLRequest()) == [SSLRequest()]
    assert phase_of(pair.client) is phase_of(pair.server) is Phase.SSL_REQUESTED
    assert pair.server.send(SSLResponse(accepted)) == (b"S" if accepted else b"N")
    # The byte went out: a second answer is refused.
    with pytest.raises(LocalProtocolError):
        pair.server.send(SSLResponse(accepted))
    pair.client.receive_data(b"S" if accepted else b"N")
    assert drain(pair.client) == [SSLResponse(accepted)]
    assert phase_of(pair.client) is phase_of(pair.server) is Phase.STARTUP
    startup(pair)
    assert pair.to_client(AuthenticationOk()) == [AuthenticationOk()]
    finish_startup(pair)
    assert pair.client.is_ready


def test_cleartext_password() -> None:
    pair = Pair()
    auth = ClientAuthenticator(USER, PASSWORD)
    startup(pair)
    assert pair.to_client(AuthenticationCleartextPassword()) == [AuthenticationCleartextPassword()]
    assert phase_of(pair.client) is phase_of(pair.server) is Phase.PASSWORD_REQUESTED
    (event,) = pair.to_server(PasswordMessage(auth.cleartext()))
    assert isinstance(event, PasswordMessage)
    assert event.password == PASSWORD
    assert phase_of(pair.server) is Phase.AUTHENTICATING
    assert pair.to_client(AuthenticationOk()) == [AuthenticationOk()]
    auth.ok()
    finish_startup(pair)
    assert pair.client.is_ready


@pytest.mark.parametrize(("password", "correct"), [(PASSWORD, True), ("wrong", False)])
def test_md5_password(password: str, correct: bool) -> None:
    pair = Pair()
    salt = b"\x9a\x01\xff\x10"
    stored = md5_verifier(USER, PASSWORD)
    auth = ClientAuthenticator(USER, password)
    startup(pair)
    assert pair.to_client(AuthenticationMD5Password(salt)) == [AuthenticationMD5Password(salt)]
    (event,) = pair.to_server(PasswordMessage(auth.md5(salt)))
    assert isinstance(event, PasswordMessage)
    assert event.password.startswith("md5")
    assert verify_md5_response(stored, salt, event.password) is correct
    if correct:
        pair.to_client(AuthenticationOk())
        auth.ok()
        finish_startup(pair)
        assert pair.client.is_ready
        return
    # "Start-up": a failed authentication is an ErrorResponse, then the server closes.
    failure = ErrorResponse((("S", "FATAL"), ("C", "28P01"), ("M", "password authentication failed")))
    assert pair.to_client(failure) == [failure]
    assert phase_of(pair.client) is phase_of(pair.server) is Phase.CLOSED
    pair.client.receive_data(b"")
    assert drain(pair.client) == [ConnectionClosed()]


def test_scram_sha_256() -> None:
    pair = Pair()
    scram = ScramServer(ScramVerifier.from_password(PASSWORD, b"0123456789abcdef", 2))
    auth = ClientAuthenticator(USER, PASSWORD)
    startup(pair)
    assert pair.to_client(AuthenticationSASL(scram.mechanisms)) == [AuthenticationSASL(scram.mechanisms)]
    assert phase_of(pair.client) is phase_of(pair.server) is Phase.SASL_STARTED
    mechanism, data = auth.sasl_start(scram.mechanisms)
    (first,) = pair.to_server(SASLInitialResponse(mechanism, data))
    # The server decodes the 'p' message by the request it sent last.
    assert isinstance(first, SASLInitialResponse)
    assert first.data is not None
    (request,) = pair.to_client(AuthenticationSASLContinue(scram.server_first(first.mechanism, first.data)))
    assert isinstance(request, AuthenticationSASLContinue)
    assert phase_of(pair.client) is phase_of(pair.server) is Phase.SASL_CONTINUE
    (final,) = pair.to_server(SASLResponse(auth.sasl_continue(request.data)))
    assert isinstance(final, SASLResponse)
    signature = scram.server_final(final.data)
    assert scram.is_finished
    events = pair.to_client(AuthenticationSASLFinal(signature), AuthenticationOk())
    assert events == [AuthenticationSASLFinal(signature), AuthenticationOk()]
    auth.sasl_final(signature)
    auth.ok()
    finish_startup(pair)
    assert pair.client.is_ready


def test_negotiate_protocol_version_lowers_the_version() -> None:
    pair = Pair()
    message = StartupMessage((("user", USER), ("_pq_.frobnicate", "on")), PROTOCOL_3_2)
    pair.to_server(message)
    assert (pair.client.protocol_version, pair.client.unsupported_options) == (PROTOCOL_3_2, ())
    negotiate = NegotiateProtocolVersion(0, ("_pq_.frobnicate",))
    assert pair.to_client(negotiate, AuthenticationOk()) == [negotiate, AuthenticationOk()]
    assert (pair.client.protocol_version, pair.client.unsupported_options) == (
        PROTOCOL_3_0,
        ("_pq_.frobnicate",),
    )
    finish_startup(pair)
    assert pair.client.is_ready


def test_simple_query_with_several_statements() -> None:
    pair = ready_pair()
    query = Query("SELECT a FROM t; SELECT b FROM u; DELETE FROM v")
    assert pair.to_server(query) == [query]
    assert pair.client.pending_requests == pair.server.pending_requests == 1
    assert request_kind_of(pair.client) is CycleKind.SIMPLE
    assert request_state_of(pair.client) is CycleState.QUERY
    events = pair.to_client(RowDescription((column("a"),)), DataRow((b"1",)), DataRow((None,)))
    assert request_state_of(pair.client) is request_state_of(pair.server) is CycleState.ROWS
    assert all(isinstance(event, DataRowBatch) for event in events[1:])
    assert rows_of(events) == [(b"1",), (None,)]
    events += pair.to_client(
        CommandComplete("SELECT 2"),
        RowDescription((column("b"), column("c"))),
        DataRow((b"x", b"y")),
        CommandComplete("SELECT 1"),
        CommandComplete("DELETE 3"),
    )
    assert request_state_of(pair.client) is CycleState.QUERY
    events += pair.to_client(ReadyForQuery(TransactionStatus.IN_TRANSACTION))
    assert rows_of(events) == [(b"1",), (None,), (b"x", b"y")]
    assert without_rows(events) == [
        RowDescription((column("a"),)),
        CommandComplete("SELECT 2"),
        RowDescription((column("b"), column("c"))),
        CommandComplete("SELECT 1"),
        CommandComplete("DELETE 3"),
        ReadyForQuery(TransactionStatus.IN_TRANSACTION),
    ]
    assert pair.client.transaction_status is TransactionStatus.IN_TRANSACTION
    assert pair.client.is_ready
    assert pair.server.pending_requests == 0


def test_extended_query() -> None:
    pair = ready_pair()
    batch = [Parse("s1", "SELECT $1::int", (23,)), Bind("", "s1", (), (b"7",), ()), Describe("P"), Execute()]
    assert pair.to_server(*batch) == batch
    # The batch stays open until Sync: a Query now would be refused.
    assert pair.client.pending_requests == 1
    with pytest.raises(LocalProtocolError):
        pair.client.send(Query("SELECT 1"))
    assert pair.to_server(Sync()) == [Sync()]
    assert request_kind_of(pair.client) is CycleKind.EXTENDED
    events = pair.to_client(
        ParseComplete(), BindComplete(), RowDescription((column("int4"),)), DataRow((b"7",))
    )
    assert request_state_of(pair.client) is CycleState.EXTENDED
    events += pair.to_client(CommandComplete("SELECT 1"), IDLE)
    assert rows_of(events) == [(b"7",)]
    assert without_rows(events) == [
        ParseComplete(),
        BindComplete(),
        RowDescription((column("int4"),)),
        CommandComplete("SELECT 1"),
        IDLE,
    ]
    assert pair.client.is_ready


def test_pipeline_error_in_first_batch_leaves_the_second_working() -> None:
    pair = ready_pair()
    first = [Parse("", "SELECT 1/0"), Bind("", ""), Execute(), Sync()]
    second = [Bind("", "known"), Execute(), Sync()]
    assert pair.to_server(*first, *second) == [*first, *second]
    assert pair.client.pending_requests == pair.server.pending_requests == 2
    error = ErrorResponse((("S", "ERROR"), ("C", "22012"), ("M", "division by zero")))
    assert pair.to_client(ParseComplete(), error) == [ParseComplete(), error]
    # "Extended Query": after an error the server discards messages until Sync.
    assert request_state_of(pair.client) is request_state_of(pair.server) is CycleState.FAILED
    with pytest.raises(LocalProtocolError):
        pair.server.send(BindComplete())
    assert request_state_of(pair.server) is CycleState.FAILED
    assert pair.to_client(IDLE) == [IDLE]
    assert pair.client.pending_requests == pair.server.pending_requests == 1
    assert request_state_of(pair.client) is CycleState.EXTENDED
    events = pair.to_client(BindComplete(), DataRow((b"ok",)), CommandComplete("SELECT 1"), IDLE)
    assert rows_of(events) == [(b"ok",)]
    assert pair.client.is_ready


def test_equal_bind_and_command_completes_in_a_row_are_one_completion_run() -> None:
    pair = ready_pair()
    request = [Parse("", "INSERT"), *[Bind("", ""), Execute()] * 7, Sync()]
    assert pair.to_server(*request) == request
    insert = [BindComplete(), CommandComplete("INSERT 0 1")]
    update = [BindComplete(), CommandComplete("UPDATE 2")]
    events = pair.to_client(
        ParseComplete(),
        *insert * 3,
        *update,
        *insert,
        BindComplete(),
        DataRow((b"1",)),
        CommandComplete("SELECT 1"),
    )
    assert without_rows(events) == [
        ParseComplete(),
        CompletionRun("INSERT 0 1", 3),
        CompletionRun("UPDATE 2", 1),
        CompletionRun("INSERT 0 1", 1),
        BindComplete(),  # rows follow: not a run
        CommandComplete("SELECT 1"),
    ]
    assert list(CompletionRun("INSERT 0 1", 2).messages()) == insert * 2
    # The run ends where a longer message starts (found by halving), here an error.
    error = ErrorResponse((("S", "ERROR"), ("C", "22012"), ("M", "division by zero " * 20)))
    assert pair.to_client(*insert, error, IDLE) == [CompletionRun("INSERT 0 1", 1), error, IDLE]
    assert pair.client.is_ready


@pytest.mark.parametrize("status", list(TransactionStatus))
def test_ready_for_query_sets_the_status_in_any_chunking(status: TransactionStatus) -> None:
    pair = ready_pair()
    pair.to_server(Query("BEGIN"))
    data = ReadyForQuery(status).encode()
    pair.client.receive_data(data[:3])
    assert pair.client.next_event() is NEED_DATA
    pair.client.receive_data(data[3:])
    assert pair.client.next_event() == ReadyForQuery(status)
    assert pair.client.transaction_status is status and pair.client.is_ready


def test_ready_for_query_with_an_unknown_status_is_a_protocol_error() -> None:
    pair = ready_pair()
    pair.to_server(Query("SELECT 1"))
    pair.client.receive_data(b"Z\x00\x00\x00\x05X")
    with pytest.raises(RemoteProtocolError, match="ReadyForQuery"):
        pair.client.next_event()


def test_a_completion_run_outside_an_extended_query_is_a_protocol_error() -> None:
    pair = ready_pair()
    pair.to_server(Query("SELECT 1"))
    pair.client.receive_data(BindComplete().encode() + CommandComplete("INSERT 0 1").encode())
    with pytest.raises(RemoteProtocolError, match="BindComplete is not allowed"):
        pair.client.next_event()


def start_copy_in(pair: Pair) -> None:
    pair.to_server(Query("COPY t FROM STDIN"))
    assert pair.to_client(CopyInResponse(0, (0, 0))) == [CopyInResponse(0, (0, 0))]
    assert request_state_of(pair.client) is request_state_of(pair.server) is CycleState.COPY_IN


def test_copy_in_simple_query() -> None:
    pair = ready_pair()
    start_copy_in(pair)
    chunks = [CopyData(b"1\tx\n"), CopyData(b"2\ty\n")]
    assert pair.to_server(*chunks) == chunks
    assert request_state_of(pair.server) is CycleState.COPY_IN
    assert pair.to_server(CopyDone()) == [CopyDone()]
    assert request_state_of(pair.client) is request_state_of(pair.server) is CycleState.QUERY
    with pytest.raises(LocalProtocolError):
        pair.client.send(CopyData(b"late\n"))
    assert pair.to_client(CommandComplete("COPY 2"), IDLE) == [CommandComplete("COPY 2"), IDLE]
    assert pair.client.is_ready


def test_copy_in_aborted_by_copy_fail() -> None:
    pair = ready_pair()
    start_copy_in(pair)
    assert pair.to_server(CopyData(b"1\n"), CopyFail("user gave up")) == [
        CopyData(b"1\n"),
        CopyFail("user gave up"),
    ]
    assert request_state_of(pair.client) is CycleState.QUERY
    error = ErrorResponse((("S", "ERROR"), ("C", "57014"), ("M", "COPY from stdin failed: user gave up")))
    assert pair.to_client(error, IDLE) == [error, IDLE]
    assert pair.client.is_ready


def test_copy_in_failed_by_the_server() -> None:
    pair = ready_pair()
    start_copy_in(pair)
    error = ErrorResponse((("S", "ERROR"), ("C", "22P02"), ("M", "bad input")))
    assert pair.to_client(error) == [error]
    assert request_state_of(pair.client) is CycleState.COPY_IN_FAILED
    # Data already on its way is dropped by the server ("COPY Operations"): still allowed.
    assert pair.to_server(CopyData(b"more\n"), CopyDone()) == [CopyData(b"more\n"), CopyDone()]
    assert pair.to_client(IDLE) == [IDLE]
    assert pair.client.is_ready


def test_copy_in_extended_query_needs_a_second_sync() -> None:
    pair = ready_pair()
    batch = [Parse("", "COPY t FROM STDIN"), Bind("", ""), Execute(), Sync()]
    pair.to_server(*batch)
    assert pair.client.pending_requests == 1
    copy_in = CopyInResponse(0, (0,))
    assert pair.to_client(ParseComplete(), BindComplete(), copy_in) == [
        ParseComplete(),
        BindComplete(),
        copy_in,
    ]
    assert request_state_of(pair.client) is request_state_of(pair.server) is CycleState.COPY_IN
    # The Sync sent with the batch reached the server in copy-in mode, which ignores it.
    assert pair.to_server(CopyData(b"1\n"), Sync(), CopyDone()) == [CopyData(b"1\n"), Sync(), CopyDone()]
    assert request_state_of(pair.client) is request_state_of(pair.server) is CycleState.EXTENDED
    assert pair.client.pending_requests == 1
    with pytest.raises(LocalProtocolError):
        pair.client.send(Query("SELECT 1"))
    assert pair.to_client(CommandComplete("COPY 1")) == [CommandComplete("COPY 1")]
    # The batch is open again: ReadyForQuery cannot come before the second Sync.
    with pytest.raises(LocalProtocolError):
        pair.server.send(IDLE)
    assert pair.server.pending_requests == 1
    assert pair.to_server(Sync()) == [Sync()]
    assert pair.to_client(IDLE) == [IDLE]
    assert pair.client.is_ready
    assert pair.server.pending_requests == 0


def test_copy_out() -> None:
    pair = ready_pair()
    pair.to_server(Query("COPY t TO STDOUT"))
    events = pair.to_client(CopyOutResponse(0, (0,)), CopyData(b"a\n"), CopyData(b"b\n"))
    # The client asked for batch events: the two CopyData come as one run.
    assert events == [CopyOutResponse(0, (0,)), CopyDataRun(b"a\nb\n", 2)]
    assert request_state_of(pair.client) is CycleState.COPY_OUT
    # The client sends no copy messages in COPY OUT.
    with pytest.raises(LocalProtocolError):
        pair.client.send(CopyData(b"x"))
    assert pair.to_client(CopyDone(), CommandComplete("COPY 2"), IDLE) == [
        CopyDone(),
        CommandComplete("COPY 2"),
        IDLE,
    ]
    assert pair.client.is_ready


def test_copy_both() -> None:
    pair = ready_pair()
    pair.to_server(Query("START_REPLICATION SLOT s LOGICAL 0/0"))
    assert pair.to_client(CopyBothResponse(1, (1,)), CopyData(b"w")) == [
        CopyBothResponse(1, (1,)),
        CopyData(b"w"),
    ]
    assert pair.to_server(CopyData(b"r")) == [CopyData(b"r")]
    assert request_state_of(pair.client) is request_state_of(pair.server) is CycleState.COPY_BOTH
    # The client ends its direction first; the server may still send.
    assert pair.to_server(CopyDone()) == [CopyDone()]
    assert request_state_of(pair.client) is CycleState.COPY_OUT
    last: list[ClientEvent] = [CopyData(b"w2"), CopyDone()]
    assert pair.to_client(CopyData(b"w2"), CopyDone()) == last
    assert request_state_of(pair.client) is CycleState.QUERY
    assert pair.to_client(CommandComplete("START_REPLICATION"), IDLE)[-1] == IDLE
    assert pair.client.is_ready


def test_copy_both_server_ends_first() -> None:
    pair = ready_pair()
    pair.to_server(Query("START_REPLICATION SLOT s LOGICAL 0/0"))
    pair.to_client(CopyBothResponse(1, ()), CopyDone())
    assert request_state_of(pair.client) is CycleState.COPY_IN
    assert pair.to_server(CopyData(b"r"), CopyDone()) == [CopyData(b"r"), CopyDone()]
    assert pair.to_client(CommandComplete("x"), IDLE) == [CommandComplete("x"), IDLE]
    assert pair.client.is_ready


def test_function_call() -> None:
    pair = ready_pair()
    call = FunctionCall(1598, (1,), (b"\x00\x00\x00\x05",), 1)
    assert pair.to_server(call) == [call]
    assert request_kind_of(pair.client) is CycleKind.FUNCTION
    assert request_state_of(pair.client) is CycleState.FUNCTION
    assert pair.to_client(FunctionCallResponse(b"\x00\x00\x00\x06"), IDLE) == [
        FunctionCallResponse(b"\x00\x00\x00\x06"),
        IDLE,
    ]
    assert pair.client.is_ready


def test_asynchronous_messages_in_the_middle_of_a_query() -> None:
    # "Asynchronous Operations": the server may send these between any two messages.
    pair = ready_pair()
    pair.to_server(Query("SELECT pg_notify('c', 'p'), x FROM t"))
    notice = NoticeResponse((("S", "NOTICE"), ("M", "hello")))
    notification = NotificationResponse(77, "c", "p")
    events = pair.to_client(
        RowDescription((column("x"),)),
        DataRow((b"1",)),
        notice,
        DataRow((b"2",)),
        notification,
        ParameterStatus("TimeZone", "UTC"),
        DataRow((b"3",)),
        CommandComplete("SELECT 3"),
        IDLE,
    )
    assert rows_of(events) == [(b"1",), (b"2",), (b"3",)]
    assert without_rows(events) == [
        RowDescription((column("x"),)),
        notice,
        notification,
        ParameterStatus("TimeZone", "UTC"),
        CommandComplete("SELECT 3"),
        IDLE,
    ]
    assert pair.client.parameters["TimeZone"] == "UTC"
    # Between queries too.
    assert pair.to_client(notification) == [notification]
    assert pair.client.is_ready


def test_fatal_error_with_no_request_in_progress() -> None:
    # pg_terminate_backend: FATAL 57P01 arrives unprompted, then the server closes.
    pair = ready_pair()
    fatal = ErrorResponse((("S", "FATAL"), ("V", "FATAL"), ("C", "57P01"), ("M", "terminating connection")))
    assert pair.to_client(fatal) == [fatal]
    assert phase_of(pair.client) is Phase.READY
    pair.client.receive_data(b"")
    assert drain(pair.client) == [ConnectionClosed()]
    assert phase_of(pair.client) is Phase.CLOSED


def test_terminate() -> None:
    pair = ready_pair()
    assert pair.to_server(Terminate()) == [Terminate()]
    assert phase_of(pair.client) is phase_of(pair.server) is Phase.CLOSED
    with pytest.raises(LocalProtocolError):
        pair.client.send(Query("SELECT 1"))
    pair.server.receive_data(b"")
    assert drain(pair.server) == [ConnectionClosed()]


def test_eof_at_a_message_boundary() -> None:
    pair = ready_pair()
    pair.to_server(Query("SELECT 1"))
    pair.client.receive_data(pair.server.send(RowDescription(())))
    pair.client.receive_data(b"")
    assert drain(pair.client) == [RowDescription(()), ConnectionClosed()]
    # The stream ended: ConnectionClosed again, never another message.
    assert pair.client.next_event() == ConnectionClosed()
    assert phase_of(pair.client) is Phase.CLOSED
    assert pair.client.pending_requests == 0
    with pytest.raises(LocalProtocolError):
        pair.client.send(Query("SELECT 1"))


@pytest.mark.parametrize("cut", [1, 3, 5, 9])
def test_eof_in_the_middle_of_a_message(cut: int) -> None:
    pair = ready_pair()
    pair.to_server(Query("SELECT 1"))
    data = pair.server.send(CommandComplete("SELECT 1"))
    pair.client.receive_data(data[:cut])
    assert pair.client.next_event() is NEED_DATA
    pair.client.receive_data(b"")
    with pytest.raises(RemoteProtocolError, match="middle of a message") as first:
        pair.client.next_event()
    for _ in range(3):
        with pytest.raises(RemoteProtocolError) as again:
            pair.client.next_event()
        assert again.value is first.value
    assert phase_of(pair.client) is Phase.CLOSED


def test_cancel_request_on_a_fresh_connection() -> None:
    # "Canceling Requests in Progress": a new connection, one packet, no answer, then closed.
    pair = Pair()
    cancel = CancelRequest(4242, b"\x01\x02\x03\x04")
    (event,) = pair.to_server(cancel)
    assert isinstance(event, CancelRequest)
    assert (event.process_id, event.secret_key) == (4242, b"\x01\x02\x03\x04")
    assert phase_of(pair.client) is phase_of(pair.server) is Phase.CANCEL_SENT
    with pytest.raises(LocalProtocolError):
        pair.client.send(Query("SELECT 1"))
    with pytest.raises(LocalProtocolError):
        pair.server.send(AuthenticationOk())
    pair.client.receive_data(b"")
    assert drain(pair.client) == [ConnectionClosed()]
    pair.server.receive_data(b"")
    assert drain(pair.server) == [ConnectionClosed()]
