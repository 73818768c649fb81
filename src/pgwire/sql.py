"""Query parameters and SQL composition (the public names; the code is in
:mod:`pgwire.engine.placeholders` and :mod:`pgwire.engine.composition`).

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

from .engine.composition import (
    DEFAULT,
    NULL,
    SQL,
    Composable,
    Composed,
    Identifier,
    Literal,
    Placeholder,
    as_bytes,
    as_string,
    quote,
)
from .engine.placeholders import PreparedQuery, convert_query, mogrify

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
