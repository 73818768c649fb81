"""Query parameters and SQL composition (the public names; the code is in
:mod:`pgwire.engine.placeholders` and :mod:`pgwire.engine.composition`).

Two services live here:

* :func:`convert_query` turns a query written with the ``pyformat`` paramstyle
  into the ``$1 .. $n`` form the server's extended protocol wants, plus the list
  of values in ``$n`` order.  The cursors call it for every ``execute()``.
* :class:`SQL`, :class:`Identifier`, :class:`Literal`, :class:`Placeholder` and
  :class:`Composed` build queries dynamically and safely, as ``psycopg.sql``
  does, and :func:`quote` quotes one value as an SQL literal.

The placeholder rules (``%s``, ``%(name)s``, ``%b``/``%t``, ``%%``) are those
of :mod:`pgwire.engine.placeholders`, where the conversion is written.
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
