"""json and jsonb <-> Python objects.

Results are parsed with :func:`json.loads` by default (the :mod:`json`
module is imported by the first loader or dumper used, not by ``import
pgwire``). Parameters: a ``dict``
is sent as jsonb directly; any other JSON-able object is wrapped in
:class:`Json` or :class:`Jsonb` to say it is JSON. The functions used can be
changed globally or per connection/cursor with :func:`set_json_dumps` and
:func:`set_json_loads`, or per value with the wrappers' `dumps` argument.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from types import ModuleType
from typing import Any, ClassVar

from ..accel.decode_plans import decoded_in_c
from ..errors import DataError
from . import oids
from .adapt import (
    _UTF8_NAMES,
    AdaptContext,
    Dumper,
    Format,
    Loader,
    TypesRegistry,
    _in_utf8,
    decode_error,
)

__all__ = [
    "DictBinaryDumper",
    "DictDumper",
    "Json",
    "JsonBinaryDumper",
    "JsonBinaryLoader",
    "JsonDumper",
    "JsonLoader",
    "Jsonb",
    "JsonbBinaryDumper",
    "JsonbBinaryLoader",
    "JsonbDumper",
    "JsonbLoader",
    "set_json_dumps",
    "set_json_loads",
]

JsonDumpsFunction = Callable[[Any], "str | bytes"]
JsonLoadsFunction = Callable[["str | bytes"], Any]


@cache
def _json_module() -> ModuleType:
    import json

    return json


@cache
def _default_decoder() -> Any:
    """The decoder :func:`json.loads` uses when given no options."""
    return _json_module().JSONDecoder()


def _json_loads(data: str | bytes) -> Any:
    """:func:`json.loads`, the default parser."""
    return _json_module().loads(data)


def _json_dumps(obj: Any) -> str:
    """:func:`json.dumps`, the default serialiser."""
    return _json_module().dumps(obj)  # type: ignore[no-any-return]


class _JsonWrapper:
    __slots__ = ("dumps", "obj")

    def __init__(self, obj: Any, dumps: JsonDumpsFunction | None = None) -> None:
        self.obj = obj
        self.dumps = dumps

    def __repr__(self) -> str:
        sobj = repr(self.obj)
        if len(sobj) > 40:
            sobj = sobj[:35] + " ... (" + str(len(sobj)) + " chars)"
        return f"{type(self).__name__}({sobj})"

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and other.obj == self.obj  # type: ignore[attr-defined]

    __hash__ = None  # type: ignore[assignment]


class Json(_JsonWrapper):
    """Send `obj` as a ``json`` parameter, serialised with `dumps` if given."""

    __slots__ = ()


class Jsonb(_JsonWrapper):
    """Send `obj` as a ``jsonb`` parameter, serialised with `dumps` if given."""

    __slots__ = ()


# -- loaders --------------------------------------------------------------------------


class _BaseJsonLoader(Loader):
    #: The function parsing the document; replaced by set_json_loads().
    loads: ClassVar[staticmethod[[str | bytes], Any]] = staticmethod(_json_loads)

    def __init__(self, oid: int, context: AdaptContext) -> None:
        super().__init__(oid, context)
        # Under SQL_ASCII the document is read as UTF-8, as json.loads() reads
        # bytes (psycopg hands it the bytes).
        enc = "utf-8" if self.context.sql_ascii else self.context.encoding
        self._encoding = enc
        # A custom function gets the bytes as they came when they are UTF-8
        # (fast parsers take bytes), str otherwise.
        self._pass_bytes = enc.lower() in _UTF8_NAMES
        # json.loads(s) with no options is the default decoder's decode(str):
        # calling that directly skips its argument handling.
        loads = self.loads
        default = loads is _json_loads or loads is _json_module().loads
        self._fast = _default_decoder().decode if default else None

    def _parse(self, data: bytes) -> Any:
        if self._pass_bytes and self._fast is None:
            return self.loads(data)
        try:
            s = data.decode(self._encoding)
        except UnicodeDecodeError as ex:
            raise decode_error(ex) from None
        if self._fast is not None:
            return self._fast(s)
        return self.loads(s)


def _default_scanner(loader: _BaseJsonLoader) -> Callable[[str, int], Any] | None:
    """What the compiled decoder parses a document with: the default parser's scanner.

    None (the loader is called) for another parser or text not in UTF-8.
    """
    if loader._fast is None or not _in_utf8(loader):
        return None
    return _default_decoder().scan_once  # type: ignore[no-any-return]


@decoded_in_c("JSON_TEXT", extra=_default_scanner)
class JsonLoader(_BaseJsonLoader):
    """json/jsonb in text."""

    format = Format.TEXT

    def load(self, data: bytes) -> Any:
        """Parse the document."""
        return self._parse(data)


@decoded_in_c("JSON_TEXT", extra=_default_scanner)
class JsonbLoader(JsonLoader):
    """jsonb in text."""


@decoded_in_c("JSON_TEXT", extra=_default_scanner)
class JsonBinaryLoader(JsonLoader):
    """json in binary: the same bytes as in text."""

    format = Format.BINARY


@decoded_in_c("JSONB_BIN", extra=_default_scanner)
class JsonbBinaryLoader(_BaseJsonLoader):
    """jsonb in binary: a version byte (1) then the text."""

    format = Format.BINARY

    def load(self, data: bytes) -> Any:
        """Check the version byte and parse the rest."""
        if data[:1] != b"\x01":
            raise DataError(f"unknown jsonb binary format version: {data[:1]!r}")
        return self._parse(data[1:])


# -- dumpers --------------------------------------------------------------------------


class _BaseJsonDumper(Dumper):
    #: The function serialising objects; replaced by set_json_dumps().
    dumps: ClassVar[staticmethod[[Any], str | bytes]] = staticmethod(_json_dumps)

    def __init__(self, cls: type, context: AdaptContext) -> None:
        super().__init__(cls, context)
        self._encoding = context.write_encoding

    def _serialise(self, obj: Any, dumps: JsonDumpsFunction | None = None) -> bytes:
        s = (dumps or self.dumps)(obj)
        if isinstance(s, str):
            if "\x00" in s:
                # json.dumps escapes NUL; a custom function might not.
                raise DataError("PostgreSQL json cannot contain NUL (0x00) characters")
            return s.encode(self._encoding)
        return bytes(s)

    def _value(self, obj: Any) -> bytes:
        if isinstance(obj, _JsonWrapper):
            return self._serialise(obj.obj, obj.dumps)
        return self._serialise(obj)


class JsonDumper(_BaseJsonDumper):
    """Json wrapper as json text."""

    format = Format.TEXT
    oid = oids.JSON_OID

    def dump(self, obj: Any) -> bytes:
        """Serialise the wrapped object."""
        return self._value(obj)


class JsonBinaryDumper(JsonDumper):
    """Json wrapper as json binary (the same bytes)."""

    format = Format.BINARY


class JsonbDumper(JsonDumper):
    """Jsonb wrapper as jsonb text."""

    oid = oids.JSONB_OID


class JsonbBinaryDumper(_BaseJsonDumper):
    """Jsonb wrapper as jsonb binary: version byte 1 then the text."""

    format = Format.BINARY
    oid = oids.JSONB_OID

    def dump(self, obj: Any) -> bytes:
        """Serialise the wrapped object after the version byte."""
        return b"\x01" + self._value(obj)


class DictDumper(JsonbDumper):
    """dict as jsonb text."""


class DictBinaryDumper(JsonbBinaryDumper):
    """dict as jsonb binary."""


# -- configuration --------------------------------------------------------------------

_LOADERS: tuple[tuple[int, type[_BaseJsonLoader]], ...] = (
    (oids.JSON_OID, JsonBinaryLoader),
    (oids.JSON_OID, JsonLoader),
    (oids.JSONB_OID, JsonbBinaryLoader),
    (oids.JSONB_OID, JsonbLoader),
)

_DUMPERS: tuple[tuple[type, type[_BaseJsonDumper]], ...] = (
    (Json, JsonBinaryDumper),
    (Json, JsonDumper),
    (Jsonb, JsonbBinaryDumper),
    (Jsonb, JsonbDumper),
    (dict, DictBinaryDumper),
    (dict, DictDumper),
)


def _registry_of(context: Any) -> TypesRegistry:
    """A registry, an AdaptContext, or an object with ``adapters`` (connection, cursor)."""
    if isinstance(context, TypesRegistry):
        return context
    if isinstance(context, AdaptContext):
        return context.registry
    reg = getattr(context, "adapters", None)
    if isinstance(reg, TypesRegistry):
        return reg
    reg = getattr(context, "registry", None)
    if isinstance(reg, TypesRegistry):
        return reg
    raise TypeError(f"not an adaptation context: {type(context).__name__}")


def set_json_dumps(dumps: JsonDumpsFunction, context: Any = None) -> None:
    """Serialise JSON parameters with `dumps` (returning str or bytes).

    `context` None changes the global default; otherwise only `context`
    (a connection or cursor with ``adapters``, an AdaptContext, or a
    TypesRegistry) is affected. A wrapper's own `dumps` still wins.
    """
    if context is None:
        _BaseJsonDumper.dumps = staticmethod(dumps)
        return
    reg = _registry_of(context)
    for cls, base in _DUMPERS:
        sub = type(base.__name__, (base,), {"dumps": staticmethod(dumps)})
        reg.register_dumper(cls, sub)


def set_json_loads(loads: JsonLoadsFunction, context: Any = None) -> None:
    """Parse json/jsonb results with `loads` (given str or bytes).

    `context` None changes the global default; otherwise only `context`
    (a connection or cursor with ``adapters``, an AdaptContext, or a
    TypesRegistry) is affected.
    """
    if context is None:
        _BaseJsonLoader.loads = staticmethod(loads)
        return
    reg = _registry_of(context)
    for oid, base in _LOADERS:
        sub = type(base.__name__, (base,), {"loads": staticmethod(loads)})
        reg.register_loader(oid, sub)


def register_default_adapters(registry: TypesRegistry) -> None:
    """Register the JSON adapters on `registry` (text preferred: same cost, simpler)."""
    for oid, loader in _LOADERS:
        registry.register_loader(oid, loader)
    for cls, dumper in _DUMPERS:
        registry.register_dumper(cls, dumper)
