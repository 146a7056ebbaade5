"""Connection configuration: ``connect()``'s arguments resolved into one :class:`ConnectionParameters`.

Pure and synchronous: the only I/O is reading the service file and the TLS files. Every value
is taken from the first of these that gives it (asyncpg's order, as libpq's):

1. the keyword argument;
2. the DSN's authority and path (``user:password@host:port/database``);
3. the DSN's query string;
4. the service file section (``service=``, DSN ``?service=``, or ``PGSERVICE``);
5. the environment (libpq's ``PG*`` variables, PostgreSQL 16 docs 34.15; section numbers in
   this package's comments are those of the PostgreSQL 16 docs);
6. the built-in default.

A host list and the ports written next to its hosts travel together: a port given with a host
(``h:5433``) wins over any port list, which otherwise applies to every host (one value) or one
per host.
"""

from __future__ import annotations

import enum
import getpass
import os
import ssl as ssl_module
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from pgconn._dsn import (
    CONNECTION_KEYS,
    DsnParts,
    HostEntry,
    parse_dsn,
    parse_host_list,
    parse_port,
    parse_port_list,
    read_service,
)
from pgconn._option_checks import validate_connection_options
from pgconn._protocol_version import ProtocolVersions, resolve_protocol_versions
from pgconn._tls import SYSTEM_ROOTS, SSLMode, expand_path, make_ssl_context
from pgwire.exceptions import ClientConfigurationError

__all__ = [
    "DEFAULT_PORT",
    "Address",
    "ConnectionParameters",
    "LoadBalanceHosts",
    "SSLMode",
    "SessionAttribute",
    "default_hosts",
    "parse_connect_arguments",
    "validate_connection_options",
]

DEFAULT_PORT = 5432

# Where PostgreSQL servers commonly put their Unix sockets, tried in this order before TCP on
# localhost (asyncpg's list; libpq has one compiled-in directory).
_POSIX_DEFAULT_HOSTS = ("/run/postgresql", "/var/run/postgresql", "/tmp", "/private/tmp", "localhost")
_WINDOWS_DEFAULT_HOSTS = ("localhost",)

_SOCKET_PREFIX = ".s.PGSQL."

Password = str | Callable[[], object]

_Choice = TypeVar("_Choice", bound=enum.StrEnum)


class SessionAttribute(enum.StrEnum):
    """libpq's ``target_session_attrs``: which servers of a multi-host list are acceptable (34.1.2)."""

    any = "any"
    primary = "primary"
    standby = "standby"
    prefer_standby = "prefer-standby"
    read_write = "read-write"
    read_only = "read-only"


class LoadBalanceHosts(enum.StrEnum):
    """libpq's ``load_balance_hosts`` (PostgreSQL 16+): the order in which the addresses are tried.

    ``disable`` tries them as given; ``random`` shuffles them anew for every ``connect()``.
    """

    disable = "disable"
    random = "random"


@dataclass(frozen=True, slots=True)
class Address:
    """One place to connect to.

    Attributes:
        host: the host name or IP address; for a Unix socket, the socket file's full path
            (the directory with ``.s.PGSQL.<port>`` appended).
        port: the TCP port, or the port the socket file is named after.
        is_unix: whether this is a Unix-domain socket.
    """

    host: str
    port: int
    is_unix: bool = False

    @property
    def passfile_host(self) -> str:
        """The host name this address matches in a password file: ``localhost`` for sockets."""
        return "localhost" if self.is_unix else self.host

    def __str__(self) -> str:
        if self.is_unix:
            return f'"{self.host}"'
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f'"{host}:{self.port}"'


def _address(entry: HostEntry, port: int) -> Address:
    if not entry.is_unix:
        return Address(entry.host, entry.port or port)
    name = entry.host.rstrip("/") or "/"
    file_name = name.rpartition("/")[2]
    if file_name.startswith(_SOCKET_PREFIX):
        # Already a socket file: its name says the port when the suffix is a number.
        suffix = file_name[len(_SOCKET_PREFIX) :]
        return Address(name, int(suffix) if suffix.isdigit() else port, is_unix=True)
    socket_port = entry.port or port
    return Address(f"{name.rstrip('/')}/{_SOCKET_PREFIX}{socket_port}", socket_port, is_unix=True)


@dataclass(frozen=True)
class ConnectionParameters:
    """Everything a connection attempt needs, resolved and validated; the password is never shown.

    Attributes:
        addresses: where to connect, in the order given (``connect()`` shuffles them first
            when ``load_balance_hosts`` is ``random``).
        user: the role name.
        password: a str, a callable returning a str or an awaitable of one, or None (then the
            passfile is consulted at connect time).
        database: the database name.
        passfile: the password file to consult when there is no password, or None.
        sslmode: the effective sslmode (``require`` for an explicit ``SSLContext``).
        ssl: the TLS context to use, or None for no TLS.
        ssl_is_explicit_context: the caller passed an ``SSLContext``: TLS is mandatory.
        direct_tls: do the TLS handshake at once, without SSLRequest (PostgreSQL 17+).
        server_settings: settings sent in the startup packet.
        target_session_attrs: which kind of server is acceptable.
        load_balance_hosts: whether ``connect()`` tries the addresses in random order.
        krbsrvname: the Kerberos service name, or None for the default.
        gsslib: ``gssapi`` or ``sspi``.
        protocol_versions: the protocol version asked for and the oldest one accepted.
    """

    addresses: tuple[Address, ...]
    user: str
    password: Password | None
    database: str
    passfile: Path | None = None
    sslmode: SSLMode = SSLMode.prefer
    ssl: ssl_module.SSLContext | None = None
    ssl_is_explicit_context: bool = False
    direct_tls: bool = False
    server_settings: dict[str, str] = field(default_factory=dict)
    target_session_attrs: SessionAttribute = SessionAttribute.any
    load_balance_hosts: LoadBalanceHosts = LoadBalanceHosts.disable
    krbsrvname: str | None = None
    gsslib: str = "gssapi"
    protocol_versions: ProtocolVersions = field(default_factory=ProtocolVersions)

    def tls_for(self, address: Address) -> bool:
        """Whether to use TLS for ``address``: never over a Unix socket, where PostgreSQL
        refuses it (the server answers SSLRequest with ``N``), else whenever there is a context.
        """
        return self.ssl is not None and not address.is_unix

    def __repr__(self) -> str:
        shown = {
            "addresses": self.addresses,
            "user": self.user,
            "password": None if self.password is None else "***",
            "database": self.database,
            "passfile": self.passfile,
            "sslmode": self.sslmode,
            "ssl": self.ssl,
            "ssl_is_explicit_context": self.ssl_is_explicit_context,
            "direct_tls": self.direct_tls,
            "server_settings": self.server_settings,
            "target_session_attrs": self.target_session_attrs,
            "load_balance_hosts": self.load_balance_hosts,
            "krbsrvname": self.krbsrvname,
            "gsslib": self.gsslib,
            "protocol_versions": self.protocol_versions,
        }
        inner = ", ".join(f"{name}={value!r}" for name, value in shown.items())
        return f"{type(self).__name__}({inner})"


def default_hosts(*, platform_windows: bool) -> tuple[str, ...]:
    """The hosts tried when none is configured: socket directories, then ``localhost``."""
    return _WINDOWS_DEFAULT_HOSTS if platform_windows else _POSIX_DEFAULT_HOSTS


class _Sources:
    """The layered lookups for one ``connect()`` call: DSN query, service section, environment."""

    def __init__(self, dsn: DsnParts, service: Mapping[str, str], environ: Mapping[str, str]) -> None:
        self.dsn = dsn
        self.service = service
        self.environ = environ

    def get(self, key: str, env: str | None, *aliases: str) -> str | None:
        """The DSN query value, else the service value, else the environment's; empty means unset."""
        for layer in (self.dsn.query, self.service):
            for name in (key, *aliases):
                value = layer.get(name)
                if value:
                    return value
        value = self.environ.get(env) if env else None
        return value or None


def _host_kwarg(host: object) -> list[HostEntry]:
    if isinstance(host, str | os.PathLike):
        return parse_host_list(os.fspath(host), "host")
    if isinstance(host, Sequence) and host and all(isinstance(item, str | os.PathLike) for item in host):
        return parse_host_list([os.fspath(item) for item in host], "host")
    raise ClientConfigurationError(
        f"host is expected to be a str, a path or a non-empty list of them, got {host!r}"
    )


def _port_kwarg(port: object) -> list[int]:
    if isinstance(port, str):
        return parse_port_list(port, "port")
    if isinstance(port, int):
        return [parse_port(port, "port")]
    if isinstance(port, Sequence) and port and all(isinstance(item, int | str) for item in port):
        return [parse_port(item, "port") for item in port]
    raise ClientConfigurationError(
        f"port is expected to be an int, a str or a non-empty list of them, got {port!r}"
    )


def _resolve_addresses(
    host: object, port: object, dsn: DsnParts, sources: _Sources, platform_windows: bool
) -> tuple[Address, ...]:
    entries: list[HostEntry]
    if host is not None:
        entries = _host_kwarg(host)
    elif dsn.hosts:
        entries = dsn.hosts
    elif text := sources.get("host", "PGHOST"):
        entries = parse_host_list(text, "the host setting")
    else:
        entries = [HostEntry(name) for name in default_hosts(platform_windows=platform_windows)]

    ports: list[int]
    if port is not None:
        ports = _port_kwarg(port)
    elif dsn.ports:
        ports = dsn.ports
    elif text := sources.get("port", "PGPORT"):
        ports = parse_port_list(text, "the port setting")
    else:
        ports = [DEFAULT_PORT]
    if len(ports) == 1:
        ports = ports * len(entries)
    elif len(ports) != len(entries):
        raise ClientConfigurationError(f"could not match {len(ports)} port numbers to {len(entries)} hosts")
    return tuple(_address(entry, fallback) for entry, fallback in zip(entries, ports, strict=True))


def _default_user() -> str:
    try:
        return getpass.getuser()
    except (OSError, KeyError):
        raise ClientConfigurationError(
            "could not determine the user name to connect as: pass user= or set PGUSER"
        ) from None


def _home_directory() -> Path | None:
    """The user's home directory, or None when there is none.

    ``Path.home()`` raises when ``HOME`` is unset and the user has no passwd entry (a container
    running under an arbitrary uid); libpq then has no default files, and neither have we.
    """
    try:
        return Path.home()
    except (RuntimeError, KeyError, OSError):
        return None


def _default_passfile(environ: Mapping[str, str], home: Path | None, platform_windows: bool) -> Path | None:
    # PostgreSQL docs 34.16: %APPDATA%\postgresql\pgpass.conf on Windows, ~/.pgpass elsewhere;
    # none without a home directory (or APPDATA).
    if platform_windows:
        appdata = environ.get("APPDATA")
        if appdata:
            return Path(appdata) / "postgresql" / "pgpass.conf"
        return None if home is None else home / "AppData" / "Roaming" / "postgresql" / "pgpass.conf"
    return None if home is None else home / ".pgpass"


def _check_str(name: str, value: object) -> str | None:
    if value is None or isinstance(value, str):
        return value
    raise ClientConfigurationError(f"{name} is expected to be a str or None, got {type(value).__name__}")


def _check_password(password: object) -> Password | None:
    if password is None or isinstance(password, str) or callable(password):
        return password
    raise ClientConfigurationError(
        "password is expected to be a str, a callable returning a str or an awaitable of one, or None, "
        f"got {type(password).__name__}"
    )


def _check_server_settings(server_settings: object) -> dict[str, str]:
    if server_settings is None:
        return {}
    if isinstance(server_settings, dict) and all(
        isinstance(key, str) and isinstance(value, str) for key, value in server_settings.items()
    ):
        return dict(server_settings)
    raise ClientConfigurationError(
        f"server_settings is expected to be None or a Dict[str, str], got {server_settings!r}"
    )


def _choice(name: str, choices: type[_Choice], value: object) -> _Choice:
    """``value`` as a member of ``choices``; the error names ``name``, every accepted value and ``value``."""
    if isinstance(value, str):
        try:
            return choices(value)
        except ValueError:
            pass
    expected = ", ".join(member.value for member in choices)
    raise ClientConfigurationError(f"{name} is expected to be one of {expected}, got {value!r}")


def _gsslib(value: str) -> str:
    if value not in ("gssapi", "sspi"):
        raise ClientConfigurationError(f"gsslib parameter must be either 'gssapi' or 'sspi', got {value!r}")
    return value


def _direct_tls(direct_tls: object, sources: _Sources) -> bool:
    if direct_tls is not None:
        if not isinstance(direct_tls, bool):
            raise ClientConfigurationError(f"direct_tls is expected to be a bool or None, got {direct_tls!r}")
        return direct_tls
    negotiation = sources.get("sslnegotiation", "PGSSLNEGOTIATION")
    if negotiation is None or negotiation == "postgres":
        return False
    if negotiation == "direct":
        return True
    raise ClientConfigurationError(
        f"sslnegotiation must be either 'postgres' or 'direct', got {negotiation!r}"
    )


def _resolve_tls(
    ssl_arg: object, sources: _Sources, home: Path | None, *, has_tcp: bool
) -> tuple[SSLMode, ssl_module.SSLContext | None, bool]:
    """The sslmode, the context and whether the context was the caller's own.

    With Unix sockets only, no context is made: sslmode does not apply to Unix-domain sockets
    (PostgreSQL docs 34.19.1), so a missing root certificate is no error there.
    """
    if isinstance(ssl_arg, ssl_module.SSLContext):
        # An explicit context means sslmode=require: TLS or nothing (asyncpg 0.32).
        return SSLMode.require, ssl_arg, True
    rootcert = sources.get("sslrootcert", "PGSSLROOTCERT")
    if ssl_arg is True:
        # ssl=True behaves as ssl.create_default_context(): full verification, against the
        # system's CAs unless a root certificate is configured.
        mode = SSLMode.verify_full
        rootcert = rootcert or SYSTEM_ROOTS
    elif ssl_arg is False:
        mode = SSLMode.disable
    elif isinstance(ssl_arg, SSLMode):
        mode = ssl_arg
    elif isinstance(ssl_arg, str):
        mode = SSLMode.parse(ssl_arg)
    elif ssl_arg is None:
        text = sources.get("sslmode", "PGSSLMODE")
        mode = SSLMode.parse(text) if text else SSLMode.prefer
    else:
        raise ClientConfigurationError(
            "ssl is expected to be None, a bool, an sslmode name or an ssl.SSLContext, "
            f"got {type(ssl_arg).__name__}"
        )
    if not has_tcp:
        return mode, None, False
    context = make_ssl_context(
        mode,
        sslrootcert=rootcert,
        sslcert=sources.get("sslcert", "PGSSLCERT"),
        sslkey=sources.get("sslkey", "PGSSLKEY"),
        sslpassword=sources.get("sslpassword", None),
        sslcrl=sources.get("sslcrl", "PGSSLCRL"),
        ssl_min_protocol_version=sources.get("ssl_min_protocol_version", "PGSSLMINPROTOCOLVERSION"),
        ssl_max_protocol_version=sources.get("ssl_max_protocol_version", "PGSSLMAXPROTOCOLVERSION"),
        home=home,
    )
    keylog = sources.environ.get("SSLKEYLOGFILE")
    if context is not None and keylog and not sys.flags.ignore_environment:
        # The NSS key log format that Wireshark reads; opt-in through the environment only.
        context.keylog_filename = keylog
    return mode, context, False


def parse_connect_arguments(
    *,
    dsn: str | None = None,
    host: Any = None,
    port: Any = None,
    user: str | None = None,
    password: Password | None = None,
    passfile: str | os.PathLike[str] | None = None,
    service: str | None = None,
    servicefile: str | os.PathLike[str] | None = None,
    database: str | None = None,
    ssl: bool | str | SSLMode | ssl_module.SSLContext | None = None,
    direct_tls: bool | None = None,
    server_settings: Mapping[str, str] | None = None,
    target_session_attrs: str | SessionAttribute | None = None,
    load_balance_hosts: str | LoadBalanceHosts | None = None,
    krbsrvname: str | None = None,
    gsslib: str | None = None,
    min_protocol_version: str | None = None,
    max_protocol_version: str | None = None,
    environ: Mapping[str, str] | None = None,
    home: Path | None = None,
    platform_windows: bool = False,
) -> ConnectionParameters:
    """Resolve ``connect()``'s arguments, the DSN, the service file and the environment.

    The precedence is the module docstring's. Unlike asyncpg, the service named by the
    ``PGSERVICE`` environment variable is applied (asyncpg reads the variable but never uses it),
    and ``service=`` works without a DSN too; the service file is ``servicefile=``, else
    ``PGSERVICEFILE``, else ``~/.pg_service.conf``.

    Args:
        dsn: a ``postgresql://`` or ``postgres://`` URI. Unknown query keys become server settings.
        host: a host name, IP address or Unix socket directory (or socket file), a comma list of
            them, or a list; entries may carry ``:port`` and IPv6 goes in brackets. Default:
            the Unix socket directories ``/run/postgresql``, ``/var/run/postgresql``, ``/tmp``,
            ``/private/tmp``, then ``localhost`` (only ``localhost`` on Windows).
        port: one port for every host, or one per host (int, str, comma list or list). Default
            ``PGPORT``, else 5432.
        user: the role; default ``PGUSER``, else the OS user name.
        password: a str or a callable returning a str or an awaitable of one; default
            ``PGPASSWORD``, else the passfile at connect time.
        passfile: the password file; default ``PGPASSFILE``, else ``~/.pgpass``
            (``%APPDATA%\\postgresql\\pgpass.conf`` on Windows), else none (no home directory).
        service: a section of the service file.
        servicefile: the service file.
        database: the database; default ``PGDATABASE``, else the user name.
        ssl: None (sslmode from the DSN, service or ``PGSSLMODE``, else ``prefer``), True (verify
            the server fully, against the system's CAs unless a root certificate is configured),
            False (``disable``), an sslmode name or :class:`SSLMode`, or an ``ssl.SSLContext``
            (used as is; TLS is then mandatory).
        direct_tls: TLS handshake without SSLRequest; default from ``sslnegotiation`` /
            ``PGSSLNEGOTIATION`` (``direct``), else False.
        server_settings: settings for the startup packet; they win over DSN query keys.
        target_session_attrs: any, primary, standby, prefer-standby, read-write, read-only;
            default ``PGTARGETSESSIONATTRS``, else any.
        load_balance_hosts: ``disable`` (try the addresses in order) or ``random`` (shuffle
            them for each ``connect()``); default ``PGLOADBALANCEHOSTS``, else disable.
        krbsrvname: the Kerberos service name; default ``PGKRBSRVNAME``.
        gsslib: ``gssapi`` or ``sspi``; default ``PGGSSLIB``, else ``sspi`` on Windows and
            ``gssapi`` elsewhere.
        min_protocol_version: the oldest protocol version accepted (``3.0``, ``3.2``, ``latest``);
            default ``PGMINPROTOCOLVERSION``, else 3.0.
        max_protocol_version: the protocol version asked for; default ``PGMAXPROTOCOLVERSION``,
            else 3.0 (``latest`` when the minimum is above 3.0).
        environ: the environment to read; ``os.environ`` when None.
        home: the home directory for default files; ``Path.home()`` when None. Without a
            home directory (no ``HOME``, no passwd entry) there are no default files: no
            passfile, no ``~/.pg_service.conf``, no ``~/.postgresql/`` certificates.
        platform_windows: apply Windows defaults (hosts, passfile location, gsslib).

    Returns:
        The resolved parameters.

    Raises:
        ClientConfigurationError: any invalid value; the message names it and what was expected.
    """
    environ = os.environ if environ is None else environ
    resolved_home = _home_directory() if home is None else home
    password = _check_password(password)
    for name, value in (("dsn", dsn), ("user", user), ("service", service), ("database", database)):
        _check_str(name, value)
    _check_str("krbsrvname", krbsrvname)
    _check_str("gsslib", gsslib)
    settings = _check_server_settings(server_settings)

    parts = parse_dsn(dsn) if dsn is not None else DsnParts()
    service_name = service or parts.query.get("service") or environ.get("PGSERVICE") or None
    service_values: dict[str, str] = {}
    if service_name:
        if servicefile is not None:
            service_path = expand_path(servicefile)
        elif environ.get("PGSERVICEFILE"):
            service_path = expand_path(environ["PGSERVICEFILE"])
        elif resolved_home is not None:
            service_path = resolved_home / ".pg_service.conf"
        else:
            raise ClientConfigurationError(
                f'definition of service "{service_name}" not found: there is no home directory to '
                "find ~/.pg_service.conf in; set servicefile= or PGSERVICEFILE"
            )
        service_values = read_service(service_path, service_name)
    sources = _Sources(parts, service_values, environ)

    addresses = _resolve_addresses(host, port, parts, sources, platform_windows)
    resolved_user = user
    if resolved_user is None:
        resolved_user = parts.user or sources.get("user", "PGUSER") or _default_user()
    if password is None:
        password = parts.password or sources.get("password", "PGPASSWORD")
    resolved_database = database
    if resolved_database is None:
        resolved_database = parts.database or sources.get("dbname", "PGDATABASE", "database") or resolved_user
    resolved_passfile: Path | None
    if passfile is not None:
        resolved_passfile = expand_path(passfile)
    else:
        text = sources.get("passfile", "PGPASSFILE")
        resolved_passfile = (
            expand_path(text) if text else _default_passfile(environ, resolved_home, platform_windows)
        )

    # Server settings: service-file extras, then DSN query extras, then the argument (34.17).
    merged = {key: value for key, value in service_values.items() if key not in CONNECTION_KEYS}
    merged.update(parts.server_settings)
    merged.update(settings)

    attrs = target_session_attrs
    if attrs is None:
        attrs = sources.get("target_session_attrs", "PGTARGETSESSIONATTRS") or SessionAttribute.any
    balance = load_balance_hosts
    if balance is None:
        balance = sources.get("load_balance_hosts", "PGLOADBALANCEHOSTS") or LoadBalanceHosts.disable
    library = gsslib or sources.get("gsslib", "PGGSSLIB") or ("sspi" if platform_windows else "gssapi")

    has_tcp = not all(address.is_unix for address in addresses)
    sslmode, context, explicit = _resolve_tls(ssl, sources, resolved_home, has_tcp=has_tcp)
    direct = _direct_tls(direct_tls, sources)
    if direct and sslmode < SSLMode.require:
        raise ClientConfigurationError("direct TLS requires sslmode=require, verify-ca, or verify-full")

    return ConnectionParameters(
        addresses=addresses,
        user=resolved_user,
        password=password,
        database=resolved_database,
        passfile=resolved_passfile,
        sslmode=sslmode,
        ssl=context,
        ssl_is_explicit_context=explicit,
        direct_tls=direct,
        server_settings=merged,
        target_session_attrs=_choice("target_session_attrs", SessionAttribute, attrs),
        load_balance_hosts=_choice("load_balance_hosts", LoadBalanceHosts, balance),
        krbsrvname=krbsrvname or sources.get("krbsrvname", "PGKRBSRVNAME"),
        gsslib=_gsslib(library),
        protocol_versions=resolve_protocol_versions(
            min_protocol_version or sources.get("min_protocol_version", "PGMINPROTOCOLVERSION"),
            max_protocol_version or sources.get("max_protocol_version", "PGMAXPROTOCOLVERSION"),
        ),
    )
