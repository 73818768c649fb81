"""uuid <-> uuid.UUID.

:mod:`uuid` (which imports :mod:`platform`) is imported by the first uuid
value loaded, not by ``import pgwire``; the dumpers are registered by the
class's name, which the registry matches once the class is in use.
"""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING, Any

from ..accel.decode_plans import decoded_in_c
from . import oids
from .adapt import AdaptContext, Dumper, Format, Loader, TypesRegistry

if TYPE_CHECKING:
    from uuid import UUID

__all__ = ["UUIDBinaryDumper", "UUIDBinaryLoader", "UUIDDumper", "UUIDLoader"]

_new = object.__new__
_set = object.__setattr__
_from_bytes = int.from_bytes


@cache
def _uuid_parts() -> tuple[type[UUID], Any]:
    """The UUID class and ``SafeUUID.unknown``: what a UUID is made of, here and in C."""
    from uuid import UUID, SafeUUID

    return UUID, SafeUUID.unknown


class _UUIDLoader(Loader):
    """What the uuid loaders share: making a UUID from its 128-bit int."""

    def __init__(self, oid: int, context: AdaptContext) -> None:
        super().__init__(oid, context)
        self._uuid, self._unknown = _uuid_parts()

    def _from_int(self, value: int) -> UUID:
        # UUID.__init__ validates and normalises several argument forms; with a
        # 128-bit int in hand filling the two slots directly is several times faster.
        u: UUID = _new(self._uuid)
        _set(u, "int", value)
        _set(u, "is_safe", self._unknown)
        return u


@decoded_in_c("UUID_TEXT", extra=lambda loader: _uuid_parts())
class UUIDLoader(_UUIDLoader):
    """uuid in text."""

    format = Format.TEXT

    def load(self, data: bytes) -> UUID:
        """Parse the 36-char form."""
        return self._from_int(int(data.replace(b"-", b""), 16))


@decoded_in_c("UUID_BIN", extra=lambda loader: _uuid_parts())
class UUIDBinaryLoader(_UUIDLoader):
    """uuid in binary: 16 bytes."""

    format = Format.BINARY

    def load(self, data: bytes) -> UUID:
        """Wrap the 16 bytes."""
        return self._from_int(_from_bytes(data, "big"))


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
    registry.register_dumper("uuid.UUID", UUIDDumper)
    registry.register_dumper("uuid.UUID", UUIDBinaryDumper)
