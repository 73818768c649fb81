"""The session ``TimeZone`` parameter as a :class:`datetime.tzinfo`."""

from __future__ import annotations

import re
from datetime import timedelta, timezone, tzinfo
from functools import lru_cache

from .._log import logger

__all__ = ["resolve_timezone"]


# Names PostgreSQL treats as UTC even where no tz database is installed.
_UTC_NAMES = frozenset(
    ["utc", "uct", "gmt", "zulu", "z", "universal", "greenwich", "gmt0", "gmt+0", "gmt-0"]
)

# Etc/GMT+5 is five hours *west* of Greenwich (POSIX sign convention).
# The patterns are compiled (and cached by re) at their first use: only a
# zone name zoneinfo does not know needs them.
_ETC_GMT = r"(?i)(?:etc/)?gmt([+-])(\d{1,2})"

# A POSIX TZ string: optional std name (letters, or <anything> as the server
# writes for numeric zones: "<+14>-14", "<-03>+03"), then an offset west of
# UTC; an optional DST part follows and is ignored (the standard offset is used).
_POSIX = r"""(?x)
    (?: <[^>]*> | [A-Za-z]{3,} )?
    ([+-])?(\d{1,2})(?::(\d{1,2})(?::(\d{1,2}))?)?
    (?: [A-Za-z<].* | ,.* )?
"""


def _fixed(seconds: int) -> tzinfo:
    if seconds == 0:
        return timezone.utc
    try:
        return timezone(timedelta(seconds=seconds))
    except ValueError:
        # Offsets of a day or more cannot be represented; fall back to UTC.
        return timezone.utc


@lru_cache(maxsize=64)
def resolve_timezone(name: str) -> tzinfo:
    """Return the tzinfo for a ``TimeZone`` value as the server reports it.

    IANA names go through :mod:`zoneinfo`. Names it does not know are parsed as
    the server would: the usual UTC aliases, ``Etc/GMT+5`` (five hours west),
    and POSIX strings such as ``<+14>-14``, ``UTC+5`` or ``+05:30`` (offsets
    count west of Greenwich) become fixed offsets; anything else is UTC, with
    a warning logged.
    """
    key = name.strip()
    if not key:
        return timezone.utc
    lower = key.lower()
    if lower in _UTC_NAMES or lower.removeprefix("etc/") in _UTC_NAMES:
        # timezone.utc rather than ZoneInfo("UTC"): same instants, cheaper to
        # convert to, and what psycopg returns.
        return timezone.utc
    # Imported here, at the first named zone: zoneinfo's import (and its
    # look for the tz database) is milliseconds of a process's start.
    from zoneinfo import ZoneInfo

    try:
        return ZoneInfo(key)
    except Exception:
        # ZoneInfo raises several unrelated types for odd keys (not found,
        # invalid path, a directory name): all mean "not an IANA name here".
        pass
    m = re.fullmatch(_ETC_GMT, key)
    if m:
        hours = int(m.group(2))
        return _fixed(-hours * 3600 if m.group(1) == "+" else hours * 3600)
    m = re.fullmatch(_POSIX, key)
    if m:
        sign, hh, mm, ss = m.groups()
        west = int(hh) * 3600 + int(mm or 0) * 60 + int(ss or 0)
        return _fixed(west if sign == "-" else -west)
    # Once per name (the result is cached), as psycopg warns.
    logger().warning("unknown PostgreSQL time zone %r: timestamps will be given in UTC", key)
    return timezone.utc
