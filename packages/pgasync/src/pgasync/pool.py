"""``pgasync.pool``: ``create_pool``, ``Pool`` and what the pool hands out, as in asyncpg.

``PoolStats`` and ``TooManyWaitersError`` are the pool's own additions (``get_stats()``,
``max_waiting``).
"""

from __future__ import annotations

from pgpool import (
    Pool,
    PoolAcquireContext,
    PoolConnectionProxy,
    PoolStats,
    TooManyWaitersError,
    create_pool,
)

__all__ = [
    "Pool",
    "PoolAcquireContext",
    "PoolConnectionProxy",
    "PoolStats",
    "TooManyWaitersError",
    "create_pool",
]
