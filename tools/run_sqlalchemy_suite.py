"""Run SQLAlchemy's own PostgreSQL test suite against ``postgresql+pgasync`` and, in the same
run, against ``postgresql+asyncpg``, and print the counts side by side.

Usage (from the repository root)::

    python -m hatch run sqla-suite            # test/dialect/postgresql, both drivers
    python -m hatch run sqla-suite --subset ci  # the quick subset CI runs
    python -m hatch run sqla-suite -- test/sql/test_query.py  # chosen test paths

What it does:

1. ``pip download --no-binary`` the source distribution of the SQLAlchemy version installed in
   this environment (kept under ``.cache/sqlalchemy-suite/``; the sdist carries ``test/`` and
   its pytest plugin, which takes ``--dburi``), and names ``+pgasync`` beside ``+asyncpg`` in
   the copy's ``test/requirements.py`` (see :func:`grant_asyncpg_requirements`).
2. Starts a throwaway PostgreSQL with :mod:`pgasync.cluster`, prepared as SQLAlchemy's
   README.unittests asks: a UTF-8 database ``test``, the schemas ``test_schema`` and
   ``test_schema_2``, ``hstore`` and ``citext``, English text search, prepared transactions.
3. Runs the tests with this environment's Python for pgasync, and with the ``bench``
   environment's Python (which has asyncpg) for asyncpg, each writing a JUnit XML report.
4. Prints passed / failed / errors / skipped / xfailed per driver, and the tests that fail on
   one driver only. ``--require-pgasync-at-least-asyncpg`` makes the exit status 1 when a test
   passes on asyncpg but fails on pgasync, other than the ``KNOWN_DIFFERENCES`` (what CI checks).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from importlib.metadata import version
from pathlib import Path

from pgasync.cluster import LOOPBACK_ADDRESSES, Cluster, HbaRule

ROOT = Path(__file__).resolve().parent.parent
CACHE = ROOT / ".cache" / "sqlalchemy-suite"
FULL = ["test/dialect/postgresql"]
# A subset that runs in about a minute per driver: the dialect's round trips of types, the
# dialect's own behaviour, and the core query tests.
CI_SUBSET = [
    "test/dialect/postgresql/test_dialect.py",
    "test/dialect/postgresql/test_query.py",
    "test/sql/test_query.py",
]
DATABASE = "test"
# Tests that pass on asyncpg and fail on pgasync by design, with the reason; the CI check
# ignores them (any other such test fails it).
_NATIVE_INET = (
    "the test's body expects ipaddress objects from +psycopg and +asyncpg only and strings from any "
    "other driver; pgasync returns ipaddress objects, as asyncpg does"
)
_INET_TEST = "test.dialect.postgresql.test_types.InetRoundTripTests::test_default_native_inet_types"
KNOWN_DIFFERENCES: dict[str, str] = {
    f"{_INET_TEST}[{case}]": _NATIVE_INET
    for case in (
        "CIDR-<lambda>-IPv4Network",
        "CIDR-<lambda>-IPv6Network",
        "INET-<lambda>-IPv4Address",
        "INET-<lambda>-IPv6Address",
    )
}
DRIVER_SUFFIX = re.compile(r"_postgresql\+\w+")


@dataclass
class Outcome:
    """The results of one driver's run: test id -> passed/failed/error/skipped/xfailed."""

    results: dict[str, str] = field(default_factory=dict)

    def count(self, status: str) -> int:
        return sum(1 for value in self.results.values() if value == status)


def find_hatch() -> list[str]:
    """The command that runs hatch (the ``bench`` environment's Python is found through it)."""
    found = shutil.which("hatch")
    if found:
        return [found]
    return [shutil.which("python3") or "python3", "-m", "hatch"]


def bench_python() -> str:
    """The interpreter of the ``bench`` environment (created if missing)."""
    hatch = find_hatch()
    subprocess.run([*hatch, "env", "create", "bench"], cwd=ROOT, check=True, capture_output=True)
    where = subprocess.run(
        [*hatch, "env", "find", "bench"], cwd=ROOT, check=True, capture_output=True, text=True
    ).stdout.strip()
    return str(Path(where) / "bin" / "python")


def sqlalchemy_sdist() -> Path:
    """The unpacked source distribution of the installed SQLAlchemy version."""
    wanted = version("sqlalchemy")
    target = CACHE / f"sqlalchemy-{wanted}"
    if (target / "test").is_dir():
        return target
    CACHE.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as download:
        # The base interpreter's pip: hatch's uv-made environments have none of their own.
        pip = [str(Path(sys.base_prefix) / "bin" / "python3"), "-m", "pip"]
        subprocess.run(
            [*pip, "download", "--no-deps", "--no-binary", ":all:", f"sqlalchemy=={wanted}", "-d", download],
            check=True,
        )
        archive = next(Path(download).glob("sqlalchemy-*.tar.gz"))
        with tarfile.open(archive) as tar:
            tar.extractall(CACHE, filter="data")
    grant_asyncpg_requirements(target / "test" / "requirements.py")
    return target


def grant_asyncpg_requirements(requirements: Path) -> None:
    """Give ``+pgasync`` the feature requirements the suite grants ``+asyncpg`` by name.

    The suite's requirement rules list drivers by name (``range_types`` is
    ``only_on(["+psycopg2", "+psycopg", "+asyncpg", "+pg8000"])``); a driver it does not know
    loses those test classes without a trace (they are not even reported as skipped). pgasync
    runs on the asyncpg dialect's code, so in the downloaded copy it is named wherever asyncpg
    is, in the lists and varargs those names stand in.
    """
    text = requirements.read_text(encoding="utf-8")
    if "+pgasync" in text:
        return
    text = text.replace('"postgresql+asyncpg",', '"postgresql+asyncpg", "postgresql+pgasync",')
    text = text.replace('"+asyncpg",', '"+asyncpg", "+pgasync",')
    text = text.replace('"+asyncpg"]', '"+asyncpg", "+pgasync"]')
    requirements.write_text(text, encoding="utf-8")


def prepare_cluster() -> Cluster:
    """A running server prepared as SQLAlchemy's test suite expects."""
    rules = [HbaRule("host", "all", "postgres", "trust", address) for address in LOOPBACK_ADDRESSES]
    cluster = Cluster(hba_rules=rules, server_settings={"max_prepared_transactions": "10"})
    cluster.start()
    cluster.execute_sql(f"CREATE DATABASE {DATABASE} ENCODING 'utf8' TEMPLATE template0")
    cluster.execute_sql(
        "CREATE SCHEMA test_schema",
        "CREATE SCHEMA test_schema_2",
        "CREATE EXTENSION hstore",
        "CREATE EXTENSION citext",
        f"ALTER DATABASE {DATABASE} SET default_text_search_config = 'pg_catalog.english'",
        database=DATABASE,
    )
    return cluster


def run_suite(python: str, url: str, paths: list[str], sdist: Path, report: Path) -> Outcome:
    """Run ``paths`` of the suite with ``python`` against ``url``; the outcome of each test."""
    command = [
        python,
        "-m",
        "pytest",
        *paths,
        f"--dburi={url}",
        "--dropfirst",
        "-p",
        "no:cacheprovider",
        "-p",
        "no:asyncio",
        "-q",
        "--tb=line",
        "--maxfail=100000",
        f"--junitxml={report}",
        "-o",
        "junit_family=xunit1",
    ]
    environment = {key: value for key, value in os.environ.items() if key != "PYTHONPATH"}
    report.unlink(missing_ok=True)
    log = CACHE / f"{report.stem}.log"
    with log.open("w", encoding="utf-8") as output:
        subprocess.run(
            command, cwd=sdist, env=environment, stdout=output, stderr=subprocess.STDOUT, check=False
        )
    print(f"  pytest output: {log}", flush=True)
    return read_report(report)


def read_report(report: Path) -> Outcome:
    """Each test's outcome from a JUnit XML report."""
    outcome = Outcome()
    if not report.exists():
        return outcome
    for case in ET.parse(report).getroot().iter("testcase"):
        # The plugin names each test class after the backend (``Test_postgresql+pgasync_async_15_18``):
        # without that suffix the same test has the same id on both drivers.
        classname = DRIVER_SUFFIX.sub("", case.get("classname") or "")
        test_id = f"{classname}::{case.get('name')}"
        status = "passed"
        for child in case:
            if child.tag == "skipped":
                status = "xfailed" if child.get("type") == "pytest.xfail" else "skipped"
            elif child.tag in ("failure", "error"):
                status = "failed" if child.tag == "failure" else "error"
        outcome.results[test_id] = status
    return outcome


def print_summary(outcomes: dict[str, Outcome]) -> None:
    statuses = ["passed", "failed", "error", "skipped", "xfailed"]
    print(f"{'driver':<10}" + "".join(f"{status:>10}" for status in statuses) + f"{'total':>10}")
    for driver, outcome in outcomes.items():
        counts = "".join(f"{outcome.count(status):>10}" for status in statuses)
        print(f"{driver:<10}{counts}{len(outcome.results):>10}")


def only_failing_on(bad: Outcome, good: Outcome) -> list[str]:
    """Tests that fail (or error) in ``bad`` but pass in ``good``."""
    return sorted(
        test
        for test, status in bad.results.items()
        if status in ("failed", "error") and good.results.get(test) == "passed"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "paths", nargs="*", help="test paths inside the sdist (default: test/dialect/postgresql)"
    )
    parser.add_argument("--subset", choices=["full", "ci"], default="full")
    parser.add_argument("--only", choices=["pgasync", "asyncpg"], help="run one driver only")
    parser.add_argument("--require-pgasync-at-least-asyncpg", action="store_true")
    options = parser.parse_args(argv)
    paths = options.paths or (CI_SUBSET if options.subset == "ci" else FULL)
    sdist = sqlalchemy_sdist()
    drivers = {"pgasync": sys.executable, "asyncpg": ""}
    if options.only:
        drivers = {options.only: drivers[options.only]}
    if "asyncpg" in drivers:
        drivers["asyncpg"] = bench_python()
    cluster = prepare_cluster()
    outcomes: dict[str, Outcome] = {}
    try:
        for driver, python in drivers.items():
            url = f"postgresql+{driver}://postgres@127.0.0.1:{cluster.port}/{DATABASE}"
            print(f"running {' '.join(paths)} on {driver} ...", flush=True)
            outcomes[driver] = run_suite(python, url, paths, sdist, CACHE / f"{driver}.xml")
    finally:
        cluster.destroy()
    print(f"SQLAlchemy {version('sqlalchemy')} suite: {' '.join(paths)}")
    print_summary(outcomes)
    if len(outcomes) == 2:
        worse = only_failing_on(outcomes["pgasync"], outcomes["asyncpg"])
        better = only_failing_on(outcomes["asyncpg"], outcomes["pgasync"])
        print(f"\nfailing on pgasync only ({len(worse)}):")
        print("\n".join(f"  {test}" for test in worse) or "  none")
        print(f"\nfailing on asyncpg only ({len(better)}):")
        print("\n".join(f"  {test}" for test in better) or "  none")
        unexplained = [test for test in worse if test not in KNOWN_DIFFERENCES]
        for test in worse:
            if test in KNOWN_DIFFERENCES:
                print(f"  known: {test}: {KNOWN_DIFFERENCES[test]}")
        if options.require_pgasync_at_least_asyncpg and unexplained:
            print(f"{len(unexplained)} test(s) pass on asyncpg but fail on pgasync", file=sys.stderr)
            return 1
    if any(not outcome.results for outcome in outcomes.values()):
        print("a driver's run produced no results", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
