"""``LoopbackListener``: what the fault proxy and the fake server share.

A listening socket on a free loopback port, one task per accepted connection owned by the
listener (never fire-and-forget), the state signal its waits use, and a shutdown that
aborts every socket it accepted and awaits every task before returning.
"""

from __future__ import annotations

import abc
import asyncio
from collections.abc import Callable, Coroutine, Mapping
from types import TracebackType
from typing import Any, Self
from urllib.parse import quote, urlencode

from tests.faults._signal import StateSignal

__all__ = ["LOOPBACK", "LoopbackListener", "wait_closed"]

LOOPBACK = "127.0.0.1"


async def wait_closed(writer: asyncio.StreamWriter) -> None:
    """``writer.wait_closed()``, ignoring how the connection ended.

    A task cancelled while it awaits ``wait_closed()`` cancels the writer's one shared close
    future, so every later wait on the same writer raises ``CancelledError`` though nobody
    cancelled the later waiter: that is ignored here (the transport is closing already), and
    only a cancellation of the current task propagates.
    """
    try:
        await writer.wait_closed()
    except OSError:
        pass  # the connection ended with an error: closed all the same
    except asyncio.CancelledError:
        task = asyncio.current_task()
        if task is not None and task.cancelling():
            raise


class LoopbackListener(abc.ABC):
    """A TCP listener that owns a task per accepted connection; an async context manager.

    Subclasses say what runs for each connection (:meth:`_connection`) and give up waits
    for their own reasons (:meth:`_abandon`); their ``close()`` ends with :meth:`_shutdown`.

    Args:
        host: the address to listen on.
    """

    def __init__(self, host: str) -> None:
        self._host = host
        self._port: int | None = None
        self._server: asyncio.Server | None = None
        self._signal = StateSignal()
        self._tasks: list[asyncio.Task[None]] = []
        #: Every socket accepted or opened for a connection: aborted by the shutdown.
        self._writers: list[asyncio.StreamWriter] = []
        self._closed = False

    async def __aenter__(self) -> Self:
        return await self.start()

    async def __aexit__(
        self, kind: type[BaseException] | None, error: BaseException | None, traceback: TracebackType | None
    ) -> None:
        await self.close()

    @abc.abstractmethod
    async def close(self) -> None:
        """Stop listening and end every connection; idempotent."""

    async def start(self) -> Self:
        """Listen on a free port of ``host``; returns the listener itself.

        Raises:
            RuntimeError: it was already started or closed.
            OSError: the address cannot be listened on.
        """
        if self._server is not None or self._closed:
            raise RuntimeError(f"a {type(self).__name__} starts only once")
        self._server = await asyncio.start_server(self._accept, self._host, 0)
        self._port = self._server.sockets[0].getsockname()[1]
        return self

    @property
    def host(self) -> str:
        """The address clients connect to."""
        return self._host

    @property
    def port(self) -> int:
        """The port clients connect to.

        Raises:
            RuntimeError: it was not started.
        """
        if self._port is None:
            raise RuntimeError(f"the {type(self).__name__} is not started")
        return self._port

    def _uri(self, user: str, database: str, params: Mapping[str, str | int]) -> str:
        uri = f"postgresql://{quote(user, safe='')}@{self._host}:{self.port}/{quote(database, safe='')}"
        return f"{uri}?{urlencode(params)}" if params else uri

    # -- waiting --------------------------------------------------------------------------

    def _abandon(self) -> BaseException | None:
        """Why a wait gives up now, or None to go on: by default, once closed."""
        return RuntimeError(f"{self!r} closed while waiting") if self._closed else None

    async def wait_until(self, predicate: Callable[[], bool]) -> None:
        """Wait until ``predicate()`` holds, re-checked whenever the state changes.

        Raises:
            RuntimeError: it closed (or, for the fake server, a session failed) while the
                predicate was false.
        """
        await self._signal.wait_until(predicate, self._abandon)

    # -- connections ----------------------------------------------------------------------

    @abc.abstractmethod
    def _connection(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> Coroutine[Any, Any, None]:
        """What runs for an accepted connection (decided at once, run in an owned task)."""

    def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        """asyncio's callback for a new connection: start the listener's own task for it."""
        self._writers.append(writer)
        if self._closed:
            writer.transport.abort()
            return
        # Owned: _shutdown() cancels and awaits every task in this list.
        self._tasks.append(asyncio.get_running_loop().create_task(self._connection(reader, writer)))

    async def _shutdown(self) -> list[BaseException | None]:
        """Stop listening, abort every socket, cancel and await every task; their outcomes."""
        if self._closed:
            return []
        self._closed = True
        if self._server is not None:
            self._server.close()
        # Aborted first: a peer that stopped reading must not hold up a graceful close.
        for writer in self._writers:
            writer.transport.abort()
        for task in self._tasks:
            task.cancel()
        results = await asyncio.gather(*self._tasks, return_exceptions=True)
        for writer in self._writers:
            await wait_closed(writer)
        if self._server is not None:
            await self._server.wait_closed()
        self._signal.notify()
        return results
