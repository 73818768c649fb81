"""The columns of a result, as ``cursor.description`` lists them (PEP 249, psycopg's extras)."""

from __future__ import annotations

from typing import NamedTuple

from .protocol import messages as m
from .types import TypesRegistry
from .types.oids import NAME_TO_OID, OID_TO_NAME

__all__ = ["Column", "make_column", "type_display"]


class _ColumnItems(NamedTuple):
    name: str
    type_code: int
    display_size: int | None
    internal_size: int | None
    precision: int | None
    scale: int | None
    null_ok: bool | None


class Column(_ColumnItems):
    """One column of a result: the 7 items of PEP 249's ``description``.

    Also :attr:`type_display`, the type as SQL spells it (psycopg's).
    """

    @property
    def type_display(self) -> str:
        """The column's type: ``int4``, ``varchar(42)``, ``numeric(10,2)``, ``date[]``, ``hstore``.

        Types from the catalog show by name once registered on the cursor's
        adapters (``register_hstore``...); other unknown types show their OID.
        """
        extra = self.__dict__
        return type_display(self.type_code, extra.get("_modifier", -1), extra.get("_types"))

    def __repr__(self) -> str:
        return f"<Column {self.name!r}, type: {self.type_display} (oid: {self.type_code})>"


_NUMERIC_OID = 1700
_VARLEN_OIDS = (1042, 1043)  # bpchar, varchar
_BIT_OIDS = (1560, 1562)  # bit, varbit
_PRECISION_OIDS = (1083, 1266, 1114, 1184)  # time, timetz, timestamp, timestamptz
_INTERVAL_OID = 1186


class _Modifier(NamedTuple):
    precision: int | None
    scale: int | None
    display_size: int | None


def _modifier(oid: int, modifier: int) -> _Modifier:
    """What a type modifier says of a column of type `oid` (or of an array of it)."""
    name = OID_TO_NAME.get(oid, "")
    if name.endswith("[]"):
        oid = NAME_TO_OID.get(name[:-2], 0)
    if oid == _NUMERIC_OID and modifier >= 4:
        bits = modifier - 4
        # The scale is 11 bits, signed (PostgreSQL 15 allows negative scales).
        return _Modifier((bits >> 16) & 0xFFFF, ((bits & 0x7FF) ^ 0x400) - 0x400, None)
    if oid in _VARLEN_OIDS and modifier >= 4:
        return _Modifier(None, None, modifier - 4)
    if oid in _BIT_OIDS and modifier >= 0:
        return _Modifier(None, None, modifier)
    if oid in _PRECISION_OIDS and modifier >= 0:
        return _Modifier(modifier, None, None)
    if oid == _INTERVAL_OID and modifier >= 0 and modifier & 0xFFFF != 0xFFFF:
        return _Modifier(modifier & 0xFFFF, None, None)
    return _Modifier(None, None, None)


def make_column(field: m.FieldDescription, types: TypesRegistry | None = None) -> Column:
    """The PEP 249 description of a column (`types` names the registered types)."""
    mod = field.type_modifier
    details = _modifier(field.type_oid, mod)
    size = field.type_size if field.type_size > 0 else None
    column = Column(
        field.name,
        field.type_oid,
        details.display_size,
        size,
        details.precision,
        details.scale,
        None,
    )
    column.__dict__.update(_modifier=mod, _types=types)
    return column


def type_display(oid: int, modifier: int, types: TypesRegistry | None) -> str:
    """How psycopg shows a column's type: the name, the modifier, ``[]`` for arrays."""
    name = types.sql_type_name(oid) if types is not None else None
    if name is not None:
        return name
    name = OID_TO_NAME.get(oid)
    if name is None:
        return str(oid)
    array = name.endswith("[]")
    base = name[:-2] if array else name
    precision, scale, display_size = _modifier(oid, modifier)
    if scale is not None:
        shown = f"({precision},{scale})"
    elif precision is not None:
        shown = f"({precision})"
    elif display_size is not None:
        shown = f"({display_size})"
    else:
        shown = ""
    return base + shown + ("[]" if array else "")
