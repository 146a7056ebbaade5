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
from typing import Any, Protocol, TypeVar, runtime_checkable

import pgwire
from pgwire import (
    NEED_DATA,
    ClientConnection,
    ClientEvent,
    ErrorResponse,
    NoticeResponse,
    NotificationResponse,
)
from pgwire.exceptions import ConnectionDoesNotExistError, InternalClientError, PostgresError

__all__ = ["Exchange", "StreamTransport", "WireProtocol", "stream_transport"]

T = TypeVar("T")

#: Events that go to the connection's callbacks (or are noted) before any exchange sees them.
_OUT_OF_BAND: frozenset[type] = frozenset({NotificationResponse, NoticeResponse, ErrorResponse})


@runtime_checkable
class StreamTransport(Protocol):
    """What pgconn uses of a stream transport, by structure: uvloop's transports implement
    asyncio's interface without deriving from ``asyncio.Transport``."""

    def write(self, data: bytes | bytearray | memoryview) -> None:
        """Queue ``data`` for sending."""

    def is_closing(self) -> bool:
        """Whether the transport is closing or closed."""

    def close(self) -> None:
        """Close after the queued data is sent."""

    def abort(self) -> None:
        """Close at once, dropping queued data."""

    def pause_reading(self) -> None:
        """Stop calling ``data_received`` until :meth:`resume_reading`."""

    def resume_reading(self) -> None:
        """Call ``data_received`` again."""

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        """Transport details (``"ssl_object"``, ``"peername"``, ...)."""


def stream_transport(transport: object) -> StreamTransport:
    """``transport`` as a :class:`StreamTransport`, checked once per connection.

    Raises:
        TypeError: the event loop's transport lacks one of the methods pgconn calls.
    """
    if not isinstance(transport, StreamTransport):
        raise TypeError(
            f"the event loop gave a {type(transport).__name__} transport, which lacks the methods of "
            "asyncio.Transport (write, abort, pause_reading, ...)"
        )
    return transport


class Exchange(Protocol[T]):
    """What the protocol hands events to: one request cycle up to ReadyForQuery."""

    future: asyncio.Future[T]
    finished: bool

    def when_finished(self) -> asyncio.Future[None]:
        """A future resolved when the cycle is over, even if ``future`` was cancelled."""

    def handle(self, event: ClientEvent) -> None:
        """Take one event; resolve ``future`` when the cycle is over."""

    def fail(self, error: BaseException) -> None:
        """The connection broke: resolve ``future`` with ``error``."""

    def on_recovery(self) -> None:
        """Nobody waits for the answer any more; the connection's recovery reads it to the end."""

    def on_cancel_settled(self) -> None:
        """The recovery's CancelRequest was delivered, failed, or is not sent at all."""


class WireProtocol(asyncio.Protocol):
    """Connects an asyncio transport to a pgwire client connection."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.wire = ClientConnection(batch_events=True)
        #: The transport as the event loop gave it (for ``loop.start_tls``), and as pgconn uses it.
        self.base_transport: asyncio.BaseTransport | None = None
        self.transport: StreamTransport | None = None
        self.exchange: Exchange[Any] | None = None
        self.on_notice: Callable[[NoticeResponse], None] | None = None
        self.on_notification: Callable[[NotificationResponse], None] | None = None
        self.on_lost: Callable[[BaseException | None], None] | None = None
        self.lost: BaseException | None = None
        self.is_lost = False
        #: The last FATAL or PANIC error the server sent: the reason it is about to close the
        #: connection (``pg_terminate_backend``, a shutdown), kept as the lost error's cause.
        self.fatal_error: PostgresError | None = None
        #: Resolved when the transport is gone, whatever the reason (for ``close()``).
        self.closed: asyncio.Future[None] = loop.create_future()
        # Startup reads events one by one; afterwards exchanges take them in data_received.
        self._queue: deque[ClientEvent] = deque()
        self._waiter: asyncio.Future[None] | None = None
        self._connected: asyncio.Future[None] = loop.create_future()
        # Write flow control: the transport calls pause_writing when its buffer is over the
        # high-water mark; drain() waits until resume_writing (or the connection is lost).
        self._write_paused = False
        self._drain_waiter: asyncio.Future[None] | None = None

    # -- asyncio.Protocol -----------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.base_transport = transport
        self.transport = stream_transport(transport)
        if not self._connected.done():
            self._connected.set_result(None)

    def data_received(self, data: bytes) -> None:
        wire = self.wire
        next_event = wire.next_event
        try:
            wire.receive_data(data)
            while (event := next_event()) is not NEED_DATA:
                # The exchange's answers straight to it; notices, notifications, errors and
                # events outside an exchange through _dispatch.
                exchange = self.exchange
                if exchange is not None and type(event) not in _OUT_OF_BAND:
                    exchange.handle(event)
                    if exchange.finished and self.exchange is exchange:
                        self.exchange = None
                        if wire.is_drained():
                            break  # the answer ended the read: nothing more to ask for
                else:
                    self._dispatch(event)
        except pgwire.ProtocolError as error:
            self._broken(error)
        except Exception as error:  # an exchange's bug must not kill the event loop's reader
            self._broken(InternalClientError(f"unexpected error while handling server data: {error!r}"))

    def pause_writing(self) -> None:
        self._write_paused = True

    def resume_writing(self) -> None:
        self._write_paused = False
        waiter, self._drain_waiter = self._drain_waiter, None
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    async def drain(self) -> None:
        """Wait until the transport's write buffer is below its high-water mark.

        Raises:
            ConnectionDoesNotExistError: the connection was lost.
        """
        if self.lost is not None:
            raise self.lost
        if not self._write_paused:
            return
        if self._drain_waiter is None or self._drain_waiter.done():
            self._drain_waiter = self.loop.create_future()
        await asyncio.shield(self._drain_waiter)
        if self.lost is not None:
            raise self.lost

    def eof_received(self) -> bool:
        # Let connection_lost report it; returning False closes the transport.
        return False

    def connection_lost(self, exc: Exception | None) -> None:
        self.is_lost = True
        if self.lost is None:
            error = ConnectionDoesNotExistError.client_side(
                "connection was closed in the middle of operation"
            )
            cause: BaseException | None = self.fatal_error if self.fatal_error is not None else exc
            if cause is not None:
                error.__cause__ = cause
            self.lost = error
        self._fail_waiters(self.lost)
        if not self.closed.done():
            self.closed.set_result(None)
        if self.on_lost is not None:
            self.on_lost(exc)

    # -- events ---------------------------------------------------------------------------

    def _dispatch(self, event: ClientEvent) -> None:
        if type(event) is NotificationResponse:
            if self.on_notification is not None:
                self.on_notification(event)
            return
        if type(event) is NoticeResponse:
            if self.on_notice is not None:
                self.on_notice(event)
            return
        if type(event) is ErrorResponse:
            self._note_error(event)
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

    def _note_error(self, event: ErrorResponse) -> None:
        """Keep a FATAL/PANIC error: the server closes the connection after sending one."""
        # "V" is the severity never localized (PostgreSQL 9.6+); "S" may be translated.
        if (event.get("V") or event.severity) in ("FATAL", "PANIC"):
            self.fatal_error = PostgresError.new(event.as_dict())

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
        drain, self._drain_waiter = self._drain_waiter, None
        if drain is not None and not drain.done():
            drain.set_result(None)  # drain() then raises the lost error

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
        self, exchange: Exchange[T], *messages: pgwire.FrontendMessage | pgwire.BindExecuteBatch
    ) -> asyncio.Future[T]:
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
