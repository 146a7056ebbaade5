"""How every request runs: one operation at a time, its deadline, and recovery after it.

``Connection`` mixes this in. One path runs every statement: find (or prepare and describe)
the statement, introspect types the registry does not know, encode the arguments before
anything is sent, and send one pipelined request ending in Sync, whose answer an exchange
collects (:mod:`pgconn._exchanges`).

Deadlines hold: when an operation's timeout passes or its task is cancelled while the server
is still answering, the caller gets ``TimeoutError`` / ``CancelledError`` at once. Bringing
the connection back in sync (a CancelRequest on a separate connection, then the cycle's
ReadyForQuery) continues in a *recovery* task owned by the connection; the next operation
waits for it first, and finds the connection closed if it failed. ``close()`` awaits it and
``terminate()`` cancels it, so it never outlives the connection.

The methods named ``_hook_*`` here are what ``PreparedStatement``, ``Transaction``, cursors
and COPY use of the connection; they reach nothing else of its state.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import time
from collections.abc import Awaitable, Callable, Iterable, Sequence, Sized
from typing import TYPE_CHECKING, Any, TypeVar

import pgwire
from pgconn import _tracing
from pgconn._cancel import send_cancel_request
from pgconn._exchanges import Described, DescribeExchange, Executed, ExecuteExchange, SimpleExchange
from pgconn._listeners import ConnectionListeners
from pgconn._parameters import Address, ConnectionParameters
from pgconn._protocol import Exchange, WireProtocol
from pgconn._statement import StatementCache, StatementState

if TYPE_CHECKING:
    from pgconn._transaction import Transaction
from pgtypes import (
    INTROSPECTION_SQL,
    MAX_ARGUMENTS,
    Record,
    ServerVersion,
    TypeRegistry,
    type_infos_from_rows,
)
from pgwire.exceptions import (
    FeatureNotSupportedError,
    InterfaceError,
    InvalidCachedStatementError,
    OutdatedSchemaCacheError,
    PostgresError,
)

__all__ = ["Outgoing", "StatementRunner"]

T = TypeVar("T")

_SYNC = pgwire.Sync()

#: What a request is made of: messages, and runs of Bind/Execute pairs.
Outgoing = pgwire.FrontendMessage | pgwire.BindExecuteBatch

# Statement names are numbered per process, not per connection (as asyncpg's are), so that no
# two connections' statements share a name when a pooler shares server sessions between them.
_statement_numbers = itertools.count(1)
#: How long recovery waits for the server after a CancelRequest before giving up on the
#: connection (when no command_timeout says otherwise).
RESYNC_TIMEOUT = 10.0
# The server's words when a cached plan's result columns changed under it (plancache.c,
# RevalidateCachedQuery); the function name is the reliable part, as messages are translated.
_PLAN_CHANGED = "cached plan must not change result type"


def is_stale_plan(error: PostgresError) -> bool:
    """Whether ``error`` says a prepared statement's result type changed (after DDL)."""
    return error.server_source_function == "RevalidateCachedQuery" or error.message == _PLAN_CHANGED


def invalid_cached_statement(error: PostgresError) -> InvalidCachedStatementError:
    """asyncpg's error for a statement whose plan DDL invalidated, caused by the server's."""
    converted = InvalidCachedStatementError.client_side(
        "cached statement plan is invalid due to a database schema or configuration change",
        detail=error.detail,
        hint="The statement's result changed after it was prepared (for example after ALTER TABLE). "
        "Prepare it again; inside a transaction, retry the transaction.",
    )
    converted.__cause__ = error
    return converted


def check_argument_count(count: int) -> None:
    """Raise asyncpg's ``InterfaceError`` for more arguments than Bind can carry.

    Checked before a new statement is even prepared, so that nothing is sent for it.
    """
    if count > MAX_ARGUMENTS:
        raise InterfaceError(f"the number of query arguments cannot exceed {MAX_ARGUMENTS}")


class StatementRunner:
    """Mixed into ``Connection``: operations, requests, statements, recovery."""

    _protocol: WireProtocol
    _address: Address
    _params: ConnectionParameters
    _tls: Any
    _loop: asyncio.AbstractEventLoop
    _command_timeout: float | None
    _record_class: type[Record]
    _registry: TypeRegistry
    _cache: StatementCache
    _busy: bool
    _closed: bool
    _recovery: asyncio.Task[None] | None
    _after_recovery: list[Callable[[], Awaitable[None]]]
    _listeners: ConnectionListeners
    _queries: int
    _lease: int
    _top_transaction: Transaction | None

    if TYPE_CHECKING:  # defined by Connection

        def is_closed(self) -> bool: ...

        def is_in_transaction(self) -> bool: ...

        def get_server_version(self) -> ServerVersion: ...

        def _check_lease(self, lease: int, what: str) -> None: ...

        def terminate(self) -> None: ...

    # -- one operation at a time ------------------------------------------------------------

    def _check_open(self) -> None:
        if self.is_closed():
            raise InterfaceError("connection is closed")

    def _enter(self) -> None:
        if self.is_closed():
            raise InterfaceError("connection is closed")
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

    async def _operation(
        self,
        timeout: float | None,
        action: Callable[[], Awaitable[T]],
        query: str | None = None,
        args: Any = (),
    ) -> T:
        """Run one public operation: the busy check, recovery of the last one, the deadline.

        ``query`` and ``args`` are what the query loggers see.

        Raises:
            InterfaceError: the connection is closed (also: recovery of an earlier operation
                failed and closed it) or another operation is in progress.
            TimeoutError: the deadline passed; the server is asked to stop in the background.
        """
        self._enter()
        self._queries += 1
        if query is not None and (self._listeners.has_query_loggers or _tracing._tracer is not None):
            return await self._observed_operation(timeout, action, query, args)
        try:
            seconds = self._command_timeout if timeout is None else self._timeout(timeout)
            if seconds is None:
                if self._recovery is not None:
                    await self._wait_recovered()
                return await action()
            async with asyncio.timeout(seconds):
                if self._recovery is not None:
                    await self._wait_recovered()
                return await action()
        finally:
            self._busy = False

    async def _observed_operation(
        self, timeout: float | None, action: Callable[[], Awaitable[T]], query: str, args: Any
    ) -> T:
        """:meth:`_operation` (already entered) seen by the query loggers and the tracer."""
        tracer = _tracing._tracer
        end_span = None if tracer is None else tracer.start_query(self._trace_target(), query)
        logged = self._listeners.has_query_loggers
        started = time.monotonic()
        seconds: float | None = None
        try:
            seconds = self._timeout(timeout)
            async with asyncio.timeout(seconds):
                if self._recovery is not None:
                    await self._wait_recovered()
                result = await action()
        except BaseException as error:
            self._busy = False
            if end_span is not None:
                end_span(error)
            if logged:
                self._listeners.log_query(query, args, seconds, time.monotonic() - started, error)
            raise
        self._busy = False
        if end_span is not None:
            end_span(None)
        if logged:
            self._listeners.log_query(query, args, seconds, time.monotonic() - started, None)
        return result

    def _trace_target(self) -> _tracing.TraceTarget:
        address = self._address
        return _tracing.TraceTarget(
            host=address.host,
            port=None if address.is_unix else address.port,
            database=self._params.database,
            user=self._params.user,
        )

    # -- the one path every request takes ---------------------------------------------------

    async def _run(self, exchange: Exchange[T], messages: Sequence[Outgoing]) -> T:
        """Send ``messages``, wait for ``exchange``'s answer; recover in the background if interrupted.

        The future is awaited directly (no shield: one event-loop turn less per query); a
        cancellation cancels it, and the exchange still follows the cycle to its end, watched
        by the recovery task.
        """
        self._protocol.start(exchange, *messages)
        return await self._answer(exchange)

    async def _answer(self, exchange: Exchange[T]) -> T:
        """Wait for a started ``exchange``'s answer; a cancelled wait hands it to the recovery."""
        try:
            return await exchange.future
        except asyncio.CancelledError:
            self._begin_recovery(exchange)
            raise

    def _begin_recovery(self, exchange: Exchange[Any]) -> None:
        """Start the task that brings the connection back in sync after ``exchange`` was abandoned."""
        if exchange.finished or self.is_closed():
            return
        exchange.on_recovery()
        if self._recovery is None or self._recovery.done():
            self._recovery = self._loop.create_task(self._recover(exchange))
        else:
            exchange.on_cancel_settled()  # an earlier recovery's cancel is the one in flight

    async def _recover(self, exchange: Exchange[Any]) -> None:
        """CancelRequest, then the cycle's ReadyForQuery, then the follow-ups; else terminate.

        A CancelRequest that cannot be delivered (its connection refused, blackholed or too
        slow) leaves the query to finish by itself within the limit. The limit is
        ``command_timeout``, or :data:`RESYNC_TIMEOUT`. When the cycle ends before the
        CancelRequest was delivered, recovery still waits (within the limit) for the server to
        take it: a request read later would cancel whatever query runs then.
        """
        limit = self._command_timeout or RESYNC_TIMEOUT
        key = self._protocol.wire.backend_key
        finished = exchange.when_finished()
        cancel: asyncio.Task[None] | None = None
        try:
            async with asyncio.timeout(limit):
                if key is not None and not exchange.finished:
                    cancel = self._loop.create_task(send_cancel_request(self._address, key, self._tls))
                    await asyncio.wait([finished, cancel], return_when=asyncio.FIRST_COMPLETED)
                    exchange.on_cancel_settled()
                    failed = cancel.done() and not cancel.cancelled() and cancel.exception() is not None
                    if failed and not exchange.finished:
                        # The query runs on and nobody can stop it: the connection is given up.
                        raise ConnectionError("the CancelRequest could not be sent") from cancel.exception()
                exchange.on_cancel_settled()  # also when no CancelRequest is sent at all
                await finished
                if cancel is not None and not cancel.done():
                    await asyncio.wait([cancel])
            while self._after_recovery and not self.is_closed():
                await self._after_recovery.pop(0)()
        except asyncio.CancelledError:
            if not self.is_closed():
                self.terminate()
            raise
        except TimeoutError:
            # In sync (the cycle is over) but the CancelRequest never got through: nothing
            # reached the server that could still cancel anything, so the connection stays.
            if not exchange.finished:
                self.terminate()
        except Exception:
            self.terminate()
        finally:
            self._after_recovery.clear()
            if cancel is not None and not cancel.done():
                cancel.cancel()
            if cancel is not None:
                with contextlib.suppress(BaseException):
                    await cancel

    async def _wait_recovered(self) -> None:
        """Wait for the recovery of an earlier operation; raise if it closed the connection."""
        recovery = self._recovery
        if recovery is not None:
            if not recovery.done():
                await asyncio.wait([recovery])  # never cancels the recovery itself
            if self._recovery is recovery:
                self._recovery = None
        self._check_open()

    def _stop_recovery(self) -> None:
        recovery, self._recovery = self._recovery, None
        if recovery is not None and not recovery.done() and recovery is not asyncio.current_task():
            recovery.cancel()

    # -- statements -------------------------------------------------------------------------

    async def _describe(self, query: str, name: str, param_oids: tuple[int, ...] = ()) -> StatementState:
        """Prepare ``query`` as ``name`` and learn its types (``param_oids``: given ones, 0 unknown)."""
        messages: list[pgwire.FrontendMessage] = [*self._cache.take_close_messages()]
        messages += [pgwire.Parse(name, query, param_oids), pgwire.Describe("S", name), _SYNC]
        try:
            described: Described = await self._run(DescribeExchange(self._loop, query), messages)
        except BaseException:
            if name:
                # It may exist on the server (the cancel came after Parse ran): closing a
                # statement that does not exist is no error, so it is closed either way.
                self._cache.to_close.append(name)
            raise
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
            try:
                described = await self._run(
                    DescribeExchange(self._loop, INTROSPECTION_SQL),
                    [pgwire.Parse(name, INTROSPECTION_SQL), pgwire.Describe("S", name), _SYNC],
                )
            except BaseException:
                if name:
                    self._cache.to_close.append(name)
                raise
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

    def _encode(
        self,
        state: StatementState,
        arg_sets: Sequence[Sequence[Any]],
        first_index: int = 0,
        *,
        many: bool = False,
    ) -> list[Any]:
        """Every argument set encoded, before anything is sent (so nothing is half-sent).

        ``many``: the sets are elements of an ``executemany()``/``fetchmany()`` input, checked
        and named as such even when there is one.
        """
        encoder = state.encoder
        if len(arg_sets) == 1 and not many:
            return [encoder.encode(arg_sets[0])]
        return encoder.encode_many(arg_sets, first_index=first_index)

    async def _execute_state(
        self,
        state: StatementState,
        arg_sets: Sequence[Sequence[Any]],
        record_class: type[Record],
        *,
        rows: bool,
        limit: int,
        first_index: int = 0,
        many: bool = False,
    ) -> Executed:
        """Bind and execute ``state`` once per argument set, in one pipelined request."""
        exchange = self._start_execute(
            state, arg_sets, record_class, rows=rows, limit=limit, first_index=first_index, many=many
        )
        return await self._answer(exchange)

    def _start_execute(
        self,
        state: StatementState,
        arg_sets: Sequence[Sequence[Any]],
        record_class: type[Record],
        *,
        rows: bool,
        limit: int,
        first_index: int = 0,
        many: bool = False,
    ) -> ExecuteExchange:
        """Send the request of :meth:`_execute_state`; its exchange, to await as :meth:`_answer` does."""
        encoded = self._encode(state, arg_sets, first_index, many=many)
        decoder = state.decoder(record_class) if rows else None
        result_formats = decoder.result_formats if decoder is not None else state.result_formats
        cache = self._cache
        messages: list[Outgoing] = []
        if cache.to_close or cache.portals_to_close:
            messages += cache.take_close_messages()
        if not state.name:
            # The unnamed statement may not survive between requests behind a transaction-mode
            # pooler (PgBouncer), so it is parsed again in the request that uses it.
            messages.append(pgwire.Parse("", state.query, state.param_oids))
        # Bind/Execute pairs from the statement's cached template, then one Sync.
        messages.append(
            pgwire.BindExecuteBatch(state.name, state.encoder.formats, encoded, result_formats, limit)
        )
        messages.append(_SYNC)
        exchange = ExecuteExchange(self._loop, state.query, decoder, self._protocol.send)
        self._protocol.start(exchange, *messages)
        return exchange

    async def _execute(
        self,
        query: str,
        arg_sets: Sequence[Sequence[Any]],
        record_class: type[Record] | None,
        *,
        rows: bool = True,
        limit: int = 0,
        first_index: int = 0,
        many: bool = False,
    ) -> Executed:
        """Run ``query`` through the statement cache, re-preparing once if its plan went stale."""
        klass = self._record_class if record_class is None else record_class
        # A cache hit needs no coroutine of its own: this runs once per query.
        state = self._cache.get(query, self._loop.time())
        if state is None:
            if arg_sets and isinstance(arg_sets[0], Sized) and not many:
                check_argument_count(len(arg_sets[0]))
            state = await self._statement(query)
        # _execute_state and _answer inline: two coroutines less per query.
        exchange = self._start_execute(
            state, arg_sets, klass, rows=rows, limit=limit, first_index=first_index, many=many
        )
        try:
            return await exchange.future
        except asyncio.CancelledError:
            self._begin_recovery(exchange)
            raise
        except FeatureNotSupportedError as error:
            if not is_stale_plan(error):
                raise
            self._cache.discard(query)
            if self.is_in_transaction():
                raise invalid_cached_statement(error) from error
        except OutdatedSchemaCacheError:
            self._hook_schema_changed()
            raise
        state = await self._statement(query)
        return await self._execute_state(
            state, arg_sets, klass, rows=rows, limit=limit, first_index=first_index, many=many
        )

    async def _simple_query(self, query: str) -> str:
        """One Query message (the simple protocol); the status of its last command.

        Close messages of evicted statements go first, ended by a Sync of their own: the
        extended-query messages must be closed by Sync before a Query may follow (protocol
        docs, "Extended Query").
        """
        cache = self._cache
        messages: list[Outgoing] = []
        if cache.to_close or cache.portals_to_close:
            messages += cache.take_close_messages()
        syncs = 0
        if messages:
            messages.append(_SYNC)
            syncs = 1
        messages.append(pgwire.Query(query))
        exchange = SimpleExchange(self._loop, query, self._protocol.send, syncs_before=syncs)
        return await self._run(exchange, messages)

    # -- hooks for PreparedStatement, Transaction, cursors and COPY ---------------------------

    async def _hook_request(self, exchange: Exchange[T], messages: Sequence[Outgoing]) -> T:
        """Send one request of the caller's messages (closes of evicted statements first)."""
        closes = self._cache.take_close_messages()
        return await self._run(exchange, [*closes, *messages] if closes else messages)

    def _hook_schema_changed(self) -> None:
        """A composite type changed under a statement: forget every type and statement."""
        self._registry.clear_types()
        self._cache.clear()

    def _hook_after_recovery(self, action: Callable[[], Awaitable[None]]) -> bool:
        """Run ``action`` once the pending recovery has the connection in sync.

        Returns:
            Whether a recovery is pending (otherwise ``action`` is not scheduled).
        """
        if self._recovery is None or self._recovery.done():
            return False
        self._after_recovery.append(action)
        return True

    async def _hook_settle(self) -> None:
        """Wait for a pending recovery (so that the transaction status is current)."""
        if self._recovery is not None:
            await self._wait_recovered()
