"""``pgasync.connection``: ``connect()``, ``Connection`` and what its methods return, as in asyncpg.

``LoggedQuery`` is what query loggers receive; ``Notification``, ``NotificationStream`` and
``NotificationOverflowError`` belong to ``Connection.listen()``; ``CopyRecordStream`` is what
``copy_records_from_table()`` and ``copy_records_from_query()`` return.
"""

from __future__ import annotations

from pgconn import (
    Connection,
    ConnectionSettings,
    CopyRecordStream,
    LoggedQuery,
    Notification,
    NotificationOverflowError,
    NotificationStream,
    connect,
)

__all__ = [
    "Connection",
    "ConnectionSettings",
    "CopyRecordStream",
    "LoggedQuery",
    "Notification",
    "NotificationOverflowError",
    "NotificationStream",
    "connect",
]
