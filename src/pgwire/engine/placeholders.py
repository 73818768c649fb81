"""Placeholders: a ``pyformat`` query and its parameters -> ``$1 .. $n`` and values.

:func:`convert_query` turns a query written with the ``pyformat`` paramstyle
into the ``$1 .. $n`` form the server's extended protocol wants, plus the list
of values in ``$n`` order (the cursors call it for every ``execute()``);
:func:`mogrify` splices the values in as literals instead (client-side
binding).

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

from collections.abc import Mapping, Sequence
from functools import lru_cache
from typing import Any

from ..errors import ParametersTypeError, ProgrammingError
from ..types.adapt import AdaptContext, Format
from .composition import Composable, HasAdaptContext, count_phrase, quote, resolve_context

__all__ = ["PreparedQuery", "convert_query", "mogrify"]


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


def convert_query(
    query: str | bytes | Composable,
    params: Sequence[Any] | Mapping[str, Any] | None,
    encoding: str = "utf-8",
    context: AdaptContext | HasAdaptContext | None = None,
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
    context: AdaptContext | HasAdaptContext | None = None,
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
    context: AdaptContext | HasAdaptContext | None,
) -> tuple[str | bytes, _Plan | None, list[Any]]:
    """The query text, its plan (None without params) and the values in $n order."""
    text: str | bytes
    qtype = type(query)
    if qtype is str or qtype is bytes:
        text = query  # type: ignore[assignment]  # narrowed by the exact type check
    elif isinstance(query, Composable):
        # With parameters, a '%' produced by a Literal or an Identifier is data,
        # not a placeholder: render it doubled for the parser to undo.
        text = query._render(resolve_context(context), params is not None)
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
                f"the query has {count_phrase(plan.count, 'placeholder')} but "
                f"{count_phrase(len(params), 'parameter')} were passed"
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
