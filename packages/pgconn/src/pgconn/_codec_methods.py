"""The type codec methods of ``Connection``: ``set_type_codec`` and its relatives.

They resolve a type name to its catalog facts (built-in names directly, others with a
``pg_type`` lookup and introspection) and change the connection's own copy of the codec
registry; the statement cache is cleared so that new statements pick the change up, while
existing PreparedStatements keep the codecs they were built with (as in asyncpg).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from pgconn._statement import StatementCache
from pgtypes import TypeInfo, TypeRegistry, lookup_builtin_type

__all__ = ["TypeCodecMethods"]


class TypeCodecMethods:
    """Mixed into ``Connection``; relies on its registry, cache and query methods."""

    _registry: TypeRegistry
    _cache: StatementCache
    _busy: bool

    if TYPE_CHECKING:  # defined by Connection

        async def fetchval(
            self, query: str, *args: Any, column: int | str = 0, timeout: float | None = None
        ) -> Any: ...

        def _enter(self) -> None: ...

        async def _introspect(self, oids: Iterable[int]) -> None: ...

    async def _type_info(self, typename: str, schema: str) -> TypeInfo:
        if schema == "pg_catalog":
            info = lookup_builtin_type(typename)
            if info is not None:
                return info
        oid = await self.fetchval(
            "SELECT t.oid FROM pg_catalog.pg_type AS t "
            "JOIN pg_catalog.pg_namespace AS n ON n.oid = t.typnamespace "
            "WHERE t.typname = $1 AND n.nspname = $2",
            typename,
            schema,
        )
        if oid is None:
            raise ValueError(f"unknown type: {schema}.{typename}")
        self._enter()
        try:
            await self._introspect([oid])
        finally:
            self._busy = False
        found = self._registry.type_info(oid)
        assert found is not None
        return found

    async def set_type_codec(
        self,
        typename: str,
        *,
        schema: str = "public",
        encoder: Callable[[Any], Any],
        decoder: Callable[[Any], Any],
        format: str = "text",
    ) -> None:
        """Use Python functions for a type, in ``text``, ``binary`` or ``tuple`` format.

        Applies inside arrays, domains and composites of the type too; clears the statement
        cache (existing PreparedStatements keep their codecs). See ``docs/pgconn.md``.
        """
        info = await self._type_info(typename, schema)
        self._registry.set_type_codec(info, encoder=encoder, decoder=decoder, format=format)
        self._cache.clear()

    async def reset_type_codec(self, typename: str, *, schema: str = "public") -> None:
        """Go back to the built-in codecs for a type."""
        info = await self._type_info(typename, schema)
        self._registry.reset_type_codec(info)
        self._cache.clear()

    async def set_builtin_type_codec(
        self, typename: str, *, schema: str = "public", codec_name: str, format: str | None = None
    ) -> None:
        """Serve a scalar type with a built-in codec (``codec_name``: ``int4``, ``pg_contrib.hstore``...)."""
        info = await self._type_info(typename, schema)
        self._registry.set_builtin_type_codec(info, codec_name=codec_name, format=format)
        self._cache.clear()

    async def reload_schema_state(self) -> None:
        """Forget introspected types and cached statements (after DDL that changed types)."""
        self._registry.clear_types()
        self._cache.clear()
