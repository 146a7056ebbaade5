"""Text forms of the date/time types, and the calendar arithmetic shared with the binary codecs.

PostgreSQL prints dates and times as the session's ``DateStyle`` says; pgconn sets ``ISO`` and
``IntervalStyle`` ``postgres`` (PostgreSQL docs, "Date/Time Output" and "Interval Output"), and
the parsers here read exactly that: ``2024-02-29``, ``13:05:00.25``, ``13:05:00+05:30``,
``2024-02-29 13:05:00+05:53:28``, ``4714-11-24 BC``, ``infinity``, and intervals such as
``1 year 2 mons -3 days -04:05:06.7``. The formatters turn the binary wire integers (days or
microseconds since 2000-01-01, microseconds since midnight, interval fields) into the same
text, both for encoding (the server's input functions accept their own output) and for the
error messages that name a value Python cannot hold, so that a message shows the value as
``psql`` would.

Values outside Python's types (years before 1 or after 9999, ``24:00:00``, intervals beyond
``timedelta``'s 999999999 days) raise ``ValueError`` saying so, never a wrong value.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from typing import Final

__all__ = [
    "DATE_NEGATIVE_INFINITY",
    "DATE_POSITIVE_INFINITY",
    "EPOCH_ORDINAL",
    "MAX_ORDINAL",
    "TIMESTAMP_NEGATIVE_INFINITY",
    "TIMESTAMP_POSITIVE_INFINITY",
    "US_PER_DAY",
    "civil_from_days",
    "decode_date",
    "decode_interval",
    "decode_time",
    "decode_timestamp",
    "decode_timestamptz",
    "decode_timetz",
    "format_date",
    "format_interval",
    "format_offset",
    "format_time",
    "format_timestamp",
    "interval_to_timedelta",
    "parse_interval",
    "time_out_of_range",
]

#: ``date(2000, 1, 1).toordinal()``: PostgreSQL's binary date/time epoch as a Python ordinal.
EPOCH_ORDINAL: Final = 730120
#: ``date.max.toordinal()``.
MAX_ORDINAL: Final = 3652059
US_PER_DAY: Final = 86_400_000_000

# The wire values of +/-infinity: PostgreSQL reserves the extreme integers (DATEVAL_NOEND /
# DATEVAL_NOBEGIN for date, DT_NOEND / DT_NOBEGIN for the timestamps).
DATE_POSITIVE_INFINITY: Final = 2**31 - 1
DATE_NEGATIVE_INFINITY: Final = -(2**31)
TIMESTAMP_POSITIVE_INFINITY: Final = 2**63 - 1
TIMESTAMP_NEGATIVE_INFINITY: Final = -(2**63)
# PostgreSQL 17 added infinite intervals: every field at its extreme.
_INTERVAL_POSITIVE_INFINITY: Final = (2**31 - 1, 2**31 - 1, 2**63 - 1)
_INTERVAL_NEGATIVE_INFINITY: Final = (-(2**31), -(2**31), -(2**63))

# Days from 0000-03-01 (proleptic Gregorian, astronomical year 0 = 1 BC) to 2000-01-01: the
# civil-from-days computation counts from a March 1st so that leap days fall at year ends.
_MARCH_EPOCH_TO_2000: Final = 730425
_DAYS_PER_400_YEARS: Final = 146097

_DATE_RANGE: Final = "is outside the range of datetime.date (years 1..9999)"
_DATETIME_RANGE: Final = "is outside the range of datetime.datetime (years 1..9999)"
_TIME_RANGE: Final = "is outside the range of datetime.time (00:00:00..23:59:59.999999)"
_TIMEDELTA_RANGE: Final = "is outside the range of datetime.timedelta (-999999999..999999999 days)"

_UTC: Final = UTC
_date_fromisoformat: Final = date.fromisoformat
_date_fromordinal: Final = date.fromordinal
_datetime_fromisoformat: Final = datetime.fromisoformat
_time_fromisoformat: Final = time.fromisoformat

# What the ISO DateStyle prints, loosely enough to classify values Python cannot hold.
_DATE_RE: Final = re.compile(r"(\d{4,})-(\d\d)-(\d\d)( BC)?")
_TIMESTAMP_RE: Final = re.compile(
    r"(\d{4,})-(\d\d)-(\d\d) (\d\d):(\d\d):(\d\d)(?:\.\d{1,6})?([+-]\d\d(?::\d\d){0,2})?( BC)?"
)
_TIME_RE: Final = re.compile(r"(\d\d):(\d\d):(\d\d)(?:\.\d{1,6})?([+-]\d\d(?::\d\d){0,2})?")
# One field of IntervalStyle postgres output: "-3 days", "1 year", "2 mons", or the time part.
_INTERVAL_PART_RE: Final = re.compile(
    r" *(?:([+-]?\d+) (year|mon|day)s?|([+-]?)(\d+):(\d\d):(\d\d)(?:\.(\d{1,6}))?)(?= |$)"
)
_UNIT_MONTHS: Final = {"year": 12, "mon": 1}


def civil_from_days(days: int) -> tuple[int, int, int]:
    """The proleptic Gregorian (year, month, day) of ``days`` since 2000-01-01.

    Works for any integer: years before 1 are astronomical (0 is 1 BC, -1 is 2 BC), as
    PostgreSQL counts internally before it prints `` BC``.
    """
    shifted = days + _MARCH_EPOCH_TO_2000
    era = shifted // _DAYS_PER_400_YEARS
    day_of_era = shifted - era * _DAYS_PER_400_YEARS
    year_of_era = (day_of_era - day_of_era // 1460 + day_of_era // 36524 - day_of_era // 146096) // 365
    day_of_year = day_of_era - (365 * year_of_era + year_of_era // 4 - year_of_era // 100)
    shifted_month = (5 * day_of_year + 2) // 153
    day = day_of_year - (153 * shifted_month + 2) // 5 + 1
    month = shifted_month + 3 if shifted_month < 10 else shifted_month - 9
    year = year_of_era + era * 400 + (1 if month <= 2 else 0)
    return year, month, day


def _format_ymd(days: int) -> tuple[str, bool]:
    """``YYYY-MM-DD`` of ``days`` since 2000-01-01 and whether the year is BC."""
    ordinal = days + EPOCH_ORDINAL
    if 1 <= ordinal <= MAX_ORDINAL:
        # Python's own calendar is faster where it reaches.
        return _date_fromordinal(ordinal).isoformat(), False
    year, month, day = civil_from_days(days)
    is_bc = year <= 0
    if is_bc:
        year = 1 - year
    return f"{year:04d}-{month:02d}-{day:02d}", is_bc


def format_date(days: int) -> str:
    """A binary date (days since 2000-01-01) as PostgreSQL prints it with DateStyle ISO."""
    if days == DATE_POSITIVE_INFINITY:
        return "infinity"
    if days == DATE_NEGATIVE_INFINITY:
        return "-infinity"
    text, is_bc = _format_ymd(days)
    return text + " BC" if is_bc else text


def format_time(us: int) -> str:
    """Microseconds since midnight as ``HH:MM:SS[.ffffff]``, trailing fraction zeros dropped.

    Hours go past 24 for interval times; a negative value gets a leading ``-``.
    """
    if us < 0:
        return "-" + format_time(-us)
    seconds, fraction = divmod(us, 1_000_000)
    text = f"{seconds // 3600:02d}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"
    if fraction:
        text += f".{fraction:06d}".rstrip("0")
    return text


def format_timestamp(us: int, zone: str = "") -> str:
    """Microseconds since 2000-01-01 as ``YYYY-MM-DD HH:MM:SS[.ffffff]<zone>[ BC]``.

    ``zone`` is the offset text to print after the time (``"+00"`` for timestamptz in UTC).
    """
    if us == TIMESTAMP_POSITIVE_INFINITY:
        return "infinity"
    if us == TIMESTAMP_NEGATIVE_INFINITY:
        return "-infinity"
    days, us_of_day = divmod(us, US_PER_DAY)
    text, is_bc = _format_ymd(days)
    text = f"{text} {format_time(us_of_day)}{zone}"
    return text + " BC" if is_bc else text


def format_offset(east_seconds: int) -> str:
    """A UTC offset (seconds east of Greenwich) as PostgreSQL prints it: ``+05:30``, ``-08``,
    ``+05:53:28``."""
    sign = "-" if east_seconds < 0 else "+"
    minutes, seconds = divmod(abs(east_seconds), 60)
    hours, minutes = divmod(minutes, 60)
    text = f"{sign}{hours:02d}"
    if minutes or seconds:
        text += f":{minutes:02d}"
    if seconds:
        text += f":{seconds:02d}"
    return text


def _truncated_divmod(value: int, divisor: int) -> tuple[int, int]:
    """``divmod`` rounding toward zero, as C's ``/`` and ``%`` do in PostgreSQL's output code."""
    quotient = abs(value) // divisor
    remainder = abs(value) - quotient * divisor
    return (-quotient, -remainder) if value < 0 else (quotient, remainder)


def format_interval(months: int, days: int, us: int) -> str:
    """Interval fields as IntervalStyle ``postgres`` prints them (the server also reads this).

    Years and months come from ``months``; each nonzero field is printed with its own sign, a
    ``+`` marks a positive field after a negative one, and the time part appears when it is
    nonzero or when nothing else was printed ("Interval Output" in the PostgreSQL docs).
    """
    if (months, days, us) == _INTERVAL_POSITIVE_INFINITY:
        return "infinity"
    if (months, days, us) == _INTERVAL_NEGATIVE_INFINITY:
        return "-infinity"
    years, months = _truncated_divmod(months, 12)
    parts: list[str] = []
    previous_negative = False
    for value, unit in ((years, "year"), (months, "mon"), (days, "day")):
        if value:
            sign = "+" if previous_negative and value > 0 else ""
            parts.append(f"{sign}{value} {unit}{'' if value == 1 else 's'}")
            previous_negative = value < 0
    if us or not parts:
        parts.append(format_time(us) if us < 0 else ("+" if previous_negative else "") + format_time(us))
    return " ".join(parts)


def interval_to_timedelta(months: int, days: int, us: int) -> timedelta:
    """Interval fields as a ``timedelta``, the lossy way asyncpg converts them.

    ``timedelta`` has no months: ``months`` is split into whole years (toward zero, as the
    server prints them) and the months left over, a year counting 365 days and a month 30
    (so ``1 year 2 mons 3 days 04:05:06.7`` is 428 days 04:05:06.7).

    Raises:
        ValueError: the interval is beyond ``timedelta``'s range (or infinite).
    """
    years, months_left = _truncated_divmod(months, 12)
    try:
        return timedelta(years * 365 + months_left * 30 + days, 0, us)
    except OverflowError:
        raise ValueError(f"interval {format_interval(months, days, us)} {_TIMEDELTA_RANGE}") from None


def time_out_of_range(us: int, zone: str = "") -> ValueError:
    """The error for a time of day Python cannot hold (PostgreSQL allows ``24:00:00``)."""
    name = "timetz" if zone else "time"
    return ValueError(f"{name} {format_time(us)}{zone} {_TIME_RANGE}")


def _invalid(type_name: str, text: str) -> ValueError:
    return ValueError(f"invalid {type_name} value: {text!r}")


def decode_date(data: bytes) -> date:
    """Parse a date as the server prints it (DateStyle ISO).

    ``infinity`` and ``-infinity`` become ``date.max`` and ``date.min``.

    Raises:
        ValueError: malformed text, or a date outside years 1..9999 (a BC date).
    """
    text = data.decode()
    if len(text) == 10:
        try:
            return _date_fromisoformat(text)
        except ValueError:
            raise _invalid("date", text) from None
    if text == "infinity":
        return date.max
    if text == "-infinity":
        return date.min
    match = _DATE_RE.fullmatch(text)
    if match is not None and (match[4] or int(match[1]) > 9999):
        raise ValueError(f"date {text} {_DATE_RANGE}")
    raise _invalid("date", text)


def _timestamp_fallback(type_name: str, text: str) -> ValueError:
    """The error for timestamp text that ``fromisoformat`` refused: out of range or malformed."""
    match = _TIMESTAMP_RE.fullmatch(text)
    if match is not None and (match[8] or int(match[1]) > 9999):
        return ValueError(f"{type_name} {text} {_DATETIME_RANGE}")
    return _invalid(type_name, text)


def decode_timestamp(data: bytes) -> datetime:
    """Parse a timestamp as the server prints it (DateStyle ISO) into a naive ``datetime``.

    ``infinity`` and ``-infinity`` become ``datetime.max`` and ``datetime.min``.

    Raises:
        ValueError: malformed text, or a timestamp outside years 1..9999.
    """
    text = data.decode()
    try:
        value = _datetime_fromisoformat(text)
    except ValueError:
        if text == "infinity":
            return datetime.max
        if text == "-infinity":
            return datetime.min
        raise _timestamp_fallback("timestamp", text) from None
    if value.tzinfo is not None:
        raise _invalid("timestamp", text)
    return value


def decode_timestamptz(data: bytes) -> datetime:
    """Parse a timestamptz as the server prints it (with the session's offset) into UTC.

    The result is aware, with ``tzinfo=timezone.utc``, whatever offset the text had.
    ``infinity`` and ``-infinity`` become the *naive* ``datetime.max`` and ``datetime.min``,
    as asyncpg returns them.

    Raises:
        ValueError: malformed text, or an instant whose UTC time is outside years 1..9999.
    """
    text = data.decode()
    try:
        value = _datetime_fromisoformat(text)
    except ValueError:
        if text == "infinity":
            return datetime.max
        if text == "-infinity":
            return datetime.min
        raise _timestamp_fallback("timestamptz", text) from None
    if value.tzinfo is None:
        raise _invalid("timestamptz", text)
    try:
        return value.astimezone(_UTC)
    except OverflowError:
        # A local time within years 1..9999 whose UTC instant is not, such as
        # '0001-01-01 00:00:00+05:53:28'.
        raise ValueError(f"timestamptz {text} {_DATETIME_RANGE} in UTC") from None


def _time_fallback(type_name: str, text: str) -> ValueError:
    """The error for time text that ``fromisoformat`` refused: ``24:00:00`` or malformed."""
    match = _TIME_RE.fullmatch(text)
    if match is not None and match[1] == "24" and bool(match[4]) == (type_name == "timetz"):
        return ValueError(f"{type_name} {text} {_TIME_RANGE}")
    return _invalid(type_name, text)


def decode_time(data: bytes) -> time:
    """Parse a time of day (``HH:MM:SS[.ffffff]``) into a naive ``time``.

    Raises:
        ValueError: malformed text, or ``24:00:00``, which ``datetime.time`` cannot hold.
    """
    text = data.decode()
    try:
        value = _time_fromisoformat(text)
    except ValueError:
        raise _time_fallback("time", text) from None
    if value.tzinfo is not None:
        raise _invalid("time", text)
    return value


def decode_timetz(data: bytes) -> time:
    """Parse a time with time zone (``HH:MM:SS[.ffffff]+HH[:MM[:SS]]``).

    The result has ``tzinfo=timezone(offset)`` with the printed offset.

    Raises:
        ValueError: malformed text, or ``24:00:00``, which ``datetime.time`` cannot hold.
    """
    text = data.decode()
    try:
        value = _time_fromisoformat(text)
    except ValueError:
        raise _time_fallback("timetz", text) from None
    if value.tzinfo is None:
        raise _invalid("timetz", text)
    return value


def parse_interval(text: str) -> tuple[int, int, int]:
    """Read IntervalStyle ``postgres`` text into its fields (months, days, microseconds).

    Accepts what the server prints: ``1 year 2 mons -3 days -04:05:06.7``,
    ``-00:00:00.000001``, ``178000000 years``, ``-1 days +23:59:59.999999``, and the
    ``infinity`` / ``-infinity`` of PostgreSQL 17.

    Raises:
        ValueError: the text is not an interval in that style.
    """
    if text == "infinity":
        return _INTERVAL_POSITIVE_INFINITY
    if text == "-infinity":
        return _INTERVAL_NEGATIVE_INFINITY
    months = days = us = 0
    position = 0
    seen_time = False
    while position < len(text):
        match = _INTERVAL_PART_RE.match(text, position)
        if match is None or match.end() == position:
            raise _invalid("interval", text)
        position = match.end()
        if match[2] is not None:
            if match[2] == "day":
                days += int(match[1])
            else:
                months += int(match[1]) * _UNIT_MONTHS[match[2]]
            continue
        if seen_time:
            raise _invalid("interval", text)
        seen_time = True
        fraction = match[7] or ""
        magnitude = (int(match[4]) * 3600 + int(match[5]) * 60 + int(match[6])) * 1_000_000 + int(
            fraction.ljust(6, "0") or "0"
        )
        us = -magnitude if match[3] == "-" else magnitude
    if position == 0:
        raise _invalid("interval", text)
    return months, days, us


def decode_interval(data: bytes) -> timedelta:
    """Parse an interval (IntervalStyle ``postgres``) into a ``timedelta``.

    Years count as 365 days and months as 30, as asyncpg does (see
    :func:`interval_to_timedelta`).

    Raises:
        ValueError: malformed text, or an interval beyond ``timedelta``'s range.
    """
    months, days, us = parse_interval(data.decode())
    return interval_to_timedelta(months, days, us)
