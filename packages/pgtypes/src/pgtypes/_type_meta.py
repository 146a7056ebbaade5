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
    """The server's version, comparable as a tuple: ``ServerVersion(15, 0, 4, 'final', 0)`` for 15.4.

    Attributes:
        major: 15 for PostgreSQL 15.4 (for 9.6.24: 9).
        minor: 0 since PostgreSQL 10, whose versions have two parts (for 9.6.24: 6).
        micro: the patch release: 4 for 15.4 (for 9.6.24: 24).
        releaselevel: ``final``, ``beta``, ``rc`` or ``devel``.
        serial: the beta or rc number, else 0.
    """

    major: int
    minor: int
    micro: int
    releaselevel: str
    serial: int


# "15.4", "9.6.24", "16beta1", "15rc2", "17devel", maybe after a vendor name ("PostgreSQL 11.2-YB-2.1",
# "Postgres-XL 9.2.1") and before a build note (" (Debian 15.4-1)").
_VERSION: Final = re.compile(r"(\d+)(?:\.(\d+))?(?:\.(\d+))?(beta|rc|devel|alpha)?(\d*)")


def parse_server_version(text: str) -> ServerVersion:
    """Parse the ``server_version`` parameter the server reports at startup, as asyncpg does.

    From PostgreSQL 10 on, versions have two parts and the second is the patch release, so
    it becomes ``micro`` and ``minor`` is 0: ``"15.4 (Debian 15.4-1)"`` gives
    ``ServerVersion(15, 0, 4, "final", 0)``; ``"9.6.24"`` gives ``(9, 6, 24, "final", 0)``;
    ``"16beta2"`` gives ``(16, 0, 0, "beta", 2)``; ``"17devel"`` gives ``(17, 0, 0, "devel", 0)``.

    Raises:
        ValueError: ``text`` holds no version number.
    """
    match = _VERSION.search(text)
    if match is None:
        raise ValueError(f"cannot parse the server version {text!r}: expected a string such as '15.4'")
    major_text, second, third, level, serial = match.groups()
    major = int(major_text)
    if major >= 10:
        minor, micro = 0, int(second or 0)
    else:
        minor, micro = int(second or 0), int(third or 0)
    return ServerVersion(major, minor, micro, level or "final", int(serial or 0))
