"""pgasync's exceptions sorted into the PEP 249 categories that SQLAlchemy wraps.

The dialect does not wrap pgasync's exceptions in emulated DBAPI classes: SQLAlchemy receives
the exception pgasync raised, so ``sqlalchemy.exc.DBAPIError.orig`` *is* that exception
(``UniqueViolationError``, with its ``sqlstate``, ``constraint_name``, ``detail``...).
SQLAlchemy picks its wrapper (``IntegrityError``, ``ProgrammingError``...) by walking the
exception's class names through the dialect's ``dbapi_exception_translation_map``, which this
module builds from one table: each SQLSTATE class (the first two characters of the code) has
one category, as PostgreSQL's drivers classify them.

Every server error, every client error (``InterfaceError``: a closed connection, a bad
argument...) and every internal client error (a protocol violation, an outdated type cache) is
one of the categories; warnings are ``Warning``.

Each of these errors reaches SQLAlchemy with ``pgcode`` set on it (:func:`add_pgcode`): the
SQLSTATE under psycopg2's name, which SQLAlchemy's asyncpg dialect also gives the errors it
emulates, so that code reading ``DBAPIError.orig.pgcode`` works with either dialect. pgasync's
exceptions themselves have ``sqlstate`` only, as asyncpg's.
"""

from __future__ import annotations

import pgasync.exceptions as pgerrors

__all__ = [
    "CATEGORIES",
    "DISCONNECT_ERRORS",
    "TRANSLATION_MAP",
    "add_pgcode",
    "category_of",
    "is_disconnect_error",
]

# The PEP 249 category of each SQLSTATE class. A code whose class is missing here (a class a
# later server version adds) falls back to DatabaseError through its PostgresError base.
_CATEGORY_OF_SQLSTATE_CLASS = {
    "03": "OperationalError",  # SQL statement not yet complete
    "08": "OperationalError",  # connection exception
    "09": "OperationalError",  # triggered action exception
    "0A": "NotSupportedError",  # feature not supported
    "0B": "InternalError",  # invalid transaction initiation
    "0F": "OperationalError",  # locator exception
    "0L": "ProgrammingError",  # invalid grantor
    "0P": "ProgrammingError",  # invalid role specification
    "0Z": "OperationalError",  # diagnostics exception
    "10": "DataError",  # XQuery error
    "20": "ProgrammingError",  # case not found
    "21": "ProgrammingError",  # cardinality violation
    "22": "DataError",  # data exception
    "23": "IntegrityError",  # integrity constraint violation
    "24": "InternalError",  # invalid cursor state
    "25": "InternalError",  # invalid transaction state
    "26": "InternalError",  # invalid SQL statement name
    "27": "OperationalError",  # triggered data change violation
    "28": "OperationalError",  # invalid authorization specification
    "2B": "InternalError",  # dependent privilege descriptors still exist
    "2D": "InternalError",  # invalid transaction termination
    "2F": "OperationalError",  # SQL routine exception
    "34": "ProgrammingError",  # invalid cursor name
    "38": "OperationalError",  # external routine exception
    "39": "OperationalError",  # external routine invocation exception
    "3B": "OperationalError",  # savepoint exception
    "3D": "ProgrammingError",  # invalid catalog name
    "3F": "ProgrammingError",  # invalid schema name
    "40": "OperationalError",  # transaction rollback (serialization failure, deadlock)
    "42": "ProgrammingError",  # syntax error or access rule violation
    "44": "ProgrammingError",  # WITH CHECK OPTION violation
    "53": "OperationalError",  # insufficient resources
    "54": "OperationalError",  # program limit exceeded
    "55": "OperationalError",  # object not in prerequisite state
    "57": "OperationalError",  # operator intervention (query canceled, admin shutdown)
    "58": "OperationalError",  # system error (external to PostgreSQL)
    "72": "OperationalError",  # snapshot failure
    "F0": "OperationalError",  # configuration file error
    "HV": "OperationalError",  # foreign data wrapper error
    "P0": "ProgrammingError",  # PL/pgSQL error
    "XX": "InternalError",  # internal error
}


def _sqlstate_class_bases() -> dict[str, list[type[pgerrors.PostgresError]]]:
    """The exception classes that head each SQLSTATE class (``IntegrityConstraintViolationError``
    for 23000...), grouped by PEP 249 category."""
    grouped: dict[str, list[type[pgerrors.PostgresError]]] = {}
    for name in pgerrors.__all__:
        candidate = getattr(pgerrors, name)
        if not (isinstance(candidate, type) and issubclass(candidate, pgerrors.PostgresError)):
            continue
        sqlstate = getattr(candidate, "sqlstate", None)
        if not isinstance(sqlstate, str) or not sqlstate.endswith("000"):
            continue
        category = _CATEGORY_OF_SQLSTATE_CLASS.get(sqlstate[:2])
        if category is not None:
            grouped.setdefault(category, []).append(candidate)
    return grouped


def _categories() -> dict[str, tuple[type[Exception], ...]]:
    grouped: dict[str, list[type[Exception]]] = {name: [] for name in _PEP_249_ERRORS}
    for category, classes in _sqlstate_class_bases().items():
        grouped[category].extend(classes)
    grouped["InterfaceError"].append(pgerrors.InterfaceError)
    # Protocol violations and an outdated type cache: the client's own failures.
    grouped["InternalError"].append(pgerrors.InternalClientError)
    grouped["DatabaseError"].append(pgerrors.PostgresError)
    grouped["Error"] += [pgerrors.PostgresError, pgerrors.InterfaceError, pgerrors.InternalClientError]
    return {name: tuple(classes) for name, classes in grouped.items()}


_PEP_249_ERRORS = (
    "Error",
    "InterfaceError",
    "DatabaseError",
    "DataError",
    "OperationalError",
    "IntegrityError",
    "InternalError",
    "ProgrammingError",
    "NotSupportedError",
)

#: Each PEP 249 error name -> the pgasync classes it covers (the DBAPI module's attributes are
#: these tuples, which ``except`` and ``isinstance`` accept as they accept a class).
CATEGORIES: dict[str, tuple[type[Exception], ...]] = _categories()


def _translation_map() -> dict[str, str]:
    mapping: dict[str, str] = {}
    for category, classes in CATEGORIES.items():
        if category in ("Error", "DatabaseError"):
            continue
        for cls in classes:
            mapping[cls.__name__] = category
    mapping["PostgresError"] = "DatabaseError"
    # Named like its category already; an identity entry keeps the map complete.
    mapping.pop("DataError", None)
    mapping.pop("InterfaceError", None)
    return mapping


#: pgasync class name -> PEP 249 name, for ``Dialect.dbapi_exception_translation_map``:
#: SQLAlchemy walks an exception's MRO and takes the first name it knows.
TRANSLATION_MAP: dict[str, str] = _translation_map()

#: Errors that always mean the connection is gone (or about to be): a lost or refused
#: connection, and the server ending the session (``pg_terminate_backend``, shutdown).
DISCONNECT_ERRORS: tuple[type[Exception], ...] = (
    pgerrors.PostgresConnectionError,
    pgerrors.AdminShutdownError,
    pgerrors.CrashShutdownError,
    pgerrors.CannotConnectNowError,
    pgerrors.IdleSessionTimeoutError,
    pgerrors.ProtocolError,
)


def category_of(error: BaseException) -> str | None:
    """The PEP 249 category SQLAlchemy gives ``error``: the first class in its MRO that
    :data:`TRANSLATION_MAP` (or the PEP 249 names themselves) know; None for a foreign error."""
    for cls in type(error).__mro__:
        name = TRANSLATION_MAP.get(cls.__name__, cls.__name__)
        if name in CATEGORIES:
            return name
    return None


def is_disconnect_error(error: BaseException) -> bool:
    """Whether ``error`` says the connection can no longer be used."""
    if isinstance(error, DISCONNECT_ERRORS):
        return True
    return isinstance(error, pgerrors.InterfaceError) and "connection is closed" in str(error)


def add_pgcode(error: BaseException) -> None:
    """Set ``error.pgcode`` to its SQLSTATE (None for a client error), if ``error`` is pgasync's.

    Called on every error the dialect hands to SQLAlchemy. Other exceptions (``OSError``,
    ``TimeoutError``...) are left as they are, as SQLAlchemy's asyncpg dialect leaves them.

    Args:
        error: the exception about to reach SQLAlchemy.
    """
    if isinstance(error, CATEGORIES["Error"]):
        # An attribute of this instance only: the dialect's addition, not pgasync's API.
        error.pgcode = getattr(error, "sqlstate", None)  # type: ignore[attr-defined]  # see above
