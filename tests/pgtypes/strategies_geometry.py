"""hypothesis strategies and comparison helpers for the geometry tests.

``same(a, b)`` compares decoded values by type and ``repr``: ``repr`` tells ``-0.0`` from
``0.0`` and shows every NaN as ``nan``, so that round trips with non-finite coordinates can be
checked (``float('nan') != float('nan')``).
"""

from __future__ import annotations

import math
from typing import Final

from hypothesis import strategies as st

from pgtypes._geometry_types import Box, Circle, Line, LineSegment, Path, Point, Polygon

__all__ = [
    "ANY_FLOATS",
    "FINITE_FLOATS",
    "boxes",
    "circles",
    "lines",
    "lsegs",
    "normalised_box",
    "paths",
    "points",
    "polygons",
    "same",
]

#: Every float8, NaN and the infinities included (the server stores them all in geometry).
ANY_FLOATS: Final = st.floats(allow_nan=True, allow_infinity=True)
FINITE_FLOATS: Final = st.floats(allow_nan=False, allow_infinity=False)


def same(a: object, b: object) -> bool:
    """Whether two geometric values are of one type and have the same coordinates, bit for bit."""
    return type(a) is type(b) and repr(a) == repr(b)


@st.composite
def points(draw: st.DrawFn, coordinates: st.SearchStrategy[float] = ANY_FLOATS) -> Point:
    return Point(draw(coordinates), draw(coordinates))


def _is_line(line: Line) -> bool:
    # geo_decls.h EPSILON: the server takes |A|, |B| <= 1e-06 as zero and rejects the line.
    return not (abs(line.A) <= 1e-06 and abs(line.B) <= 1e-06)


def lines(coordinates: st.SearchStrategy[float] = ANY_FLOATS) -> st.SearchStrategy[Line]:
    return st.builds(Line, coordinates, coordinates, coordinates).filter(_is_line)


def lsegs(coordinates: st.SearchStrategy[float] = ANY_FLOATS) -> st.SearchStrategy[LineSegment]:
    return st.builds(LineSegment, points(coordinates), points(coordinates))


def boxes(coordinates: st.SearchStrategy[float] = ANY_FLOATS) -> st.SearchStrategy[Box]:
    return st.builds(Box, points(coordinates), points(coordinates))


@st.composite
def paths(draw: st.DrawFn, coordinates: st.SearchStrategy[float] = ANY_FLOATS) -> Path:
    vertices = draw(st.lists(points(coordinates), min_size=1, max_size=12))
    return Path(*vertices, is_closed=draw(st.booleans()))


@st.composite
def polygons(draw: st.DrawFn, coordinates: st.SearchStrategy[float] = ANY_FLOATS) -> Polygon:
    return Polygon(*draw(st.lists(points(coordinates), min_size=1, max_size=12)))


def circles(coordinates: st.SearchStrategy[float] = ANY_FLOATS) -> st.SearchStrategy[Circle]:
    # circle_in/circle_recv reject a negative radius; NaN, -0.0 and infinity pass.
    radii = st.floats(min_value=0.0) | st.sampled_from([-0.0, math.nan, math.inf])
    if coordinates is FINITE_FLOATS:
        radii = st.floats(min_value=0.0, allow_infinity=False) | st.just(-0.0)
    return st.builds(Circle, points(coordinates), radii)


def _less(a: float, b: float) -> bool:
    # float8_lt (float.h): NaN sorts above every other value and equals itself.
    if math.isnan(a):
        return False
    return math.isnan(b) or a < b


def normalised_box(box: Box) -> Box:
    """The box as the server stores it: box_in and box_recv swap a coordinate pair when high < low."""
    (hx, hy), (lx, ly) = box
    if _less(hx, lx):
        hx, lx = lx, hx
    if _less(hy, ly):
        hy, ly = ly, hy
    return Box((hx, hy), (lx, ly))
