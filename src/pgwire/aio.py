"""The asyncio API: AsyncConnection and AsyncCursor, on the same protocol core."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Iterable
from types import TracebackType
from typing import Any

from ._base import (
    BaseConnection,
    connect_error,
    connect_plan,
    split_connect_kwargs,
    startup_operation,
    tls_retry,
)
from ._cursor_base import BaseCursor, Params, callproc_query
from ._hosts import reject_session, resolve, session_fits
from .client_cursor import ClientCursorMixin, RawCursorMixin
from .conninfo import ConnectParams, HostSpec, make_params
from .copy import AsyncCopy
from .drivers import aio
from .drivers.channel import Channel, Operation
from .drivers.connect import cancel_securer, open_socket
from .errors import Error, OperationalError
from .protocol import core
from .protocol.core import Notify, PGGen, Protocol
from .replication import AsyncReplicationStream
from .transaction import TransactionPlan


class AsyncConnection(BaseConnection):
    """A connection to a PostgreSQL server for asyncio."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._alock = asyncio.Lock()

    @property
    def _cursor_class(self) -> type:  # type: ignore[override]
        return AsyncCursor

    @property
    def _server_cursor_class(self) -> type:  # type: ignore[override]
        from .server_cursor import AsyncServerCursor

        return AsyncServerCursor

    @classmethod
    async def connect(cls, dsn: str | None = None, **kwargs: Any) -> AsyncConnection:
        """Connect to the server described by ``dsn``, keywords and the environment."""
        own = split_connect_kwargs(kwargs)
        params = make_params(dsn, **kwargs)
        errors: list[Exception] = []
        loop = asyncio.get_running_loop()
        for attrs, host in connect_plan(params):
            try:
                # Name resolution blocks: it runs in a worker thread.
                targets = await loop.run_in_executor(None, resolve, params, host)
            except OperationalError as exc:
                errors.append(exc)
                continue
            for target in targets:
                try:
                    chan = await asyncio.wait_for(
                        _open_session(params, target, attrs), params.connect_timeout
                    )
                except asyncio.TimeoutError:
                    where = target.hostaddr or target.host
                    errors.append(OperationalError(f"connection to {where} timed out"))
                except (OperationalError, OSError) as exc:
                    errors.append(exc)
                else:
                    return cls(chan, params, target, **own)
        raise connect_error(errors)

    def __repr__(self) -> str:
        state = "closed" if self.closed else self.info.transaction_status.name
        return f"<pgwire.AsyncConnection [{state}] host={self._host.host} port={self._host.port}>"

    async def __aenter__(self) -> AsyncConnection:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            if not self.closed:
                if exc_type is None:
                    await self.commit()
                else:
                    try:
                        await self.rollback()
                    except Error:
                        pass
        finally:
            await self.close()

    def __del__(self) -> None:
        chan = getattr(self, "_chan", None)
        if chan is not None and not chan.closed:
            chan.close()

    # --- running ---------------------------------------------------------------

    async def _run(self, gen: PGGen) -> Any:
        """Run an operation; if the awaiting task is cancelled, cancel it on the server too."""
        chan = self._chan
        chan.check_open()
        op = Operation(gen)
        op.resume()
        try:
            return await aio.run(chan, op)
        except asyncio.CancelledError:
            if not op.finished and not chan.closed:
                await self._abort()
            raise
        except BaseException:
            if not op.finished:
                chan.close()  # stopped halfway with no way to resync from here
            raise
        finally:
            if chan.proto.closed:
                chan.close()

    async def _abort(self) -> None:
        """Cancel what runs on the server and read until the session is in sync."""
        chan = self._chan
        drain = Operation(core.drain(self._proto))
        try:
            await aio.send_cancel(chan)
            drain.resume()
            await aio.run(chan, drain)
        except BaseException:
            # Cancelled again while cleaning up, or the server went away.
            chan.close()
            if not isinstance(drain.error, Error):
                raise
        finally:
            if not drain.done:
                chan.close()

    async def execute(
        self,
        query: Any,
        params: Any = None,
        *,
        binary: bool | None = None,
        prepare: bool | None = None,
    ) -> AsyncCursor:
        """Run a query on a new cursor and return the cursor."""
        cur = self.cursor()
        return await cur.execute(query, params, binary=binary, prepare=prepare)

    async def _command(self, sql: bytes) -> None:
        await self._run(core.simple_query(self._proto, sql, None))

    async def _end_transaction(self, command: bytes) -> None:
        async with self._alock:
            self._check_open()
            if self._transaction_to_end(command):
                await self._command(command)

    async def commit(self) -> None:
        """Commit the current transaction (nothing to do outside one)."""
        await self._end_transaction(b"COMMIT")

    async def rollback(self) -> None:
        """Roll back the current transaction (nothing to do outside one)."""
        await self._end_transaction(b"ROLLBACK")

    @property
    def autocommit(self) -> bool:
        """Whether each statement commits on its own (no implicit BEGIN)."""
        return self._autocommit

    async def set_autocommit(self, value: bool) -> None:
        """Change autocommit (only outside a transaction)."""
        async with self._alock:
            self._set_autocommit_check()
            self._autocommit = bool(value)

    async def close(self) -> None:
        """Close the connection (idempotent)."""
        self._close()

    async def cancel(self) -> None:
        """Ask the server to abort what runs now; harmless when nothing runs."""
        if self.closed:
            return
        await aio.send_cancel(self._chan)

    async def start_replication(
        self, slot_name: str | None = None, **options: Any
    ) -> AsyncReplicationStream:
        """Start streaming from a replication slot (see :mod:`pgwire.replication`)."""
        return await AsyncReplicationStream(self, slot_name, **options).start()

    def transaction(
        self, savepoint_name: str | None = None, force_rollback: bool = False
    ) -> AsyncTransaction:
        """``async with aconn.transaction():`` — nested blocks are savepoints."""
        return AsyncTransaction(self, savepoint_name, force_rollback)

    async def notifies(
        self, timeout: float | None = None, stop_after: int | None = None
    ) -> AsyncIterator[Notify]:
        """Yield notifications as they arrive; stop after ``timeout`` seconds if given."""
        deadline = None if timeout is None else time.monotonic() + timeout
        count = 0
        while True:
            async with self._alock:
                while not self._notifies:
                    self._check_open()
                    op = Operation(core.wait_async_messages(self._proto))
                    op.resume()
                    try:
                        if deadline is None:
                            await aio.run(self._chan, op)
                        else:
                            remaining = deadline - time.monotonic()
                            if remaining <= 0:
                                return
                            await asyncio.wait_for(aio.run(self._chan, op), remaining)
                    except asyncio.TimeoutError:
                        return
                    finally:
                        if self._proto.closed:
                            self._chan.close()
                notify = self._notifies.popleft()
            yield notify
            count += 1
            if stop_after is not None and count >= stop_after:
                return


class AsyncTransaction:
    """``async with aconn.transaction():`` — commit on success, roll back on an exception."""

    def __init__(
        self, conn: AsyncConnection, savepoint_name: str | None, force_rollback: bool
    ) -> None:
        self.connection = conn
        self._plan = TransactionPlan(conn, savepoint_name, force_rollback)
        self._plan.owner = self

    @property
    def savepoint_name(self) -> str | None:
        """The savepoint of a nested block (None for the outer one)."""
        return self._plan.savepoint_name

    async def __aenter__(self) -> AsyncTransaction:
        conn = self.connection
        async with conn._alock:
            conn._check_open()
            for sql in self._plan.enter():
                await conn._command(sql)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> bool:
        conn = self.connection
        async with conn._alock:
            commands, swallow = self._plan.exit(exc)
            if conn.closed:
                self._plan.abandon()
            else:
                for sql in commands:
                    await conn._command(sql)
        return swallow


class AsyncCursor(BaseCursor):
    """A cursor of an :class:`AsyncConnection`."""

    _conn: AsyncConnection

    async def __aenter__(self) -> AsyncCursor:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    def __repr__(self) -> str:
        state = "closed" if self._closed else "open"
        return f"<pgwire.AsyncCursor [{state}] at 0x{id(self):x}>"

    async def close(self) -> None:
        """Close the cursor."""
        self._closed = True
        self._rows = []

    async def execute(
        self,
        query: Any,
        params: Params = None,
        *,
        binary: bool | None = None,
        prepare: bool | None = None,
    ) -> AsyncCursor:
        """Run a query."""
        conn = self._conn
        async with conn._alock:
            self._check_open()
            gen = self._query_gen(query, params, binary, prepare)
            self._reset()
            self._set_results(await conn._run(gen))
        return self

    async def executemany(
        self, query: Any, params_seq: Iterable[Params], *, returning: bool = False
    ) -> None:
        """Run a query once per parameter set, pipelined in one round trip."""
        conn = self._conn
        async with conn._alock:
            self._check_open()
            gen = self._many_gen(query, params_seq, returning)
            self._reset()
            if gen is None:
                self.rowcount = 0
                return
            self._set_many_results(await conn._run(gen), returning)

    def copy(self, statement: Any) -> AsyncCopy:
        """A COPY FROM STDIN / TO STDOUT to run in an ``async with`` block."""
        return AsyncCopy(self, statement)

    async def callproc(self, name: str, params: Params = None) -> Params:
        """Call a function as ``SELECT * FROM name(params)``; return the params."""
        query, args = callproc_query(name, params)
        await self.execute(query, args)
        return params

    def nextset(self) -> bool | None:
        """Move to the next result of a multi-statement query."""
        return self._nextset()

    async def fetchone(self) -> Any:
        """The next row, or None."""
        return self._fetchone()

    async def fetchmany(self, size: int | None = None) -> list[Any]:
        """The next ``size`` rows (default ``arraysize``)."""
        return self._fetchmany(size)

    async def fetchall(self) -> list[Any]:
        """All the remaining rows."""
        return self._fetchall()

    async def scroll(self, value: int, mode: str = "relative") -> None:
        """Move the position in the current result."""
        self._scroll(value, mode)

    def __aiter__(self) -> AsyncIterator[Any]:
        return self._aiter()

    async def _aiter(self) -> AsyncIterator[Any]:
        rows = self._check_result()
        while self._pos < len(rows):
            pos = self._pos
            self._pos = pos + 1
            yield rows[pos]


async def _open_session(params: ConnectParams, host: HostSpec, attrs: str) -> Channel:
    """A session with ``host`` fitting ``attrs`` (target_session_attrs)."""
    chan = await _open_channel(params, host)
    try:
        fits = await aio.execute(chan, session_fits(chan.proto, attrs))
    except BaseException:
        chan.close()
        raise
    if not fits:
        raise reject_session(chan, attrs, host)
    return chan


async def _open_channel(params: ConnectParams, host: HostSpec) -> Channel:
    loop = asyncio.get_running_loop()
    timeout = params.connect_timeout
    tls: bool | None = None
    while True:
        deadline = None if timeout is None else time.monotonic() + timeout
        # Name resolution and the TLS handshake block: they run in a worker thread.
        sock = await loop.run_in_executor(None, open_socket, params, host, deadline, tls)
        chan = Channel(sock, Protocol())
        chan.secure_cancel = cancel_securer(params, host, sock)
        try:
            await aio.execute(chan, startup_operation(chan, params, host))
            return chan
        except BaseException as exc:
            chan.close()
            tls = tls_retry(params, chan, exc, tls)
            if tls is None:
                raise


class AsyncClientCursor(ClientCursorMixin, AsyncCursor):
    """An asyncio cursor binding parameters on the client (psycopg's ``AsyncClientCursor``)."""


class AsyncRawCursor(RawCursorMixin, AsyncCursor):
    """An asyncio cursor whose queries use ``$1 .. $n`` placeholders."""


__all__ = [
    "AsyncClientCursor",
    "AsyncConnection",
    "AsyncCursor",
    "AsyncRawCursor",
    "AsyncTransaction",
]
