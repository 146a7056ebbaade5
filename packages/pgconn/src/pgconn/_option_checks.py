"""Checks of ``connect()``'s numeric options (timeouts, statement cache), before any I/O.

asyncpg rejects these with a plain ``ValueError`` (not ``ClientConfigurationError``), and so do we.
"""

from __future__ import annotations

import math

__all__ = ["validate_connection_options"]


def _check_size(name: str, value: object, *, allow_float: bool) -> None:
    numeric = (int, float) if allow_float else (int,)
    if (
        value is None
        or isinstance(value, bool)
        or not isinstance(value, numeric)
        or value < 0
        or (isinstance(value, float) and math.isnan(value))
    ):
        raise ValueError(f"{name} is expected to be greater or equal to 0, got {value!r}")


def _check_timeout(name: str, value: object) -> None:
    if (
        isinstance(value, bool) or not isinstance(value, int | float) or not value > 0  # also rejects NaN
    ):
        raise ValueError(f"invalid {name} value: expected greater than 0 float (got {value!r})")


def validate_connection_options(
    *,
    timeout: object,
    command_timeout: object,
    statement_cache_size: object,
    max_cached_statement_lifetime: object,
    max_cacheable_statement_size: object,
) -> None:
    """Check ``connect()``'s numeric options before anything is opened (asyncpg's rules).

    Args:
        timeout: seconds for the whole connection attempt: a number > 0, or None for no limit.
        command_timeout: the default per-operation timeout: a number > 0, or None.
        statement_cache_size: an int >= 0 (0 disables the statement cache).
        max_cached_statement_lifetime: seconds >= 0, int or float (0 means forever).
        max_cacheable_statement_size: an int >= 0 (0 means no limit).

    Raises:
        ValueError: a value of the wrong type (``bool`` included), negative, zero for a timeout,
            or None for a cache setting.
    """
    if timeout is not None:
        _check_timeout("timeout", timeout)
    if command_timeout is not None:
        _check_timeout("command_timeout", command_timeout)
    _check_size("statement_cache_size", statement_cache_size, allow_float=False)
    _check_size("max_cached_statement_lifetime", max_cached_statement_lifetime, allow_float=True)
    _check_size("max_cacheable_statement_size", max_cacheable_statement_size, allow_float=False)
