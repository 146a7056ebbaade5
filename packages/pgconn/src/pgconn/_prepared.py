"""``PreparedStatement``: a named server-side statement made by ``Connection.prepare()``.

It never goes through the implicit statement cache. Its parameter encoder and row decoder
are built once, when it is prepared, so a later ``set_type_codec`` does not change it (as in
asyncpg). Every method first checks, synchronously, that the statement and its connection
are still open.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any, Generic, cast

from pgconn._cursor import CursorFactory
from pgconn._runner import invalid_cached_statement, is_stale_plan
from pgconn._statement import StatementState
from pgconn._typevars import RecordT
from pgtypes import Attribute, Record, Type
from pgwire.exceptions import FeatureNotSupportedError, InterfaceError, OutdatedSchemaCacheError

if TYPE_CHECKING:
    from pgconn._connection import Connection

__all__ = ["PreparedStatement"]


class PreparedStatement(Generic[RecordT]):
    """A prepared statement: run it with ``fetch``, ``fetchrow``, ``fetchval``, ``executemany``...

    Made by :meth:`Connection.prepare`; generic in the class of its rows
    (``PreparedStatement[MyRecord]`` when prepared with ``record_class=MyRecord``). It stays
    valid until the connection closes, goes back to a pool, or DDL changes what it returns.
    """

    __slots__ = ("_connection", "_last_status", "_lease", "_record_class", "_state")

    def __init__(self, connection: Connection, state: StatementState, record_class: type[RecordT]) -> None:
        self._connection = connection
        self._lease = connection._lease
        self._state = state
        self._record_class = record_class
        self._last_status: str | None = None
        # Build the row decoder now (the encoder already is): codec changes made later on the
        # connection must not reach a statement prepared before them, as in asyncpg.
        state.decoder(record_class)

    def __repr__(self) -> str:
        return f"<PreparedStatement {self._state.name or '(unnamed)'} {self._state.query!r}>"

    def _check(self, method: str) -> None:
        self._connection._check_lease(self._lease, f"PreparedStatement.{method}")
        if self._state.closed:
            raise InterfaceError(f"cannot call PreparedStmt.{method}(): the prepared statement is closed")
        if self._connection.is_closed():
            raise InterfaceError(
                f"cannot call PreparedStatement.{method}(): the underlying connection is closed"
            )

    # -- description ----------------------------------------------------------------------

    def get_name(self) -> str:
        """The statement's server-side name.

        Returns:
            The name given to :meth:`Connection.prepare` or generated for it, ``""`` for the
            unnamed statement (when the statement cache is off).
        """
        return self._state.name

    def get_query(self) -> str:
        """The statement's SQL text.

        Returns:
            The query as given to :meth:`Connection.prepare`.
        """
        return self._state.query

    def get_statusmsg(self) -> str | None:
        """The status of the statement's last execution.

        Returns:
            The CommandComplete tag of the last :meth:`fetch`, :meth:`fetchmany` or
            :meth:`executemany` (``"SELECT 3"``); None before any. :meth:`fetchrow` and
            :meth:`fetchval` leave it None, as they ask the server for one row only.
        """
        return self._last_status

    def get_parameters(self) -> tuple[Type, ...]:
        """The types of the statement's parameters, as the server inferred them.

        Returns:
            One :class:`~pgtypes.types.Type` ``(oid, name, kind, schema)`` per ``$n``, in order.
        """
        registry = self._state.registry
        return tuple(registry.describe(oid) for oid in self._state.param_oids)

    def get_attributes(self) -> tuple[Attribute, ...]:
        """The statement's result columns.

        Returns:
            One :class:`~pgtypes.types.Attribute` ``(name, type)`` per column, ``()`` for a
            statement that returns no rows. Domains are described by their base type, as
            asyncpg does.
        """
        registry = self._state.registry
        attributes = []
        for field in self._state.fields or ():
            oid = field.type_oid
            info = registry.type_info(oid)
            while info is not None and info.kind == "domain":
                oid = info.base_oid
                info = registry.type_info(oid)
            attributes.append(Attribute(field.name, registry.describe(oid)))
        return tuple(attributes)

    # -- execution ------------------------------------------------------------------------

    async def _run(
        self,
        method: str,
        arg_sets: Sequence[Sequence[Any]],
        timeout: float | None,
        *,
        rows: bool,
        limit: int,
        many: bool = False,
    ) -> list[Record]:
        self._check(method)
        connection = self._connection

        async def run() -> list[Record]:
            try:
                executed = await connection._execute_state(
                    self._state, arg_sets, self._record_class, rows=rows, limit=limit, many=many
                )
            except FeatureNotSupportedError as error:
                if is_stale_plan(error):
                    # DDL changed the statement's result (ALTER TABLE ... TYPE): asyncpg's
                    # class, which SQLAlchemy and others catch to prepare again.
                    raise invalid_cached_statement(error) from error
                raise
            except OutdatedSchemaCacheError:
                self._state.closed = True
                connection._hook_schema_changed()
                raise
            self._last_status = None if limit == 1 else executed.status
            return executed.rows

        return await connection._operation(timeout, run, self._state.query, arg_sets if many else arg_sets[0])

    async def fetch(self, *args: Any, timeout: float | None = None) -> list[RecordT]:
        """Execute the statement with ``args`` and return all its rows.

        Args:
            args: the values of ``$1``, ``$2``...
            timeout: seconds for the whole operation (``None``: ``command_timeout``).

        Returns:
            A list of rows of the statement's record class, ``[]`` when there are none.

        Raises:
            InterfaceError: the statement or its connection is closed, the connection went
                back to its pool, it is busy, or the arguments do not match the parameters.
            InvalidCachedStatementError: DDL changed the statement's result columns since it
                was prepared (prepare it again).
            DataError: an argument cannot be encoded (nothing was sent).
            PostgresError: the server's error, as the class of its exact SQLSTATE.
            TimeoutError: ``timeout`` passed (as :meth:`Connection.execute`).
        """
        return cast("list[RecordT]", await self._run("fetch", [args], timeout, rows=True, limit=0))

    async def fetchrow(self, *args: Any, timeout: float | None = None) -> RecordT | None:
        """Execute the statement with ``args`` and return its first row (one row is asked for).

        Args:
            args: the values of ``$1``, ``$2``...
            timeout: seconds for the whole operation (``None``: ``command_timeout``).

        Returns:
            The first row, or None when there are no rows.

        Raises:
            InterfaceError: as :meth:`fetch`.
            InvalidCachedStatementError: as :meth:`fetch`.
            DataError: an argument cannot be encoded (nothing was sent).
            PostgresError: the server's error.
            TimeoutError: ``timeout`` passed.
        """
        rows = await self._run("fetchrow", [args], timeout, rows=True, limit=1)
        return cast("RecordT", rows[0]) if rows else None

    async def fetchval(self, *args: Any, column: int | str = 0, timeout: float | None = None) -> Any:
        """Execute the statement with ``args`` and return one value of its first row.

        Args:
            args: the values of ``$1``, ``$2``...
            column: the value's position in the row (from 0) or its column name.
            timeout: seconds for the whole operation (``None``: ``command_timeout``).

        Returns:
            The decoded value (``None`` for NULL), or None when there are no rows.

        Raises:
            IndexError: ``column`` is a position the row does not have.
            KeyError: ``column`` is a name the row does not have.
            InterfaceError: as :meth:`fetch`.
            DataError: an argument cannot be encoded (nothing was sent).
            PostgresError: the server's error.
            TimeoutError: ``timeout`` passed.
        """
        rows = await self._run("fetchval", [args], timeout, rows=True, limit=1)
        return rows[0][column] if rows else None

    async def fetchmany(
        self, args: Iterable[Sequence[Any]], *, timeout: float | None = None
    ) -> list[RecordT]:
        """Execute once per argument sequence, in one pipelined request; all rows, in order.

        Args:
            args: an iterable of argument sequences (read whole first), one per execution.
            timeout: seconds for the whole operation (``None``: ``command_timeout``).

        Returns:
            The rows of every execution, concatenated in order; ``[]`` for no sequences
            (without a round trip).

        Raises:
            DataError: an element is not a sequence or holds a value that cannot be encoded
                (the message names the element).
            InterfaceError: as :meth:`fetch`.
            PostgresError: the server's error for any execution.
            TimeoutError: ``timeout`` passed.
        """
        arg_sets = list(args)
        if not arg_sets:
            self._check("fetchmany")
            return []
        rows = await self._run("fetchmany", arg_sets, timeout, rows=True, limit=0, many=True)
        return cast("list[RecordT]", rows)

    async def executemany(self, args: Iterable[Sequence[Any]], *, timeout: float | None = None) -> None:
        """Execute once per argument sequence, in one pipelined request; rows are discarded.

        Unlike :meth:`Connection.executemany`, ``args`` is read whole before anything is
        sent. Atomic outside a transaction: an error leaves none of it applied.

        Args:
            args: an iterable of argument sequences, one per execution.
            timeout: seconds for the whole operation (``None``: ``command_timeout``).

        Raises:
            DataError: an element is not a sequence or holds a value that cannot be encoded.
            InterfaceError: as :meth:`fetch`.
            PostgresError: the server's error for any execution.
            TimeoutError: ``timeout`` passed.
        """
        arg_sets = list(args)
        if not arg_sets:
            self._check("executemany")
            return
        await self._run("executemany", arg_sets, timeout, rows=False, limit=0, many=True)

    def cursor(
        self,
        *args: Any,
        prefetch: int | None = None,
        timeout: float | None = None,
        scrollable: bool = False,
        hold: bool = False,
    ) -> CursorFactory[RecordT]:
        """A cursor over this statement's rows; nothing is sent until it is iterated or awaited.

        As :meth:`Connection.cursor`, with the statement's own query and record class.

        Args:
            args: the values of ``$1``, ``$2``...
            prefetch: rows per round trip of ``async for`` (default 50); only for iteration.
            timeout: seconds for opening the cursor and, for ``async for``, for each fetch.
            scrollable: declare a ``SCROLL`` cursor (see :meth:`Connection.cursor`).
            hold: declare a ``WITH HOLD`` cursor (see :meth:`Connection.cursor`).

        Returns:
            A :class:`CursorFactory` of the statement's record class.

        Raises:
            InterfaceError: the statement or the connection is closed, or the connection went
                back to its pool (at once; when iterated or awaited later: ``cursor: the
                prepared statement is closed``).
            NoActiveSQLTransactionError: (when iterated or awaited) no transaction is active
                and ``hold`` is False.
        """
        self._check("cursor")
        return CursorFactory(
            self._connection,
            self._state.query,
            self._state,
            args,
            prefetch=prefetch,
            timeout=timeout,
            record_class=self._record_class,
            scrollable=scrollable,
            hold=hold,
        )

    async def explain(self, *args: Any, analyze: bool = False) -> Any:
        """The server's plan for the statement, as ``EXPLAIN (FORMAT JSON, VERBOSE)`` gives it.

        Args:
            args: the values of ``$1``, ``$2``... (the plan may depend on them).
            analyze: run the statement too (``EXPLAIN ANALYZE``), inside a transaction (a
                savepoint when one is active) that is always rolled back, so that nothing it
                changes stays.

        Returns:
            The plan, parsed from JSON: a list holding one dict with a ``"Plan"`` key.

        Raises:
            InterfaceError: as :meth:`fetch`.
            DataError: an argument cannot be encoded.
            PostgresError: the server's error.
        """
        self._check("explain")
        options = "FORMAT JSON, VERBOSE" + (", ANALYZE" if analyze else "")
        query = f"EXPLAIN ({options}) {self._state.query}"
        connection = self._connection
        if not analyze:
            return json.loads(await connection.fetchval(query, *args))
        transaction = connection.transaction()
        await transaction.start()
        try:
            return json.loads(await connection.fetchval(query, *args))
        finally:
            await transaction.rollback()
