"""Server-side (named) cursors: DECLARE ... CURSOR, rows fetched in batches.

``conn.cursor("name")`` returns one.  Its query runs on the server as a
cursor; rows travel only when fetched (``itersize`` at a time when iterating,
growing batches while the default is kept),
so results larger than memory can be walked.
"""

from __future__ import annotations

import warnings
from collections.abc import AsyncIterator, Iterator
from operator import length_hint
from types import TracebackType
from typing import TYPE_CHECKING, Any, Generic

from ._cursor_base import BaseCursor, Params
from ._flow import Call, FlowGen, Give, arun, arun_iter, run, run_iter
from .drivers import blocking
from .errors import InterfaceError, NotSupportedError, ProgrammingError
from .protocol import core
from .protocol.core import PGGen, Result
from .protocol.sqltext import quote_ident, quote_literal
from .rows import Row, tuple_row

if TYPE_CHECKING:
    from .aio import AsyncConnection
    from .connection import Connection


def _no_executemany() -> NotSupportedError:
    return NotSupportedError("executemany() is not available on server-side cursors")


ITERSIZE = 100
"""Rows per FETCH when iterating, at first (psycopg's default ``itersize``)."""

ITERSIZE_GROWN = 2000
"""The largest batch the default ``itersize`` grows to (psycopg2's ``itersize``)."""


class ServerCursorLogic(BaseCursor):
    """The statements a named cursor sends, shared by the blocking and asyncio ones."""

    def __init__(
        self,
        connection: Any,
        name: str,
        *,
        row_factory: Any = None,
        binary: bool = False,
        scrollable: bool | None = None,
        withhold: bool = False,
    ) -> None:
        super().__init__(connection, row_factory=row_factory, binary=binary)
        if not name:
            raise ProgrammingError("a server-side cursor needs a name")
        self.name = name
        self.scrollable = scrollable
        self.withhold = withhold
        self._itersize = ITERSIZE
        self._itersize_chosen = False
        self._declared = False
        self._ident = quote_ident(name).encode()
        self._fetched = 0
        # The iterator over the batch a loop is going through: the rows it
        # has not given yet are not counted in the row number (as psycopg's).
        self._batch: Iterator[Any] | None = None
        # The columns of the cursor's rows and the body of their RowDescription,
        # once described: each FETCH's answer is then read whole when plain.
        self._fetch_fields: list[Any] | None = None
        self._fetch_description: bytes | None = None
        # Rows in binary (execute(binary=...), else the cursor's): each FETCH
        # then goes through the extended protocol, which can ask for it.
        self._fetch_binary = binary
        # (row factory, its row maker) for the rows of the current execute().
        self._maker: tuple[Any, Any] | None = None

    def __del__(self) -> None:
        # As psycopg: a declared cursor left open holds server memory until its
        # transaction ends (or the session, WITH HOLD).
        conn = getattr(self, "_conn", None)
        if conn is None or conn.closed or getattr(self, "_closed", True):
            return
        if getattr(self, "_declared", False):
            warnings.warn(
                f"the {type(self).__name__} {self.name!r} was deleted while still open:"
                " use 'with' or .close() to close it",
                ResourceWarning,
                stacklevel=2,
            )

    @property
    def itersize(self) -> int:
        """Rows fetched per round trip when iterating (default 100).

        Left at its default, the batches double as the loop goes on, up to
        2000 rows: the first rows come as soon as with 100, and a long loop
        pays for few round trips. Set, it is the size of every batch.
        """
        return self._itersize

    @itersize.setter
    def itersize(self, size: int) -> None:
        self._itersize = size
        self._itersize_chosen = True

    def nextset(self) -> None:
        """A named cursor has a single result: there is never a next one."""
        return None

    def stream(
        self, query: Any, params: Params = None, *, binary: bool | None = None, size: int = 1
    ) -> Any:
        """Run ``query`` without declaring a cursor, yielding rows as they arrive.

        As psycopg: the rows come from a plain streamed query on the same
        connection, made with this cursor's row factory (an async iterator
        on an asyncio connection).
        """
        plain = self._conn.cursor(row_factory=self.row_factory)
        return plain.stream(query, params, binary=binary, size=size)

    def _declare_query(self, query: Any) -> Any:
        head = b"DECLARE " + self._ident
        if self.scrollable is not None:
            head += b" SCROLL" if self.scrollable else b" NO SCROLL"
        head += b" CURSOR WITH HOLD FOR " if self.withhold else b" CURSOR WITHOUT HOLD FOR "
        if isinstance(query, str):
            return head.decode() + query
        if isinstance(query, bytes):
            return head + query
        as_string = getattr(query, "as_string", None)
        if as_string is None:
            raise TypeError("the query must be str, bytes or sql.Composable")
        return head.decode() + as_string(self._conn)

    def _declare_gen(self, query: Any, params: Params, binary: bool | None) -> PGGen:
        # DECLARE takes one query: a second statement after it is refused by the server.
        return self._query_gen(
            self._declare_query(query), params, binary, prepare=False, one_statement=True
        )

    def _fetch_gen(self, count: int | None, direction: bytes = b"FORWARD") -> PGGen:
        how = b"ALL" if count is None else str(int(count)).encode()
        sql = b"FETCH " + direction + b" " + how + b" FROM " + self._ident
        if self._fetch_binary:
            return core.extended_query(
                self._conn._proto,
                sql,
                [],
                [],
                [],
                self._result_formats(True),
                self._description_callback(),
                known_fields=self._fetch_fields,
                description=self._fetch_description,
            )
        return core.simple_query(
            self._conn._proto,
            sql,
            self._description_callback(),
            known_fields=self._fetch_fields,
            description=self._fetch_description,
        )

    def _move_gen(self, value: int, mode: str) -> PGGen:
        if mode == "relative":
            sql = b"MOVE RELATIVE %d FROM " % value
        elif mode == "absolute":
            sql = b"MOVE ABSOLUTE %d FROM " % value
        else:
            raise ValueError(f"bad scroll mode {mode!r}: use 'relative' or 'absolute'")
        return core.simple_query(self._conn._proto, sql + self._ident, None)

    def _close_gen(self) -> PGGen | None:
        if self._conn.closed or not self._may_exist():
            return None
        return core.simple_query(self._conn._proto, b"CLOSE " + self._ident, None)

    def _may_exist(self) -> bool:
        """False when the server cursor of this name is surely gone (or can't be closed)."""
        status = self._conn._proto.transaction_status
        if status == core.INERROR:
            return False
        # The transaction that held a WITHOUT HOLD cursor has ended: the cursor is gone.
        return self.withhold or status != core.IDLE

    def _exists_gen(self) -> PGGen:
        """Whether a cursor of this name is open in the session (one declared elsewhere)."""
        sql = "SELECT 1 FROM pg_catalog.pg_cursors WHERE name = " + quote_literal(self.name)
        return core.simple_query(self._conn._proto, sql.encode(), None)

    def _on_description(self, fields: list[Any]) -> Any:
        # Each FETCH describes its rows again: they are read as tuples and
        # made by the row maker of the execute() (see _make_rows), so the
        # row factory is called once per execute, as psycopg does.
        self._last_fields = fields
        self._read_factory = tuple_row
        return self._tx.fields_loaders(fields), tuple

    def _make_rows(self, rows: list[Any]) -> list[Any]:
        """The rows of a FETCH made by the row factory (its maker made once per execute)."""
        factory = self._row_factory
        if factory is tuple_row:
            return rows
        made = self._maker
        if made is None or made[0] is not factory:
            made = self._maker = (factory, factory(self))
        return list(map(made[1], rows))

    def _after_declare(self, described: list[Result]) -> None:
        self._maker = None
        self._declared = True
        self._pos = 0
        self._fetched = 0
        self._batch = None
        fields = described[-1].fields if described else None
        if fields:
            self._fetch_fields = fields
            self._fetch_description = self._conn._proto.last_description
        self._set_results(described)
        self.rowcount = -1
        if fields and self._row_factory is not tuple_row:
            # Called at execute(), as psycopg does: its errors come from there.
            self._maker = (self._row_factory, self._row_factory(self))

    def _take(self, results: list[Result]) -> list[Any]:
        result = results[-1]
        if self._result is not None:
            self._result.fields = result.fields
        rows = result.rows
        self._fetched += len(rows)
        self.rowcount = self._fetched
        self._pos = self._fetched
        if result.error is not None:
            # A row of this batch could not be made (the server has moved past it).
            raise result.error
        return self._make_rows(rows)

    def _check_declared(self) -> None:
        if self._closed:
            raise InterfaceError("the cursor is closed")
        if not self._declared:
            raise ProgrammingError("no result available: execute a query first")

    def _adopt_flow(self) -> FlowGen[None]:
        """Fetching before execute(): take over the open cursor of this name, as psycopg does.

        The cursor was declared by other means (SQL, a function returning a
        refcursor); its columns are described by a FETCH of no rows. A name
        with no open cursor raises the server's InvalidCursorName.
        """
        if self._closed or self._declared:
            return
        self._fetch_binary = self.binary
        self._after_declare((yield Call(self._run, self._fetch_gen(0))))

    @property
    def rownumber(self) -> int | None:
        """The rows given so far (by fetches and iteration)."""
        if not self._declared:
            return None
        batch = self._batch
        return self._fetched if batch is None else self._fetched - length_hint(batch)

    # --- flows (pgwire._flow), run by the blocking and the asyncio cursors ----------

    def _execute_flow(self, query: Any, params: Params, binary: bool | None) -> FlowGen[Any]:
        self._check_open()
        if self._declared:
            # Executed again: the cursor of the last query is closed first (as psycopg).
            close = self._close_gen()
            self._declared = False
            self._fetch_fields = self._fetch_description = None
            if close is not None:
                yield Call(self._run, close)
        yield Call(self._run, self._declare_gen(query, params, binary))
        self._fetch_binary = binary if binary is not None else self.binary
        self._after_declare((yield Call(self._run, self._fetch_gen(0))))
        return self

    def _batch_flow(self, count: int | None) -> FlowGen[list[Any]]:
        """FETCH ``count`` rows (None: all)."""
        return self._take((yield Call(self._run, self._fetch_gen(count))))

    def _fetch_flow(self, count: int | None) -> FlowGen[list[Any]]:
        yield from self._adopt_flow()
        self._check_declared()
        return (yield from self._batch_flow(count))

    def _fetchone_flow(self) -> FlowGen[Any]:
        rows = yield from self._fetch_flow(1)
        return rows[0] if rows else None

    def _iter_flow(self) -> FlowGen[None]:
        """Iteration: the rows, ``itersize`` at a time (growing while it is the default)."""
        yield from self._adopt_flow()
        self._check_declared()
        size = self._itersize
        while True:
            rows = yield from self._batch_flow(size)
            self._batch = iter(rows)
            yield Give(self._batch)
            if len(rows) < size:
                return
            if not self._itersize_chosen:
                size = min(size * 2, ITERSIZE_GROWN)

    def _scroll_flow(self, value: int, mode: str) -> FlowGen[None]:
        yield from self._adopt_flow()
        self._check_declared()
        yield Call(self._run, self._move_gen(value, mode))
        self._fetched = value if mode == "absolute" else self._fetched + value
        self._batch = None

    def _close_flow(self) -> FlowGen[None]:
        if self._closed:
            return
        if not self._declared and not self._conn.closed and self._may_exist():
            # Not declared here: close the cursor of this name only if one is open
            # (declared by other means and taken over, as psycopg does).
            found = yield Call(self._run, self._exists_gen())
            if not found or found[-1].rowcount < 1:  # counted by the command tag
                self._closed = True
                return
            self._declared = True
        gen = self._close_gen()
        self._closed = True
        if gen is not None:
            yield Call(self._run, gen)


class ServerCursor(ServerCursorLogic, Generic[Row]):
    """A named cursor on a blocking connection."""

    _conn: Connection

    def __enter__(self) -> ServerCursor:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def _run(self, gen: PGGen) -> Any:
        conn = self._conn
        with conn._lock:
            conn._settle(None)
            return blocking.execute(conn._chan, gen)

    def execute(
        self, query: Any, params: Params = None, *, binary: bool | None = None, **kwargs: Any
    ) -> ServerCursor:
        """Declare the cursor for ``query`` on the server."""
        if kwargs:
            raise NotSupportedError("server-side cursors take no async_ or other options")
        return run(self._execute_flow(query, params, binary))  # type: ignore[no-any-return]

    def executemany(self, query: Any, params_seq: Any, **kwargs: Any) -> None:
        """Not available on server-side cursors."""
        raise _no_executemany()

    def results(self) -> Iterator[ServerCursor]:
        """The cursor itself, once: a named cursor has a single result."""
        yield self

    def fetchone(self) -> Any:
        """The next row, or None."""
        return run(self._fetchone_flow())

    def fetchmany(self, size: int | None = None) -> list[Any]:
        """The next ``size`` rows (default ``arraysize``)."""
        return run(self._fetch_flow(size or self.arraysize))

    def fetchall(self) -> list[Any]:
        """All the remaining rows."""
        return run(self._fetch_flow(None))

    def __iter__(self) -> Iterator[Any]:
        return run_iter(self._iter_flow())

    def scroll(self, value: int, mode: str = "relative") -> None:
        """Move the cursor on the server (needs ``scrollable=True`` to go back)."""
        run(self._scroll_flow(value, mode))

    def close(self) -> None:
        """Close the cursor on the server (idempotent)."""
        run(self._close_flow())


class AsyncServerCursor(ServerCursorLogic, Generic[Row]):
    """A named cursor on an asyncio connection."""

    _conn: AsyncConnection

    async def __aenter__(self) -> AsyncServerCursor:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    async def _run(self, gen: PGGen) -> Any:
        conn = self._conn
        async with conn._alock:
            return await conn._run(gen)

    async def execute(
        self, query: Any, params: Params = None, *, binary: bool | None = None
    ) -> AsyncServerCursor:
        """Declare the cursor for ``query`` on the server."""
        return await arun(self._execute_flow(query, params, binary))  # type: ignore[no-any-return]

    async def executemany(self, query: Any, params_seq: Any, **kwargs: Any) -> None:
        """Not available on server-side cursors."""
        raise _no_executemany()

    async def results(self) -> AsyncIterator[AsyncServerCursor]:
        """The cursor itself, once: a named cursor has a single result."""
        yield self

    async def fetchone(self) -> Any:
        """The next row, or None."""
        return await arun(self._fetchone_flow())

    async def fetchmany(self, size: int | None = None) -> list[Any]:
        """The next ``size`` rows (default ``arraysize``)."""
        return await arun(self._fetch_flow(size or self.arraysize))

    async def fetchall(self) -> list[Any]:
        """All the remaining rows."""
        return await arun(self._fetch_flow(None))

    def __aiter__(self) -> AsyncIterator[Any]:
        return arun_iter(self._iter_flow())

    async def scroll(self, value: int, mode: str = "relative") -> None:
        """Move the cursor on the server (needs ``scrollable=True`` to go back)."""
        await arun(self._scroll_flow(value, mode))

    async def close(self) -> None:
        """Close the cursor on the server (idempotent)."""
        await arun(self._close_flow())
