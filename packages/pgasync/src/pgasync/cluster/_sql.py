"""SQL text for administering a throwaway cluster before any client library exists.

Statements reach the server one of two ways, both available in every installation the cluster
supports: ``postgres --single`` (single-user mode, server stopped) reads commands from standard
input, and ``psql`` sends them over the Unix socket. This module builds the statements and the
single-user mode input; ``Cluster.execute_sql`` chooses the way.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

__all__ = [
    "PasswordEncryption",
    "create_database_statement",
    "create_role_statement",
    "quote_identifier",
    "quote_literal",
    "single_user_input",
]

PasswordEncryption = Literal["scram-sha-256", "md5"]

# With -j, single-user mode ends a command at a semicolon followed by an empty line
# ("postgres" reference page, "Options for Single-User Mode").
_TERMINATOR = ";\n\n"


def quote_identifier(name: str) -> str:
    """``name`` as a double-quoted SQL identifier ("Identifiers and Key Words").

    Raises:
        ValueError: the name is empty or holds NUL, which no identifier can.
    """
    if not name or "\0" in name:
        raise ValueError(f"not a valid SQL identifier: {name!r}")
    return '"' + name.replace('"', '""') + '"'


def quote_literal(value: str) -> str:
    """``value`` as a standard single-quoted SQL string ("String Constants").

    With ``standard_conforming_strings`` on (the default since 9.1), backslashes are ordinary.

    Raises:
        ValueError: the value holds NUL, which no text value can.
    """
    if "\0" in value:
        raise ValueError("SQL text cannot hold NUL characters")
    return "'" + value.replace("'", "''") + "'"


def create_role_statement(
    name: str,
    password: str | None = None,
    password_encryption: PasswordEncryption = "scram-sha-256",
    *,
    superuser: bool = False,
) -> str:
    """One command that creates a login role whose password is stored with the given hash.

    ``password_encryption`` decides how ``CREATE ROLE ... PASSWORD`` stores the password
    ("Password Authentication"): an ``md5`` rule needs an MD5-hashed password, since with a
    SCRAM secret the server switches to SCRAM. It is set and reset within the same command so
    that later commands in the session are unaffected.

    Args:
        name: the role name.
        password: the password, or None for a role without one.
        password_encryption: ``"scram-sha-256"`` or ``"md5"``.
        superuser: whether the role is a superuser.

    Returns:
        The SQL text.

    Raises:
        ValueError: an unknown ``password_encryption``, or a name or password SQL cannot carry.
    """
    if password_encryption not in ("scram-sha-256", "md5"):
        raise ValueError(f"password_encryption must be 'scram-sha-256' or 'md5', got {password_encryption!r}")
    attributes = ["LOGIN", "SUPERUSER" if superuser else "NOSUPERUSER"]
    if password is not None:
        attributes.append("PASSWORD " + quote_literal(password))
    create = f"CREATE ROLE {quote_identifier(name)} " + " ".join(attributes)
    if password is None:
        return create
    return (
        f"SET password_encryption = {quote_literal(password_encryption)}; {create}; RESET password_encryption"
    )


def create_database_statement(name: str, owner: str | None = None) -> str:
    """``CREATE DATABASE`` for ``name``, owned by ``owner`` if given (a command of its own).

    Raises:
        ValueError: a name SQL cannot carry.
    """
    statement = f"CREATE DATABASE {quote_identifier(name)}"
    if owner is not None:
        statement += f" OWNER {quote_identifier(owner)}"
    return statement


def single_user_input(statements: Sequence[str]) -> str:
    """Standard input for ``postgres --single -j``: each statement as one command.

    Args:
        statements: SQL commands; one may hold several statements separated by semicolons,
            which then run in one implicit transaction.

    Returns:
        The text to write to the backend's standard input.

    Raises:
        ValueError: a statement holds a semicolon followed by an empty line, which would end
            the command early.
    """
    parts = []
    for statement in statements:
        text = statement.strip().rstrip(";").rstrip()
        if _TERMINATOR in text:
            raise ValueError(
                "a statement for single-user mode cannot hold ';' followed by an empty line; "
                f"pass the statements separately: {statement!r}"
            )
        if text:
            parts.append(text + "\n" + _TERMINATOR)
    return "".join(parts)
