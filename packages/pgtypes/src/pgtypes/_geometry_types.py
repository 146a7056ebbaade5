"""Value classes for PostgreSQL's geometric types (``pgtypes.types``, re-exported as ``pgasync.types``).

The classes follow asyncpg's ``asyncpg.types`` geometry API, so that code written for asyncpg
keeps working:

- :class:`Point`, :class:`Box`, :class:`Line`, :class:`LineSegment` and :class:`Circle` are
  immutable ``tuple`` subclasses, equal to the plain tuples they hold;
- :class:`Path` (open or closed) and :class:`Polygon` (always closed) are sequences of points.

Coordinates are coerced with ``float()`` when an object is built. The wire formats live in
:mod:`pgtypes._geometry`; see "Geometric Types" (section 8.8) of the PostgreSQL documentation
for what each type means.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any, Final, Self, SupportsFloat, SupportsIndex, TypeVar, overload

__all__ = ["Box", "Circle", "Line", "LineSegment", "Path", "Point", "Polygon"]

#: Anything ``float()`` accepts: a coordinate as the classes take it.
Number = SupportsFloat | SupportsIndex | str
#: A point as the classes take it: a :class:`Point` or any pair of numbers.
PointLike = Iterable[Number]

# The public home of these classes; reprs name it, as asyncpg's name ``asyncpg.pgproto.types``.
_PUBLIC_MODULE: Final = "pgasync.types"


def _qualified_name(cls: type) -> str:
    """``pgasync.types.Point`` for our classes, ``module.Name`` for a user's subclass."""
    module = _PUBLIC_MODULE if cls.__module__ == __name__ else cls.__module__
    return f"{module}.{cls.__qualname__}"


def _to_point(value: PointLike) -> Point:
    """``value`` as a :class:`Point` (a Point is returned as it is)."""
    if isinstance(value, Point):
        return value
    x, y = value
    return Point(x, y)


class Point(tuple[float, float]):
    """A point on a plane: PostgreSQL's ``point``, ``(x,y)``.

    Args:
        x: the x coordinate (anything ``float()`` accepts).
        y: the y coordinate.

    Raises:
        TypeError, ValueError: a coordinate that ``float()`` rejects.

    >>> p = Point(1, "2.5")
    >>> p
    pgasync.types.Point((1.0, 2.5))
    >>> p.x, p.y
    (1.0, 2.5)
    >>> p == (1.0, 2.5)
    True
    """

    __slots__ = ()

    def __new__(cls, x: Number, y: Number) -> Self:
        return super().__new__(cls, (float(x), float(y)))

    def __getnewargs__(self) -> tuple[float, float]:
        # tuple's own version returns (tuple(self),), which __new__ would not accept.
        return (self[0], self[1])

    @property
    def x(self) -> float:
        """The x coordinate."""
        return self[0]

    @property
    def y(self) -> float:
        """The y coordinate."""
        return self[1]

    def __repr__(self) -> str:
        return f"{_qualified_name(type(self))}({tuple.__repr__(self)})"


class Box(tuple[Point, Point]):
    """A rectangle given by two opposite corners: PostgreSQL's ``box``, ``(x1,y1),(x2,y2)``.

    The corners are kept as given. The server, however, stores a box with its upper right
    corner first: sent ``Box((1, 2), (3, 4))`` comes back as ``Box((3, 4), (1, 2))``, and
    the corners are normalised coordinate by coordinate (``((1, 4), (3, 2))`` comes back as
    ``((3, 4), (1, 2))``).

    Args:
        high: the upper right corner (a :class:`Point` or a pair of numbers).
        low: the lower left corner.

    Raises:
        TypeError, ValueError: a corner that is not a pair of numbers.

    >>> box = Box((3, 4), (1, 2))
    >>> box.high, box.low
    (pgasync.types.Point((3.0, 4.0)), pgasync.types.Point((1.0, 2.0)))
    >>> box
    pgasync.types.Box((pgasync.types.Point((3.0, 4.0)), pgasync.types.Point((1.0, 2.0))))
    """

    __slots__ = ()

    def __new__(cls, high: PointLike, low: PointLike) -> Self:
        return super().__new__(cls, (_to_point(high), _to_point(low)))

    def __getnewargs__(self) -> tuple[Point, Point]:
        return (self[0], self[1])

    @property
    def high(self) -> Point:
        """The upper right corner."""
        return self[0]

    @property
    def low(self) -> Point:
        """The lower left corner."""
        return self[1]

    def __repr__(self) -> str:
        return f"{_qualified_name(type(self))}({tuple.__repr__(self)})"


class Line(tuple[float, float, float]):
    """An infinite line ``Ax + By + C = 0``: PostgreSQL's ``line``, ``{A,B,C}``.

    PostgreSQL rejects a line whose ``A`` and ``B`` are both zero; the class does not check
    (the encoder does).

    Args:
        A: the x coefficient (anything ``float()`` accepts).
        B: the y coefficient.
        C: the constant.

    >>> line = Line(1, -1, 0)
    >>> line
    (1.0, -1.0, 0.0)
    >>> line.A, line.B, line.C
    (1.0, -1.0, 0.0)
    """

    __slots__ = ()

    def __new__(cls, A: Number, B: Number, C: Number) -> Self:
        return super().__new__(cls, (float(A), float(B), float(C)))

    def __getnewargs__(self) -> tuple[float, float, float]:
        return (self[0], self[1], self[2])

    @property
    def A(self) -> float:
        """The x coefficient."""
        return self[0]

    @property
    def B(self) -> float:
        """The y coefficient."""
        return self[1]

    @property
    def C(self) -> float:
        """The constant."""
        return self[2]


class LineSegment(tuple[Point, Point]):
    """A line segment between two points: PostgreSQL's ``lseg``, ``[(x1,y1),(x2,y2)]``.

    Args:
        p1: the first end point (a :class:`Point` or a pair of numbers).
        p2: the second end point.

    Raises:
        TypeError, ValueError: an end point that is not a pair of numbers.

    >>> segment = LineSegment((1, 2), (3, 4))
    >>> segment.p2
    pgasync.types.Point((3.0, 4.0))
    >>> segment == ((1.0, 2.0), (3.0, 4.0))
    True
    """

    __slots__ = ()

    def __new__(cls, p1: PointLike, p2: PointLike) -> Self:
        return super().__new__(cls, (_to_point(p1), _to_point(p2)))

    def __getnewargs__(self) -> tuple[Point, Point]:
        return (self[0], self[1])

    @property
    def p1(self) -> Point:
        """The first end point."""
        return self[0]

    @property
    def p2(self) -> Point:
        """The second end point."""
        return self[1]


class Circle(tuple[Point, float]):
    """A circle: PostgreSQL's ``circle``, ``<(x,y),r>``.

    The repr is that of the plain tuple ``((x, y), r)``, as in asyncpg.

    Args:
        center: the center (a :class:`Point` or a pair of numbers).
        radius: the radius (anything ``float()`` accepts). PostgreSQL rejects a negative
            radius; the class does not check (the encoder does).

    Raises:
        TypeError, ValueError: a center or radius that is not made of numbers.

    >>> circle = Circle((1, 2), 3)
    >>> circle
    ((1.0, 2.0), 3.0)
    >>> circle.center.x, circle.radius
    (1.0, 3.0)
    """

    __slots__ = ()

    def __new__(cls, center: PointLike, radius: Number) -> Self:
        return super().__new__(cls, (_to_point(center), float(radius)))

    def __getnewargs__(self) -> tuple[Point, float]:
        return (self[0], self[1])

    @property
    def center(self) -> Point:
        """The center."""
        return self[0]

    @property
    def radius(self) -> float:
        """The radius."""
        return self[1]

    def __repr__(self) -> str:
        return repr((tuple(self[0]), self[1]))


class Path:
    """A sequence of connected points: PostgreSQL's ``path``, open ``[...]`` or closed ``(...)``.

    Supports ``==`` (same points, same closedness), ``hash``, iteration, ``len``, indexing
    (slices give a tuple of points) and ``in``.

    Args:
        *points: the points (each a :class:`Point` or a pair of numbers).
        is_closed: whether the last point connects back to the first.

    Raises:
        TypeError, ValueError: a point that is not a pair of numbers.

    >>> path = Path((1, 2), (3, 4), is_closed=True)
    >>> path.is_closed, len(path), path[0]
    (True, 2, pgasync.types.Point((1.0, 2.0)))
    >>> path[:1]
    (pgasync.types.Point((1.0, 2.0)),)
    >>> (3, 4) in path
    True
    >>> path == Path((1, 2), (3, 4))
    False
    """

    __slots__ = ("_is_closed", "_points")

    _points: tuple[Point, ...]
    _is_closed: bool

    def __init__(self, *points: PointLike, is_closed: bool = False) -> None:
        self._points = tuple(_to_point(point) for point in points)
        self._is_closed = bool(is_closed)

    @property
    def points(self) -> tuple[Point, ...]:
        """The points, in order."""
        return self._points

    @property
    def is_closed(self) -> bool:
        """Whether the last point connects back to the first."""
        return self._is_closed

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Path):
            return self._points == other._points and self._is_closed == other._is_closed
        return NotImplemented

    def __hash__(self) -> int:
        return hash((self._points, self._is_closed))

    def __iter__(self) -> Iterator[Point]:
        return iter(self._points)

    def __len__(self) -> int:
        return len(self._points)

    @overload
    def __getitem__(self, index: SupportsIndex) -> Point: ...

    @overload
    def __getitem__(self, index: slice) -> tuple[Point, ...]: ...

    def __getitem__(self, index: SupportsIndex | slice) -> Point | tuple[Point, ...]:
        return self._points[index]

    def __contains__(self, item: object) -> bool:
        return item in self._points

    def __reduce__(self) -> tuple[Any, ...]:
        return (build_path, (type(self), self._points, self._is_closed))

    def __repr__(self) -> str:
        points = ", ".join(tuple.__repr__(point) for point in self._points)
        return f"{_qualified_name(type(self))}({points}{self._repr_closedness()})"

    def _repr_closedness(self) -> str:
        return ", is_closed=True" if self._is_closed else ""


class Polygon(Path):
    """A closed figure: PostgreSQL's ``polygon``, ``((x1,y1),...)``. A :class:`Path` that is always closed.

    Args:
        *points: the vertices (each a :class:`Point` or a pair of numbers).

    Raises:
        TypeError, ValueError: a vertex that is not a pair of numbers.

    >>> polygon = Polygon((0, 0), (0, 1), (1, 0))
    >>> polygon.is_closed, len(polygon)
    (True, 3)
    >>> polygon
    pgasync.types.Polygon((0.0, 0.0), (0.0, 1.0), (1.0, 0.0))
    """

    __slots__ = ()

    def __init__(self, *points: PointLike) -> None:
        super().__init__(*points, is_closed=True)

    def _repr_closedness(self) -> str:
        return ""


_P = TypeVar("_P", bound=Path)


def build_path(cls: type[_P], points: tuple[Point, ...], is_closed: bool) -> _P:
    """A ``cls`` instance holding ``points`` as they are (for decoders and unpickling).

    The points must already be :class:`Point` objects; nothing is copied or checked.
    """
    path = object.__new__(cls)
    path._points = points
    path._is_closed = is_closed
    return path
