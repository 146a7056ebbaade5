"""``PreparedStatement``: a named server-side statement made by ``Connection.prepare()``.

It never goes through the implicit statement cache. Its parameter encoder and row decoder
are built once, when it is prepared, so a later ``set_type_codec`` does not change it (as in
asyncpg). Every method first checks, synchronously, that the statement and its connection
are still open.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from pgconn._cursor import CursorFactory
from pgconn._runner import invalid_cached_statement, is_stale_plan
from pgconn._statement import StatementState
from pgtypes import Attribute, Record, Type
from pgwire.exceptions import FeatureNotSupportedError, InterfaceError, OutdatedSchemaCacheError

if TYPE_CHECKING:
    from pgconn._connection import Connection

__all__ = ["PreparedStatement"]


class PreparedStatement:
    """A prepared statement: run it with ``fetch``, ``fetchrow``, ``fetchval``, ``executemany``..."""

    __slots__ = ("_connection", "_last_status", "_lease", "_record_class", "_state")

    def __init__(self, connection: Connection, state: StatementState, record_class: type[Record]) -> None:
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
        """The server-side statement name ("" for the unnamed statement)."""
        return self._state.name

    def get_query(self) -> str:
        """The statement's SQL text."""
        return self._state.query

    def get_statusmsg(self) -> str | None:
        """The status of the last execution (``SELECT 3``), None before any."""
        return self._last_status

    def get_parameters(self) -> tuple[Type, ...]:
        """The :class:`~pgtypes.types.Type` of each parameter."""
        registry = self._state.registry
        return tuple(registry.describe(oid) for oid in self._state.param_oids)

    def get_attributes(self) -> tuple[Attribute, ...]:
        """``Attribute(name, type)`` of each result column; ``()`` when there are no rows.

        Domains are described by their base type, as asyncpg does.
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

    async def fetch(self, *args: Any, timeout: float | None = None) -> list[Record]:
        """Execute with ``args``; all rows."""
        return await self._run("fetch", [args], timeout, rows=True, limit=0)

    async def fetchrow(self, *args: Any, timeout: float | None = None) -> Record | None:
        """Execute with ``args``; the first row, or None."""
        rows = await self._run("fetchrow", [args], timeout, rows=True, limit=1)
        return rows[0] if rows else None

    async def fetchval(self, *args: Any, column: int | str = 0, timeout: float | None = None) -> Any:
        """Execute with ``args``; one value of the first row, or None."""
        rows = await self._run("fetchval", [args], timeout, rows=True, limit=1)
        return rows[0][column] if rows else None

    async def fetchmany(self, args: Iterable[Sequence[Any]], *, timeout: float | None = None) -> list[Record]:
        """Execute once per argument sequence, in one request; all rows in order."""
        arg_sets = list(args)
        if not arg_sets:
            self._check("fetchmany")
            return []
        return await self._run("fetchmany", arg_sets, timeout, rows=True, limit=0, many=True)

    async def executemany(self, args: Iterable[Sequence[Any]], *, timeout: float | None = None) -> None:
        """Execute once per argument sequence, in one request (atomic outside a transaction)."""
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
    ) -> CursorFactory:
        """A cursor over this statement's rows; see :meth:`Connection.cursor`.

        Raises:
            InterfaceError: the statement or the connection is closed (when iterated or
                awaited: ``cursor: the prepared statement is closed``).
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
        """The server's plan as ``EXPLAIN (FORMAT JSON, VERBOSE)`` gives it, parsed.

        With ``analyze=True`` the statement really runs, inside a transaction that is always
        rolled back.
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
