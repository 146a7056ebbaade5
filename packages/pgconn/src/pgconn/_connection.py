"""``Connection``: queries, prepared statements and transactions over one server connection.

The public methods follow asyncpg's (``execute``, ``executemany``, ``fetch``, ``fetchrow``,
``fetchval``, ``fetchmany``, ``prepare``, ``transaction``, ``close``, ...). Under them, one
path runs every statement: find (or prepare and describe) the statement, introspect types
the registry does not know, encode the arguments before anything is sent, and send one
pipelined request ending in Sync, whose answer an exchange collects (:mod:`pgconn._exchanges`).
Timeouts and task cancellation go through :meth:`Connection._run`: a CancelRequest on a
separate connection, then waiting for ReadyForQuery, so the connection is left in sync (or
closed when it cannot be).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import warnings
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import pgwire
from pgconn._cancel import send_cancel_request
from pgconn._codec_methods import TypeCodecMethods
from pgconn._config import Address, ConnectionParameters
from pgconn._exchanges import Described, DescribeExchange, Executed, ExecuteExchange, SimpleExchange
from pgconn._prepared import PreparedStatement
from pgconn._protocol import Exchange, WireProtocol
from pgconn._settings import ConnectionSettings
from pgconn._statement import StatementCache, StatementState
from pgconn._transaction import Transaction
from pgtypes import (
    INTROSPECTION_SQL,
    Record,
    ServerVersion,
    TypeRegistry,
    parse_server_version,
    type_infos_from_rows,
)
from pgwire import TransactionStatus
from pgwire.exceptions import (
    ConnectionDoesNotExistError,
    DataError,
    FeatureNotSupportedError,
    InterfaceError,
    InvalidCachedStatementError,
    OutdatedSchemaCacheError,
    PostgresError,
)

__all__ = ["Connection"]

_SYNC = pgwire.Sync()

#: What a request is made of: messages, and runs of Bind/Execute pairs.
Outgoing = pgwire.FrontendMessage | pgwire.BindExecuteBatch

_OID_ARRAY = 1028
# Statement names are numbered per process, not per connection (as asyncpg's are), so that no
# two connections' statements share a name when a pooler shares server sessions between them.
_statement_numbers = itertools.count(1)
#: How long to wait for the server to answer after a CancelRequest before giving up on the
#: connection (when no command_timeout says otherwise).
_RESYNC_TIMEOUT = 10.0
_RESET_QUERY = "SELECT pg_advisory_unlock_all();\nCLOSE ALL;\nUNLISTEN *;\nRESET ALL;"
# The server's words when a cached plan's result columns changed under it (plancache.c,
# RevalidateCachedQuery); the function name is the reliable part, as messages are translated.
_PLAN_CHANGED = "cached plan must not change result type"


def _is_stale_plan(error: PostgresError) -> bool:
    return error.server_source_function == "RevalidateCachedQuery" or error.message == _PLAN_CHANGED


class Connection(TypeCodecMethods):
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
        self._top_transaction: Any = None
        self._server_version: ServerVersion | None = None
        self._settings = ConnectionSettings(protocol.wire.parameters)
        # The protocol (kept alive by the event loop's transport) holds no reference to the
        # connection, so that a connection dropped while open is garbage-collected: __del__
        # then warns and closes the socket, as asyncpg does.

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

    def _check_open(self) -> None:
        if self.is_closed():
            raise InterfaceError("connection is closed")

    def _enter(self) -> None:
        self._check_open()
        if self._busy:
            raise InterfaceError("cannot perform operation: another operation is in progress")
        self._busy = True

    def _timeout(self, timeout: float | None) -> float | None:
        """The seconds an operation may take (``None``: ``command_timeout``).

        Raises:
            ValueError: ``timeout`` is a bool or not a number.
            TimeoutError: ``timeout`` is zero or negative: it has passed before anything is sent.
        """
        if timeout is None:
            return self._command_timeout
        try:
            if isinstance(timeout, bool):
                raise TypeError(timeout)
            seconds = float(timeout)
        except (TypeError, ValueError):
            raise ValueError(
                f"invalid timeout value: expected non-negative float (got {timeout!r})"
            ) from None
        if seconds <= 0:
            raise TimeoutError
        return seconds

    # -- the one path every request takes ---------------------------------------------------

    async def _run(self, exchange: Exchange, messages: Sequence[Outgoing]) -> Any:
        """Send ``messages``, wait for ``exchange``'s answer; cancel and resync if interrupted.

        The future is awaited directly (no shield: one event-loop turn less per query); a
        cancellation cancels it, and the exchange still follows the cycle to its end.
        """
        future = self._protocol.start(exchange, *messages)
        try:
            return await future
        except asyncio.CancelledError:
            await self._cancel_and_resync(exchange)
            raise

    async def _cancel_and_resync(self, exchange: Exchange) -> None:
        """Ask the server to stop, then wait for the cycle's ReadyForQuery; else close."""
        if exchange.finished:
            return
        limit = self._command_timeout or _RESYNC_TIMEOUT
        try:
            key = self._protocol.wire.backend_key
            if key is not None:
                async with asyncio.timeout(limit):
                    await send_cancel_request(self._address, key, self._tls)
            async with asyncio.timeout(limit):
                await asyncio.wait([exchange.when_finished()])
        except BaseException:
            self.terminate()
            raise
        if not exchange.finished:
            self.terminate()

    async def _describe(self, query: str, name: str) -> StatementState:
        messages: list[pgwire.FrontendMessage] = [*self._cache.take_close_messages()]
        messages += [pgwire.Parse(name, query), pgwire.Describe("S", name), pgwire.Sync()]
        described: Described = await self._run(DescribeExchange(self._loop, query), messages)
        oids = [*described.param_oids, *(f.type_oid for f in described.fields or ())]
        if self._registry.missing_oids(oids):
            await self._introspect(oids)
        return StatementState(
            name, query, described.param_oids, described.fields, self._registry, self._loop.time()
        )

    async def _introspect(self, oids: Iterable[int]) -> None:
        """Teach the registry the types among ``oids`` it does not know, in one query."""
        missing = sorted(self._registry.missing_oids(oids))
        if not missing:
            return
        # Introspection uses the built-in codecs only, so a user's codec cannot break it.
        state = self._cache.get(INTROSPECTION_SQL, self._loop.time())
        if state is None or state.registry is not TypeRegistry.default():
            name = self._statement_name() if self._cache.accepts(INTROSPECTION_SQL) else ""
            described = await self._run(
                DescribeExchange(self._loop, INTROSPECTION_SQL),
                [pgwire.Parse(name, INTROSPECTION_SQL), pgwire.Describe("S", name), pgwire.Sync()],
            )
            state = StatementState(
                name, INTROSPECTION_SQL, described.param_oids, described.fields, TypeRegistry.default(), 0.0
            )
            if name:
                self._cache.put(state)
        # One execution whose only argument ($1, an oid[]) is the list of missing OIDs.
        executed = await self._execute_state(state, [(missing,)], Record, rows=True, limit=0)
        self._registry.add_types(type_infos_from_rows(executed.rows))

    def _statement_name(self) -> str:
        return f"__pgconn_stmt_{next(_statement_numbers)}__"

    async def _statement(self, query: str) -> StatementState:
        """The cached statement for ``query``, or a new one (named when cacheable)."""
        state = self._cache.get(query, self._loop.time())
        if state is not None:
            return state
        if self._cache.accepts(query):
            state = await self._describe(query, self._statement_name())
            self._cache.put(state)
            return state
        return await self._describe(query, "")

    async def _execute_state(
        self,
        state: StatementState,
        arg_sets: Sequence[Sequence[Any]],
        record_class: type[Record],
        *,
        rows: bool,
        limit: int,
    ) -> Executed:
        """Bind and execute ``state`` once per argument set, in one pipelined request."""
        encoder = state.encoder
        # Every argument is encoded before anything is sent, so a bad one leaves nothing half-sent.
        if len(arg_sets) == 1:
            encoded = [encoder.encode(arg_sets[0])]
        else:
            try:
                encoded = encoder.encode_many(arg_sets)
            except DataError:
                # Encoded again one by one, only to name the bad element as asyncpg does.
                for index, args in enumerate(arg_sets):
                    try:
                        encoder.encode(args)
                    except DataError as error:
                        raise DataError.client_side(
                            f"{error.message} (in element #{index} of the executemany() sequence)"
                        ) from error
                raise
        decoder = state.decoder(record_class) if rows else None
        result_formats = decoder.result_formats if decoder is not None else state.result_formats
        messages: list[pgwire.FrontendMessage | pgwire.BindExecuteBatch] = [
            *self._cache.take_close_messages()
        ]
        if not state.name:
            # The unnamed statement may not survive between requests behind a transaction-mode
            # pooler (PgBouncer), so it is parsed again in the request that uses it.
            messages.append(pgwire.Parse("", state.query, state.param_oids))
        # Bind/Execute pairs from the statement's cached template, then one Sync.
        messages.append(pgwire.BindExecuteBatch(state.name, encoder.formats, encoded, result_formats, limit))
        messages.append(_SYNC)
        return await self._run(ExecuteExchange(self._loop, state.query, decoder), messages)  # type: ignore[no-any-return]

    async def _execute(
        self,
        query: str,
        arg_sets: Sequence[Sequence[Any]],
        record_class: type[Record] | None,
        *,
        rows: bool = True,
        limit: int = 0,
    ) -> Executed:
        """Run ``query`` through the statement cache, re-preparing once if its plan went stale."""
        klass = self._record_class if record_class is None else record_class
        # A cache hit needs no coroutine of its own: this runs once per query.
        state = self._cache.get(query, self._loop.time())
        if state is None:
            state = await self._statement(query)
        try:
            return await self._execute_state(state, arg_sets, klass, rows=rows, limit=limit)
        except FeatureNotSupportedError as error:
            if not _is_stale_plan(error):
                raise
            self._cache.discard(query)
            if self.is_in_transaction():
                raise InvalidCachedStatementError.client_side(
                    "cached statement plan is invalid due to a database schema or configuration change",
                    detail=error.detail,
                    hint="The prepared statement's result changed after it was prepared (for example "
                    "after ALTER TABLE); it cannot be re-prepared inside this transaction. Retry the "
                    "transaction.",
                ) from error
        except OutdatedSchemaCacheError:
            self._registry.clear_types()
            self._cache.clear()
            raise
        state = await self._statement(query)
        return await self._execute_state(state, arg_sets, klass, rows=rows, limit=limit)

    async def _simple_query(self, query: str) -> str:
        """One Query message (the simple protocol); the status of its last command.

        Close messages of evicted statements go first, ended by a Sync of their own: the
        extended-query messages must be closed by Sync before a Query may follow (protocol
        docs, "Extended Query").
        """
        messages: list[pgwire.FrontendMessage] = [*self._cache.take_close_messages()]
        syncs = 0
        if messages:
            messages.append(pgwire.Sync())
            syncs = 1
        messages.append(pgwire.Query(query))
        exchange = SimpleExchange(self._loop, query, self._protocol.send, syncs_before=syncs)
        return await self._run(exchange, messages)  # type: ignore[no-any-return]

    async def _operation(self, timeout: float | None, action: Callable[[], Any]) -> Any:
        """Run one public operation: the busy check, the timeout, and the cleanup."""
        self._enter()
        try:
            seconds = self._timeout(timeout)
            if seconds is None:
                return await action()
            async with asyncio.timeout(seconds):
                return await action()
        finally:
            self._busy = False

    # -- queries ----------------------------------------------------------------------------

    async def execute(self, query: str, *args: Any, timeout: float | None = None) -> str:
        """Run SQL; return the status of the last command (``INSERT 0 1``).

        Without arguments the simple query protocol runs (several statements allowed); with
        arguments, one statement with the extended protocol.

        Raises:
            PostgresError: the server's error. DataError: an argument cannot be encoded.
            InterfaceError: the connection is closed or busy. TimeoutError: ``timeout`` passed.
        """
        if not args:

            async def simple() -> str:
                return await self._simple_query(query)

            return await self._operation(timeout, simple)  # type: ignore[no-any-return]

        async def extended() -> str:
            return (await self._execute(query, [args], None, rows=False)).status

        return await self._operation(timeout, extended)  # type: ignore[no-any-return]

    async def executemany(
        self, command: str, args: Iterable[Sequence[Any]], *, timeout: float | None = None
    ) -> None:
        """Run ``command`` once per argument sequence, in one pipelined request.

        Atomic as in asyncpg: outside a transaction the whole batch is one implicit
        transaction, so an error leaves none of it applied.
        """
        arg_sets = [tuple(item) for item in args]

        async def run() -> None:
            if arg_sets:
                await self._execute(command, arg_sets, None, rows=False)

        await self._operation(timeout, run)

    async def fetch(
        self, query: str, *args: Any, timeout: float | None = None, record_class: type[Record] | None = None
    ) -> list[Record]:
        """Run a query and return all its rows as records."""

        async def run() -> list[Record]:
            return (await self._execute(query, [args], record_class)).rows

        return await self._operation(timeout, run)  # type: ignore[no-any-return]

    async def fetchrow(
        self, query: str, *args: Any, timeout: float | None = None, record_class: type[Record] | None = None
    ) -> Record | None:
        """Run a query and return its first row, or None when it returns none."""

        async def run() -> Record | None:
            rows = (await self._execute(query, [args], record_class, limit=1)).rows
            return rows[0] if rows else None

        return await self._operation(timeout, run)  # type: ignore[no-any-return]

    async def fetchval(
        self, query: str, *args: Any, column: int | str = 0, timeout: float | None = None
    ) -> Any:
        """Run a query and return one value of its first row (``column``: index or name)."""
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
        """Run a query once per argument sequence (one pipelined request); all rows, in order."""
        arg_sets = [tuple(item) for item in args]

        async def run() -> list[Record]:
            if not arg_sets:
                return []
            return (await self._execute(query, arg_sets, record_class)).rows

        return await self._operation(timeout, run)  # type: ignore[no-any-return]

    async def prepare(
        self,
        query: str,
        *,
        name: str | None = None,
        timeout: float | None = None,
        record_class: type[Record] | None = None,
    ) -> PreparedStatement:
        """Prepare ``query`` as a server-side statement (never through the statement cache).

        ``name``: the statement's server-side name (reachable with ``EXECUTE name``); by
        default a generated one, or the unnamed statement when the cache is off.
        """

        async def run() -> PreparedStatement:
            statement_name = (
                name if name is not None else (self._statement_name() if self._cache.enabled else "")
            )
            state = await self._describe(query, statement_name)
            return PreparedStatement(
                self, state, self._record_class if record_class is None else record_class
            )

        return await self._operation(timeout, run)  # type: ignore[no-any-return]

    def transaction(
        self, *, isolation: str | None = None, readonly: bool = False, deferrable: bool = False
    ) -> Transaction:
        """A transaction (a savepoint when one is already active); start it with ``async with``."""
        self._check_open()
        return Transaction(self, isolation, readonly, deferrable)

    async def reset(self, *, timeout: float | None = None) -> None:
        """Bring the session back to a clean state: roll back, then run :meth:`get_reset_query`."""

        async def run() -> None:
            if self.is_in_transaction():
                if self._top_transaction is None or not self._top_transaction._managed:
                    self._loop.call_exception_handler(
                        {"message": f"Resetting connection with an active transaction {self!r}"}
                    )
                self._top_transaction = None
                await self._simple_query("ROLLBACK;")
            reset_query = self.get_reset_query()
            if reset_query:
                await self._simple_query(reset_query)

        await self._operation(timeout, run)

    # -- closing ----------------------------------------------------------------------------

    async def close(self, *, timeout: float | None = None) -> None:
        """Close gracefully: cancel a query in flight, send Terminate, wait for the socket.

        Idempotent; on any error or cancellation the connection is aborted.
        """
        if self.is_closed():
            self._closed = True
            return
        protocol = self._protocol
        try:
            async with asyncio.timeout(timeout):
                if protocol.exchange is not None:
                    await self._cancel_and_resync(protocol.exchange)
                self._closed = True
                if not protocol.is_lost and protocol.wire.is_ready:
                    protocol.send(pgwire.Terminate())
                if protocol.transport is not None:
                    protocol.transport.close()
                while not protocol.is_lost:
                    await asyncio.sleep(0.001)
        except BaseException:
            self.terminate()
            raise
        finally:
            self._cleanup()

    def terminate(self) -> None:
        """Close at once, without Terminate. Idempotent."""
        self._closed = True
        self._protocol.abort()
        self._cleanup()

    def _cleanup(self) -> None:
        self._cache.clear()
        self._cache.to_close.clear()

    # -- used by PreparedStatement and Transaction --------------------------------------------

    def _lost_error(self) -> PostgresError:
        error = self._protocol.lost
        if isinstance(error, PostgresError):
            return error
        return ConnectionDoesNotExistError.client_side("connection is closed")
