"""The text of COPY statements: table and columns quoted, options checked and rendered.

COPY takes no parameters, so everything goes into the statement's text: names as quoted
identifiers, option values as literals (:mod:`pgconn._sql`), booleans and column lists
rendered by us. An option of the wrong type is an ``InterfaceError`` naming it, before
anything is sent. ``where`` is the one piece of SQL a caller writes (a condition, as in a
query's ``WHERE``) and goes in as written.

``copy_from_query`` with arguments needs them in the text as well: :func:`inline_arguments`
replaces each ``$n`` placeholder with a literal, skipping string constants, quoted
identifiers, dollar-quoted strings and comments, so a ``$1`` inside a string is left alone.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from pgconn._sql import quote_identifier, quote_literal
from pgwire.exceptions import InterfaceError

__all__ = ["copy_in_sql", "copy_out_sql", "inline_arguments", "table_sql"]

_FORMATS = ("text", "csv", "binary")
#: Options whose value is a one-line string, rendered as a literal.
_STRING_OPTIONS = ("delimiter", "null", "quote", "escape", "encoding")
#: Options that take a list of columns, or True for every column (``*``).
_COLUMN_OPTIONS = ("force_quote", "force_not_null", "force_null")


def table_sql(table_name: str, schema_name: str | None, columns: Iterable[str] | None) -> str:
    """``"schema"."table"("a", "b")``, every name quoted.

    Raises:
        InterfaceError: a name is not a str, empty, or holds a NUL; ``columns`` is a str.
    """
    name = quote_identifier(table_name, "table_name")
    if schema_name is not None:
        name = f"{quote_identifier(schema_name, 'schema_name')}.{name}"
    if columns is not None:
        name += f"({_column_list(columns, 'columns')})"
    return name


def _column_list(columns: Iterable[str], what: str) -> str:
    if isinstance(columns, str | bytes):
        raise InterfaceError(f"{what} is expected to be a list of column names, got {type(columns).__name__}")
    names = [quote_identifier(column, f"column name in {what}") for column in columns]
    if not names:
        raise InterfaceError(f"{what} must name at least one column")
    return ", ".join(names)


def _options(options: Mapping[str, Any]) -> str:
    rendered: list[str] = []
    for key, value in options.items():
        if value is None:
            continue
        if key == "format":
            if value not in _FORMATS:
                raise InterfaceError(f"format is expected to be one of {', '.join(_FORMATS)}, got {value!r}")
            rendered.append(f"FORMAT {value}")
        elif key in _STRING_OPTIONS:
            rendered.append(f"{key.upper()} {quote_literal(value, key)}")
        elif key in ("oids", "freeze"):
            rendered.append(f"{key.upper()} {_boolean(key, value)}")
        elif key == "header":
            # COPY FROM also takes HEADER MATCH (PostgreSQL 15): the names must match the columns.
            rendered.append("HEADER MATCH" if value == "match" else f"HEADER {_boolean(key, value)}")
        elif key in _COLUMN_OPTIONS:
            columns = "*" if value is True else f"({_column_list(value, key)})"
            rendered.append(f"{key.upper()} {columns}")
        else:  # pragma: no cover - the callers pass only the keys above
            raise AssertionError(key)
    return f" ({', '.join(rendered)})" if rendered else ""


def _boolean(key: str, value: object) -> str:
    if not isinstance(value, bool):
        raise InterfaceError(f"{key} is expected to be a bool, got {value!r}")
    return "true" if value else "false"


def copy_out_sql(source: str, options: Mapping[str, Any]) -> str:
    """``COPY <source> TO STDOUT (options)``; ``source`` is a table or ``(query)``."""
    return f"COPY {source} TO STDOUT{_options(options)}"


def copy_in_sql(target: str, options: Mapping[str, Any], where: str | None) -> str:
    """``COPY <target> FROM STDIN (options) [WHERE where]``.

    Raises:
        InterfaceError: ``where`` is not a str; as the options.
    """
    sql = f"COPY {target} FROM STDIN{_options(options)}"
    if where is not None:
        if not isinstance(where, str):
            raise InterfaceError(
                f"where is expected to be a str (an SQL condition), got {type(where).__name__}"
            )
        sql += f" WHERE {where}"
    return sql


# What to skip when looking for placeholders, as the server's lexer sees the text ("Lexical
# Structure"): string constants (E'' ones with backslash escapes; plain ones too when
# standard_conforming_strings is off), quoted identifiers, dollar-quoted strings, line comments
# (ended by a newline or a carriage return) and block comments. A ``$`` or an ``E`` right after
# an identifier character belongs to that identifier (``price$1``, ``name'x'`` is a typed
# literal, not an E'' string).
_IDENTIFIER_CHAR = r"\w$\x80-\U0010ffff"
_SKIP_PATTERN = r"""
      (?P<escape>(?<![{ident}])[eE]'(?:[^'\\]|\\.|'')*')
    | (?P<string>{string})
    | (?P<identifier>"(?:[^"]|"")*")
    | (?P<dollar>(?<![{ident}])\$(?P<tag>[A-Za-z_\x80-\U0010ffff][\w\x80-\U0010ffff]*)?\$)
    | (?P<line>--[^\n\r]*)
    | (?P<block>/\*)
    | (?P<placeholder>(?<![{ident}])\$(?P<number>[0-9]+))
    """
_SKIP = re.compile(
    _SKIP_PATTERN.format(ident=_IDENTIFIER_CHAR, string=r"'(?:[^']|'')*'"), re.VERBOSE | re.DOTALL
)
_SKIP_BACKSLASH_STRINGS = re.compile(
    _SKIP_PATTERN.format(ident=_IDENTIFIER_CHAR, string=r"'(?:[^'\\]|\\.|'')*'"), re.VERBOSE | re.DOTALL
)


def inline_arguments(query: str, literals: Sequence[str], *, standard_strings: bool = True) -> str:
    """``query`` with each ``$n`` outside strings and comments replaced by ``literals[n-1]``.

    Args:
        query: the SQL text. literals: one SQL literal per argument.
        standard_strings: the session's ``standard_conforming_strings`` is on (with it off,
            a backslash escapes a quote in every string constant).

    Raises:
        InterfaceError: a placeholder has no literal (``$3`` with two arguments).
    """
    skip = _SKIP if standard_strings else _SKIP_BACKSLASH_STRINGS
    out: list[str] = []
    position = 0
    while (match := skip.search(query, position)) is not None:
        out.append(query[position : match.start()])
        if match.group("placeholder") is not None:
            number = int(match.group("number"))
            if not 1 <= number <= len(literals):
                raise InterfaceError(
                    f"the query refers to ${number}, but {len(literals)} arguments were passed"
                )
            out.append(literals[number - 1])
            position = match.end()
        elif match.group("dollar") is not None:
            closing = query.find(match.group("dollar"), match.end())
            end = len(query) if closing < 0 else closing + len(match.group("dollar"))
            out.append(query[match.start() : end])
            position = end
        elif match.group("block") is not None:
            end = _block_comment_end(query, match.end())
            out.append(query[match.start() : end])
            position = end
        else:  # a string, identifier or line comment: kept as it is
            out.append(match.group(0))
            position = match.end()
    out.append(query[position:])
    return "".join(out)


def _block_comment_end(query: str, position: int) -> int:
    """Where the block comment opened before ``position`` ends; block comments nest."""
    depth = 1
    while depth and position < len(query):
        if query.startswith("/*", position):
            depth += 1
            position += 2
        elif query.startswith("*/", position):
            depth -= 1
            position += 2
        else:
            position += 1
    return position
