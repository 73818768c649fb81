"""SQL composition: :class:`SQL`, :class:`Identifier`, :class:`Literal`,
:class:`Placeholder` and :class:`Composed` build queries dynamically and
safely, as ``psycopg.sql`` does; :func:`quote` quotes one value as an SQL
literal."""

from __future__ import annotations

import weakref
from collections.abc import Callable, Iterable, Iterator
from decimal import Decimal
from typing import Any, Protocol

from ..errors import ProgrammingError
from ..protocol.sqltext import quote_ident
from ..types.adapt import (
    AdaptContext,
    Format,
    PyFormat,
    TypesRegistry,
    adapt_context_of,
    default_registry,
)
from ..types.literal import decimal_literal as _decimal_literal
from ..types.literal import dumped_literal
from ..types.literal import float_literal as _float_literal
from ..types.literal import int_literal as _int_literal
from ..types.literal import quote_string as _quote_string

__all__ = [
    "DEFAULT",
    "NULL",
    "Composable",
    "Composed",
    "HasAdaptContext",
    "Identifier",
    "Literal",
    "Placeholder",
    "SQL",
    "as_bytes",
    "as_string",
    "count_phrase",
    "quote",
    "resolve_context",
]


def count_phrase(n: int, word: str) -> str:
    """``n`` and ``word``, plural unless ``n`` is 1 (for error messages)."""
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


# --------------------------------------------------------------------------
# Literal quoting
# --------------------------------------------------------------------------


class HasAdaptContext(Protocol):
    """Anything carrying an adaptation context: a connection, a cursor..."""

    @property
    def adapt_context(self) -> AdaptContext: ...


#: pgwire's own text dumpers of the types :func:`quote` writes directly.
_BUILTIN_TEXT_DUMPERS = {
    cls: default_registry.get_dumper(cls, Format.TEXT)
    for cls in (str, int, bool, float, Decimal, bytes, bytearray, memoryview)
}


# Per registry: the registrations seen (TypesRegistry's generation), and the
# builtin types whose text dumper is still pgwire's own.
_kept: weakref.WeakKeyDictionary[TypesRegistry, tuple[int, frozenset[type]]] = (
    weakref.WeakKeyDictionary()
)


# The last answer of _kept_builtins (most programs quote with one registry),
# without keeping that registry alive.
_last: tuple[Callable[[], TypesRegistry | None], int, frozenset[type]] = (
    lambda: None,
    -1,
    frozenset(),
)


def _kept_builtins(registry: TypesRegistry) -> frozenset[type]:
    """The builtin types that ``registry`` still writes with pgwire's own text dumper."""
    global _last
    generation = TypesRegistry._generation
    last = _last
    if last[1] == generation and last[0]() is registry:
        return last[2]
    known = _kept.get(registry)
    if known is not None and known[0] == generation:
        kept = known[1]
    else:
        kept = frozenset(
            cls
            for cls, dumper in _BUILTIN_TEXT_DUMPERS.items()
            if registry.get_dumper(cls, Format.TEXT) is dumper
        )
        _kept[registry] = (generation, kept)
    _last = (weakref.ref(registry), generation, kept)
    return kept


def _get_adapt_context(context: AdaptContext | HasAdaptContext | None) -> AdaptContext:
    """Resolve the ``context`` argument of the rendering functions."""
    return adapt_context_of(context)


def resolve_context(context: AdaptContext | HasAdaptContext | None) -> AdaptContext | None:
    """Like :func:`_get_adapt_context`, but ``None`` stays ``None`` (the defaults)."""
    return None if context is None else _get_adapt_context(context)


def _bytes_literal(
    value: bytes | bytearray | memoryview, context: AdaptContext | HasAdaptContext | None
) -> str:
    if context is not None and not _get_adapt_context(context).standard_conforming_strings:
        # The backslash of the hex format is an escape in a plain string then.
        return " E'\\\\x" + bytes(value).hex() + "'::bytea"
    return "'\\x" + bytes(value).hex() + "'::bytea"


def quote(obj: Any, context: AdaptContext | HasAdaptContext | None = None) -> str:
    """Return ``obj`` as an SQL literal, ready to be spliced into a query.

    ``None`` is ``NULL``, booleans ``true`` / ``false``, numbers are written
    plainly (NaN and infinities as casted strings), ``str`` is a quoted
    constant, ``bytes`` a ``bytea`` constant.  Other objects go through the
    text dumper of the adaptation layer of ``context`` (a connection, a cursor,
    an :class:`~pgwire.types.AdaptContext`, or ``None`` for the defaults) and
    get a ``::type`` cast when the dumper names a builtin type.
    """
    if obj is None:
        return "NULL"
    cls = type(obj)
    ctx = _get_adapt_context(context)
    # The builtin types written here directly, unless a dumper of the user's
    # replaces pgwire's for them: it is then used, as for any other type.
    if cls in _BUILTIN_TEXT_DUMPERS and cls in _kept_builtins(ctx.registry):
        if cls is str:
            return _quote_string(obj)
        if cls is int:
            return _int_literal(obj)
        if cls is bool:
            return "true" if obj else "false"
        if cls is float:
            return _float_literal(obj)
        if cls is Decimal:
            return _decimal_literal(obj)
        return _bytes_literal(obj, context)
    dumper_cls = ctx.registry.get_dumper(cls, Format.TEXT)
    if dumper_cls is None:
        # Subclasses of the basic types nobody registered a dumper for.
        if isinstance(obj, str):
            return _quote_string(str(obj))
        if isinstance(obj, int):
            return _int_literal(int(obj))
        if isinstance(obj, float):
            return _float_literal(float(obj))
        if isinstance(obj, Decimal):
            return _decimal_literal(Decimal(obj))
        if isinstance(obj, (bytes, bytearray)):
            return _bytes_literal(bytes(obj), ctx)
        raise ProgrammingError(f"cannot adapt type {cls.__name__!r} to an SQL literal")
    dumper = dumper_cls(cls, ctx).upgrade(obj, Format.TEXT)
    return dumped_literal(dumper, obj, ctx.encoding, ctx.registry)


# --------------------------------------------------------------------------
# Composition
# --------------------------------------------------------------------------


class Composable:
    """Base class of the objects that compose a query.

    A :class:`Composable` renders to SQL text with :meth:`as_string` or
    :meth:`as_bytes`, and can be passed to ``execute()`` in place of a query
    string.  ``a + b`` concatenates two of them into a :class:`Composed`, and
    ``a * n`` repeats one.
    """

    __slots__ = ("_obj",)

    def __init__(self, obj: Any) -> None:
        self._obj = obj

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._obj!r})"

    def _render(self, context: AdaptContext | None, escape_pct: bool) -> str:
        """The text of this object; with ``escape_pct``, '%' in data is doubled.

        Subclasses of this module implement it; a subclass written elsewhere
        may implement :meth:`as_string` instead, rendered as it is.
        """
        if type(self).as_string is Composable.as_string:
            raise NotImplementedError(f"{type(self).__name__} must implement as_string()")
        return self.as_string(context)

    def as_string(self, context: AdaptContext | HasAdaptContext | None = None) -> str:
        """Render as SQL text.

        ``context`` is a connection, a cursor, an
        :class:`~pgwire.types.AdaptContext` or ``None``; it decides how a
        :class:`Literal` of a non-basic type is adapted.
        """
        return self._render(resolve_context(context), False)

    def as_bytes(self, context: AdaptContext | HasAdaptContext | None = None) -> bytes:
        """Render as SQL text encoded in the encoding of ``context`` (UTF-8 if none)."""
        ctx = resolve_context(context)
        return self._render(ctx, False).encode("utf-8" if ctx is None else ctx.encoding)

    def __add__(self, other: Composable) -> Composed:
        if isinstance(other, Composed):
            return Composed([self]) + other
        if isinstance(other, Composable):
            return Composed([self, other])
        return NotImplemented

    def __mul__(self, n: int) -> Composed:
        if not isinstance(n, int):
            return NotImplemented
        return Composed([self] * n)

    def __eq__(self, other: object) -> bool:
        return type(self) is type(other) and self._obj == other._obj  # type: ignore[attr-defined]

    def __ne__(self, other: object) -> bool:
        return not self == other

    __hash__ = None  # type: ignore[assignment]  # may wrap unhashable values


class Composed(Composable):
    """A sequence of :class:`Composable` rendered one after the other.

    Items that are not :class:`Composable` are wrapped in :class:`Literal`.
    A :class:`Composed` is iterable, so it can be passed to :meth:`SQL.join`.
    """

    __slots__ = ()

    _obj: list[Composable]

    def __init__(self, seq: Iterable[Any]) -> None:
        super().__init__([obj if isinstance(obj, Composable) else Literal(obj) for obj in seq])

    @property
    def seq(self) -> list[Composable]:
        """The items, in order (a copy)."""
        return list(self._obj)

    def _render(self, context: AdaptContext | None, escape_pct: bool) -> str:
        return "".join([obj._render(context, escape_pct) for obj in self._obj])

    def __iter__(self) -> Iterator[Composable]:
        return iter(self._obj)

    def __add__(self, other: Composable) -> Composed:
        if isinstance(other, Composed):
            return Composed(self._obj + other._obj)
        if isinstance(other, Composable):
            return Composed([*self._obj, other])
        return NotImplemented

    def join(self, joiner: str | SQL) -> Composed:
        """Return a new :class:`Composed` with ``joiner`` between the items.

        ``joiner`` is a ``str`` (taken as :class:`SQL`) or an :class:`SQL`.
        """
        if isinstance(joiner, str):
            joiner = SQL(joiner)
        elif not isinstance(joiner, SQL):
            raise TypeError(
                f"Composed.join() needs a str or an SQL joiner, got {type(joiner).__name__}"
            )
        return joiner.join(self._obj)


class SQL(Composable):
    """A snippet of SQL text, included as it is (no quoting, no escaping).

    Use it for the constant parts of a query; values and names must go in
    :class:`Literal`, :class:`Identifier` or parameters.  :meth:`format` fills
    ``{}`` / ``{0}`` / ``{name}`` fields with other :class:`Composable` objects.
    """

    __slots__ = ()

    _obj: str

    def __init__(self, obj: str) -> None:
        if not isinstance(obj, str):
            raise TypeError(f"SQL values must be str, got {type(obj).__name__}")
        super().__init__(obj)

    @property
    def string(self) -> str:
        """The wrapped text."""
        return self._obj

    def _render(self, context: AdaptContext | None, escape_pct: bool) -> str:
        return self._obj

    def format(self, *args: Any, **kwargs: Any) -> Composed:
        """Fill the replacement fields of the text and return a :class:`Composed`.

        Fields are ``{}`` (the next positional argument), ``{0}`` (by index)
        or ``{name}`` (by keyword); ``{{`` and ``}}`` are literal braces.
        Arguments that are not :class:`Composable` are wrapped in
        :class:`Literal`.  Conversions (``{!r}``) and format specifications
        (``{:>10}``) are not supported, nor is mixing ``{}`` with ``{0}``.
        """
        parts: list[Composable] = []
        auto_index: int | None = None  # None until the numbering style is known
        manual = False
        # Imported by the first format(): not every process's start pays for it.
        import string

        for literal, field, spec, conversion in string.Formatter().parse(self._obj):
            if literal:
                parts.append(SQL(literal))
            if field is None:
                continue
            if conversion:
                raise ValueError("SQL.format() does not support conversions such as {!r}")
            if spec:
                raise ValueError("SQL.format() does not support format specifications")
            if field == "":
                if manual:
                    raise ValueError(
                        "cannot switch from manual field numbering ({0}) to automatic ({})"
                    )
                auto_index = 0 if auto_index is None else auto_index
                value = _positional_arg(args, auto_index)
                auto_index += 1
            elif field.isascii() and field.isdigit():
                if auto_index is not None:
                    raise ValueError(
                        "cannot switch from automatic field numbering ({}) to manual ({0})"
                    )
                manual = True
                value = _positional_arg(args, int(field))
            elif field.isidentifier():
                value = kwargs[field]
            else:
                raise ValueError(f"invalid field name in SQL.format(): {{{field}}}")
            parts.append(value if isinstance(value, Composable) else Literal(value))
        return Composed(parts)

    def join(self, seq: Iterable[Any]) -> Composed:
        """Join the items of ``seq`` with this text between them.

        Items that are not :class:`Composable` are wrapped in :class:`Literal`;
        a :class:`Composed` counts as the sequence of its items.
        """
        parts: list[Any] = []
        for i, item in enumerate(seq):
            if i:
                parts.append(self)
            parts.append(item)
        return Composed(parts)


def _positional_arg(args: tuple[Any, ...], index: int) -> Any:
    try:
        return args[index]
    except IndexError:
        raise IndexError(
            f"SQL.format(): replacement index {index} out of range for "
            f"{count_phrase(len(args), 'positional argument')}"
        ) from None


class Identifier(Composable):
    """An SQL identifier (a table, a column...), double-quoted.

    Several strings make a dotted name: ``Identifier("schema", "table")``
    renders as ``"schema"."table"``.  Double quotes inside a name are doubled;
    any other character (spaces, uppercase, unicode) is kept as is.
    """

    __slots__ = ()

    _obj: tuple[str, ...]

    def __init__(self, *strings: str) -> None:
        if not strings:
            raise TypeError("Identifier needs at least one name")
        for s in strings:
            if not isinstance(s, str):
                raise TypeError(f"Identifier names must be str, got {type(s).__name__}")
        super().__init__(strings)

    @property
    def strings(self) -> tuple[str, ...]:
        """The names making up the identifier."""
        return self._obj

    def __repr__(self) -> str:
        return f"Identifier({', '.join(map(repr, self._obj))})"

    def _render(self, context: AdaptContext | None, escape_pct: bool) -> str:
        text = ".".join(quote_ident(s) for s in self._obj)
        return text.replace("%", "%%") if escape_pct else text


class Literal(Composable):
    """A value rendered as an SQL literal (quoted on the client).

    See :func:`quote` for how each type is written.  Prefer query parameters
    for values; a literal is for the places parameters cannot go (DDL,
    ``COPY``, generated scripts).
    """

    __slots__ = ()

    @property
    def wrapped(self) -> Any:
        """The wrapped value."""
        return self._obj

    def _render(self, context: AdaptContext | None, escape_pct: bool) -> str:
        text = quote(self._obj, context)
        return text.replace("%", "%%") if escape_pct else text


_PLACEHOLDER_FORMATS: dict[Any, str] = {
    "s": "s",
    "b": "b",
    "t": "t",
    Format.BINARY: "b",
    Format.TEXT: "t",
}


class Placeholder(Composable):
    """A parameter placeholder: ``%s`` or, with a name, ``%(name)s``.

    ``format`` is ``"s"`` (automatic), ``"b"`` (binary) or ``"t"`` (text), or
    :attr:`Format.BINARY` / :attr:`Format.TEXT`.
    """

    __slots__ = ("_format",)

    _obj: str | None

    def __init__(self, name: str | None = None, format: str | Format = "s") -> None:
        if name is not None:
            if not isinstance(name, str):
                raise TypeError(f"a placeholder name must be str, got {type(name).__name__}")
            if not name:
                raise ValueError("a placeholder name cannot be empty")
            if ")" in name:
                raise ValueError(f"invalid placeholder name: {name!r}")
        fchar = _PLACEHOLDER_FORMATS.get(format)
        if fchar is None:
            raise ValueError(f"invalid placeholder format: {format!r}; use 's', 'b' or 't'")
        super().__init__(name)
        self._format = fchar

    @property
    def name(self) -> str | None:
        """The parameter name, ``None`` for a positional placeholder."""
        return self._obj

    def __repr__(self) -> str:
        args = [] if self._obj is None else [repr(self._obj)]
        if self._format != "s":
            # As psycopg shows it: the PyFormat member's name.
            args.append(f"format={PyFormat(self._format).name}")
        return f"Placeholder({', '.join(args)})"

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, Placeholder)
            and self._obj == other._obj
            and self._format == other._format
        )

    __hash__ = None  # type: ignore[assignment]

    def _render(self, context: AdaptContext | None, escape_pct: bool) -> str:
        if self._obj is None:
            return "%" + self._format
        return f"%({self._obj}){self._format}"


#: The SQL ``NULL`` keyword, to compose into queries.
NULL = SQL("NULL")
#: The SQL ``DEFAULT`` keyword, to compose into queries.
DEFAULT = SQL("DEFAULT")


def as_string(obj: Any, context: AdaptContext | HasAdaptContext | None = None) -> str:
    """Render ``obj`` as SQL text: a :class:`Composable` as itself, anything else as a literal."""
    if isinstance(obj, Composable):
        return obj.as_string(context)
    return Literal(obj).as_string(context)


def as_bytes(obj: Any, context: AdaptContext | HasAdaptContext | None = None) -> bytes:
    """Like :func:`as_string`, encoded in the encoding of ``context`` (UTF-8 if none)."""
    if isinstance(obj, Composable):
        return obj.as_bytes(context)
    return Literal(obj).as_bytes(context)
