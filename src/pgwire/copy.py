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

Where COPY FROM data goes is the copy's *writer* (psycopg's design): by
default a :class:`ConnectionWriter` sending it to the server;
:class:`QueuedWriter` sends from a worker thread while the caller formats
rows; :class:`FileWriter` (with no statement) writes the data to a file, for
a later ``COPY ... FROM`` elsewhere::

    with Copy(cur, binary=True, writer=FileWriter(f)) as copy:
        copy.set_types(["int4", "text"])
        copy.write_row((1, "x"))
"""

from __future__ import annotations

import queue
import re
import threading
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Iterator, Sequence
from itertools import islice
from types import TracebackType
from typing import TYPE_CHECKING, Any

from ._flow import Call, FlowGen, Give, arun, arun_iter, run, run_iter
from .accel.selection import speedups
from .drivers import blocking
from .engine.composition import quote
from .engine.copy_rows import RowEncoder
from .engine.placeholders import mogrify
from .errors import ProgrammingError, QueryCanceled
from .protocol import copy_ops as pc
from .protocol import core
from .protocol import messages as m
from .protocol.copy_ops import CopyState
from .protocol.core import PGGen, Result
from .types import Format
from .types import oids as type_oids

if TYPE_CHECKING:
    from .aio import AsyncCursor
    from .cursor import Cursor

FLUSH_SIZE = 1 << 16
"""Queued COPY data past which write() sends before returning.

Small enough that the server parses the first rows while the next are still
being encoded: with a megabyte, loading Python rows took a fifth longer."""


ROWS_BATCH = 4096
"""Rows write_rows() takes from an iterator at a time (what it holds at once)."""


QUEUE_SIZE = 1024
"""Chunks a QueuedWriter holds before write() waits for its worker."""

# COPY <table> [(<columns>)] FROM STDIN <options>: the target of a COPY FROM.
_IDENT = r'(?:"(?:[^"]|"")*"|[^\s"(),.;]+)'
_COPY_FROM_STDIN = re.compile(
    rf"\s*COPY\s+(?P<table>{_IDENT}(?:\s*\.\s*{_IDENT})*)\s*"
    rf"(?:\((?P<columns>[^)]*)\))?\s*FROM\s+STDIN\b(?P<options>.*)",
    re.IGNORECASE | re.DOTALL,
)
_BINARY_OPTION = re.compile(r"\bbinary\b", re.IGNORECASE)
_IDENTS = re.compile(_IDENT)


def _unquote(ident: str) -> str:
    """An identifier as the catalog spells it: quoted ones as written, others folded."""
    if ident.startswith('"'):
        return ident[1:-1].replace('""', '"')
    return ident.lower()


def binary_copy_target(statement: str) -> tuple[str, list[str] | None] | None:
    """The table (as written) and column names of a binary ``COPY ... FROM STDIN``.

    None for any other statement, or one this can't read: its column types are
    then only what ``set_types()`` declares.
    """
    match = _COPY_FROM_STDIN.fullmatch(statement.strip().rstrip(";"))
    if match is None or not _BINARY_OPTION.search(match["options"]):
        return None
    columns = match["columns"]
    if columns is None:
        return match["table"], None
    names = [_unquote(name) for name in _IDENTS.findall(columns)]
    return (match["table"], names) if names else None


def _fail_message(exc: BaseException | None) -> str | None:
    """The CopyFail reason for an exception raised in a COPY FROM block (None: no failure)."""
    if exc is None:
        return None
    return f"error from Python: {type(exc).__qualname__} - {exc}"


def _end_gen(proto: Any, state: CopyState, exc: BaseException | None) -> PGGen:
    """Finish COPY FROM (CopyDone), or abort it (CopyFail) for ``exc``; wait for the outcome."""
    fail = _fail_message(exc)
    try:
        yield from pc.copy_end(proto, state, fail)
    except QueryCanceled:
        # The server's answer to our CopyFail: the failure is exc, raised by the caller.
        if fail is None:
            raise


class Writer:
    """Where the data of a COPY FROM goes; subclass it to send the data elsewhere.

    A :class:`Copy` calls :meth:`write` with each chunk of COPY data (the
    rows it formatted, or what was given to ``Copy.write()``), then
    :meth:`finish` once, with the exception that ended the block if any.
    """

    def write(self, data: bytes) -> None:
        """Take one chunk of COPY data."""
        raise NotImplementedError

    def finish(self, exception: BaseException | None = None) -> None:
        """The COPY is over (``exception``: what aborted it); nothing by default."""


class AsyncWriter:
    """The asyncio :class:`Writer`: where the data of an AsyncCopy goes."""

    async def write(self, data: bytes) -> None:
        """Take one chunk of COPY data."""
        raise NotImplementedError

    async def finish(self, exception: BaseException | None = None) -> None:
        """The COPY is over (``exception``: what aborted it); nothing by default."""


class FileWriter(Writer):
    """Writes the COPY data to a binary file object; used with a Copy made without statement."""

    def __init__(self, file: Any) -> None:
        self.file = file

    def write(self, data: bytes) -> None:
        """Write the chunk to the file."""
        self.file.write(data)


class _SendingWriter:
    """What the writers sending to the connection share: their state and flows.

    The flows (:mod:`pgwire._flow`) are run by the blocking and the asyncio
    writers, which give the step that waits: :meth:`_flush`.
    """

    def __init__(self, cursor: Any) -> None:
        self.cursor = cursor
        self.connection = cursor.connection
        # The COPY the server started, given by the Copy using this writer.
        self._state: CopyState | None = None

    def _flush(self) -> Any:
        """Step: send what is queued on the connection."""
        raise NotImplementedError

    def _queue_data(self, data: bytes) -> bool:
        """Queue the chunk as a CopyData message; True when enough is queued to send."""
        proto = self.connection._proto
        pc.copy_data(proto, data)
        return len(proto.out) >= FLUSH_SIZE

    def _write_flow(self, data: bytes) -> FlowGen[None]:
        """Queue the chunk as a CopyData message; send once enough is queued."""
        if self._queue_data(data):
            yield Call(self._flush)

    def _finish_flow(self, exception: BaseException | None) -> FlowGen[None]:
        """Send CopyDone (CopyFail for ``exception``) and wait for the server's outcome."""
        conn = self.connection
        if self._state is None or conn.closed:
            return
        yield Call(conn._run, _end_gen(conn._proto, self._state, exception))


class _QueuedSendingWriter(_SendingWriter):
    """What the queued writers share: a worker sends the chunks while the caller goes on.

    The blocking and the asyncio writers give the steps that wait (:meth:`_put`,
    :meth:`_join_worker`), the queue, and the worker (a thread, a task) running
    :meth:`_work_flow`.
    """

    #: What the worker keeps to raise to the caller, rather than die of.
    _worker_keeps: type[BaseException] = Exception

    def __init__(self, cursor: Any) -> None:
        super().__init__(cursor)
        self._queue: Any = None
        self._worker: Any = None
        self._error: BaseException | None = None

    def _put(self, data: bytes | None) -> Any:
        """Step: hand a chunk to the worker; None tells it to stop."""
        raise NotImplementedError

    def _join_worker(self) -> Any:
        """Step: wait for the worker to end."""
        raise NotImplementedError

    def _work_flow(self) -> FlowGen[None]:
        """The worker: send each chunk handed to it; after an error, only take them."""
        while (data := (yield Call(self._queue.get))) is not None:
            if self._error is None:
                try:
                    yield from self._write_flow(data)
                except self._worker_keeps as ex:
                    self._error = ex

    def _finish_queued_flow(self, exception: BaseException | None) -> FlowGen[None]:
        """finish(): the worker sends everything, then the COPY ends."""
        if self._worker is not None:
            yield Call(self._put, None)
            yield Call(self._join_worker)
            self._worker = None
        error, self._error = self._error, None
        # The worker's error is raised unless the COPY is aborted already.
        if error is not None and exception is None:
            raise error
        yield from self._finish_flow(exception)


class ConnectionWriter(_SendingWriter, Writer):
    """Sends the COPY data to the server over the cursor's connection (the default writer)."""

    def _flush(self) -> None:
        blocking.flush(self.connection._chan)

    def write(self, data: bytes) -> None:
        """Queue the chunk as a CopyData message; send once enough is queued."""
        if self._queue_data(data):
            self._flush()

    def finish(self, exception: BaseException | None = None) -> None:
        """Send CopyDone (CopyFail for ``exception``) and wait for the server's outcome."""
        run(self._finish_flow(exception))


class QueuedWriter(_QueuedSendingWriter, ConnectionWriter):
    """A :class:`ConnectionWriter` whose sends are made by a worker thread.

    The caller formats rows while the worker writes the previous ones to the
    socket. The worker starts at the first chunk and ends in :meth:`finish`;
    an error it meets (a broken connection) is raised there, or by the next
    :meth:`write`.
    """

    # A thread has no caller to interrupt: whatever stops it goes to the caller.
    _worker_keeps = BaseException

    def __init__(self, cursor: Any) -> None:
        super().__init__(cursor)
        self._queue: queue.Queue[bytes | None] = queue.Queue(maxsize=QUEUE_SIZE)

    def _work(self) -> None:
        run(self._work_flow())

    def _join_worker(self) -> None:
        self._worker.join()

    def _put(self, data: bytes | None) -> None:
        while True:
            if self._error is not None and data is not None:
                raise self._error
            try:
                self._queue.put(data, timeout=0.1)
                return
            except queue.Full:
                continue

    def write(self, data: bytes) -> None:
        """Hand the chunk to the worker thread (started at the first chunk)."""
        if self._worker is None:
            self._worker = threading.Thread(target=self._work, name="pgwire-copy", daemon=True)
            self._worker.start()
        self._put(data)

    def finish(self, exception: BaseException | None = None) -> None:
        """Wait for the worker to send everything, then end the COPY."""
        run(self._finish_queued_flow(exception))


class AsyncConnectionWriter(_SendingWriter, AsyncWriter):
    """Sends the COPY data over the asyncio cursor's connection (the default writer)."""

    async def _flush(self) -> None:
        # Imported here: the blocking API must not load asyncio.
        from .drivers import eventloop

        await eventloop.flush(self.connection._chan)

    async def write(self, data: bytes) -> None:
        """Queue the chunk as a CopyData message; send once enough is queued."""
        if self._queue_data(data):
            await self._flush()

    async def finish(self, exception: BaseException | None = None) -> None:
        """Send CopyDone (CopyFail for ``exception``) and wait for the server's outcome."""
        await arun(self._finish_flow(exception))


#: The write() methods that have copied the chunk when they return.
_COPYING_WRITES = (ConnectionWriter.write, AsyncConnectionWriter.write)


class AsyncQueuedWriter(_QueuedSendingWriter, AsyncConnectionWriter):
    """An :class:`AsyncConnectionWriter` whose sends are made by a task of their own."""

    async def _put(self, data: bytes | None) -> None:
        await self._queue.put(data)

    async def _join_worker(self) -> None:
        await self._worker

    async def write(self, data: bytes) -> None:
        """Hand the chunk to the worker task (started at the first chunk)."""
        import asyncio

        if self._error is not None:
            raise self._error
        if self._worker is None:
            self._queue = asyncio.Queue(maxsize=QUEUE_SIZE)
            self._worker = asyncio.get_running_loop().create_task(arun(self._work_flow()))
        await self._queue.put(data)

    async def finish(self, exception: BaseException | None = None) -> None:
        """Wait for the worker to send everything, then end the COPY."""
        await arun(self._finish_queued_flow(exception))


# psycopg's names for the writers sending to the connection.
LibpqWriter = ConnectionWriter
QueuedLibpqWriter = QueuedWriter
AsyncLibpqWriter = AsyncConnectionWriter
AsyncQueuedLibpqWriter = AsyncQueuedWriter


class BaseCopy:
    """Formatting and parsing shared by the blocking and asyncio COPY objects."""

    _server_writers: tuple[type, ...] = ()

    def __repr__(self) -> str:
        return f"<pgwire.{type(self).__qualname__} {self._conn._summary()} at 0x{id(self):x}>"

    def __init__(
        self,
        cursor: Any,
        statement: Any = None,
        params: Any = None,
        *,
        binary: bool | None = None,
        writer: Any = None,
    ) -> None:
        if statement is None:
            if writer is None or isinstance(writer, self._server_writers):
                raise ProgrammingError(
                    "a COPY without a statement needs a writer not sending to the server"
                    " (such as FileWriter)"
                )
        elif not isinstance(statement, (str, bytes)) and not hasattr(statement, "as_bytes"):
            raise TypeError("the COPY statement must be str, bytes or sql.Composable")
        elif writer is not None and not isinstance(writer, self._server_writers):
            raise ProgrammingError(
                "the COPY statement runs on the server: its writer must send to the"
                f" connection (a {self._server_writers[0].__name__}), not a"
                f" {type(writer).__name__}"
            )
        self._cursor = cursor
        self._conn = cursor._conn
        self._statement = statement
        self._params = params
        #: Where COPY FROM data goes.
        self.writer = writer if writer is not None else self._server_writers[0](cursor)
        # write() may hand these writers the caller's buffer as it is: they
        # copy it onto the connection before returning. Others get bytes.
        self._passes_views = type(self.writer).write in _COPYING_WRITES
        self._state: CopyState | None = None
        if statement is None:
            # Data for the writer alone: no server, so no column count either.
            self._state = CopyState("in", 1 if binary else 0)
        self._types: list[int] | None = None
        self._pending = b""
        self._header_seen = False
        self._encoder: RowEncoder | None = None
        self._finished = False
        # finish() was called (the with block was left).
        self._ended = False
        # COPY data was given to write() as it is.
        self._raw_written = False
        self._entered = False
        # A binary COPY FROM's column names and types, read from the catalog.
        self._described_columns: list[str] | None = None
        self._described_types: list[int] | None = None
        # Rows parsed from a chunk but not yet returned by read_row().
        self._rows_ahead: deque[tuple[Any, ...]] = deque()

    def _sql(self) -> bytes:
        statement = self._statement
        encoding = self._conn.adapt_context.encoding
        if self._params is not None:
            # COPY takes no bind parameters: the values are quoted into the text.
            return mogrify(statement, self._params, encoding, self._conn)
        if isinstance(statement, bytes):
            return statement
        if isinstance(statement, str):
            return statement.encode(encoding)
        return statement.as_bytes(self._conn)  # type: ignore[no-any-return]

    @property
    def _on_server(self) -> bool:
        return self._statement is not None

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
        """Declare the column types to write or read rows with.

        Each is an OID or a type name: a builtin one as the catalog or SQL
        spells it (``int8``, ``bigint``, ``double precision``, ``text[]``), or
        a type registered on the cursor's adapters (``hstore`` after
        ``register_hstore``).
        """
        registered = self._cursor.adapters.types
        resolved = []
        for t in types:
            if not isinstance(t, str):
                resolved.append(int(t))
                continue
            try:
                resolved.append(type_oids.lookup(t))
                continue
            except KeyError:
                pass
            name = t[:-2] if t.endswith("[]") else t
            info = registered.get(name)
            oid = None if info is None else info.array_oid if name != t else info.oid
            if not oid:
                raise ProgrammingError(f"unknown type name {t!r}")
            resolved.append(oid)
        self._types = resolved

    # --- writing ---------------------------------------------------------------

    def _check_in(self) -> CopyState:
        state = self.state
        if state.direction != "in" or self._finished:
            raise ProgrammingError("this COPY does not accept data")
        return state

    def _encode(self, data: bytes | bytearray | memoryview | str) -> bytes:
        state = self._check_in()
        self._raw_written = True
        if isinstance(data, str):
            if state.format == 1:
                raise TypeError("binary COPY data must be bytes, not str")
            return data.encode(self._conn.adapt_context.encoding)
        if isinstance(data, bytes):
            return data
        if self._passes_views and (
            isinstance(data, bytearray) or (isinstance(data, memoryview) and data.c_contiguous)
        ):
            # Copied into the output buffer before write() returns: a copy
            # made here first would be one more pass over every chunk.
            return data  # type: ignore[return-value]
        return bytes(data)

    def _row_encoder(self) -> RowEncoder:
        """The encoder of write_row(), made at the first row (set_types() is known then)."""
        state = self._check_in()
        if self._encoder is None:
            self._encoder = RowEncoder(
                self._cursor._tx,
                self._conn.adapt_context.encoding,
                binary=state.format == 1,
                ncolumns=len(state.column_formats) if self._on_server else None,
                types=self._types,
            )
            self._encoder_made(self._encoder)
        return self._encoder

    def _encoder_made(self, encoder: RowEncoder) -> None:
        """Route the rows after the first straight to the compiled encoder, if there is one.

        ``write_row`` then costs no Python frame per row: the instance
        attribute hides the method until :meth:`_done` removes it.
        """
        on_full, idle = self._full_chunk_step()
        direct = encoder.row_writer(on_full, idle)
        if direct is not None:
            setattr(self, "write_row", direct)  # noqa: B010 - mypy refuses assigning a method

    def _full_chunk_step(self) -> tuple[Callable[[], Any], Any]:
        """What the compiled write_row calls once a chunk is full, and returns otherwise."""
        raise NotImplementedError

    def _take_rows(self) -> bytes:
        """The rows encoded so far, for the writer (b"" if none)."""
        encoder = self._encoder
        if encoder is None or not encoder.data:
            return b""
        data = bytes(encoder.data)
        encoder.data.clear()
        return data

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

    def _last_rows(self, exc: BaseException | None) -> bytes:
        """What is left to write when the COPY FROM ends: the rows and the binary trailer."""
        if exc is not None:
            return b""
        if self._encoder is not None:
            if self.binary:
                self._encoder.data += pc.BINARY_TRAILER
            return self._take_rows()
        if self.binary and not self._raw_written:
            # No row and no data: the binary format still wants its header and trailer.
            return pc.BINARY_HEADER + pc.BINARY_TRAILER
        return b""

    def _started(self) -> None:
        """The server started the COPY: the cursor describes its columns, the writer ends it."""
        state = self.state
        cursor = self._cursor
        cursor._reset()
        # The server tells only how many columns and their formats: psycopg names them so.
        cursor._copy_fields = [
            m.FieldDescription(f"column_{i}", 0, 0, 0, -1, -1, fmt)
            for i, fmt in enumerate(state.column_formats, 1)
        ]
        self.writer._state = state
        described = self._described_types
        if (
            self._types is None
            and described is not None
            and state.format == 1
            and len(described) == len(state.column_formats)
        ):
            self._types = described

    def _column_types_gen(self) -> PGGen | None:
        """For a binary COPY FROM STDIN, the catalog query of its columns' types (None if not one).

        The binary format has no type of its own: each value must be written
        as its column's type. Asked before the COPY starts, so that
        write_row() needs no set_types(), as in psycopg.
        """
        if self._types is not None:
            return None
        conn = self._conn
        encoding = conn.adapt_context.encoding
        target = binary_copy_target(self._sql().decode(encoding, "replace"))
        if target is None:
            return None
        table, self._described_columns = target
        generated = " AND a.attgenerated = ''" if conn.info.server_version >= 120000 else ""
        query = (
            "SELECT a.attname, CASE WHEN t.typtype = 'd' THEN t.typbasetype ELSE a.atttypid END"
            " FROM pg_catalog.pg_attribute a JOIN pg_catalog.pg_type t ON t.oid = a.atttypid"
            f" WHERE a.attrelid = pg_catalog.to_regclass({quote(table)})"
            f" AND a.attnum > 0 AND NOT a.attisdropped{generated} ORDER BY a.attnum"
        )

        def on_description(fields: list[m.FieldDescription]) -> Any:
            return [lambda b: b.decode(encoding)] * len(fields), tuple

        return core.simple_query(conn._proto, query.encode(encoding), on_description)

    def _learn_column_types(self, results: list[Result]) -> None:
        """Keep the column types the catalog gave, if they name every column of the COPY."""
        found = {name: int(oid) for name, oid in results[-1].rows} if results else {}
        wanted = self._described_columns
        if wanted is None:
            self._described_types = list(found.values()) or None
        elif all(name in found for name in wanted):
            self._described_types = [found[name] for name in wanted]

    def _check_enter(self) -> None:
        if self._entered:
            raise TypeError("a COPY object can be used only once")
        self._entered = True

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
        ncolumns = len(self.state.column_formats)
        if types is not None and len(types) != ncolumns:
            raise ProgrammingError(
                f"set_types() got {len(types)} types for a COPY of {ncolumns} columns"
            )
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
        context = self._conn.adapt_context
        encoding = context.encoding
        # SQL_ASCII: bytes of no known encoding, kept as they are (text loads as bytes).
        errors = "surrogateescape" if context.sql_ascii else "strict"
        *lines, rest = data.split(b"\n")
        self._pending = rest
        text_loaders = None if types is None else [tx.get_loader(o, Format.TEXT) for o in types]
        if text_loaders is None and context.sql_ascii:
            text_loaders = [tx.get_loader(type_oids.TEXT_OID, Format.TEXT)] * (ncolumns or 0)
        for line in lines:
            fields = pc.parse_text_row(line.decode(encoding, errors))
            if text_loaders is None:
                sink.append(tuple(fields))
            else:
                sink.append(
                    tuple(
                        None if f is None else ld.load(f.encode(encoding, errors))
                        for f, ld in zip(fields, text_loaders, strict=True)
                    )
                )

    def _start_gen(self) -> PGGen:
        self._cursor._check_open()
        conn = self._conn
        return pc.copy_start(conn._proto, self._sql(), conn._begin_needed())

    def _drain_gen(self) -> PGGen:
        """End a COPY TO: read and drop the data not read."""
        state = self.state
        proto = self._conn._proto
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
        # Rows written after the end meet _check_in() in _row_encoder().
        if self._encoder is not None:
            self._encoder.row_writer(None)
            vars(self).pop("write_row", None)
        self._encoder = None
        state = self._state
        if state is not None and self._on_server:
            cursor = self._cursor
            fields = cursor._copy_fields
            cursor._reset()
            cursor._copy_fields = fields
            cursor._select(Result(command_tag=state.command_tag, rowcount=state.rowcount))
            self._conn._copying = False

    # --- flows (pgwire._flow), run by the blocking and the asyncio COPY -------------

    def _enter_flow(self) -> FlowGen[Any]:
        """Entering the block: the connection held, the COPY started on the server."""
        self._check_enter()
        if not self._on_server:
            return self
        conn = self._conn
        lock = conn._flow_lock
        yield Call(lock.acquire)
        try:
            yield Call(conn._settle_now)
            probe = self._column_types_gen()
            if probe is not None:
                self._learn_column_types((yield Call(conn._run, probe)))
            self._state = yield Call(conn._run, self._start_gen())
            conn._copying = True
            self._started()
        except BaseException:
            lock.release()
            raise
        return self

    def _finish_flow(self, exc: BaseException | None) -> FlowGen[None]:
        """finish(): the last rows and the end to the writer, or the unread data dropped."""
        if self._ended:
            return
        self._ended = True
        conn = self._conn
        try:
            if self._on_server:
                if conn.closed or self._finished:
                    return
                if self.state.direction != "in":
                    if exc is not None:
                        # The block failed: the server is stopped rather than read to
                        # the end, and its transaction fails with it (as psycopg does).
                        yield Call(conn.cancel)
                        try:
                            yield Call(conn._run, self._drain_gen())
                        except QueryCanceled:
                            pass  # the cancel's own answer: the block's error is raised
                        return
                    yield Call(conn._run, self._drain_gen())
                    return
            data = self._last_rows(exc)
            if data:
                yield Call(self.writer.write, data)
            yield Call(self.writer.finish, exc)
        finally:
            self._done()
            if self._on_server and self._state is not None:
                conn._flow_lock.release()

    def _chunks_to_write(self, data: bytes | bytearray | memoryview | str) -> tuple[bytes, ...]:
        """What write() hands the writer: the rows written before go first."""
        data = self._encode(data)
        rows = self._take_rows()
        return (rows, data) if rows else (data,)

    def _write_rows_flow(self, rows: Iterable[Sequence[Any]]) -> FlowGen[None]:
        encoder = self._encoder or self._row_encoder()
        for batch in self._batches(rows):
            if encoder.add_rows(batch):
                yield Call(self.writer.write, self._take_rows())

    def _read_row_flow(self) -> FlowGen[tuple[Any, ...] | None]:
        queue = self._rows_ahead
        while not queue:
            chunk = yield Call(self._conn._run, self._read_gen())
            if not chunk:
                return None
            self._parse(chunk, queue)
        return queue.popleft()

    def _chunks_flow(self) -> FlowGen[None]:
        """Iteration: the chunks of COPY TO data as they come."""
        while chunk := (yield Call(self._conn._run, self._read_gen())):
            yield Give((chunk,))

    def _rows_flow(self) -> FlowGen[None]:
        """rows(): the rows parsed ahead, then each chunk's as it comes."""
        batch = self._rows_ahead
        yield Give(batch)
        batch.clear()
        while chunk := (yield Call(self._conn._run, self._read_gen())):
            self._parse(chunk, batch)
            yield Give(batch)
            batch.clear()


class Copy(BaseCopy):
    """A COPY running on a blocking cursor."""

    _cursor: Cursor
    _server_writers = (ConnectionWriter,)
    writer: Writer

    def __enter__(self) -> Copy:
        return run(self._enter_flow())  # type: ignore[no-any-return]

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.finish(exc)

    def finish(self, exc: BaseException | None = None) -> None:
        """End the COPY (done by leaving the ``with`` block): CopyFail if ``exc``.

        COPY FROM: the last rows go to the writer, which ends the COPY; COPY
        TO: the data not read is dropped, or, after an exception, the server
        is cancelled (its transaction then fails). A second call does nothing.
        """
        run(self._finish_flow(exc))

    def write(self, data: bytes | bytearray | memoryview | str) -> None:
        """Send a chunk of COPY data as it is."""
        for chunk in self._chunks_to_write(data):
            self.writer.write(chunk)

    def write_row(self, row: Sequence[Any]) -> None:
        """Send one row, adapting its values (rows are sent in chunks)."""
        if (self._encoder or self._row_encoder()).add_row(row):
            self._send_rows()

    def _full_chunk_step(self) -> tuple[Callable[[], Any], Any]:
        # The chunk is sent there and then.
        return self._send_rows, None

    def _send_rows(self) -> None:
        self.writer.write(self._take_rows())

    def write_rows(self, rows: Iterable[Sequence[Any]]) -> None:
        """Send every row of ``rows`` (any iterable, consumed a batch at a time)."""
        run(self._write_rows_flow(rows))

    def read(self) -> bytes:
        """The next chunk of COPY TO data; b"" at the end."""
        return self._conn._run(self._read_gen())  # type: ignore[no-any-return]

    def __iter__(self) -> Iterator[bytes]:
        return run_iter(self._chunks_flow())

    def rows(self) -> Iterator[tuple[Any, ...]]:
        """The rows of COPY TO data (typed after set_types())."""
        return run_iter(self._rows_flow())

    def read_row(self) -> tuple[Any, ...] | None:
        """The next row of COPY TO data, or None at the end."""
        return self._rows_ahead.popleft() if self._rows_ahead else run(self._read_row_flow())


class AsyncCopy(BaseCopy):
    """A COPY running on an asyncio cursor."""

    _cursor: AsyncCursor
    _server_writers = (AsyncConnectionWriter,)
    writer: AsyncWriter

    async def __aenter__(self) -> AsyncCopy:
        return await arun(self._enter_flow())  # type: ignore[no-any-return]

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.finish(exc)

    async def finish(self, exc: BaseException | None = None) -> None:
        """End the COPY (done by leaving the ``async with`` block): CopyFail if ``exc``.

        COPY FROM: the last rows go to the writer, which ends the COPY; COPY
        TO: the data not read is dropped, or, after an exception, the server
        is cancelled (its transaction then fails). A second call does nothing.
        """
        await arun(self._finish_flow(exc))

    async def write(self, data: bytes | bytearray | memoryview | str) -> None:
        """Send a chunk of COPY data as it is."""
        for chunk in self._chunks_to_write(data):
            await self.writer.write(chunk)

    async def write_row(self, row: Sequence[Any]) -> None:
        """Send one row, adapting its values (rows are sent in chunks)."""
        if (self._encoder or self._row_encoder()).add_row(row):
            await self._send_rows_soon()

    def _full_chunk_step(self) -> tuple[Callable[[], Any], Any]:
        # No coroutine per row either: the compiled write_row (made only by the
        # accelerator) returns what the caller awaits: the writer's send of a
        # full chunk, or the accelerator's DONE, which an await finishes at once
        # without the iterator object a done Future makes each time.
        return self._send_rows_soon, None if speedups is None else speedups.DONE

    def _send_rows_soon(self) -> Awaitable[None]:
        # The rows are taken now, when the chunk is full, and sent when awaited.
        return self.writer.write(self._take_rows())

    async def write_rows(self, rows: Iterable[Sequence[Any]]) -> None:
        """Send every row of ``rows`` (any iterable, consumed a batch at a time)."""
        await arun(self._write_rows_flow(rows))

    async def read(self) -> bytes:
        """The next chunk of COPY TO data; b"" at the end."""
        return await self._conn._run(self._read_gen())  # type: ignore[no-any-return]

    def __aiter__(self) -> AsyncIterator[bytes]:
        return arun_iter(self._chunks_flow())

    async def read_row(self) -> tuple[Any, ...] | None:
        """The next row of COPY TO data, or None at the end."""
        queue = self._rows_ahead
        return queue.popleft() if queue else await arun(self._read_row_flow())

    def rows(self) -> AsyncIterator[tuple[Any, ...]]:
        """The rows of COPY TO data (typed after set_types())."""
        return arun_iter(self._rows_flow())
