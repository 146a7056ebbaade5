"""A connection's callbacks: notification, log and termination listeners, query loggers, streams.

:class:`ConnectionListeners` keeps the registries and dispatches to them; the connection's
:class:`~pgconn._protocol.WireProtocol` calls :meth:`~ConnectionListeners.on_notification`
and :meth:`~ConnectionListeners.on_notice` while it parses the server's messages, so the
callbacks are scheduled before the query that triggered them returns to its caller (as in
asyncpg). Plain callbacks run through ``loop.call_soon``; ``async def`` ones run as tasks
that this object owns: :meth:`~ConnectionListeners.aclose` waits for them (with a bound) and
cancels what is left, :meth:`~ConnectionListeners.cancel_all` cancels them at once. An
exception from a callback goes to the event loop's exception handler and never reaches the
connection.

The object holds only a weak reference to its connection: the protocol, which the event
loop's transport keeps alive, holds this object, and a connection dropped while open must
still be garbage-collected (its ``__del__`` warns and closes the socket).
"""

from __future__ import annotations

import asyncio
import dataclasses
import inspect
import weakref
from collections.abc import Callable, Iterable, Sequence
from typing import Any, NamedTuple

import pgwire
from pgconn._notification_stream import Notification, NotificationStream
from pgconn._parameters import Address, ConnectionParameters
from pgwire.exceptions import ConnectionDoesNotExistError, InterfaceError, PostgresLogMessage

__all__ = ["CLOSE_GRACE", "Callback", "ConnectionListeners", "LoggedQuery"]

#: Seconds :meth:`ConnectionListeners.aclose` lets ``async def`` callbacks still running
#: finish before it cancels them (and as long again for them to end once cancelled).
CLOSE_GRACE = 1.0

#: A listener: a plain callable, or an ``async def`` function (``inspect.iscoroutinefunction``).
Callback = Callable[..., object]


class LoggedQuery(NamedTuple):
    """What a query logger receives after each query, failed ones included.

    Attributes:
        query: the SQL text.
        args: the arguments, as given (a tuple, or the iterable of argument sequences).
        timeout: the timeout the query ran with (``command_timeout`` applied), or None.
        elapsed: how long it took, in seconds.
        exception: the exception it raised, or None.
        conn_addr: ``(host, port)``, or the Unix socket's path.
        conn_params: the connection's parameters **without the password** (``password`` is
            None), unlike asyncpg, which exposes it here.
    """

    query: str
    args: Any
    timeout: float | None
    elapsed: float
    exception: BaseException | None
    conn_addr: tuple[str, int] | str
    conn_params: ConnectionParameters


def check_callback(callback: object) -> bool:
    """Whether ``callback`` is an ``async def`` function (else a plain callable).

    Raises:
        InterfaceError: ``callback`` is not callable.
    """
    if not callable(callback):
        raise InterfaceError(f"expected a callable or an `async def` function, got {callback!r}")
    return inspect.iscoroutinefunction(callback)


class ConnectionListeners:
    """The registries of one connection and the dispatch to them.

    Args:
        connection: a weak reference to the object passed to callbacks as their first
            argument (the connection).
        address: the address the connection is connected to (for :class:`LoggedQuery`).
        params: the connection's parameters; a copy without the password is kept.
        loop: the connection's event loop.
        current_query: returns the SQL of the request the server is answering, if any
            (the ``query`` of log messages).

    Attributes:
        has_query_loggers: whether any query logger is registered; callers check it before
            measuring and calling :meth:`log_query`.
    """

    __slots__ = (
        "_channels",
        "_conn_addr",
        "_conn_params",
        "_connection",
        "_current_query",
        "_log_listeners",
        "_loop",
        "_query_loggers",
        "_streams",
        "_tasks",
        "_terminated",
        "_termination_listeners",
        "has_query_loggers",
        "pending_listens",
    )

    def __init__(
        self,
        connection: weakref.ref[Any],
        address: Address,
        params: ConnectionParameters,
        loop: asyncio.AbstractEventLoop,
        *,
        current_query: Callable[[], str | None] | None = None,
    ) -> None:
        self._connection = connection
        self._loop = loop
        self._current_query = current_query
        self._conn_addr: tuple[str, int] | str = (
            address.host if address.is_unix else (address.host, address.port)
        )
        # The password never leaves the connection, not even towards a query logger.
        self._conn_params = dataclasses.replace(
            params, password=None, server_settings=dict(params.server_settings)
        )
        # Callable -> whether it is an ``async def`` function; dicts keep the order of adding.
        self._channels: dict[str, dict[Callback, bool]] = {}
        #: Channels whose first LISTEN is under way, and its outcome (for concurrent adders).
        self.pending_listens: dict[str, asyncio.Future[None]] = {}
        self._streams: dict[str, list[NotificationStream]] = {}
        self._log_listeners: dict[Callback, bool] = {}
        self._termination_listeners: dict[Callback, bool] = {}
        self._query_loggers: dict[Callback, bool] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self._terminated = False
        self.has_query_loggers = False

    # -- registries ---------------------------------------------------------------------------

    def is_listening(self, channel: str) -> bool:
        """Whether a callback or a stream receives ``channel`` (so the session LISTENs to it)."""
        return bool(self._channels.get(channel)) or bool(self._streams.get(channel))

    def set_owner(self, owner: weakref.ref[Any]) -> None:
        """What callbacks receive as their connection from now on (a pool's proxy, or the
        connection itself again)."""
        self._connection = owner

    def has_session_listeners(self) -> bool:
        """Whether notification callbacks, streams or log listeners are registered (what
        ``reset()`` clears; a pool warns about them when a connection comes back)."""
        return bool(self._channels or self._streams or self._log_listeners)

    def add_channel_callback(self, channel: str, callback: Callback) -> bool:
        """Register ``callback`` for ``channel``; False if it already was.

        Raises:
            InterfaceError: ``callback`` is not callable.
        """
        is_async = check_callback(callback)
        callbacks = self._channels.setdefault(channel, {})
        if callback in callbacks:
            return False
        callbacks[callback] = is_async
        return True

    def remove_channel_callback(self, channel: str, callback: Callback) -> bool:
        """Unregister ``callback`` from ``channel``; False if it was not registered."""
        callbacks = self._channels.get(channel)
        if callbacks is None or callback not in callbacks:
            return False
        del callbacks[callback]
        if not callbacks:
            del self._channels[channel]
        return True

    def open_stream(self, channels: tuple[str, ...], max_size: int) -> NotificationStream:
        """A new stream, fed the notifications of ``channels`` from now on."""
        stream = NotificationStream(channels, max_size, self._loop)
        for channel in channels:
            self._streams.setdefault(channel, []).append(stream)
        return stream

    def remove_stream(self, stream: NotificationStream) -> None:
        """Stop feeding ``stream`` (and end it); nothing happens if it is not registered."""
        stream._end(None)
        for channel in stream.channels:
            streams = self._streams.get(channel)
            if streams is not None and stream in streams:
                streams.remove(stream)
                if not streams:
                    del self._streams[channel]

    def has_stream(self, stream: NotificationStream) -> bool:
        """Whether ``stream`` is still fed (not removed, and not ended by a reset or a close)."""
        return any(stream in self._streams.get(channel, ()) for channel in stream.channels)

    def add_log_listener(self, callback: Callback) -> None:
        """Register a log listener. Raises InterfaceError: ``callback`` is not callable."""
        self._log_listeners[callback] = check_callback(callback)

    def remove_log_listener(self, callback: Callback) -> None:
        """Unregister a log listener; nothing happens if it is not registered."""
        self._log_listeners.pop(callback, None)

    def add_termination_listener(self, callback: Callback) -> None:
        """Register a termination listener. Raises InterfaceError: ``callback`` is not callable."""
        self._termination_listeners[callback] = check_callback(callback)

    def remove_termination_listener(self, callback: Callback) -> None:
        """Unregister a termination listener; nothing happens if it is not registered."""
        self._termination_listeners.pop(callback, None)

    def add_query_logger(self, callback: Callback) -> None:
        """Register a query logger. Raises InterfaceError: ``callback`` is not callable."""
        self._query_loggers[callback] = check_callback(callback)
        self.has_query_loggers = True

    def remove_query_logger(self, callback: Callback) -> None:
        """Unregister a query logger; nothing happens if it is not registered."""
        self._query_loggers.pop(callback, None)
        self.has_query_loggers = bool(self._query_loggers)

    def clear_for_reset(self) -> None:
        """Forget notification and log listeners and end the streams (``reset()`` UNLISTENs).

        Termination listeners and query loggers stay, as in asyncpg.
        """
        self._channels.clear()
        self._log_listeners.clear()
        self._end_streams(None)

    # -- dispatch (called by the protocol while it parses messages) ---------------------------

    def on_notification(self, message: pgwire.NotificationResponse) -> None:
        """A NotificationResponse: schedule the channel's callbacks, feed its streams."""
        channel = message.channel
        callbacks = self._channels.get(channel)
        if callbacks:
            connection = self._connection()
            if connection is not None:
                args = (connection, message.process_id, channel, message.payload)
                for callback, is_async in tuple(callbacks.items()):
                    self._schedule(callback, is_async, args, "notification listener")
        streams = self._streams.get(channel)
        if streams:
            notification = Notification(message.process_id, channel, message.payload)
            for stream in tuple(streams):
                stream._deliver(notification)

    def on_notice(self, message: pgwire.NoticeResponse) -> None:
        """A NoticeResponse: schedule every log listener with its log message object."""
        if not self._log_listeners:
            return
        connection = self._connection()
        if connection is None:
            return
        query = self._current_query() if self._current_query is not None else None
        log_message = PostgresLogMessage.new(message.as_dict(), query)
        for callback, is_async in tuple(self._log_listeners.items()):
            self._schedule(callback, is_async, (connection, log_message), "log listener")

    def on_lost(self, exc: BaseException | None = None) -> None:
        """The connection was lost: streams end with ``ConnectionDoesNotExistError``.

        Also fires the termination listeners, unless :meth:`on_closed` already did. ``exc``
        is the transport's reason, if any (the streams' error has it as its cause).
        """
        if not self._terminated:
            error = ConnectionDoesNotExistError.client_side("the connection was lost")
            error.__cause__ = exc
            self._end_streams(error)
        self._fire_termination()

    def on_closed(self) -> None:
        """The connection is being closed or terminated on our side: streams end normally.

        Fires the termination listeners (once: later calls and :meth:`on_lost` do nothing).
        """
        if not self._terminated:
            self._end_streams(None)
        self._fire_termination()

    def log_query(
        self,
        query: str,
        args: Sequence[Any] | Iterable[Any],
        timeout: float | None,
        elapsed: float,
        exception: BaseException | None,
    ) -> None:
        """Schedule every query logger with a :class:`LoggedQuery` of one finished query."""
        if not self._query_loggers:
            return
        record = LoggedQuery(query, args, timeout, elapsed, exception, self._conn_addr, self._conn_params)
        for callback, is_async in tuple(self._query_loggers.items()):
            self._schedule(callback, is_async, (record,), "query logger")

    def _fire_termination(self) -> None:
        if self._terminated:
            return
        self._terminated = True
        # A closed connection receives nothing more; dropping these frees what they hold.
        self._channels.clear()
        self._log_listeners.clear()
        listeners, self._termination_listeners = self._termination_listeners, {}
        connection = self._connection()
        # Garbage-collected while open: nothing to hand the callbacks; or no loop to run them.
        if connection is None or self._loop.is_closed():
            return
        for callback, is_async in listeners.items():
            self._schedule(callback, is_async, (connection,), "termination listener")

    def _end_streams(self, error: BaseException | None) -> None:
        streams = {id(stream): stream for group in self._streams.values() for stream in group}
        self._streams.clear()
        for stream in streams.values():
            stream._end(error)

    # -- running callbacks --------------------------------------------------------------------

    def _schedule(self, callback: Callback, is_async: bool, args: tuple[Any, ...], kind: str) -> None:
        if is_async:
            task = self._loop.create_task(self._run_async(callback, args, kind), name=f"pgconn {kind}")
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        else:
            self._loop.call_soon(self._run_sync, callback, args, kind)

    def _run_sync(self, callback: Callback, args: tuple[Any, ...], kind: str) -> None:
        try:
            callback(*args)
        except Exception as error:
            self._report(error, callback, args, kind)

    async def _run_async(self, callback: Callback, args: tuple[Any, ...], kind: str) -> None:
        try:
            await callback(*args)  # type: ignore[misc]  # an `async def` function: checked when added
        except Exception as error:
            self._report(error, callback, args, kind)

    def _report(self, error: Exception, callback: Callback, args: tuple[Any, ...], kind: str) -> None:
        context: dict[str, Any] = {
            "message": f"unhandled exception in {kind} {callback!r}",
            "exception": error,
        }
        if kind != "query logger":
            context["connection"] = args[0]
        self._loop.call_exception_handler(context)

    # -- shutting down ------------------------------------------------------------------------

    async def aclose(self, grace: float = CLOSE_GRACE) -> None:
        """Wait up to ``grace`` seconds for ``async def`` callbacks still running, then cancel
        the rest and wait as long again for them to end.

        A callback that is closing its own connection is not waited for (it would wait for
        itself). If this is cancelled, every callback task is cancelled too.
        """
        current = asyncio.current_task()
        try:
            pending = {task for task in self._tasks if task is not current}
            if pending:
                _, pending = await asyncio.wait(pending, timeout=grace)
            if pending:
                for task in pending:
                    task.cancel()
                await asyncio.wait(pending, timeout=grace)
        except BaseException:
            self.cancel_all()
            raise

    def cancel_all(self) -> None:
        """Cancel every ``async def`` callback still running (except the calling one)."""
        if self._loop.is_closed():  # the tasks went with it
            return
        current = asyncio.current_task(self._loop)
        for task in tuple(self._tasks):
            if task is not current:
                task.cancel()
