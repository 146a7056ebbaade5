"""Every public callable of pgconn and pgpool documents its arguments, result and errors.

The docstrings are in Google style (``Args:``, ``Returns:``, ``Raises:`` sections, one
``name: description`` entry per parameter), the style mkdocstrings reads. The walk covers each
public class of ``pgconn.__all__`` and ``pgpool.__all__`` (every public method and property
defined in pgconn or pgpool, mixins included), each public function, and the methods of the proxy
class the pool makes for ``Connection``. It checks:

- a docstring exists;
- every parameter (``*args`` as ``args``, ``**kwargs`` by its name) has its own ``Args`` entry,
  and no entry names a parameter the callable does not take;
- a callable that returns something (by its annotation) has a ``Returns`` section (a
  property is documented as an attribute, by its docstring alone);
- every coroutine function has a ``Raises`` section whose entries name exception classes (or
  says "Raises nothing").
"""

from __future__ import annotations

import inspect
import re
import types
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

import pgconn
import pgpool
from pgpool._proxy import proxy_class_for

#: Packages whose classes' methods are walked (inherited pgwire exception helpers are not).
OUR_PACKAGES = ("pgconn", "pgpool")
SECTION = re.compile(r"^(Args|Arguments|Returns|Yields|Raises|Example|Examples|Note|Notes|Attributes):\s*$")
#: A line that looks like a section header but is not one mkdocstrings reads (``Raises (when ...):``).
HEADER_LIKE = re.compile(r"^(Args|Arguments|Returns|Yields|Raises)\b.*:\s*$")
ENTRY = re.compile(r"^(\*{0,2}[A-Za-z_][A-Za-z0-9_.]*)(?: \([^)]*\))?:(?:\s|$)")


@dataclass
class Docstring:
    """The sections of one Google-style docstring: entry names per section, and which exist."""

    sections: dict[str, list[str]] = field(default_factory=dict)


def parse(doc: str) -> Docstring:
    """The sections of ``doc`` (already cleaned) and the entry names in each."""
    parsed = Docstring()
    current: str | None = None
    entry_indent: int | None = None
    for line in doc.splitlines():
        stripped = line.strip()
        indent = len(line) - len(line.lstrip())
        match = SECTION.match(line)
        if indent == 0 and not match and HEADER_LIKE.match(line):
            parsed.sections.setdefault("Args", []).append(f"<not an entry: non-standard header {line!r}>")
            current = None
            continue
        if match and indent == 0:
            current = {"Arguments": "Args"}.get(match.group(1), match.group(1))
            parsed.sections.setdefault(current, [])
            entry_indent = None
            continue
        if current is None or not stripped:
            continue
        if indent == 0:
            current = None  # the section ended: prose at the base indentation
            continue
        if entry_indent is None:
            entry_indent = indent
        if indent == entry_indent and current in ("Args", "Raises", "Attributes"):
            entry = ENTRY.match(stripped)
            if entry is None:
                parsed.sections[current].append(f"<not an entry: {stripped!r}>")
            else:
                parsed.sections[current].append(entry.group(1).lstrip("*"))
        elif indent == entry_indent:
            parsed.sections[current].append(stripped)
    return parsed


def _is_ours(obj: object) -> bool:
    module = getattr(obj, "__module__", None) or ""
    return module.split(".")[0] in OUR_PACKAGES


#: The getters of properties among the callables: documented as attributes, with no Returns.
PROPERTIES: set[int] = set()


def public_callables() -> Iterator[tuple[str, Callable[..., Any]]]:
    """(qualified name, function) of every public callable the walk covers."""
    seen: set[int] = set()
    for package in (pgconn, pgpool):
        for name in package.__all__:
            obj = getattr(package, name)
            if inspect.isfunction(obj):
                yield f"{package.__name__}.{name}", obj
            elif inspect.isclass(obj) and _is_ours(obj):
                yield from _members(f"{package.__name__}.{name}", obj, seen)
    proxy = proxy_class_for(pgconn.Connection)
    yield from _members("pgpool.PoolConnectionProxy[Connection]", proxy, seen)


def _members(prefix: str, cls: type, seen: set[int]) -> Iterator[tuple[str, Callable[..., Any]]]:
    for klass in cls.__mro__:
        if not _is_ours(klass):
            continue
        for name, member in vars(klass).items():
            if name.startswith("_") or name in dir(object):
                continue
            if isinstance(member, property | types.DynamicClassAttribute):  # enum.property too
                function = member.fget
                PROPERTIES.add(id(function))
            elif isinstance(member, staticmethod | classmethod):
                function = member.__func__
            else:
                function = member
            if not callable(function) or inspect.isclass(function):
                continue
            key = id(function) ^ id(cls)
            if key in seen:
                continue
            seen.add(key)
            yield f"{prefix}.{name}", function


def problems(function: Callable[..., Any]) -> list[str]:
    """What the docstring of ``function`` lacks; empty when it is complete."""
    doc = inspect.getdoc(function)
    if not doc:
        return ["no docstring"]
    parsed = parse(doc)
    found: list[str] = []
    signature = inspect.signature(function)
    parameters = [name for name in signature.parameters if name not in ("self", "cls")]
    documented = parsed.sections.get("Args", [])
    found += [entry for entry in documented if entry.startswith("<not an entry")]
    found += [f"parameter {name!r} is not in Args" for name in parameters if name not in documented]
    found += [
        f"Args names {name!r}, which is no parameter"
        for name in documented
        if not name.startswith("<") and name not in parameters
    ]
    returns = signature.return_annotation
    is_property = id(function) in PROPERTIES
    has_result = returns not in ("None", None, inspect.Signature.empty)
    if has_result and not is_property and not {"Returns", "Yields"} & parsed.sections.keys():
        found.append(f"returns {returns} but has no Returns section")
    if inspect.iscoroutinefunction(function) or inspect.iscoroutinefunction(
        getattr(function, "__wrapped__", None)
    ):
        raises = parsed.sections.get("Raises")
        if not raises and "raises nothing" in " ".join(doc.split()).lower():
            pass  # an operation that cannot fail says so instead
        elif not raises:
            found.append("a coroutine function without a Raises section")
        else:
            found += [
                f"Raises entry {entry!r} is not an exception class"
                for entry in raises
                if entry.startswith("<") or not entry.rsplit(".", 1)[-1][0].isupper()
            ]
    return found


CALLABLES = dict(public_callables())


def test_the_walk_covers_the_api() -> None:
    """The walk reaches the methods it exists for (a broken walk would check nothing)."""
    for name in (
        "pgconn.connect",
        "pgconn.Connection.fetch",
        "pgconn.Connection.copy_records_to_table",
        "pgconn.Connection.add_listener",
        "pgconn.Connection.set_type_codec",
        "pgconn.PreparedStatement.fetchrow",
        "pgconn.Transaction.start",
        "pgconn.Cursor.scroll",
        "pgpool.create_pool",
        "pgpool.Pool.acquire",
        "pgpool.Pool.copy_to_table",
        "pgpool.Pool.resize",
        "pgpool.PoolConnectionProxy[Connection].fetchval",
    ):
        assert name in CALLABLES, name
    assert len(CALLABLES) > 120


@pytest.mark.parametrize("name", sorted(CALLABLES))
def test_public_callable_is_documented(name: str) -> None:
    assert problems(CALLABLES[name]) == []


def test_public_classes_have_docstrings() -> None:
    missing = [
        f"{package.__name__}.{name}"
        for package in (pgconn, pgpool)
        for name in package.__all__
        if inspect.isclass(getattr(package, name)) and not (getattr(package, name).__doc__ or "").strip()
    ]
    assert missing == []


# -- the checker itself ---------------------------------------------------------------------


async def _complete(query: str, *args: Any, timeout: float | None = None) -> int:
    """Run a query.

    Args:
        query: the SQL.
        args: its arguments.
        timeout: seconds.

    Returns:
        A number.

    Raises:
        InterfaceError: closed.
    """
    return 0


async def _lacking(query: str, *, timeout: float | None = None, limit: int = 0) -> int:
    """Run a query.

    Args:
        query: the SQL.
        timeout, limit: grouped, which is not an entry per parameter.
        stale: a parameter that went away.

    Raises:
        As something else.

    Returns (sometimes):
        A number.
    """
    return 0


def _undocumented() -> int:
    return 0


def test_checker_accepts_a_complete_docstring() -> None:
    assert problems(_complete) == []


def test_checker_finds_what_is_missing() -> None:
    found = problems(_lacking)
    assert "parameter 'timeout' is not in Args" in found
    assert "parameter 'limit' is not in Args" in found
    assert "Args names 'stale', which is no parameter" in found
    assert any("no Returns section" in problem for problem in found)
    assert any("is not an exception class" in problem for problem in found)
    assert any("non-standard header 'Returns (sometimes):'" in problem for problem in found)
    assert problems(_undocumented) == ["no docstring"]
