"""Codecs for the date/time types: date, time, timetz, timestamp, timestamptz and interval.

Python values follow asyncpg (reference section 9.1):

- ``date`` <-> ``datetime.date``; a ``datetime`` given for a date is truncated to its date.
- ``timestamp`` <-> naive ``datetime``; a ``date`` encodes as midnight; an aware datetime is
  refused (``ValueError``).
- ``timestamptz`` -> aware ``datetime`` in UTC, whatever the session's ``TimeZone``. Encoding
  converts an aware value to UTC, takes a naive one as the Python process's local time (via
  ``astimezone()``), and a ``date`` as local midnight.
- ``time`` <-> naive ``time`` (``tzinfo`` ignored on encode); ``timetz`` <-> ``time`` with a
  fixed-offset ``timezone`` (a time without a UTC offset is refused).
- ``interval`` <-> ``timedelta``: decoding counts a year as 365 days and a month as 30 (lossy,
  as in asyncpg); encoding sends months 0, ``td.days`` days and the rest as microseconds.
- ``infinity`` / ``-infinity`` <-> ``date.max`` / ``date.min`` and ``datetime.max`` /
  ``datetime.min``; for timestamptz they decode to the *naive* extremes (asyncpg's quirk,
  Appendix A item 17), and naive or UTC extremes encode to +/-infinity.

Server values Python's types cannot hold (BC dates, years after 9999, ``24:00:00``, intervals
beyond 999999999 days) raise ``ValueError`` naming the value as the server prints it; no value
is ever clamped. ``time`` and ``timetz`` ``24:00:00`` are such values: ``datetime.time`` stops at
23:59:59.999999, and mapping it to midnight or ``time.max`` would be a wrong value.

Binary formats ("Date/Time Types" in the PostgreSQL docs; the ``*_send``/``*_recv`` functions):
date is int32 days since 2000-01-01; timestamp and timestamptz are int64 microseconds since
2000-01-01 (UTC for timestamptz); time is int64 microseconds since midnight; timetz adds an
int32 zone offset in seconds *west* of UTC; interval is int64 microseconds, int32 days, int32
months. The text codecs live in :mod:`pgtypes._datetime_text`.

:data:`TUPLE_CODECS` serves asyncpg's ``format='tuple'`` codecs (reference 9.2): the binary
value as a tuple of the wire integers, unchanged. So timetz's is ``(microseconds, zone offset in
seconds)`` with the zone counted as the wire counts it, *west* of UTC (UTC+05:30 is ``-19800``,
the negated ``utcoffset()``): asyncpg documents "time zone offset in seconds" and passes that
integer through as it is, so code written for asyncpg's tuples gets the same numbers here.
"""

from __future__ import annotations

import struct
from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime, time, timedelta, timezone
from types import MappingProxyType
from typing import Final

from pgtypes._codec import BINARY, TEXT, Codec, CodecTable, type_error
from pgtypes._datetime_text import (
    DATE_NEGATIVE_INFINITY,
    DATE_POSITIVE_INFINITY,
    EPOCH_ORDINAL,
    MAX_ORDINAL,
    TIMESTAMP_NEGATIVE_INFINITY,
    TIMESTAMP_POSITIVE_INFINITY,
    US_PER_DAY,
    decode_date,
    decode_interval,
    decode_time,
    decode_timestamp,
    decode_timestamptz,
    decode_timetz,
    format_date,
    format_interval,
    format_offset,
    format_time,
    format_timestamp,
    interval_to_timedelta,
    time_out_of_range,
)

__all__ = [
    "DATE_OID",
    "INTERVAL_OID",
    "TIMESTAMPTZ_OID",
    "TIMESTAMP_OID",
    "TIMETZ_OID",
    "TIME_OID",
    "TUPLE_CODECS",
    "register",
]

DATE_OID: Final = 1082
TIME_OID: Final = 1083
TIMESTAMP_OID: Final = 1114
TIMESTAMPTZ_OID: Final = 1184
INTERVAL_OID: Final = 1186
TIMETZ_OID: Final = 1266

_INT4: Final = struct.Struct("!i")
_INT8: Final = struct.Struct("!q")
_TIMETZ: Final = struct.Struct("!qi")
_INTERVAL: Final = struct.Struct("!qii")
_unpack_int4: Final = _INT4.unpack
_unpack_int8: Final = _INT8.unpack
_unpack_timetz: Final = _TIMETZ.unpack
_unpack_interval: Final = _INTERVAL.unpack

_timedelta: Final = timedelta
_date_fromordinal: Final = date.fromordinal
_EPOCH: Final = datetime(2000, 1, 1)
_EPOCH_UTC: Final = datetime(2000, 1, 1, tzinfo=UTC)
# datetime.min and datetime.max as microseconds since 2000-01-01: the finite range Python holds.
_MIN_US: Final = (1 - EPOCH_ORDINAL) * US_PER_DAY
_MAX_US: Final = (MAX_ORDINAL + 1 - EPOCH_ORDINAL) * US_PER_DAY - 1
_MIN_DAYS: Final = 1 - EPOCH_ORDINAL
_MAX_DAYS: Final = MAX_ORDINAL - EPOCH_ORDINAL
# timetz offsets: PostgreSQL accepts strictly less than 16 hours either way (TZDISP_LIMIT).
_MAX_ZONE_SECONDS: Final = 16 * 3600 - 1

_DATE_RANGE: Final = "is outside the range of datetime.date (years 1..9999)"
_DATETIME_RANGE: Final = "is outside the range of datetime.datetime (years 1..9999)"

# Decoded timetz offsets, keyed by the wire's seconds west of UTC: a row of timetz values
# shares a handful of zones, so each timezone object is built once.
_ZONES: Final[dict[int, timezone]] = {}


def _length_error(type_name: str, expected: int, data: bytes) -> ValueError:
    return ValueError(f"invalid {type_name} value: expected {expected} bytes, got {len(data)}")


def _time_of_day(us: int, zone: timezone | None = None) -> time:
    """A ``time`` from microseconds since midnight (0 <= us < 24h, checked by the callers)."""
    seconds, fraction = divmod(us, 1_000_000)
    return time(seconds // 3600, seconds // 60 % 60, seconds % 60, fraction, zone)


def _time_us(value: time) -> int:
    return ((value.hour * 60 + value.minute) * 60 + value.second) * 1_000_000 + value.microsecond


def _datetime_us(value: datetime) -> int:
    """A datetime's wall-clock time as microseconds since 2000-01-01 (tzinfo ignored)."""
    delta = value.replace(tzinfo=None) - _EPOCH if value.tzinfo is not None else value - _EPOCH
    return (delta.days * 86400 + delta.seconds) * 1_000_000 + delta.microseconds


def _offset_seconds(offset: timedelta) -> int:
    return offset.days * 86400 + offset.seconds


# -- date ------------------------------------------------------------------------------------


def _date_days(value: object) -> int:
    """A date (or a datetime, truncated) as wire days; ``date.max``/``min`` are +/-infinity."""
    if not isinstance(value, date):
        raise type_error("datetime.date", value)
    ordinal = value.toordinal()
    if ordinal == MAX_ORDINAL:
        return DATE_POSITIVE_INFINITY
    if ordinal == 1:
        return DATE_NEGATIVE_INFINITY
    return ordinal - EPOCH_ORDINAL


def _days_date(days: int) -> date:
    if _MIN_DAYS <= days <= _MAX_DAYS:
        return _date_fromordinal(days + EPOCH_ORDINAL)
    if days == DATE_POSITIVE_INFINITY:
        return date.max
    if days == DATE_NEGATIVE_INFINITY:
        return date.min
    raise ValueError(f"date {format_date(days)} {_DATE_RANGE}")


def _encode_date(value: object) -> bytes:
    return _INT4.pack(_date_days(value))


def _decode_date(data: bytes) -> date:
    if len(data) != 4:
        raise _length_error("date", 4, data)
    return _days_date(_unpack_int4(data)[0])


# -- timestamp -------------------------------------------------------------------------------


def _timestamp_us(value: object) -> int:
    """A naive datetime (or a date, at midnight) as wire microseconds since 2000-01-01."""
    if isinstance(value, datetime):
        if value.utcoffset() is not None:
            raise ValueError("expected a naive datetime for timestamp, got an aware one")
        us = _datetime_us(value)
        if us == _MAX_US:
            return TIMESTAMP_POSITIVE_INFINITY
        if us == _MIN_US:
            return TIMESTAMP_NEGATIVE_INFINITY
        return us
    if isinstance(value, date):
        return (value.toordinal() - EPOCH_ORDINAL) * US_PER_DAY
    raise type_error("datetime.datetime or datetime.date", value)


def _encode_timestamp(value: object) -> bytes:
    return _INT8.pack(_timestamp_us(value))


def _decode_timestamp(data: bytes) -> datetime:
    if len(data) != 8:
        raise _length_error("timestamp", 8, data)
    us = _unpack_int8(data)[0]
    if _MIN_US <= us <= _MAX_US:
        return _EPOCH + _timedelta(0, 0, us)
    if us == TIMESTAMP_POSITIVE_INFINITY:
        return datetime.max
    if us == TIMESTAMP_NEGATIVE_INFINITY:
        return datetime.min
    raise ValueError(f"timestamp {format_timestamp(us)} {_DATETIME_RANGE}")


# -- timestamptz -----------------------------------------------------------------------------


def _timestamptz_us(value: object) -> int:
    """An instant as wire microseconds since 2000-01-01 UTC.

    Aware datetimes use their own UTC offset; naive ones (and dates, at midnight) are local
    time of this process; naive ``datetime.max``/``min`` and their UTC twins are +/-infinity.
    """
    if isinstance(value, datetime):
        local = value
    elif isinstance(value, date):
        local = datetime(value.year, value.month, value.day)
    else:
        raise type_error("datetime.datetime or datetime.date", value)
    offset = local.utcoffset()
    if offset is None:
        naive_us = _datetime_us(local)
        if naive_us == _MAX_US:
            return TIMESTAMP_POSITIVE_INFINITY
        if naive_us == _MIN_US:
            return TIMESTAMP_NEGATIVE_INFINITY
        try:
            offset = local.replace(tzinfo=None).astimezone().utcoffset()
        except (OverflowError, OSError, ValueError) as exc:
            raise ValueError(f"cannot convert naive datetime {local} from local time to UTC: {exc}") from None
        if offset is None:  # astimezone() always returns an aware datetime; mypy cannot know
            raise ValueError(f"cannot convert naive datetime {local} from local time to UTC")
    us = _datetime_us(local) - (_offset_seconds(offset) * 1_000_000 + offset.microseconds)
    if us == _MAX_US:
        return TIMESTAMP_POSITIVE_INFINITY
    if us == _MIN_US:
        return TIMESTAMP_NEGATIVE_INFINITY
    return us


def _encode_timestamptz(value: object) -> bytes:
    return _INT8.pack(_timestamptz_us(value))


def _decode_timestamptz(data: bytes) -> datetime:
    if len(data) != 8:
        raise _length_error("timestamptz", 8, data)
    us = _unpack_int8(data)[0]
    if _MIN_US <= us <= _MAX_US:
        return _EPOCH_UTC + _timedelta(0, 0, us)
    # asyncpg returns the naive extremes for infinity (reference Appendix A, item 17).
    if us == TIMESTAMP_POSITIVE_INFINITY:
        return datetime.max
    if us == TIMESTAMP_NEGATIVE_INFINITY:
        return datetime.min
    raise ValueError(f"timestamptz {format_timestamp(us, '+00')} {_DATETIME_RANGE}")


# -- time and timetz -------------------------------------------------------------------------


def _time_value_us(value: object) -> int:
    if not isinstance(value, time):
        raise type_error("datetime.time", value)
    return _time_us(value)


def _encode_time(value: object) -> bytes:
    return _INT8.pack(_time_value_us(value))


def _decode_time(data: bytes) -> time:
    if len(data) != 8:
        raise _length_error("time", 8, data)
    us = _unpack_int8(data)[0]
    if 0 <= us < US_PER_DAY:
        # Inlined _time_of_day: one call fewer per value on the hot path.
        seconds, fraction = divmod(us, 1_000_000)
        return time(seconds // 3600, seconds // 60 % 60, seconds % 60, fraction)
    raise time_out_of_range(us)


def _timetz_fields(value: object) -> tuple[int, int]:
    """A time with a UTC offset as (microseconds since midnight, seconds *east* of UTC)."""
    if not isinstance(value, time):
        raise type_error("datetime.time", value)
    offset = value.utcoffset()
    if offset is None:
        raise ValueError("expected a time with a UTC offset for timetz, got a naive one")
    east = _offset_seconds(offset)
    if offset.microseconds:
        raise ValueError(f"timetz offsets are whole seconds, got {offset}")
    if not -_MAX_ZONE_SECONDS <= east <= _MAX_ZONE_SECONDS:
        raise ValueError(
            f"time zone offset out of timetz range (-15:59:59..+15:59:59): {format_offset(east)}"
        )
    return _time_us(value), east


def _encode_timetz(value: object) -> bytes:
    us, east = _timetz_fields(value)
    # The wire counts the zone in seconds west of UTC (timetz_send), the opposite of utcoffset().
    return _TIMETZ.pack(us, -east)


def _zone(west_seconds: int) -> timezone:
    zone = _ZONES.get(west_seconds)
    if zone is None:
        if not -_MAX_ZONE_SECONDS <= west_seconds <= _MAX_ZONE_SECONDS:
            raise ValueError(f"invalid timetz value: zone offset {west_seconds} s is out of range")
        zone = _ZONES[west_seconds] = timezone(_timedelta(0, -west_seconds))
    return zone


def _decode_timetz(data: bytes) -> time:
    if len(data) != 12:
        raise _length_error("timetz", 12, data)
    us, west = _unpack_timetz(data)
    zone = _zone(west)
    if 0 <= us < US_PER_DAY:
        return _time_of_day(us, zone)
    raise time_out_of_range(us, format_offset(-west))


# -- interval --------------------------------------------------------------------------------


def _interval_fields(value: object) -> tuple[int, int]:
    """A timedelta as (days, microseconds below a day); months are always 0."""
    if not isinstance(value, timedelta):
        raise type_error("datetime.timedelta", value)
    return value.days, value.seconds * 1_000_000 + value.microseconds


def _encode_interval(value: object) -> bytes:
    days, us = _interval_fields(value)
    return _INTERVAL.pack(us, days, 0)


def _decode_interval(data: bytes) -> timedelta:
    if len(data) != 16:
        raise _length_error("interval", 16, data)
    us, days, months = _unpack_interval(data)
    if months == 0:
        try:
            return _timedelta(days, 0, us)
        except OverflowError:
            pass  # interval_to_timedelta raises the error that names the value
    return interval_to_timedelta(months, days, us)


# -- text encoders: the same checks as binary, printed as the server's input accepts ----------


def _encode_date_text(value: object) -> bytes:
    return format_date(_date_days(value)).encode()


def _encode_timestamp_text(value: object) -> bytes:
    return format_timestamp(_timestamp_us(value)).encode()


def _encode_timestamptz_text(value: object) -> bytes:
    return format_timestamp(_timestamptz_us(value), "+00").encode()


def _encode_time_text(value: object) -> bytes:
    return format_time(_time_value_us(value)).encode()


def _encode_timetz_text(value: object) -> bytes:
    us, east = _timetz_fields(value)
    return (format_time(us) + format_offset(east)).encode()


def _encode_interval_text(value: object) -> bytes:
    days, us = _interval_fields(value)
    return format_interval(0, days, us).encode()


# -- the 'tuple' exchange format -------------------------------------------------------------

_INT32_RANGE: Final = (-(2**31), 2**31 - 1)
_INT64_RANGE: Final = (-(2**63), 2**63 - 1)


def _tuple_ints(type_name: str, value: object, fields: tuple[tuple[str, tuple[int, int]], ...]) -> list[int]:
    """Check a tuple-format value: a tuple (or list) of integers, each within its wire range."""
    if not isinstance(value, tuple | list):
        raise type_error("tuple", value)
    if len(value) != len(fields):
        names = ", ".join(name for name, _ in fields)
        raise ValueError(
            f"expected a tuple of {len(fields)} for {type_name} ({names}), got {len(value)} items"
        )
    result: list[int] = []
    for item, (name, (low, high)) in zip(value, fields, strict=True):
        if not isinstance(item, int):
            raise type_error(f"int for {type_name} {name}", item)
        if not low <= item <= high:
            raise OverflowError(f"{type_name} {name} out of range ({low}..{high}): {item}")
        result.append(item)
    return result


_DAYS_FIELD: Final = (("days since 2000-01-01", _INT32_RANGE),)
_US_FIELD: Final = (("microseconds", _INT64_RANGE),)
_TIMESTAMP_FIELD: Final = (("microseconds since 2000-01-01", _INT64_RANGE),)
_TIMETZ_FIELDS: Final = (("microseconds", _INT64_RANGE), ("zone seconds west of UTC", _INT32_RANGE))
_INTERVAL_FIELDS: Final = (("months", _INT32_RANGE), ("days", _INT32_RANGE), ("microseconds", _INT64_RANGE))


def _tuple_encode_date(value: tuple[int, ...]) -> bytes:
    return _INT4.pack(*_tuple_ints("date", value, _DAYS_FIELD))


def _tuple_decode_date(data: bytes) -> tuple[int, ...]:
    if len(data) != 4:
        raise _length_error("date", 4, data)
    return _unpack_int4(data)


def _tuple_encode_time(value: tuple[int, ...]) -> bytes:
    return _INT8.pack(*_tuple_ints("time", value, _US_FIELD))


def _tuple_decode_time(data: bytes) -> tuple[int, ...]:
    if len(data) != 8:
        raise _length_error("time", 8, data)
    return _unpack_int8(data)


def _tuple_encode_timetz(value: tuple[int, ...]) -> bytes:
    # The zone goes out as given: seconds west of UTC, the wire's sign (as asyncpg sends it).
    return _TIMETZ.pack(*_tuple_ints("timetz", value, _TIMETZ_FIELDS))


def _tuple_decode_timetz(data: bytes) -> tuple[int, ...]:
    if len(data) != 12:
        raise _length_error("timetz", 12, data)
    return _unpack_timetz(data)


def _tuple_encode_timestamp(value: tuple[int, ...]) -> bytes:
    return _INT8.pack(*_tuple_ints("timestamp", value, _TIMESTAMP_FIELD))


def _tuple_decode_timestamp(data: bytes) -> tuple[int, ...]:
    if len(data) != 8:
        raise _length_error("timestamp", 8, data)
    return _unpack_int8(data)


def _tuple_encode_timestamptz(value: tuple[int, ...]) -> bytes:
    return _INT8.pack(*_tuple_ints("timestamptz", value, _TIMESTAMP_FIELD))


def _tuple_decode_timestamptz(data: bytes) -> tuple[int, ...]:
    if len(data) != 8:
        raise _length_error("timestamptz", 8, data)
    return _unpack_int8(data)


def _tuple_encode_interval(value: tuple[int, ...]) -> bytes:
    months, days, us = _tuple_ints("interval", value, _INTERVAL_FIELDS)
    return _INTERVAL.pack(us, days, months)


def _tuple_decode_interval(data: bytes) -> tuple[int, ...]:
    if len(data) != 16:
        raise _length_error("interval", 16, data)
    us, days, months = _unpack_interval(data)
    return months, days, us


TupleEncoder = Callable[[tuple[int, ...]], bytes]
TupleDecoder = Callable[[bytes], tuple[int, ...]]

#: Binary value <-> tuple of wire integers, by type OID, for ``format='tuple'`` codecs:
#: date ``(days since 2000-01-01,)``, time ``(microseconds,)``, timetz ``(microseconds,
#: utc_offset_seconds)`` with the offset east-positive as Python's ``utcoffset()``, timestamp
#: and timestamptz ``(microseconds since 2000-01-01,)`` (UTC for timestamptz), interval
#: ``(months, days, microseconds)``. Infinity is what the wire carries: 2**31-1 / -2**31 for
#: date, 2**63-1 / -2**63 for the timestamps. Encoders raise ``TypeError`` for a non-tuple or
#: non-integer item, ``ValueError`` for a wrong length, ``OverflowError`` out of range.
TUPLE_CODECS: Final[Mapping[int, tuple[TupleEncoder, TupleDecoder]]] = MappingProxyType(
    {
        DATE_OID: (_tuple_encode_date, _tuple_decode_date),
        TIME_OID: (_tuple_encode_time, _tuple_decode_time),
        TIMETZ_OID: (_tuple_encode_timetz, _tuple_decode_timetz),
        TIMESTAMP_OID: (_tuple_encode_timestamp, _tuple_decode_timestamp),
        TIMESTAMPTZ_OID: (_tuple_encode_timestamptz, _tuple_decode_timestamptz),
        INTERVAL_OID: (_tuple_encode_interval, _tuple_decode_interval),
    }
)


def register(table: CodecTable) -> None:
    """Add the binary and text codecs of the six date/time types to ``table``.

    Raises:
        ValueError: one of these codecs is already in ``table``.
    """
    table.add(Codec(DATE_OID, "date", BINARY, _encode_date, _decode_date))
    table.add(Codec(DATE_OID, "date", TEXT, _encode_date_text, decode_date))
    table.add(Codec(TIME_OID, "time", BINARY, _encode_time, _decode_time))
    table.add(Codec(TIME_OID, "time", TEXT, _encode_time_text, decode_time))
    table.add(Codec(TIMETZ_OID, "timetz", BINARY, _encode_timetz, _decode_timetz))
    table.add(Codec(TIMETZ_OID, "timetz", TEXT, _encode_timetz_text, decode_timetz))
    table.add(Codec(TIMESTAMP_OID, "timestamp", BINARY, _encode_timestamp, _decode_timestamp))
    table.add(Codec(TIMESTAMP_OID, "timestamp", TEXT, _encode_timestamp_text, decode_timestamp))
    table.add(Codec(TIMESTAMPTZ_OID, "timestamptz", BINARY, _encode_timestamptz, _decode_timestamptz))
    table.add(Codec(TIMESTAMPTZ_OID, "timestamptz", TEXT, _encode_timestamptz_text, decode_timestamptz))
    table.add(Codec(INTERVAL_OID, "interval", BINARY, _encode_interval, _decode_interval))
    table.add(Codec(INTERVAL_OID, "interval", TEXT, _encode_interval_text, decode_interval))
