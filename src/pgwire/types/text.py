"""Strings and bytes: text/varchar/bpchar/name/"char" <-> str, bytea <-> bytes."""

from __future__ import annotations

import binascii
import re
from typing import Any

from ..errors import DataError
from . import oids
from .adapt import AdaptContext, Dumper, Format, Loader, TypesRegistry

__all__ = [
    "ByteaBinaryLoader",
    "ByteaLoader",
    "BytesBinaryDumper",
    "BytesDumper",
    "StrBinaryDumper",
    "StrDumper",
    "TextBinaryLoader",
    "TextLoader",
]

_UTF8_NAMES = frozenset(["utf-8", "utf8", "utf_8"])


class TextLoader(Loader):
    """Text types -> str, decoded with the session encoding."""

    format = Format.TEXT

    def __init__(self, oid: int, context: AdaptContext) -> None:
        super().__init__(oid, context)
        self._encoding = context.encoding
        if self._encoding.lower() in _UTF8_NAMES and type(self).load is TextLoader.load:
            # bytes.decode defaults to UTF-8; calling it directly saves a Python
            # frame per value (subclasses overriding load keep their own).
            self.load = bytes.decode  # type: ignore[method-assign,assignment]

    def load(self, data: bytes) -> str:
        """Decode `data`."""
        return data.decode(self._encoding)


class TextBinaryLoader(TextLoader):
    """Text types in binary: the same bytes as in text."""

    format = Format.BINARY


_BYTEA_ESCAPE = re.compile(rb"\\(\\|[0-7]{3})")


def _unescape_bytea(m: re.Match[bytes]) -> bytes:
    s = m.group(1)
    return b"\\" if s == b"\\" else bytes([int(s, 8) & 0xFF])


class ByteaLoader(Loader):
    """bytea in text: the hex format (``\\x0001ff``) or the older escape format."""

    format = Format.TEXT

    def load(self, data: bytes) -> bytes:
        """Decode hex, or backslash escapes for the escape format."""
        if data[:2] == b"\\x":
            try:
                return binascii.unhexlify(data[2:])
            except (binascii.Error, ValueError) as ex:
                raise DataError(f"invalid bytea hex data: {ex}") from None
        return _BYTEA_ESCAPE.sub(_unescape_bytea, data)


class ByteaBinaryLoader(Loader):
    """bytea in binary: the bytes themselves."""

    format = Format.BINARY
    # bytes(b) is b itself for a bytes object: no copy, no Python frame.
    load = staticmethod(bytes)  # type: ignore[assignment]


class StrDumper(Dumper):
    """str in text with OID 0, so the server types it from context (e.g. a date column)."""

    format = Format.TEXT
    oid = 0

    def __init__(self, cls: type, context: AdaptContext) -> None:
        super().__init__(cls, context)
        self._encoding = context.encoding

    def dump(self, obj: Any) -> bytes:
        """Encode `obj`; NUL characters raise DataError."""
        if "\x00" in obj:
            raise DataError(
                "PostgreSQL text fields cannot contain NUL (0x00) characters: "
                f"{obj[:40]!r}{'...' if len(obj) > 40 else ''}"
            )
        try:
            return obj.encode(self._encoding)  # type: ignore[no-any-return]
        except UnicodeEncodeError as ex:
            raise DataError(
                f"cannot encode {obj[:40]!r} in the client encoding {self._encoding}: {ex}"
            ) from None


class StrBinaryDumper(StrDumper):
    """str in binary, typed as text (binary needs a definite type)."""

    format = Format.BINARY
    oid = oids.TEXT_OID


class BytesDumper(Dumper):
    """bytes-like as bytea text, in the hex format."""

    format = Format.TEXT
    oid = oids.BYTEA_OID

    def dump(self, obj: Any) -> bytes:
        """Write ``\\x`` and the hex digits."""
        return b"\\x" + binascii.hexlify(obj)


class BytesBinaryDumper(Dumper):
    """bytes-like as bytea binary."""

    format = Format.BINARY
    oid = oids.BYTEA_OID

    def dump(self, obj: Any) -> bytes:
        """Return the bytes."""
        return obj if type(obj) is bytes else bytes(obj)


_TEXT_OIDS = (
    oids.TEXT_OID,
    oids.VARCHAR_OID,
    oids.BPCHAR_OID,
    oids.NAME_OID,
    oids.CHAR_OID,
)


def register_default_adapters(registry: TypesRegistry) -> None:
    """Register the string and bytes adapters on `registry`.

    Text and binary are the same bytes for strings: text preferred. bytea is
    cheaper in binary (no hex decoding).
    """
    for oid in _TEXT_OIDS:
        registry.register_loader(oid, TextBinaryLoader)
        registry.register_loader(oid, TextLoader)
    registry.register_loader(oids.BYTEA_OID, ByteaLoader)
    registry.register_loader(oids.BYTEA_OID, ByteaBinaryLoader)

    registry.register_dumper(str, StrBinaryDumper)
    registry.register_dumper(str, StrDumper)
    for cls in (bytes, bytearray, memoryview):
        registry.register_dumper(cls, BytesDumper)
        registry.register_dumper(cls, BytesBinaryDumper)
