"""Where COPY data goes to and comes from: paths, file objects, coroutines, iterables, buffers.

The forms are asyncpg's, tried in its order. For COPY OUT (``output=``): a path (``str``,
``bytes`` or ``os.PathLike``: ``bytes`` is a path, as ``os.fspath`` takes it), an object with
``write``, or an ``async def`` sink called with each chunk. For COPY IN (``source=``): a path,
an object with ``read``, an async iterable of chunks, or a buffer (``bytearray``,
``memoryview``, ...) sent as it is. Files are opened, read, written and closed in the loop's
default executor, never on the event loop.
"""

from __future__ import annotations

import asyncio
import inspect
import os
from collections.abc import AsyncIterable, AsyncIterator, Awaitable, Callable
from typing import IO, Any

__all__ = ["CHUNK_SIZE", "Sink", "chunks_of", "sink_for"]

#: Bytes read from a file per CopyData message.
CHUNK_SIZE = 512 * 1024


class Sink:
    """Takes the chunks of a COPY OUT; :meth:`close` releases what it opened."""

    def __init__(
        self, write: Callable[[bytes], Awaitable[object]], close: Callable[[], Awaitable[None]]
    ) -> None:
        self.write = write
        self.close = close


def _path(value: object) -> str | bytes | None:
    try:
        return os.fspath(value)  # type: ignore[call-overload, no-any-return]  # any object may be PathLike
    except TypeError:
        return None


async def _nothing() -> None:
    return None


async def sink_for(output: object) -> Sink:
    """The :class:`Sink` for ``output``.

    Raises:
        TypeError: ``output`` is none of the accepted forms (asyncpg's message).
        OSError: the file cannot be opened.
    """
    loop = asyncio.get_running_loop()
    path = _path(output)
    if path is not None:
        file: IO[bytes] = await loop.run_in_executor(None, open, path, "wb")
        return _file_sink(loop, file, owned=True)
    if callable(getattr(output, "write", None)):
        return _file_sink(loop, output, owned=False)
    if callable(output):

        async def call(chunk: bytes) -> object:
            result = output(chunk)
            if inspect.isawaitable(result):
                return await result
            return result

        return Sink(call, _nothing)
    raise TypeError(
        "output is expected to be a file-like object, a path-like object or a coroutine function, "
        f"not {type(output).__name__}"
    )


def _file_sink(loop: asyncio.AbstractEventLoop, file: Any, *, owned: bool) -> Sink:
    async def write(chunk: bytes) -> object:
        return await loop.run_in_executor(None, file.write, chunk)

    async def close() -> None:
        if owned:
            await loop.run_in_executor(None, file.close)

    return Sink(write, close)


def _as_bytes(chunk: object, what: str) -> bytes:
    if isinstance(chunk, bytes):
        return chunk
    if isinstance(chunk, str):
        return chunk.encode("utf-8")  # the session's client_encoding is UTF8
    try:
        return memoryview(chunk).tobytes()  # type: ignore[arg-type]  # checked by memoryview itself
    except TypeError:
        raise TypeError(f"{what} must be bytes-like or str, got {type(chunk).__name__}") from None


def chunks_of(source: object) -> AsyncIterator[bytes]:
    """The chunks of ``source`` to send as CopyData, read lazily.

    The form is checked here, before anything is sent; reading starts at the first chunk.

    Raises:
        TypeError: ``source`` is none of the accepted forms (at once), or (while iterating)
            yields something not bytes-like.
        OSError: (while iterating) the file cannot be opened or read.
    """
    path = _path(source)
    if path is not None:
        return _file_chunks(path)
    read = getattr(source, "read", None)
    if callable(read):
        return _reader_chunks(read)
    if isinstance(source, AsyncIterable):
        return _iterable_chunks(source)
    try:
        data = memoryview(source)  # type: ignore[arg-type]  # any object may have the buffer protocol
    except TypeError:
        raise TypeError(
            "source is expected to be a path, a file-like object, an asynchronous iterable or a "
            f"bytes-like object, not {type(source).__name__}"
        ) from None
    return _buffer_chunks(data.tobytes())


async def _file_chunks(path: str | bytes) -> AsyncIterator[bytes]:
    loop = asyncio.get_running_loop()
    file: IO[bytes] = await loop.run_in_executor(None, open, path, "rb")
    try:
        while chunk := await loop.run_in_executor(None, file.read, CHUNK_SIZE):
            yield chunk
    finally:
        await asyncio.shield(loop.run_in_executor(None, file.close))


async def _reader_chunks(read: Callable[[int], Any]) -> AsyncIterator[bytes]:
    loop = asyncio.get_running_loop()
    while data := await loop.run_in_executor(None, read, CHUNK_SIZE):
        yield _as_bytes(data, "source.read()")


async def _iterable_chunks(source: AsyncIterable[Any]) -> AsyncIterator[bytes]:
    async for item in source:
        yield _as_bytes(item, "a chunk of the source")


async def _buffer_chunks(data: bytes) -> AsyncIterator[bytes]:
    if data:
        yield data
