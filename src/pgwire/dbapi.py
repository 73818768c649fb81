"""PEP 249 type objects and constructors."""

from __future__ import annotations

import datetime as dt
import time
from typing import Any


class DBAPITypeObject:
    """Compares equal to the type OIDs of one PEP 249 family."""

    def __init__(self, name: str, oids: tuple[int, ...]) -> None:
        self.name = name
        self.values = frozenset(oids)

    def __repr__(self) -> str:
        return f"<DBAPITypeObject {self.name}>"

    def __eq__(self, other: object) -> bool:
        if isinstance(other, int):
            return other in self.values
        return NotImplemented

    def __ne__(self, other: object) -> bool:
        if isinstance(other, int):
            return other not in self.values
        return NotImplemented

    def __hash__(self) -> int:
        return hash((self.name, self.values))


# OIDs: name 19, char 18, text 25, bpchar 1042, varchar 1043; bytea 17;
# int8 20, int2 21, int4 23, oid 26, float4 700, float8 701, numeric 1700, money 790;
# date 1082, time 1083, timetz 1266, timestamp 1114, timestamptz 1184, interval 1186.
STRING = DBAPITypeObject("STRING", (18, 19, 25, 1042, 1043))
BINARY = DBAPITypeObject("BINARY", (17,))
NUMBER = DBAPITypeObject("NUMBER", (20, 21, 23, 26, 700, 701, 790, 1700))
DATETIME = DBAPITypeObject("DATETIME", (1082, 1083, 1114, 1184, 1186, 1266))
ROWID = DBAPITypeObject("ROWID", (26,))


def Date(year: int, month: int, day: int) -> dt.date:  # noqa: N802 - PEP 249 name
    """A date value."""
    return dt.date(year, month, day)


def Time(hour: int, minute: int, second: int) -> dt.time:  # noqa: N802
    """A time value."""
    return dt.time(hour, minute, second)


def Timestamp(  # noqa: N802
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0
) -> dt.datetime:
    """A timestamp value."""
    return dt.datetime(year, month, day, hour, minute, second)


def DateFromTicks(ticks: float) -> dt.date:  # noqa: N802
    """The local date of a POSIX timestamp."""
    return dt.date(*time.localtime(ticks)[:3])


def TimeFromTicks(ticks: float) -> dt.time:  # noqa: N802
    """The local time of a POSIX timestamp (microseconds included)."""
    return dt.datetime.fromtimestamp(ticks).time()


def TimestampFromTicks(ticks: float) -> dt.datetime:  # noqa: N802
    """The local timestamp of a POSIX timestamp, timezone-aware."""
    return dt.datetime.fromtimestamp(ticks).astimezone()


def Binary(data: Any) -> bytes:  # noqa: N802
    """A binary (bytea) value."""
    return bytes(data)
