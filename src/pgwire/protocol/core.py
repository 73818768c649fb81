"""Session state of one connection and the protocol operations, sans I/O.

Operations are generators: they queue the bytes to send on ``Protocol.out``
and ``yield`` whenever they need more bytes from the server; a driver feeds
what it receives into ``Protocol.buf`` and resumes them.  Their return value
(``StopIteration.value``) is the outcome.  The same generator is run by the
blocking driver, the non-blocking step driver and the asyncio driver.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Generator, Iterator
from typing import TYPE_CHECKING, Any, NamedTuple

from ..accel.selection import speedups
from ..conninfo import AuthPolicy
from ..errors import (
    DatabaseError,
    DataError,
    Error,
    NotSupportedError,
    OperationalError,
    ProgrammingError,
    error_from_fields,
)
from . import messages as m
from .buffer import ProtocolViolation, ReadBuffer
from .datarows import failing_column, read_data_rows

if TYPE_CHECKING:
    # The authentication code (hashlib, hmac...) is imported when a server
    # asks for a password: a session that needs none never loads it.
    from .auth import ScramClient

# Consumes runs of command answers in C (see results(count_only=True)).
_count_commands: Callable[[ReadBuffer], tuple[int, int]] | None = (
    speedups.count_commands if speedups is not None else None
)

PGGen = Generator[None, None, Any]
"""An operation: yields when it needs input, returns its outcome."""

RowMaker = Callable[[list[Any]], Any]
Loaders = list[Callable[[bytes], Any]]
OnDescription = Callable[[list[m.FieldDescription]], "tuple[Loaders, RowMaker] | None"]

#: Command tags after which prepared statements may describe tables or types
#: that changed or are gone: the session's statements are best discarded
#: (psycopg 3 does the same).
SCHEMA_CHANGING_TAGS = ("DROP ", "ALTER ", "ROLLBACK")
# Commands after which the session has no prepared statement left.
STATEMENTS_DROPPING_TAGS = ("DISCARD ALL", "DEALLOCATE ALL")

IDLE = ord("I")
INTRANS = ord("T")
INERROR = ord("E")


class Notify(NamedTuple):
    """A notification received by LISTEN."""

    channel: str
    payload: str
    pid: int


class Result:
    """The outcome of one SQL statement."""

    __slots__ = ("fields", "rows", "command_tag", "rowcount", "error", "suspended")

    def __init__(
        self,
        fields: list[m.FieldDescription] | None = None,
        rows: list[Any] | None = None,
        command_tag: str | None = None,
        rowcount: int = -1,
    ) -> None:
        self.fields = fields
        self.rows: list[Any] = [] if rows is None else rows
        self.command_tag = command_tag
        self.rowcount = rowcount
        self.error: BaseException | None = None
        # The portal was suspended by a row limit: more rows remain.
        self.suspended = False

    def __repr__(self) -> str:
        return f"<Result {self.command_tag!r} rows={len(self.rows)}>"


class Protocol:
    """The state of a session: buffers, server facts, and asynchronous messages.

    The accelerator's C code uses these attributes by name, and no others
    (``pgwire/accel/_speedups.c`` and its stub list them too): its
    ``take_response`` reads ``buf`` and ``pending_ready`` and writes
    ``pending_ready`` and ``transaction_status``; its ``known_answer`` does
    too, appends to ``out`` and calls :meth:`command_completed`; they and
    the other readers of ``buf`` read its ``data`` and ``pos`` and write its
    ``pos``.
    Renaming one of them means changing the C code too.
    """

    def __init__(self, encoding: str = "utf-8") -> None:
        self.buf = ReadBuffer()
        self.out = bytearray()
        self.encoding = encoding
        self.parameters: dict[str, str] = {}
        self.backend_pid = 0
        self.backend_key = b""
        # The protocol spoken is 3.<protocol_minor> (3.2 has longer cancel keys).
        self.protocol_minor = 0
        self.transaction_status = IDLE
        # ReadyForQuery messages the server still owes: one per Query or Sync sent.
        self.pending_ready = 0
        self.closed = False
        self.notice_handler: Callable[[dict[str, str]], None] | None = None
        self.notify_handler: Callable[[Notify], None] | None = None
        self.parameter_handler: Callable[[str, str], None] | None = None
        # The text of the statement last sent, for the position of its errors.
        self.last_query: bytes | None = None
        # The last server error as libpq's error message shows it ('' if none):
        # text, not the exception, which would keep its traceback's frames alive.
        self.last_error_message = ""
        #: The body of the last RowDescription parsed (what a described
        #: statement's cache compares the next ones with).
        self.last_description = b""
        # Called after a command that may have changed the schema completed
        # (see SCHEMA_CHANGING_TAGS).
        self.schema_handler: Callable[[bool], None] | None = None

    def send(self, data: bytes) -> None:
        """Queue bytes for the server."""
        self.out += data

    def send_query(self, data: bytes, syncs: int = 1) -> None:
        """Queue messages that the server will answer with ``syncs`` ReadyForQuery."""
        self.out += data
        self.pending_ready += syncs

    def expect_ready(self, syncs: int = 1) -> None:
        """Note messages queued piece by piece, answered with ``syncs`` ReadyForQuery."""
        self.pending_ready += syncs

    def ready(self) -> None:
        """Note the ReadyForQuery just framed (a malformed one breaks the session)."""
        buf = self.buf
        status = buf.data[buf.start] if buf.end - buf.start == 1 else -1
        if status != IDLE and status != INTRANS and status != INERROR:
            self.closed = True
            raise ProtocolViolation(
                f"malformed ReadyForQuery from the server: {buf.payload()[:16]!r}"
            )
        self.transaction_status = status
        self.pending_ready -= 1

    def handle_async(self, mtype: int) -> bool:
        """Handle a message the server may send at any time; False if ``mtype`` is another."""
        buf = self.buf
        if mtype == m.NOTICE_RESPONSE:
            fields = m.parse_error_fields(buf.data, buf.start, buf.end, self.encoding)
            if self.notice_handler is not None:
                self.notice_handler(fields)
        elif mtype == m.NOTIFICATION_RESPONSE:
            pid, channel, payload = m.parse_notification(
                buf.data, buf.start, buf.end, self.encoding
            )
            if self.notify_handler is not None:
                self.notify_handler(Notify(channel, payload, pid))
        elif mtype == m.PARAMETER_STATUS:
            name, value = m.parse_parameter_status(buf.data, buf.start, buf.end)
            self.parameters[name] = value
            if self.parameter_handler is not None:
                self.parameter_handler(name, value)
        else:
            return False
        return True

    def command_completed(self, tag: str) -> None:
        """Note a command's tag: tell the schema handler when it may have changed the schema.

        The handler is told True when the command dropped every prepared statement.
        Only tags starting with one of :data:`SCHEMA_CHANGING_TAGS` or
        :data:`STATEMENTS_DROPPING_TAGS` do anything (the accelerator's
        answers call it for those only).
        """
        if self.schema_handler is None:
            return
        if tag.startswith(SCHEMA_CHANGING_TAGS):
            self.schema_handler(False)
        elif tag in STATEMENTS_DROPPING_TAGS:
            self.schema_handler(True)

    def server_error(self) -> Error:
        """The exception for the ErrorResponse just framed."""
        buf = self.buf
        fields = m.parse_error_fields(buf.data, buf.start, buf.end, self.encoding)
        exc = error_from_fields(fields, self.last_query if "P" in fields else None)
        self.last_error_message = f"{fields.get('S') or 'ERROR'}:  {exc}\n"
        if fields.get("S") in ("FATAL", "PANIC"):
            # The server closes the session after a fatal error.
            self.closed = True
        return exc

    def unexpected(self, mtype: int) -> ProtocolViolation:
        """Mark the session broken by a message that makes no sense where it came."""
        self.closed = True
        if mtype not in m.BACKEND_TYPES:
            return ProtocolViolation(f"unknown message type {chr(mtype)!r} from the server")
        return ProtocolViolation(f"unexpected message {chr(mtype)!r} from the server")


# --- operations --------------------------------------------------------------


def _closes_on_violation(func: Callable[..., PGGen]) -> Callable[..., PGGen]:
    """Mark the session closed when the server's bytes break the protocol."""

    @functools.wraps(func)
    def wrapper(proto: Protocol, *args: Any, **kwargs: Any) -> PGGen:
        try:
            return (yield from func(proto, *args, **kwargs))
        except ProtocolViolation:
            proto.closed = True
            raise

    return wrapper


class StartupOptions(NamedTuple):
    """How to authenticate and which protocol to speak, beyond user and password.

    ``policy``: what ``require_auth`` and ``channel_binding`` allow (one
    shared, never changed, by default); ``tls_certificate``: the server's DER
    certificate when the session is encrypted (for channel binding);
    ``scram_keys``: ClientKey and ServerKey to use instead of a password;
    ``protocol``: the lowest and highest protocol minor versions accepted
    (``3.x``).
    """

    policy: AuthPolicy = AuthPolicy()
    tls: bool = False
    tls_certificate: bytes | None = None
    scram_keys: tuple[bytes, bytes] | None = None
    protocol: tuple[int, int] = (0, 0)


def _choose_sasl(
    mechanisms: list[bytes], password: str | None, options: StartupOptions
) -> ScramClient:
    """The SCRAM exchange to start among the mechanisms the server offers (libpq's choice)."""
    from .auth import ScramClient, tls_server_end_point

    policy = options.policy
    plus = (
        options.tls_certificate is not None
        and policy.channel_binding != "disable"
        and b"SCRAM-SHA-256-PLUS" in mechanisms
    )
    if not plus and policy.channel_binding == "require":
        raise OperationalError(
            "channel binding is required, but server did not offer an authentication "
            "method that supports channel binding"
        )
    if not plus and b"SCRAM-SHA-256" not in mechanisms:
        if b"OAUTHBEARER" in mechanisms:
            policy.check("oauth")
        raise NotSupportedError(
            "the server offers no supported SASL mechanism: "
            + ", ".join(x.decode(errors="replace") for x in mechanisms if x)
        )
    policy.check("scram-sha-256")
    if password is None and options.scram_keys is None:
        raise OperationalError(_NO_PASSWORD)
    binding = tls_server_end_point(options.tls_certificate) if plus else None  # type: ignore[arg-type]
    # "y": could bind, but the server offered no -PLUS (libpq's flag; not under disable).
    could_bind = options.tls and policy.channel_binding != "disable"
    return ScramClient(password, binding=binding, tls=could_bind, keys=options.scram_keys)


_NO_PASSWORD = (
    "the server asked for a password but none was given (password, PGPASSWORD or the password file)"
)

# Authentication request codes and the require_auth method each stands for.
_AUTH_METHOD = {3: "password", 5: "md5", 7: "gss", 8: "gss", 9: "sspi"}


@_closes_on_violation
def startup(
    proto: Protocol,
    params: dict[str, str],
    user: str,
    password: str | None,
    options: StartupOptions | None = None,
) -> PGGen:
    """Send the StartupMessage, authenticate, and wait for the first ReadyForQuery.

    Every credential is checked against ``options.policy`` before it goes
    out; the protocol version is negotiated down to what the server speaks,
    within ``options.protocol``.
    """
    options = options or StartupOptions()
    policy = options.policy
    lowest, highest = options.protocol
    proto.send_query(m.startup_message(params, highest))
    proto.protocol_minor = highest
    buf = proto.buf
    scram: ScramClient | None = None
    authenticated_by: str | None = None
    while True:
        mtype = buf.next_message()
        if mtype < 0:
            yield
            continue
        if mtype == m.AUTHENTICATION:
            data, start = buf.data, buf.start
            if buf.end - start < 4:
                raise ProtocolViolation("truncated authentication request")
            code = int.from_bytes(data[start : start + 4], "big")
            if code == 0:
                if scram is not None and not scram.verified:
                    raise OperationalError(
                        "the server ended SCRAM authentication without proving it knows "
                        "the password"
                    )
                if authenticated_by is None:
                    policy.check("none")
                continue
            if code in (3, 5):
                authenticated_by = _AUTH_METHOD[code]
                policy.check(authenticated_by)
                if password is None:
                    raise OperationalError(_NO_PASSWORD)
                if code == 3:
                    proto.send(m.password_message(password.encode()))
                else:
                    from .auth import md5_password

                    salt = data[start + 4 : start + 8]
                    proto.send(m.password_message(md5_password(user, password, salt)))
            elif code == 10:
                if scram is not None:
                    raise proto.unexpected(mtype)
                mechanisms = data[start + 4 : buf.end].split(b"\x00")
                scram = _choose_sasl(mechanisms, password, options)
                authenticated_by = "scram-sha-256"
                proto.send(m.sasl_initial_response(scram.mechanism, scram.first_message()))
            elif code == 11:
                if scram is None:
                    raise proto.unexpected(mtype)
                proto.send(m.sasl_response(scram.final_message(data[start + 4 : buf.end])))
            elif code == 12:
                if scram is None:
                    raise proto.unexpected(mtype)
                scram.verify_server_final(data[start + 4 : buf.end])
            else:
                if code in _AUTH_METHOD:
                    policy.check(_AUTH_METHOD[code])
                names = {2: "Kerberos V5", 7: "GSSAPI", 8: "GSSAPI", 9: "SSPI"}
                raise NotSupportedError(
                    f"authentication method {names.get(code, code)} is not supported"
                )
        elif mtype == m.BACKEND_KEY_DATA:
            proto.backend_pid, proto.backend_key = m.parse_backend_key_data(
                buf.data, buf.start, buf.end
            )
            if proto.protocol_minor < 2 and len(proto.backend_key) != 4:
                raise ProtocolViolation("BackendKeyData with a key of the wrong size")
        elif mtype == m.READY_FOR_QUERY:
            proto.ready()
            return None
        elif mtype == m.ERROR_RESPONSE:
            exc = proto.server_error()
            proto.closed = True
            if not isinstance(exc, OperationalError):
                # Every failure to connect is an OperationalError; keep the details.
                exc = OperationalError(str(exc), diag=exc.diag)
            raise exc
        elif mtype == m.NEGOTIATE_PROTOCOL_VERSION:
            newest, _ = m.parse_negotiate_protocol_version(buf.data, buf.start, buf.end)
            if newest > highest:
                raise ProtocolViolation(
                    f"the server offered protocol version 3.{newest}, newer than asked"
                )
            if newest < lowest:
                raise OperationalError(
                    f"server only supports protocol version 3.{newest}, but "
                    f"min_protocol_version was set to 3.{lowest}"
                )
            proto.protocol_minor = newest
        elif not proto.handle_async(mtype):
            raise proto.unexpected(mtype)


def _skip_copy_in(proto: Protocol) -> None:
    proto.send(m.copy_fail("COPY FROM STDIN is not supported by this call; use cursor.copy()"))


def _adapters(
    on_description: OnDescription | None, fields: list[m.FieldDescription]
) -> tuple[Loaders | None, RowMaker | None, BaseException | None]:
    """The loaders and row maker for a result set's columns, or the error choosing them."""
    if on_description is None:
        return None, None, None
    try:
        adapters = on_description(fields)
    except Exception as exc:
        return None, None, exc
    if adapters is None:
        return None, None, None
    return adapters[0], adapters[1], None


# Reads a whole plain answer in one call (see take_answer()).
_take_response: Callable[..., tuple[list[Any], str, int] | None] | None = (
    speedups.take_response if speedups is not None else None
)
# The operation of known_answer(), there with _take_response.
_known_answer: Callable[..., PGGen] | None = speedups.known_answer if speedups is not None else None

#: ``known_fields`` of a prepared statement known to return no rows (its
#: Describe gave NoData): not the empty column list of rows with no columns.
NO_ROWS: list[m.FieldDescription] = []

#: Whether :func:`take_answer` can ever read an answer (the accelerator is there).
CAN_TAKE_ANSWERS = _take_response is not None


def take_answer(
    proto: Protocol,
    fields: list[m.FieldDescription] | None,
    loaders: Loaders | None,
    make_row: RowMaker | None,
    description: bytes | None = None,
) -> Result | None:
    """The whole answer to one statement, if it is in the buffer and plain; else None.

    A plain answer is what a statement run through the extended protocol
    gets when all goes well: ParseComplete, BindComplete and such, the rows
    of the ``fields`` described beforehand (None or :data:`NO_ROWS`: no rows),
    CommandComplete and ReadyForQuery.  A RowDescription is part of it only
    when its body is ``description`` (the columns are then ``fields``).  It
    is consumed and returned as one Result.  Anything else (an answer not
    all there, an error or a notice, a value a loader refuses) is left in
    the buffer for :func:`results`, which reads it message by message and
    reports what is wrong.
    """
    if _take_response is None:
        return None
    # The answer is consumed and its ReadyForQuery noted at once, so that an
    # interruption leaves the session in sync either way.
    whole = _take_response(proto, loaders, make_row, description or None)
    if whole is None:
        return None
    rows, tag, rowcount = whole
    proto.command_completed(tag)
    if fields is None or fields is NO_ROWS:
        return Result(None, rows, tag, rowcount)
    return Result(fields, rows, tag, len(rows) if rowcount < 0 else rowcount)


# Message types as plain globals: the results loop compares each message to them.
_DATA_ROW = m.DATA_ROW
_BIND_COMPLETE = m.BIND_COMPLETE
_PARSE_COMPLETE = m.PARSE_COMPLETE
_COMMAND_COMPLETE = m.COMMAND_COMPLETE
_READY_FOR_QUERY = m.READY_FOR_QUERY
_ROW_DESCRIPTION = m.ROW_DESCRIPTION


def results(
    proto: Protocol,
    on_description: OnDescription | None,
    syncs: int = 1,
    skip_first: bool = False,
    count_only: bool = False,
    known_fields: list[m.FieldDescription] | None = None,
    request: bytes = b"",
    description: bytes | None = None,
    feed: Callable[[bool], None] | None = None,
    chunked: bool = False,
    one_statement: bool = False,
    on_answer: Callable[[list[Result]], None] | None = None,
    on_error: Callable[[Error], PGGen] | None = None,
    known_adapters: tuple[Loaders | None, RowMaker | None] | None = None,
) -> PGGen:
    """Read responses until ``syncs`` ReadyForQuery messages; return the results.

    ``chunked``: the request ends with Execute(max_rows) and Flush, not Sync
    (see :func:`stream_query`): return once the portal is suspended; once
    the statement completes (or fails), send the Sync and read to its
    ReadyForQuery.

    ``one_statement``: read the answer of one statement of a pipeline (no
    ReadyForQuery ends it): return its results once it completes, raise its
    error at once.

    ``request``, if given, is queued first: the messages the server will
    answer with those ``syncs`` ReadyForQuery.

    ``on_description`` is called once per result set with its columns and
    returns the per-column loaders and the function that turns a list of
    values into a row (or None to discard the rows).  The first server
    error is raised once the session is back in sync.  An exception from a
    loader or row maker is not raised: it is the ``error`` of its Result,
    whose ``rows`` are those made before it (a cursor raises it from the
    fetch that reaches the failing row, as psycopg builds rows at fetch time).
    With ``skip_first`` the results before the first ReadyForQuery (an
    implicit BEGIN) are dropped.  With ``count_only`` (many commands whose
    rows are not wanted) the result is one Result holding the total rowcount,
    or none if no command completed.  ``known_fields`` describes the
    first result set (after the skipped ones) when no RowDescription will
    come (a prepared statement run without Describe); :data:`NO_ROWS` says
    the statement returns no rows.  ``description`` says that a Describe was
    sent all the same, whose answer is expected to be ``known_fields``: the
    body of their RowDescription (b"" for NoData).  A RowDescription equal to
    it is not parsed again; any other replaces ``known_fields``.  ``feed``, if
    given, is called whenever the answer read so far is used up, with True
    once an error has come: it queues more of the request.

    ``on_answer`` and ``on_error`` follow a prepared statement's run (see
    :mod:`pgwire.engine.prepared`): ``on_answer`` is given the results
    before they are returned; ``on_error`` is given the error instead of
    raising it, and returns the operation whose result is returned instead
    (a run again, unprepared), or raises.  Watching here rather than in a
    generator around this one keeps the most frequent path one generator deep.

    ``known_adapters``: the loaders and row maker ``on_description`` gave
    for ``known_fields`` on an earlier run, when the caller knows they still
    hold; it is then not asked again.
    """
    if request:
        proto.out += request
        proto.pending_ready += syncs
        # Nothing of the answer can be there yet.
        yield
    try:
        # Known columns describe the first result set after the skipped ones;
        # their loaders are chosen at once, for a whole answer to be read with them.
        first_adapters: tuple[Loaders | None, RowMaker | None, BaseException | None] | None = None
        if known_adapters is not None:
            first_adapters = (known_adapters[0], known_adapters[1], None)
        elif known_fields is not None and known_fields is not NO_ROWS:
            first_adapters = _adapters(on_description, known_fields)
        if (
            CAN_TAKE_ANSWERS
            and (first_adapters is None or first_adapters[2] is None)
            and syncs == (2 if skip_first else 1)
            and not count_only
            and feed is None
        ):
            # One statement's answer (after the answer of its implicit BEGIN),
            # while none of it is read: the accelerator may take it whole.
            fields = None if known_fields is NO_ROWS else known_fields
            loaders = make_row = None
            if first_adapters is not None:
                loaders, make_row, _ = first_adapters
            buf = proto.buf
            while True:
                if skip_first and take_answer(proto, None, None, None) is not None:
                    # The BEGIN's answer, nothing to keep of it.
                    skip_first = False
                    syncs = 1
                if not skip_first:
                    whole = take_answer(proto, fields, loaders, make_row, description)
                    if whole is not None:
                        answer = [whole]
                        if on_answer is not None:
                            on_answer(answer)
                        return answer
                if buf.next_message() >= 0:
                    # Not plain: read message by message from this one on.
                    buf.pos = buf.start - 5
                    break
                yield
        out = yield from _read_answer(
            proto,
            on_description,
            syncs,
            skip_first,
            count_only,
            known_fields,
            first_adapters,
            description,
            feed,
            chunked,
            one_statement,
        )
    except Error as exc:
        return (yield from _answer_failed(proto, exc, on_error))
    if on_answer is not None:
        on_answer(out)
    return out


def _answer_failed(
    proto: Protocol, exc: Error, on_error: Callable[[Error], PGGen] | None
) -> PGGen:
    """The end of an answer that failed with ``exc`` (raised, or given to ``on_error``)."""
    if isinstance(exc, ProtocolViolation):
        proto.closed = True
    if on_error is None:
        raise exc
    return (yield from on_error(exc))


def known_answer(
    proto: Protocol,
    bind: bytes,
    on_description: OnDescription | None,
    fields: list[m.FieldDescription],
    adapters: tuple[Loaders | None, RowMaker | None],
    on_error: Callable[[Error], PGGen] | None,
) -> PGGen:
    """Run a prepared statement again, as known: Bind, Execute and Sync; its results.

    What :func:`bound_query` does for a statement whose columns (``fields``,
    or :data:`NO_ROWS`) and ``adapters`` (loaders and row maker) are known,
    outside a transaction to begin, when the accelerator takes answers
    (:data:`CAN_TAKE_ANSWERS`).  This is the path of a query run again and
    again, so the operation is the accelerator's ``known_answer``, stepped
    as a generator: it takes the plain answer whole, as :func:`take_answer`
    does, without a Python frame; an answer not all there or not plain is
    left to :func:`_known_rest`.
    """
    loaders, make_row = adapters
    return _known_answer(  # type: ignore[misc]
        proto,
        bind,
        None if fields is NO_ROWS else fields,
        loaders,
        make_row,
        _known_rest,
        (proto, on_description, fields, adapters, on_error),
    )


def _known_rest(
    proto: Protocol,
    on_description: OnDescription | None,
    fields: list[m.FieldDescription],
    adapters: tuple[Loaders | None, RowMaker | None],
    on_error: Callable[[Error], PGGen] | None,
    failure: Exception | None,
) -> PGGen:
    """:func:`known_answer`'s answer when it is not taken whole at once.

    ``failure`` is the exception raised while taking it, if any.  The answer
    is taken whole once all there, else read message by message by
    :func:`results`'s reader; an :class:`Error` goes to ``on_error``.
    """
    try:
        if failure is not None:
            raise failure
        loaders, make_row = adapters
        buf = proto.buf
        # The compiled take has just failed on what is buffered: try again
        # only once more has arrived.
        while buf.next_message() < 0:
            yield
            whole = take_answer(proto, fields, loaders, make_row)
            if whole is not None:
                return [whole]
        # Not plain: read message by message from this one on.
        buf.pos = buf.start - 5
        adapted = (loaders, make_row, None)
        return (yield from _read_answer(proto, on_description, 1, False, False, fields, adapted))
    except Error as exc:
        return (yield from _answer_failed(proto, exc, on_error))


def _read_answer(
    proto: Protocol,
    on_description: OnDescription | None,
    syncs: int,
    skip_first: bool,
    count_only: bool,
    known_fields: list[m.FieldDescription] | None,
    first_adapters: tuple[Loaders | None, RowMaker | None, BaseException | None] | None,
    description: bytes | None = None,
    feed: Callable[[bool], None] | None = None,
    chunked: bool = False,
    one_statement: bool = False,
) -> PGGen:
    """:func:`results` read message by message: the answer that is not plain, or not all there.

    ``first_adapters`` are those chosen for ``known_fields``; the other
    arguments are those of :func:`results`.
    """
    buf = proto.buf
    loaders: Loaders | None = None
    make_row: RowMaker | None = None
    error: BaseException | None = None
    if first_adapters is not None:
        loaders, make_row, error = first_adapters
    pending_fields = known_fields
    next_message = buf.next_message
    out: list[Result] = []
    cur = Result()
    rows = cur.rows
    copy_error: BaseException | None = None
    count = _count_commands if count_only else None
    commands = counted = 0
    # In chunked mode, the Sync that ends the request is still to be sent.
    unsynced = chunked
    try:
        while True:
            if pending_fields is not None and not skip_first:
                if pending_fields is not NO_ROWS:
                    cur.fields = pending_fields
                    if first_adapters is not None and error is None:
                        loaders, make_row, error = first_adapters
                pending_fields = None
            if count is not None:
                done, nrows = count(buf)
                commands += done
                counted += nrows
            mtype = next_message()
            if mtype < 0:
                if feed is not None:
                    feed(error is not None)
                yield
                continue
            # The most frequent messages first.
            if mtype == _DATA_ROW:
                if cur.fields is None and on_description is not None:
                    # Columns are described before rows whenever rows are kept.
                    raise ProtocolViolation("DataRow before any RowDescription from the server")
                if loaders is not None:
                    buf.pos = buf.start - 5  # let the row reader frame this message again
                    try:
                        read_data_rows(buf, loaders, make_row, rows)  # type: ignore[arg-type]
                    except ProtocolViolation:
                        raise
                    except Exception as exc:
                        # The result keeps the rows made so far and the error, for the
                        # fetch that reaches the failing row to raise; the rest of its
                        # rows are read and dropped.
                        cur.error = cur.error or _load_error(exc, cur.fields, buf, loaders)
                        loaders = None
                        next_message()
            elif mtype == _BIND_COMPLETE or mtype == _PARSE_COMPLETE:
                pass
            elif mtype == _COMMAND_COMPLETE:
                cur.command_tag = tag = m.parse_command_complete(buf.data, buf.start, buf.end)
                cur.rowcount = rowcount = m.rowcount_from_tag(tag)
                proto.command_completed(tag)
                if count_only:
                    commands += 1
                    counted += max(rowcount, 0)
                    continue
                if rowcount < 0 and cur.fields is not None:
                    cur.rowcount = len(cur.rows)
                out.append(cur)
                if one_statement:
                    break
                cur = Result()
                rows = cur.rows
                loaders = None
                if unsynced and not skip_first:
                    unsynced = False
                    proto.send_query(m.SYNC)
                    syncs += 1
            elif mtype == _READY_FOR_QUERY:
                proto.ready()
                syncs -= 1
                if skip_first:
                    skip_first = False
                    out.clear()
                    commands = counted = 0
                if syncs <= 0 and not unsynced:
                    break
            elif mtype == _ROW_DESCRIPTION:
                if (
                    description
                    and cur.fields is known_fields
                    and buf.data[buf.start : buf.end] == description
                ):
                    continue  # the columns expected, whose loaders are chosen already
                proto.last_description = buf.data[buf.start : buf.end]
                cur.fields = m.parse_row_description(buf.data, buf.start, buf.end, proto.encoding)
                loaders = make_row = None
                if error is None:
                    loaders, make_row, error = _adapters(on_description, cur.fields)
            elif mtype == m.NO_DATA:
                if description:
                    # Described now as returning no rows, not as expected.
                    cur.fields = None
                    loaders = None
            elif mtype == m.PORTAL_SUSPENDED:
                cur.rowcount = len(cur.rows)
                cur.suspended = True
                out.append(cur)
                if unsynced:
                    if error is None:
                        return out  # more rows to ask for
                    unsynced = False
                    proto.send_query(m.SYNC)
                    syncs += 1
                cur = Result()
                rows = cur.rows
                loaders = None
            elif mtype == m.EMPTY_QUERY_RESPONSE:
                out.append(cur)
                if one_statement:
                    break
                cur = Result()
                rows = cur.rows
                if unsynced and not skip_first:
                    unsynced = False
                    proto.send_query(m.SYNC)
                    syncs += 1
            elif mtype == m.ERROR_RESPONSE:
                server_exc = proto.server_error()
                if proto.closed or one_statement:
                    raise server_exc
                if error is None:
                    error = server_exc
                cur = Result()
                rows = cur.rows
                loaders = None
                if unsynced and not skip_first:
                    unsynced = False
                    proto.send_query(m.SYNC)
                    syncs += 1
            elif mtype in (m.CLOSE_COMPLETE, m.PARAMETER_DESCRIPTION):
                pass
            elif mtype == m.COPY_IN_RESPONSE:
                _skip_copy_in(proto)
                copy_error = copy_error or ProgrammingError(
                    "COPY FROM STDIN cannot be run with execute(): use cursor.copy()"
                )
            elif mtype == m.COPY_OUT_RESPONSE:
                copy_error = copy_error or ProgrammingError(
                    "COPY TO STDOUT cannot be run with execute(): use cursor.copy()"
                )
            elif mtype == m.COPY_BOTH_RESPONSE:
                # A replication stream would never end by itself: end it now.
                proto.send(m.COPY_DONE_MSG)
                copy_error = copy_error or NotSupportedError(
                    "START_REPLICATION needs conn.start_replication()"
                )
            elif mtype in (m.COPY_DATA, m.COPY_DONE):
                pass
            elif not proto.handle_async(mtype):
                raise proto.unexpected(mtype)
    except ProtocolViolation:
        proto.closed = True
        raise
    if copy_error is not None:
        raise copy_error
    if error is not None:
        raise error
    if count_only and commands:
        # The last command's tag is the status (count_commands leaves it here).
        out.append(Result(None, None, cur.command_tag, counted))
    return out


def _builtin_loader(load: Callable[[bytes], Any]) -> bool:
    """Whether ``load`` is pgwire's own (or Python's): not a loader the user registered."""
    owner = getattr(load, "__self__", None)
    module = type(owner).__module__ if owner is not None else getattr(load, "__module__", None)
    return module is None or module == "builtins" or module.startswith("pgwire.")


def _load_error(
    exc: Exception, fields: list[m.FieldDescription] | None, buf: ReadBuffer, loaders: Loaders
) -> Exception:
    """The error to raise for a value a loader refused: a DataError naming the column.

    Errors of the row factory and of loaders the user registered propagate
    as they are, as do the server's errors. The failing row (at ``buf.pos``)
    is decoded again to find the column, only when every loader is
    pgwire's: a user's loader is never called twice on a value.
    """
    if isinstance(exc, Error) and (not isinstance(exc, DataError) or exc.sqlstate is not None):
        return exc
    column = None
    if fields is not None and all(_builtin_loader(load) for load in loaders):
        column = failing_column(buf, loaders)
    if fields is None or column is None or column >= len(fields):
        if not isinstance(exc, UnicodeDecodeError):
            return exc
        where = "a column"
    else:
        where = f'column "{fields[column].name}"'
    if isinstance(exc, UnicodeDecodeError):
        message = (
            f"invalid {exc.encoding} data in {where}: {exc.reason} at byte {exc.start}"
            f" ({exc.object[exc.start : exc.start + 4]!r})"
        )
    elif isinstance(exc, DataError):
        message = f"{exc} in {where}"
    else:
        assert fields is not None and column is not None
        message = f"cannot load {where} (type {fields[column].type_oid}): {exc}"
    error = DataError(message)
    error.__cause__ = exc
    return error


def _begin(begin: bool | bytes | None) -> bytes:
    """The Query message opening a transaction before a request (empty if none)."""
    if not begin:
        return b""
    return m.query(begin if isinstance(begin, bytes) else b"BEGIN")


def simple_query(
    proto: Protocol,
    sql: bytes,
    on_description: OnDescription | None,
    begin: bool | bytes | None = False,
    known_fields: list[m.FieldDescription] | None = None,
    description: bytes | None = None,
    on_answer: Callable[[list[Result]], None] | None = None,
    closes: bytes = b"",
) -> PGGen:
    """Run ``sql`` (one or more statements) through the simple-query protocol.

    ``known_fields`` and ``description`` (see :func:`results`): the columns
    one statement is known to return and the body of their RowDescription
    (a FETCH from a cursor already described), so that its answer can be
    taken whole. ``on_answer`` is given the results of a run that succeeded.
    ``closes``: Close messages of statements to drop, sent after the query
    with a Sync of their own (their answers add no result).
    """
    proto.last_query = sql
    request = _begin(begin) + m.query(sql)
    syncs = 2 if begin else 1
    if closes:
        request += closes + m.SYNC
        syncs += 1
    return results(
        proto,
        on_description,
        syncs,
        bool(begin),
        False,
        known_fields,
        request,
        description,
        on_answer=on_answer,
    )


def statement_request(
    sql: bytes,
    param_oids: list[int],
    param_formats: list[int],
    values: list[bytes | None],
    result_formats: list[int],
    statement: bytes = b"",
    parse: bool = True,
    describe: bool = True,
) -> bytes:
    """The extended-protocol messages running one statement, without the Sync."""
    return (
        (m.parse(statement, sql, param_oids) if parse else b"")
        + m.bind(b"", statement, param_formats, values, result_formats)
        + (m.DESCRIBE_UNNAMED_PORTAL if describe else b"")
        + m.EXECUTE_UNNAMED
    )


def _text_value(value: bytes) -> str:
    return bytes(value).decode("utf-8", "replace")


def ask(proto: Protocol, sql: bytes) -> PGGen:
    """Run a query answering one value (simple protocol); return it as text."""
    answer = yield from simple_query(proto, sql, lambda fields: ([_text_value], tuple))
    return answer[0].rows[0][0]


def extended_query(
    proto: Protocol,
    sql: bytes,
    param_oids: list[int],
    param_formats: list[int],
    values: list[bytes | None],
    result_formats: list[int],
    on_description: OnDescription | None,
    begin: bool | bytes | None = False,
    statement: bytes = b"",
    parse: bool = True,
    prefix: bytes = b"",
    known_fields: list[m.FieldDescription] | None = None,
    description: bytes | None = None,
    on_answer: Callable[[list[Result]], None] | None = None,
    on_error: Callable[[Error], PGGen] | None = None,
) -> PGGen:
    """Parse (unless prepared already), bind and execute one statement.

    ``statement`` names a prepared statement (b"" = unnamed); ``prefix`` is
    sent first (e.g. Close messages of evicted statements).  With
    ``known_fields`` (the statement's columns in the result formats asked)
    the portal is not described, unless ``description`` (see :func:`results`)
    says it is all the same.  The messages are built now (bad values raise
    here) and sent when the operation starts.
    """
    if parse:
        proto.last_query = sql
    request = (
        (_begin(begin) if begin else b"")
        + prefix
        + statement_request(
            sql,
            param_oids,
            param_formats,
            values,
            result_formats,
            statement,
            parse,
            known_fields is None or description is not None,
        )
        + m.SYNC
    )
    return results(
        proto,
        on_description,
        2 if begin else 1,
        bool(begin),
        False,
        known_fields,
        request,
        description,
        on_answer=on_answer,
        on_error=on_error,
    )


_DESCRIBE_EXECUTE_SYNC = m.DESCRIBE_UNNAMED_PORTAL + m.EXECUTE_UNNAMED + m.SYNC
_EXECUTE_SYNC = m.EXECUTE_UNNAMED + m.SYNC
if speedups is not None:
    # The compiled answers call command_completed() for the tags it looks at only.
    speedups.setup_answers(Result, _EXECUTE_SYNC, SCHEMA_CHANGING_TAGS + STATEMENTS_DROPPING_TAGS)


def bound_query(
    proto: Protocol,
    bind: bytes,
    on_description: OnDescription | None,
    begin: bytes | None,
    prefix: bytes,
    known_fields: list[m.FieldDescription] | None,
    description: bytes | None,
    on_answer: Callable[[list[Result]], None] | None,
    on_error: Callable[[Error], PGGen] | None,
    known_adapters: tuple[Loaders | None, RowMaker | None] | None = None,
) -> PGGen:
    """Execute a known statement whose Bind message is built already.

    ``prefix`` goes first (Close messages of evicted statements, the Parse
    of an unnamed statement); ``begin`` opens a transaction before, in the
    same round trip.  ``known_fields`` and ``description`` are those of
    :func:`extended_query`; ``on_answer``, ``on_error`` and
    ``known_adapters`` those of :func:`results`.  The common answer (the statement's columns
    known, nothing but rows and a tag) is taken whole by the operation's
    first look at it (see :func:`take_answer`).
    """
    described = known_fields is None or description is not None
    tail = _DESCRIBE_EXECUTE_SYNC if described else _EXECUTE_SYNC
    if begin is None:
        request = prefix + bind + tail
        syncs = 1
    else:
        request = m.query(begin) + prefix + bind + tail
        syncs = 2
    return results(
        proto,
        on_description,
        syncs,
        syncs == 2,
        False,
        known_fields,
        request,
        description,
        None,
        False,
        False,
        on_answer,
        on_error,
        known_adapters,
    )


def stream_query(
    proto: Protocol,
    sql: bytes,
    param_oids: list[int],
    param_formats: list[int],
    values: list[bytes | None],
    result_formats: list[int],
    on_description: OnDescription | None,
    begin: bool | bytes | None,
    max_rows: int,
) -> PGGen:
    """Start a statement whose rows come ``max_rows`` at a time (see :func:`stream_more`).

    Returns the first chunk as a one-Result list; a ``suspended`` Result
    has more rows to come.  Once the
    statement completes the session is synced again.
    """
    proto.last_query = sql
    request = (
        _begin(begin)
        + m.parse(b"", sql, param_oids)
        + m.bind(b"", b"", param_formats, values, result_formats)
        + m.DESCRIBE_UNNAMED_PORTAL
        + m.execute(b"", max_rows)
        + m.FLUSH
    )
    return results(
        proto, on_description, 1 if begin else 0, bool(begin), request=request, chunked=True
    )


def stream_more(
    proto: Protocol,
    fields: list[m.FieldDescription] | None,
    on_description: OnDescription | None,
    max_rows: int,
) -> PGGen:
    """The next chunk of a suspended :func:`stream_query` statement."""
    request = m.execute(b"", max_rows) + m.FLUSH
    return results(
        proto, on_description, 0, known_fields=fields or NO_ROWS, request=request, chunked=True
    )


def stream_abandon(proto: Protocol) -> PGGen:
    """Give up a suspended :func:`stream_query` statement: Sync, and read to ReadyForQuery."""
    return results(proto, None, 1, request=m.SYNC)


def pipeline(
    proto: Protocol,
    batches: list[bytes],
    on_description: OnDescription | None,
    begin: bool | bytes | None = False,
) -> PGGen:
    """Send already-encoded extended-query messages followed by one Sync."""
    request = b"".join([_begin(begin), *batches, m.SYNC])
    return results(
        proto, on_description, 2 if begin else 1, bool(begin), on_description is None, None, request
    )


STREAM_HIGH_WATER = 1 << 16
"""Queued bytes up to which :func:`pipeline_stream` tops the output up.

Small, so that the server works on what was sent while the client encodes
the rest (a megabyte held a whole short executemany back until encoded)."""

# Makes the server fail the implicit transaction of a pipeline that can't be
# finished (an Execute of a portal that doesn't exist), so nothing of it commits.
_ABORT_PIPELINE = m.execute(b"pgwire: pipeline abandoned")


def pipeline_stream(
    proto: Protocol,
    first: bytes,
    more: Iterator[bytes],
    on_description: OnDescription | None,
    begin: bool | bytes | None = False,
) -> PGGen:
    """:func:`pipeline` of ``first`` and then ``more``, queued as the server takes them.

    The output is topped up to :data:`STREAM_HIGH_WATER` bytes whenever the
    answers read so far are used up, so only a bounded part of the request
    is ever held. An exception from ``more`` (a bad parameter found late)
    makes the server fail the pipeline's transaction before the final Sync,
    and is raised once the session is back in sync.
    """
    syncs = 2 if begin else 1
    failure: list[BaseException] = []

    def feed(failed: bool = False) -> None:
        if failed and more is not None:
            # The server skips everything up to the Sync now: send it at once.
            proto.send(m.SYNC)
            stop()
        while more is not None and len(proto.out) < STREAM_HIGH_WATER:
            try:
                chunk = next(more, None)
            except BaseException as exc:
                # Whatever happens, the server gets its Sync (a Ctrl-C included).
                proto.send(_ABORT_PIPELINE + m.SYNC)
                stop()
                if not isinstance(exc, Exception):
                    raise
                failure.append(exc)
                return
            if chunk is None:
                proto.send(m.SYNC)
                stop()
                return
            # Flush: the server holds its answers until Sync otherwise, and
            # the next chunk is queued only once answers come.
            proto.send(chunk + m.FLUSH)

    def stop() -> None:
        nonlocal more
        more = None  # type: ignore[assignment]

    proto.expect_ready(syncs)
    proto.send(_begin(begin) + first + m.FLUSH)
    feed()
    try:
        out = yield from results(
            proto,
            on_description,
            syncs,
            bool(begin),
            on_description is None,
            None,
            b"",
            feed=feed,
        )
    except DatabaseError:
        if failure:
            raise failure[0] from None
        raise
    if failure:
        raise failure[0]
    return out


def drain(proto: Protocol) -> PGGen:
    """Discard everything the server still owes, up to its last ReadyForQuery.

    Used after an operation was interrupted midway, to get back in sync.
    """
    while proto.pending_ready > 0:
        try:
            yield from results(proto, None, proto.pending_ready)
        except DatabaseError:
            pass


@_closes_on_violation
def wait_async_messages(proto: Protocol) -> PGGen:
    """Process messages arriving while idle; return once a notification has come."""
    buf = proto.buf
    got = False
    while True:
        mtype = buf.next_message()
        if mtype < 0:
            if got:
                return True
            yield
            continue
        if mtype == m.ERROR_RESPONSE:
            raise proto.server_error()
        if not proto.handle_async(mtype):
            raise proto.unexpected(mtype)
        if mtype == m.NOTIFICATION_RESPONSE:
            got = True


def terminate(proto: Protocol) -> None:
    """Queue a Terminate message."""
    if not proto.closed:
        proto.send(m.TERMINATE)


__all__ = [
    "IDLE",
    "INERROR",
    "NO_ROWS",
    "INTRANS",
    "Notify",
    "PGGen",
    "Protocol",
    "StartupOptions",
    "Result",
    "ask",
    "bound_query",
    "known_answer",
    "drain",
    "extended_query",
    "pipeline",
    "pipeline_stream",
    "results",
    "simple_query",
    "take_answer",
    "startup",
    "terminate",
    "wait_async_messages",
]
