"""The codec registry: which codec serves each type OID in each wire format.

Three layers, looked up in this order:

1. user codecs (``set_type_codec``, ``set_builtin_type_codec``), per connection;
2. the built-in codecs of the family modules (:func:`pgtypes._builtin_codecs.builtin_codecs`),
   shared by every registry and never changed;
3. codecs derived from type information: arrays, composites, domains, enums, ranges,
   multiranges and extension types, built on first use from :class:`TypeInfo` and cached.

:meth:`TypeRegistry.default` is one shared, read-only registry; each connection takes
:meth:`~TypeRegistry.copy`, which shares the tables until the first write (copy on write).
Changing a user codec clears the derived cache, so that arrays, domains and composites of
the type pick the new codec up; decoders already built keep the codecs they were built with.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, ClassVar, Final, Literal

from pgtypes import _array, _composite, _hstore, _range, _text
from pgtypes._builtin_codecs import BUILTIN_TYPE_INFOS, builtin_codecs, lookup_builtin_type
from pgtypes._codec import BINARY, TEXT, Codec
from pgtypes._datetime import TUPLE_CODECS
from pgtypes._record import record_maker
from pgtypes._type_meta import Type
from pgtypes._typeinfo import TypeInfo
from pgwire.exceptions import InterfaceError, InternalClientError, UnsupportedClientFeatureError

__all__ = ["CodecFormat", "TypeRegistry"]

CodecFormat = Literal["text", "binary", "tuple"]

_RECORD_OID: Final = 2249
_HSTORE_CODEC: Final = "pg_contrib.hstore"
_SCALAR_KINDS: Final = frozenset({"base", "enum", "domain", "pseudo"})


@dataclass(frozen=True, slots=True)
class _UserCodec:
    """A user's codec choice for one type, turned into :class:`Codec` objects on lookup."""

    format: CodecFormat | Literal["alias"]
    encoder: Callable[[Any], Any] | None = None
    decoder: Callable[[Any], Any] | None = None
    # For aliases: the codecs to serve, by wire format.
    aliased: tuple[Codec, ...] = ()


class TypeRegistry:
    """Codecs by (type OID, wire format), with type information for non-built-in types.

    Use :meth:`default` for the shared read-only registry and :meth:`copy` for a writable one.
    """

    __slots__ = ("_derived", "_frozen", "_infos", "_infos_shared", "_user", "_user_shared")

    _default: ClassVar[TypeRegistry | None] = None

    def __init__(self) -> None:
        self._infos: dict[int, TypeInfo] = {}
        self._user: dict[int, _UserCodec] = {}
        self._derived: dict[tuple[int, int], Codec | None] = {}
        self._infos_shared = False
        self._user_shared = False
        self._frozen = False

    @classmethod
    def default(cls) -> TypeRegistry:
        """The shared registry of built-in codecs; read-only (write to a :meth:`copy`)."""
        if cls._default is None:
            registry = cls()
            registry._frozen = True
            cls._default = registry
        return cls._default

    def copy(self) -> TypeRegistry:
        """A writable registry with the same contents; tables are copied on the first write."""
        clone = TypeRegistry()
        clone._infos = self._infos
        clone._user = self._user
        clone._infos_shared = clone._user_shared = True
        self._infos_shared = self._user_shared = True
        clone._derived = dict(self._derived)
        return clone

    def __repr__(self) -> str:
        return (
            f"<TypeRegistry types={len(self._infos)} user_codecs={len(self._user)}"
            f"{' read-only' if self._frozen else ''}>"
        )

    # -- writes ----------------------------------------------------------------------------

    def _writable(self) -> None:
        if self._frozen:
            raise InterfaceError("the default type registry is read-only: change a copy() of it")

    def _own_infos(self) -> dict[int, TypeInfo]:
        self._writable()
        if self._infos_shared:
            self._infos = dict(self._infos)
            self._infos_shared = False
        return self._infos

    def _own_user(self) -> dict[int, _UserCodec]:
        self._writable()
        if self._user_shared:
            self._user = dict(self._user)
            self._user_shared = False
        return self._user

    def add_types(self, infos: Iterable[TypeInfo]) -> None:
        """Learn (or re-learn) the catalog facts of non-built-in types.

        Derived codecs are rebuilt on next use, so re-adding a changed composite takes effect.

        Raises:
            InterfaceError: this is the read-only default registry.
        """
        own = self._own_infos()
        for info in infos:
            own[info.oid] = info
        self._derived.clear()

    def clear_types(self) -> None:
        """Forget all type information learnt with :meth:`add_types` (``reload_schema_state``)."""
        self._own_infos().clear()
        self._derived.clear()

    def set_type_codec(
        self,
        info: TypeInfo,
        *,
        encoder: Callable[[Any], Any],
        decoder: Callable[[Any], Any],
        format: str = "text",
    ) -> None:
        """Use the user's ``encoder``/``decoder`` for a type, in one exchange format.

        ``text``: the decoder gets a ``str`` and the encoder returns one. ``binary``: the
        decoder gets ``bytes`` and the encoder returns a bytes-like object. ``tuple``: for
        date, time, timetz, timestamp, timestamptz and interval the raw fields as a tuple
        (see ``docs/pgtypes.md``); for composites the decoder gets a Record of the attribute
        values and the encoder returns a sequence. The type's other formats stop being used.

        Raises:
            InterfaceError: a bad ``format``, a type that is neither scalar nor composite, or
                ``tuple`` on a type without a tuple form.
            UnsupportedClientFeatureError: a domain, or a composite with a format other than
                ``tuple``.
        """
        if format not in ("text", "binary", "tuple"):
            raise InterfaceError(
                f"invalid `format` argument, expected 'text', 'binary' or 'tuple', got {format!r}"
            )
        if info.kind == "domain":
            raise UnsupportedClientFeatureError(
                "custom codecs on domain types are not supported", hint="Set the codec on the base type."
            )
        if info.kind == "composite":
            if format != "tuple":
                raise UnsupportedClientFeatureError(
                    "only tuple-format codecs can be used on composite types",
                    hint="Use `set_type_codec(..., format='tuple')` and handle encoding and "
                    "decoding of the attribute values yourself.",
                )
        elif info.kind not in _SCALAR_KINDS:
            raise InterfaceError(
                f"cannot use custom codec on type {info.qualified_name}: "
                "it is neither a scalar type nor a composite type"
            )
        elif format == "tuple" and info.oid not in TUPLE_CODECS:
            raise InterfaceError(f"{info.name} type does not support the 'tuple' exchange format")
        self._remember(info)
        self._own_user()[info.oid] = _UserCodec(format, encoder, decoder)  # type: ignore[arg-type]  # checked above
        self._derived.clear()

    def set_builtin_type_codec(self, info: TypeInfo, *, codec_name: str, format: str | None = None) -> None:
        """Serve a scalar type (base, enum or domain) with a built-in codec, chosen by name.

        ``codec_name`` is a built-in type name (``int4``, ``integer``, ``text``, ...) or
        ``pg_contrib.hstore``; ``format`` is ``None`` (every format the codec has), ``text``
        or ``binary``.

        Raises:
            InterfaceError: a non-scalar type, an unknown codec name, a bad ``format``, or no
                codec of that name in the requested format.
        """
        if format not in (None, "text", "binary"):
            raise InterfaceError(
                f"invalid `format` argument, expected 'text', 'binary' or None, got {format!r}"
            )
        if info.kind not in _SCALAR_KINDS:
            raise InterfaceError(f"cannot alias non-scalar type {info.qualified_name}")
        if codec_name == _HSTORE_CODEC:
            candidates = [
                _hstore.hstore_codec(info.oid, info.name, info.schema),
                _hstore.hstore_text_codec(info.oid, info.name, info.schema),
            ]
        else:
            target = lookup_builtin_type(codec_name)
            if target is None:
                raise InterfaceError(
                    f"cannot alias {info.qualified_name} to {codec_name}: no such built-in codec"
                )
            candidates = [
                codec.renamed(info.oid, info.name, info.schema)
                for codec in (self.codec(target.oid, BINARY), self.codec(target.oid, TEXT))
                if codec is not None
            ]
        wanted = {None: (BINARY, TEXT), "binary": (BINARY,), "text": (TEXT,)}[format]
        chosen = tuple(codec for codec in candidates if codec.format in wanted)
        if not chosen:
            described = {None: "text or binary", "binary": "binary", "text": "text"}[format]
            raise InterfaceError(
                f"cannot alias {info.qualified_name} to {codec_name}: "
                f"there is no {described} codec for {codec_name}"
            )
        self._remember(info)
        self._own_user()[info.oid] = _UserCodec("alias", aliased=chosen)
        self._derived.clear()

    def reset_type_codec(self, info: TypeInfo) -> None:
        """Go back to the default codecs of a type (both formats)."""
        if info.oid in self._user:
            del self._own_user()[info.oid]
        self._derived.clear()

    def _remember(self, info: TypeInfo) -> None:
        if info.oid not in BUILTIN_TYPE_INFOS and self._infos.get(info.oid) != info:
            self._own_infos()[info.oid] = info

    # -- reads -----------------------------------------------------------------------------

    def type_info(self, oid: int) -> TypeInfo | None:
        """The catalog facts of a type, built-in or learnt, or ``None``."""
        return BUILTIN_TYPE_INFOS.get(oid) or self._infos.get(oid)

    def missing_oids(self, oids: Iterable[int]) -> set[int]:
        """The OIDs among ``oids`` (and the types they are built from) with no information.

        ``pgconn`` introspects these before it builds decoders and encoders; an empty set
        means every codec can be built.
        """
        missing: set[int] = set()
        pending = list(oids)
        seen: set[int] = set()
        while pending:
            oid = pending.pop()
            if oid in seen or oid == 0:
                continue
            seen.add(oid)
            info = self.type_info(oid)
            if info is None:
                missing.add(oid)
            else:
                pending.extend(info.depends_on())
        return missing

    def describe(self, oid: int) -> Type:
        """The :class:`~pgtypes.types.Type` of an OID (arrays named ``elem[]``).

        Raises:
            InternalClientError: nothing is known about the OID.
        """
        info = self._require(oid)
        kind = {"array": "array", "composite": "composite", "range": "range", "multirange": "multirange"}
        name = info.name
        if info.kind == "array":
            element = self.type_info(info.element_oid)
            name = (element.name if element is not None else info.name.lstrip("_")) + "[]"
        return Type(oid, name, kind.get(info.kind, "scalar"), info.schema)

    def codec(self, oid: int, format_code: int) -> Codec | None:
        """The codec serving ``oid`` in ``format_code``, or ``None`` when there is none."""
        user = self._user.get(oid)
        if user is not None:
            return self._user_codec(oid, user, format_code)
        found = builtin_codecs().get(oid, format_code)
        if found is not None:
            return found
        key = (oid, format_code)
        try:
            return self._derived[key]
        except KeyError:
            pass
        info = self.type_info(oid)
        built = None if info is None else self._derive(info, format_code)
        self._derived[key] = built
        return built

    def result_codec(self, oid: int) -> Codec:
        """The codec to receive a column of type ``oid`` with: binary when there is one.

        Raises:
            InternalClientError: nothing is known about the OID (introspect it first).
            UnsupportedClientFeatureError: the type has no codec in either format (for
                example a composite with an attribute that only has a text form).
        """
        codec = self.codec(oid, BINARY) or self.codec(oid, TEXT)
        if codec is None:
            raise self._no_codec(oid)
        return codec

    def parameter_codec(self, oid: int) -> Codec:
        """The codec to send a parameter of type ``oid`` with: binary when there is one.

        Raises: as :meth:`result_codec`.
        """
        return self.result_codec(oid)

    def _require(self, oid: int) -> TypeInfo:
        info = self.type_info(oid)
        if info is None:
            raise InternalClientError(f"no type information for OID {oid}: introspect it before use")
        return info

    def _no_codec(self, oid: int) -> Exception:
        info = self._require(oid)
        if info.kind == "composite":
            return UnsupportedClientFeatureError(
                f"cannot decode type {info.qualified_name}: text encoding of composite types is not supported"
            )
        if info.kind in ("range", "multirange"):
            return UnsupportedClientFeatureError(
                f"cannot decode type {info.qualified_name}: text encoding of range types is not supported"
            )
        return UnsupportedClientFeatureError(f"unhandled data type {info.qualified_name!r} (OID {oid})")

    # -- building codecs ---------------------------------------------------------------------

    def _user_codec(self, oid: int, user: _UserCodec, format_code: int) -> Codec | None:
        if user.format == "alias":
            return next((codec for codec in user.aliased if codec.format == format_code), None)
        info = self._require(oid)
        encoder, decoder = user.encoder, user.decoder
        assert encoder is not None and decoder is not None
        if user.format == "text":
            if format_code != TEXT:
                return None
            return Codec(oid, info.name, TEXT, _text_encoder(encoder), _text_decoder(decoder), info.schema)
        if format_code != BINARY:
            return None
        if user.format == "binary":
            return Codec(oid, info.name, BINARY, _binary_encoder(encoder), decoder, info.schema)
        if info.kind == "composite":
            composite = self._derive(info, BINARY)
            if composite is None:
                return None
            inner_encode, inner_decode = composite.encode, composite.decode
            return Codec(
                oid,
                info.name,
                BINARY,
                lambda value: inner_encode(encoder(value)),
                lambda data: decoder(inner_decode(data)),
                info.schema,
                kind="composite",
            )
        to_wire, from_wire = TUPLE_CODECS[oid]
        return Codec(
            oid,
            info.name,
            BINARY,
            lambda value: to_wire(tuple(encoder(value))),
            lambda data: decoder(from_wire(data)),
            info.schema,
        )

    def _derive(self, info: TypeInfo, format_code: int) -> Codec | None:
        kind = info.kind
        if kind == "array":
            element = self.codec(info.element_oid, format_code)
            if element is None:
                return None
            if format_code == BINARY:
                return _array.binary_array_codec(info.oid, info.name, info.schema, element)
            element_info = self.type_info(info.element_oid)
            delimiter = element_info.delimiter if element_info is not None else ","
            return _array.text_array_codec(info.oid, info.name, info.schema, element, delimiter)
        if kind == "domain":
            base = self.codec(info.base_oid, format_code)
            return None if base is None else base.renamed(info.oid, info.name, info.schema)
        if kind == "enum":
            if format_code == BINARY:
                return _text.enum_codec(info.oid, info.name, info.schema)
            return _text.text_codec(info.oid, info.name, info.schema)
        if format_code != BINARY:
            # Composites, ranges and multiranges travel in binary only (as in asyncpg);
            # other types without a codec of their own fall back to their text form.
            if kind in ("composite", "range", "multirange"):
                return None
            if info.name == "hstore":
                # str by default, as asyncpg; set_builtin_type_codec(pg_contrib.hstore) for dicts.
                return _hstore.hstore_str_text_codec(info.oid, info.name, info.schema)
            return _text.text_codec(info.oid, info.name, info.schema)
        if kind == "range":
            subtype = self.codec(info.range_subtype_oid, BINARY)
            if subtype is None:
                return None
            return _range.binary_range_codec(info.oid, info.name, info.schema, subtype)
        if kind == "multirange":
            range_codec = self.codec(info.range_subtype_oid, BINARY)
            if range_codec is None:
                return None
            return _range.binary_multirange_codec(info.oid, info.name, info.schema, range_codec)
        if kind == "composite":
            attributes: list[tuple[str, Codec]] = []
            for name, attribute_oid in info.attributes:
                attribute = self.codec(attribute_oid, BINARY)
                if attribute is None:
                    return None
                attributes.append((name, attribute))
            make_record = record_maker([name for name, _ in info.attributes])
            return _composite.binary_composite_codec(
                info.oid, info.name, info.schema, attributes, make_record
            )
        if info.oid == _RECORD_OID:
            return _composite.anonymous_record_codec(lambda oid: self.codec(oid, BINARY))
        if info.name == "hstore":
            return _hstore.hstore_str_codec(info.oid, info.name, info.schema)
        return None


def _text_encoder(encoder: Callable[[Any], Any]) -> Callable[[Any], bytes]:
    def encode(value: Any) -> bytes:
        text = encoder(value)
        if not isinstance(text, str):
            raise TypeError(f"the text-format encoder returned {type(text).__name__}, expected str")
        return text.encode()

    return encode


def _text_decoder(decoder: Callable[[Any], Any]) -> Callable[[bytes], Any]:
    def decode(data: bytes) -> Any:
        return decoder(data.decode())

    return decode


def _binary_encoder(encoder: Callable[[Any], Any]) -> Callable[[Any], bytes]:
    def encode(value: Any) -> bytes:
        data = encoder(value)
        try:
            return bytes(memoryview(data))
        except TypeError:
            raise TypeError(
                f"the binary-format encoder returned {type(data).__name__}, expected a bytes-like object"
            ) from None

    return encode
