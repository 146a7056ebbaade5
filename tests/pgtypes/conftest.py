"""Fixtures for pgtypes tests: a raw-value session on the shared test server."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from pgasync.cluster import Cluster
from pgwire.blocking import BlockingConnection
from tests.pgtypes.live import TypeSession


@pytest.fixture(scope="session")
def type_session(cluster: Cluster) -> Iterator[TypeSession]:
    """One superuser session for the whole run, UTF-8, ISO dates, a non-UTC time zone.

    The time zone is deliberately not UTC (and has half-hour offsets), so that codecs of
    ``timestamptz`` and ``timetz`` are tested against a server that does not happen to agree
    with them by accident.
    """
    session = BlockingConnection.connect(
        cluster.host,
        cluster.port,
        user=cluster.superuser,
        parameters=[
            ("client_encoding", "UTF8"),
            ("DateStyle", "ISO, MDY"),
            ("IntervalStyle", "postgres"),
            ("TimeZone", "Asia/Kolkata"),
            ("extra_float_digits", "3"),
        ],
    )
    with session:
        yield TypeSession(session)
