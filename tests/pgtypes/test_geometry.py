"""Codecs of point, line, lseg, box, path, polygon and circle, in both formats, in process and live."""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Final

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pgtypes._codec import BINARY, TEXT, Codec, CodecTable
from pgtypes._geometry import (
    BOX_OID,
    CIRCLE_OID,
    LINE_OID,
    LSEG_OID,
    PATH_OID,
    POINT_OID,
    POLYGON_OID,
    register,
)
from pgtypes._geometry_types import Box, Circle, Line, LineSegment, Path, Point, Polygon
from pgwire import PostgresError
from tests.pgtypes.strategies_geometry import (
    FINITE_FLOATS,
    boxes,
    circles,
    lines,
    lsegs,
    normalised_box,
    paths,
    points,
    polygons,
    same,
)

if TYPE_CHECKING:
    from tests.pgtypes.live import TypeSession

TABLE: Final = CodecTable()
register(TABLE)

OIDS: Final = {
    "point": POINT_OID,
    "line": LINE_OID,
    "lseg": LSEG_OID,
    "box": BOX_OID,
    "path": PATH_OID,
    "polygon": POLYGON_OID,
    "circle": CIRCLE_OID,
}
FORMATS: Final = [pytest.param(BINARY, id="binary"), pytest.param(TEXT, id="text")]
LIVE: Final = settings(
    max_examples=50, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)

# float8 bit patterns, hand-checked: sign, 11 exponent bits (bias 1023), 52 fraction bits.
ONE: Final = "3ff0000000000000"
ONE_HALF: Final = "3ff8000000000000"
TWO: Final = "4000000000000000"
THREE: Final = "4008000000000000"
FOUR: Final = "4010000000000000"
MINUS_ONE: Final = "bff0000000000000"
INF: Final = "7ff0000000000000"
MINUS_INF: Final = "fff0000000000000"


def codec(name: str, format_code: int) -> Codec:
    found = TABLE.get(OIDS[name], format_code)
    assert found is not None
    return found


def test_register_adds_both_formats_of_every_type() -> None:
    assert len(TABLE) == 14
    for name, oid in OIDS.items():
        for format_code in (BINARY, TEXT):
            found = TABLE.get(oid, format_code)
            assert found is not None
            assert (found.name, found.format, found.kind, found.fixed) == (name, format_code, "scalar", "")
    with pytest.raises(ValueError, match="already registered"):
        register(TABLE)


# -- golden values --------------------------------------------------------------------------------

# (type, value, binary hex, text the encoder writes, text the server prints)
GOLDEN: Final[list[tuple[str, Any, str, str, str]]] = [
    ("point", Point(1.5, 2), ONE_HALF + TWO, "(1.5,2.0)", "(1.5,2)"),
    ("point", Point(math.inf, -math.inf), INF + MINUS_INF, "(Infinity,-Infinity)", "(Infinity,-Infinity)"),
    ("line", Line(1, -1, 2), ONE + MINUS_ONE + TWO, "{1.0,-1.0,2.0}", "{1,-1,2}"),
    ("lseg", LineSegment((1, 2), (3, 4)), ONE + TWO + THREE + FOUR, "[(1.0,2.0),(3.0,4.0)]", "[(1,2),(3,4)]"),
    ("box", Box((3, 4), (1, 2)), THREE + FOUR + ONE + TWO, "(3.0,4.0),(1.0,2.0)", "(3,4),(1,2)"),
    (
        "path",
        Path((1, 2), (3, 4), is_closed=True),
        "01" + "00000002" + ONE + TWO + THREE + FOUR,
        "((1.0,2.0),(3.0,4.0))",
        "((1,2),(3,4))",
    ),
    (
        "path",
        Path((1, 2), (3, 4)),
        "00" + "00000002" + ONE + TWO + THREE + FOUR,
        "[(1.0,2.0),(3.0,4.0)]",
        "[(1,2),(3,4)]",
    ),
    ("path", Path((1, 2)), "00" + "00000001" + ONE + TWO, "[(1.0,2.0)]", "[(1,2)]"),
    (
        "polygon",
        Polygon((1, 2), (3, 4)),
        "00000002" + ONE + TWO + THREE + FOUR,
        "((1.0,2.0),(3.0,4.0))",
        "((1,2),(3,4))",
    ),
    ("polygon", Polygon((1, 2)), "00000001" + ONE + TWO, "((1.0,2.0))", "((1,2))"),
    ("circle", Circle((1, 2), 3), ONE + TWO + THREE, "<(1.0,2.0),3.0>", "<(1,2),3>"),
    ("circle", Circle((1, 2), math.inf), ONE + TWO + INF, "<(1.0,2.0),Infinity>", "<(1,2),Infinity>"),
]
GOLDEN_IDS: Final = [f"{case[0]}-{case[4]}" for case in GOLDEN]


@pytest.mark.parametrize(("name", "value", "binary", "text", "server_text"), GOLDEN, ids=GOLDEN_IDS)
def test_golden_values(name: str, value: Any, binary: str, text: str, server_text: str) -> None:
    assert codec(name, BINARY).encode(value) == bytes.fromhex(binary)
    assert same(codec(name, BINARY).decode(bytes.fromhex(binary)), value)
    assert codec(name, TEXT).encode(value) == text.encode()
    assert same(codec(name, TEXT).decode(text.encode()), value)
    assert same(codec(name, TEXT).decode(server_text.encode()), value)


def test_nan_and_negative_zero_keep_their_form() -> None:
    encoded = codec("point", BINARY).encode((math.nan, -0.0))
    assert encoded == bytes.fromhex("7ff8000000000000" + "8000000000000000")
    assert codec("point", TEXT).encode((math.nan, -0.0)) == b"(NaN,-0.0)"
    decoded = codec("point", TEXT).decode(b"(NaN,-0)")
    assert math.isnan(decoded.x) and math.copysign(1.0, decoded.y) == -1.0


def test_decoders_return_the_value_classes() -> None:
    lseg = codec("lseg", BINARY).decode(bytes.fromhex(ONE + TWO + THREE + FOUR))
    assert type(lseg) is LineSegment and type(lseg.p1) is Point
    box = codec("box", TEXT).decode(b"(3,4),(1,2)")
    assert type(box) is Box and type(box.low) is Point
    circle = codec("circle", TEXT).decode(b"<(1,2),3>")
    assert type(circle) is Circle and type(circle.center) is Point
    path = codec("path", TEXT).decode(b"[(1,2),(3,4)]")
    assert type(path) is Path and not path.is_closed and all(type(p) is Point for p in path)
    polygon = codec("polygon", BINARY).decode(bytes.fromhex("00000001" + ONE + TWO))
    assert type(polygon) is Polygon and polygon.is_closed


# -- what encoders accept -------------------------------------------------------------------------


@pytest.mark.parametrize("format_code", FORMATS)
def test_encoders_take_plain_sequences_and_numbers(format_code: int) -> None:
    def encode(name: str, value: object) -> bytes:
        return codec(name, format_code).encode(value)

    assert encode("point", [1, Decimal("2")]) == encode("point", Point(1, 2))
    assert encode("line", (1, -1, 2)) == encode("line", Line(1, -1, 2))
    assert encode("lseg", [[1, 2], (3, 4)]) == encode("lseg", LineSegment((1, 2), (3, 4)))
    assert encode("box", ((3, 4), Point(1, 2))) == encode("box", Box((3, 4), (1, 2)))
    assert encode("polygon", [(1, 2), (3, 4)]) == encode("polygon", Polygon((1, 2), (3, 4)))
    assert encode("circle", ([1, 2], 3)) == encode("circle", Circle((1, 2), 3))


@pytest.mark.parametrize("format_code", FORMATS)
def test_path_closedness_comes_from_the_python_type(format_code: int) -> None:
    encode = codec("path", format_code).encode
    decode = codec("path", format_code).decode
    assert decode(encode(((1, 2), (3, 4)))) == Path((1, 2), (3, 4), is_closed=True)
    assert decode(encode([(1, 2), (3, 4)])) == Path((1, 2), (3, 4))
    assert decode(encode(Path((1, 2), is_closed=True))).is_closed is True
    assert decode(encode(Path((1, 2)))).is_closed is False
    assert decode(encode(Polygon((1, 2), (3, 4)))) == Path((1, 2), (3, 4), is_closed=True)


@pytest.mark.parametrize("format_code", FORMATS)
def test_polygon_takes_any_path(format_code: int) -> None:
    polygon = codec("polygon", format_code)
    assert polygon.decode(polygon.encode(Path((1, 2), (3, 4)))) == Polygon((1, 2), (3, 4))


def test_box_is_sent_as_given() -> None:
    # The server normalises the corners (see the live tests); the encoder does not.
    assert codec("box", BINARY).encode(((1, 2), (3, 4))) == bytes.fromhex(ONE + TWO + THREE + FOUR)
    assert codec("box", TEXT).encode(((1, 2), (3, 4))) == b"(1.0,2.0),(3.0,4.0)"


# -- bad values -----------------------------------------------------------------------------------

BAD_VALUES: Final[list[tuple[str, object, type[Exception], str]]] = [
    ("point", "12", TypeError, r"^expected Point or a sequence of 2 numbers, got str$"),
    ("point", 5, TypeError, r"^expected Point or a sequence of 2 numbers, got int$"),
    ("point", b"12", TypeError, r"^expected Point or a sequence of 2 numbers, got bytes$"),
    ("point", (1, 2, 3), ValueError, r"^invalid point: a point needs 2 coordinates, got 3$"),
    ("point", ("1", 2), TypeError, r"^expected a number as a point coordinate, got str$"),
    ("point", (1, None), TypeError, r"^expected a number as a point coordinate, got NoneType$"),
    ("point", (10**400, 0), OverflowError, r"^value out of float8 range for a point coordinate: 1000"),
    ("line", (0, 0, 1), ValueError, r"^invalid line \{0.0,0.0,1.0\}: A and B cannot both be zero"),
    ("line", Line(1e-7, -1e-6, 1), ValueError, r"A and B cannot both be zero \(\|x\| <= 1e-06\)$"),
    ("line", (1, 2), ValueError, r"^invalid line: expected 3 items, got 2$"),
    ("line", {1, 2, 3}, TypeError, r"^expected Line or a sequence of 3 numbers, got set$"),
    ("lseg", ((1, 2),), ValueError, r"^invalid lseg: expected 2 items, got 1$"),
    ("lseg", ((1, 2), (3,)), ValueError, r"^invalid lseg: a point needs 2 coordinates, got 1$"),
    ("lseg", None, TypeError, r"^expected LineSegment or a sequence of 2 points, got NoneType$"),
    ("box", 1, TypeError, r"^expected Box or a sequence of 2 points, got int$"),
    ("box", ((1, 2), "ab"), TypeError, r"^expected Point or a sequence of 2 numbers, got str$"),
    ("path", Path(), ValueError, r"^invalid path: expected at least one point, got none$"),
    ("path", [], ValueError, r"^invalid path: expected at least one point, got none$"),
    (
        "path",
        iter([(1, 2)]),
        TypeError,
        r"^expected Path, tuple \(closed path\) or list \(open path\) of points",
    ),
    (
        "path",
        "(1,2)",
        TypeError,
        r"^expected Path, tuple \(closed path\) or list \(open path\) of points, got str$",
    ),
    ("path", [(1, 2), 3], TypeError, r"^expected Point or a sequence of 2 numbers, got int$"),
    ("polygon", (), ValueError, r"^invalid polygon: expected at least one point, got none$"),
    ("polygon", Polygon(), ValueError, r"^invalid polygon: expected at least one point, got none$"),
    ("polygon", 5, TypeError, r"^expected Polygon, Path or a sequence of points, got int$"),
    ("polygon", "((1,2))", TypeError, r"^expected Polygon, Path or a sequence of points, got str$"),
    ("circle", ((1, 2), -1), ValueError, r"^invalid circle: the radius must not be negative, got -1.0$"),
    ("circle", Circle((1, 2), -math.inf), ValueError, r"the radius must not be negative, got -inf$"),
    ("circle", ((1, 2),), ValueError, r"^invalid circle: expected 2 items, got 1$"),
    ("circle", ((1, 2), "3"), TypeError, r"^expected a number as a circle coordinate, got str$"),
    ("circle", 3.0, TypeError, r"^expected Circle or a sequence \(center, radius\), got float$"),
]


@pytest.mark.parametrize("format_code", FORMATS)
@pytest.mark.parametrize(
    ("name", "value", "error", "message"), BAD_VALUES, ids=[repr(c[:2]) for c in BAD_VALUES]
)
def test_bad_values_are_rejected(
    name: str, value: object, error: type[Exception], message: str, format_code: int
) -> None:
    with pytest.raises(error, match=message):
        codec(name, format_code).encode(value)


BAD_BINARY: Final[list[tuple[str, str, str]]] = [
    ("point", ONE + TWO[:-2], r"^invalid point value: expected 16 bytes, got 15$"),
    ("line", ONE + TWO, r"^invalid line value: expected 24 bytes, got 16$"),
    ("lseg", ONE + TWO + THREE, r"^invalid lseg value: expected 32 bytes, got 24$"),
    ("box", ONE + TWO + THREE + FOUR + "00", r"^invalid box value: expected 32 bytes, got 33$"),
    ("circle", "", r"^invalid circle value: expected 24 bytes, got 0$"),
    ("path", "00000000", r"^invalid path value: expected at least 5 bytes, got 4$"),
    ("path", "01" + "00000002" + ONE + TWO, r"^invalid path value: 2 points need 37 bytes, got 21$"),
    ("path", "01" + "ffffffff", r"^invalid path value: -1 points need 5 bytes, got 5$"),
    ("polygon", "000000", r"^invalid polygon value: expected at least 4 bytes, got 3$"),
    ("polygon", "00000001" + ONE + TWO + THREE, r"^invalid polygon value: 1 points need 20 bytes, got 28$"),
]


@pytest.mark.parametrize(("name", "data", "message"), BAD_BINARY, ids=[c[0] for c in BAD_BINARY])
def test_malformed_binary_is_rejected(name: str, data: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        codec(name, BINARY).decode(bytes.fromhex(data))


BAD_TEXT: Final[list[tuple[str, str]]] = [
    ("point", "(1,2"),
    ("point", "1,2"),
    ("point", "(1,x)"),
    ("point", "(1,2,3)"),
    ("point", ""),
    ("line", "{1,2}"),
    ("line", "(1,2,3)"),
    ("lseg", "[(1,2),(3,4)"),
    ("lseg", "((1,2),(3,4))"),
    ("box", "(1,2)"),
    ("box", "((1,2),(3,4))"),
    ("path", "[(1,2),(3,4))"),
    ("path", "((1,2),(3,4)]"),
    ("path", "()"),
    ("path", "(1,2)"),
    ("path", "[(1,2),(3,q)]"),
    ("polygon", "[(1,2)]"),
    ("polygon", "((1,2),)"),
    ("circle", "<(1,2)>"),
    ("circle", "<(1,2),x>"),
    ("circle", "((1,2),3)"),
]


@pytest.mark.parametrize(("name", "text"), BAD_TEXT, ids=[f"{n}-{t}" for n, t in BAD_TEXT])
def test_malformed_text_is_rejected(name: str, text: str) -> None:
    with pytest.raises(ValueError, match=f"^{re.escape(f'invalid {name} value: {text!r}')}$"):
        codec(name, TEXT).decode(text.encode())


# -- round trips ----------------------------------------------------------------------------------

STRATEGIES: Final[list[tuple[str, Callable[..., st.SearchStrategy[Any]]]]] = [
    ("point", points),
    ("line", lines),
    ("lseg", lsegs),
    ("box", boxes),
    ("path", paths),
    ("polygon", polygons),
    ("circle", circles),
]
STRATEGY_IDS: Final = [name for name, _ in STRATEGIES]


@pytest.mark.parametrize("format_code", FORMATS)
@pytest.mark.parametrize(("name", "strategy"), STRATEGIES, ids=STRATEGY_IDS)
@given(data=st.data())
def test_round_trip(
    name: str, strategy: Callable[..., st.SearchStrategy[Any]], format_code: int, data: st.DataObject
) -> None:
    value = data.draw(strategy())
    found = codec(name, format_code)
    assert same(found.decode(found.encode(value)), value)


# -- live -----------------------------------------------------------------------------------------


def expected_from_server(name: str, value: Any) -> Any:
    """What the server gives back for ``value``: boxes come back with normalised corners."""
    return normalised_box(value) if name == "box" else value


def assert_live_round_trip(type_session: TypeSession, name: str, value: Any, format_code: int) -> str:
    """Echo ``value`` through the server; check the value that comes back; return the server's text."""
    raw, text = type_session.echo(name, codec(name, format_code).encode(value), format_code)
    assert raw is not None and text is not None
    expected = expected_from_server(name, value)
    assert same(codec(name, format_code).decode(raw), expected)
    assert same(codec(name, TEXT).decode(text.encode()), expected)
    return text


@pytest.mark.parametrize("format_code", FORMATS)
@pytest.mark.parametrize(("name", "value", "binary", "text", "server_text"), GOLDEN, ids=GOLDEN_IDS)
def test_live_golden(
    type_session: TypeSession,
    name: str,
    value: Any,
    binary: str,
    text: str,
    server_text: str,
    format_code: int,
) -> None:
    assert assert_live_round_trip(type_session, name, value, format_code) == server_text


LIVE_CASES: Final[list[tuple[str, Any, str]]] = [
    ("point", Point(math.nan, -0.0), "(NaN,-0)"),
    ("point", Point(1e-300, -1e300), "(1e-300,-1e+300)"),
    ("point", Point(1e15, 0.1), "(1e+15,0.1)"),
    ("line", Line(1e-5, 0, 1), "{1e-05,0,1}"),
    ("line", Line(math.nan, 0, 1), "{NaN,0,1}"),
    # box_in/box_recv put the upper right corner first, one coordinate at a time.
    ("box", Box((1, 2), (3, 4)), "(3,4),(1,2)"),
    ("box", Box((1, 4), (3, 2)), "(3,4),(1,2)"),
    ("box", Box((1, math.nan), (3, 4)), "(3,NaN),(1,4)"),
    ("path", ((1, 2),), "((1,2))"),
    ("path", Polygon((1, 2), (3, 4)), "((1,2),(3,4))"),
    ("circle", Circle((1, 2), -0.0), "<(1,2),-0>"),
    ("circle", Circle((1, 2), math.nan), "<(1,2),NaN>"),
]


@pytest.mark.parametrize("format_code", FORMATS)
@pytest.mark.parametrize(
    ("name", "value", "server_text"), LIVE_CASES, ids=[f"{c[0]}-{c[2]}" for c in LIVE_CASES]
)
def test_live_edge_values(
    type_session: TypeSession, name: str, value: Any, server_text: str, format_code: int
) -> None:
    raw, text = type_session.echo(name, codec(name, format_code).encode(value), format_code)
    assert text == server_text
    assert raw is not None
    assert same(codec(name, format_code).decode(raw), codec(name, TEXT).decode(server_text.encode()))


SERVER_VALUES: Final[list[tuple[str, str, Any]]] = [
    ("point", "'(1.5,2)'::point", Point(1.5, 2)),
    ("point", "point 'Infinity,-Infinity'", Point(math.inf, -math.inf)),
    ("line", "line(point '(0,0)', point '(1,1)')", Line(1, -1, 0)),
    ("lseg", "lseg(point '(1,2)', point '(3,4)')", LineSegment((1, 2), (3, 4))),
    ("box", "box '(1,2),(3,4)'", Box((3, 4), (1, 2))),
    ("path", "path '[(0,0),(1,1),(2,0)]'", Path((0, 0), (1, 1), (2, 0))),
    ("path", "path '((0,0),(1,1),(2,0))'", Path((0, 0), (1, 1), (2, 0), is_closed=True)),
    ("polygon", "polygon(box '(0,0),(1,1)')", Polygon((0, 0), (0, 1), (1, 1), (1, 0))),
    ("circle", "circle(point '(1,2)', 3)", Circle((1, 2), 3)),
    ("circle", "circle '<(0.5,-2.25),1e300>'", Circle((0.5, -2.25), 1e300)),
]


@pytest.mark.parametrize("format_code", FORMATS)
@pytest.mark.parametrize(("name", "expression", "expected"), SERVER_VALUES, ids=[c[1] for c in SERVER_VALUES])
def test_live_server_values(
    type_session: TypeSession, name: str, expression: str, expected: Any, format_code: int
) -> None:
    raw = type_session.select(expression, format_code)
    assert raw is not None
    assert same(codec(name, format_code).decode(raw), expected)


def test_live_server_rejects_what_the_encoder_rejects(type_session: TypeSession) -> None:
    # The client-side checks mirror the server's: these raw values are refused there too.
    for name, data in [("line", "0" * 32 + ONE), ("circle", ONE + TWO + MINUS_ONE), ("polygon", "00000000")]:
        with pytest.raises(PostgresError, match="invalid") as raised:
            type_session.echo(name, bytes.fromhex(data), BINARY)
        assert raised.value.sqlstate == "22P03"  # invalid_binary_representation


@pytest.mark.parametrize("format_code", FORMATS)
@pytest.mark.parametrize(("name", "strategy"), STRATEGIES, ids=STRATEGY_IDS)
@LIVE
@given(data=st.data())
def test_live_round_trip(
    type_session: TypeSession,
    name: str,
    strategy: Callable[..., st.SearchStrategy[Any]],
    format_code: int,
    data: st.DataObject,
) -> None:
    assert_live_round_trip(type_session, name, data.draw(strategy()), format_code)


@pytest.mark.parametrize("format_code", FORMATS)
@LIVE
@given(value=boxes(FINITE_FLOATS))
def test_live_box_corners_are_normalised(type_session: TypeSession, value: Box, format_code: int) -> None:
    raw, _ = type_session.echo("box", codec("box", format_code).encode(value), format_code)
    assert raw is not None
    high, low = codec("box", format_code).decode(raw)
    assert high.x >= low.x and high.y >= low.y
    assert sorted([high.x, low.x]) == sorted([value.high.x, value.low.x])
