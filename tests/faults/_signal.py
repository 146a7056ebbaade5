"""``StateSignal``: wait for a condition on a tool's state without counting event-loop turns.

The proxy and the fake server call :meth:`StateSignal.notify` whenever their state changes
(bytes forwarded, a connection accepted, a point reached, a CancelRequest recorded); a waiter
re-checks its predicate at each notification and returns once it holds.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable

__all__ = ["StateSignal"]


class StateSignal:
    """Wakes every waiter when the state it watches may have changed."""

    __slots__ = ("_waiters",)

    def __init__(self) -> None:
        self._waiters: list[asyncio.Future[None]] = []

    def notify(self) -> None:
        """Wake every waiter; each re-checks its predicate."""
        waiters, self._waiters = self._waiters, []
        for waiter in waiters:
            if not waiter.done():
                waiter.set_result(None)

    async def wait_until(
        self, predicate: Callable[[], bool], abandon: Callable[[], BaseException | None] | None = None
    ) -> None:
        """Return once ``predicate()`` is true, checking it now and after every notification.

        Args:
            predicate: the condition waited for.
            abandon: asked each time the predicate is false: an exception to give up with
                (what is waited for can no longer happen: the tool closed, say), or None to
                go on waiting.

        Raises:
            BaseException: what ``abandon`` returned, or whatever ``predicate`` raises.
        """
        while not predicate():
            if abandon is not None and (reason := abandon()) is not None:
                raise reason
            waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
            self._waiters.append(waiter)
            try:
                await waiter
            finally:
                with contextlib.suppress(ValueError):  # already taken by notify()
                    self._waiters.remove(waiter)
