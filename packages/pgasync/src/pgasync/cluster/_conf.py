"""Rendering server settings into the configuration file a throwaway cluster includes.

initdb's ``postgresql.conf`` is left as written except for one ``include`` line at its end; the
cluster rewrites the included file whole whenever its settings change. Later lines win
(PostgreSQL documentation, "Setting Parameters": the last setting of a parameter takes effect).
"""

from __future__ import annotations

import re
from collections.abc import Mapping

__all__ = ["SettingValue", "render_settings", "render_value"]

SettingValue = str | int | float | bool

# Parameter names are identifiers, optionally qualified by an extension prefix ("auto_explain.x").
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)?$")


def render_value(value: SettingValue) -> str:
    """One parameter value in configuration file syntax.

    Booleans become ``on``/``off``; numbers stay bare; strings are single-quoted with embedded
    quotes doubled ("Parameter Interaction via the Configuration File").

    Args:
        value: the value.

    Returns:
        The value's text.

    Raises:
        ValueError: a string holds a newline or NUL, which the file format cannot carry.
    """
    if isinstance(value, bool):
        return "on" if value else "off"
    if isinstance(value, int | float):
        return repr(value)
    if "\n" in value or "\r" in value or "\0" in value:
        raise ValueError(f"a setting value cannot hold newlines or NUL: {value!r}")
    return "'" + value.replace("'", "''") + "'"


def render_settings(settings: Mapping[str, SettingValue]) -> str:
    """The text of a configuration file that sets ``settings`` in order.

    Args:
        settings: parameter names and values.

    Returns:
        One ``name = value`` line per setting, ending with a newline.

    Raises:
        ValueError: a name is not a parameter name, or a value cannot be written.
    """
    lines = ["# Written by pgasync.cluster; rewritten whole when the settings change."]
    for name, value in settings.items():
        if not _NAME.match(name):
            raise ValueError(f"not a server parameter name: {name!r}")
        lines.append(f"{name} = {render_value(value)}")
    return "\n".join(lines) + "\n"
