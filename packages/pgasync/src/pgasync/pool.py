"""``pgasync.pool``: ``create_pool``, ``Pool`` and what the pool hands out, as in asyncpg.

``PoolListener``, ``PoolStats`` and ``TooManyWaitersError`` are the pool's own additions
(``listen()``, ``get_stats()``, ``max_waiting``).
"""

from __future__ import annotations

from pgpool import (
    Pool,
    PoolAcquireContext,
    PoolConnectionProxy,
    PoolListener,
    PoolStats,
    TooManyWaitersError,
    create_pool,
)

__all__ = [
    "Pool",
    "PoolAcquireContext",
    "PoolConnectionProxy",
    "PoolListener",
    "PoolStats",
    "TooManyWaitersError",
    "create_pool",
]
