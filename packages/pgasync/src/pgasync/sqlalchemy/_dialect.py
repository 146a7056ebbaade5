"""``PGDialect_pgasync``: SQLAlchemy's PostgreSQL dialect on pgasync.

It extends SQLAlchemy's asyncpg dialect (same API, same SQL compilation, the same ``$n``
parameters with explicit casts, the same prepared-statement cache), replacing what names or
imports asyncpg: the DBAPI module (:mod:`._dbapi`), the error classification (:mod:`._errors`),
the disconnect test, and the URL's query options, which it converts to the types
:func:`pgasync.connect` expects.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

from sqlalchemy import exc
from sqlalchemy.dialects.postgresql.asyncpg import PGDialect_asyncpg
from sqlalchemy.engine import URL

from pgasync.sqlalchemy._dbapi import PgasyncDBAPI
from pgasync.sqlalchemy._errors import TRANSLATION_MAP, is_disconnect_error

if TYPE_CHECKING:
    from sqlalchemy.engine.interfaces import DBAPIModule

__all__ = ["PGDialect_pgasync"]

# URL query options that pgasync.connect() takes as numbers; a URL carries only strings.
_NUMERIC_OPTIONS: dict[str, type[int] | type[float]] = {
    "statement_cache_size": int,
    "max_cacheable_statement_size": int,
    "prepared_statement_cache_size": int,
    "timeout": float,
    "command_timeout": float,
    "max_cached_statement_lifetime": float,
}


class PGDialect_pgasync(PGDialect_asyncpg):
    """The ``postgresql+pgasync://`` dialect (use it through ``create_async_engine``)."""

    driver = "pgasync"
    supports_statement_cache = True
    dbapi_exception_translation_map = TRANSLATION_MAP

    def __init__(self, **kwargs: Any) -> None:
        """Create the dialect; SQLAlchemy passes ``create_engine``'s dialect options."""
        super().__init__(**kwargs)  # type: ignore[no-untyped-call]  # unannotated in SQLAlchemy

    @classmethod
    def import_dbapi(cls) -> DBAPIModule:
        """pgasync as a DBAPI module object (SQLAlchemy calls this once per engine)."""
        # The protocol spells the error attributes as classes; ours are tuples of classes,
        # which every use SQLAlchemy makes of them (except, isinstance) accepts.
        return cast("DBAPIModule", PgasyncDBAPI())

    def create_connect_args(self, url: URL) -> tuple[list[Any], dict[str, Any]]:
        """:func:`pgasync.connect` keyword arguments from ``url``.

        Host, port, user, password and database come from the URL (several ``host=h:p``
        query entries give a multi-host list); every other query entry is passed on as a
        keyword argument, numbers converted for the options that take them.

        Raises:
            sqlalchemy.exc.ArgumentError: a numeric option that is not a number.
        """
        # The inherited method is unannotated; it returns (positional list, keyword dict).
        args, options = super().create_connect_args(url)  # type: ignore[no-untyped-call]
        for name, kind in _NUMERIC_OPTIONS.items():
            if name not in options or not isinstance(options[name], str):
                continue
            try:
                options[name] = kind(options[name])
            except ValueError:
                raise exc.ArgumentError(
                    f"URL option {name}={options[name]!r} must be a {'whole ' if kind is int else ''}number"
                ) from None
        return list(args), dict(options)

    def is_disconnect(self, e: BaseException, connection: Any, cursor: Any) -> bool:
        """Whether ``e`` means the connection is unusable (SQLAlchemy then discards it and,
        with ``pool_pre_ping``, connects again).

        Args:
            e: the exception pgasync raised.
            connection: the DBAPI connection it came from, or None.
            cursor: the cursor, unused.
        """
        if connection is not None:
            driver_connection = getattr(connection, "_connection", None)
            if driver_connection is not None and driver_connection.is_closed():
                return True
        return is_disconnect_error(e)
