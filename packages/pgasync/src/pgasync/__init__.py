"""pgasync: An asyncio PostgreSQL driver with the asyncpg-style API."""

from __future__ import annotations

from pgasync.__about__ import __version__

__all__ = ["__version__"]
