"""Notification streams: LISTEN/NOTIFY as an async iterator with a bounded buffer.

``async with connection.listen("jobs") as stream: async for notification in stream: ...``
The :class:`NotificationStream` is fed by the connection's listeners (inside
``data_received``, like the callbacks) and read by the consumer; it holds no reference to
the connection, so an open stream never keeps a dropped connection alive.

Overflow policy: a stream never drops notifications silently. When its buffer is full, it
stops taking notifications (a gap would make the later ones misleading), counts those it
could not take, and raises :class:`NotificationOverflowError` (with that count) once the
consumer has read everything that was buffered. The stream is over after that.

End of stream: after the buffered notifications, iteration stops (``StopAsyncIteration``)
when the connection was closed or terminated on our side, when ``reset()`` ran, or when the
``async with`` block was left; it raises ``ConnectionDoesNotExistError`` when the connection
was lost (the server went away or ended the session).
"""

from __future__ import annotations

import asyncio
from collections import deque
from typing import NamedTuple

from pgwire.exceptions import InterfaceError

__all__ = ["DEFAULT_MAX_SIZE", "Notification", "NotificationOverflowError", "NotificationStream"]

#: How many notifications a stream buffers for its consumer unless told otherwise.
DEFAULT_MAX_SIZE = 1000


class Notification(NamedTuple):
    """One NOTIFY, as a stream delivers it.

    Attributes:
        pid: the process id of the server backend that sent the NOTIFY (not ours).
        channel: the channel it was sent on, exactly as the server names it.
        payload: the payload string, ``""`` when there was none.
    """

    pid: int
    channel: str
    payload: str


class NotificationOverflowError(InterfaceError):
    """A notification stream's buffer filled up: the consumer did not keep up.

    Raised by the stream after it has delivered every notification it had buffered.

    Attributes:
        lost: how many notifications arrived after the buffer was full and were not kept.
        max_size: the stream's buffer size.
    """

    lost: int
    max_size: int

    def __init__(self, msg: str, *, lost: int, max_size: int) -> None:
        super().__init__(msg, hint="Read the stream faster, or open it with a larger max_size.")
        self.lost = lost
        self.max_size = max_size


class NotificationStream:
    """The notifications of one or more channels, in the order the server sent them.

    Made by :meth:`pgconn.Connection.listen`; iterate with ``async for``. ``len(stream)`` is
    the number of notifications buffered and not yet read. See the module docstring for the
    overflow and end-of-stream policies.

    Attributes:
        channels: the channels this stream receives, without repeats.
        max_size: how many notifications the buffer holds.
    """

    __slots__ = ("_buffer", "_end_error", "_ended", "_loop", "_lost", "_waiters", "channels", "max_size")

    def __init__(self, channels: tuple[str, ...], max_size: int, loop: asyncio.AbstractEventLoop) -> None:
        self.channels = channels
        self.max_size = max_size
        self._loop = loop
        self._buffer: deque[Notification] = deque()
        # Counted from the first notification the full buffer turned away (then > 0 for good).
        self._lost = 0
        self._ended = False
        self._end_error: BaseException | None = None
        self._waiters: list[asyncio.Future[None]] = []

    def __repr__(self) -> str:
        state = "ended" if self._ended else f"{len(self._buffer)}/{self.max_size} buffered"
        return f"<{type(self).__name__} channels={list(self.channels)!r} {state}>"

    def __len__(self) -> int:
        return len(self._buffer)

    @property
    def is_ended(self) -> bool:
        """True once the stream takes no more notifications (it may still hold some to read)."""
        return self._ended or self._lost > 0

    def __aiter__(self) -> NotificationStream:
        return self

    async def __anext__(self) -> Notification:
        """The next notification, waiting for one if none is buffered.

        Raises:
            StopAsyncIteration: the stream ended normally and everything was read.
            NotificationOverflowError: notifications were lost to a full buffer; everything
                that was kept has been read.
            ConnectionDoesNotExistError: the connection was lost; everything buffered has
                been read.
        """
        while True:
            if self._buffer:
                return self._buffer.popleft()
            if self._lost:
                lost, self._lost = self._lost, 0
                # Over for good: what came after the gap is not delivered, nor a later end.
                self._ended = True
                self._end_error = None
                raise NotificationOverflowError(
                    f"notification stream overflowed: {lost} notification(s) on "
                    f"{', '.join(map(repr, self.channels))} were lost after its buffer of "
                    f"{self.max_size} filled up",
                    lost=lost,
                    max_size=self.max_size,
                )
            if self._ended:
                error, self._end_error = self._end_error, None
                if error is not None:
                    raise error
                raise StopAsyncIteration
            waiter = self._loop.create_future()
            self._waiters.append(waiter)
            try:
                await waiter
            finally:
                if waiter in self._waiters:
                    self._waiters.remove(waiter)

    # -- the listeners' side ------------------------------------------------------------------

    def _deliver(self, notification: Notification) -> None:
        if self._ended:
            return
        if self._lost or len(self._buffer) >= self.max_size:
            self._lost += 1
        else:
            self._buffer.append(notification)
        self._wake()

    def _end(self, error: BaseException | None) -> None:
        """Take no more notifications; after the buffered ones, stop (or raise ``error``)."""
        if self._ended:
            return
        self._ended = True
        self._end_error = error
        self._wake()

    def _wake(self) -> None:
        waiters, self._waiters = self._waiters, []
        for waiter in waiters:
            if not waiter.done():
                waiter.set_result(None)
