"""Prepared statement state and the connection's statement cache.

A :class:`StatementState` is what the connection knows about one prepared statement: its
server-side name ("" for the unnamed statement), parameter types, result columns, and the
parameter encoder and row decoders built for them. The implicit cache of ``fetch`` and friends
(:class:`StatementCache`) keeps named statements by query text: least recently used out
first, at most ``max_size`` entries, each at most ``max_lifetime`` seconds old, and no query
longer than ``max_query_size``. Evicted statements are closed on the server with the next
request the connection sends (their Close messages ride along), never with a round trip of
their own. A statement made by ``Connection.prepare()`` is closed the same way once nothing
refers to it any more (neither its ``PreparedStatement`` nor a cursor open on it), as asyncpg
does: dropping prepared statements does not leave them on the server.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable

import pgwire
from pgtypes import ParameterEncoder, Record, RowDecoder, TypeRegistry

__all__ = ["StatementCache", "StatementState"]


class StatementState:
    """One prepared statement as the connection knows it."""

    __slots__ = (
        "_decoders",
        "closed",
        "encoder",
        "fields",
        "name",
        "param_oids",
        "prepared_at",
        "query",
        "registry",
        "release",
    )

    def __init__(
        self,
        name: str,
        query: str,
        param_oids: tuple[int, ...],
        fields: tuple[pgwire.FieldDescription, ...] | None,
        registry: TypeRegistry,
        prepared_at: float,
    ) -> None:
        self.name = name
        self.query = query
        self.param_oids = param_oids
        self.fields = fields
        self.registry = registry
        self.prepared_at = prepared_at
        self.closed = False
        # Set for statements of Connection.prepare(): queues the server-side Close when the
        # state is garbage (a cached statement is closed by the cache instead).
        self.release: Callable[[str], None] | None = None
        self.encoder = ParameterEncoder.for_types(registry, param_oids)
        self._decoders: dict[type[Record], RowDecoder] = {}

    def decoder(self, record_class: type[Record]) -> RowDecoder | None:
        """The row decoder for ``record_class`` (built once), or None for a statement without rows."""
        if self.fields is None:
            return None
        decoder = self._decoders.get(record_class)
        if decoder is None:
            decoder = RowDecoder.for_fields(self.registry, self.fields, record_class)
            self._decoders[record_class] = decoder
        return decoder

    @property
    def result_formats(self) -> tuple[int, ...]:
        """Bind's result format codes (binary where the registry has a codec)."""
        decoder = self.decoder(Record)
        return () if decoder is None else decoder.result_formats

    def __del__(self) -> None:
        release = getattr(self, "release", None)
        if release is not None and not self.closed and self.name:
            self.closed = True
            release(self.name)

    def __repr__(self) -> str:
        return f"<StatementState {self.name or '(unnamed)'} {self.query[:40]!r}>"


class StatementCache:
    """LRU of named statements by query text, with a size, an age and a query-length limit."""

    __slots__ = ("_entries", "max_lifetime", "max_query_size", "max_size", "portals_to_close", "to_close")

    def __init__(self, max_size: int, max_lifetime: float, max_query_size: int) -> None:
        self.max_size = max_size
        self.max_lifetime = max_lifetime
        self.max_query_size = max_query_size
        self._entries: OrderedDict[str, StatementState] = OrderedDict()
        #: Names of evicted statements still to be closed on the server.
        self.to_close: list[str] = []
        #: Names of cursors abandoned by their iterator, closed the same way.
        self.portals_to_close: list[str] = []

    def __len__(self) -> int:
        return len(self._entries)

    @property
    def enabled(self) -> bool:
        """False with ``statement_cache_size=0``: unnamed statements only (PgBouncer mode)."""
        return self.max_size > 0

    def accepts(self, query: str) -> bool:
        """Whether ``query`` may be cached (the cache is on and the query is not too long)."""
        return self.max_size > 0 and (self.max_query_size == 0 or len(query) <= self.max_query_size)

    def get(self, query: str, now: float) -> StatementState | None:
        """The cached statement for ``query``, unless it is missing, closed or too old."""
        state = self._entries.get(query)
        if state is None:
            return None
        if state.closed or (self.max_lifetime and now - state.prepared_at > self.max_lifetime):
            self.discard(query)
            return None
        self._entries.move_to_end(query)
        return state

    def put(self, state: StatementState) -> None:
        """Cache ``state``, evicting the least recently used entries beyond ``max_size``."""
        self._entries[state.query] = state
        self._entries.move_to_end(state.query)
        while len(self._entries) > self.max_size:
            _, evicted = self._entries.popitem(last=False)
            self._retire(evicted)

    def discard(self, query: str) -> None:
        """Drop ``query``'s statement (its server-side statement is closed later)."""
        state = self._entries.pop(query, None)
        if state is not None:
            self._retire(state)

    def clear(self) -> None:
        """Drop every statement (after a codec change or a schema reload)."""
        for state in self._entries.values():
            self._retire(state)
        self._entries.clear()

    def _retire(self, state: StatementState) -> None:
        if not state.closed and state.name:
            self.to_close.append(state.name)
        state.closed = True

    def take_close_messages(self) -> list[pgwire.Close]:
        """Close messages for the evicted statements, to send ahead of the next request."""
        if not self.to_close and not self.portals_to_close:
            return []
        messages = [pgwire.Close("S", name) for name in self.to_close]
        messages += [pgwire.Close("P", name) for name in self.portals_to_close]
        self.to_close.clear()
        self.portals_to_close.clear()
        return messages
