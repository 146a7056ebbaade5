"""One relayed connection of the fault proxy: its two directions and the faults it injects.

A :class:`ProxyConnection` is what :class:`tests.faults.FaultProxy` makes of each connection
it relays: two pipes, one per :class:`Direction`, each reading from one socket and writing to
the other. A stalled pipe neither forwards nor reads (the bytes already read are *held*), so
TCP flow control holds the sender back; corruptions are byte ranges of a direction's
forwarded stream, applied as the bytes go through; a drop aborts both sockets, with RST when
asked. Every change of state notifies the proxy's :class:`~tests.faults._signal.StateSignal`,
which is what the ``wait_*`` methods wait on.
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import socket
import struct
from collections.abc import Callable
from dataclasses import dataclass

from tests.faults._listener import wait_closed
from tests.faults._signal import StateSignal

__all__ = ["CHUNK", "Direction", "ProxyClosedError", "ProxyConnection"]

#: The most one read takes from a socket: after a stall, at most this much more is held.
CHUNK = 64 * 1024
#: SO_LINGER on with a zero timeout: close() sends RST instead of FIN.
_LINGER_RESET = struct.pack("ii", 1, 0)


class Direction(enum.Enum):
    """One direction of a relayed connection."""

    #: From the client (the code under test) to the server.
    TO_SERVER = "to server"
    #: From the server to the client.
    TO_CLIENT = "to client"


class ProxyClosedError(RuntimeError):
    """A wait could not be satisfied: the proxy, or the connection waited on, was closed."""


@dataclass
class _Corruption:
    """Bytes ``start`` to ``end`` (offsets in a direction's forwarded stream) are damaged."""

    start: int
    end: int
    replacement: int | None  # None: flip every bit


class _Pipe:
    """One direction of a relayed connection: reads from one side, writes to the other."""

    def __init__(
        self, owner: ProxyConnection, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        self._owner = owner
        self._reader = reader
        self._writer = writer
        self.received = 0
        self.forwarded = 0
        self.held = bytearray()
        self.stalled = False
        #: The forwarded count at which to stall, from stall_after().
        self.stall_at: int | None = None
        self.corruptions: list[_Corruption] = []
        self._at_eof = False

    async def run(self) -> None:
        owner = self._owner
        try:
            while True:
                # A stalled pipe neither forwards nor reads: the kernel buffers fill and the
                # sender is held back by TCP flow control.
                await owner.signal.wait_until(lambda: not self.stalled or owner.is_dropped)
                if owner.is_dropped:
                    return
                if self.held:
                    await self._forward()
                    continue
                if self._at_eof:
                    break
                data = await self._reader.read(CHUNK)
                if not data:
                    self._at_eof = True
                    continue
                self.received += len(data)
                self.held += data
                owner.signal.notify()
        except OSError:
            # One side reset or failed: the other side must learn it too.
            owner.abort_sockets()
            return
        # The source finished sending: pass the half-close on, as a plain TCP path would.
        if self._writer.can_write_eof():
            with contextlib.suppress(OSError):
                self._writer.write_eof()

    async def _forward(self) -> None:
        count = len(self.held)
        if self.stall_at is not None:
            count = min(count, self.stall_at - self.forwarded)
        chunk = self.held[:count]
        del self.held[:count]
        self._damage(chunk)
        self.forwarded += count
        if self.stall_at is not None and self.forwarded >= self.stall_at:
            self.stall_at = None
            self.stalled = True
        if chunk:
            self._writer.write(chunk)
        self._owner.signal.notify()
        await self._writer.drain()

    def _damage(self, chunk: bytearray) -> None:
        """Apply the pending corruptions that fall inside ``chunk`` (about to be forwarded)."""
        start = self.forwarded
        end = start + len(chunk)
        for corruption in self.corruptions:
            for position in range(max(corruption.start, start), min(corruption.end, end)):
                index = position - start
                replacement = corruption.replacement
                chunk[index] = chunk[index] ^ 0xFF if replacement is None else replacement
        self.corruptions = [c for c in self.corruptions if c.end > end]


class ProxyConnection:
    """One client connection relayed to the upstream server; made by :class:`FaultProxy`.

    Attributes:
        number: 1 for the first connection the proxy relayed, 2 for the next, ...
        client_address: the client's (host, port), as the proxy sees it.
        upstream_address: the local (host, port) of the proxy's socket to the server (what
            the server sees as the client: ``inet_client_port()`` in PostgreSQL).
    """

    def __init__(
        self,
        signal: StateSignal,
        number: int,
        client: tuple[asyncio.StreamReader, asyncio.StreamWriter],
        upstream: tuple[asyncio.StreamReader, asyncio.StreamWriter],
    ) -> None:
        self.signal = signal
        self.number = number
        self._writers = (client[1], upstream[1])
        self.client_address: tuple[str, int] = client[1].get_extra_info("peername")
        self.upstream_address: tuple[str, int] = upstream[1].get_extra_info("sockname")
        self._pipes = {
            Direction.TO_SERVER: _Pipe(self, client[0], upstream[1]),
            Direction.TO_CLIENT: _Pipe(self, upstream[0], client[1]),
        }
        self._dropped = False
        self._closed = False

    def __repr__(self) -> str:
        counts = ", ".join(f"{d.value}={p.forwarded}" for d, p in self._pipes.items())
        state = "closed" if self._closed else "open"
        return f"<ProxyConnection #{self.number} {state} {counts}>"

    # -- state ----------------------------------------------------------------------------

    @property
    def is_closed(self) -> bool:
        """Whether both sides are closed and the relay has stopped."""
        return self._closed

    @property
    def is_dropped(self) -> bool:
        """Whether the relay was cut: :meth:`drop` was called, the proxy closed, or a side failed."""
        return self._dropped

    def bytes_received(self, direction: Direction) -> int:
        """How many bytes the proxy has read in ``direction`` (forwarded or held)."""
        return self._pipes[direction].received

    def bytes_forwarded(self, direction: Direction) -> int:
        """How many bytes the proxy has written towards the destination of ``direction``."""
        return self._pipes[direction].forwarded

    def held(self, direction: Direction) -> bytes:
        """The bytes read in ``direction`` and not forwarded yet (a stall holds them)."""
        return bytes(self._pipes[direction].held)

    def is_stalled(self, direction: Direction) -> bool:
        """Whether ``direction`` is stalled (by :meth:`stall` or a :meth:`stall_after` that fired)."""
        return self._pipes[direction].stalled

    # -- faults ---------------------------------------------------------------------------

    def stall(self, *directions: Direction) -> None:
        """Stop forwarding and reading in ``directions`` (both when none is given).

        Bytes already read are held (see :meth:`held`); nothing more is read, so the sender's
        writes pile up in the kernel buffers and then in its own.
        """
        for direction in directions or tuple(Direction):
            self._pipes[direction].stalled = True
        self.signal.notify()

    def stall_after(self, direction: Direction, count: int) -> None:
        """Forward exactly ``count`` more bytes in ``direction``, then stall it.

        Raises:
            ValueError: ``count`` is negative.
        """
        if count < 0:
            raise ValueError(f"count must not be negative, got {count}")
        pipe = self._pipes[direction]
        if count == 0:
            pipe.stalled = True
        else:
            pipe.stall_at = pipe.forwarded + count
        self.signal.notify()

    def resume(self, *directions: Direction) -> None:
        """Forward again in ``directions`` (both when none is given), held bytes first.

        A pending :meth:`stall_after` in those directions is cancelled too.
        """
        for direction in directions or tuple(Direction):
            pipe = self._pipes[direction]
            pipe.stalled = False
            pipe.stall_at = None
        self.signal.notify()

    def corrupt(
        self, direction: Direction, count: int = 1, *, skip: int = 0, replacement: int | None = None
    ) -> None:
        """Damage ``count`` bytes in ``direction``, starting ``skip`` bytes after the next one.

        Offsets count from the next byte to be forwarded (held bytes included). Each damaged
        byte has every bit flipped, or becomes ``replacement``.

        Raises:
            ValueError: a negative ``skip``, a ``count`` under 1, or a ``replacement`` that is
                not a byte value.
        """
        if count < 1 or skip < 0:
            raise ValueError(f"need count >= 1 and skip >= 0, got count={count}, skip={skip}")
        if replacement is not None and not 0 <= replacement <= 0xFF:
            raise ValueError(f"replacement must be a byte value (0 to 255), got {replacement}")
        pipe = self._pipes[direction]
        start = pipe.forwarded + skip
        pipe.corruptions.append(_Corruption(start, start + count, replacement))

    def drop(self, *, reset: bool = False) -> None:
        """Close both sides at once; held bytes are discarded.

        Args:
            reset: send a TCP reset (RST) to both peers instead of an orderly end (FIN), so
                that they see ``ConnectionResetError`` rather than end of stream.
        """
        self._dropped = True
        for pipe in self._pipes.values():
            pipe.held.clear()
        self.abort_sockets(reset=reset)
        self.signal.notify()

    def abort_sockets(self, *, reset: bool = False) -> None:
        """Abort both sockets (the relay's own reaction to a failed side; see :meth:`drop`)."""
        self._dropped = True
        for writer in self._writers:
            if reset:
                sock = writer.get_extra_info("socket")
                if sock is not None:
                    with contextlib.suppress(OSError):
                        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, _LINGER_RESET)
            writer.transport.abort()

    # -- waiting --------------------------------------------------------------------------

    async def wait_until(self, predicate: Callable[[], bool]) -> None:
        """Wait until ``predicate()`` holds, re-checked whenever the proxy's state changes.

        Raises:
            ProxyClosedError: the connection closed while the predicate was false.
        """

        await self.signal.wait_until(predicate, self._abandon)

    def _abandon(self) -> BaseException | None:
        return ProxyClosedError(f"{self!r} closed while waiting") if self._closed else None

    async def wait_for_bytes(self, direction: Direction, count: int) -> None:
        """Wait until ``count`` bytes in all were forwarded in ``direction``.

        The count is the total since the connection opened: for "n more", pass
        ``relay.bytes_forwarded(direction) + n``.

        Raises:
            ProxyClosedError: the connection closed first.
        """
        await self.wait_until(lambda: self._pipes[direction].forwarded >= count)

    async def wait_for_held(self, direction: Direction, count: int = 1) -> None:
        """Wait until at least ``count`` bytes are held in ``direction``.

        Raises:
            ProxyClosedError: the connection closed first.
        """
        await self.wait_until(lambda: len(self._pipes[direction].held) >= count)

    async def wait_stalled(self, direction: Direction) -> None:
        """Wait until ``direction`` is stalled (for instance once a :meth:`stall_after` fired).

        Raises:
            ProxyClosedError: the connection closed first.
        """
        await self.wait_until(lambda: self._pipes[direction].stalled)

    async def wait_closed(self) -> None:
        """Wait until the relay has stopped and both sockets are closed."""
        await self.signal.wait_until(lambda: self._closed)

    async def run(self) -> None:
        """Relay until both directions end or the connection is dropped (the proxy's task)."""
        try:
            async with asyncio.TaskGroup() as group:
                for pipe in self._pipes.values():
                    group.create_task(pipe.run())
        finally:
            try:
                for writer in self._writers:
                    writer.close()
                for writer in self._writers:
                    await wait_closed(writer)
            finally:
                self._closed = True
                self.signal.notify()
