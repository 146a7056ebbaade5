"""CancelRequest: asking the server, over a separate connection, to stop the running query.

The protocol docs ("Canceling Requests in Progress"): the client opens a new connection to
the same server, sends CancelRequest with the process id and secret key from BackendKeyData,
and the server closes that connection without answering. Whether the cancel worked shows on
the original connection (an error, or the query finishing anyway).
"""

from __future__ import annotations

import asyncio
import ssl as ssl_module

import pgwire
from pgconn._parameters import Address
from pgconn._protocol import stream_transport

__all__ = ["send_cancel_request"]


class _CancelProtocol(asyncio.Protocol):
    """Writes the CancelRequest and waits for the server to close the connection."""

    def __init__(self, payload: bytes, done: asyncio.Future[None]) -> None:
        self.payload = payload
        self.done = done

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # By structure: uvloop's transports derive from no asyncio transport class.
        stream_transport(transport).write(self.payload)

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.done.done():
            self.done.set_result(None)


async def send_cancel_request(
    address: Address, key: pgwire.BackendKeyData, tls: ssl_module.SSLContext | None
) -> None:
    """Send CancelRequest for ``key`` to ``address`` and wait until the server has read it.

    TLS: the server reads CancelRequest before any TLS negotiation only on a plain connection;
    with ``tls`` the request goes over TLS after SSLRequest, as libpq does.

    Raises:
        OSError: the server cannot be reached.
    """
    loop = asyncio.get_running_loop()
    done: asyncio.Future[None] = loop.create_future()
    request = pgwire.ClientConnection().send(pgwire.CancelRequest(key.process_id, key.secret_key))
    transport: asyncio.BaseTransport
    if address.is_unix:
        transport, _ = await loop.create_unix_connection(lambda: _CancelProtocol(request, done), address.host)
    elif tls is None:
        transport, _ = await loop.create_connection(
            lambda: _CancelProtocol(request, done), address.host, address.port
        )
    else:
        transport = await _open_tls(loop, address, tls, request, done)
    try:
        await done
    finally:
        transport.close()


async def _open_tls(
    loop: asyncio.AbstractEventLoop,
    address: Address,
    tls: ssl_module.SSLContext,
    request: bytes,
    done: asyncio.Future[None],
) -> asyncio.BaseTransport:
    """SSLRequest on a new connection; CancelRequest over TLS if accepted, plain otherwise.

    Raises:
        OSError: the server cannot be reached, closed the connection before answering
            SSLRequest, answered something else than 'S' or 'N', or the TLS handshake failed.
    """
    reader, writer = await asyncio.open_connection(address.host, address.port)
    try:
        writer.write(pgwire.ClientConnection().send(pgwire.SSLRequest()))
        try:
            answer = await reader.readexactly(1)
        except asyncio.IncompleteReadError:
            raise ConnectionError(
                f"PostgreSQL server at {address} closed the connection after SSLRequest"
            ) from None
        if answer == b"S":
            await writer.start_tls(tls, server_hostname=address.host)
        elif answer != b"N":
            # "SSL Session Encryption": only 'S' or 'N' may follow; anything else is not trusted.
            raise ConnectionError(f"PostgreSQL server at {address} answered SSLRequest with {answer!r}")
        writer.write(request)
        await writer.drain()
        await reader.read()  # the server closes the connection once it has the request
    except BaseException:
        # Cancelled by the caller's timeout or failed: never leave the socket open.
        writer.close()
        raise
    done.set_result(None)
    return writer.transport
