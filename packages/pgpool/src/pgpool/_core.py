"""The pool's decisions, without I/O: who gets which connection, what to open, what to close.

:class:`PoolCore` is a synchronous state object (DESIGN rule 7). The asyncio layer
(:mod:`pgpool._pool`) tells it what happened (a request, a connection opened or failed to
open, a release, a lost connection, the clock) and carries out what it answers: hand a
connection to a waiter, open one, close one. Its invariants, checked by :meth:`~PoolCore.check`:

- never more than ``max_size`` connections, counting the ones being opened; after
  :meth:`~PoolCore.resize` lowered ``max_size`` below what is open, the excess only drains (no open
  starts until the pool is below the new ``max_size``, and idle ones above it close);
- a connection is idle, in use, or being closed — never two of these, never given twice;
- no waiter waits while a connection is idle, and waiters are owed an open each while
  there is room (:meth:`~PoolCore.floor_missing` counts the opens they are owed after a resize);
- waiters are served first come, first served (FIFO), and a waiter that left (timed out,
  cancelled) is never served.

Idle connections are handed out most recently used first, so the least used ones can reach
their idle lifetime and close when the load drops.
"""

from __future__ import annotations

import contextlib
import itertools
import random
from collections import deque
from collections.abc import Hashable
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from pgwire.exceptions import InterfaceError

__all__ = ["Limits", "PoolCore", "Slot", "TooManyWaitersError", "check_sizes"]

_slot_numbers = itertools.count(1)

#: What stands for a waiter (the asyncio layer uses futures; the tests, plain numbers).
W = TypeVar("W", bound=Hashable)


def check_sizes(min_size: int, max_size: int) -> None:
    """asyncpg's checks of the pool's sizes.

    Raises:
        ValueError: ``max_size`` is not positive, ``min_size`` is negative, or above ``max_size``.
    """
    for name, value in (("min_size", min_size), ("max_size", max_size)):
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValueError(f"{name} is expected to be an int, got {value!r}")
    if max_size <= 0:
        raise ValueError("max_size is expected to be greater than zero")
    if min_size < 0:
        raise ValueError("min_size is expected to be greater or equal to zero")
    if min_size > max_size:
        raise ValueError("min_size is greater than max_size")


class TooManyWaitersError(InterfaceError):
    """The pool's queue of waiters is full (``max_waiting``): the request is refused at once.

    Attributes:
        waiting: how many callers were waiting already.
    """

    def __init__(self, waiting: int) -> None:
        super().__init__(
            f"the pool has {waiting} callers waiting for a connection, its max_waiting: try again "
            "later, or raise max_waiting or max_size"
        )
        self.waiting = waiting


@dataclass(frozen=True)
class Limits:
    """The pool's configuration, as the core uses it (seconds for times; 0 disables a limit)."""

    min_size: int
    max_size: int
    max_queries: int = 50000
    max_inactive_connection_lifetime: float = 300.0
    max_lifetime: float = 0.0
    #: Each connection's lifetime is shortened by up to this fraction, at random, so that
    #: connections opened together are not all recycled together.
    lifetime_jitter: float = 0.1
    max_waiting: int = 0


@dataclass(eq=False, slots=True)
class Slot:
    """One connection of the pool, as the core tracks it (``connection`` is opaque here)."""

    connection: Any
    opened_at: float
    generation: int
    expires_at: float
    idle_since: float
    number: int = field(default_factory=lambda: next(_slot_numbers))
    acquired: int = 0
    #: When it was last handed out (kept by the asyncio layer, for ``usage_time``).
    acquired_at: float = 0.0

    def __repr__(self) -> str:
        return f"<Slot #{self.number} gen={self.generation}>"


class PoolCore(Generic[W]):
    """The state of one pool; every method is synchronous and does no I/O."""

    def __init__(self, limits: Limits, *, rng: random.Random | None = None) -> None:
        self.limits = limits
        self.idle: deque[Slot] = deque()
        self.in_use: set[Slot] = set()
        self.waiters: deque[W] = deque()
        #: Connections being opened now (for waiters or the floor).
        self.opening = 0
        self.generation = 0
        self.closing = False
        self._rng = rng or random.Random()
        #: What :meth:`check` allows above ``max_size`` after a resize down: the total then,
        #: lowered to the total of each later moment an open starts (so the excess drains).
        self._ceiling = 0

    # -- counts -----------------------------------------------------------------------------

    @property
    def size(self) -> int:
        """Open connections (idle and in use), not counting those being opened."""
        return len(self.idle) + len(self.in_use)

    @property
    def total(self) -> int:
        """Connections open or being opened: what ``max_size`` bounds."""
        return self.size + self.opening

    def __repr__(self) -> str:
        return (
            f"<PoolCore size={self.size} in_use={len(self.in_use)} idle={len(self.idle)} "
            f"opening={self.opening} waiting={len(self.waiters)} max={self.limits.max_size}>"
        )

    # -- requests ---------------------------------------------------------------------------

    def request(self, waiter: W) -> Slot | bool:
        """A connection is asked for.

        Returns:
            An idle :class:`Slot`, now in use; or, when the caller must wait (``waiter`` is
            queued), True if the caller should open a connection (there is room for one
            more) and False if it should just wait.

        Raises:
            TooManyWaitersError: ``max_waiting`` callers already wait.
        """
        if self.idle and not self.waiters:
            slot = self.idle.pop()
            self._hand_out(slot)
            return slot
        limits = self.limits
        if limits.max_waiting and len(self.waiters) >= limits.max_waiting:
            raise TooManyWaitersError(len(self.waiters))
        self.waiters.append(waiter)
        if self._owes_open():
            self._start_open()
            return True
        return False

    def leave(self, waiter: W) -> None:
        """``waiter`` stopped waiting (timed out, cancelled); it will not be served."""
        with contextlib.suppress(ValueError):  # served or failed already
            self.waiters.remove(waiter)

    def _owes_open(self) -> bool:
        """Whether the waiters are owed one more open (room for it, fewer opens than waiters)."""
        return not self.closing and self.total < self.limits.max_size and self.opening < len(self.waiters)

    def _start_open(self, count: int = 1) -> None:
        self._ceiling = min(self._ceiling, self.total)
        self.opening += count

    def _hand_out(self, slot: Slot) -> None:
        self.in_use.add(slot)
        slot.acquired += 1

    def _serve(self, slot: Slot) -> tuple[W, Slot] | None:
        """Give ``slot`` to the first waiter, or make it idle; the pair handed out, if any."""
        if self.waiters:
            waiter = self.waiters.popleft()
            self._hand_out(slot)
            return waiter, slot
        self.idle.append(slot)
        return None

    # -- opening ----------------------------------------------------------------------------

    def new_slot(self, connection: Any, now: float) -> Slot:
        """A slot for a connection just opened, with its (jittered) expiry time."""
        lifetime = self.limits.max_lifetime
        expires = (
            now + lifetime * (1 - self._rng.uniform(0, self.limits.lifetime_jitter)) if lifetime else 0.0
        )
        return Slot(connection, now, self.generation, expires, now)

    def opened(self, slot: Slot) -> tuple[W, Slot] | None:
        """An open (started by :meth:`request` or after :meth:`begin_open`) succeeded.

        Returns:
            ``(waiter, slot)`` when the first waiter gets it, else None (it is idle now).
        """
        self.opening -= 1
        return self._serve(slot)

    def open_failed(self) -> tuple[W | None, bool]:
        """An open failed.

        Returns:
            The waiter that gets the error (the first one, or None when nobody waits), and
            whether to open again for the waiters still queued (each waiter is given an open
            attempt of its own, as each ``acquire`` connects in asyncpg).
        """
        self.opening -= 1
        waiter = self.waiters.popleft() if self.waiters else None
        again = self._owes_open()
        if again:
            self._start_open()
        return waiter, again

    def next_waiter(self) -> W | None:
        """Take the first waiter off the queue (to give it an open's error), if any."""
        return self.waiters.popleft() if self.waiters else None

    def floor_missing(self) -> int:
        """How many opens to start now: those the pool is short of ``min_size`` (counting those
        being opened), or, if more, those the waiters are owed.

        Waiters are owed one open each while there is room; :meth:`request` starts those
        itself, but when :meth:`resize` raises ``max_size`` the waiters already queued get
        their opens here (an open serves the first waiter, whoever started it).
        """
        if self.closing:
            return 0
        limits = self.limits
        floor = min(limits.min_size, limits.max_size) - self.total
        owed = min(len(self.waiters), limits.max_size - self.size) - self.opening
        return max(0, floor, owed)

    def begin_open(self, count: int = 1) -> None:
        """The caller starts ``count`` opens of its own (the floor): they count towards ``max_size``."""
        self._start_open(count)

    # -- release and loss -------------------------------------------------------------------

    def is_reusable(self, slot: Slot, now: float, queries: int) -> bool:
        """Whether ``slot``'s connection may serve again (generation, lifetime, query count)."""
        limits = self.limits
        # len() + len() rather than self.size: this runs twice per release.
        if (
            self.closing
            or slot.generation != self.generation
            or len(self.idle) + len(self.in_use) > limits.max_size
        ):
            return False
        if limits.max_queries and queries >= limits.max_queries:
            return False
        return not (slot.expires_at and now >= slot.expires_at)

    def released(self, slot: Slot, now: float) -> tuple[W, Slot] | None:
        """``slot`` came back reset and reusable: the next waiter gets it, or it goes idle."""
        self.in_use.discard(slot)
        slot.idle_since = now
        return self._serve(slot)

    def discard(self, slot: Slot) -> bool:
        """``slot``'s connection is closed or being closed: forget it.

        Returns:
            Whether to open a replacement now (someone waits and there is room).
        """
        self.in_use.discard(slot)
        with contextlib.suppress(ValueError):  # it was in use
            self.idle.remove(slot)
        if self._owes_open():
            self._start_open()
            return True
        return False

    def take_idle(self) -> Slot | None:
        """The most recently used idle slot, now in use, if nobody waits (for a health check)."""
        if self.idle and not self.waiters:
            slot = self.idle.pop()
            self._hand_out(slot)
            return slot
        return None

    # -- the clock --------------------------------------------------------------------------

    def expired_idle(self, now: float) -> list[Slot]:
        """Idle slots to close now: too old, of an old generation, idle too long above the
        floor, or above ``max_size`` (opens that finished after a resize down).

        They are removed from the idle list, least recently used first; the caller closes them.
        """
        limits = self.limits
        closing: list[Slot] = []
        keep = self.size
        excess = self.total - limits.max_size
        for slot in list(self.idle):
            stale = (
                excess > 0
                or slot.generation != self.generation
                or (slot.expires_at and now >= slot.expires_at)
            )
            inactive = (
                limits.max_inactive_connection_lifetime
                and now - slot.idle_since >= limits.max_inactive_connection_lifetime
                and keep > limits.min_size
            )
            if stale or inactive:
                self.idle.remove(slot)
                closing.append(slot)
                keep -= 1
                excess -= 1
        return closing

    def next_deadline(self, now: float) -> float | None:
        """When :meth:`expired_idle` may next have something to do (None: nothing scheduled)."""
        limits = self.limits
        times: list[float] = []
        for slot in self.idle:
            if slot.expires_at:
                times.append(slot.expires_at)
            if limits.max_inactive_connection_lifetime:
                times.append(slot.idle_since + limits.max_inactive_connection_lifetime)
        return min(times) if times else None

    # -- changes ----------------------------------------------------------------------------

    def expire_all(self) -> list[Slot]:
        """Every connection open now is to be replaced: the idle ones now (returned), the
        ones in use when they come back."""
        self.generation += 1
        closing = list(self.idle)
        self.idle.clear()
        return closing

    def resize(self, min_size: int, max_size: int) -> list[Slot]:
        """New limits; the idle slots beyond ``max_size`` are returned to close (least recently
        used first). Connections in use above it close when released, and opens under way
        finish (:meth:`expired_idle` closes those that end up idle above it)."""
        self.limits = Limits(
            min_size,
            max_size,
            self.limits.max_queries,
            self.limits.max_inactive_connection_lifetime,
            self.limits.max_lifetime,
            self.limits.lifetime_jitter,
            self.limits.max_waiting,
        )
        closing: list[Slot] = []
        while self.idle and self.total > max_size:
            closing.append(self.idle.popleft())
        self._ceiling = self.total
        return closing

    def close(self) -> list[Slot]:
        """The pool closes: no more opens; the idle slots are returned to close."""
        self.closing = True
        closing = list(self.idle)
        self.idle.clear()
        return closing

    def check(self) -> None:
        """Assert the invariants in the module docstring (used by the tests)."""
        idle = set(self.idle)
        assert len(idle) == len(self.idle), "a slot is idle twice"
        assert not idle & self.in_use, "a slot is idle and in use"
        assert self.opening >= 0
        assert self.total <= max(self.limits.max_size, self._ceiling), "more connections than max_size"
        assert not (self.idle and self.waiters), "a waiter waits while a connection is idle"
        assert len(set(self.waiters)) == len(self.waiters), "a waiter is queued twice"
