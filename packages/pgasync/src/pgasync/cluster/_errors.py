"""The exceptions :mod:`pgasync.cluster` raises.

A throwaway server fails in ways a test author must be able to act on: no binaries on the
machine, a server that died on start, a command that exited non-zero. Each error carries the
text that explains it (the places searched, the server log tail, the command's output).
"""

from __future__ import annotations

__all__ = ["BinariesNotFoundError", "ClusterError"]


class ClusterError(Exception):
    """A throwaway PostgreSQL server could not be created, started, configured or stopped."""


class BinariesNotFoundError(ClusterError):
    """No usable PostgreSQL server installation was found.

    Attributes:
        places: one line per place that was searched, saying what was found there.
    """

    def __init__(self, message: str, places: list[str]) -> None:
        super().__init__(message)
        self.places = places
