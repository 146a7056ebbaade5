"""``pgasync.sqlalchemy``: the ``postgresql+pgasync://`` dialect for SQLAlchemy's asyncio engine.

Install ``pgasync[sqlalchemy]`` (or SQLAlchemy 2.0 or later beside pgasync); the dialect is
registered through the ``sqlalchemy.dialects`` entry point, so no import is needed::

    from sqlalchemy.ext.asyncio import create_async_engine

    engine = create_async_engine("postgresql+pgasync://app:secret@localhost/app")

Importing ``pgasync`` never imports SQLAlchemy: only this module does, and SQLAlchemy imports
it when a URL names the dialect. See docs/sqlalchemy.md for the options (the prepared
statement cache, PgBouncer) and the differences from ``postgresql+asyncpg``.

Names:

- :class:`PGDialect_pgasync`: the dialect class (subclass it to customise the dialect).
- ``dialect``: the same class, under the name SQLAlchemy's entry point loads.
"""

from __future__ import annotations

from pgasync.sqlalchemy._dialect import PGDialect_pgasync

dialect = PGDialect_pgasync

__all__ = ["PGDialect_pgasync", "dialect"]
