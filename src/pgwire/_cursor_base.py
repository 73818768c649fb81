"""State and logic shared by the blocking and the asyncio cursor.

Nothing here waits: methods build the protocol operation for a query and
file its results; the concrete cursor runs the operation with its driver.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from functools import partial
from typing import TYPE_CHECKING, Any

from ._flow import Call, FlowGen, Give
from .column import Column, make_column
from .engine.batch import BatchEncoder
from .engine.placeholders import PreparedQuery, convert_query
from .engine.plans import StatementPlan, StatementPlans
from .engine.prepared import Key, PreparedEntry
from .errors import Error, FeatureNotSupported, InterfaceError, OperationalError, ProgrammingError
from .protocol import core
from .protocol import messages as m
from .protocol.core import PGGen, Result
from .rows import dict_row, namedtuple_row, tuple_row
from .types import Format, Transformer, TypesRegistry

if TYPE_CHECKING:
    from ._base import BaseConnection

Params = Sequence[Any] | Mapping[str, Any] | None

# stream() asks the server for rows this many at a time (at least): the memory
# it holds stays bounded without a round trip per row.
STREAM_CHUNK = 100

#: The most prepared statements a connection keeps to run again from new cursors.
_MAX_REPEATS = 256

#: The builtin row factories whose rows keep all their values (so they can be
#: made again by another factory): rows are made by them as they are read.
_VALUE_KEEPING = frozenset((tuple_row, namedtuple_row, dict_row))


class _Repeat:
    """What the last planned run of a prepared statement chose, to run it again as it is.

    A query run in a loop with parameters of the same types is planned
    once: while nothing it depends on changes (the cursor's adapters and row
    factory, the statement's entry in the connection's cache, the
    statement's columns and their formats), the next run only encodes its
    Bind.  The loaders and row maker are those of the run's description,
    kept once the first run has asked for them.  The cursor keeps its last
    one; the connection keeps them by query text too, for the cursors made
    per query (``connection.execute()``, SQLAlchemy, Django) that read the
    same adapters.
    """

    __slots__ = (
        "query",
        "plan",
        "entry",
        "result_formats",
        "fields",
        "fields_formats",
        "loader_cache",
        "stamp",
        "epoch",
        "factory",
        "adapters",
    )

    def __init__(
        self,
        query: Any,
        plan: StatementPlan,
        entry: PreparedEntry,
        tx: Transformer,
        epoch: int,
        factory: Any,
    ) -> None:
        self.query = query
        self.plan = plan
        self.entry = entry
        self.result_formats = entry.result_formats
        self.fields = entry.fields
        self.fields_formats = entry.fields_formats
        # The transformer's loaders: shared by the cursors of the connection
        # reading its adapters as they are (see types.adapt._LoaderCache),
        # its own otherwise.
        self.loader_cache = tx._loader_cache
        self.stamp = plan.stamp
        self.epoch = epoch
        self.factory = factory
        self.adapters: tuple[Any, Any] | None = None

    def run_state(self, params: Params, began: bool) -> tuple[Any, ...]:
        """The state of a run of the statement kept by the cursor (see ``_watch_prepared``)."""
        return (
            self.plan.key, self.entry, self.result_formats, False, (self.query, params, None),
            began,
        )

    def holds(self, cursor: BaseCursor) -> bool:
        """Whether the choices still hold for ``cursor``'s next run (marks the statement used).

        ``cursor`` is the one that made them, or another cursor of the
        connection reading the same adapters (the same loader cache).
        """
        entry = self.entry
        tx = cursor._tx
        return (
            cursor._plannable
            and not cursor.binary
            and cursor._row_factory is self.factory
            and entry.fields is self.fields
            and entry.result_formats is self.result_formats
            and entry.fields_formats is self.fields_formats
            # The stamp first: a change makes the transformer take another cache.
            and tx.current_stamp() == self.stamp
            and tx._loader_cache is self.loader_cache
            and cursor._conn._prepared.reuse(self.plan.key, self.epoch)
        )


class BaseCursor:
    """What the blocking and asyncio cursors have in common."""

    #: Whether runs may use the parameter plans learned for prepared statements
    #: (cursors that bind parameters their own way say no).
    _plannable = True

    def __init__(
        self, connection: BaseConnection, *, row_factory: Any = None, binary: bool = False
    ) -> None:
        self._conn = connection
        self._row_factory = row_factory or connection.row_factory or tuple_row
        # The factory the rows being read are made with, and that of the
        # current result's rows: the rows are made at fetch time when the
        # row factory is not one whose rows keep their values, or changed
        # since (see _remake_rows).
        self._read_factory: Any = self._row_factory
        self._rows_factory: Any = self._row_factory
        # Pinned: registrations on the connection after the cursor is made do
        # not apply to it (psycopg copies the adapters into each cursor).
        self._tx = Transformer(connection.adapt_context, pinned=True)
        self._desc_callback: Any = None
        # The prepared statement being run, for its on_answer and on_error (see _watch_prepared).
        self._prepared_run: tuple[Any, ...] = ()
        # The last prepared statement run, to run again as it is (see _Repeat).
        self._repeat: _Repeat | None = None
        self.arraysize = 1
        self.binary = binary
        self._closed = False
        self.query: bytes | None = None
        self.params: Any = None
        self._row_makers: dict[int, tuple[Any, Any, Any, Any]] = {}
        self._reset()

    def _reset(self) -> None:
        self._results: list[Result] = []
        self._ires = 0
        self._result: Result | None = None
        self._rows: list[Any] = []
        self._pos = 0
        self._description: list[Column] | None = None
        self._pending_fields: list[m.FieldDescription] | None = None
        self._last_fields: list[m.FieldDescription] | None = None
        # The columns of the COPY running or last run (they have no rows to fetch).
        self._copy_fields: list[m.FieldDescription] | None = None
        self.rowcount = -1
        self._error: BaseException | None = None
        self._no_result_reason = "no result available: execute a query first"
        # The command tag shown when there is no result to show it (executemany).
        self._status_tag: str | None = None
        # Per result set read: (its columns, the row factory at execute, the
        # factory its rows were read with, the row maker the former gave).
        # Rows not read by the factory itself are made at fetch time; the
        # error of the first row the maker failed on is raised at its fetch.
        if self._row_makers:
            self._row_makers = {}
        self._maker_error: BaseException | None = None

    # --- PEP 249 attributes -------------------------------------------------

    @property
    def connection(self) -> Any:
        """The connection this cursor runs on."""
        return self._conn

    @property
    def closed(self) -> bool:
        """True once the cursor (or its connection) is closed."""
        return self._closed

    @property
    def row_factory(self) -> Any:
        """The row factory used for the next results."""
        return self._row_factory

    @row_factory.setter
    def row_factory(self, factory: Any) -> None:
        self._row_factory = factory or tuple_row

    @property
    def adapters(self) -> TypesRegistry:
        """The types registry of this cursor: a copy of the connection's when the cursor was made.

        What is registered here applies to this cursor only; what is
        registered on the connection afterwards does not apply to it.
        """
        tx = self._tx
        if not tx.owns_registry:
            # Made on first use: most cursors never need their own (until then
            # the transformer reads the connection's as it was, see Transformer).
            registry = TypesRegistry(tx.current_registry())
            self._tx = tx = Transformer(self._conn.adapt_context, registry)
        return tx.registry

    @property
    def description(self) -> list[Column] | None:
        """The columns of the current result, None if it returns no rows."""
        fields = self._pending_fields if self._pending_fields is not None else self._copy_fields
        if fields is not None:
            return [make_column(f, self._tx.registry) for f in fields]
        # A result of no columns (SELECT with no list) has an empty description.
        result = self._result
        if self._description is None and result is not None and result.fields is not None:
            types = self._tx.registry
            self._description = [make_column(f, types) for f in result.fields]
        return self._description

    def __repr__(self) -> str:
        # As psycopg shows a cursor: its result, then its connection's state.
        if self._closed:
            status = "closed"
        elif self._result is None:
            status = "no result"
        else:
            status = "TUPLES_OK" if self._result.fields is not None else "COMMAND_OK"
        summary = self._conn._summary()
        return f"<pgwire.{type(self).__qualname__} [{status}] {summary} at 0x{id(self):x}>"

    @property
    def statusmessage(self) -> str | None:
        """The command tag of the current result (e.g. ``"INSERT 0 1"``)."""
        return self._result.command_tag if self._result is not None else self._status_tag

    @property
    def rownumber(self) -> int | None:
        """Index of the next row to fetch in the current result."""
        return self._pos if self._result is not None and self._result.fields else None

    def setinputsizes(self, sizes: Any) -> None:
        """Does nothing, as PEP 249 allows."""

    def setoutputsize(self, size: Any, column: int | None = None) -> None:
        """Does nothing, as PEP 249 allows."""

    # --- building operations -------------------------------------------------

    def _check_open(self) -> None:
        if self._closed:
            raise InterfaceError("the cursor is closed")
        self._conn._check_open()

    def _on_description(self, fields: list[m.FieldDescription]) -> Any:
        self._last_fields = fields
        self._pending_fields = fields
        factory = self._row_factory
        try:
            # Called now, as psycopg calls it at execute(): its errors come from there.
            maker = factory(self)
            loaders = self._tx.fields_loaders(fields)
        finally:
            self._pending_fields = None
        # Rows of other factories are made when fetched, as psycopg does: a
        # maker's error comes from the fetch of its row, and a factory set
        # after execute() still applies.
        read_by = self._read_factory = factory if factory in _VALUE_KEEPING else tuple_row
        self._row_makers[id(fields)] = (fields, factory, read_by, maker)
        make_row = maker if read_by is factory else tuple
        repeat = self._repeat
        if repeat is not None and repeat.fields is fields and read_by is factory:
            # The loaders and maker of these columns, for the runs again of the
            # statement (their rows kept as read: see _row_maker).
            repeat.adapters = (loaders, make_row)
        return loaders, make_row

    def _description_callback(self) -> Any:
        callback = self._desc_callback
        if callback is None:
            # Weak, so that a cursor dropped while its query runs can be collected.
            ref = weakref.ref(self)

            def on_description(fields: list[m.FieldDescription]) -> Any:
                cursor = ref()
                return None if cursor is None else cursor._on_description(fields)

            callback = self._desc_callback = on_description
        return callback

    def _result_formats(self, binary: bool | None) -> list[int]:
        if binary if binary is not None else self.binary:
            return [Format.BINARY]
        return []

    def _query_gen(
        self,
        query: Any,
        params: Params,
        binary: bool | None = None,
        prepare: bool | None = None,
        one_statement: bool = False,
    ) -> PGGen:
        """The operation running ``query``; bad parameters raise before anything is sent.

        ``one_statement``: through the extended protocol even without
        parameters, so that a text of several statements is refused.
        """
        conn = self._conn
        begin = conn._begin_needed()
        if params is not None and binary is None and prepare is None:
            # Only a run with parameters can be planned (see _planned_gen).
            repeat = self._repeat
            if repeat is None or repeat.query is not query:
                # A cursor made per query: what another cursor ran last.
                qtype = type(query)
                repeat = conn._repeats.get(query) if qtype is str or qtype is bytes else None
            if repeat is not None:
                again = self._repeat_gen(repeat, params, begin)
                if again is not None:
                    return again
        proto = conn._proto
        binary = binary if binary is not None else self.binary
        if params is None and not binary and not prepare and not one_statement:
            sql = _query_bytes(query, conn)
            counted = prepare is None and conn._prepared.threshold is not None
            # A query without parameters runs as a simple query (any number of
            # statements) until its turn to be prepared comes.
            key: Key = (sql, ())
            if not counted or not conn._prepared.due(key):
                self.query, self.params = sql, None
                # The counting holds the cache, not the cursor, which may
                # be dropped while its query runs (async_=True).
                count = partial(conn._prepared.ran_alone, key) if counted else None
                return core.simple_query(
                    proto,
                    sql,
                    self._description_callback(),
                    begin,
                    on_answer=count,
                    closes=conn._prepared.pending_closes(),
                )
        plans = (
            conn._statement_plans
            if self._plannable and self._tx.registry is conn.adapters
            else None
        )
        if plans is not None and not plans.usable(params, prepare, binary):
            plans = None
        if plans is not None:
            planned = self._planned_gen(plans, query, params, begin)
            if planned is not None:
                return planned
        pq = self._convert_query(query, params)
        oids, formats, values = self._tx.dump_params(pq.params or [], pq.formats)
        self.query, self.params = pq.query, params
        cache = conn._prepared
        key = (pq.query, tuple(oids))
        entry, preparing = cache.plan(key, prepare)
        result_formats = self._result_formats(binary)
        known_fields = description = None
        statement, parse = b"", True
        if entry is not None:
            if not binary:
                result_formats = self._prepared_formats(entry) or result_formats
            if entry.name is not None:
                statement, parse = entry.name, preparing
                if not parse and entry.fields_formats == result_formats:
                    known_fields = entry.fields
            elif entry.description is not None:
                known_fields, description = entry.fields, entry.description
            known = plans.get(query, params, self._tx) if plans is not None else None
            if plans is not None and (known is None or known.key != key):
                plans.learn(
                    query, params, self._tx, pq.query, key, pq.params or [], formats, pq.formats
                )
        on_answer = on_error = None
        if entry is not None:
            on_answer, on_error = self._watch_prepared(
                key,
                entry,
                result_formats,
                known_fields is None or description is not None,
                # A statement parsed by this very run can't be stale, unless it
                # asked for the formats of columns described before.
                None if parse and description is None else (query, params, binary),
                begin is not None,
            )
        gen = core.extended_query(
            proto,
            pq.query,
            oids,
            formats,
            values,
            result_formats,
            self._description_callback(),
            begin,
            statement,
            parse,
            cache.pending_closes(),
            known_fields,
            description,
            on_answer,
            on_error,
        )
        if cache.check_wanted:
            cache.check_wanted = False
            gen = self._checking_direct(gen, key if entry is not None else None)
        return gen

    def _repeat_gen(self, repeat: _Repeat, params: Params, begin: bytes | None) -> PGGen | None:
        """The operation running the last prepared statement again, if its choices hold.

        None when they don't, or the parameters don't fit its plan: the run
        takes the full path (which also reports the errors).
        """
        if not repeat.holds(self):
            self._repeat = None
            return None
        entry = repeat.entry
        plan = repeat.plan
        bind = plan.bind(params, entry.name, repeat.result_formats)  # type: ignore[arg-type]
        if bind is None:
            return None
        self._repeat = repeat
        self.query, self.params = plan.query, params
        # As _watch_prepared for a run that describes nothing (nothing to learn).
        self._last_fields = None
        adapters = repeat.adapters
        fields = repeat.fields
        if begin is None and adapters is not None and fields is not None and core.CAN_TAKE_ANSWERS:
            return core.known_answer(
                self._conn._proto,
                bind,
                self._on_description,
                fields,
                adapters,
                self._repeat_failed,
            )
        self._prepared_run = repeat.run_state(params, begin is not None)
        return core.bound_query(
            self._conn._proto,
            bind,
            self._on_description,
            begin,
            b"",
            repeat.fields,
            None,
            None,
            self._prepared_failed,
            adapters,
        )

    def _convert_query(self, query: Any, params: Params) -> PreparedQuery:
        """The query text for the extended protocol and its values in ``$n`` order."""
        conn = self._conn
        return convert_query(query, params, conn.adapt_context.encoding, context=conn)

    def _checking_direct(self, gen: PGGen, key: Any) -> PGGen:
        """Run ``gen`` after finding out whether the connection reaches PostgreSQL directly.

        Only a backend's own pid is the one the server gave at connection
        time; a pooler gives its own (see :mod:`pgwire.engine.prepared`).
        ``key`` is the prepared statement ``gen`` runs, forgotten if it never
        runs.
        """
        proto = self._conn._proto
        cache = self._conn._prepared
        if proto.transaction_status != core.INERROR:
            try:
                pid = yield from core.ask(proto, b"SELECT pg_catalog.pg_backend_pid()")
            except BaseException:
                if key is not None:
                    cache.forget(key)
                raise
            cache.direct = int(pid) == proto.backend_pid
        return (yield from gen)

    def _planned_gen(
        self, plans: StatementPlans, query: Any, params: Any, begin: bytes | None
    ) -> PGGen | None:
        """The operation of a known statement with a learned parameter plan; None if none fits.

        Its Bind is built by the accelerator from the plan.  When the
        statement's columns are known (prepared, or run unnamed with a
        Describe whose answer is expected) the answer is plain in the common
        case, and taken whole.
        """
        plan = plans.get(query, params, self._tx)
        if plan is None:
            return None
        conn = self._conn
        entry = conn._prepared.known(plan.key)
        if entry is None:
            return None
        result_formats = entry.result_formats
        if result_formats is None or entry.generation != conn.adapt_context.generation:
            result_formats = self._prepared_formats(entry) or []
        name = entry.name
        bind = plan.bind(params, b"" if name is None else name, result_formats)
        if bind is None:
            return None
        self.query, self.params = plan.query, params
        if name is None:
            entry.ran()
        known_fields = entry.fields if entry.fields_formats == result_formats else None
        prefix = conn._prepared.pending_closes()
        description = None
        if name is None:
            # Described again; expected to answer as last time if asked in the same formats.
            description = None if known_fields is None else entry.description
            prefix += entry.parse_message(plan.key)
        on_answer, on_error = self._watch_prepared(
            plan.key,
            entry,
            result_formats,
            known_fields is None or description is not None,
            (query, params, None),
            begin is not None,
        )
        if (
            name is not None
            and on_answer is None
            and known_fields is not None
            and result_formats is entry.result_formats
        ):
            # Run as it is known: the next run of it may skip this planning.
            repeat = self._repeat = _Repeat(
                query, plan, entry, self._tx, conn._prepared.epoch, self._row_factory
            )
            qtype = type(query)
            if qtype is str or qtype is bytes:
                repeats = conn._repeats
                if len(repeats) >= _MAX_REPEATS:
                    repeats.clear()
                repeats[query] = repeat
        return core.bound_query(
            conn._proto,
            bind,
            self._on_description,
            begin,
            prefix,
            known_fields,
            description,
            on_answer,
            on_error,
        )

    def _watch_prepared(
        self,
        key: Any,
        entry: PreparedEntry,
        result_formats: list[int],
        described: bool,
        rerun: tuple[Any, Params, bool | None] | None,
        began: bool,
    ) -> tuple[Callable[[list[Result]], None] | None, Callable[[Error], PGGen]]:
        """The ``on_answer`` and ``on_error`` of a prepared statement's run (see ``core.results``).

        ``described``: the run asks for the statement's columns.  ``rerun``:
        the query, parameters and binary flag to run again unprepared if the
        statement has gone stale, None if it cannot be.  ``began``: the run
        opens its transaction.  The run's state is kept on the cursor, which
        runs one statement at a time, rather than in an object made per run.
        """
        self._last_fields = None
        self._prepared_run = (key, entry, result_formats, described, rerun, began)
        if described or entry.type_oids is None:
            return self._prepared_answered, self._prepared_failed
        # Nothing to learn from a plain answer: its columns are those known.
        return None, self._prepared_failed

    def _prepared_answered(self, results: list[Result]) -> None:
        """Learn the columns of the prepared statement just run (see :meth:`_watch_prepared`).

        If none were described, it is known to return no rows
        (``core.NO_ROWS``).  Columns other than those known replace them.
        """
        _key, entry, result_formats, described, _rerun, _began = self._prepared_run
        fields = self._last_fields
        if fields is not None:
            if entry.type_oids is None:
                entry.type_oids = [f.type_oid for f in fields]
            if fields is not entry.fields:
                entry.fields = fields
                entry.fields_formats = result_formats
                entry.description = self._conn._proto.last_description
                oids = [f.type_oid for f in fields]
                if oids != entry.type_oids:
                    # Other columns than before (the schema changed): choose their formats again.
                    entry.type_oids = oids
                    entry.result_formats = None
        elif described and len(results) == 1 and results[0].command_tag is not None:
            entry.fields = core.NO_ROWS
            entry.fields_formats = result_formats
            entry.description = b""

    def _repeat_failed(self, error: Error) -> PGGen:
        """:meth:`_prepared_failed` for a run of ``core.known_answer`` (no transaction begun).

        The state of the run is put together only now: it is needed when a
        run fails, which is seldom.
        """
        repeat = self._repeat
        assert repeat is not None  # the run's, set before it started
        self._prepared_run = repeat.run_state(self.params, False)
        return self._prepared_failed(error)

    def _prepared_failed(self, error: Error) -> PGGen:
        """Forget a prepared statement the server failed, or run it again if it went stale.

        A statement gone stale (its tables or types changed by another
        session) is run again unprepared, when nothing but this run is lost:
        outside a transaction, or in the one its own run opened, which is
        rolled back first.  Otherwise the error is raised.
        """
        key, entry, result_formats, _described, rerun, began = self._prepared_run
        cache = self._conn._prepared
        fields = self._last_fields
        if fields is not None and entry.type_oids is None:
            entry.type_oids = [f.type_oid for f in fields]
        exc = error
        if exc.diag.sqlstate is None:
            pass  # raised on our side (a loader...): the statement is fine
        elif exc.sqlstate == "26000":  # the server no longer knows our statements
            cache.clear()
        else:
            cache.forget(key)
        if exc.sqlstate == "08P01" and entry.name is None and len(result_formats) > 1:
            # A format per column, but the columns are others now (the
            # schema changed): stale, as a prepared statement would be.
            exc = FeatureNotSupported(
                f"the columns of the statement changed since it was described ({error});"
                " it is described again on its next run"
            )
        proto = self._conn._proto
        status = proto.transaction_status
        if (
            rerun is None
            or not _stale_statement(exc)
            or not (status == core.IDLE or (status == core.INERROR and began))
        ):
            if exc is error:
                raise error
            raise exc from error
        if status == core.INERROR:
            yield from core.simple_query(proto, b"ROLLBACK", None)
        query, params, binary = rerun
        return (yield from self._query_gen(query, params, binary, False))

    def _prepared_formats(self, entry: PreparedEntry) -> list[int] | None:
        """Per-column result formats for a prepared statement, chosen once per session state."""
        if entry.type_oids is None:
            return None
        generation = self._conn.adapt_context.generation
        if entry.result_formats is None or entry.generation != generation:
            choose = self._tx.preferred_result_format
            formats = [int(choose(oid)) for oid in entry.type_oids] or [0]
            # One format for all columns when they agree: such a Bind still fits
            # an unnamed statement whose columns changed in number since.
            entry.result_formats = formats[:1] if len(set(formats)) == 1 else formats
            entry.generation = generation
        return entry.result_formats

    def _pipeline_request(
        self, query: Any, params: Params, binary: bool | None, prepare: bool | None = None
    ) -> tuple[bytes, Callable[[], None] | None]:
        """The messages running ``query`` in pipeline mode (no Sync), and what to do if it fails.

        Statements run unnamed, but with ``prepare=True``: then named (a
        Parse the first time), and forgotten by the cache if the statement
        fails or the pipeline is aborted before it (its Parse may not have
        run).
        """
        pq = self._convert_query(query, params)
        oids, formats, values = self._tx.dump_params(pq.params or [], pq.formats)
        self.query, self.params = pq.query, params
        result_formats = self._result_formats(binary)
        if not prepare:
            return core.statement_request(pq.query, oids, formats, values, result_formats), None
        cache = self._conn._prepared
        key = (pq.query, tuple(oids))
        entry, parse = cache.plan(key, True)
        assert entry is not None and entry.name is not None
        request = core.statement_request(
            pq.query, oids, formats, values, result_formats, entry.name, parse
        )
        return request, partial(cache.forget, key)

    def _pipeline_result(self, results: list[Result] | None, error: Error | None) -> None:
        """File the outcome of a statement run in pipeline mode."""
        if error is not None:
            self._error = error
        else:
            self._set_results(results or [])

    def _stream_gen(self, query: Any, params: Params, binary: bool | None, size: int) -> PGGen:
        """The operation starting ``stream()``: its first chunk of rows."""
        if size < 1:
            raise ValueError(f"size must be >= 1, got {size}")
        conn = self._conn
        pq = self._convert_query(query, params)
        oids, formats, values = self._tx.dump_params(pq.params or [], pq.formats)
        self.query, self.params = pq.query, params
        self._stream_rows = max(size, STREAM_CHUNK)
        return core.stream_query(
            conn._proto,
            pq.query,
            oids,
            formats,
            values,
            self._result_formats(binary),
            self._description_callback(),
            conn._begin_needed(),
            self._stream_rows,
        )

    def _stream_next(self, results: list[Result]) -> PGGen | None:
        """File a chunk of ``stream()``; the operation reading the next one, None at the end."""
        self._set_results(results)
        result = self._result
        if result is not None and result.fields is None:
            # Nothing to stream (a command run all the same, as in psycopg).
            raise ProgrammingError(
                f"the operation in stream() didn't produce rows ({result.command_tag})"
            )
        if result is None or not result.suspended:
            return None
        return core.stream_more(
            self._conn._proto, result.fields, self._description_callback(), self._stream_rows
        )

    def _many_gen(
        self, query: Any, params_seq: Iterable[Params], returning: bool = False
    ) -> PGGen | None:
        """The pipelined operation of executemany; None when there is nothing to run.

        A list or tuple is encoded whole first; any other iterable is streamed
        (its first batch encoded before anything is sent).
        """
        conn = self._conn
        encoder = BatchEncoder(
            self._tx,
            query,
            conn.adapt_context.encoding,
            self._result_formats(None),
            returning,
            self._convert_query,
        )
        on_description = self._description_callback() if returning else None
        if type(params_seq) is list or type(params_seq) is tuple:
            # A copy: dumpers run user code, which must not change the list under us.
            batches = encoder.encode(list(params_seq))
            if not batches:
                return None
            self.query = encoder.sql
            return core.pipeline(conn._proto, batches, on_description, conn._begin_needed())
        more = encoder.stream(iter(params_seq))
        first = next(more, None)
        if first is None:
            return None
        self.query = encoder.sql
        return core.pipeline_stream(conn._proto, first, more, on_description, conn._begin_needed())

    # --- filing results -------------------------------------------------------

    def _set_results(self, results: list[Result], keep_last: bool = False) -> None:
        self._results = results
        if not results:
            self._select(None)
            return
        self._ires = len(results) - 1 if keep_last else 0
        self._select(results[self._ires])

    def _set_many_results(self, results: list[Result], returning: bool) -> None:
        if returning:
            # One result per parameter set, each with its own rowcount (psycopg 3).
            self._set_results(results)
            return
        total = 0
        for res in results:
            if res.rowcount >= 0:
                total += res.rowcount
        # As psycopg: no result to fetch or iterate, the last command's tag as statusmessage.
        self._set_results([])
        tag = results[-1].command_tag if results else None
        if tag is not None:
            self._status_tag = tag
            self._no_result_reason = (
                "no result available: executemany() without returning=True"
                f" keeps none (last command status: {tag})"
            )
        self.rowcount = total if results else -1

    def _select(self, result: Result | None) -> None:
        self._result = result
        self._description = None
        self._pos = 0
        if result is None:
            self._rows = []
            self.rowcount = -1
            return
        self._rows = result.rows
        # No maker recorded (a run whose columns were known): read as executed.
        self._rows_factory = (
            self._row_maker(result)[2] if self._row_makers else self._read_factory
        )
        self._maker_error = None
        self.rowcount = result.rowcount

    def _row_maker(self, result: Result) -> tuple[Any, Any, Any, Any]:
        """The entry of ``_row_makers`` for ``result`` (columns, factory, read by, maker)."""
        entry = self._row_makers.get(id(result.fields))
        if entry is not None and entry[0] is result.fields:
            return entry
        return (result.fields, self._read_factory, self._read_factory, None)

    def _set_result(self, index: int) -> None:
        """Make result ``index`` (negative counts from the end) the current one."""
        count = len(self._results)
        if not -count <= index < count:
            raise IndexError(f"index {index} out of range: {count} result(s) available")
        self._ires = index % count
        self._select(self._results[self._ires])

    @property
    def format(self) -> Format:
        """The format of the results asked for: TEXT, or BINARY with ``binary=True``."""
        return Format.BINARY if self.binary else Format.TEXT

    @format.setter
    def format(self, value: int) -> None:
        self.binary = Format(value) == Format.BINARY

    def _nextset(self) -> bool | None:
        if self._ires + 1 < len(self._results):
            self._ires += 1
            self._select(self._results[self._ires])
            return True
        return None

    # --- fetching -------------------------------------------------------------

    def _check_result(self) -> list[Any]:
        if self._closed:
            raise InterfaceError("the cursor is closed")
        if self._error is not None:
            error, self._error = self._error, None
            pipeline = self._conn._pipeline
            if pipeline is not None and pipeline.error is error:
                pipeline.error = None  # raised here: not again at sync()
            raise error
        result = self._result
        if result is None:
            raise ProgrammingError(self._no_result_reason)
        if result.fields is None:
            status = (
                f"command status: {result.command_tag}"
                if result.command_tag is not None
                else "result status: EMPTY_QUERY"
            )
            raise ProgrammingError(f"the last operation didn't produce records ({status})")
        if self._rows_factory is not self._row_factory:
            self._remake_rows(result)
        return self._rows

    def _remake_rows(self, result: Result) -> None:
        """The current result's rows made by the row factory, from the values read.

        As psycopg makes rows at fetch time, a factory set after execute()
        applies to the rows fetched from then on (and those scrolled back to).
        The rows read hold their values: tuples, named tuples or dicts (see
        _on_description). A maker failing on a row leaves the rows before it;
        its error is raised when that row is fetched.
        """
        _, executed_with, read_by, maker = self._row_maker(result)
        factory = self._row_factory
        self._rows_factory = factory
        self._maker_error = None
        values = result.rows
        if factory is read_by:
            self._rows = values
            return
        if read_by is dict_row:
            values = [list(row.values()) for row in values]
        make = maker if factory is executed_with and maker is not None else factory(self)
        rows: list[Any] = []
        append = rows.append
        try:
            for row in values:
                append(make(row))
        except Exception as exc:  # noqa: BLE001 - raised at the fetch of this row
            self._maker_error = exc
        self._rows = rows

    def _raise_row_error(self) -> None:
        """Raise the error of the row after the last one made, if a loader or the factory failed.

        The position stays before the failing row: fetching again raises again.
        """
        if self._maker_error is not None:
            raise self._maker_error
        result = self._result
        if result is not None and result.error is not None:
            raise result.error

    def _fetchone(self) -> Any:
        rows = self._check_result()
        pos = self._pos
        if pos < len(rows):
            self._pos = pos + 1
            return rows[pos]
        self._raise_row_error()
        return None

    def _next_row(self) -> Any:
        """The next row for iteration; raises _Exhausted at the end of the result."""
        rows = self._check_result()
        pos = self._pos
        if pos < len(rows):
            self._pos = pos + 1
            return rows[pos]
        self._raise_row_error()
        raise _Exhausted

    def _fetchmany(self, size: int | None) -> list[Any]:
        rows = self._check_result()
        n = self.arraysize if size is None else size
        pos = self._pos
        out = rows[pos : pos + n]
        if len(out) < n:
            self._raise_row_error()
        self._pos = pos + len(out)
        return out

    def _fetchall(self) -> list[Any]:
        rows = self._check_result()
        self._raise_row_error()
        pos = self._pos
        self._pos = len(rows)
        return rows[pos:] if pos else list(rows)

    def _scroll(self, value: int, mode: str) -> None:
        rows = self._check_result()
        if mode == "relative":
            target = self._pos + value
        elif mode == "absolute":
            target = value
        else:
            raise ValueError(f"bad scroll mode {mode!r}: use 'relative' or 'absolute'")
        if not 0 <= target < len(rows):
            raise IndexError("position out of bounds")
        self._pos = target

    def _unread_rows(self) -> Iterator[Any]:
        """The rows of the current result not read yet, each read as it is taken."""
        while self._pos < len(self._rows):
            yield self._next_row()

    def _streamed_rows(self) -> Iterator[Any]:
        """The rows of a stream's chunk, none once the connection is closed.

        The rows come from the server a chunk at a time, but the loop over
        them sees the connection as psycopg's one-row-at-a-time stream does:
        closed, it raises at the next row.
        """
        chan = self._conn._chan
        while self._pos < len(self._rows):
            if chan.closed:
                raise OperationalError("the connection is closed")
            yield self._next_row()

    def _each_result(self) -> Iterator[Any]:
        """The cursor once per result of the last execute, moving to each in turn."""
        if self._result is None:
            return
        while True:
            yield self
            if not self._nextset():
                return

    # --- flows (pgwire._flow), run by the blocking and the asyncio cursors ----------

    def _settle_connection(self) -> Any:
        """Step: make the connection ready for this cursor's next operation."""
        raise NotImplementedError

    def _run(self, gen: PGGen) -> Any:
        """Step: run an operation of this cursor on the connection."""
        raise NotImplementedError

    def _executemany_flow(
        self, query: Any, params_seq: Iterable[Params], returning: bool
    ) -> FlowGen[None]:
        self._check_open()
        yield Call(self._settle_connection)
        gen = self._many_gen(query, params_seq, returning)
        self._reset()
        if gen is None:
            self.rowcount = 0
            return
        results = yield Call(self._run, gen)
        self._set_many_results(results, returning)

    def _stream_flow(
        self, query: Any, params: Params, binary: bool | None, size: int
    ) -> FlowGen[None]:
        """stream(): chunks of rows read and given as they come (run holding the connection)."""
        conn = self._conn
        self._check_open()
        conn._check_no_pipeline("stream()")
        yield Call(self._settle_connection)
        op: PGGen | None = self._stream_gen(query, params, binary, size)
        self._reset()
        try:
            while op is not None:
                op = self._stream_next((yield Call(self._run, op)))
                yield Give(self._streamed_rows())
                self._raise_row_error()
        finally:
            # Left early: the rest of the rows are dropped, the session stays usable.
            if op is not None and not conn.closed:
                yield Call(self._run, core.stream_abandon(conn._proto))

    def _callproc_flow(self, name: str, params: Params) -> FlowGen[Params]:
        query, args = callproc_query(name, params)
        yield Call(self.execute, query, args)  # type: ignore[attr-defined]
        return params


class _Exhausted(Exception):
    """No more rows in the current result (turned into StopIteration/StopAsyncIteration)."""


def _query_bytes(query: Any, conn: BaseConnection) -> bytes:
    if isinstance(query, bytes):
        return query
    if isinstance(query, str):
        return query.encode(conn.adapt_context.encoding)
    as_bytes = getattr(query, "as_bytes", None)
    if as_bytes is not None:
        return as_bytes(conn)  # type: ignore[no-any-return]
    raise TypeError(f"the query must be str, bytes or sql.Composable, not {type(query).__name__}")


def _stale_statement(exc: Error) -> bool:
    """Whether a prepared statement failed only because the schema changed under it.

    "cached plan must not change result type" (0A000), or "cache lookup
    failed" for a type or relation that was dropped (XX000, never translated).
    """
    if exc.sqlstate == "0A000":
        return True
    return exc.sqlstate == "XX000" and (exc.diag.message_primary or "").startswith(
        "cache lookup failed"
    )


def callproc_query(name: str, params: Params) -> tuple[str, Params]:
    """The ``SELECT * FROM name(...)`` text callproc runs."""
    if params is None:
        return f"SELECT * FROM {name}()", None
    if isinstance(params, Mapping):
        args = ", ".join(f"{k} => %({k})s" for k in params)
        return f"SELECT * FROM {name}({args})", params
    return f"SELECT * FROM {name}({', '.join(['%s'] * len(params))})", params


__all__ = ["BaseCursor", "Column", "callproc_query"]
