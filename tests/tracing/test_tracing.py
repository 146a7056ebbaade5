"""pgasync.opentelemetry against the real server: spans, their attributes, errors, off by default.

Spans go to the SDK's in-memory exporter through a tracer provider of the test's own (the
global provider is never touched).
"""

from __future__ import annotations

import asyncio
import io
from collections.abc import Iterator

import pytest
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, StatusCode

import pgasync
import pgasync.opentelemetry as otel
import pgconn
from pgasync.cluster import Cluster


@pytest.fixture
def exporter() -> Iterator[InMemorySpanExporter]:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    otel.instrument(tracer_provider=provider)
    try:
        yield exporter
    finally:
        otel.uninstrument()


def spans(exporter: InMemorySpanExporter) -> list[ReadableSpan]:
    return list(exporter.get_finished_spans())


async def test_a_query_is_one_client_span_with_the_database_conventions(
    cluster: Cluster, exporter: InMemorySpanExporter
) -> None:
    connection = await pgasync.connect(cluster.dsn())
    try:
        exporter.clear()  # connect's own introspection-free startup sends no traced query
        # An argument no other attribute (a port is at most five digits) can contain by chance.
        assert await connection.fetchval("SELECT $1::int + 1", 73918264) == 73918265
        database = await connection.fetchval("SELECT current_database()")
    finally:
        await connection.close()
    first = spans(exporter)[0]
    assert first.name == f"SELECT {database}"
    assert first.kind is SpanKind.CLIENT
    attributes = dict(first.attributes or {})
    assert attributes["db.system.name"] == "postgresql"
    assert attributes["db.namespace"] == database
    assert attributes["db.operation.name"] == "SELECT"
    assert attributes["db.query.text"] == "SELECT $1::int + 1"
    assert "73918264" not in str(attributes)  # never the argument values
    assert attributes["server.address"] == cluster.host
    assert attributes["server.port"] == cluster.port
    assert first.status.status_code is StatusCode.UNSET


async def test_a_server_error_is_recorded_on_its_span(
    cluster: Cluster, exporter: InMemorySpanExporter
) -> None:
    connection = await pgasync.connect(cluster.dsn())
    try:
        with pytest.raises(pgasync.UndefinedTableError):
            await connection.execute("INSERT INTO no_such_table VALUES (1)")
        assert await connection.fetchval("SELECT 1") == 1  # still usable
    finally:
        await connection.close()
    failed = next(span for span in spans(exporter) if span.name.startswith("INSERT"))
    assert failed.status.status_code is StatusCode.ERROR
    attributes = dict(failed.attributes or {})
    assert attributes["error.type"] == "UndefinedTableError"
    assert attributes["db.response.status_code"] == "42P01"
    assert [event.name for event in failed.events] == ["exception"]


async def test_a_timeout_ends_its_span_as_an_error(cluster: Cluster, exporter: InMemorySpanExporter) -> None:
    connection = await pgasync.connect(cluster.dsn())
    try:
        with pytest.raises(TimeoutError):
            await connection.execute("SELECT pg_sleep(10)", timeout=0.2)
        assert await connection.fetchval("SELECT 2") == 2
    finally:
        await connection.close()
    timed_out = spans(exporter)[0]
    assert dict(timed_out.attributes or {})["error.type"] == "TimeoutError"
    assert timed_out.end_time is not None


async def test_statements_cursors_and_copy_are_traced(
    cluster: Cluster, exporter: InMemorySpanExporter
) -> None:
    connection = await pgasync.connect(cluster.dsn())
    try:
        await connection.execute("CREATE TEMPORARY TABLE traced (n int)")
        statement = await connection.prepare("SELECT generate_series(1, $1::int)")
        assert len(await statement.fetch(3)) == 3
        await connection.executemany("INSERT INTO traced VALUES ($1)", [(1,), (2,)])
        await connection.copy_records_to_table("traced", records=[(3,)])
        sink = io.BytesIO()
        await connection.copy_from_query("SELECT n FROM traced WHERE n > $1", 0, output=sink)
        async with connection.transaction():
            assert [row[0] async for row in connection.cursor("SELECT n FROM traced ORDER BY n")] == [1, 2, 3]
    finally:
        await connection.close()
    assert sink.getvalue() == b"1\n2\n3\n"
    operations = [dict(span.attributes or {}).get("db.operation.name") for span in spans(exporter)]
    assert operations.count("COPY") == 1  # copy_records_to_table; copy_from_query is its query's
    # prepare, its fetch, copy_from_query, and the cursor's first prefetch
    assert "INSERT" in operations and operations.count("SELECT") == 4, operations
    assert "BEGIN" in operations and "COMMIT" in operations, operations
    copy_out = next(
        span
        for span in spans(exporter)
        if str(dict(span.attributes or {}).get("db.query.text")).endswith("> $1")
    )
    assert dict(copy_out.attributes or {})["db.operation.name"] == "SELECT"


async def test_pool_acquire_is_a_span_and_the_query_its_sibling(
    cluster: Cluster, exporter: InMemorySpanExporter
) -> None:
    pool = await pgasync.create_pool(cluster.dsn(), min_size=1, max_size=1)
    try:
        exporter.clear()
        async with pool.acquire() as connection:
            holder = asyncio.ensure_future(pool.acquire(timeout=0.1))
            with pytest.raises(TimeoutError):
                await holder
            assert await connection.fetchval("SELECT 7") == 7
    finally:
        await pool.close()
    acquires = [span for span in spans(exporter) if span.name == "pgasync.pool.acquire"]
    assert len(acquires) == 2
    assert sorted(span.status.status_code.name for span in acquires) == ["ERROR", "UNSET"]
    assert any(span.name.startswith("SELECT") for span in spans(exporter))


async def test_nothing_is_traced_before_instrument_or_after_uninstrument(cluster: Cluster) -> None:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    assert not otel.is_instrumented() and pgconn.get_tracer() is None
    connection = await pgasync.connect(cluster.dsn())
    try:
        await connection.fetchval("SELECT 1")
        otel.instrument(tracer_provider=provider)
        assert otel.is_instrumented()
        await connection.fetchval("SELECT 2")
        otel.uninstrument()
        await connection.fetchval("SELECT 3")
    finally:
        await connection.close()
    assert [dict(span.attributes or {})["db.query.text"] for span in exporter.get_finished_spans()] == [
        "SELECT 2"
    ]


async def test_query_text_can_be_left_out(cluster: Cluster) -> None:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    otel.instrument(tracer_provider=provider, capture_query_text=False)
    try:
        connection = await pgasync.connect(cluster.dsn())
        try:
            await connection.execute("SELECT 1")
        finally:
            await connection.close()
    finally:
        otel.uninstrument()
    (span,) = exporter.get_finished_spans()
    assert "db.query.text" not in dict(span.attributes or {})
    assert dict(span.attributes or {})["db.operation.name"] == "SELECT"


def test_a_foreign_tracer_is_not_replaced_silently() -> None:
    class Other:
        def start_query(self, target: pgconn.TraceTarget, query: str) -> pgconn.EndSpan:
            return lambda error: None

        def start_acquire(self) -> pgconn.EndSpan:
            return lambda error: None

    previous = pgconn.set_tracer(Other())
    try:
        with pytest.raises(RuntimeError, match="another operation tracer"):
            otel.instrument()
    finally:
        pgconn.set_tracer(previous)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("select 1", "SELECT"),
        ("  -- note\n/* a /* nested */ comment */ (SELECT 1) UNION (SELECT 2)", "SELECT"),
        ("WITH t AS (SELECT 1) SELECT * FROM t", "WITH"),
        ("copy t to stdout", "COPY"),
        ("-- only a comment", ""),
        ("", ""),
    ],
)
def test_operation_name_is_the_first_keyword(query: str, expected: str) -> None:
    assert otel.operation_name(query) == expected


def test_importing_pgasync_imports_no_opentelemetry() -> None:
    import subprocess
    import sys

    probe = (
        "import sys, pgasync, pgasync.pool; "
        "print(any(name.startswith('opentelemetry') for name in sys.modules))"
    )
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "False"
