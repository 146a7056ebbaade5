"""``pgasync.types``: value classes for PostgreSQL types (``Range``, ``BitString``, geometry, ...)."""

from __future__ import annotations

from pgtypes.types import (
    Attribute,
    BitString,
    Box,
    Circle,
    Line,
    LineSegment,
    Path,
    Point,
    Polygon,
    Range,
    ServerVersion,
    Type,
)

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
