"""Which build runs: the compiled one in the default environment, the pure one on request.

CI runs the suite twice, as ``hatch run test`` (compiled) and ``hatch run test-pure``
(``PGASYNC_IMPL=python``); this test makes sure the first run really is compiled, so that a
failed extension build cannot leave CI testing the pure build twice.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

import pgasync
import pgtypes
import pgwire
from pgtypes import RowDecoder
from tests.pgtypes.rows import codec


def _implementation_in_subprocess(value: str) -> subprocess.CompletedProcess[str]:
    environment = {**os.environ, "PGASYNC_IMPL": value}
    return subprocess.run(
        [
            sys.executable,
            "-c",
            "import pgasync, pgwire; print(pgasync.implementation, pgwire.implementation)",
        ],
        env=environment,
        capture_output=True,
        text=True,
        check=False,
    )


def test_the_expected_build_runs() -> None:
    expected = "python" if os.environ.get("PGASYNC_IMPL") == "python" else "c"
    assert pgtypes.implementation == expected
    assert pgwire.implementation == expected
    assert pgasync.implementation == expected
    decoder = RowDecoder(["a"], [codec(23)])
    assert (decoder._compiled is not None) == (expected == "c")


@pytest.mark.parametrize("package", [pgwire, pgtypes])
def test_the_compiled_extension_is_built_from_the_current_source(package: ModuleType) -> None:
    if package.implementation != "c":
        return
    built = Path(importlib.import_module(f"{package.__name__}._speedups").__file__ or "")
    source = Path(package.__file__ or "").with_name("_speedups.pyx")
    # In an editable install the extension sits beside its source; it must not be older.
    if source.exists() and built.parent == source.parent:
        assert built.stat().st_mtime >= source.stat().st_mtime, (
            f"{package.__name__}/_speedups.pyx changed after the extension was built: run `hatch run compile`"
        )


def test_the_environment_variable_selects_the_build() -> None:
    forced = _implementation_in_subprocess("python")
    assert forced.returncode == 0 and forced.stdout.split() == ["python", "python"]
    compiled = _implementation_in_subprocess("c")
    if all(importlib.util.find_spec(f"{name}._speedups") is not None for name in ("pgwire", "pgtypes")):
        assert compiled.returncode == 0 and compiled.stdout.split() == ["c", "c"]
    else:
        assert compiled.returncode != 0 and "PGASYNC_IMPL=c" in compiled.stderr


def test_an_unknown_value_is_refused() -> None:
    wrong = _implementation_in_subprocess("fast")
    assert wrong.returncode != 0
    assert "PGASYNC_IMPL must be 'c', 'python' or unset, got 'fast'" in wrong.stderr


def test_the_two_packages_build_with_the_same_hook() -> None:
    root = Path(__file__).resolve().parent.parent / "packages"
    hooks = [(root / name / "hatch_build.py").read_text(encoding="utf-8") for name in ("pgwire", "pgtypes")]
    assert hooks[0] == hooks[1], "packages/pgwire/hatch_build.py and packages/pgtypes/hatch_build.py differ"
