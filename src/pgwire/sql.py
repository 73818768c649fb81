"""Query parameters and SQL composition.

Two services live here:

* :func:`convert_query` turns a query written with the ``pyformat`` paramstyle
  into the ``$1 .. $n`` form the server's extended protocol wants, plus the list
  of values in ``$n`` order.  The cursors call it for every ``execute()``.
* :class:`SQL`, :class:`Identifier`, :class:`Literal`, :class:`Placeholder` and
  :class:`Composed` build queries dynamically and safely, as ``psycopg.sql``
  does, and :func:`quote` quotes one value as an SQL literal.

Placeholder rules (when parameters are given, i.e. ``params`` is not ``None``):

* ``%s`` takes the next positional parameter; ``%(name)s`` takes the parameter
  ``name`` of a mapping.  A query uses one style or the other, never both.
* ``%b`` / ``%(name)b`` ask for the value to be sent in binary format, ``%t`` /
  ``%(name)t`` in text format; ``%s`` lets the adaptation layer choose.
* ``%%`` is a literal ``%``.  Any other ``%`` is an error, so a query that
  contains ``%`` (a ``LIKE 'a%'`` pattern, the modulo operator) must double it
  as soon as it takes parameters.
* A name used several times maps to a single ``$n``; extra keys of a mapping
  are ignored.
* The text is not parsed as SQL: a placeholder inside a string literal, a
  quoted identifier or a comment is still a placeholder (``'%s'`` does *not*
  send the characters ``%s``), and a ``$1`` already present in the text is left
  alone and would clash with the generated numbering.

With ``params=None`` the text is sent exactly as written: nothing is
substituted and ``%%`` stays ``%%``, so ``SELECT '100%'`` works.
"""

from __future__ import annotations

import string
from collections.abc import Iterable, Iterator, Mapping, Sequence
from decimal import Decimal
from functools import lru_cache
from typing import Any, Protocol

from .errors import DataError, ParametersTypeError, ProgrammingError
from .types.adapt import AdaptContext, Format, adapt_context_of
from .types.literal import decimal_literal as _decimal_literal
from .types.literal import dumped_literal
from .types.literal import float_literal as _float_literal
from .types.literal import int_literal as _int_literal
from .types.literal import quote_string as _quote_string

__all__ = [
    "DEFAULT",
    "NULL",
    "Composable",
    "Composed",
    "Identifier",
    "Literal",
    "Placeholder",
    "PreparedQuery",
    "SQL",
    "as_bytes",
    "as_string",
    "convert_query",
    "mogrify",
    "quote",
]


# --------------------------------------------------------------------------
# Query conversion
# --------------------------------------------------------------------------


class PreparedQuery:
    """A query ready for the extended protocol.

    ``query`` is the encoded text with ``$1 .. $n`` placeholders (the original
    text, unchanged, when no parameters were given); ``params`` holds the values
    in ``$n`` order; ``formats`` holds, per parameter, :attr:`Format.BINARY`
    for ``%b``, :attr:`Format.TEXT` for ``%t`` and ``None`` for ``%s`` (the
    adaptation layer picks).  ``params`` and ``formats`` are ``None`` when the
    query was given without parameters.
    """

    __slots__ = ("query", "params", "formats")

    query: bytes
    params: list[Any] | None
    formats: list[Format | None] | None

    def __init__(
        self,
        query: bytes,
        params: list[Any] | None,
        formats: list[Format | None] | None,
    ) -> None:
        self.query = query
        self.params = params
        self.formats = formats

    def __repr__(self) -> str:
        return (
            f"PreparedQuery(query={self.query!r}, params={self.params!r}, formats={self.formats!r})"
        )

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, PreparedQuery):
            return NotImplemented
        return (
            self.query == other.query
            and self.params == other.params
            and self.formats == other.formats
        )

    __hash__ = None  # type: ignore[assignment]  # holds lists: not hashable


# Placeholder kinds of a parsed query.
_NONE = 0
_POSITIONAL = 1
_NAMED = 2

_FORMAT_CHARS: dict[str, Format | None] = {"s": None, "b": Format.BINARY, "t": Format.TEXT}

# Queries longer than this are parsed on every call rather than kept in the
# cache, so that a few huge generated statements cannot pin a lot of memory.
_CACHE_MAX_LEN = 100_000


class _Plan:
    """What a query text compiles to, independent of the parameter values."""

    __slots__ = ("query", "kind", "count", "names", "formats", "segments", "slots")

    def __init__(
        self,
        query: bytes,
        kind: int,
        count: int,
        names: tuple[str, ...] | None,
        formats: tuple[Format | None, ...],
        segments: tuple[bytes, ...],
        slots: tuple[int, ...],
    ) -> None:
        self.query = query
        self.kind = kind
        self.count = count  # number of distinct $n
        self.names = names  # parameter names in $n order (named style only)
        self.formats = formats
        # The text around the placeholders (one more segment than slots) and
        # the $n of each placeholder in order: what client-side binding splices.
        self.segments = segments
        self.slots = slots


def _snippet(query: str | bytes, start: int, end: int, encoding: str) -> str:
    """The part of a query quoted in an error message, as text."""
    part = query[start:end]
    if isinstance(part, bytes):
        return part.decode(encoding, "replace")
    return part


def _parse(query: str | bytes, encoding: str) -> _Plan:
    """Compile a query text with placeholders into a :class:`_Plan`.

    Works on ``str`` and ``bytes`` alike: in every client encoding PostgreSQL
    supports, the bytes of ``%``, ``(`` and ``)`` only ever stand for those
    characters (multibyte characters never contain them).  A ``str`` is
    parsed before encoding, so positions in messages count characters; in
    ``bytes`` they count bytes.
    """
    is_str = isinstance(query, str)
    pct: Any = "%" if is_str else b"%"
    lpar: Any = "(" if is_str else b"("
    rpar: Any = ")" if is_str else b")"
    empty: Any = "" if is_str else b""

    pieces: list[Any] = []
    kind = _NONE
    formats: list[Format | None] = []
    names: list[str] = []
    numbers: dict[str, int] = {}  # name -> $n
    slots: list[tuple[int, int]] = []  # (index in pieces, $n) of each placeholder
    start = 0  # start of the literal text not yet copied to pieces
    find = query.find
    i = find(pct)
    while i >= 0:
        pieces.append(query[start:i])
        nxt = query[i + 1 : i + 2]
        if nxt == pct:
            pieces.append(pct)
            start = i + 2
            i = find(pct, start)
            continue

        name: str | None = None
        if nxt == lpar:
            close = find(rpar, i + 2)
            if close < 0:
                raise ProgrammingError(
                    f"incomplete placeholder {_snippet(query, i, i + 20, encoding)!r} at "
                    f"position {i}: a '%(' needs a closing ')'; write %% for a literal %"
                )
            raw_name = query[i + 2 : close]
            if not raw_name:
                raise ProgrammingError(f"placeholder with an empty name '%()' at position {i}")
            if isinstance(raw_name, bytes):
                try:
                    name = raw_name.decode(encoding)
                except UnicodeDecodeError:
                    raise ProgrammingError(
                        f"placeholder name at position {i} is not valid {encoding}"
                    ) from None
            else:
                name = raw_name
            fpos = close + 1
        else:
            fpos = i + 1

        fchar = query[fpos : fpos + 1]
        if not fchar:
            if name is None:
                raise ProgrammingError("the query ends with a lone '%'; write %% for a literal %")
            raise ProgrammingError(
                f"incomplete placeholder {_snippet(query, i, fpos, encoding)!r} at the end "
                "of the query: it needs a format letter, as in %(name)s"
            )
        fstr = fchar if isinstance(fchar, str) else fchar.decode("ascii", "replace")
        if fstr not in _FORMAT_CHARS:
            # For bytes, decode a few bytes to show a whole multibyte character.
            shown = _snippet(query, i, fpos, encoding)
            shown += _snippet(query, fpos, fpos + (1 if is_str else 4), encoding)[:1]
            raise ProgrammingError(
                f"unsupported placeholder {shown!r} at position {i}: use %s, %b, %t, "
                "%(name)s, %(name)b, %(name)t, or %% for a literal %"
            )
        fmt = _FORMAT_CHARS[fstr]

        if name is None:
            if kind == _NAMED:
                raise ProgrammingError(
                    "positional (%s) and named (%(name)s) placeholders cannot be mixed "
                    "in the same query"
                )
            kind = _POSITIONAL
            formats.append(fmt)
            number = len(formats)
        else:
            if kind == _POSITIONAL:
                raise ProgrammingError(
                    "positional (%s) and named (%(name)s) placeholders cannot be mixed "
                    "in the same query"
                )
            kind = _NAMED
            seen = numbers.get(name)
            if seen is None:
                names.append(name)
                formats.append(fmt)
                number = numbers[name] = len(formats)
            else:
                if formats[seen - 1] is not fmt:
                    raise ProgrammingError(
                        f"placeholder {name!r} is used with different formats "
                        "(%s, %b, %t) in the same query"
                    )
                number = seen
        slots.append((len(pieces), number))
        pieces.append(f"${number}" if is_str else b"$%d" % number)
        start = fpos + 1
        i = find(pct, start)

    if start == 0:
        text = query  # no '%' at all: nothing to rewrite
    else:
        pieces.append(query[start:])
        text = empty.join(pieces)
    out = text.encode(encoding) if isinstance(text, str) else text
    segments: list[bytes] = []
    prev = 0
    for index, _ in slots:
        segments.append(_encoded(empty.join(pieces[prev:index]), encoding))
        prev = index + 1
    segments.append(_encoded(empty.join(pieces[prev:]), encoding) if slots else out)
    return _Plan(
        out,
        kind,
        len(formats),
        tuple(names) if kind == _NAMED else None,
        tuple(formats),
        tuple(segments),
        tuple(number for _, number in slots),
    )


def _encoded(text: str | bytes, encoding: str) -> bytes:
    return text.encode(encoding) if isinstance(text, str) else text


# The caches of compiled queries: a hit costs one dict lookup.  UTF-8, by far
# the most common client encoding, gets a cache keyed on the text alone, which
# spares building a key tuple on every call.  bytes queries get their own
# cache: "abc" and b"abc" hash alike, and comparing them warns under -b.
_parse_cached = lru_cache(maxsize=256)(_parse)
_parse_cached_bytes = lru_cache(maxsize=64)(_parse)


@lru_cache(maxsize=256)
def _parse_cached_utf8(query: str) -> _Plan:
    return _parse(query, "utf-8")


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def convert_query(
    query: str | bytes | Composable,
    params: Sequence[Any] | Mapping[str, Any] | None,
    encoding: str = "utf-8",
    context: AdaptContext | _HasAdaptContext | None = None,
) -> PreparedQuery:
    """Convert a ``pyformat`` query and its parameters for the extended protocol.

    ``query`` is a ``str`` (encoded with ``encoding``), already encoded
    ``bytes``, or a :class:`Composable` (rendered with ``context``, then
    encoded).  With ``params=None`` the text is kept exactly as given and the
    result's ``params`` and ``formats`` are ``None``.  Otherwise ``%s`` /
    ``%(name)s`` (and their ``%b`` / ``%t`` variants) become ``$1 .. $n``,
    ``%%`` becomes ``%``, and the values are listed in ``$n`` order.

    In a :class:`Composable` given with parameters, a ``%`` coming from a
    :class:`Literal` or an :class:`Identifier` is data and stays a ``%``, while
    :class:`SQL` snippets follow the placeholder rules (write ``%%`` there).

    Every mistake (wrong number of parameters, a missing key, mixed styles, an
    unknown ``%x`` placeholder, parameters that are neither a sequence nor a
    mapping) raises :class:`~pgwire.errors.ProgrammingError`.
    """
    text, plan, values = _bind(query, params, encoding, context)
    if plan is None:
        return PreparedQuery(_encoded(text, encoding), None, None)
    return PreparedQuery(plan.query, values, list(plan.formats))


def mogrify(
    query: str | bytes | Composable,
    params: Sequence[Any] | Mapping[str, Any] | None,
    encoding: str = "utf-8",
    context: AdaptContext | _HasAdaptContext | None = None,
) -> bytes:
    """The query with each placeholder replaced by its parameter as an SQL literal.

    This is client-side binding: the values are quoted by :func:`quote` (with
    the dumpers of ``context``) and spliced into the text, ``%%`` becomes
    ``%``.  With ``params=None`` the text is returned as it is.  The
    placeholder rules and errors are those of :func:`convert_query`.
    """
    text, plan, values = _bind(query, params, encoding, context)
    if plan is None:
        return _encoded(text, encoding)
    literals = [quote(value, context).encode(encoding) for value in values]
    segments = plan.segments
    out = [segments[0]]
    for number, segment in zip(plan.slots, segments[1:], strict=True):
        out.append(literals[number - 1])
        out.append(segment)
    return b"".join(out)


def _bind(
    query: str | bytes | Composable,
    params: Sequence[Any] | Mapping[str, Any] | None,
    encoding: str,
    context: AdaptContext | _HasAdaptContext | None,
) -> tuple[str | bytes, _Plan | None, list[Any]]:
    """The query text, its plan (None without params) and the values in $n order."""
    text: str | bytes
    qtype = type(query)
    if qtype is str or qtype is bytes:
        text = query  # type: ignore[assignment]  # narrowed by the exact type check
    elif isinstance(query, Composable):
        # With parameters, a '%' produced by a Literal or an Identifier is data,
        # not a placeholder: render it doubled for the parser to undo.
        text = query._render(_resolve_context(context), params is not None)
    elif isinstance(query, str):
        text = str(query)  # a subclass: the cache wants plain strings
    elif isinstance(query, (bytes, bytearray, memoryview)):
        text = bytes(query)
    else:
        raise ProgrammingError(
            f"the query must be str, bytes or a pgwire.sql.Composable, got {qtype.__name__}"
        )

    if params is None:
        return text, None, []

    if len(text) > _CACHE_MAX_LEN:
        plan = _parse(text, encoding)
    elif isinstance(text, bytes):
        plan = _parse_cached_bytes(text, encoding)
    elif encoding == "utf-8":
        plan = _parse_cached_utf8(text)
    else:
        plan = _parse_cached(text, encoding)

    # The exact-type checks come first: they are what almost every call passes.
    ptype = type(params)
    if ptype is tuple or ptype is list:
        is_seq = True
    elif ptype is dict:
        is_seq = False
    elif isinstance(params, (str, bytes, bytearray, memoryview)):
        raise ParametersTypeError(
            "query parameters must be a sequence or a mapping, got "
            f"{ptype.__name__} (to pass one value, write (value,))"
        )
    elif isinstance(params, Sequence):
        is_seq = True
    elif isinstance(params, Mapping):
        is_seq = False
    else:
        raise ParametersTypeError(
            f"query parameters must be a sequence or a mapping, got {ptype.__name__}"
        )

    if is_seq:
        if plan.kind == _NAMED:
            raise ProgrammingError(
                "the query uses named placeholders (%(name)s): parameters must be a "
                f"mapping, got {ptype.__name__}"
            )
        if len(params) != plan.count:
            raise ProgrammingError(
                f"the query has {_plural(plan.count, 'placeholder')} but "
                f"{_plural(len(params), 'parameter')} were passed"
            )
        values = list(params)
    else:
        if plan.kind == _POSITIONAL:
            raise ProgrammingError(
                "the query uses positional placeholders (%s): parameters must be a "
                f"sequence, got {ptype.__name__}"
            )
        names = plan.names
        if not names:
            values = []
        else:
            mapping: Mapping[str, Any] = params  # type: ignore[assignment]
            try:
                values = [mapping[name] for name in names]
            except KeyError:
                missing = [name for name in names if name not in mapping]
                if not missing:
                    raise  # the mapping's own __getitem__ failed
                raise ProgrammingError(
                    "no value for the placeholder"
                    + ("s " if len(missing) > 1 else " ")
                    + ", ".join(f"%({name})s" for name in missing)
                    + " in the parameters mapping"
                ) from None
    return text, plan, values


# --------------------------------------------------------------------------
# Literal quoting
# --------------------------------------------------------------------------


class _HasAdaptContext(Protocol):
    """Anything carrying an adaptation context: a connection, a cursor..."""

    @property
    def adapt_context(self) -> AdaptContext: ...


def _get_adapt_context(context: AdaptContext | _HasAdaptContext | None) -> AdaptContext:
    """Resolve the ``context`` argument of the rendering functions."""
    return adapt_context_of(context)


def _resolve_context(context: AdaptContext | _HasAdaptContext | None) -> AdaptContext | None:
    """Like :func:`_get_adapt_context`, but ``None`` stays ``None`` (the defaults)."""
    return None if context is None else _get_adapt_context(context)


def _bytes_literal(
    value: bytes | bytearray | memoryview, context: AdaptContext | _HasAdaptContext | None
) -> str:
    if context is not None and not _get_adapt_context(context).standard_conforming_strings:
        # The backslash of the hex format is an escape in a plain string then.
        return " E'\\\\x" + bytes(value).hex() + "'::bytea"
    return "'\\x" + bytes(value).hex() + "'::bytea"


def quote(obj: Any, context: AdaptContext | _HasAdaptContext | None = None) -> str:
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
    # Exact types first: it is both the common case and the fast one.
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
    if cls is bytes or cls is bytearray or cls is memoryview:
        return _bytes_literal(obj, context)

    ctx = _get_adapt_context(context)
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

    def as_string(self, context: AdaptContext | _HasAdaptContext | None = None) -> str:
        """Render as SQL text.

        ``context`` is a connection, a cursor, an
        :class:`~pgwire.types.AdaptContext` or ``None``; it decides how a
        :class:`Literal` of a non-basic type is adapted.
        """
        return self._render(_resolve_context(context), False)

    def as_bytes(self, context: AdaptContext | _HasAdaptContext | None = None) -> bytes:
        """Render as SQL text encoded in the encoding of ``context`` (UTF-8 if none)."""
        ctx = _resolve_context(context)
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
            f"{_plural(len(args), 'positional argument')}"
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
        text = ".".join(_quote_ident(s) for s in self._obj)
        return text.replace("%", "%%") if escape_pct else text


def _quote_ident(name: str) -> str:
    if "\x00" in name:
        raise DataError("PostgreSQL identifiers cannot contain NUL (0x00) characters")
    return '"' + name.replace('"', '""') + '"'


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
            args.append(f"format={self._format!r}")
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


def as_string(obj: Any, context: AdaptContext | _HasAdaptContext | None = None) -> str:
    """Render ``obj`` as SQL text: a :class:`Composable` as itself, anything else as a literal."""
    if isinstance(obj, Composable):
        return obj.as_string(context)
    return Literal(obj).as_string(context)


def as_bytes(obj: Any, context: AdaptContext | _HasAdaptContext | None = None) -> bytes:
    """Like :func:`as_string`, encoded in the encoding of ``context`` (UTF-8 if none)."""
    if isinstance(obj, Composable):
        return obj.as_bytes(context)
    return Literal(obj).as_bytes(context)
