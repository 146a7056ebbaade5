"""Server errors and notices as Python objects: the fields of ErrorResponse/NoticeResponse and their classes.

PostgreSQL reports every error and notice as a set of one-letter fields (protocol docs, "Error and
Notice Message Fields"). This module turns such a set into an instance of the class registered
for its SQLSTATE (field ``C``), with every field as an attribute. The per-SQLSTATE classes are
generated into :mod:`pgwire._sqlstate`; they register themselves here through
:class:`PostgresMessageMeta` when that module is imported.

Class names and bases follow asyncpg's ``asyncpg.exceptions`` so that code written for it catches
the same things.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar, Self, cast

__all__ = [
    "FatalPostgresError",
    "PostgresError",
    "PostgresLogMessage",
    "PostgresMessage",
    "PostgresMessageMeta",
    "PostgresWarning",
    "UnknownPostgresError",
]

# Field type code -> attribute name, in the order the protocol docs list the fields
# ("Error and Notice Message Fields").
_FIELD_NAMES: Mapping[str, str] = {
    "S": "severity",
    "V": "severity_en",
    "C": "sqlstate",
    "M": "message",
    "D": "detail",
    "H": "hint",
    "P": "position",
    "p": "internal_position",
    "q": "internal_query",
    "W": "context",
    "s": "schema_name",
    "t": "table_name",
    "c": "column_name",
    "d": "data_type_name",
    "n": "constraint_name",
    "F": "server_source_filename",
    "L": "server_source_line",
    "R": "server_source_function",
}

# Named prepared statements live on one server session. A pooler that hands each transaction
# (or statement) to whichever server connection is free breaks that, and the symptom is one of
# these two SQLSTATEs: 42P05 duplicate_prepared_statement, 26000 invalid_sql_statement_name.
_PGBOUNCER_SQLSTATES = frozenset({"42P05", "26000"})
_PGBOUNCER_NOTE = (
    "NOTE: this often means that a connection pooler such as PgBouncer runs in transaction or "
    "statement pool mode, in which consecutive queries of one client may reach different server "
    "sessions, so a named prepared statement is missing on one or already exists on another. "
    "Connect with statement_cache_size=0 (connect() or create_pool()) so that queries use the "
    "unnamed statement instead of cached named ones; or, with PgBouncer 1.21 or later, set "
    "max_prepared_statements to more than 0 in pgbouncer.ini so that PgBouncer itself keeps "
    "prepared statements across server sessions; or use the pooler's session mode."
)


class PostgresMessageMeta(type):
    """Metaclass that registers every class defining ``sqlstate`` in a SQLSTATE -> class map.

    Only a class whose own body assigns ``sqlstate`` is registered; a subclass that merely
    inherits it (for example ``InvalidCachedStatementError``) is not, so lookups by code stay
    unambiguous.
    """

    _message_map: ClassVar[dict[str, type[PostgresMessage]]] = {}

    def __init__(cls, name: str, bases: tuple[type, ...], namespace: dict[str, Any], **kwargs: Any) -> None:
        super().__init__(name, bases, namespace, **kwargs)
        code = namespace.get("sqlstate")
        if isinstance(code, str):
            registered = PostgresMessageMeta._message_map.get(code)
            if registered is not None:
                raise RuntimeError(
                    f"SQLSTATE {code} is registered twice: {registered.__qualname__} and {name}"
                )
            PostgresMessageMeta._message_map[code] = cast("type[PostgresMessage]", cls)

    @classmethod
    def get_message_class_for_sqlstate(mcls, code: str | None) -> type[PostgresMessage]:
        """Return the class registered for a SQLSTATE.

        Args:
            code: a five-character SQLSTATE such as ``"42P01"``, or ``None``.

        Returns:
            The class registered for exactly ``code``, or :class:`UnknownPostgresError` when
            no class is registered for it (or ``code`` is ``None``).
        """
        if code is None:
            return UnknownPostgresError
        return mcls._message_map.get(code, UnknownPostgresError)


def _rebuild_message(
    cls: type[PostgresMessage], args: tuple[Any, ...], state: dict[str, Any]
) -> PostgresMessage:
    """Unpickle a message without going through ``__init__`` or ``__setattr__``.

    ``__setattr__`` is avoided because log messages are immutable, and ``__init__`` because
    subclasses may not take the original arguments.
    """
    message = cls.__new__(cls)
    _set_exception_args(message, args)
    message.__dict__.update(state)
    return message


def _set_exception_args(message: PostgresMessage, args: tuple[Any, ...]) -> None:
    """Set ``args`` of a message that is also an exception, bypassing ``__setattr__``."""
    if isinstance(message, BaseException):
        BaseException.__init__(message, *args)


class PostgresMessage(metaclass=PostgresMessageMeta):
    """Base of server errors and notices: the fields of one ErrorResponse or NoticeResponse.

    Every field is an attribute holding the field's text, or ``None`` when the server did not
    send it; all default to ``None`` on the class. ``position``, ``internal_position`` and
    ``server_source_line`` are kept as the strings the server sent. ``query`` is the SQL text
    that was being executed, when known.
    """

    severity: str | None = None
    severity_en: str | None = None
    sqlstate: str | None = None
    message: str | None = None
    detail: str | None = None
    hint: str | None = None
    position: str | None = None
    internal_position: str | None = None
    internal_query: str | None = None
    context: str | None = None
    schema_name: str | None = None
    table_name: str | None = None
    column_name: str | None = None
    data_type_name: str | None = None
    constraint_name: str | None = None
    server_source_filename: str | None = None
    server_source_line: str | None = None
    server_source_function: str | None = None

    query: str | None = None
    # Fields whose type code the protocol docs do not list; kept so that nothing is lost.
    _extra_fields: tuple[tuple[str, str], ...] = ()

    @classmethod
    def new(cls, fields: Mapping[str, str], query: str | None = None) -> PostgresMessage:
        """Build the message for a set of ErrorResponse/NoticeResponse fields.

        The class is chosen by the exact SQLSTATE in field ``C``, whatever class this is
        called on; a code without a registered class gives :class:`UnknownPostgresError`.

        Args:
            fields: field type code -> value, for example ``{"C": "42P01", "M": "..."}``.
            query: the SQL text that was being executed, if known.

        Returns:
            An instance of the chosen class with every field set.
        """
        klass = PostgresMessageMeta.get_message_class_for_sqlstate(fields.get("C"))
        return klass._from_fields(fields, query)

    @classmethod
    def client_side(cls, message: str, *, detail: str | None = None, hint: str | None = None) -> Self:
        """An instance of exactly this class raised by the client, not sent by a server.

        ``sqlstate`` is the class's own code (for classes that only refine another class,
        such as ``InvalidCachedStatementError``, the code of the class they refine).

        Example: ``ConnectionDoesNotExistError.client_side("connection is closed")``.
        """
        fields = {"S": "ERROR", "V": "ERROR", "M": message}
        for klass in cls.__mro__:
            code = klass.__dict__.get("sqlstate")
            if isinstance(code, str):
                fields["C"] = code
                break
        if detail is not None:
            fields["D"] = detail
        if hint is not None:
            fields["H"] = hint
        return cls._from_fields(fields, None)

    @classmethod
    def _from_fields(cls, fields: Mapping[str, str], query: str | None) -> Self:
        """Make an instance of exactly this class holding ``fields``; see :meth:`new`."""
        state: dict[str, Any] = {}
        extra: list[tuple[str, str]] = []
        for code, value in fields.items():
            name = _FIELD_NAMES.get(code)
            if name is None:
                extra.append((code, value))
            else:
                state[name] = value
        if extra:
            state["_extra_fields"] = tuple(extra)
        if query is not None:
            state["query"] = query
        if state.get("sqlstate") in _PGBOUNCER_SQLSTATES:
            hint = state.get("hint")
            state["hint"] = f"{hint}\n\n{_PGBOUNCER_NOTE}" if hint else _PGBOUNCER_NOTE
        # Built through __new__ and __dict__ so that immutable log messages can be filled in.
        message = cls.__new__(cls)
        _set_exception_args(message, (state.get("message", ""),))
        message.__dict__.update(state)
        return message

    def as_dict(self) -> dict[str, str]:
        """Return the fields that are set, by attribute name (``query`` not included).

        Fields with a type code the protocol docs do not list appear under their one-letter
        code.
        """
        result: dict[str, str] = {}
        for name in _FIELD_NAMES.values():
            value = getattr(self, name)
            if value is not None:
                result[name] = value
        result.update(self._extra_fields)
        return result

    def __reduce__(self) -> tuple[Any, ...]:
        args = self.args if isinstance(self, BaseException) else ()
        return (_rebuild_message, (type(self), args, dict(self.__dict__)))


class PostgresError(PostgresMessage, Exception):
    """Base of every error the server reports (ErrorResponse).

    ``str()`` is the message, then ``DETAIL:`` and ``HINT:`` lines when those fields are set.
    """

    @classmethod
    def new(cls, fields: Mapping[str, str], query: str | None = None) -> PostgresError:
        """Build the error for a set of ErrorResponse fields.

        Like :meth:`PostgresMessage.new`, but a SQLSTATE whose class is not an error (a
        warning code, or no class at all) gives :class:`UnknownPostgresError`, so the result
        can always be raised.

        Args:
            fields: field type code -> value.
            query: the SQL text that was being executed, if known.

        Returns:
            An instance of the error class for the SQLSTATE, every field set.
        """
        klass = PostgresMessageMeta.get_message_class_for_sqlstate(fields.get("C"))
        if not issubclass(klass, PostgresError):
            klass = UnknownPostgresError
        return klass._from_fields(fields, query)

    def __str__(self) -> str:
        text = str(self.args[0]) if self.args else ""
        if self.detail:
            text += "\nDETAIL:  " + self.detail
        if self.hint:
            text += "\nHINT:  " + self.hint
        return text


class FatalPostgresError(PostgresError):
    """An error the client cannot attribute to a known SQLSTATE class."""


class UnknownPostgresError(FatalPostgresError):
    """An error whose SQLSTATE has no class of its own; ``sqlstate`` holds the code sent."""


class PostgresLogMessage(PostgresMessage):
    """A notice from the server (NoticeResponse): NOTICE, WARNING, INFO, DEBUG or LOG.

    Instances are immutable: setting an attribute raises ``TypeError``. ``str()`` is
    ``"<class name>: <message>"``.
    """

    @classmethod
    def new(cls, fields: Mapping[str, str], query: str | None = None) -> PostgresMessage:
        """Build the message for a set of NoticeResponse fields.

        The class is, in order: the one registered for the exact SQLSTATE (which may be an
        error class: PostgreSQL sends some error codes with WARNING severity); the one
        registered for the SQLSTATE's class (its first two characters followed by ``000``);
        :class:`PostgresWarning` when the severity is ``WARNING``; else
        :class:`PostgresLogMessage`.

        Args:
            fields: field type code -> value.
            query: the SQL text that was being executed, if known.

        Returns:
            An instance of the chosen class, every field set.
        """
        registry = PostgresMessageMeta._message_map
        code = fields.get("C", "")
        klass = registry.get(code) or registry.get(code[:2] + "000")
        if klass is None:
            severity = fields.get("V", fields.get("S"))
            klass = PostgresWarning if severity == "WARNING" else PostgresLogMessage
        return klass._from_fields(fields, query)

    def __setattr__(self, name: str, value: object) -> None:
        # The exception machinery may set its own dunder attributes (__notes__ by add_note()).
        if name.startswith("__") and name.endswith("__"):
            super().__setattr__(name, value)
            return
        raise TypeError(f"{type(self).__name__} is immutable")

    def __delattr__(self, name: str) -> None:
        raise TypeError(f"{type(self).__name__} is immutable")

    def __str__(self) -> str:
        return f"{type(self).__name__}: {self.message}"

    def __repr__(self) -> str:
        return f"<{type(self).__name__} sqlstate={self.sqlstate!r} message={self.message!r}>"


class PostgresWarning(PostgresLogMessage, Warning):
    """A server notice with a warning SQLSTATE (class 01, or 02 "no data"); never raised."""

    sqlstate = "01000"
