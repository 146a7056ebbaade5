"""Value classes for PostgreSQL types that Python has no class for (``pgasync.types``).

``Range`` (ranges and, in lists, multiranges), ``BitString`` (``bit``, ``varbit``), the
geometric types ``Point``, ``Box``, ``Line``, ``LineSegment``, ``Path``, ``Polygon``,
``Circle``, and the metadata tuples ``Type``, ``Attribute`` and ``ServerVersion``. They behave
as asyncpg's classes of the same names.
"""

from __future__ import annotations

from pgtypes._bitstring import BitString
from pgtypes._geometry_types import Box, Circle, Line, LineSegment, Path, Point, Polygon
from pgtypes._range_type import Range
from pgtypes._type_meta import Attribute, ServerVersion, Type

__all__ = [
    "Attribute",
    "BitString",
    "Box",
    "Circle",
    "Line",
    "LineSegment",
    "Path",
    "Point",
    "Polygon",
    "Range",
    "ServerVersion",
    "Type",
]
