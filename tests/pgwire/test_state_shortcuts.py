"""The state machine's shortcuts agree with its tables, in every state they can meet.

``ProtocolState.extended_request`` applies a whole extended-query request (Parse, Bind,
Describe, Execute, Close, then Sync) in one step, ``extended_reply`` a whole answer
(BindComplete, DataRows, CommandComplete, ReadyForQuery); ``answers_leave_state`` says when the
client may skip ``backend()`` for BindComplete, DataRow and the other answers. Each is checked
here against ``frontend()`` / ``backend()`` message by message, in every phase and for every
queue of cycles up to two deep (each cycle of every kind, state, open or closed).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator, Sequence
from typing import TypeVar

import pytest

from pgwire import (
    Bind,
    BindComplete,
    BindExecuteBatch,
    Close,
    CommandComplete,
    CopyData,
    DataRow,
    Describe,
    Execute,
    Flush,
    Parse,
    Phase,
    PortalSuspended,
    Query,
    ReadyForQuery,
    Sync,
    TransactionStatus,
)
from pgwire._message import BackendMessage, FrontendMessage
from pgwire._states import EXTENDED_ANSWERS, CycleKind, CycleState, ProtocolState, Violation, _Cycle
from tests.pgwire.test_states import ready_client

T = TypeVar("T")
Snapshot = tuple[Phase, tuple[tuple[CycleKind, CycleState, bool], ...]]

_REQUESTS: tuple[tuple[type[FrontendMessage], ...], ...] = (
    (Bind, Execute),
    (Parse, Bind, Describe, Execute),
    (Parse, Describe),
    (Close, Close, Bind, Execute, Bind, Execute),
    (Describe,),
    (Close,),
)


def snapshot(state: ProtocolState) -> Snapshot:
    return state.phase, tuple((c.kind, c.state, c.open) for c in state._cycles)


def _cycle_options() -> list[_Cycle]:
    states = [s for s in CycleState if s not in (CycleState.DONE, CycleState.BASE)]
    return [_Cycle(kind, state, open=o) for kind in CycleKind for state in states for o in (False, True)]


def every_state() -> Iterator[ProtocolState]:
    """Every phase with no cycle; normal operation with every queue of up to two cycles."""
    for phase in Phase:
        state = ProtocolState()
        state.phase = phase
        yield state
    options = _cycle_options()
    for depth in (1, 2):
        for queue in itertools.product(options, repeat=depth):
            if any(c.open for c in queue[:-1]):
                continue  # only the newest cycle can be an open batch
            state = ProtocolState()
            state.phase = Phase.READY
            state._cycles.extend(_Cycle(c.kind, c.state, open=c.open) for c in queue)
            yield state


def one_by_one(state: ProtocolState, kinds: tuple[type[FrontendMessage], ...]) -> Snapshot | None:
    """The state after frontend() of each kind then Sync, or None if the table refuses one."""
    twin = state.copy()
    try:
        for kind in (*kinds, Sync):
            twin.frontend(kind)
    except Violation:
        return None
    return snapshot(twin)


def check_shortcut_against_tables(
    shortcut: Callable[[ProtocolState], bool],
    cases: Sequence[T],
    one_by_one_of: Callable[[ProtocolState, T], Snapshot | None],
) -> None:
    """In every state and case: the shortcut either gives the state that the tables give
    message by message, or declines and changes nothing (the caller then goes one by one)."""
    applied = skipped = 0
    for state in every_state():
        for case in cases:
            expected = one_by_one_of(state, case)
            before = snapshot(state)
            twin = state.copy()
            if shortcut(twin):
                applied += 1
                assert snapshot(twin) == expected, (before, case)
            else:
                skipped += 1
                assert snapshot(twin) == before
    assert applied and skipped


def test_the_request_shortcut_agrees_with_the_tables() -> None:
    check_shortcut_against_tables(ProtocolState.extended_request, _REQUESTS, one_by_one)


def test_the_request_shortcut_applies_in_normal_operation_outside_copy_in() -> None:
    for state in every_state():
        head = state._cycles[0].state if state._cycles else None
        expected = state.phase is Phase.READY and head not in (CycleState.COPY_IN, CycleState.COPY_BOTH)
        assert state.copy().extended_request() is expected


def test_the_answer_shortcut_agrees_with_the_tables() -> None:
    skipping = 0
    for state in every_state():
        if not state.answers_leave_state():
            continue
        skipping += 1
        for kind in EXTENDED_ANSWERS:
            twin = state.copy()
            twin.backend(kind)
            assert snapshot(twin) == snapshot(state), (snapshot(state), kind)
    assert skipping


def test_the_answer_shortcut_holds_for_an_extended_head_only() -> None:
    for state in every_state():
        head = state._cycles[0].state if state._cycles else None
        assert state.answers_leave_state() is (state.phase is Phase.READY and head is CycleState.EXTENDED)


def test_the_copy_out_shortcut_agrees_with_the_tables() -> None:
    # In copy-out mode a CopyData leaves the state as it is: a run of them needs no backend().
    copying = 0
    for state in every_state():
        head = state._cycles[0].state if state._cycles else None
        assert state.in_copy_out() is (state.phase is Phase.READY and head is CycleState.COPY_OUT)
        if state.in_copy_out():
            copying += 1
            twin = state.copy()
            twin.backend(CopyData)
            assert snapshot(twin) == snapshot(state)
    assert copying


def answered_one_by_one(state: ProtocolState, case: tuple[int, type[BackendMessage]]) -> Snapshot | None:
    """The state after backend() of BindComplete, ``rows`` DataRows, the end (CommandComplete
    or PortalSuspended) and ReadyForQuery, or None if the table refuses one."""
    rows, end = case
    twin = state.copy()
    try:
        for kind in (BindComplete, *[DataRow] * rows, end, ReadyForQuery):
            twin.backend(kind)
    except Violation:
        return None
    return snapshot(twin)


def test_the_reply_shortcut_agrees_with_the_tables() -> None:
    cases = [(rows, end) for rows in (0, 1, 3) for end in (CommandComplete, PortalSuspended)]
    check_shortcut_against_tables(ProtocolState.extended_reply, cases, answered_one_by_one)


def test_the_reply_shortcut_applies_to_a_synced_extended_head_only() -> None:
    for state in every_state():
        cycles = state._cycles
        expected = (
            state.phase is Phase.READY
            and bool(cycles)
            and cycles[0].state is CycleState.EXTENDED
            and not cycles[0].open
        )
        assert state.copy().extended_reply() is expected


@pytest.mark.parametrize("kinds", _REQUESTS)
def test_send_many_through_the_shortcut_is_send_one_by_one(kinds: tuple[type[FrontendMessage], ...]) -> None:
    samples: dict[type[FrontendMessage], FrontendMessage] = {
        Parse: Parse("s", "SELECT $1", (23,)),
        Bind: Bind("", "s", (1,), (b"\x00\x00\x00\x01",), (1,)),
        Describe: Describe("S", "s"),
        Execute: Execute("", 0),
        Close: Close("S", "old"),
    }
    messages = [samples[kind] for kind in kinds] + [Sync()]
    fast, slow = ready_client(), ready_client()
    data = fast.send_many(messages)
    assert data == b"".join(slow.send(message) for message in messages)
    assert snapshot(fast._state) == snapshot(slow._state)


def test_send_many_with_a_batch_run_and_an_empty_one() -> None:
    run = BindExecuteBatch("s", (1,), [(b"\x00\x00\x00\x01",), (b"\x00\x00\x00\x02",)], (1,), 0)
    for batch in (run, BindExecuteBatch("s", (1,), [], (1,), 0)):
        fast, slow = ready_client(), ready_client()
        data = fast.send_many((batch, Sync()))
        assert data == slow.send(batch) + slow.send(Sync())
        assert snapshot(fast._state) == snapshot(slow._state)
        assert fast.pending_requests == 1


def test_send_many_outside_the_shortcut_still_refuses_all_or_nothing() -> None:
    client = ready_client()
    client.send(Query("COPY t FROM STDIN"))
    client.receive_data(
        b"G\x00\x00\x00\x07\x00\x00\x00"  # CopyInResponse, text, no columns
    )
    client.next_event()
    before = snapshot(client._state)
    with pytest.raises(Exception, match="not allowed during COPY FROM STDIN"):
        client.send_many((Bind("", "s"), Execute(""), Sync()))
    assert snapshot(client._state) == before
    # Flush is outside the shortcut: the table applies it (it changes nothing).
    other = ready_client()
    other.send_many((Bind("", "s"), Execute(""), Flush()))
    assert other._state.batch_open


@pytest.mark.parametrize(
    ("batch", "expected"),
    [
        (True, ["CycleReply"]),
        (False, ["BindComplete", "DataRow", "DataRow", "DataRow", "CommandComplete", "ReadyForQuery"]),
    ],
)
def test_the_answers_of_a_request_end_it(batch: bool, expected: list[str]) -> None:
    client = ready_client()
    client.batch_events = batch
    client.send_many((Bind("", "s"), Execute(""), Sync()))
    client.receive_data(
        BindComplete().encode()
        + DataRow((b"1",)).encode() * 3
        + CommandComplete("SELECT 3").encode()
        + ReadyForQuery(TransactionStatus.IDLE).encode()
    )
    kinds = []
    while client.pending_requests:
        kinds.append(type(client.next_event()).__name__)
    assert client.is_ready
    assert kinds == expected
