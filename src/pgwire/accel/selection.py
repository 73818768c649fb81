"""Whether the compiled accelerator is used.

:data:`speedups` is the compiled module :mod:`pgwire.accel._speedups` when it
was built and importable, else None; setting ``PGWIRE_NO_SPEEDUPS`` to
anything but ``""`` or ``"0"`` before pgwire is imported forces the
pure-Python code.
"""

from __future__ import annotations

import os
from types import ModuleType

__all__ = ["compiled", "speedups"]


def compiled() -> ModuleType | None:
    """Return the compiled module if it was built, whether it is selected or not."""
    try:
        from . import _speedups
    except ImportError:
        return None
    return _speedups


speedups: ModuleType | None = (
    None if os.environ.get("PGWIRE_NO_SPEEDUPS", "") not in ("", "0") else compiled()
)
"""The compiled module, or None when the pure-Python code is used."""
