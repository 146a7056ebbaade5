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
from typing import Any

import pgwire
from pgconn._batches import execute_in_batches
from pgconn._codec_methods import TypeCodecMethods
from pgconn._copy_methods import CopyMethods
from pgconn._cursor import CursorFactory
from pgconn._listener_methods import ListenerMethods
from pgconn._listeners import ConnectionListeners
from pgconn._parameters import Address, ConnectionParameters
from pgconn._prepared import PreparedStatement
from pgconn._protocol import WireProtocol
from pgconn._runner import StatementRunner
from pgconn._server_settings import ConnectionSettings
from pgconn._statement import StatementCache
from pgconn._transaction import Transaction
from pgtypes import Record, ServerVersion, TypeRegistry, parse_server_version
from pgwire import TransactionStatus
from pgwire.exceptions import ConnectionDoesNotExistError, InterfaceError, PostgresError

__all__ = ["Connection"]

_RESET_QUERY = "SELECT pg_advisory_unlock_all();\nCLOSE ALL;\nUNLISTEN *;\nRESET ALL;"


class Connection(ListenerMethods, TypeCodecMethods, CopyMethods, StatementRunner):
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
        """True once the connection was closed, terminated or lost."""
        return self._closed or self._protocol.is_lost or self._protocol.lost is not None

    def is_in_transaction(self) -> bool:
        """True inside a transaction block, including a failed one (ReadyForQuery 'T' or 'E')."""
        return self._protocol.wire.transaction_status in (
            TransactionStatus.IN_TRANSACTION,
            TransactionStatus.IN_FAILED_TRANSACTION,
        )

    def get_server_pid(self) -> int:
        """The process id of the server backend (from BackendKeyData)."""
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
        """The server's version, from its ``server_version`` parameter."""
        if self._server_version is None:
            self._server_version = parse_server_version(
                self._protocol.wire.parameters.get("server_version", "0")
            )
        return self._server_version

    def get_settings(self) -> ConnectionSettings:
        """The server's run-time parameters, kept current as the server reports changes."""
        return self._settings

    def get_reset_query(self) -> str:
        """The SQL :meth:`reset` runs; override in a subclass to change it."""
        return _RESET_QUERY

    # -- queries ----------------------------------------------------------------------------

    async def execute(self, query: str, *args: Any, timeout: float | None = None) -> str:
        """Run SQL; return the status of the last command (``INSERT 0 1``).

        Without arguments the simple query protocol runs (several statements allowed, no
        statement cache); with arguments, one statement with the extended protocol.

        Args:
            query: the SQL text; ``$1``, ``$2``... are the arguments.
            args: the values of ``$1``, ``$2``...
            timeout: seconds for the whole operation (``None``: ``command_timeout``).

        Returns:
            The CommandComplete tag of the (last) statement, e.g. ``"INSERT 0 1"``.

        Raises:
            PostgresError: the server's error, as its SQLSTATE's class.
            DataError: an argument cannot be encoded (nothing was sent).
            InterfaceError: the connection is closed or busy, or too many arguments.
            TimeoutError: ``timeout`` passed (the server is asked to stop in the background).
        """
        if not args:

            async def simple() -> str:
                return await self._simple_query(query)

            return await self._operation(timeout, simple, query, args)

        async def extended() -> str:
            return (await self._execute(query, [args], None, rows=False)).status

        return await self._operation(timeout, extended, query, args)

    async def executemany(
        self, command: str, args: Iterable[Sequence[Any]], *, timeout: float | None = None
    ) -> None:
        """Run ``command`` once per argument sequence, pipelined, streaming ``args``.

        ``args`` may be any iterable, a generator of millions of rows included: it is consumed
        in bounded batches, each sent under the transport's flow control. Atomic as in asyncpg:
        outside a transaction the whole run is one implicit transaction, so an error (the
        server's, an argument's, or the iterable's own) leaves none of it applied; inside a
        transaction the batches already executed stay executed and the error propagates.

        Args:
            command: the SQL statement.
            args: an iterable of argument sequences.
            timeout: seconds for the whole operation.

        Raises:
            DataError: an element is not a sequence or holds a value that cannot be encoded
                (the message names the element).
            PostgresError: the server's error. InterfaceError, TimeoutError: as :meth:`execute`.
        """

        async def run() -> None:
            await execute_in_batches(self, command, args)

        await self._operation(timeout, run, command, args)

    async def fetch(
        self, query: str, *args: Any, timeout: float | None = None, record_class: type[Record] | None = None
    ) -> list[Record]:
        """Run a query and return all its rows.

        Args:
            query: the SQL text. args: the values of ``$1``, ``$2``...
            timeout: seconds for the whole operation.
            record_class: the class of the rows (a subclass of ``Record``).

        Returns:
            A list of records, ``[]`` when there are none.

        Raises:
            As :meth:`execute`.
        """

        async def run() -> list[Record]:
            return (await self._execute(query, [args], record_class)).rows

        return await self._operation(timeout, run, query, args)

    async def fetchrow(
        self, query: str, *args: Any, timeout: float | None = None, record_class: type[Record] | None = None
    ) -> Record | None:
        """Run a query and return its first row (the rest are not sent), or None.

        Raises:
            As :meth:`execute`.
        """

        async def run() -> Record | None:
            rows = (await self._execute(query, [args], record_class, limit=1)).rows
            return rows[0] if rows else None

        return await self._operation(timeout, run, query, args)

    async def fetchval(
        self, query: str, *args: Any, column: int | str = 0, timeout: float | None = None
    ) -> Any:
        """Run a query and return one value of its first row, or None when there is no row.

        Args:
            column: the value's index or column name.

        Raises:
            As :meth:`execute`; IndexError or KeyError for a ``column`` the row lacks.
        """
        row = await self.fetchrow(query, *args, timeout=timeout)
        return None if row is None else row[column]

    async def fetchmany(
        self,
        query: str,
        args: Iterable[Sequence[Any]],
        *,
        timeout: float | None = None,
        record_class: type[Record] | None = None,
    ) -> list[Record]:
        """Run a query once per argument sequence (one pipelined request); all rows, in order.

        Raises:
            As :meth:`executemany`.
        """
        arg_sets = list(args)

        async def run() -> list[Record]:
            if not arg_sets:
                return []
            return (await self._execute(query, arg_sets, record_class, many=True)).rows

        return await self._operation(timeout, run, query, arg_sets)

    async def prepare(
        self,
        query: str,
        *,
        name: str | None = None,
        timeout: float | None = None,
        record_class: type[Record] | None = None,
    ) -> PreparedStatement:
        """Prepare ``query`` as a server-side statement (never through the statement cache).

        Args:
            query: the SQL text.
            name: the statement's server-side name (reachable with ``EXECUTE name``); by
                default a generated one, or the unnamed statement when the cache is off.
            timeout: seconds for preparing (and introspecting unknown types).
            record_class: the class of the rows it returns.

        Returns:
            A :class:`PreparedStatement`.

        Raises:
            PostgresError: the server refused the statement (syntax error, unknown table...).
            InterfaceError, TimeoutError: as :meth:`execute`.
        """

        async def run() -> PreparedStatement:
            statement_name = (
                name if name is not None else (self._statement_name() if self._cache.enabled else "")
            )
            state = await self._describe(query, statement_name)
            return PreparedStatement(
                self, state, self._record_class if record_class is None else record_class
            )

        return await self._operation(timeout, run, query)

    def cursor(
        self,
        query: str,
        *args: Any,
        prefetch: int | None = None,
        timeout: float | None = None,
        record_class: type[Record] | None = None,
        scrollable: bool = False,
        hold: bool = False,
    ) -> CursorFactory:
        """A cursor over ``query``'s rows; nothing is sent until it is iterated or awaited.

        ``async for row in connection.cursor(...)`` fetches ``prefetch`` rows (default 50)
        per round trip; ``cursor = await connection.cursor(...)`` gives a :class:`Cursor` to
        drive by hand. A plain cursor needs a transaction and ends with it.

        Args:
            query: the SQL query. args: the values of ``$1``, ``$2``...
            prefetch: rows per round trip of ``async for`` (only for iteration).
            timeout: seconds for opening the cursor (and, for ``async for``, each fetch).
            record_class: the class of the rows.
            scrollable: declare a ``SCROLL`` cursor, which :meth:`Cursor.scroll` can move
                backward and to absolute positions. The server may have to keep the rows it
                produced (in ``work_mem``, then temporary files) for plans that cannot run
                backward.
            hold: declare a ``WITH HOLD`` cursor, which needs no transaction and outlives
                the one it was opened in; close it with :meth:`Cursor.close`. At the end of
                its transaction the server computes and stores every remaining row (memory,
                then temporary files), which costs as much as fetching the whole result.

        Returns:
            A :class:`CursorFactory`.

        Raises (when iterated or awaited):
            NoActiveSQLTransactionError: no transaction is active (and ``hold`` is False).
            InterfaceError: ``prefetch`` is not positive, or given for an awaited cursor.
        """
        self._check_open()
        return CursorFactory(
            self,
            query,
            None,
            args,
            prefetch=prefetch,
            timeout=timeout,
            record_class=self._record_class if record_class is None else record_class,
            scrollable=scrollable,
            hold=hold,
        )

    def transaction(
        self, *, isolation: str | None = None, readonly: bool = False, deferrable: bool = False
    ) -> Transaction:
        """A transaction (a savepoint when one is already active); start it with ``async with``.

        Args:
            isolation: ``"serializable"``, ``"repeatable_read"``, ``"read_committed"``,
                ``"read_uncommitted"``, or None for the session's default.
            readonly, deferrable: BEGIN's access options.

        Raises:
            InterfaceError: the connection is closed. ValueError: an unknown ``isolation``.
        """
        self._check_open()
        return Transaction(self, isolation, readonly, deferrable)

    async def reset(self, *, timeout: float | None = None) -> None:
        """Bring the session back to a clean state: roll back, then run :meth:`get_reset_query`.

        Notification and log listeners are removed (termination listeners and query loggers
        stay), as in asyncpg.

        Raises:
            PostgresError, InterfaceError, TimeoutError: as :meth:`execute`.
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

        Idempotent; on any error or cancellation (``timeout`` included) the connection is aborted.

        Args:
            timeout: seconds for the whole close.
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
        """Close at once, without Terminate. Idempotent."""
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
