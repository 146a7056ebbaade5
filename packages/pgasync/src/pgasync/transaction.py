"""``pgasync.transaction``: ``Transaction`` and ``TransactionState``, as in asyncpg."""

from __future__ import annotations

from pgconn import Transaction, TransactionState

__all__ = ["Transaction", "TransactionState"]
