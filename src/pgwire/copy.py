"""COPY FROM STDIN / TO STDOUT for the blocking and asyncio cursors.

```python
with cur.copy("COPY t (a, b) FROM STDIN") as copy:
    copy.write_row((1, "x"))
with cur.copy("COPY t TO STDOUT") as copy:
    copy.set_types(["int4", "text"])
    for row in copy.rows():
        ...
```
Leaving the block ends the COPY; an exception inside a COPY FROM block
aborts it (CopyFail) and propagates.
"""

from __future__ import annotations

from collections import deque
from collections.abc import AsyncIterator, Iterable, Iterator, Sequence
from itertools import islice
from types import TracebackType
from typing import TYPE_CHECKING, Any

from ._copy_rows import RowEncoder
from .drivers import blocking
from .errors import ProgrammingError, QueryCanceled
from .protocol import copy as pc
from .protocol.copy import CopyState
from .protocol.core import PGGen
from .types import Format
from .types import oids as type_oids

if TYPE_CHECKING:
    from .aio import AsyncCursor
    from .cursor import Cursor

FLUSH_SIZE = 1 << 20
"""Queued COPY data past which write() sends before returning."""


ROWS_BATCH = 4096
"""Rows write_rows() takes from an iterator at a time (what it holds at once)."""


class BaseCopy:
    """Formatting and parsing shared by the blocking and asyncio COPY objects."""

    def __init__(self, cursor: Any, statement: Any) -> None:
        if not isinstance(statement, (str, bytes)) and not hasattr(statement, "as_bytes"):
            raise TypeError("the COPY statement must be str, bytes or sql.Composable")
        self._cursor = cursor
        self._conn = cursor._conn
        self._statement = statement
        self._state: CopyState | None = None
        self._types: list[int] | None = None
        self._pending = b""
        self._header_seen = False
        self._encoder: RowEncoder | None = None
        self._finished = False
        # Rows parsed from a chunk but not yet returned by read_row().
        self._rows_ahead: deque[tuple[Any, ...]] = deque()

    def _sql(self) -> bytes:
        statement = self._statement
        if isinstance(statement, bytes):
            return statement
        if isinstance(statement, str):
            return statement.encode(self._conn.adapt_context.encoding)
        return statement.as_bytes(self._conn)  # type: ignore[no-any-return]

    @property
    def state(self) -> CopyState:
        """The COPY as the server started it."""
        if self._state is None:
            raise ProgrammingError("the COPY has not started: use it in a with block")
        return self._state

    @property
    def binary(self) -> bool:
        """True if the COPY uses the binary format."""
        return self.state.format == 1

    def set_types(self, types: Sequence[int | str]) -> None:
        """Declare the column types (OIDs or builtin type names) to load rows with."""
        resolved = []
        for t in types:
            if isinstance(t, str):
                oid = type_oids.NAME_TO_OID.get(t.lower())
                if oid is None:
                    raise ProgrammingError(f"unknown type name {t!r}")
                resolved.append(oid)
            else:
                resolved.append(int(t))
        self._types = resolved

    # --- writing ---------------------------------------------------------------

    def _check_in(self) -> CopyState:
        state = self.state
        if state.direction != "in" or self._finished:
            raise ProgrammingError("this COPY does not accept data")
        return state

    def _encode(self, data: bytes | bytearray | memoryview | str) -> bytes:
        self._check_in()
        if isinstance(data, str):
            return data.encode(self._conn.adapt_context.encoding)
        return bytes(data)

    def _row_encoder(self) -> RowEncoder:
        """The encoder of write_row(), made at the first row (set_types() is known then)."""
        state = self._check_in()
        if self._encoder is None:
            self._encoder = RowEncoder(
                self._cursor._tx,
                self._conn.adapt_context.encoding,
                binary=state.format == 1,
                ncolumns=len(state.column_formats),
                types=self._types,
            )
        return self._encoder

    def _queue_rows(self) -> bool:
        """Queue the rows encoded so far as one CopyData; True when the socket should be fed."""
        encoder = self._encoder
        proto = self._conn._proto
        if encoder is not None and encoder.data:
            pc.copy_data(proto, encoder.data)
            encoder.data.clear()
        return len(proto.out) >= FLUSH_SIZE

    @staticmethod
    def _batches(rows: Iterable[Sequence[Any]]) -> Iterator[Sequence[Sequence[Any]]]:
        """``rows`` in lists or tuples of at most ROWS_BATCH rows, taken as they come."""
        if type(rows) is list or type(rows) is tuple:
            for i in range(0, len(rows), ROWS_BATCH):
                yield rows[i : i + ROWS_BATCH]
            return
        it = iter(rows)
        while batch := list(islice(it, ROWS_BATCH)):
            yield batch

    def _finish_sql(self, exc: BaseException | None) -> str | None:
        if exc is None:
            if self._encoder is not None:
                if self.binary:
                    self._encoder.data += pc.BINARY_TRAILER
                self._queue_rows()
            return None
        return f"error from Python: {type(exc).__qualname__} - {exc}"

    # --- reading ---------------------------------------------------------------

    def _check_out(self) -> CopyState:
        state = self.state
        if state.direction != "out":
            raise ProgrammingError("this COPY does not produce data")
        return state

    def _parse(self, chunk: bytes, sink: Any) -> None:
        """Turn COPY TO data into rows appended to ``sink``."""
        tx = self._cursor._tx
        types = self._types
        data = self._pending + chunk
        if self.state.format == 1:
            if not self._header_seen:
                if len(data) < len(pc.BINARY_HEADER):
                    self._pending = data
                    return
                if not data.startswith(pc.BINARY_SIGNATURE):
                    raise ProgrammingError("bad binary COPY header")
                extension = int.from_bytes(data[15:19], "big")
                data = data[19 + extension :]
                self._header_seen = True
            loaders = None if types is None else [tx.get_loader(o, Format.BINARY) for o in types]

            def sink_row(values: list[bytes | None]) -> None:
                if loaders is None:
                    sink.append(tuple(values))
                else:
                    sink.append(
                        tuple(
                            None if v is None else ld.load(v)
                            for v, ld in zip(values, loaders, strict=True)
                        )
                    )

            used, _ = pc.parse_binary_rows(data, sink_row)
            self._pending = data[used:]
            return
        encoding = self._conn.adapt_context.encoding
        *lines, rest = data.split(b"\n")
        self._pending = rest
        text_loaders = None if types is None else [tx.get_loader(o, Format.TEXT) for o in types]
        for line in lines:
            fields = pc.parse_text_row(line.decode(encoding))
            if text_loaders is None:
                sink.append(tuple(fields))
            else:
                sink.append(
                    tuple(
                        None if f is None else ld.load(f.encode(encoding))
                        for f, ld in zip(fields, text_loaders, strict=True)
                    )
                )

    def _start_gen(self) -> PGGen:
        self._cursor._check_open()
        conn = self._conn
        return pc.copy_start(conn._proto, self._sql(), conn._begin_needed())

    def _exit_gen(self, exc: BaseException | None) -> PGGen:
        """End the COPY: finish (or abort) sending, or drain unread data."""
        state = self.state
        proto = self._conn._proto
        if state.direction == "in":
            fail = self._finish_sql(exc)
            try:
                yield from pc.copy_end(proto, state, fail)
            except QueryCanceled:
                if fail is None:
                    raise
        else:
            while (yield from pc.copy_read(proto, state)) is not None:
                pass

    def _read_gen(self) -> PGGen:
        """The next chunk of COPY TO data; b"" at the end."""
        state = self._check_out()
        if self._finished:
            return b""
        try:
            chunk = yield from pc.copy_read(self._conn._proto, state)
        except BaseException:
            # The COPY ended with the error (the server is back to
            # ReadyForQuery), or the connection is gone: nothing more to read.
            self._finished = True
            raise
        if chunk is None:
            self._finished = True
            self._cursor.rowcount = state.rowcount
            return b""
        return chunk

    def _done(self) -> None:
        self._finished = True
        state = self._state
        if state is not None:
            self._cursor._reset()
            self._cursor.rowcount = state.rowcount
        self._conn._copying = False


class Copy(BaseCopy):
    """A COPY running on a blocking cursor."""

    _cursor: Cursor

    def __enter__(self) -> Copy:
        conn = self._conn
        conn._lock.acquire()
        try:
            conn._settle(None)
            self._state = blocking.execute(conn._chan, self._start_gen())
            conn._copying = True
        except BaseException:
            conn._lock.release()
            raise
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        conn = self._conn
        try:
            if not (self._finished or conn.closed):
                blocking.execute(conn._chan, self._exit_gen(exc))
        finally:
            self._done()
            conn._lock.release()

    def write(self, data: bytes | bytearray | memoryview | str) -> None:
        """Send a chunk of COPY data as it is."""
        data = self._encode(data)
        self._queue_rows()  # rows written before go first
        pc.copy_data(self._conn._proto, data)
        if len(self._conn._proto.out) >= FLUSH_SIZE:
            blocking.flush(self._conn._chan)

    def write_row(self, row: Sequence[Any]) -> None:
        """Send one row, adapting its values (rows are sent in chunks)."""
        if (self._encoder or self._row_encoder()).add_row(row) and self._queue_rows():
            blocking.flush(self._conn._chan)

    def write_rows(self, rows: Iterable[Sequence[Any]]) -> None:
        """Send every row of ``rows`` (any iterable, consumed a batch at a time)."""
        encoder = self._encoder or self._row_encoder()
        for batch in self._batches(rows):
            if encoder.add_rows(batch) and self._queue_rows():
                blocking.flush(self._conn._chan)

    def read(self) -> bytes:
        """The next chunk of COPY TO data; b"" at the end."""
        return blocking.execute(self._conn._chan, self._read_gen())  # type: ignore[no-any-return]

    def __iter__(self) -> Iterator[bytes]:
        while data := self.read():
            yield data

    def rows(self) -> Iterator[tuple[Any, ...]]:
        """The rows of COPY TO data (typed after set_types())."""
        batch = self._rows_ahead
        yield from batch
        batch.clear()
        for chunk in self:
            self._parse(chunk, batch)
            yield from batch
            batch.clear()

    def read_row(self) -> tuple[Any, ...] | None:
        """The next row of COPY TO data, or None at the end."""
        queue = self._rows_ahead
        while not queue:
            chunk = self.read()
            if not chunk:
                return None
            self._parse(chunk, queue)
        return queue.popleft()


class AsyncCopy(BaseCopy):
    """A COPY running on an asyncio cursor."""

    _cursor: AsyncCursor

    async def __aenter__(self) -> AsyncCopy:
        conn = self._conn
        await conn._alock.acquire()
        try:
            conn._check_open()
            self._state = await conn._run(self._start_gen())
            conn._copying = True
        except BaseException:
            conn._alock.release()
            raise
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        conn = self._conn
        try:
            if not (self._finished or conn.closed):
                await conn._run(self._exit_gen(exc))
        finally:
            self._done()
            conn._alock.release()

    async def _flush(self) -> None:
        # Imported here: the blocking API must not load asyncio.
        from .drivers import aio

        await aio.flush(self._conn._chan)

    async def write(self, data: bytes | bytearray | memoryview | str) -> None:
        """Send a chunk of COPY data as it is."""
        data = self._encode(data)
        self._queue_rows()  # rows written before go first
        pc.copy_data(self._conn._proto, data)
        if len(self._conn._proto.out) >= FLUSH_SIZE:
            await self._flush()

    async def write_row(self, row: Sequence[Any]) -> None:
        """Send one row, adapting its values (rows are sent in chunks)."""
        if (self._encoder or self._row_encoder()).add_row(row) and self._queue_rows():
            await self._flush()

    async def write_rows(self, rows: Iterable[Sequence[Any]]) -> None:
        """Send every row of ``rows`` (any iterable, consumed a batch at a time)."""
        encoder = self._encoder or self._row_encoder()
        for batch in self._batches(rows):
            if encoder.add_rows(batch) and self._queue_rows():
                await self._flush()

    async def read(self) -> bytes:
        """The next chunk of COPY TO data; b"" at the end."""
        return await self._conn._run(self._read_gen())  # type: ignore[no-any-return]

    def __aiter__(self) -> AsyncIterator[bytes]:
        return self._chunks()

    async def _chunks(self) -> AsyncIterator[bytes]:
        while data := await self.read():
            yield data

    async def read_row(self) -> tuple[Any, ...] | None:
        """The next row of COPY TO data, or None at the end."""
        queue = self._rows_ahead
        while not queue:
            chunk = await self.read()
            if not chunk:
                return None
            self._parse(chunk, queue)
        return queue.popleft()

    async def rows(self) -> AsyncIterator[tuple[Any, ...]]:
        """The rows of COPY TO data (typed after set_types())."""
        batch = self._rows_ahead
        while batch:
            yield batch.popleft()
        async for chunk in self:
            self._parse(chunk, batch)
            for row in batch:
                yield row
            batch.clear()
