"""The hstore extension's type <-> ``dict[str, str | None]``.

hstore has no fixed OID (it comes with ``CREATE EXTENSION hstore``): fetch its
:class:`~pgwire.types.TypeInfo` and call :func:`register_hstore`. From then
on, in that context, hstore values (and arrays of them) load as dicts and
dicts are dumped as hstore rather than as jsonb.
"""

from __future__ import annotations

import re
import struct
from typing import TYPE_CHECKING, Any, ClassVar

from ..errors import DataError
from .adapt import AdaptContext, Dumper, Format, Loader, decode_error, registry_of

if TYPE_CHECKING:
    from .typeinfo import TypeInfo

__all__ = [
    "HstoreBinaryDumper",
    "HstoreBinaryLoader",
    "HstoreDumper",
    "HstoreLoader",
    "register_hstore",
]

_len = struct.Struct("!i")
_unpack_len = _len.unpack_from
_pack_len = _len.pack

# One pair: "key"=>"value" or "key"=>NULL, then a comma before the next pair;
# spaces are allowed around the parts, as hstore's own input takes them.
_PAIR = re.compile(
    rb'\s*"((?:[^"\\]|\\.)*)"\s*=>\s*(?:"((?:[^"\\]|\\.)*)"|(NULL))\s*(,|\Z)', re.DOTALL
)
_UNESCAPE = re.compile(rb"\\(.)", re.DOTALL)
_ESCAPE = re.compile(r'(["\\])')


def _load_encoding(context: AdaptContext) -> str:
    # Under SQL_ASCII keys and values are read as UTF-8, as psycopg does.
    return "utf-8" if context.sql_ascii else context.encoding


class HstoreLoader(Loader):
    """hstore in text: ``"a"=>"1", "b"=>NULL``."""

    format = Format.TEXT

    def __init__(self, oid: int, context: AdaptContext) -> None:
        super().__init__(oid, context)
        self._encoding = _load_encoding(self.context)

    def load(self, data: bytes) -> dict[str, str | None]:
        """Parse the pairs."""
        try:
            return self._load(data)
        except UnicodeDecodeError as ex:
            raise decode_error(ex) from None

    def _load(self, data: bytes) -> dict[str, str | None]:
        enc = self._encoding
        out: dict[str, str | None] = {}
        pos = 0
        end = len(data)
        while pos < end:
            m = _PAIR.match(data, pos)
            if m is None or (not m.group(4) and m.end() != end):
                raise DataError(f"malformed hstore literal: {data[:60]!r}")
            key, value, null, _ = m.groups()
            if b"\\" in key:
                key = _UNESCAPE.sub(rb"\1", key)
            if null is not None:
                out[key.decode(enc)] = None
            else:
                if b"\\" in value:
                    value = _UNESCAPE.sub(rb"\1", value)
                out[key.decode(enc)] = value.decode(enc)
            pos = m.end()
            if m.group(4) and pos == end:
                raise DataError(f"malformed hstore literal: {data[:60]!r}")
        return out


class HstoreBinaryLoader(Loader):
    """hstore in binary: a count, then length-prefixed keys and values (-1 for NULL)."""

    format = Format.BINARY

    def __init__(self, oid: int, context: AdaptContext) -> None:
        super().__init__(oid, context)
        self._encoding = _load_encoding(self.context)

    def load(self, data: bytes) -> dict[str, str | None]:
        """Decode the pairs."""
        try:
            return self._load(data)
        except UnicodeDecodeError as ex:
            raise decode_error(ex) from None

    def _load(self, data: bytes) -> dict[str, str | None]:
        enc = self._encoding
        n = _unpack_len(data)[0]
        pos = 4
        out: dict[str, str | None] = {}
        for _ in range(n):
            size = _unpack_len(data, pos)[0]
            key = data[pos + 4 : pos + 4 + size].decode(enc)
            pos += 4 + size
            size = _unpack_len(data, pos)[0]
            pos += 4
            if size < 0:
                out[key] = None
            else:
                out[key] = data[pos : pos + size].decode(enc)
                pos += size
        return out


def _check_str(x: Any, what: str) -> str:
    if not isinstance(x, str):
        raise DataError(f"hstore {what}s must be str, got {type(x).__name__}: {x!r}")
    return x


class HstoreDumper(Dumper):
    """dict as hstore text (subclassed with the hstore OID by :func:`register_hstore`)."""

    format = Format.TEXT
    #: The OID of the hstore type in this database (set on the subclass).
    hstore_oid: ClassVar[int] = 0

    def __init__(self, cls: type, context: AdaptContext) -> None:
        super().__init__(cls, context)
        self.oid = self.hstore_oid
        self._encoding = context.write_encoding

    def dump(self, obj: Any) -> bytes:
        """Write ``"key"=>"value"`` pairs (``NULL`` for None values)."""
        parts = []
        esc = _ESCAPE.sub
        for k, v in obj.items():
            key = '"' + esc(r"\\\1", _check_str(k, "key")) + '"'
            if v is None:
                parts.append(key + "=>NULL")
            else:
                parts.append(key + '=>"' + esc(r"\\\1", _check_str(v, "value")) + '"')
        return ", ".join(parts).encode(self._encoding)


class HstoreBinaryDumper(HstoreDumper):
    """dict as hstore binary (subclassed with the hstore OID by :func:`register_hstore`)."""

    format = Format.BINARY

    def dump(self, obj: Any) -> bytes:
        """Write the count, then each key and value with its length."""
        enc = self._encoding
        parts = [_pack_len(len(obj))]
        for k, v in obj.items():
            kb = _check_str(k, "key").encode(enc)
            parts.append(_pack_len(len(kb)))
            parts.append(kb)
            if v is None:
                parts.append(_pack_len(-1))
            else:
                vb = _check_str(v, "value").encode(enc)
                parts.append(_pack_len(len(vb)))
                parts.append(vb)
        return b"".join(parts)


def register_hstore(info: TypeInfo, context: Any = None) -> None:
    """Load hstore values (and arrays of them) as dicts and dump dicts as hstore.

    `info` comes from ``TypeInfo.fetch(conn, "hstore")`` once the extension
    is installed in the database. `context` is a connection, a cursor, an
    AdaptContext or a TypesRegistry (None: every connection).
    """
    if info is None:
        raise TypeError("no type info given: is the hstore extension installed?")
    reg = registry_of(context)
    reg.add_type(info)
    attrs = {"hstore_oid": info.oid}
    # Text preferred both ways: about as cheap, and what hstore functions expect.
    reg.register_loader(info.oid, HstoreBinaryLoader)
    reg.register_loader(info.oid, HstoreLoader)
    reg.register_dumper(dict, type("HstoreBinaryDumper", (HstoreBinaryDumper,), attrs))
    reg.register_dumper(dict, type("HstoreDumper", (HstoreDumper,), attrs))
    if info.array_oid:
        reg.register_array(info.array_oid, info.oid, info.delimiter)
