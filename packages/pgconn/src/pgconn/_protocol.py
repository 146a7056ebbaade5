"""The asyncio pump: bytes from the transport into pgwire, events out to the running exchange.

``pgconn`` never parses bytes itself (DESIGN section 2). :class:`WireProtocol` feeds what the
transport delivers to a :class:`pgwire.ClientConnection` and hands every event, inside
``data_received``, to the one exchange that is waiting for the server's answer; the exchange
resolves its future once, at ReadyForQuery. Notices and notifications that arrive between
or during exchanges go to the connection's callbacks. During startup the connection reads
events one at a time with :meth:`WireProtocol.next_event`.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Callable
from typing import Any, Protocol, cast

import pgwire
from pgwire import NEED_DATA, ClientConnection, ClientEvent, NoticeResponse, NotificationResponse
from pgwire.exceptions import ConnectionDoesNotExistError, InternalClientError

__all__ = ["Exchange", "WireProtocol"]


class Exchange(Protocol):
    """What the protocol hands events to: one request cycle up to ReadyForQuery."""

    future: asyncio.Future[Any]
    finished: bool

    def when_finished(self) -> asyncio.Future[None]:
        """A future resolved when the cycle is over, even if ``future`` was cancelled."""

    def handle(self, event: ClientEvent) -> None:
        """Take one event; resolve ``future`` when the cycle is over."""

    def fail(self, error: BaseException) -> None:
        """The connection broke: resolve ``future`` with ``error``."""


class WireProtocol(asyncio.Protocol):
    """Connects an asyncio transport to a pgwire client connection."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.wire = ClientConnection()
        self.transport: asyncio.Transport | None = None
        self.exchange: Exchange | None = None
        self.on_notice: Callable[[NoticeResponse], None] | None = None
        self.on_notification: Callable[[NotificationResponse], None] | None = None
        self.on_lost: Callable[[BaseException | None], None] | None = None
        self.lost: BaseException | None = None
        self.is_lost = False
        # Startup reads events one by one; afterwards exchanges take them in data_received.
        self._queue: deque[ClientEvent] = deque()
        self._waiter: asyncio.Future[None] | None = None
        self._connected: asyncio.Future[None] = loop.create_future()

    # -- asyncio.Protocol -----------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        if not self._connected.done():
            self._connected.set_result(None)

    def data_received(self, data: bytes) -> None:
        wire = self.wire
        try:
            wire.receive_data(data)
            while (event := wire.next_event()) is not NEED_DATA:
                self._dispatch(event)
        except pgwire.ProtocolError as error:
            self._broken(error)
        except Exception as error:  # an exchange's bug must not kill the event loop's reader
            self._broken(InternalClientError(f"unexpected error while handling server data: {error!r}"))

    def eof_received(self) -> bool:
        # Let connection_lost report it; returning False closes the transport.
        return False

    def connection_lost(self, exc: Exception | None) -> None:
        self.is_lost = True
        error = ConnectionDoesNotExistError.client_side("connection was closed in the middle of operation")
        if exc is not None:
            error.__cause__ = exc
        self.lost = error
        self._fail_waiters(error)
        if self.on_lost is not None:
            self.on_lost(exc)

    # -- events ---------------------------------------------------------------------------

    def _dispatch(self, event: ClientEvent) -> None:
        kind = type(event)  # exact classes: cheaper than isinstance on an abstract base
        if kind is NotificationResponse:
            if self.on_notification is not None:
                self.on_notification(cast(NotificationResponse, event))
            return
        if kind is NoticeResponse:
            if self.on_notice is not None:
                self.on_notice(cast(NoticeResponse, event))
            return
        exchange = self.exchange
        if exchange is not None:
            exchange.handle(event)
            if exchange.finished and self.exchange is exchange:
                self.exchange = None
            return
        self._queue.append(event)
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    def _broken(self, error: BaseException) -> None:
        """The stream cannot be trusted any more: fail the waiting side and drop the transport."""
        self.lost = error
        self._fail_waiters(error)
        if self.transport is not None:
            self.transport.abort()

    def _fail_waiters(self, error: BaseException) -> None:
        exchange, self.exchange = self.exchange, None
        if exchange is not None and not exchange.finished:
            exchange.fail(error)
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_exception(error)

    async def next_event(self) -> ClientEvent:
        """The next event, for the startup phase (no exchange may be running).

        Raises:
            ConnectionDoesNotExistError: the connection was lost.
            ProtocolError: the server broke the protocol.
        """
        while not self._queue:
            if self.lost is not None:
                raise self.lost
            self._waiter = self.loop.create_future()
            try:
                await self._waiter
            finally:
                self._waiter = None
        return self._queue.popleft()

    # -- writing --------------------------------------------------------------------------

    def send(self, *messages: pgwire.FrontendMessage | pgwire.BindExecuteBatch) -> None:
        """Check the messages against the protocol state and write them in one piece.

        Raises:
            LocalProtocolError: a message is not allowed now; nothing was written.
            ConnectionDoesNotExistError: the connection is gone.
        """
        data = self.wire.send_many(messages) if len(messages) != 1 else self.wire.send(messages[0])
        if self.lost is not None or self.transport is None or self.transport.is_closing():
            raise self.lost or ConnectionDoesNotExistError.client_side("connection is closed")
        self.transport.write(data)

    def start(
        self, exchange: Exchange, *messages: pgwire.FrontendMessage | pgwire.BindExecuteBatch
    ) -> asyncio.Future[Any]:
        """Send ``messages`` and route the answers to ``exchange``; its future."""
        if self.exchange is not None:
            raise InternalClientError("an exchange is already running on this connection")
        self.send(*messages)
        self.exchange = exchange
        # Events that arrived before the exchange (only possible in startup) go to it first.
        while self._queue and not exchange.finished:
            exchange.handle(self._queue.popleft())
        if exchange.finished:
            self.exchange = None
        return exchange.future

    def abort(self) -> None:
        """Close the transport at once, without Terminate."""
        if self.transport is not None:
            self.transport.abort()
