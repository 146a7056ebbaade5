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
        """Use Python functions to encode and decode a type, in ``text``, ``binary`` or ``tuple`` format.

        Applies inside arrays, domains and composites of the type too; clears the statement
        cache (existing PreparedStatements keep their codecs). See ``docs/pgconn.md``.

        Args:
            typename: the type's name (``"json"``, ``"my_enum"``), as in ``pg_type.typname``.
            schema: the type's schema; built-in types live in ``"pg_catalog"``.
            encoder: called with each Python value sent for the type; returns a ``str``
                (text), a bytes-like object (binary), or the tuple form (tuple).
            decoder: called with each value received: a ``str`` (text), ``bytes`` (binary),
                or the tuple form (tuple); returns the Python value.
            format: ``"text"``, ``"binary"``, or ``"tuple"`` (the raw fields of date, time,
                timetz, timestamp, timestamptz and interval; for a composite type, a Record
                of its attribute values, and the only format composites take).

        Raises:
            InterfaceError: a bad ``format``, a type that is neither scalar nor composite,
                ``"tuple"`` for a type without a tuple form; or the connection is closed or busy.
            UnsupportedClientFeatureError: a domain, or a composite with a format other than
                ``"tuple"``.
            ValueError: no type ``schema.typename`` exists.
            PostgresError: the server's error while looking the type up.
        """
        info = await self._type_info(typename, schema)
        self._registry.set_type_codec(info, encoder=encoder, decoder=decoder, format=format)
        self._cache.clear()

    async def reset_type_codec(self, typename: str, *, schema: str = "public") -> None:
        """Go back to the built-in codecs for a type (both formats); clears the statement cache.

        Args:
            typename: the type's name, as for :meth:`set_type_codec`.
            schema: the type's schema; built-in types live in ``"pg_catalog"``.

        Raises:
            ValueError: no type ``schema.typename`` exists.
            InterfaceError: the connection is closed or busy.
            PostgresError: the server's error while looking the type up.
        """
        info = await self._type_info(typename, schema)
        self._registry.reset_type_codec(info)
        self._cache.clear()

    async def set_builtin_type_codec(
        self, typename: str, *, schema: str = "public", codec_name: str, format: str | None = None
    ) -> None:
        """Serve a scalar type (base, enum or domain) with a built-in codec, chosen by name.

        For extension types the server describes as unknown, e.g. ``hstore`` with
        ``codec_name="pg_contrib.hstore"``. Clears the statement cache.

        Args:
            typename: the type's name, as for :meth:`set_type_codec`.
            schema: the type's schema.
            codec_name: the built-in codec: a built-in type's name (``"int4"``, ``"text"``)
                or ``"pg_contrib.hstore"``.
            format: ``"text"``, ``"binary"``, or None for every format the codec has.

        Raises:
            InterfaceError: a non-scalar type, an unknown ``codec_name``, a bad ``format``,
                no codec of that name in the requested format; or the connection is closed
                or busy.
            ValueError: no type ``schema.typename`` exists.
            PostgresError: the server's error while looking the type up.
        """
        info = await self._type_info(typename, schema)
        self._registry.set_builtin_type_codec(info, codec_name=codec_name, format=format)
        self._cache.clear()

    async def reload_schema_state(self) -> None:
        """Forget introspected types and cached statements (after DDL that changed types).

        The next statement that meets a non-built-in type introspects it again. Sends
        nothing and raises nothing; statements the cache forgets are closed on the server
        with the next request. On a pooled connection it applies to that connection only
        (asyncpg reloads every connection of the pool).
        """
        self._registry.clear_types()
        self._cache.clear()
