"""The date/time codecs through the server (session zone Asia/Kolkata, DateStyle ISO).

Values we encode are echoed by the server and must decode to the original, with the server's
own text for them as PostgreSQL prints it; values the server produces (infinity, BC dates,
24:00:00, years and months of intervals) must decode as documented in ``pgtypes._datetime``.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta, timezone

import pytest
from hypothesis import given

from pgtypes._codec import BINARY, TEXT
from pgtypes._datetime import (
    DATE_OID,
    INTERVAL_OID,
    TIME_OID,
    TIMESTAMP_OID,
    TIMESTAMPTZ_OID,
    TIMETZ_OID,
    TUPLE_CODECS,
)
from tests.pgtypes.live import TypeSession
from tests.pgtypes.strategies_datetime import (
    FORMATS,
    KOLKATA,
    LIVE,
    NAMES,
    US,
    aware_datetimes,
    codec,
    dates,
    naive_datetimes,
    timedeltas,
    times,
    timetz_values,
)


def echo(session: TypeSession, oid: int, fmt: int, value: object) -> tuple[object, str]:
    """Send ``value`` through the server; its decoded echo and the server's text for it."""
    raw, text = session.echo(NAMES[oid], codec(oid, fmt).encode(value), fmt)
    assert raw is not None and text is not None
    return codec(oid, fmt).decode(raw), text


@FORMATS
@LIVE
@given(value=dates)
def test_live_date(type_session: TypeSession, fmt: int, value: date) -> None:
    decoded, text = echo(type_session, DATE_OID, fmt, value)
    assert decoded == value
    assert text == {date.max: "infinity", date.min: "-infinity"}.get(value, value.isoformat())


@FORMATS
@LIVE
@given(value=naive_datetimes)
def test_live_timestamp(type_session: TypeSession, fmt: int, value: datetime) -> None:
    decoded, text = echo(type_session, TIMESTAMP_OID, fmt, value)
    assert decoded == value
    expected = {datetime.max: "infinity", datetime.min: "-infinity"}.get(value, value.isoformat(" "))
    # isoformat prints six fraction digits when there is a fraction; PostgreSQL drops trailing zeros.
    assert text == (expected.rstrip("0") if "." in expected else expected)


@FORMATS
@LIVE
@given(value=aware_datetimes)
def test_live_timestamptz(type_session: TypeSession, fmt: int, value: datetime) -> None:
    decoded, text = echo(type_session, TIMESTAMPTZ_OID, fmt, value)
    assert decoded == value.astimezone(UTC)
    # The server prints the instant in the session's zone, Asia/Kolkata.
    assert codec(TIMESTAMPTZ_OID, TEXT).decode(text.encode()) == decoded
    if value.astimezone(UTC).year >= 1946:
        assert text.endswith("+05:30")
        assert text.startswith(value.astimezone(KOLKATA).strftime("%Y-%m-%d %H:%M:%S"))


@FORMATS
@LIVE
@given(value=times)
def test_live_time(type_session: TypeSession, fmt: int, value: time) -> None:
    decoded, text = echo(type_session, TIME_OID, fmt, value)
    assert decoded == value
    assert codec(TIME_OID, TEXT).decode(text.encode()) == value


@FORMATS
@LIVE
@given(value=timetz_values)
def test_live_timetz(type_session: TypeSession, fmt: int, value: time) -> None:
    decoded, text = echo(type_session, TIMETZ_OID, fmt, value)
    assert isinstance(decoded, time)
    assert decoded == value
    assert decoded.utcoffset() == value.utcoffset()
    assert text == codec(TIMETZ_OID, TEXT).encode(value).decode()


@FORMATS
@LIVE
@given(value=timedeltas)
def test_live_interval(type_session: TypeSession, fmt: int, value: timedelta) -> None:
    decoded, text = echo(type_session, INTERVAL_OID, fmt, value)
    assert decoded == value
    assert text == codec(INTERVAL_OID, TEXT).encode(value).decode()


@FORMATS
def test_live_edges_we_send(type_session: TypeSession, fmt: int) -> None:
    cases: list[tuple[int, object, str]] = [
        (TIMESTAMPTZ_OID, datetime(2000, 1, 1, tzinfo=UTC), "2000-01-01 05:30:00+05:30"),
        (TIMESTAMPTZ_OID, datetime.max, "infinity"),
        (TIMESTAMPTZ_OID, datetime.min.replace(tzinfo=UTC), "-infinity"),
        (
            TIMETZ_OID,
            time(23, 59, 59, 999999, tzinfo=timezone(timedelta(seconds=57599))),
            "23:59:59.999999+15:59:59",
        ),
        (TIMETZ_OID, time(tzinfo=timezone(timedelta(seconds=-57599))), "00:00:00-15:59:59"),
        (INTERVAL_OID, timedelta(days=-1, seconds=3600), "-1 days +01:00:00"),
        (DATE_OID, date(99, 1, 1), "0099-01-01"),
        (TIMESTAMP_OID, datetime(1, 1, 1, 0, 0, 0, 1), "0001-01-01 00:00:00.000001"),
    ]
    for oid, value, expected in cases:
        assert echo(type_session, oid, fmt, value)[1] == expected


@FORMATS
def test_live_server_values(type_session: TypeSession, fmt: int) -> None:
    cases: list[tuple[str, int, object]] = [
        ("'infinity'::date", DATE_OID, date.max),
        ("'-infinity'::date", DATE_OID, date.min),
        ("'infinity'::timestamp", TIMESTAMP_OID, datetime.max),
        ("'-infinity'::timestamp", TIMESTAMP_OID, datetime.min),
        ("'infinity'::timestamptz", TIMESTAMPTZ_OID, datetime.max),
        ("'-infinity'::timestamptz", TIMESTAMPTZ_OID, datetime.min),
        ("'9999-12-31 23:59:59.999999'::timestamp", TIMESTAMP_OID, datetime.max),
        ("'0001-01-01 00:00:00'::timestamp", TIMESTAMP_OID, datetime.min),
        (
            "'1850-01-01 00:00:00'::timestamptz",
            TIMESTAMPTZ_OID,
            datetime(1849, 12, 31, 18, 6, 32, tzinfo=UTC),
        ),
        (
            "'2024-02-29 13:05:00.123456+00'::timestamptz",
            TIMESTAMPTZ_OID,
            datetime(2024, 2, 29, 13, 5, 0, 123456, tzinfo=UTC),
        ),
        ("'23:59:59.999999'::time", TIME_OID, time.max),
        ("'12:00:00+05:53:28'::timetz", TIMETZ_OID, time(12, tzinfo=timezone(timedelta(seconds=21208)))),
        ("'1 year 2 mons 3 days 04:05:06.7'::interval", INTERVAL_OID, timedelta(days=428, seconds=14706.7)),
        (
            "'1 year 2 mons -3 days -04:05:06.7'::interval",
            INTERVAL_OID,
            timedelta(days=422, seconds=-14706.7),
        ),
        ("'-00:00:00.000001'::interval", INTERVAL_OID, -US),
        ("'-1 year'::interval", INTERVAL_OID, timedelta(days=-365)),
        ("'999999999 days 23:59:59.999999'::interval", INTERVAL_OID, timedelta.max),
    ]
    for expression, oid, expected in cases:
        raw = type_session.select(expression, fmt)
        assert raw is not None
        decoded = codec(oid, fmt).decode(raw)
        assert decoded == expected, expression
        assert type(decoded) is type(expected)
        if isinstance(expected, datetime):
            assert isinstance(decoded, datetime)
            assert decoded.tzinfo is expected.tzinfo, expression


@FORMATS
def test_live_values_python_cannot_hold(type_session: TypeSession, fmt: int) -> None:
    cases = [
        (
            "'4714-11-24 BC'::date",
            DATE_OID,
            r"date 4714-11-24 BC is outside the range of datetime.date \(years 1..9999\)",
        ),
        ("'5874897-12-31'::date", DATE_OID, "date 5874897-12-31 is outside"),
        ("'0044-03-15 BC'::timestamp", TIMESTAMP_OID, "timestamp 0044-03-15 00:00:00 BC is outside"),
        (
            "'294276-12-31 23:59:59.999999'::timestamp",
            TIMESTAMP_OID,
            "timestamp 294276-12-31 23:59:59.999999 is outside",
        ),
        ("'0001-01-01 00:00:00+01'::timestamptz", TIMESTAMPTZ_OID, "timestamptz .* is outside the range"),
        ("'24:00:00'::time", TIME_OID, "time 24:00:00 is outside the range of datetime.time"),
        ("'24:00:00-15:59'::timetz", TIMETZ_OID, "timetz 24:00:00-15:59 is outside the range"),
        (
            "'178000000 years'::interval",
            INTERVAL_OID,
            "interval 178000000 years is outside the range of datetime.timedelta",
        ),
    ]
    for expression, oid, message in cases:
        raw = type_session.select(expression, fmt)
        assert raw is not None
        with pytest.raises(ValueError, match=message):
            codec(oid, fmt).decode(raw)


def test_live_tuple_format(type_session: TypeSession) -> None:
    cases: list[tuple[str, int, tuple[int, ...]]] = [
        ("'2024-02-29'::date", DATE_OID, (8825,)),
        ("'infinity'::date", DATE_OID, (2**31 - 1,)),
        ("'-infinity'::timestamp", TIMESTAMP_OID, (-(2**63),)),
        ("'2000-01-01 05:30:00.000001+05:30'::timestamptz", TIMESTAMPTZ_OID, (1,)),
        ("'24:00:00'::time", TIME_OID, (86_400_000_000,)),
        ("'12:00:00+05:30'::timetz", TIMETZ_OID, (43_200_000_000, -19800)),
        ("'00:00:01-08'::timetz", TIMETZ_OID, (1_000_000, 28800)),
        ("'1 year 2 mons 3 days 00:00:01'::interval", INTERVAL_OID, (14, 3, 1_000_000)),
    ]
    for expression, oid, expected in cases:
        raw = type_session.select(expression, BINARY)
        assert raw is not None
        encode, decode = TUPLE_CODECS[oid]
        assert decode(raw) == expected
        echoed, _ = type_session.echo(NAMES[oid], encode(expected), BINARY)
        assert echoed == raw
