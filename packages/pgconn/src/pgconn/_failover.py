"""``connect()``: asyncpg's connection function, over every host and TLS choice.

The arguments are checked and resolved first (:mod:`pgconn._parameters`), before any I/O. Then,
within one ``timeout`` for the whole attempt, each address is tried in order (as given, or
shuffled for this call with ``load_balance_hosts=random``): an ``OSError``
or a server that cannot take connections now (57P03) moves on to the next one, any other
server error (wrong password, unknown database) is raised at once. sslmode ``prefer`` falls
back to a plain connection when the server refuses TLS or rejects the TLS connection in
authentication; ``allow`` tries plain first and TLS second; when that second attempt fails
too, a wrong password from the first is what gets reported. Each connected server is checked
against ``target_session_attrs``.
"""

from __future__ import annotations

import asyncio
import random
import ssl as ssl_module
from collections.abc import Callable, Mapping
from typing import Any, TypeVar, overload

from pgconn._attempt import open_connection, uses_tls
from pgconn._connection import Connection
from pgconn._parameters import (
    Address,
    ConnectionParameters,
    LoadBalanceHosts,
    SessionAttribute,
    SSLMode,
    parse_connect_arguments,
    validate_connection_options,
)
from pgconn._protocol import WireProtocol
from pgtypes import Record
from pgwire.exceptions import (
    CannotConnectNowError,
    ConnectionDoesNotExistError,
    InterfaceError,
    InvalidAuthorizationSpecificationError,
    InvalidPasswordError,
    TargetServerAttributeNotMatched,
)

__all__ = ["addresses_to_try", "connect", "host_order_random"]

ConnectionT = TypeVar("ConnectionT", bound=Connection)

#: The source of connect()'s random choices: the address order of ``load_balance_hosts=random``
#: and the pick among non-standbys for ``prefer-standby`` without ``random``. SystemRandom
#: (os.urandom) because it has no state: processes forked from one parent (a pre-forking web
#: server) do not shuffle in step, and nothing needs seeding. A few bytes of urandom per
#: connect() cost nothing next to a connection. Tests put a seeded ``random.Random`` here.
host_order_random: random.Random = random.SystemRandom()


def _check_classes(connection_class: type, record_class: type) -> None:
    if not (isinstance(connection_class, type) and issubclass(connection_class, Connection)):
        raise InterfaceError(
            f"connection_class is expected to be a subclass of pgasync.Connection, got {connection_class!r}"
        )
    if not (isinstance(record_class, type) and issubclass(record_class, Record)):
        raise InterfaceError(
            f"record_class is expected to be a subclass of pgasync.Record, got {record_class!r}"
        )
    if record_class is not Record and (
        "__new__" in record_class.__dict__ or "__init__" in record_class.__dict__
    ):
        raise InterfaceError("record_class must not redefine __new__ or __init__")


async def _retry(
    params: ConnectionParameters, address: Address, context: Any, first_error: BaseException
) -> tuple[WireProtocol, Any]:
    """The second attempt of ``allow``/``prefer``; a wrong password from the first one wins.

    With ``hostssl`` (or ``hostnossl``) rules, the retry is refused by pg_hba.conf whatever the
    password, and that refusal would hide the real cause of the first failure.
    """
    try:
        return await open_connection(params, address, context), context
    except InvalidAuthorizationSpecificationError as error:
        if isinstance(first_error, InvalidPasswordError) and not isinstance(error, InvalidPasswordError):
            first_error.add_note(f"retrying {'with' if context else 'without'} TLS failed too: {error}")
            raise first_error from None
        raise


async def _open_with_sslmode(params: ConnectionParameters, address: Address) -> tuple[WireProtocol, Any]:
    """One address, with the fallbacks its sslmode allows; the protocol and the TLS context used."""
    context = params.ssl if params.tls_for(address) else None
    mode = params.sslmode
    if context is None:
        return await open_connection(params, address, None), None
    if mode == SSLMode.allow and not params.ssl_is_explicit_context:
        try:
            return await open_connection(params, address, None), None
        except (InvalidAuthorizationSpecificationError, ConnectionDoesNotExistError) as error:
            # pg_hba.conf may accept this user only over TLS (hostssl).
            return await _retry(params, address, context, error)
    if mode == SSLMode.prefer and not params.ssl_is_explicit_context:
        try:
            protocol = await open_connection(params, address, context, tls_optional=True)
            return protocol, context if uses_tls(protocol) else None
        except InvalidAuthorizationSpecificationError as error:
            # pg_hba may allow this user only without TLS (hostnossl): try that.
            return await _retry(params, address, None, error)
    return await open_connection(params, address, context), context


async def _is_standby(connection: Connection) -> bool:
    hot = connection.get_settings()._parameters.get("in_hot_standby")
    if hot is not None:
        return hot == "on"
    return bool(await connection.fetchval("SELECT pg_catalog.pg_is_in_recovery()"))


async def _is_read_only(connection: Connection) -> bool:
    read_only = connection.get_settings()._parameters.get("default_transaction_read_only")
    if read_only == "on":
        return True
    return await _is_standby(connection)


_CHECKS: dict[SessionAttribute, Callable[[Connection], Any]] = {
    SessionAttribute.primary: lambda c: _negate(_is_standby(c)),
    SessionAttribute.standby: _is_standby,
    SessionAttribute.read_write: lambda c: _negate(_is_read_only(c)),
    SessionAttribute.read_only: _is_read_only,
}


async def _negate(check: Any) -> bool:
    return not await check


def addresses_to_try(params: ConnectionParameters) -> list[Address]:
    """The addresses in the order this ``connect()`` tries them.

    ``load_balance_hosts=random`` shuffles the whole list for each call (libpq, 34.1.2): over
    many connections each server gets about its share, and one listed twice gets twice its
    share. The failover order of this call is that random order.
    """
    addresses = list(params.addresses)
    if params.load_balance_hosts == LoadBalanceHosts.random:
        host_order_random.shuffle(addresses)
    return addresses


async def _connect_addresses(
    params: ConnectionParameters, make: Callable[[WireProtocol, Address, Any], ConnectionT]
) -> ConnectionT:
    target = params.target_session_attrs
    last_error: OSError | CannotConnectNowError | None = None
    connected_any = False
    candidates: list[ConnectionT] = []
    try:
        for address in addresses_to_try(params):
            try:
                protocol, context = await _open_with_sslmode(params, address)
            except (OSError, CannotConnectNowError) as error:
                # Unreachable, or 57P03 (starting up, shutting down, in recovery without hot
                # standby): another host may take the connection (asyncpg 0.32 for 57P03).
                last_error = error
                continue
            connected_any = True
            connection = make(protocol, address, context)
            if target == SessionAttribute.any:
                return connection
            try:
                if target == SessionAttribute.prefer_standby:
                    matches = await _is_standby(connection)
                    if not matches:
                        candidates.append(connection)
                        continue
                else:
                    matches = await _CHECKS[target](connection)
            except BaseException:
                connection.terminate()
                raise
            if matches:
                return connection
            connection.terminate()
        if candidates:
            if params.load_balance_hosts == LoadBalanceHosts.random:
                # libpq's prefer-standby, without a standby, tries all hosts again in "any"
                # mode and keeps the first that answers: the first candidate, in this call's
                # random order.
                chosen = candidates[0]
            else:
                # asyncpg: one of the non-standbys at random.
                chosen = host_order_random.choice(candidates)
            candidates.remove(chosen)
            return chosen
    finally:
        for rejected in candidates:
            rejected.terminate()
    if not connected_any and last_error is not None:
        raise last_error
    raise TargetServerAttributeNotMatched(
        f"None of the hosts match the target attribute requirement {target.value!r}"
    )


@overload
async def connect(
    dsn: str | None = ...,
    *,
    host: Any = ...,
    port: Any = ...,
    user: str | None = ...,
    password: Any = ...,
    passfile: Any = ...,
    service: str | None = ...,
    servicefile: Any = ...,
    database: str | None = ...,
    loop: asyncio.AbstractEventLoop | None = ...,
    timeout: float = ...,
    statement_cache_size: int = ...,
    max_cached_statement_lifetime: float = ...,
    max_cacheable_statement_size: int = ...,
    command_timeout: float | None = ...,
    ssl: bool | str | ssl_module.SSLContext | None = ...,
    direct_tls: bool | None = ...,
    connection_class: type[ConnectionT],
    record_class: type[Record] = ...,
    server_settings: Mapping[str, str] | None = ...,
    target_session_attrs: str | None = ...,
    load_balance_hosts: str | None = ...,
    krbsrvname: str | None = ...,
    gsslib: str | None = ...,
    min_protocol_version: str | None = ...,
    max_protocol_version: str | None = ...,
) -> ConnectionT: ...


@overload
async def connect(
    dsn: str | None = ...,
    *,
    host: Any = ...,
    port: Any = ...,
    user: str | None = ...,
    password: Any = ...,
    passfile: Any = ...,
    service: str | None = ...,
    servicefile: Any = ...,
    database: str | None = ...,
    loop: asyncio.AbstractEventLoop | None = ...,
    timeout: float = ...,
    statement_cache_size: int = ...,
    max_cached_statement_lifetime: float = ...,
    max_cacheable_statement_size: int = ...,
    command_timeout: float | None = ...,
    ssl: bool | str | ssl_module.SSLContext | None = ...,
    direct_tls: bool | None = ...,
    record_class: type[Record] = ...,
    server_settings: Mapping[str, str] | None = ...,
    target_session_attrs: str | None = ...,
    load_balance_hosts: str | None = ...,
    krbsrvname: str | None = ...,
    gsslib: str | None = ...,
    min_protocol_version: str | None = ...,
    max_protocol_version: str | None = ...,
) -> Connection: ...


async def connect(
    dsn: str | None = None,
    *,
    host: Any = None,
    port: Any = None,
    user: str | None = None,
    password: Any = None,
    passfile: Any = None,
    service: str | None = None,
    servicefile: Any = None,
    database: str | None = None,
    loop: asyncio.AbstractEventLoop | None = None,
    timeout: float = 60,
    statement_cache_size: int = 100,
    max_cached_statement_lifetime: float = 300,
    max_cacheable_statement_size: int = 1024 * 15,
    command_timeout: float | None = None,
    ssl: bool | str | ssl_module.SSLContext | None = None,
    direct_tls: bool | None = None,
    connection_class: type[ConnectionT] = Connection,  # type: ignore[assignment]  # the default class
    record_class: type[Record] = Record,
    server_settings: Mapping[str, str] | None = None,
    target_session_attrs: str | None = None,
    load_balance_hosts: str | None = None,
    krbsrvname: str | None = None,
    gsslib: str | None = None,
    min_protocol_version: str | None = None,
    max_protocol_version: str | None = None,
) -> ConnectionT:
    """Connect to PostgreSQL; asyncpg's ``connect()`` with the same arguments and defaults.

    Each value comes from the first that gives it: the keyword argument, the DSN, the DSN's
    query string, the service file, the environment (``PGHOST``, ``PGUSER``...), the default;
    ``docs/pgconn.md`` has the whole table. Hosts are tried in order until one accepts.

    Args:
        dsn: a libpq connection URI, ``postgresql://user:password@host:port/database?option=value``
            (every libpq option we know; an unknown query key becomes a server setting).
        host: a host name, IP address or Unix socket directory, a comma list or a list of
            them, each entry may carry ``:port`` (default ``PGHOST``, else the usual socket
            directories, then ``localhost``).
        port: one port for every host or one per host (int, str, comma list or list);
            default ``PGPORT``, else 5432.
        user: the role (default ``PGUSER``, else the OS user name).
        password: a str, or a callable returning a str or an awaitable of one, called for
            each connection attempt (default ``PGPASSWORD``, else the password file).
        passfile: the password file (default ``PGPASSFILE``, else ``~/.pgpass``).
        service: a section of the connection service file (default ``PGSERVICE``).
        servicefile: the service file (default ``PGSERVICEFILE``, else ``~/.pg_service.conf``).
        database: the database (default ``PGDATABASE``, else the user name).
        loop: accepted for compatibility and ignored: the connection belongs to the running
            event loop.
        timeout: seconds for the whole attempt: every host, TLS, authentication and the
            ``target_session_attrs`` checks.
        statement_cache_size: how many prepared statements the connection caches (0: none,
            for PgBouncer in transaction mode).
        max_cached_statement_lifetime: seconds a cached statement lives (0: forever).
        max_cacheable_statement_size: the longest query, in characters, that is cached
            (0: no limit).
        command_timeout: the default ``timeout`` of every operation (None: no limit).
        ssl: an sslmode name (``"disable"``, ``"allow"``, ``"prefer"``, ``"require"``,
            ``"verify-ca"``, ``"verify-full"``), True (``verify-full`` against the system's
            CAs), False, or an ``ssl.SSLContext`` used as given; None takes the DSN's
            ``sslmode``, the service file or ``PGSSLMODE``, else ``"prefer"``.
        direct_tls: start TLS at once, without asking first (PostgreSQL 17+, or a TLS proxy);
            needs ``"require"`` or stronger.
        connection_class: the :class:`Connection` subclass to make; typed, so the result is
            an instance of it.
        record_class: the ``Record`` subclass of the rows every query returns by default.
        server_settings: run-time parameters for the startup packet
            (``{"application_name": "app"}``); they win over the DSN's.
        target_session_attrs: which server of several is acceptable: ``"any"``,
            ``"primary"``, ``"standby"``, ``"prefer-standby"``, ``"read-write"``,
            ``"read-only"`` (default ``PGTARGETSESSIONATTRS``, else ``"any"``).
        load_balance_hosts: libpq's (asyncpg has none): ``"random"`` tries the hosts in a
            random order, new for every call; ``"disable"`` (the default) in the given order.
        min_protocol_version: libpq's (asyncpg has none): the oldest protocol version
            accepted after the server's NegotiateProtocolVersion, ``"3.0"``, ``"3.2"`` or
            ``"latest"`` (default ``PGMINPROTOCOLVERSION``, else 3.0).
        max_protocol_version: libpq's: the version asked for (default
            ``PGMAXPROTOCOLVERSION``, else 3.0, or ``latest`` when the minimum is higher);
            ``"3.2"`` asks PostgreSQL 18 for its longer cancel keys, and an older server
            answers with 3.0.
        krbsrvname: the Kerberos service name (default ``PGKRBSRVNAME``).
        gsslib: the GSS library, ``"gssapi"`` or ``"sspi"`` (default ``PGGSSLIB``).

    Returns:
        The open connection, an instance of ``connection_class``.

    Raises:
        ClientConfigurationError: an invalid DSN or option (before any I/O).
        ValueError: an invalid timeout or cache setting.
        InterfaceError: a bad ``connection_class`` or ``record_class``.
        OSError: no host could be reached (the last host's error).
        TimeoutError: ``timeout`` passed.
        PostgresError: the server refused the connection, e.g. ``InvalidPasswordError``.
        TargetServerAttributeNotMatched: no host matches ``target_session_attrs``.
    """
    validate_connection_options(
        timeout=timeout,
        command_timeout=command_timeout,
        statement_cache_size=statement_cache_size,
        max_cached_statement_lifetime=max_cached_statement_lifetime,
        max_cacheable_statement_size=max_cacheable_statement_size,
    )
    _check_classes(connection_class, record_class)
    params = parse_connect_arguments(
        dsn=dsn,
        host=host,
        port=port,
        user=user,
        password=password,
        passfile=passfile,
        service=service,
        servicefile=servicefile,
        database=database,
        ssl=ssl,
        direct_tls=direct_tls,
        server_settings=dict(server_settings) if server_settings is not None else None,
        target_session_attrs=target_session_attrs,
        load_balance_hosts=load_balance_hosts,
        krbsrvname=krbsrvname,
        gsslib=gsslib,
        min_protocol_version=min_protocol_version,
        max_protocol_version=max_protocol_version,
    )

    def make(protocol: WireProtocol, address: Address, context: Any) -> ConnectionT:
        return connection_class(
            protocol,
            params,
            address,
            tls=context,
            command_timeout=command_timeout,
            statement_cache_size=statement_cache_size,
            max_cached_statement_lifetime=max_cached_statement_lifetime,
            max_cacheable_statement_size=max_cacheable_statement_size,
            record_class=record_class,
        )

    async with asyncio.timeout(timeout):
        return await _connect_addresses(params, make)
