"""Startup and authentication as one sans-IO exchange, for every client that opens a session.

The protocol docs' "Start-up" flow: the client sends StartupMessage; the server answers with
authentication requests until AuthenticationOk, then ParameterStatus messages, BackendKeyData
and the first ReadyForQuery, or with an ErrorResponse that ends the connection. A
:class:`StartupExchange` is that dialogue without I/O: the driver sends what :meth:`~StartupExchange.start`
returns, feeds every event its :class:`~pgwire.ClientConnection` gives back to
:meth:`~StartupExchange.receive`, sends the answer when there is one, and stops at
:attr:`~StartupExchange.is_done` with a :class:`StartupResult`. The asyncio driver (pgconn) and
the blocking client (:mod:`pgwire.blocking`) both drive this one class.

TLS and GSS negotiation come before it (SSLRequest and the handshake are the driver's I/O);
channel binding data for SCRAM-SHA-256-PLUS is computed from the server certificate once the
handshake is done (:func:`~pgwire.tls_server_end_point_data`) and passed in.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Final

from pgwire._auth import ClientAuthenticator
from pgwire._authentication import (
    AuthenticationCleartextPassword,
    AuthenticationGSS,
    AuthenticationGSSContinue,
    AuthenticationKerberosV5,
    AuthenticationMD5Password,
    AuthenticationOk,
    AuthenticationSASL,
    AuthenticationSASLContinue,
    AuthenticationSASLFinal,
    AuthenticationSCMCredential,
    AuthenticationSSPI,
    PasswordMessage,
    SASLInitialResponse,
    SASLResponse,
)
from pgwire._backend import (
    BackendKeyData,
    ErrorResponse,
    NegotiateProtocolVersion,
    NoticeResponse,
    ParameterStatus,
    ReadyForQuery,
    TransactionStatus,
)
from pgwire._client import ClientEvent
from pgwire._client_errors import InterfaceError, LocalProtocolError, RemoteProtocolError
from pgwire._events import ConnectionClosed
from pgwire._message import FrontendMessage
from pgwire._postgres_message import PostgresError
from pgwire._scram import ChannelBinding
from pgwire._sqlstate import ClientCannotConnectError, ConnectionDoesNotExistError
from pgwire._startup import PROTOCOL_3_0, StartupMessage

__all__ = ["StartupExchange", "StartupResult"]

# The requests that pgwire does not answer, by the ``require_auth`` name they are checked
# under first (libpq refuses a request the policy excludes before saying it is unsupported).
_UNSUPPORTED: Final[dict[type[object], tuple[str | None, str]]] = {
    AuthenticationGSS: ("gss", "GSS"),
    AuthenticationGSSContinue: ("gss", "GSS"),
    AuthenticationSSPI: ("sspi", "SSPI"),
    AuthenticationKerberosV5: (None, "KerberosV5"),
    AuthenticationSCMCredential: (None, "SCMCredential"),
}


@dataclass(frozen=True, slots=True)
class StartupResult:
    """What the server told the client during startup.

    Attributes:
        parameters: the run-time parameters of the ParameterStatus messages
            (``server_version``, ``client_encoding``, ...).
        backend_key: the BackendKeyData (for CancelRequest); None if the server sent none.
        protocol_version: the version asked for, lowered by NegotiateProtocolVersion.
        unsupported_options: the ``_pq_.`` protocol options the server did not recognise.
        transaction_status: from the first ReadyForQuery (``IDLE``).
        authentication_method: the ``require_auth`` name of the method the server used
            (``password``, ``md5``, ``scram-sha-256``), or ``none`` when it asked for none.
        is_channel_bound: whether SCRAM-SHA-256-PLUS bound authentication to the TLS channel.
        notices: the NoticeResponse messages that arrived during startup, if they were fed in.
    """

    parameters: dict[str, str]
    backend_key: BackendKeyData | None
    protocol_version: int
    unsupported_options: tuple[str, ...]
    transaction_status: TransactionStatus
    authentication_method: str
    is_channel_bound: bool
    notices: tuple[NoticeResponse, ...] = field(default=())


class StartupExchange:
    """The client's side of startup and authentication, sans-IO.

    Example (``wire`` a :class:`~pgwire.ClientConnection`, ``read`` and ``write`` the driver's)::

        exchange = StartupExchange("alice", "secret", database="app")
        write(wire.send(exchange.start()))
        while not exchange.is_done:
            answer = exchange.receive(read_event(wire))
            if answer is not None:
                write(wire.send(answer))
        result = exchange.result

    Args:
        user: the role to log in as (the ``user`` startup parameter; MD5 hashes it in).
        password: the password, or None when none is configured (a request for one then
            raises :class:`AuthenticationError`).
        database: the ``database`` startup parameter; None leaves it to the server (the
            user's name).
        parameters: further startup parameters in order: run-time settings (``TimeZone``,
            ``application_name``, ...), ``options``, ``replication``, ``_pq_.`` options. A name
            given twice is sent twice; the server keeps the last value.
        protocol_version: the version to ask for (:data:`PROTOCOL_3_0` or :data:`PROTOCOL_3_2`).
        min_protocol_version: the oldest version accepted when the server answers with
            NegotiateProtocolVersion (libpq's ``min_protocol_version``); an older offer raises
            :class:`ClientCannotConnectError` before any password is sent.
        channel_binding_data: the ``tls-server-end-point`` data of the server certificate when
            TLS is on (see :func:`tls_server_end_point_data`), else None.
        channel_binding: libpq's ``channel_binding``: ``disable``, ``prefer`` or ``require``.
        require_auth: libpq's ``require_auth`` (see :func:`parse_require_auth`); None allows all.
        nonce: the SCRAM client nonce, for tests; random when omitted.

    Raises:
        ClientConfigurationError: ``channel_binding`` or ``require_auth`` is invalid.
        InterfaceError: ``user`` is empty.
    """

    __slots__ = (
        "_authenticator",
        "_backend_key",
        "_message",
        "_min_protocol_version",
        "_notices",
        "_parameters",
        "_protocol_version",
        "_result",
        "_started",
        "_unsupported_options",
    )

    def __init__(
        self,
        user: str,
        password: str | None = None,
        *,
        database: str | None = None,
        parameters: Iterable[tuple[str, str]] = (),
        protocol_version: int = PROTOCOL_3_0,
        min_protocol_version: int = PROTOCOL_3_0,
        channel_binding_data: bytes | None = None,
        channel_binding: ChannelBinding = "prefer",
        require_auth: str | None = None,
        nonce: str | None = None,
    ) -> None:
        if not user:
            raise InterfaceError("user must be a non-empty role name, got an empty string")
        pairs = [("user", user)]
        if database is not None:
            pairs.append(("database", database))
        pairs.extend(parameters)
        self._message = StartupMessage(tuple(pairs), protocol_version=protocol_version)
        self._authenticator = ClientAuthenticator(
            user,
            password,
            channel_binding_data=channel_binding_data,
            channel_binding=channel_binding,
            require_auth=require_auth,
            nonce=nonce,
        )
        self._started = False
        self._parameters: dict[str, str] = {}
        self._backend_key: BackendKeyData | None = None
        self._protocol_version = protocol_version
        self._min_protocol_version = min_protocol_version
        self._unsupported_options: tuple[str, ...] = ()
        self._notices: list[NoticeResponse] = []
        self._result: StartupResult | None = None

    def __repr__(self) -> str:
        state = "done" if self._result is not None else "started" if self._started else "not started"
        return f"<StartupExchange user={self._authenticator.user!r} {state}>"

    @property
    def is_done(self) -> bool:
        """Whether ReadyForQuery arrived and :attr:`result` is available."""
        return self._result is not None

    @property
    def result(self) -> StartupResult:
        """What the server said during startup.

        Raises:
            LocalProtocolError: the exchange is not done yet.
        """
        if self._result is None:
            raise LocalProtocolError("the startup exchange is not done: no ReadyForQuery received yet")
        return self._result

    def start(self) -> StartupMessage:
        """The StartupMessage to send first.

        Raises:
            LocalProtocolError: the exchange was already started.
        """
        if self._started:
            raise LocalProtocolError("the startup exchange was already started")
        self._started = True
        return self._message

    def receive(self, event: ClientEvent) -> FrontendMessage | None:
        """Take the next event from the connection; the message to send in answer, if any.

        Args:
            event: what :meth:`ClientConnection.next_event` returned (not ``NEED_DATA``).

        Returns:
            A PasswordMessage, SASLInitialResponse or SASLResponse to send, or None.

        Raises:
            PostgresError: the server refused the connection (its ErrorResponse, as the class of
                its SQLSTATE: ``InvalidPasswordError``, ``InvalidCatalogNameError``, ...).
            AuthenticationError: the policy refuses the server's method, there is no password,
                or the server failed to prove that it knows the password.
            InterfaceError: the server asked for a method pgwire does not implement (GSS,
                SSPI, Kerberos, SCM credentials).
            ConnectionDoesNotExistError: the server closed the connection.
            LocalProtocolError: :meth:`start` was not called, or the exchange is done.
            RemoteProtocolError: an event that has no place in startup.
        """
        if not self._started or self._result is not None:
            what = "not started" if not self._started else "already done"
            raise LocalProtocolError(f"the startup exchange is {what}: it takes no events now")
        authenticator = self._authenticator
        if isinstance(event, AuthenticationSASLContinue):
            return SASLResponse(authenticator.sasl_continue(event.data))
        if isinstance(event, AuthenticationSASL):
            mechanism, data = authenticator.sasl_start(event.mechanisms)
            return SASLInitialResponse(mechanism, data)
        if isinstance(event, AuthenticationMD5Password):
            return PasswordMessage(authenticator.md5(event.salt))
        if isinstance(event, AuthenticationCleartextPassword):
            return PasswordMessage(authenticator.cleartext())
        if isinstance(event, AuthenticationSASLFinal):
            authenticator.sasl_final(event.data)
        elif isinstance(event, AuthenticationOk):
            authenticator.ok()
        elif (unsupported := _UNSUPPORTED.get(type(event))) is not None:
            method, name = unsupported
            if method is not None:
                authenticator.check_method(method)
            raise InterfaceError(f"unsupported authentication method requested by the server: {name}")
        elif isinstance(event, ParameterStatus):
            self._parameters[event.name] = event.value
        elif isinstance(event, BackendKeyData):
            self._backend_key = event
        elif isinstance(event, NegotiateProtocolVersion):
            # The connection checked the offer; the field is a minor version or a whole code.
            offered = event.newest_minor
            major = self._protocol_version & ~0xFFFF
            self._protocol_version = offered if offered > 0xFFFF else major | offered
            if self._protocol_version < self._min_protocol_version:
                # "Protocol versions": the client may go on with the version offered or close
                # the connection; below its minimum it closes, before any password is sent.
                raise ClientCannotConnectError.client_side(
                    f"the server only supports protocol version {_version_name(self._protocol_version)}, "
                    f"but min_protocol_version was set to {_version_name(self._min_protocol_version)}"
                )
            self._unsupported_options = event.unrecognized_options
        elif isinstance(event, NoticeResponse):
            self._notices.append(event)
        elif isinstance(event, ErrorResponse):
            raise PostgresError.new(event.as_dict())
        elif isinstance(event, ReadyForQuery):
            self._finish(event.status)
        elif isinstance(event, ConnectionClosed):
            raise ConnectionDoesNotExistError.client_side("the server closed the connection during startup")
        else:
            raise RemoteProtocolError(f"unexpected {type(event).__name__} during startup")
        return None

    def _finish(self, status: TransactionStatus) -> None:
        authenticator = self._authenticator
        self._result = StartupResult(
            parameters=dict(self._parameters),
            backend_key=self._backend_key,
            protocol_version=self._protocol_version,
            unsupported_options=self._unsupported_options,
            transaction_status=status,
            authentication_method=authenticator.method or "none",
            is_channel_bound=authenticator.is_channel_bound,
            notices=tuple(self._notices),
        )


def _version_name(code: int) -> str:
    """``"3.2"`` for the version code 196610, as PostgreSQL writes versions."""
    return f"{code >> 16}.{code & 0xFFFF}"
