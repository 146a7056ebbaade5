"""pgpool: the pgasync connection pool, with asyncpg's API and what its users keep asking for.

:func:`create_pool` makes a :class:`Pool`; ``await pool`` starts it. ``acquire()`` hands out
connections (as :class:`PoolConnectionProxy`), first come first served; the pool keeps its
``min_size`` floor, checks connections idle for a while before handing them out, recycles
them after ``max_lifetime`` (with jitter), bounds its queue (``max_waiting``), can be resized
at run time, and reports what it did (:meth:`Pool.get_stats`). See ``docs/pgpool.md``.
"""

from __future__ import annotations

from pgpool.__about__ import __version__
from pgpool._acquire import PoolAcquireContext
from pgpool._core import TooManyWaitersError
from pgpool._create import create_pool
from pgpool._listener import PoolListener
from pgpool._pool import Pool
from pgpool._proxy import PoolConnectionProxy
from pgpool._stats import PoolStats

__all__ = [
    "Pool",
    "PoolAcquireContext",
    "PoolConnectionProxy",
    "PoolListener",
    "PoolStats",
    "TooManyWaitersError",
    "__version__",
    "create_pool",
]
