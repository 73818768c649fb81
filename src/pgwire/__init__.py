"""pgwire: a PostgreSQL driver speaking the frontend/backend protocol itself.

DB-API 2.0 (PEP 249) with non-blocking cursors and an asyncio API, on one
sans-I/O protocol core.  See ``pgwire.connect`` and ``pgwire.AsyncConnection``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, TypeVar, overload

from . import errors, rows, sql, types
from ._capabilities import Capabilities, capabilities
from .client_cursor import ClientCursor, RawCursor
from .column import Column
from .connection import Connection, Transaction
from .connection_info import (
    ConnectionInfo,
    ConnStatus,
    IsolationLevel,
    PipelineStatus,
    TransactionStatus,
)
from .cursor import Cursor
from .dbapi import (
    BINARY,
    DATETIME,
    NUMBER,
    ROWID,
    STRING,
    Binary,
    Date,
    DateFromTicks,
    Time,
    TimeFromTicks,
    Timestamp,
    TimestampFromTicks,
)
from .errors import (
    DatabaseError,
    DataError,
    Error,
    IntegrityError,
    InterfaceError,
    InternalError,
    NotSupportedError,
    OperationalError,
    ProgrammingError,
    Warning,
)
from .protocol.core import Notify
from .rows import ConnectValue, RowFactory, TupleRow
from .server_cursor import AsyncServerCursor, ServerCursor
from .tpc import Xid
from .transaction import Rollback
from .types import default_registry as adapters

apilevel = "2.0"
threadsafety = 2
paramstyle = "pyformat"

if TYPE_CHECKING:
    # For type checkers only: at run time they load on first use (no asyncio import).
    from .aio import AsyncConnection, AsyncCursor, AsyncTransaction

_R = TypeVar("_R")

__version__ = "0.1.0"


@overload
def connect(
    dsn: str | None = ..., *, row_factory: RowFactory[_R], **kwargs: Any
) -> Connection[_R]: ...
@overload
def connect(
    dsn: str | None = ..., *, cursor_factory: Any = ..., **kwargs: ConnectValue
) -> Connection[TupleRow]: ...
def connect(dsn: str | None = None, **kwargs: Any) -> Connection[Any]:
    """Connect to a PostgreSQL server and return a blocking :class:`Connection`.

    ``dsn`` is a libpq keyword string or a ``postgresql://`` URI; keyword
    arguments override it, and the PG* environment variables, the password
    file and libpq's defaults fill in the rest.  ``autocommit`` and
    ``row_factory`` configure the connection.
    """
    return Connection.connect(dsn, **kwargs)


def __getattr__(name: str) -> Any:
    # The asyncio API is imported on first use: blocking users never load asyncio.
    if name in (
        "AsyncClientCursor",
        "AsyncConnection",
        "AsyncCursor",
        "AsyncRawCursor",
        "AsyncTransaction",
    ):
        from . import aio

        return getattr(aio, name)
    raise AttributeError(f"module 'pgwire' has no attribute {name!r}")


__all__ = [
    "Capabilities",
    "capabilities",
    "adapters",
    "AsyncServerCursor",
    "AsyncConnection",
    "AsyncCursor",
    "AsyncTransaction",
    "Xid",
    "ConnStatus",
    "PipelineStatus",
    "BINARY",
    "DATETIME",
    "NUMBER",
    "ROWID",
    "STRING",
    "Binary",
    "ClientCursor",
    "Column",
    "Connection",
    "ConnectionInfo",
    "Cursor",
    "DataError",
    "DatabaseError",
    "Date",
    "DateFromTicks",
    "Error",
    "IntegrityError",
    "InterfaceError",
    "IsolationLevel",
    "InternalError",
    "NotSupportedError",
    "Notify",
    "OperationalError",
    "ProgrammingError",
    "RawCursor",
    "ServerCursor",
    "Rollback",
    "Time",
    "TimeFromTicks",
    "Timestamp",
    "TimestampFromTicks",
    "Transaction",
    "TransactionStatus",
    "Warning",
    "apilevel",
    "connect",
    "errors",
    "paramstyle",
    "rows",
    "sql",
    "threadsafety",
    "types",
]
