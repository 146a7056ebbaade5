"""A user's ``mypy --strict`` run over code that uses pgasync: clean, and the types it sees.

mypy runs as a user runs it, with ``--strict`` and none of this repository's configuration,
on the installed packages (through ``mypy.api``). The example application also runs against
the real server, so that what its types promise (``record_class=`` gives ``Item`` rows) is what
happens.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import mypy.api
import pytest

from pgasync.cluster import Cluster
from tests.typing import example_app

HERE = Path(__file__).parent


@pytest.fixture(scope="module")
def mypy_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One mypy cache for the module's runs (the packages are analysed once)."""
    return tmp_path_factory.mktemp("mypy-cache")


def run_mypy(path: Path, cache: Path) -> tuple[int, list[str]]:
    """``mypy --strict path`` without the repository's configuration: status and output lines."""
    stdout, stderr, status = mypy.api.run(
        [str(path), "--strict", "--config-file", "", "--cache-dir", str(cache), "--no-error-summary"]
    )
    assert stderr == ""
    return status, [line for line in stdout.splitlines() if line]


def test_example_app_is_clean_under_strict_mypy(mypy_cache: Path) -> None:
    assert run_mypy(HERE / "example_app.py", mypy_cache) == (0, [])


def test_type_expectations_hold(mypy_cache: Path) -> None:
    """Each ``assert_type`` in expectations.py is an error if the type differs."""
    assert run_mypy(HERE / "expectations.py", mypy_cache) == (0, [])


def test_wrong_expectations_fail(tmp_path: Path, mypy_cache: Path) -> None:
    """The check can fail: wrong row types and misuse are reported, each on its line."""
    source = tmp_path / "wrong.py"
    source.write_text(
        textwrap.dedent(
            """\
            from __future__ import annotations

            from typing import assert_type

            import pgasync


            class Item(pgasync.Record):
                pass


            async def main(connection: pgasync.Connection, pool: pgasync.Pool) -> None:
                assert_type(await connection.fetch("q", record_class=Item), list[pgasync.Record])
                assert_type(await connection.fetchrow("q", record_class=Item), Item)
                rows: list[Item] = await connection.fetch("q")
                await connection.fetch("q", record_class=int)
                async with pool.acquire() as proxy:
                    assert_type(await proxy.fetch("q"), list[Item])
                statement = await connection.prepare("q", record_class=Item)
                reveal_type(await statement.fetchrow())
            """
        )
    )
    status, lines = run_mypy(source, mypy_cache)
    assert status == 1
    by_line = {int(line.split(":")[1]): line for line in lines}
    assert sorted(by_line) == [13, 14, 15, 16, 18, 20]
    assert 'Expression is of type "list[Item]", not "list[Record]"' in by_line[13]
    assert 'Expression is of type "Item | None", not "Item"' in by_line[14]
    assert "list[Record]" in by_line[15] and "list[Item]" in by_line[15]
    assert 'Value of type variable "RecordT" of "fetch" of "Connection" cannot be "int"' in by_line[16]
    assert 'Expression is of type "list[Record]", not "list[Item]"' in by_line[18]
    assert 'Revealed type is "wrong.Item | None"' in by_line[20]


async def test_example_app_runs(cluster: Cluster) -> None:
    """The typed application does what its types say against the real server."""
    report = await example_app.run(cluster.dsn())
    assert report.skus == ["apple", "pear", "plum"]
    assert report.total == 16
    assert isinstance(report.first, example_app.Item) and report.first.sku == "apple"
    assert report.statement_rows == 3
    assert report.exported.splitlines() == [b"apple,3", b"pear,12", b"plum,1"]
    assert report.copied == "COPY 1"
    assert report.logged == 1
    assert report.notified == ["pear"]
    assert [n.payload for n in report.streamed] == ["pear"]
    assert report.low_stock == ["apple", "plum"]
