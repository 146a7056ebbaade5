"""The tracing hook: one process-wide tracer, absent unless an integration installs one.

pgconn knows no tracing library. An integration (``pgasync.opentelemetry``) installs an
:class:`OperationTracer` with :func:`set_tracer`; every query, prepared-statement run, cursor
fetch and COPY then calls :meth:`OperationTracer.start_query` when it starts and the returned
function when it ends, and the pool calls :meth:`OperationTracer.start_acquire` around each
acquire. With no tracer installed an operation pays one attribute check.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

__all__ = ["EndSpan", "OperationTracer", "TraceTarget", "get_tracer", "set_tracer"]

EndSpan = Callable[[BaseException | None], None]
"""Ends what a ``start_*`` call began: called once, with the error that ended it or ``None``."""


@dataclass(frozen=True, slots=True)
class TraceTarget:
    """Where a traced operation runs.

    Attributes:
        host: the server's host name or IP address; for a Unix socket, the socket file's path.
        port: the TCP port, or ``None`` for a Unix socket.
        database: the database name.
        user: the user name the connection authenticated as.
    """

    host: str
    port: int | None
    database: str
    user: str


class OperationTracer(Protocol):
    """What a tracing integration implements (see :func:`set_tracer`).

    Both methods run in the task that starts the operation, so the caller's current tracing
    context is in effect. They must not raise; a tracer that fails breaks the operation.
    """

    def start_query(self, target: TraceTarget, query: str) -> EndSpan:
        """An operation that runs ``query`` starts.

        Args:
            target: the server and database the connection talks to.
            query: the query text as the caller gave it (never the argument values).

        Returns:
            The function that ends the span.
        """

    def start_acquire(self) -> EndSpan:
        """A pool acquire starts.

        Returns:
            The function that ends the span.
        """


_tracer: OperationTracer | None = None


def set_tracer(tracer: OperationTracer | None) -> OperationTracer | None:
    """Install ``tracer`` for every connection and pool of this process (``None`` removes it).

    Args:
        tracer: the tracer, or ``None`` to stop tracing.

    Returns:
        The tracer installed before, or ``None``.
    """
    global _tracer
    previous, _tracer = _tracer, tracer
    return previous


def get_tracer() -> OperationTracer | None:
    """The installed tracer.

    Returns:
        The tracer :func:`set_tracer` installed, or ``None``.
    """
    return _tracer
