"""pgtypes: The PostgreSQL type system for pgasync: codecs, Record, row decoding.

A skeleton for now: a later issue fills it.
"""

from __future__ import annotations

from pgtypes.__about__ import __version__

__all__ = ["__version__"]
