"""Fixtures for the pool tests: pools on the shared real server, closed after each test.

- ``make_pool``: ``await make_pool(**create_pool_arguments)`` gives a started pool on the
  session cluster (as the superuser); every pool it made is terminated when the test ends.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any, Protocol

import pytest

import pgpool
from pgasync.cluster import Cluster

__all__ = ["MakePool"]


class MakePool(Protocol):
    """The ``make_pool`` fixture."""

    async def __call__(self, **options: Any) -> pgpool.Pool: ...


@pytest.fixture
async def make_pool(cluster: Cluster) -> AsyncIterator[MakePool]:
    pools: list[pgpool.Pool] = []

    async def make(**options: Any) -> pgpool.Pool:
        options.setdefault("min_size", 2)
        options.setdefault("max_size", 4)
        pool = await pgpool.create_pool(cluster.dsn(), **options)
        pools.append(pool)
        return pool

    try:
        yield make
    finally:
        for pool in pools:
            pool.terminate()
