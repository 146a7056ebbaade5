"""The listener methods of ``Connection``: LISTEN/NOTIFY, log messages, termination, query logging.

``add_listener`` and its relatives follow asyncpg; :meth:`ListenerMethods.listen` (notifications
as an async iterator) is ours. The registries and the dispatch live in
:class:`pgconn._listeners.ConnectionListeners`; this mixin checks arguments and issues the
LISTEN and UNLISTEN statements.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable, Iterator
from typing import TYPE_CHECKING, Any

from pgconn._listeners import ConnectionListeners, LoggedQuery
from pgconn._notification_stream import DEFAULT_MAX_SIZE, NotificationStream
from pgconn._sql import quote_identifier
from pgwire.exceptions import InterfaceError

__all__ = ["ListenerMethods"]


def _quote_channel(channel: str) -> str:
    """``channel`` quoted as an identifier (``'12+"34'`` -> ``"12+""34"``); checks it too."""
    return quote_identifier(channel, "channel")


class ListenerMethods:
    """Mixed into ``Connection``; relies on its listeners object and ``execute``."""

    if TYPE_CHECKING:  # defined by Connection
        _listeners: ConnectionListeners

        def _check_open(self) -> None: ...

        def is_closed(self) -> bool: ...

        async def execute(self, query: str, *args: Any, timeout: float | None = None) -> str: ...

    # -- notifications: callbacks -------------------------------------------------------------

    async def add_listener(self, channel: str, callback: Callable[[Any, int, str, str], object]) -> None:
        """Call ``callback`` for every notification on ``channel``.

        The first listener of a channel (callback or stream) makes the session run ``LISTEN``
        with the channel quoted as an identifier, so any name works, spaces, quotes and case
        included (``NOTIFY`` with an unquoted name folds it to lower case). Adding a callback
        that is already registered for the channel does nothing.

        Args:
            channel: the channel name.
            callback: ``callback(connection, pid, channel, payload)``, a plain callable or an
                ``async def`` function; ``pid`` is the process id of the server backend that
                sent the NOTIFY and ``payload`` a str (``""`` if none). Plain callbacks run
                through ``loop.call_soon``, ``async def`` ones as tasks the connection owns
                (``close()`` gives them up to a second to finish, then cancels them;
                ``terminate()`` cancels them). Both are scheduled as soon as the message is
                read: one that arrives with a query's answer runs before that query's
                ``await`` resumes. An exception they raise goes to the event loop's
                exception handler; the connection carries on.

        Raises:
            InterfaceError: the connection is closed (``connection is closed``), it is busy
                with another operation, ``callback`` is not callable, or ``channel`` is not a
                non-empty str without NUL characters.
            PostgresError: the server refused the LISTEN.
        """
        self._check_open()
        quoted = _quote_channel(channel)
        listeners = self._listeners
        first = not listeners.is_listening(channel)
        pending = listeners.pending_listens.get(channel)
        if not listeners.add_channel_callback(channel, callback):
            return
        if pending is not None:
            # Another add_listener's LISTEN for this channel is under way: this one succeeds
            # or fails with it, never silently without a LISTEN behind it.
            try:
                await asyncio.shield(pending)
            except BaseException:
                listeners.remove_channel_callback(channel, callback)
                raise
            return
        if first:
            # Registered first, so that a notification arriving with LISTEN's answer is not missed.
            done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
            listeners.pending_listens[channel] = done
            try:
                await self.execute(f"LISTEN {quoted}")
            except BaseException as error:
                listeners.remove_channel_callback(channel, callback)
                if isinstance(error, asyncio.CancelledError):
                    done.cancel()
                else:
                    done.set_exception(error)
                    done.exception()  # marked seen: the waiters, if any, raise it themselves
                raise
            else:
                done.set_result(None)
            finally:
                del listeners.pending_listens[channel]

    async def remove_listener(self, channel: str, callback: Callable[[Any, int, str, str], object]) -> None:
        """Stop calling ``callback`` for ``channel``; ``UNLISTEN`` when nothing else listens.

        Does nothing when the connection is closed or ``callback`` is not registered for the
        channel.

        Args:
            channel: the channel name, as given to :meth:`add_listener`.
            callback: the callable given to :meth:`add_listener`.

        Raises:
            InterfaceError: the connection is busy with another operation (the callback is
                removed all the same).
            PostgresError: the server refused the UNLISTEN.
        """
        if self.is_closed():
            return
        listeners = self._listeners
        if not listeners.remove_channel_callback(channel, callback):
            return
        if not listeners.is_listening(channel):
            await self.execute(f"UNLISTEN {_quote_channel(channel)}")

    # -- notifications: streams ---------------------------------------------------------------

    def listen(
        self, *channels: str, max_size: int = DEFAULT_MAX_SIZE
    ) -> contextlib.AbstractAsyncContextManager[NotificationStream]:
        """Notifications on ``channels`` as an async iterator, for the ``async with`` block.

        ``async with connection.listen("jobs") as stream: async for notification in stream:``
        Entering runs ``LISTEN`` for each channel nothing else listens to yet (quoted like
        :meth:`add_listener`); leaving runs ``UNLISTEN`` for each channel nothing else listens
        to any more (unless the connection is closed). Callbacks of the same channels keep
        receiving notifications too.

        Each item is a :class:`pgconn.Notification` ``(pid, channel, payload)``, in the order
        the server sent them, each once. Notifications arrive whatever the connection is doing
        (idle, between operations, during a query); they wait in a buffer of ``max_size``.

        The stream never drops notifications silently: if its buffer fills up, it takes no
        more, and raises :class:`pgconn.NotificationOverflowError` (with ``lost``, how many
        did not fit) once everything it kept has been read; the stream is over then. After
        the buffered notifications, iteration stops when the connection is closed or
        terminated, when ``reset()`` runs, or when the block is left; it raises
        ``ConnectionDoesNotExistError`` when the connection is lost.

        Args:
            channels: one or more channel names (repeats count once).
            max_size: how many unread notifications the stream may hold, at least 1.

        Returns:
            An async context manager whose value is the :class:`pgconn.NotificationStream`.

        Raises:
            InterfaceError: (on entering) the connection is closed or busy; (at once) no
                channel, a channel that is not a non-empty str without NUL, or a bad ``max_size``.
            PostgresError: (on entering or leaving) the server refused LISTEN or UNLISTEN.
        """
        if not channels:
            raise InterfaceError("listen() needs at least one channel")
        for channel in channels:
            _quote_channel(channel)  # checked now, before anything is sent
        names = tuple(dict.fromkeys(channels))
        if isinstance(max_size, bool) or not isinstance(max_size, int) or max_size < 1:
            raise InterfaceError(f"max_size is expected to be an int of at least 1, got {max_size!r}")
        return self._listening(names, max_size)

    @contextlib.asynccontextmanager
    async def _listening(self, channels: tuple[str, ...], max_size: int) -> AsyncIterator[NotificationStream]:
        self._check_open()
        listeners = self._listeners
        new = [channel for channel in channels if not listeners.is_listening(channel)]
        stream = listeners.open_stream(channels, max_size)
        try:
            if new:
                await self.execute(";".join(f"LISTEN {_quote_channel(channel)}" for channel in new))
        except BaseException:
            listeners.remove_stream(stream)
            raise
        try:
            yield stream
        finally:
            # After a reset or a close (which ended the stream) the session listens to nothing.
            if listeners.has_stream(stream):
                listeners.remove_stream(stream)
                gone = [channel for channel in channels if not listeners.is_listening(channel)]
                if gone and not self.is_closed():
                    await self.execute(";".join(f"UNLISTEN {_quote_channel(channel)}" for channel in gone))

    # -- log messages -------------------------------------------------------------------------

    def add_log_listener(self, callback: Callable[[Any, Any], object]) -> None:
        """Call ``callback`` for every notice or warning the server sends on this connection.

        Args:
            callback: ``callback(connection, message)``, a plain callable or an ``async def``
                function (run as :meth:`add_listener` says). ``message`` is built by
                ``PostgresLogMessage.new``: an instance of the class of its exact SQLSTATE
                when there is one (which may be an error class: a ``ROLLBACK`` outside a
                transaction gives a ``NoActiveSQLTransactionError``), else of its SQLSTATE
                category's class, else ``PostgresWarning`` for a ``WARNING``, else
                ``PostgresLogMessage``. Which severities arrive is up to the server's
                ``client_min_messages``. Adding the same callable twice counts once.

        Raises:
            InterfaceError: the connection is closed, or ``callback`` is not callable.
        """
        self._check_open()
        self._listeners.add_log_listener(callback)

    def remove_log_listener(self, callback: Callable[[Any, Any], object]) -> None:
        """Stop calling ``callback`` for log messages; nothing happens if it is not registered.

        Args:
            callback: the callable given to :meth:`add_log_listener`.
        """
        self._listeners.remove_log_listener(callback)

    # -- termination --------------------------------------------------------------------------

    def add_termination_listener(self, callback: Callable[[Any], object]) -> None:
        """Call ``callback(connection)`` once, when the connection is closed, terminated or lost.

        Lost includes the server ending the session (``pg_terminate_backend``, a shutdown)
        and a broken network connection. The listeners are forgotten once they have fired;
        ``reset()`` keeps them.

        Args:
            callback: a plain callable or an ``async def`` function (run as
                :meth:`add_listener` says; ``close()`` gives ``async def`` ones a moment to
                finish). Adding the same callable twice counts once.

        Raises:
            InterfaceError: ``callback`` is not callable.
        """
        self._listeners.add_termination_listener(callback)

    def remove_termination_listener(self, callback: Callable[[Any], object]) -> None:
        """Stop calling ``callback`` at termination; nothing happens if it is not registered.

        Args:
            callback: the callable given to :meth:`add_termination_listener`.
        """
        self._listeners.remove_termination_listener(callback)

    # -- query loggers ------------------------------------------------------------------------

    def add_query_logger(self, callback: Callable[[LoggedQuery], object]) -> None:
        """Call ``callback(record)`` after every query on this connection, failed ones included.

        Args:
            callback: a plain callable or an ``async def`` function (run as
                :meth:`add_listener` says), given a :class:`pgconn.LoggedQuery` ``(query, args,
                timeout, elapsed, exception, conn_addr, conn_params)``. Its ``conn_params``
                carries no password. ``reset()`` keeps query loggers. Adding the same callable
                twice counts once.

        Raises:
            InterfaceError: ``callback`` is not callable.
        """
        self._listeners.add_query_logger(callback)

    def remove_query_logger(self, callback: Callable[[LoggedQuery], object]) -> None:
        """Stop calling ``callback`` after queries; nothing happens if it is not registered.

        Args:
            callback: the callable given to :meth:`add_query_logger`.
        """
        self._listeners.remove_query_logger(callback)

    @contextlib.contextmanager
    def query_logger(self, callback: Callable[[LoggedQuery], object]) -> Iterator[None]:
        """A context manager that adds a query logger for the ``with`` block.

        ``with connection.query_logger(records.append): ...``: the logger is removed when the
        block ends, however it ends.

        Args:
            callback: as for :meth:`add_query_logger`.

        Returns:
            A context manager (its value is None).

        Raises:
            InterfaceError: ``callback`` is not callable.
        """
        self.add_query_logger(callback)
        try:
            yield
        finally:
            self.remove_query_logger(callback)
