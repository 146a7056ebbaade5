"""Helpers for the listener and notification stream tests."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import pgconn

__all__ = ["channels_of", "eventually"]


async def eventually(condition: Callable[[], bool], seconds: float = 5.0) -> None:
    """Wait until ``condition()`` holds (the event loop runs meanwhile); fail after ``seconds``."""
    async with asyncio.timeout(seconds):
        while not condition():
            await asyncio.sleep(0.005)


async def channels_of(connection: pgconn.Connection) -> list[str]:
    """The channels the connection's session listens to, sorted (``pg_listening_channels()``)."""
    return sorted(await connection.fetchval("SELECT array(SELECT pg_listening_channels())"))
