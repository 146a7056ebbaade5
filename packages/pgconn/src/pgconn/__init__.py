"""pgconn: One asyncio PostgreSQL connection for pgasync.

A skeleton for now: a later issue fills it.
"""

from __future__ import annotations

from pgconn.__about__ import __version__

__all__ = ["__version__"]
