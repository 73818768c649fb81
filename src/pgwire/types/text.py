"""Strings and bytes: text/varchar/bpchar/name/"char" <-> str, bytea <-> bytes.

Under the client encoding SQL_ASCII, text values load as bytes, undecoded, as
psycopg 3 returns them: bytes above 127 stand for no known character then.
"""

from __future__ import annotations

import binascii
import re
from typing import Any

from ..accel.decode_plans import decoded_in_c
from ..accel.encode_plans import encoded_in_c
from ..errors import DataError, UnencodableText
from . import oids
from .adapt import (
    AdaptContext,
    DecodingLoader,
    Dumper,
    Format,
    Loader,
    TypesRegistry,
    _in_utf8,
    _UnknownBinaryLoader,
    _UnknownTextLoader,
    decode_error,
)

__all__ = [
    "ByteaBinaryLoader",
    "ByteaLoader",
    "BytesBinaryDumper",
    "BytesDumper",
    "CharBinaryLoader",
    "CharLoader",
    "StrBinaryDumper",
    "StrBinaryDumperName",
    "StrBinaryDumperVarchar",
    "StrDumper",
    "StrDumperName",
    "StrDumperUnknown",
    "StrDumperVarchar",
    "TextBinaryLoader",
    "TextLoader",
]


@decoded_in_c("UTF8", when=_in_utf8)
class TextLoader(DecodingLoader):
    """Text types -> str, decoded with the session encoding (bytes under SQL_ASCII)."""


@decoded_in_c("UTF8", when=_in_utf8)
class TextBinaryLoader(TextLoader):
    """Text types in binary: the same bytes as in text."""

    format = Format.BINARY


# What the server prints for each byte value of a "char": nothing for 0, the
# character for ASCII, an octal escape for the rest (PostgreSQL >= 15; older
# servers print the raw byte).
_CHAR_TEXT: tuple[str, ...] = (
    ("",) + tuple(map(chr, range(1, 128))) + tuple(f"\\{i:03o}" for i in range(128, 256))
)
_CHAR_BYTES: tuple[bytes, ...] = tuple(s.encode("ascii") for s in _CHAR_TEXT)


class CharLoader(Loader):
    """``"char"`` in text -> str (bytes under SQL_ASCII), as PostgreSQL 15+ prints it.

    A byte >= 0x80 reads as its octal escape (``'\\303'``) whatever the
    server's version: older servers send the raw byte.
    """

    format = Format.TEXT

    def __init__(self, oid: int, context: AdaptContext) -> None:
        super().__init__(oid, context)
        self._sql_ascii = self.context.sql_ascii
        self._encoding = self.context.encoding
        self._table = _CHAR_BYTES if self._sql_ascii else _CHAR_TEXT

    def load(self, data: bytes) -> str | bytes:
        """Return the character (or escape) `data` stands for."""
        if len(data) <= 1:
            return self._table[data[0] if data else 0]
        # An escape (ASCII), or a character of a multibyte encoding that an
        # old server sends as it is.
        if self._sql_ascii:
            return bytes(data)
        try:
            return data.decode(self._encoding)
        except UnicodeDecodeError as ex:
            raise decode_error(ex) from None


class CharBinaryLoader(Loader):
    """``"char"`` in binary: one raw byte -> what the server prints for it in text.

    NUL reads as the empty string, a byte >= 0x80 as its octal escape
    (``'\\303'``); bytes under SQL_ASCII.
    """

    format = Format.BINARY

    def __init__(self, oid: int, context: AdaptContext) -> None:
        super().__init__(oid, context)
        self._table = _CHAR_BYTES if self.context.sql_ascii else _CHAR_TEXT

    def load(self, data: bytes) -> str | bytes:
        """Return the character (or escape) of the byte."""
        if len(data) == 1:
            return self._table[data[0]]
        if not data:
            return self._table[0]
        raise DataError(f'a binary "char" is one byte, got {bytes(data[:20])!r}')


_BYTEA_ESCAPE = re.compile(rb"\\(\\|[0-7]{3})")


def _unescape_bytea(m: re.Match[bytes]) -> bytes:
    s = m.group(1)
    return b"\\" if s == b"\\" else bytes([int(s, 8) & 0xFF])


@decoded_in_c("BYTEA_TEXT")
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


@encoded_in_c(str, "ENC_UTF8", when=_in_utf8)
class StrDumperUnknown(Dumper):
    """str in text with OID 0, so the server types it from context (e.g. a date column).

    The default for str in text: a string may stand for a value of any type.
    """

    format = Format.TEXT
    oid = 0

    def __init__(self, cls: type, context: AdaptContext) -> None:
        super().__init__(cls, context)
        self._encoding = context.write_encoding

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
            raise UnencodableText(ex) from None


@encoded_in_c(str, "ENC_UTF8", when=_in_utf8)
class StrDumper(StrDumperUnknown):
    """str in text typed as ``text``: register it for str when functions must see text."""

    oid = oids.TEXT_OID


@encoded_in_c(str, "ENC_UTF8", when=_in_utf8)
class StrBinaryDumper(StrDumper):
    """str in binary, typed as text (binary needs a definite type)."""

    format = Format.BINARY


class StrDumperVarchar(StrDumper):
    """str in text typed as ``varchar`` (found by OID: ``get_dumper_by_oid``)."""

    oid = oids.VARCHAR_OID


class StrBinaryDumperVarchar(StrBinaryDumper):
    """str in binary typed as ``varchar`` (found by OID)."""

    oid = oids.VARCHAR_OID


class StrDumperName(StrDumper):
    """str in text typed as ``name`` (found by OID)."""

    oid = oids.NAME_OID


class StrBinaryDumperName(StrBinaryDumper):
    """str in binary typed as ``name`` (found by OID)."""

    oid = oids.NAME_OID


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
)


def register_default_adapters(registry: TypesRegistry) -> None:
    """Register the string and bytes adapters on `registry`.

    Text and binary are the same bytes for strings: text preferred. bytea is
    cheaper in binary (no hex decoding).
    """
    for oid in _TEXT_OIDS:
        registry.register_loader(oid, TextBinaryLoader)
        registry.register_loader(oid, TextLoader)
    registry.register_loader(oids.CHAR_OID, CharBinaryLoader)
    registry.register_loader(oids.CHAR_OID, CharLoader)
    registry.register_loader(oids.BYTEA_OID, ByteaLoader)
    registry.register_loader(oids.BYTEA_OID, ByteaBinaryLoader)
    # The loaders of types nobody registered, found under OID 0 as psycopg
    # keeps them (a map made from scratch can borrow them from here).
    registry.register_loader(oids.INVALID_OID, _UnknownBinaryLoader)
    registry.register_loader(oids.INVALID_OID, _UnknownTextLoader)

    # By OID only, for get_dumper_by_oid() (a COPY column, an array's elements).
    for dumper in (
        StrDumperName,
        StrBinaryDumperName,
        StrDumperVarchar,
        StrBinaryDumperVarchar,
        StrDumper,
    ):
        registry.register_dumper(None, dumper)
    registry.register_dumper(str, StrBinaryDumper)
    registry.register_dumper(str, StrDumperUnknown)
    for cls in (bytes, bytearray, memoryview):
        registry.register_dumper(cls, BytesDumper)
        registry.register_dumper(cls, BytesBinaryDumper)
