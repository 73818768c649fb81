"""How the compiled row reader decodes each column of a result.

A loader class whose values the compiled reader can decode itself says so
where it is defined, with the :func:`decoded_in_c` class decorator: the name
of the compiled decoder (a column code of :mod:`pgwire.accel._speedups`) and,
for decoders that need one, the object it works with (the session's time
zone, the JSON scanner...).  :func:`plan_columns` reads these declarations;
any other loader, including a subclass of a declared one, is called as it is.
"""

from __future__ import annotations

import codecs
from collections.abc import Callable, Sequence
from types import MethodType
from typing import Any, TypeVar

from .selection import compiled, speedups

__all__ = ["asked_for_when_compiled", "decoded_in_c", "is_utf8", "plan_columns"]

Plan = tuple[int, Any]
"""A column's plan: the compiled decoder's code (0: call the loader) and its extra object."""

_C = TypeVar("_C", bound=type)


class _Decoder:
    """A loader class's compiled decoder, and what its instances must be for it."""

    __slots__ = ("code_name", "extra", "when")

    def __init__(
        self,
        code_name: str,
        extra: Callable[[Any], Any] | None,
        when: Callable[[Any], bool] | None,
    ) -> None:
        self.code_name = code_name
        self.extra = extra
        self.when = when

    def plan(self, loader: Any) -> tuple[str, Any] | None:
        """The decoder's name and extra object for ``loader``, or None when it must be called."""
        if self.when is not None and not self.when(loader):
            return None
        if self.extra is None:
            return (self.code_name, None)
        extra = self.extra(loader)
        return None if extra is None else (self.code_name, extra)


# Exact loader classes -> their compiled decoder.
_DECODERS: dict[type, _Decoder] = {}

# Binary loader classes whose format is the one to ask for when rows are read compiled.
_ASKED_FOR: set[type] = set()

# Builtins that loaders use directly as their load function -> the code decoding as they do.
_BUILTINS: tuple[tuple[Any, str], ...] = (
    (int, "INT_TEXT"),
    (float, "FLOAT_TEXT"),
    (bytes, "BYTES"),
    # A UTF-8 session's text loaders.
    (bytes.decode, "UTF8"),
)


def decoded_in_c(
    code_name: str,
    *,
    extra: Callable[[Any], Any] | None = None,
    when: Callable[[Any], bool] | None = None,
    asked_for: bool = False,
) -> Callable[[_C], _C]:
    """Class decorator: the compiled row reader decodes this loader class's values itself.

    ``code_name`` names the compiled decoder (``"INT4_BIN"``...; see
    ``_speedups.pyi``), which must give what the class's ``load`` gives.
    ``extra(loader)`` is the object that decoder needs besides the bytes,
    for the decoders that take one; ``when(loader)`` says whether this
    instance may be decoded in C at all.  A None extra or a false ``when``
    leaves the loader to be called.  Only instances of exactly this class,
    whose ``load`` is the class's own, are decoded in C.

    ``asked_for`` (binary loaders): when rows are read compiled, results of
    the type are asked for in this format rather than in that of the stock
    text loader, see :func:`asked_for_when_compiled`.
    """

    def declare(cls: _C) -> _C:
        _DECODERS[cls] = _Decoder(code_name, extra, when)
        if asked_for:
            _ASKED_FOR.add(cls)
        return cls

    return declare


def asked_for_when_compiled(binary_loader: type, text_loader: type | None) -> bool:
    """Whether to ask for binary results read by ``binary_loader`` instead of text ones.

    True when the accelerator is used, ``binary_loader`` is declared
    ``asked_for``, and ``text_loader`` is a stock loader decoded in C as well
    (a text loader of the user's own is always used as registered).  Such
    a binary value costs the server a copy of a few bytes where the text one
    is formatted (float8out's shortest digits, timestamp_out's calendar), and
    costs the compiled reader a fixed-width read where the text is parsed.
    """
    if speedups is None or binary_loader not in _ASKED_FOR or text_loader is None:
        return False
    load = getattr(text_loader, "load", None)
    return text_loader in _DECODERS or any(load is func for func, _ in _BUILTINS)


def is_utf8(encoding: Any) -> bool:
    """Whether ``encoding`` names UTF-8 (what the compiled decoders and encoders of text read)."""
    try:
        return codecs.lookup(encoding).name == "utf-8"
    except (LookupError, TypeError):
        return False


def _plan_one(codes: Any, load: Any) -> Plan:
    for func, code_name in _BUILTINS:
        if load is func:
            return (getattr(codes, code_name), None)
    if type(load) is MethodType:
        owner = load.__self__
        cls = type(owner)
        decoder = _DECODERS.get(cls)
        # Only where `load` is the class's own method: the fast path decodes as
        # that method does, not as what a subclass or an instance put instead.
        if decoder is not None and load.__func__ is getattr(cls, "load", None):
            try:
                found = decoder.plan(owner)
            except Exception:
                found = None
            if found is not None:
                return (getattr(codes, found[0]), found[1])
    return (0, None)


def plan_columns(loaders: Sequence[Callable[[bytes], Any]]) -> list[Plan]:
    """Return ``(code, extra)`` for each loader: how the compiled reader decodes its values.

    Code 0 means "call the loader". Called by the compiled row reader once
    per result (its plans are cached by loader identity).
    """
    codes = compiled()
    if codes is None:
        return [(0, None)] * len(loaders)
    return [_plan_one(codes, load) for load in loaders]
