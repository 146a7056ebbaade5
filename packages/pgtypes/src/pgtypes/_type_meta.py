"""Type metadata value classes of ``pgtypes.types``: ``Type``, ``Attribute``, ``ServerVersion``.

They are named tuples, as asyncpg's are, so code that unpacks them keeps working.
"""

from __future__ import annotations

import re
from typing import Final, NamedTuple

__all__ = ["Attribute", "ServerVersion", "Type", "parse_server_version"]


class Type(NamedTuple):
    """A database type, as prepared statements describe their parameters and columns.

    Attributes:
        oid: the type's OID.
        name: its name; arrays read ``elem[]`` (``text[]``), not ``_text``.
        kind: ``scalar``, ``array``, ``composite``, ``range`` or ``multirange``.
        schema: the schema the type lives in.
    """

    oid: int
    name: str
    kind: str
    schema: str


class Attribute(NamedTuple):
    """One result column of a prepared statement: its name and :class:`Type`."""

    name: str
    type: Type


class ServerVersion(NamedTuple):
    """The server's version, comparable as a tuple: ``ServerVersion(15, 4, 0, 'final', 0)``.

    Attributes:
        major: 15 for PostgreSQL 15.4 (for 9.6.24: 9).
        minor: 4 for 15.4 (for 9.6.24: 6).
        micro: 0 since PostgreSQL 10 (for 9.6.24: 24).
        releaselevel: ``final``, ``beta`` or ``rc`` (``alpha`` for development versions).
        serial: the beta or rc number, else 0.
    """

    major: int
    minor: int
    micro: int
    releaselevel: str
    serial: int


# "15.4", "9.6.24", "16beta1", "15rc2", "17devel", each maybe followed by " (Debian ...)".
_VERSION: Final = re.compile(r"\s*(\d+)(?:\.(\d+))?(?:\.(\d+))?(?:(beta|rc|devel|alpha)(\d*))?")


def parse_server_version(text: str) -> ServerVersion:
    """Parse the ``server_version`` parameter the server reports at startup.

    Example: ``parse_server_version("15.4 (Debian 15.4-1)") == ServerVersion(15, 4, 0, "final", 0)``;
    ``"16beta2"`` gives ``ServerVersion(16, 0, 0, "beta", 2)``; ``"17devel"`` gives
    ``ServerVersion(17, 0, 0, "alpha", 0)``.

    Raises:
        ValueError: ``text`` does not start with a version number.
    """
    match = _VERSION.match(text)
    if match is None:
        raise ValueError(f"cannot parse the server version {text!r}: expected a string such as '15.4'")
    major, minor, micro, level, serial = match.groups()
    releaselevel = {None: "final", "devel": "alpha"}.get(level, level)
    return ServerVersion(int(major), int(minor or 0), int(micro or 0), releaselevel, int(serial or 0))
