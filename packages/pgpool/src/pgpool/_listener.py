"""``PoolListener``: notifications through a pool, on a connection of their own that comes back.

``async with pool.listen("jobs") as notifications: async for n in notifications: ...`` opens
a dedicated connection with the pool's connection arguments (outside ``max_size``: a
listening session cannot be shared), LISTENs, and yields :class:`pgconn.Notification` items.
When that connection is lost, the listener says so — a warning on the ``pgpool`` logger,
:attr:`PoolListener.reconnects`, and the ``on_reconnect`` callback — since notifications
sent while it was down are lost, then connects again (with backoff while the server stays
away) and LISTENs again, and iteration goes on.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import Callable
from types import TracebackType
from typing import TYPE_CHECKING, Any, Self

import pgconn
from pgconn import Connection, Notification, NotificationStream
from pgwire.exceptions import ConnectionDoesNotExistError, InterfaceError

if TYPE_CHECKING:
    from pgpool._pool import Pool

__all__ = ["PoolListener"]

logger = logging.getLogger("pgpool")

#: Reconnection backoff: first delay and cap, in seconds.
RETRY_START = 0.2
RETRY_CAP = 10.0


class PoolListener:
    """Notifications on some channels that survive the loss of their connection."""

    def __init__(
        self,
        pool: Pool,
        channels: tuple[str, ...],
        *,
        max_size: int,
        on_reconnect: Callable[[PoolListener, BaseException], object] | None,
    ) -> None:
        if not channels:
            raise InterfaceError("listen() needs at least one channel")
        self._pool = pool
        self.channels = channels
        self._max_size = max_size
        self._on_reconnect = on_reconnect
        self._connection: Connection | None = None
        self._context: contextlib.AbstractAsyncContextManager[NotificationStream] | None = None
        self._stream: NotificationStream | None = None
        self._closed = False
        pool._listeners.add(self)
        #: How many times the connection was lost and made again.
        self.reconnects = 0

    def __repr__(self) -> str:
        state = "closed" if self._closed else ("listening" if self._stream is not None else "new")
        return f"<pgasync.PoolListener {', '.join(self.channels)} {state} reconnects={self.reconnects}>"

    async def __aenter__(self) -> Self:
        await self._listen()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()

    def __aiter__(self) -> Self:
        return self

    async def __anext__(self) -> Notification:
        while True:
            if self._closed:
                raise StopAsyncIteration
            if self._stream is None:
                await self._listen()
            assert self._stream is not None
            try:
                return await self._stream.__anext__()
            except ConnectionDoesNotExistError as error:
                await self._lost(error)
            except StopAsyncIteration:
                if self._closed:
                    raise
                # The connection was closed under the stream (not by us): listen again.
                await self._lost(ConnectionDoesNotExistError.client_side("the listening connection closed"))

    async def _listen(self) -> None:
        """Connect (with backoff while that fails) and LISTEN on every channel."""
        attempt = 0
        while True:
            try:
                connection = await connect_listener(self._pool)
                context = connection.listen(*self.channels, max_size=self._max_size)
                stream = await context.__aenter__()
            except (TimeoutError, OSError, ConnectionDoesNotExistError) as error:
                attempt += 1
                delay = min(RETRY_CAP, RETRY_START * 2 ** (attempt - 1)) * random.uniform(0.5, 1.5)
                logger.warning(
                    "pool listener on %s cannot connect (%s); retrying in %.1fs", self.channels, error, delay
                )
                await asyncio.sleep(delay)
                continue
            self._connection, self._context, self._stream = connection, context, stream
            return

    async def _lost(self, error: BaseException) -> None:
        self.reconnects += 1
        logger.warning(
            "pool listener on %s lost its connection (%s): notifications sent until it listens "
            "again are lost; reconnecting",
            ", ".join(self.channels),
            error,
        )
        if self._on_reconnect is not None:
            try:
                self._on_reconnect(self, error)
            except Exception:
                logger.exception("the pool listener's on_reconnect callback failed")
        await self._drop()

    async def _drop(self) -> None:
        connection, context = self._connection, self._context
        self._connection = self._context = self._stream = None
        if context is not None:
            with contextlib.suppress(Exception):
                await context.__aexit__(None, None, None)
        if connection is not None:
            connection.terminate()

    async def aclose(self) -> None:
        """Stop listening and close the dedicated connection; iteration ends. Idempotent.

        Raises:
            TimeoutError: the connection took over 10 seconds to close (it is terminated).
            CancelledError: the caller was cancelled (the connection is terminated).
        """
        if self._closed:
            return
        self._closed = True
        self._pool._listeners.discard(self)
        connection, context = self._connection, self._context
        self._connection = self._context = self._stream = None
        try:
            if context is not None:
                await context.__aexit__(None, None, None)
            if connection is not None:
                await connection.close(timeout=10)
        except BaseException:
            if connection is not None:
                connection.terminate()
            raise

    def terminate(self) -> None:
        """Close the dedicated connection at once; iteration ends (the pool's ``terminate()``)."""
        self._closed = True
        self._pool._listeners.discard(self)
        connection = self._connection
        self._connection = self._context = self._stream = None
        if connection is not None:
            connection.terminate()


async def connect_listener(pool: Any) -> Connection:
    """A connection made as the pool makes its own (``connect``, arguments), without ``init``."""
    connect = pool._connect or pgconn.connect
    connection: Connection = await connect(
        *pool._connect_args,
        connection_class=pool._connection_class,
        record_class=pool._record_class,
        **pool._connect_kwargs,
    )
    return connection
