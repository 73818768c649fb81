"""Composite types (row types) <-> namedtuples, and anonymous records <-> tuples.

A value of type ``record`` (``SELECT (1, 'a')``) has no catalog entry telling
its fields' types: in text it loads as a tuple of str (``('1', 'a')``), in
binary each field carries its type OID and loads as that type. A Python
``tuple`` parameter is dumped as a record literal of unknown type, for the
server to type from context (an ``INSERT`` into a composite column, say).

A named composite type, once registered with :func:`register_composite`,
loads as a namedtuple named after it (or whatever the given factory builds
from the field values), each field through the loader of its type; objects
of the registered class are dumped as that type, in text or in binary.
"""

from __future__ import annotations

import keyword
import re
import struct
from collections import namedtuple
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, ClassVar

from .._log import logger
from ..errors import DataError, ProgrammingError
from . import oids
from .adapt import (
    AdaptContext,
    DecodingLoader,
    Dumper,
    Format,
    Loader,
    TypesRegistry,
    _UnknownBinaryLoader,
    _UnknownTextLoader,
    decode_error,
    registry_of,
    type_name,
)
from .binary import TargetDumpers

if TYPE_CHECKING:
    from .typeinfo import TypeInfo


__all__ = [
    "CompositeBinaryDumper",
    "CompositeBinaryLoader",
    "CompositeDumper",
    "CompositeLoader",
    "RecordBinaryLoader",
    "RecordLoader",
    "TupleDumper",
    "parse_record",
    "register_composite",
]

_len = struct.Struct("!i")
_unpack_len = _len.unpack_from
_pack_len = _len.pack
_oidlen = struct.Struct("!Ii")
_unpack_oidlen = _oidlen.unpack_from
_pack_oidlen = _oidlen.pack

# -- parsing ----------------------------------------------------------------------------------

# One field up to the comma that ends it (or the end): quoted runs (a doubled
# quote inside one reads as two runs here), escaped and plain characters. One
# character per step, so a malformed value fails without exponential backtracking.
_FIELD = re.compile(rb'((?:"(?:[^"\\]|\\.)*"|[^,"\\]|\\.)*)(,|\Z)', re.DOTALL)
_PART = re.compile(rb'"((?:[^"\\]|\\.|"")*)"|\\(.)|([^"\\]+)', re.DOTALL)
_QUOTED_ESCAPE = re.compile(rb'\\(.)|""', re.DOTALL)


def _unquote_escape(m: re.Match[bytes]) -> bytes:
    return m.group(1) if m.group(1) is not None else b'"'


def _unquote(raw: bytes) -> bytes:
    out = []
    for m in _PART.finditer(raw):
        quoted, escaped, plain = m.groups()
        if quoted is not None:
            out.append(_QUOTED_ESCAPE.sub(_unquote_escape, quoted))
        elif escaped is not None:
            out.append(escaped)
        else:
            out.append(plain)
    return b"".join(out)


def parse_record(data: bytes) -> list[bytes | None]:
    """Split the text form of a record, ``(1,"a b",,"")``, into its fields (None = NULL).

    ``()`` gives no field at all: the text form of a record of one NULL is the
    same, and only the record's type can tell the two apart.
    """
    if data[:1] != b"(" or data[-1:] != b")":
        raise DataError(f"malformed record literal: {data[:60]!r}")
    inner = data[1:-1]
    if not inner:
        return []
    if b'"' not in inner and b"\\" not in inner:
        return [x or None for x in inner.split(b",")]
    out: list[bytes | None] = []
    pos = 0
    end = len(inner)
    while True:
        m = _FIELD.match(inner, pos)
        if m is None:  # pragma: no cover - the pattern matches at any position
            raise DataError(f"malformed record literal: {data[:60]!r}")
        raw, sep = m.groups()
        if not raw:
            out.append(None)
        elif b'"' in raw or b"\\" in raw:
            out.append(_unquote(raw))
        else:
            out.append(raw)
        pos = m.end()
        if not sep:
            if pos != end:
                raise DataError(f"malformed record literal: {data[:60]!r}")
            return out


# -- loaders ----------------------------------------------------------------------------------


class RecordLoader(Loader):
    """Anonymous records in text: a tuple of str (the field types are not known).

    Under SQL_ASCII the fields stay bytes, as text values do.
    """

    format = Format.TEXT

    def __init__(self, oid: int, context: AdaptContext) -> None:
        super().__init__(oid, context)
        self._encoding = self.context.encoding
        self._sql_ascii = self.context.sql_ascii
        # The fields are text: a loader registered for text in this context
        # loads them, as psycopg does (the builtin one is decoding, inlined).
        lcls = self.context.registry.get_loader(oids.TEXT_OID, Format.TEXT)
        self._field: Callable[[bytes], Any] | None = None
        if lcls is not None and getattr(lcls, "load", None) is not DecodingLoader.load:
            self._field = lcls(oids.TEXT_OID, self.context).load

    def load(self, data: bytes) -> tuple[Any, ...]:
        """Parse the fields and load them as text."""
        fields = parse_record(data)
        field = self._field
        if field is not None:
            return tuple(None if v is None else field(v) for v in fields)
        if self._sql_ascii:
            return tuple(fields)
        enc = self._encoding
        try:
            return tuple(None if v is None else v.decode(enc) for v in fields)
        except UnicodeDecodeError as ex:
            raise decode_error(ex) from None


class RecordBinaryLoader(Loader):
    """Anonymous records in binary: each field loads as the type written next to it."""

    format = Format.BINARY

    def __init__(self, oid: int, context: AdaptContext) -> None:
        super().__init__(oid, context)
        self._loaders: dict[int, Callable[[bytes], Any]] = {}

    def _loader(self, oid: int) -> Callable[[bytes], Any]:
        fn = self._loaders.get(oid)
        if fn is None:
            lcls = self.context.registry.get_loader(oid, Format.BINARY) or _UnknownBinaryLoader
            fn = self._loaders[oid] = lcls(oid, self.context).load
        return fn

    def load(self, data: bytes) -> tuple[Any, ...]:
        """Decode the fields."""
        n = _unpack_len(data)[0]
        pos = 4
        out: list[Any] = []
        for _ in range(n):
            oid, size = _unpack_oidlen(data, pos)
            pos += 8
            if size < 0:
                out.append(None)
            else:
                out.append(self._loader(oid)(data[pos : pos + size]))
                pos += size
        return tuple(out)


def _field_loaders(
    info: TypeInfo, context: AdaptContext, fmt: Format
) -> list[Callable[[bytes], Any]]:
    unknown = _UnknownTextLoader if fmt == Format.TEXT else _UnknownBinaryLoader
    reg = context.registry
    return [
        (reg.get_loader(oid, fmt) or unknown)(oid, context).load for oid in info.field_base_types
    ]


def _wrong_count(info: TypeInfo, got: int) -> DataError:
    return DataError(
        f"composite {info.regtype!r} has {len(info.field_base_types)} fields, got {got}:"
        " has the type changed since its TypeInfo was fetched?"
    )


class CompositeLoader(Loader):
    """A registered composite type in text (subclassed per type by :func:`register_composite`)."""

    format = Format.TEXT
    #: The type loaded (set on the subclass).
    info: ClassVar[TypeInfo]
    #: Called with the field values, in order.
    factory: ClassVar[Callable[..., Any]]

    def __init__(self, oid: int, context: AdaptContext) -> None:
        super().__init__(oid, context)
        self._loaders = _field_loaders(self.info, self.context, Format.TEXT)

    def load(self, data: bytes) -> Any:
        """Parse the fields and load each as its type."""
        fields = parse_record(data)
        loaders = self._loaders
        if len(fields) != len(loaders):
            if not fields and len(loaders) == 1:
                fields = [None]  # "()": the one field is NULL
            else:
                raise _wrong_count(self.info, len(fields))
        return type(self).factory(
            *[None if v is None else f(v) for f, v in zip(loaders, fields, strict=True)]
        )


class CompositeBinaryLoader(Loader):
    """A registered composite type in binary (subclassed per type by :func:`register_composite`)."""

    format = Format.BINARY
    #: The type loaded (set on the subclass).
    info: ClassVar[TypeInfo]
    #: Called with the field values, in order.
    factory: ClassVar[Callable[..., Any]]

    def __init__(self, oid: int, context: AdaptContext) -> None:
        super().__init__(oid, context)
        self._loaders = _field_loaders(self.info, self.context, Format.BINARY)

    def load(self, data: bytes) -> Any:
        """Decode the fields and load each as its type."""
        n = _unpack_len(data)[0]
        loaders = self._loaders
        if n != len(loaders):
            raise _wrong_count(self.info, n)
        pos = 4
        values: list[Any] = []
        for f in loaders:
            size = _unpack_oidlen(data, pos)[1]
            pos += 8
            if size < 0:
                values.append(None)
            else:
                values.append(f(data[pos : pos + size]))
                pos += size
        return type(self).factory(*values)


# -- dumpers ----------------------------------------------------------------------------------

_NEEDS_QUOTES = re.compile(rb'[",\\()\s]')
_ESCAPE = re.compile(rb'(["\\])')


class _FieldsTextDumper(Dumper):
    """Writes a sequence of values as a record literal, each in its text form."""

    format = Format.TEXT

    def __init__(self, cls: type, context: AdaptContext) -> None:
        super().__init__(cls, context)
        self._dumpers: dict[type, Dumper] = {}

    def _field_dumper(self, obj: Any) -> Dumper:
        cls = type(obj)
        d = self._dumpers.get(cls)
        if d is None:
            reg = self.context.registry
            dcls = reg.get_dumper(cls, Format.TEXT) or reg.get_dumper(cls, None)
            if dcls is None:
                raise ProgrammingError(
                    f"cannot adapt type {type_name(cls)!r} in a composite:"
                    " no dumper registered for it"
                )
            d = self._dumpers[cls] = dcls(cls, self.context)
        d = d.upgrade(obj, Format.TEXT)
        if d.format != Format.TEXT:
            raise ProgrammingError(
                f"cannot adapt type {type_name(cls)!r} in a composite: no text dumper for it"
            )
        return d

    def _dump_fields(self, values: Sequence[Any]) -> bytes:
        parts = []
        for v in values:
            if v is None:
                parts.append(b"")
                continue
            b = self._field_dumper(v).dump(v)
            if b is None:  # the field's dumper writes NULL
                parts.append(b"")
                continue
            if not b or _NEEDS_QUOTES.search(b):
                b = b'"' + _ESCAPE.sub(rb"\1\1", b) + b'"'
            parts.append(b)
        return b"(" + b",".join(parts) + b")"


class TupleDumper(_FieldsTextDumper):
    """tuple as a record literal of unknown type: the server types it from context."""

    oid = 0

    def dump(self, obj: Any) -> bytes:
        """Write ``(field,...)`` with each field in its text form."""
        return self._dump_fields(obj)


def _as_identifier(name: str) -> str:
    s = re.sub(r"\W", "_", name)
    if not s or s[0].isdigit():
        s = "f" + s
    if keyword.iskeyword(s):
        s += "_"
    return s


def _values_of(obj: Any, info: TypeInfo, attrs: Sequence[str]) -> Sequence[Any]:
    make_sequence = info.make_sequence
    if make_sequence is not None:
        values: Sequence[Any] = make_sequence(obj, info)
    elif isinstance(obj, Sequence) and not isinstance(obj, (str, bytes)):
        values = obj
    else:
        # As psycopg: an object that is not a sequence says nothing of its
        # field order; register_composite(make_sequence=...) says it.
        raise TypeError(
            f"{type(obj).__name__!r} objects cannot be dumped without"
            " specifying 'make_sequence' in 'register_composite()'"
        )
    if len(values) != len(info.field_types):
        raise DataError(
            f"composite {info.regtype!r} has {len(info.field_types)} fields,"
            f" got {len(values)} values"
        )
    return values


class CompositeDumper(_FieldsTextDumper):
    """Objects of a registered class as a composite in text (subclassed per type).

    Sequences dump their items in order; other objects what the type's
    ``make_sequence`` gives.
    """

    #: The type dumped to (set on the subclass).
    info: ClassVar[TypeInfo]

    def __init__(self, cls: type, context: AdaptContext) -> None:
        super().__init__(cls, context)
        self.oid = self.info.oid
        self._attrs = [_as_identifier(n) for n in self.info.field_names]

    def dump(self, obj: Any) -> bytes:
        """Write ``(field,...)``."""
        return self._dump_fields(_values_of(obj, self.info, self._attrs))


class CompositeBinaryDumper(Dumper):
    """Objects of a registered class as a composite in binary (subclassed per type).

    Binary needs every field in the exact binary form of its type: when a
    field's value has no such dumper (a float for a numeric field, say) the
    object is dumped in text instead.
    """

    format = Format.BINARY
    #: The type dumped to (set on the subclass).
    info: ClassVar[TypeInfo]
    #: The text dumper to fall back to (set on the subclass).
    text_dumper: ClassVar[type[CompositeDumper]]

    def __init__(self, cls: type, context: AdaptContext) -> None:
        super().__init__(cls, context)
        self.oid = self.info.oid
        self._attrs = [_as_identifier(n) for n in self.info.field_names]
        self._text = self.text_dumper(cls, context)
        self._targets = TargetDumpers(self.context)

    def _field_dumper(self, obj: Any, target: int) -> Dumper | None:
        return self._targets.get(obj, target)

    def _dumpers_for(self, values: Sequence[Any]) -> list[Dumper | None] | None:
        out: list[Dumper | None] = []
        for v, target in zip(values, self.info.field_base_types, strict=True):
            if v is None:
                out.append(None)
                continue
            d = self._field_dumper(v, target)
            if d is None:
                return None
            out.append(d)
        return out

    def upgrade(self, obj: Any, format: Format) -> Dumper:
        """Self when every field can go in binary, else the text dumper."""
        if format == Format.TEXT:
            return self._text
        values = _values_of(obj, self.info, self._attrs)
        return self if self._dumpers_for(values) is not None else self._text

    def dump(self, obj: Any) -> bytes:
        """Write the field count, then each field's type OID, length and bytes."""
        values = _values_of(obj, self.info, self._attrs)
        dumpers = self._dumpers_for(values)
        if dumpers is None:
            raise DataError(
                f"cannot dump {type_name(type(obj))!r} as {self.info.regtype!r} in binary:"
                " a field value has no binary form of its field's type"
            )
        parts = [_pack_len(len(values))]
        for v, d, oid in zip(values, dumpers, self.info.field_types, strict=True):
            b = None if v is None or d is None else d.dump(v)
            if b is None:  # no value, or a dumper that writes NULL
                parts.append(_pack_oidlen(oid, -1))
            else:
                parts.append(_pack_oidlen(oid, len(b)))
                parts.append(b)
        return b"".join(parts)


# -- registration -----------------------------------------------------------------------------


def _make_namedtuple(info: TypeInfo) -> type:
    names: list[str] = []
    for n in info.field_names:
        ident = _as_identifier(n)
        while ident in names:
            ident += "_"
        names.append(ident)
    return namedtuple(_as_identifier(info.name), names, rename=True)  # type: ignore[misc]


def register_composite(
    info: TypeInfo,
    context: Any = None,
    factory: Callable[..., Any] | None = None,
    *,
    make_object: Callable[[Sequence[Any], TypeInfo], Any] | None = None,
    make_sequence: Callable[[Any, TypeInfo], Sequence[Any]] | None = None,
) -> None:
    """Load the composite type described by `info` (and arrays of it) as Python objects.

    Values load as ``factory(*field_values)``, or ``make_object(field_values,
    info)`` when given (for a class taking keywords, say); with neither, as
    a namedtuple class named after the type, whose field names are the
    composite's (made valid identifiers). When `factory` is a class (the
    namedtuple included), its instances are dumped as this type, in text or in
    binary: their values are ``make_sequence(obj, info)`` when given, else a
    sequence's items in order (a class that is not a sequence is warned
    about on the ``pgwire`` logger, and dumping one of its objects raises
    TypeError). The class used is kept as ``info.python_type``; a factory
    that is not a class gets no dumper (``info.python_type`` stays None).
    `context` is a connection, a cursor, an AdaptContext or a TypesRegistry
    (None: every connection).

    Register the types of the fields first when they are custom types too.
    """
    if info is None:
        raise TypeError("no type info given: was the composite type found?")
    if info.typtype != "c":
        raise TypeError(f"{info.name!r} is not a composite type")
    if make_sequence is not None and factory is not None and not isinstance(factory, type):
        raise TypeError(
            f"the factory {getattr(factory, '__name__', factory)!r} is not a type:"
            " you cannot create a dumper by specifying `make_sequence`."
        )
    reg = registry_of(context)
    reg.add_type(info)
    if factory is None:
        factory = _make_namedtuple(info)
    # Only a class gets dumpers, and is what values of the type are (psycopg).
    info.python_type = factory if isinstance(factory, type) else None
    info.make_sequence = make_sequence
    if isinstance(factory, type) and make_sequence is None and not issubclass(factory, Sequence):
        logger().warning(
            "the type %r is not a sequence: dumping these objects to the"
            " database will fail. Please specify a `make_sequence`"
            " argument in the `register_composite()` call",
            factory.__name__,
        )
    name = _as_identifier(info.name)
    build: Callable[..., Any] = factory
    if make_object is not None:

        def build(*values: Any) -> Any:
            return make_object(values, info)

    attrs = {"info": info, "factory": staticmethod(build)}
    text_loader = type(f"{name}_Loader", (CompositeLoader,), dict(attrs))
    binary_loader = type(f"{name}_BinaryLoader", (CompositeBinaryLoader,), dict(attrs))
    # Text preferred: same cost, and what the server's casts from text expect.
    reg.register_loader(info.oid, binary_loader)
    reg.register_loader(info.oid, text_loader)
    if info.array_oid:
        reg.register_array(info.array_oid, info.oid, info.delimiter)
    if isinstance(factory, type):
        text_dumper = type(f"{name}_Dumper", (CompositeDumper,), {"info": info})
        binary_dumper = type(
            f"{name}_BinaryDumper",
            (CompositeBinaryDumper,),
            {"info": info, "text_dumper": text_dumper},
        )
        reg.register_dumper(factory, binary_dumper)
        reg.register_dumper(factory, text_dumper)


def register_default_adapters(registry: TypesRegistry) -> None:
    """Register the anonymous record loaders and the tuple dumper on `registry`."""
    registry.register_loader(oids.RECORD_OID, RecordBinaryLoader)
    registry.register_loader(oids.RECORD_OID, RecordLoader)
    registry.register_dumper(tuple, TupleDumper)
