"""A small blocking PostgreSQL client built on pgwire, over a plain (or TLS) socket.

It shows how the sans-IO protocol is driven: every byte written comes from
``ClientConnection.send``, every byte read goes to ``receive_data``, and the events decide
what happens next. The demo and the live protocol tests use it; applications use the asyncio
driver instead. Values travel in text format and come back as ``str`` (or None for NULL).
"""

from __future__ import annotations

import socket
import ssl
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Self

import pgwire
from pgwire import (
    NEED_DATA,
    AuthenticationCleartextPassword,
    AuthenticationMD5Password,
    AuthenticationOk,
    AuthenticationSASL,
    AuthenticationSASLContinue,
    AuthenticationSASLFinal,
    ClientConnection,
    ClientEvent,
    CommandComplete,
    CopyData,
    CopyDone,
    CopyFail,
    CopyInResponse,
    CopyOutResponse,
    DataRowBatch,
    EmptyQueryResponse,
    ErrorResponse,
    FrontendMessage,
    NoticeResponse,
    NotificationResponse,
    PostgresError,
    ReadyForQuery,
    RowDescription,
)

__all__ = ["BlockingSession", "QueryResult", "Trace"]

#: Called with ``"->"`` and each message sent, ``"<-"`` and each event received.
Trace = Callable[[str, object], None]

_CHUNK = 65536


@dataclass
class QueryResult:
    """The outcome of one statement: column names, rows of text values, the command tag."""

    columns: tuple[str, ...] = ()
    rows: list[tuple[str | None, ...]] = field(default_factory=list)
    status: str = ""


def _server_end_point_hash(tls: ssl.SSLSocket) -> bytes | None:
    """The ``tls-server-end-point`` channel binding data, when the certificate can be read."""
    der = tls.getpeercert(binary_form=True)
    if der is None:
        return None
    try:
        from cryptography import x509  # only needed to learn the certificate's hash algorithm
    except ImportError:
        return None
    algorithm = x509.load_der_x509_certificate(der).signature_hash_algorithm
    return pgwire.tls_server_end_point_hash(der, algorithm.name if algorithm else None)


class BlockingSession:
    """One connection: a socket and a :class:`pgwire.ClientConnection`.

    Attributes:
        wire: the protocol state (parameters, backend key, transaction status).
        notices: NoticeResponse messages received so far.
        notifications: NotificationResponse messages received so far.
        channel_bound: whether SCRAM-SHA-256-PLUS bound the session to the TLS channel.
    """

    def __init__(
        self,
        sock: socket.socket,
        wire: ClientConnection,
        address: tuple[str, int] | str,
        trace: Trace | None = None,
    ) -> None:
        self.sock = sock
        self.trace = trace
        self.wire = wire
        self.address = address
        self.notices: list[NoticeResponse] = []
        self.notifications: list[NotificationResponse] = []
        self.channel_bound = False

    @classmethod
    def connect(
        cls,
        host: str,
        port: int,
        *,
        user: str,
        password: str | None = None,
        database: str = "postgres",
        tls: ssl.SSLContext | None = None,
        channel_binding: pgwire.ChannelBinding = "prefer",
        protocol_version: int = pgwire.PROTOCOL_3_0,
        unix_socket: str | None = None,
        timeout: float = 30.0,
        options: Iterable[tuple[str, str]] = (),
        trace: Trace | None = None,
    ) -> Self:
        """Connect, negotiate TLS if asked, authenticate, and wait for ReadyForQuery.

        Raises:
            PostgresError: the server refused the connection (e.g. ``InvalidPasswordError``).
            pgwire.AuthenticationError: the server could not prove it knows the password.
            OSError: the socket could not connect; ssl.SSLError: TLS failed.
        """
        sock: socket.socket
        address: tuple[str, int] | str
        if unix_socket is not None:
            address = unix_socket
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        else:
            address = (host, port)
            sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM)
        sock.settimeout(timeout)
        try:
            sock.connect(address)
            session = cls(sock, ClientConnection(batch_events=True), address, trace)
            binding = session._negotiate_tls(tls, host) if tls is not None else None
            parameters = (("user", user), ("database", database), ("client_encoding", "UTF8"), *options)
            session.send(pgwire.StartupMessage(parameters, protocol_version=protocol_version))
            authenticator = pgwire.ClientAuthenticator(
                user, password, channel_binding_data=binding, channel_binding=channel_binding
            )
            session._authenticate(authenticator)
        except BaseException:
            sock.close()
            raise
        return session

    def _negotiate_tls(self, context: ssl.SSLContext, host: str) -> bytes | None:
        self.send(pgwire.SSLRequest())
        answer = self.next_event()
        if not isinstance(answer, pgwire.SSLResponse) or not answer.accepted:
            raise ConnectionError("the server refused TLS (it answered 'N' to SSLRequest)")
        self.sock = context.wrap_socket(self.sock, server_hostname=host)
        assert isinstance(self.sock, ssl.SSLSocket)
        return _server_end_point_hash(self.sock)

    def _authenticate(self, authenticator: pgwire.ClientAuthenticator) -> None:
        while True:
            event = self.next_event()
            if isinstance(event, AuthenticationCleartextPassword):
                self.send(pgwire.PasswordMessage(authenticator.cleartext()))
            elif isinstance(event, AuthenticationMD5Password):
                self.send(pgwire.PasswordMessage(authenticator.md5(event.salt)))
            elif isinstance(event, AuthenticationSASL):
                mechanism, data = authenticator.sasl_start(event.mechanisms)
                self.channel_bound = mechanism == pgwire.SCRAM_SHA_256_PLUS
                self.send(pgwire.SASLInitialResponse(mechanism, data))
            elif isinstance(event, AuthenticationSASLContinue):
                self.send(pgwire.SASLResponse(authenticator.sasl_continue(event.data)))
            elif isinstance(event, AuthenticationSASLFinal):
                authenticator.sasl_final(event.data)
            elif isinstance(event, AuthenticationOk):
                authenticator.ok()
            elif isinstance(event, ErrorResponse):
                raise PostgresError.new(event.as_dict())
            elif isinstance(event, ReadyForQuery):
                return
            elif isinstance(event, pgwire.ConnectionClosed):
                raise ConnectionError("the server closed the connection during startup")
            elif isinstance(event, pgwire.AuthenticationRequest):
                authenticator.check_method(type(event).__name__.removeprefix("Authentication").lower())
                raise ConnectionError(f"unsupported authentication request {type(event).__name__}")

    # -- bytes in and out ------------------------------------------------------------------

    def send(self, *messages: FrontendMessage) -> None:
        """Check and write messages in one write (a pipelined batch when there are several)."""
        data = self.wire.send_many(messages)
        if self.trace is not None:
            for message in messages:
                self.trace("->", message)
        self.sock.sendall(data)

    def next_event(self) -> ClientEvent:
        """Block until the next event; notices and notifications are collected on the way."""
        while True:
            event = self.wire.next_event()
            if event is NEED_DATA:
                self.wire.receive_data(self.sock.recv(_CHUNK))
                continue
            if self.trace is not None:
                self.trace("<-", event)
            if isinstance(event, NoticeResponse):
                self.notices.append(event)
            elif isinstance(event, NotificationResponse):
                self.notifications.append(event)
            else:
                return event

    # -- queries -----------------------------------------------------------------------------

    def _collect(self, query: str) -> list[QueryResult | PostgresError]:
        """Read one request's answers up to ReadyForQuery, one entry per statement."""
        outcomes: list[QueryResult | PostgresError] = []
        current = QueryResult()
        while True:
            event = self.next_event()
            if isinstance(event, RowDescription):
                current.columns = tuple(f.name for f in event.fields)
            elif isinstance(event, DataRowBatch):
                current.rows.extend(
                    tuple(None if v is None else v.decode() for v in row) for row in event.rows()
                )
            elif isinstance(event, CommandComplete | EmptyQueryResponse):
                current.status = event.tag if isinstance(event, CommandComplete) else ""
                outcomes.append(current)
                current = QueryResult()
            elif isinstance(event, pgwire.CompletionRun):
                outcomes.extend(QueryResult(status=event.tag) for _ in range(event.count))
            elif isinstance(event, ErrorResponse):
                outcomes.append(PostgresError.new(event.as_dict(), query=query))
                current = QueryResult()
            elif isinstance(event, ReadyForQuery):
                return outcomes
            elif isinstance(event, pgwire.ConnectionClosed):
                raise ConnectionError("the server closed the connection")

    @staticmethod
    def _raise_first_error(outcomes: Sequence[QueryResult | PostgresError]) -> list[QueryResult]:
        results: list[QueryResult] = []
        for outcome in outcomes:
            if isinstance(outcome, PostgresError):
                raise outcome
            results.append(outcome)
        return results

    def simple_query(self, sql: str) -> list[QueryResult]:
        """Run SQL with the simple query protocol (several statements allowed).

        Raises:
            PostgresError: the first statement that failed, after the connection is back
                in sync.
        """
        self.send(pgwire.Query(sql))
        return self._raise_first_error(self._collect(sql))

    def _extended(self, sql: str, params: Sequence[str | None]) -> list[FrontendMessage]:
        values = tuple(None if p is None else p.encode() for p in params)
        return [
            pgwire.Parse("", sql),
            pgwire.Bind("", "", params=values),
            pgwire.Describe("P", ""),
            pgwire.Execute(""),
        ]

    def query(self, sql: str, *params: str | None) -> QueryResult:
        """Run one statement with the extended protocol and text parameters ``$1, $2, ...``."""
        self.send(*self._extended(sql, params), pgwire.Sync())
        return self._raise_first_error(self._collect(sql))[0]

    def pipeline(
        self, statements: Sequence[tuple[str, Sequence[str | None]]]
    ) -> list[QueryResult | PostgresError]:
        """Send several statements in one write, each ended by its own Sync, then read all.

        A failing statement does not stop the others: each Sync starts anew.
        """
        messages: list[FrontendMessage] = []
        for sql, params in statements:
            messages += [*self._extended(sql, params), pgwire.Sync()]
        self.send(*messages)
        outcomes: list[QueryResult | PostgresError] = []
        for sql, _ in statements:
            outcome = self._collect(sql)
            outcomes.append(outcome[0] if outcome else QueryResult())
        return outcomes

    def copy_in(self, sql: str, chunks: Iterable[bytes], *, fail: str | None = None) -> str:
        """Run ``COPY ... FROM STDIN`` and send ``chunks``; returns the command tag.

        With ``fail``, the copy is aborted with CopyFail after the chunks and the server's
        error is raised.
        """
        self.send(pgwire.Query(sql))
        event = self.next_event()
        if not isinstance(event, CopyInResponse):
            self._raise_first_error([*self._pending(event, sql)])
            raise pgwire.RemoteProtocolError(f"expected CopyInResponse, got {type(event).__name__}")
        self.sock.sendall(b"".join(self.wire.send(CopyData(chunk)) for chunk in chunks))
        self.send(CopyFail(fail) if fail is not None else CopyDone())
        return self._raise_first_error(self._collect(sql))[0].status

    def copy_out(self, sql: str) -> tuple[bytes, str]:
        """Run ``COPY ... TO STDOUT``; returns the data and the command tag."""
        self.send(pgwire.Query(sql))
        event = self.next_event()
        if not isinstance(event, CopyOutResponse):
            self._raise_first_error([*self._pending(event, sql)])
            raise pgwire.RemoteProtocolError(f"expected CopyOutResponse, got {type(event).__name__}")
        data: list[bytes] = []
        while isinstance(event := self.next_event(), CopyData):
            data.append(event.data)
        if not isinstance(event, pgwire.CopyDone):
            raise pgwire.RemoteProtocolError(f"expected CopyDone, got {type(event).__name__}")
        return b"".join(data), self._raise_first_error(self._collect(sql))[0].status

    def _pending(self, first: ClientEvent, query: str) -> list[QueryResult | PostgresError]:
        """The outcomes of a request whose first event was already read."""
        if isinstance(first, ErrorResponse):
            error = PostgresError.new(first.as_dict(), query=query)
            self._collect(query)
            return [error]
        if isinstance(first, ReadyForQuery):
            return []
        return self._collect(query)

    def wait_for_notification(self) -> NotificationResponse:
        """Block until a NotificationResponse arrives (outside any query)."""
        while not self.notifications:
            self.wire.receive_data(self.sock.recv(_CHUNK))
            while (event := self.wire.next_event()) is not NEED_DATA:
                if isinstance(event, NotificationResponse):
                    self.notifications.append(event)
                elif isinstance(event, NoticeResponse):
                    self.notices.append(event)
        return self.notifications.pop(0)

    def cancel(self) -> None:
        """Ask the server to cancel the running query, over a separate connection."""
        key = self.wire.backend_key
        if key is None:
            raise pgwire.InterfaceError("no BackendKeyData received: nothing to cancel")
        side = ClientConnection()
        family = socket.AF_UNIX if isinstance(self.address, str) else self.sock.family
        with socket.socket(family, socket.SOCK_STREAM) as sock:
            sock.settimeout(self.sock.gettimeout())
            sock.connect(self.address)
            sock.sendall(side.send(pgwire.CancelRequest(key.process_id, key.secret_key)))
            # The server closes the connection without answering (protocol docs, "Canceling
            # Requests in Progress"); waiting for that makes the cancel request delivered.
            while sock.recv(_CHUNK):
                pass

    def close(self) -> None:
        """Send Terminate (when the connection is usable) and close the socket."""
        try:
            if self.wire.is_ready:
                self.send(pgwire.Terminate())
        finally:
            self.sock.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
