"""Fixtures for the fault-injection tools' own tests.

- ``proxy``: a :class:`~tests.faults.FaultProxy` in front of the session's real server
  (``cluster``), closed after the test.
- ``through_proxy``: a factory of connections through that proxy, as the superuser without
  TLS: ``client, relay = await through_proxy()`` gives the :class:`pgconn.Connection` and the
  :class:`~tests.faults.ProxyConnection` that relays it. Every connection it made is
  terminated after the test, and so is the server backend behind it, so that a backend a
  test left sleeping behind a stalled or dropped relay does not outlive the test.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any, NamedTuple

import pytest

import pgconn
from pgasync.cluster import Cluster
from tests.faults import FaultProxy, ProxyConnection

__all__ = ["Proxied", "ProxiedFactory"]


class Proxied(NamedTuple):
    """A client connection made through the proxy, and the proxy's relay of it."""

    client: pgconn.Connection
    relay: ProxyConnection


class ProxiedFactory:
    """The ``through_proxy`` fixture: :func:`pgconn.connect` keyword arguments in, a :class:`Proxied` out."""

    def __init__(self, cluster: Cluster, proxy: FaultProxy) -> None:
        self.cluster = cluster
        self.proxy = proxy
        self.made: list[Proxied] = []
        self._backends: list[int] = []

    async def __call__(self, **options: Any) -> Proxied:
        before = len(self.proxy.relayed)
        client: pgconn.Connection = await pgconn.connect(self.proxy.dsn(), **options)
        self._backends.append(client.get_server_pid())
        # The connection is made once its startup went through the proxy: the relay exists.
        assert len(self.proxy.relayed) == before + 1
        made = Proxied(client, self.proxy.relayed[before])
        self.made.append(made)
        return made

    async def cleanup(self) -> None:
        """Terminate every client made, then their server backends, over a direct connection."""
        for made in self.made:
            made.client.terminate()
        if not self._backends:
            return
        direct = await pgconn.connect(self.cluster.dsn())
        try:
            await direct.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE pid = ANY($1::int[])",
                self._backends,
            )
        finally:
            await direct.close()


@pytest.fixture
async def proxy(cluster: Cluster) -> AsyncIterator[FaultProxy]:
    """A fault proxy in front of the session's server."""
    async with FaultProxy(cluster.host, cluster.port) as started:
        yield started


@pytest.fixture
async def through_proxy(cluster: Cluster, proxy: FaultProxy) -> AsyncIterator[ProxiedFactory]:
    """Connections through ``proxy``, terminated (with their backends) after the test."""
    factory = ProxiedFactory(cluster, proxy)
    try:
        yield factory
    finally:
        await factory.cleanup()
