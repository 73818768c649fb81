"""The names Django's PostgreSQL backend imports from ``psycopg`` and ``psycopg_pool``, on pgwire.

Django's backend (``django.db.backends.postgresql``) and ``django.contrib.postgres``
import ``psycopg`` by name.  Within those modules only (see
:mod:`pgwire.django.binding`), ``import psycopg`` and ``import psycopg_pool``
give the modules built here: pgwire's own classes under psycopg's paths.

They carry what Django uses, not psycopg's whole API: :data:`MODULES` lists
every dotted name there is.  No libpq object (``pgconn``, ``pq.PGconn``...)
is imitated.
"""

from __future__ import annotations

from types import ModuleType
from typing import Any

import pgwire
from pgwire import errors, sql
from pgwire import types as pgtypes
from pgwire.client_cursor import ClientCursorMixin as _ClientBinding
from pgwire.cursor import Cursor as _Cursor
from pgwire.pool import ConnectionPool as _ConnectionPool
from pgwire.pool import PoolClosed, PoolTimeout, TooManyRequests
from pgwire.server_cursor import ServerCursor as _ServerCursor
from pgwire.types import hstore as _hstore
from pgwire.types import numeric as _numeric
from pgwire.types.adapt import Dumper, Format, Loader, TypesRegistry, default_registry
from pgwire.types.datetime import TimestamptzLoader
from pgwire.types.json import Json, Jsonb
from pgwire.types.range import Range as _Range
from pgwire.types.range import RangeDumper
from pgwire.types.text import TextBinaryLoader, TextLoader

__all__ = ["MODULES", "connect"]

#: The psycopg version Django's version checks are shown: the psycopg 3
#: behaviour pgwire follows.
PSYCOPG_VERSION = "3.2.0"


class _SentQuery:
    """What Django reads from ``cursor._query``: the text last sent and its parameters."""

    __slots__ = ("query", "params")

    def __init__(self, query: bytes, params: Any) -> None:
        self.query = query
        self.params = params


class ClientCursorMixin(_ClientBinding):
    """pgwire's client-side binding, plus the ``_query`` Django's ``last_executed_query`` reads."""

    @property
    def _query(self) -> _SentQuery | None:
        return None if self.query is None else _SentQuery(self.query, self.params)


class Cursor(_Cursor):
    """The server-side binding cursor (psycopg's ``Cursor``)."""


class ClientCursor(ClientCursorMixin, _Cursor):
    """The client-side binding cursor (psycopg's ``ClientCursor``)."""


class ServerCursor(_ServerCursor):
    """A named cursor (psycopg's ``ServerCursor``)."""


class _RangeUnderPsycopgName(type):
    """Makes every pgwire range an instance of the class named ``psycopg.types.range.Range``."""

    def __instancecheck__(cls, obj: object) -> bool:
        return isinstance(obj, _Range)

    def __subclasscheck__(cls, sub: type) -> bool:
        return issubclass(sub, _Range)


class Range(_Range, metaclass=_RangeUnderPsycopgName):
    """pgwire's :class:`~pgwire.types.range.Range`, named ``psycopg.types.range.Range``.

    The name is what Django writes in migrations (``import psycopg.types.range``),
    so a migration file is the same whichever backend wrote it, and those
    written under psycopg load here (migration modules are bound too).  Ranges
    read from the database are pgwire's and count as instances of this class.
    """

    __slots__ = ()


Range.__module__ = "psycopg.types.range"


def connect(conninfo: str = "", **kwargs: Any) -> pgwire.Connection:
    """``psycopg.connect()``: a pgwire connection with the same keywords."""
    return pgwire.connect(conninfo or None, **kwargs)


class ConnectionPool(_ConnectionPool):
    """pgwire's pool with psycopg_pool's hooks for Django: a pooled connection knows its pool."""

    def getconn(self, timeout: float | None = None) -> pgwire.Connection:
        """Take a connection (Django gives it back with ``conn._pool.putconn(conn)``)."""
        conn = super().getconn(timeout)
        conn._pool = self  # type: ignore[attr-defined]
        return conn


def _module(name: str, doc: str, **attrs: Any) -> ModuleType:
    module = ModuleType(name, doc)
    module.__dict__.update(attrs)
    return module


def _build() -> dict[str, ModuleType]:
    adapt = _module(
        "psycopg.adapt",
        "Adapters (pgwire.types.adapt).",
        AdaptersMap=TypesRegistry,
        Dumper=Dumper,
        Loader=Loader,
    )
    pq = _module("psycopg.pq", "The wire formats.", Format=Format)
    postgres = _module(
        "psycopg.postgres",
        "The builtin types.",
        types=default_registry.types,
        adapters=default_registry,
    )
    types_datetime = _module(
        "psycopg.types.datetime", "Date and time adapters.", TimestamptzLoader=TimestamptzLoader
    )
    types_json = _module("psycopg.types.json", "JSON wrappers.", Json=Json, Jsonb=Jsonb)
    types_range = _module("psycopg.types.range", "Ranges.", Range=Range, RangeDumper=RangeDumper)
    types_string = _module(
        "psycopg.types.string",
        "Text adapters.",
        TextLoader=TextLoader,
        TextBinaryLoader=TextBinaryLoader,
    )
    types_numeric = _module(
        "psycopg.types.numeric",
        "Number wrappers forcing a parameter's type.",
        **{name: getattr(_numeric, name) for name in _numeric.__all__},
    )
    types_hstore = _module(
        "psycopg.types.hstore", "hstore adapters.", register_hstore=_hstore.register_hstore
    )
    types_pkg = _module(
        "psycopg.types",
        "Type adapters.",
        TypeInfo=pgtypes.TypeInfo,
        datetime=types_datetime,
        json=types_json,
        range=types_range,
        string=types_string,
        numeric=types_numeric,
        hstore=types_hstore,
    )
    client_cursor = _module(
        "psycopg.client_cursor",
        "Client-side binding.",
        ClientCursor=ClientCursor,
        ClientCursorMixin=ClientCursorMixin,
    )
    # pgwire's public names (the DB-API ones are psycopg's too), then psycopg's own.
    psycopg = _module(
        "psycopg",
        "pgwire under psycopg's names, for Django's PostgreSQL backend.",
        **{name: getattr(pgwire, name) for name in pgwire.__all__},
    )
    psycopg.__dict__.update(
        __version__=PSYCOPG_VERSION,
        connect=connect,
        Connection=pgwire.Connection,
        Cursor=Cursor,
        ClientCursor=ClientCursor,
        ServerCursor=ServerCursor,
        IsolationLevel=pgwire.IsolationLevel,
        adapters=default_registry,
        adapt=adapt,
        errors=errors,
        sql=sql,
        pq=pq,
        postgres=postgres,
        types=types_pkg,
        client_cursor=client_cursor,
    )
    pool = _module(
        "psycopg_pool",
        "pgwire's connection pool.",
        ConnectionPool=ConnectionPool,
        PoolTimeout=PoolTimeout,
        PoolClosed=PoolClosed,
        TooManyRequests=TooManyRequests,
    )
    modules = [
        psycopg,
        adapt,
        pq,
        postgres,
        types_pkg,
        types_datetime,
        types_json,
        types_range,
        types_string,
        types_numeric,
        types_hstore,
        client_cursor,
        pool,
    ]
    found = {module.__name__: module for module in modules}
    found["psycopg.errors"] = errors
    found["psycopg.sql"] = sql
    return found


#: Every module of the stand-in, by the dotted name Django imports.
MODULES: dict[str, ModuleType] = _build()


def find(name: str) -> ModuleType:
    """The stand-in module called `name` (``psycopg.types.range``...).

    Raises ModuleNotFoundError for a name the stand-in lacks, saying so.
    """
    module = MODULES.get(name)
    if module is None:
        raise ModuleNotFoundError(
            f"No module named {name!r} in pgwire.django's psycopg stand-in", name=name
        )
    return module
