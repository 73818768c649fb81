"""Dates and times: date, time, timetz, timestamp, timestamptz, interval.

Text parsing follows the ``postgres`` IntervalStyle and every DateStyle (ISO,
the server's default, fastest) for dates and timestamps; ``timestamptz`` and
``timetz`` are read in the ISO style only (the others name zones by
abbreviations). Values Python cannot hold (``infinity``, BC dates, years after
9999) raise :class:`pgwire.errors.DataError`, as do intervals beyond
timedelta's range. Months count as 30 days and years as 365 days.
"""

from __future__ import annotations

import re
import struct
import sys
from datetime import date, datetime, time, timedelta, timezone, tzinfo
from typing import Any

from ..accel.decode_plans import decoded_in_c
from ..accel.encode_plans import picks_in_c
from ..errors import DataError, NotSupportedError
from . import oids
from .adapt import AdaptContext, Dumper, Format, Loader, TypesRegistry

__all__ = [
    "DateBinaryDumper",
    "DateBinaryLoader",
    "DateDumper",
    "DateLoader",
    "DatetimeBinaryDumper",
    "DatetimeDumper",
    "IntervalBinaryLoader",
    "IntervalLoader",
    "TimeBinaryDumper",
    "TimeBinaryLoader",
    "TimeDumper",
    "TimeLoader",
    "TimedeltaBinaryDumper",
    "TimedeltaDumper",
    "TimestampBinaryLoader",
    "TimestampLoader",
    "TimestamptzBinaryLoader",
    "TimestamptzLoader",
    "TimetzBinaryLoader",
    "TimetzLoader",
]

_unpack_int4 = struct.Struct("!i").unpack
_pack_int4 = struct.Struct("!i").pack
_unpack_int8 = struct.Struct("!q").unpack
_pack_int8 = struct.Struct("!q").pack
_timetz_struct = struct.Struct("!qi")
_unpack_timetz = _timetz_struct.unpack
_pack_timetz = _timetz_struct.pack
_interval_struct = struct.Struct("!qii")
_unpack_interval = _interval_struct.unpack
_pack_interval = _interval_struct.pack

_UTC = timezone.utc
# PostgreSQL counts days and microseconds from 2000-01-01.
_PG_EPOCH_ORDINAL = date(2000, 1, 1).toordinal()
_PG_EPOCH = datetime(2000, 1, 1)
_PG_EPOCH_UTC = datetime(2000, 1, 1, tzinfo=_UTC)
_INT4_MAX = 2**31 - 1
_INT4_MIN = -(2**31)
_INT8_MAX = 2**63 - 1
_INT8_MIN = -(2**63)
# Multiplier turning a fraction of n digits into microseconds.
_USPAD = (0, 100000, 10000, 1000, 100, 10, 1)
# Note: timedelta(0, 0, us) is used over timedelta(microseconds=us): keyword
# parsing makes the latter markedly slower in the hot loaders.

# From 3.11 fromisoformat() reads what the server prints (any fraction, offsets);
# before, it only takes 3 or 6 fraction digits, so the manual parsers run.
_FAST_ISO = sys.version_info >= (3, 11)


def _micros(frac: bytes | None) -> int:
    if not frac:
        return 0
    if len(frac) > 6:
        frac = frac[:6]
    return int(frac) * _USPAD[len(frac)]


_tz_cache: dict[int, tzinfo] = {}


def _fixed_tz(seconds: int) -> tzinfo:
    tz = _tz_cache.get(seconds)
    if tz is None:
        tz = _UTC if seconds == 0 else timezone(timedelta(seconds=seconds))
        if len(_tz_cache) < 1000:
            _tz_cache[seconds] = tz
    return tz


def _parse_offset(s: bytes) -> int:
    """``+05:30`` / ``-03:30:17`` / ``+05`` -> seconds east of UTC."""
    parts = s[1:].split(b":")
    secs = int(parts[0]) * 3600
    if len(parts) > 1:
        secs += int(parts[1]) * 60
        if len(parts) > 2:
            secs += int(parts[2])
    return -secs if s[:1] == b"-" else secs


def _text(data: bytes) -> str:
    return data.decode("utf-8", "replace")


# -- date ---------------------------------------------------------------------------


def _date_order(datestyle: str) -> str:
    """How the server orders a date's fields in `datestyle`: ``YMD``, ``DMY`` or ``MDY``.

    ISO writes the year first and German the day; SQL and Postgres write the
    day first with the DMY order and the month first otherwise (YMD too).
    """
    ds = datestyle.upper()
    if ds.startswith("ISO"):
        return "YMD"
    if ds.startswith("GERMAN") or "DMY" in ds:
        return "DMY"
    return "MDY"


def _date_from_fields(fields: list[str], order: str, s: str, what: str) -> date:
    """The date of the three numbers `fields`, written in `order`; `s` is the whole text.

    A first field of more than two digits is the year, whatever the order.
    """
    if order == "YMD" or len(fields[0]) > 2:
        ys, ms, ds = fields
    elif order == "DMY":
        ds, ms, ys = fields
    else:
        ms, ds, ys = fields
    if len(ys) > 4:
        raise DataError(f"{what} too large (after year 10K): {s!r}")
    try:
        return date(int(ys), int(ms), int(ds))
    except ValueError as ex:
        raise DataError(f"can't parse {what} {s!r}: {ex}") from None


@decoded_in_c("DATE_TEXT")
class DateLoader(Loader):
    """date in text (ISO, SQL, Postgres and German DateStyles)."""

    format = Format.TEXT

    def __init__(self, oid: int, context: AdaptContext) -> None:
        super().__init__(oid, context)
        self._order = _date_order(self.context.datestyle)

    def load(self, data: bytes) -> date:
        """Parse the date."""
        try:
            return date.fromisoformat(data.decode())
        except ValueError:
            return self._load_slow(data)

    def _load_slow(self, data: bytes) -> date:
        s = _text(data)
        if s == "infinity":
            raise DataError(f"date too large (after year 10K): {s!r}")
        if s == "-infinity" or s.endswith("BC"):
            raise DataError(f"date too small (before year 1): {s!r}")
        fields = re.split(r"\D+", s)
        if len(fields) != 3:
            raise DataError(f"can't parse date {s!r}")
        return _date_from_fields(fields, self._order, s, "date")


@decoded_in_c("DATE_BIN", asked_for=True)
class DateBinaryLoader(Loader):
    """date in binary: days since 2000-01-01."""

    format = Format.BINARY

    def load(self, data: bytes) -> date:
        """Convert the day count."""
        days = _unpack_int4(data)[0]
        try:
            return date.fromordinal(days + _PG_EPOCH_ORDINAL)
        except (ValueError, OverflowError):
            if days == _INT4_MAX:
                raise DataError("date too large (after year 10K): 'infinity'") from None
            if days == _INT4_MIN:
                raise DataError("date too small (before year 1): '-infinity'") from None
            if days < 0:
                raise DataError("date too small (before year 1)") from None
            raise DataError("date too large (after year 10K)") from None


class DateDumper(Dumper):
    """date as text."""

    format = Format.TEXT
    oid = oids.DATE_OID

    def dump(self, obj: Any) -> bytes:
        """Write YYYY-MM-DD."""
        return obj.isoformat().encode()  # type: ignore[no-any-return]


class DateBinaryDumper(Dumper):
    """date as binary."""

    format = Format.BINARY
    oid = oids.DATE_OID

    def dump(self, obj: Any) -> bytes:
        """Write the days since 2000-01-01."""
        return _pack_int4(obj.toordinal() - _PG_EPOCH_ORDINAL)


# -- time -----------------------------------------------------------------------------


def _time_from(data: bytes, what: str, whole: bytes | None = None) -> time:
    # hh:mm:ss[.ffffff]
    try:
        if len(data) == 8:
            return time(int(data[:2]), int(data[3:5]), int(data[6:8]))
        return time(int(data[:2]), int(data[3:5]), int(data[6:8]), _micros(data[9:]))
    except ValueError as ex:
        raise DataError(f"can't parse {what} {_text(whole or data)!r}: {ex}") from None


@decoded_in_c("TIME_TEXT")
class TimeLoader(Loader):
    """time in text."""

    format = Format.TEXT

    def load(self, data: bytes) -> time:
        """Parse hh:mm:ss[.ffffff]."""
        if _FAST_ISO:
            try:
                return time.fromisoformat(data.decode())
            except ValueError:
                pass
        return _time_from(data, "time")


class TimeBinaryLoader(Loader):
    """time in binary: microseconds since midnight."""

    format = Format.BINARY

    def load(self, data: bytes) -> time:
        """Convert the microseconds."""
        us = _unpack_int8(data)[0]
        s, us = divmod(us, 1_000_000)
        m, s = divmod(s, 60)
        h, m = divmod(m, 60)
        try:
            return time(h, m, s, us)
        except ValueError:
            raise DataError(f"time not supported by Python: hour={h}") from None


class TimetzLoader(Loader):
    """timetz in text: a time with a fixed UTC offset."""

    format = Format.TEXT

    def load(self, data: bytes) -> time:
        """Parse hh:mm:ss[.ffffff]+hh[:mm[:ss]]."""
        if _FAST_ISO:
            try:
                t = time.fromisoformat(data.decode())
            except ValueError:
                pass
            else:
                if t.tzinfo is not None:
                    return t
        i = data.find(b"+", 8)
        if i < 0:
            i = data.find(b"-", 8)
        if i < 0:
            raise DataError(f"can't parse timetz {_text(data)!r}: no UTC offset")
        t = _time_from(data[:i], "timetz", data)
        try:
            return t.replace(tzinfo=_fixed_tz(_parse_offset(data[i:])))
        except ValueError as ex:
            raise DataError(f"can't parse timetz {_text(data)!r}: {ex}") from None


class TimetzBinaryLoader(Loader):
    """timetz in binary: microseconds and seconds *west* of UTC."""

    format = Format.BINARY

    def load(self, data: bytes) -> time:
        """Convert the microseconds and the offset."""
        us, west = _unpack_timetz(data)
        s, us = divmod(us, 1_000_000)
        m, s = divmod(s, 60)
        h, m = divmod(m, 60)
        try:
            return time(h, m, s, us, _fixed_tz(-west))
        except ValueError:
            raise DataError(f"time not supported by Python: hour={h}") from None


def _time_micros(obj: time) -> int:
    return ((obj.hour * 60 + obj.minute) * 60 + obj.second) * 1_000_000 + obj.microsecond


class _BaseTimeDumper(Dumper):
    def upgrade(self, obj: Any, format: Format) -> Dumper:
        """Naive -> time, aware -> timetz."""
        if obj.tzinfo is None:
            return self._naive
        if obj.utcoffset() is None:
            raise DataError(
                f"cannot dump {obj!r}: its tzinfo gives no UTC offset for a bare time;"
                " use a fixed-offset timezone"
            )
        return self._aware

    def __init__(self, cls: type, context: AdaptContext) -> None:
        super().__init__(cls, context)
        self._naive: Dumper = self
        self._aware: Dumper = self


class TimeDumper(_BaseTimeDumper):
    """time as text; upgrades aware times to timetz."""

    format = Format.TEXT
    oid = oids.TIME_OID

    def __init__(self, cls: type, context: AdaptContext) -> None:
        super().__init__(cls, context)
        self._aware = TimeTzDumper(cls, context)

    def dump(self, obj: Any) -> bytes:
        """Write hh:mm:ss[.ffffff]."""
        return obj.isoformat().encode()  # type: ignore[no-any-return]


class TimeTzDumper(Dumper):
    """Aware time as timetz text."""

    format = Format.TEXT
    oid = oids.TIMETZ_OID

    def dump(self, obj: Any) -> bytes:
        """Write hh:mm:ss[.ffffff]+hh:mm[:ss]."""
        return obj.isoformat().encode()  # type: ignore[no-any-return]


class TimeBinaryDumper(_BaseTimeDumper):
    """time as binary; upgrades aware times to timetz."""

    format = Format.BINARY
    oid = oids.TIME_OID

    def __init__(self, cls: type, context: AdaptContext) -> None:
        super().__init__(cls, context)
        self._aware = TimeTzBinaryDumper(cls, context)

    def dump(self, obj: Any) -> bytes:
        """Write microseconds since midnight."""
        return _pack_int8(_time_micros(obj))


class TimeTzBinaryDumper(Dumper):
    """Aware time as timetz binary."""

    format = Format.BINARY
    oid = oids.TIMETZ_OID

    def dump(self, obj: Any) -> bytes:
        """Write microseconds since midnight and the offset in seconds west of UTC."""
        off = obj.utcoffset()
        return _pack_timetz(_time_micros(obj), -round(off.total_seconds()))


# -- timestamp ----------------------------------------------------------------------

_TS_RE = re.compile(
    rb"""
    (\d+)-(\d+)-(\d+)[ T](\d+):(\d+):(\d+)(?:\.(\d+))?
    (?:([-+]\d+(?::\d+){0,2}))?
    (\ BC)?
    $""",
    re.VERBOSE,
)


def _timestamp_error(data: bytes, ex: Exception | None = None) -> DataError:
    s = _text(data)
    if s == "-infinity" or s.endswith("BC"):
        return DataError(f"timestamp too small (before year 1): {s!r}")
    if s == "infinity" or (s[:1].isdigit() and len(s.split("-", 1)[0]) > 4):
        return DataError(f"timestamp too large (after year 10K): {s!r}")
    return DataError(f"can't parse timestamp {s!r}" + (f": {ex}" if ex else ""))


def _parse_timestamp(data: bytes) -> datetime:
    """The ISO DateStyle parser: naive datetime, with the offset if any as tzinfo."""
    m = _TS_RE.match(data)
    if m is None or m.group(9):
        raise _timestamp_error(data)
    ye, mo, da, ho, mi, se, fr, off, _ = m.groups()
    if len(ye) > 4:
        raise _timestamp_error(data)
    try:
        tz = None if off is None else _fixed_tz(_parse_offset(off))
        return datetime(int(ye), int(mo), int(da), int(ho), int(mi), int(se), _micros(fr), tz)
    except ValueError as ex:
        raise _timestamp_error(data, ex) from None


_MONTHS = {
    name: i
    for i, name in enumerate(
        ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"), 1
    )
}


def _parse_styled_timestamp(s: str, order: str) -> tuple[datetime, list[str]]:
    """A timestamp in any DateStyle: the naive datetime, and the words after it (a zone).

    SQL ``01/02/2000 03:04:05.5``, German ``02.01.2000 03:04:05.5``, Postgres
    ``Sun Jan 02 03:04:05.5 2000`` (``Sun 02 Jan ...`` with DMY), ISO; each
    maybe followed by a zone and ``BC``. `order` is the date order of the
    style (:func:`_date_order`). Values out of Python's range raise the
    DataError they raise in the ISO style.
    """
    if s == "infinity":
        raise DataError(f"timestamp too large (after year 10K): {s!r}")
    if s == "-infinity":
        raise DataError(f"timestamp too small (before year 1): {s!r}")
    words = s.split()
    if words and words[-1] == "BC":
        raise DataError(f"timestamp too small (before year 1): {s!r}")
    if len(words) >= 5 and words[3].count(":") == 2:
        # Postgres: day of the week, month name and day (either way round),
        # time, year.
        first, second, clock, year = words[1:5]
        day, name = (first, second) if first.isdigit() else (second, first)
        month = _MONTHS.get(name)
        if month is None:
            raise DataError(f"can't parse timestamp {s!r}: unknown month {name!r}")
        day_of = _date_from_fields([year, str(month), day], "YMD", s, "timestamp")
        rest = words[5:]
    elif len(words) >= 2:
        fields = re.split(r"\D+", words[0])
        if len(fields) != 3:
            raise DataError(f"can't parse timestamp {s!r}")
        day_of = _date_from_fields(fields, order, s, "timestamp")
        clock = words[1]
        rest = words[2:]
    else:
        raise DataError(f"can't parse timestamp {s!r}")
    return datetime.combine(day_of, _time_from(clock.encode(), "timestamp", s.encode())), rest


@decoded_in_c("TS_TEXT")
class TimestampLoader(Loader):
    """timestamp in text -> naive datetime (every DateStyle; ISO fastest)."""

    format = Format.TEXT
    # Other styles parse much slower than ISO: results are asked in binary.
    datestyle_sensitive = True

    def __init__(self, oid: int, context: AdaptContext) -> None:
        super().__init__(oid, context)
        self._order = _date_order(self.context.datestyle)
        if self._order != "YMD":
            self.load = self._load_styled  # type: ignore[method-assign]

    def load(self, data: bytes) -> datetime:
        """Parse YYYY-MM-DD hh:mm:ss[.ffffff]."""
        if _FAST_ISO:
            try:
                return datetime.fromisoformat(data.decode())
            except ValueError:
                pass
        return _parse_timestamp(data)

    def _load_styled(self, data: bytes) -> datetime:
        s = _text(data)
        value, rest = _parse_styled_timestamp(s, self._order)
        if rest:
            raise DataError(f"can't parse timestamp {s!r}")
        return value


@decoded_in_c("TS_BIN", asked_for=True)
class TimestampBinaryLoader(Loader):
    """timestamp in binary: microseconds since 2000-01-01."""

    format = Format.BINARY

    def load(self, data: bytes) -> datetime:
        """Convert the microseconds."""
        us = _unpack_int8(data)[0]
        try:
            return _PG_EPOCH + timedelta(0, 0, us)
        except OverflowError:
            raise _binary_ts_error(us) from None


def _binary_ts_error(us: int) -> DataError:
    if us == _INT8_MAX:
        return DataError("timestamp too large (after year 10K): 'infinity'")
    if us == _INT8_MIN:
        return DataError("timestamp too small (before year 1): '-infinity'")
    if us < 0:
        return DataError("timestamp too small (before year 1)")
    return DataError("timestamp too large (after year 10K)")


@decoded_in_c("TSTZ_TEXT", extra=lambda loader: loader._tz)
class TimestamptzLoader(Loader):
    """timestamptz in text (ISO DateStyle) -> aware datetime in the session time zone.

    Other DateStyles write the zone as an abbreviation, which names no offset
    for sure: their values raise NotSupportedError (as psycopg, which raises
    NotImplementedError), but for those out of Python's range, which raise
    DataError as in ISO.
    """

    format = Format.TEXT
    datestyle_sensitive = True

    def __init__(self, oid: int, context: AdaptContext) -> None:
        super().__init__(oid, context)
        self._tz = self.context.timezone
        self._datestyle = self.context.datestyle
        self._order = _date_order(self.context.datestyle)
        if self._order != "YMD":
            self.load = self._load_styled  # type: ignore[method-assign]

    def load(self, data: bytes) -> datetime:
        """Parse YYYY-MM-DD hh:mm:ss[.ffffff]+hh[:mm[:ss]] and move it to the session zone."""
        dt = None
        if _FAST_ISO:
            try:
                dt = datetime.fromisoformat(data.decode())
            except ValueError:
                pass
        if dt is None:
            dt = _parse_timestamp(data)
        if dt.tzinfo is None:
            raise DataError(f"can't parse timestamptz {_text(data)!r}: no UTC offset")
        try:
            return dt.astimezone(self._tz)
        except OverflowError:
            # Near datetime.min/max the move can leave Python's range: keep
            # the server's offset rather than fail.
            return dt

    def _load_styled(self, data: bytes) -> datetime:
        s = _text(data)
        # Out-of-range values say so; the others are valid but unreadable.
        _parse_styled_timestamp(s, self._order)
        raise NotSupportedError(
            f"can't read timestamptz {s!r} in the DateStyle {self._datestyle!r}, which"
            " gives the zone as an abbreviation: set DateStyle to ISO, or ask for binary"
            " results (binary=True)"
        )


@decoded_in_c("TSTZ_BIN", extra=lambda loader: loader._tz, asked_for=True)
class TimestamptzBinaryLoader(Loader):
    """timestamptz in binary -> aware datetime in the session time zone."""

    format = Format.BINARY

    def __init__(self, oid: int, context: AdaptContext) -> None:
        super().__init__(oid, context)
        self._tz = self.context.timezone
        self._utc = self._tz is _UTC

    def load(self, data: bytes) -> datetime:
        """Convert the microseconds since 2000-01-01 UTC."""
        us = _unpack_int8(data)[0]
        try:
            dt = _PG_EPOCH_UTC + timedelta(0, 0, us)
            return dt if self._utc else dt.astimezone(self._tz)
        except OverflowError:
            pass
        # A value just past the ends of Python's range in UTC may still fit
        # in the session zone (9999-12-31 23:00 in New York is 10000-01-01 UTC).
        off = self._tz.utcoffset(datetime.max if us > 0 else datetime.min)
        if off is not None and us not in (_INT8_MAX, _INT8_MIN):
            try:
                local = _PG_EPOCH + (timedelta(0, 0, us) + off)
            except OverflowError:
                pass
            else:
                return local.replace(tzinfo=self._tz)
        raise _binary_ts_error(us)


def _naive_micros(obj: datetime) -> int:
    td = obj - _PG_EPOCH
    return (td.days * 86400 + td.seconds) * 1_000_000 + td.microseconds


def _aware_micros(obj: datetime) -> int:
    td = obj - _PG_EPOCH_UTC
    return (td.days * 86400 + td.seconds) * 1_000_000 + td.microseconds


class _BaseDatetimeDumper(Dumper):
    def __init__(self, cls: type, context: AdaptContext) -> None:
        super().__init__(cls, context)
        self._naive: Dumper = self
        self._aware: Dumper = self

    def upgrade(self, obj: Any, format: Format) -> Dumper:
        """Naive -> timestamp, aware -> timestamptz."""
        if obj.tzinfo is None or obj.utcoffset() is None:
            return self._naive
        return self._aware


class DatetimeDumper(_BaseDatetimeDumper):
    """datetime as text; naive -> timestamp, aware -> timestamptz."""

    format = Format.TEXT
    oid = oids.TIMESTAMPTZ_OID

    def __init__(self, cls: type, context: AdaptContext) -> None:
        super().__init__(cls, context)
        self._naive = DatetimeNoTzDumper(cls, context)

    def dump(self, obj: Any) -> bytes:
        """Write the ISO form (with its offset), date and time apart as the server writes them."""
        return obj.isoformat(" ").encode()  # type: ignore[no-any-return]


class DatetimeNoTzDumper(Dumper):
    """Naive datetime as timestamp text."""

    format = Format.TEXT
    oid = oids.TIMESTAMP_OID

    def dump(self, obj: Any) -> bytes:
        """Write the ISO form, date and time apart as the server writes them."""
        return obj.isoformat(" ").encode()  # type: ignore[no-any-return]


@picks_in_c(datetime, lambda dumper: {dumper._naive.oid: "ENC_TS_BIN", dumper.oid: "ENC_TSTZ_BIN"})
class DatetimeBinaryDumper(_BaseDatetimeDumper):
    """datetime as binary; naive -> timestamp, aware -> timestamptz."""

    format = Format.BINARY
    oid = oids.TIMESTAMPTZ_OID

    def __init__(self, cls: type, context: AdaptContext) -> None:
        super().__init__(cls, context)
        self._naive = DatetimeNoTzBinaryDumper(cls, context)

    def dump(self, obj: Any) -> bytes:
        """Write microseconds since 2000-01-01 UTC."""
        return _pack_int8(_aware_micros(obj))


class DatetimeNoTzBinaryDumper(Dumper):
    """Naive datetime as timestamp binary."""

    format = Format.BINARY
    oid = oids.TIMESTAMP_OID

    def dump(self, obj: Any) -> bytes:
        """Write microseconds since 2000-01-01."""
        return _pack_int8(_naive_micros(obj))


# -- interval -------------------------------------------------------------------------

_UNIT_DAYS = {b"year": 365, b"years": 365, b"mon": 30, b"mons": 30, b"day": 1, b"days": 1}


class IntervalLoader(Loader):
    """interval in text (IntervalStyle postgres): ``1 year 2 mons -3 days +04:05:06.789``."""

    format = Format.TEXT

    def __init__(self, oid: int, context: AdaptContext) -> None:
        super().__init__(oid, context)
        self._style = self.context.intervalstyle

    def load(self, data: bytes) -> timedelta:
        """Parse the interval."""
        days = 0
        us = 0
        try:
            parts = data.split()
            i = 0
            n = len(parts)
            while i < n:
                p = parts[i]
                if b":" in p:
                    neg = p[:1] == b"-"
                    if neg or p[:1] == b"+":
                        p = p[1:]
                    h, m, s = p.split(b":")
                    sec, _, frac = s.partition(b".")
                    us = ((int(h) * 60 + int(m)) * 60 + int(sec)) * 1_000_000 + _micros(frac)
                    if neg:
                        us = -us
                    i += 1
                else:
                    days += int(p) * _UNIT_DAYS[parts[i + 1]]
                    i += 2
        except (ValueError, KeyError, IndexError):
            raise self._error(data) from None
        try:
            return timedelta(days, 0, us)
        except OverflowError as ex:
            raise DataError(f"interval too large for timedelta {_text(data)!r}: {ex}") from None

    def _error(self, data: bytes) -> Exception:
        if self._style != "postgres":
            return NotSupportedError(
                f"can't parse interval {_text(data)!r} with IntervalStyle {self._style!r}:"
                " set IntervalStyle to postgres"
            )
        return DataError(f"can't parse interval {_text(data)!r}")


class IntervalBinaryLoader(Loader):
    """interval in binary: microseconds, days, months."""

    format = Format.BINARY

    def load(self, data: bytes) -> timedelta:
        """Convert; a month is 30 days, a year 365."""
        us, days, months = _unpack_interval(data)
        if months:
            years, mons = divmod(abs(months), 12)
            extra = 365 * years + 30 * mons
            days += extra if months > 0 else -extra
        try:
            return timedelta(days, 0, us)
        except OverflowError as ex:
            raise DataError(f"interval too large for timedelta: {ex}") from None


class TimedeltaDumper(Dumper):
    """timedelta as interval text."""

    format = Format.TEXT
    oid = oids.INTERVAL_OID

    def dump(self, obj: Any) -> bytes:
        """Write ``<days> days +hh:mm:ss[.ffffff]``, the time with its own sign.

        The explicit sign keeps the value whatever the session's
        IntervalStyle: under ``sql_standard`` a leading minus applies to every
        field that has no sign of its own (``-1 days 23:59:59`` would read
        as minus 47:59:59 there).
        """
        m, s = divmod(obj.seconds, 60)
        h, m = divmod(m, 60)
        if obj.microseconds:
            return b"%d days +%02d:%02d:%02d.%06d" % (obj.days, h, m, s, obj.microseconds)
        return b"%d days +%02d:%02d:%02d" % (obj.days, h, m, s)


class TimedeltaBinaryDumper(Dumper):
    """timedelta as interval binary (no months)."""

    format = Format.BINARY
    oid = oids.INTERVAL_OID

    def dump(self, obj: Any) -> bytes:
        """Write microseconds, days, 0 months."""
        return _pack_interval(obj.seconds * 1_000_000 + obj.microseconds, obj.days, 0)


def register_default_adapters(registry: TypesRegistry) -> None:
    """Register the date/time adapters on `registry`.

    The preferred result format (the one registered last) is the one cheaper
    to load in Python: date.fromisoformat() in C beats decoding a day count;
    from 3.11 fromisoformat() reads times and timestamps too and wins there
    as well (before, binary is cheaper); intervals are cheaper in binary.
    """
    text_first: list[tuple[int, type[Loader], type[Loader]]] = [
        (oids.INTERVAL_OID, IntervalLoader, IntervalBinaryLoader),
    ]
    binary_first: list[tuple[int, type[Loader], type[Loader]]] = [
        (oids.DATE_OID, DateLoader, DateBinaryLoader),
    ]
    iso_parsed: list[tuple[int, type[Loader], type[Loader]]] = [
        (oids.TIME_OID, TimeLoader, TimeBinaryLoader),
        (oids.TIMETZ_OID, TimetzLoader, TimetzBinaryLoader),
        (oids.TIMESTAMP_OID, TimestampLoader, TimestampBinaryLoader),
        (oids.TIMESTAMPTZ_OID, TimestamptzLoader, TimestamptzBinaryLoader),
    ]
    (binary_first if _FAST_ISO else text_first).extend(iso_parsed)
    for oid, text, binary in text_first:
        registry.register_loader(oid, text)
        registry.register_loader(oid, binary)
    for oid, text, binary in binary_first:
        registry.register_loader(oid, binary)
        registry.register_loader(oid, text)

    registry.register_dumper(date, DateDumper)
    registry.register_dumper(date, DateBinaryDumper)
    registry.register_dumper(time, TimeDumper)
    registry.register_dumper(time, TimeBinaryDumper)
    registry.register_dumper(datetime, DatetimeDumper)
    registry.register_dumper(datetime, DatetimeBinaryDumper)
    registry.register_dumper(timedelta, TimedeltaDumper)
    registry.register_dumper(timedelta, TimedeltaBinaryDumper)
