"""Values written as the binary format of a given type: a COPY column's, a composite field's.

The binary format carries no type of its own: the server reads each value as
the type of its column (or field). A value's own dumper is used when it
writes that type, or one whose binary form is the same bytes (the text
family); a range goes as the target range type whatever its bounds, and a
multirange as the target multirange type; integers (int, and any
``numbers.Integral`` such as numpy's) are written at the target's width
(int2, int4, int8, numeric) when they fit, and real numbers as float4 or
float8 targets. Anything else has no binary form for that type.
"""

from __future__ import annotations

import operator
from numbers import Integral, Real
from typing import Any, cast

from . import oids
from .adapt import AdaptContext, Dumper, Format
from .multirange import TYPED_MULTIRANGES, Multirange
from .numeric import (
    Float4BinaryDumper,
    FloatBinaryDumper,
    Int2BinaryDumper,
    Int4BinaryDumper,
    Int8BinaryDumper,
    IntNumericBinaryDumper,
)
from .range import TYPED_RANGES, Range

__all__ = ["JSON_TARGETS", "TargetDumpers"]

#: Column types that take any Python value as a JSON document.
JSON_TARGETS = frozenset({oids.JSON_OID, oids.JSONB_OID})

# Types whose binary form is the same bytes.
_SAME_BINARY: dict[int, frozenset[int]] = {}
for _family in ((oids.TEXT_OID, oids.VARCHAR_OID, oids.BPCHAR_OID, oids.NAME_OID),):
    for _oid in _family:
        _SAME_BINARY[_oid] = frozenset(_family)

# Target types written by a dumper of their own, the classes of value it
# takes, and the range of values it takes.
_FIXED: dict[int, tuple[type[Dumper], tuple[type, ...], float, float]] = {
    oids.INT2_OID: (Int2BinaryDumper, (Integral,), -(2**15), 2**15 - 1),
    oids.INT4_OID: (Int4BinaryDumper, (Integral,), -(2**31), 2**31 - 1),
    oids.INT8_OID: (Int8BinaryDumper, (Integral,), -(2**63), 2**63 - 1),
    oids.NUMERIC_OID: (IntNumericBinaryDumper, (Integral,), float("-inf"), float("inf")),
    oids.FLOAT4_OID: (Float4BinaryDumper, (Real,), float("-inf"), float("inf")),
    oids.FLOAT8_OID: (FloatBinaryDumper, (Real,), float("-inf"), float("inf")),
}


class TargetDumpers:
    """Finds, and caches, the dumper writing a value as the binary format of a type."""

    def __init__(self, context: AdaptContext) -> None:
        self.context = context
        self._own: dict[type, Dumper | None] = {}
        self._fixed: dict[int, Dumper] = {}

    def get(self, obj: Any, target: int) -> Dumper | None:
        """The dumper writing ``obj`` as type ``target`` in binary; None if there is none."""
        cls = type(obj)
        if target in JSON_TARGETS:
            # A str is the document itself (as a query parameter would be);
            # any other value goes as the JSON document it makes (a list is a
            # JSON array there, not a PostgreSQL array).
            return self._json_text(target) if cls is str else self._json(target)
        if cls in self._own:
            own = self._own[cls]
        else:
            dcls = self.context.registry.get_dumper(cls, Format.BINARY)
            own = self._own[cls] = None if dcls is None else dcls(cls, self.context)
        if own is not None:
            probe = obj
            if isinstance(obj, Range):
                typed = TYPED_RANGES.get(target)
                if typed is not None and type(obj) is not typed:
                    # A range goes as the target range type whatever its bounds
                    # (unbounded or empty ones tell no type of their own).
                    probe = typed(obj.lower, obj.upper, obj.bounds or "[)", empty=obj.isempty)
            elif isinstance(obj, Multirange):
                typed_mr = TYPED_MULTIRANGES.get(target)
                if typed_mr is not None and type(obj) is not typed_mr:
                    probe = typed_mr(obj)
            d = own.upgrade(probe, Format.BINARY)
            if d.format == Format.BINARY and (
                d.oid == target or d.oid in _SAME_BINARY.get(target, ())
            ):
                return d
        spec = _FIXED.get(target)
        if spec is None or isinstance(obj, bool) or not isinstance(obj, spec[1]):
            return None
        dcls, _classes, lo, hi = spec
        # numpy's integers compare with Python's exactly once made ints.
        number = operator.index(obj) if isinstance(obj, Integral) else float(cast(Real, obj))
        if not lo <= number <= hi:
            return None
        fixed = self._fixed.get(target)
        if fixed is None:
            fixed = self._fixed[target] = dcls(cls, self.context)
        return fixed

    def _json_text(self, target: int) -> Dumper:
        """Writes a str that is a JSON document as the json or jsonb binary format."""
        key = -target  # cached beside the typed dumpers, under a key of its own
        dumper = self._fixed.get(key)
        if dumper is None:
            dumper = self._fixed[key] = _JsonDocument(str, self.context, target)
        return dumper

    def _json(self, target: int) -> Dumper:
        """The registered dumper of the json type ``target`` (set_json_dumps() honoured)."""
        dumper = self._fixed.get(target)
        if dumper is None:
            dcls = self.context.registry.get_dumper_by_oid(target, Format.BINARY)
            dumper = self._fixed[target] = dcls(object, self.context)
        return dumper


class _JsonDocument(Dumper):
    """A str holding a JSON document, as json binary (its text) or jsonb (a version byte first)."""

    format = Format.BINARY

    def __init__(self, cls: type, context: AdaptContext, oid: int) -> None:
        super().__init__(cls, context)
        self.oid = oid
        self._head = b"\x01" if oid == oids.JSONB_OID else b""
        self._encoding = context.write_encoding

    def dump(self, obj: Any) -> bytes:
        """The document's text in the client encoding."""
        return self._head + obj.encode(self._encoding)
