"""Quoting of identifiers and literals that pgconn writes into SQL text itself.

Cursor names, COPY's table, column and option values, and channel names cannot be sent as
parameters, so they are quoted here; nothing a caller passes can end the quoted token early.
"""

from __future__ import annotations

from pgwire.exceptions import InterfaceError

__all__ = ["quote_identifier", "quote_literal"]


def _check(value: str, what: str) -> None:
    if not isinstance(value, str):
        raise InterfaceError(f"{what} is expected to be a str, got {type(value).__name__}")
    if "\x00" in value:
        raise InterfaceError(f"{what} {value!r} contains a NUL character, which PostgreSQL does not allow")


def quote_identifier(name: str, what: str = "identifier") -> str:
    """``name`` as a quoted identifier: in double quotes, each ``"`` doubled ("Identifiers").

    Quoted identifiers keep their case, spaces and any unicode.

    Raises:
        InterfaceError: ``name`` is not a str, is empty, or holds a NUL (``what`` names it).
    """
    _check(name, what)
    if not name:
        raise InterfaceError(f"{what} must not be empty")
    return '"' + name.replace('"', '""') + '"'


def quote_literal(value: str, what: str = "value") -> str:
    """``value`` as a string constant, right whatever ``standard_conforming_strings`` says.

    A value with a backslash becomes an escape string (``E'...'``, backslashes doubled), as
    PostgreSQL's own ``quote_literal`` does; every ``'`` is doubled.

    Raises:
        InterfaceError: ``value`` is not a str or holds a NUL (``what`` names it).
    """
    _check(value, what)
    quoted = value.replace("'", "''")
    if "\\" in quoted:
        return "E'" + quoted.replace("\\", "\\\\") + "'"
    return "'" + quoted + "'"
