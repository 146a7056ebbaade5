"""``TypeInfo``: what the codec registry needs to know about a type it was not built with.

pgtypes does no I/O: the connection (``pgconn``) reads these facts from ``pg_type``,
``pg_attribute`` and ``pg_range`` with an introspection query and hands them to
:meth:`pgtypes.TypeRegistry.add_types`. Built-in types need none of this.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Literal

__all__ = ["TYPE_KINDS", "TypeInfo", "TypeKind"]

TypeKind = Literal["base", "array", "composite", "domain", "enum", "range", "multirange", "pseudo"]

#: ``TypeInfo.kind`` values, and the ``pg_type.typtype`` letter each comes from (arrays are
#: base types whose ``typcategory`` is ``'A'``).
TYPE_KINDS: Final[dict[str, TypeKind]] = {
    "b": "base",
    "c": "composite",
    "d": "domain",
    "e": "enum",
    "r": "range",
    "m": "multirange",
    "p": "pseudo",
}

_KINDS: Final = frozenset([*TYPE_KINDS.values(), "array"])


@dataclass(frozen=True, slots=True)
class TypeInfo:
    """One type's catalog facts.

    Attributes:
        oid: ``pg_type.oid``.
        name: ``pg_type.typname`` (``_mytype`` for an array of ``mytype``).
        schema: the name of the type's namespace.
        kind: see :data:`TypeKind`; ``array`` for base types of category ``A``.
        element_oid: for arrays, ``typelem``; else 0.
        base_oid: for domains, ``typbasetype``; else 0.
        range_subtype_oid: for ranges, ``pg_range.rngsubtype``; for multiranges, the OID of
            their range type (``pg_range.rngtypid``); else 0.
        attributes: for composites, ``(name, type OID)`` of each live attribute in order.
        delimiter: ``typdelim``, the separator of array elements in text format.
    """

    oid: int
    name: str
    schema: str
    kind: TypeKind
    element_oid: int = 0
    base_oid: int = 0
    range_subtype_oid: int = 0
    attributes: tuple[tuple[str, int], ...] = ()
    delimiter: str = ","

    def __post_init__(self) -> None:
        if self.kind not in _KINDS:
            raise ValueError(f"TypeInfo.kind must be one of {sorted(_KINDS)}, got {self.kind!r}")
        needs = {"array": self.element_oid, "domain": self.base_oid, "range": self.range_subtype_oid}
        needs["multirange"] = self.range_subtype_oid
        if self.kind in needs and not needs[self.kind]:
            field = {"array": "element_oid", "domain": "base_oid"}.get(self.kind, "range_subtype_oid")
            raise ValueError(f"TypeInfo for {self.kind} type {self.schema}.{self.name} needs {field}")

    @property
    def qualified_name(self) -> str:
        """``schema.name``."""
        return f"{self.schema}.{self.name}"

    def depends_on(self) -> tuple[int, ...]:
        """The OIDs whose codecs this type's codec is built from."""
        if self.kind == "array":
            return (self.element_oid,)
        if self.kind == "domain":
            return (self.base_oid,)
        if self.kind in ("range", "multirange"):
            return (self.range_subtype_oid,)
        if self.kind == "composite":
            return tuple(oid for _, oid in self.attributes)
        return ()
