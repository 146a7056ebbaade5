"""Properties of both connection roles, checked with hypothesis.

(a) The events do not depend on how the byte stream is cut into chunks. (b) Arbitrary bytes give
events or a ProtocolError, never another exception, and the buffered bytes stay bounded by
``max_message_size``. (c) Any sequence of valid backend messages after a Query is accepted or
refused message by message, and the client and the server agree on which.
"""

from __future__ import annotations

import itertools

from hypothesis import given, settings
from hypothesis import strategies as st

from pgwire import (
    NEED_DATA,
    AuthenticationCleartextPassword,
    AuthenticationOk,
    BackendKeyData,
    BackendMessage,
    Bind,
    BindComplete,
    ClientConnection,
    ClientEvent,
    CommandComplete,
    CompletionRun,
    ConnectionClosed,
    CycleReply,
    DataRow,
    DataRowBatch,
    ErrorResponse,
    Execute,
    FieldDescription,
    FrontendMessage,
    LocalProtocolError,
    NoticeResponse,
    NotificationResponse,
    ParameterStatus,
    Parse,
    ParseComplete,
    PasswordMessage,
    Phase,
    ProtocolError,
    Query,
    ReadyForQuery,
    RemoteProtocolError,
    RowDescription,
    ServerConnection,
    ServerEvent,
    SSLRequest,
    StartupMessage,
    Sync,
    Terminate,
    TransactionStatus,
)
from tests.pgwire.strategies import backend_messages, messages_of, nullable_binaries

STARTUP = StartupMessage((("user", "alice"), ("database", "db")))
IDLE = ReadyForQuery(TransactionStatus.IDLE)
QUERY = Query("SELECT x FROM t")
SMALL = 64  # max_message_size for the fuzz tests


def chunked(data: bytes, cuts: list[int]) -> list[bytes]:
    """``data`` cut at the given offsets, without empty chunks (``b""`` means end of stream)."""
    points = [0, *sorted(cut % (len(data) + 1) for cut in cuts), len(data)]
    return [data[start:end] for start, end in itertools.pairwise(points) if end > start]


Normalized = tuple[str, object]


def normalize(event: ClientEvent) -> list[Normalized]:
    """Batches may be split differently: compare them row by row (one DataRow message, or one
    row of a DataRowBatch event, with ``batch_events``)."""
    if isinstance(event, DataRow):
        return [("row", event.values)]
    if isinstance(event, DataRowBatch):
        return [("row", row) for row in event.rows()]
    if isinstance(event, CompletionRun):
        return [("event", message) for message in event.messages()]
    if isinstance(event, CycleReply):
        return [item for message in event.messages() for item in normalize(message)]
    return [("event", event)]


# -- (a) chunking invariance ---------------------------------------------------------------------------

rows = st.lists(st.lists(nullable_binaries, min_size=1, max_size=3).map(tuple), max_size=8)
asynchronous = st.one_of(
    messages_of(NoticeResponse), messages_of(NotificationResponse), messages_of(ParameterStatus)
)


@st.composite
def server_streams(draw: st.DrawFn) -> list[BackendMessage]:
    """Startup answers, then the answers to QUERY with rows and asynchronous messages among them."""
    messages: list[BackendMessage] = [
        AuthenticationOk(),
        ParameterStatus("server_version", "17.0"),
        ParameterStatus("client_encoding", "UTF8"),
        BackendKeyData(7, b"\x00\x01\x02\x03"),
        IDLE,
        RowDescription((FieldDescription("x", 0, 0, 25, -1, -1, 0),)),
    ]
    for values in draw(rows):
        messages.append(DataRow(values))
        messages.extend(draw(st.lists(asynchronous, max_size=1)))
    messages += [CommandComplete("SELECT"), ReadyForQuery(TransactionStatus.IN_TRANSACTION)]
    return messages


def client_events(stream: bytes, chunks: list[bytes], batch: bool) -> list[Normalized]:
    client = ClientConnection(batch_events=batch)
    client.send(STARTUP)
    events: list[Normalized] = []
    for chunk in chunks:
        client.receive_data(chunk)
        while (event := client.next_event()) is not NEED_DATA:
            events += normalize(event)
            if event == IDLE:
                client.send(QUERY)  # answered by the rest of the stream
    assert client.is_ready
    client.receive_data(b"")
    assert client.next_event() == ConnectionClosed()
    return events


@given(server_streams(), st.lists(st.integers(min_value=0), max_size=20), st.booleans())
def test_client_events_do_not_depend_on_chunking(
    messages: list[BackendMessage], cuts: list[int], batch: bool
) -> None:
    stream = b"".join(message.encode() for message in messages)
    whole = client_events(stream, [stream], batch)
    assert client_events(stream, chunked(stream, cuts), batch) == whole
    assert client_events(stream, [stream[i : i + 1] for i in range(len(stream))], batch) == whole
    expected: list[Normalized] = []
    for message in messages:
        expected += [("row", message.values)] if isinstance(message, DataRow) else [("event", message)]
    assert whole == expected


@st.composite
def pipeline_answers(draw: st.DrawFn) -> tuple[int, list[BackendMessage]]:
    """How many Bind/Execute pairs a pipeline sends, and the server's answer to it.

    Each execution is answered by BindComplete and a CommandComplete (a few tags, so that runs
    of equal pairs form and break) or by rows; an error ends the answers before Sync.
    """
    executions = draw(st.integers(min_value=1, max_value=30))
    tags = st.sampled_from(["INSERT 0 1", "INSERT 0 1", "UPDATE 12", ""])
    messages: list[BackendMessage] = [ParseComplete()]
    for _ in range(executions):
        if draw(st.integers(0, 9)) == 0:
            messages.append(ErrorResponse((("S", "ERROR"), ("C", "22012"), ("M", "division by zero"))))
            break
        messages.append(BindComplete())
        if draw(st.booleans()) and draw(st.booleans()):
            messages.append(DataRow((b"1",)))
        messages.extend(draw(st.lists(asynchronous, max_size=1)))
        messages.append(CommandComplete(draw(tags)))
    messages.append(IDLE)
    return executions, messages


@given(pipeline_answers(), st.lists(st.integers(min_value=0), max_size=20), st.booleans())
def test_pipeline_answers_do_not_depend_on_chunking(
    case: tuple[int, list[BackendMessage]], cuts: list[int], batch: bool
) -> None:
    # BindComplete + CommandComplete pairs come as CompletionRun events, as many per event as
    # the chunk holds in a row: message by message, the events are the same for any cutting.
    executions, messages = case
    request = [Parse("", "INSERT"), *[Bind("", ""), Execute()] * executions, Sync()]
    stream = b"".join(message.encode() for message in messages)

    def events(chunks: list[bytes]) -> list[Normalized]:
        client = ClientConnection(batch_events=batch)
        client.send(STARTUP)
        client.receive_data(AuthenticationOk().encode() + IDLE.encode())
        while client.next_event() is not NEED_DATA:
            pass
        client.send_many(request)
        seen: list[Normalized] = []
        for chunk in chunks:
            client.receive_data(chunk)
            while (event := client.next_event()) is not NEED_DATA:
                seen += normalize(event)
        assert client.is_ready
        return seen

    expected: list[Normalized] = []
    for message in messages:
        expected += [("row", message.values)] if isinstance(message, DataRow) else [("event", message)]
    assert events([stream]) == expected
    assert events(chunked(stream, cuts)) == expected
    assert events([stream[i : i + 1] for i in range(len(stream))]) == expected


CLIENT_STREAM: list[FrontendMessage] = [
    STARTUP,
    PasswordMessage("pw"),
    QUERY,
    Parse("", "SELECT $1"),
    Bind("", "", (), (b"1",), ()),
    Execute(),
    Sync(),
    Terminate(),
]


def server_events(chunks: list[bytes]) -> list[ServerEvent]:
    server = ServerConnection()
    events: list[ServerEvent] = []
    for chunk in chunks:
        server.receive_data(chunk)
        while (event := server.next_event()) is not NEED_DATA:
            events.append(event)
            # The server's turns, as soon as the message they answer is seen.
            if isinstance(event, StartupMessage):
                server.send(AuthenticationCleartextPassword())
            elif isinstance(event, PasswordMessage):
                server.send_many([AuthenticationOk(), IDLE])
    server.receive_data(b"")
    assert server.next_event() == ConnectionClosed()
    assert server.phase is Phase.CLOSED
    return events


@given(st.lists(st.integers(min_value=0), max_size=20))
def test_server_events_do_not_depend_on_chunking(cuts: list[int]) -> None:
    stream = b"".join(message.encode() for message in CLIENT_STREAM)
    assert server_events(chunked(stream, cuts)) == CLIENT_STREAM


def test_server_events_byte_at_a_time() -> None:
    stream = b"".join(message.encode() for message in CLIENT_STREAM)
    assert server_events([stream[i : i + 1] for i in range(len(stream))]) == CLIENT_STREAM


# -- (b) fuzzing ---------------------------------------------------------------------------------------


def rows_are_valid(batch: DataRowBatch) -> bool:
    """Whether every row decodes; a malformed one is a RemoteProtocolError, nothing else."""
    try:
        list(batch.rows())
    except RemoteProtocolError:
        return False
    return True


def pump_client(client: ClientConnection, chunks: list[bytes]) -> None:
    """Feed ``chunks``; every step gives events or a ProtocolError, and the buffer stays bounded."""
    fed = 0
    try:
        for chunk in chunks:
            client.receive_data(chunk)
            fed += len(chunk)
            while (event := client.next_event()) is not NEED_DATA:
                if isinstance(event, DataRowBatch) and not rows_are_valid(event):
                    return  # the consumer finds out, and gives the connection up
                if isinstance(event, ConnectionClosed):
                    return
            buffered = client._framer.buffered
            # A partial message is at most its 5-byte header plus max_message_size bytes.
            assert buffered <= fed
            assert buffered < 5 + SMALL
        client.receive_data(b"")
        while (event := client.next_event()) is not NEED_DATA:
            if isinstance(event, ConnectionClosed):
                return
        raise AssertionError("the end of the stream never came out as an event")
    except ProtocolError:
        # The error sticks.
        try:
            client.next_event()
        except ProtocolError:
            return
        raise AssertionError("next_event() after a ProtocolError did not raise") from None


def pump_server(server: ServerConnection, chunks: list[bytes]) -> None:
    fed = 0
    try:
        for chunk in chunks:
            server.receive_data(chunk)
            fed += len(chunk)
            while (event := server.next_event()) is not NEED_DATA:
                if isinstance(event, ConnectionClosed):
                    return
            buffered = server._framer.buffered
            assert buffered <= fed
            # Startup packets have their own limit (MAX_STARTUP_PACKET_SIZE); typed ones ours.
            assert buffered < max(5 + SMALL, 10000)
        server.receive_data(b"")
        while (event := server.next_event()) is not NEED_DATA:
            if isinstance(event, ConnectionClosed):
                return
        raise AssertionError("the end of the stream never came out as an event")
    except ProtocolError:
        try:
            server.next_event()
        except ProtocolError:
            return
        raise AssertionError("next_event() after a ProtocolError did not raise") from None


def ready_client(*requests: FrontendMessage) -> ClientConnection:
    client = ClientConnection(max_message_size=SMALL)
    client.send(STARTUP)
    client.receive_data(AuthenticationOk().encode() + IDLE.encode())
    assert client.next_event() == AuthenticationOk()
    assert client.next_event() == IDLE
    if requests:
        client.send_many(requests)
    return client


junk = st.lists(st.binary(min_size=1, max_size=40), max_size=8)
typed_junk = st.lists(
    st.tuples(st.sampled_from(b"RSKZTDCIEnNAGHWdcv12345st"), st.integers(-8, 80), st.binary(max_size=40)),
    max_size=8,
).map(
    lambda items: [
        bytes([code]) + length.to_bytes(4, "big", signed=True) + body for code, length, body in items
    ]
)
requests = st.sampled_from(
    [(), (QUERY,), (Parse("", "SELECT 1"), Bind("", ""), Execute(), Sync()), (QUERY, Sync())]
)


@given(requests, st.one_of(junk, typed_junk))
@settings(max_examples=300)
def test_client_in_ready_state_survives_arbitrary_bytes(
    sent: tuple[FrontendMessage, ...], chunks: list[bytes]
) -> None:
    pump_client(ready_client(*sent), chunks)


@given(st.one_of(junk, typed_junk))
def test_client_during_startup_survives_arbitrary_bytes(chunks: list[bytes]) -> None:
    client = ClientConnection(max_message_size=SMALL)
    client.send(STARTUP)
    pump_client(client, [AuthenticationOk().encode(), *chunks])


@given(st.one_of(junk, typed_junk))
def test_client_awaiting_ssl_answer_survives_arbitrary_bytes(chunks: list[bytes]) -> None:
    client = ClientConnection(max_message_size=SMALL)
    client.send(SSLRequest())
    pump_client(client, chunks)


@given(junk)
@settings(max_examples=300)
def test_server_survives_arbitrary_bytes(chunks: list[bytes]) -> None:
    pump_server(ServerConnection(max_message_size=SMALL), chunks)


@given(st.one_of(junk, typed_junk))
@settings(max_examples=300)
def test_server_after_startup_survives_arbitrary_bytes(chunks: list[bytes]) -> None:
    server = ServerConnection(max_message_size=SMALL)
    server.receive_data(STARTUP.encode())
    assert server.next_event() == STARTUP
    server.send_many([AuthenticationOk(), IDLE])
    pump_server(server, chunks)


@given(st.one_of(junk, typed_junk))
def test_server_awaiting_password_survives_arbitrary_bytes(chunks: list[bytes]) -> None:
    server = ServerConnection(max_message_size=SMALL)
    server.receive_data(STARTUP.encode())
    assert server.next_event() == STARTUP
    server.send(AuthenticationCleartextPassword())
    pump_server(server, chunks)


# -- (c) random backend messages after a Query ---------------------------------------------------------


@given(st.lists(backend_messages(), max_size=25), st.booleans())
@settings(max_examples=300)
def test_random_backend_messages_are_accepted_or_refused_alike(
    messages: list[BackendMessage], extended: bool
) -> None:
    sent: list[FrontendMessage] = (
        [Parse("", "SELECT 1"), Bind("", ""), Execute(), Sync()] if extended else [QUERY]
    )
    client = ClientConnection()
    client.send(STARTUP)
    server = ServerConnection()
    server.receive_data(STARTUP.encode())
    server.next_event()
    client.receive_data(server.send_many([AuthenticationOk(), IDLE]))
    assert [client.next_event(), client.next_event()] == [AuthenticationOk(), IDLE]
    server.receive_data(client.send_many(sent))
    assert [server.next_event() for _ in sent] == sent
    for message in messages:
        try:
            data = server.send(message)
        except LocalProtocolError:
            server_accepts = False
        else:
            server_accepts = True
        client.receive_data(message.encode())
        try:
            events = []
            while (event := client.next_event()) is not NEED_DATA:
                events += normalize(event)
        except RemoteProtocolError:
            assert not server_accepts, f"the server may send {message!r}, the client refused it"
            return
        assert server_accepts, f"the client accepted {message!r}, the server may not send it"
        assert data == message.encode()
        expected = [("row", message.values)] if isinstance(message, DataRow) else [("event", message)]
        assert events == expected
        assert (client.pending_requests, client.request_state) == (
            server.pending_requests,
            server.request_state,
        )
