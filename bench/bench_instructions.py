"""Client instructions per query under callgrind: pgconn and asyncpg, the same calls, one connection.

Wall-clock figures on a shared two-core machine move by 10% from run to run; instruction
counts move by well under 1%. For each driver a subprocess runs under ``valgrind
--tool=callgrind`` (only the client: the server runs outside valgrind), and for each query it
connects, makes the untimed checked call of ``bench_drivers.py`` plus a few more, then two
measured phases of ``1`` and ``1 + N`` calls. Each phase runs inside ``functools.reduce``, the
one C function that callgrind counts (``--toggle-collect``) and dumps after
(``--dump-after``); the difference of the two phases divided by ``N`` is the cost of one call,
with the phase's own fixed cost (the event loop's start and stop) cancelled out. The cost
includes everything the client process does for the call: the driver, asyncio (or uvloop),
the system-call wrappers, the garbage collector.

Rows of the table: the seven pgbench queries of ``bench_drivers.py`` (one connection, calls
one after another) and ``floor``: a raw ``asyncio.Protocol`` that writes a five-byte Sync on
an open connection and waits for the six-byte ReadyForQuery, the least a round trip through
the event loop costs, whatever the driver.

Usage: ``python bench/bench_instructions.py [--drivers pgconn,asyncpg] [--queries ...]
[--loop asyncio|uvloop] [--impl python|c] [--scale F] [--json PATH]``. ``--impl`` sets
``PGASYNC_IMPL`` in the measured process (the pure-Python or compiled build of pgasync's
extension modules, where they exist); ``--scale`` multiplies every query's call count.
"""

from __future__ import annotations

import sys
from pathlib import Path

if not __package__:
    # Run as a script: the modules next to this one are imported as the ``bench`` package.
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import argparse
import asyncio
import functools
import json
import os
import platform
import re
import shutil
import subprocess
import tempfile
from collections.abc import Callable, Sequence
from typing import Any

import pgconn
from bench.driver_queries import PGBENCH_QUERIES
from bench.driver_sessions import DRIVERS, BenchmarkError, Driver
from pgasync.cluster import Cluster, installation_for_tests

__all__ = ["CALLS", "FLOOR", "format_table", "main", "measure_driver", "parse_totals"]

#: Measured calls per query (the difference of the two phases): fewer for the heavy ones.
CALLS: dict[str, int] = {
    "1-pg_type": 20,
    "2-generate_series": 20,
    "3-large_object": 50,
    "4-arrays": 50,
    "5-copyfrom": 3,
    "6-batch": 3,
    "7-oneplusone": 400,
}
FLOOR = "floor"
_FLOOR_CALLS = 400
_WARM_CALLS = 5
_SYNC = b"S\x00\x00\x00\x04"


def _new_loop(kind: str) -> asyncio.AbstractEventLoop:
    if kind == "uvloop":
        import uvloop

        return uvloop.new_event_loop()
    return asyncio.new_event_loop()


class _RoundTrip(asyncio.Protocol):
    """The floor: Sync out, ReadyForQuery in, nothing decoded."""

    def __init__(self, loop: asyncio.AbstractEventLoop, transport: Any) -> None:
        self.loop = loop
        self.transport = transport
        self.waiter: asyncio.Future[None] | None = None
        self.received = 0

    def data_received(self, data: bytes) -> None:
        self.received += len(data)
        if self.received >= 6 and self.waiter is not None:
            self.received -= 6
            self.waiter.set_result(None)

    async def call(self) -> None:
        self.waiter = self.loop.create_future()
        self.transport.write(_SYNC)
        await self.waiter


def _phase(loop: asyncio.AbstractEventLoop, call: Callable[[], Any], count: int) -> None:
    """``count`` calls, inside functools.reduce: the part callgrind counts and dumps."""

    async def calls() -> None:
        for _ in range(count):
            await call()

    def run(_first: int, _second: int) -> int:
        loop.run_until_complete(calls())
        return 0

    functools.reduce(run, (0, 0))


def _child(dsn: str, driver_name: str, names: Sequence[str], loop_kind: str, scale: float) -> None:
    """The measured process: two phases per query, in the order of ``names``."""
    from bench.bench_drivers import _run_statements, _warm_up

    driver = next(d for d in DRIVERS if d.name == driver_name)
    loop = _new_loop(loop_kind)
    asyncio.set_event_loop(loop)
    for name in names:
        if name == FLOOR:
            connection = loop.run_until_complete(pgconn.connect(dsn))
            transport = connection._protocol.base_transport
            assert transport is not None
            trip = _RoundTrip(loop, transport)
            transport.set_protocol(trip)
            count = max(1, round(_FLOOR_CALLS * scale))
            call: Callable[[], Any] = trip.call
            for _ in range(_WARM_CALLS):
                loop.run_until_complete(call())
            _phase(loop, call, 1)
            _phase(loop, call, 1 + count)
            transport.close()
            continue
        query = next(q for q in PGBENCH_QUERIES if q.name == name)
        loop.run_until_complete(_run_statements(dsn, query.setup))
        session = loop.run_until_complete(driver.connect(dsn))
        for statement in query.session_setup:
            loop.run_until_complete(session.execute(statement))
        records = query.records() if query.records is not None else ()
        timed, _shape = loop.run_until_complete(_warm_up(session, query, records, driver.name))
        for _ in range(_WARM_CALLS):
            loop.run_until_complete(timed())
        count = max(1, round(CALLS[name] * scale))
        _phase(loop, timed, 1)
        _phase(loop, timed, 1 + count)
        loop.run_until_complete(session.close())
        loop.run_until_complete(_run_statements(dsn, query.teardown))
    loop.close()


def parse_totals(text: str) -> int:
    """The instruction count (``Ir``) of one callgrind dump's ``totals:`` or ``summary:`` line.

    Raises:
        BenchmarkError: the dump has no such line.
    """
    match = re.search(r"^(?:totals|summary):\s*(\d+)", text, re.MULTILINE)
    if match is None:
        raise BenchmarkError("a callgrind dump without a totals line")
    return int(match.group(1))


def measure_driver(
    dsn: str, driver: Driver, names: Sequence[str], *, loop: str, impl: str | None, scale: float
) -> dict[str, float]:
    """Instructions per call of ``driver`` for each query in ``names``, in one callgrind run.

    Raises:
        BenchmarkError: valgrind failed, or did not write one dump per phase.
    """
    with tempfile.TemporaryDirectory(prefix="pgasync-callgrind-") as directory:
        out = Path(directory) / "cg.out"
        env = dict(os.environ)
        if impl is not None:
            env["PGASYNC_IMPL"] = impl
        command = [
            "valgrind",
            "--tool=callgrind",
            "--collect-atstart=no",
            "--toggle-collect=functools_reduce",
            "--dump-after=functools_reduce",
            f"--callgrind-out-file={out}",
            sys.executable,
            str(Path(__file__).resolve()),
            "--child",
            dsn,
            driver.name,
            ",".join(names),
            loop,
            str(scale),
        ]
        completed = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
        if completed.returncode != 0:
            raise BenchmarkError(f"{driver.name} under callgrind failed:\n{completed.stderr[-3000:]}")
        dumps = sorted(
            (p for p in Path(directory).iterdir() if re.fullmatch(r"cg\.out\.\d+", p.name)),
            key=lambda p: int(p.name.rsplit(".", 1)[1]),
        )
        if len(dumps) < 2 * len(names):
            raise BenchmarkError(f"{driver.name}: {len(dumps)} callgrind dumps for {len(names)} queries")
        totals = [parse_totals(p.read_text()) for p in dumps[: 2 * len(names)]]
    figures: dict[str, float] = {}
    for index, name in enumerate(names):
        count = max(1, round((_FLOOR_CALLS if name == FLOOR else CALLS[name]) * scale))
        figures[name] = (totals[2 * index + 1] - totals[2 * index]) / count
    return figures


def format_table(figures: dict[str, dict[str, float]], names: Sequence[str]) -> str:
    """Instructions per call per driver, pgconn's over asyncpg's, and pgconn's above the floor."""
    drivers = list(figures)
    header = f"{'query':<18}" + "".join(f"{d + ' instr':>16}" for d in drivers)
    both = "pgconn" in figures and "asyncpg" in figures
    if both:
        header += f"{'pgconn/asyncpg':>16}"
    lines = [header]
    for name in names:
        line = f"{name:<18}" + "".join(f"{figures[d][name]:>16,.0f}" for d in drivers)
        if both:
            line += f"{figures['pgconn'][name] / figures['asyncpg'][name]:>16.2f}"
        lines.append(line)
    if FLOOR in names:
        lines.append("")
        for driver in drivers:
            floor = figures[driver][FLOOR]
            above = {n: figures[driver][n] - floor for n in names if n != FLOOR}
            lines.append(f"{driver} above the floor: " + ", ".join(f"{n} {v:,.0f}" for n, v in above.items()))
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    """Parse arguments, find or start a server, measure under callgrind, print the table.

    Returns:
        The exit status, 0.

    Raises:
        BenchmarkError: valgrind failed or a driver returned wrong values.
    """
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] == "--child":
        _child(argv[1], argv[2], argv[3].split(","), argv[4], float(argv[5]))
        return 0
    known = [*CALLS, FLOOR]
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--drivers", default="pgconn,asyncpg")
    parser.add_argument("--queries", default=",".join(known))
    parser.add_argument("--loop", choices=("asyncio", "uvloop"), default="asyncio")
    parser.add_argument("--impl", choices=("python", "c"), default=None)
    parser.add_argument("--scale", type=float, default=1.0, help="multiplies every query's call count")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args(argv)
    names = [n.strip() for n in args.queries.split(",") if n.strip()]
    unknown = [n for n in names if n not in known]
    if unknown:
        parser.error(f"unknown queries {unknown}; choose from {', '.join(known)}")
    drivers = [d for d in DRIVERS if d.name in args.drivers.split(",")]
    missing = [d.name for d in drivers if not d.is_installed()]
    if missing:
        print(f"not installed, left out: {', '.join(missing)} (run with `hatch run bench:python ...`)")
        drivers = [d for d in drivers if d.name not in missing]
    if shutil.which("valgrind") is None:
        raise BenchmarkError("valgrind is not installed (apt-get install valgrind)")

    def measure(dsn: str) -> dict[str, dict[str, float]]:
        return {
            d.name: measure_driver(dsn, d, names, loop=args.loop, impl=args.impl, scale=args.scale)
            for d in drivers
        }

    dsn = os.environ.get("PGASYNC_DSN")
    if dsn:
        figures = measure(dsn)
    else:
        with Cluster(installation_for_tests()) as cluster:
            cluster.start()
            figures = measure(cluster.dsn())
    print(
        f"Python {platform.python_version()}, {args.loop} loop"
        + (f", PGASYNC_IMPL={args.impl}" if args.impl else "")
        + "; client instructions per call (callgrind Ir)"
    )
    print(format_table(figures, names))
    if args.json:
        args.json.write_text(json.dumps({"loop": args.loop, "impl": args.impl, "figures": figures}, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
