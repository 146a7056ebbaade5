"""Every Python example in docs/pgwire.md and docs/pgtypes.md runs and its assertions hold.

(docs/cluster.md's example is run by tests/cluster/test_cluster.py, which checks its output.)
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

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
