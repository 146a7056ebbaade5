"""The whole answer to one extended-query request as one event (``CycleReply``, batch events).

A reply that one read brought whole (BindComplete, DataRows, CommandComplete, ReadyForQuery,
nothing after it) is one event; anything else, and any fault, goes message by message, so the
events and the errors are those of the plain path, whatever the chunking.
"""

from __future__ import annotations

import pytest

from pgwire import (
    NEED_DATA,
    Bind,
    BindComplete,
    ClientConnection,
    ClientEvent,
    CommandComplete,
    CycleReply,
    DataRow,
    DataRowBatch,
    Execute,
    Flush,
    PortalSuspended,
    ReadyForQuery,
    RemoteProtocolError,
    Sync,
    TransactionStatus,
)
from pgwire._message import BackendMessage
from tests.pgwire.test_states import ready_client

ROWS = [DataRow((b"1", None)), DataRow((b"22", b"x")), DataRow((b"333", b""))]
ANSWER: list[BackendMessage] = [
    BindComplete(),
    *ROWS,
    CommandComplete("SELECT 3"),
    ReadyForQuery(TransactionStatus.IN_TRANSACTION),
]


def requested(batch: bool = True, requests: int = 1) -> ClientConnection:
    client = ready_client()
    client.batch_events = batch
    for _ in range(requests):
        client.send_many((Bind("", "s"), Execute(""), Sync()))
    return client


def events_of(client: ClientConnection, chunks: list[bytes]) -> list[ClientEvent]:
    events: list[ClientEvent] = []
    for chunk in chunks:
        client.receive_data(chunk)
        while (event := client.next_event()) is not NEED_DATA:
            events.append(event)
    return events


def as_messages(events: list[ClientEvent]) -> list[object]:
    """Events as the messages they stand for (batches expanded)."""
    out: list[object] = []
    for event in events:
        if isinstance(event, CycleReply):
            out += list(event.messages())
        elif isinstance(event, DataRowBatch):
            out += [DataRow(values) for values in event.rows()]
        else:
            out.append(event)
    return out


def encoded(messages: list[BackendMessage]) -> bytes:
    return b"".join(message.encode() for message in messages)


def test_an_answer_in_one_read_is_one_event() -> None:
    client = requested()
    (event,) = events_of(client, [encoded(ANSWER)])
    assert isinstance(event, CycleReply)
    assert event.rows is not None and list(event.rows.rows()) == [row.values for row in ROWS]
    assert (event.tag, event.status) == ("SELECT 3", TransactionStatus.IN_TRANSACTION)
    assert client.transaction_status is TransactionStatus.IN_TRANSACTION
    assert client.pending_requests == 0 and client.is_ready
    assert list(event.messages()) == ANSWER
    assert repr(event) == "<CycleReply rows=3 tag='SELECT 3' status=IN_TRANSACTION>"


def test_an_answer_without_rows() -> None:
    client = requested()
    answer: list[BackendMessage] = [
        BindComplete(),
        CommandComplete("INSERT 0 1"),
        ReadyForQuery(TransactionStatus.IDLE),
    ]
    (event,) = events_of(client, [encoded(answer)])
    assert isinstance(event, CycleReply) and event.rows is None and event.tag == "INSERT 0 1"
    assert list(event.messages()) == answer


SUSPENDED: list[BackendMessage] = [
    BindComplete(),
    ROWS[0],
    PortalSuspended(),
    ReadyForQuery(TransactionStatus.IDLE),
]


def test_a_suspended_portal_is_one_event_too() -> None:
    # fetchrow's Execute asks for one row: the portal is suspended, not completed.
    (event,) = events_of(requested(), [encoded(SUSPENDED)])
    assert isinstance(event, CycleReply) and event.suspended and event.tag == ""
    assert event.rows is not None and list(event.rows.rows()) == [ROWS[0].values]
    assert list(event.messages()) == SUSPENDED
    assert repr(event) == "<CycleReply rows=1 suspended status=IDLE>"
    empty = [BindComplete(), PortalSuspended(), ReadyForQuery(TransactionStatus.IDLE)]
    (event,) = events_of(requested(), [encoded(empty)])
    assert isinstance(event, CycleReply) and event.suspended and event.rows is None


@pytest.mark.parametrize("cut", range(1, len(encoded(SUSPENDED))))
def test_a_suspended_answer_cut_in_two_gives_the_same_messages(cut: int) -> None:
    data = encoded(SUSPENDED)
    assert as_messages(events_of(requested(), [data[:cut], data[cut:]])) == SUSPENDED


@pytest.mark.parametrize("cut", range(1, len(encoded(ANSWER))))
def test_an_answer_cut_in_two_gives_the_same_messages(cut: int) -> None:
    data = encoded(ANSWER)
    events = events_of(requested(), [data[:cut], data[cut:]])
    assert as_messages(events) == ANSWER
    assert not any(isinstance(event, CycleReply) for event in events)


def test_pipelined_answers_go_message_by_message_until_the_last() -> None:
    client = requested(requests=2)
    events = events_of(client, [encoded(ANSWER * 2)])
    assert as_messages(events) == ANSWER * 2
    # The first answer has the second after it in the buffer; the second ends it.
    assert [type(event).__name__ for event in events][-1] == "CycleReply"
    assert client.pending_requests == 0


def test_is_drained_says_when_next_event_would_need_data() -> None:
    client = requested()
    assert client.is_drained()
    data = encoded(ANSWER)
    client.receive_data(data[:7])
    assert not client.is_drained()  # a BindComplete and part of a DataRow
    client.receive_data(data[7:])
    assert not client.is_drained()
    events: list[ClientEvent] = []
    while not client.is_drained():
        event = client.next_event()
        assert event is not NEED_DATA
        events.append(event)
    assert as_messages(events) == ANSWER and client.next_event() is NEED_DATA
    client = requested()
    client.receive_data(data)
    assert isinstance(client.next_event(), CycleReply) and client.is_drained()
    client.receive_data(b"")  # the end of the stream: next_event has ConnectionClosed to give
    assert not client.is_drained()


def test_without_batch_events_every_message_is_an_event() -> None:
    events = events_of(requested(batch=False), [encoded(ANSWER)])
    assert events == ANSWER


def error_of(client: ClientConnection, data: bytes) -> str:
    client.receive_data(data)
    with pytest.raises(RemoteProtocolError) as caught:
        while client.next_event() is not NEED_DATA:
            pass
    return str(caught.value)


@pytest.mark.parametrize(
    "data",
    [
        # ReadyForQuery with an unknown transaction status.
        encoded(ANSWER[:-1]) + b"Z\x00\x00\x00\x05?",
        # CommandComplete without its terminating zero byte.
        encoded(ANSWER[:-2]) + b"C\x00\x00\x00\x0cSELECT 3" + encoded(ANSWER[-1:]),
        # A DataRow with a length below 4, after a good one.
        encoded(ANSWER[:2]) + b"D\x00\x00\x00\x02" + encoded(ANSWER[-2:]),
    ],
    ids=["bad-status", "unterminated-tag", "row-length"],
)
def test_a_faulty_answer_fails_as_it_does_message_by_message(data: bytes) -> None:
    assert error_of(requested(batch=True), data) == error_of(requested(batch=False), data)


def test_ready_for_query_before_the_sync_was_sent_is_refused_as_on_the_plain_path() -> None:
    messages = []
    for batch in (True, False):
        client = ready_client()
        client.batch_events = batch
        client.send_many((Bind("", "s"), Execute(""), Flush()))
        messages.append(error_of(client, encoded(ANSWER)))
    assert messages[0] == messages[1]
    assert "whose Sync was not sent" in messages[0]
