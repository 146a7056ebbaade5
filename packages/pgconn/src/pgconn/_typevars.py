"""Type variables of pgconn's generic signatures.

``RecordT`` is the row class a call returns: ``fetch(..., record_class=MyRecord)`` is typed as
``list[MyRecord]``, and a :class:`pgconn.PreparedStatement`, :class:`pgconn.CursorFactory` or
:class:`pgconn.CopyRecordStream` carries the class it was made with.
"""

from __future__ import annotations

from typing import TypeVar

from pgtypes import Record

__all__ = ["RecordT"]

#: The class of the rows a call returns: ``Record`` or a subclass.
RecordT = TypeVar("RecordT", bound=Record)
