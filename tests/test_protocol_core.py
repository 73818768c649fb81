"""Tests for pgwire.protocol.core: the session state and the operations, without a server.

Each test plays the server: it feeds hand-built backend messages into
``proto.buf``, resumes the operation's generator, and checks the bytes the
operation queued on ``proto.out`` and its outcome.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import struct
from collections.abc import Callable, Generator
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pgwire.errors import (
    DatabaseError,
    NotSupportedError,
    OperationalError,
    ProgrammingError,
)
from pgwire.protocol import core
from pgwire.protocol.buffer import ProtocolViolation
from pgwire.protocol.core import (
    IDLE,
    INERROR,
    INTRANS,
    Notify,
    Protocol,
    Result,
    drain,
    extended_query,
    pipeline,
    results,
    simple_query,
    startup,
    terminate,
    wait_async_messages,
)
from pgwire.protocol.messages import FieldDescription

# --- the server's messages ---------------------------------------------------------------


def msg(mtype: bytes, body: bytes = b"") -> bytes:
    return mtype + struct.pack("!i", len(body) + 4) + body


def auth(code: int, extra: bytes = b"") -> bytes:
    return msg(b"R", struct.pack("!i", code) + extra)


def param_status(name: str, value: str) -> bytes:
    return msg(b"S", name.encode() + b"\x00" + value.encode() + b"\x00")


def key_data(pid: int, key: bytes) -> bytes:
    return msg(b"K", struct.pack("!i", pid) + key)


def ready(status: bytes = b"I") -> bytes:
    return msg(b"Z", status)


def row_desc(*cols: tuple[str, int] | tuple[str, int, int]) -> bytes:
    body = struct.pack("!h", len(cols))
    for col in cols:
        name, oid = col[0], col[1]
        fmt = col[2] if len(col) == 3 else 0
        body += name.encode() + b"\x00" + struct.pack("!IhIhih", 0, 0, oid, -1, -1, fmt)
    return msg(b"T", body)


def data_row(*values: bytes | None) -> bytes:
    body = struct.pack("!h", len(values))
    for v in values:
        body += b"\xff\xff\xff\xff" if v is None else struct.pack("!i", len(v)) + v
    return msg(b"D", body)


def complete(tag: str) -> bytes:
    return msg(b"C", tag.encode() + b"\x00")


def error(code: str, message: str, severity: str = "ERROR") -> bytes:
    body = f"S{severity}\x00V{severity}\x00C{code}\x00M{message}\x00\x00".encode()
    return msg(b"E", body)


def notice(message: str) -> bytes:
    return msg(b"N", f"SNOTICE\x00VNOTICE\x00C00000\x00M{message}\x00\x00".encode())


def notification(pid: int, channel: str, payload: str) -> bytes:
    body = struct.pack("!i", pid) + channel.encode() + b"\x00" + payload.encode() + b"\x00"
    return msg(b"A", body)


def copy_response(mtype: bytes, ncols: int) -> bytes:
    return msg(mtype, b"\x00" + struct.pack("!h", ncols) + b"\x00\x00" * ncols)


EMPTY_QUERY = msg(b"I")
PARSE_COMPLETE = msg(b"1")
BIND_COMPLETE = msg(b"2")
NO_DATA = msg(b"n")
PORTAL_SUSPENDED = msg(b"s")
COPY_DONE = msg(b"c")

# The frontend messages, written out by hand.
SYNC = b"S\x00\x00\x00\x04"
QUERY_BEGIN = b"Q\x00\x00\x00\x0aBEGIN\x00"
QUERY_SELECT_1 = b"Q\x00\x00\x00\x0dSELECT 1\x00"


def frames(data: bytes) -> list[tuple[bytes, bytes]]:
    """Split frontend messages (type byte + length) into (type, body)."""
    out = []
    pos = 0
    while pos < len(data):
        (length,) = struct.unpack_from("!i", data, pos + 1)
        out.append((data[pos : pos + 1], data[pos + 5 : pos + 1 + length]))
        pos += 1 + length
    assert pos == len(data)
    return out


# --- running operations ------------------------------------------------------------------


def run(gen: Generator[None, None, Any], proto: Protocol, *chunks: bytes) -> Any:
    """Run ``gen``, feeding one chunk each time it asks for input; return its value."""
    pending = list(chunks)
    try:
        next(gen)
        while True:
            assert pending, "the operation wants more input than the server sent"
            proto.buf.feed(pending.pop(0))
            gen.send(None)
    except StopIteration as stop:
        assert not pending, "the operation finished before reading all the input"
        return stop.value


def feed(gen: Generator[None, None, Any], proto: Protocol, chunk: bytes) -> None:
    """Feed one chunk and resume ``gen``, which must still want more input after it."""
    proto.buf.feed(chunk)
    gen.send(None)


def text_rows(fields: list[FieldDescription]) -> tuple[list[Callable[[bytes], Any]], Any]:
    """on_description: every column decoded as UTF-8 text, rows as tuples."""
    return [bytes.decode] * len(fields), tuple


# --- startup -------------------------------------------------------------------------------

STARTUP_BOB = (
    b"\x00\x00\x00\x1e\x00\x03\x00\x00"
    b"user\x00bob\x00database\x00db\x00\x00"
)
PARAMS = {"user": "bob", "database": "db"}
SERVER_HELLO = (
    param_status("server_version", "16.2")
    + param_status("client_encoding", "UTF8")
    + param_status("TimeZone", "Europe/Paris")
    + key_data(4242, b"\x01\x02\x03\x04")
    + ready(b"I")
)


def test_startup_trust() -> None:
    proto = Protocol()
    seen: list[tuple[str, str]] = []
    proto.parameter_handler = lambda name, value: seen.append((name, value))
    gen = startup(proto, PARAMS, "bob", None)
    next(gen)
    assert bytes(proto.out) == STARTUP_BOB
    assert run_rest(gen, proto, auth(0) + SERVER_HELLO) is None
    assert bytes(proto.out) == STARTUP_BOB  # nothing more was sent
    assert proto.parameters == {
        "server_version": "16.2",
        "client_encoding": "UTF8",
        "TimeZone": "Europe/Paris",
    }
    assert seen == list(proto.parameters.items())
    assert proto.backend_pid == 4242
    assert proto.backend_key == b"\x01\x02\x03\x04"
    assert proto.transaction_status == IDLE
    assert not proto.closed
    assert len(proto.buf) == 0


def run_rest(gen: Generator[None, None, Any], proto: Protocol, *chunks: bytes) -> Any:
    """Like :func:`run` for a generator already started."""
    pending = list(chunks)
    try:
        while True:
            assert pending, "the operation wants more input than the server sent"
            proto.buf.feed(pending.pop(0))
            gen.send(None)
    except StopIteration as stop:
        assert not pending, "the operation finished before reading all the input"
        return stop.value


def test_startup_byte_by_byte() -> None:
    proto = Protocol()
    stream = auth(0) + SERVER_HELLO
    chunks = [stream[i : i + 1] for i in range(len(stream))]
    run(startup(proto, PARAMS, "bob", None), proto, *chunks)
    assert proto.backend_pid == 4242
    assert len(proto.parameters) == 3


def test_startup_cleartext_password() -> None:
    proto = Protocol()
    gen = startup(proto, PARAMS, "bob", "secret")
    next(gen)
    feed(gen, proto, auth(3))
    assert bytes(proto.out) == STARTUP_BOB + b"p\x00\x00\x00\x0bsecret\x00"
    run_rest(gen, proto, auth(0) + SERVER_HELLO)
    assert proto.transaction_status == IDLE


def test_startup_md5_password() -> None:
    proto = Protocol()
    salt = b"\x9a\x01\xff\x20"
    gen = startup(proto, PARAMS, "bob", "s3cret")
    next(gen)
    feed(gen, proto, auth(5, salt))
    inner = hashlib.md5(b"s3cretbob").hexdigest()
    answer = b"md5" + hashlib.md5(inner.encode() + salt).hexdigest().encode()
    assert bytes(proto.out) == STARTUP_BOB + b"p\x00\x00\x00\x28" + answer + b"\x00"
    run_rest(gen, proto, auth(0) + SERVER_HELLO)
    assert proto.backend_pid == 4242


class ScramServer:
    """The server's side of SCRAM-SHA-256, computed from its definition."""

    def __init__(self, password: str, salt: bytes = b"0123456789abcdef", iterations: int = 4096):
        self.salted = hashlib.pbkdf2_hmac("sha256", password.encode(), salt, iterations)
        self.salt = salt
        self.iterations = iterations

    def first(self, client_first: bytes) -> bytes:
        assert client_first.startswith(b"n,,")
        self.client_first_bare = client_first[3:]
        attrs = dict(part.split(b"=", 1) for part in self.client_first_bare.split(b","))
        self.nonce = attrs[b"r"] + b"+server/nonce"
        self.server_first = (
            b"r=" + self.nonce + b",s=" + base64.b64encode(self.salt)
            + b",i=" + str(self.iterations).encode()
        )
        return self.server_first

    def final(self, client_final: bytes) -> bytes | None:
        """server-final for a correct proof, None for a wrong one."""
        without_proof, _, proof = client_final.rpartition(b",p=")
        assert without_proof == b"c=biws,r=" + self.nonce
        auth_message = self.client_first_bare + b"," + self.server_first + b"," + without_proof
        client_key = hmac.new(self.salted, b"Client Key", "sha256").digest()
        stored_key = hashlib.sha256(client_key).digest()
        signature = hmac.new(stored_key, auth_message, "sha256").digest()
        got_key = bytes(a ^ b for a, b in zip(base64.b64decode(proof), signature, strict=True))
        if hashlib.sha256(got_key).digest() != stored_key:
            return None
        server_key = hmac.new(self.salted, b"Server Key", "sha256").digest()
        return b"v=" + base64.b64encode(hmac.new(server_key, auth_message, "sha256").digest())


def _sasl_initial(out: bytes) -> tuple[bytes, bytes]:
    """(mechanism, client-first-message) of a SASLInitialResponse."""
    ((mtype, body),) = frames(out)
    assert mtype == b"p"
    mechanism, _, rest = body.partition(b"\x00")
    (n,) = struct.unpack_from("!i", rest)
    assert len(rest) == 4 + n
    return mechanism, rest[4:]


def _scram_until_final(
    proto: Protocol, password: str, offered: bytes
) -> tuple[Any, ScramServer, bytes]:
    server = ScramServer(password)
    gen = startup(proto, PARAMS, "bob", "pencil")
    next(gen)
    proto.out.clear()
    feed(gen, proto, auth(10, offered))
    mechanism, client_first = _sasl_initial(bytes(proto.out))
    assert mechanism == b"SCRAM-SHA-256"
    proto.out.clear()
    feed(gen, proto, auth(11, server.first(client_first)))
    ((mtype, client_final),) = frames(bytes(proto.out))
    assert mtype == b"p"
    proto.out.clear()
    return gen, server, client_final


@pytest.mark.parametrize(
    "offered",
    [b"SCRAM-SHA-256\x00\x00", b"SCRAM-SHA-256-PLUS\x00SCRAM-SHA-256\x00\x00"],
)
def test_startup_scram(offered: bytes) -> None:
    proto = Protocol()
    gen, server, client_final = _scram_until_final(proto, "pencil", offered)
    server_final = server.final(client_final)
    assert server_final is not None, "the client's proof is wrong"
    run_rest(gen, proto, auth(12, server_final) + auth(0) + SERVER_HELLO)
    assert proto.out == b""
    assert proto.backend_pid == 4242
    assert proto.transaction_status == IDLE


def test_startup_scram_proof_depends_on_password() -> None:
    proto = Protocol()
    _, server, client_final = _scram_until_final(proto, "not pencil", b"SCRAM-SHA-256\x00\x00")
    assert server.final(client_final) is None


def test_startup_scram_wrong_server_signature() -> None:
    proto = Protocol()
    gen, _, _ = _scram_until_final(proto, "pencil", b"SCRAM-SHA-256\x00\x00")
    with pytest.raises(OperationalError):
        run_rest(gen, proto, auth(12, b"v=" + base64.b64encode(bytes(32))))


def test_startup_scram_only_plus_offered() -> None:
    proto = Protocol()
    with pytest.raises(NotSupportedError):
        run(startup(proto, PARAMS, "bob", "pw"), proto, auth(10, b"SCRAM-SHA-256-PLUS\x00\x00"))


@pytest.mark.parametrize("code", [11, 12])
def test_startup_sasl_continue_without_sasl(code: int) -> None:
    proto = Protocol()
    with pytest.raises(ProtocolViolation):
        run(startup(proto, PARAMS, "bob", "pw"), proto, auth(code, b"r=x"))
    assert proto.closed


@pytest.mark.parametrize("code", [3, 5, 10])
def test_startup_password_needed_but_none_given(code: int) -> None:
    extra = {3: b"", 5: b"salt", 10: b"SCRAM-SHA-256\x00\x00"}[code]
    proto = Protocol()
    gen = startup(proto, PARAMS, "bob", None)
    next(gen)
    with pytest.raises(OperationalError, match="password"):
        feed(gen, proto, auth(code, extra))
    assert bytes(proto.out) == STARTUP_BOB


def test_startup_wrong_password() -> None:
    proto = Protocol()
    failure = error("28P01", 'password authentication failed for user "bob"', "FATAL")
    with pytest.raises(OperationalError) as info:
        run(startup(proto, PARAMS, "bob", "x"), proto, auth(3), failure)
    assert info.value.sqlstate == "28P01"
    assert info.value.diag.message_primary == 'password authentication failed for user "bob"'
    assert proto.closed


def test_startup_unknown_database_is_operational_error() -> None:
    proto = Protocol()
    failure = error("3D000", 'database "nope" does not exist', "FATAL")
    with pytest.raises(OperationalError) as info:
        run(startup(proto, PARAMS, "bob", None), proto, auth(0) + failure)
    assert not isinstance(info.value, ProgrammingError)
    assert info.value.sqlstate == "3D000"
    assert info.value.diag.severity == "FATAL"
    assert 'database "nope" does not exist' in str(info.value)
    assert proto.closed


@pytest.mark.parametrize("code", [2, 6, 7, 8, 9, 42])
def test_startup_unsupported_auth(code: int) -> None:
    proto = Protocol()
    with pytest.raises(NotSupportedError):
        run(startup(proto, PARAMS, "bob", "pw"), proto, auth(code))


def test_startup_unknown_message_type() -> None:
    proto = Protocol()
    with pytest.raises(ProtocolViolation, match="unknown"):
        run(startup(proto, PARAMS, "bob", None), proto, auth(0) + msg(b"?", b"x"))
    assert proto.closed


def test_startup_unexpected_message() -> None:
    proto = Protocol()
    with pytest.raises(ProtocolViolation):
        run(startup(proto, PARAMS, "bob", None), proto, auth(0) + data_row(b"1"))
    assert proto.closed


def test_startup_notice_and_protocol_negotiation() -> None:
    proto = Protocol()
    notices: list[dict[str, str]] = []
    proto.notice_handler = notices.append
    negotiate = msg(b"v", struct.pack("!ii", 196608, 1) + b"_pq_.x\x00")
    run(
        startup(proto, PARAMS, "bob", None),
        proto,
        negotiate + auth(0) + notice("welcome") + SERVER_HELLO,
    )
    assert [n["M"] for n in notices] == ["welcome"]
    assert proto.backend_pid == 4242


def test_startup_bad_length_closes_the_session() -> None:
    proto = Protocol()
    with pytest.raises(ProtocolViolation):
        run(startup(proto, PARAMS, "bob", None), proto, auth(0) + b"S\x00\x00\x00\x02")
    assert proto.closed


# --- simple query ------------------------------------------------------------------------

SELECT_TWO_ROWS = (
    row_desc(("id", 23), ("name", 25))
    + data_row(b"1", b"one")
    + data_row(b"2", None)
    + complete("SELECT 2")
)


def test_simple_query_bytes_and_rows() -> None:
    proto = Protocol()
    described: list[list[FieldDescription]] = []

    def on_description(fields: list[FieldDescription]) -> Any:
        described.append(fields)
        return [int, bytes.decode], tuple

    gen = simple_query(proto, b"SELECT 1", on_description)
    next(gen)
    assert bytes(proto.out) == QUERY_SELECT_1
    (res,) = run_rest(gen, proto, SELECT_TWO_ROWS + ready(b"I"))
    assert isinstance(res, Result)
    assert res.rows == [(1, "one"), (2, None)]
    assert res.command_tag == "SELECT 2"
    assert res.rowcount == 2
    assert res.error is None
    assert res.fields is not None and [(f.name, f.type_oid) for f in res.fields] == [
        ("id", 23),
        ("name", 25),
    ]
    assert described == [res.fields]
    assert len(proto.buf) == 0
    assert bytes(proto.out) == QUERY_SELECT_1


def test_loaders_see_values_and_never_null() -> None:
    proto = Protocol()
    loaded: list[bytes] = []

    def load(b: bytes) -> bytes:
        loaded.append(b)
        return b[::-1]

    (res,) = run(
        simple_query(proto, b"q", lambda f: ([load, load, load], list)),
        proto,
        row_desc(("a", 25), ("b", 25), ("c", 25))
        + data_row(b"abc", None, b"")
        + data_row(None, None, None)
        + complete("SELECT 2")
        + ready(),
    )
    assert res.rows == [[b"cba", None, b""], [None, None, None]]
    assert loaded == [b"abc", b""]
    assert all(type(b) is bytes for b in loaded)


def test_multiple_result_sets() -> None:
    proto = Protocol()
    calls: list[list[str]] = []

    def on_description(fields: list[FieldDescription]) -> Any:
        calls.append([f.name for f in fields])
        return text_rows(fields)

    got = run(
        simple_query(proto, b"SELECT ...; SELECT ...; INSERT ...", on_description),
        proto,
        row_desc(("x", 25))
        + data_row(b"a")
        + complete("SELECT 1")
        + row_desc(("y", 25), ("z", 25))
        + data_row(b"b", b"c")
        + data_row(b"d", b"e")
        + complete("SELECT 2")
        + complete("INSERT 0 3")
        + ready(),
    )
    assert [r.rows for r in got] == [[("a",)], [("b", "c"), ("d", "e")], []]
    assert [r.command_tag for r in got] == ["SELECT 1", "SELECT 2", "INSERT 0 3"]
    assert [r.rowcount for r in got] == [1, 2, 3]
    assert got[2].fields is None
    assert calls == [["x"], ["y", "z"]]


def test_rowcount_from_rows_when_the_tag_has_none() -> None:
    proto = Protocol()
    (res,) = run(
        simple_query(proto, b"SHOW TimeZone", text_rows),
        proto,
        row_desc(("TimeZone", 25)) + data_row(b"UTC") + complete("SHOW") + ready(),
    )
    assert res.rows == [("UTC",)]
    assert res.rowcount == 1
    (res,) = run(simple_query(proto, b"SET x = 1", text_rows), proto, complete("SET") + ready())
    assert res.rowcount == -1
    assert res.fields is None


def test_empty_query() -> None:
    proto = Protocol()
    gen = simple_query(proto, b"", text_rows)
    next(gen)
    assert bytes(proto.out) == b"Q\x00\x00\x00\x05\x00"
    (res,) = run_rest(gen, proto, EMPTY_QUERY + ready())
    assert res.command_tag is None
    assert res.rows == [] and res.fields is None


def test_without_on_description_rows_are_skipped() -> None:
    proto = Protocol()
    (res,) = run(simple_query(proto, b"q", None), proto, SELECT_TWO_ROWS + ready())
    assert res.rows == []
    assert res.fields is not None and len(res.fields) == 2
    assert res.command_tag == "SELECT 2"
    assert len(proto.buf) == 0


@pytest.mark.parametrize(("status", "expected"), [(b"I", IDLE), (b"T", INTRANS), (b"E", INERROR)])
def test_transaction_status(status: bytes, expected: int) -> None:
    proto = Protocol()
    run(simple_query(proto, b"q", None), proto, complete("SELECT 0") + ready(status))
    assert proto.transaction_status == expected == status[0]


def test_server_error_raised_after_ready_for_query() -> None:
    proto = Protocol()
    gen = simple_query(proto, b"SELECT * FROM nope", text_rows)
    next(gen)
    # Everything up to the error: the operation keeps waiting for ReadyForQuery.
    feed(gen, proto, row_desc(("a", 25)) + data_row(b"x"))
    feed(gen, proto, error("42P01", 'relation "nope" does not exist'))
    assert len(proto.buf) == 0
    with pytest.raises(ProgrammingError) as info:
        run_rest(gen, proto, ready(b"E"))
    assert info.value.sqlstate == "42P01"
    assert info.value.diag.message_primary == 'relation "nope" does not exist'
    assert len(proto.buf) == 0
    assert proto.transaction_status == INERROR
    assert not proto.closed


def test_server_error_after_a_complete_result() -> None:
    proto = Protocol()
    with pytest.raises(DatabaseError) as info:
        run(
            simple_query(proto, b"SELECT 1; SELECT 1/0", text_rows),
            proto,
            row_desc(("a", 25)) + data_row(b"1") + complete("SELECT 1"),
            error("22012", "division by zero"),
            ready(),
        )
    assert info.value.sqlstate == "22012"
    assert len(proto.buf) == 0


def test_first_server_error_wins() -> None:
    proto = Protocol()
    with pytest.raises(DatabaseError) as info:
        run(
            simple_query(proto, b"q", None),
            proto,
            error("22012", "first") + error("42601", "second") + ready(),
        )
    assert info.value.sqlstate == "22012"


def test_loader_error_kept_on_its_result() -> None:
    proto = Protocol()

    def load(b: bytes) -> int:
        if b == b"bad":
            raise ValueError("cannot load")
        return int(b)

    gen = simple_query(proto, b"q", lambda f: ([load], tuple))
    next(gen)
    feed(gen, proto, row_desc(("a", 23)) + data_row(b"1") + data_row(b"bad"))
    feed(gen, proto, data_row(b"3") + data_row(b"bad") + complete("SELECT 4"))
    # The following statement's result is read too.
    feed(gen, proto, row_desc(("b", 23)) + data_row(b"5") + complete("SELECT 1"))
    first, second = run_rest(gen, proto, ready(b"T"))
    # The rows before the failure are kept with the error, for the fetch reaching it.
    assert first.rows == [(1,)]
    assert isinstance(first.error, ValueError) and "cannot load" in str(first.error)
    assert first.rowcount == 4
    assert second.rows == [(5,)] and second.error is None
    assert len(proto.buf) == 0
    assert proto.transaction_status == INTRANS
    assert not proto.closed


def test_loader_error_then_server_error_raises_the_servers() -> None:
    proto = Protocol()

    def load(b: bytes) -> Any:
        raise KeyError(b)

    # The server's error is raised; the loader's stays with its (unreturned) result.
    with pytest.raises(DatabaseError, match="later"):
        run(
            simple_query(proto, b"q", lambda f: ([load], tuple)),
            proto,
            row_desc(("a", 23)) + data_row(b"1") + error("22012", "later") + ready(),
        )
    assert len(proto.buf) == 0


def test_loader_error_in_one_chunk_then_more_rows() -> None:
    # The failing row is in the middle of a run of rows read in one pass.
    proto = Protocol()
    calls: list[bytes] = []

    def load(b: bytes) -> bytes:
        calls.append(b)
        if b == b"2":
            raise ValueError(b)
        return b

    (result,) = run(
        simple_query(proto, b"q", lambda f: ([load], tuple)),
        proto,
        row_desc(("a", 25))
        + b"".join(data_row(str(i).encode()) for i in range(5))
        + complete("SELECT 5")
        + ready(),
    )
    assert result.rows == [(b"0",), (b"1",)]
    assert isinstance(result.error, ValueError)
    # Loading stopped at the failure; the rest was skipped, not loaded.
    assert calls == [b"0", b"1", b"2"]
    assert len(proto.buf) == 0


def test_on_description_error_raised_after_ready_for_query() -> None:
    proto = Protocol()

    def on_description(fields: list[FieldDescription]) -> Any:
        raise LookupError("no loader")

    gen = simple_query(proto, b"q", on_description)
    next(gen)
    feed(gen, proto, SELECT_TWO_ROWS)
    with pytest.raises(LookupError):
        run_rest(gen, proto, ready())
    assert len(proto.buf) == 0


def test_row_maker_error_kept_on_its_result() -> None:
    proto = Protocol()

    def make_row(values: list[Any]) -> Any:
        raise TypeError("bad row")

    (result,) = run(
        simple_query(proto, b"q", lambda f: ([bytes.decode] * 2, make_row)),
        proto,
        SELECT_TWO_ROWS,
        ready(),
    )
    assert result.rows == []
    assert isinstance(result.error, TypeError) and str(result.error) == "bad row"
    assert len(proto.buf) == 0
    assert not proto.closed


def test_fatal_error_is_raised_at_once() -> None:
    proto = Protocol()
    gen = simple_query(proto, b"q", text_rows)
    next(gen)
    feed(gen, proto, row_desc(("a", 25)) + data_row(b"x"))
    with pytest.raises(OperationalError) as info:
        feed(gen, proto, error("57P01", "terminating connection", "FATAL"))
    assert info.value.sqlstate == "57P01"
    assert proto.closed


def test_async_messages_among_rows_reach_handlers_in_order() -> None:
    proto = Protocol()
    events: list[Any] = []
    proto.notice_handler = lambda fields: events.append(("notice", fields["M"]))
    proto.notify_handler = lambda n: events.append(("notify", n))
    proto.parameter_handler = lambda name, value: events.append(("param", name, value))

    def make_row(values: list[Any]) -> Any:
        events.append(("row", values[0]))
        return values[0]

    (res,) = run(
        simple_query(proto, b"q", lambda f: ([bytes.decode], make_row)),
        proto,
        row_desc(("a", 25))
        + data_row(b"1")
        + notice("n1")
        + data_row(b"2")
        + data_row(b"3")
        + notification(77, "chan", "hello")
        + param_status("TimeZone", "UTC")
        + data_row(b"4")
        + notice("n2")
        + complete("SELECT 4")
        + param_status("is_superuser", "off")
        + ready(),
    )
    assert res.rows == ["1", "2", "3", "4"]
    assert events == [
        ("row", "1"),
        ("notice", "n1"),
        ("row", "2"),
        ("row", "3"),
        ("notify", Notify("chan", "hello", 77)),
        ("param", "TimeZone", "UTC"),
        ("row", "4"),
        ("notice", "n2"),
        ("param", "is_superuser", "off"),
    ]
    assert proto.parameters == {"TimeZone": "UTC", "is_superuser": "off"}


def test_async_messages_without_handlers() -> None:
    proto = Protocol()
    (res,) = run(
        simple_query(proto, b"q", text_rows),
        proto,
        notice("hi")
        + notification(1, "c", "p")
        + param_status("a", "b")
        + SELECT_TWO_ROWS
        + ready(),
    )
    assert res.rowcount == 2
    assert proto.parameters == {"a": "b"}


def test_implicit_begin_simple_query() -> None:
    proto = Protocol()
    gen = simple_query(proto, b"SELECT 1", text_rows, begin=True)
    next(gen)
    assert bytes(proto.out) == QUERY_BEGIN + QUERY_SELECT_1
    got = run_rest(
        gen,
        proto,
        complete("BEGIN") + ready(b"T"),
        row_desc(("?column?", 23)) + data_row(b"1") + complete("SELECT 1") + ready(b"T"),
    )
    assert len(got) == 1
    assert got[0].rows == [("1",)]
    assert got[0].command_tag == "SELECT 1"
    assert proto.transaction_status == INTRANS
    assert len(proto.buf) == 0


def test_implicit_begin_waits_for_both_ready_for_query() -> None:
    proto = Protocol()
    gen = simple_query(proto, b"SELECT 1", text_rows, begin=True)
    next(gen)
    # The first ReadyForQuery (BEGIN's) does not end the operation.
    feed(gen, proto, complete("BEGIN") + ready(b"T"))
    with pytest.raises(DatabaseError):
        run_rest(gen, proto, error("42601", "syntax error") + ready(b"E"))
    assert proto.transaction_status == INERROR


# --- malformed rows and messages ---------------------------------------------------------


def test_data_row_wrong_column_count() -> None:
    proto = Protocol()
    with pytest.raises(ProtocolViolation):
        run(
            simple_query(proto, b"q", text_rows),
            proto,
            row_desc(("a", 25), ("b", 25)) + data_row(b"1", b"2") + data_row(b"1"),
        )
    assert proto.closed


def test_data_row_wrong_column_count_first_row() -> None:
    proto = Protocol()
    with pytest.raises(ProtocolViolation):
        run(
            simple_query(proto, b"q", text_rows),
            proto,
            row_desc(("a", 25)) + data_row(b"1", b"2") + complete("SELECT 1") + ready(),
        )
    assert proto.closed


def test_data_row_values_shorter_than_the_message() -> None:
    proto = Protocol()
    bad = msg(b"D", b"\x00\x01\x00\x00\x00\x01x" + b"extra")
    with pytest.raises(ProtocolViolation):
        run(
            simple_query(proto, b"q", text_rows),
            proto,
            row_desc(("a", 25)) + bad + complete("SELECT 1") + ready(),
        )
    assert proto.closed


def test_data_row_value_running_into_the_next_message() -> None:
    proto = Protocol()
    bad = msg(b"D", b"\x00\x01\x00\x00\x00\x09x")  # claims 9 bytes, carries 1
    with pytest.raises(ProtocolViolation):
        run(
            simple_query(proto, b"q", lambda f: ([bytes], tuple)),
            proto,
            row_desc(("a", 25)) + bad + complete("SELECT 1") + ready(),
        )
    assert proto.closed


def test_data_row_value_running_past_the_received_data() -> None:
    proto = Protocol()
    # Two columns; the first claims 100 bytes, so the second's length is read past the end.
    bad = msg(b"D", b"\x00\x02\x00\x00\x00\x64x")
    gen = simple_query(proto, b"q", text_rows)
    next(gen)
    feed(gen, proto, row_desc(("a", 25), ("b", 25)))
    try:
        feed(gen, proto, bad)
        raised: BaseException | None = None
    except BaseException as exc:  # noqa: BLE001 - the check is on what came out
        raised = exc
    assert isinstance(raised, ProtocolViolation), f"got {raised!r}"
    assert proto.closed


def test_unknown_message_in_results() -> None:
    proto = Protocol()
    with pytest.raises(ProtocolViolation, match="unknown"):
        run(simple_query(proto, b"q", None), proto, msg(b"!", b"") + ready())
    assert proto.closed


def test_unexpected_message_in_results() -> None:
    proto = Protocol()
    with pytest.raises(ProtocolViolation):
        run(simple_query(proto, b"q", None), proto, auth(0) + ready())
    assert proto.closed


def test_bad_length_in_results_closes_the_session() -> None:
    proto = Protocol()
    with pytest.raises(ProtocolViolation):
        run(simple_query(proto, b"q", None), proto, b"D\xff\xff\xff\xff")
    assert proto.closed


def test_malformed_row_description_closes_the_session() -> None:
    proto = Protocol()
    with pytest.raises(ProtocolViolation):
        run(simple_query(proto, b"q", text_rows), proto, msg(b"T", b"\x00\x01abc"))
    assert proto.closed


def test_malformed_error_response_closes_the_session() -> None:
    proto = Protocol()
    with pytest.raises(ProtocolViolation):
        run(simple_query(proto, b"q", None), proto, msg(b"E", b"SERROR"))
    assert proto.closed


# --- COPY in a plain query ----------------------------------------------------------------


def test_copy_in_response_in_plain_query() -> None:
    proto = Protocol()
    gen = simple_query(proto, b"COPY t FROM STDIN", None)
    next(gen)
    proto.out.clear()
    feed(gen, proto, copy_response(b"G", 2))
    ((mtype, body),) = frames(bytes(proto.out))
    assert mtype == b"f"
    assert body.endswith(b"\x00") and b"\x00" not in body[:-1]
    with pytest.raises(ProgrammingError):
        run_rest(
            gen,
            proto,
            error("57014", "COPY from stdin failed: " + body[:-1].decode()) + ready(),
        )
    assert len(proto.buf) == 0
    assert not proto.closed


def test_copy_out_response_in_plain_query() -> None:
    proto = Protocol()
    gen = simple_query(proto, b"COPY t TO STDOUT", None)
    next(gen)
    feed(
        gen,
        proto,
        copy_response(b"H", 1)
        + msg(b"d", b"1\n")
        + msg(b"d", b"2\n")
        + COPY_DONE
        + complete("COPY 2"),
    )
    with pytest.raises(ProgrammingError):
        run_rest(gen, proto, ready())
    assert len(proto.buf) == 0
    assert bytes(proto.out) == b"Q\x00\x00\x00\x15COPY t TO STDOUT\x00"
    assert not proto.closed


# --- extended query and pipeline ---------------------------------------------------------

EXT_SQL = b"SELECT $1::int"
EXT_BYTES = (
    b"P\x00\x00\x00\x1a\x00SELECT $1::int\x00\x00\x01\x00\x00\x00\x17"
    b"B\x00\x00\x00\x14\x00\x00\x00\x00\x00\x01\x00\x00\x00\x0242\x00\x01\x00\x01"
    b"D\x00\x00\x00\x06P\x00"
    b"E\x00\x00\x00\x09\x00\x00\x00\x00\x00"
    b"S\x00\x00\x00\x04"
)


def _int4(fields: list[FieldDescription]) -> Any:
    assert [f.format for f in fields] == [1]
    return [lambda b: int.from_bytes(b, "big", signed=True)], tuple


def test_extended_query_bytes_and_binary_rows() -> None:
    proto = Protocol()
    gen = extended_query(proto, EXT_SQL, [23], [0], [b"42"], [1], _int4)
    next(gen)
    assert bytes(proto.out) == EXT_BYTES
    (res,) = run_rest(
        gen,
        proto,
        PARSE_COMPLETE
        + BIND_COMPLETE
        + row_desc(("int4", 23, 1))
        + data_row(b"\x00\x00\x00\x2a")
        + complete("SELECT 1")
        + ready(),
    )
    assert res.rows == [(42,)]
    assert res.rowcount == 1
    assert len(proto.buf) == 0


def test_extended_query_null_and_binary_parameters() -> None:
    proto = Protocol()
    gen = extended_query(
        proto, b"INSERT INTO t VALUES ($1, $2)", [0, 17], [0, 1], [None, b"\x00\x01"], [], None
    )
    next(gen)
    sent = frames(bytes(proto.out))
    assert [t for t, _ in sent] == [b"P", b"B", b"D", b"E", b"S"]
    assert sent[1][1] == (
        b"\x00\x00"
        b"\x00\x02\x00\x00\x00\x01"
        b"\x00\x02\xff\xff\xff\xff\x00\x00\x00\x02\x00\x01"
        b"\x00\x00"
    )
    (res,) = run_rest(
        gen, proto, PARSE_COMPLETE + BIND_COMPLETE + NO_DATA + complete("INSERT 0 1") + ready()
    )
    assert res.rowcount == 1
    assert res.fields is None and res.rows == []


def test_extended_query_parse_error() -> None:
    proto = Protocol()
    gen = extended_query(proto, b"SELEC 1", [], [], [], [], text_rows)
    next(gen)
    feed(gen, proto, error("42601", 'syntax error at or near "SELEC"'))
    with pytest.raises(ProgrammingError) as info:
        run_rest(gen, proto, ready())
    assert info.value.sqlstate == "42601"
    assert len(proto.buf) == 0


def test_extended_query_implicit_begin() -> None:
    proto = Protocol()
    gen = extended_query(proto, EXT_SQL, [23], [0], [b"42"], [1], _int4, begin=True)
    next(gen)
    assert bytes(proto.out) == QUERY_BEGIN + EXT_BYTES
    got = run_rest(
        gen,
        proto,
        complete("BEGIN") + ready(b"T"),
        PARSE_COMPLETE
        + BIND_COMPLETE
        + row_desc(("int4", 23, 1))
        + data_row(b"\x00\x00\x00\x07")
        + complete("SELECT 1")
        + ready(b"T"),
    )
    assert [r.rows for r in got] == [[(7,)]]
    assert proto.transaction_status == INTRANS


def test_pipeline() -> None:
    proto = Protocol()
    batch1 = b"P\x00\x00\x00\x10\x00SELECT 1\x00\x00\x00" + b"B\x00\x00\x00\x0c" + bytes(8)
    batch2 = b"E\x00\x00\x00\x09\x00\x00\x00\x00\x00"
    gen = pipeline(proto, [batch1, batch2], text_rows)
    next(gen)
    assert bytes(proto.out) == batch1 + batch2 + SYNC
    got = run_rest(
        gen,
        proto,
        PARSE_COMPLETE
        + BIND_COMPLETE
        + row_desc(("a", 25))
        + data_row(b"x")
        + complete("SELECT 1")
        + PARSE_COMPLETE
        + BIND_COMPLETE
        + NO_DATA
        + complete("UPDATE 3")
        + msg(b"t", b"\x00\x01\x00\x00\x00\x17")
        + msg(b"3")
        + ready(),
    )
    assert [(r.rows, r.command_tag, r.rowcount) for r in got] == [
        ([("x",)], "SELECT 1", 1),
        ([], "UPDATE 3", 3),
    ]


def test_pipeline_error_in_second_statement() -> None:
    proto = Protocol()
    gen = pipeline(proto, [b"", b""], text_rows, begin=True)
    next(gen)
    assert bytes(proto.out) == QUERY_BEGIN + SYNC
    feed(gen, proto, complete("BEGIN") + ready(b"T"))
    feed(gen, proto, complete("INSERT 0 1") + error("23505", "duplicate key"))
    with pytest.raises(DatabaseError) as info:
        run_rest(gen, proto, ready(b"E"))
    assert info.value.sqlstate == "23505"
    assert proto.transaction_status == INERROR
    assert len(proto.buf) == 0


def test_portal_suspended() -> None:
    proto = Protocol()
    (res,) = run(
        results(proto, text_rows),
        proto,
        row_desc(("a", 25)) + data_row(b"1") + data_row(b"2") + PORTAL_SUSPENDED + ready(b"T"),
    )
    assert res.rows == [("1",), ("2",)]
    assert res.rowcount == 2
    assert res.command_tag is None


def test_results_several_syncs() -> None:
    proto = Protocol()
    got = run(
        results(proto, text_rows, syncs=2),
        proto,
        complete("SET") + ready(),
        row_desc(("a", 25)) + data_row(b"1") + complete("SELECT 1") + ready(),
    )
    assert [r.command_tag for r in got] == ["SET", "SELECT 1"]


# --- drain, wait_async_messages, terminate ---------------------------------------------------


def test_drain_discards_up_to_ready_for_query() -> None:
    proto = Protocol()
    proto.pending_ready = 1  # one query was sent and its answer is owed
    after = notification(1, "c", "later")
    run(
        drain(proto),
        proto,
        data_row(b"1") + data_row(b"2"),
        error("57014", "canceling statement due to user request") + ready(b"I") + after,
    )
    assert proto.out == b""
    assert proto.transaction_status == IDLE
    # What follows ReadyForQuery is left for the next operation.
    assert len(proto.buf) == len(after)


def test_drain_propagates_protocol_violation() -> None:
    proto = Protocol()
    proto.pending_ready = 1
    with pytest.raises(ProtocolViolation):
        run(drain(proto), proto, msg(b"?") + ready())


def test_drain_reads_every_owed_ready_for_query() -> None:
    proto = Protocol()
    proto.pending_ready = 2  # e.g. an implicit BEGIN and the query itself
    after = notification(1, "c", "later")
    run(drain(proto), proto, ready(b"T") + data_row(b"1"), ready(b"T") + after)
    assert proto.pending_ready == 0
    assert proto.transaction_status == INTRANS
    assert len(proto.buf) == len(after)


def test_drain_with_nothing_owed_reads_nothing() -> None:
    proto = Protocol()
    gen = drain(proto)
    with pytest.raises(StopIteration):
        next(gen)


def test_pending_ready_counts_queries() -> None:
    proto = Protocol()
    gen = simple_query(proto, b"SELECT 1", None, begin=True)
    next(gen)
    assert proto.pending_ready == 2
    run_rest(gen, proto, ready(b"T") + complete("SELECT 0") + ready(b"T"))
    assert proto.pending_ready == 0


def test_wait_async_messages() -> None:
    proto = Protocol()
    events: list[Any] = []
    proto.notify_handler = events.append
    proto.notice_handler = lambda f: events.append(f["M"])
    gen = wait_async_messages(proto)
    next(gen)
    # Notices alone do not end the wait.
    feed(gen, proto, notice("hello"))
    feed(gen, proto, notification(9, "ch", "p1")[:7])
    got = run_rest(gen, proto, notification(9, "ch", "p1")[7:] + notification(9, "ch", "p2"))
    assert got is True
    assert events == ["hello", Notify("ch", "p1", 9), Notify("ch", "p2", 9)]
    assert len(proto.buf) == 0


def test_wait_async_messages_fatal_error() -> None:
    proto = Protocol()
    with pytest.raises(OperationalError):
        run(wait_async_messages(proto), proto, error("57P01", "terminating", "FATAL"))
    assert proto.closed


def test_wait_async_messages_unexpected_message() -> None:
    proto = Protocol()
    with pytest.raises(ProtocolViolation):
        run(wait_async_messages(proto), proto, data_row(b"1"))
    assert proto.closed


def test_terminate() -> None:
    proto = Protocol()
    terminate(proto)
    assert bytes(proto.out) == b"X\x00\x00\x00\x04"
    proto = Protocol()
    proto.closed = True
    terminate(proto)
    assert proto.out == b""


def test_exports() -> None:
    for name in core.__all__:
        assert hasattr(core, name)


# --- random chunkings of a valid response --------------------------------------------------


@settings(max_examples=100, deadline=None)
@given(
    ncols=st.integers(1, 4),
    rows=st.lists(st.lists(st.none() | st.text(max_size=12), min_size=4, max_size=4), max_size=30),
    with_notices=st.lists(st.integers(0, 30), max_size=3),
    data=st.data(),
)
def test_random_chunking_yields_the_same_rows(
    ncols: int,
    rows: list[list[str | None]],
    with_notices: list[int],
    data: st.DataObject,
) -> None:
    rows = [r[:ncols] for r in rows]
    parts = [row_desc(*[(f"c{i}", 25) for i in range(ncols)])]
    for i, row in enumerate(rows):
        parts += [notice(f"n{i}")] * with_notices.count(i)
        parts.append(data_row(*[None if v is None else v.encode() for v in row]))
    parts += [complete(f"SELECT {len(rows)}"), ready(b"T")]
    stream = b"".join(parts)
    cuts = sorted(
        data.draw(st.lists(st.integers(1, len(stream) - 1), max_size=20, unique=True), label="cuts")
    )
    chunks = [stream[a:b] for a, b in zip([0, *cuts], [*cuts, len(stream)], strict=True)]
    proto = Protocol()
    notices: list[str] = []
    proto.notice_handler = lambda f: notices.append(f["M"])
    (res,) = run(simple_query(proto, b"q", text_rows), proto, *chunks)
    assert res.rows == [tuple(r) for r in rows]
    assert res.rowcount == len(rows)
    assert notices == [f"n{i}" for i in range(len(rows)) for _ in range(with_notices.count(i))]
    assert proto.transaction_status == INTRANS
    assert len(proto.buf) == 0
