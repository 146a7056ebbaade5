"""``PoolAcquireContext``: what ``Pool.acquire()`` returns, for ``async with`` or ``await``."""

from __future__ import annotations

import logging
from collections.abc import Generator
from types import TracebackType
from typing import TYPE_CHECKING, Any

from pgwire.exceptions import InterfaceError

if TYPE_CHECKING:
    from pgpool._pool import Pool
    from pgpool._proxy import PoolConnectionProxy

__all__ = ["PoolAcquireContext"]

logger = logging.getLogger("pgpool")


class PoolAcquireContext:
    """What :meth:`Pool.acquire` returns: ``async with`` it (released on exit) or ``await`` it.

    Entering or awaiting gives a :class:`PoolConnectionProxy` and raises what
    :meth:`Pool.acquire` lists; leaving the block releases the connection (as
    :meth:`Pool.release`, with the acquire's timeout). A release that fails after the block
    itself raised (a reset that times out after a cancelled query, say) is logged on the
    ``pgpool`` logger and the block's exception goes on: a cancellation stays a cancellation.
    Entering twice raises ``InterfaceError``.
    """

    __slots__ = ("connection", "done", "pool", "timeout")

    def __init__(self, pool: Pool, timeout: float | None) -> None:
        self.pool = pool
        self.timeout = timeout
        self.connection: PoolConnectionProxy | None = None
        self.done = False

    async def __aenter__(self) -> PoolConnectionProxy:
        if self.connection is not None or self.done:
            raise InterfaceError("a connection is already acquired")
        pool = self.pool
        # The uncontended case without a coroutine of its own (nothing to wait for).
        connection = pool._hand_out_idle(self.timeout)
        if connection is None:
            connection = await pool._acquire_waiting(self.timeout)
        self.connection = connection
        return connection

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.done = True
        connection, self.connection = self.connection, None
        if connection is not None:
            # What pool.release(connection, timeout=self.timeout) does, without its checks.
            slot = connection._detach()
            if slot is None:  # released inside the block
                return
            if exc is None:
                await self.pool._release(slot, self.timeout)
                return
            try:
                await self.pool._release(slot, self.timeout)
            except Exception as error:
                # The connection is retired already; the block's own exception (which
                # may be the task's cancellation) is what the caller must see.
                logger.warning(
                    "releasing a connection after %s in its block failed: %s: %s",
                    type(exc).__name__,
                    type(error).__name__,
                    error,
                )

    def __await__(self) -> Generator[Any, None, PoolConnectionProxy]:
        self.done = True
        return self.pool._acquire(self.timeout).__await__()
