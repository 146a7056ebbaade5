"""Hot standbys of a throwaway cluster: streaming replication for multi-host tests.

:class:`Standby` copies a running :class:`~pgasync.cluster.Cluster` with ``pg_basebackup -R``
(PostgreSQL docs 27.2, "Log-Shipping Standby Servers": a base backup plus ``standby.signal``
and ``primary_conninfo``, which ``-R`` writes) into a new temporary directory, and starts it on
its own free port as a hot standby that accepts read-only connections.

The primary must allow replication connections from its superuser over its Unix socket:
``wal_level`` is ``replica`` by default, but ``pg_hba.conf``'s ``all`` does not match the
``replication`` pseudo-database (20.1, "The pg_hba.conf File"), so the primary needs the rules
from :func:`replication_rules`. The standby shares the primary's server account, its
``pg_hba.conf`` and its TLS files, so destroy the standby before the primary.
"""

from __future__ import annotations

import os
import weakref
from collections.abc import Mapping
from pathlib import Path
from types import TracebackType
from typing import Any, Self
from urllib.parse import quote

from pgasync.cluster._cluster import Cluster
from pgasync.cluster._conf import SettingValue, render_settings
from pgasync.cluster._errors import ClusterError
from pgasync.cluster._hba import LOOPBACK_ADDRESSES, HbaRule
from pgasync.cluster._osuser import server_account
from pgasync.cluster._server import LOOPBACK_HOST, ServerState, free_port

__all__ = ["Standby", "replication_rules"]

# The base backup keeps the primary's postgresql.conf, which includes this file last; the
# standby appends its own settings there, and the last setting of a parameter wins (20.1.2).
_SETTINGS_FILE = "pgasync.conf"
_START_ATTEMPTS = 5


def replication_rules(superuser: str = "postgres") -> list[HbaRule]:
    """``pg_hba.conf`` records letting ``superuser`` open replication connections, trusted.

    Args:
        superuser: the role ``pg_basebackup`` and the standby's WAL receiver connect as.

    Returns:
        A ``local`` rule and ``host`` rules for the loopback addresses, for the ``replication``
        pseudo-database; put them in the primary's ``hba_rules``.
    """
    rules = [HbaRule("local", "replication", superuser, "trust")]
    rules.extend(
        HbaRule("host", "replication", superuser, "trust", address) for address in LOOPBACK_ADDRESSES
    )
    return rules


class Standby:
    """A streaming-replication hot standby of a running :class:`~pgasync.cluster.Cluster`.

    Nothing happens until :meth:`start`; use it as a context manager or call :meth:`destroy`.

    Args:
        primary: the cluster to replicate; it must be running and accept replication
            connections from its superuser (:func:`replication_rules`).
        server_settings: extra parameters for the standby, after the primary's.
        base_dir: where to create the temporary directory (default: the system's).
        startup_timeout: seconds to wait for the standby to accept connections.
    """

    def __init__(
        self,
        primary: Cluster,
        *,
        server_settings: Mapping[str, SettingValue] | None = None,
        base_dir: Path | None = None,
        startup_timeout: float = 30.0,
    ) -> None:
        self._primary = primary
        self._settings: dict[str, SettingValue] = dict(server_settings or {})
        render_settings(self._settings)
        self._base_dir = base_dir
        self._startup_timeout = startup_timeout
        self._port: int | None = None
        self._state = ServerState(primary.installation, server_account())
        # Stops the server and removes the directory when garbage collected or at exit.
        self._finalizer = weakref.finalize(self, ServerState.destroy, self._state)

    def __repr__(self) -> str:
        if self._state.is_destroyed:
            status = "destroyed"
        elif self.is_running:
            status = f"running on port {self._port}"
        else:
            status = "stopped" if self._state.directory is not None else "new"
        return f"<Standby of {self._primary!r} {status}>"

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.destroy()

    # -- properties ----------------------------------------------------------------------------

    @property
    def primary(self) -> Cluster:
        """The cluster this standby replicates."""
        return self._primary

    @property
    def host(self) -> str:
        """The TCP address the standby listens on (the primary's ``listen_addresses``)."""
        return LOOPBACK_HOST

    @property
    def port(self) -> int:
        """The standby's TCP port (also its Unix socket's number).

        Raises:
            ClusterError: the standby was never started.
        """
        if self._port is None:
            raise ClusterError("the standby has no port until it is started")
        return self._port

    @property
    def socket_dir(self) -> Path:
        """The directory of the standby's Unix socket."""
        return self._state.require_directory()

    @property
    def data_dir(self) -> Path:
        """The standby's data directory (the base backup)."""
        return self._state.data_dir

    @property
    def log_path(self) -> Path:
        """The standby's server log."""
        return self._state.log_path

    @property
    def superuser(self) -> str:
        """The superuser, the primary's."""
        return self._primary.superuser

    @property
    def is_running(self) -> bool:
        """Whether the standby's server process is alive."""
        return self._state.is_running

    # -- lifecycle -----------------------------------------------------------------------------

    def start(self) -> None:
        """Take the base backup if not done yet, then start the standby. Idempotent.

        Returns once the standby accepts read-only connections (hot standby reached a
        consistent state: ``postmaster.pid`` says ``standby``).

        Raises:
            ClusterError: the standby was destroyed, the primary is not running, the base backup
                failed (``pg_basebackup``'s output is included), or the standby did not start.
        """
        if self._state.is_destroyed:
            raise ClusterError("the standby was destroyed")
        if self._state.directory is None:
            directory = self._state.create_directory(self._base_dir)
            try:
                self._base_backup(directory)
            except BaseException:
                self.destroy()
                raise
        if self.is_running:
            return
        for attempt in range(_START_ATTEMPTS):
            self._port = free_port()
            self._write_settings()
            try:
                self._state.launch(self._port, self._startup_timeout)
            except ClusterError as error:
                # Another process took the port between our probe and the server's bind.
                if "Address already in use" in str(error) and attempt + 1 < _START_ATTEMPTS:
                    continue
                raise
            return

    def _base_backup(self, directory: Path) -> None:
        primary = self._primary
        if not primary.is_running:
            raise ClusterError("the primary must be running to take a base backup")
        result = self._state.run(
            "pg_basebackup",
            [
                "-D",
                os.fspath(self._state.data_dir),
                "-h",
                os.fspath(primary.socket_dir),
                "-p",
                str(primary.port),
                "-U",
                primary.superuser,
                # WAL streamed alongside the copy, an immediate checkpoint on the primary, and
                # standby.signal plus primary_conninfo written for us.
                "-X",
                "stream",
                "-c",
                "fast",
                "-R",
                "--no-sync",
            ],
            timeout=120.0,
        )
        if result.returncode != 0:
            raise ClusterError(
                f"pg_basebackup failed (exit {result.returncode}); the primary needs "
                f"replication_rules() in its hba_rules:\n{result.stdout}{result.stderr}"
            )

    def _write_settings(self) -> None:
        directory = self._state.require_directory()
        path = self._state.data_dir / _SETTINGS_FILE
        primary_settings = path.read_text(encoding="utf-8") if path.exists() else ""
        # Keep the primary's lines (the copy's own), then override what must differ.
        own = primary_settings.split("\n# standby\n", 1)[0]
        settings: dict[str, SettingValue] = {
            "port": self.port,
            "unix_socket_directories": os.fspath(directory),
            "hot_standby": True,
        }
        settings.update(self._settings)
        path.write_text(own.rstrip("\n") + "\n# standby\n" + render_settings(settings), encoding="utf-8")
        self._state.account.give(path, 0o600)

    def stop(self) -> None:
        """Stop the standby (fast shutdown, then immediate, then SIGKILL). Idempotent."""
        self._state.stop()

    def destroy(self) -> None:
        """Stop the standby and delete its directory. Idempotent; it cannot start again."""
        self._finalizer()

    # -- connection parameters -----------------------------------------------------------------

    def dsn(self, user: str | None = None, password: str | None = None, database: str = "postgres") -> str:
        """A ``postgresql://`` URI for the standby over TCP.

        Args:
            user: the role (default: the superuser).
            password: its password, if any.
            database: the database name.

        Raises:
            ClusterError: the standby was never started.
        """
        netloc = quote(self.superuser if user is None else user, safe="")
        if password is not None:
            netloc += ":" + quote(password, safe="")
        return f"postgresql://{netloc}@{self.host}:{self.port}/{quote(database, safe='')}"

    def connection_spec(
        self, user: str | None = None, password: str | None = None, database: str = "postgres"
    ) -> dict[str, Any]:
        """Keyword arguments for ``connect()``: host, port, user, database, and password if given.

        Raises:
            ClusterError: the standby was never started.
        """
        spec: dict[str, Any] = {
            "host": self.host,
            "port": self.port,
            "user": self.superuser if user is None else user,
            "database": database,
        }
        if password is not None:
            spec["password"] = password
        return spec
