"""Numbers: int2/int4/int8/oid <-> int, float4/float8 <-> float, numeric <-> Decimal."""

from __future__ import annotations

import struct
from collections.abc import Callable
from decimal import Decimal
from math import frexp
from typing import Any, ClassVar, TypeVar

from ..accel.decode_plans import decoded_in_c
from ..accel.encode_plans import copied_as_text_in_c, encoded_in_c, picks_in_c
from ..errors import DataError
from . import oids
from .adapt import AdaptContext, Dumper, Format, Loader, TypesRegistry

__all__ = [
    "DecimalBinaryDumper",
    "Float4",
    "Float8",
    "Int2",
    "Int4",
    "Int8",
    "IntNumeric",
    "Oid",
    "DecimalDumper",
    "FloatBinaryDumper",
    "FloatDumper",
    "Float4BinaryLoader",
    "Float8BinaryLoader",
    "FloatLoader",
    "IntBinaryDumper",
    "IntDumper",
    "IntLoader",
    "NumericBinaryLoader",
    "NumericLoader",
    "register_default_adapters",
]

_unpack_int2 = struct.Struct("!h").unpack
_unpack_int4 = struct.Struct("!i").unpack
_unpack_int8 = struct.Struct("!q").unpack
_unpack_uint4 = struct.Struct("!I").unpack
_unpack_float4 = struct.Struct("!f").unpack
_pack_float4 = struct.Struct("!f").pack
_unpack_float8 = struct.Struct("!d").unpack
_pack_int2 = struct.Struct("!h").pack
_pack_int4 = struct.Struct("!i").pack
_pack_int8 = struct.Struct("!q").pack
_pack_float8 = struct.Struct("!d").pack
_numeric_head = struct.Struct("!HhHH")
_unpack_numeric_head = _numeric_head.unpack_from
_pack_numeric_head = _numeric_head.pack

# Sign words of the binary numeric format.
_NUMERIC_POS = 0x0000
_NUMERIC_NEG = 0x4000
_NUMERIC_NAN = 0xC000
_NUMERIC_PINF = 0xD000
_NUMERIC_NINF = 0xF000
# Largest display scale and weight the format can carry.
_NUMERIC_DSCALE_MAX = 0x3FFF
_NUMERIC_WEIGHT_MAX = 0x7FFF


# -- loaders ----------------------------------------------------------------------


class IntLoader(Loader):
    """int2/int4/int8/oid in text: ``int()`` parses the bytes directly."""

    format = Format.TEXT
    # A builtin as the load function: no Python frame per value.
    load = staticmethod(int)  # type: ignore[assignment]


@decoded_in_c("INT2_BIN")
class Int2BinaryLoader(Loader):
    """int2 in binary."""

    format = Format.BINARY

    def load(self, data: bytes) -> int:
        """Unpack a big-endian int16."""
        return _unpack_int2(data)[0]  # type: ignore[no-any-return]


@decoded_in_c("INT4_BIN")
class Int4BinaryLoader(Loader):
    """int4 in binary."""

    format = Format.BINARY

    def load(self, data: bytes) -> int:
        """Unpack a big-endian int32."""
        return _unpack_int4(data)[0]  # type: ignore[no-any-return]


@decoded_in_c("INT8_BIN")
class Int8BinaryLoader(Loader):
    """int8 in binary."""

    format = Format.BINARY

    def load(self, data: bytes) -> int:
        """Unpack a big-endian int64."""
        return _unpack_int8(data)[0]  # type: ignore[no-any-return]


@decoded_in_c("OID_BIN")
class OidBinaryLoader(Loader):
    """oid (unsigned 32 bits) in binary."""

    format = Format.BINARY

    def load(self, data: bytes) -> int:
        """Unpack a big-endian uint32."""
        return _unpack_uint4(data)[0]  # type: ignore[no-any-return]


class FloatLoader(Loader):
    """float4/float8 in text: ``float()`` reads NaN, Infinity and -Infinity as they come."""

    format = Format.TEXT
    load = staticmethod(float)  # type: ignore[assignment]


@decoded_in_c("FLOAT8_BIN", asked_for=True)
class Float8BinaryLoader(Loader):
    """float8 in binary: the IEEE double as it is."""

    format = Format.BINARY

    def load(self, data: bytes) -> float:
        """Unpack a big-endian double."""
        return _unpack_float8(data)[0]  # type: ignore[no-any-return]


_FLT_MIN_NORMAL = 2.0**-126
_FMT_NORMAL = (".6g", ".7g", ".8g")
_FMT_ALL = (".1g", ".2g", ".3g", ".4g", ".5g") + _FMT_NORMAL
_unpack_uint4_float = struct.Struct("!I").unpack
_pack_uint4 = struct.Struct("!I").pack


def _is_tie(x: float, y: float, packed: bytes) -> bool:
    """Is `y` exactly halfway between the float32 `x` and its neighbour?

    The server's shortest-output algorithm rejects such candidates (they
    would read back as `x` only by the round-half-even rule).
    """
    d = abs(y - x)  # exact: y and x are close (Sterbenz)
    if frexp(d)[0] != 0.5:
        # A half-ulp distance is a power of two; most distances are not.
        return False
    bits = _unpack_uint4_float(packed)[0]
    # Sign and magnitude: bits + 1 moves away from zero.
    nbits = bits + 1 if abs(y) > abs(x) else bits - 1
    n: float = _unpack_float4(_pack_uint4(nbits))[0]
    return d * 2 == abs(n - x)


def float4_shortest(x: float) -> float:
    """Return the double nearest to the shortest decimal that round-trips `x` as float32.

    The server prints a float4 with the fewest digits that read back as the
    same float32 (``0.1``), and parsing that text gives a different double
    than widening the float32 (``0.10000000149011612``). Six digits always fit
    in a normal float32, so if the 6-digit rounding round-trips it is the
    shortest form padded with zeros; otherwise try 7, 8, 9 digits (9 always
    works). Like the server, a candidate lying exactly halfway to the next
    float32 is not taken.
    """
    if x != x or x in (_INF, _NINF):
        return x
    packed = _pack_float4(x)
    # Subnormals carry fewer significant bits: start from one digit there.
    fmts = _FMT_ALL if -_FLT_MIN_NORMAL < x < _FLT_MIN_NORMAL else _FMT_NORMAL
    # At a power of two the gap below is half the gap above: the nearest
    # p-digit decimal may fall just outside below while the next one up fits.
    pow2 = _unpack_uint4_float(packed)[0] & 0x7FFFFF == 0
    for fmt in fmts:
        y = float(format(x, fmt))
        if _fits(x, y, packed):
            return y
        if pow2:
            p = int(fmt[1:-1])
            d = Decimal(format(x, f".{p - 1}e"))
            up = d + Decimal(1).scaleb(d.adjusted() - p + 1).copy_sign(d)
            y = float(up)
            if _fits(x, y, packed):
                return y
    return float(f"{x:.9g}")


def _fits(x: float, y: float, packed: bytes) -> bool:
    try:
        return _pack_float4(y) == packed and (y == x or not _is_tie(x, y, packed))
    except OverflowError:
        # Rounding up past FLT_MAX: a longer form is needed.
        return False


_INF = float("inf")
_NINF = float("-inf")


class Float4BinaryLoader(Loader):
    """float4 in binary, read as the server prints it (``0.1`` stays ``0.1``)."""

    format = Format.BINARY

    def load(self, data: bytes) -> float:
        """Unpack a big-endian float32 and give its shortest decimal value."""
        x: float = _unpack_float4(data)[0]
        if -_FLT_MIN_NORMAL < x < _FLT_MIN_NORMAL:
            return float4_shortest(x)
        # The common case inlined: a value typed with few digits.
        y = float(f"{x:.6g}")
        try:
            if _pack_float4(y) == data and (y == x or not _is_tie(x, y, data)):
                return y
        except OverflowError:
            pass
        return float4_shortest(x)


@decoded_in_c("NUMERIC_TEXT", extra=lambda loader: Decimal)
class NumericLoader(Loader):
    """numeric in text -> Decimal (NaN, Infinity and -Infinity included)."""

    format = Format.TEXT

    def load(self, data: bytes) -> Decimal:
        """Parse the decimal text."""
        return Decimal(data.decode("ascii"))


def _load_numeric_binary(data: bytes) -> Decimal:
    ndigits, weight, sign, dscale = _unpack_numeric_head(data)
    if sign not in (_NUMERIC_POS, _NUMERIC_NEG):
        if sign == _NUMERIC_NAN:
            return Decimal("NaN")
        if sign == _NUMERIC_PINF:
            return Decimal("Infinity")
        if sign == _NUMERIC_NINF:
            return Decimal("-Infinity")
        raise DataError(f"bad sign in binary numeric: 0x{sign:04x}")
    val = 0
    for d in struct.unpack_from(f"!{ndigits}H", data, 8):
        val = val * 10000 + d
    # val * 10**exp is the value; the text form has exactly dscale decimals.
    exp = 4 * (weight - ndigits + 1)
    target = -dscale
    if exp >= target:
        digits = str(val) + "0" * (exp - target)
    else:
        digits = str(val // 10 ** (target - exp))
    return Decimal(f"{'-' if sign == _NUMERIC_NEG else ''}{digits}E{target}")


class NumericBinaryLoader(Loader):
    """numeric in binary -> Decimal with the server's display scale."""

    format = Format.BINARY

    def load(self, data: bytes) -> Decimal:
        """Decode the base-10000 digits."""
        return _load_numeric_binary(data)


# -- dumpers ------------------------------------------------------------------------

_INT2_MIN, _INT2_MAX = -(2**15), 2**15 - 1
_INT4_MIN, _INT4_MAX = -(2**31), 2**31 - 1
_INT8_MIN, _INT8_MAX = -(2**63), 2**63 - 1


def _widths(dumper: Any, code_name: str) -> dict[int, str]:
    """The OIDs of int2, int4 and int8, which an int dumper picks by value, each to `code_name`."""
    return {d.oid: code_name for d in (dumper._int2, dumper._int4, dumper._int8)}


def _out_of_range(obj: Any, typename: str) -> DataError:
    return DataError(f"{int(obj)} is out of range for type {typename}")


@copied_as_text_in_c(int, "ENC_INT_TEXT")
class _IntTextDumper(Dumper):
    format = Format.TEXT
    #: Orders the int dumpers by width, so a list can use the widest needed.
    rank: ClassVar[int] = 0

    def dump(self, obj: Any) -> bytes:
        """Write the decimal digits (%d: int subclasses such as IntEnum too)."""
        return b"%d" % obj


class Int2Dumper(_IntTextDumper):
    """int as int2 text."""

    oid = oids.INT2_OID
    rank = 1


class Int4Dumper(_IntTextDumper):
    """int as int4 text."""

    oid = oids.INT4_OID
    rank = 2


class Int8Dumper(_IntTextDumper):
    """int as int8 text."""

    oid = oids.INT8_OID
    rank = 3


class IntNumericDumper(_IntTextDumper):
    """int beyond int8 as numeric text."""

    oid = oids.NUMERIC_OID
    rank = 4


@picks_in_c(int, lambda dumper: _widths(dumper, "ENC_INT_TEXT"))
class IntDumper(_IntTextDumper):
    """int in text; upgrades to the smallest of int2/int4/int8/numeric that holds the value."""

    oid = oids.INT8_OID
    rank = 0

    def __init__(self, cls: type, context: AdaptContext) -> None:
        super().__init__(cls, context)
        self._int2 = Int2Dumper(cls, context)
        self._int4 = Int4Dumper(cls, context)
        self._int8 = Int8Dumper(cls, context)
        self._numeric = IntNumericDumper(cls, context)

    def upgrade(self, obj: Any, format: Format) -> Dumper:
        """Pick the dumper by the value's size."""
        if _INT2_MIN <= obj <= _INT2_MAX:
            return self._int2
        if _INT4_MIN <= obj <= _INT4_MAX:
            return self._int4
        if _INT8_MIN <= obj <= _INT8_MAX:
            return self._int8
        return self._numeric


class _PackedIntBinaryDumper(Dumper):
    """An int packed big-endian into a fixed-size integer type."""

    format = Format.BINARY
    # Set by each subclass: the packer and the SQL name its range errors give.
    _pack: ClassVar[Callable[[Any], bytes]]
    _sql_name: ClassVar[str]

    def dump(self, obj: Any) -> bytes:
        """Pack the int, or raise DataError when the type can't hold it."""
        try:
            return type(self)._pack(obj)
        except struct.error:
            raise _out_of_range(obj, self._sql_name) from None


class Int2BinaryDumper(_PackedIntBinaryDumper):
    """int as int2 binary."""

    oid = oids.INT2_OID
    rank: ClassVar[int] = 1
    _pack = _pack_int2
    _sql_name = "smallint"


class Int4BinaryDumper(_PackedIntBinaryDumper):
    """int as int4 binary."""

    oid = oids.INT4_OID
    rank: ClassVar[int] = 2
    _pack = _pack_int4
    _sql_name = "integer"


class Int8BinaryDumper(_PackedIntBinaryDumper):
    """int as int8 binary."""

    oid = oids.INT8_OID
    rank: ClassVar[int] = 3
    _pack = _pack_int8
    _sql_name = "bigint"


class IntNumericBinaryDumper(Dumper):
    """int beyond int8 as numeric binary."""

    format = Format.BINARY
    oid = oids.NUMERIC_OID
    rank: ClassVar[int] = 4

    def dump(self, obj: Any) -> bytes:
        """Encode as base-10000 numeric."""
        return dump_numeric_binary(0 if obj >= 0 else 1, str(abs(int(obj))), 0)


@picks_in_c(int, lambda dumper: _widths(dumper, "ENC_INT_BIN"))
class IntBinaryDumper(Int8BinaryDumper):
    """int in binary; upgrades to the smallest of int2/int4/int8/numeric that holds the value."""

    rank = 0

    def __init__(self, cls: type, context: AdaptContext) -> None:
        super().__init__(cls, context)
        self._int2 = Int2BinaryDumper(cls, context)
        self._int4 = Int4BinaryDumper(cls, context)
        self._int8 = Int8BinaryDumper(cls, context)
        self._numeric = IntNumericBinaryDumper(cls, context)

    def upgrade(self, obj: Any, format: Format) -> Dumper:
        """Pick the dumper by the value's size."""
        if _INT2_MIN <= obj <= _INT2_MAX:
            return self._int2
        if _INT4_MIN <= obj <= _INT4_MAX:
            return self._int4
        if _INT8_MIN <= obj <= _INT8_MAX:
            return self._int8
        return self._numeric


_FLOAT_SPECIAL = {"nan": b"NaN", "inf": b"Infinity", "-inf": b"-Infinity"}


@encoded_in_c(float, "ENC_FLOAT_TEXT")
class FloatDumper(Dumper):
    """float as float8 text (shortest repr; NaN and infinities spelled as the server does)."""

    format = Format.TEXT
    oid = oids.FLOAT8_OID

    def dump(self, obj: Any) -> bytes:
        """Write repr() of the float."""
        s = float.__repr__(obj)
        return _FLOAT_SPECIAL.get(s) or s.encode()


@encoded_in_c(float, "ENC_FLOAT8_BIN")
class FloatBinaryDumper(Dumper):
    """float as float8 binary."""

    format = Format.BINARY
    oid = oids.FLOAT8_OID

    def dump(self, obj: Any) -> bytes:
        """Pack a big-endian double."""
        return _pack_float8(obj)


class DecimalDumper(Dumper):
    """Decimal as numeric text (NaN, Infinity, -Infinity included)."""

    format = Format.TEXT
    oid = oids.NUMERIC_OID

    def dump(self, obj: Any) -> bytes:
        """Write str() of the Decimal; every NaN flavour becomes NaN."""
        if obj.is_nan():
            return b"NaN"
        return str(obj).encode()


def dump_numeric_binary(sign: int, digits: str, exp: int) -> bytes:
    """Encode ``(-1)**sign * int(digits) * 10**exp`` in the binary numeric format."""
    dscale = -exp if exp < 0 else 0
    if dscale > _NUMERIC_DSCALE_MAX:
        raise DataError(f"numeric has too many decimals for PostgreSQL: {dscale}")
    digits = digits.lstrip("0")
    if not digits:
        return _pack_numeric_head(0, 0, _NUMERIC_POS, dscale)
    # Align the exponent on a base-10000 digit boundary.
    pad = exp % 4
    digits += "0" * pad
    exp -= pad
    lead = -len(digits) % 4
    digits = "0" * lead + digits
    groups = [int(digits[i : i + 4]) for i in range(0, len(digits), 4)]
    # weight = base-10000 exponent of the first group.
    weight = exp // 4 + len(groups) - 1
    while groups[-1] == 0:
        groups.pop()
    if weight > _NUMERIC_WEIGHT_MAX:
        raise DataError("numeric value too large for PostgreSQL")
    if weight < -_NUMERIC_WEIGHT_MAX - 1:
        raise DataError("numeric value too small for PostgreSQL")
    return _pack_numeric_head(
        len(groups), weight, _NUMERIC_NEG if sign else _NUMERIC_POS, dscale
    ) + struct.pack(f"!{len(groups)}H", *groups)


class DecimalBinaryDumper(Dumper):
    """Decimal as numeric binary."""

    format = Format.BINARY
    oid = oids.NUMERIC_OID

    def dump(self, obj: Any) -> bytes:
        """Encode the Decimal as base-10000 digits."""
        sign, digits, exp = obj.as_tuple()
        if not isinstance(exp, int):
            if exp == "F":
                return _pack_numeric_head(0, 0, _NUMERIC_NINF if sign else _NUMERIC_PINF, 0)
            return _pack_numeric_head(0, 0, _NUMERIC_NAN, 0)
        return dump_numeric_binary(sign, "".join(map(str, digits)), exp)


# -- wrappers forcing a parameter's type ----------------------------------------


_W = TypeVar("_W", bound=type)


def _wrapper(cls: _W) -> _W:
    """Give a number wrapper its repr (``Int4(5)``); str() stays the plain number.

    The wrappers subclass int or float directly (``Int4.__mro__[1] is int``,
    as psycopg's), so this is set on each rather than inherited.
    """
    base: Any = cls.__mro__[1]

    def __repr__(self: Any) -> str:
        return f"{type(self).__name__}({base.__repr__(self)})"

    cls.__repr__ = __repr__  # type: ignore[assignment]
    cls.__str__ = base.__repr__  # type: ignore[assignment]
    return cls


@_wrapper
class Int2(int):
    """An int sent as ``int2`` (``smallint``) rather than the smallest type that holds it."""

    __slots__ = ()


@_wrapper
class Int4(int):
    """An int sent as ``int4`` (``integer``) rather than the smallest type that holds it."""

    __slots__ = ()


@_wrapper
class Int8(int):
    """An int sent as ``int8`` (``bigint``) rather than the smallest type that holds it."""

    __slots__ = ()


@_wrapper
class IntNumeric(int):
    """An int sent as ``numeric``."""

    __slots__ = ()


@_wrapper
class Oid(int):
    """An int sent as ``oid``."""

    __slots__ = ()


@_wrapper
class Float4(float):
    """A float sent as ``float4`` (``real``)."""

    __slots__ = ()


@_wrapper
class Float8(float):
    """A float sent as ``float8`` (``double precision``)."""

    __slots__ = ()


class OidDumper(_IntTextDumper):
    """int as oid text."""

    oid = oids.OID_OID
    rank = 5


class OidBinaryDumper(Dumper):
    """int as oid binary (unsigned 32 bits)."""

    format = Format.BINARY
    oid = oids.OID_OID

    def dump(self, obj: Any) -> bytes:
        """Pack a big-endian unsigned int."""
        try:
            return _pack_oid(obj)
        except struct.error:
            raise _out_of_range(obj, "oid") from None


class Float4Dumper(FloatDumper):
    """float as float4 text."""

    oid = oids.FLOAT4_OID


class Float4BinaryDumper(Dumper):
    """float as float4 binary."""

    format = Format.BINARY
    oid = oids.FLOAT4_OID

    def dump(self, obj: Any) -> bytes:
        """Pack a big-endian single-precision float."""
        return _pack_float4(obj)


_pack_oid = struct.Struct("!I").pack

# wrapper class -> (text dumper, binary dumper)
_WRAPPER_DUMPERS: dict[type, tuple[type[Dumper], type[Dumper]]] = {
    Int2: (Int2Dumper, Int2BinaryDumper),
    Int4: (Int4Dumper, Int4BinaryDumper),
    Int8: (Int8Dumper, Int8BinaryDumper),
    IntNumeric: (IntNumericDumper, IntNumericBinaryDumper),
    Oid: (OidDumper, OidBinaryDumper),
    Float4: (Float4Dumper, Float4BinaryDumper),
    Float8: (FloatDumper, FloatBinaryDumper),
}


def register_default_adapters(registry: TypesRegistry) -> None:
    """Register the number adapters on `registry` (results: binary for ints, text else)."""
    for oid in (oids.INT2_OID, oids.INT4_OID, oids.INT8_OID, oids.OID_OID):
        registry.register_loader(oid, IntLoader)
    registry.register_loader(oids.INT2_OID, Int2BinaryLoader)
    registry.register_loader(oids.INT4_OID, Int4BinaryLoader)
    registry.register_loader(oids.INT8_OID, Int8BinaryLoader)
    registry.register_loader(oids.OID_OID, OidBinaryLoader)
    # float() reads the text directly, cheaper than unpacking (and for float4
    # far cheaper than finding the shortest repr): text preferred.
    registry.register_loader(oids.FLOAT4_OID, Float4BinaryLoader)
    registry.register_loader(oids.FLOAT8_OID, Float8BinaryLoader)
    registry.register_loader(oids.FLOAT4_OID, FloatLoader)
    registry.register_loader(oids.FLOAT8_OID, FloatLoader)
    # Decimal(str) beats decoding base-10000 digits in Python: text preferred.
    registry.register_loader(oids.NUMERIC_OID, NumericBinaryLoader)
    registry.register_loader(oids.NUMERIC_OID, NumericLoader)

    registry.register_dumper(int, IntDumper)
    registry.register_dumper(int, IntBinaryDumper)
    registry.register_dumper(float, FloatDumper)
    registry.register_dumper(float, FloatBinaryDumper)
    registry.register_dumper(Decimal, DecimalBinaryDumper)
    registry.register_dumper(Decimal, DecimalDumper)
    # The wrappers prefer binary, as the plain int and float do.
    for cls, (text_dumper, binary_dumper) in _WRAPPER_DUMPERS.items():
        registry.register_dumper(cls, text_dumper)
        registry.register_dumper(cls, binary_dumper)
