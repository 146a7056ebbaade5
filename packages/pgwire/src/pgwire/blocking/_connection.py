"""A blocking PostgreSQL client connection: one socket driven by pgwire's sans-IO objects.

Every byte written comes from :meth:`pgwire.ClientConnection.send`, every byte read goes to
:meth:`~pgwire.ClientConnection.receive_data` (``b""`` at end of stream), and the startup is
:class:`pgwire.StartupExchange`, so this module adds only the socket, the TLS upgrade and a few
conveniences for the request cycles that tools need most.
"""

from __future__ import annotations

import socket
import ssl
from collections.abc import Callable, Iterable, Sequence
from typing import Final, Self

from pgwire._backend import ErrorResponse, NoticeResponse, NotificationResponse, ReadyForQuery
from pgwire._channel_binding import tls_server_end_point_data
from pgwire._client import ClientConnection, ClientEvent
from pgwire._client_errors import InterfaceError, RemoteProtocolError
from pgwire._copy import CopyData, CopyDone, CopyFail, CopyInResponse, CopyOutResponse
from pgwire._events import NEED_DATA, ConnectionClosed, SSLResponse
from pgwire._frontend import Bind, Describe, Execute, Parse, Query, Sync, Terminate
from pgwire._message import FrontendMessage
from pgwire._postgres_message import PostgresError
from pgwire._scram import ChannelBinding
from pgwire._sqlstate import ConnectionDoesNotExistError
from pgwire._startup import PROTOCOL_3_0, CancelRequest, SSLRequest
from pgwire._startup_exchange import StartupExchange, StartupResult
from pgwire._states import Phase
from pgwire.blocking._result import QueryResult, collect_results, raise_first_error

__all__ = ["BlockingConnection", "TlsRefusedError", "Trace"]

#: Called with ``"->"`` and each message sent, and ``"<-"`` and each event received.
Trace = Callable[[str, object], None]

_CHUNK: Final = 65536


class TlsRefusedError(ConnectionError):
    """The server answered SSLRequest with 'N' (no TLS) while TLS was required."""


class BlockingConnection:
    """One PostgreSQL session over a blocking socket.

    Open it with :meth:`connect`; use it as a context manager (or call :meth:`close`).
    :meth:`send` and :meth:`next_event` are the protocol itself; :meth:`simple_query`,
    :meth:`query`, :meth:`pipeline`, :meth:`copy_in`, :meth:`copy_out`,
    :meth:`wait_for_notification` and :meth:`cancel` are complete request cycles built on them.
    Not thread-safe, except :meth:`cancel`, which opens its own socket.

    Attributes:
        wire: the protocol state (:class:`pgwire.ClientConnection`): ``parameters``,
            ``backend_key``, ``transaction_status``, ``phase``, ``pending_requests``.
        startup: what the server said during startup (:class:`pgwire.StartupResult`).
        notices: NoticeResponse messages received so far (they never come out of
            :meth:`next_event`).
        notifications: NotificationResponse messages received and not yet taken by
            :meth:`wait_for_notification`.
        trace: a callable that sees every message sent and every event received, or None.
    """

    def __init__(
        self, sock: socket.socket, address: tuple[str, int] | str, trace: Trace | None = None
    ) -> None:
        """Wrap a connected socket; :meth:`connect` is the usual way to make one."""
        self.sock = sock
        self.address = address
        self.trace = trace
        self.wire = ClientConnection()
        self.startup: StartupResult | None = None
        self.notices: list[NoticeResponse] = []
        self.notifications: list[NotificationResponse] = []

    def __repr__(self) -> str:
        return f"<BlockingConnection {self.address!r} {self.wire.phase.name}>"

    @classmethod
    def connect(
        cls,
        host: str = "localhost",
        port: int = 5432,
        *,
        user: str,
        password: str | None = None,
        database: str | None = None,
        tls: ssl.SSLContext | None = None,
        tls_required: bool = True,
        direct_tls: bool = False,
        channel_binding: ChannelBinding = "prefer",
        require_auth: str | None = None,
        protocol_version: int = PROTOCOL_3_0,
        parameters: Iterable[tuple[str, str]] = (),
        unix_socket: str | None = None,
        timeout: float | None = 30.0,
        trace: Trace | None = None,
    ) -> Self:
        """Connect, negotiate TLS if asked, authenticate, and wait for ReadyForQuery.

        Args:
            host: the server's host name or IP address (ignored with ``unix_socket``).
            port: the server's TCP port.
            user: the role to log in as.
            password: the password, when the server asks for one.
            database: the database; None lets the server choose (the user's name).
            tls: a client context to encrypt the connection with: the client sends SSLRequest
                and upgrades the socket when the server answers 'S'. The host name is checked
                when the context says so (``ssl.create_default_context()`` does).
            tls_required: with ``tls``, whether a server that answers 'N' is an error (else
                the session goes on unencrypted, as libpq's ``sslmode=prefer``).
            direct_tls: with ``tls``, start TLS at once instead of sending SSLRequest
                (PostgreSQL 17's ``sslnegotiation=direct``). The server requires the ALPN
                protocol ``postgresql``: offer it with
                ``context.set_alpn_protocols(["postgresql"])``.
            channel_binding: libpq's ``channel_binding`` (``disable``, ``prefer``, ``require``).
            require_auth: libpq's ``require_auth`` (see :func:`pgwire.parse_require_auth`).
            protocol_version: :data:`pgwire.PROTOCOL_3_0` or :data:`pgwire.PROTOCOL_3_2`.
            parameters: further startup parameters (run-time settings, ``_pq_.`` options);
                ``client_encoding`` is UTF8 unless given here.
            unix_socket: the path of a Unix-domain socket (``/run/postgresql/.s.PGSQL.5432``).
            timeout: seconds any one socket operation may block (None: no limit).
            trace: called with every message sent and every event received.

        Returns:
            The connection, idle and ready for queries.

        Raises:
            PostgresError: the server refused the connection (``InvalidPasswordError``, ...).
            pgwire.AuthenticationError: the policy refused the server's method, or the server
                could not prove that it knows the password.
            TlsRefusedError: the server refused TLS while it was required.
            OSError: the socket could not connect (``TimeoutError`` after ``timeout``);
                ``ssl.SSLError``: the TLS handshake failed.
        """
        if direct_tls and tls is None:
            raise InterfaceError("direct_tls=True needs an ssl.SSLContext in tls=")
        address: tuple[str, int] | str
        if unix_socket is not None:
            address = unix_socket
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            sock.settimeout(timeout)
            try:
                sock.connect(address)
            except BaseException:
                sock.close()
                raise
        else:
            # Every address the name resolves to, IPv4 or IPv6, in the resolver's order.
            address = (host, port)
            sock = socket.create_connection(address, timeout=timeout)
        connection = cls(sock, address, trace)
        try:
            binding = None
            if tls is not None and direct_tls:
                connection.sock = tls.wrap_socket(sock, server_hostname=host or None)
                binding = connection.tls_server_end_point()
            elif tls is not None:
                binding = connection._negotiate_tls(tls, host, tls_required)
            settings = list(parameters)
            if not any(name == "client_encoding" for name, _ in settings):
                settings.insert(0, ("client_encoding", "UTF8"))
            exchange = StartupExchange(
                user,
                password,
                database=database,
                parameters=settings,
                protocol_version=protocol_version,
                channel_binding_data=binding,
                channel_binding=channel_binding,
                require_auth=require_auth,
            )
            connection.send(exchange.start())
            while not exchange.is_done:
                answer = exchange.receive(connection._next_startup_event())
                if answer is not None:
                    connection.send(answer)
            connection.startup = exchange.result
        except BaseException:
            connection.sock.close()  # the TLS socket once there is one (it owns the descriptor)
            raise
        return connection

    def _negotiate_tls(self, context: ssl.SSLContext, host: str, required: bool) -> bytes | None:
        """SSLRequest, then the handshake; the channel binding data of the server's certificate."""
        self.send(SSLRequest())
        answer = self.next_event()
        if not isinstance(answer, SSLResponse):
            raise ConnectionDoesNotExistError.client_side("the server closed the connection after SSLRequest")
        if not answer.accepted:
            if required:
                raise TlsRefusedError("the server refused TLS (it answered 'N' to SSLRequest)")
            return None
        self.sock = context.wrap_socket(self.sock, server_hostname=host or None)
        return self.tls_server_end_point()

    def _next_startup_event(self) -> ClientEvent:
        # Notices during startup go to the exchange too (they end up in its result).
        event = self._read_event()
        if isinstance(event, NoticeResponse):
            self.notices.append(event)
        return event

    @property
    def is_tls(self) -> bool:
        """Whether the session runs over TLS."""
        return isinstance(self.sock, ssl.SSLSocket)

    @property
    def is_channel_bound(self) -> bool:
        """Whether SCRAM-SHA-256-PLUS bound authentication to the TLS channel."""
        return self.startup is not None and self.startup.is_channel_bound

    def tls_server_end_point(self) -> bytes | None:
        """The ``tls-server-end-point`` data of the server's certificate; None without TLS."""
        if not isinstance(self.sock, ssl.SSLSocket):
            return None
        return tls_server_end_point_data(self.sock.getpeercert(binary_form=True))

    # -- bytes in and out --------------------------------------------------------------------

    def send(self, *messages: FrontendMessage) -> None:
        """Check the messages against the protocol state and write them in one write.

        Raises:
            LocalProtocolError: a message is not allowed now or cannot be encoded; nothing
                was written.
            ConnectionDoesNotExistError: the connection is closed (the server's end of the
                stream was seen, or Terminate was sent).
            OSError: the socket failed.
        """
        if self.wire.phase is Phase.CLOSED or self.sock.fileno() == -1:
            raise ConnectionDoesNotExistError.client_side("the connection is closed")
        data = self.wire.send_many(messages) if len(messages) != 1 else self.wire.send(messages[0])
        if self.trace is not None:
            for message in messages:
                self.trace("->", message)
        self.sock.sendall(data)

    def _read_event(self) -> ClientEvent:
        wire = self.wire
        while (event := wire.next_event()) is NEED_DATA:
            # b"" at the end of the stream: the connection then reports ConnectionClosed.
            wire.receive_data(self.sock.recv(_CHUNK))
        if self.trace is not None:
            self.trace("<-", event)
        return event

    def next_event(self) -> ClientEvent:
        """Block until the next event; notices and notifications are collected on the way.

        Returns:
            A backend message (one per message: the connection does not ask for batch
            events), an :class:`pgwire.SSLResponse`, or :class:`pgwire.ConnectionClosed` once the server
            has closed the connection (and then again on every call).

        Raises:
            RemoteProtocolError: the server broke the protocol.
            OSError: the socket failed (``TimeoutError`` when the timeout passed).
        """
        while True:
            event = self._read_event()
            if isinstance(event, NoticeResponse):
                self.notices.append(event)
            elif isinstance(event, NotificationResponse):
                self.notifications.append(event)
            else:
                return event

    def read_until_ready(self) -> list[ClientEvent]:
        """Every event up to and including the next ReadyForQuery: one request cycle.

        Raises:
            ConnectionDoesNotExistError: the server closed the connection first.
        """
        events: list[ClientEvent] = []
        while not isinstance(event := self.next_event(), ReadyForQuery):
            if isinstance(event, ConnectionClosed):
                raise ConnectionDoesNotExistError.client_side("the server closed the connection")
            events.append(event)
        events.append(event)
        return events

    # -- request cycles --------------------------------------------------------------------------

    def collect(self, query: str = "") -> list[QueryResult | PostgresError]:
        """Read the current request cycle to its ReadyForQuery: one outcome per statement.

        Args:
            query: the SQL that was sent, attached to errors.

        Raises:
            ConnectionDoesNotExistError: the server closed the connection.
        """
        return collect_results(self.next_event, query)

    def simple_query(self, sql: str) -> list[QueryResult]:
        """Run SQL with the simple query protocol (several statements allowed).

        Returns:
            One result per statement.

        Raises:
            PostgresError: the statement that failed, once the connection is back in sync.
        """
        self.send(Query(sql))
        return raise_first_error(self.collect(sql))

    @staticmethod
    def _extended(sql: str, params: Sequence[str | None]) -> list[FrontendMessage]:
        values = tuple(None if p is None else p.encode() for p in params)
        return [Parse("", sql), Bind("", "", params=values), Describe("P", ""), Execute("")]

    def query(self, sql: str, *params: str | None) -> QueryResult:
        """Run one statement with the extended protocol and text parameters ``$1, $2, ...``.

        The parameters' types are inferred by the server (cast them in the SQL: ``$1::int``).

        Raises:
            PostgresError: the server's error, once the connection is back in sync.
        """
        self.send(*self._extended(sql, params), Sync())
        return raise_first_error(self.collect(sql))[0]

    def pipeline(
        self, statements: Sequence[tuple[str, Sequence[str | None]]]
    ) -> list[QueryResult | PostgresError]:
        """Send several statements in one write, each ended by its own Sync, then read all.

        A failing statement does not stop the others: each Sync starts anew.

        Args:
            statements: (SQL, text parameters) pairs.

        Returns:
            One outcome per statement, in order: its result, or its error.
        """
        messages: list[FrontendMessage] = []
        for sql, params in statements:
            messages += [*self._extended(sql, params), Sync()]
        self.send(*messages)
        outcomes: list[QueryResult | PostgresError] = []
        for sql, _ in statements:
            outcome = self.collect(sql)
            outcomes.append(outcome[0] if outcome else QueryResult())
        return outcomes

    def _first_after(self, sql: str, expected: type[ClientEvent]) -> None:
        """Read the first answer to ``sql``; raise the server's error if it is not ``expected``."""
        event = self.next_event()
        if isinstance(event, expected):
            return
        if isinstance(event, ErrorResponse):
            error = PostgresError.new(event.as_dict(), query=sql)
            self.collect(sql)
            raise error
        if isinstance(event, ConnectionClosed):
            raise ConnectionDoesNotExistError.client_side("the server closed the connection")
        if not isinstance(event, ReadyForQuery):
            raise_first_error(self.collect(sql))
        raise InterfaceError(f"{sql!r} did not start a COPY: the server answered {type(event).__name__}")

    def copy_in(self, sql: str, chunks: Iterable[bytes], *, fail: str | None = None) -> str:
        """Run ``COPY ... FROM STDIN`` and send ``chunks`` as its data.

        Args:
            sql: the COPY statement.
            chunks: the data, in any chunking (each becomes one CopyData).
            fail: if given, abort the copy with CopyFail and this message after the chunks.

        Returns:
            The command tag (``"COPY 1000"``).

        Raises:
            PostgresError: the server's error (with ``fail``: ``QueryCanceledError``).
            InterfaceError: the statement is not a COPY FROM STDIN.
        """
        self.send(Query(sql))
        self._first_after(sql, CopyInResponse)
        for chunk in chunks:
            self.send(CopyData(chunk))
        self.send(CopyFail(fail) if fail is not None else CopyDone())
        return raise_first_error(self.collect(sql))[0].status

    def copy_out(self, sql: str) -> tuple[bytes, str]:
        """Run ``COPY ... TO STDOUT``.

        Returns:
            The data and the command tag.

        Raises:
            PostgresError: the server's error.
            InterfaceError: the statement is not a COPY TO STDOUT.
            RemoteProtocolError: the copy did not end with CopyDone.
        """
        self.send(Query(sql))
        self._first_after(sql, CopyOutResponse)
        data: list[bytes] = []
        while isinstance(event := self.next_event(), CopyData):
            data.append(event.data)
        if isinstance(event, ErrorResponse):
            error = PostgresError.new(event.as_dict(), query=sql)
            self.collect(sql)
            raise error
        if not isinstance(event, CopyDone):
            raise RemoteProtocolError(f"expected CopyDone, got {type(event).__name__}")
        return b"".join(data), raise_first_error(self.collect(sql))[0].status

    def wait_for_notification(self) -> NotificationResponse:
        """The oldest notification not yet taken; blocks (outside any query) until one comes.

        Raises:
            PostgresError: the server sent an error (``AdminShutdownError`` when the session
                was terminated); it closes the connection next.
            ConnectionDoesNotExistError: the server closed the connection.
            TimeoutError: the socket's timeout passed first.
        """
        while not self.notifications:
            event = self._read_event()
            if isinstance(event, NotificationResponse):
                self.notifications.append(event)
            elif isinstance(event, NoticeResponse):
                self.notices.append(event)
            elif isinstance(event, ErrorResponse):
                # A FATAL error outside a query: the server is about to close the connection.
                raise PostgresError.new(event.as_dict())
            elif isinstance(event, ConnectionClosed):
                raise ConnectionDoesNotExistError.client_side("the server closed the connection")
            else:
                raise RemoteProtocolError(f"unexpected {type(event).__name__} outside a query")
        return self.notifications.pop(0)

    def cancel(self) -> None:
        """Ask the server to cancel the running query, over a separate connection.

        Safe to call from another thread. The server answers nothing; the cancelled request
        ends with a ``QueryCanceledError`` if it was still running.

        Raises:
            InterfaceError: the server sent no BackendKeyData.
            OSError: the cancel connection failed.
        """
        key = self.wire.backend_key
        if key is None:
            raise InterfaceError("no BackendKeyData received: nothing to cancel")
        data = ClientConnection().send(CancelRequest(key.process_id, key.secret_key))
        timeout = self.sock.gettimeout()
        if isinstance(self.address, str):
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            sock.settimeout(timeout)
        else:
            # The very server this session reached, not whatever its name resolves to first.
            host, port = self.sock.getpeername()[:2]
            sock = socket.create_connection((host, port), timeout=timeout)
        with sock:
            if isinstance(self.address, str):
                sock.connect(self.address)
            sock.sendall(data)
            # The server closes the connection without answering ("Canceling Requests in
            # Progress"); waiting for that makes the request delivered before we return.
            while sock.recv(_CHUNK):
                pass

    def close(self) -> None:
        """Send Terminate (when the connection is idle) and close the socket; idempotent."""
        try:
            if self.wire.is_ready and self.sock.fileno() != -1:
                self.send(Terminate())
        except OSError:
            pass  # the server is gone already: closing is all that is left
        finally:
            self.sock.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
