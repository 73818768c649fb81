"""None -> NULL: the dumper psycopg registers for ``NoneType``.

Parameters that are None are sent as NULL before any dumper is looked up;
this dumper is what code asking the adapters about None gets (its
``quote()`` is ``NULL``), as in psycopg.
"""

from __future__ import annotations

from typing import Any

from .adapt import Dumper, Format, TypesRegistry

__all__ = ["NoneDumper"]


class NoneDumper(Dumper):
    """None as NULL."""

    format = Format.TEXT

    def dump(self, obj: Any) -> bytes | None:  # type: ignore[override]
        """NULL: no bytes."""
        return None

    def quote(self, obj: Any) -> bytes:
        """The SQL literal ``NULL``."""
        return b"NULL"


def register_default_adapters(registry: TypesRegistry) -> None:
    """Register the None dumper on `registry`."""
    registry.register_dumper(type(None), NoneDumper)
