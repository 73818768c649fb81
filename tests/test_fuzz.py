"""Fuzzing the message parser and every binary loader with hypothesis.

Whatever bytes the server sends (random, real messages mutated, truncated,
with huge lengths), only ``pgwire.Error`` subclasses escape, nothing
allocates what a bad length claims, and a protocol violation closes the
session. The normal run uses a short profile; ``PGWIRE_FUZZ=long`` runs
the long one (``PGWIRE_FUZZ=long pytest tests/test_fuzz.py``; 20,000 examples
per test unless ``PGWIRE_FUZZ_EXAMPLES`` says otherwise).
"""

from __future__ import annotations

import os
import struct
import tracemalloc
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pgwire.errors import Error
from pgwire.protocol import copy_ops as pc
from pgwire.protocol import core
from pgwire.protocol.buffer import ProtocolViolation
from pgwire.types import AdaptContext, Format, Transformer, TypesRegistry
from pgwire.types.adapt import default_registry

settings.register_profile(
    "fuzz-short", max_examples=150, deadline=None, suppress_health_check=list(HealthCheck)
)
settings.register_profile(
    "fuzz-long",
    max_examples=int(os.environ.get("PGWIRE_FUZZ_EXAMPLES", "20000")),
    deadline=None,
    suppress_health_check=list(HealthCheck),
)
PROFILE = "fuzz-long" if os.environ.get("PGWIRE_FUZZ") == "long" else "fuzz-short"


def message(mtype: bytes, body: bytes) -> bytes:
    return mtype + struct.pack("!i", len(body) + 4) + body


def field(name: bytes, oid: int, fmt: int) -> bytes:
    return name + b"\x00" + struct.pack("!IhIhih", 0, 0, oid, -1, -1, fmt)


def row(*values: bytes | None) -> bytes:
    body = struct.pack("!h", len(values))
    for value in values:
        body += struct.pack("!i", -1) if value is None else struct.pack("!i", len(value)) + value
    return message(b"D", body)


# Messages as a server sends them, to splice and mutate.
REAL_MESSAGES = [
    message(b"1", b""),
    message(b"2", b""),
    message(b"n", b""),
    message(b"T", struct.pack("!h", 2) + field(b"a", 23, 0) + field(b"b", 25, 0)),
    message(b"T", struct.pack("!h", 1) + field(b"i", 20, 1)),
    row(b"1", b"x"),
    row(None, b"\xc3\xa9"),
    row(struct.pack("!q", 7)),
    message(b"C", b"SELECT 1\x00"),
    message(b"C", b"DROP TABLE\x00"),
    message(b"C", b"INSERT 0 12345678901234567890\x00"),
    message(b"Z", b"I"),
    message(b"Z", b"T"),
    message(b"Z", b"E"),
    message(b"E", b"SERROR\x00C42P01\x00Mno such table\x00\x00"),
    message(b"E", b"SFATAL\x00C57P01\x00Mterminating\x00\x00"),
    message(b"N", b"SNOTICE\x00C00000\x00Mhello\x00\x00"),
    message(b"S", b"TimeZone\x00UTC\x00"),
    message(b"A", struct.pack("!i", 42) + b"chan\x00payload\x00"),
    message(b"K", struct.pack("!i", 42) + b"\x01\x02\x03\x04"),
    message(b"s", b""),
    message(b"I", b""),
    message(b"t", struct.pack("!hI", 1, 23)),
    message(b"H", b"\x00" + struct.pack("!hh", 1, 0)),
    message(b"d", b"1\tx\n"),
    message(b"c", b""),
    message(b"R", struct.pack("!i", 0)),
    message(b"v", struct.pack("!ii", 0x30000, 0)),
]

huge_header = st.builds(
    lambda t, n: bytes([t]) + struct.pack("!I", n),
    st.integers(0, 255),
    st.one_of(st.integers(0, 8), st.integers(1 << 16, 1 << 32 - 1)),
)


@st.composite
def mutated(draw: Any, pieces: st.SearchStrategy[bytes]) -> bytes:
    """Real messages spliced together, then bytes flipped, cut or inserted."""
    data = bytearray(b"".join(draw(st.lists(pieces, min_size=1, max_size=8))))
    for _ in range(draw(st.integers(0, 4))):
        action = draw(st.sampled_from(["flip", "cut", "insert", "truncate"]))
        if not data:
            break
        at = draw(st.integers(0, len(data) - 1))
        if action == "flip":
            data[at] = draw(st.integers(0, 255))
        elif action == "cut":
            del data[at : at + draw(st.integers(1, 8))]
        elif action == "insert":
            data[at:at] = draw(st.binary(max_size=8)) + draw(huge_header)
        else:
            del data[at:]
    return bytes(data)


server_bytes = st.one_of(
    st.binary(max_size=200),
    mutated(st.sampled_from(REAL_MESSAGES)),
    st.builds(lambda h, b: h + b, huge_header, st.binary(max_size=64)),
)

registry = TypesRegistry(default_registry)


def run(operation: Callable[[core.Protocol], Any], data: bytes, chunks: list[int]) -> None:
    """Feed ``data`` in chunks to an operation; only pgwire errors may come out."""
    proto = core.Protocol()
    gen = operation(proto)
    fed = 0
    try:
        gen.send(None)
        while fed < len(data):
            size = chunks[fed % len(chunks)] if chunks else len(data)
            proto.buf.feed(data[fed : fed + size])
            fed += size
            gen.send(None)
    except StopIteration:
        return
    except ProtocolViolation:
        assert proto.closed, "a protocol violation must close the session"
        return
    except Error:
        return
    finally:
        gen.close()


def results_operation(proto: core.Protocol) -> Any:
    proto.expect_ready(2)
    tx = Transformer(AdaptContext(registry))
    return core.results(proto, lambda fields: (tx.fields_loaders(fields), tuple), syncs=2)


def startup_operation(proto: core.Protocol) -> Any:
    return core.startup(proto, {"user": "u"}, "u", "pw", core.StartupOptions(protocol=(0, 2)))


def copy_operation(proto: core.Protocol) -> Any:
    proto.expect_ready()
    return pc.copy_read(proto, pc.CopyState("out", 0))


chunkings = st.lists(st.integers(1, 64), max_size=4)


@settings.get_profile(PROFILE)
@given(data=server_bytes, chunks=chunkings)
def test_results_parser(data: bytes, chunks: list[int]) -> None:
    run(results_operation, data, chunks)


@settings.get_profile(PROFILE)
@given(data=server_bytes, chunks=chunkings)
def test_startup_parser(data: bytes, chunks: list[int]) -> None:
    run(startup_operation, data, chunks)


@settings.get_profile(PROFILE)
@given(data=server_bytes, chunks=chunkings)
def test_copy_parser(data: bytes, chunks: list[int]) -> None:
    run(copy_operation, data, chunks)


BINARY_OIDS = sorted(default_registry._loader_tables[Format.BINARY])


def _sample_values() -> dict[int, list[bytes]]:
    """Valid binary values per type, made by the dumpers, to mutate."""
    import datetime as dt
    import decimal
    import ipaddress
    import uuid

    tx = Transformer(AdaptContext(registry))
    samples: dict[int, list[bytes]] = {}
    values = [
        0, -1, 2**40, 1.5, True, "text", b"bytes", decimal.Decimal("-12.345"),
        dt.date(2020, 1, 2), dt.datetime(2020, 1, 2, 3, 4, 5), dt.time(1, 2, 3),
        dt.timedelta(days=3, seconds=5), uuid.UUID(int=7), ipaddress.ip_address("10.0.0.1"),
        [1, 2, None], [["a", "b"], ["c", None]], {"k": [1, 2]},
    ]  # fmt: skip
    for value in values:
        try:
            oid, fmt, data = tx.dump(value, Format.BINARY)
        except Exception:
            continue
        if fmt == Format.BINARY and data is not None:
            samples.setdefault(oid, []).append(bytes(data))
    return samples


SAMPLES = _sample_values()


@st.composite
def loader_input(draw: Any) -> tuple[int, bytes]:
    oid = draw(st.sampled_from(BINARY_OIDS))
    known = SAMPLES.get(oid)
    if known and draw(st.booleans()):
        data = bytearray(draw(st.sampled_from(known)))
        for _ in range(draw(st.integers(1, 3))):
            if data and draw(st.booleans()):
                data[draw(st.integers(0, len(data) - 1))] = draw(st.integers(0, 255))
            else:
                data[draw(st.integers(0, len(data))) :] = draw(st.binary(max_size=8))
        return oid, bytes(data)
    return oid, draw(st.one_of(st.binary(max_size=64), st.builds(
        lambda head, tail: head + tail,
        st.binary(min_size=12, max_size=12),
        st.lists(st.sampled_from([b"\x7f\xff\xff\xff", b"\xff\xff\xff\xff", b"\x00\x00\x00\x01"]),
                 max_size=6).map(b"".join),
    )))  # fmt: skip


def load_through_results(oid: int, value: bytes) -> None:
    """One binary column of type ``oid`` holding ``value``, read as a query's answer."""
    answer = (
        message(b"T", struct.pack("!h", 1) + field(b"c", oid, 1))
        + row(value)
        + message(b"C", b"SELECT 1\x00")
        + message(b"Z", b"I")
    )
    proto = core.Protocol()
    proto.expect_ready()
    proto.buf.feed(answer)
    tx = Transformer(AdaptContext(registry))
    gen = core.results(proto, lambda fields: (tx.fields_loaders(fields), tuple))
    try:
        gen.send(None)
    except StopIteration:
        pass
    except Error:
        assert not proto.closed, "a value refused must not break the session"
    else:
        raise AssertionError("the whole answer was there: the operation must end")


@settings.get_profile(PROFILE)
@given(case=loader_input())
def test_every_binary_loader(case: tuple[int, bytes]) -> None:
    load_through_results(*case)


def test_every_binary_loader_is_fuzzed() -> None:
    assert len(BINARY_OIDS) > 50
    for oid in BINARY_OIDS:
        for value in (b"", b"\x00", b"\xff" * 3, b"\x7f\xff\xff\xff" * 8):
            load_through_results(oid, value)


@pytest.mark.parametrize("length", [65537, 1 << 24, (1 << 30), (1 << 31) - 1])
def test_huge_lengths_are_not_allocated(length: int) -> None:
    claims = [
        b"D" + struct.pack("!i", length),  # a message
        message(b"T", struct.pack("!h", 1) + field(b"c", 1007, 1))
        + row(struct.pack("!iiiii", 1, 0, 23, length, 1))  # an array's element count
        + message(b"C", b"SELECT 1\x00")
        + message(b"Z", b"I"),
        message(b"T", struct.pack("!h", 1) + field(b"c", 25, 0))
        + b"D" + struct.pack("!ihi", 10, 1, length),  # a value's length
    ]  # fmt: skip
    tracemalloc.start()
    try:
        for data in claims:
            run(results_operation, data, [])
            run(results_operation, data, [7])
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 4 * 1024 * 1024
