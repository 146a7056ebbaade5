"""The docs build's check of Sphinx roles in docstrings (tools/docs_site.py), without a build.

``hatch run docs:build`` fails when a role (``:class:`...```, ``:meth:`...```, ...) names
nothing; here the same checker runs on a small package written for the test, beside the five
real packages, and on the real packages themselves.
"""

from __future__ import annotations

from pathlib import Path

from griffe import GriffeLoader, Module, Object
from tools.docs_site import SEARCH_PATHS, broken_roles, convert_roles, load_packages

SAMPLE = '''"""A module that names :class:`Widget`, :class:`Widgit` and :mod:`pgconn`."""

from pgconn import Connection


class Widget:
    """Made by :meth:`make`, kept by :class:`Connection`, run by :meth:`Connection.fetch`.

    Broken: :meth:`Connection.fetchh`, :meth:`mak`, :exc:`pgwire.exceptions.NoSuchError`,
    :func:`asyncio.sleeep`; fine: :exc:`ValueError`, :func:`asyncio.sleep`,
    :class:`~pgpool.Pool`, :meth:`pgpool.Pool.acquire`, :attr:`size`,
    :exc:`pgasync.exceptions.UniqueViolationError`.
    """

    def __init__(self) -> None:
        self.size = 1

    def make(self) -> None:
        """The other way round from :meth:`Widget.make`: see :meth:`unmake`."""
'''


def load_sample(tmp_path: Path) -> tuple[Module, GriffeLoader]:
    (tmp_path / "sample_roles.py").write_text(SAMPLE, encoding="utf-8")
    loader = GriffeLoader(search_paths=[tmp_path, *SEARCH_PATHS])
    for name in ("pgwire", "pgtypes", "pgconn", "pgpool", "pgasync"):
        loader.load(name)
    sample = loader.load("sample_roles")
    assert isinstance(sample, Module)
    loader.resolve_aliases(implicit=True, external=False)
    return sample, loader


def test_broken_roles_are_named_with_their_docstring(tmp_path: Path) -> None:
    sample, loader = load_sample(tmp_path)
    assert broken_roles([sample], loader.modules_collection) == [
        "sample_roles: :class:`Widgit` names nothing in sample_roles's scope",
        "sample_roles.Widget: :meth:`Connection.fetchh` resolves to pgconn.Connection.fetchh, "
        "which does not exist",
        "sample_roles.Widget: :meth:`mak` names nothing in sample_roles.Widget's scope",
        "sample_roles.Widget: :exc:`pgwire.exceptions.NoSuchError` resolves to "
        "pgwire.exceptions.NoSuchError, which does not exist",
        "sample_roles.Widget: :func:`asyncio.sleeep` resolves to asyncio.sleeep, which does not exist",
        "sample_roles.Widget.make: :meth:`unmake` names nothing in sample_roles.Widget.make's scope",
    ]


def test_roles_become_links_to_full_paths(tmp_path: Path) -> None:
    sample, _ = load_sample(tmp_path)
    widget = sample.members["Widget"]
    assert isinstance(widget, Object)
    text = convert_roles(widget, ":meth:`Connection.fetch` and :class:`~pgpool.Pool` and :exc:`ValueError`")
    assert text == (
        '<autoref identifier="pgconn.Connection.fetch" optional><code>Connection.fetch</code></autoref>'
        ' and <autoref identifier="pgpool.Pool" optional><code>Pool</code></autoref>'
        " and <code>ValueError</code>"
    )


def test_the_packages_have_no_broken_roles() -> None:
    assert broken_roles(*load_packages()) == []
