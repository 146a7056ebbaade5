"""OpenTelemetry tracing for pgasync: a span per query, COPY and pool acquire.

Install the extra (``pip install 'pgasync[opentelemetry]'``, which brings ``opentelemetry-api``),
configure a tracer provider as usual, then turn tracing on once per process::

    import pgasync.opentelemetry

    pgasync.opentelemetry.instrument()

Nothing is traced until :func:`instrument` runs, and importing :mod:`pgasync` never imports
OpenTelemetry. Every operation that sends a query (``execute``, ``fetch*``, ``executemany``,
``prepare`` and its statement's methods, cursor fetches, the COPY methods) becomes one span of
kind CLIENT with the database semantic conventions:

- ``db.system.name``: ``postgresql``;
- ``db.namespace``: the database name;
- ``db.operation.name``: the query's first keyword, upper-cased (``SELECT``, ``COPY``, ...);
- ``db.query.text``: the query as the application wrote it, with ``$n`` placeholders, never the
  argument values (turned off by ``capture_query_text=False``);
- ``server.address`` and ``server.port`` (no port for a Unix socket).

The span is named ``"<operation> <database>"``. An operation that fails records the exception on
its span, sets the status to ERROR and sets ``error.type`` (the exception's class name) and, for
a server error, ``db.response.status_code`` (its SQLSTATE). Each ``pool.acquire()`` becomes a
span ``pgasync.pool.acquire`` of kind INTERNAL, so time spent waiting for a connection shows.
"""

from __future__ import annotations

from typing import Any

from opentelemetry import trace

import pgconn
from pgasync.__about__ import __version__
from pgwire.exceptions import PostgresError

__all__ = ["instrument", "is_instrumented", "uninstrument"]

_INSTRUMENTATION_NAME = "pgasync"


def instrument(
    *, tracer_provider: trace.TracerProvider | None = None, capture_query_text: bool = True
) -> None:
    """Trace every connection and pool of this process (again: replace the settings).

    Args:
        tracer_provider: where spans go; ``None`` takes OpenTelemetry's global provider.
        capture_query_text: whether spans carry ``db.query.text``.

    Raises:
        RuntimeError: another tracer than pgasync's OpenTelemetry one is installed in
            ``pgconn`` (:func:`pgconn.set_tracer`); remove it first.
    """
    current = pgconn.get_tracer()
    if current is not None and not isinstance(current, OpenTelemetryTracer):
        raise RuntimeError(
            f"another operation tracer is installed ({current!r}); remove it with "
            "pgconn.set_tracer(None) before pgasync.opentelemetry.instrument()"
        )
    tracer = trace.get_tracer(_INSTRUMENTATION_NAME, __version__, tracer_provider=tracer_provider)
    pgconn.set_tracer(OpenTelemetryTracer(tracer, capture_query_text=capture_query_text))


def uninstrument() -> None:
    """Stop tracing; nothing happens when :func:`instrument` was not called."""
    if isinstance(pgconn.get_tracer(), OpenTelemetryTracer):
        pgconn.set_tracer(None)


def is_instrumented() -> bool:
    """Whether :func:`instrument` is in effect."""
    return isinstance(pgconn.get_tracer(), OpenTelemetryTracer)


def operation_name(query: str) -> str:
    """The first keyword of ``query``, upper-cased, past white space, comments and ``(``.

    Returns ``""`` when the query has no keyword (empty, or only comments).
    """
    position, length = 0, len(query)
    while position < length:
        char = query[position]
        if char.isspace() or char == "(":
            position += 1
        elif query.startswith("--", position):
            end = query.find("\n", position)
            position = length if end < 0 else end + 1
        elif query.startswith("/*", position):
            position = _block_comment_end(query, position)
        else:
            break
    end = position
    while end < length and (query[end].isalnum() or query[end] == "_"):
        end += 1
    return query[position:end].upper()


def _block_comment_end(query: str, position: int) -> int:
    """Where the block comment starting at ``position`` ends (they nest in PostgreSQL)."""
    depth, position = 0, position
    while position < len(query):
        if query.startswith("/*", position):
            depth, position = depth + 1, position + 2
        elif query.startswith("*/", position):
            depth, position = depth - 1, position + 2
            if depth == 0:
                return position
        else:
            position += 1
    return len(query)


class OpenTelemetryTracer:
    """The :class:`pgconn.OperationTracer` that :func:`instrument` installs."""

    __slots__ = ("_capture_query_text", "_tracer")

    def __init__(self, tracer: trace.Tracer, *, capture_query_text: bool) -> None:
        self._tracer = tracer
        self._capture_query_text = capture_query_text

    def __repr__(self) -> str:
        return f"<{type(self).__name__} capture_query_text={self._capture_query_text}>"

    def start_query(self, target: pgconn.TraceTarget, query: str) -> pgconn.EndSpan:
        operation = operation_name(query)
        attributes: dict[str, Any] = {
            "db.system.name": "postgresql",
            "db.namespace": target.database,
            "server.address": target.host,
        }
        if operation:
            attributes["db.operation.name"] = operation
        if self._capture_query_text:
            attributes["db.query.text"] = query
        if target.port is not None:
            attributes["server.port"] = target.port
        name = f"{operation} {target.database}" if operation else target.database
        span = self._tracer.start_span(name, kind=trace.SpanKind.CLIENT, attributes=attributes)
        return _ender(span)

    def start_acquire(self) -> pgconn.EndSpan:
        span = self._tracer.start_span(
            "pgasync.pool.acquire",
            kind=trace.SpanKind.INTERNAL,
            attributes={"db.system.name": "postgresql"},
        )
        return _ender(span)


def _ender(span: trace.Span) -> pgconn.EndSpan:
    def end(error: BaseException | None) -> None:
        if error is not None:
            span.set_attribute("error.type", type(error).__name__)
            if isinstance(error, PostgresError) and error.sqlstate:
                span.set_attribute("db.response.status_code", error.sqlstate)
            span.record_exception(error)
            span.set_status(trace.Status(trace.StatusCode.ERROR, str(error) or type(error).__name__))
        span.end()

    return end
