"""The state and administration methods of ``Pool``: closing, sizes, statistics, expiry, resizing."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from pgpool._core import PoolCore, Slot, check_sizes
from pgpool._listener import PoolListener
from pgpool._stats import PoolStats
from pgwire.exceptions import InterfaceError

if TYPE_CHECKING:
    from pgconn import Connection

__all__ = ["PoolAdminMethods"]

logger = logging.getLogger("pgpool")

#: close() logs a warning when connections stay acquired this long.
CLOSE_WARNING_AFTER = 60.0


class PoolAdminMethods:
    """Mixed into ``Pool``; reads and changes the core's state, and wakes the maintenance task."""

    _core: PoolCore[asyncio.Future[Slot]]
    _stats: PoolStats
    _closed: bool
    _wakeup: asyncio.Event
    _connect_args: tuple[Any, ...]
    _connect_kwargs: dict[str, Any]
    _listeners: set[PoolListener]
    _tasks: set[asyncio.Task[Any]]
    _maintainer: asyncio.Task[None] | None
    _all_released: asyncio.Event

    if TYPE_CHECKING:  # defined by Pool

        def _spawn(self, coroutine: Awaitable[Any]) -> asyncio.Task[Any]: ...

        async def _close_connection(self, connection: Connection) -> None: ...

        def _wake_closer(self) -> None: ...

    # -- closing ------------------------------------------------------------------------------

    async def close(self) -> None:
        """Close gracefully: wait until every acquired connection is released, then close all.

        Waiters are refused (``InterfaceError: pool is closing``); idle connections close
        at once, acquired ones as they are released (a warning is logged every 60 seconds
        while some stay acquired). Pool listeners are closed too. Idempotent once closed.

        Raises:
            CancelledError: the caller was cancelled; the pool is terminated instead.
            Exception: anything that failed while closing; the pool is terminated instead.
        """
        if self._closed:
            return
        core = self._core
        try:
            for slot in core.close():
                self._spawn(self._close_connection(slot.connection))
            self._fail_waiters(InterfaceError("pool is closing"))
            self._all_released.clear()
            self._wake_closer()
            while not self._all_released.is_set():
                try:
                    async with asyncio.timeout(CLOSE_WARNING_AFTER):
                        await self._all_released.wait()
                except TimeoutError:
                    logger.warning(
                        "Pool.close() is taking over %.0f seconds: %d connections are still acquired",
                        CLOSE_WARNING_AFTER,
                        len(core.in_use),
                    )
            for listener in list(self._listeners):
                await listener.aclose()
            await self._stop_tasks(graceful=True)
        except BaseException:
            self.terminate()
            raise
        self._closed = True

    def terminate(self) -> None:
        """Close every connection at once, acquired ones included, and mark the pool closed."""
        core = self._core
        self._closed = True
        for slot in [*core.close(), *core.in_use]:
            slot.connection.terminate()
        core.in_use.clear()
        self._fail_waiters(InterfaceError("pool is closed"))
        for listener in list(self._listeners):
            listener.terminate()
        for task in self._tasks:
            task.cancel()

    def _fail_waiters(self, error: InterfaceError) -> None:
        core = self._core
        while (waiter := core.next_waiter()) is not None:
            if not waiter.done():
                waiter.set_exception(error)

    async def _stop_tasks(self, *, graceful: bool) -> None:
        if self._maintainer is not None:
            self._maintainer.cancel()
        closers = [task for task in self._tasks if task is not self._maintainer]
        if not graceful:
            for task in closers:
                task.cancel()
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)

    # -- state --------------------------------------------------------------------------------

    def is_closing(self) -> bool:
        """Whether the pool is closing or closed.

        Returns:
            True from the start of :meth:`close` or :meth:`terminate` on; False before.
        """
        return self._closed or self._core.closing

    def get_size(self) -> int:
        """How many connections the pool has open now.

        Returns:
            The count of idle and acquired connections (connections being opened excluded).
        """
        return self._core.size

    def get_min_size(self) -> int:
        """The floor: how many connections the pool keeps open.

        Returns:
            ``min_size``, as given to :func:`create_pool` or :meth:`resize`.
        """
        return self._core.limits.min_size

    def get_max_size(self) -> int:
        """The ceiling: how many connections the pool may open at once.

        Returns:
            ``max_size``, as given to :func:`create_pool` or :meth:`resize`.
        """
        return self._core.limits.max_size

    def get_idle_size(self) -> int:
        """How many open connections are idle now.

        Returns:
            The count of open connections that are not acquired.
        """
        return len(self._core.idle)

    def get_stats(self) -> PoolStats:
        """The pool's counters since it was made, and its gauges now (asyncpg has no such method).

        Returns:
            A new :class:`PoolStats` (a copy: later activity does not change it): counters
            such as ``requests``, ``timeouts``, ``connections_opened``, ``wait_time``, and the
            gauges ``size``, ``idle``, ``in_use``, ``waiting``, ``min_size``, ``max_size``.
        """
        core = self._core
        stats = PoolStats(**vars(self._stats))
        stats.size, stats.idle, stats.in_use = core.size, len(core.idle), len(core.in_use)
        stats.waiting, stats.max_size, stats.min_size = (
            len(core.waiters),
            core.limits.max_size,
            core.limits.min_size,
        )
        return stats

    def listen(
        self,
        *channels: str,
        max_size: int = 1000,
        on_reconnect: Callable[[PoolListener, BaseException], object] | None = None,
    ) -> PoolListener:
        """Notifications on ``channels`` that outlive their connection (``async with ... as n``).

        A dedicated connection (made with the pool's arguments, not counted in ``max_size``)
        LISTENs; when it is lost, the loss is logged and reported to ``on_reconnect(listener,
        error)`` (notifications sent meanwhile are lost), and it connects and LISTENs again.

        Args:
            channels: the channel names.
            max_size: how many unread notifications the listener may hold, as for
                ``Connection.listen``.
            on_reconnect: called each time the connection was lost, before reconnecting.

        Returns:
            A :class:`PoolListener`: an async context manager and async iterator of
            ``pgconn.Notification``.

        Raises:
            InterfaceError: no channel given.
        """
        return PoolListener(self, channels, max_size=max_size, on_reconnect=on_reconnect)  # type: ignore[arg-type]  # the mixin is a Pool

    def set_connect_args(self, dsn: str | None = None, **connect_kwargs: Any) -> None:
        """Arguments for connections opened from now on; open ones stay until they are replaced.

        Combine with :meth:`expire_connections` to move every connection to the new arguments.

        Args:
            dsn: the connection string (None: none).
            connect_kwargs: the keyword arguments of :func:`pgconn.connect`; they replace
                the earlier ones as a whole.
        """
        self._connect_args = (dsn,) if dsn is not None else ()
        self._connect_kwargs = connect_kwargs

    async def expire_connections(self) -> None:
        """Replace every connection open now: idle ones at once, acquired ones when released.

        The floor is refilled with new connections in the background. Raises nothing.
        """
        for slot in self._core.expire_all():
            self._stats.connections_recycled += 1
            self._spawn(self._close_connection(slot.connection))
        self._wakeup.set()

    def resize(self, min_size: int, max_size: int) -> None:
        """New floor and ceiling, at run time: the floor is filled in the background, idle
        connections above the ceiling close at once, acquired ones when released.

        Args:
            min_size: the new floor, 0 or more.
            max_size: the new ceiling, at least 1 and at least ``min_size``.

        Raises:
            ValueError: as for :func:`create_pool`.
        """
        check_sizes(min_size, max_size)
        for slot in self._core.resize(min_size, max_size):
            self._stats.connections_recycled += 1
            self._spawn(self._close_connection(slot.connection))
        self._wakeup.set()
