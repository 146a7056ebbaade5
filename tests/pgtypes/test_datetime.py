"""The date/time codecs in process: golden bytes, round trips, errors, the tuple format.

The tests through the server are in ``test_datetime_live.py``.
"""

from __future__ import annotations

import os
import struct
import time as time_module
from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pgtypes._codec import BINARY, TEXT
from pgtypes._datetime import (
    DATE_OID,
    INTERVAL_OID,
    TIME_OID,
    TIMESTAMP_OID,
    TIMESTAMPTZ_OID,
    TIMETZ_OID,
    TUPLE_CODECS,
    register,
)
from pgtypes._datetime_text import civil_from_days, format_interval, parse_interval
from tests.pgtypes.strategies_datetime import (
    FORMATS,
    IST,
    KOLKATA,
    NAMES,
    TABLE,
    US,
    aware_datetimes,
    codec,
    dates,
    i,
    naive_datetimes,
    q,
    timedeltas,
    times,
    timetz_values,
)


def test_register_adds_both_formats_of_every_type() -> None:
    assert len(TABLE) == 12
    for oid, name in NAMES.items():
        for fmt in (BINARY, TEXT):
            found = codec(oid, fmt)
            assert (found.name, found.schema, found.kind, found.fixed) == (name, "pg_catalog", "scalar", "")
    with pytest.raises(ValueError, match="already registered"):
        register(TABLE)


# -- golden values ---------------------------------------------------------------------------

GOLDEN = [
    # (oid, value, binary, text)
    (DATE_OID, date(2000, 1, 1), i(0), b"2000-01-01"),
    (DATE_OID, date(1999, 12, 31), i(-1), b"1999-12-31"),
    (DATE_OID, date(2024, 2, 29), i(8825), b"2024-02-29"),
    (DATE_OID, date(1, 1, 2), i(-730118), b"0001-01-02"),
    (DATE_OID, date.max, i(2**31 - 1), b"infinity"),
    (DATE_OID, date.min, i(-(2**31)), b"-infinity"),
    (TIMESTAMP_OID, datetime(2000, 1, 1), q(0), b"2000-01-01 00:00:00"),
    (TIMESTAMP_OID, datetime(2000, 1, 1, 0, 0, 0, 1), q(1), b"2000-01-01 00:00:00.000001"),
    (TIMESTAMP_OID, datetime(1999, 12, 31, 23, 59, 59, 999999), q(-1), b"1999-12-31 23:59:59.999999"),
    (TIMESTAMP_OID, datetime(2000, 1, 2, 0, 0, 1, 500000), q(86_401_500_000), b"2000-01-02 00:00:01.5"),
    (TIMESTAMP_OID, datetime.max - US, q(252_455_615_999_999_998), b"9999-12-31 23:59:59.999998"),
    (TIMESTAMP_OID, datetime.max, q(2**63 - 1), b"infinity"),
    (TIMESTAMP_OID, datetime.min, q(-(2**63)), b"-infinity"),
    (TIME_OID, time(0, 0, 0, 1), q(1), b"00:00:00.000001"),
    (TIME_OID, time.max, q(86_399_999_999), b"23:59:59.999999"),
    (TIME_OID, time(13, 5, 0, 250000), q(47_100_250_000), b"13:05:00.25"),
    (TIMETZ_OID, time(12, tzinfo=IST), struct.pack("!qi", 43_200_000_000, -19800), b"12:00:00+05:30"),
    (
        TIMETZ_OID,
        time(0, 0, 0, 5, tzinfo=timezone(-timedelta(hours=5, minutes=53, seconds=28))),
        struct.pack("!qi", 5, 21208),
        b"00:00:00.000005-05:53:28",
    ),
    (TIMETZ_OID, time(23, tzinfo=UTC), struct.pack("!qi", 82_800_000_000, 0), b"23:00:00+00"),
    (INTERVAL_OID, timedelta(0), struct.pack("!qii", 0, 0, 0), b"00:00:00"),
    (INTERVAL_OID, timedelta(days=1), struct.pack("!qii", 0, 1, 0), b"1 day"),
    (
        INTERVAL_OID,
        timedelta(days=3, seconds=1.5),
        struct.pack("!qii", 1_500_000, 3, 0),
        b"3 days 00:00:01.5",
    ),
    (INTERVAL_OID, -US, struct.pack("!qii", 86_399_999_999, -1, 0), b"-1 days +23:59:59.999999"),
    (INTERVAL_OID, timedelta(days=-3), struct.pack("!qii", 0, -3, 0), b"-3 days"),
]


@pytest.mark.parametrize(("oid", "value", "binary", "text"), GOLDEN)
def test_golden(oid: int, value: object, binary: bytes, text: bytes) -> None:
    assert codec(oid, BINARY).encode(value) == binary
    assert codec(oid, TEXT).encode(value) == text
    assert codec(oid, BINARY).decode(binary) == value
    assert codec(oid, TEXT).decode(text) == value


def test_timestamptz_golden() -> None:
    value = datetime(2000, 1, 1, 5, 30, tzinfo=IST)
    assert codec(TIMESTAMPTZ_OID, BINARY).encode(value) == q(0)
    assert codec(TIMESTAMPTZ_OID, TEXT).encode(value) == b"2000-01-01 00:00:00+00"
    decoded = codec(TIMESTAMPTZ_OID, BINARY).decode(q(1))
    assert decoded == datetime(2000, 1, 1, 0, 0, 0, 1, tzinfo=UTC)
    assert decoded.tzinfo is UTC
    # The server prints in the session zone; the value comes back in UTC, offset seconds too.
    from_text = codec(TIMESTAMPTZ_OID, TEXT).decode(b"1850-01-01 00:00:00+05:53:28")
    assert from_text == datetime(1849, 12, 31, 18, 6, 32, tzinfo=UTC)
    assert from_text.tzinfo is UTC
    assert codec(TIMESTAMPTZ_OID, TEXT).decode(b"2024-02-29 13:05:00.5+05:30") == datetime(
        2024, 2, 29, 7, 35, 0, 500000, tzinfo=UTC
    )


@pytest.mark.parametrize("fmt", [BINARY, TEXT], ids=["binary", "text"])
def test_timestamptz_infinity_is_naive(fmt: int) -> None:
    # asyncpg's quirk (reference Appendix A, item 17): infinity loses the time zone.
    plus, minus = (q(2**63 - 1), q(-(2**63))) if fmt == BINARY else (b"infinity", b"-infinity")
    assert codec(TIMESTAMPTZ_OID, fmt).decode(plus) == datetime.max
    assert codec(TIMESTAMPTZ_OID, fmt).decode(plus).tzinfo is None
    assert codec(TIMESTAMPTZ_OID, fmt).decode(minus) == datetime.min
    for value in (datetime.max, datetime.max.replace(tzinfo=UTC)):
        assert codec(TIMESTAMPTZ_OID, fmt).encode(value) == plus
    for value in (datetime.min, datetime.min.replace(tzinfo=UTC)):
        assert codec(TIMESTAMPTZ_OID, fmt).encode(value) == minus


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1 year 2 mons -3 days -04:05:06.7", timedelta(days=365 + 60 - 3, seconds=-14706.7)),
        ("1 year 2 mons 3 days 04:05:06.7", timedelta(days=428, seconds=14706, microseconds=700000)),
        ("-1 years -2 mons +3 days", timedelta(days=-365 - 60 + 3)),
        ("14 mons", timedelta(days=365 + 60)),
        ("-00:00:00.000001", -US),
        ("1 day -00:00:01", timedelta(seconds=86399)),
        ("2562047788:00:54.775807", timedelta(microseconds=2**63 - 1)),
        ("1 mon", timedelta(days=30)),
        ("00:00:00.1", timedelta(microseconds=100000)),
    ],
)
def test_interval_text_decode(text: str, expected: timedelta) -> None:
    assert codec(INTERVAL_OID, TEXT).decode(text.encode()) == expected


def test_interval_months_and_years_in_binary() -> None:
    # '1 year 2 mons 3 days 04:05:06.7' as the server sends it: 14 months, 3 days, microseconds.
    data = struct.pack("!qii", 14_706_700_000, 3, 14)
    assert codec(INTERVAL_OID, BINARY).decode(data) == timedelta(days=428, seconds=14706, microseconds=700000)
    # Negative months split toward zero: -14 months is -1 year -2 months.
    assert codec(INTERVAL_OID, BINARY).decode(struct.pack("!qii", 0, 0, -14)) == timedelta(days=-425)


@given(st.integers(-(2**31), 2**31 - 1), st.integers(-(2**31), 2**31 - 1), st.integers(-(2**63), 2**63 - 1))
def test_interval_text_fields_round_trip(months: int, days: int, us: int) -> None:
    assert parse_interval(format_interval(months, days, us)) == (months, days, us)


@given(st.integers(1, date.max.toordinal()))
def test_civil_from_days_agrees_with_python(ordinal: int) -> None:
    expected = date.fromordinal(ordinal)
    assert civil_from_days(ordinal - 730120) == (expected.year, expected.month, expected.day)


def test_civil_from_days_before_year_one() -> None:
    # Julian day 0 is 4714-11-24 BC (astronomical -4713) in the proleptic Gregorian calendar.
    assert civil_from_days(-2_451_545) == (-4713, 11, 24)
    assert civil_from_days(-730_120) == (0, 12, 31)  # 1 BC, a leap year
    assert civil_from_days(-730_120 - 365) == (0, 1, 1)


# -- round trips -----------------------------------------------------------------------------


@FORMATS
@given(value=dates)
def test_date_round_trip(fmt: int, value: date) -> None:
    assert codec(DATE_OID, fmt).decode(codec(DATE_OID, fmt).encode(value)) == value


@FORMATS
@given(value=naive_datetimes)
def test_date_truncates_datetimes(fmt: int, value: datetime) -> None:
    assert codec(DATE_OID, fmt).decode(codec(DATE_OID, fmt).encode(value)) == value.date()


@FORMATS
@given(value=naive_datetimes)
def test_timestamp_round_trip(fmt: int, value: datetime) -> None:
    assert codec(TIMESTAMP_OID, fmt).decode(codec(TIMESTAMP_OID, fmt).encode(value)) == value


@FORMATS
@given(value=dates)
def test_timestamp_takes_dates_as_midnight(fmt: int, value: date) -> None:
    decoded = codec(TIMESTAMP_OID, fmt).decode(codec(TIMESTAMP_OID, fmt).encode(value))
    assert decoded == datetime(value.year, value.month, value.day)


@FORMATS
@given(value=aware_datetimes)
def test_timestamptz_round_trip(fmt: int, value: datetime) -> None:
    decoded = codec(TIMESTAMPTZ_OID, fmt).decode(codec(TIMESTAMPTZ_OID, fmt).encode(value))
    assert decoded.tzinfo is UTC
    assert decoded == value.astimezone(UTC)


@FORMATS
@given(value=times)
def test_time_round_trip(fmt: int, value: time) -> None:
    assert codec(TIME_OID, fmt).decode(codec(TIME_OID, fmt).encode(value)) == value
    # tzinfo is ignored on encode.
    assert codec(TIME_OID, fmt).encode(value.replace(tzinfo=IST)) == codec(TIME_OID, fmt).encode(value)


@FORMATS
@given(value=timetz_values)
def test_timetz_round_trip(fmt: int, value: time) -> None:
    decoded = codec(TIMETZ_OID, fmt).decode(codec(TIMETZ_OID, fmt).encode(value))
    assert decoded == value
    assert decoded.utcoffset() == value.utcoffset()


@FORMATS
@given(value=timedeltas)
def test_interval_round_trip(fmt: int, value: timedelta) -> None:
    assert codec(INTERVAL_OID, fmt).decode(codec(INTERVAL_OID, fmt).encode(value)) == value


@pytest.fixture
def new_york_local_time() -> Iterator[None]:
    """The process's local time zone is America/New_York for the test."""
    before = os.environ.get("TZ")
    os.environ["TZ"] = "America/New_York"
    time_module.tzset()
    try:
        yield
    finally:
        if before is None:
            del os.environ["TZ"]
        else:
            os.environ["TZ"] = before
        time_module.tzset()


@FORMATS
@pytest.mark.usefixtures("new_york_local_time")
def test_timestamptz_takes_naive_values_as_local_time(fmt: int) -> None:
    tz_codec = codec(TIMESTAMPTZ_OID, fmt)
    assert tz_codec.decode(tz_codec.encode(datetime(2024, 1, 15, 12))) == datetime(
        2024, 1, 15, 17, tzinfo=UTC
    )
    assert tz_codec.decode(tz_codec.encode(datetime(2024, 7, 15, 12))) == datetime(
        2024, 7, 15, 16, tzinfo=UTC
    )
    assert tz_codec.decode(tz_codec.encode(date(2024, 7, 15))) == datetime(2024, 7, 15, 4, tzinfo=UTC)


# -- errors ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("oid", "value", "message"),
    [
        (DATE_OID, "2020-01-01", "expected datetime.date, got str"),
        (DATE_OID, time(1), "expected datetime.date, got time"),
        (TIMESTAMP_OID, 0, "expected datetime.datetime or datetime.date, got int"),
        (TIMESTAMPTZ_OID, "now", "expected datetime.datetime or datetime.date, got str"),
        (TIME_OID, datetime(2020, 1, 1), "expected datetime.time, got datetime"),
        (TIMETZ_OID, 1.5, "expected datetime.time, got float"),
        (INTERVAL_OID, 3600, "expected datetime.timedelta, got int"),
    ],
)
@FORMATS
def test_wrong_python_types(fmt: int, oid: int, value: object, message: str) -> None:
    with pytest.raises(TypeError, match=f"^{message}$"):
        codec(oid, fmt).encode(value)


@pytest.mark.parametrize(
    ("oid", "value", "message"),
    [
        (
            TIMESTAMP_OID,
            datetime(2020, 1, 1, tzinfo=UTC),
            "expected a naive datetime for timestamp, got an aware one",
        ),
        (TIMETZ_OID, time(12), "expected a time with a UTC offset for timetz, got a naive one"),
        (
            TIMETZ_OID,
            time(12, tzinfo=KOLKATA),
            "expected a time with a UTC offset for timetz, got a naive one",
        ),
        (TIMETZ_OID, time(tzinfo=timezone(timedelta(hours=16))), r"out of timetz range \(.*\): \+16$"),
        (TIMETZ_OID, time(tzinfo=timezone(-timedelta(hours=20))), r"out of timetz range \(.*\): -20$"),
        (
            TIMETZ_OID,
            time(tzinfo=timezone(timedelta(seconds=1, microseconds=5))),
            "whole seconds, got 0:00:01.000005",
        ),
    ],
)
@FORMATS
def test_values_postgresql_cannot_hold(fmt: int, oid: int, value: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        codec(oid, fmt).encode(value)


@pytest.mark.parametrize(
    ("oid", "data", "message"),
    [
        (
            DATE_OID,
            i(-2_451_545),
            r"date 4714-11-24 BC is outside the range of datetime.date \(years 1..9999\)",
        ),
        (DATE_OID, i(-730_120), "date 0001-12-31 BC is outside the range"),
        (DATE_OID, i(2_921_940), "date 10000-01-01 is outside the range"),
        (
            TIMESTAMP_OID,
            q(-211_813_488_000_000_000),
            "timestamp 4714-11-24 00:00:00 BC is outside the range of datetime.datetime",
        ),
        (TIMESTAMP_OID, q(252_455_616_000_000_000), "timestamp 10000-01-01 00:00:00 is outside the range"),
        (
            TIMESTAMPTZ_OID,
            q(-63_082_281_600_000_001),
            r"timestamptz 0001-12-31 23:59:59.999999\+00 BC is outside",
        ),
        (
            TIME_OID,
            q(86_400_000_000),
            r"time 24:00:00 is outside the range of datetime.time \(00:00:00..23:59:59.999999\)",
        ),
        (TIME_OID, q(-1), "time -00:00:00.000001 is outside"),
        (TIMETZ_OID, struct.pack("!qi", 86_400_000_000, 57540), "timetz 24:00:00-15:59 is outside the range"),
        (TIMETZ_OID, struct.pack("!qi", 0, 57600), "zone offset 57600 s is out of range"),
        (
            INTERVAL_OID,
            struct.pack("!qii", 0, 0, 2_136_000_000),
            r"interval 178000000 years is outside the range of datetime.timedelta",
        ),
        (INTERVAL_OID, struct.pack("!qii", 0, 2**31 - 1, 0), "interval 2147483647 days is outside"),
        (INTERVAL_OID, struct.pack("!qii", 2**63 - 1, 2**31 - 1, 2**31 - 1), "interval infinity is outside"),
        (DATE_OID, b"\x00\x00\x01", r"invalid date value: expected 4 bytes, got 3"),
        (TIMESTAMP_OID, q(0) + b"\x00", r"invalid timestamp value: expected 8 bytes, got 9"),
        (TIMESTAMPTZ_OID, b"", r"invalid timestamptz value: expected 8 bytes, got 0"),
        (TIME_OID, i(0), r"invalid time value: expected 8 bytes, got 4"),
        (TIMETZ_OID, q(0), r"invalid timetz value: expected 12 bytes, got 8"),
        (INTERVAL_OID, q(0), r"invalid interval value: expected 16 bytes, got 8"),
    ],
)
def test_binary_decode_errors(oid: int, data: bytes, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        codec(oid, BINARY).decode(data)


@pytest.mark.parametrize(
    ("oid", "text", "message"),
    [
        (
            DATE_OID,
            "4714-11-24 BC",
            r"date 4714-11-24 BC is outside the range of datetime.date \(years 1..9999\)",
        ),
        (DATE_OID, "0001-12-31 BC", "date 0001-12-31 BC is outside the range"),
        (DATE_OID, "5874897-12-31", "date 5874897-12-31 is outside the range"),
        (DATE_OID, "2020-02-30", "invalid date value: '2020-02-30'"),
        (DATE_OID, "yesterday", "invalid date value: 'yesterday'"),
        (
            TIMESTAMP_OID,
            "4713-01-01 00:00:00 BC",
            "timestamp 4713-01-01 00:00:00 BC is outside the range of datetime.datetime",
        ),
        (TIMESTAMP_OID, "294276-12-31 23:59:59.999999", "timestamp 294276-12-31 23:59:59.999999 is outside"),
        (TIMESTAMP_OID, "2020-01-01 00:00:00+00", r"invalid timestamp value: '2020-01-01 00:00:00\+00'"),
        (TIMESTAMP_OID, "2020-01-01 25:00:00", "invalid timestamp value"),
        (
            TIMESTAMPTZ_OID,
            "0001-01-01 00:00:00+05:53:28",
            r"timestamptz 0001-01-01 00:00:00\+05:53:28 is outside .* in UTC",
        ),
        (TIMESTAMPTZ_OID, "10000-01-01 10:29:59.999999+05:30", "is outside the range of datetime.datetime"),
        (
            TIMESTAMPTZ_OID,
            "0100-01-01 00:00:00+05:53:28 BC",
            r"timestamptz 0100-01-01 00:00:00\+05:53:28 BC is outside",
        ),
        (TIMESTAMPTZ_OID, "2020-01-01 00:00:00", "invalid timestamptz value"),
        (
            TIME_OID,
            "24:00:00",
            r"time 24:00:00 is outside the range of datetime.time \(00:00:00..23:59:59.999999\)",
        ),
        (TIME_OID, "12:00:00+05", "invalid time value"),
        (TIME_OID, "noon", "invalid time value: 'noon'"),
        (TIMETZ_OID, "24:00:00-15:59", "timetz 24:00:00-15:59 is outside the range"),
        (TIMETZ_OID, "12:00:00", "invalid timetz value: '12:00:00'"),
        (
            INTERVAL_OID,
            "178000000 years",
            "interval 178000000 years is outside the range of datetime.timedelta",
        ),
        (INTERVAL_OID, "infinity", "interval infinity is outside"),
        (INTERVAL_OID, "-infinity", "interval -infinity is outside"),
        (INTERVAL_OID, "", "invalid interval value: ''"),
        (INTERVAL_OID, "1 fortnight", "invalid interval value"),
        (INTERVAL_OID, "1 day 01:00:00 02:00:00", "invalid interval value"),
        (INTERVAL_OID, "P1D", "invalid interval value"),
        (INTERVAL_OID, "1 days1 day", "invalid interval value"),
    ],
)
def test_text_decode_errors(oid: int, text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        codec(oid, TEXT).decode(text.encode())


# -- the tuple exchange format ---------------------------------------------------------------


def test_tuple_codecs_cover_the_six_types() -> None:
    assert set(TUPLE_CODECS) == set(NAMES)


@pytest.mark.parametrize(
    ("oid", "value", "data"),
    [
        (DATE_OID, (8825,), i(8825)),
        (DATE_OID, (2**31 - 1,), i(2**31 - 1)),
        (DATE_OID, (-(2**31),), i(-(2**31))),
        (TIME_OID, (86_400_000_000,), q(86_400_000_000)),
        # 12:00+05:30: the zone is the wire's, seconds west of UTC, as asyncpg gives it.
        (TIMETZ_OID, (43_200_000_000, -19800), struct.pack("!qi", 43_200_000_000, -19800)),
        (TIMETZ_OID, (0, 28800), struct.pack("!qi", 0, 28800)),
        (TIMETZ_OID, (1, -(2**31)), struct.pack("!qi", 1, -(2**31))),
        (TIMESTAMP_OID, (2**63 - 1,), q(2**63 - 1)),
        (TIMESTAMPTZ_OID, (-(2**63),), q(-(2**63))),
        (INTERVAL_OID, (14, 3, 14_706_700_000), struct.pack("!qii", 14_706_700_000, 3, 14)),
    ],
)
def test_tuple_golden(oid: int, value: tuple[int, ...], data: bytes) -> None:
    encode, decode = TUPLE_CODECS[oid]
    assert encode(value) == data
    assert decode(data) == value


@given(
    st.integers(-(2**63), 2**63 - 1),
    st.integers(-(2**31), 2**31 - 1),
    st.integers(-(2**31), 2**31 - 1),
)
def test_tuple_round_trips(big: int, offset: int, small: int) -> None:
    for oid, value in [
        (DATE_OID, (small,)),
        (TIME_OID, (big,)),
        (TIMETZ_OID, (big, offset)),
        (TIMESTAMP_OID, (big,)),
        (TIMESTAMPTZ_OID, (big,)),
        (INTERVAL_OID, (small, offset, big)),
    ]:
        encode, decode = TUPLE_CODECS[oid]
        assert decode(encode(value)) == value


@given(value=timetz_values)
def test_tuple_timetz_zone_is_seconds_west_of_utc(value: time) -> None:
    # The negated utcoffset(): what the wire carries and asyncpg's tuple holds.
    encode, decode = TUPLE_CODECS[TIMETZ_OID]
    offset = value.utcoffset()
    assert offset is not None
    data = codec(TIMETZ_OID, BINARY).encode(value)
    assert decode(data)[1] == -offset.total_seconds()
    assert encode(decode(data)) == data


@pytest.mark.parametrize(
    ("oid", "value", "error", "message"),
    [
        (DATE_OID, 5, TypeError, "expected tuple, got int"),
        (
            DATE_OID,
            (1, 2),
            ValueError,
            r"expected a tuple of 1 for date \(days since 2000-01-01\), got 2 items",
        ),
        (
            INTERVAL_OID,
            [1, 2],
            ValueError,
            r"expected a tuple of 3 for interval \(months, days, microseconds\)",
        ),
        (TIME_OID, ("1",), TypeError, "expected int for time microseconds, got str"),
        (
            DATE_OID,
            (2**31,),
            OverflowError,
            r"date days since 2000-01-01 out of range \(-2147483648..2147483647\)",
        ),
        (TIMESTAMP_OID, (2**63,), OverflowError, "timestamp microseconds since 2000-01-01 out of range"),
        (
            TIMETZ_OID,
            (0, 2**31),
            OverflowError,
            r"timetz zone seconds west of UTC out of range \(-2147483648..2147483647\)",
        ),
    ],
)
def test_tuple_errors(oid: int, value: object, error: type[Exception], message: str) -> None:
    encode, _ = TUPLE_CODECS[oid]
    with pytest.raises(error, match=message):
        encode(value)  # type: ignore[arg-type]  # deliberately wrong values


def test_tuple_decode_checks_length() -> None:
    for oid in NAMES:
        with pytest.raises(ValueError, match=r"expected .* bytes, got 1"):
            TUPLE_CODECS[oid][1](b"\x00")
