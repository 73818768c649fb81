"""bool <-> bool."""

from __future__ import annotations

from typing import Any

from ..accel.decode_plans import decoded_in_c
from . import oids
from .adapt import Dumper, Format, Loader, TypesRegistry

__all__ = ["BoolBinaryDumper", "BoolBinaryLoader", "BoolDumper", "BoolLoader"]


@decoded_in_c("BOOL_TEXT")
class BoolLoader(Loader):
    """bool in text: ``t`` / ``f``."""

    format = Format.TEXT

    def load(self, data: bytes) -> bool:
        """Return True for ``t``."""
        return data == b"t"


@decoded_in_c("BOOL_BIN")
class BoolBinaryLoader(Loader):
    """bool in binary: one byte."""

    format = Format.BINARY

    def load(self, data: bytes) -> bool:
        """Return True for a non-zero byte."""
        return data != b"\x00"


class BoolDumper(Dumper):
    """bool as text."""

    format = Format.TEXT
    oid = oids.BOOL_OID

    def dump(self, obj: Any) -> bytes:
        """Write ``t`` or ``f``."""
        return b"t" if obj else b"f"


class BoolBinaryDumper(Dumper):
    """bool as binary."""

    format = Format.BINARY
    oid = oids.BOOL_OID

    def dump(self, obj: Any) -> bytes:
        """Write one byte, 1 or 0."""
        return b"\x01" if obj else b"\x00"


def register_default_adapters(registry: TypesRegistry) -> None:
    """Register the bool adapters on `registry` (binary preferred)."""
    registry.register_loader(oids.BOOL_OID, BoolLoader)
    registry.register_loader(oids.BOOL_OID, BoolBinaryLoader)
    registry.register_dumper(bool, BoolDumper)
    registry.register_dumper(bool, BoolBinaryDumper)
