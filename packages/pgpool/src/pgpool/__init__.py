"""pgpool: The pgasync connection pool.

A skeleton for now: a later issue fills it.
"""

from __future__ import annotations

from pgpool.__about__ import __version__

__all__ = ["__version__"]
