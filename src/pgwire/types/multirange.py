"""Multirange types (PostgreSQL 14+) <-> :class:`Multirange`.

A multirange is an ordered list of non-overlapping, non-empty ranges; it
loads as a :class:`Multirange`, a list-like of :class:`~pgwire.types.Range`
whose ranges go through the loader of the multirange's range type. The
builtin multiranges (int4multirange, int8multirange, nummultirange,
datemultirange, tsmultirange, tstzmultirange) are known; others are declared
with ``registry.register_multirange(multirange_oid, range_oid)`` or
:func:`pgwire.types.register_multirange`.

A :class:`Multirange` is dumped as the multirange of the range type its
bounds call for (see :class:`~pgwire.types.Range`); ranges of ints, and
multiranges without any bound, go as text of unknown type for the server to
type from context.
"""

from __future__ import annotations

import re
import struct
from collections.abc import Iterable, Iterator, MutableSequence
from functools import total_ordering
from types import GenericAlias
from typing import TYPE_CHECKING, Any, ClassVar, overload

from ..errors import DataError
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
    upgrade_auto,
)
from .range import TYPED_RANGES, Range, RangeBinaryDumper, RangeDumper

if TYPE_CHECKING:
    from .typeinfo import TypeInfo

__all__ = [
    "DateMultirange",
    "DateMultirangeBinaryDumper",
    "DateMultirangeDumper",
    "Int4Multirange",
    "Int4MultirangeBinaryDumper",
    "Int4MultirangeDumper",
    "Int8MultirangeBinaryDumper",
    "Int8MultirangeDumper",
    "NumericMultirangeBinaryDumper",
    "NumericMultirangeDumper",
    "TimestampMultirangeBinaryDumper",
    "TimestampMultirangeDumper",
    "TimestamptzMultirangeBinaryDumper",
    "TimestamptzMultirangeDumper",
    "Int8Multirange",
    "NumericMultirange",
    "TimestampMultirange",
    "TimestamptzMultirange",
    "Multirange",
    "MultirangeBinaryDumper",
    "MultirangeBinaryLoader",
    "MultirangeDumper",
    "MultirangeLoader",
    "register_multirange",
]

_len = struct.Struct("!i")
_unpack_len = _len.unpack_from
_pack_len = _len.pack


@total_ordering
class Multirange(MutableSequence[Range]):
    """A PostgreSQL multirange: a list of :class:`~pgwire.types.Range` objects.

    It behaves as a list (indexing, slicing, ``append``, ``len``...) that only
    accepts ranges. Two multiranges are equal when their ranges are equal in
    order; the server returns them normalised (sorted, merged, no empty range).
    """

    __slots__ = ("_ranges",)

    #: The multirange type OID the typed subclasses (:class:`Int4Multirange`...)
    #: are sent as; 0: the type follows the bounds.
    multirange_oid: ClassVar[int] = 0

    # Multirange[int] in annotations, as psycopg's generic Multirange.
    __class_getitem__: ClassVar[Any] = classmethod(GenericAlias)

    def __init_subclass__(cls, multirange_oid: int = 0, **kwargs: Any) -> None:
        """``class Int4Multirange(Multirange, multirange_oid=...)``: a typed multirange class."""
        super().__init_subclass__(**kwargs)
        if multirange_oid:
            cls.multirange_oid = multirange_oid

    def __init__(self, items: Iterable[Range] = ()) -> None:
        """Build a multirange from `items`, an iterable of Range objects."""
        self._ranges: list[Range] = [self._check(r) for r in items]

    @staticmethod
    def _check(item: Any) -> Range:
        if not isinstance(item, Range):
            raise TypeError(f"a Multirange holds Range objects, not {type(item).__name__}")
        return item

    @overload
    def __getitem__(self, index: int) -> Range: ...

    @overload
    def __getitem__(self, index: slice) -> Multirange: ...

    def __getitem__(self, index: int | slice) -> Range | Multirange:
        if isinstance(index, slice):
            return Multirange(self._ranges[index])
        return self._ranges[index]

    @overload
    def __setitem__(self, index: int, value: Range) -> None: ...

    @overload
    def __setitem__(self, index: slice, value: Iterable[Range]) -> None: ...

    def __setitem__(self, index: int | slice, value: Any) -> None:
        if isinstance(index, slice):
            if isinstance(value, Range) or not isinstance(value, Iterable):
                # A Range is not iterable: say what a slice takes.
                raise TypeError("can only assign an iterable of Range objects to a slice")
            self._ranges[index] = [self._check(r) for r in value]
        else:
            self._ranges[index] = self._check(value)

    def __delitem__(self, index: int | slice) -> None:
        del self._ranges[index]

    def __len__(self) -> int:
        return len(self._ranges)

    def __iter__(self) -> Iterator[Range]:
        return iter(self._ranges)

    def insert(self, index: int, value: Range) -> None:
        """Insert the range `value` before `index`."""
        self._ranges.insert(index, self._check(value))

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Multirange):
            return NotImplemented
        return self._ranges == other._ranges

    def __lt__(self, other: object) -> bool:
        # An arbitrary but consistent order, so that multiranges can be sorted.
        if not isinstance(other, Multirange):
            return NotImplemented
        return self._ranges < other._ranges

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._ranges!r})"

    def __str__(self) -> str:
        return "{" + ", ".join(map(str, self._ranges)) + "}"


# -- loaders ----------------------------------------------------------------------------------

# One range literal inside a multirange: bounds may be quoted (and then hold
# anything, "" and backslash escapes included) or bare.
_BOUND = rb'(?:"(?:[^"\\]|\\.|"")*"|[^"\\,\])]|\\.)*'
_RANGE = re.compile(rb"[\[(]" + _BOUND + rb"," + _BOUND + rb"[\])]|empty", re.DOTALL)


def _range_loader(oid: int, context: AdaptContext, fmt: Format) -> Loader:
    range_oid = context.registry.multirange_range(oid) or 0
    lcls = context.registry.get_loader(range_oid, fmt)
    if lcls is None:
        lcls = _UnknownTextLoader if fmt == Format.TEXT else _UnknownBinaryLoader
    return lcls(range_oid, context)


class Int4Multirange(Multirange, multirange_oid=oids.INT4MULTIRANGE_OID):
    """A :class:`Multirange` sent as int4multirange, whatever its bounds."""


class Int8Multirange(Multirange, multirange_oid=oids.INT8MULTIRANGE_OID):
    """A :class:`Multirange` sent as int8multirange, whatever its bounds."""


class NumericMultirange(Multirange, multirange_oid=oids.NUMMULTIRANGE_OID):
    """A :class:`Multirange` sent as nummultirange, whatever its bounds."""


class DateMultirange(Multirange, multirange_oid=oids.DATEMULTIRANGE_OID):
    """A :class:`Multirange` sent as datemultirange, whatever its bounds."""


class TimestampMultirange(Multirange, multirange_oid=oids.TSMULTIRANGE_OID):
    """A :class:`Multirange` sent as tsmultirange, whatever its bounds."""


class TimestamptzMultirange(Multirange, multirange_oid=oids.TSTZMULTIRANGE_OID):
    """A :class:`Multirange` sent as tstzmultirange, whatever its bounds."""


#: The typed multirange class of each builtin multirange type OID.
TYPED_MULTIRANGES: dict[int, type[Multirange]] = {
    cls.multirange_oid: cls
    for cls in (
        Int4Multirange,
        Int8Multirange,
        NumericMultirange,
        DateMultirange,
        TimestampMultirange,
        TimestamptzMultirange,
    )
}


class MultirangeLoader(Loader):
    """Any registered multirange type in text: ``{[1,3),[5,7)}``, ``{}``."""

    format = Format.TEXT

    def __init__(self, oid: int, context: AdaptContext) -> None:
        super().__init__(oid, context)
        self._load_range = _range_loader(oid, self.context, Format.TEXT).load

    def load(self, data: bytes) -> Multirange:
        """Parse the multirange literal."""
        if data[:1] != b"{" or data[-1:] != b"}":
            raise DataError(f"malformed multirange literal: {data[:60]!r}")
        end = len(data) - 1
        out = Multirange()
        ranges = out._ranges
        pos = 1
        while pos < end:
            m = _RANGE.match(data, pos)
            if m is None:
                raise DataError(f"malformed multirange literal: {data[:60]!r}")
            ranges.append(self._load_range(m.group()))
            pos = m.end()
            if pos < end:
                if data[pos : pos + 1] != b"," or pos + 1 == end:
                    raise DataError(f"malformed multirange literal: {data[:60]!r}")
                pos += 1
        return out


class MultirangeBinaryLoader(Loader):
    """Any registered multirange type in binary: a count, then length-prefixed ranges."""

    format = Format.BINARY

    def __init__(self, oid: int, context: AdaptContext) -> None:
        super().__init__(oid, context)
        self._load_range = _range_loader(oid, self.context, Format.BINARY).load

    def load(self, data: bytes) -> Multirange:
        """Decode the ranges."""
        n = _unpack_len(data)[0]
        pos = 4
        out = Multirange()
        ranges = out._ranges
        load = self._load_range
        for _ in range(n):
            size = _unpack_len(data, pos)[0]
            pos += 4
            ranges.append(load(data[pos : pos + size]))
            pos += size
        return out


# -- dumpers ----------------------------------------------------------------------------------


class _MultirangeDumperBase(ChoosingDumper):
    # The Range dumper class whose choices (range type, bound dumper) we follow.
    _range_dumper_class: type[Dumper] = RangeDumper

    def __init__(self, cls: type, context: AdaptContext) -> None:
        super().__init__(cls, context)
        self._range_dumper = self._range_dumper_class(Range, context)
        self._made: dict[tuple[Dumper, int], Dumper] = {}

    def _choose(self, obj: Multirange, fmt: Format | None) -> Dumper:
        # The first range with a bound tells the type, as for a single range.
        sample = next((r for r in obj if r.lower is not None or r.upper is not None), Range())
        # A typed multirange, or a dumper of one type (Int4MultirangeDumper...).
        fixed = obj.multirange_oid or self.oid
        if fixed:
            # A typed multirange: its ranges are sent as its range type.
            typed = TYPED_RANGES[self.context.registry.multirange_range(fixed) or 0]
            sample = typed(sample.lower, sample.upper, sample.bounds or "[)")
        rd = self._range_dumper
        range_dumper = upgrade_auto(rd, sample) if fmt is None else rd.upgrade(sample, fmt)
        if fixed:
            mr_oid = fixed
        else:
            mr_oid = (
                self.context.registry.multirange_of(range_dumper.oid) if range_dumper.oid else 0
            )
        if mr_oid == 0 and range_dumper.format == Format.BINARY:
            range_dumper = rd.upgrade(sample, Format.TEXT)
        binary = mr_oid != 0 and range_dumper.format == Format.BINARY
        key = (range_dumper, mr_oid)
        d = self._made.get(key)
        if d is None:
            cls = _MultirangeBinary if binary else _MultirangeText
            d = self._made[key] = cls(self.cls, self.context, range_dumper, mr_oid)
        return d


class _MultirangeText(Dumper):
    format = Format.TEXT

    def __init__(self, cls: type, context: AdaptContext, range_dumper: Dumper, oid: int):
        super().__init__(cls, context)
        self.range_dumper = range_dumper
        self.oid = oid

    def dump(self, obj: Any) -> bytes:
        dump = self.range_dumper.dump
        return b"{" + b",".join(dump(r) for r in obj) + b"}"


class _MultirangeBinary(Dumper):
    format = Format.BINARY

    def __init__(self, cls: type, context: AdaptContext, range_dumper: Dumper, oid: int):
        super().__init__(cls, context)
        self.range_dumper = range_dumper
        self.oid = oid

    def dump(self, obj: Any) -> bytes:
        dump = self.range_dumper.dump
        parts = [_pack_len(len(obj))]
        for r in obj:
            b = dump(r)
            parts.append(_pack_len(len(b)))
            parts.append(b)
        return b"".join(parts)


class MultirangeDumper(_MultirangeDumperBase):
    """Multirange as text (the multirange type follows the bounds)."""

    format = Format.TEXT


class MultirangeBinaryDumper(_MultirangeDumperBase):
    """Multirange as binary when the bounds have a multirange type, else text."""

    format = Format.BINARY
    _range_dumper_class = RangeBinaryDumper


def register_multirange(info: TypeInfo, context: Any = None) -> None:
    """Load the multirange type described by `info` (and arrays of it) as :class:`Multirange`.

    `info` comes from ``TypeInfo.fetch(conn, "mymultirange")``; its range
    type is declared too, so that it loads as :class:`~pgwire.types.Range`.
    `context` is a connection, a cursor, an AdaptContext or a TypesRegistry
    (None: every connection).
    """
    if info is None:
        raise TypeError("no type info given: was the multirange type found?")
    if not info.range_oid:
        raise TypeError(f"{info.name!r} is not a multirange type")
    reg = registry_of(context)
    reg.add_type(info)
    if info.subtype_oid and reg.range_subtype(info.range_oid) is None:
        reg.register_range(info.range_oid, info.subtype_oid)
    reg.register_multirange(info.oid, info.range_oid)
    if info.array_oid:
        reg.register_array(info.array_oid, info.oid, info.delimiter)


_BUILTIN_MULTIRANGES = (
    (oids.INT4MULTIRANGE_OID, oids.INT4RANGE_OID),
    (oids.INT8MULTIRANGE_OID, oids.INT8RANGE_OID),
    (oids.NUMMULTIRANGE_OID, oids.NUMRANGE_OID),
    (oids.DATEMULTIRANGE_OID, oids.DATERANGE_OID),
    (oids.TSMULTIRANGE_OID, oids.TSRANGE_OID),
    (oids.TSTZMULTIRANGE_OID, oids.TSTZRANGE_OID),
)


# psycopg's dumper classes of one multirange type each.
_TYPED = TypedDumpers(MultirangeDumper, MultirangeBinaryDumper)
Int4MultirangeDumper, Int4MultirangeBinaryDumper = _TYPED.make(
    Int4Multirange, oids.INT4MULTIRANGE_OID
)
Int8MultirangeDumper, Int8MultirangeBinaryDumper = _TYPED.make(
    Int8Multirange, oids.INT8MULTIRANGE_OID
)
NumericMultirangeDumper, NumericMultirangeBinaryDumper = _TYPED.make(
    NumericMultirange, oids.NUMMULTIRANGE_OID
)
DateMultirangeDumper, DateMultirangeBinaryDumper = _TYPED.make(
    DateMultirange, oids.DATEMULTIRANGE_OID
)
TimestampMultirangeDumper, TimestampMultirangeBinaryDumper = _TYPED.make(
    TimestampMultirange, oids.TSMULTIRANGE_OID
)
TimestamptzMultirangeDumper, TimestamptzMultirangeBinaryDumper = _TYPED.make(
    TimestamptzMultirange, oids.TSTZMULTIRANGE_OID
)


def register_default_adapters(registry: TypesRegistry) -> None:
    """Register the builtin multirange types and the Multirange dumpers on `registry`."""
    for mr_oid, range_oid in _BUILTIN_MULTIRANGES:
        registry.register_multirange(mr_oid, range_oid)
    registry.register_dumper(Multirange, MultirangeDumper)
    registry.register_dumper(Multirange, MultirangeBinaryDumper)
    _TYPED.register(registry)
