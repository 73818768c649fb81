"""Server-side (named) cursors: DECLARE ... CURSOR, rows fetched in batches.

``conn.cursor("name")`` returns one.  Its query runs on the server as a
cursor; rows travel only when fetched (``itersize`` at a time when iterating),
so results larger than memory can be walked.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from types import TracebackType
from typing import TYPE_CHECKING, Any

from ._cursor_base import BaseCursor, Params
from .drivers import blocking
from .errors import InterfaceError, NotSupportedError, ProgrammingError
from .protocol import core
from .protocol.core import PGGen, Result
from .protocol.sqltext import quote_ident

if TYPE_CHECKING:
    from .aio import AsyncConnection
    from .connection import Connection


class ServerCursorLogic(BaseCursor):
    """The statements a named cursor sends, shared by the blocking and asyncio ones."""

    def __init__(
        self,
        connection: Any,
        name: str,
        *,
        row_factory: Any = None,
        scrollable: bool | None = None,
        withhold: bool = False,
    ) -> None:
        super().__init__(connection, row_factory=row_factory)
        if not name:
            raise ProgrammingError("a server-side cursor needs a name")
        self.name = name
        self.scrollable = scrollable
        self.withhold = withhold
        self.itersize = 100
        self._declared = False
        self._ident = quote_ident(name).encode()
        self._fetched = 0

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
        if self._declared:
            raise ProgrammingError(
                f"cursor {self.name!r} already executed: close it or use another name"
            )
        return self._query_gen(self._declare_query(query), params, binary, prepare=False)

    def _fetch_gen(self, count: int | None, direction: bytes = b"FORWARD") -> PGGen:
        how = b"ALL" if count is None else str(int(count)).encode()
        sql = b"FETCH " + direction + b" " + how + b" FROM " + self._ident
        return core.simple_query(self._conn._proto, sql, self._description_callback())

    def _move_gen(self, value: int, mode: str) -> PGGen:
        if mode == "relative":
            sql = b"MOVE RELATIVE %d FROM " % value
        elif mode == "absolute":
            sql = b"MOVE ABSOLUTE %d FROM " % value
        else:
            raise ValueError(f"bad scroll mode {mode!r}: use 'relative' or 'absolute'")
        return core.simple_query(self._conn._proto, sql + self._ident, None)

    def _close_gen(self) -> PGGen | None:
        if not self._declared or self._conn.closed:
            return None
        if self._conn._proto.transaction_status == core.INERROR:
            return None
        if not self.withhold and self._conn._proto.transaction_status == core.IDLE:
            return None  # the transaction that held it has ended: the cursor is gone
        return core.simple_query(self._conn._proto, b"CLOSE " + self._ident, None)

    def _after_declare(self, described: list[Result]) -> None:
        self._declared = True
        self._pos = 0
        self._fetched = 0
        self._set_results(described)
        self.rowcount = -1

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
        return rows

    def _check_declared(self) -> None:
        if self._closed:
            raise InterfaceError("the cursor is closed")
        if not self._declared:
            raise ProgrammingError("no result available: execute a query first")

    @property
    def rownumber(self) -> int | None:
        """Rows fetched so far."""
        return self._fetched if self._declared else None


class ServerCursor(ServerCursorLogic):
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
        self._check_open()
        self._run(self._declare_gen(query, params, binary))
        self._after_declare(self._run(self._fetch_gen(0)))
        return self

    def executemany(self, query: Any, params_seq: Any, **kwargs: Any) -> None:
        """Not available on server-side cursors."""
        raise NotSupportedError("executemany() is not available on server-side cursors")

    def fetchone(self) -> Any:
        """The next row, or None."""
        self._check_declared()
        rows = self._take(self._run(self._fetch_gen(1)))
        return rows[0] if rows else None

    def fetchmany(self, size: int | None = None) -> list[Any]:
        """The next ``size`` rows (default ``arraysize``)."""
        self._check_declared()
        return self._take(self._run(self._fetch_gen(size or self.arraysize)))

    def fetchall(self) -> list[Any]:
        """All the remaining rows."""
        self._check_declared()
        return self._take(self._run(self._fetch_gen(None)))

    def __iter__(self) -> Iterator[Any]:
        self._check_declared()
        while True:
            rows = self._take(self._run(self._fetch_gen(self.itersize)))
            yield from rows
            if len(rows) < self.itersize:
                return

    def scroll(self, value: int, mode: str = "relative") -> None:
        """Move the cursor on the server (needs ``scrollable=True`` to go back)."""
        self._check_declared()
        self._run(self._move_gen(value, mode))
        self._fetched = value if mode == "absolute" else self._fetched + value

    def close(self) -> None:
        """Close the cursor on the server (idempotent)."""
        if self._closed:
            return
        gen = self._close_gen()
        self._closed = True
        if gen is not None:
            self._run(gen)


class AsyncServerCursor(ServerCursorLogic):
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
        self._check_open()
        await self._run(self._declare_gen(query, params, binary))
        self._after_declare(await self._run(self._fetch_gen(0)))
        return self

    async def fetchone(self) -> Any:
        """The next row, or None."""
        self._check_declared()
        rows = self._take(await self._run(self._fetch_gen(1)))
        return rows[0] if rows else None

    async def fetchmany(self, size: int | None = None) -> list[Any]:
        """The next ``size`` rows (default ``arraysize``)."""
        self._check_declared()
        return self._take(await self._run(self._fetch_gen(size or self.arraysize)))

    async def fetchall(self) -> list[Any]:
        """All the remaining rows."""
        self._check_declared()
        return self._take(await self._run(self._fetch_gen(None)))

    def __aiter__(self) -> AsyncIterator[Any]:
        return self._aiter()

    async def _aiter(self) -> AsyncIterator[Any]:
        self._check_declared()
        while True:
            rows = self._take(await self._run(self._fetch_gen(self.itersize)))
            for row in rows:
                yield row
            if len(rows) < self.itersize:
                return

    async def scroll(self, value: int, mode: str = "relative") -> None:
        """Move the cursor on the server (needs ``scrollable=True`` to go back)."""
        self._check_declared()
        await self._run(self._move_gen(value, mode))
        self._fetched = value if mode == "absolute" else self._fetched + value

    async def close(self) -> None:
        """Close the cursor on the server (idempotent)."""
        if self._closed:
            return
        gen = self._close_gen()
        self._closed = True
        if gen is not None:
            await self._run(gen)
