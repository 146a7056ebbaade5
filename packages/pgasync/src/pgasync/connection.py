"""``pgasync.connection``: ``connect()`` and ``Connection``, as in asyncpg."""

from __future__ import annotations

from pgconn import Connection, ConnectionSettings, connect

__all__ = ["Connection", "ConnectionSettings", "connect"]
