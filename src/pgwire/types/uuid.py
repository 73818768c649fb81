"""uuid <-> uuid.UUID."""

from __future__ import annotations

from typing import Any
from uuid import UUID, SafeUUID

from ..accel.decode_plans import decoded_in_c
from . import oids
from .adapt import Dumper, Format, Loader, TypesRegistry

__all__ = ["UUIDBinaryDumper", "UUIDBinaryLoader", "UUIDDumper", "UUIDLoader"]

_new = object.__new__
_set = object.__setattr__
_from_bytes = int.from_bytes
_UNKNOWN = SafeUUID.unknown
# What the compiled decoders build a UUID from, as _uuid_from_int does.
_UUID_PARTS = (UUID, _UNKNOWN)


def _uuid_from_int(value: int) -> UUID:
    # UUID.__init__ validates and normalises several argument forms; with a
    # 128-bit int in hand filling the two slots directly is several times faster.
    u: UUID = _new(UUID)
    _set(u, "int", value)
    _set(u, "is_safe", _UNKNOWN)
    return u


@decoded_in_c("UUID_TEXT", extra=lambda loader: _UUID_PARTS)
class UUIDLoader(Loader):
    """uuid in text."""

    format = Format.TEXT

    def load(self, data: bytes) -> UUID:
        """Parse the 36-char form."""
        return _uuid_from_int(int(data.replace(b"-", b""), 16))


@decoded_in_c("UUID_BIN", extra=lambda loader: _UUID_PARTS)
class UUIDBinaryLoader(Loader):
    """uuid in binary: 16 bytes."""

    format = Format.BINARY

    def load(self, data: bytes) -> UUID:
        """Wrap the 16 bytes."""
        return _uuid_from_int(_from_bytes(data, "big"))


class UUIDDumper(Dumper):
    """UUID as text."""

    format = Format.TEXT
    oid = oids.UUID_OID

    def dump(self, obj: Any) -> bytes:
        """Write the 32 hex digits."""
        return obj.hex.encode()  # type: ignore[no-any-return]


class UUIDBinaryDumper(Dumper):
    """UUID as binary."""

    format = Format.BINARY
    oid = oids.UUID_OID

    def dump(self, obj: Any) -> bytes:
        """Write the 16 bytes."""
        return obj.bytes  # type: ignore[no-any-return]


def register_default_adapters(registry: TypesRegistry) -> None:
    """Register the uuid adapters on `registry` (binary preferred)."""
    registry.register_loader(oids.UUID_OID, UUIDLoader)
    registry.register_loader(oids.UUID_OID, UUIDBinaryLoader)
    registry.register_dumper(UUID, UUIDDumper)
    registry.register_dumper(UUID, UUIDBinaryDumper)
