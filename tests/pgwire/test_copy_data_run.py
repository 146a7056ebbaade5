"""The CopyData of a COPY OUT as one event (``CopyDataRun``, batch events), and its walk.

With batch events a run of CopyData messages in copy-out mode is one event carrying their
payloads joined; whatever the chunking, the data and the other events are those of the plain
path, and a fault is reported as the plain path reports it, after the data before it. In
copy-both mode, and without batch events, every CopyData stays a message of its own. (The
walk's compiled twin is checked against the pure one in ``test_row_walk.py``.)
"""

from __future__ import annotations

import itertools
import struct

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pgwire import (
    ClientConnection,
    CommandComplete,
    CopyBothResponse,
    CopyData,
    CopyDataRun,
    CopyDone,
    CopyOutResponse,
    Query,
    ReadyForQuery,
    RemoteProtocolError,
    TransactionStatus,
)
from tests.pgwire.test_cycle_reply import events_of
from tests.pgwire.test_states import ready_client

PAYLOADS = [b"1\n", b"", b"22\tx\n", b"333\n" * 50]
TAIL = [CopyDone(), CommandComplete("COPY 4"), ReadyForQuery(TransactionStatus.IDLE)]


def copying(batch: bool, response: CopyOutResponse | CopyBothResponse | None = None) -> ClientConnection:
    client = ready_client()
    client.batch_events = batch
    client.send(Query("COPY t TO STDOUT"))
    client.receive_data((response or CopyOutResponse(0, (0,))).encode())
    assert type(client.next_event()) is type(response or CopyOutResponse(0, (0,)))
    return client


def stream() -> bytes:
    return b"".join(CopyData(payload).encode() for payload in PAYLOADS) + b"".join(m.encode() for m in TAIL)


def test_one_read_of_copy_data_is_one_event() -> None:
    events = events_of(copying(batch=True), [stream()])
    assert events == [CopyDataRun(b"".join(PAYLOADS), len(PAYLOADS)), *TAIL]


@given(st.lists(st.integers(0, len(stream())), max_size=6))
def test_any_chunking_gives_the_same_data_and_messages(cuts: list[int]) -> None:
    data = stream()
    points = sorted({0, *cuts, len(data)})
    chunks = [data[a:b] for a, b in itertools.pairwise(points)]
    events = events_of(copying(batch=True), chunks)
    copied = [event for event in events if type(event) in (CopyData, CopyDataRun)]
    assert b"".join(event.data for event in copied if isinstance(event, CopyData | CopyDataRun)) == b"".join(
        PAYLOADS
    )
    assert sum(event.count if isinstance(event, CopyDataRun) else 1 for event in copied) == len(PAYLOADS)
    assert events[len(copied) :] == TAIL


def test_without_batch_events_or_in_copy_both_each_message_is_its_own() -> None:
    one_by_one = [CopyData(payload) for payload in PAYLOADS]
    assert events_of(copying(batch=False), [stream()]) == [*one_by_one, *TAIL]
    both = copying(batch=True, response=CopyBothResponse(0, ()))
    messages = b"".join(CopyData(payload).encode() for payload in PAYLOADS)
    assert events_of(both, [messages]) == one_by_one


def test_copy_both_data_stays_one_by_one_after_the_client_ends_its_side() -> None:
    # Replication: once the client sent CopyDone the cycle is in copy-out mode, but each
    # CopyData is still a message of its own.
    client = copying(batch=True, response=CopyBothResponse(0, ()))
    client.send(CopyDone())
    messages = b"".join(CopyData(payload).encode() for payload in PAYLOADS)
    assert events_of(client, [messages]) == [CopyData(payload) for payload in PAYLOADS]
    # The next COPY TO STDOUT is joined again.
    end = [CopyDone(), CommandComplete("START_REPLICATION"), ReadyForQuery(TransactionStatus.IDLE)]
    assert events_of(client, [b"".join(message.encode() for message in end)]) == end
    client.send(Query("COPY t TO STDOUT"))
    events = events_of(client, [CopyOutResponse(0, (0,)).encode() + messages])
    assert events[1:] == [CopyDataRun(b"".join(PAYLOADS), len(PAYLOADS))]


def test_a_faulty_copy_data_is_reported_after_the_data_before_it() -> None:
    good = b"".join(CopyData(payload).encode() for payload in PAYLOADS[:2])
    client = copying(batch=True)
    client.receive_data(good + b"d" + struct.pack("!i", 2) + b"rest")
    assert client.next_event() == CopyDataRun(b"".join(PAYLOADS[:2]), 2)
    with pytest.raises(RemoteProtocolError, match="length"):
        client.next_event()
