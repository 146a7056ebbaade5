"""Structural checks that ruff and mypy do not make (DESIGN section 4, rules 1, 9 and 11).

- no module of a package over MAX_LINES lines, generated modules excepted;
- the sans-IO packages (pgwire, pgtypes) import none of asyncio, socket, ssl, selectors, time;
- every package ships a ``py.typed`` marker.

Exit status 1 with one line per problem, 0 when everything holds.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("pgwire", "pgtypes", "pgconn", "pgpool", "pgasync")
SANS_IO = ("pgwire", "pgtypes")
FORBIDDEN_IMPORTS = frozenset({"asyncio", "socket", "ssl", "selectors", "time"})
MAX_LINES = 600


def is_generated(path: Path) -> bool:
    """A module whose docstring's first lines say it was generated."""
    head = path.read_text(encoding="utf-8").splitlines()[:3]
    return any("generated" in line.lower() for line in head)


def imported_modules(tree: ast.AST) -> list[tuple[int, str]]:
    """Top-level module names imported anywhere in ``tree``, with their line numbers."""
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.extend((node.lineno, alias.name.split(".")[0]) for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.append((node.lineno, node.module.split(".")[0]))
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id == "__import__"
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            found.append((node.lineno, node.args[0].value.split(".")[0]))
    return found


def check(root: Path = ROOT) -> list[str]:
    """Every problem found under ``root``, one message each."""
    problems: list[str] = []
    for package in PACKAGES:
        source = root / "packages" / package / "src" / package
        if not (source / "py.typed").is_file():
            problems.append(f"{source.relative_to(root)}: missing py.typed marker")
        for path in sorted(source.rglob("*.py")):
            where = path.relative_to(root)
            lines = path.read_text(encoding="utf-8").count("\n")
            if lines > MAX_LINES and not is_generated(path):
                problems.append(
                    f"{where}: {lines} lines, over the {MAX_LINES}-line limit; split it by concept"
                )
            if package in SANS_IO:
                tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
                for lineno, name in imported_modules(tree):
                    if name in FORBIDDEN_IMPORTS:
                        problems.append(f"{where}:{lineno}: sans-IO package {package} imports {name}")
    return problems


def main() -> int:
    problems = check()
    for problem in problems:
        print(problem)
    if problems:
        print(f"check_structure: {len(problems)} problem(s)")
        return 1
    print("check_structure: ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
