"""The transport seam for fault-injection tests (DESIGN section 3).

Two tools, both asyncio servers on a free loopback port, both async context managers that own
every task they start:

- :class:`FaultProxy` (:mod:`tests.faults.proxy`): a TCP relay in front of a real server that
  stalls, drops or corrupts a connection's traffic per direction on demand
  (:class:`ProxyConnection`, :mod:`tests.faults.relay`), and can blackhole new connections
  (a CancelRequest's own connection, say).
- :class:`FakeServer` (:mod:`tests.faults.fake_server`): a scripted PostgreSQL server on
  :class:`pgwire.ServerConnection`: a trust startup, then the test's handler, with named
  pause points the test waits for and releases, and a record of every CancelRequest.

See ``tests/faults/README.md`` for examples.
"""

from __future__ import annotations

from tests.faults.fake_server import (
    DEFAULT_PARAMETERS,
    FakeServer,
    FakeSession,
    Handler,
    SessionClosedError,
    UnexpectedMessageError,
    answer_queries,
)
from tests.faults.proxy import BlackholedConnection, FaultProxy
from tests.faults.relay import Direction, ProxyClosedError, ProxyConnection

__all__ = [
    "DEFAULT_PARAMETERS",
    "BlackholedConnection",
    "Direction",
    "FakeServer",
    "FakeSession",
    "FaultProxy",
    "Handler",
    "ProxyClosedError",
    "ProxyConnection",
    "SessionClosedError",
    "UnexpectedMessageError",
    "answer_queries",
]
