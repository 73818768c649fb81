"""Tests for pgwire.protocol.messages: frontend encoders and backend payload decoders.

Expected bytes are written out by hand from the protocol's "Message Formats".
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from pgwire.protocol import messages as m
from pgwire.protocol.buffer import ProtocolViolation
from pgwire.protocol.messages import FieldDescription

# --- startup-phase messages ---------------------------------------------------------


def test_startup_message() -> None:
    got = m.startup_message({"user": "bob", "database": "db"})
    assert got == (
        b"\x00\x00\x00\x1e"  # length 30, counting itself
        b"\x00\x03\x00\x00"  # protocol 3.0
        b"user\x00bob\x00"
        b"database\x00db\x00"
        b"\x00"
    )


def test_startup_message_keeps_order_and_encodes_utf8() -> None:
    got = m.startup_message({"user": "zoé", "application_name": "a", "options": "-c x=1"})
    body = (
        b"\x00\x03\x00\x00"
        b"user\x00zo\xc3\xa9\x00"
        b"application_name\x00a\x00"
        b"options\x00-c x=1\x00"
        b"\x00"
    )
    assert got == struct.pack("!i", len(body) + 4) + body


def test_startup_message_without_parameters() -> None:
    assert m.startup_message({}) == b"\x00\x00\x00\x09\x00\x03\x00\x00\x00"


def test_ssl_request() -> None:
    assert m.ssl_request() == b"\x00\x00\x00\x08\x04\xd2\x16\x2f"


def test_cancel_request() -> None:
    # Int32(16) length, Int32(80877102), Int32 pid, 4-byte key.
    got = m.cancel_request(0x01020304, b"\xaa\xbb\xcc\xdd")
    assert got == b"\x00\x00\x00\x10\x04\xd2\x16\x2e\x01\x02\x03\x04\xaa\xbb\xcc\xdd"


def test_cancel_request_length_matches_its_size() -> None:
    for key in (b"\x00\x00\x00\x01", bytes(32)):
        got = m.cancel_request(42, key)
        assert struct.unpack_from("!i", got)[0] == len(got)


def test_password_message() -> None:
    assert m.password_message(b"secret") == b"p\x00\x00\x00\x0bsecret\x00"
    assert m.password_message(b"") == b"p\x00\x00\x00\x05\x00"


def test_sasl_initial_response() -> None:
    got = m.sasl_initial_response("SCRAM-SHA-256", b"n,,n=,r=abc")
    assert got == (
        b"p\x00\x00\x00\x21"
        b"SCRAM-SHA-256\x00"
        b"\x00\x00\x00\x0b"
        b"n,,n=,r=abc"
    )


def test_sasl_response() -> None:
    assert m.sasl_response(b"c=biws,r=x,p=y") == b"p\x00\x00\x00\x12c=biws,r=x,p=y"


# --- simple and extended query ------------------------------------------------------


def test_query() -> None:
    assert m.query(b"SELECT 1") == b"Q\x00\x00\x00\x0dSELECT 1\x00"
    assert m.query(b"") == b"Q\x00\x00\x00\x05\x00"


def test_parse_without_param_oids() -> None:
    assert m.parse(b"", b"SELECT 1", []) == (
        b"P\x00\x00\x00\x10"
        b"\x00"  # unnamed statement
        b"SELECT 1\x00"
        b"\x00\x00"  # no parameter types
    )


def test_parse_with_param_oids() -> None:
    assert m.parse(b"s1", b"SELECT $1, $2", [23, 25]) == (
        b"P\x00\x00\x00\x1f"
        b"s1\x00"
        b"SELECT $1, $2\x00"
        b"\x00\x02"
        b"\x00\x00\x00\x17"
        b"\x00\x00\x00\x19"
    )


def test_parse_with_unspecified_and_large_oids() -> None:
    # 0 leaves the type to the server; OIDs are unsigned 32-bit.
    got = m.parse(b"", b"x", [0, 4294967295])
    assert got.endswith(b"\x00\x02\x00\x00\x00\x00\xff\xff\xff\xff")


def test_bind_no_parameters() -> None:
    assert m.bind(b"", b"", [], [], []) == (
        b"B\x00\x00\x00\x0c"
        b"\x00\x00"  # portal, statement
        b"\x00\x00"  # no parameter formats
        b"\x00\x00"  # no values
        b"\x00\x00"  # no result formats
    )


def test_bind_text_values_and_null() -> None:
    got = m.bind(b"p", b"s", [0, 0], [b"12", None, b""], [])
    assert got == (
        b"B\x00\x00\x00\x1c"
        b"p\x00s\x00"
        b"\x00\x00"  # all text: no format codes needed
        b"\x00\x03"
        b"\x00\x00\x00\x0212"
        b"\xff\xff\xff\xff"  # NULL
        b"\x00\x00\x00\x00"  # empty string, not NULL
        b"\x00\x00"
    )


def test_bind_binary_formats_and_one_result_format() -> None:
    got = m.bind(b"", b"", [1, 0], [b"\x00\x00\x00\x01", b"x"], [1])
    assert got == (
        b"B\x00\x00\x00\x1f"
        b"\x00\x00"
        b"\x00\x02\x00\x01\x00\x00"
        b"\x00\x02"
        b"\x00\x00\x00\x04\x00\x00\x00\x01"
        b"\x00\x00\x00\x01x"
        b"\x00\x01\x00\x01"  # one result format, applied to every column
    )


def test_bind_per_column_result_formats() -> None:
    got = m.bind(b"", b"st", [], [], [0, 1, 1])
    assert got == (
        b"B\x00\x00\x00\x14"
        b"\x00st\x00"
        b"\x00\x00"
        b"\x00\x00"
        b"\x00\x03\x00\x00\x00\x01\x00\x01"
    )


def test_bind_one_text_result_format() -> None:
    assert m.bind(b"", b"", [], [], [0]).endswith(b"\x00\x00\x00\x01\x00\x00")


def test_bind_all_text_result_formats_are_collapsed() -> None:
    assert m.bind(b"", b"", [], [], [0, 0, 0]) == m.bind(b"", b"", [], [], [])


def test_bind_value_may_contain_nul() -> None:
    got = m.bind(b"", b"", [1], [b"a\x00b"], [])
    assert b"\x00\x00\x00\x03a\x00b" in got


def _decode_bind(msg: bytes) -> tuple[bytes, bytes, list[int], list[bytes | None], list[int]]:
    """An independent reader of Bind, used to check the encoder on random input."""
    assert msg[:1] == b"B"
    (length,) = struct.unpack_from("!i", msg, 1)
    assert length == len(msg) - 1
    pos = 5
    nul = msg.index(b"\x00", pos)
    portal, pos = msg[pos:nul], nul + 1
    nul = msg.index(b"\x00", pos)
    stmt, pos = msg[pos:nul], nul + 1
    (nf,) = struct.unpack_from("!h", msg, pos)
    formats = list(struct.unpack_from(f"!{nf}h", msg, pos + 2))
    pos += 2 + 2 * nf
    (nv,) = struct.unpack_from("!h", msg, pos)
    pos += 2
    values: list[bytes | None] = []
    for _ in range(nv):
        (n,) = struct.unpack_from("!i", msg, pos)
        pos += 4
        if n == -1:
            values.append(None)
        else:
            values.append(msg[pos : pos + n])
            pos += n
    (nr,) = struct.unpack_from("!h", msg, pos)
    results = list(struct.unpack_from(f"!{nr}h", msg, pos + 2))
    assert pos + 2 + 2 * nr == len(msg)
    return portal, stmt, formats, values, results


@settings(max_examples=100, deadline=None)
@given(
    portal=st.binary(max_size=8).filter(lambda b: b"\x00" not in b),
    values=st.lists(st.tuples(st.none() | st.binary(max_size=20), st.sampled_from([0, 1]))),
    result_formats=st.lists(st.sampled_from([0, 1]), max_size=6),
)
def test_bind_roundtrip(
    portal: bytes, values: list[tuple[bytes | None, int]], result_formats: list[int]
) -> None:
    vals = [v for v, _ in values]
    fmts = [f for _, f in values]
    portal2, stmt, got_fmts, got_vals, got_results = _decode_bind(
        m.bind(portal, b"stmt", fmts, vals, result_formats)
    )
    assert (portal2, stmt, got_vals) == (portal, b"stmt", vals)
    # Zero format codes means all text; otherwise one per value.
    assert (got_fmts or [0] * len(vals)) == fmts
    if len(got_results) == 1:
        assert all(f == got_results[0] for f in result_formats)
    else:
        assert (got_results or [0] * len(result_formats)) == result_formats


def test_describe() -> None:
    assert m.describe_portal() == b"D\x00\x00\x00\x06P\x00"
    assert m.describe_portal(b"c1") == b"D\x00\x00\x00\x08Pc1\x00"
    assert m.describe_statement() == b"D\x00\x00\x00\x06S\x00"
    assert m.describe_statement(b"s1") == b"D\x00\x00\x00\x08Ss1\x00"


def test_execute() -> None:
    assert m.execute() == b"E\x00\x00\x00\x09\x00\x00\x00\x00\x00"
    assert m.execute(b"p", 10) == b"E\x00\x00\x00\x0ap\x00\x00\x00\x00\x0a"


def test_close() -> None:
    assert m.close_statement(b"s1") == b"C\x00\x00\x00\x08Ss1\x00"
    assert m.close_statement(b"") == b"C\x00\x00\x00\x06S\x00"
    assert m.close_portal(b"") == b"C\x00\x00\x00\x06P\x00"
    assert m.close_portal(b"c") == b"C\x00\x00\x00\x07Pc\x00"


def test_fixed_messages() -> None:
    assert m.SYNC == b"S\x00\x00\x00\x04"
    assert m.FLUSH == b"H\x00\x00\x00\x04"
    assert m.TERMINATE == b"X\x00\x00\x00\x04"
    assert m.COPY_DONE_MSG == b"c\x00\x00\x00\x04"


def test_copy_messages() -> None:
    assert m.copy_data(b"1\t2\n") == b"d\x00\x00\x00\x081\t2\n"
    assert m.copy_data(b"") == b"d\x00\x00\x00\x04"
    # COPY data is binary: NUL is allowed.
    assert m.copy_data(b"\x00") == b"d\x00\x00\x00\x05\x00"
    assert m.copy_fail("boom") == b"f\x00\x00\x00\x09boom\x00"


@pytest.mark.parametrize(
    "call",
    [
        lambda: m.startup_message({"us\x00er": "x"}),
        lambda: m.startup_message({"user": "a\x00b"}),
        lambda: m.password_message(b"pa\x00ss"),
        lambda: m.sasl_initial_response("SCRAM\x00", b""),
        lambda: m.query(b"SELECT 1\x00; DROP TABLE t"),
        lambda: m.parse(b"s\x00", b"SELECT 1", []),
        lambda: m.parse(b"", b"SELECT\x00 1", []),
        lambda: m.bind(b"p\x00", b"", [], [], []),
        lambda: m.bind(b"", b"s\x00", [], [], []),
        lambda: m.describe_portal(b"a\x00"),
        lambda: m.describe_statement(b"a\x00"),
        lambda: m.execute(b"a\x00"),
        lambda: m.close_statement(b"a\x00"),
        lambda: m.close_portal(b"a\x00"),
        lambda: m.copy_fail("bad\x00reason"),
    ],
)
def test_nul_in_protocol_string_is_rejected(call: Callable[[], bytes]) -> None:
    with pytest.raises(ValueError):
        call()


# --- backend payload decoders ---------------------------------------------------------


def _field(name: bytes, toid: int, col: int, typ: int, size: int, mod: int, fmt: int) -> bytes:
    return name + b"\x00" + struct.pack("!IhIhih", toid, col, typ, size, mod, fmt)


ROW_DESCRIPTION = (
    b"\x00\x02"
    + _field(b"id", 16384, 1, 23, 4, -1, 0)
    + _field(b"name", 16384, 2, 1043, -1, 36, 1)
)


def test_parse_row_description() -> None:
    assert m.parse_row_description(ROW_DESCRIPTION, 0, len(ROW_DESCRIPTION)) == [
        FieldDescription("id", 16384, 1, 23, 4, -1, 0),
        FieldDescription("name", 16384, 2, 1043, -1, 36, 1),
    ]


def test_parse_row_description_at_an_offset() -> None:
    data = b"junk" + ROW_DESCRIPTION + b"more junk"
    fields = m.parse_row_description(data, 4, 4 + len(ROW_DESCRIPTION))
    assert [f.name for f in fields] == ["id", "name"]


def test_parse_row_description_no_columns_and_unsigned_oids() -> None:
    assert m.parse_row_description(b"\x00\x00", 0, 2) == []
    payload = b"\x00\x01" + _field(b"?column?", 0, 0, 4294967295, -2, -1, 0)
    (f,) = m.parse_row_description(payload, 0, len(payload))
    assert f == FieldDescription("?column?", 0, 0, 4294967295, -2, -1, 0)


def test_parse_row_description_encoding() -> None:
    payload = b"\x00\x01" + _field("café".encode("latin-1"), 0, 0, 25, -1, -1, 0)
    (f,) = m.parse_row_description(payload, 0, len(payload), "latin-1")
    assert f.name == "café"
    # Undecodable names do not fail the query.
    (f,) = m.parse_row_description(payload, 0, len(payload))
    assert f.name.startswith("caf")


@pytest.mark.parametrize("cut", range(len(ROW_DESCRIPTION)))
def test_parse_row_description_truncated(cut: int) -> None:
    with pytest.raises(ProtocolViolation):
        m.parse_row_description(ROW_DESCRIPTION[:cut], 0, cut)


@pytest.mark.parametrize("cut", range(2, len(ROW_DESCRIPTION)))
def test_parse_row_description_truncated_inside_a_buffer(cut: int) -> None:
    # What follows ``end`` is the next message and must not be read.
    data = ROW_DESCRIPTION[:cut] + ROW_DESCRIPTION[cut:]
    with pytest.raises(ProtocolViolation):
        m.parse_row_description(data, 0, cut)


def test_parse_row_description_count_past_end() -> None:
    # A one-byte payload followed by a zero byte of the next message.
    with pytest.raises(ProtocolViolation):
        m.parse_row_description(b"\x00\x00", 0, 1)


def test_parse_parameter_description() -> None:
    payload = b"\x00\x03\x00\x00\x00\x17\x00\x00\x00\x19\xff\xff\xff\xff"
    assert m.parse_parameter_description(payload, 0, len(payload)) == [23, 25, 4294967295]
    assert m.parse_parameter_description(b"\x00\x00", 0, 2) == []


def test_parse_parameter_description_truncated() -> None:
    with pytest.raises(ProtocolViolation):
        m.parse_parameter_description(b"\x00\x02\x00\x00\x00\x17", 0, 6)
    with pytest.raises(ProtocolViolation):
        m.parse_parameter_description(b"\xff\xff", 0, 2)


def test_parse_parameter_description_too_short() -> None:
    with pytest.raises(ProtocolViolation):
        m.parse_parameter_description(b"\x00", 0, 1)


ERROR_PAYLOAD = (
    b"SERROR\x00VERROR\x00C42P01\x00"
    b'Mrelation "nope" does not exist\x00P15\x00Fparse_relation.c\x00L1392\x00'
    b"RparserOpenTable\x00\x00"
)


def test_parse_error_fields() -> None:
    assert m.parse_error_fields(ERROR_PAYLOAD, 0, len(ERROR_PAYLOAD)) == {
        "S": "ERROR",
        "V": "ERROR",
        "C": "42P01",
        "M": 'relation "nope" does not exist',
        "P": "15",
        "F": "parse_relation.c",
        "L": "1392",
        "R": "parserOpenTable",
    }


def test_parse_notice_fields_and_encoding() -> None:
    payload = b"SNOTICE\x00C00000\x00M" + "déjà".encode("latin-1") + b"\x00\x00"
    fields = m.parse_error_fields(payload, 0, len(payload), "latin-1")
    assert fields == {"S": "NOTICE", "C": "00000", "M": "déjà"}
    # Invalid bytes in the connection's encoding are replaced, not raised.
    fields = m.parse_error_fields(payload, 0, len(payload), "utf-8")
    assert fields["M"].startswith("d")


def test_parse_error_fields_stops_at_end() -> None:
    data = b"xx" + ERROR_PAYLOAD + b"Mnext message\x00"
    fields = m.parse_error_fields(data, 2, 2 + len(ERROR_PAYLOAD))
    assert fields["M"] == 'relation "nope" does not exist'
    assert m.parse_error_fields(b"\x00", 0, 1) == {}


def test_parse_error_fields_unterminated() -> None:
    with pytest.raises(ProtocolViolation):
        m.parse_error_fields(b"SERROR\x00Mhalf", 0, 12)
    # The terminator is beyond ``end``: still truncated.
    with pytest.raises(ProtocolViolation):
        m.parse_error_fields(b"SERROR\x00Mhalf\x00", 0, 12)


def test_parse_parameter_status() -> None:
    payload = b"client_encoding\x00UTF8\x00"
    assert m.parse_parameter_status(payload, 0, len(payload)) == ("client_encoding", "UTF8")
    with pytest.raises(ProtocolViolation):
        m.parse_parameter_status(b"client_encoding\x00UTF8", 0, 20)
    with pytest.raises(ProtocolViolation):
        m.parse_parameter_status(b"client_encoding", 0, 15)


def test_parse_notification() -> None:
    payload = b"\x00\x00\x04\xd2chan\x00hello\x00"
    assert m.parse_notification(payload, 0, len(payload)) == (1234, "chan", "hello")
    payload = b"\x00\x00\x00\x01" + "ç".encode("latin-1") + b"\x00\x00"
    assert m.parse_notification(payload, 0, len(payload), "latin-1") == (1, "ç", "")
    with pytest.raises(ProtocolViolation):
        m.parse_notification(b"\x00\x00\x04\xd2chan\x00hel", 0, 12)


def test_parse_notification_too_short() -> None:
    with pytest.raises(ProtocolViolation):
        m.parse_notification(b"\x00\x00", 0, 2)


def test_parse_command_complete() -> None:
    assert m.parse_command_complete(b"INSERT 0 5\x00", 0, 11) == "INSERT 0 5"
    assert m.parse_command_complete(b"xxSELECT 1\x00yy", 2, 11) == "SELECT 1"
    with pytest.raises(ProtocolViolation):
        m.parse_command_complete(b"SELECT 1", 0, 8)


def test_parse_backend_key_data() -> None:
    assert m.parse_backend_key_data(b"\x00\x00\x30\x39\x01\x02\x03\x04", 0, 8) == (
        12345,
        b"\x01\x02\x03\x04",
    )
    # Protocol 3.2 keys are longer.
    long_key = bytes(range(32))
    assert m.parse_backend_key_data(b"\x00\x00\x00\x07" + long_key, 0, 36) == (7, long_key)
    with pytest.raises(ProtocolViolation):
        m.parse_backend_key_data(b"\x00\x00\x30\x39\x01\x02\x03", 0, 7)


def test_parse_copy_response() -> None:
    assert m.parse_copy_response(b"\x00\x00\x02\x00\x00\x00\x00", 0, 7) == (0, [0, 0])
    assert m.parse_copy_response(b"\x01\x00\x01\x00\x01", 0, 5) == (1, [1])
    assert m.parse_copy_response(b"\x00\x00\x00", 0, 3) == (0, [])


def test_parse_copy_response_too_short() -> None:
    for payload in (b"", b"\x00", b"\x00\x00\x02\x00"):
        with pytest.raises(ProtocolViolation):
            m.parse_copy_response(payload, 0, len(payload))


def test_parse_copy_response_reads_past_end() -> None:
    # Two columns announced, none present; what follows is another message.
    data = b"\x00\x00\x02" + b"Z\x00\x00\x00\x05I"
    with pytest.raises(ProtocolViolation):
        m.parse_copy_response(data, 0, 3)


@pytest.mark.parametrize(
    ("tag", "count"),
    [
        ("INSERT 0 5", 5),
        ("INSERT 0 0", 0),
        ("UPDATE 12", 12),
        ("DELETE 3", 3),
        ("SELECT 42", 42),
        ("MOVE 7", 7),
        ("FETCH 1", 1),
        ("COPY 1000000", 1000000),
        ("MERGE 4", 4),
        ("CREATE TABLE", -1),
        ("CREATE TABLE AS", -1),
        ("BEGIN", -1),
        ("SET", -1),
        ("", -1),
        ("INSERT", -1),
        ("UPDATE", -1),
    ],
)
def test_rowcount_from_tag(tag: str, count: int) -> None:
    assert m.rowcount_from_tag(tag) == count


# --- decoders on arbitrary bytes -------------------------------------------------------

Decoder = Callable[[bytes, int, int], Any]

_GOOD_DECODERS: list[Any] = [
    pytest.param(m.parse_row_description, id="row_description"),
    pytest.param(m.parse_error_fields, id="error_fields"),
    pytest.param(m.parse_parameter_status, id="parameter_status"),
    pytest.param(m.parse_command_complete, id="command_complete"),
    pytest.param(m.parse_backend_key_data, id="backend_key_data"),
]
_BAD_DECODERS: list[Any] = [
    pytest.param(
        m.parse_parameter_description,
        id="parameter_description"
    ),
    pytest.param(
        m.parse_notification,
        id="notification"
    ),
    pytest.param(
        m.parse_copy_response,
        id="copy_response"
    ),
]


@pytest.mark.parametrize("decode", _GOOD_DECODERS + _BAD_DECODERS)
@settings(max_examples=200, deadline=None, report_multiple_bugs=False)
@given(payload=st.binary(max_size=64))
@example(payload=b"")
@example(payload=b"\x00")
def test_decoders_raise_only_protocol_violation(decode: Decoder, payload: bytes) -> None:
    try:
        decode(payload, 0, len(payload))
    except ProtocolViolation:
        pass


@settings(max_examples=200, deadline=None)
@given(
    fields=st.lists(
        st.tuples(
            st.text(max_size=10).filter(lambda s: "\x00" not in s),
            st.integers(0, 2**32 - 1),
            st.integers(-(2**15), 2**15 - 1),
            st.integers(0, 2**32 - 1),
            st.integers(-(2**15), 2**15 - 1),
            st.integers(-(2**31), 2**31 - 1),
            st.sampled_from([0, 1]),
        ),
        max_size=10,
    ),
    prefix=st.binary(max_size=5),
    suffix=st.binary(max_size=5),
)
def test_row_description_roundtrip(
    fields: list[tuple[str, int, int, int, int, int, int]], prefix: bytes, suffix: bytes
) -> None:
    payload = struct.pack("!h", len(fields)) + b"".join(
        _field(name.encode(), *rest) for name, *rest in fields
    )
    data = prefix + payload + suffix
    got = m.parse_row_description(data, len(prefix), len(prefix) + len(payload))
    assert got == [FieldDescription(*f) for f in fields]


@settings(max_examples=200, deadline=None)
@given(
    fields=st.dictionaries(
        st.sampled_from("SVCMDHPpqWstcdnFLR"),
        st.text(max_size=20).filter(lambda s: "\x00" not in s),
    )
)
def test_error_fields_roundtrip(fields: dict[str, str]) -> None:
    payload = b"".join(k.encode() + v.encode() + b"\x00" for k, v in fields.items()) + b"\x00"
    assert m.parse_error_fields(payload, 0, len(payload)) == fields


def test_precomputed_messages_match_their_encoders() -> None:
    from pgwire.protocol import messages as m

    assert m.EXECUTE_UNNAMED == m.execute()
    assert m.DESCRIBE_UNNAMED_PORTAL == m.describe_portal()
