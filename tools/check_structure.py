"""Structural checks that ruff and mypy do not make (DESIGN section 4, rules 1, 9 and 11).

- no module of a package over MAX_LINES lines, generated modules excepted;
- the sans-IO packages (pgwire, pgtypes) import none of asyncio, socket, ssl, selectors, time,
  with one exception: the subpackage ``pgwire.blocking`` (the blocking client) may import
  ``socket`` and ``ssl``, and nothing outside it may import it;
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
# The one place in a sans-IO package where I/O is allowed: (package, subpackage) -> modules.
IO_SUBPACKAGES = {("pgwire", "blocking"): frozenset({"socket", "ssl"})}


def is_generated(path: Path) -> bool:
    """A module whose docstring's first lines say it was generated."""
    head = path.read_text(encoding="utf-8").splitlines()[:3]
    return any("generated" in line.lower() for line in head)


def imported_modules(tree: ast.AST) -> list[tuple[int, str, str]]:
    """Modules imported anywhere in ``tree``: (line number, top-level name, full name)."""
    found: list[tuple[int, str, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.extend((node.lineno, alias.name.split(".")[0], alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            # ``from pgwire import blocking`` imports pgwire.blocking: keep each imported name.
            top = node.module.split(".")[0]
            found.extend((node.lineno, top, f"{node.module}.{alias.name}") for alias in node.names)
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id == "__import__"
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            found.append((node.lineno, node.args[0].value.split(".")[0], node.args[0].value))
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
                problems.extend(_sans_io_problems(package, source, path, where))
    return problems


def _sans_io_problems(package: str, source: Path, path: Path, where: Path) -> list[str]:
    """The forbidden imports of one module of a sans-IO package."""
    parts = path.relative_to(source).parts
    allowed: frozenset[str] = frozenset()
    inside: str | None = None
    for (owner, subpackage), modules in IO_SUBPACKAGES.items():
        if owner == package and len(parts) > 1 and parts[0] == subpackage:
            allowed, inside = modules, subpackage
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    problems: list[str] = []
    for lineno, name, full in imported_modules(tree):
        if name in FORBIDDEN_IMPORTS and name not in allowed:
            problems.append(f"{where}:{lineno}: sans-IO package {package} imports {name}")
        for (owner, subpackage), _ in IO_SUBPACKAGES.items():
            io_module = f"{owner}.{subpackage}"
            if owner == package and inside != subpackage and (full + ".").startswith(io_module + "."):
                problems.append(f"{where}:{lineno}: {package} imports its I/O subpackage {io_module}")
    return list(dict.fromkeys(problems))  # one line per module and line number


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
