"""Selection of the compiled accelerator, and the column plans it decodes with.

:data:`speedups` is the compiled module :mod:`pgwire._speedups` when it was
built and importable, else None; setting ``PGWIRE_NO_SPEEDUPS`` to anything but
``""`` or ``"0"`` before pgwire is imported forces the pure-Python code.

:func:`plan_columns` tells the compiled row reader, per column, whether it may
decode the values itself and how: by recognising the exact loader classes of
:mod:`pgwire.types` (or the builtins some of them use as their load function).
Any other loader, including subclasses, is called as it is.
"""

from __future__ import annotations

import codecs
import os
from collections.abc import Callable, Sequence
from types import MethodType, ModuleType
from typing import Any

__all__ = ["compiled", "plan_columns", "plan_copy_values", "plan_params", "speedups"]


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

Plan = tuple[int, Any]
# Loader class -> a function of the loader instance giving its plan (None: call it).
_BY_CLASS: dict[type, Callable[[Any], Plan | None]] = {}
# Builtins used directly as load functions -> their plan.
_BY_CALLABLE: list[tuple[Any, Plan]] = []


def _is_utf8(encoding: Any) -> bool:
    try:
        return codecs.lookup(encoding).name == "utf-8"
    except (LookupError, TypeError):
        return False


def _build_tables(sp: Any) -> None:
    # Imported here, at the first result: importing the protocol core (which
    # imports this module) then does not drag in the whole types package.
    from decimal import Decimal
    from uuid import UUID, SafeUUID

    from .types import adapt, numeric, text
    from .types import bool as bool_
    from .types import datetime as dt
    from .types import json as json_
    from .types import uuid as uuid_

    def const(code: int, extra: Any = None) -> Callable[[Any], Plan]:
        return lambda _owner: (code, extra)

    def utf8(owner: Any) -> Plan | None:
        return (sp.UTF8, None) if _is_utf8(getattr(owner, "_encoding", None)) else None

    def tz(code: int) -> Callable[[Any], Plan | None]:
        def plan(owner: Any) -> Plan | None:
            zone = getattr(owner, "_tz", None)
            return None if zone is None else (code, zone)

        return plan

    def json_doc(code: int) -> Callable[[Any], Plan | None]:
        # Only the default parser on UTF-8 data: the scanner is what it calls.
        def plan(owner: Any) -> Plan | None:
            if getattr(owner, "_fast", None) is None or not _is_utf8(owner._encoding):
                return None
            return (code, json_._DECODER.scan_once)  # type: ignore[attr-defined]

        return plan

    uuid_extra = (UUID, SafeUUID.unknown)
    known: list[tuple[Any, str, Callable[[Any], Plan | None]]] = [
        (numeric, "Int2BinaryLoader", const(sp.INT2_BIN)),
        (numeric, "Int4BinaryLoader", const(sp.INT4_BIN)),
        (numeric, "Int8BinaryLoader", const(sp.INT8_BIN)),
        (numeric, "OidBinaryLoader", const(sp.OID_BIN)),
        (numeric, "Float8BinaryLoader", const(sp.FLOAT8_BIN)),
        (numeric, "NumericLoader", const(sp.NUMERIC_TEXT, Decimal)),
        (bool_, "BoolLoader", const(sp.BOOL_TEXT)),
        (bool_, "BoolBinaryLoader", const(sp.BOOL_BIN)),
        (text, "TextLoader", utf8),
        (text, "TextBinaryLoader", utf8),
        (adapt, "_UnknownTextLoader", utf8),
        (adapt, "_UnknownBinaryLoader", const(sp.BYTES)),
        (text, "ByteaLoader", const(sp.BYTEA_TEXT)),
        (dt, "DateLoader", const(sp.DATE_TEXT)),
        (dt, "DateBinaryLoader", const(sp.DATE_BIN)),
        (dt, "TimestampLoader", const(sp.TS_TEXT)),
        (dt, "TimestampBinaryLoader", const(sp.TS_BIN)),
        (dt, "TimestamptzLoader", tz(sp.TSTZ_TEXT)),
        (dt, "TimestamptzBinaryLoader", tz(sp.TSTZ_BIN)),
        (uuid_, "UUIDLoader", const(sp.UUID_TEXT, uuid_extra)),
        (uuid_, "UUIDBinaryLoader", const(sp.UUID_BIN, uuid_extra)),
        (dt, "TimeLoader", const(sp.TIME_TEXT)),
        (json_, "JsonLoader", json_doc(sp.JSON_TEXT)),
        (json_, "JsonbLoader", json_doc(sp.JSON_TEXT)),
        (json_, "JsonBinaryLoader", json_doc(sp.JSON_TEXT)),
        (json_, "JsonbBinaryLoader", json_doc(sp.JSONB_BIN)),
    ]
    # A class renamed or gone only costs its fast path.
    table = {
        cls: planner
        for module, name, planner in known
        if isinstance(cls := getattr(module, name, None), type)
    }
    _BY_CALLABLE[:] = [
        (int, (sp.INT_TEXT, None)),
        (float, (sp.FLOAT_TEXT, None)),
        (bytes, (sp.BYTES, None)),
        # TextLoader's load for UTF-8 sessions.
        (bytes.decode, (sp.UTF8, None)),
    ]
    # Last: a non-empty _BY_CLASS tells other threads the tables are ready.
    _BY_CLASS.update(table)


def _plan_one(load: Any) -> Plan:
    for func, plan in _BY_CALLABLE:
        if load is func:
            return plan
    if type(load) is MethodType:
        owner = load.__self__
        cls = type(owner)
        planner = _BY_CLASS.get(cls)
        # Only where `load` is the class's own method: the fast path decodes as
        # that method does, not as what a subclass or an instance put instead.
        if planner is not None and load.__func__ is getattr(cls, "load", None):
            try:
                found = planner(owner)
            except Exception:
                found = None
            if found is not None:
                return found
    return (0, None)


def plan_columns(loaders: Sequence[Callable[[bytes], Any]]) -> list[Plan]:
    """Return ``(code, extra)`` for each loader: how the compiled reader decodes its values.

    Code 0 means "call the loader". Called by the compiled row reader once
    per result (its plans are cached by loader identity).
    """
    if not _BY_CLASS:
        sp = compiled()
        if sp is None:
            return [(0, None)] * len(loaders)
        _build_tables(sp)
    return [_plan_one(load) for load in loaders]


ParamPlan = tuple[type, int, int, Any]
# Exact dumper classes -> how the compiled Bind builder encodes their values.
_PARAM_CODES: dict[type, Callable[[Any, Any], ParamPlan | None]] = {}


def _build_param_tables(sp: Any) -> None:
    from datetime import datetime

    from .types import datetime as dt
    from .types import numeric, text

    def ints(code: int, family: type) -> Callable[[Any, Any], ParamPlan | None]:
        # The value picks int2/int4/int8: the compiled side checks it picks the same.
        def plan(base: Any, used: Any) -> ParamPlan | None:
            return (int, code, used.oid, None) if type(base) is family else None

        return plan

    def utf8(base: Any, used: Any) -> ParamPlan | None:
        if base is not used or not _is_utf8(getattr(used, "_encoding", None)):
            return None
        return (str, sp.ENC_UTF8, used.oid, None)

    def stamps(code: int) -> Callable[[Any, Any], ParamPlan | None]:
        def plan(base: Any, used: Any) -> ParamPlan | None:
            if type(base) is not dt.DatetimeBinaryDumper:
                return None
            return (datetime, code, used.oid, None)

        return plan

    def float8(base: Any, used: Any) -> ParamPlan | None:
        return (float, sp.ENC_FLOAT8_BIN, used.oid, None) if base is used else None

    table: dict[type, Callable[[Any, Any], ParamPlan | None]] = {
        numeric.Int2Dumper: ints(sp.ENC_INT_TEXT, numeric.IntDumper),
        numeric.Int4Dumper: ints(sp.ENC_INT_TEXT, numeric.IntDumper),
        numeric.Int8Dumper: ints(sp.ENC_INT_TEXT, numeric.IntDumper),
        numeric.Int2BinaryDumper: ints(sp.ENC_INT_BIN, numeric.IntBinaryDumper),
        numeric.Int4BinaryDumper: ints(sp.ENC_INT_BIN, numeric.IntBinaryDumper),
        numeric.Int8BinaryDumper: ints(sp.ENC_INT_BIN, numeric.IntBinaryDumper),
        numeric.FloatBinaryDumper: float8,
        text.StrDumper: utf8,
        text.StrBinaryDumper: utf8,
        dt.DatetimeBinaryDumper: stamps(sp.ENC_TSTZ_BIN),
        dt.DatetimeNoTzBinaryDumper: stamps(sp.ENC_TS_BIN),
    }
    # Last: a non-empty _PARAM_CODES tells other threads the tables are ready.
    _PARAM_CODES.update(table)


def plan_params(
    params: Sequence[Any], dumpers: Sequence[tuple[Any, Any] | None]
) -> tuple[ParamPlan, ...] | None:
    """How the compiled Bind builder may encode rows like ``params``, or None if it may not.

    ``dumpers`` are the (registered, used) dumper pairs of each parameter (see
    ``Transformer.param_dumpers``). A value is encoded in C when its dumper is
    one the builder knows exactly, else by calling the dumper's ``dump`` when
    the dumper never depends on the value; a dumper that picks another one per
    value (lists...) leaves the rows to Python.
    """
    sp = speedups
    if sp is None:
        return None
    if not _PARAM_CODES:
        _build_param_tables(sp)
    # Here, not at the top: the protocol core imports this module before the types.
    from .types.adapt import _never_upgrades as never_upgrades

    out = []
    for obj, pair in zip(params, dumpers, strict=True):
        if pair is None:
            out.append((type(None), sp.ENC_NULL, 0, None))
            continue
        base, used = pair
        planner = _PARAM_CODES.get(type(used))
        found = planner(base, used) if planner is not None else None
        if found is None:
            if base is not used or not never_upgrades(used):
                return None
            found = (type(obj), sp.ENC_PY, used.oid, used.dump)
        elif found[0] is not type(obj):
            return None
        out.append(found)
    return tuple(out)


def plan_copy_values(
    row: Sequence[Any],
    dumpers: Sequence[tuple[Any, Any] | None],
    types: Sequence[int],
    *,
    binary: bool,
    previous: tuple[ParamPlan, ...] | None = None,
) -> tuple[ParamPlan, ...] | None:
    """How the compiled COPY encoder may write rows like ``row``, or None if it may not.

    ``dumpers`` are the (registered, used) dumper pairs of the values in the
    format of the COPY, ``types`` the column types (binary only). A None
    value keeps the column's entry of ``previous`` (None fits any column).
    The session's encoding must be one whose ASCII bytes are never part of a
    multibyte character: the encoder escapes text bytes as they are.
    The codes are the compiled module's, whether it is selected or not (its
    caller decides whether to use it).
    """
    sp = compiled()
    if sp is None:
        return None
    from datetime import datetime

    from .types import datetime as dt
    from .types import numeric, text
    from .types.adapt import Format
    from .types.adapt import _never_upgrades as never_upgrades

    fmt = Format.BINARY if binary else Format.TEXT
    out: list[ParamPlan] = []
    for j, (obj, pair) in enumerate(zip(row, dumpers, strict=True)):
        if pair is None:
            out.append(previous[j] if previous else (type(None), sp.ENC_NULL, 0, None))
            continue
        base, used = pair
        kind = type(obj)
        stable = base is used and never_upgrades(used) and used.format == fmt
        utf8 = _is_utf8(getattr(used, "_encoding", None))
        entry: ParamPlan | None = None
        if binary:
            oid = types[j]
            # The column types are the OIDs of the dumpers the base one picks from.
            if kind is int and type(base) is numeric.IntBinaryDumper:
                if oid in (base._int2.oid, base._int4.oid, base._int8.oid):
                    entry = (int, sp.ENC_INT_BIN, oid, None)
            elif kind is datetime and type(base) is dt.DatetimeBinaryDumper:
                if oid in (base._naive.oid, base.oid):
                    code = sp.ENC_TS_BIN if oid == base._naive.oid else sp.ENC_TSTZ_BIN
                    entry = (datetime, code, oid, None)
            elif stable and used.oid == oid:
                if kind is float and type(used) is numeric.FloatBinaryDumper:
                    entry = (float, sp.ENC_FLOAT8_BIN, oid, None)
                elif kind is str and type(used) is text.StrBinaryDumper and utf8:
                    entry = (str, sp.ENC_UTF8, oid, None)
                else:
                    entry = (kind, sp.ENC_PY, oid, used.dump)
        elif kind is int and isinstance(used, numeric._IntTextDumper):
            if type(used).dump is numeric._IntTextDumper.dump:
                entry = (int, sp.ENC_INT_TEXT, 0, None)
        elif stable:
            if kind is float and type(used) is numeric.FloatDumper:
                entry = (float, sp.ENC_FLOAT_TEXT, 0, None)
            elif kind is str and type(used) is text.StrDumper and utf8:
                entry = (str, sp.ENC_UTF8, 0, None)
            else:
                entry = (kind, sp.ENC_PY, 0, used.dump)
        if entry is None:
            return None
        out.append(entry)
    return tuple(out)
