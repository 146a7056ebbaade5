"""docs/pgbouncer.md: its ``pgbouncer.ini`` runs in a real PgBouncer, and its examples through it.

The page's ``[pgbouncer]`` settings are used as written, except the ones that say where to
listen and where the ``auth_file`` is; its ``[databases]`` entry names the server the way the
fixture's does. Each Python example is the body of ``async def example(dsn)``, run against a
fresh PgBouncer with that configuration, and must leave nothing behind in the database; one
whose connections all have ``statement_cache_size=0`` must make no named statement on the server.
"""

from __future__ import annotations

import configparser
import re

import pytest

import pgasync
from tests.pgbouncer.bouncer import StatementLog
from tests.pgbouncer.fixtures import MakePgBouncer
from tests.test_docs import DOCS, PGBOUNCER_EXAMPLES, pgconn_example

# Settings that depend on the machine: the fixture sets its own.
_PLACED = {"listen_addr", "listen_port", "auth_file"}
_PUBLIC_OBJECTS = (
    "SELECT (SELECT count(*) FROM pg_class WHERE relnamespace = 'public'::regnamespace)"
    " + (SELECT count(*) FROM pg_type WHERE typnamespace = 'public'::regnamespace)"
)


def page_ini() -> configparser.ConfigParser:
    text = (DOCS / "pgbouncer.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```ini\n(.*?)```", text, re.DOTALL)
    assert len(blocks) == 1
    parser = configparser.ConfigParser()
    parser.read_string(blocks[0])
    return parser


def page_settings() -> dict[str, str | int]:
    return {key: value for key, value in page_ini()["pgbouncer"].items() if key not in _PLACED}


def test_page_configuration() -> None:
    ini = page_ini()
    assert ini.sections() == ["databases", "pgbouncer"]
    assert re.fullmatch(r"host=\S+ port=\d+ dbname=\S+", ini["databases"]["app"])
    assert page_settings()["pool_mode"] == "transaction"
    assert len(PGBOUNCER_EXAMPLES) >= 3


@pytest.mark.parametrize("index", range(len(PGBOUNCER_EXAMPLES)))
async def test_page_example_runs(
    index: int, make_pgbouncer: MakePgBouncer, statement_log: StatementLog
) -> None:
    settings = page_settings()
    bouncer = make_pgbouncer(
        pool_mode=settings.pop("pool_mode"),
        pool_size=int(settings.pop("default_pool_size")),
        settings=settings,
    )
    observer = await pgasync.connect(bouncer.dsn(), statement_cache_size=0)
    try:
        objects_before = await observer.fetchval(_PUBLIC_OBJECTS)
        await pgconn_example(index, "pgbouncer.md")(bouncer.dsn())
        assert await observer.fetchval(_PUBLIC_OBJECTS) == objects_before, "the example left something behind"
    finally:
        await observer.close()
    assert ("parse", "<unnamed>") in statement_log.steps()
    if "connect(dsn)" not in PGBOUNCER_EXAMPLES[index]:  # every connection without the cache
        assert statement_log.named_statements() == set()
