"""The running ``postgres`` process of a throwaway cluster: its directory, start, stop, cleanup.

:class:`ServerState` owns everything that must be undone: the temporary directory, the server
process and the watchdog. It holds no reference to the :class:`~pgasync.cluster.Cluster` that
uses it, so a finalizer can clean up through it when the cluster is garbage collected or the
interpreter exits.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from pgasync.cluster._binaries import PostgresInstallation
from pgasync.cluster._errors import ClusterError
from pgasync.cluster._osuser import ServerAccount, run_as
from pgasync.cluster._watchdog import Watchdog

__all__ = ["LOOPBACK_HOST", "ServerState", "free_port", "ipv6_loopback_available", "port_is_free"]

LOOPBACK_HOST = "127.0.0.1"
# Environment variables passed through to server programs; everything else (PGHOST, PGUSER,
# PGPASSWORD, ...) is left out so that the caller's environment cannot redirect them.
_PASSED_THROUGH = ("TZ", "LD_LIBRARY_PATH", "DYLD_LIBRARY_PATH", "SYSTEMROOT")
_POLL_INTERVAL = 0.01
_LOG_TAIL_LINES = 30
# Line 8 of postmaster.pid is the postmaster's status ("Starting the Database Server", the
# status pg_ctl -w waits for): "ready" or "standby" once it accepts connections.
_PIDFILE_STATUS_LINE = 7
_ACCEPTING = ("ready", "standby")


def free_port(host: str = LOOPBACK_HOST, *, also_ipv6: bool = True) -> int:
    """A TCP port that is free on ``host`` (and on ``::1`` when IPv6 works) right now.

    The kernel picks an unused port; it may be taken again before the server binds it, so the
    caller retries a start that fails with "Address already in use".

    Returns:
        The port number.
    """
    while True:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as ipv4:
            ipv4.bind((host, 0))
            port: int = ipv4.getsockname()[1]
            if not also_ipv6 or not ipv6_loopback_available():
                return port
            with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as ipv6:
                try:
                    ipv6.bind(("::1", port))
                except OSError:
                    continue
                return port


def port_is_free(port: int, host: str = LOOPBACK_HOST) -> bool:
    """Whether TCP ``port`` on ``host`` can be bound right now, as the server binds it.

    PostgreSQL sets SO_REUSEADDR on its listening socket, so connections of its previous run
    left in TIME_WAIT do not keep it from listening on the same port again; the probe does
    the same, so a restarted cluster keeps its port (and the DSNs handed out stay valid).
    """
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError:
            return False
    return True


def ipv6_loopback_available() -> bool:
    """Whether this machine can bind ``::1`` (containers often run without IPv6)."""
    if not socket.has_ipv6:
        return False
    try:
        with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as probe:
            probe.bind(("::1", 0))
    except OSError:
        return False
    return True


class ServerState:
    """The directory, server process and watchdog of one cluster.

    Args:
        installation: the binaries to run.
        account: the OS account to run them as.
    """

    def __init__(self, installation: PostgresInstallation, account: ServerAccount) -> None:
        self.installation = installation
        self.account = account
        self.directory: Path | None = None
        self.process: subprocess.Popen[bytes] | None = None
        self.watchdog: Watchdog | None = None
        self.is_destroyed = False

    @property
    def data_dir(self) -> Path:
        """The data directory (inside :attr:`directory`)."""
        return self.require_directory() / "data"

    @property
    def log_path(self) -> Path:
        """The server's log file: everything ``postgres`` writes to stdout and stderr."""
        return self.require_directory() / "server.log"

    def require_directory(self) -> Path:
        """The cluster directory, or ClusterError if there is none yet or any more."""
        if self.is_destroyed:
            raise ClusterError("the cluster was destroyed")
        if self.directory is None:
            raise ClusterError("the cluster is not initialized yet; call start() or initialize()")
        return self.directory

    @property
    def is_running(self) -> bool:
        """Whether the server process is alive."""
        return self.process is not None and self.process.poll() is None

    def environment(self) -> dict[str, str]:
        """The complete environment of server programs."""
        env = {
            "PATH": os.pathsep.join([os.fspath(self.installation.bindir), os.defpath]),
            "LANG": "C",
            "LC_ALL": "C",
            "HOME": os.fspath(self.require_directory()),
        }
        env.update({name: os.environ[name] for name in _PASSED_THROUGH if name in os.environ})
        return env

    def run(
        self, program: str, arguments: Sequence[str], *, input_text: str | None = None, timeout: float = 60.0
    ) -> subprocess.CompletedProcess[str]:
        """Run an installation program as the server account in the cluster directory.

        Raises:
            ClusterError: it could not be started or timed out (a non-zero exit is returned).
        """
        return run_as(
            self.account,
            [self.installation.program(program), *arguments],
            cwd=self.require_directory(),
            env=self.environment(),
            input_text=input_text,
            timeout=timeout,
        )

    def create_directory(self, base_dir: Path | None) -> Path:
        """Create the cluster directory, owned by the server account, and start the watchdog."""
        directory = Path(tempfile.mkdtemp(prefix="pgasync-cluster-", dir=base_dir)).resolve()
        self.directory = directory
        self.account.give(directory, 0o700)
        self.watchdog = Watchdog(directory / "data", directory)
        return directory

    def log_tail(self, since: int = 0) -> str:
        """The last lines of the server log written after byte offset ``since``."""
        try:
            with open(self.log_path, "rb") as log:
                log.seek(since)
                text = log.read().decode("utf-8", "replace")
        except (OSError, ClusterError):
            return "(no server log)"
        lines = text.splitlines()[-_LOG_TAIL_LINES:]
        return "\n".join(lines) if lines else "(the server log is empty)"

    def log_size(self) -> int:
        """The current size of the server log in bytes (0 before it exists)."""
        try:
            return self.log_path.stat().st_size
        except OSError:
            return 0

    def launch(self, port: int, timeout: float) -> None:
        """Start ``postgres`` and wait until it accepts connections on ``port``.

        Raises:
            ClusterError: the server exited or did not become ready within ``timeout`` seconds;
                the message holds the log lines of this start.
        """
        since = self.log_size()
        with open(self.log_path, "ab") as log:
            # Its own session: a Ctrl-C meant for the test run must not shut the server down
            # under the fixtures that are about to stop it properly.
            self.process = subprocess.Popen(
                [os.fspath(self.installation.program("postgres")), "-D", os.fspath(self.data_dir)],
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                cwd=self.require_directory(),
                env=self.environment(),
                start_new_session=True,
                **self.account.popen_arguments(),
            )
        deadline = time.monotonic() + timeout
        while True:
            code = self.process.poll()
            if code is not None:
                self.process = None
                raise ClusterError(
                    f"the server exited with status {code} while starting; log:\n{self.log_tail(since)}"
                )
            if self._pidfile_says_ready() and _accepts(port):
                return
            if time.monotonic() > deadline:
                self.stop()
                raise ClusterError(
                    f"the server did not accept connections within {timeout} s; log:\n{self.log_tail(since)}"
                )
            time.sleep(_POLL_INTERVAL)

    def _pidfile_says_ready(self) -> bool:
        if self.installation.version_info[0] < 10:
            # Servers before 10 write no status line; the port check decides alone.
            return True
        try:
            lines = (
                (self.data_dir / "postmaster.pid").read_text(encoding="utf-8", errors="replace").splitlines()
            )
        except OSError:
            return False
        # The file grows line by line while the postmaster starts; until the status line is
        # there, the server answers "the database system is starting up".
        return len(lines) > _PIDFILE_STATUS_LINE and lines[_PIDFILE_STATUS_LINE].strip() in _ACCEPTING

    def stop(self) -> None:
        """Stop the server: ``pg_ctl stop -m fast``, then immediate shutdown, then SIGKILL. Idempotent."""
        process = self.process
        if process is None:
            return
        if process.poll() is None:
            result = self.run(
                "pg_ctl", ["stop", "-D", os.fspath(self.data_dir), "-m", "fast", "-w", "-t", "30"]
            )
            if result.returncode != 0 or not _exited(process, 5.0):
                # "Shutting Down the Server": SIGQUIT is immediate shutdown; SIGKILL is the last resort.
                with contextlib.suppress(ProcessLookupError):
                    process.send_signal(signal.SIGQUIT)
                if not _exited(process, 10.0):
                    process.kill()
        process.wait()
        self.process = None

    def destroy(self) -> None:
        """Stop the server, delete the directory and dismiss the watchdog. Idempotent."""
        if self.is_destroyed:
            return
        try:
            if self.directory is not None:
                self.stop()
        finally:
            self.is_destroyed = True
            if self.directory is not None:
                shutil.rmtree(self.directory, ignore_errors=True)
            if self.watchdog is not None:
                self.watchdog.release()
                self.watchdog = None


def _exited(process: subprocess.Popen[bytes], timeout: float) -> bool:
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        return False
    return True


def _accepts(port: int) -> bool:
    try:
        with socket.create_connection((LOOPBACK_HOST, port), timeout=1.0):
            return True
    except OSError:
        return False
