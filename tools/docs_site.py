"""Build-time helpers for the documentation site (mkdocs.yml), used by ``hatch run docs:build``.

Two parts, both loaded by the docs build only:

- :class:`SphinxRoles`, a griffe extension: docstrings may cross-reference in Sphinx's
  notation (``:class:`Record```, ``:meth:`~pgconn.Connection.fetch```), which mkdocstrings does
  not read. Each role becomes an optional cross-reference: a link where the site documents the
  target, plain code where it does not (a private helper, the standard library). Markdown
  cross-references (``[Record][pgtypes.Record]``) are not optional: the strict build fails on
  one whose target is not on the site.
- :func:`on_startup`, a mkdocs hook: silences griffe's one warning about ``pgasync.__all__``,
  which extends itself with ``exceptions.__all__`` (a form griffe cannot follow). Those names
  are documented on the ``pgasync.exceptions`` page.
"""

from __future__ import annotations

import html
import logging
import re
import sys
from typing import Any

from griffe import Extension, Object

ROLE = re.compile(
    r":(?:py:)?(?:class|func|meth|mod|exc|attr|data|obj|const):`(?P<tilde>~)?(?P<target>[^`]+)`"
)


def _markdown(match: re.Match[str]) -> str:
    """The HTML for one Sphinx role: an optional cross-reference, or plain code."""
    target = match["target"].strip()
    shown = html.escape(target.rsplit(".", 1)[-1] if match["tilde"] else target)
    if target.split(".")[0] in sys.stdlib_module_names:
        return f"<code>{shown}</code>"
    # autorefs resolves the tag after rendering (scoped to the docstring's object, as a
    # Markdown reference is); ``optional`` leaves an unknown target as plain code.
    return f'<autoref identifier="{html.escape(target)}" optional><code>{shown}</code></autoref>'


def convert_roles(text: str) -> str:
    """``text`` with every Sphinx cross-reference role turned into an optional cross-reference."""
    return ROLE.sub(_markdown, text)


class SphinxRoles(Extension):  # type: ignore[misc]  # griffe is installed only in the docs environment
    """Turns Sphinx roles in docstrings into Markdown cross-references (see the module docstring)."""

    def on_object(self, *, obj: Object, **kwargs: Any) -> None:
        """Rewrite ``obj``'s docstring, if it has one."""
        if obj.docstring is not None:
            obj.docstring.value = convert_roles(obj.docstring.value)


class _UnfollowableAll(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return "Unsupported item in pgasync.__all__" not in record.getMessage()


def on_startup(**kwargs: Any) -> None:
    """mkdocs hook: install the log filter described in the module docstring."""
    for name in ("mkdocs.plugins.griffe",):
        logging.getLogger(name).addFilter(_UnfollowableAll())
