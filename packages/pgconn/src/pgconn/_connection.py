"""``Connection``: queries, prepared statements and transactions over one server connection.

The public methods follow asyncpg's (``execute``, ``executemany``, ``fetch``, ``fetchrow``,
``fetchval``, ``fetchmany``, ``prepare``, ``transaction``, ``close``, ...). How each request
runs, its deadline and the recovery after an interrupted one are in :mod:`pgconn._runner`.
"""

from __future__ import annotations

import asyncio
import contextlib
import warnings
import weakref
from collections.abc import Callable, Iterable, Sequence
from functools import partial
from typing import Any, overload

import pgwire
from pgconn._batches import execute_in_batches
from pgconn._codec_methods import TypeCodecMethods
from pgconn._copy_methods import CopyMethods
from pgconn._listener_methods import ListenerMethods
from pgconn._listeners import ConnectionListeners
from pgconn._parameters import Address, ConnectionParameters
from pgconn._protocol import WireProtocol
from pgconn._runner import StatementRunner
from pgconn._server_settings import ConnectionSettings
from pgconn._statement import StatementCache
from pgconn._statement_methods import StatementMethods
from pgconn._transaction import Transaction
from pgconn._typevars import RecordT
from pgtypes import Record, ServerVersion, TypeRegistry, parse_server_version
from pgwire import TransactionStatus
from pgwire.exceptions import ConnectionDoesNotExistError, InterfaceError, PostgresError

__all__ = ["Connection"]

_RESET_QUERY = "SELECT pg_advisory_unlock_all();\nCLOSE ALL;\nUNLISTEN *;\nRESET ALL;"


class Connection(ListenerMethods, TypeCodecMethods, CopyMethods, StatementMethods, StatementRunner):
    """A connection to a PostgreSQL server; made by :func:`pgconn.connect`, not directly.

    One operation runs at a time: starting a second while one is in progress raises
    ``InterfaceError`` at once.
    """

    def __init__(
        self,
        protocol: WireProtocol,
        params: ConnectionParameters,
        address: Address,
        *,
        tls: Any,
        command_timeout: float | None,
        statement_cache_size: int,
        max_cached_statement_lifetime: float,
        max_cacheable_statement_size: int,
        record_class: type[Record],
    ) -> None:
        self._protocol = protocol
        self._params = params
        self._address = address
        self._tls = tls
        self._loop = protocol.loop
        self._command_timeout = command_timeout
        self._record_class = record_class
        self._registry = TypeRegistry.default().copy()
        self._cache = StatementCache(
            statement_cache_size, max_cached_statement_lifetime, max_cacheable_statement_size
        )
        self._busy = False
        self._closed = False
        self._top_transaction: Transaction | None = None
        self._recovery: asyncio.Task[None] | None = None
        self._after_recovery: list[Callable[[], Any]] = []
        #: Operations run (a pool replaces the connection after ``max_queries``).
        self._queries = 0
        #: Bumped each time a pool hands the connection out or takes it back: transactions,
        #: statements and cursors made under an earlier lease refuse to run.
        self._lease = 0
        self._server_version: ServerVersion | None = None
        self._settings = ConnectionSettings(protocol.wire.parameters)
        # The protocol (kept alive by the event loop's transport) holds no reference to the
        # connection, so that a connection dropped while open is garbage-collected: __del__
        # then warns and closes the socket, as asyncpg does.
        # The listeners, which the protocol calls, hold the connection only weakly for that reason.
        self._listeners = ConnectionListeners(
            weakref.ref(self),
            address,
            params,
            protocol.loop,
            current_query=lambda: getattr(protocol.exchange, "query", None),
        )
        protocol.on_notification = self._listeners.on_notification
        protocol.on_notice = self._listeners.on_notice
        protocol.on_lost = self._listeners.on_lost

    def __del__(self) -> None:
        if getattr(self, "_closed", True) or self._protocol.is_lost:
            return
        warnings.warn(
            f"unclosed connection {self!r}; close it with `await connection.close()`",
            ResourceWarning,
            source=self,
            stacklevel=1,
        )
        with contextlib.suppress(RuntimeError):  # the event loop is closed: the socket went with it
            self._protocol.abort()

    def __repr__(self) -> str:
        state = "closed" if self.is_closed() else f"pid={self.get_server_pid()}"
        return f"<{type(self).__name__} {self._address} {state}>"

    # -- state ------------------------------------------------------------------------------

    def is_closed(self) -> bool:
        """Whether the connection is closed.

        Returns:
            True once :meth:`close` or :meth:`terminate` ran, or the connection was lost (the
            server ended the session, the network broke); False while it can run queries.
        """
        return self._closed or self._protocol.is_lost or self._protocol.lost is not None

    def is_in_transaction(self) -> bool:
        """Whether the session is inside a transaction block, as the server last reported.

        Returns:
            True inside a transaction block, including a failed one that awaits its
            ``ROLLBACK`` (ReadyForQuery status ``T`` or ``E``), whether it was started by
            :meth:`transaction` or by a manual ``BEGIN``; False when idle.
        """
        return self._protocol.wire.transaction_status in (
            TransactionStatus.IN_TRANSACTION,
            TransactionStatus.IN_FAILED_TRANSACTION,
        )

    def get_server_pid(self) -> int:
        """The process id of the server backend serving this connection.

        Returns:
            The pid the server sent in BackendKeyData (what ``pg_backend_pid()`` returns,
            and the ``pid`` of the notifications it sends), 0 if it sent none.
        """
        key = self._protocol.wire.backend_key
        return key.process_id if key is not None else 0

    def get_protocol_version(self) -> tuple[int, int]:
        """The frontend/backend protocol version in use, as ``(major, minor)``.

        Returns:
            ``(3, 0)`` unless ``max_protocol_version`` asked for more and the server agreed:
            ``(3, 2)`` with PostgreSQL 18 and ``max_protocol_version="3.2"``.
        """
        version = self._protocol.wire.protocol_version
        return (version >> 16, version & 0xFFFF)

    def get_server_version(self) -> ServerVersion:
        """The version of the server, parsed once from its ``server_version`` parameter.

        Returns:
            A :class:`~pgtypes.types.ServerVersion` named tuple ``(major, minor, micro,
            releaselevel, serial)``, comparable with tuples: ``>= (12, 0)``.
        """
        if self._server_version is None:
            self._server_version = parse_server_version(
                self._protocol.wire.parameters.get("server_version", "0")
            )
        return self._server_version

    def get_settings(self) -> ConnectionSettings:
        """The server's run-time parameters that it reports to the client.

        Returns:
            The connection's :class:`pgconn.ConnectionSettings` (``settings.TimeZone``,
            ``settings.server_encoding``...); the same object throughout, kept current as
            the server reports changes (ParameterStatus), e.g. after ``SET TimeZone``.
        """
        return self._settings

    def get_reset_query(self) -> str:
        """The SQL that :meth:`reset` (and a pool's release) runs; override it in a subclass.

        Returns:
            ``SELECT pg_advisory_unlock_all(); CLOSE ALL; UNLISTEN *; RESET ALL;`` (one per
            line); unlike asyncpg's, the same whatever the server version. An empty string
            skips the query.
        """
        return _RESET_QUERY

    # -- queries ----------------------------------------------------------------------------

    async def execute(self, query: str, *args: Any, timeout: float | None = None) -> str:
        """Run SQL and return the status of its (last) command.

        Without arguments the simple query protocol runs: ``query`` may hold several
        statements separated by ``;`` and bypasses the statement cache. With arguments it is
        one statement, prepared through the statement cache and run with the extended
        protocol.

        Args:
            query: the SQL text; ``$1``, ``$2``... stand for the arguments.
            args: the values of ``$1``, ``$2``..., encoded by their parameter types' codecs
                (``None`` is NULL).
            timeout: seconds for the whole operation; ``None`` uses the connection's
                ``command_timeout`` (none by default).

        Returns:
            The CommandComplete tag of the (last) statement, e.g. ``"INSERT 0 1"``.

        Raises:
            PostgresError: the server's error, as the class of its exact SQLSTATE
                (``UniqueViolationError``...).
            InvalidCachedStatementError: inside a transaction, DDL changed the result of a
                cached statement (outside one it is prepared again and retried once, silently).
            OutdatedSchemaCacheError: a composite type changed since it was introspected; the
                type and statement caches are dropped, so the next query works.
            DataError: an argument cannot be encoded for its parameter type (nothing was sent).
            InterfaceError: the connection is closed or busy with another operation, or the
                arguments do not match the parameters (count, or more than 32767).
            TimeoutError: ``timeout`` passed; the server is asked (CancelRequest) to stop in
                the background and the connection stays usable.
            ValueError: ``timeout`` is not a number.
        """
        if not args:

            async def simple() -> str:
                return await self._simple_query(query)

            return await self._operation(timeout, simple, query, args)

        # A partial, not a closure: no coroutine of its own on the hot path.
        extended = partial(self._execute, query, [args], None, rows=False)
        return (await self._operation(timeout, extended, query, args)).status

    async def executemany(
        self, command: str, args: Iterable[Sequence[Any]], *, timeout: float | None = None
    ) -> None:
        """Run ``command`` once per argument sequence, pipelined, streaming ``args``.

        ``args`` may be any iterable, a generator of millions of rows included: it is consumed
        in bounded batches, each sent under the transport's flow control (asyncpg takes the
        whole input at once). Atomic as in asyncpg: outside a transaction the whole run is one
        implicit transaction, so an error (the server's, an argument's, or the iterable's own)
        leaves none of it applied; inside a transaction the batches already executed stay
        executed and the error propagates. Rows the command returns are discarded.

        Args:
            command: the SQL statement, with ``$1``, ``$2``... parameters.
            args: an iterable of argument sequences (tuples or lists), one per execution.
            timeout: seconds for the whole run (``None``: ``command_timeout``).

        Raises:
            DataError: an element is not a sequence or holds a value that cannot be encoded
                (the message names the element, counted from 0).
            PostgresError: the server's error for any execution.
            InterfaceError: the connection is closed or busy, or an element has the wrong
                number of arguments.
            TimeoutError: ``timeout`` passed (as :meth:`execute`).
            Exception: whatever iterating ``args`` raised, after the run was rolled back.
        """

        async def run() -> None:
            await execute_in_batches(self, command, args)

        await self._operation(timeout, run, command, args)

    @overload
    async def fetch(
        self, query: str, *args: Any, timeout: float | None = ..., record_class: None = ...
    ) -> list[Record]: ...
    @overload
    async def fetch(
        self, query: str, *args: Any, timeout: float | None = ..., record_class: type[RecordT]
    ) -> list[RecordT]: ...
    async def fetch(
        self, query: str, *args: Any, timeout: float | None = None, record_class: type[Record] | None = None
    ) -> list[Any]:
        """Run a query and return all its rows.

        Args:
            query: the SQL query; ``$1``, ``$2``... stand for the arguments.
            args: the values of ``$1``, ``$2``...
            timeout: seconds for the whole operation (``None``: ``command_timeout``).
            record_class: the class of the rows, ``Record`` or a subclass of it (``None``:
                the connection's ``record_class``); typed, so ``fetch(q, record_class=R)``
                is a ``list[R]``.

        Returns:
            A list of records, ``[]`` when there are none.

        Raises:
            PostgresError: the server's error, as the class of its exact SQLSTATE.
            InvalidCachedStatementError: inside a transaction, DDL changed the result of a
                cached statement (outside one it is prepared again and retried once, silently).
            OutdatedSchemaCacheError: a composite type changed since it was introspected; the
                type and statement caches are dropped, so the next query works.
            DataError: an argument cannot be encoded (nothing was sent).
            InterfaceError: the connection is closed or busy, or the arguments do not match
                the parameters.
            TimeoutError: ``timeout`` passed (as :meth:`execute`).
        """

        run = partial(self._execute, query, [args], record_class)
        return (await self._operation(timeout, run, query, args)).rows

    @overload
    async def fetchrow(
        self, query: str, *args: Any, timeout: float | None = ..., record_class: None = ...
    ) -> Record | None: ...
    @overload
    async def fetchrow(
        self, query: str, *args: Any, timeout: float | None = ..., record_class: type[RecordT]
    ) -> RecordT | None: ...
    async def fetchrow(
        self, query: str, *args: Any, timeout: float | None = None, record_class: type[Record] | None = None
    ) -> Record | None:
        """Run a query and return its first row; the server is asked for one row only.

        Args:
            query: the SQL query; ``$1``, ``$2``... stand for the arguments.
            args: the values of ``$1``, ``$2``...
            timeout: seconds for the whole operation (``None``: ``command_timeout``).
            record_class: the class of the row, as for :meth:`fetch`.

        Returns:
            The first row, or None when the query returns no rows.

        Raises:
            PostgresError: the server's error, as the class of its exact SQLSTATE.
            InvalidCachedStatementError: inside a transaction, DDL changed the result of a
                cached statement (outside one it is prepared again and retried once, silently).
            OutdatedSchemaCacheError: a composite type changed since it was introspected; the
                type and statement caches are dropped, so the next query works.
            DataError: an argument cannot be encoded (nothing was sent).
            InterfaceError: the connection is closed or busy, or the arguments do not match
                the parameters.
            TimeoutError: ``timeout`` passed (as :meth:`execute`).
        """

        run = partial(self._execute, query, [args], record_class, limit=1)
        rows = (await self._operation(timeout, run, query, args)).rows
        return rows[0] if rows else None

    async def fetchval(
        self, query: str, *args: Any, column: int | str = 0, timeout: float | None = None
    ) -> Any:
        """Run a query and return one value of its first row.

        Args:
            query: the SQL query; ``$1``, ``$2``... stand for the arguments.
            args: the values of ``$1``, ``$2``...
            column: the value's position in the row (from 0) or its column name.
            timeout: seconds for the whole operation (``None``: ``command_timeout``).

        Returns:
            The decoded value (``None`` for NULL), or None when the query returns no rows.

        Raises:
            IndexError: ``column`` is a position the row does not have.
            KeyError: ``column`` is a name the row does not have.
            PostgresError: the server's error, as the class of its exact SQLSTATE.
            InvalidCachedStatementError: inside a transaction, DDL changed the result of a
                cached statement (outside one it is prepared again and retried once, silently).
            OutdatedSchemaCacheError: a composite type changed since it was introspected; the
                type and statement caches are dropped, so the next query works.
            DataError: an argument cannot be encoded (nothing was sent).
            InterfaceError: the connection is closed or busy.
            TimeoutError: ``timeout`` passed (as :meth:`execute`).
        """
        run = partial(self._execute, query, [args], None, limit=1)
        rows = (await self._operation(timeout, run, query, args)).rows
        return rows[0][column] if rows else None

    @overload
    async def fetchmany(
        self,
        query: str,
        args: Iterable[Sequence[Any]],
        *,
        timeout: float | None = ...,
        record_class: None = ...,
    ) -> list[Record]: ...
    @overload
    async def fetchmany(
        self,
        query: str,
        args: Iterable[Sequence[Any]],
        *,
        timeout: float | None = ...,
        record_class: type[RecordT],
    ) -> list[RecordT]: ...
    async def fetchmany(
        self,
        query: str,
        args: Iterable[Sequence[Any]],
        *,
        timeout: float | None = None,
        record_class: type[Record] | None = None,
    ) -> list[Any]:
        """Run a query once per argument sequence, in one pipelined request; all rows, in order.

        Typically ``INSERT ... RETURNING`` for many rows. Unlike :meth:`executemany`, ``args``
        is read whole before anything is sent. Outside a transaction the request is one
        implicit transaction: an error leaves none of it applied.

        Args:
            query: the SQL query, with ``$1``, ``$2``... parameters.
            args: an iterable of argument sequences, one per execution.
            timeout: seconds for the whole operation (``None``: ``command_timeout``).
            record_class: the class of the rows, as for :meth:`fetch`.

        Returns:
            The rows of every execution, concatenated in order (``[]`` for no argument
            sequences, without a round trip).

        Raises:
            DataError: an element is not a sequence or holds a value that cannot be encoded
                (the message names the element).
            PostgresError: the server's error for any execution.
            InvalidCachedStatementError: inside a transaction, DDL changed the result of a
                cached statement (outside one it is prepared again and retried once, silently).
            OutdatedSchemaCacheError: a composite type changed since it was introspected; the
                type and statement caches are dropped, so the next query works.
            InterfaceError: the connection is closed or busy, or an element has the wrong
                number of arguments.
            TimeoutError: ``timeout`` passed (as :meth:`execute`).
        """
        arg_sets = list(args)

        async def run() -> list[Record]:
            if not arg_sets:
                return []
            return (await self._execute(query, arg_sets, record_class, many=True)).rows

        return await self._operation(timeout, run, query, arg_sets)

    async def reset(self, *, timeout: float | None = None) -> None:
        """Bring the session back to a clean state: roll back, then run :meth:`get_reset_query`.

        An open transaction is rolled back (one not started by ``async with`` is reported to
        the event loop's exception handler first). Notification and log listeners are removed;
        termination listeners and query loggers stay, as in asyncpg.

        Args:
            timeout: seconds for the whole reset (``None``: ``command_timeout``).

        Raises:
            PostgresError: the server's error for the rollback or the reset query.
            InterfaceError: the connection is closed or busy.
            TimeoutError: ``timeout`` passed (as :meth:`execute`).
        """
        await self._reset_session(timeout=timeout)

    async def _reset_session(self, *, timeout: float | None = None, reset_query: bool = True) -> None:
        """:meth:`reset`; without ``reset_query`` only the listeners and the transaction (a
        pool's own ``reset`` callback replaces the query)."""

        async def run() -> None:
            self._listeners.clear_for_reset()
            if self.is_in_transaction():
                top = self._top_transaction
                if top is None or not top.is_managed():
                    self._loop.call_exception_handler(
                        {"message": f"Resetting connection with an active transaction {self!r}"}
                    )
                self._top_transaction = None
                await self._simple_query("ROLLBACK;")
            query = self.get_reset_query() if reset_query else ""
            if query:
                await self._simple_query(query)

        await self._operation(timeout, run)
        self._queries -= 1  # a reset is not one of the session's queries (a pool's max_queries)

    # -- closing ----------------------------------------------------------------------------

    async def close(self, *, timeout: float | None = None) -> None:
        """Close gracefully: stop a query in flight, send Terminate, wait for the socket to close.

        A query still running (abandoned by a cancelled caller) is cancelled on the server
        and its answer read first. ``async def`` listener callbacks get up to a second to
        finish. Idempotent: closing a closed or lost connection does nothing more.

        Args:
            timeout: seconds for the whole close (None: no limit).

        Raises:
            TimeoutError: ``timeout`` passed; the connection was aborted (as by
                :meth:`terminate`) and is closed all the same.
            CancelledError: the caller was cancelled; the connection was aborted.
        """
        if self.is_closed():
            self._closed = True
            self._stop_recovery()
            await self._listeners.aclose()
            return
        protocol = self._protocol
        try:
            async with asyncio.timeout(timeout):
                if protocol.exchange is not None:
                    self._begin_recovery(protocol.exchange)
                if self._recovery is not None:
                    await asyncio.wait([self._recovery])
                self._closed = True
                self._listeners.on_closed()
                if not protocol.is_lost and protocol.wire.is_ready:
                    protocol.send(pgwire.Terminate())
                if protocol.transport is not None:
                    protocol.transport.close()
                await asyncio.shield(protocol.closed)
        except BaseException:
            self.terminate()
            raise
        finally:
            self._cleanup()
        await self._listeners.aclose()

    def terminate(self) -> None:
        """Close at once: abort the socket without Terminate, cancel listener tasks. Idempotent.

        For a connection that cannot be closed gracefully (a server that does not answer);
        the server notices when the socket closes. Termination listeners are called.
        """
        self._closed = True
        self._listeners.cancel_all()
        self._listeners.on_closed()
        self._protocol.abort()
        self._stop_recovery()
        self._cleanup()

    def _hook_lease(self, owner: object | None) -> None:
        """A pool hands the connection out (``owner``: its proxy) or takes it back (None).

        Listener callbacks receive ``owner`` while it holds the connection; objects made under
        an earlier lease stop working.
        """
        self._lease += 1
        self._listeners.set_owner(weakref.ref(owner) if owner is not None else weakref.ref(self))

    def _check_lease(self, lease: int, what: str) -> None:
        """Raise asyncpg's error when ``what`` was made before the connection went back to a pool."""
        if lease != self._lease:
            raise InterfaceError(
                f"cannot call {what}(): the underlying connection has been released back to the pool"
            )

    def _cleanup(self) -> None:
        self._cache.clear()
        self._cache.to_close.clear()

    # -- used by PreparedStatement and Transaction --------------------------------------------

    def _lost_error(self) -> PostgresError:
        error = self._protocol.lost
        if isinstance(error, PostgresError):
            return error
        return ConnectionDoesNotExistError.client_side("connection is closed")
