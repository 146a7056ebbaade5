"""Passwords at connect time: the password file (``~/.pgpass``) and password callables.

The password file's format is libpq's (PostgreSQL docs 34.16, "The Password File"): lines of
``hostname:port:database:username:password``; ``*`` in any of the first four fields matches
anything; ``\\:`` and ``\\\\`` stand for a literal colon and backslash; lines starting with ``#``
are comments; the first matching line wins. libpq ignores a file that others may read, and so
do we, with a warning.
"""

from __future__ import annotations

import inspect
import os
import stat
import warnings
from collections.abc import Callable
from pathlib import Path

from pgconn._parameters import Address
from pgwire.exceptions import InterfaceError

__all__ = ["find_password", "parse_passfile_line", "resolve_password"]


def _split_fields(line: str) -> list[tuple[str, str]]:
    """Split at unescaped colons into (raw text, unescaped value) pairs.

    The fifth field (the password) takes the rest of the line, colons included.
    """
    fields: list[tuple[str, str]] = []
    raw: list[str] = []
    value: list[str] = []
    characters = iter(line)
    for character in characters:
        if character == "\\":
            # A backslash escapes the next character; a trailing one stands for itself.
            escaped = next(characters, "")
            raw.append(character + escaped)
            value.append(escaped or character)
        elif character == ":" and len(fields) < 4:
            fields.append(("".join(raw), "".join(value)))
            raw, value = [], []
        else:
            raw.append(character)
            value.append(character)
    fields.append(("".join(raw), "".join(value)))
    return fields


def parse_passfile_line(line: str) -> tuple[str | None, str | None, str | None, str | None, str] | None:
    """One password file line as (host, port, database, user, password), None for wildcards.

    Args:
        line: the line, without its line ending.

    Returns:
        The five fields, a field written as a bare ``*`` given as None (``\\*`` is a literal
        star); None for a comment, an empty line or a line with fewer than five fields, which
        libpq skips.
    """
    if not line or line.startswith("#"):
        return None
    fields = _split_fields(line)
    if len(fields) < 5:
        return None
    host, port, database, user = (None if raw == "*" else value for raw, value in fields[:4])
    return host, port, database, user, fields[4][1]


def _usable(passfile: Path) -> bool:
    """Whether the file exists, is a regular file and is private (else warn or stay silent)."""
    try:
        info = passfile.stat()
    except OSError:
        return False  # missing or unreachable: silently no password file (34.16)
    if not stat.S_ISREG(info.st_mode):
        warnings.warn(f'password file "{passfile}" is not a plain file', UserWarning, stacklevel=3)
        return False
    if os.name != "nt" and info.st_mode & (stat.S_IRWXG | stat.S_IRWXO):
        # 34.16: on Unix, a password file that group or others may access is ignored, as
        # libpq does, since it would expose the passwords.
        warnings.warn(
            f'password file "{passfile}" has group or world access; permissions should be '
            "u=rw (0600) or less",
            UserWarning,
            stacklevel=3,
        )
        return False
    return True


def find_password(passfile: Path, address: Address, database: str, user: str) -> str | None:
    """The password the password file holds for this address, database and user.

    Args:
        passfile: the password file.
        address: the server address; a Unix socket matches the host name ``localhost``.
        database: the database name.
        user: the role name.

    Returns:
        The password of the first matching line, or None: no line matches, or the file is
        missing, unreadable, not a regular file, or readable by others.

    Warns:
        UserWarning: the file is not a regular file, or has group or world permissions.
    """
    if not _usable(passfile):
        return None
    try:
        text = passfile.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None
    wanted = (address.passfile_host, str(address.port), database, user)
    for line in text.splitlines():
        entry = parse_passfile_line(line.rstrip("\r"))
        if entry is None:
            continue
        if all(field is None or field == value for field, value in zip(entry[:4], wanted, strict=True)):
            return entry[4]
    return None


async def resolve_password(password: str | Callable[[], object] | None) -> str | None:
    """The password for one connection attempt: a str as is, a callable called (and awaited).

    Args:
        password: None, a str, or a callable returning a str or an awaitable of a str (a plain
            function, an ``async def`` function or a lambda returning a coroutine). It is called
            once per call of this function, so each connection attempt can get a fresh password
            (for example a short-lived cloud IAM token).

    Returns:
        The password, or None when ``password`` is None.

    Raises:
        InterfaceError: ``password`` is of another type, or the callable produced something
            other than a str.
    """
    if password is None or isinstance(password, str):
        return password
    if not callable(password):
        raise InterfaceError(
            "password is expected to be a str, a callable returning a str or an awaitable of one, "
            f"or None, got {type(password).__name__}"
        )
    result = password()
    if inspect.isawaitable(result):
        result = await result
    if not isinstance(result, str):
        raise InterfaceError(
            f"the password callable is expected to return a str or an awaitable of a str, "
            f"got {type(result).__name__}"
        )
    return result
