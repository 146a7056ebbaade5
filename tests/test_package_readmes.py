"""Each package's README (its page on PyPI): what it is, how to install it, a first example that runs.

PyPI shows the README without the repository around it, so a relative link would be broken
there: links must be absolute. ```` ```python ```` examples run as they are; ```` ```python-server ````
examples run against the session's server, found the way their text says, through libpq's
environment variables (``PGHOST``, ``PGPORT``, ``PGUSER``, ``PGDATABASE``).
"""

from __future__ import annotations

import contextlib
import io
import re
import tomllib
from pathlib import Path

import pytest

from pgasync.cluster import Cluster

PACKAGES = Path(__file__).resolve().parent.parent / "packages"
NAMES = ["pgwire", "pgtypes", "pgconn", "pgpool", "pgasync"]
FENCE = re.compile(r"```(python[\w-]*)\n(.*?)```", re.DOTALL)
# Environment variables that would point the examples somewhere else than the test server.
_FOREIGN = ["PGPASSWORD", "PGPASSFILE", "PGSERVICE", "PGSERVICEFILE", "PGSSLMODE", "PGOPTIONS"]


def readme(name: str) -> str:
    return (PACKAGES / name / "README.md").read_text(encoding="utf-8")


def examples(kind: str) -> list[tuple[str, int, str]]:
    found = []
    for name in NAMES:
        blocks = [code for fence, code in FENCE.findall(readme(name)) if fence == kind]
        found += [(name, index, code) for index, code in enumerate(blocks)]
    return found


@pytest.mark.parametrize("name", NAMES)
def test_readme_is_a_real_page(name: str) -> None:
    text = readme(name)
    project = tomllib.loads((PACKAGES / name / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert project["readme"] == "README.md"
    assert text.startswith(f"# {name}\n")
    assert len(text.splitlines()) >= 30
    assert "## Install" in text and f"python -m pip install {name}" in text
    assert "## A first example" in text
    assert {fence for fence, _ in FENCE.findall(text)} <= {"python", "python-server"}
    assert FENCE.search(text), "a first example in a python fence"


@pytest.mark.parametrize("name", NAMES)
def test_readme_links_work_on_pypi(name: str) -> None:
    targets = re.findall(r"\]\(([^)]*)\)", readme(name)) + re.findall(r'(?:src|href)="([^"]*)"', readme(name))
    relative = [target for target in targets if not re.match(r"https?://", target)]
    assert relative == []


@pytest.mark.parametrize(("name", "index", "code"), examples("python"), ids=lambda value: str(value)[:12])
def test_readme_example_runs(name: str, index: int, code: str) -> None:
    with contextlib.redirect_stdout(io.StringIO()):
        exec(compile(code, f"packages/{name}/README.md example {index + 1}", "exec"), {"__name__": "readme"})


@pytest.mark.parametrize(
    ("name", "index", "code"), examples("python-server"), ids=lambda value: str(value)[:12]
)
def test_readme_server_example_runs(
    name: str, index: int, code: str, cluster: Cluster, monkeypatch: pytest.MonkeyPatch
) -> None:
    for variable in _FOREIGN:
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setenv("PGHOST", cluster.host)
    monkeypatch.setenv("PGPORT", str(cluster.port))
    monkeypatch.setenv("PGUSER", cluster.superuser)
    monkeypatch.setenv("PGDATABASE", "postgres")
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(
            compile(code, f"packages/{name}/README.md server example {index + 1}", "exec"),
            {"__name__": "readme"},
        )
    assert out.getvalue(), "the example prints what it found"


def test_every_package_has_an_example_for_its_readers() -> None:
    assert {name for name, _, _ in examples("python") + examples("python-server")} == set(NAMES)
