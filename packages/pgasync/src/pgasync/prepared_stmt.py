"""``pgasync.prepared_stmt``: ``PreparedStatement``, as in asyncpg."""

from __future__ import annotations

from pgconn import PreparedStatement

__all__ = ["PreparedStatement"]
