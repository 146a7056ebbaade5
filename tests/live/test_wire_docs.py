"""The examples of docs/pgwire.md that need a server (```python-server fences) run against the test server.

They are written with the names ``HOST``, ``PORT``, ``USER`` and ``CA_FILE``; each runs here with
the session's server behind those names, and must leave no connection open.
"""

from __future__ import annotations

import contextlib
import io
import re
import time
from pathlib import Path

import pytest

from pgasync.cluster import Cluster
from pgwire.blocking import BlockingConnection

PAGE = Path(__file__).resolve().parent.parent.parent / "docs" / "pgwire.md"
EXAMPLES = re.findall(r"```python-server\n(.*?)```", PAGE.read_text(encoding="utf-8"), re.DOTALL)

_OTHERS = (
    "SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend' AND pid <> pg_backend_pid()"
)


def test_the_page_has_server_examples() -> None:
    assert len(EXAMPLES) >= 3
    fences = set(re.findall(r"```(python[\w-]*)\n", PAGE.read_text(encoding="utf-8")))
    assert fences == {"python", "python-server"}  # every example is run by one test or the other


def other_sessions(observer: BlockingConnection) -> int:
    value = observer.query(_OTHERS).rows[0][0]
    assert value is not None
    return int(value)


@pytest.mark.parametrize("index", range(len(EXAMPLES)))
def test_server_example_runs(index: int, cluster: Cluster) -> None:
    source = EXAMPLES[index]
    if "CA_FILE" in source and cluster.tls is None:
        pytest.skip("this PostgreSQL installation is built without TLS support")
    names = {
        "__name__": f"docs_pgwire_server_example_{index}",
        "HOST": cluster.host,
        "PORT": cluster.port,
        "USER": cluster.superuser,
        "CA_FILE": str(cluster.tls.ca_cert) if cluster.tls is not None else "",
    }
    # One observer for the whole test: a fresh one per count could see the last one's server
    # process, which may take a moment to exit.
    with BlockingConnection.connect(cluster.host, cluster.port, user=cluster.superuser) as observer:
        before = other_sessions(observer)
        with contextlib.redirect_stdout(io.StringIO()):
            exec(compile(source, f"docs/pgwire.md server example {index + 1}", "exec"), names)
        for _ in range(100):  # a closed session's server process may take a moment to exit
            if other_sessions(observer) <= before:
                break
            time.sleep(0.05)
        assert other_sessions(observer) <= before, "the example left a connection open"
