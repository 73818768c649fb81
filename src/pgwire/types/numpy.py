"""NumPy scalars as parameters: ``np.int32(5)``, ``np.float32(1.5)``, ``np.bool_(True)``...

The dumpers are registered under the classes' names (``"numpy.int64"``), so
NumPy is never imported here: they apply when a NumPy value is passed. Each
NumPy type goes as the PostgreSQL type that holds all of its values: signed
ints as int2/int4/int8 by width (int8 as int2: PostgreSQL has no one-byte
int), unsigned ints one size up (uint64 as numeric), float16/float32 as
float4, float64 as float8 (it is a float), bool_ as bool.
"""

from __future__ import annotations

from typing import Any

from .adapt import Dumper, Format, TypesRegistry
from .bool import BoolBinaryDumper, BoolDumper
from .numeric import (
    Float4BinaryDumper,
    Float4Dumper,
    Int2BinaryDumper,
    Int2Dumper,
    Int4BinaryDumper,
    Int4Dumper,
    Int8BinaryDumper,
    Int8Dumper,
    IntNumericBinaryDumper,
    IntNumericDumper,
)

__all__ = ["NumpyFloat4Dumper", "register_default_adapters"]

_FLOAT_SPECIAL = {"nan": b"NaN", "inf": b"Infinity", "-inf": b"-Infinity"}


class NumpyFloat4Dumper(Float4Dumper):
    """float16/float32 as float4 text: NumPy's shortest digits for the value's own precision."""

    format = Format.TEXT

    def dump(self, obj: Any) -> bytes:
        """Write str() of the value (``3.14``, not the float64 widening ``3.140000104904175``)."""
        text = str(obj)
        return _FLOAT_SPECIAL.get(text) or text.encode()


# NumPy class name -> (text dumper, binary dumper)
_DUMPERS: dict[str, tuple[type[Dumper], type[Dumper]]] = {
    "numpy.int8": (Int2Dumper, Int2BinaryDumper),
    "numpy.int16": (Int2Dumper, Int2BinaryDumper),
    "numpy.int32": (Int4Dumper, Int4BinaryDumper),
    "numpy.int64": (Int8Dumper, Int8BinaryDumper),
    "numpy.longlong": (Int8Dumper, Int8BinaryDumper),
    "numpy.uint8": (Int2Dumper, Int2BinaryDumper),
    "numpy.uint16": (Int4Dumper, Int4BinaryDumper),
    "numpy.uint32": (Int8Dumper, Int8BinaryDumper),
    "numpy.uint64": (IntNumericDumper, IntNumericBinaryDumper),
    "numpy.ulonglong": (IntNumericDumper, IntNumericBinaryDumper),
    "numpy.float16": (NumpyFloat4Dumper, Float4BinaryDumper),
    "numpy.float32": (NumpyFloat4Dumper, Float4BinaryDumper),
    # NumPy 2 names the class "bool"; NumPy 1 "bool_".
    "numpy.bool": (BoolDumper, BoolBinaryDumper),
    "numpy.bool_": (BoolDumper, BoolBinaryDumper),
}


def register_default_adapters(registry: TypesRegistry) -> None:
    """Register the NumPy scalar dumpers on `registry` (binary preferred, as for int)."""
    for name, (text_dumper, binary_dumper) in _DUMPERS.items():
        registry.register_dumper(name, text_dumper)
        registry.register_dumper(name, binary_dumper)
