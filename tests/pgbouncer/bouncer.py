"""A real PgBouncer in front of a :mod:`pgasync.cluster` server, for tests.

:class:`PgBouncer` writes a ``pgbouncer.ini`` and an ``auth_file`` into a temporary directory,
starts the ``pgbouncer`` program on a free loopback port (as the cluster's unprivileged
account when this process is root: PgBouncer refuses to run as root), waits until it accepts
connections, and stops it and removes the directory in :meth:`PgBouncer.stop`.

Clients log in to PgBouncer with SCRAM-SHA-256 as one of the server's password roles (its
name and password are in the ``auth_file``), and PgBouncer logs in to the server as that role,
with SCRAM too, into the one database it serves (:data:`DATABASE_ALIAS` on PgBouncer's side).

:class:`Hog` moves another client of a transaction-mode PgBouncer to another server
connection. :class:`StatementLog` reads the server's log for the statements the server was asked to
prepare: with ``log_min_duration_statement = 0`` on the database, the server logs every
Parse, Bind and Execute with the statement's name (``<unnamed>`` for the unnamed statement).

Other test directories reuse this module and the fixtures of :mod:`tests.pgbouncer.fixtures`
(imported into their own ``conftest.py``).
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Literal
from urllib.parse import quote

import pgasync
from pgasync.cluster import Cluster
from pgasync.cluster._osuser import server_account
from pgasync.cluster._server import LOOPBACK_HOST, free_port

__all__ = [
    "DATABASE_ALIAS",
    "INSTALL_HINT",
    "PREPARED_STATEMENTS_VERSION",
    "Hog",
    "PgBouncer",
    "PgBouncerError",
    "PoolMode",
    "StatementLog",
    "find_pgbouncer",
    "pgbouncer_version",
    "run_client_process",
]

PoolMode = Literal["session", "transaction", "statement"]

#: The database name clients ask PgBouncer for.
DATABASE_ALIAS = "bouncer"

INSTALL_HINT = (
    "PgBouncer is not installed: on Debian or Ubuntu run 'apt-get install pgbouncer' "
    "(the program is /usr/sbin/pgbouncer), or put a 'pgbouncer' program on PATH"
)

# Where Debian's package puts the program; /usr/sbin is often missing from a user's PATH.
_KNOWN_LOCATIONS = ("/usr/sbin/pgbouncer", "/usr/local/sbin/pgbouncer")
_VERSION = re.compile(r"PgBouncer (\d+)\.(\d+)(?:\.(\d+))?")
_START_TIMEOUT = 10.0
#: The first PgBouncer with ``max_prepared_statements``.
PREPARED_STATEMENTS_VERSION = (1, 21, 0)
_STOP_TIMEOUT = 10.0


class PgBouncerError(RuntimeError):
    """PgBouncer could not be started, or stopped badly."""


def find_pgbouncer() -> str | None:
    """The ``pgbouncer`` program: on PATH, else where Debian installs it; None when absent."""
    found = shutil.which("pgbouncer")
    if found is not None:
        return found
    for location in _KNOWN_LOCATIONS:
        if os.access(location, os.X_OK):
            return location
    return None


@functools.cache
def pgbouncer_version(program: str) -> tuple[int, int, int]:
    """``(major, minor, patch)`` of the ``pgbouncer`` at ``program`` (``pgbouncer --version``).

    Raises:
        PgBouncerError: the output names no version.
    """
    result = subprocess.run([program, "--version"], capture_output=True, text=True, check=False, timeout=30)
    match = _VERSION.search(result.stdout + result.stderr)
    if match is None:
        raise PgBouncerError(f"{program} --version printed no version: {result.stdout!r} {result.stderr!r}")
    return int(match[1]), int(match[2]), int(match[3] or 0)


def _ini_value(value: str | int) -> str:
    text = str(value)
    if "\n" in text:
        raise ValueError(f"a pgbouncer.ini value cannot hold a line break: {text!r}")
    return text


@dataclass(frozen=True, slots=True)
class _Files:
    directory: Path
    ini: Path
    log: Path


class PgBouncer:
    """One running PgBouncer process in front of ``cluster``'s database ``database``.

    Args:
        program: the ``pgbouncer`` program.
        cluster: the running server PgBouncer connects to.
        database: the server database behind :data:`DATABASE_ALIAS`.
        user: the role clients log in as, and PgBouncer to the server.
        password: its password.
        pool_mode: ``session``, ``transaction`` or ``statement``.
        pool_size: ``default_pool_size``: server connections per user and database.
        max_prepared_statements: PgBouncer's setting of that name (1.21 and later). 0, the
            default, is written only for a PgBouncer that has the setting (it is on by
            default from 1.24 on), so that named statements are never kept unless a test asks.
        settings: further ``[pgbouncer]`` settings, written after the ones above.
    """

    def __init__(
        self,
        program: str,
        cluster: Cluster,
        database: str,
        user: str,
        password: str,
        *,
        pool_mode: PoolMode = "transaction",
        pool_size: int = 2,
        max_prepared_statements: int = 0,
        settings: Mapping[str, str | int] | None = None,
    ) -> None:
        self.program = program
        self.cluster = cluster
        self.database = database
        self.user = user
        self.password = password
        self.pool_mode = pool_mode
        self.pool_size = pool_size
        self.max_prepared_statements = max_prepared_statements
        self.settings = dict(settings or {})
        self.port = 0
        self._process: subprocess.Popen[bytes] | None = None
        self._files: _Files | None = None

    def __repr__(self) -> str:
        state = f"port {self.port}" if self._process is not None else "stopped"
        return f"<PgBouncer {self.pool_mode} pool_size={self.pool_size} {state}>"

    # -- configuration ----------------------------------------------------------------------

    def config_text(self, directory: Path) -> str:
        """The ``pgbouncer.ini`` this PgBouncer runs with (its files in ``directory``)."""
        server = f"host={LOOPBACK_HOST} port={self.cluster.port} dbname={self.database}"
        settings: dict[str, str | int] = {
            "listen_addr": LOOPBACK_HOST,
            "listen_port": self.port,
            # No Unix socket: several PgBouncers may run at once, each on its own TCP port.
            "unix_socket_dir": "",
            "auth_type": "scram-sha-256",
            "auth_file": os.fspath(directory / "userlist.txt"),
            "pool_mode": self.pool_mode,
            "default_pool_size": self.pool_size,
            "max_client_conn": 100,
            "server_login_retry": 1,
        }
        if self.max_prepared_statements or pgbouncer_version(self.program) >= PREPARED_STATEMENTS_VERSION:
            settings["max_prepared_statements"] = self.max_prepared_statements
        settings.update(self.settings)
        lines = ["[databases]", f"{DATABASE_ALIAS} = {server}", "", "[pgbouncer]"]
        lines += [f"{key} = {_ini_value(value)}" for key, value in settings.items()]
        return "\n".join(lines) + "\n"

    # -- running ----------------------------------------------------------------------------

    def start(self) -> None:
        """Write the configuration and start PgBouncer; return once it accepts connections.

        Raises:
            PgBouncerError: it exited or did not listen within 10 s (its log is in the message).
        """
        if self._process is not None:
            raise PgBouncerError("PgBouncer is already running")
        account = server_account()
        directory = Path(tempfile.mkdtemp(prefix="pgasync-pgbouncer-"))
        account.give(directory, 0o700)
        self.port = free_port(also_ipv6=False)
        ini = directory / "pgbouncer.ini"
        ini.write_text(self.config_text(directory), encoding="utf-8")
        auth_file = directory / "userlist.txt"
        auth_file.write_text(f'"{self.user}" "{self.password}"\n', encoding="utf-8")
        log = directory / "pgbouncer.log"
        for path in (ini, auth_file):
            account.give(path, 0o600)
        self._files = _Files(directory, ini, log)
        with open(log, "wb") as output:
            # No -d: the process stays our child, so that stop() can end it by its pid.
            self._process = subprocess.Popen(
                [self.program, os.fspath(ini)],
                cwd=directory,
                stdin=subprocess.DEVNULL,
                stdout=output,
                stderr=subprocess.STDOUT,
                env={"PATH": os.environ.get("PATH", "/usr/bin:/bin")},
                **account.popen_arguments(),
            )
        try:
            self._wait_listening()
        except BaseException:
            self.stop()
            raise

    def _wait_listening(self) -> None:
        assert self._process is not None
        deadline = time.monotonic() + _START_TIMEOUT
        while True:
            if self._process.poll() is not None:
                raise PgBouncerError(f"PgBouncer exited with {self._process.returncode}:\n{self.log_text()}")
            with (
                contextlib.suppress(OSError),
                socket.create_connection((LOOPBACK_HOST, self.port), timeout=1),
            ):
                return
            if time.monotonic() > deadline:
                raise PgBouncerError(f"PgBouncer did not listen on port {self.port}:\n{self.log_text()}")
            time.sleep(0.02)

    def stop(self) -> None:
        """Stop PgBouncer (SIGTERM, then SIGKILL after 10 s) and remove its files. Idempotent."""
        process, self._process = self._process, None
        if process is not None and process.poll() is None:
            process.terminate()
            try:
                process.wait(_STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        files, self._files = self._files, None
        if files is not None:
            shutil.rmtree(files.directory, ignore_errors=True)

    def is_running(self) -> bool:
        """Whether the PgBouncer process is alive."""
        return self._process is not None and self._process.poll() is None

    def log_text(self) -> str:
        """PgBouncer's own log so far ("" once stopped)."""
        if self._files is None:
            return ""
        try:
            return self._files.log.read_text(encoding="utf-8", errors="replace")
        except FileNotFoundError:
            return ""

    # -- connection parameters --------------------------------------------------------------

    def dsn(self, **params: str | int) -> str:
        """A ``postgresql://`` URI for clients of this PgBouncer (``sslmode=disable`` by default).

        Args:
            params: further query parameters.
        """
        query = {"sslmode": "disable", **params}
        netloc = f"{quote(self.user, safe='')}:{quote(self.password, safe='')}@{LOOPBACK_HOST}:{self.port}"
        text = "&".join(f"{key}={quote(str(value), safe='')}" for key, value in query.items())
        return f"postgresql://{netloc}/{DATABASE_ALIAS}?{text}"


# One application process: connects with the default settings, runs one query, prints the
# server error it got (or null) as JSON.
_CLIENT_PROCESS = """
import asyncio, json, sys
import pgasync

async def main():
    connection = await pgasync.connect(sys.argv[1])
    try:
        await connection.fetchval("SELECT $1::int + 1", 1)
    except pgasync.PostgresError as error:
        return {"class": type(error).__name__, "sqlstate": error.sqlstate, "text": str(error)}
    finally:
        await connection.close()
    return None

print(json.dumps(asyncio.run(main())))
"""


def run_client_process(bouncer: PgBouncer) -> dict[str, str] | None:
    """Run one query through ``bouncer`` in a new Python process, with pgasync's defaults.

    Returns:
        None when it worked, else the server error's ``class``, ``sqlstate`` and ``text``.
    """
    done = subprocess.run(
        [sys.executable, "-c", _CLIENT_PROCESS, bouncer.dsn()],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    result: dict[str, str] | None = json.loads(done.stdout)
    return result


_LOGGED_STEP = re.compile(
    r"duration: [0-9.]+ ms  (parse|bind|execute(?: fetch from)?) ([^\s:/]+)(?:/(\S+?))?: "
)


class StatementLog:
    """The Parse/Bind/Execute steps the server logged from a point on.

    The database must have ``log_min_duration_statement = 0`` (the server then logs each step
    with its statement's name). Make one before the code under test runs; :meth:`steps` reads
    what was logged since.
    """

    def __init__(self, cluster: Cluster) -> None:
        self._path = cluster.log_path
        self._offset = self._path.stat().st_size

    def text(self) -> str:
        """The server log written since this object was made."""
        with open(self._path, "rb") as log:
            log.seek(self._offset)
            return log.read().decode("utf-8", errors="replace")

    def steps(self) -> list[tuple[str, str]]:
        """``(step, statement name)`` of each logged step: ``("parse", "<unnamed>")``..."""
        return [(match[1], match[2]) for match in _LOGGED_STEP.finditer(self.text())]

    def named_statements(self) -> set[str]:
        """The names of the named statements the server prepared, bound or executed."""
        return {name for _, name in self.steps() if name != "<unnamed>"}


class Hog:
    """A client that holds a server connection of PgBouncer in an open transaction.

    PgBouncer reuses its most recently released server connection first (LIFO, the default
    ``server_round_robin = 0``), so :meth:`take` holds the server connection that another
    client used last, and that client's next request goes to another server connection.
    """

    def __init__(self, connection: pgasync.Connection) -> None:
        self.connection = connection
        self._transaction: pgasync.Transaction | None = None

    async def take(self) -> int:
        """BEGIN: hold the server connection released last; its backend pid."""
        assert self._transaction is None
        self._transaction = self.connection.transaction()
        await self._transaction.start()
        pid: int = await self.connection.fetchval("SELECT pg_backend_pid()")
        return pid

    async def give(self) -> None:
        """COMMIT: give the server connection back."""
        assert self._transaction is not None
        transaction, self._transaction = self._transaction, None
        await transaction.commit()
