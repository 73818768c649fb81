"""SQL text the driver writes itself: quoted identifiers and literals.

Savepoint names, cursor names, replication slots and their options are
spliced into commands as text; these are the one way to quote them.
"""

from __future__ import annotations

from ..errors import DataError

__all__ = ["quote_ident", "quote_literal"]


def quote_ident(name: str) -> str:
    """``name`` as a quoted SQL identifier (``a"b`` -> ``"a""b"``)."""
    if "\x00" in name:
        raise DataError("PostgreSQL identifiers cannot contain NUL (0x00) characters")
    return '"' + name.replace('"', '""') + '"'


def quote_literal(value: str) -> str:
    """``value`` as a standard-conforming SQL string literal (``it's`` -> ``'it''s'``)."""
    if "\x00" in value:
        raise DataError("PostgreSQL strings cannot contain NUL (0x00) characters")
    return "'" + value.replace("'", "''") + "'"
