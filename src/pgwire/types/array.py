"""Arrays <-> lists (nested for several dimensions, NULL as None).

Loaders work for any array type declared with
:meth:`TypesRegistry.register_array`: each element goes through the loader
registered for the element type. Explicit bounds (``[2:3]={1,2}``) are
ignored: the result is a plain list. Lists are dumped as the array of the
type their non-None elements dump to; ints share the widest size needed.
"""

from __future__ import annotations

import re
import struct
from collections.abc import Callable
from functools import lru_cache
from typing import Any

from ..errors import DataError, ProgrammingError
from . import oids
from .adapt import (
    AdaptContext,
    ChoosingDumper,
    Dumper,
    Format,
    Loader,
    TypesRegistry,
    _never_upgrades,
    _UnknownBinaryLoader,
    _UnknownTextLoader,
    type_name,
    upgrade_auto,
)
from .numeric import (
    Float4BinaryLoader,
    Float8BinaryLoader,
    Int2BinaryLoader,
    Int4BinaryLoader,
    Int8BinaryLoader,
    OidBinaryLoader,
    float4_shortest,
)

__all__ = [
    "ArrayBinaryLoader",
    "ArrayLoader",
    "ListBinaryDumper",
    "ListDumper",
    "dump_binary_array",
]

_head = struct.Struct("!iiI")
_unpack_head = _head.unpack_from
_pack_head = _head.pack
_len = struct.Struct("!i")
_unpack_len = _len.unpack_from
_pack_len = _len.pack
_pack_dim = struct.Struct("!ii").pack
_NULL_LEN = _pack_len(-1)

# -- loaders ---------------------------------------------------------------------------

# Anything that needs the full parser: quotes, nesting, escapes.
_NOT_SIMPLE = re.compile(rb'[{"\\]')
_UNESCAPE = re.compile(rb"\\(.)", re.DOTALL)


@lru_cache(maxsize=16)
def _tokenizer(delim: bytes) -> re.Pattern[bytes]:
    d = re.escape(delim)
    return re.compile(
        rb'[{}]|"[^"\\]*(?:\\.[^"\\]*)*"|' + d + rb"|(?:[^{}\"\\" + d + rb"]|\\.)+",
        re.DOTALL,
    )


@lru_cache(maxsize=16)
def _elements(delim: bytes) -> re.Pattern[bytes]:
    d = re.escape(delim)
    # The quoted branch is unrolled ("[^"\\]*" runs in one go): about twice
    # as fast as an alternation per character.
    return re.compile(rb'"([^"\\]*(?:\\.[^"\\]*)*)"|([^"' + d + rb"]+)", re.DOTALL)


class ArrayLoader(Loader):
    """Any array in text: ``{1,2}``, ``{{1,2},{3,NULL}}``, ``{"a\\"b",NULL}``."""

    format = Format.TEXT

    def __init__(self, oid: int, context: AdaptContext) -> None:
        super().__init__(oid, context)
        reg = self.context.registry
        elem = reg.array_element(oid) or 0
        self._delim = reg.array_delimiter(oid)
        lcls = reg.get_loader(elem, Format.TEXT) or _UnknownTextLoader
        self._load_elem = lcls(elem, self.context).load
        self._tokens = _tokenizer(self._delim)
        self._elements = _elements(self._delim)

    def load(self, data: bytes) -> list[Any]:
        """Parse the array literal into a (nested) list."""
        if data[:1] == b"[":
            # Explicit bounds "[2:3]={...}": the list starts at index 0 anyway.
            eq = data.find(b"=")
            if eq < 0:
                raise DataError(f"malformed array literal: {data[:60]!r}")
            data = data[eq + 1 :]
        if data[:1] != b"{" or data[-1:] != b"}":
            raise DataError(f"malformed array literal: {data[:60]!r}")
        inner = data[1:-1]
        if not inner:
            return []
        load = self._load_elem
        if _NOT_SIMPLE.search(inner) is None:
            return [None if x == b"NULL" else load(x) for x in inner.split(self._delim)]
        if data[1:2] == b"{":
            return self._load_general(data)
        # One dimension with quoted elements: one findall, then per element
        # group 1 is a quoted value, group 2 an unquoted one.
        unescape = _UNESCAPE.sub
        out: list[Any] = []
        append = out.append
        for q, u in self._elements.findall(inner):
            if u:
                if u == b"NULL":
                    append(None)
                else:
                    append(load(unescape(rb"\1", u) if b"\\" in u else u))
            else:
                append(load(unescape(rb"\1", q) if b"\\" in q else q))
        return out

    def _load_general(self, data: bytes) -> list[Any]:
        load = self._load_elem
        delim = self._delim
        stack: list[list[Any]] = []
        cur: list[Any] | None = None
        root: list[Any] | None = None
        for m in self._tokens.finditer(data):
            t = m.group()
            if t == b"{":
                new: list[Any] = []
                if cur is None:
                    root = new
                else:
                    cur.append(new)
                    stack.append(cur)
                cur = new
            elif t == b"}":
                cur = stack.pop() if stack else None
            elif t == delim:
                continue
            elif cur is None:
                raise DataError(f"malformed array literal: {data[:60]!r}")
            elif t[:1] == b'"':
                t = t[1:-1]
                if b"\\" in t:
                    t = _UNESCAPE.sub(rb"\1", t)
                cur.append(load(t))
            elif t == b"NULL":
                cur.append(None)
            else:
                if b"\\" in t:
                    t = _UNESCAPE.sub(rb"\1", t)
                cur.append(load(t))
        if root is None:
            raise DataError(f"malformed array literal: {data[:60]!r}")
        return root


# Fixed-width binary elements: with no NULLs the body is (length, value) pairs
# that struct.iter_unpack reads in one C call.
_FIXED: dict[type[Loader], struct.Struct] = {
    Int2BinaryLoader: struct.Struct("!ih"),
    Int4BinaryLoader: struct.Struct("!ii"),
    Int8BinaryLoader: struct.Struct("!iq"),
    OidBinaryLoader: struct.Struct("!iI"),
    Float8BinaryLoader: struct.Struct("!id"),
    Float4BinaryLoader: struct.Struct("!if"),
}


def _reshape(flat: list[Any], dims: tuple[int, ...]) -> list[Any]:
    for dim in reversed(dims[1:]):
        flat = [flat[i : i + dim] for i in range(0, len(flat), dim)]
    return flat


class ArrayBinaryLoader(Loader):
    """Any array in binary (element type read from the data)."""

    format = Format.BINARY

    def __init__(self, oid: int, context: AdaptContext) -> None:
        super().__init__(oid, context)
        self._loaders: dict[int, Loader] = {}

    def _elem_loader(self, elem: int) -> Loader:
        loader = self._loaders.get(elem)
        if loader is None:
            lcls = self.context.registry.get_loader(elem, Format.BINARY) or _UnknownBinaryLoader
            loader = self._loaders[elem] = lcls(elem, self.context)
        return loader

    def load(self, data: bytes) -> list[Any]:
        """Decode header, dimensions and elements."""
        ndim, flags, elem = _unpack_head(data)
        if ndim == 0:
            return []
        if not 0 < ndim <= (len(data) - 12) // 8:
            raise DataError(f"malformed binary array: {ndim} dimensions in {len(data)} bytes")
        dims = struct.unpack_from("!" + "ii" * ndim, data, 12)[0::2]
        pos = 12 + 8 * ndim
        total = 1
        for d in dims:
            total *= d
        # Each element takes at least its 4-byte length: a bigger claim is a lie.
        if min(dims) < 0 or total * 4 > len(data) - pos:
            raise DataError(
                f"malformed binary array: {total} elements claimed in {len(data)} bytes"
            )
        loader = self._elem_loader(elem)
        fixed = _FIXED.get(type(loader)) if not flags else None
        if fixed is not None:
            out = [v for _, v in fixed.iter_unpack(data[pos:])]
            if len(out) != total:
                raise DataError(f"malformed binary array: {len(out)} elements, not {total}")
            if type(loader) is Float4BinaryLoader:
                out = [float4_shortest(v) for v in out]
        else:
            load = loader.load
            out = []
            append = out.append
            for _ in range(total):
                n = _unpack_len(data, pos)[0]
                pos += 4
                if n < 0:
                    append(None)
                else:
                    append(load(data[pos : pos + n]))
                    pos += n
        return _reshape(out, dims) if ndim > 1 else out


# -- dumpers ---------------------------------------------------------------------------

_RAGGED_DEPTH = "nested lists have inconsistent depths: an array needs the same depth throughout"
_RAGGED_LENGTH = "nested lists have inconsistent lengths: an array needs the same length per level"


def _shape(obj: list[Any]) -> tuple[list[int], list[Any]]:
    """Return the dimensions and the flat leaves (None included) of a nested list."""
    dims = []
    x: Any = obj
    while isinstance(x, list):
        dims.append(len(x))
        if not x:
            break
        x = x[0]
    ndim = len(dims)
    if ndim == 1:
        for v in obj:
            if isinstance(v, list):
                raise DataError(_RAGGED_DEPTH)
        return dims, obj
    leaves: list[Any] = []

    def walk(level: list[Any], depth: int) -> None:
        if depth == ndim - 1:
            for v in level:
                if isinstance(v, list):
                    raise DataError(_RAGGED_DEPTH)
            leaves.extend(level)
            return
        size = dims[depth + 1]
        for v in level:
            if not isinstance(v, list):
                raise DataError(_RAGGED_DEPTH)
            if len(v) != size:
                raise DataError(_RAGGED_LENGTH)
            walk(v, depth + 1)

    walk(obj, 0)
    return dims, leaves


_NEEDS_QUOTES = re.compile(rb'[{},"\\\s]|^$|^[Nn][Uu][Ll][Ll]$')


class _TextArrayDumper(Dumper):
    """A list as a text array literal with one element dumper for every element."""

    format = Format.TEXT

    def __init__(self, cls: type, context: AdaptContext, elem: Dumper | None, oid: int):
        super().__init__(cls, context)
        self.elem = elem
        self.oid = oid
        # The array type's own separator: ';' for box, ',' for the others.
        self._delim = self.context.registry.array_delimiter(oid) if oid else b","

    def dump(self, obj: Any) -> bytes:
        """Write ``{...}`` with quoting and NULLs."""
        return self._dump_list(obj)

    def _dump_list(self, obj: list[Any]) -> bytes:
        parts = []
        for x in obj:
            if x is None:
                parts.append(b"NULL")
            elif isinstance(x, list):
                parts.append(self._dump_list(x))
            else:
                if self.elem is None:
                    raise DataError(_RAGGED_DEPTH)
                b = self.elem.dump(x)
                if b is None:  # the element's dumper writes NULL
                    parts.append(b"NULL")
                    continue
                if _NEEDS_QUOTES.search(b) or self._delim in b:
                    b = b'"' + b.replace(b"\\", b"\\\\").replace(b'"', b'\\"') + b'"'
                parts.append(b)
        return b"{" + self._delim.join(parts) + b"}"


class _EmptyArrayDumper(Dumper):
    """An empty list (at any depth: [[], []] too) as ``{}`` of unknown type."""

    format = Format.TEXT
    oid = 0

    def dump(self, obj: Any) -> bytes:
        """Write ``{}``."""
        return b"{}"


class _BinaryArrayDumper(Dumper):
    """A list as a binary array with one element dumper for every element."""

    format = Format.BINARY

    def __init__(self, cls: type, context: AdaptContext, elem: Dumper, oid: int):
        super().__init__(cls, context)
        self.elem = elem
        self.oid = oid

    def dump(self, obj: Any) -> bytes:
        """Write header, dimensions (lower bound 1) and length-prefixed elements."""
        return dump_binary_array(obj, self.elem.oid, self.elem.dump)


def dump_binary_array(obj: list[Any], elem_oid: int, dump: Callable[[Any], bytes]) -> bytes:
    """A (nested) list in the binary array format: header, dimensions, elements.

    Each non-None element is written by `dump` as type `elem_oid`; the
    dimensions have lower bound 1. Lists of uneven depth or length raise
    DataError.
    """
    dims, leaves = _shape(obj)
    parts = [b""]
    has_null = 0
    for x in leaves:
        if x is None:
            parts.append(_NULL_LEN)
            has_null = 1
        else:
            b = dump(x)
            if b is None:  # the element's dumper writes NULL
                parts.append(_NULL_LEN)
                has_null = 1
                continue
            parts.append(_pack_len(len(b)))
            parts.append(b)
    parts[0] = _pack_head(len(dims), has_null, elem_oid) + b"".join(_pack_dim(d, 1) for d in dims)
    return b"".join(parts)


class _ListChooser(ChoosingDumper):
    """Looks at a list's elements and returns the array dumper for them."""

    def __init__(self, cls: type, context: AdaptContext) -> None:
        super().__init__(cls, context)
        self._elem_dumpers: dict[tuple[type, int], Dumper] = {}
        self._array_dumpers: dict[tuple[Dumper, int], Dumper] = {}
        self._nulls = _TextArrayDumper(cls, context, None, 0)
        self._empty = _EmptyArrayDumper(cls, context)

    def _elem_dumper(self, cls: type, fmt: Format | None) -> Dumper:
        key = (cls, -1 if fmt is None else int(fmt))
        d = self._elem_dumpers.get(key)
        if d is None:
            reg = self.context.registry
            dcls = reg.get_dumper(cls, fmt)
            if dcls is None and fmt is not None:
                dcls = reg.get_dumper(cls, None)
            if dcls is None:
                raise ProgrammingError(
                    f"cannot adapt type {type_name(cls)!r} in a list: no dumper registered for it"
                )
            d = self._elem_dumpers[key] = dcls(cls, self.context)
        return d

    def _upgraded(self, x: Any, fmt: Format | None) -> Dumper:
        d = self._elem_dumper(type(x), fmt)
        return upgrade_auto(d, x) if fmt is None else d.upgrade(x, fmt)

    def _common(self, items: list[Any], fmt: Format | None) -> Dumper:
        first = items[0]
        cls = type(first)
        base = self._elem_dumper(cls, fmt)
        if all(type(x) is cls for x in items):
            if _never_upgrades(base):
                return base
            if getattr(base, "rank", None) is not None:
                # ints: one size for all, the widest the values need.
                lo = self._upgraded(min(items), fmt)
                hi = self._upgraded(max(items), fmt)
                return hi if getattr(hi, "rank", 0) >= getattr(lo, "rank", 0) else lo
        dumpers = [self._upgraded(x, fmt) for x in items]
        if all(getattr(d, "rank", None) is not None for d in dumpers):
            return max(dumpers, key=lambda d: getattr(d, "rank", 0))
        d0 = dumpers[0]
        for d in dumpers:
            if d.oid != d0.oid or d.format != d0.format:
                names = sorted({type(x).__name__ for x in items})
                raise DataError(
                    "cannot dump a list whose elements have different types"
                    f" ({', '.join(names)}) as one array"
                )
        return d0

    def _choose(self, obj: list[Any], fmt: Format | None) -> Dumper:
        _, leaves = _shape(obj)
        items = [x for x in leaves if x is not None]
        if not items:
            # Empty or all NULL: no element type to tell; the server infers it.
            return self._nulls if leaves else self._empty
        elem = self._common(items, fmt)
        reg = self.context.registry
        if elem.oid:
            aoid = reg.array_of(elem.oid)
        elif all(type(x) is str for x in items):
            # Strings alone go as "unknown" so the server can infer their type; a
            # list of them goes as text[], so that it comes back as a list.
            aoid = oids.TEXT_ARRAY_OID
        else:
            aoid = 0
        key = (elem, aoid)
        d = self._array_dumpers.get(key)
        if d is None:
            if elem.format == Format.BINARY:
                d = _BinaryArrayDumper(self.cls, self.context, elem, aoid)
            else:
                d = _TextArrayDumper(self.cls, self.context, elem, aoid)
            self._array_dumpers[key] = d
        return d


class ListDumper(_ListChooser):
    """list as a text array (element type from the elements)."""

    format = Format.TEXT


class ListBinaryDumper(_ListChooser):
    """list as a binary array (element type from the elements)."""

    format = Format.BINARY


def register_default_adapters(registry: TypesRegistry) -> None:
    """Declare every builtin array type on `registry` and register the list dumpers."""
    for _name, oid, array_oid, delim in oids.BUILTIN_TYPES:
        if array_oid:
            registry.register_array(array_oid, oid, delim)
    registry.register_dumper(list, ListDumper)
    registry.register_dumper(list, ListBinaryDumper)
