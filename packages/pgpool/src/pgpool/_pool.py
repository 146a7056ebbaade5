"""``Pool``: the asyncio layer around :class:`pgpool._core.PoolCore`.

It carries out what the core decides: opens connections (``connect``, then ``init``), hands
them to waiters, resets and checks them on release, closes what must close, and keeps the
``min_size`` floor in a maintenance task (with exponential backoff and jitter while the
server cannot be reached). Every task it starts is kept in :attr:`Pool._tasks` and ended by
``close()`` or ``terminate()``.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Awaitable, Callable, Generator
from types import TracebackType
from typing import Any, Self

import pgconn
from pgconn import Connection, get_tracer
from pgpool._acquire import PoolAcquireContext
from pgpool._core import Limits, PoolCore, Slot
from pgpool._listener import PoolListener
from pgpool._pool_admin import PoolAdminMethods
from pgpool._pool_methods import PoolQueryMethods
from pgpool._pool_release import ConnectionHook, PoolReleaseMethods
from pgpool._proxy import PoolConnectionProxy, proxy_class_for
from pgpool._stats import PoolStats
from pgtypes import Record
from pgwire.exceptions import InterfaceError

__all__ = ["ConnectionHook", "Pool"]

logger = logging.getLogger("pgpool")

#: Backoff of the floor's reconnection attempts: first delay, cap (seconds).
BACKOFF_START = 0.5
BACKOFF_CAP = 30.0


class Pool(PoolAdminMethods, PoolReleaseMethods, PoolQueryMethods):
    """A pool of connections; made by :func:`pgpool.create_pool`, started by ``await``.

    See ``docs/pgpool.md``. ``repr`` shows its state: size, in use, idle, waiting, max.
    """

    def __init__(
        self,
        *connect_args: Any,
        min_size: int,
        max_size: int,
        max_queries: int,
        max_inactive_connection_lifetime: float,
        max_lifetime: float,
        lifetime_jitter: float,
        health_check_after: float | None,
        max_waiting: int,
        connect: Callable[..., Awaitable[Connection]] | None,
        setup: ConnectionHook | None,
        init: ConnectionHook | None,
        reset: ConnectionHook | None,
        reconnect_failed: Callable[[Pool, BaseException], object] | None,
        connection_class: type[Connection],
        record_class: type[Record],
        **connect_kwargs: Any,
    ) -> None:
        self._core: PoolCore[asyncio.Future[Slot]] = PoolCore(
            Limits(
                min_size,
                max_size,
                max_queries,
                max_inactive_connection_lifetime,
                max_lifetime,
                lifetime_jitter,
                max_waiting,
            )
        )
        self._connect_args = connect_args
        self._connect_kwargs = connect_kwargs
        self._connect = connect
        self._setup = setup
        self._init = init
        self._reset = reset
        self._reconnect_failed = reconnect_failed
        self._connection_class = connection_class
        self._record_class = record_class
        self._proxy_class = proxy_class_for(connection_class)
        self._health_check_after = health_check_after
        self._stats = PoolStats()
        self._tasks: set[asyncio.Task[Any]] = set()
        self._maintainer: asyncio.Task[None] | None = None
        self._wakeup = asyncio.Event()
        self._all_released = asyncio.Event()
        #: Open pool listeners (``listen()``), closed with the pool.
        self._listeners: set[PoolListener] = set()
        #: Failed floor opens in a row, and when the floor may be tried again (backoff).
        self._failures = 0
        self._retry_at = 0.0
        #: Backoff rounds of the floor (a burst of failed opens counts once), and whether a
        #: floor open is under way while backing off (then no other starts).
        self._floor_rounds = 0
        self._floor_probing = False
        #: When the maintenance task wakes up by itself (None: only when woken).
        self._sleeping_until: float | None = None
        self._initialized = False
        self._initializing = False
        self._closed = False
        self._loop: asyncio.AbstractEventLoop | None = None

    def __repr__(self) -> str:
        core = self._core
        state = "closed" if self._closed else ("closing" if core.closing else "open")
        if state == "open" and not self._initialized:
            state = "new"
        return (
            f"<pgasync.Pool {state} size={core.size} in_use={len(core.in_use)} idle={len(core.idle)} "
            f"waiting={len(core.waiters)} max={core.limits.max_size}>"
        )

    # -- starting -----------------------------------------------------------------------------

    def __await__(self) -> Generator[Any, None, Self]:
        return self._start().__await__()

    async def __aenter__(self) -> Self:
        return await self._start()

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()

    async def _start(self) -> Self:
        if self._initialized:
            return self
        if self._initializing:
            raise InterfaceError("pool is being initialized in another task")
        if self._closed:
            raise InterfaceError("pool is closed")
        self._initializing = True
        self._loop = asyncio.get_running_loop()
        try:
            await self._open_initial()
        except BaseException:
            self._initializing = False
            self.terminate()
            raise
        self._initializing = False
        self._initialized = True
        self._maintainer = self._spawn(self._maintain())
        return self

    async def _open_initial(self) -> None:
        """``min_size`` connections: the first alone, so its error surfaces; the rest together."""
        core = self._core
        count = core.floor_missing()
        if not count:
            return
        core.begin_open(count)
        slots: list[Slot] = []
        try:
            slots.append(await self._open_slot())
            results = await asyncio.gather(
                *(self._open_slot() for _ in range(count - 1)), return_exceptions=True
            )
            slots += [result for result in results if isinstance(result, Slot)]
            errors = [result for result in results if isinstance(result, BaseException)]
            if errors:
                raise errors[0]
        except BaseException:
            for slot in slots:
                slot.connection.terminate()
            raise
        finally:
            core.opening -= count
        core.idle.extend(slots)

    # -- opening ------------------------------------------------------------------------------

    async def _open_slot(self) -> Slot:
        """Connect (and ``init``) one connection; its slot, not yet known to the core's lists."""
        connect = self._connect or pgconn.connect
        try:
            connection = await connect(
                *self._connect_args,
                connection_class=self._connection_class,
                record_class=self._record_class,
                **self._connect_kwargs,
            )
        except BaseException:
            self._stats.connections_failed += 1
            raise
        if not isinstance(connection, self._connection_class):
            if isinstance(connection, Connection):
                connection.terminate()
            raise InterfaceError(
                f"expected pool connect callback to return an instance of "
                f"'{self._connection_class.__module__}.{self._connection_class.__qualname__}', "
                f"got '{type(connection).__module__}.{type(connection).__qualname__}'"
            )
        try:
            if self._init is not None:
                await self._init(connection)
        except BaseException:
            connection.terminate()
            self._stats.connections_failed += 1
            raise
        self._stats.connections_opened += 1
        slot = self._core.new_slot(connection, time.monotonic())
        connection.add_termination_listener(lambda _: self._lost(slot))
        return slot

    def _spawn(self, coroutine: Awaitable[Any]) -> asyncio.Task[Any]:
        task = asyncio.ensure_future(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    def _start_open(self, *, for_floor: bool = False) -> None:
        self._spawn(self._open_for_core(for_floor))

    async def _open_for_core(self, for_floor: bool) -> None:
        core = self._core
        try:
            slot = await self._open_slot()
        except asyncio.CancelledError:
            core.opening -= 1
            if for_floor:
                self._floor_probing = False
            raise
        except Exception as error:
            waiter, again = core.open_failed()
            while waiter is not None and waiter.done():
                waiter = core.next_waiter()
            if waiter is not None:
                waiter.set_exception(error)
            if again:
                self._start_open()
            self._open_failed(error, for_floor=for_floor)
            return
        if self._failures:
            self._wakeup.set()  # the server is back: the maintainer fills the floor at once
        self._failures, self._retry_at, self._floor_rounds = 0, 0.0, 0
        if for_floor:
            self._floor_probing = False
        if core.closing:
            core.opening -= 1
            self._spawn(self._close_connection(slot.connection))
            return
        self._deliver(core.opened(slot))

    def _open_failed(self, error: BaseException, *, for_floor: bool) -> None:
        """An open failed: count it, tell ``reconnect_failed``; the floor backs off."""
        self._failures += 1
        if for_floor:
            self._floor_probing = False
            now = time.monotonic()
            if now >= self._retry_at:  # a new round (the others of a burst add nothing)
                self._floor_rounds += 1
                backoff = min(BACKOFF_CAP, BACKOFF_START * 2 ** (self._floor_rounds - 1))
                self._retry_at = now + backoff * random.uniform(0.5, 1.5)  # jitter: no herd
        logger.warning("could not open a pool connection (failure %d in a row): %s", self._failures, error)
        if self._reconnect_failed is not None:
            try:
                self._reconnect_failed(self, error)
            except Exception:
                logger.exception("the pool's reconnect_failed callback failed")
        self._wakeup.set()

    def _deliver(self, served: tuple[asyncio.Future[Slot], Slot] | None, now: float | None = None) -> None:
        """Hand ``slot`` to its waiter; if that waiter is gone, to the next, or make it idle."""
        core = self._core
        while served is not None:
            waiter, slot = served
            if not waiter.done():
                waiter.set_result(slot)
                return
            if now is None:
                now = time.monotonic()
            served = core.released(slot, now)
        if core.total > core.limits.max_size:
            self._wakeup.set()  # idle above max_size after a resize down: the maintainer closes it

    # -- acquire ------------------------------------------------------------------------------

    def acquire(self, *, timeout: float | None = None) -> PoolAcquireContext:
        """A connection from the pool: ``async with pool.acquire() as connection`` or ``await``.

        Args:
            timeout: seconds to wait for a connection (None: as long as it takes); also the
                default ``timeout`` of its :meth:`release`.

        Returns:
            A :class:`PoolAcquireContext`, which gives a :class:`PoolConnectionProxy` (typed
            with every method of :class:`pgconn.Connection`). Nothing happens before it is
            awaited or entered; the errors below are raised then.

        Raises:
            TimeoutError: no connection within ``timeout``.
            TooManyWaitersError: ``max_waiting`` callers wait already.
            InterfaceError: the pool is not initialized, closing or closed.
            Exception: opening a new connection failed (the connect error, or ``init``'s).
        """
        return PoolAcquireContext(self, timeout)

    def _check_usable(self) -> None:
        if self._closed:
            raise InterfaceError("pool is closed")
        if self._core.closing:
            raise InterfaceError("pool is closing")
        if not self._initialized:
            if self._initializing:
                raise InterfaceError(
                    "pool is being initialized, but not yet ready: likely there is a race between "
                    "creating a pool and using it"
                )
            raise InterfaceError("pool is not initialized")

    def _hand_out_idle(self, timeout: float | None) -> PoolConnectionProxy | None:
        """The uncontended acquire, done synchronously: the most recently used idle connection,
        when nobody waits, no tracer, no ``setup``, and the connection needs no health check.

        Returns:
            The proxy, or None when the asynchronous path (:meth:`_acquire_waiting`) must run
            (then nothing was changed or counted).
        """
        core = self._core
        if not core.idle or core.waiters or core.closing or not self._initialized:
            return None
        if self._setup is not None or get_tracer() is not None:
            return None
        slot = core.idle[-1]  # what take_idle() hands out
        connection = slot.connection
        now = time.monotonic()
        threshold = self._health_check_after
        if (
            connection.is_closed()
            or slot.generation != core.generation
            or (threshold is not None and now - slot.idle_since >= threshold)
        ):
            return None  # dropped, or checked, by _ready()
        core.take_idle()
        self._stats.requests += 1
        proxy = self._proxy_class(self, slot, timeout)
        slot.acquired_at = now
        connection._hook_lease(proxy)
        return proxy

    async def _acquire(self, timeout: float | None) -> PoolConnectionProxy:
        proxy = self._hand_out_idle(timeout)
        if proxy is not None:
            return proxy
        return await self._acquire_waiting(timeout)

    async def _acquire_waiting(self, timeout: float | None) -> PoolConnectionProxy:
        """The acquire when :meth:`_hand_out_idle` could not serve it: checks, waits, traces."""
        self._check_usable()
        stats = self._stats
        stats.requests += 1
        tracer = get_tracer()
        end_span = None if tracer is None else tracer.start_acquire()
        started = time.monotonic()
        try:
            if timeout is None:  # no timeout context: it costs more than the rest of a hand-out
                proxy = await self._hand_out(started, timeout)
            else:
                async with asyncio.timeout(timeout):
                    proxy = await self._hand_out(started, timeout)
        except BaseException as error:
            if isinstance(error, TimeoutError):
                stats.timeouts += 1
            if end_span is not None:
                end_span(error)
            raise
        if end_span is not None:
            end_span(None)
        return proxy

    async def _hand_out(self, started: float, timeout: float | None) -> PoolConnectionProxy:
        while True:
            slot = await self._get_slot(started)
            if await self._ready(slot):
                break
        proxy = self._proxy_class(self, slot, timeout)
        slot.acquired_at = time.monotonic()
        slot.connection._hook_lease(proxy)
        if self._setup is not None:
            try:
                await self._setup(proxy)
            except BaseException:
                proxy._detach()
                self._retire(slot, terminate=True)
                raise
        return proxy

    async def _get_slot(self, started: float) -> Slot:
        core = self._core
        waiter: asyncio.Future[Slot] = asyncio.get_running_loop().create_future()
        try:
            decision = core.request(waiter)
        except InterfaceError:
            self._stats.rejected += 1
            raise
        if isinstance(decision, Slot):
            return decision
        self._stats.requests_waited += 1
        if decision:
            self._start_open()
        try:
            slot = await waiter
        except BaseException:
            core.leave(waiter)
            if waiter.done() and not waiter.cancelled() and waiter.exception() is None:
                # Served in the very moment it gave up: the connection goes to the next one.
                self._deliver(core.released(waiter.result(), time.monotonic()))
            raise
        finally:
            waited = time.monotonic() - started
            self._stats.wait_time += waited
            self._stats.wait_time_max = max(self._stats.wait_time_max, waited)
        return slot

    async def _ready(self, slot: Slot) -> bool:
        """Whether ``slot``'s connection may be handed out; a dead one is dropped (False)."""
        connection = slot.connection
        if connection.is_closed():
            self._stats.connections_lost += 1
            self._retire(slot, terminate=True)
            return False
        if slot.generation != self._core.generation:  # expired while idle: never handed out
            self._stats.connections_recycled += 1
            self._retire(slot)
            return False
        threshold = self._health_check_after
        if threshold is not None and time.monotonic() - slot.idle_since >= threshold:
            try:
                await connection.execute("")  # an empty query: one round trip, no parsing
            except asyncio.CancelledError:
                self._retire(slot, terminate=True)
                raise
            except Exception:
                self._stats.health_checks_failed += 1
                self._retire(slot, terminate=True)
                return False
        return True

    def _retire(self, slot: Slot, *, terminate: bool = False) -> None:
        """Forget ``slot`` and close its connection (terminate: at once); replace it if needed."""
        if self._core.discard(slot):
            self._start_open()
        connection = slot.connection
        if terminate or connection.is_closed():
            connection.terminate()
        else:
            self._spawn(self._close_connection(connection))
        self._wakeup.set()
        self._wake_closer()

    async def _close_connection(self, connection: Connection) -> None:
        try:
            await connection.close(timeout=10)
        except Exception:
            connection.terminate()

    def _lost(self, slot: Slot) -> None:
        """A pooled connection closed under us (the server, the network): drop it if idle."""
        if slot in self._core.idle:
            self._stats.connections_lost += 1
            self._retire(slot)

    def _wake_closer(self) -> None:
        if not self._core.in_use:
            self._all_released.set()

    # -- maintenance --------------------------------------------------------------------------

    async def _maintain(self) -> None:
        """Keep the floor, close idle connections past their limits; sleeps until needed."""
        core = self._core
        while not core.closing:
            self._wakeup.clear()
            now = time.monotonic()
            for slot in core.expired_idle(now):
                self._stats.connections_recycled += 1
                self._spawn(self._close_connection(slot.connection))
            missing = core.floor_missing()
            if missing and now >= self._retry_at and not self._floor_probing:
                # While the server stays away, one attempt at a time, spaced by the backoff.
                if self._floor_rounds:
                    self._floor_probing = True
                for _ in range(1 if self._floor_rounds else missing):
                    core.begin_open()
                    self._start_open(for_floor=True)
            waiting_retry = missing and not self._floor_probing and self._retry_at > now
            times = [t for t in (core.next_deadline(now), self._retry_at if waiting_retry else None) if t]
            delay = max(0.0, min(times) - now) if times else None
            self._sleeping_until = None if delay is None else now + delay
            try:
                async with asyncio.timeout(delay):
                    await self._wakeup.wait()
            except TimeoutError:
                pass
