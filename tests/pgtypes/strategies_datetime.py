"""Shared helpers for the date/time codec tests: the codec table, hypothesis strategies."""

from __future__ import annotations

import struct
from datetime import UTC, date, datetime, time, timedelta, timezone, tzinfo
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from pgtypes._codec import BINARY, TEXT, Codec, CodecTable
from pgtypes._datetime import (
    DATE_OID,
    INTERVAL_OID,
    TIME_OID,
    TIMESTAMP_OID,
    TIMESTAMPTZ_OID,
    TIMETZ_OID,
    register,
)

__all__ = [
    "FORMATS",
    "IST",
    "KOLKATA",
    "LIVE",
    "NAMES",
    "TABLE",
    "US",
    "ZONES",
    "aware_datetimes",
    "codec",
    "dates",
    "fixed_offsets",
    "i",
    "naive_datetimes",
    "q",
    "timedeltas",
    "times",
    "timetz_values",
]

#: All the codecs of the module under test.
TABLE = CodecTable()
register(TABLE)

NAMES = {
    DATE_OID: "date",
    TIME_OID: "time",
    TIMETZ_OID: "timetz",
    TIMESTAMP_OID: "timestamp",
    TIMESTAMPTZ_OID: "timestamptz",
    INTERVAL_OID: "interval",
}
FORMATS = pytest.mark.parametrize("fmt", [BINARY, TEXT], ids=["binary", "text"])
#: hypothesis settings for property tests through the server.
LIVE = settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
KOLKATA = ZoneInfo("Asia/Kolkata")
IST = timezone(timedelta(hours=5, minutes=30))
US = timedelta(microseconds=1)
_US = US


def codec(oid: int, fmt: int) -> Codec:
    """The registered codec for ``oid`` in ``fmt``."""
    found = TABLE.get(oid, fmt)
    assert found is not None
    return found


def q(value: int) -> bytes:
    """An int64 as the wire carries it."""
    return struct.pack("!q", value)


def i(value: int) -> bytes:
    """An int32 as the wire carries it."""
    return struct.pack("!i", value)


#: The named zones the timestamptz tests use; with DST, negative and odd offsets.
ZONES: tuple[tzinfo, ...] = (
    UTC,
    timezone(timedelta(hours=5, minutes=30)),
    timezone(-timedelta(hours=5, minutes=53, seconds=28)),
    timezone(timedelta(hours=23, minutes=59)),
    ZoneInfo("America/New_York"),
    ZoneInfo("Asia/Kolkata"),
    ZoneInfo("Australia/Lord_Howe"),
)

_DATE_EDGES = (date.min, date.max, date(1, 1, 2), date(9999, 12, 30), date(2000, 1, 1), date(1999, 12, 31))
_DATETIME_EDGES = (
    datetime.min,
    datetime.max,
    datetime.min + _US,
    datetime.max - _US,
    datetime(2000, 1, 1),
    datetime(2000, 1, 1) - _US,
    datetime(2000, 2, 29, 23, 59, 59, 999999),
    datetime(1900, 2, 28, 12),
)

#: Dates over Python's whole range, with the edges (date.max and date.min are +/-infinity).
dates = st.one_of(st.sampled_from(_DATE_EDGES), st.dates())

#: Naive datetimes over the whole range, with the microsecond edges.
naive_datetimes = st.one_of(st.sampled_from(_DATETIME_EDGES), st.datetimes())

#: Aware datetimes whose UTC instant stays within years 1..9999 (a day away from each end),
#: in fixed offsets and in zones with daylight saving time.
aware_datetimes = st.datetimes(
    min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30), timezones=st.sampled_from(ZONES)
)

#: Times of day with the microsecond edges.
times = st.one_of(st.sampled_from((time.min, time.max, time(0, 0, 0, 1), time(12))), st.times())

#: Fixed offsets that timetz accepts: whole seconds, strictly within 16 hours either way.
fixed_offsets = st.one_of(
    st.sampled_from((0, 19800, -21208, 57599, -57599, 3600, -12 * 3600)),
    st.integers(-57599, 57599),
).map(lambda seconds: timezone(timedelta(seconds=seconds)))

#: Aware times for timetz.
timetz_values = st.builds(
    lambda value, zone: value.replace(tzinfo=zone),
    times,
    fixed_offsets,
)

#: timedeltas over the whole range, with microseconds and the edges.
timedeltas = st.one_of(
    st.sampled_from((timedelta.max, timedelta.min, timedelta(0), _US, -_US, timedelta(days=-1))),
    st.timedeltas(),
)
