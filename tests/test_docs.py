"""Every Python example in docs/pgwire.md, docs/pgtypes.md, docs/pgconn.md, docs/pgpool.md,
docs/opentelemetry.md and docs/sqlalchemy.md runs and its assertions hold.

The examples of docs/pgconn.md, docs/pgpool.md, docs/opentelemetry.md and docs/sqlalchemy.md
are bodies of ``async def example(dsn)``, run against the session's real server; each must
leave behind no connection and nothing in the ``public`` schema.
(docs/cluster.md's example is run by tests/cluster/test_cluster.py, which checks its output;
docs/pgbouncer.md's run through a real PgBouncer in tests/pgbouncer/test_docs_page.py.)
"""

from __future__ import annotations

import asyncio
import linecache
import re
import textwrap
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, cast

import pytest

import pgasync
from pgasync.cluster import Cluster

DOCS = Path(__file__).resolve().parent.parent / "docs"
EXAMPLE = re.compile(r"```python\n(.*?)```", re.DOTALL)


def examples(name: str) -> list[str]:
    return EXAMPLE.findall((DOCS / name).read_text(encoding="utf-8"))


PGWIRE_EXAMPLES = examples("pgwire.md")


def test_pgwire_page_has_examples() -> None:
    assert len(PGWIRE_EXAMPLES) >= 5


@pytest.mark.parametrize("index", range(len(PGWIRE_EXAMPLES)))
def test_pgwire_example_runs(index: int) -> None:
    code = compile(PGWIRE_EXAMPLES[index], f"docs/pgwire.md example {index + 1}", "exec")
    exec(code, {"__name__": f"docs_example_{index}"})


PGTYPES_EXAMPLES = examples("pgtypes.md")


def test_pgtypes_page_has_examples() -> None:
    assert len(PGTYPES_EXAMPLES) >= 8


@pytest.mark.parametrize("index", range(len(PGTYPES_EXAMPLES)))
def test_pgtypes_example_runs(index: int) -> None:
    code = compile(PGTYPES_EXAMPLES[index], f"docs/pgtypes.md example {index + 1}", "exec")
    exec(code, {"__name__": f"docs_example_{index}"})


PGCONN_EXAMPLES = examples("pgconn.md")
PGPOOL_EXAMPLES = examples("pgpool.md")
OPENTELEMETRY_EXAMPLES = examples("opentelemetry.md")
SQLALCHEMY_EXAMPLES = examples("sqlalchemy.md")
PGBOUNCER_EXAMPLES = examples("pgbouncer.md")
LIVE_EXAMPLES = {
    "pgconn.md": PGCONN_EXAMPLES,
    "pgpool.md": PGPOOL_EXAMPLES,
    "opentelemetry.md": OPENTELEMETRY_EXAMPLES,
    "sqlalchemy.md": SQLALCHEMY_EXAMPLES,
    "pgbouncer.md": PGBOUNCER_EXAMPLES,
}

# What an example may leave behind: other client sessions, and objects in the public schema.
_SESSIONS = (
    "SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend' AND pid <> pg_backend_pid()"
)
_PUBLIC_OBJECTS = (
    "SELECT (SELECT count(*) FROM pg_class WHERE relnamespace = 'public'::regnamespace)"
    " + (SELECT count(*) FROM pg_type WHERE typnamespace = 'public'::regnamespace)"
)


def pgconn_example(index: int, page: str = "pgconn.md") -> Callable[[str], Awaitable[None]]:
    """Example ``index`` of docs/pgconn.md (or another live ``page``) as ``async def example(dsn)``."""
    source = "async def example(dsn):\n" + textwrap.indent(LIVE_EXAMPLES[page][index], "    ")
    filename = f"docs/{page} example {index + 1}"
    # Registered so that a failing assertion's traceback shows the example's line.
    linecache.cache[filename] = (len(source), None, source.splitlines(keepends=True), filename)
    namespace: dict[str, Any] = {"__name__": f"docs_{page.removesuffix('.md')}_example_{index}"}
    # dont_inherit: the example runs as a reader's module would, without this module's
    # ``from __future__ import annotations`` (the ORM example's annotations must evaluate).
    exec(compile(source, filename, "exec", dont_inherit=True), namespace)
    return cast(Callable[[str], Awaitable[None]], namespace["example"])


async def leftovers(observer: pgasync.Connection, *, sessions_at_most: int | None = None) -> tuple[int, int]:
    """(other client sessions, objects in the public schema).

    With ``sessions_at_most``, wait up to five seconds for the session count to come down to
    it: a closed connection's server process may take a moment to exit.
    """
    sessions: int = await observer.fetchval(_SESSIONS)
    for _ in range(100):
        if sessions_at_most is None or sessions <= sessions_at_most:
            break
        await asyncio.sleep(0.05)
        sessions = await observer.fetchval(_SESSIONS)
    return sessions, await observer.fetchval(_PUBLIC_OBJECTS)


def test_pgconn_page_has_examples() -> None:
    assert len(PGCONN_EXAMPLES) >= 15
    text = (DOCS / "pgconn.md").read_text(encoding="utf-8")
    # Every example is either run (python) or declared a sketch; no other Python fences.
    fences = re.findall(r"```(python[\w-]*)\n", text)
    assert set(fences) == {"python", "python-sketch"}


def test_pgpool_page_has_examples() -> None:
    assert len(PGPOOL_EXAMPLES) >= 20
    text = (DOCS / "pgpool.md").read_text(encoding="utf-8")
    assert set(re.findall(r"```(python[\w-]*)\n", text)) == {"python"}  # every one is run


@pytest.mark.parametrize("index", range(len(PGCONN_EXAMPLES)))
async def test_pgconn_example_runs(index: int, cluster: Cluster) -> None:
    await run_live_example(pgconn_example(index), cluster)


async def run_live_example(example: Callable[[str], Awaitable[None]], cluster: Cluster) -> None:
    """Run ``example`` on the server; it must leave no connection and nothing in ``public``."""
    observer = await pgasync.connect(cluster.dsn())
    try:
        sessions_before, objects_before = await leftovers(observer)
        await example(cluster.dsn())
        sessions, objects = await leftovers(observer, sessions_at_most=sessions_before)
        assert sessions <= sessions_before, "the example left a connection open"
        assert objects == objects_before, "the example left something in the public schema"
    finally:
        await observer.close()


@pytest.mark.parametrize("index", range(len(PGPOOL_EXAMPLES)))
async def test_pgpool_example_runs(index: int, cluster: Cluster) -> None:
    await run_live_example(pgconn_example(index, "pgpool.md"), cluster)


@pytest.mark.parametrize("index", range(len(OPENTELEMETRY_EXAMPLES)))
async def test_opentelemetry_example_runs(index: int, cluster: Cluster) -> None:
    assert len(OPENTELEMETRY_EXAMPLES) >= 2
    await run_live_example(pgconn_example(index, "opentelemetry.md"), cluster)


def test_sqlalchemy_page_has_examples() -> None:
    assert len(SQLALCHEMY_EXAMPLES) >= 4
    text = (DOCS / "sqlalchemy.md").read_text(encoding="utf-8")
    assert set(re.findall(r"```(python[\w-]*)\n", text)) == {"python"}  # every one is run


@pytest.mark.parametrize("index", range(len(SQLALCHEMY_EXAMPLES)))
async def test_sqlalchemy_example_runs(index: int, cluster: Cluster) -> None:
    await run_live_example(pgconn_example(index, "sqlalchemy.md"), cluster)
