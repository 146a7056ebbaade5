"""The client's side of a COPY cycle: a Query that starts COPY, the data, the status.

:class:`CopyOutExchange` (``COPY ... TO STDOUT``) queues the CopyData payloads for a consumer
and pauses reading from the socket while more than :data:`HIGH_WATER` bytes wait, so a slow
consumer holds the server back instead of filling memory. :class:`CopyInExchange` (``COPY ...
FROM STDIN``) tells the sender when the server is ready for data (CopyInResponse) and when it
gave up (an ErrorResponse mid-copy), so the sender stops at once. Both resolve their future
at ReadyForQuery with the command's status (``COPY n``) or the server's first error.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Callable
from typing import Any

import pgwire
from pgconn._exchanges import _Exchange
from pgconn._protocol import StreamTransport
from pgwire import (
    ClientEvent,
    CommandComplete,
    CopyData,
    CopyDataRun,
    CopyInResponse,
    CopyOutResponse,
    ErrorResponse,
    ReadyForQuery,
)

__all__ = ["HIGH_WATER", "CopyInExchange", "CopyOutExchange", "forget"]

#: Bytes of COPY OUT data waiting for the consumer above which reading from the socket pauses
#: (it resumes when the consumer takes them).
HIGH_WATER = 1 << 20


class CopyOutExchange(_Exchange[str]):
    """Query("COPY ... TO STDOUT"): chunks for the consumer, with back-pressure on the socket."""

    __slots__ = ("_chunks", "_paused", "_queued", "_transport", "_waiter", "abandoned", "response", "status")

    def __init__(
        self, loop: asyncio.AbstractEventLoop, query: str, transport: StreamTransport | None
    ) -> None:
        super().__init__(loop, query)
        self._chunks: deque[bytes] = deque()
        self._queued = 0
        self._waiter: asyncio.Future[None] | None = None
        self._transport = transport
        self._paused = False
        self.status = ""
        #: The consumer stopped (an error or a cancellation): data is dropped from now on.
        self.abandoned = False
        self.response: CopyOutResponse | None = None

    def handle(self, event: ClientEvent) -> None:
        if type(event) is CopyDataRun or type(event) is CopyData:  # a run: with batch events
            if not self.abandoned:
                data = event.data
                self._chunks.append(data)
                self._queued += len(data)
                if self._queued > HIGH_WATER:
                    self._pause()
                self._wake()
        elif type(event) is CopyOutResponse:
            self.response = event
        elif type(event) is CommandComplete:
            self.status = event.tag
        elif type(event) is ErrorResponse:
            self._server_error(event)
        elif type(event) is CopyInResponse:
            self._local_error(TypeError("the query started COPY FROM STDIN, not COPY TO STDOUT"))
        elif type(event) is ReadyForQuery:
            self._finish(self.status)
            self._wake()

    def fail(self, error: BaseException) -> None:
        super().fail(error)
        self._wake()

    def _pause(self) -> None:
        transport = self._transport
        if not self._paused and transport is not None and not transport.is_closing():
            self._paused = True
            transport.pause_reading()

    def _resume(self) -> None:
        transport = self._transport
        if self._paused and transport is not None and not transport.is_closing():
            self._paused = False
            transport.resume_reading()

    def _wake(self) -> None:
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    def take(self) -> bytes | None:
        """Every chunk queued now, joined (the server sends one CopyData per row), or None."""
        chunks = self._chunks
        if not chunks:
            return None
        chunk = chunks.popleft() if len(chunks) == 1 else b"".join(chunks)
        chunks.clear()
        self._queued = 0
        self._resume()
        return chunk

    async def wait(self) -> None:
        """Wait until a chunk is queued or the cycle is over."""
        if self._chunks or self.finished:
            return
        self._waiter = self.future.get_loop().create_future()
        try:
            await self._waiter
        finally:
            self._waiter = None

    def on_recovery(self) -> None:
        """The recovery takes over: what is queued is dropped, and reading stays paused until
        the CancelRequest is settled (:meth:`on_cancel_settled`).

        Reading on at once would have the connection decode every row the server produces
        until the cancel arrives, one CopyData message at a time, holding the event loop while
        the CancelRequest's own connection waits for its turn; paused, the server blocks on a
        full socket and stops at the cancel with little left to read.
        """
        self.abandoned = True
        self._chunks.clear()
        self._queued = 0
        self._pause()

    def on_cancel_settled(self) -> None:
        """The cancel is in (or will not come): read the rest of the cycle, dropping it."""
        self._resume()

    def abandon(self) -> None:
        """The consumer stopped: drop what is queued and what comes, and read on."""
        self.abandoned = True
        self._chunks.clear()
        self._queued = 0
        self._resume()


class CopyInExchange(_Exchange[str]):
    """Query("COPY ... FROM STDIN"): signals when the server wants data and when it gave up."""

    __slots__ = ("_abandoned", "_done_sent", "_ready", "_send", "status")

    def __init__(
        self, loop: asyncio.AbstractEventLoop, query: str, send: Callable[[pgwire.FrontendMessage], None]
    ) -> None:
        super().__init__(loop, query)
        self._ready: asyncio.Future[bool] = loop.create_future()
        self._send = send
        self._abandoned: str | None = None
        self._done_sent = False
        self.status = ""

    def handle(self, event: ClientEvent) -> None:
        if type(event) is CopyInResponse:
            if self._abandoned is not None:
                self._send(pgwire.CopyFail(self._abandoned))  # the sender gave up before it began
            elif not self._ready.done():
                self._ready.set_result(True)
        elif type(event) is CommandComplete:
            self.status = event.tag
        elif type(event) is ErrorResponse:
            self._server_error(event)
            self._not_ready()
        elif type(event) is ReadyForQuery:
            self._not_ready()
            self._finish(self.status)
        elif type(event) is CopyOutResponse:
            self._local_error(TypeError("the query started COPY TO STDOUT, not COPY FROM STDIN"))

    def fail(self, error: BaseException) -> None:
        super().fail(error)
        self._not_ready()

    def _not_ready(self) -> None:
        if not self._ready.done():
            self._ready.set_result(False)

    async def ready(self) -> bool:
        """Wait for the server: True once it takes data, False if the COPY failed to start."""
        return await asyncio.shield(self._ready)

    def send_done(self) -> None:
        """Send CopyDone: all the data is sent."""
        self._done_sent = True
        self._send(pgwire.CopyDone())

    def abandon(self, message: str) -> None:
        """The sender gave up: end the COPY with CopyFail now, or as soon as the server is ready.

        Nothing to send once CopyDone went (the COPY is then the server's to finish or fail).
        """
        if self._abandoned is not None or self.finished or self._done_sent:
            return
        self._abandoned = message
        if self._ready.done() and self._ready.result():
            self._send(pgwire.CopyFail(message))

    @property
    def failed(self) -> bool:
        """The server reported an error (it drops any further data) or the connection broke."""
        return self.error is not None or self.finished


def forget(future: asyncio.Future[Any]) -> None:
    """Nobody will await ``future`` now: cancel it, or mark its exception as seen."""
    if future.done():
        if not future.cancelled():
            future.exception()
    else:
        future.cancel()
