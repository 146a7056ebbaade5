"""The release methods of ``Pool``: a connection comes back, is reset, and serves again.

What goes wrong on the way is handled here too: a connection lost or past the pool's rules is
retired instead of reset, a reset that fails retires it, and a releasing task cancelled in
the middle of the reset hands the rest of it to a task the pool owns.
"""

from __future__ import annotations

import asyncio
import logging
import time
import warnings
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from pgpool._core import PoolCore, Slot
from pgpool._proxy import PoolConnectionProxy
from pgpool._stats import PoolStats
from pgwire.exceptions import AdminShutdownError, InterfaceError, InterfaceWarning, PostgresConnectionError

if TYPE_CHECKING:
    from pgconn import Connection

__all__ = ["ConnectionHook", "PoolReleaseMethods"]

logger = logging.getLogger("pgpool")

ConnectionHook = Callable[[Any], Awaitable[None]]


class PoolReleaseMethods:
    """Mixed into ``Pool``: ``release()`` and what it does with the connection."""

    _core: PoolCore[asyncio.Future[Slot]]
    _stats: PoolStats
    _reset: ConnectionHook | None
    _wakeup: asyncio.Event
    _sleeping_until: float | None

    if TYPE_CHECKING:  # defined by Pool

        def _spawn(self, coroutine: Awaitable[Any]) -> asyncio.Task[Any]: ...

        def _retire(self, slot: Slot, *, terminate: bool = False) -> None: ...

        def _deliver(
            self, served: tuple[asyncio.Future[Slot], Slot] | None, now: float | None = None
        ) -> None: ...

        def _wake_closer(self) -> None: ...

    async def release(self, connection: Any, *, timeout: float | None = None) -> None:
        """Give an acquired connection back: it is reset (or replaced) and serves the next caller.

        Cancelling the caller does not lose the connection: the reset goes on in a task the
        pool owns, and the connection comes back once reset. Releasing a released connection
        does nothing.

        Args:
            connection: the :class:`PoolConnectionProxy` that ``acquire`` gave.
            timeout: seconds for the reset (None: the acquire's timeout, or no limit); a reset
                that fails or times out terminates the connection (and raises).

        Raises:
            InterfaceError: ``connection`` is not a connection of this pool.
        """
        if not isinstance(connection, PoolConnectionProxy) or connection._pool is not self:
            raise InterfaceError(
                f"Pool.release() received invalid connection: {connection!r} is not a member of this pool"
            )
        if timeout is None:
            timeout = connection._acquire_timeout
        slot = connection._detach()
        if slot is None:
            return
        await self._release(slot, timeout)

    async def _release(self, slot: Slot, timeout: float | None) -> None:
        connection = slot.connection
        now = time.monotonic()
        self._stats.usage_time += now - slot.acquired_at
        connection._hook_lease(None)
        if connection._listeners.has_session_listeners():
            warnings.warn(
                InterfaceWarning(
                    f"{connection!r} is being released to the pool but has active notification "
                    "or log listeners"
                ),
                stacklevel=3,
            )
        if connection.is_closed():
            self._stats.connections_lost += 1
            self._retire(slot)
            return
        if not self._core.is_reusable(slot, now, connection._queries):
            self._stats.connections_recycled += 1
            self._retire(slot)
            return
        try:
            reset = self._reset
            await (
                connection.reset(timeout=timeout)
                if reset is None
                else self._reset_with(connection, reset, timeout)
            )
        except asyncio.CancelledError:
            # The releasing task was cancelled: the rest of the release (the reset, from the
            # start, once the connection's recovery is over) goes on in a task the pool owns.
            # No shield is needed for that, and a release that is not cancelled makes no task.
            self._spawn(self._finish_release(slot, timeout))
            raise
        except BaseException as error:
            self._reset_failed(slot, error)
            raise
        self._return(slot)

    @staticmethod
    async def _reset_with(connection: Connection, reset: ConnectionHook, timeout: float | None) -> None:
        """The pool's own ``reset`` callback, after the listeners and the transaction are reset."""
        if timeout is None:  # no timeout context: as in _acquire_waiting
            await connection._reset_session(reset_query=False)
            await reset(connection)
        else:
            async with asyncio.timeout(timeout):
                await connection._reset_session(reset_query=False)
                await reset(connection)

    def _reset_failed(self, slot: Slot, error: BaseException) -> None:
        """The reset failed (not cancelled): count why, retire the connection at once."""
        connection = slot.connection
        # The server or the network ended it during the reset (the server's FATAL error may
        # arrive a moment before the socket closes).
        if connection.is_closed() or isinstance(error, PostgresConnectionError | AdminShutdownError):
            self._stats.connections_lost += 1
        else:
            self._stats.connections_recycled += 1
        self._retire(slot, terminate=True)

    async def _finish_release(self, slot: Slot, timeout: float | None) -> None:
        connection, reset = slot.connection, self._reset
        try:
            if reset is None:
                await connection.reset(timeout=timeout)
            else:
                await self._reset_with(connection, reset, timeout)
        except asyncio.CancelledError:
            self._retire(slot, terminate=True)  # the pool is terminating
            raise
        except BaseException as error:
            self._reset_failed(slot, error)
            if not isinstance(error, Exception):
                raise
            # The caller that released it was cancelled already: only logged.
            logger.warning("resetting a connection released by a cancelled task failed: %s", error)
            return
        self._return(slot)

    def _return(self, slot: Slot) -> None:
        """``slot`` is reset: back to a waiter or idle, unless the rules changed meanwhile."""
        core = self._core
        now = time.monotonic()
        if not core.is_reusable(slot, now, slot.connection._queries):
            # The rules changed during the reset (expire_connections, resize, close).
            self._stats.connections_recycled += 1
            self._retire(slot)
            return
        self._deliver(core.released(slot, now), now)
        if self._sleeping_until is None and slot in core.idle:
            self._wakeup.set()  # the maintenance task has no deadline yet: this idle one gives one
        self._wake_closer()
