"""A scripted fake PostgreSQL server on ``pgwire``'s server role, for fault and cancellation tests.

:class:`FakeServer` listens on a free loopback port. Each connection that sends a
StartupMessage gets a trust startup (AuthenticationOk, the ParameterStatus reports a real
server sends, BackendKeyData, ReadyForQuery) and then runs the test's *handler*, an async
function of one :class:`FakeSession` that plays the server's side of the exchange: it waits
for the client's messages (:meth:`FakeSession.expect`), answers with backend messages
(:meth:`FakeSession.send`, checked by :class:`pgwire.ServerConnection`), and stops at named
points (:meth:`FakeSession.pause`) that the test waits for (:meth:`FakeServer.reached`) and
lets go (:meth:`FakeServer.release`): a test blocks at a named point of the exchange instead
of counting event-loop turns. SSLRequest and GSSENCRequest are refused with ``N``.

A connection that opens with a CancelRequest is recorded (:attr:`FakeServer.cancel_requests`)
and closed without an answer, as PostgreSQL does; a session learns that its own key was
quoted with :meth:`FakeSession.wait_for_cancel`.

A handler's failure (an :class:`UnexpectedMessageError`, a protocol error, a bug in the
script) closes its session and is raised again when the server closes, so a script that did
not go as planned fails the test. The default handler, :func:`answer_queries`, answers every
simple Query with an empty result.

Usage::

    async def script(session: FakeSession) -> None:
        await session.expect(pgwire.Query)
        await session.pause("after-query")
        session.send(pgwire.CommandComplete("SELECT 0"), pgwire.ReadyForQuery(IDLE))

    async with FakeServer(script) as server:
        conn = await pgconn.connect(server.dsn())
        ...
"""

from __future__ import annotations

import asyncio
import itertools
import secrets
from collections.abc import Awaitable, Callable, Coroutine, Mapping
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, Final, TypeVar

import pgwire
from tests.faults._listener import LOOPBACK, LoopbackListener, wait_closed

__all__ = [
    "DEFAULT_PARAMETERS",
    "FakeServer",
    "FakeSession",
    "Handler",
    "SessionClosedError",
    "UnexpectedMessageError",
    "answer_queries",
]

_READ_SIZE = 64 * 1024
_IDLE = pgwire.TransactionStatus.IDLE

#: The ParameterStatus reports sent at startup, as PostgreSQL 15 sends them to a superuser
#: (``session_authorization`` is added: the startup's user name).
DEFAULT_PARAMETERS: Final[Mapping[str, str]] = {
    "application_name": "",
    "client_encoding": "UTF8",
    "DateStyle": "ISO, MDY",
    "default_transaction_read_only": "off",
    "in_hot_standby": "off",
    "integer_datetimes": "on",
    "IntervalStyle": "postgres",
    "is_superuser": "on",
    "server_encoding": "UTF8",
    "server_version": "15.4",
    "standard_conforming_strings": "on",
    "TimeZone": "UTC",
}

MessageT = TypeVar("MessageT", bound=pgwire.FrontendMessage)

#: A script: plays the server's side of one session, after the startup.
Handler = Callable[["FakeSession"], Awaitable[None]]


class SessionClosedError(ConnectionError):
    """The client closed the connection while the script waited for a message from it."""


class UnexpectedMessageError(AssertionError):
    """The client sent another message than the script expected."""


@dataclass
class _Point:
    """A named point of the exchange: who reached it, and whether it was released."""

    reached_by: list[FakeSession] = field(default_factory=list)
    released: bool = False


class FakeSession:
    """The server's side of one client connection, as a handler sees it; made by :class:`FakeServer`.

    Attributes:
        number: 1 for the server's first session, 2 for the next, ...
        process_id: the process id sent in BackendKeyData.
        secret_key: the 4-byte secret key sent in BackendKeyData.
        wire: the sans-IO server role that checks and encodes everything sent and received.
        startup: the client's StartupMessage.
        received: every message received after the startup, in order.
    """

    def __init__(
        self,
        server: FakeServer,
        number: int,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
    ) -> None:
        self._server = server
        self.number = number
        self.process_id = 50_000 + number
        self.secret_key = secrets.token_bytes(4)
        self.wire = pgwire.ServerConnection()
        self.startup = pgwire.StartupMessage(())
        self.received: list[pgwire.FrontendMessage] = []
        self._reader = reader
        self._writer = writer
        self._finished = False

    def __repr__(self) -> str:
        return f"<FakeSession #{self.number} pid={self.process_id} phase={self.wire.phase.value!r}>"

    # -- receiving ------------------------------------------------------------------------

    async def _next_event(self) -> pgwire.ServerEvent:
        while (event := self.wire.next_event()) is pgwire.NEED_DATA:
            self.wire.receive_data(await self._reader.read(_READ_SIZE))
        return event

    async def receive(self) -> pgwire.FrontendMessage:
        """The client's next message.

        Raises:
            SessionClosedError: the client closed the connection.
            pgwire.RemoteProtocolError: the client broke the protocol.
        """
        event = await self._next_event()
        if isinstance(event, pgwire.ConnectionClosed):
            raise SessionClosedError(f"the client closed {self!r}")
        self.received.append(event)
        return event

    async def expect(self, kind: type[MessageT]) -> MessageT:
        """The client's next message, which must be a ``kind``.

        Raises:
            UnexpectedMessageError: it is another message.
            SessionClosedError: the client closed the connection.
        """
        message = await self.receive()
        if not isinstance(message, kind):
            raise UnexpectedMessageError(f"{self!r} expected {kind.__name__}, got {message!r}")
        return message

    async def receive_until(self, kind: type[pgwire.FrontendMessage]) -> list[pgwire.FrontendMessage]:
        """The client's messages up to and including the next ``kind`` (e.g. a batch up to Sync).

        Raises:
            SessionClosedError: the client closed the connection first.
        """
        messages = [await self.receive()]
        while not isinstance(messages[-1], kind):
            messages.append(await self.receive())
        return messages

    # -- sending --------------------------------------------------------------------------

    def send(self, *messages: pgwire.BackendMessage) -> None:
        """Check ``messages`` against the protocol state and write them in one piece.

        Raises:
            pgwire.LocalProtocolError: a message is not allowed now (a bug in the script);
                nothing was written.
            SessionClosedError: the connection is closing.
        """
        self.send_raw(self.wire.send_many(messages))

    def send_raw(self, data: bytes) -> None:
        """Write ``data`` as it is, past the state machine (garbage, half messages).

        Raises:
            SessionClosedError: the connection is closing.
        """
        if self._writer.is_closing():
            raise SessionClosedError(f"{self!r} is closing")
        self._writer.write(data)

    def send_error(self, sqlstate: str, message: str, *, severity: str = "ERROR") -> None:
        """Send an ErrorResponse with severity, SQLSTATE and message (e.g. ``"57014"``).

        Raises:
            pgwire.LocalProtocolError: an ErrorResponse is not allowed now.
            SessionClosedError: the connection is closing.
        """
        fields = (("S", severity), ("V", severity), ("C", sqlstate), ("M", message))
        self.send(pgwire.ErrorResponse(fields))

    def send_ready(self, status: pgwire.TransactionStatus = _IDLE) -> None:
        """Send ReadyForQuery, ending the oldest request.

        Raises:
            pgwire.LocalProtocolError: no request is waiting for it.
            SessionClosedError: the connection is closing.
        """
        self.send(pgwire.ReadyForQuery(status))

    async def drain(self) -> None:
        """Wait until the written bytes were handed to the kernel (flow control).

        Raises:
            ConnectionError: the client is gone.
        """
        await self._writer.drain()

    # -- the script's control points ------------------------------------------------------

    async def pause(self, point: str) -> None:
        """Mark ``point`` as reached by this session and wait until the test releases it.

        A point released already lets the session through at once.
        """
        await self._server.pause_at(point, self)

    @property
    def cancel_requests(self) -> list[pgwire.CancelRequest]:
        """The CancelRequests received so far that quote this session's process id and key."""
        return [request for request in self._server.cancel_requests if self._is_mine(request)]

    def _is_mine(self, request: pgwire.CancelRequest) -> bool:
        return request.process_id == self.process_id and request.secret_key == self.secret_key

    async def wait_for_cancel(self) -> pgwire.CancelRequest:
        """Wait for a CancelRequest that quotes this session's key (one received already counts)."""
        await self._server.wait_until(lambda: bool(self.cancel_requests))
        return self.cancel_requests[0]

    async def answer_cancel(self, status: pgwire.TransactionStatus = _IDLE) -> pgwire.CancelRequest:
        """Wait for this session's CancelRequest, then answer as PostgreSQL does; the request.

        The running query ends with ErrorResponse 57014 (query_canceled) and ReadyForQuery
        with ``status``.

        Raises:
            pgwire.LocalProtocolError: no request is running (a bug in the script).
            SessionClosedError: the connection is closing.
        """
        request = await self.wait_for_cancel()
        self.send_error("57014", "canceling statement due to user request")
        self.send_ready(status)
        return request

    # -- closing --------------------------------------------------------------------------

    @property
    def is_closing(self) -> bool:
        """Whether the connection is closed or closing."""
        return self._writer.is_closing()

    @property
    def is_finished(self) -> bool:
        """Whether the session is over: handler done (or failed) and connection closed."""
        return self._finished

    async def wait_finished(self) -> None:
        """Wait until the session is over (see :attr:`is_finished`).

        Raises:
            RuntimeError: as :meth:`FakeServer.wait_until`, when it ended by failing.
        """
        await self._server.wait_until(lambda: self._finished)

    def close(self) -> None:
        """Close the connection after the bytes already written (an orderly end, FIN)."""
        self._writer.close()

    def abort(self) -> None:
        """Close the connection at once, discarding what is not sent yet."""
        self._writer.transport.abort()

    async def run_startup(self) -> bool:
        """The server's startup; True when the session goes on to the handler.

        SSLRequest and GSSENCRequest are refused; a CancelRequest is recorded and the
        connection closed (False); otherwise the trust startup.
        """
        while True:
            event = await self._next_event()
            if isinstance(event, pgwire.SSLRequest):
                self.send_raw(self.wire.send(pgwire.SSLResponse(accepted=False)))
            elif isinstance(event, pgwire.GSSENCRequest):
                self.send_raw(self.wire.send(pgwire.GSSENCResponse(accepted=False)))
            elif isinstance(event, pgwire.CancelRequest):
                self._server.record_cancel(event)
                return False
            elif isinstance(event, pgwire.StartupMessage):
                break
            else:
                return False  # the client went away during the negotiation
        self.startup = event
        parameters = dict(self._server.parameters)
        parameters.setdefault("session_authorization", event.get("user") or "")
        self.send(
            pgwire.AuthenticationOk(),
            *(pgwire.ParameterStatus(name, value) for name, value in parameters.items()),
            pgwire.BackendKeyData(self.process_id, self.secret_key),
            pgwire.ReadyForQuery(_IDLE),
        )
        return True

    async def finish(self) -> None:
        """Close the connection and wait until it is closed (the server's, after the handler)."""
        self._writer.close()
        try:
            await wait_closed(self._writer)
        finally:
            self._finished = True
            self._server.notify()


async def answer_queries(session: FakeSession) -> None:
    """The default handler: answer each simple Query with an empty result until the client ends.

    ``Query`` gets CommandComplete ``SELECT 0`` (EmptyQueryResponse for an empty string) and
    ReadyForQuery. In an extended-query batch, Close gets CloseComplete (as from a server,
    whether the statement exists or not), any other message one FeatureNotSupported
    ErrorResponse, and Sync ReadyForQuery. Terminate or the end of the connection ends the
    session.
    """
    failed = False
    while True:
        try:
            message = await session.receive()
        except SessionClosedError:
            return
        if isinstance(message, pgwire.Terminate):
            return
        if isinstance(message, pgwire.Query):
            if message.query.strip():
                session.send(pgwire.CommandComplete("SELECT 0"))
            else:
                session.send(pgwire.EmptyQueryResponse())
            session.send_ready()
        elif isinstance(message, pgwire.Sync):
            session.send_ready()
            failed = False
        elif isinstance(message, pgwire.Close):
            if not failed:
                session.send(pgwire.CloseComplete())
        elif not failed and not isinstance(message, pgwire.Flush):
            # "Extended Query": after an error the server discards messages until Sync.
            session.send_error("0A000", f"the fake server does not answer {type(message).__name__}")
            failed = True


class FakeServer(LoopbackListener):
    """A scripted PostgreSQL server on a free loopback port; an async context manager.

    Use it with ``async with``, or call :meth:`start` and :meth:`close`; ``host`` and
    ``port`` are where clients connect, once started.

    Args:
        handler: the script each session runs after its startup (default
            :func:`answer_queries`). When it returns, the server closes the connection.
        parameters: the ParameterStatus reports of the startup (default
            :data:`DEFAULT_PARAMETERS`).
        host: the address to listen on.
    """

    def __init__(
        self,
        handler: Handler = answer_queries,
        *,
        parameters: Mapping[str, str] = DEFAULT_PARAMETERS,
        host: str = LOOPBACK,
    ) -> None:
        super().__init__(host)
        self.handler = handler
        self.parameters = dict(parameters)
        self._numbers = itertools.count(1)
        self._points: dict[str, _Point] = {}
        #: Every session that finished its startup, oldest first.
        self.sessions: list[FakeSession] = []
        #: Every CancelRequest received, oldest first, whatever key it quotes.
        self.cancel_requests: list[pgwire.CancelRequest] = []
        #: Every error a session failed with (raised again by ``close()``), oldest first.
        self.errors: list[Exception] = []

    def __repr__(self) -> str:
        return f"<FakeServer {self._host}:{self._port} sessions={len(self.sessions)}>"

    async def __aexit__(
        self, kind: type[BaseException] | None, error: BaseException | None, traceback: TracebackType | None
    ) -> None:
        # A failing test keeps its own exception; the sessions' errors are in self.errors.
        await self.close(raise_errors=error is None)

    def dsn(self, user: str = "fake", database: str = "fake", **params: str | int) -> str:
        """A ``postgresql://`` URI for this server; ``params`` become URI query parameters.

        Raises:
            RuntimeError: the server was not started.
        """
        return self._uri(user, database, params)

    # -- waiting from the test --------------------------------------------------------------
    # wait_until(predicate) comes from LoopbackListener: the state changes when a session
    # starts, reaches a point or ends, a point is released, or a CancelRequest arrives.

    def _abandon(self) -> BaseException | None:
        if self.errors:
            failed = RuntimeError(f"a session of {self!r} failed")
            failed.__cause__ = self.errors[0]
            return failed
        return super()._abandon()

    async def wait_for_session(self, count: int = 1) -> FakeSession:
        """Wait until ``count`` sessions finished their startup; the ``count``-th of them.

        Raises:
            RuntimeError: as :meth:`wait_until`.
        """
        await self.wait_until(lambda: len(self.sessions) >= count)
        return self.sessions[count - 1]

    async def wait_for_cancel_request(self, count: int = 1) -> pgwire.CancelRequest:
        """Wait until ``count`` CancelRequests arrived in all; the ``count``-th of them.

        Raises:
            RuntimeError: as :meth:`wait_until`.
        """
        await self.wait_until(lambda: len(self.cancel_requests) >= count)
        return self.cancel_requests[count - 1]

    async def reached(self, point: str) -> FakeSession:
        """Wait until a session pauses at ``point``; the first session that did.

        Raises:
            RuntimeError: as :meth:`wait_until` (a script that failed before the point).
        """
        await self.wait_until(lambda: bool(self._point(point).reached_by))
        return self._point(point).reached_by[0]

    def release(self, point: str) -> None:
        """Let every session paused at ``point`` go on, and those that reach it later pass."""
        self._point(point).released = True
        self._signal.notify()

    # -- used by the sessions ---------------------------------------------------------------

    def _point(self, name: str) -> _Point:
        return self._points.setdefault(name, _Point())

    async def pause_at(self, name: str, session: FakeSession) -> None:
        """:meth:`FakeSession.pause`: record that ``session`` reached ``name``, wait for release."""
        point = self._point(name)
        point.reached_by.append(session)
        self._signal.notify()
        await self._signal.wait_until(lambda: point.released)

    def notify(self) -> None:
        """Wake the waits of :meth:`wait_until`: the state changed."""
        self._signal.notify()

    def record_cancel(self, request: pgwire.CancelRequest) -> None:
        """Keep a CancelRequest and wake whoever waits for one."""
        self.cancel_requests.append(request)
        self._signal.notify()

    def _connection(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> Coroutine[Any, Any, None]:
        return self._serve(FakeSession(self, next(self._numbers), reader, writer))

    async def _serve(self, session: FakeSession) -> None:
        try:
            if await session.run_startup():
                self.sessions.append(session)
                self._signal.notify()
                await self.handler(session)
        except Exception as error:
            error.add_note(f"in {session!r} of {self!r}")
            self.errors.append(error)
            self._signal.notify()
        finally:
            await session.finish()

    async def close(self, *, raise_errors: bool = True) -> None:
        """Stop listening, cancel the sessions still running and await them; idempotent.

        Args:
            raise_errors: raise the sessions' errors, if any.

        Raises:
            Exception: the one error a session failed with, or an ``ExceptionGroup`` of several.
        """
        await self._shutdown()
        if raise_errors and self.errors:
            errors, self.errors = self.errors, []
            if len(errors) == 1:
                raise errors[0]
            raise ExceptionGroup(f"{len(errors)} sessions of {self!r} failed", errors)
