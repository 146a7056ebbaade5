"""``pgasync.cursor``: ``CursorFactory``, ``Cursor`` and ``CursorIterator``, as in asyncpg."""

from __future__ import annotations

from pgconn import Cursor, CursorFactory, CursorIterator

__all__ = ["Cursor", "CursorFactory", "CursorIterator"]
