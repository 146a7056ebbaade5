"""Reading connection settings from text: connection URIs, host lists and the service file.

Nothing here decides precedence; :mod:`pgconn._parameters` combines what these functions return.
The formats are libpq's ("Connection Strings", PostgreSQL docs 34.1.1, and "The Connection
Service File", 34.17).
"""

from __future__ import annotations

import configparser
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote

from pgwire.exceptions import ClientConfigurationError

__all__ = [
    "CONNECTION_KEYS",
    "DsnParts",
    "HostEntry",
    "parse_dsn",
    "parse_host_list",
    "parse_port",
    "parse_port_list",
    "read_service",
]

#: Keys of a URI query string or service file section that configure the connection; every
#: other key is a server setting sent in the startup packet.
CONNECTION_KEYS = frozenset(
    {
        "host",
        "port",
        "dbname",
        "database",
        "user",
        "password",
        "passfile",
        "sslmode",
        "sslcert",
        "sslkey",
        "sslrootcert",
        "sslcrl",
        "sslpassword",
        "sslnegotiation",
        "ssl_min_protocol_version",
        "ssl_max_protocol_version",
        "min_protocol_version",
        "max_protocol_version",
        "target_session_attrs",
        "load_balance_hosts",
        "krbsrvname",
        "gsslib",
        "service",
    }
)

_SCHEMES = ("postgresql", "postgres")


@dataclass(frozen=True, slots=True)
class HostEntry:
    """One entry of a host list: a host name, an IP address or a Unix socket path.

    Attributes:
        host: the name, the address (IPv6 without brackets) or the socket directory or file.
        port: the port written next to the host (``host:port``), or None.
    """

    host: str
    port: int | None = None

    @property
    def is_unix(self) -> bool:
        """Whether ``host`` is a Unix socket path (libpq: a host starting with a slash, 34.1.2)."""
        return self.host.startswith("/")


@dataclass(slots=True)
class DsnParts:
    """What a connection URI says, each value None when the URI does not give it.

    Attributes:
        hosts: the host entries of the authority part (they may carry their ports).
        ports: ports given in the authority without any host (``postgresql://:5433/db``).
        user: the percent-decoded user name.
        password: the percent-decoded password.
        database: the percent-decoded path.
        query: the recognised query keys (:data:`CONNECTION_KEYS`), percent-decoded.
        server_settings: every other query key.
    """

    hosts: list[HostEntry] | None = None
    ports: list[int] | None = None
    user: str | None = None
    password: str | None = None
    database: str | None = None
    query: dict[str, str] = field(default_factory=dict)
    server_settings: dict[str, str] = field(default_factory=dict)


def _decode(text: str, what: str) -> str:
    try:
        return unquote(text, errors="strict")
    except UnicodeDecodeError:
        raise ClientConfigurationError(
            f"invalid DSN: the {what} is not valid UTF-8 after percent-decoding: {text!r}"
        ) from None


def parse_port(value: str | int, where: str) -> int:
    """One port number.

    Args:
        value: an int or a decimal string.
        where: where the value came from, for the error message.

    Returns:
        The port.

    Raises:
        ClientConfigurationError: not an integer from 1 to 65535.
    """
    if isinstance(value, bool):
        raise ClientConfigurationError(
            f"invalid port {value!r} in {where}: expected an integer from 1 to 65535"
        )
    if isinstance(value, str):
        text = value.strip()
        if not text.isascii() or not text.isdigit():
            raise ClientConfigurationError(
                f"invalid port {value!r} in {where}: expected an integer from 1 to 65535"
            )
        value = int(text)
    if not isinstance(value, int) or not 1 <= value <= 65535:
        raise ClientConfigurationError(
            f"invalid port {value!r} in {where}: expected an integer from 1 to 65535"
        )
    return value


def parse_port_list(text: str, where: str) -> list[int]:
    """A comma-separated list of ports (libpq allows one port per host, 34.1.1.3).

    Raises:
        ClientConfigurationError: an entry is not a port number.
    """
    return [parse_port(part, where) for part in text.split(",")]


def _parse_host_entry(spec: str, where: str, *, decode: bool) -> HostEntry:
    """``host``, ``host:port``, ``[v6]``, ``[v6]:port``, a bare IPv6 address, or a socket path."""
    if spec.startswith("["):
        close = spec.find("]")
        rest = spec[close + 1 :] if close > 0 else ""
        if close <= 1 or (rest and not rest.startswith(":")):
            raise ClientConfigurationError(
                f"invalid IPv6 address in the connection URI: {spec!r} (expected [address] or [address]:port)"
            )
        host = spec[1:close]
        port = parse_port(rest[1:], where) if len(rest) > 1 else None
        return HostEntry(_decode(host, "host") if decode else host, port)
    if spec.startswith("/") or (decode and spec.lower().startswith("%2f")):
        # A Unix socket directory: a colon in a path is part of the path, not a port.
        return HostEntry(_decode(spec, "host") if decode else spec)
    if spec.count(":") > 1:
        # An IPv6 address written without brackets cannot carry a port.
        return HostEntry(spec)
    host, colon, port_text = spec.partition(":")
    port = parse_port(port_text, where) if colon and port_text else None
    return HostEntry(_decode(host, "host") if decode else host, port)


def parse_host_list(items: str | Iterable[str], where: str, *, decode: bool = False) -> list[HostEntry]:
    """Host entries from a comma-separated string or a sequence of strings.

    Args:
        items: ``"h1:5432,h2"`` (as in ``PGHOST`` or a URI), or a list of such strings.
        where: where the hosts came from, for error messages.
        decode: percent-decode each host (the authority part of a URI).

    Returns:
        One entry per host, in order.

    Raises:
        ClientConfigurationError: an empty entry, a bad port or a malformed IPv6 literal.
    """
    specs = (
        items.split(",") if isinstance(items, str) else [spec for item in items for spec in item.split(",")]
    )
    entries = []
    for spec in specs:
        spec = spec.strip()
        if not spec:
            raise ClientConfigurationError(f"invalid host list in {where}: an entry is empty ({items!r})")
        entries.append(_parse_host_entry(spec, where, decode=decode))
    return entries


def _parse_authority(authority: str, parts: DsnParts) -> None:
    userinfo, at, hostlist = authority.partition("@")
    if not at:
        userinfo, hostlist = "", authority
    elif userinfo:
        user, colon, password = userinfo.partition(":")
        if user:
            parts.user = _decode(user, "user name")
        if colon:
            parts.password = _decode(password, "password")
    if not hostlist:
        return
    hosts: list[HostEntry] = []
    ports: list[int] = []
    for spec in hostlist.split(","):
        if spec.startswith(":"):
            # libpq's "postgresql://:5433/db": the default host, on another port.
            ports.append(parse_port(spec[1:], "the DSN"))
        elif spec:
            hosts.append(_parse_host_entry(spec, "the DSN", decode=True))
        else:
            raise ClientConfigurationError(f"invalid DSN: empty host in {hostlist!r}")
    if hosts and ports:
        raise ClientConfigurationError(
            f"invalid DSN: every entry of {hostlist!r} must name a host, or none may"
        )
    parts.hosts = hosts or None
    parts.ports = ports or None


def _parse_query(query: str, parts: DsnParts) -> None:
    for pair in query.split("&"):
        key, equals, value = pair.partition("=")
        if not equals or not key:
            raise ClientConfigurationError(
                f"invalid DSN: query parameter {pair!r} is not of the form key=value"
            )
        key = _decode(key, "query parameter name")
        value = _decode(value, f"value of {key}")
        # A repeated key: the last one wins.
        if key in CONNECTION_KEYS:
            parts.query[key] = value
        else:
            parts.server_settings[key] = value


def parse_dsn(dsn: str) -> DsnParts:
    """Split a connection URI into its parts (PostgreSQL docs 34.1.1.2, "Connection URIs").

    The form is ``postgresql://[user[:password]@][host[:port][,...]][/database][?key=value&...]``
    (``postgres://`` too). Each part is percent-decoded; the user information ends at the first
    ``@``; IPv6 addresses go in brackets; ``+`` is not a space (libpq decodes only ``%xx``).

    Args:
        dsn: the URI.

    Returns:
        Its parts.

    Raises:
        ClientConfigurationError: another scheme, a malformed host, port or query parameter,
            or percent-encoding that is not UTF-8.
    """
    scheme, separator, rest = dsn.partition("://")
    if not separator or scheme.lower() not in _SCHEMES:
        raise ClientConfigurationError(
            'invalid DSN: scheme is expected to be either "postgresql" or "postgres", '
            f"got {scheme if separator else dsn!r}"
        )
    parts = DsnParts()
    rest, question, query = rest.partition("?")
    authority, slash, path = rest.partition("/")
    _parse_authority(authority, parts)
    if slash and path:
        parts.database = _decode(path, "database name")
    if question and query:
        _parse_query(query, parts)
    return parts


def read_service(path: Path, service: str) -> dict[str, str]:
    """The settings of one service in a connection service file (PostgreSQL docs 34.17).

    The file is INI-style: ``[service]`` sections of ``key=value`` lines, keys as in a
    connection string. Keys are case-insensitive.

    Args:
        path: the service file.
        service: the section name.

    Returns:
        The section's keys and values.

    Raises:
        ClientConfigurationError: the file cannot be read or parsed, has no such service, or
            the section names another service (libpq does not nest services either).
    """
    parser = configparser.ConfigParser(interpolation=None)
    try:
        with path.open(encoding="utf-8") as handle:
            parser.read_file(handle)
    except OSError as error:
        raise ClientConfigurationError(
            f'service file "{path}" cannot be read (needed for service "{service}"): '
            f"{error.strerror or error}"
        ) from None
    except (configparser.Error, UnicodeDecodeError) as error:
        raise ClientConfigurationError(f'service file "{path}" is not a valid INI file: {error}') from None
    if not parser.has_section(service):
        raise ClientConfigurationError(
            f'definition of service "{service}" not found in service file "{path}"'
        )
    settings = dict(parser.items(service))
    if "service" in settings:
        raise ClientConfigurationError(
            f'service "{service}" in "{path}" names another service; nested service definitions '
            "are not supported"
        )
    return settings
