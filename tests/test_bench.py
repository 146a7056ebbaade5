"""Correctness guards for the benchmarks: on tiny runs, every benchmark counts exactly.

bench/bench_framing.py on a tiny stream; bench/bench_drivers.py on the shared test server for a
fraction of a second (its COPY OUTs on 1,000 rows), pgconn always, asyncpg and psycopg when
installed (the ``bench`` environment); bench/bench_pool.py in its ``--quick`` mode, pgpool
always, asyncpg's pool and psycopg_pool when installed. No timing is asserted: the point is that
the benchmarks measure the work they claim (every message decoded, every row seen, every driver
returning the same rows, every acquire counted), so a broken path cannot report a fast, empty run.
"""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from collections.abc import Callable, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from bench.bench_drivers import (
    DRIVERS,
    PGBENCH_QUERIES,
    QUERIES,
    BenchmarkError,
    Driver,
    Query,
    QueryResult,
    Session,
    batch_rows,
    copy_out_queries,
    copy_rows,
    format_table,
    geometric_mean_ratio,
)
from bench.bench_drivers import main as drivers_main
from bench.bench_drivers import run_all as run_drivers
from bench.bench_framing import (
    Counts,
    Stream,
    collect_batches,
    drain_client,
    drain_per_message,
    iterate_rows,
    main,
    mixed_stream,
    ready_client,
    row_stream,
    run_all,
)
from bench.bench_pool import CONTENDERS as POOLS
from bench.bench_pool import WORKLOADS, Contender, PoolHandle, core_overhead, measure_round, percentile
from bench.bench_pool import main as pool_main
from bench.driver_sessions import Sink

import pgconn
from pgasync.cluster import Cluster
from pgwire import DataRow, Framer, NoticeResponse, NotificationResponse, ParameterStatus, decode_backend

ROWS = 1000


def frame_types(stream: Stream) -> list[int]:
    """The type byte of every frame in ``stream``, cut independently of the benchmark."""
    framer = Framer()
    framer.receive_data(stream.data)
    types: list[int] = []
    while (frame := framer.next_message()) is not None:
        types.append(frame[0])
    assert framer.buffered == 0
    return types


def test_row_stream_holds_what_it_says() -> None:
    stream = row_stream(ROWS)
    types = frame_types(stream)
    assert types == [ord("T")] + [ord("D")] * ROWS + [ord("C"), ord("Z")]
    assert (stream.messages, stream.rows, stream.values, stream.queries) == (ROWS + 3, ROWS, 3 * ROWS, 1)


def test_mixed_stream_holds_what_it_says() -> None:
    stream = mixed_stream(100)
    types = frame_types(stream)
    assert len(types) == stream.messages
    assert types.count(ord("D")) == stream.rows
    assert types.count(ord("Z")) == stream.queries == 100
    # 99 SELECT cycles of 1 + i % 5 rows, one SET cycle (i = 99, which would have had 5 rows).
    assert stream.rows == sum(1 + cycle % 5 for cycle in range(99))
    framer = Framer()
    framer.receive_data(stream.data)
    asynchronous: list[type] = []
    while (frame := framer.next_message()) is not None:
        message = decode_backend(*frame)
        if isinstance(message, NoticeResponse | NotificationResponse | ParameterStatus):
            asynchronous.append(type(message))
    assert asynchronous.count(NoticeResponse) == 9  # cycles 9, 19, ..., 89 (99 is the SET)
    assert asynchronous.count(NotificationResponse) == 4  # after cycles 24, 49, 74, 99
    assert asynchronous.count(ParameterStatus) == 1


def test_batch_path_counts_every_row() -> None:
    stream = row_stream(ROWS)
    counts = drain_client(ready_client(stream.queries), stream.chunks(64))
    assert counts.rows == ROWS
    assert counts.messages == ROWS + 3
    # Rows come batched: fewer events than messages, and at least the three non-row messages.
    assert 4 <= counts.events < counts.messages


def test_per_message_path_counts_every_message() -> None:
    stream = row_stream(ROWS)
    assert drain_per_message(stream.chunks(100)) == Counts(events=ROWS + 3, messages=ROWS + 3, rows=ROWS)


def test_mixed_stream_through_the_client() -> None:
    stream = mixed_stream(100)
    counts = drain_client(ready_client(stream.queries), stream.chunks())
    assert counts.messages == stream.messages
    assert counts.rows == stream.rows


def test_client_that_misses_answers_is_reported() -> None:
    stream = row_stream(10)
    # Two queries sent, one answered: the run must not pass as complete.
    with pytest.raises(RuntimeError, match="unanswered"):
        drain_client(ready_client(2), stream.chunks())


def test_iterate_rows_sees_every_value() -> None:
    stream = row_stream(ROWS)
    batches = collect_batches(stream)
    counts = iterate_rows(batches)
    assert (counts.rows, counts.values) == (ROWS, 3 * ROWS)
    # The values are the encoded ones, NULLs included.
    expected = [DataRow.decode(payload).values for batch in batches for payload in batch.payloads()]
    assert [row for batch in batches for row in batch.rows()] == expected
    assert sum(value is None for row in expected for value in row) == ROWS - len(range(0, ROWS, 7))


def test_run_all_reports_exact_counts() -> None:
    results = run_all(rows=ROWS, repeat=1)
    mixed = mixed_stream(ROWS // 10)
    big = row_stream(ROWS)
    assert [(result.name, result.unit, result.count, result.nbytes) for result in results] == [
        ("rows/batch", "messages", ROWS + 3, len(big.data)),
        ("rows/per-message", "messages", ROWS + 3, len(big.data)),
        ("mixed/client", "messages", mixed.messages, len(mixed.data)),
        ("rows/iterate", "rows", ROWS, 0),
    ]
    assert all(len(result.seconds) == 1 for result in results)


def test_main_writes_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "figures.json"
    assert main(["--rows", str(ROWS), "--repeat", "2", "--json", str(path)]) == 0
    report = json.loads(path.read_text())
    assert (report["rows"], report["repeat"]) == (ROWS, 2)
    assert [(entry["name"], entry["count"], len(entry["seconds"])) for entry in report["results"]] == [
        ("rows/batch", ROWS + 3, 2),
        ("rows/per-message", ROWS + 3, 2),
        ("mixed/client", mixed_stream(ROWS // 10).messages, 2),
        ("rows/iterate", ROWS, 2),
    ]
    assert "rows/per-message" in capsys.readouterr().out


@pytest.mark.parametrize("argument", ["--rows=0", "--repeat=0"])
def test_main_refuses_non_positive_options(argument: str) -> None:
    with pytest.raises(SystemExit):
        main([argument])


# --- bench_drivers.py ---------------------------------------------------------------------

PGCONN = DRIVERS[0]
COPY_OUT_ROWS = 1000
#: Every query, the COPY OUTs cut down to 1,000 rows.
TINY_QUERIES = (*PGBENCH_QUERIES, *copy_out_queries(COPY_OUT_ROWS))


def tiny_query(name: str) -> Query:
    return next(query for query in TINY_QUERIES if query.name == name)


async def tiny_run(
    cluster: Cluster, drivers: Sequence[Driver], queries: Sequence[Query] = TINY_QUERIES
) -> list[QueryResult]:
    """One round of 0.05 s on two connections per driver (one for the COPY OUTs)."""
    return await run_drivers(
        plain_dsn(cluster), drivers=drivers, queries=queries, duration=0.05, rounds=1, concurrency=2
    )


def plain_dsn(cluster: Cluster) -> str:
    # The shared server may have TLS on; the benchmark's own server has not.
    return cluster.dsn(sslmode="disable")


def test_the_default_queries_copy_a_million_rows_out() -> None:
    assert [query.name for query in QUERIES] == [query.name for query in TINY_QUERIES]
    copy_out = [query for query in QUERIES if query.kind in ("copy_out", "copy_records")]
    assert len(copy_out) == 2
    assert all("generate_series(1, 1000000)" in query.sql and query.connections == 1 for query in copy_out)
    assert all(query.in_mean == (query in PGBENCH_QUERIES) for query in QUERIES)


async def test_every_query_returns_its_rows_through_pgconn(cluster: Cluster) -> None:
    dsn = plain_dsn(cluster)
    results = await tiny_run(cluster, [PGCONN])
    connection = await pgconn.connect(dsn)
    try:
        pg_types = await connection.fetchval(
            "SELECT count(*) FROM pg_type WHERE typtypmod = -1 AND typisdefined"
        )
        leftovers = await connection.fetchval(
            "SELECT count(*) FROM pg_class WHERE relname IN "
            "('_bench_large_object', '_bench_arrays', '_bench_batch', '_bench_copy')"
        )
    finally:
        await connection.close()
    assert {result.name: (result.rows_per_call, result.columns) for result in results} == {
        "1-pg_type": (pg_types, 12),
        "2-generate_series": (1000, 1),
        "3-large_object": (100, 1),
        "4-arrays": (100, 1),
        "5-copyfrom": (10_000, 7),
        "6-batch": (1000, 7),
        "7-oneplusone": (1, 1),
        "copyout": (COPY_OUT_ROWS, 3),
        "copyout-records": (COPY_OUT_ROWS, 3),
    }
    for result in results:
        assert result.skip is None
        # Each connection (two, one for a COPY OUT) makes at least one timed call before its deadline.
        assert result.calls["pgconn"][0] >= (2 if result.in_mean else 1)
        assert len(result.qps["pgconn"]) == 1
        assert result.qps["pgconn"][0] > 0
    copy_in = next(result for result in results if result.name == "5-copyfrom")
    assert copy_in.rows_per_second("pgconn") == pytest.approx(copy_in.qps["pgconn"][0] * 10_000)
    assert leftovers == 0


@pytest.mark.parametrize(
    ("name", "wrong"),
    [
        ("1-pg_type", [("int4", 11, 10, 4, True, "N", False, False, ",", 0, 0, 1007)]),
        ("2-generate_series", [(i,) for i in range(1, 1000)]),
        ("3-large_object", [(bytes(999),)] * 100),
        ("4-arrays", [(list(range(100)),)] * 100),
        ("7-oneplusone", [(3,)]),
        # COPY OUT's text: the numeric with two decimals; a row missing.
        ("copyout", [(str(i), str(i), f"{i * 1.5:.2f}") for i in range(1, COPY_OUT_ROWS + 1)]),
        ("copyout", [(str(i), str(i), f"{i * 1.5:.1f}") for i in range(1, COPY_OUT_ROWS)]),
        # The records: the text column as an integer.
        ("copyout-records", [(i, i, Decimal(i) * Decimal("1.5")) for i in range(1, COPY_OUT_ROWS + 1)]),
    ],
)
def test_value_checks_refuse_wrong_rows(name: str, wrong: list[tuple[Any, ...]]) -> None:
    query = tiny_query(name)
    assert query.check is not None
    assert query.check(wrong) is not None


@pytest.mark.parametrize(
    ("name", "right"),
    [
        ("copyout", [(str(i), str(i), f"{i * 1.5:.1f}") for i in range(1, COPY_OUT_ROWS + 1)]),
        ("copyout-records", [(i, str(i), Decimal(i) * Decimal("1.5")) for i in range(1, COPY_OUT_ROWS + 1)]),
    ],
)
def test_value_checks_take_the_copied_rows(name: str, right: list[tuple[Any, ...]]) -> None:
    query = tiny_query(name)
    assert query.check is not None
    assert query.check(right) is None


class FaultySession:
    """A pgconn session whose every ``every``-th call of each method loses data.

    A fetch or a record stream loses its last row, an ``executemany`` or COPY FROM sends half
    of its rows, a COPY OUT loses the last byte of its output.
    """

    def __init__(self, inner: Session, every: int) -> None:
        self.inner = inner
        self.every = every
        self.calls: Counter[str] = Counter()

    def fails(self, method: str) -> bool:
        self.calls[method] += 1
        return self.calls[method] % self.every == 0

    async def fetch(self, sql: str, args: Sequence[Any]) -> Sequence[Sequence[Any]]:
        rows = await self.inner.fetch(sql, args)
        return rows[:-1] if self.fails("fetch") else rows

    async def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        await self.inner.executemany(sql, rows[: len(rows) // 2] if self.fails("executemany") else rows)

    async def execute(self, sql: str) -> None:
        await self.inner.execute(sql)

    async def copy_records_to_table(
        self, table: str, records: Sequence[Sequence[Any]], columns: Sequence[str], types: Sequence[str]
    ) -> None:
        if self.fails("copy_in"):
            records = records[: len(records) // 2]
        await self.inner.copy_records_to_table(table, records, columns, types)

    async def copy_from_query(self, query: str, sink: Sink) -> None:
        chunks: list[bytes] = []

        async def keep(chunk: bytes | bytearray | memoryview) -> None:
            chunks.append(bytes(chunk))

        await self.inner.copy_from_query(query, keep)
        data = b"".join(chunks)
        await sink(data[:-1] if self.fails("copy_out") else data)

    async def copy_records_from_query(self, query: str, types: Sequence[str]) -> Sequence[Sequence[Any]]:
        rows = await self.inner.copy_records_from_query(query, types)
        return rows[:-1] if self.fails("copy_records") else rows

    async def close(self) -> None:
        await self.inner.close()


async def connect_faulty(dsn: str) -> Session:
    # The first call of each method is the checked warm-up; the third is timed.
    return FaultySession(await PGCONN.connect(dsn), every=3)


async def connect_short(dsn: str) -> Session:
    # Every call loses data: consistent within the driver, not with pgconn, and wrong at once
    # where the warm-up checks values.
    return FaultySession(await PGCONN.connect(dsn), every=1)


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("2-generate_series", "different shapes"),
        ("5-copyfrom", "inserted"),
        ("6-batch", "inserted"),
        ("copyout", r"different shapes \[\(-1, "),
        ("copyout-records", "different shapes"),
    ],
)
async def test_a_driver_that_loses_rows_is_refused(cluster: Cluster, name: str, message: str) -> None:
    faulty = Driver("faulty", "pgconn", connect_faulty)
    with pytest.raises(BenchmarkError, match=message):
        await run_drivers(
            plain_dsn(cluster),
            drivers=[faulty],
            queries=[tiny_query(name)],
            duration=0.2,
            rounds=1,
            concurrency=1,
        )


@pytest.mark.parametrize("name", ["5-copyfrom", "6-batch", "copyout", "copyout-records"])
async def test_a_warm_up_that_loses_rows_is_refused(cluster: Cluster, name: str) -> None:
    short = Driver("short", "pgconn", connect_short)
    with pytest.raises(BenchmarkError, match="short returned wrong values"):
        await tiny_run(cluster, [short], [tiny_query(name)])


async def test_drivers_must_agree_on_the_row_count(cluster: Cluster) -> None:
    short = Driver("short", "pgconn", connect_short)
    with pytest.raises(BenchmarkError, match="another run"):
        await tiny_run(cluster, [PGCONN, short], [tiny_query("1-pg_type")])


async def test_asyncpg_and_psycopg_return_the_same_rows(cluster: Cluster) -> None:
    others = [driver for driver in DRIVERS[1:] if driver.is_installed()]
    if not others:
        pytest.skip("neither asyncpg nor psycopg is installed (run in the bench environment)")
    results = await tiny_run(cluster, [PGCONN, *others])
    names = {"pgconn", *(driver.name for driver in others)}
    for result in results:
        assert set(result.qps) == names
    if "asyncpg" in names:
        assert all(result.ratio("pgconn") is not None for result in results)


def test_medians_ratios_and_geometric_mean() -> None:
    first = QueryResult("a", "", qps={"pgconn": [1.0, 50.0, 3.0], "asyncpg": [10.0, 6.0, 7.0]})
    second = QueryResult("b", "", qps={"pgconn": [40.0], "asyncpg": [20.0]})
    skipped = QueryResult("c", "", skip="not yet")
    extra = QueryResult(
        "d",
        "",
        kind="copy_out",
        in_mean=False,
        note="one connection",
        rows_per_call=1000,
        qps={"pgconn": [0.5], "asyncpg": [2.0]},
    )
    assert first.median("pgconn") == 3.0
    assert first.ratio("pgconn") == pytest.approx(3.0 / 7.0)
    assert second.ratio("pgconn") == 2.0
    assert first.ratio("psycopg") is None
    assert first.rows_per_second("pgconn") is None
    assert extra.rows_per_second("asyncpg") == 2000.0
    ratios = [3.0 / 7.0, 2.0]
    expected = (ratios[0] * ratios[1]) ** 0.5
    # Only the queries in the mean count: d's 0.25 does not.
    assert geometric_mean_ratio([first, extra, second, skipped], "pgconn") == pytest.approx(expected)
    assert geometric_mean_ratio([skipped, extra], "pgconn") is None
    table = format_table([first, extra, second, skipped], ["pgconn", "asyncpg"])
    lines = table.splitlines()
    assert lines[1].split() == ["a", "3.00", "7.00", "0.43"]  # two decimals below 10 per second
    assert lines[3].split() == ["c", "not", "yet"]
    assert lines[4].split() == ["geometric", "mean", f"{expected:.2f}"]
    assert lines[5].split() == ["d", "0.50", "2.00", "0.25"]
    rows_header = f"{'rows/s':<18}{'pgconn':>14}{'asyncpg':>14}"
    assert lines[6:] == ["", rows_header, f"{'d':<18}{'500':>14}{'2,000':>14}", "", "d: one connection"]


def test_argument_rows_fit_their_tables() -> None:
    rows = batch_rows()
    assert len(rows) == 1000
    assert {tuple(type(value) for value in row) for row in rows} == {(int, int, int, str, float, float, str)}
    copied = copy_rows()
    assert len(copied) == 10_000 == len(set(copied))
    assert {tuple(type(value) for value in row) for row in copied} == {(int, int, int, str, float, int, str)}
    query = tiny_query("5-copyfrom")
    assert len(query.columns) == len(query.types) == 7


async def test_drivers_main_writes_json(
    cluster: Cluster, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("PGASYNC_DSN", plain_dsn(cluster))
    path = tmp_path / "drivers.json"
    argv = ["--drivers", "pgconn", "--queries", "7-oneplusone,copyout", "--duration", "0.05"]
    argv += ["--rounds", "2", "--concurrency", "2", "--copy-out-rows", "500", "--json", str(path)]
    # main() runs its own event loop, so it runs in a thread of its own.
    assert await asyncio.to_thread(drivers_main, argv) == 0
    report = json.loads(path.read_text())
    assert (report["rounds"], report["concurrency"], list(report["drivers"])) == (2, 2, ["pgconn"])
    assert report["copy_out_rows"] == 500
    by_name = {result["name"]: result for result in report["results"]}
    assert list(by_name) == ["7-oneplusone", "copyout"]
    assert len(by_name["7-oneplusone"]["qps"]["pgconn"]) == 2
    assert by_name["7-oneplusone"]["rows_per_call"] == 1
    copy_out = by_name["copyout"]
    assert (copy_out["rows_per_call"], copy_out["columns"], copy_out["in_mean"]) == (500, 3, False)
    assert copy_out["median_rows_per_second"]["pgconn"] == pytest.approx(
        copy_out["median_qps"]["pgconn"] * 500
    )
    assert report["geometric_mean_ratio"] == {"pgconn": None}
    out = capsys.readouterr().out
    assert "rows/s" in out
    assert "copyout: COPY (query) TO STDOUT" in out


@pytest.mark.parametrize(
    "argument", ["--duration=0", "--rounds=0", "--drivers=mysql", "--queries=8-nothing", "--copy-out-rows=0"]
)
def test_drivers_main_refuses_bad_options(argument: str) -> None:
    with pytest.raises(SystemExit):
        drivers_main([argument])


# --- bench_pool.py ------------------------------------------------------------------------

PGPOOL = POOLS[0]
NO_IO = next(workload for workload in WORKLOADS if workload.no_io)
FETCHVAL = next(workload for workload in WORKLOADS if workload.direct)


async def test_pool_bench_quick_mode(
    cluster: Cluster, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("PGASYNC_DSN", plain_dsn(cluster))
    path = tmp_path / "pools.json"
    # main() runs its own event loop, so it runs in a thread of its own.
    assert await asyncio.to_thread(pool_main, ["--quick", "--json", str(path)]) == 0
    report = json.loads(path.read_text())
    installed = [pool.name for pool in POOLS if pool.is_installed()]
    assert list(report["pools"]) == installed and installed[0] == "pgpool"
    assert (report["rounds"], report["duration"], report["size"]) == (1, 0.05, 10)
    scenarios = [(result["workload"], result["concurrency"]) for result in report["results"]]
    assert scenarios == [(w.name, c) for w in WORKLOADS for c in w.concurrencies]
    assert ("select1", 1000) in scenarios and ("no-io", 1) in scenarios
    for result in report["results"]:
        assert list(result["rates"]) == installed
        for name in installed:
            # One round, at least one call; every call's latency recorded (checked by the round).
            assert len(result["rates"][name]) == 1 and result["calls"][name][0] >= 1
            latency = result["latency"][name]
            assert 0 <= latency["p50"] <= latency["p99"] <= latency["max"]
        assert (result["ratio_to_asyncpg"]["pgpool"] is None) == ("asyncpg" not in installed)
    assert set(report["core_ns"]) == {"idle", "handoff"} and min(report["core_ns"].values()) > 0
    assert report["harness_us"] > 0
    out = capsys.readouterr().out
    assert "pgpool acq/s" in out and "p99 / max" in out and "no-io x1: pgpool" in out


def reopened(name: str, change: Callable[[PoolHandle], None], *, no_reset: bool | None = None) -> Contender:
    """pgpool, its handle changed by ``change`` (and its reset forced on or off)."""

    async def open_pool(dsn: str, size: int, wanted: bool) -> PoolHandle:
        handle = await PGPOOL.open(dsn, size, wanted if no_reset is None else no_reset)
        change(handle)
        return handle

    return Contender(name, ("pgpool",), open_pool)


async def test_a_no_io_round_that_reaches_the_server_is_refused(cluster: Cluster) -> None:
    # The default reset sends its query at each release.
    chatty = reopened("chatty", lambda handle: None, no_reset=False)
    with pytest.raises(BenchmarkError, match="ran a statement in a no-io round"):
        await measure_round(chatty, plain_dsn(cluster), NO_IO, 2, 0.05)
    # The same round with the no-op reset passes, and counts its calls.
    measured = await measure_round(PGPOOL, plain_dsn(cluster), NO_IO, 2, 0.05)
    assert measured.calls == len(measured.latencies) >= 2


async def test_pool_bench_refuses_wrong_values_and_uncounted_acquires(cluster: Cluster) -> None:
    async def two() -> int:
        return 2

    def wrong_call(handle: PoolHandle) -> None:
        handle.call = two

    def miscounted(handle: PoolHandle) -> None:
        counted = handle.requests
        assert counted is not None
        handle.requests = lambda: counted() // 2

    with pytest.raises(BenchmarkError, match="did not return 1"):
        await measure_round(reopened("wrong", wrong_call), plain_dsn(cluster), FETCHVAL, 2, 0.05)
    with pytest.raises(BenchmarkError, match="the pool counted"):
        await measure_round(reopened("miscounted", miscounted), plain_dsn(cluster), FETCHVAL, 2, 0.05)


def test_pool_core_overhead_and_percentiles() -> None:
    # The core's loops check that every acquire was served (they raise otherwise).
    figures = core_overhead(500, repeat=1)
    assert set(figures) == {"idle", "handoff"} and min(figures.values()) > 0
    assert percentile([], 0.99) is None
    samples = [float(value) for value in range(1, 101)]
    assert (percentile(samples, 0.5), percentile(samples, 0.99), percentile(samples, 1.0)) == (50, 99, 100)
    assert percentile([3.0], 0.99) == 3.0


@pytest.mark.parametrize("argument", ["--duration=0", "--rounds=0", "--pools=pgbouncer", "--workloads=x"])
def test_pool_bench_refuses_bad_options(argument: str) -> None:
    with pytest.raises(SystemExit):
        pool_main([argument])


async def test_row_memory_and_callgrind_children_run_their_work(
    cluster: Cluster, capsys: pytest.CaptureFixture[str]
) -> None:
    from bench.bench_rows_callgrind import _child as callgrind_child
    from bench.bench_rows_memory import _child as memory_child

    # The memory child asserts it got every row; it prints the peak growth in KiB.
    await memory_child("pgconn", cluster.dsn(), 1000)
    assert int(capsys.readouterr().out.strip()) >= 0
    # The callgrind child makes its calls (the batch and COPY ones need their session setup).
    for name in ("2-generate_series", "6-batch", "5-copyfrom"):
        await callgrind_child("pgconn", name, cluster.dsn(), 1)
