"""The asyncio dialect, ``postgresql+pgwire_async``.

SQLAlchemy runs its blocking code in a greenlet and awaits the driver through
``await_``; the ``AsyncAdapt_*`` classes below give pgwire's
:class:`~pgwire.AsyncConnection` and cursors the blocking DB-API face that
code expects, the way SQLAlchemy's own asyncio dialects do.
"""

from __future__ import annotations

import collections
from collections.abc import Iterable
from typing import Any

from sqlalchemy.connectors.asyncio import (
    AsyncAdapt_dbapi_connection,
    AsyncAdapt_dbapi_cursor,
    AsyncAdapt_dbapi_module,
    AsyncAdapt_dbapi_ss_cursor,
    AsyncAdapt_terminate,
)
from sqlalchemy.util.concurrency import await_

import pgwire
from pgwire.types import TypeInfo

from .dialect import PGDialect_pgwire

__all__ = [
    "AsyncAdapt_pgwire_connection",
    "AsyncAdapt_pgwire_cursor",
    "AsyncAdapt_pgwire_ss_cursor",
    "PGDialectAsync_pgwire",
    "PgwireAdaptDBAPI",
]


class AsyncAdapt_pgwire_cursor(AsyncAdapt_dbapi_cursor):
    """A pgwire AsyncCursor seen as a blocking DB-API cursor; its rows are read at once."""

    __slots__ = ()

    def _load_rows(self) -> None:
        if self._cursor.description is not None and not self.server_side:
            self._rows = collections.deque(await_(self._cursor.fetchall()))
        else:
            self._rows = collections.deque()

    async def _execute_async(self, operation: Any, parameters: Any) -> Any:
        # pgwire's AsyncConnection serialises its own operations: no extra lock.
        result = await self._cursor.execute(operation, parameters)
        if self._cursor.description is not None and not self.server_side:
            self._rows = collections.deque(await self._cursor.fetchall())
        return result

    def executemany(
        self, operation: Any, seq_of_parameters: Iterable[Any], *, returning: bool = False
    ) -> None:
        """Run once per parameter set, in one round trip; keep the rows with ``returning``."""
        cursor: Any = self._cursor  # a pgwire AsyncCursor, which takes returning=
        try:
            await_(cursor.executemany(operation, seq_of_parameters, returning=returning))
        except Exception as error:
            self._adapt_connection._handle_exception(error)
        self._load_rows()

    def nextset(self) -> bool | None:  # type: ignore[override]
        """Move to the next result and read its rows."""
        if not self._cursor.nextset():
            return None
        self._load_rows()
        return True

    def setinputsizes(self, *inputsizes: Any) -> None:
        """Does nothing, as PEP 249 allows."""


class AsyncAdapt_pgwire_ss_cursor(AsyncAdapt_dbapi_ss_cursor, AsyncAdapt_pgwire_cursor):
    """A named (server-side) cursor: rows are fetched from the server as they are read."""

    __slots__ = ("name",)

    def __init__(self, adapt_connection: AsyncAdapt_pgwire_connection, name: str) -> None:
        self.name = name
        super().__init__(adapt_connection)

    def _make_new_cursor(self, connection: Any) -> Any:
        return connection.cursor(self.name)


class AsyncAdapt_pgwire_connection(AsyncAdapt_terminate, AsyncAdapt_dbapi_connection):
    """A pgwire AsyncConnection seen as a blocking DB-API connection."""

    __slots__ = ()

    _cursor_cls = AsyncAdapt_pgwire_cursor
    _ss_cursor_cls = AsyncAdapt_pgwire_ss_cursor  # type: ignore[assignment]

    def cursor(self, name: str | None = None, /) -> Any:  # type: ignore[override]
        """A cursor; with a ``name``, a server-side one."""
        if name:
            return AsyncAdapt_pgwire_ss_cursor(self, name)
        return AsyncAdapt_pgwire_cursor(self)

    def add_notice_handler(self, handler: Any) -> None:
        """Call ``handler(diagnostic)`` for each notice of the server."""
        self._connection.add_notice_handler(handler)

    @property
    def info(self) -> Any:
        """The connection's ConnectionInfo."""
        return self._connection.info

    @property
    def adapters(self) -> Any:
        """The connection's types registry."""
        return self._connection.adapters

    @property
    def closed(self) -> bool:
        """True once the connection is closed or lost."""
        return bool(self._connection.closed)

    @property
    def broken(self) -> bool:
        """True if the connection was lost rather than closed."""
        return bool(self._connection.broken)

    @property
    def autocommit(self) -> bool:
        """Whether each statement commits on its own."""
        return bool(self._connection.autocommit)

    @autocommit.setter
    def autocommit(self, value: bool) -> None:
        self._set("set_autocommit", value)

    # The characteristics of the transactions pgwire begins: set through its
    # coroutines, read as attributes.

    def _set(self, setter: str, value: Any) -> None:
        try:
            await_(getattr(self._connection, setter)(value))
        except Exception as error:
            self._handle_exception(error)

    @property
    def isolation_level(self) -> Any:
        """The isolation level of the next transactions (None: the server's default)."""
        return self._connection.isolation_level

    @isolation_level.setter
    def isolation_level(self, value: Any) -> None:
        self._set("set_isolation_level", value)

    @property
    def read_only(self) -> bool | None:
        """Whether the next transactions begin READ ONLY."""
        return self._connection.read_only  # type: ignore[no-any-return]

    @read_only.setter
    def read_only(self, value: bool | None) -> None:
        self._set("set_read_only", value)

    @property
    def deferrable(self) -> bool | None:
        """Whether the next transactions begin DEFERRABLE."""
        return self._connection.deferrable  # type: ignore[no-any-return]

    @deferrable.setter
    def deferrable(self, value: bool | None) -> None:
        self._set("set_deferrable", value)

    def tpc_begin(self, xid: Any) -> None:
        """Begin a two-phase transaction."""
        await_(self._connection.tpc_begin(xid))

    def tpc_prepare(self) -> None:
        """PREPARE TRANSACTION."""
        await_(self._connection.tpc_prepare())

    def tpc_commit(self, xid: Any = None) -> None:
        """COMMIT PREPARED (or the recovered ``xid``)."""
        await_(self._connection.tpc_commit(xid))

    def tpc_rollback(self, xid: Any = None) -> None:
        """ROLLBACK PREPARED (or the recovered ``xid``)."""
        await_(self._connection.tpc_rollback(xid))

    def tpc_recover(self) -> Any:
        """The prepared transactions waiting on the server."""
        return await_(self._connection.tpc_recover())

    async def _terminate_graceful_close(self) -> None:
        await self._connection.close()

    def _terminate_force_close(self) -> None:
        # Outside the event loop (garbage collection): pgwire's close() only
        # sends Terminate without waiting and closes the socket, so its
        # coroutine finishes on its first step.
        coro = self._connection.close()
        try:
            coro.send(None)
        except StopIteration:
            return
        coro.close()


class PgwireAdaptDBAPI(AsyncAdapt_dbapi_module):
    """pgwire as a DB-API module whose connect() returns adapted asyncio connections."""

    def __init__(self, driver: Any) -> None:
        super().__init__(driver)
        for name, value in vars(driver).items():
            if name != "connect" and not name.startswith("__"):
                self.__dict__[name] = value

    def connect(self, *args: Any, **kwargs: Any) -> AsyncAdapt_pgwire_connection:
        """Connect with ``AsyncConnection.connect`` (or the engine's ``async_creator``)."""
        creator = kwargs.pop("async_creator_fn", pgwire.AsyncConnection.connect)
        return await_(  # type: ignore[no-any-return]
            AsyncAdapt_pgwire_connection.create(self, creator(*args, **kwargs))
        )


class PGDialectAsync_pgwire(PGDialect_pgwire):
    """``postgresql+pgwire_async://user:password@host:port/dbname[?key=value...]``."""

    is_async = True
    supports_statement_cache = True

    @classmethod
    def import_dbapi(cls) -> Any:
        """pgwire, adapted for SQLAlchemy's asyncio layer."""
        return PgwireAdaptDBAPI(pgwire)

    @classmethod
    def get_async_dialect_cls(cls, url: Any) -> Any:
        """This dialect."""
        return cls

    def _type_info_fetch(self, connection: Any, name: str) -> Any:
        return await_(TypeInfo.fetch(connection.connection.driver_connection, name))

    def get_driver_connection(self, connection: Any) -> Any:
        """The pgwire AsyncConnection under the adapter."""
        return connection._connection
