"""SQL literals of Python values: how a value is spelled when it is spliced into a query.

One mechanism for every place that writes values into SQL text: client-side
binding and ``mogrify()``, :class:`pgwire.sql.Literal`, and
:meth:`pgwire.types.Dumper.quote` all end here.  Numbers are written plainly
(a leading space before a minus sign, so ``x-%s`` never becomes the comment
``x--1``), booleans as ``true``/``false``, NaN and infinities as cast strings,
anything else as a string constant with a ``::type`` cast when its dumper
names a type.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from ..errors import DataError
from .oids import OID_TO_NAME

__all__ = [
    "NUMBER_OIDS",
    "cast_name",
    "decimal_literal",
    "dumped_literal",
    "float_literal",
    "int_literal",
    "quote_string",
]


def quote_string(value: str) -> str:
    """``value`` as a string constant valid whatever standard_conforming_strings is."""
    if "\x00" in value:
        raise DataError("PostgreSQL text fields cannot contain NUL (0x00) characters")
    if "\\" in value:
        # E'' keeps backslashes meaning the same whatever the server setting; the
        # space keeps a preceding word (an identifier, U&) from joining the literal.
        return " E'" + value.replace("\\", "\\\\").replace("'", "''") + "'"
    return "'" + value.replace("'", "''") + "'"


_oid_names: dict[int, str] | None = None

# int2, int4, int8, oid, float4, float8, numeric
NUMBER_OIDS = frozenset([21, 23, 20, 26, 700, 701, 1700])


def cast_name(oid: int) -> str | None:
    """The SQL spelling of a builtin type OID for a ``::cast``, or ``None``."""
    global _oid_names
    if _oid_names is None:
        _oid_names = _build_oid_names()
    return _oid_names.get(oid)


# Pseudo-types: a literal cannot be cast to them, so they get no cast.
_NO_CAST = frozenset(["unknown", "record", "record[]", "cstring", "cstring[]", "anyarray", "void"])


def _build_oid_names() -> dict[int, str]:
    names: dict[int, str] = {}
    for oid, name in OID_TO_NAME.items():
        if name in _NO_CAST:
            continue
        if name == "char" or name == "char[]":
            # Unquoted, char means bpchar(1), not the one-byte "char" type.
            name = '"char"' + name[4:]
        names[oid] = name
    return names


def float_literal(value: float) -> str:
    """A float as a literal: plain digits, or NaN/Infinity as cast strings."""
    if value != value:
        return "'NaN'::float8"
    if value in (float("inf"), float("-inf")):
        return "'Infinity'::float8" if value > 0 else "'-Infinity'::float8"
    text = repr(value)
    # A leading space keeps "x-{}" from turning into the comment "x--1".
    return " " + text if text[0] == "-" else text


def decimal_literal(value: Decimal) -> str:
    """A Decimal as a literal: plain digits, or NaN/Infinity as cast strings."""
    if value.is_nan():
        return "'NaN'::numeric"
    if value.is_infinite():
        return "'-Infinity'::numeric" if value.is_signed() else "'Infinity'::numeric"
    text = str(value)
    return " " + text if text[0] == "-" else text


def int_literal(value: int) -> str:
    """An int as a literal (a space before a minus sign)."""
    text = str(value)
    return " " + text if value < 0 else text


_BOOL_OID = 16
_TEXT_OID = 25


def dumped_literal(dumper: Any, obj: Any, encoding: str, registry: Any) -> str:
    """`obj` as a literal, from what `dumper` (a text dumper) makes of it.

    `registry` (a TypesRegistry) spells the casts of types registered from
    the catalog (hstore, enums, composites...).
    """
    own_quote = getattr(type(dumper), "quote", None)
    if own_quote is not None and getattr(own_quote, "__module__", "").split(".")[0] != "pgwire":
        # A dumper of the user's that writes its own literal: psycopg uses it,
        # and adds the cast of the type it dumps to to a quoted string.
        quoted = bytes(dumper.quote(obj)).decode(encoding)
        oid = dumper.oid
        if oid and oid != _TEXT_OID and quoted.endswith("'"):
            name = cast_name(oid) or registry.sql_type_name(oid)
            if name:
                return f"{quoted}::{name}"
        return quoted
    data = dumper.dump(obj)
    if data is None:
        return "NULL"
    oid = dumper.oid
    if oid in NUMBER_OIDS and data[:1] in b"-0123456789" and data[-1:] in b"0123456789.":
        # (NaN and the infinities are not numbers SQL can spell: they are quoted below.)
        # A number (Int4(5)...) is written plainly, as psycopg's client-side binding does.
        number = bytes(data).decode("ascii")
        return " " + number if number[0] == "-" else number
    if oid == _BOOL_OID and data in (b"t", b"f"):
        return "true" if data == b"t" else "false"
    text = quote_string(bytes(data).decode(encoding))
    if not oid or oid == _TEXT_OID:
        # A string constant is text already (psycopg writes no cast for it).
        return text
    name = cast_name(oid) or registry.sql_type_name(oid)
    return f"{text}::{name}" if name else text
