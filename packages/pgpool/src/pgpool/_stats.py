"""``PoolStats``: what a pool did since it was made, and what it holds now."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["PoolStats"]


@dataclass
class PoolStats:
    """Counters since the pool was made (times in seconds), and its gauges when read.

    Attributes:
        requests: acquires asked for.
        requests_waited: acquires that had to wait (no idle connection at once).
        wait_time: the time acquires spent waiting, in all.
        wait_time_max: the longest wait.
        timeouts: acquires that gave up (timeout) before getting a connection.
        rejected: acquires refused at once because ``max_waiting`` callers waited.
        usage_time: the time connections spent acquired, in all.
        connections_opened: connections opened.
        connections_failed: attempts to open one that failed.
        connections_lost: connections found closed (by the server, the network) in the pool.
        connections_recycled: connections closed by the pool's rules (idle lifetime,
            ``max_lifetime``, ``max_queries``, ``expire_connections``, a failed reset).
        health_checks_failed: idle connections that failed the check before hand-out.
        size, idle, in_use, waiting, max_size, min_size: the gauges at the time of reading.
    """

    requests: int = 0
    requests_waited: int = 0
    wait_time: float = 0.0
    wait_time_max: float = 0.0
    timeouts: int = 0
    rejected: int = 0
    usage_time: float = 0.0
    connections_opened: int = 0
    connections_failed: int = 0
    connections_lost: int = 0
    connections_recycled: int = 0
    health_checks_failed: int = 0
    size: int = 0
    idle: int = 0
    in_use: int = 0
    waiting: int = 0
    max_size: int = 0
    min_size: int = 0
