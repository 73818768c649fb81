"""Range types <-> :class:`Range`.

The builtin ranges (int4range, int8range, numrange, daterange, tsrange,
tstzrange) load as :class:`Range` objects whose bounds go through the loader
of the range's subtype. A :class:`Range` is dumped as the range type of its
bounds (numrange for Decimal, daterange for date, tsrange/tstzrange for
naive/aware datetime); ranges of other values (ints, or no bounds at all) go
as text of unknown type, for the server to type from context.
"""

from __future__ import annotations

import re
import struct
from functools import total_ordering
from types import GenericAlias
from typing import TYPE_CHECKING, Any, ClassVar

from ..errors import DataError, ProgrammingError
from . import oids
from .adapt import (
    AdaptContext,
    ChoosingDumper,
    Dumper,
    Format,
    Loader,
    TypedDumpers,
    TypesRegistry,
    _UnknownBinaryLoader,
    _UnknownTextLoader,
    registry_of,
    type_name,
    upgrade_auto,
)
from .numeric import Int4BinaryDumper, Int8BinaryDumper, IntNumericBinaryDumper

if TYPE_CHECKING:
    from .typeinfo import TypeInfo

__all__ = [
    "DateRange",
    "Int4Range",
    "Int8Range",
    "NumericRange",
    "Range",
    "TimestampRange",
    "TimestamptzRange",
    "RangeBinaryDumper",
    "RangeBinaryLoader",
    "RangeDumper",
    "RangeLoader",
    "register_range",
    "Int4RangeDumper",
    "Int4RangeBinaryDumper",
    "Int8RangeDumper",
    "Int8RangeBinaryDumper",
    "NumericRangeDumper",
    "NumericRangeBinaryDumper",
    "DateRangeDumper",
    "DateRangeBinaryDumper",
    "TimestampRangeDumper",
    "TimestampRangeBinaryDumper",
    "TimestamptzRangeDumper",
    "TimestamptzRangeBinaryDumper",
]

# Flag bits of the binary range format.
_EMPTY = 0x01
_LB_INC = 0x02
_UB_INC = 0x04
_LB_INF = 0x08
_UB_INF = 0x10

_len = struct.Struct("!i")
_unpack_len = _len.unpack_from
_pack_len = _len.pack


@total_ordering
class Range:
    """A PostgreSQL range: `lower`/`upper` bounds (None = unbounded), `bounds` like ``"[)"``.

    ``Range(empty=True)`` is the empty range. Ranges compare equal when their
    bounds and bound kinds are equal (no normalisation: ``[1,2]`` differs from
    ``[1,3)``, as the server would return the latter for int4range).
    """

    __slots__ = ("_bounds", "_lower", "_upper")

    #: The range type OID the typed subclasses (:class:`Int4Range`...) are sent
    #: as; 0: the type follows the bounds.
    range_oid: ClassVar[int] = 0

    # Range[date] in annotations, as psycopg's generic Range.
    __class_getitem__: ClassVar[Any] = classmethod(GenericAlias)

    def __init_subclass__(cls, range_oid: int = 0, **kwargs: Any) -> None:
        """``class Int4Range(Range, range_oid=...)``: a typed range class."""
        super().__init_subclass__(**kwargs)
        if range_oid:
            cls.range_oid = range_oid

    def __init__(
        self,
        lower: Any = None,
        upper: Any = None,
        bounds: str = "[)",
        empty: bool = False,
    ) -> None:
        """Build a range; `bounds` is two characters out of ``[(`` and ``])``."""
        if empty:
            self._lower = self._upper = None
            self._bounds = ""
            return
        if bounds not in ("[)", "(]", "()", "[]"):
            raise ValueError("bounds must be one of '[)', '(]', '()', '[]'")
        self._lower = lower
        self._upper = upper
        # An unbounded side is never inclusive.
        if lower is None and bounds[0] == "[":
            bounds = "(" + bounds[1]
        if upper is None and bounds[1] == "]":
            bounds = bounds[0] + ")"
        self._bounds = bounds

    @property
    def lower(self) -> Any:
        """The lower bound, None if unbounded or empty."""
        return self._lower

    @property
    def upper(self) -> Any:
        """The upper bound, None if unbounded or empty."""
        return self._upper

    @property
    def bounds(self) -> str:
        """The bound kinds, e.g. ``"[)"``; ``""`` for the empty range."""
        return self._bounds

    @property
    def isempty(self) -> bool:
        """True for the empty range."""
        return not self._bounds

    @property
    def lower_inf(self) -> bool:
        """True if the range has no lower bound (and is not empty)."""
        return bool(self._bounds) and self._lower is None

    @property
    def upper_inf(self) -> bool:
        """True if the range has no upper bound (and is not empty)."""
        return bool(self._bounds) and self._upper is None

    @property
    def lower_inc(self) -> bool:
        """True if the lower bound is part of the range."""
        return self._bounds[:1] == "[" and self._lower is not None

    @property
    def upper_inc(self) -> bool:
        """True if the upper bound is part of the range."""
        return self._bounds[1:] == "]" and self._upper is not None

    def __contains__(self, x: Any) -> bool:
        if not self._bounds:
            return False
        if self._lower is not None:
            if self._bounds[0] == "[" and x < self._lower:
                return False
            if self._bounds[0] == "(" and x <= self._lower:
                return False
        if self._upper is not None:
            if self._bounds[1] == "]" and x > self._upper:
                return False
            if self._bounds[1] == ")" and x >= self._upper:
                return False
        return True

    def __bool__(self) -> bool:
        return bool(self._bounds)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Range):
            return NotImplemented
        return (self._lower, self._upper, self._bounds) == (
            other._lower,
            other._upper,
            other._bounds,
        )

    def __hash__(self) -> int:
        return hash((self._lower, self._upper, self._bounds))

    def _key(self) -> tuple[Any, ...]:
        # Empty first; an unbounded lower side sorts first, an unbounded upper last.
        return (
            bool(self._bounds),
            self._lower is not None,
            self._lower,
            self._bounds[:1] == "(",
            self._upper is None,
            self._upper,
            self._bounds[1:] == "]",
        )

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, Range):
            return NotImplemented
        a, b = self._key(), other._key()
        for x, y in zip(a, b, strict=True):
            if x == y:
                continue
            if x is None or y is None:
                return x is None
            return bool(x < y)
        return False

    def __repr__(self) -> str:
        name = type(self).__name__
        if not self._bounds:
            return f"{name}(empty=True)"
        return f"{name}({self._lower!r}, {self._upper!r}, {self._bounds!r})"

    def __str__(self) -> str:
        if not self._bounds:
            return "empty"
        lo = "" if self._lower is None else str(self._lower)
        up = "" if self._upper is None else str(self._upper)
        return f"{self._bounds[0]}{lo}, {up}{self._bounds[1]}"

    def __getstate__(self) -> dict[str, Any]:
        return {"lower": self._lower, "upper": self._upper, "bounds": self._bounds}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self._lower = state["lower"]
        self._upper = state["upper"]
        self._bounds = state["bounds"]


# -- loaders ----------------------------------------------------------------------------------

# A bound: quoted (backslash escapes or doubled quotes inside) or bare.
_BOUND = re.compile(rb'"((?:[^"\\]|\\.|"")*)"|((?:[^,\])"\\]|\\.)*)', re.DOTALL)
_UNESCAPE = re.compile(rb'\\(.)|""', re.DOTALL)


def _unescape(m: re.Match[bytes]) -> bytes:
    return m.group(1) if m.group(1) is not None else b'"'


class Int4Range(Range, range_oid=oids.INT4RANGE_OID):
    """A :class:`Range` sent as int4range, whatever its bounds."""


class Int8Range(Range, range_oid=oids.INT8RANGE_OID):
    """A :class:`Range` sent as int8range, whatever its bounds."""


class NumericRange(Range, range_oid=oids.NUMRANGE_OID):
    """A :class:`Range` sent as numrange, whatever its bounds."""


class DateRange(Range, range_oid=oids.DATERANGE_OID):
    """A :class:`Range` sent as daterange, whatever its bounds."""


class TimestampRange(Range, range_oid=oids.TSRANGE_OID):
    """A :class:`Range` sent as tsrange, whatever its bounds."""


class TimestamptzRange(Range, range_oid=oids.TSTZRANGE_OID):
    """A :class:`Range` sent as tstzrange, whatever its bounds."""


#: The typed Range subclass of each builtin range type.
TYPED_RANGES: dict[int, type[Range]] = {
    cls.range_oid: cls
    for cls in (Int4Range, Int8Range, NumericRange, DateRange, TimestampRange, TimestamptzRange)
}


class RangeLoader(Loader):
    """Any registered range type in text: ``[1,5)``, ``(,"2020-01-01 10:00:00+00"]``, ``empty``."""

    format = Format.TEXT

    def __init__(self, oid: int, context: AdaptContext) -> None:
        super().__init__(oid, context)
        sub = self.context.registry.range_subtype(oid) or 0
        lcls = self.context.registry.get_loader(sub, Format.TEXT) or _UnknownTextLoader
        self._load_bound = lcls(sub, self.context).load

    def _bound(self, data: bytes, pos: int) -> tuple[Any, int]:
        m = _BOUND.match(data, pos)
        if m is None:  # pragma: no cover - the pattern matches the empty string
            raise DataError(f"malformed range literal: {data[:60]!r}")
        quoted, bare = m.groups()
        if quoted is not None:
            if b"\\" in quoted or b'""' in quoted:
                quoted = _UNESCAPE.sub(_unescape, quoted)
            return self._load_bound(quoted), m.end()
        if not bare:
            return None, m.end()
        if b"\\" in bare:
            bare = _UNESCAPE.sub(_unescape, bare)
        return self._load_bound(bare), m.end()

    def load(self, data: bytes) -> Range:
        """Parse the range literal."""
        if data == b"empty":
            return Range(empty=True)
        if data[:1] not in (b"[", b"(") or data[-1:] not in (b"]", b")"):
            raise DataError(f"malformed range literal: {data[:60]!r}")
        lower, pos = self._bound(data, 1)
        if data[pos : pos + 1] != b",":
            raise DataError(f"malformed range literal: {data[:60]!r}")
        upper, pos = self._bound(data, pos + 1)
        if pos != len(data) - 1:
            raise DataError(f"malformed range literal: {data[:60]!r}")
        return Range(lower, upper, (data[:1] + data[-1:]).decode())


class RangeBinaryLoader(Loader):
    """Any registered range type in binary: flags, then the present bounds."""

    format = Format.BINARY

    def __init__(self, oid: int, context: AdaptContext) -> None:
        super().__init__(oid, context)
        sub = self.context.registry.range_subtype(oid) or 0
        lcls = self.context.registry.get_loader(sub, Format.BINARY) or _UnknownBinaryLoader
        self._load_bound = lcls(sub, self.context).load

    def load(self, data: bytes) -> Range:
        """Decode the flags and bounds."""
        flags = data[0]
        if flags & _EMPTY:
            return Range(empty=True)
        pos = 1
        lower = upper = None
        if not flags & _LB_INF:
            n = _unpack_len(data, pos)[0]
            lower = self._load_bound(data[pos + 4 : pos + 4 + n])
            pos += 4 + n
        if not flags & _UB_INF:
            n = _unpack_len(data, pos)[0]
            upper = self._load_bound(data[pos + 4 : pos + 4 + n])
        bounds = ("[" if flags & _LB_INC else "(") + ("]" if flags & _UB_INC else ")")
        return Range(lower, upper, bounds)


# -- dumpers ----------------------------------------------------------------------------------

_NEEDS_QUOTES = re.compile(rb'[()\[\],"\\\s]|^$')


def _quote(b: bytes) -> bytes:
    if _NEEDS_QUOTES.search(b):
        return b'"' + b.replace(b"\\", b"\\\\").replace(b'"', b'\\"') + b'"'
    return b


# The ints of a typed range's bounds, written at its subtype's width.
_SIZED_INTS: dict[int, type[Dumper]] = {
    oids.INT4_OID: Int4BinaryDumper,
    oids.INT8_OID: Int8BinaryDumper,
    oids.NUMERIC_OID: IntNumericBinaryDumper,
}


class _RangeDumperBase(ChoosingDumper):
    def __init__(self, cls: type, context: AdaptContext) -> None:
        super().__init__(cls, context)
        self._sub: dict[tuple[type, int], Dumper] = {}
        self._made: dict[tuple[Dumper | None, int], Dumper] = {}

    def _sub_dumper(self, obj: Any, fmt: Format | None) -> Dumper:
        cls = type(obj)
        key = (cls, -1 if fmt is None else int(fmt))
        d = self._sub.get(key)
        if d is None:
            reg = self.context.registry
            dcls = reg.get_dumper(cls, fmt) or reg.get_dumper(cls, None)
            if dcls is None:
                raise ProgrammingError(
                    f"cannot adapt type {type_name(cls)!r} as a range bound:"
                    " no dumper registered for it"
                )
            d = self._sub[key] = dcls(cls, self.context)
        return upgrade_auto(d, obj) if fmt is None else d.upgrade(obj, fmt)

    def _choose(self, obj: Range, fmt: Format | None) -> Dumper:
        bound = obj.lower if obj.lower is not None else obj.upper
        elem: Dumper | None = None
        # A typed range, or a dumper of one type (Int4RangeDumper...).
        range_oid = obj.range_oid or self.oid
        if range_oid:
            # A typed range: its type is known, the bounds go in binary only
            # when their dumper sends exactly the range's subtype.
            if bound is not None:
                elem = self._sub_dumper(bound, fmt)
                sub = self.context.registry.range_subtype(range_oid)
                if elem.format == Format.BINARY and elem.oid != sub:
                    sized = _SIZED_INTS.get(sub or 0) if type(bound) is int else None
                    if sized is not None:
                        elem = sized(int, self.context)
                    else:
                        elem = self._sub_dumper(bound, Format.TEXT)
            binary = elem.format == Format.BINARY if elem is not None else fmt == Format.BINARY
            return self._made_dumper(elem, range_oid, binary)
        if bound is not None:
            elem = self._sub_dumper(bound, fmt)
            # ints pick their size per value: let the server choose between
            # int4range and int8range (as for bounds without a range type).
            if elem.oid and getattr(elem, "rank", None) is None:
                range_oid = self.context.registry.range_of(elem.oid)
            elif elem.oid == 0 and isinstance(bound, str):
                # An untyped str stands for text here: a range type registered
                # over text (there is no builtin one) types the range, as psycopg.
                range_oid = self.context.registry.range_of(oids.TEXT_OID)
            if range_oid == 0 and elem.format == Format.BINARY:
                elem = self._sub_dumper(bound, Format.TEXT)
                if elem.format == Format.BINARY:
                    raise DataError(
                        f"cannot dump a range of {type_name(type(bound))!r} without a range type"
                    )
        binary = range_oid != 0 and elem is not None and elem.format == Format.BINARY
        return self._made_dumper(elem, range_oid, binary)

    def _made_dumper(self, elem: Dumper | None, range_oid: int, binary: bool) -> Dumper:
        key = (elem, (range_oid << 1) | binary)
        d = self._made.get(key)
        if d is None:
            cls = _RangeBinary if binary else _RangeText
            d = self._made[key] = cls(self.cls, self.context, elem, range_oid)
        return d


class _RangeText(Dumper):
    format = Format.TEXT

    def __init__(self, cls: type, context: AdaptContext, elem: Dumper | None, oid: int):
        super().__init__(cls, context)
        self.elem = elem
        self.oid = oid

    def dump(self, obj: Any) -> bytes:
        if obj.isempty:
            return b"empty"
        lo = self._bound(obj.lower)
        up = self._bound(obj.upper)
        return obj.bounds[0].encode() + lo + b"," + up + obj.bounds[1].encode()

    def _bound(self, value: Any) -> bytes:
        # No bound, or one its dumper writes as NULL: unbounded on that side.
        data = None if value is None or self.elem is None else self.elem.dump(value)
        return b"" if data is None else _quote(data)


class _RangeBinary(Dumper):
    format = Format.BINARY

    def __init__(self, cls: type, context: AdaptContext, elem: Dumper | None, oid: int):
        super().__init__(cls, context)
        self.elem = elem
        self.oid = oid

    def dump(self, obj: Any) -> bytes:
        if obj.isempty:
            return bytes((_EMPTY,))
        flags = 0
        parts = [b""]
        # No bound, or one its dumper writes as NULL: unbounded on that side.
        lo = None if obj.lower is None or self.elem is None else self.elem.dump(obj.lower)
        if lo is None:
            flags |= _LB_INF
        else:
            parts += [_pack_len(len(lo)), lo]
            if obj.lower_inc:
                flags |= _LB_INC
        up = None if obj.upper is None or self.elem is None else self.elem.dump(obj.upper)
        if up is None:
            flags |= _UB_INF
        else:
            parts += [_pack_len(len(up)), up]
            if obj.upper_inc:
                flags |= _UB_INC
        parts[0] = bytes((flags,))
        return b"".join(parts)


class RangeDumper(_RangeDumperBase):
    """Range as text (the range type follows the bounds)."""

    format = Format.TEXT


class RangeBinaryDumper(_RangeDumperBase):
    """Range as binary when the bounds have a range type, else text."""

    format = Format.BINARY


def register_range(info: TypeInfo, context: Any = None) -> None:
    """Load the range type described by `info` (and arrays of it) as :class:`Range`.

    `info` comes from ``TypeInfo.fetch(conn, "myrange")``. The bounds load as
    the subtype does (register the subtype first if it is a custom type too).
    From now on Range objects whose bounds dump as the subtype are sent as
    this range type (the last one registered for a subtype wins). On
    PostgreSQL 14+ the range's multirange type is registered as well.
    `context` is a connection, a cursor, an AdaptContext or a TypesRegistry
    (None: every connection).
    """
    if info is None:
        raise TypeError("no type info given: was the range type found?")
    if not info.subtype_oid or info.typtype != "r":
        raise TypeError(f"{info.name!r} is not a range type")
    reg = registry_of(context)
    reg.add_type(info)
    reg.register_range(info.oid, info.subtype_oid)
    if info.array_oid:
        reg.register_array(info.array_oid, info.oid, info.delimiter)
    if info.multirange_oid:
        reg.register_multirange(info.multirange_oid, info.oid)
        if info.multirange_array_oid:
            reg.register_array(info.multirange_array_oid, info.multirange_oid)


_BUILTIN_RANGES = (
    (oids.INT4RANGE_OID, oids.INT4_OID),
    (oids.INT8RANGE_OID, oids.INT8_OID),
    (oids.NUMRANGE_OID, oids.NUMERIC_OID),
    (oids.DATERANGE_OID, oids.DATE_OID),
    (oids.TSRANGE_OID, oids.TIMESTAMP_OID),
    (oids.TSTZRANGE_OID, oids.TIMESTAMPTZ_OID),
)


# psycopg's dumper classes of one range type each.
_TYPED = TypedDumpers(RangeDumper, RangeBinaryDumper)
Int4RangeDumper, Int4RangeBinaryDumper = _TYPED.make(Int4Range, oids.INT4RANGE_OID)
Int8RangeDumper, Int8RangeBinaryDumper = _TYPED.make(Int8Range, oids.INT8RANGE_OID)
NumericRangeDumper, NumericRangeBinaryDumper = _TYPED.make(NumericRange, oids.NUMRANGE_OID)
DateRangeDumper, DateRangeBinaryDumper = _TYPED.make(DateRange, oids.DATERANGE_OID)
TimestampRangeDumper, TimestampRangeBinaryDumper = _TYPED.make(TimestampRange, oids.TSRANGE_OID)
TimestamptzRangeDumper, TimestamptzRangeBinaryDumper = _TYPED.make(
    TimestamptzRange, oids.TSTZRANGE_OID
)


def register_default_adapters(registry: TypesRegistry) -> None:
    """Register the builtin range types and the Range dumpers on `registry`."""
    for range_oid, sub in _BUILTIN_RANGES:
        registry.register_range(range_oid, sub)
    registry.register_dumper(Range, RangeDumper)
    registry.register_dumper(Range, RangeBinaryDumper)
    _TYPED.register(registry)
