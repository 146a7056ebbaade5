"""Build-time helpers for the documentation site (mkdocs.yml), used by ``hatch run docs:build``.

Three parts, loaded by the docs build (and the checker by tests/test_docs_site.py):

- :class:`SphinxRoles`, a griffe extension: docstrings may cross-reference in Sphinx's
  notation (``:class:`Record```, ``:meth:`~pgconn.Connection.fetch```), which mkdocstrings does
  not read. Each role becomes a cross-reference to the full path its target resolves to from
  the docstring's object (as Python would find the name there: the object's members, then its
  class's and module's, imports included): a link where the site documents the target, plain
  code where it does not (a private helper, the standard library). Markdown cross-references
  (``[Record][pgtypes.Record]``) fail the strict build when their target is not on the site.
- :func:`broken_roles`: every role whose target does not exist, in every docstring of the
  packages. A target of one of the five packages must name an object griffe finds there
  (inherited members included); one of the standard library or of an installed package must
  import; a bare or relative name must resolve from the docstring's object.
- :func:`on_pre_build`, a mkdocs hook: fails the build when :func:`broken_roles` finds any,
  naming each docstring and target. :func:`on_startup` silences griffe's one warning about
  ``pgasync.__all__``, which extends itself with ``exceptions.__all__`` (a form griffe cannot
  follow); those names are documented on the ``pgasync.exceptions`` page.
"""

from __future__ import annotations

import builtins
import html
import importlib
import importlib.util
import logging
import re
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from griffe import (
    Alias,
    AliasResolutionError,
    CyclicAliasError,
    Extension,
    GriffeLoader,
    Module,
    ModulesCollection,
    Object,
)

ROLE = re.compile(
    r":(?:py:)?(?:class|func|meth|mod|exc|attr|data|obj|const):`(?P<tilde>~)?(?P<target>[^`]+)`"
)
ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("pgwire", "pgtypes", "pgconn", "pgpool", "pgasync")
SEARCH_PATHS = [ROOT / "packages" / name / "src" for name in PACKAGES]
# Third-party packages a docstring may name that the docs environment does not install; their
# targets are taken on trust there (and checked wherever the package imports).
OPTIONAL_PACKAGES = frozenset({"sqlalchemy", "opentelemetry", "cryptography", "uvloop", "asyncpg"})

# What a target resolved to: a full dotted path, or None when it names nothing.
Resolved = str | None


def _clean(target: str) -> str:
    """The dotted name a role's target names: no ``.`` in front, no ``()`` after."""
    return target.strip().lstrip(".").removesuffix("()")


def _final(obj: Object | Alias) -> Object | Alias | None:
    """``obj`` with its aliases followed; None when one points at nothing (inside our packages)."""
    if not isinstance(obj, Alias):
        return obj
    try:
        return obj.final_target
    except (AliasResolutionError, CyclicAliasError):
        return None


def _members(obj: Object | Alias) -> dict[str, Any]:
    """The members of ``obj``, inherited ones included for a class."""
    if obj.is_class:
        try:
            return dict(obj.all_members)
        except (AliasResolutionError, CyclicAliasError):
            return dict(obj.members)
    return dict(obj.members)


def _external_exists(path: str) -> bool:
    """Whether ``path`` names something when imported (a module, then its attributes)."""
    parts = path.split(".")
    if parts[0] in vars(builtins):
        value: Any = builtins
        for part in parts:
            if not hasattr(value, part):
                return False
            value = getattr(value, part)
        return True
    if importlib.util.find_spec(parts[0]) is None:
        return parts[0] in OPTIONAL_PACKAGES
    for split in range(len(parts), 0, -1):
        try:
            value = importlib.import_module(".".join(parts[:split]))
        except ImportError:
            continue
        for part in parts[split:]:
            if not hasattr(value, part):
                return False
            value = getattr(value, part)
        return True
    return False


def _lookup(collection: ModulesCollection, path: str) -> bool:
    """Whether ``path`` names an object of the loaded packages, or exists outside them."""
    parts = path.split(".")
    if parts[0] not in collection.members:
        return parts[0] not in PACKAGES and _external_exists(path)
    obj: Object | Alias | None = collection.members[parts[0]]
    for index, part in enumerate(parts[1:], start=1):
        assert obj is not None
        members = _members(obj)
        if part not in members:
            # griffe cannot follow every re-export (``__all__`` built from another module's
            # ``__all__``, as pgwire.exceptions does with the SQLSTATE classes): import it.
            return _external_exists(path)
        member = members[part]
        obj = _final(member)
        if obj is None:  # an alias out of our packages, or a broken one
            target = member.target_path if isinstance(member, Alias) else member.path
            return _lookup(collection, ".".join([target, *parts[index + 1 :]]))
    return True


def resolve(obj: Object, target: str) -> Resolved:
    """The full path ``target`` (a role's target) names from ``obj``'s docstring, if any.

    Args:
        obj: the object whose docstring holds the role.
        target: the role's target, as written (``~`` removed).

    Returns:
        The dotted path the first name resolves to, joined with the rest of the target; the
        target itself when its first name is a package or a built-in; None when the first
        name is found nowhere.
    """
    name = _clean(target)
    first, _, rest = name.partition(".")
    if first in PACKAGES or first in sys.stdlib_module_names or first in vars(builtins):
        return name
    scope: Object | None = obj
    while scope is not None:
        if scope.name == first and not scope.is_module:
            return ".".join(filter(None, [scope.path, rest]))
        members = _members(scope)
        if first in members:
            member = members[first]
            found = member.target_path if isinstance(member, Alias) else member.path
            return ".".join(filter(None, [found, rest]))
        scope = scope.parent
    if importlib.util.find_spec(first) is not None or first in OPTIONAL_PACKAGES:
        return name
    return None


def _objects(obj: Object) -> Iterator[Object]:
    """``obj`` and every object defined inside it (aliases skipped: their docstring is elsewhere)."""
    yield obj
    for member in obj.members.values():
        if not isinstance(member, Alias):
            yield from _objects(member)


def broken_roles(modules: Sequence[Module], collection: ModulesCollection) -> list[str]:
    """Every role in the docstrings of ``modules`` whose target does not exist.

    Args:
        modules: the packages (or modules) whose docstrings are read.
        collection: every package the targets may point into, loaded.

    Returns:
        One line per broken role, ``<object path>: <role>`` and why, in source order.
    """
    problems = []
    for module in modules:
        for obj in _objects(module):
            if obj.docstring is None:
                continue
            for match in ROLE.finditer(obj.docstring.value):
                path = resolve(obj, match["target"])
                if path is None:
                    problems.append(f"{obj.path}: {match[0]} names nothing in {obj.path}'s scope")
                elif not _lookup(collection, path):
                    problems.append(f"{obj.path}: {match[0]} resolves to {path}, which does not exist")
    return problems


def load_packages(search_paths: Sequence[Path] = SEARCH_PATHS) -> tuple[list[Module], ModulesCollection]:
    """The five packages as griffe reads them from source (nothing imported), aliases resolved."""
    loader = GriffeLoader(search_paths=list(search_paths))
    modules = []
    for name in PACKAGES:
        module = loader.load(name)
        assert isinstance(module, Module)
        modules.append(module)
    loader.resolve_aliases(implicit=True, external=False)
    return modules, loader.modules_collection


def _markdown(obj: Object, match: re.Match[str]) -> str:
    """The HTML for one Sphinx role of ``obj``'s docstring: an optional cross-reference."""
    target = _clean(match["target"])
    shown = html.escape(target.rsplit(".", 1)[-1] if match["tilde"] else target)
    if target.split(".")[0] in sys.stdlib_module_names or target.split(".")[0] in vars(builtins):
        return f"<code>{shown}</code>"
    identifier = resolve(obj, target) or target
    # autorefs resolves the tag after rendering; ``optional`` leaves a target the site does not
    # document (a private helper, another package) as plain code.
    return f'<autoref identifier="{html.escape(identifier)}" optional><code>{shown}</code></autoref>'


def convert_roles(obj: Object, text: str) -> str:
    """``text`` (``obj``'s docstring) with every Sphinx role turned into a cross-reference."""
    return ROLE.sub(lambda match: _markdown(obj, match), text)


class SphinxRoles(Extension):
    """Turns Sphinx roles in docstrings into Markdown cross-references (see the module docstring)."""

    def on_package(self, *, pkg: Module, **kwargs: Any) -> None:
        """Rewrite the docstrings of ``pkg``, loaded whole (so every name it defines resolves)."""
        for obj in _objects(pkg):
            if obj.docstring is not None:
                obj.docstring.value = convert_roles(obj, obj.docstring.value)


class _UnfollowableAll(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return "Unsupported item in pgasync.__all__" not in record.getMessage()


def on_startup(**kwargs: Any) -> None:
    """mkdocs hook: install the log filter described in the module docstring."""
    for name in ("mkdocs.plugins.griffe", "griffe"):
        logging.getLogger(name).addFilter(_UnfollowableAll())


def on_pre_build(**kwargs: Any) -> None:
    """mkdocs hook: fail the build on a role whose target does not exist.

    Raises:
        mkdocs.exceptions.PluginError: one or more roles are broken; the message lists each,
            with the docstring's object and the target.
    """
    from mkdocs.exceptions import PluginError

    sys.path.extend(str(path) for path in SEARCH_PATHS if str(path) not in sys.path)
    problems = broken_roles(*load_packages())
    if problems:
        raise PluginError(
            f"{len(problems)} cross-reference role(s) in docstrings name nothing:\n  " + "\n  ".join(problems)
        )
