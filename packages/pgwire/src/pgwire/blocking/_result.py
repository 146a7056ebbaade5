"""What one statement run by the blocking client gives back, and how a cycle's events become it."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from pgwire._backend import CommandComplete, EmptyQueryResponse, ErrorResponse, ReadyForQuery
from pgwire._events import CompletionRun, ConnectionClosed, CycleReply, DataRowBatch
from pgwire._postgres_message import PostgresError
from pgwire._rows import DataRow, RowDescription
from pgwire._sqlstate import ConnectionDoesNotExistError

__all__ = ["QueryResult", "collect_results", "raise_first_error"]


@dataclass
class QueryResult:
    """The outcome of one statement: its row description, rows of text values, command tag.

    The blocking client asks for every column in text format, so values are ``str`` (decoded as
    UTF-8, the ``client_encoding`` it sets), or None for SQL NULL.

    Attributes:
        description: the RowDescription, or None for a statement that returns no rows.
        rows: the rows, each a tuple of text values.
        status: the CommandComplete tag (``"SELECT 2"``, ``"INSERT 0 1"``); ``""`` for an
            empty query.
    """

    description: RowDescription | None = None
    rows: list[tuple[str | None, ...]] = field(default_factory=list)
    status: str = ""

    @property
    def columns(self) -> tuple[str, ...]:
        """The column names, in order (empty for a statement without rows)."""
        return () if self.description is None else tuple(f.name for f in self.description.fields)


def collect_results(next_event: Callable[[], object], query: str) -> list[QueryResult | PostgresError]:
    """Read one request cycle's events up to ReadyForQuery: one outcome per statement.

    Args:
        next_event: returns the next event of the connection (blocking).
        query: the SQL, attached to the errors.

    Returns:
        A QueryResult for each statement that completed, a PostgresError for the one that
        failed (the server runs nothing after it in the cycle).

    Raises:
        ConnectionDoesNotExistError: the server closed the connection.
    """
    outcomes: list[QueryResult | PostgresError] = []
    current = QueryResult()
    while True:
        event = next_event()
        if isinstance(event, DataRow):
            current.rows.append(tuple(None if v is None else v.decode() for v in event.values))
        elif isinstance(event, DataRowBatch):  # a connection made with batch_events=True
            current.rows.extend(tuple(None if v is None else v.decode() for v in row) for row in event.rows())
        elif isinstance(event, RowDescription):
            current.description = event
        elif isinstance(event, CommandComplete | EmptyQueryResponse):
            current.status = event.tag if isinstance(event, CommandComplete) else ""
            outcomes.append(current)
            current = QueryResult()
        elif isinstance(event, CompletionRun):
            outcomes.extend(QueryResult(status=event.tag) for _ in range(event.count))
        elif isinstance(event, CycleReply):  # the whole answer of an extended query at once
            if event.rows is not None:
                current.rows.extend(
                    tuple(None if v is None else v.decode() for v in row) for row in event.rows.rows()
                )
            current.status = event.tag
            outcomes.append(current)
            return outcomes
        elif isinstance(event, ErrorResponse):
            outcomes.append(PostgresError.new(event.as_dict(), query=query))
            current = QueryResult()
        elif isinstance(event, ReadyForQuery):
            return outcomes
        elif isinstance(event, ConnectionClosed):
            raise ConnectionDoesNotExistError.client_side("the server closed the connection")


def raise_first_error(outcomes: Sequence[QueryResult | PostgresError]) -> list[QueryResult]:
    """The results, or the first error among the outcomes raised.

    Raises:
        PostgresError: the first outcome that is an error.
    """
    results: list[QueryResult] = []
    for outcome in outcomes:
        if isinstance(outcome, PostgresError):
            raise outcome
        results.append(outcome)
    return results
