"""The blocking dialect, ``postgresql+pgwire``, and what the asyncio one shares with it.

SQLAlchemy's PostgreSQL dialect writes the SQL; this module connects it to
pgwire: connection arguments, the Python objects pgwire's adapters take and
give (ranges, json, hstore...), isolation levels, server-side cursors,
``executemany`` with RETURNING in one round trip, disconnect detection and
two-phase commit.
"""

from __future__ import annotations

import decimal
import logging
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any

from sqlalchemy import exc, util
from sqlalchemy import types as sqltypes
from sqlalchemy.dialects.postgresql import ranges
from sqlalchemy.dialects.postgresql.array import ARRAY as PGARRAY
from sqlalchemy.dialects.postgresql.base import (
    INTERVAL,
    REGCONFIG,
    PGCompiler,
    PGDialect,
    PGExecutionContext,
    PGIdentifierPreparer,
)
from sqlalchemy.dialects.postgresql.hstore import HSTORE
from sqlalchemy.dialects.postgresql.json import JSON, JSONB, JSONPathType
from sqlalchemy.dialects.postgresql.pg_catalog import INT2VECTOR, OIDVECTOR
from sqlalchemy.dialects.postgresql.types import CITEXT
from sqlalchemy.engine import cursor as _cursor
from sqlalchemy.engine import processors

import pgwire
from pgwire.types import Json, Jsonb, Multirange, Range, TypeInfo, register_hstore, set_json_loads
from pgwire.types.text import TextLoader

if TYPE_CHECKING:
    from sqlalchemy.engine.interfaces import IsolationLevel

__all__ = ["PGDialect_pgwire", "PGExecutionContext_pgwire"]

logger = logging.getLogger("sqlalchemy.dialects.postgresql")

# Type OIDs SQLAlchemy's numeric types may meet in results, arrays of them
# included (an ARRAY's element type sees the array's OID).
_FLOAT_OIDS = frozenset((700, 701, 1021, 1022))
_NUMERIC_OIDS = frozenset((1700, 1231))
_INT_OIDS = frozenset((20, 21, 23, 26, 1005, 1007, 1016, 1028))

# SQLSTATE classes and codes meaning the session is gone: connection
# exceptions (08), the server shutting down or the backend terminated (57P0x).
_DISCONNECT_SQLSTATES = frozenset(("57P01", "57P02", "57P03"))

_ISOLATION_LEVELS: dict[str, pgwire.IsolationLevel] = {
    "READ COMMITTED": pgwire.IsolationLevel.READ_COMMITTED,
    "READ UNCOMMITTED": pgwire.IsolationLevel.READ_UNCOMMITTED,
    "REPEATABLE READ": pgwire.IsolationLevel.REPEATABLE_READ,
    "SERIALIZABLE": pgwire.IsolationLevel.SERIALIZABLE,
}

_server_cursor_ids = util.counter()


# --- types ---------------------------------------------------------------------------
# pgwire binds parameters on the server, typed by the OID of the Python value
# (a small int goes as int2, a str as "unknown"): where SQLAlchemy knows better,
# it writes a cast after the placeholder (render_bind_cast).


class _String(sqltypes.String):
    render_bind_cast = True


class _Integer(sqltypes.Integer):
    render_bind_cast = True


class _SmallInteger(sqltypes.SmallInteger):
    render_bind_cast = True


class _BigInteger(sqltypes.BigInteger):
    render_bind_cast = True


class _Date(sqltypes.Date):
    render_bind_cast = True


class _Time(sqltypes.Time):
    render_bind_cast = True


class _DateTime(sqltypes.DateTime):
    render_bind_cast = True


class _Interval(INTERVAL):
    render_bind_cast = True


class _Regconfig(REGCONFIG):
    render_bind_cast = True


class _Array(PGARRAY):
    render_bind_cast = True


class _NumericResults(sqltypes.NumericCommon):
    """numeric loads as Decimal and float4/float8 as float: convert only across kinds."""

    def bind_processor(self, dialect: Any) -> None:
        return None

    def result_processor(self, dialect: Any, coltype: Any) -> Callable[[Any], Any] | None:
        if coltype not in _FLOAT_OIDS and coltype not in _NUMERIC_OIDS | _INT_OIDS:
            raise exc.InvalidRequestError(f"unknown PostgreSQL numeric type: {coltype}")
        if self.asdecimal:
            if coltype in _FLOAT_OIDS:
                return processors.to_decimal_processor_factory(
                    decimal.Decimal, self._effective_decimal_return_scale
                )
            return None
        if coltype in _FLOAT_OIDS:
            return None
        return processors.to_float


class _Numeric(_NumericResults, sqltypes.Numeric):  # type: ignore[misc]
    pass


class _Float(_NumericResults, sqltypes.Float):  # type: ignore[misc]
    pass


class _Json(JSON):
    def bind_processor(self, dialect: Any) -> Any:
        # pgwire serialises a Json wrapper itself, with the engine's serializer if any.
        dumps = dialect._json_serializer
        return self._make_bind_processor(None, lambda value: Json(value, dumps))


class _Jsonb(JSONB):
    def bind_processor(self, dialect: Any) -> Any:
        dumps = dialect._json_serializer
        return self._make_bind_processor(None, lambda value: Jsonb(value, dumps))


class _JsonIntIndex(sqltypes.JSON.JSONIntIndexType):
    __visit_name__ = "json_int_index"
    render_bind_cast = True


class _JsonStrIndex(sqltypes.JSON.JSONStrIndexType):
    __visit_name__ = "json_str_index"
    render_bind_cast = True


class _JsonPath(JSONPathType):
    pass


class _Hstore(HSTORE):
    """hstore as dicts, natively once pgwire knows the type's OID."""

    def bind_processor(self, dialect: Any) -> Any:
        return None if dialect._has_native_hstore else super().bind_processor(dialect)

    def result_processor(self, dialect: Any, coltype: Any) -> Any:
        if dialect._has_native_hstore:
            return None
        return super().result_processor(dialect, coltype)


class _SpaceSeparated:
    """int2vector and oidvector load as text ("1 2 3"): split them into lists of int."""

    def result_processor(self, dialect: Any, coltype: Any) -> Callable[[Any], Any]:
        def process(value: Any) -> Any:
            if value is None or isinstance(value, list):
                return value
            return [int(part) for part in value.split()]

        return process


class _Int2Vector(_SpaceSeparated, INT2VECTOR):
    pass


class _OidVector(_SpaceSeparated, OIDVECTOR):
    pass


def _to_pgwire_range(value: ranges.Range[Any]) -> Range:
    return Range(value.lower, value.upper, value.bounds, value.empty)


def _from_pgwire_range(value: Range) -> ranges.Range[Any]:
    if value.isempty:
        return ranges.Range(empty=True)
    return ranges.Range(value.lower, value.upper, bounds=value.bounds)  # type: ignore[arg-type]


class _Range(ranges.AbstractSingleRangeImpl):  # type: ignore[type-arg]
    def bind_processor(self, dialect: Any) -> Callable[[Any], Any]:
        def process(value: Any) -> Any:
            return _to_pgwire_range(value) if isinstance(value, ranges.Range) else value

        return process

    def result_processor(self, dialect: Any, coltype: Any) -> Callable[[Any], Any]:
        def process(value: Any) -> Any:
            return _from_pgwire_range(value) if isinstance(value, Range) else value

        return process


class _Multirange(ranges.AbstractMultiRangeImpl):  # type: ignore[type-arg]
    def bind_processor(self, dialect: Any) -> Callable[[Any], Any]:
        def process(value: Any) -> Any:
            if value is None or isinstance(value, (str, Multirange)):
                return value
            return Multirange(
                _to_pgwire_range(r) if isinstance(r, ranges.Range) else r for r in value
            )

        return process

    def result_processor(self, dialect: Any, coltype: Any) -> Callable[[Any], Any]:
        def process(value: Any) -> Any:
            if not isinstance(value, Multirange):
                return value
            return ranges.MultiRange(_from_pgwire_range(r) for r in value)

        return process


# --- execution -------------------------------------------------------------------------


class PGExecutionContext_pgwire(PGExecutionContext):
    """Runs statements on pgwire cursors."""

    # Set by do_executemany() when the statement returns rows for each parameter set.
    _returning_many = False

    def create_server_side_cursor(self) -> Any:
        """A named pgwire cursor: rows travel in batches as the result is read."""
        name = f"c_{id(self):x}_{_server_cursor_ids():x}"
        return self._dbapi_connection.cursor(name)

    def post_exec(self) -> None:
        """Gather the rows of every parameter set of an executemany with RETURNING."""
        if not self._returning_many:
            return
        cursor = self.cursor
        # Each parameter set has a result of its own; the row count is their total.
        rows: list[Any] = []
        total = 0
        while True:
            total += max(cursor.rowcount, 0)
            if cursor.description is not None:
                rows.extend(cursor.fetchall())
            if not cursor.nextset():
                break
        self._rowcount = total
        self.cursor_fetch_strategy = _cursor.FullyBufferedCursorFetchStrategy(
            cursor, initial_buffer=rows
        )


class PGCompiler_pgwire(PGCompiler):
    """SQLAlchemy's PostgreSQL compiler, unchanged."""


class PGIdentifierPreparer_pgwire(PGIdentifierPreparer):
    """SQLAlchemy's PostgreSQL identifier quoting, unchanged."""


def _log_notice(diag: Any) -> None:
    logger.info("%s: %s", diag.severity, diag.message_primary)


def _connect_value(key: str, value: Any) -> Any:
    """A URL query value as pgwire.connect() takes it."""
    if key == "prepare_threshold":
        if value is None or str(value).lower() in ("", "none", "null"):
            return None
        return int(value)
    return value


class PGDialect_pgwire(PGDialect):
    """``postgresql+pgwire://user:password@host:port/dbname[?key=value...]``."""

    driver = "pgwire"
    supports_statement_cache = True
    supports_server_side_cursors = True
    default_paramstyle = "pyformat"
    supports_sane_multi_rowcount = True

    supports_native_json_serialization = True
    supports_native_json_deserialization = True
    dialect_injects_custom_json_deserializer = True

    # pgwire's executemany(returning=True) pipelines every parameter set with its
    # RETURNING rows in one round trip, in parameter order.
    update_executemany_returning = True
    delete_executemany_returning = True

    execution_ctx_cls = PGExecutionContext_pgwire
    statement_compiler = PGCompiler_pgwire
    preparer = PGIdentifierPreparer_pgwire

    _has_native_hstore = True

    colspecs = util.update_copy(
        PGDialect.colspecs,
        {
            sqltypes.String: _String,
            sqltypes.Integer: _Integer,
            sqltypes.SmallInteger: _SmallInteger,
            sqltypes.BigInteger: _BigInteger,
            sqltypes.Date: _Date,
            sqltypes.Time: _Time,
            sqltypes.DateTime: _DateTime,
            sqltypes.Interval: _Interval,
            INTERVAL: _Interval,
            sqltypes.Numeric: _Numeric,
            sqltypes.Float: _Float,
            sqltypes.ARRAY: _Array,
            REGCONFIG: _Regconfig,
            JSON: _Json,
            sqltypes.JSON: _Json,
            JSONB: _Jsonb,
            sqltypes.JSON.JSONPathType: _JsonPath,
            sqltypes.JSON.JSONIntIndexType: _JsonIntIndex,
            sqltypes.JSON.JSONStrIndexType: _JsonStrIndex,
            HSTORE: _Hstore,
            CITEXT: CITEXT,
            INT2VECTOR: _Int2Vector,
            OIDVECTOR: _OidVector,
            ranges.AbstractSingleRange: _Range,
            ranges.AbstractMultiRange: _Multirange,
        },
    )

    def __init__(
        self,
        client_encoding: str | None = None,
        use_native_hstore: bool = True,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.client_encoding = client_encoding
        self.use_native_hstore = use_native_hstore
        if not use_native_hstore:
            self._has_native_hstore = False
        # The hstore type of the database, once initialize() has looked it up.
        self._hstore_info: Any = None

    @classmethod
    def import_dbapi(cls) -> Any:
        """The DB-API module: pgwire itself."""
        return pgwire

    @classmethod
    def get_async_dialect_cls(cls, url: Any) -> Any:
        """``create_async_engine("postgresql+pgwire://...")`` picks the asyncio dialect."""
        from .async_dialect import PGDialectAsync_pgwire

        return PGDialectAsync_pgwire

    @classmethod
    def load_provisioning(cls) -> None:
        """SQLAlchemy's test provisioning for PostgreSQL serves every PostgreSQL driver."""
        import sqlalchemy.dialects.postgresql.provision  # noqa: F401

    @util.memoized_property
    def insert_executemany_returning(self) -> bool:
        """INSERT..RETURNING with many parameter sets works with or without insertmanyvalues."""
        return bool(self.insert_returning)

    @util.memoized_property
    def insert_executemany_returning_sort_by_parameter_order(self) -> bool:
        """executemany(returning=True) returns each parameter set's rows in order."""
        return bool(self.insert_returning)

    def create_connect_args(self, url: Any) -> tuple[list[Any], dict[str, Any]]:
        """pgwire.connect() keywords from the URL: its query holds any libpq keyword."""
        opts = url.translate_connect_args(username="user", database="dbname")
        hosts, ports = self._split_multihost_from_url(url)
        for key, value in url.query.items():
            if key in ("host", "port") and hosts is not None:
                continue
            opts[key] = _connect_value(key, value)
        if hosts is not None:
            opts["host"] = ",".join(h or "" for h in hosts)
            if any(ports or ()):
                opts["port"] = ",".join(str(p) if p else "" for p in ports or ())
        if self.client_encoding is not None:
            opts["client_encoding"] = self.client_encoding
        return [], opts

    # --- connecting -----------------------------------------------------------------

    def on_connect(self) -> Callable[[Any], None]:
        """Set up each new connection: notices, isolation level, hstore, json, inet."""

        def setup(conn: Any) -> None:
            conn.add_notice_handler(_log_notice)
            self._register_types(conn)
            if self.isolation_level is not None:
                self.set_isolation_level(conn, self.isolation_level)

        return setup

    def _register_types(self, conn: Any) -> None:
        driver = self.get_driver_connection(conn)
        if self._hstore_info is not None:
            register_hstore(self._hstore_info, driver)
        loads: Any = self._json_deserializer
        if loads is not None:
            set_json_loads(loads, driver)
        if self._native_inet_types is False:
            # inet and cidr values as the strings the server writes.
            driver.adapters.register_loader("inet", TextLoader)
            driver.adapters.register_loader("cidr", TextLoader)

    def _type_info_fetch(self, connection: Any, name: str) -> Any:
        return TypeInfo.fetch(connection.connection.driver_connection, name)

    def initialize(self, connection: Any) -> None:
        """Learn about the server, then look up the hstore type for every connection."""
        super().initialize(connection)
        if not self.insert_returning:
            self.insert_executemany_returning = False
            self.insert_executemany_returning_sort_by_parameter_order = False
        if self.use_native_hstore:
            info = self._type_info_fetch(connection, "hstore")
            self._has_native_hstore = info is not None
            if info is not None:
                self._hstore_info = info
                # on_connect() ran on this first connection before the lookup.
                register_hstore(info, connection.connection.driver_connection)

    # --- transactions -----------------------------------------------------------------

    def get_isolation_level_values(self, dbapi_connection: Any) -> Sequence[IsolationLevel]:
        """The levels pgwire can set, AUTOCOMMIT included."""
        return (
            "AUTOCOMMIT",
            "READ COMMITTED",
            "READ UNCOMMITTED",
            "REPEATABLE READ",
            "SERIALIZABLE",
        )

    def set_isolation_level(self, dbapi_connection: Any, level: str) -> None:
        """Autocommit, or the isolation level of the transactions pgwire begins."""
        if level == "AUTOCOMMIT":
            dbapi_connection.autocommit = True
            dbapi_connection.isolation_level = None
        else:
            dbapi_connection.autocommit = False
            dbapi_connection.isolation_level = _ISOLATION_LEVELS[level]

    def get_isolation_level(self, dbapi_connection: Any) -> IsolationLevel:
        """Ask the server; a transaction begun just to ask is ended again."""
        was_idle = dbapi_connection.info.transaction_status == pgwire.TransactionStatus.IDLE
        level = super().get_isolation_level(dbapi_connection)
        if was_idle:
            dbapi_connection.rollback()
        return level

    def detect_autocommit_setting(self, dbapi_conn: Any) -> bool:
        """Whether the connection is in autocommit mode."""
        return bool(dbapi_conn.autocommit)

    def set_readonly(self, connection: Any, value: bool) -> None:
        """Begin the next transactions READ ONLY (or READ WRITE)."""
        connection.read_only = value

    def get_readonly(self, connection: Any) -> bool:
        """Whether the next transactions begin READ ONLY."""
        return bool(connection.read_only)

    def set_deferrable(self, connection: Any, value: bool) -> None:
        """Begin the next transactions DEFERRABLE (or NOT DEFERRABLE)."""
        connection.deferrable = value

    def get_deferrable(self, connection: Any) -> bool:
        """Whether the next transactions begin DEFERRABLE."""
        return bool(connection.deferrable)

    # Two-phase commit goes through pgwire's DB-API tpc_*() methods.

    def do_begin_twophase(self, connection: Any, xid: Any) -> None:
        """BEGIN the two-phase transaction ``xid``."""
        connection.connection.tpc_begin(xid)

    def do_prepare_twophase(self, connection: Any, xid: Any) -> None:
        """PREPARE TRANSACTION, ending the transaction on this connection."""
        connection.connection.tpc_prepare()

    def _finish_twophase(self, connection: Any, command: str, xid: Any, recover: bool) -> None:
        dbapi_conn = connection.connection.dbapi_connection
        finish = getattr(dbapi_conn, f"tpc_{command}")
        if not recover:
            finish()
            return
        # A transaction prepared elsewhere, ended from outside any transaction.
        if dbapi_conn.info.transaction_status != pgwire.TransactionStatus.IDLE:
            dbapi_conn.rollback()
        finish(xid)

    def do_rollback_twophase(
        self, connection: Any, xid: Any, is_prepared: bool = True, recover: bool = False
    ) -> None:
        """ROLLBACK PREPARED (or a plain rollback of a transaction not yet prepared)."""
        self._finish_twophase(connection, "rollback", xid, recover)

    def do_commit_twophase(
        self, connection: Any, xid: Any, is_prepared: bool = True, recover: bool = False
    ) -> None:
        """COMMIT PREPARED (or a one-phase commit of a transaction not yet prepared)."""
        self._finish_twophase(connection, "commit", xid, recover)

    def do_recover_twophase(self, connection: Any) -> list[Any]:
        """The gids of the prepared transactions waiting on the server."""
        return [str(xid) for xid in connection.connection.tpc_recover()]

    # --- running ---------------------------------------------------------------------

    def do_executemany(
        self, cursor: Any, statement: str, parameters: Iterable[Any], context: Any = None
    ) -> None:
        """One round trip; with RETURNING, every parameter set's rows are kept."""
        compiled = getattr(context, "compiled", None)
        if compiled is not None and getattr(compiled, "effective_returning", None):
            context._returning_many = True
            cursor.executemany(statement, parameters, returning=True)
        else:
            cursor.executemany(statement, parameters)

    def do_ping(self, dbapi_connection: Any) -> bool:
        """An empty query; outside a transaction, run in autocommit so it begins none."""
        toggle = not dbapi_connection.autocommit and (
            dbapi_connection.info.transaction_status == pgwire.TransactionStatus.IDLE
        )
        if toggle:
            dbapi_connection.autocommit = True
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute(";")
        finally:
            cursor.close()
            if toggle and not dbapi_connection.closed:
                dbapi_connection.autocommit = False
        return True

    def is_disconnect(self, e: Exception, connection: Any, cursor: Any) -> bool:
        """Whether the error means the session is lost (closed, reset, terminated)."""
        if not isinstance(e, pgwire.Error):
            return False
        if connection is not None and (connection.closed or connection.broken):
            return True
        sqlstate = getattr(e, "sqlstate", None) or ""
        return sqlstate.startswith("08") or sqlstate in _DISCONNECT_SQLSTATES

    @util.memoized_property
    def _dialect_specific_select_one(self) -> str:
        return ";"
