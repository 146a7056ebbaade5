"""The operating-system account the throwaway server runs as, and how to run commands as it.

``initdb`` and ``postgres`` refuse to run as root (PostgreSQL documentation, "Creating a Database
Cluster": the server must be owned by an unprivileged user). When this process is root, every
server-side command runs as ``postgres`` if that account exists, else ``nobody``, through
:class:`subprocess.Popen`'s ``user=``/``group=`` switch with root's supplementary groups dropped.
Otherwise commands run as the current user.
"""

from __future__ import annotations

import os
import pwd
import stat
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pgasync.cluster._errors import ClusterError

__all__ = ["ServerAccount", "is_reachable_by_others", "run_as", "server_account"]

# Preferred unprivileged accounts, in order, when this process is root.
_CANDIDATE_ACCOUNTS = ("postgres", "nobody")


@dataclass(frozen=True, slots=True)
class ServerAccount:
    """The OS account server commands run as.

    Attributes:
        name: the login name.
        uid: the numeric user id.
        gid: the numeric primary group id.
        is_switched: whether commands switch to this account (this process is root).
    """

    name: str
    uid: int
    gid: int
    is_switched: bool

    def popen_arguments(self) -> dict[str, Any]:
        """Keyword arguments for :class:`subprocess.Popen` that run the child as this account.

        Returns:
            ``user``, ``group`` and an empty ``extra_groups`` when switching, else nothing.
        """
        if not self.is_switched:
            return {}
        # extra_groups=[] drops root's supplementary groups, which setuid alone would keep.
        return {"user": self.uid, "group": self.gid, "extra_groups": []}

    def give(self, path: Path, mode: int) -> None:
        """Make ``path`` owned by this account with permission bits ``mode``.

        Args:
            path: an existing file or directory.
            mode: the permission bits to set.
        """
        if self.is_switched:
            os.chown(path, self.uid, self.gid)
        os.chmod(path, mode)


def server_account() -> ServerAccount:
    """The account server commands run as, for this process.

    Returns:
        The current user when not root; else ``postgres`` or, failing that, ``nobody``.

    Raises:
        ClusterError: this process is root and neither account exists.
    """
    if os.geteuid() != 0:
        entry = pwd.getpwuid(os.geteuid())
        return ServerAccount(entry.pw_name, entry.pw_uid, entry.pw_gid, is_switched=False)
    for name in _CANDIDATE_ACCOUNTS:
        try:
            entry = pwd.getpwnam(name)
        except KeyError:
            continue
        return ServerAccount(entry.pw_name, entry.pw_uid, entry.pw_gid, is_switched=True)
    raise ClusterError(
        "running as root, but neither a 'postgres' nor a 'nobody' account exists to run the "
        "PostgreSQL server as (initdb and postgres refuse root); create one, e.g. "
        "'useradd --system postgres'"
    )


def is_reachable_by_others(path: Path) -> bool:
    """Whether an unrelated unprivileged account can read ``path`` through its parents.

    Args:
        path: a file or directory.

    Returns:
        True when every parent directory is searchable by others and ``path`` is readable by others.
    """
    resolved = path.resolve()
    try:
        if not os.stat(resolved).st_mode & stat.S_IROTH:
            return False
        return all(os.stat(parent).st_mode & stat.S_IXOTH for parent in resolved.parents)
    except OSError:
        return False


def run_as(
    account: ServerAccount,
    command: Sequence[str | os.PathLike[str]],
    *,
    cwd: Path,
    env: Mapping[str, str],
    input_text: str | None = None,
    timeout: float = 60.0,
) -> subprocess.CompletedProcess[str]:
    """Run ``command`` as ``account`` and wait for it, capturing its output.

    Args:
        account: the account to run as.
        command: the program and its arguments.
        cwd: the working directory, which the account must be able to enter.
        env: the complete environment of the child.
        input_text: text written to the child's standard input, if any.
        timeout: seconds before the child is killed.

    Returns:
        The finished process; the caller checks ``returncode``.

    Raises:
        ClusterError: the program could not be started or did not finish in time.
    """
    try:
        return subprocess.run(
            [os.fspath(part) for part in command],
            cwd=cwd,
            env=dict(env),
            input=input_text,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
            **account.popen_arguments(),
        )
    except (OSError, subprocess.SubprocessError) as error:
        raise ClusterError(f"could not run {os.fspath(command[0])}: {error}") from error
