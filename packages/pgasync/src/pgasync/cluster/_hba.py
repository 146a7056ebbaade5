"""``pg_hba.conf`` rules for throwaway clusters, and the test roles bound to one method each.

The file format is PostgreSQL's documentation chapter "The pg_hba.conf File": one record per
line, ``type database user [address] method [options]``. A cluster writes the file whole from a
list of :class:`HbaRule` and applies it with ``reload()``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Literal

__all__ = [
    "AUTH_METHODS",
    "DEFAULT_HBA_RULES",
    "LOOPBACK_ADDRESSES",
    "AuthMethod",
    "ConnectionType",
    "HbaRule",
    "ServerUser",
    "render_hba",
    "rules_for_user",
]

ConnectionType = Literal["local", "host", "hostssl", "hostnossl"]
AuthMethod = Literal["trust", "password", "md5", "scram-sha-256", "reject", "cert"]

# The methods a throwaway cluster supports, in the order the test fixtures create users for them.
AUTH_METHODS: tuple[AuthMethod, ...] = ("trust", "password", "md5", "scram-sha-256", "reject", "cert")
CONNECTION_TYPES: tuple[ConnectionType, ...] = ("local", "host", "hostssl", "hostnossl")
LOOPBACK_ADDRESSES = ("127.0.0.1/32", "::1/128")

# A field needs double quotes when it holds anything beyond these ("The pg_hba.conf File").
# Commas stay bare because they separate list members; keywords such as all stay keywords.
_BARE_FIELD = re.compile(r"^[A-Za-z0-9_.+/:@,\-]+$")


def _field(value: str) -> str:
    if _BARE_FIELD.match(value):
        return value
    if '"' in value or "\n" in value:
        raise ValueError(f"pg_hba.conf fields cannot contain double quotes or newlines: {value!r}")
    return f'"{value}"'


@dataclass(frozen=True, slots=True)
class HbaRule:
    """One ``pg_hba.conf`` record.

    Attributes:
        connection_type: ``local`` (Unix socket), ``host`` (TCP with or without TLS), ``hostssl``
            (TCP with TLS only) or ``hostnossl`` (TCP without TLS only).
        database: a database name, ``all``, ``sameuser``, ...; a comma-separated list is allowed.
        user: a role name, ``all``, ``+group``, ...
        method: ``trust``, ``password``, ``md5``, ``scram-sha-256``, ``reject`` or ``cert``.
        address: the client address for TCP types, e.g. ``"127.0.0.1/32"``; None for ``local``.
        options: ``name=value`` authentication options, e.g. ``{"clientcert": "verify-full"}``.

    Raises:
        ValueError: on an unknown type or method, an address on ``local`` or a missing one on
            TCP types, or ``cert`` on anything but ``hostssl`` (the server refuses both).
    """

    connection_type: ConnectionType
    database: str
    user: str
    method: AuthMethod
    address: str | None = None
    options: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))

    def __post_init__(self) -> None:
        if self.connection_type not in CONNECTION_TYPES:
            raise ValueError(
                f"connection_type must be one of {CONNECTION_TYPES}, got {self.connection_type!r}"
            )
        if self.method not in AUTH_METHODS:
            raise ValueError(f"method must be one of {AUTH_METHODS}, got {self.method!r}")
        if self.connection_type == "local" and self.address is not None:
            raise ValueError(f"a local rule takes no address, got {self.address!r}")
        if self.connection_type != "local" and not self.address:
            raise ValueError(f"a {self.connection_type} rule needs an address such as '127.0.0.1/32'")
        if self.method == "cert" and self.connection_type != "hostssl":
            # "Certificate Authentication": only available for SSL connections.
            raise ValueError(f"the cert method needs connection_type 'hostssl', got {self.connection_type!r}")
        # Freeze the options so the rule stays hashable and immutable like the rest of it.
        object.__setattr__(self, "options", MappingProxyType(dict(self.options)))

    def render(self) -> str:
        """The rule as one ``pg_hba.conf`` line (without the newline)."""
        parts = [self.connection_type, _field(self.database), _field(self.user)]
        if self.address is not None:
            parts.append(_field(self.address))
        parts.append(self.method)
        parts.extend(f"{_field(name)}={_field(value)}" for name, value in self.options.items())
        return " ".join(parts)

    def __hash__(self) -> int:
        return hash((self.connection_type, self.database, self.user, self.method, self.address))


def render_hba(rules: Iterable[HbaRule]) -> str:
    """The text of a ``pg_hba.conf`` holding ``rules`` in order (the first match wins).

    Args:
        rules: the records.

    Returns:
        The file contents, one line per rule, ending with a newline.
    """
    lines = ["# Written by pgasync.cluster; the first matching record decides."]
    lines.extend(rule.render() for rule in rules)
    return "\n".join(lines) + "\n"


# What initdb --auth=trust writes: every role, every database, trusted, local and loopback.
DEFAULT_HBA_RULES: tuple[HbaRule, ...] = (
    HbaRule("local", "all", "all", "trust"),
    *(HbaRule("host", "all", "all", "trust", address) for address in LOOPBACK_ADDRESSES),
)


@dataclass(frozen=True, slots=True)
class ServerUser:
    """A login role that ``pg_hba.conf`` binds to one authentication method.

    Attributes:
        name: the role name.
        password: its password, or None for methods that take none.
        method: the authentication method its rules require.
    """

    name: str
    password: str | None
    method: AuthMethod

    def __repr__(self) -> str:
        # Passwords never appear in repr (DESIGN section 5).
        shown = "None" if self.password is None else "'***'"
        return f"ServerUser(name={self.name!r}, password={shown}, method={self.method!r})"


def rules_for_user(user: ServerUser, database: str = "all") -> list[HbaRule]:
    """Rules that bind ``user`` to its method over the Unix socket and loopback TCP.

    ``cert`` users get ``hostssl`` rules only (certificates need TLS, so no ``local`` rule);
    every other method gets ``local`` and ``host`` rules for ``127.0.0.1/32`` and ``::1/128``.

    Args:
        user: the role and its method.
        database: the database field of each rule.

    Returns:
        The rules, to be placed before any catch-all rule.
    """
    if user.method == "cert":
        return [HbaRule("hostssl", database, user.name, "cert", address) for address in LOOPBACK_ADDRESSES]
    rules = [HbaRule("local", database, user.name, user.method)]
    rules.extend(HbaRule("host", database, user.name, user.method, address) for address in LOOPBACK_ADDRESSES)
    return rules
