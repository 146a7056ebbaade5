"""A TCP fault proxy: relays a test's connections to a real server and injects faults on demand.

:class:`FaultProxy` listens on a free loopback port and relays each connection it accepts to
the upstream server as one :class:`ProxyConnection`, whose two directions
(:class:`Direction`) are independent. At any moment a test can, per connection and per
direction or both:

- stall (:meth:`ProxyConnection.stall`): stop forwarding *and* stop reading, so the bytes
  already read are held and TCP back-pressure builds behind them; :meth:`~ProxyConnection.resume`
  delivers what was held; :meth:`~ProxyConnection.stall_after` stalls after exactly N more
  bytes (a stall "mid-result");
- drop (:meth:`ProxyConnection.drop`): close both sides at once, optionally with a TCP reset;
- corrupt (:meth:`~ProxyConnection.corrupt`): flip or replace bytes about to be forwarded.

:meth:`FaultProxy.blackhole_new_connections` sends later connections nowhere: they are
accepted and read, never forwarded nor answered (a CancelRequest's own connection that must
not hold up a caller's deadline). Tests wait on the proxy's state (``wait_for_bytes``,
``wait_stalled``, ``wait_until``), never on a count of event-loop turns. Byte counts are
per connection and direction; "forwarded" means written towards the destination.

Usage::

    async with FaultProxy(cluster.host, cluster.port) as proxy:
        conn = await pgconn.connect(proxy.dsn())
        relay = proxy.connections[0]
        relay.stall(Direction.TO_CLIENT)
        ...

Leaving ``async with`` (or :meth:`FaultProxy.close`) aborts every connection the proxy holds
and awaits every task it started: no task outlives it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from typing import Any

from tests.faults._listener import LOOPBACK, LoopbackListener
from tests.faults._signal import StateSignal
from tests.faults.relay import CHUNK, Direction, ProxyClosedError, ProxyConnection

__all__ = ["BlackholedConnection", "Direction", "FaultProxy", "ProxyClosedError", "ProxyConnection"]


class BlackholedConnection:
    """A connection accepted while blackholing: read, never forwarded, never answered.

    Attributes:
        number: 1 for the first blackholed connection, 2 for the next, ...
    """

    def __init__(self, signal: StateSignal, number: int, abandon: Callable[[], BaseException | None]) -> None:
        self._signal = signal
        self._abandon = abandon
        self.number = number
        self._received = bytearray()
        self._client_finished = False

    def __repr__(self) -> str:
        return f"<BlackholedConnection #{self.number} received={len(self._received)}>"

    @property
    def received(self) -> bytes:
        """Everything the client has sent on this connection so far."""
        return bytes(self._received)

    @property
    def client_finished(self) -> bool:
        """Whether the client closed (or reset) its side; the proxy keeps its own open."""
        return self._client_finished

    async def wait_for_received(self, count: int) -> None:
        """Wait until the client has sent at least ``count`` bytes.

        Raises:
            ProxyClosedError: the proxy closed first.
        """
        await self._signal.wait_until(lambda: len(self._received) >= count, self._abandon)

    async def run(self, reader: asyncio.StreamReader) -> None:
        """Swallow what arrives until the client ends; then hold the socket until cancelled."""
        try:
            while data := await reader.read(CHUNK):
                self._received += data
                self._signal.notify()
        except OSError:
            pass
        self._client_finished = True
        self._signal.notify()
        # Never answer, not even by closing: the proxy's close() cancels this wait.
        await asyncio.Event().wait()


class FaultProxy(LoopbackListener):
    """An asyncio TCP relay on a free loopback port in front of ``(upstream_host, upstream_port)``.

    Use it as an async context manager, or call :meth:`start` and :meth:`close`; ``host``
    and ``port`` are where clients connect, once started.

    Args:
        upstream_host: the real server's host.
        upstream_port: the real server's port.
        host: the address to listen on.
    """

    def __init__(self, upstream_host: str, upstream_port: int, *, host: str = LOOPBACK) -> None:
        super().__init__(host)
        self._upstream = (upstream_host, upstream_port)
        self._relayed: list[ProxyConnection] = []
        self._blackholed: list[BlackholedConnection] = []
        self._blackholing = False
        #: How many accepted connections could not reach the upstream server.
        self.upstream_failures = 0

    def __repr__(self) -> str:
        upstream = f"{self._upstream[0]}:{self._upstream[1]}"
        return f"<FaultProxy {self._host}:{self._port} -> {upstream} live={len(self.connections)}>"

    def dsn(self, user: str = "postgres", database: str = "postgres", **params: str | int) -> str:
        """A ``postgresql://`` URI that connects through the proxy.

        Args:
            user: the role to log in as.
            database: the database name.
            params: further URI query parameters. ``sslmode`` defaults to ``disable``, so the
                bytes the proxy sees are the protocol's own (TLS passes through the proxy too,
                with ``sslmode="require"``, but its records are opaque).

        Returns:
            The URI.

        Raises:
            RuntimeError: the proxy was not started.
        """
        return self._uri(user, database, {"sslmode": "disable", **params})

    # -- connections ----------------------------------------------------------------------

    @property
    def connections(self) -> list[ProxyConnection]:
        """The connections being relayed now, oldest first (a new list)."""
        return [connection for connection in self._relayed if not connection.is_closed]

    @property
    def relayed(self) -> list[ProxyConnection]:
        """Every connection relayed so far, open or closed, oldest first (a new list)."""
        return list(self._relayed)

    @property
    def blackholed(self) -> list[BlackholedConnection]:
        """Every connection accepted while blackholing, oldest first (a new list)."""
        return list(self._blackholed)

    def blackhole_new_connections(self, enabled: bool = True) -> None:
        """Accept later connections without forwarding or answering anything (or stop doing so).

        Connections already relayed are not affected.
        """
        self._blackholing = enabled

    def bytes_forwarded(self, direction: Direction) -> int:
        """The bytes forwarded in ``direction`` over every relayed connection, closed ones too."""
        return sum(connection.bytes_forwarded(direction) for connection in self._relayed)

    def drop_all(self, *, reset: bool = False) -> None:
        """:meth:`ProxyConnection.drop` every live connection."""
        for connection in self.connections:
            connection.drop(reset=reset)

    # -- waiting --------------------------------------------------------------------------
    # wait_until(predicate) comes from LoopbackListener: the state changes when a connection
    # is accepted, bytes are read or forwarded, a direction stalls, or a connection closes.

    def _abandon(self) -> BaseException | None:
        return ProxyClosedError(f"{self!r} closed while waiting") if self._closed else None

    async def wait_for_connection(self, count: int = 1) -> ProxyConnection:
        """Wait until ``count`` connections were relayed in all; the ``count``-th of them.

        Raises:
            ProxyClosedError: the proxy closed first.
        """
        await self.wait_until(lambda: len(self._relayed) >= count)
        return self._relayed[count - 1]

    async def wait_for_blackholed(self, count: int = 1) -> BlackholedConnection:
        """Wait until ``count`` connections were blackholed in all; the ``count``-th of them.

        Raises:
            ProxyClosedError: the proxy closed first.
        """
        await self.wait_until(lambda: len(self._blackholed) >= count)
        return self._blackholed[count - 1]

    async def wait_for_bytes(self, direction: Direction, count: int) -> None:
        """Wait until ``count`` bytes in all were forwarded in ``direction``, over every connection.

        Raises:
            ProxyClosedError: the proxy closed first.
        """
        await self.wait_until(lambda: self.bytes_forwarded(direction) >= count)

    # -- the relay ------------------------------------------------------------------------

    def _connection(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> Coroutine[Any, Any, None]:
        # Blackholing is decided when the connection is accepted.
        return self._blackhole(reader) if self._blackholing else self._relay(reader, writer)

    async def _blackhole(self, reader: asyncio.StreamReader) -> None:
        hole = BlackholedConnection(self._signal, len(self._blackholed) + 1, self._abandon)
        self._blackholed.append(hole)
        self._signal.notify()
        await hole.run(reader)

    async def _relay(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            upstream = await asyncio.open_connection(*self._upstream)
        except OSError:
            self.upstream_failures += 1
            writer.transport.abort()
            self._signal.notify()
            return
        self._writers.append(upstream[1])
        connection = ProxyConnection(self._signal, len(self._relayed) + 1, (reader, writer), upstream)
        self._relayed.append(connection)
        self._signal.notify()
        await connection.run()

    async def close(self) -> None:
        """Stop listening, abort every connection, and await every task; idempotent.

        Raises:
            Exception: the first error one of the proxy's own tasks failed with (a bug in
                the proxy, never a fault it injected).
        """
        if self._closed:
            return
        for connection in self._relayed:
            connection.drop()
        for result in await self._shutdown():
            if isinstance(result, Exception):
                raise result
