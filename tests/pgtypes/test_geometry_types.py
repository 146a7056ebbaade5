"""The geometric value classes, with asyncpg's behaviour (reference section 9.3)."""

from __future__ import annotations

import copy
import doctest
import pickle
from decimal import Decimal

import pytest
from hypothesis import given

from pgtypes import _geometry_types
from pgtypes._geometry_types import Box, Circle, Line, LineSegment, Path, Point, Polygon
from tests.pgtypes.strategies_geometry import boxes, circles, lines, lsegs, paths, points, polygons, same


def test_the_docstring_examples_hold() -> None:
    result = doctest.testmod(_geometry_types)
    assert result.attempted >= 20
    assert result.failed == 0


# -- Point ----------------------------------------------------------------------------------------


def test_point_is_a_tuple_of_two_floats() -> None:
    p = Point(1, 2.5)
    assert isinstance(p, tuple)
    assert p == (1.0, 2.5)
    assert [type(c) for c in p] == [float, float]
    assert (p.x, p.y) == (1.0, 2.5)
    assert len(p) == 2
    assert hash(p) == hash((1.0, 2.5))


def test_point_coerces_with_float() -> None:
    assert Point("1.5", Decimal("2")) == (1.5, 2.0)
    assert Point(True, 3) == (1.0, 3.0)
    with pytest.raises(ValueError, match="could not convert string to float"):
        Point("x", 1)
    with pytest.raises(TypeError):
        Point(None, 1)  # type: ignore[arg-type]  # a wrong type on purpose


def test_point_repr_is_module_qualified() -> None:
    assert repr(Point(1, 2)) == "pgasync.types.Point((1.0, 2.0))"


def test_a_subclass_repr_names_its_own_module() -> None:
    class MyPoint(Point):
        __slots__ = ()

    assert (
        repr(MyPoint(1, 2))
        == f"{__name__}.test_a_subclass_repr_names_its_own_module.<locals>.MyPoint((1.0, 2.0))"
    )


def test_point_is_immutable() -> None:
    p = Point(1, 2)
    with pytest.raises(AttributeError):
        p.x = 3.0  # type: ignore[misc]  # assigning a read-only property on purpose
    with pytest.raises(AttributeError):
        p.z = 3.0  # type: ignore[attr-defined]  # no such attribute, on purpose


# -- Box, Line, LineSegment, Circle ---------------------------------------------------------------


def test_box_holds_two_points_as_given() -> None:
    box = Box([3, "4"], (1, 2))
    assert box == ((3.0, 4.0), (1.0, 2.0))
    assert type(box.high) is Point and type(box.low) is Point
    assert (box.high, box.low) == (Point(3, 4), Point(1, 2))
    # The class does not reorder corners; only the server does.
    assert Box((1, 2), (3, 4)).high == (1.0, 2.0)


def test_box_repr_is_module_qualified() -> None:
    assert repr(Box((3, 4), (1, 2))) == (
        "pgasync.types.Box((pgasync.types.Point((3.0, 4.0)), pgasync.types.Point((1.0, 2.0))))"
    )


def test_box_rejects_a_corner_that_is_not_a_pair() -> None:
    with pytest.raises(ValueError, match="too many values to unpack"):
        Box((1, 2, 3), (1, 2))
    with pytest.raises(TypeError):
        Box(1, (1, 2))  # type: ignore[arg-type]  # a wrong type on purpose


def test_line_is_a_tuple_of_three_floats_with_plain_repr() -> None:
    line = Line(1, "2", Decimal("3.5"))
    assert line == (1.0, 2.0, 3.5)
    assert (line.A, line.B, line.C) == (1.0, 2.0, 3.5)
    assert repr(line) == "(1.0, 2.0, 3.5)"


def test_line_segment_holds_two_points_with_plain_tuple_repr() -> None:
    segment = LineSegment((1, 2), Point(3, 4))
    assert segment == ((1.0, 2.0), (3.0, 4.0))
    assert type(segment.p1) is Point and segment.p2 == Point(3, 4)
    assert repr(segment) == "(pgasync.types.Point((1.0, 2.0)), pgasync.types.Point((3.0, 4.0)))"


def test_circle_holds_a_center_point_and_a_float_radius() -> None:
    circle = Circle([1, 2], 3)
    assert circle == ((1.0, 2.0), 3.0)
    assert type(circle.center) is Point and circle.center.y == 2.0
    assert type(circle.radius) is float and circle.radius == 3.0
    assert repr(circle) == "((1.0, 2.0), 3.0)"


@pytest.mark.parametrize(
    "value",
    [
        Point(1, -2),
        Box((3, 4), (1, 2)),
        Line(1, 2, 3),
        LineSegment((1, 2), (3, 4)),
        Circle((1, 2), 3),
        Path((1, 2), (3, 4)),
        Path((1, 2), is_closed=True),
        Polygon((0, 0), (1, 1), (1, 0)),
    ],
    ids=repr,
)
def test_values_pickle_and_copy(value: object) -> None:
    for clone in (pickle.loads(pickle.dumps(value)), copy.copy(value), copy.deepcopy(value)):
        assert same(clone, value)
        assert clone == value


@given(points() | boxes() | lines() | lsegs() | circles() | paths() | polygons())
def test_pickle_round_trips_any_value(value: object) -> None:
    assert same(pickle.loads(pickle.dumps(value)), value)


# -- Path and Polygon -----------------------------------------------------------------------------


def test_path_holds_points_and_is_open_by_default() -> None:
    path = Path((1, 2), [3, 4])
    assert path.points == (Point(1, 2), Point(3, 4))
    assert all(type(p) is Point for p in path.points)
    assert path.is_closed is False
    assert Path((1, 2), is_closed=1).is_closed is True  # type: ignore[arg-type]  # normalised to bool


def test_path_sequence_protocol() -> None:
    path = Path((1, 2), (3, 4), (5, 6))
    assert len(path) == 3
    assert list(path) == [Point(1, 2), Point(3, 4), Point(5, 6)]
    assert path[0] == Point(1, 2) and path[-1] == Point(5, 6)
    assert path[1:] == (Point(3, 4), Point(5, 6))
    assert type(path[1:]) is tuple
    assert (3, 4) in path and Point(5, 6) in path
    assert (4, 3) not in path
    with pytest.raises(IndexError):
        path[3]


def test_path_equality_and_hash() -> None:
    assert Path((1, 2), (3, 4)) == Path([1, 2], Point(3, 4))
    assert hash(Path((1, 2), (3, 4))) == hash(Path((1, 2), (3, 4)))
    assert Path((1, 2), (3, 4)) != Path((1, 2), (3, 4), is_closed=True)
    assert Path((1, 2), (3, 4)) != Path((3, 4), (1, 2))
    assert Path((1, 2)) != ((1.0, 2.0),)
    assert len({Path((1, 2)), Path((1, 2)), Path((1, 2), is_closed=True)}) == 2


def test_path_is_immutable() -> None:
    path = Path((1, 2))
    with pytest.raises(AttributeError):
        path.points = ()  # type: ignore[misc]  # a read-only property, on purpose
    with pytest.raises(AttributeError):
        path.is_closed = True  # type: ignore[misc]  # a read-only property, on purpose
    with pytest.raises(AttributeError):
        path.other = 1  # type: ignore[attr-defined]  # slots: no new attributes


def test_path_repr() -> None:
    assert repr(Path((1, 2), (3, 4))) == "pgasync.types.Path((1.0, 2.0), (3.0, 4.0))"
    assert repr(Path((1, 2), is_closed=True)) == "pgasync.types.Path((1.0, 2.0), is_closed=True)"
    assert repr(Path()) == "pgasync.types.Path()"


def test_polygon_is_an_always_closed_path() -> None:
    polygon = Polygon((0, 0), (1, 1), (1, 0))
    assert isinstance(polygon, Path)
    assert polygon.is_closed is True
    assert polygon.points == (Point(0, 0), Point(1, 1), Point(1, 0))
    assert polygon == Path((0, 0), (1, 1), (1, 0), is_closed=True)
    assert polygon != Path((0, 0), (1, 1), (1, 0))
    assert repr(polygon) == "pgasync.types.Polygon((0.0, 0.0), (1.0, 1.0), (1.0, 0.0))"
    with pytest.raises(TypeError):
        Polygon((0, 0), is_closed=False)  # type: ignore[call-arg]  # no such argument, on purpose


def test_build_path_skips_coercion_but_gives_the_same_value() -> None:
    built = _geometry_types.build_path(Polygon, (Point(1, 2),), True)
    assert type(built) is Polygon and built == Polygon((1, 2))
