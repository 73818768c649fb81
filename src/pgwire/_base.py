"""State and logic shared by the blocking and the asyncio connection.

Nothing here waits: methods build protocol operations (generators) that the
concrete connection runs with its driver.
"""

from __future__ import annotations

import sys
import threading
import time
import warnings
import weakref
from collections import deque
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

from . import errors as _errors
from ._flow import Call, FlowGen, Give, holding
from ._log import logger
from .connection_info import (
    ConnectionInfo,
    ConnStatus,
    IsolationLevel,
    PipelineStatus,
    TransactionStatus,
    transaction_status,
)
from .conninfo import (
    AuthPolicy,
    ConnectParams,
    HostSpec,
    conninfo_to_dict,
    protocol_versions,
    scram_keys,
    shuffle_hosts,
)
from .drivers.connect import retry_tls
from .engine.plans import StatementPlans
from .engine.prepared import PreparedCache
from .errors import (
    Diagnostic,
    Error,
    NotSupportedError,
    ObjectNotInPrerequisiteState,
    OperationalError,
    ProgrammingError,
)
from .protocol import core
from .protocol.core import Notify, PGGen, Protocol
from .rows import tuple_row
from .tpc import RECOVER_QUERY, TpcState, Xid, recovered
from .transaction import TransactionPlan
from .types import AdaptContext, TypesRegistry
from .types.adapt import default_registry, registry_of

if TYPE_CHECKING:
    from .drivers.channel import Channel

NoticeHandler = Callable[[Diagnostic], None]
NotifyHandler = Callable[[Notify], None]

MAX_QUEUED_NOTIFIES = 10_000
"""Notifications kept for :meth:`notifies` by default; past it the oldest is dropped.

A connection that LISTENs but never reads its notifications keeps bounded
memory: each one dropped is counted, and said on the ``pgwire`` logger.
"""

# Keywords connect() takes for itself; the rest describe the server to reach.
CONNECTION_KWARGS = (
    "autocommit",
    "row_factory",
    "prepare_threshold",
    "cursor_factory",
    "context",
)


def startup_parameters(params: ConnectParams) -> dict[str, str]:
    """The StartupMessage parameters for ``params``."""
    out = {"user": params.user, "database": params.dbname}
    settings = {k.lower(): v for k, v in params.server_settings.items()}
    out["client_encoding"] = settings.pop("client_encoding", "UTF8")
    # Text results of dates are parsed in ISO style; users may still SET it later.
    out["DateStyle"] = settings.pop("datestyle", "ISO")
    for key, value in settings.items():
        out[key] = value
    return out


def startup_options(chan: Channel, params: ConnectParams) -> core.StartupOptions:
    """What the startup of a session on ``chan`` must hold to (require_auth, protocol...)."""
    extra = params.extra
    sock = chan.sock
    tls = chan.tls
    return core.StartupOptions(
        policy=AuthPolicy(extra.get("require_auth", ""), extra.get("channel_binding", "prefer")),
        tls=tls,
        tls_certificate=sock.getpeercert(binary_form=True) if tls else None,  # type: ignore[attr-defined]
        scram_keys=scram_keys(extra),
        protocol=protocol_versions(extra),
    )


def startup_operation(chan: Channel, params: ConnectParams, host: HostSpec) -> PGGen:
    """The startup and authentication of a new session on ``chan``."""
    return core.startup(
        chan.proto,
        startup_parameters(params),
        params.user,
        params.password_for(host),
        startup_options(chan, params),
    )


def tls_retry(
    params: ConnectParams, chan: Channel, exc: BaseException, tried: bool | None
) -> bool | None:
    """Whether to try the session again after a failed startup, and with TLS or not.

    Only a refusal by the server gets a second chance (libpq's sslmode
    prefer/allow), once.
    """
    if tried is not None or not isinstance(exc, Error) or exc.sqlstate is None:
        return None
    return retry_tls(params, chan.tls)


def host_order(params: ConnectParams) -> list[HostSpec]:
    """Hosts in the order to try them (shuffled with load_balance_hosts=random)."""
    hosts = list(params.hosts)
    if params.load_balance_hosts == "random":
        shuffle_hosts(hosts)
    return hosts


def session_matches(proto: Protocol, wanted: str) -> bool | None:
    """Whether the session fits target_session_attrs; None if a query must tell."""
    if wanted in ("any", ""):
        return True
    standby = proto.parameters.get("in_hot_standby")
    read_only = proto.parameters.get("default_transaction_read_only")
    if standby is None or read_only is None:
        return None
    is_standby = standby == "on"
    if wanted == "read-write":
        return not is_standby and read_only != "on"
    if wanted == "read-only":
        return is_standby or read_only == "on"
    if wanted == "primary":
        return not is_standby
    if wanted in ("standby", "prefer-standby"):
        return is_standby
    return True


def connect_plan(params: ConnectParams) -> Iterator[tuple[str, HostSpec]]:
    """The (target_session_attrs, host) pairs to try, in order."""
    wanted = params.target_session_attrs
    for attrs in [wanted, "any"] if wanted == "prefer-standby" else [wanted]:
        for host in host_order(params):
            yield attrs, host


def connect_error(attempts: list[tuple[HostSpec, Exception]]) -> Exception:
    """The exception to raise when no host could be connected to.

    One attempt: its own error. Several: one error listing each attempt's
    host, port and address with its failure, as psycopg words it.
    """
    if len(attempts) == 1:
        return attempts[0][1]
    lines = ["Multiple connection attempts failed. All failures were:"]
    for host, exc in attempts:
        lines.append(
            f"- host: {host.host!r}, port: {str(host.port)!r},"
            f" hostaddr: {host.hostaddr or ''!r}: {exc}"
        )
    last = attempts[-1][1]
    diag = last.diag if isinstance(last, Error) else None
    return OperationalError("\n".join(lines), diag=diag)


def split_connect_kwargs(kwargs: dict[str, Any]) -> dict[str, Any]:
    """Remove and return the keywords that configure the connection object itself."""
    return {k: kwargs.pop(k) for k in CONNECTION_KWARGS if k in kwargs}


def _weak_handler(method: Callable[..., None]) -> Callable[..., None]:
    ref = weakref.WeakMethod(method)

    def handler(*args: Any) -> None:
        target = ref()
        if target is not None:
            target(*args)

    return handler


class BaseConnection:
    """What the blocking and asyncio connections have in common."""

    # PEP 249's optional extension: the exception classes as connection
    # attributes, so that code holding several connections can tell their
    # errors apart without importing the module.
    Warning = _errors.Warning
    Error = _errors.Error
    InterfaceError = _errors.InterfaceError
    DatabaseError = _errors.DatabaseError
    DataError = _errors.DataError
    OperationalError = _errors.OperationalError
    IntegrityError = _errors.IntegrityError
    InternalError = _errors.InternalError
    ProgrammingError = _errors.ProgrammingError
    NotSupportedError = _errors.NotSupportedError

    #: The public class named by repr().
    _repr_name = "Connection"

    def __init__(
        self,
        chan: Channel,
        params: ConnectParams,
        host: HostSpec,
        *,
        autocommit: bool | None = None,
        row_factory: Any = None,
        prepare_threshold: int | str | None = "auto",
        cursor_factory: Any = None,
        context: Any = None,
    ) -> None:
        self._chan = chan
        self._proto = chan.proto
        self._params = params
        self._host = host
        if autocommit is None:
            # Replication commands refuse to run in a transaction block.
            autocommit = "replication" in params.server_settings
        self._autocommit = bool(autocommit)
        # Characteristics of the transactions started implicitly (None: server default).
        self._isolation_level: IsolationLevel | None = None
        self._read_only: bool | None = None
        self._deferrable: bool | None = None
        # The defaults themselves, as psycopg shows them (tuple_row, Cursor...).
        self.row_factory = row_factory or tuple_row
        self.cursor_factory = cursor_factory or self._cursor_class
        #: The class of the cursors ``cursor(name)`` makes.
        self.server_cursor_factory: Any = self._server_cursor_class
        self._pipeline: Any = None
        self._tpc = TpcState()
        # With a context (a registry, a connection...), a copy of its adapters:
        # what the connection registers later stays its own.
        self.adapters = (
            TypesRegistry(default_registry)
            if context is None
            else registry_of(context).copy()
        )
        self.adapt_context = AdaptContext(self.adapters)
        self._notice_handlers: list[NoticeHandler] = []
        self._notify_handlers: list[NotifyHandler] = []
        self._notifies: deque[Notify] = deque()
        #: Most notifications queued for notifies() (see MAX_QUEUED_NOTIFIES).
        self.max_queued_notifies = MAX_QUEUED_NOTIFIES
        #: Notifications dropped because the queue was full, since the connection opened.
        self.dropped_notifies = 0
        self._lock = threading.RLock()
        # The operation of a cursor's asynchronous query, while it runs.
        self._inflight: Any = None
        self._savepoints = 0
        self._copying = False
        self._prepared = PreparedCache(prepare_threshold)
        self._statement_plans = StatementPlans()
        # The prepared statements last run by its cursors, by query text, for
        # a new cursor to run one again as it is (see _cursor_base._Repeat).
        self._repeats: dict[str | bytes, Any] = {}
        proto = self._proto
        # Weak, so that a connection nobody holds is freed (and closed) at once.
        proto.parameter_handler = _weak_handler(self._on_parameter)
        proto.notice_handler = _weak_handler(self._on_notice)
        proto.notify_handler = _weak_handler(self._on_notify)
        proto.schema_handler = _weak_handler(self._on_schema_change)
        for name, value in proto.parameters.items():
            self._on_parameter(name, value)

    @property
    def info(self) -> ConnectionInfo:
        """Facts about the session: server version, backend pid, parameters..."""
        return ConnectionInfo(self)

    # --- handlers of asynchronous messages --------------------------------

    def _on_parameter(self, name: str, value: str) -> None:
        self.adapt_context.update_parameter(name, value)
        self._proto.encoding = self.adapt_context.encoding

    def _on_schema_change(self, statements_dropped: bool) -> None:
        if statements_dropped:
            # DISCARD ALL / DEALLOCATE ALL: the server has none of them any more.
            self._prepared.clear()
        else:
            # Statements prepared before may describe what changed: prepare afresh.
            self._prepared.invalidate()

    def _on_notice(self, fields: dict[str, str]) -> None:
        notice = Diagnostic(fields)
        if not self._notice_handlers:
            logger().info("%s: %s", fields.get("S", "NOTICE"), fields.get("M", ""))
            return
        for handler in list(self._notice_handlers):
            try:
                handler(notice)
            except Exception:
                logger().exception("notice handler %r failed", handler)

    def _on_notify(self, notify: Notify) -> None:
        queue = self._notifies
        while queue and len(queue) >= self.max_queued_notifies:
            dropped = queue.popleft()
            self.dropped_notifies += 1
            # Said at the first drop and every thousandth after, not at each.
            if self.dropped_notifies % 1000 == 1:
                logger().warning(
                    "%d notifications queued and none read: dropping the oldest "
                    "(channel %r); %d dropped so far",
                    len(queue) + 1,
                    dropped.channel,
                    self.dropped_notifies,
                )
        if self.max_queued_notifies > 0:
            queue.append(notify)
        for handler in list(self._notify_handlers):
            try:
                handler(notify)
            except Exception:
                logger().exception("notify handler %r failed", handler)

    def add_notice_handler(self, callback: NoticeHandler) -> None:
        """Call ``callback(diagnostic)`` for every NOTICE/WARNING the server sends."""
        self._notice_handlers.append(callback)

    def remove_notice_handler(self, callback: NoticeHandler) -> None:
        """Stop calling a notice handler."""
        self._notice_handlers.remove(callback)

    def add_notify_handler(self, callback: NotifyHandler) -> None:
        """Call ``callback(notify)`` for every notification received."""
        self._notify_handlers.append(callback)

    def remove_notify_handler(self, callback: NotifyHandler) -> None:
        """Stop calling a notify handler."""
        self._notify_handlers.remove(callback)

    # --- session settings ----------------------------------------------------

    @property
    def isolation_level(self) -> IsolationLevel | None:
        """The isolation level of the transactions started next (None: server default)."""
        return self._isolation_level

    @isolation_level.setter
    def isolation_level(self, value: IsolationLevel | None) -> None:
        self._set_setting("isolation_level", value)

    @property
    def read_only(self) -> bool | None:
        """Whether the transactions started next are READ ONLY (None: server default)."""
        return self._read_only

    @read_only.setter
    def read_only(self, value: bool | None) -> None:
        self._set_setting("read_only", value)

    @property
    def deferrable(self) -> bool | None:
        """Whether the transactions started next are DEFERRABLE (None: server default)."""
        return self._deferrable

    @deferrable.setter
    def deferrable(self, value: bool | None) -> None:
        self._set_setting("deferrable", value)

    @property
    def autocommit(self) -> bool:
        """Whether each statement commits on its own (no implicit BEGIN)."""
        return self._autocommit

    @autocommit.setter
    def autocommit(self, value: bool) -> None:
        self._set_setting("autocommit", value)

    def _set_setting(self, name: str, value: Any) -> None:
        """Change a session setting from its property (blocking connections only)."""
        raise NotImplementedError

    def _apply_setting(self, name: str, value: Any) -> None:
        """Validate and store a session setting; refuse inside a transaction.

        ``isolation_level`` takes an :class:`IsolationLevel` (or its value),
        the others a bool; all but ``autocommit`` take None for the server's
        default.  A bad value raises ValueError.
        """
        if name == "isolation_level":
            coerced: Any = None if value is None else IsolationLevel(value)
        elif name == "autocommit":
            coerced = bool(value)
        else:
            coerced = None if value is None else bool(value)
        self._check_intrans(name)
        setattr(self, "_" + name, coerced)

    def _check_intrans(self, attribute: str) -> None:
        status = self._proto.transaction_status
        if status == core.IDLE:
            return
        if self._savepoints:
            raise ProgrammingError(
                f"can't change {attribute!r} now: connection.transaction() context in progress"
            )
        raise ProgrammingError(
            f"can't change {attribute!r} now: connection in transaction status"
            f" {transaction_status(status).name}"
        )

    @property
    def prepared_max(self) -> int | None:
        """How many statements are kept prepared on the server at most (None: no bound)."""
        size = self._prepared.prepared_max
        return None if size == sys.maxsize else size

    @prepared_max.setter
    def prepared_max(self, value: int | None) -> None:
        self._prepared.prepared_max = sys.maxsize if value is None else value

    # --- state ---------------------------------------------------------------

    @property
    def prepare_threshold(self) -> int | str | None:
        """Runs of a query before it is prepared as a named statement on the server.

        The run after them prepares it (0: the first run). ``"auto"`` (the
        default): 5, but only on a connection straight to PostgreSQL, never
        through a connection pooler; an int: that many, wherever; None:
        never (every run unnamed, with a Describe).
        """
        return self._prepared.threshold

    @prepare_threshold.setter
    def prepare_threshold(self, value: int | str | None) -> None:
        self._prepared.threshold = value

    @property
    def closed(self) -> bool:
        """True once the connection is closed or lost."""
        return self._chan.closed or self._proto.closed

    @property
    def broken(self) -> bool:
        """True if the connection was lost rather than closed by the user."""
        return self._proto.closed and not getattr(self, "_closed_by_user", False)

    @property
    def pgconn(self) -> Protocol:
        """The protocol session under this connection."""
        return self._proto

    def fileno(self) -> int:
        """The socket's file descriptor."""
        self._check_open()
        return self._chan.fd

    @property
    def server_version(self) -> int:
        """The server version as an integer (e.g. 180001)."""
        return self.info.server_version

    _cursor_class: Any
    _server_cursor_class: Any

    def cursor(
        self,
        name: str | None = None,
        *,
        row_factory: Any = None,
        binary: bool = False,
        scrollable: bool | None = None,
        withhold: bool = False,
    ) -> Any:
        """A new cursor; with a ``name``, a server-side cursor (DECLARE ... CURSOR)."""
        # Only a closed connection refuses: a cursor made during another
        # thread's COPY waits for the connection when it runs.
        self._chan.check_open()
        if name is not None:
            server_factory = self.server_cursor_factory or self._server_cursor_class
            return server_factory(
                self,
                name,
                row_factory=row_factory,
                binary=binary,
                scrollable=scrollable,
                withhold=withhold,
            )
        factory = self.cursor_factory or self._cursor_class
        return factory(self, row_factory=row_factory, binary=binary)

    def _close(self) -> None:
        """Say goodbye to the server (without waiting) and close the socket."""
        if not self._proto.closed:
            # Closing a connection already lost leaves it "broken".
            self._closed_by_user = True
        chan = self._chan
        if chan.closed:
            return
        core.terminate(self._proto)
        try:
            chan.send_some()
        except Error:
            pass
        chan.close()

    def _check_open(self) -> None:
        if self._chan.closed or self._proto.closed:  # self.closed, without a property call
            raise OperationalError("the connection is closed")
        if self._copying:
            raise ProgrammingError(
                "a COPY or replication stream is in progress on this connection: finish it first"
            )

    def _check_no_pipeline(self, what: str) -> None:
        """Refuse what cannot run in pipeline mode."""
        if self._pipeline is not None:
            raise ProgrammingError(f"{what} cannot be used in pipeline mode")

    def _transaction_to_end(self, command: bytes) -> bool:
        """Whether COMMIT/ROLLBACK has a transaction to end; refuse inside transaction()."""
        self._tpc.check_no_tpc(command.decode().lower())
        if self._savepoints:
            raise ProgrammingError(f"can't {command.decode().lower()} inside a transaction() block")
        return self._proto.transaction_status != core.IDLE

    def _begin_needed(self) -> bytes | None:
        """The BEGIN statement to send before the next query, if one is needed."""
        if self._autocommit or self._proto.transaction_status != core.IDLE:
            return None
        return self._begin_statement

    @property
    def _begin_statement(self) -> bytes:
        sql = b"BEGIN"
        if self.isolation_level is not None:
            sql += b" ISOLATION LEVEL " + IsolationLevel(self.isolation_level).name.replace(
                "_", " "
            ).encode()
        if self.read_only is not None:
            sql += b" READ ONLY" if self.read_only else b" READ WRITE"
        if self.deferrable is not None:
            sql += b" DEFERRABLE" if self.deferrable else b" NOT DEFERRABLE"
        return sql


    # --- two-phase commit (the statements; the subclasses run them) -----------

    def xid(self, format_id: int | None, gtrid: str, bqual: str | None) -> Xid:
        """A transaction id for the ``tpc_*()`` methods, from its XA parts."""
        return Xid.from_parts(format_id, gtrid, bqual)

    def _tpc_begin_statement(self, xid: Xid | str) -> bytes:
        self._tpc.begin(xid, self._proto.transaction_status == core.IDLE, self._autocommit)
        return self._begin_statement

    def _tpc_prepare_error(self, exc: _errors.Error) -> _errors.Error:
        """The error to raise for a failed PREPARE TRANSACTION.

        Nothing was prepared: tpc_rollback() then ends the transaction in one phase.
        """
        self._tpc.prepared = False
        if isinstance(exc, ObjectNotInPrerequisiteState):
            # max_prepared_transactions = 0: the server cannot do two-phase commit.
            return NotSupportedError(str(exc), diag=exc.diag)
        return exc

    def _tpc_recover_needs_rollback(self, was_idle: bool) -> bool:
        """Whether tpc_recover() opened the transaction it ran in (then it ends it)."""
        return was_idle and self._proto.transaction_status == core.INTRANS

    @classmethod
    def _get_connection_params(cls, conninfo: str, **kwargs: Any) -> dict[str, Any]:
        """The connection keywords ``connect()`` uses: the string's, with ``kwargs`` on top.

        psycopg's hook, kept for code that overrides it in a subclass to
        change the parameters of every connection (a password fetched when
        connecting, say). Keywords whose value is None are left out.
        """
        return conninfo_to_dict(conninfo, **kwargs)

    def _check_cancel_allowed(self) -> None:
        """cancel() has nothing to cancel between tpc_prepare() and the second phase."""
        if self._tpc.prepared:
            raise ProgrammingError(
                "cancel() can't be used once the two-phase transaction is prepared:"
                " use tpc_commit() or tpc_rollback()"
            )

    def _summary(self) -> str:
        """The connection as psycopg shows it: ``[IDLE] (host=...)``, ``[BAD]`` once closed."""
        if self.closed:
            return "[BAD]"
        status = self.info.transaction_status.name
        if self._pipeline is not None:
            status += ", pipeline=ON"
        host, params = self._host, self._params
        where = f"host={host.host} port={host.port} user={params.user} database={params.dbname}"
        return f"[{status}] ({where})"

    def __repr__(self) -> str:
        return f"<pgwire.{self._repr_name} {self._summary()} at 0x{id(self):x}>"

    def __del__(self) -> None:
        chan = getattr(self, "_chan", None)
        if chan is not None and not chan.closed:
            # Said as psycopg says it: a connection left open is a resource leak.
            warnings.warn(
                f"{type(self).__name__} to {self._host.host} was deleted while still open:"
                " use 'with' or .close() to close the connection",
                ResourceWarning,
                stacklevel=2,
            )
            chan.close()

    # --- flows: the logic of the public methods, run by the concrete class ---------
    #
    # Each flow (pgwire._flow) yields Calls of the steps below, which the
    # blocking connection does blocking and the asyncio one as coroutines.

    def _settle_now(self) -> Any:
        """Step: check the connection is open and sync a pipeline with queued statements.

        The blocking connection also waits out an orphaned asynchronous query.
        """
        raise NotImplementedError

    def _command(self, sql: bytes) -> Any:
        """Step: run one statement (settling the connection first)."""
        raise NotImplementedError

    def _run(self, gen: PGGen) -> Any:
        """Step: run a protocol operation on the session."""
        raise NotImplementedError

    @property
    def _flow_lock(self) -> Any:
        """The lock flows take as a step (``Call(lock.acquire)``) and release."""
        raise NotImplementedError

    def _exit_flow(self, exc_type: type[BaseException] | None) -> FlowGen[None]:
        """Leaving ``with conn:``: commit, or roll back after an exception; then close."""
        try:
            if not self.closed:
                if exc_type is None:
                    yield Call(self.commit)  # type: ignore[attr-defined]
                else:
                    try:
                        yield Call(self.rollback)  # type: ignore[attr-defined]
                    except Error as ex:
                        # The block's own exception is the one raised; this one is told.
                        logger().warning("error ignored in rollback on %r: %s", self, ex)
        finally:
            yield Call(self.close)  # type: ignore[attr-defined]

    def _end_transaction_flow(self, command: bytes) -> FlowGen[None]:
        """commit() and rollback(): ``command`` if a transaction is open."""
        yield Call(self._settle_now)
        if self._transaction_to_end(command):
            yield Call(self._command, command)

    def _tpc_begin_flow(self, xid: Xid | str) -> FlowGen[None]:
        yield Call(self._settle_now)
        yield Call(self._command, self._tpc_begin_statement(xid))

    def _tpc_prepare_flow(self) -> FlowGen[None]:
        yield Call(self._settle_now)
        statement = self._tpc.prepare()
        try:
            yield Call(self._command, statement)
        except Error as exc:
            raise self._tpc_prepare_error(exc) from None

    def _tpc_finish_flow(self, command: str, xid: Xid | str | None) -> FlowGen[None]:
        """tpc_commit() and tpc_rollback()."""
        yield Call(self._settle_now)
        yield Call(self._command, self._tpc.finish(command, xid))

    def _tpc_recover_flow(self) -> FlowGen[list[Xid]]:
        was_idle = self._proto.transaction_status == core.IDLE
        cursor = yield Call(self.execute, RECOVER_QUERY)  # type: ignore[attr-defined]
        rows = yield Call(cursor.fetchall)
        if self._tpc_recover_needs_rollback(was_idle):
            # Not rollback(): that is refused inside a two-phase transaction.
            yield Call(self._command, b"ROLLBACK")
        return recovered(rows)

    def _notifies_flow(self, timeout: float | None, stop_after: int | None) -> FlowGen[None]:
        """notifies(): each notification given as it arrives, the connection held meanwhile."""
        deadline = None if timeout is None else time.monotonic() + timeout
        count = 0
        while True:
            notify = yield from holding(self._flow_lock, self._next_notify_flow(deadline))
            if notify is None:
                return
            yield Give((notify,))
            count += 1
            if stop_after is not None and count >= stop_after:
                # Those that came in with the last one are given too (as psycopg).
                while self._notifies:
                    yield Give((self._notifies.popleft(),))
                return

    def _next_notify_flow(self, deadline: float | None) -> FlowGen[Notify | None]:
        """The next notification, waiting for it until ``deadline``; None if none came."""
        while not self._notifies:
            yield Call(self._settle_now)
            arrived = yield Call(self._wait_messages, deadline)  # type: ignore[attr-defined]
            if not arrived:
                return None
        return self._notifies.popleft()

    def _block_enter_flow(self, plan: TransactionPlan) -> FlowGen[None]:
        """Entering a ``transaction()`` block: BEGIN or SAVEPOINT."""
        yield Call(self._settle_now)
        for sql in plan.enter():
            yield Call(self._command, sql)

    def _block_exit_flow(self, plan: TransactionPlan, exc: BaseException | None) -> FlowGen[bool]:
        """Leaving a ``transaction()`` block; True to swallow ``exc`` (a Rollback)."""
        # A statement of the block still in a pipeline may fail now: the
        # block then ends as if it had raised that error.
        pending: Error | None = None
        if not self.closed:
            try:
                yield Call(self._settle_now)
            except Error as error:
                if self.closed:
                    raise
                pending = error
        commands, swallow = plan.exit(exc or pending)
        if self.closed:
            plan.abandon()
        else:
            try:
                for sql in commands:
                    yield Call(self._command, sql)
            except Error as error:
                if exc is None and pending is None:
                    raise
                # The block's own error says what went wrong; a rollback that
                # fails too (the connection lost) must not hide it.
                logger().warning("error ignored in rollback of %r: %s", self, error)
                if self.closed:
                    plan.abandon()
        if pending is not None and exc is None:
            raise pending
        return swallow


__all__ = [
    "BaseConnection",
    "ConnStatus",
    "ConnectionInfo",
    "IsolationLevel",
    "PipelineStatus",
    "TransactionStatus",
]
