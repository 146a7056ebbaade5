"""Opening one connection: transport, TLS negotiation, startup, authentication.

:func:`open_connection` tries one address with one TLS choice and returns the protocol,
ready for queries (ReadyForQuery received). The policy around it (several hosts, sslmode
``allow``/``prefer`` retries, ``target_session_attrs``, the overall timeout) is in
:mod:`pgconn._failover`.
"""

from __future__ import annotations

import asyncio
import ssl as ssl_module
from typing import cast

import pgwire
from pgconn._parameters import Address, ConnectionParameters
from pgconn._passfile import find_password, resolve_password
from pgconn._protocol import WireProtocol, stream_transport
from pgwire import SSLResponse, StartupExchange, tls_server_end_point_data
from pgwire.exceptions import ConnectionDoesNotExistError

__all__ = ["TlsRefusedError", "open_connection", "uses_tls"]

#: asyncio's default read size is 64 KiB; bigger reads mean fewer data_received calls for
#: large results.
_READ_BUFFER = 256 * 1024


class TlsRefusedError(ConnectionError):
    """The server answered SSLRequest with 'N' (no TLS) while TLS was required."""


async def _open_transport(
    loop: asyncio.AbstractEventLoop, address: Address, direct: ssl_module.SSLContext | None
) -> WireProtocol:
    protocol = WireProtocol(loop)
    try:
        if address.is_unix:
            await loop.create_unix_connection(lambda: protocol, address.host)
        elif direct is not None:
            await loop.create_connection(lambda: protocol, address.host, address.port, ssl=direct)
        else:
            await loop.create_connection(lambda: protocol, address.host, address.port)
    except OSError as error:
        # asyncio's message names the address, uvloop's ("Connection refused") does not.
        if error.errno is None or (address.host in str(error) and str(address.port) in str(error)):
            raise
        where = (address.host, address.port)
        raise type(error)(error.errno, f"Connect call failed {where!r}: {error.strerror}") from error
    return protocol


async def _negotiate_tls(protocol: WireProtocol, address: Address, context: ssl_module.SSLContext) -> bool:
    """SSLRequest, then the TLS handshake on the same transport if the server says 'S'."""
    protocol.send(pgwire.SSLRequest())
    answer = await protocol.next_event()
    if not isinstance(answer, SSLResponse):
        # CVE-2024-10977: an ErrorResponse here must not be shown to the user as the server's.
        raise ConnectionError(
            f"PostgreSQL server at {address} answered SSLRequest with {type(answer).__name__}"
        )
    if not answer.accepted:
        return False
    transport = protocol.base_transport
    assert transport is not None
    loop = protocol.loop
    # The loop's own transport, which its start_tls takes whatever its class (uvloop's derives
    # from no asyncio class; typeshed asks for a WriteTransport).
    writer = cast(asyncio.WriteTransport, transport)
    upgraded = await loop.start_tls(writer, protocol, context, server_hostname=address.host)
    if upgraded is None:
        raise ConnectionDoesNotExistError.client_side("the connection closed during the TLS handshake")
    protocol.base_transport = upgraded
    protocol.transport = stream_transport(upgraded)
    return True


def _channel_binding_data(protocol: WireProtocol) -> bytes | None:
    """The ``tls-server-end-point`` data of the server certificate, when TLS is up."""
    transport = protocol.transport
    ssl_object = transport.get_extra_info("ssl_object") if transport is not None else None
    if ssl_object is None:
        return None
    return tls_server_end_point_data(ssl_object.getpeercert(binary_form=True))


async def _run_startup(protocol: WireProtocol, exchange: StartupExchange) -> None:
    """Drive pgwire's startup exchange: send its messages, feed it events, to ReadyForQuery."""
    protocol.send(exchange.start())
    while not exchange.is_done:
        answer = exchange.receive(await protocol.next_event())
        if answer is not None:
            protocol.send(answer)


async def open_connection(
    params: ConnectionParameters,
    address: Address,
    tls: ssl_module.SSLContext | None,
    *,
    tls_optional: bool = False,
) -> WireProtocol:
    """Connect to ``address``, with TLS when ``tls`` is given, and authenticate.

    With ``tls_optional`` (sslmode ``prefer``), a server that answers SSLRequest with 'N' is
    talked to in plain text on the same connection, as libpq does.

    Returns:
        The protocol after ReadyForQuery: ``protocol.wire`` holds the server's parameters and
        the BackendKeyData.

    Raises:
        OSError: the address cannot be reached.
        TlsRefusedError: the server refused TLS (and ``tls_optional`` is false).
        PostgresError: the server refused the connection (wrong password, no such database, ...).
        pgwire.AuthenticationError: the server could not prove it knows the password.
        InterfaceError: an authentication method this client does not support.
        ClientCannotConnectError: the server offered a protocol version below
            ``min_protocol_version``.
    """
    loop = asyncio.get_running_loop()
    direct = tls if tls is not None and params.direct_tls else None
    protocol = await _open_transport(loop, address, direct)
    try:
        # The negotiation runs first; a refusal is an error unless TLS is optional (prefer).
        refused = tls is not None and direct is None and not await _negotiate_tls(protocol, address, tls)
        if refused and not tls_optional:
            raise TlsRefusedError(f"PostgreSQL server at {address} rejected SSL upgrade")
        password = await resolve_password(params.password)
        if password is None and params.passfile is not None:
            password = find_password(params.passfile, address, params.database, params.user)
        exchange = StartupExchange(
            params.user,
            password,
            database=params.database,
            parameters=[("client_encoding", "UTF8"), *params.server_settings.items()],
            protocol_version=params.protocol_versions.maximum,
            min_protocol_version=params.protocol_versions.minimum,
            channel_binding_data=_channel_binding_data(protocol),
        )
        await _run_startup(protocol, exchange)
    except BaseException:
        protocol.abort()
        raise
    return protocol


def uses_tls(protocol: WireProtocol) -> bool:
    """Whether the connection runs over TLS."""
    transport = protocol.transport
    return transport is not None and transport.get_extra_info("ssl_object") is not None
