"""BindExecuteBatch: a run of Bind/Execute pairs encoded in one pass, checked as its messages."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

import pgwire
from pgwire import BindExecuteBatch, ClientConnection, LocalProtocolError

values = st.one_of(st.none(), st.binary(max_size=20))


def ready_client() -> ClientConnection:
    client = ClientConnection()
    client.send(pgwire.StartupMessage((("user", "u"),)))
    client.receive_data(
        pgwire.AuthenticationOk().encode() + pgwire.ReadyForQuery(pgwire.TransactionStatus.IDLE).encode()
    )
    while client.next_event() is not pgwire.NEED_DATA:
        pass
    return client


@given(
    st.text(alphabet=st.characters(blacklist_characters="\x00", blacklist_categories=["Cs"]), max_size=10),
    st.integers(0, 3).flatmap(lambda n: st.lists(st.tuples(*[values] * n), min_size=1, max_size=5)),
    st.lists(st.integers(0, 1), max_size=3),
    st.integers(0, 10),
)
def test_bytes_are_the_messages_bytes(
    statement: str, rows: list[tuple[bytes | None, ...]], result_formats: list[int], max_rows: int
) -> None:
    batch = BindExecuteBatch(statement, (1,), rows, tuple(result_formats), max_rows)
    expected = b"".join(message.encode() for message in batch.messages())
    assert batch.encode() == expected
    assert len(batch) == len(rows)


@pytest.mark.parametrize("count", [0, 1, 32, 33, 100])
def test_every_row_width_encodes_as_the_messages(count: int) -> None:
    # Up to 32 values a row goes through a loop written for its width, beyond through the
    # general loop: both give the messages' bytes, NULLs and empty values included.
    rows = [
        tuple(None if i % 3 == 0 else bytes([i % 256]) * (i % 4) for i in range(count + row))
        for row in (0, 0)
    ]
    rows.append(tuple(b"x" for _ in range(count)))
    batch = BindExecuteBatch("s", (1,), rows, (0,), 5)
    assert batch.encode() == b"".join(message.encode() for message in batch.messages())


def test_sent_as_its_messages_would_be() -> None:
    rows = [(b"1", None), (b"22", b"x")]
    batch = BindExecuteBatch("s1", (1, 0), rows, (1,))
    one = ready_client()
    other = ready_client()
    assert one.send_many([batch, pgwire.Sync()]) == other.send_many([*batch.messages(), pgwire.Sync()])
    assert one.pending_requests == other.pending_requests == 1


class FlakyValue(bytes):
    """A value whose length fails to be read the first time."""

    reads = 0

    def __len__(self) -> int:
        FlakyValue.reads += 1
        if FlakyValue.reads == 1:
            raise OSError("the first read fails")
        return bytes.__len__(self)


def test_an_error_of_the_fast_loop_is_never_swallowed() -> None:
    # The checked loop, run to name the fault, finds none: the fast loop's error stands.
    FlakyValue.reads = 0
    with pytest.raises(OSError, match="the first read fails"):
        BindExecuteBatch("s", (), [(FlakyValue(b"1"),)]).encode()
    assert FlakyValue.reads > 1  # the checked loop ran too


def test_refused_whole_when_rows_differ_or_state_forbids() -> None:
    client = ready_client()
    with pytest.raises(LocalProtocolError, match=r"rows\[1\] has 1 values, the first row 2"):
        client.send(BindExecuteBatch("s", (), [(b"1", b"2"), (b"3",)]))
    with pytest.raises(LocalProtocolError, match="NUL"):
        client.send(BindExecuteBatch("bad\x00name", (), [(b"1",)]))
    assert client.pending_requests == 0  # nothing was applied
    assert BindExecuteBatch("s", (), []).encode() == b""


def test_events_are_one_message_each_unless_batch_events() -> None:
    answers = (pgwire.BindComplete().encode() + pgwire.CommandComplete("INSERT 0 1").encode()) * 3
    answers += pgwire.DataRow((b"1",)).encode() * 2
    events = {}
    for batch in (False, True):
        client = ready_client()
        client.batch_events = batch
        client.send_many((BindExecuteBatch("", (), [()] * 4, (), 0), pgwire.Sync()))
        client.receive_data(answers)
        kinds = []
        while (event := client.next_event()) is not pgwire.NEED_DATA:
            kinds.append(event)
        events[batch] = kinds
    pair = [pgwire.BindComplete(), pgwire.CommandComplete("INSERT 0 1")]
    assert events[False] == [*pair * 3, pgwire.DataRow((b"1",)), pgwire.DataRow((b"1",))]
    assert events[True][0] == pgwire.CompletionRun("INSERT 0 1", 3)
    rows = events[True][1]
    assert isinstance(rows, pgwire.DataRowBatch) and len(rows) == 2


def test_batch_events_must_be_a_bool() -> None:
    with pytest.raises(TypeError, match="batch_events must be a bool, got 'yes'"):
        ClientConnection(batch_events="yes")  # type: ignore[arg-type]  # the wrong type on purpose
