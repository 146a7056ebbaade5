"""What the client and the server role share: the framer, the state, batches, error latching.

A role checks what it sends and what it receives against the same :class:`ProtocolState`; the
subclasses say which direction is which and how bytes become events.
"""

from __future__ import annotations

import abc
from collections.abc import Iterable
from typing import Generic, TypeVar

from pgwire._client_errors import LocalProtocolError, ProtocolError, RemoteProtocolError
from pgwire._events import NEED_DATA, ConnectionClosed, NeedData
from pgwire._framing import DEFAULT_MAX_MESSAGE_SIZE, Framer
from pgwire._states import CycleKind, CycleState, Phase, ProtocolState

__all__ = ["ProtocolRole"]

SendT = TypeVar("SendT")
EventT = TypeVar("EventT")


class ProtocolRole(abc.ABC, Generic[SendT, EventT]):
    """One side of a protocol connection, with no I/O of its own.

    Args:
        max_message_size: the largest message accepted from the peer, in bytes; a larger
            declared length is a :class:`RemoteProtocolError`.
    """

    __slots__ = ("_error", "_framer", "_state")

    def __init__(self, *, max_message_size: int = DEFAULT_MAX_MESSAGE_SIZE) -> None:
        self._framer = Framer(max_message_size=max_message_size)
        self._state = ProtocolState()
        self._error: ProtocolError | None = None

    def __repr__(self) -> str:
        return f"<{type(self).__name__} phase={self.phase.value!r} pending={self.pending_requests}>"

    @property
    def phase(self) -> Phase:
        """Where the connection is in its life."""
        return self._state.phase

    @property
    def pending_requests(self) -> int:
        """Requests (queries, batches, function calls) not yet finished by ReadyForQuery."""
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
        """The largest message accepted from the peer, in bytes."""
        return self._framer.max_message_size

    @abc.abstractmethod
    def send(self, message: SendT) -> bytes:
        """Check ``message`` against the protocol state and return its bytes.

        Raises:
            LocalProtocolError: the message is not allowed now, or one of its values cannot
                be encoded. The state is unchanged and nothing needs to be written.
        """

    def send_many(self, messages: Iterable[SendT]) -> bytes:
        """Like :meth:`send` for a pipelined batch: all messages are checked, or none is.

        Raises:
            LocalProtocolError: one of the messages is not allowed or cannot be encoded;
                the state is as it was before the call.
        """
        saved = self._save()
        parts: list[bytes] = []
        try:
            for message in messages:
                parts.append(self.send(message))
        except LocalProtocolError:
            self._restore(saved)
            raise
        return b"".join(parts)

    def _save(self) -> object:
        """What :meth:`send_many` restores when it refuses a batch half-way."""
        return self._state.copy()

    def _restore(self, saved: object) -> None:
        assert isinstance(saved, ProtocolState)
        self._state = saved

    def receive_data(self, data: bytes | bytearray | memoryview) -> None:
        """Feed bytes received from the peer; ``b""`` means the peer closed the stream."""
        self._framer.receive_data(data)

    def is_drained(self) -> bool:
        """Whether every byte received so far has been consumed (and the stream goes on), so
        that :meth:`next_event` would return :data:`NEED_DATA`: a cheaper test than asking."""
        framer = self._framer
        return framer._pos == len(framer._buffer) and not framer._pending and not framer._eof

    def next_event(self) -> EventT | NeedData:
        """The next event, or :data:`NEED_DATA` when more bytes are needed.

        Raises:
            RemoteProtocolError: the peer broke the protocol. The connection cannot be
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

    @abc.abstractmethod
    def _next_event(self) -> EventT | NeedData:
        """Decode the next event from the framer (errors are latched by :meth:`next_event`)."""

    def _end_or_need_data(self) -> ConnectionClosed | NeedData:
        if self._framer.check_end():
            self._state.close()
            return ConnectionClosed()
        return NEED_DATA

    def close(self) -> None:
        """Give up the connection: every later send raises LocalProtocolError."""
        self._state.close()
