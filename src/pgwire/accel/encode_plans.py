"""How the compiled encoders write parameters (Bind) and COPY FROM values.

A plan gives, per value, ``(type, code, oid, extra)``: the exact Python type
it fits, the compiled encoder's code, the type OID, and for ``ENC_PY`` the
dump function the compiled code calls.  Dumper classes whose values the
compiled code writes itself say so where they are defined, with these class
decorators:

* :func:`encoded_in_c`: the class, used as registered, writes values of one
  Python type as a compiled encoder does;
* :func:`picks_in_c`: the class picks a dumper per value (int2, int4 or
  int8...) as the compiled encoder does, which writes each pick;
* :func:`copied_as_text_in_c`: in COPY text, its ``dump`` (kept by
  subclasses) writes what a compiled encoder writes, whichever subclass a
  value picks.

Any other dumper that never picks another one per value is called from the
compiled code (``ENC_PY``); a dumper that does pick leaves the rows to Python.
Whether a dumper picks is told by :mod:`pgwire.types`
(:func:`use_upgrade_check`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from . import selection

__all__ = [
    "ParamPlan",
    "copied_as_text_in_c",
    "encoded_in_c",
    "picks_in_c",
    "plan_copy_values",
    "plan_params",
    "use_upgrade_check",
]

ParamPlan = tuple[type, int, int, Any]
"""How one value is encoded: (exact type, encoder code, type OID, dump function or None)."""

_C = TypeVar("_C", bound=type[Any])

# Wire format codes (text 0, binary 1), as dumpers' `format` compare to them.
_TEXT, _BINARY = 0, 1

# Encoders of COPY only: in a Bind, such a value is written by calling its dump.
_COPY_ONLY = frozenset({"ENC_FLOAT_TEXT"})


class _Encoding:
    """Values of one exact type written by a compiled encoder, under a condition."""

    __slots__ = ("code_name", "py_type", "when")

    def __init__(self, py_type: type, code_name: str, when: Callable[[Any], bool] | None) -> None:
        self.py_type = py_type
        self.code_name = code_name
        self.when = when

    def applies(self, dumper: Any) -> bool:
        """Whether this encoding writes the values of ``dumper``."""
        return self.when is None or self.when(dumper)


class _Picker:
    """A dumper class choosing per value among dumpers the compiled encoders know."""

    __slots__ = ("codes_by_oid", "py_type")

    def __init__(self, py_type: type, codes_by_oid: Callable[[Any], dict[int, str]]) -> None:
        self.py_type = py_type
        self.codes_by_oid = codes_by_oid


# Exact dumper classes used as registered -> their encoding.
_ENCODINGS: dict[type, _Encoding] = {}
# Exact dumper classes picking per value -> how the compiled encoders pick.
_PICKERS: dict[type, _Picker] = {}
# COPY text: a dump function -> the declaring class and its encoding.
_TEXT_DUMPS: dict[Any, tuple[type[Any], _Encoding]] = {}

# The json and jsonb type OIDs (this layer imports no type module): columns
# whose values the COPY encoder leaves to Python unless they are str or dict.
_JSON_COLUMNS = frozenset({114, 3802})


def _never_upgrades_unknown(dumper: Any) -> bool:
    return False


_never_upgrades: Callable[[Any], bool] = _never_upgrades_unknown


def use_upgrade_check(never_upgrades: Callable[[Any], bool]) -> None:
    """Set the function telling whether a dumper's choice never depends on the value.

    :mod:`pgwire.types.adapt` hands it over where dumpers are defined; until
    then no dumper is called from the compiled code.
    """
    global _never_upgrades
    _never_upgrades = never_upgrades


def encoded_in_c(
    py_type: type, code_name: str, *, when: Callable[[Any], bool] | None = None
) -> Callable[[_C], _C]:
    """Class decorator: this dumper class, used as registered, writes ``py_type`` values in C.

    ``code_name`` names the compiled encoder (``"ENC_FLOAT8_BIN"``...; see
    ``_speedups.pyi``), which must write what the class's ``dump`` writes
    for values of exactly ``py_type``; ``when(dumper)`` says whether this
    instance may be (the session's encoding...).  Only exact instances of
    the class, chosen for the value's own type, are written in C.
    """

    def declare(cls: _C) -> _C:
        _ENCODINGS[cls] = _Encoding(py_type, code_name, when)
        return cls

    return declare


def picks_in_c(py_type: type, codes_by_oid: Callable[[Any], dict[int, str]]) -> Callable[[_C], _C]:
    """Class decorator: this dumper class picks, per ``py_type`` value, a dumper the C code knows.

    ``codes_by_oid(dumper)`` maps the type OID of each dumper the instance
    may pick to the compiled encoder writing that pick: in a Bind the
    encoder checks the value picks that OID, in binary COPY it writes the
    value as the column's type.  Only exact instances of the class are.
    """

    def declare(cls: _C) -> _C:
        _PICKERS[cls] = _Picker(py_type, codes_by_oid)
        return cls

    return declare


def copied_as_text_in_c(py_type: type, code_name: str) -> Callable[[_C], _C]:
    """Class decorator: in COPY text, this class's ``dump`` writes ``py_type`` values as C does.

    Every dumper of the class (subclasses included) that keeps its ``dump``
    is written by the compiled encoder ``code_name``, whichever of them a
    value picks: the text is the same for all of them.
    """

    def declare(cls: _C) -> _C:
        _TEXT_DUMPS[cls.dump] = (cls, _Encoding(py_type, code_name, None))
        return cls

    return declare


def _picked(sp: Any, base: Any, oid: int) -> ParamPlan | None:
    """The entry of a value whose dumper ``base`` picks the dumper of ``oid``, if C picks it too."""
    picker = _PICKERS.get(type(base))
    code_name = None if picker is None else picker.codes_by_oid(base).get(oid)
    if picker is None or code_name is None:
        return None
    return (picker.py_type, getattr(sp, code_name), oid, None)


def _as_registered(sp: Any, kind: type, used: Any, oid: int) -> ParamPlan:
    """The entry of a value written by ``used``, a dumper that never picks another one."""
    encoding = _ENCODINGS.get(type(used))
    if encoding is not None and kind is encoding.py_type and encoding.applies(used):
        return (kind, getattr(sp, encoding.code_name), oid, None)
    return (kind, sp.ENC_PY, oid, used.dump)


def _bind_entry(sp: Any, base: Any, used: Any) -> ParamPlan | None:
    """The entry the compiled Bind encoder writes a parameter with, if it has one."""
    found = _picked(sp, base, used.oid)
    if found is not None or base is not used:
        return found
    encoding = _ENCODINGS.get(type(used))
    if encoding is None or encoding.code_name in _COPY_ONLY or not encoding.applies(used):
        return None
    return (encoding.py_type, getattr(sp, encoding.code_name), used.oid, None)


def plan_params(
    params: Sequence[Any], dumpers: Sequence[tuple[Any, Any] | None]
) -> tuple[ParamPlan, ...] | None:
    """How the compiled Bind builder may encode rows like ``params``, or None if it may not.

    ``dumpers`` are the (registered, used) dumper pairs of each parameter (see
    ``Transformer.param_dumpers``). A value is encoded in C when its dumper is
    declared to the compiled encoders, else by calling the dumper's ``dump``
    when the dumper never depends on the value; a dumper that picks another
    one per value (lists...) leaves the rows to Python.
    """
    sp = selection.speedups
    if sp is None:
        return None
    out = []
    for obj, pair in zip(params, dumpers, strict=True):
        if pair is None:
            out.append((type(None), sp.ENC_NULL, 0, None))
            continue
        base, used = pair
        found = _bind_entry(sp, base, used)
        if found is None:
            if base is not used or not _never_upgrades(used):
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
    sp = selection.compiled()
    if sp is None:
        return None
    fmt = _BINARY if binary else _TEXT
    out: list[ParamPlan] = []
    for j, (obj, pair) in enumerate(zip(row, dumpers, strict=True)):
        if pair is None:
            out.append(previous[j] if previous else (type(None), sp.ENC_NULL, 0, None))
            continue
        base, used = pair
        kind = type(obj)
        stable = base is used and _never_upgrades(used) and used.format == fmt
        entry: ParamPlan | None = None
        if binary:
            oid = types[j]
            # A picking dumper's value goes as the column's type, if it is one it picks.
            picker = _PICKERS.get(type(base))
            if picker is not None and kind is picker.py_type and base.format == fmt:
                entry = _picked(sp, base, oid)
            elif stable and used.oid == oid:
                entry = _as_registered(sp, kind, used, oid)
        elif types and types[j] in _JSON_COLUMNS and kind is not str and kind is not dict:
            # Into a json column a value goes as JSON (a bool is true, not t): Python's way.
            return None
        else:
            text_dump = _TEXT_DUMPS.get(getattr(type(used), "dump", None))
            if text_dump is not None and kind is text_dump[1].py_type:
                if isinstance(used, text_dump[0]) and used.format == fmt:
                    entry = (kind, getattr(sp, text_dump[1].code_name), 0, None)
            elif stable:
                entry = _as_registered(sp, kind, used, 0)
        if entry is None:
            return None
        out.append(entry)
    return tuple(out)
