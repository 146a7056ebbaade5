"""Codecs for the geometric types: point, line, lseg, box, path, polygon and circle.

Binary formats (PostgreSQL's ``*_send``/``*_recv`` in ``geo_ops.c``): every coordinate is a
big-endian float8, in this order:

- ``point``: x, y; ``line``: A, B, C; ``lseg``: x1, y1, x2, y2; ``box``: high x, high y,
  low x, low y; ``circle``: center x, center y, radius;
- ``path``: one byte (1 closed, 0 open), an int32 point count, the points;
- ``polygon``: an int32 point count, the points (the server recomputes the bounding box).

Text formats are what the server prints (section 8.8, "Geometric Types", of the PostgreSQL
documentation): ``(1,2)``, ``{1,2,3}``, ``[(1,2),(3,4)]``, ``(3,4),(1,2)``, ``((1,2),(3,4))``
(closed path, polygon), ``[(1,2),(3,4)]`` (open path), ``<(1,2),3>``. Non-finite coordinates
are written ``Infinity``, ``-Infinity`` and ``NaN``, which the server's float8 input reads.

Encoders take the :mod:`pgtypes._geometry_types` classes or plain sequences of numbers. For
``path``, a ``tuple`` encodes a closed path and a ``list`` an open one, and a :class:`Path`
(or :class:`Polygon`) says for itself. The server normalises a ``box`` so that the first
corner is the upper right one, coordinate by coordinate: what comes back may differ from
what was sent. (Arrays of ``box`` use ``;`` as their delimiter, not ``,``.)
"""

from __future__ import annotations

import re
import struct
from collections.abc import Callable, Sequence
from typing import Any, Final, SupportsFloat, SupportsIndex

from pgtypes._codec import BINARY, TEXT, Codec, CodecTable, type_error
from pgtypes._geometry_types import Box, Circle, Line, LineSegment, Path, Point, Polygon, build_path

__all__ = [
    "BOX_OID",
    "CIRCLE_OID",
    "LINE_OID",
    "LSEG_OID",
    "PATH_OID",
    "POINT_OID",
    "POLYGON_OID",
    "register",
]

POINT_OID: Final = 600
LSEG_OID: Final = 601
PATH_OID: Final = 602
BOX_OID: Final = 603
POLYGON_OID: Final = 604
LINE_OID: Final = 628
CIRCLE_OID: Final = 718

# geo_decls.h: coordinates within EPSILON of each other compare equal (FPzero, FPeq); line
# input rejects A and B both "zero" in that sense.
_EPSILON: Final = 1.0e-06

_PAIR: Final = struct.Struct("!2d")
_TRIPLE: Final = struct.Struct("!3d")
_QUAD: Final = struct.Struct("!4d")
_PATH_HEAD: Final = struct.Struct("!?i")
_COUNT: Final = struct.Struct("!i")

_unpack_pair: Final = _PAIR.unpack
_unpack_triple: Final = _TRIPLE.unpack
_unpack_quad: Final = _QUAD.unpack
_iter_pairs: Final = _PAIR.iter_unpack

# Text output: float8 output spells the non-finite values this way (float8out).
_SPECIAL_FLOATS: Final = {"inf": "Infinity", "-inf": "-Infinity", "nan": "NaN"}
_NOT_SEQUENCES: Final = (str, bytes, bytearray, memoryview)

FloatPair = tuple[float, float]


# -- coercion of encoder input ------------------------------------------------------------------


def _coordinate(value: object, kind: str) -> float:
    """A number as a float8 coordinate of a ``kind`` value."""
    if type(value) is float:
        return value
    if isinstance(value, _NOT_SEQUENCES) or not isinstance(value, (SupportsFloat, SupportsIndex)):
        raise type_error(f"a number as a {kind} coordinate", value)
    try:
        return float(value)
    except OverflowError:
        raise OverflowError(f"value out of float8 range for a {kind} coordinate: {value}") from None


def _sequence(value: object, size: int, expected: str, kind: str) -> Sequence[Any]:
    """``value`` as a sequence of ``size`` items, or the error naming what ``kind`` needs."""
    if isinstance(value, _NOT_SEQUENCES) or not isinstance(value, Sequence):
        raise type_error(expected, value)
    if len(value) != size:
        raise ValueError(f"invalid {kind}: expected {size} items, got {len(value)}")
    return value


def _point(value: object, kind: str) -> FloatPair:
    """A point of a ``kind`` value as two floats."""
    if isinstance(value, Point):
        return value
    if isinstance(value, _NOT_SEQUENCES) or not isinstance(value, Sequence):
        raise type_error("Point or a sequence of 2 numbers", value)
    if len(value) != 2:
        raise ValueError(f"invalid {kind}: a point needs 2 coordinates, got {len(value)}")
    return (_coordinate(value[0], kind), _coordinate(value[1], kind))


def _line(value: object) -> tuple[float, float, float]:
    """A line's A, B and C; PostgreSQL rejects A and B both (nearly) zero (line_in, line_recv)."""
    if isinstance(value, Line):
        a, b, c = value
    else:
        seq = _sequence(value, 3, "Line or a sequence of 3 numbers", "line")
        a, b, c = _coordinate(seq[0], "line"), _coordinate(seq[1], "line"), _coordinate(seq[2], "line")
    if abs(a) <= _EPSILON and abs(b) <= _EPSILON:
        raise ValueError(f"invalid line {{{a!r},{b!r},{c!r}}}: A and B cannot both be zero (|x| <= 1e-06)")
    return (a, b, c)


def _two_points(value: object, expected: str, kind: str) -> tuple[FloatPair, FloatPair]:
    """The two points of an lseg or a box."""
    first, second = _sequence(value, 2, expected, kind)
    return (_point(first, kind), _point(second, kind))


def _points(value: Sequence[Any], kind: str) -> list[FloatPair]:
    """The points of a path or a polygon; PostgreSQL needs at least one (path_recv, poly_recv)."""
    if not value:
        raise ValueError(f"invalid {kind}: expected at least one point, got none")
    return [_point(point, kind) for point in value]


def _path(value: object) -> tuple[list[FloatPair], bool]:
    """A path's points and whether it is closed: a Path says, a tuple is closed, a list open."""
    if isinstance(value, Path):
        return _points(value.points, "path"), value.is_closed
    if isinstance(value, tuple):
        return _points(value, "path"), True
    if isinstance(value, list):
        return _points(value, "path"), False
    raise type_error("Path, tuple (closed path) or list (open path) of points", value)


def _polygon(value: object) -> list[FloatPair]:
    """A polygon's vertices, from a Path, a Polygon or a sequence of points."""
    if isinstance(value, Path):
        return _points(value.points, "polygon")
    if isinstance(value, _NOT_SEQUENCES) or not isinstance(value, Sequence):
        raise type_error("Polygon, Path or a sequence of points", value)
    return _points(value, "polygon")


def _circle(value: object) -> tuple[float, float, float]:
    """A circle's center and radius; PostgreSQL rejects a negative radius (circle_in, circle_recv)."""
    center, radius = _sequence(value, 2, "Circle or a sequence (center, radius)", "circle")
    x, y = _point(center, "circle")
    r = _coordinate(radius, "circle")
    if r < 0.0:
        raise ValueError(f"invalid circle: the radius must not be negative, got {r!r}")
    return (x, y, r)


# -- binary ---------------------------------------------------------------------------------------


def _check_size(data: bytes, size: int, kind: str) -> None:
    if len(data) != size:
        raise ValueError(f"invalid {kind} value: expected {size} bytes, got {len(data)}")


def _encode_point_binary(value: object) -> bytes:
    return _PAIR.pack(*_point(value, "point"))


def _decode_point_binary(data: bytes) -> Point:
    _check_size(data, 16, "point")
    return tuple.__new__(Point, _unpack_pair(data))


def _encode_line_binary(value: object) -> bytes:
    return _TRIPLE.pack(*_line(value))


def _decode_line_binary(data: bytes) -> Line:
    _check_size(data, 24, "line")
    return tuple.__new__(Line, _unpack_triple(data))


def _encode_lseg_binary(value: object) -> bytes:
    (x1, y1), (x2, y2) = _two_points(value, "LineSegment or a sequence of 2 points", "lseg")
    return _QUAD.pack(x1, y1, x2, y2)


def _decode_lseg_binary(data: bytes) -> LineSegment:
    _check_size(data, 32, "lseg")
    x1, y1, x2, y2 = _unpack_quad(data)
    return tuple.__new__(LineSegment, (tuple.__new__(Point, (x1, y1)), tuple.__new__(Point, (x2, y2))))


def _encode_box_binary(value: object) -> bytes:
    (x1, y1), (x2, y2) = _two_points(value, "Box or a sequence of 2 points", "box")
    return _QUAD.pack(x1, y1, x2, y2)


def _decode_box_binary(data: bytes) -> Box:
    _check_size(data, 32, "box")
    x1, y1, x2, y2 = _unpack_quad(data)
    return tuple.__new__(Box, (tuple.__new__(Point, (x1, y1)), tuple.__new__(Point, (x2, y2))))


def _pack_points(head: bytes, points: list[FloatPair]) -> bytes:
    return head + struct.pack(f"!{2 * len(points)}d", *[c for point in points for c in point])


def _unpack_points(data: bytes, offset: int, count: int, kind: str) -> tuple[Point, ...]:
    if count < 0 or len(data) != offset + 16 * count:
        raise ValueError(
            f"invalid {kind} value: {count} points need {offset + 16 * max(count, 0)} bytes, got {len(data)}"
        )
    return tuple([tuple.__new__(Point, pair) for pair in _iter_pairs(memoryview(data)[offset:])])


def _encode_path_binary(value: object) -> bytes:
    points, is_closed = _path(value)
    return _pack_points(_PATH_HEAD.pack(is_closed, len(points)), points)


def _decode_path_binary(data: bytes) -> Path:
    if len(data) < 5:
        raise ValueError(f"invalid path value: expected at least 5 bytes, got {len(data)}")
    is_closed, count = _PATH_HEAD.unpack_from(data)
    return build_path(Path, _unpack_points(data, 5, count, "path"), is_closed)


def _encode_polygon_binary(value: object) -> bytes:
    points = _polygon(value)
    return _pack_points(_COUNT.pack(len(points)), points)


def _decode_polygon_binary(data: bytes) -> Polygon:
    if len(data) < 4:
        raise ValueError(f"invalid polygon value: expected at least 4 bytes, got {len(data)}")
    (count,) = _COUNT.unpack_from(data)
    return build_path(Polygon, _unpack_points(data, 4, count, "polygon"), True)


def _encode_circle_binary(value: object) -> bytes:
    return _TRIPLE.pack(*_circle(value))


def _decode_circle_binary(data: bytes) -> Circle:
    _check_size(data, 24, "circle")
    x, y, r = _unpack_triple(data)
    return tuple.__new__(Circle, (tuple.__new__(Point, (x, y)), r))


# -- text -----------------------------------------------------------------------------------------


def _number_text(value: float) -> str:
    text = repr(value)
    return _SPECIAL_FLOATS.get(text, text)


def _pair_text(point: FloatPair) -> str:
    return f"({_number_text(point[0])},{_number_text(point[1])})"


def _points_text(points: list[FloatPair]) -> str:
    return ",".join([_pair_text(point) for point in points])


# A number is whatever lies between the delimiters; float() then decides (it reads the
# server's "Infinity", "-Infinity", "NaN" and exponents such as "1e+300").
_NUM: Final = r"([^,()\[\]{}<>]+)"
_PT: Final = rf"\({_NUM},{_NUM}\)"
_PT_BARE: Final = r"\([^,()\[\]{}<>]+,[^,()\[\]{}<>]+\)"
_POINT_TEXT: Final = re.compile(_PT)
_LINE_TEXT: Final = re.compile(rf"\{{{_NUM},{_NUM},{_NUM}\}}")
_LSEG_TEXT: Final = re.compile(rf"\[{_PT},{_PT}\]")
_BOX_TEXT: Final = re.compile(rf"{_PT},{_PT}")
_CIRCLE_TEXT: Final = re.compile(rf"<{_PT},{_NUM}>")
_POINTS_TEXT: Final = re.compile(rf"([\[(])({_PT_BARE}(?:,{_PT_BARE})*)([\])])")
_NUMBER: Final = re.compile(r"[^,()\[\]{}<>]+")


def _parse(pattern: re.Pattern[str], data: bytes, kind: str) -> list[float]:
    """The numbers of a ``kind`` value in the server's text form, in order."""
    text = data.decode()
    match = pattern.fullmatch(text)
    try:
        if match is not None:
            return [float(number) for number in match.groups()]
    except ValueError:
        pass
    raise ValueError(f"invalid {kind} value: {text!r}")


def _parse_points(data: bytes, kind: str) -> tuple[str, tuple[Point, ...]]:
    """The opening delimiter and the points of a path or polygon in the server's text form."""
    text = data.decode()
    match = _POINTS_TEXT.fullmatch(text)
    if match is not None and (match[1] == "[") == (match[3] == "]"):
        try:
            numbers = [float(number) for number in _NUMBER.findall(match[2])]
        except ValueError:
            pass
        else:
            pairs = range(0, len(numbers), 2)
            return match[1], tuple([tuple.__new__(Point, (numbers[i], numbers[i + 1])) for i in pairs])
    raise ValueError(f"invalid {kind} value: {text!r}")


def _encode_point_text(value: object) -> bytes:
    return _pair_text(_point(value, "point")).encode()


def _decode_point_text(data: bytes) -> Point:
    return tuple.__new__(Point, _parse(_POINT_TEXT, data, "point"))


def _encode_line_text(value: object) -> bytes:
    return ("{" + ",".join([_number_text(c) for c in _line(value)]) + "}").encode()


def _decode_line_text(data: bytes) -> Line:
    return tuple.__new__(Line, _parse(_LINE_TEXT, data, "line"))


def _encode_lseg_text(value: object) -> bytes:
    p1, p2 = _two_points(value, "LineSegment or a sequence of 2 points", "lseg")
    return f"[{_pair_text(p1)},{_pair_text(p2)}]".encode()


def _decode_lseg_text(data: bytes) -> LineSegment:
    x1, y1, x2, y2 = _parse(_LSEG_TEXT, data, "lseg")
    return tuple.__new__(LineSegment, (tuple.__new__(Point, (x1, y1)), tuple.__new__(Point, (x2, y2))))


def _encode_box_text(value: object) -> bytes:
    high, low = _two_points(value, "Box or a sequence of 2 points", "box")
    return f"{_pair_text(high)},{_pair_text(low)}".encode()


def _decode_box_text(data: bytes) -> Box:
    x1, y1, x2, y2 = _parse(_BOX_TEXT, data, "box")
    return tuple.__new__(Box, (tuple.__new__(Point, (x1, y1)), tuple.__new__(Point, (x2, y2))))


def _encode_path_text(value: object) -> bytes:
    points, is_closed = _path(value)
    text = _points_text(points)
    return (f"({text})" if is_closed else f"[{text}]").encode()


def _decode_path_text(data: bytes) -> Path:
    opening, points = _parse_points(data, "path")
    return build_path(Path, points, opening == "(")


def _encode_polygon_text(value: object) -> bytes:
    return f"({_points_text(_polygon(value))})".encode()


def _decode_polygon_text(data: bytes) -> Polygon:
    opening, points = _parse_points(data, "polygon")
    if opening != "(":
        raise ValueError(f"invalid polygon value: {data.decode()!r}")
    return build_path(Polygon, points, True)


def _encode_circle_text(value: object) -> bytes:
    x, y, r = _circle(value)
    return f"<{_pair_text((x, y))},{_number_text(r)}>".encode()


def _decode_circle_text(data: bytes) -> Circle:
    x, y, r = _parse(_CIRCLE_TEXT, data, "circle")
    return tuple.__new__(Circle, (tuple.__new__(Point, (x, y)), r))


# -- registration --------------------------------------------------------------------------------

_Codecs = tuple[
    int,
    str,
    Callable[[object], bytes],
    Callable[[bytes], object],
    Callable[[object], bytes],
    Callable[[bytes], object],
]

_CODECS: Final[tuple[_Codecs, ...]] = (
    (POINT_OID, "point", _encode_point_binary, _decode_point_binary, _encode_point_text, _decode_point_text),
    (LINE_OID, "line", _encode_line_binary, _decode_line_binary, _encode_line_text, _decode_line_text),
    (LSEG_OID, "lseg", _encode_lseg_binary, _decode_lseg_binary, _encode_lseg_text, _decode_lseg_text),
    (BOX_OID, "box", _encode_box_binary, _decode_box_binary, _encode_box_text, _decode_box_text),
    (PATH_OID, "path", _encode_path_binary, _decode_path_binary, _encode_path_text, _decode_path_text),
    (
        POLYGON_OID,
        "polygon",
        _encode_polygon_binary,
        _decode_polygon_binary,
        _encode_polygon_text,
        _decode_polygon_text,
    ),
    (
        CIRCLE_OID,
        "circle",
        _encode_circle_binary,
        _decode_circle_binary,
        _encode_circle_text,
        _decode_circle_text,
    ),
)


def register(table: CodecTable) -> None:
    """Add the binary and text codecs of point, line, lseg, box, path, polygon and circle to ``table``.

    Raises:
        ValueError: one of them is already registered.
    """
    for oid, name, encode_binary, decode_binary, encode_text, decode_text in _CODECS:
        table.add(Codec(oid, name, BINARY, encode_binary, decode_binary))
        table.add(Codec(oid, name, TEXT, encode_text, decode_text))
