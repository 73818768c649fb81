"""Cursors that bind parameters their own way: on the client, or as ``$n`` placeholders.

* :class:`ClientCursor` quotes each parameter as an SQL literal (with the
  dumpers of the type system, see :func:`pgwire.sql.quote`), splices it into
  the text and sends one plain query: the server sees the values in the SQL,
  so several statements may be sent at once and :meth:`~ClientCursorMixin.mogrify`
  shows exactly what runs.  This is psycopg 3's ``ClientCursor``.
  ``executemany`` sends all the statements in one query: outside a
  transaction (autocommit) they run as one implicit transaction, all or none.
* :class:`RawCursor` takes the server's own placeholders ``$1 .. $n`` (no
  ``%s``); the values travel apart from the text, as with the default cursor.

The mixins hold the logic once for the blocking and asyncio cursors (the
asyncio classes are ``pgwire.AsyncClientCursor`` and ``pgwire.AsyncRawCursor``)
and for named cursors.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from ._cursor_base import BaseCursor, Params
from .cursor import Cursor
from .engine.composition import Composable
from .engine.placeholders import PreparedQuery, mogrify
from .errors import NotSupportedError, ParametersTypeError
from .protocol import core
from .protocol.core import PGGen

__all__ = ["ClientCursor", "ClientCursorMixin", "RawCursor", "RawCursorMixin"]


class ClientCursorMixin(BaseCursor):
    """Client-side binding: parameters become SQL literals in the query text."""

    _plannable = False

    def mogrify(self, query: Any, params: Params = None) -> str:
        """The query as it would be sent, with the parameters quoted in it."""
        self._check_open()
        return self._bind_on_client(query, params).decode(self._conn.adapt_context.encoding)

    def _bind_on_client(self, query: Any, params: Params) -> bytes:
        tx = self._tx
        return mogrify(query, params, tx.adapt_context.encoding, tx.adapt_context)

    def _query_gen(
        self,
        query: Any,
        params: Params,
        binary: bool | None = None,
        prepare: bool | None = None,
        one_statement: bool = False,
    ) -> PGGen:
        if binary if binary is not None else self.binary:
            raise NotSupportedError(
                "a client-side binding cursor reads results in text only: "
                "use a server-side binding cursor for binary results"
            )
        if prepare:
            raise NotSupportedError("a client-side binding cursor does not prepare statements")
        sql = self._bind_on_client(query, params)
        gen = super()._query_gen(sql, None, False, False, one_statement)
        self.params = params
        return gen

    def _many_gen(
        self, query: Any, params_seq: Iterable[Params], returning: bool = False
    ) -> PGGen | None:
        # Every statement in one plain query: one round trip, one result each.
        statements = [self._bind_on_client(query, params) for params in params_seq]
        if not statements:
            return None
        sql = b";\n".join(statements)
        conn = self._conn
        self.query = sql
        return core.simple_query(
            conn._proto,
            sql,
            self._description_callback() if returning else None,
            conn._begin_needed(),
        )


class RawCursorMixin(BaseCursor):
    """Queries written with the server's placeholders ``$1 .. $n``; values sent apart."""

    _plannable = False

    def _convert_query(self, query: Any, params: Params) -> PreparedQuery:
        if params is not None and (
            isinstance(params, (Mapping, str, bytes)) or not isinstance(params, Sequence)
        ):
            raise ParametersTypeError(
                "a raw query takes its parameters as a sequence ($1 is the first), got "
                f"{type(params).__name__}"
            )
        if isinstance(query, Composable):
            query = query.as_bytes(self._conn)
        elif isinstance(query, str):
            query = query.encode(self._conn.adapt_context.encoding)
        elif not isinstance(query, bytes):
            raise TypeError(
                f"the query must be str, bytes or sql.Composable, not {type(query).__name__}"
            )
        values = list(params or ())
        return PreparedQuery(query, values, [None] * len(values))


class ClientCursor(ClientCursorMixin, Cursor):
    """A blocking cursor binding parameters on the client (psycopg's ``ClientCursor``)."""


class RawCursor(RawCursorMixin, Cursor):
    """A blocking cursor whose queries use ``$1 .. $n`` placeholders."""
