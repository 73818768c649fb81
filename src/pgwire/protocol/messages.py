"""Encoding of frontend messages and decoding of backend message payloads.

Pure functions over bytes: no state, no I/O.  Payload decoders take the
buffer's ``data`` and the payload's ``start``/``end`` offsets.
"""

from __future__ import annotations

from collections.abc import Sequence
from struct import Struct
from typing import NamedTuple

from ..accel.selection import speedups
from ..errors import ProgrammingError
from .buffer import ProtocolViolation

PROTOCOL_VERSION = 196608  # 3.0
LATEST_PROTOCOL_MINOR = 2
"""The newest protocol version pgwire speaks: 3.2 (PostgreSQL 18's)."""
MAX_CANCEL_KEY = 256
"""Longest cancel key the protocol allows (3.2; 3.0 keys are 4 bytes)."""
CANCEL_REQUEST_CODE = 80877102
SSL_REQUEST_CODE = 80877103
GSSENC_REQUEST_CODE = 80877104

# Backend message types (as ints, as framed by ReadBuffer).
AUTHENTICATION = ord("R")
BACKEND_KEY_DATA = ord("K")
BIND_COMPLETE = ord("2")
CLOSE_COMPLETE = ord("3")
COMMAND_COMPLETE = ord("C")
COPY_BOTH_RESPONSE = ord("W")
COPY_DATA = ord("d")
COPY_DONE = ord("c")
COPY_IN_RESPONSE = ord("G")
COPY_OUT_RESPONSE = ord("H")
DATA_ROW = ord("D")
EMPTY_QUERY_RESPONSE = ord("I")
ERROR_RESPONSE = ord("E")
FUNCTION_CALL_RESPONSE = ord("V")
NEGOTIATE_PROTOCOL_VERSION = ord("v")
NO_DATA = ord("n")
NOTICE_RESPONSE = ord("N")
NOTIFICATION_RESPONSE = ord("A")
PARAMETER_DESCRIPTION = ord("t")
PARAMETER_STATUS = ord("S")
PARSE_COMPLETE = ord("1")
PORTAL_SUSPENDED = ord("s")
READY_FOR_QUERY = ord("Z")
ROW_DESCRIPTION = ord("T")

BACKEND_TYPES = frozenset(ord(c) for c in "RK23CWdcGHDIEVvnNAtS1sZT")

_i16 = Struct("!h")
_u16 = Struct("!H")
_i32 = Struct("!i")
_u32 = Struct("!I")
_ii = Struct("!ii")
_header = Struct("!ci")
_unpack_i16 = _i16.unpack_from
_unpack_i32 = _i32.unpack_from
_field = Struct("!IhIhih")
_unpack_field = _field.unpack_from


# --- frontend messages -----------------------------------------------------


def _msg(mtype: bytes, body: bytes) -> bytes:
    return _header.pack(mtype, len(body) + 4) + body


MAX_PARAMETERS = 65535
"""Most parameters a statement may have: the protocol counts them in 16 bits."""


def _count16(n: int, what: str) -> bytes:
    """An unsigned 16-bit count of parameters (or of their formats)."""
    if n > MAX_PARAMETERS:
        raise ProgrammingError(f"too many {what}: {n} (a statement takes at most {MAX_PARAMETERS})")
    return _u16.pack(n)


def _cstr(s: bytes) -> bytes:
    if b"\x00" in s:
        raise ValueError("a protocol string cannot contain NUL bytes")
    return s + b"\x00"


def startup_message(params: dict[str, str], minor: int = 0) -> bytes:
    """StartupMessage for protocol 3.``minor`` with the given parameters (user, database...)."""
    body = bytearray(_i32.pack(PROTOCOL_VERSION + minor))
    for key, value in params.items():
        body += _cstr(key.encode()) + _cstr(value.encode())
    body += b"\x00"
    return _i32.pack(len(body) + 4) + bytes(body)


def ssl_request() -> bytes:
    """SSLRequest: asks the server whether it will speak TLS."""
    return _ii.pack(8, SSL_REQUEST_CODE)


def cancel_request(pid: int, key: bytes) -> bytes:
    """CancelRequest for the backend with this pid and secret key."""
    return _ii.pack(12 + len(key), CANCEL_REQUEST_CODE) + _i32.pack(pid) + key


def password_message(password: bytes) -> bytes:
    """PasswordMessage carrying a cleartext or md5 password."""
    return _msg(b"p", _cstr(password))


def sasl_initial_response(mechanism: str, data: bytes) -> bytes:
    """SASLInitialResponse choosing a mechanism."""
    return _msg(b"p", _cstr(mechanism.encode()) + _i32.pack(len(data)) + data)


def sasl_response(data: bytes) -> bytes:
    """SASLResponse carrying the next client message."""
    return _msg(b"p", data)


def query(sql: bytes) -> bytes:
    """Query (simple-query protocol)."""
    return _msg(b"Q", _cstr(sql))


def parse(name: bytes, sql: bytes, param_oids: Sequence[int]) -> bytes:
    """Parse: prepare ``sql`` as statement ``name`` (b"" = unnamed)."""
    n = len(param_oids)
    body = _cstr(name) + _cstr(sql) + _count16(n, "parameters")
    if n:
        body += Struct(f"!{n}I").pack(*param_oids)
    return _msg(b"P", body)


def bind_head(portal: bytes, statement: bytes, param_formats: Sequence[int], nparams: int) -> bytes:
    """The start of a Bind body: names, parameter formats and the parameter count."""
    nf = len(param_formats)
    if nf and any(param_formats):
        formats = _count16(nf, "parameter formats") + Struct(f"!{nf}h").pack(*param_formats)
    else:
        formats = b"\x00\x00"
    return _cstr(portal) + _cstr(statement) + formats + _count16(nparams, "parameters")


def bind_tail(result_formats: Sequence[int]) -> bytes:
    """The end of a Bind body, after the values: the result formats."""
    nr = len(result_formats)
    if nr == 1:
        return b"\x00\x01" + _i16.pack(result_formats[0])
    if nr and any(result_formats):
        return Struct(f"!h{nr}h").pack(nr, *result_formats)
    return b"\x00\x00"


def bind_py(
    portal: bytes,
    statement: bytes,
    param_formats: Sequence[int],
    values: Sequence[bytes | None],
    result_formats: Sequence[int],
) -> bytes:
    """Bind parameter values to a statement, creating a portal."""
    parts = [bind_head(portal, statement, param_formats, len(values))]
    pack_i32 = _i32.pack
    for value in values:
        if value is None:
            parts.append(b"\xff\xff\xff\xff")
        else:
            parts.append(pack_i32(len(value)))
            parts.append(value)
    parts.append(bind_tail(result_formats))
    body = b"".join(parts)
    return _header.pack(b"B", len(body) + 4) + body


# The compiled builder makes the same bytes (and hands unusual input to bind_py).
bind = bind_py
if speedups is not None:
    speedups.setup_bind(bind_py)
    bind = speedups.bind


def describe_portal(name: bytes = b"") -> bytes:
    """Describe a portal (its row description)."""
    return _msg(b"D", b"P" + _cstr(name))


def describe_statement(name: bytes = b"") -> bytes:
    """Describe a prepared statement (its parameter and row descriptions)."""
    return _msg(b"D", b"S" + _cstr(name))


def execute(portal: bytes = b"", max_rows: int = 0) -> bytes:
    """Execute a portal, returning at most ``max_rows`` rows (0 = all)."""
    return _msg(b"E", _cstr(portal) + _i32.pack(max_rows))


def close_statement(name: bytes) -> bytes:
    """Close a prepared statement."""
    return _msg(b"C", b"S" + _cstr(name))


def close_portal(name: bytes) -> bytes:
    """Close a portal."""
    return _msg(b"C", b"P" + _cstr(name))


SYNC = b"S\x00\x00\x00\x04"
EXECUTE_UNNAMED = b"E\x00\x00\x00\x09\x00\x00\x00\x00\x00"
"""Execute of the unnamed portal, all rows: the same bytes every time."""
DESCRIBE_UNNAMED_PORTAL = b"D\x00\x00\x00\x06P\x00"
"""Describe of the unnamed portal."""
FLUSH = b"H\x00\x00\x00\x04"
TERMINATE = b"X\x00\x00\x00\x04"
COPY_DONE_MSG = b"c\x00\x00\x00\x04"


def copy_data(data: bytes | bytearray) -> bytes:
    """CopyData carrying a chunk of COPY FROM STDIN data."""
    return copy_data_header(len(data)) + data


def copy_data_header(size: int) -> bytes:
    """The header of a CopyData message carrying ``size`` bytes."""
    return _header.pack(b"d", size + 4)


def copy_fail(message: str) -> bytes:
    """CopyFail: abort a COPY FROM STDIN with this message."""
    return _msg(b"f", _cstr(message.encode()))


# --- backend payloads ------------------------------------------------------


class FieldDescription(NamedTuple):
    """One column of a RowDescription."""

    name: str
    table_oid: int
    column_number: int
    type_oid: int
    type_size: int
    type_modifier: int
    format: int


def _read_cstr(data: bytes, pos: int, end: int) -> tuple[bytes, int]:
    nul = data.find(b"\x00", pos, end)
    if nul < 0:
        raise ProtocolViolation("unterminated string in a message from the server")
    return data[pos:nul], nul + 1


def parse_row_description(
    data: bytes, start: int, end: int, encoding: str = "utf-8"
) -> list[FieldDescription]:
    """Decode a RowDescription payload."""
    try:
        if end - start < 2:
            raise ProtocolViolation("truncated RowDescription")
        (count,) = _unpack_i16(data, start)
        pos = start + 2
        fields = []
        for _ in range(count):
            raw, pos = _read_cstr(data, pos, end)
            if pos + 18 > end:
                raise ProtocolViolation("truncated RowDescription")
            toid, col, typ, size, mod, fmt = _unpack_field(data, pos)
            if fmt != 0 and fmt != 1:
                raise ProtocolViolation(f"RowDescription with format code {fmt}")
            pos += 18
            fields.append(
                FieldDescription(raw.decode(encoding, "replace"), toid, col, typ, size, mod, fmt)
            )
    except ProtocolViolation:
        raise
    except Exception as exc:
        raise ProtocolViolation(f"malformed RowDescription: {exc}") from None
    return fields


def parse_parameter_description(data: bytes, start: int, end: int) -> list[int]:
    """Decode a ParameterDescription payload into parameter type OIDs."""
    if end - start < 2:
        raise ProtocolViolation("truncated ParameterDescription")
    (count,) = _unpack_i16(data, start)
    if start + 2 + 4 * count > end or count < 0:
        raise ProtocolViolation("truncated ParameterDescription")
    return list(Struct(f"!{count}I").unpack_from(data, start + 2))


def parse_error_fields(
    data: bytes, start: int, end: int, encoding: str = "utf-8"
) -> dict[str, str]:
    """Decode an ErrorResponse/NoticeResponse payload into {field code: value}."""
    fields: dict[str, str] = {}
    pos = start
    while pos < end:
        code = data[pos]
        if code == 0:
            break
        value, pos = _read_cstr(data, pos + 1, end)
        fields[chr(code)] = value.decode(encoding, "replace")
    return fields


def parse_parameter_status(data: bytes, start: int, end: int) -> tuple[str, str]:
    """Decode a ParameterStatus payload into (name, value)."""
    name, pos = _read_cstr(data, start, end)
    value, _ = _read_cstr(data, pos, end)
    return name.decode("utf-8", "replace"), value.decode("utf-8", "replace")


def parse_notification(
    data: bytes, start: int, end: int, encoding: str = "utf-8"
) -> tuple[int, str, str]:
    """Decode a NotificationResponse payload into (pid, channel, payload)."""
    if end - start < 4:
        raise ProtocolViolation("truncated NotificationResponse")
    (pid,) = _unpack_i32(data, start)
    channel, pos = _read_cstr(data, start + 4, end)
    payload, _ = _read_cstr(data, pos, end)
    return pid, channel.decode(encoding, "replace"), payload.decode(encoding, "replace")


def parse_command_complete(data: bytes, start: int, end: int) -> str:
    """Decode a CommandComplete payload into its tag (e.g. ``"INSERT 0 1"``)."""
    tag, _ = _read_cstr(data, start, end)
    return tag.decode("ascii", "replace")


def parse_backend_key_data(data: bytes, start: int, end: int) -> tuple[int, bytes]:
    """Decode BackendKeyData into (pid, secret key bytes)."""
    if end - start < 8:
        raise ProtocolViolation("truncated BackendKeyData")
    if end - start - 4 > MAX_CANCEL_KEY:
        raise ProtocolViolation("BackendKeyData with a key longer than the protocol allows")
    (pid,) = _unpack_i32(data, start)
    return pid, data[start + 4 : end]


def parse_negotiate_protocol_version(data: bytes, start: int, end: int) -> tuple[int, list[str]]:
    """Decode NegotiateProtocolVersion into (newest minor version, options not recognized)."""
    if end - start < 8:
        raise ProtocolViolation("truncated NegotiateProtocolVersion")
    version, count = _ii.unpack_from(data, start)
    if version >> 16 != 3 or count < 0 or count > end - start:
        raise ProtocolViolation("malformed NegotiateProtocolVersion")
    options = []
    pos = start + 8
    for _ in range(count):
        name, pos = _read_cstr(data, pos, end)
        options.append(name.decode("utf-8", "replace"))
    return version & 0xFFFF, options


def parse_copy_response(data: bytes, start: int, end: int) -> tuple[int, list[int]]:
    """Decode Copy{In,Out,Both}Response into (overall format, column formats)."""
    if end - start < 3:
        raise ProtocolViolation("truncated Copy response")
    fmt = data[start]
    (n,) = _unpack_i16(data, start + 1)
    if n < 0 or start + 3 + 2 * n > end:
        raise ProtocolViolation("malformed Copy response")
    return fmt, list(Struct(f"!{n}h").unpack_from(data, start + 3)) if n > 0 else []


def rowcount_from_tag(tag: str) -> int:
    """Rows affected according to a command tag, -1 when the tag carries none."""
    verb, _, rest = tag.partition(" ")
    if verb in ("INSERT",):
        _, _, count = rest.partition(" ")
        return int(count) if count.isdigit() else -1
    if verb in ("UPDATE", "DELETE", "SELECT", "MOVE", "FETCH", "COPY", "MERGE"):
        return int(rest) if rest.isdigit() else -1
    return -1
