"""A watchdog process that removes a throwaway cluster when its owner dies.

``atexit`` and finalizers do not run when the test process is killed (SIGKILL, an out-of-memory
kill, a CI timeout). So each cluster starts a tiny Python process in its own session that holds
the read end of a pipe from the owner. The owner writes ``release`` before it closes the pipe
after cleaning up itself; if the pipe reaches end-of-file without it, the owner is gone, and the
watchdog shuts the server down immediately (SIGQUIT, then SIGKILL) and deletes the directory.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
from pathlib import Path

from pgasync.cluster._errors import ClusterError

__all__ = ["Watchdog"]

# Runs with -I -S (isolated, no site), so it needs nothing but the standard library.
# The postmaster's pid is the first line of postmaster.pid ("Starting the Database Server",
# the data directory's lock file); immediate shutdown is SIGQUIT ("Shutting Down the Server").
_SCRIPT = r"""
import os, shutil, signal, sys, time

data_dir, directory = sys.argv[1], sys.argv[2]
signal.signal(signal.SIGINT, signal.SIG_IGN)
received = b""
try:
    while True:
        chunk = os.read(0, 4096)
        if not chunk:
            break
        received += chunk
except OSError:
    pass
if received.endswith(b"release\n"):
    sys.exit(0)


def alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        with open("/proc/%d/stat" % pid) as stat:
            # A zombie nobody reaps (no init in a container) is dead for our purpose.
            return stat.read().rsplit(")", 1)[1].split()[0] not in ("Z", "X")
    except OSError:
        return True


def wait_gone(pid, seconds):
    deadline = time.monotonic() + seconds
    while alive(pid):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True


pid = 0
try:
    with open(os.path.join(data_dir, "postmaster.pid")) as lock:
        pid = int(lock.readline().strip())
except (OSError, ValueError):
    pid = 0
if pid > 0:
    for number in (signal.SIGQUIT, signal.SIGKILL):
        try:
            os.kill(pid, number)
        except OSError:
            break
        if wait_gone(pid, 5.0):
            break
shutil.rmtree(directory, ignore_errors=True)
"""


class Watchdog:
    """The watchdog process of one cluster.

    Args:
        data_dir: the cluster's data directory, where ``postmaster.pid`` appears.
        directory: the directory to delete when the owner dies.

    Raises:
        ClusterError: the watchdog process could not be started.
    """

    def __init__(self, data_dir: Path, directory: Path) -> None:
        try:
            # Its own session: a Ctrl-C in the terminal must not take the watchdog down with us.
            self._process = subprocess.Popen(
                [sys.executable, "-I", "-S", "-c", _SCRIPT, os.fspath(data_dir), os.fspath(directory)],
                stdin=subprocess.PIPE,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                start_new_session=True,
                close_fds=True,
            )
        except OSError as error:
            raise ClusterError(f"could not start the cluster watchdog: {error}") from error

    @property
    def pid(self) -> int:
        """The watchdog's process id."""
        return self._process.pid

    def release(self) -> None:
        """Tell the watchdog the owner cleaned up, and wait for it to exit. Idempotent."""
        stdin = self._process.stdin
        if stdin is not None and not stdin.closed:
            try:
                stdin.write(b"release\n")
                stdin.flush()
            except OSError:
                # The watchdog is already gone; nothing is left to release.
                pass
            finally:
                # Closing flushes; a watchdog that already exited leaves a broken pipe.
                with contextlib.suppress(OSError):
                    stdin.close()
        try:
            self._process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()
