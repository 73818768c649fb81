"""Tests for pgwire.protocol.buffer: framing backend messages out of received bytes."""

from __future__ import annotations

import random
import struct
import time
import tracemalloc

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pgwire.errors import InterfaceError
from pgwire.protocol.buffer import MAX_MESSAGE_SIZE, ProtocolViolation, ReadBuffer


def frame(mtype: bytes, payload: bytes) -> bytes:
    """A backend message as the server sends it."""
    return mtype + struct.pack("!i", len(payload) + 4) + payload


def drain(buf: ReadBuffer) -> list[tuple[int, bytes]]:
    """Every complete message now in ``buf``, as (type byte, payload)."""
    out = []
    while (mtype := buf.next_message()) >= 0:
        # The offsets and the copy must agree.
        assert buf.data[buf.start : buf.end] == buf.payload()
        out.append((mtype, buf.payload()))
    return out


def big_payload(size: int, seed: int = 0) -> bytes:
    """Deterministic non-repeating bytes, so a misplaced chunk changes the result."""
    return random.Random(seed).randbytes(size)


# --- basic framing --------------------------------------------------------------


def test_single_message_offsets() -> None:
    buf = ReadBuffer()
    buf.feed(b"C\x00\x00\x00\x0dSELECT 1\x00")
    assert buf.next_message() == ord("C")
    assert (buf.start, buf.end) == (5, 14)
    assert buf.data[buf.start : buf.end] == b"SELECT 1\x00"
    assert buf.payload() == b"SELECT 1\x00"
    assert isinstance(buf.payload(), bytes)
    assert len(buf) == 0
    assert buf.next_message() == -1


def test_empty_payload() -> None:
    buf = ReadBuffer()
    buf.feed(b"Z\x00\x00\x00\x05I" + b"1\x00\x00\x00\x04")
    assert buf.next_message() == ord("Z")
    assert buf.payload() == b"I"
    assert buf.next_message() == ord("1")
    assert buf.payload() == b""
    assert buf.start == buf.end
    assert buf.next_message() == -1


def test_several_messages_in_one_chunk() -> None:
    buf = ReadBuffer()
    msgs = [(b"T", b"\x00\x00"), (b"D", b"\x00\x00"), (b"C", b"SELECT 0\x00"), (b"Z", b"I")]
    buf.feed(b"".join(frame(t, p) for t, p in msgs))
    assert drain(buf) == [(t[0], p) for t, p in msgs]
    assert len(buf) == 0


def test_incomplete_header_and_body_wait() -> None:
    buf = ReadBuffer()
    data = frame(b"S", b"TimeZone\x00UTC\x00")
    for i in range(len(data) - 1):
        buf.feed(data[i : i + 1])
        assert buf.next_message() == -1
        assert len(buf) == i + 1
    buf.feed(data[-1:])
    assert buf.next_message() == ord("S")
    assert buf.payload() == b"TimeZone\x00UTC\x00"


def test_len_counts_unconsumed_bytes() -> None:
    buf = ReadBuffer()
    assert len(buf) == 0
    buf.feed(frame(b"Z", b"I") + b"C\x00")
    assert len(buf) == 8
    assert buf.next_message() == ord("Z")
    assert len(buf) == 2
    assert buf.next_message() == -1
    assert len(buf) == 2


def test_feed_empty_chunk_is_harmless() -> None:
    buf = ReadBuffer()
    buf.feed(b"")
    assert buf.next_message() == -1
    buf.feed(b"Z\x00\x00")
    buf.feed(b"")
    buf.feed(b"\x00\x05T")
    buf.feed(b"")
    assert drain(buf) == [(ord("Z"), b"T")]


def test_protocol_violation_is_interface_error() -> None:
    assert issubclass(ProtocolViolation, InterfaceError)
    assert MAX_MESSAGE_SIZE == 1 << 30


# --- random chunkings ------------------------------------------------------------

_backend_types = st.sampled_from([bytes([c]) for c in b"RK23CWdcGHDIEVvnNAtS1sZT"])
_small_payload = st.binary(max_size=80)
# Payloads just over the 64 KiB threshold where large-message collection starts.
_large_payload = st.builds(big_payload, st.integers(65530, 66000), st.integers(0, 1000))


@settings(max_examples=150, deadline=None)
@given(
    msgs=st.lists(
        st.tuples(_backend_types, st.one_of(_small_payload, _small_payload, _large_payload)),
        max_size=8,
    ),
    data=st.data(),
)
def test_random_chunking_frames_the_same_messages(
    msgs: list[tuple[bytes, bytes]], data: st.DataObject
) -> None:
    stream = b"".join(frame(t, p) for t, p in msgs)
    cuts = sorted(
        data.draw(st.lists(st.integers(0, len(stream)), max_size=30, unique=True), label="cuts")
    )
    buf = ReadBuffer()
    got: list[tuple[int, bytes]] = []
    prev = 0
    for cut in [*cuts, len(stream)]:
        buf.feed(stream[prev:cut])
        prev = cut
        got += drain(buf)
    assert got == [(t[0], p) for t, p in msgs]
    assert len(buf) == 0
    assert buf.next_message() == -1


@settings(max_examples=50, deadline=None)
@given(sizes=st.lists(st.integers(0, 300), min_size=1, max_size=20), step=st.integers(1, 7))
def test_byte_by_byte_small_steps(sizes: list[int], step: int) -> None:
    msgs = [(b"D", big_payload(n, i)) for i, n in enumerate(sizes)]
    stream = b"".join(frame(t, p) for t, p in msgs)
    buf = ReadBuffer()
    got: list[tuple[int, bytes]] = []
    for i in range(0, len(stream), step):
        buf.feed(stream[i : i + step])
        got += drain(buf)
    assert got == [(ord("D"), p) for _, p in msgs]


# --- large messages ----------------------------------------------------------------


@pytest.mark.parametrize("size", [65531, 65532, 65533, 70_000, 3 * 1024 * 1024])
@pytest.mark.parametrize("chunk", [1000, 8192])
def test_large_message_in_small_chunks(size: int, chunk: int) -> None:
    payload = big_payload(size, size)
    after = frame(b"C", b"SELECT 1\x00") + frame(b"Z", b"I")
    stream = frame(b"D", payload) + after
    buf = ReadBuffer()
    got: list[tuple[int, bytes]] = []
    for i in range(0, len(stream), chunk):
        buf.feed(stream[i : i + chunk])
        got += drain(buf)
    assert got == [(ord("D"), payload), (ord("C"), b"SELECT 1\x00"), (ord("Z"), b"I")]
    assert len(buf) == 0


def test_large_message_len_while_collecting() -> None:
    payload = big_payload(200_000)
    stream = frame(b"d", payload)
    buf = ReadBuffer()
    buf.feed(stream[:10])
    assert buf.next_message() == -1
    buf.feed(stream[10:100_000])
    assert buf.next_message() == -1
    assert len(buf) == 100_000
    buf.feed(stream[100_000:])
    assert len(buf) == len(stream)
    assert drain(buf) == [(ord("d"), payload)]


def test_large_message_behind_a_small_one_in_the_same_chunk() -> None:
    # The large message starts at a non-zero position of the received data.
    payload = big_payload(100_000, 7)
    stream = frame(b"Z", b"I") + frame(b"D", payload) + frame(b"Z", b"T")
    buf = ReadBuffer()
    buf.feed(stream[:1000])
    assert buf.next_message() == ord("Z")
    assert buf.next_message() == -1
    buf.feed(stream[1000:50_000])
    assert buf.next_message() == -1
    buf.feed(stream[50_000:])
    assert drain(buf) == [(ord("D"), payload), (ord("Z"), b"T")]


def test_large_message_collection_is_linear() -> None:
    # 8 MiB in 1 KiB reads: re-joining the buffer on each read would copy
    # tens of gigabytes and take minutes; collecting the chunks takes milliseconds.
    payload = bytes(8 * 1024 * 1024)
    stream = frame(b"D", payload)
    buf = ReadBuffer()
    t0 = time.perf_counter()
    for i in range(0, len(stream), 1024):
        buf.feed(stream[i : i + 1024])
        if buf.next_message() >= 0:
            break
    elapsed = time.perf_counter() - t0
    assert buf.end - buf.start == len(payload)
    assert elapsed < 5.0


# --- invalid lengths -----------------------------------------------------------------


@pytest.mark.parametrize(
    "header",
    [
        b"D\x00\x00\x00\x00",  # 0
        b"D\x00\x00\x00\x03",  # 3: shorter than the length field itself
        b"D\xff\xff\xff\xff",  # -1
        b"D\x80\x00\x00\x00",  # most negative
        b"D\x40\x00\x00\x01",  # MAX_MESSAGE_SIZE + 1
        b"D\x7f\xff\xff\xff",  # largest int32
    ],
)
def test_invalid_length_raises(header: bytes) -> None:
    buf = ReadBuffer()
    buf.feed(header)
    with pytest.raises(ProtocolViolation):
        buf.next_message()


def test_invalid_length_after_valid_messages() -> None:
    buf = ReadBuffer()
    buf.feed(frame(b"Z", b"I") + b"E\x00\x00\x00\x02xx")
    assert buf.next_message() == ord("Z")
    with pytest.raises(ProtocolViolation, match="invalid length"):
        buf.next_message()


def test_length_four_is_valid() -> None:
    buf = ReadBuffer()
    buf.feed(b"n\x00\x00\x00\x04")
    assert buf.next_message() == ord("n")
    assert buf.payload() == b""


def _peak_during(fn: object) -> int:
    tracemalloc.start()
    try:
        fn()  # type: ignore[operator]
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return peak


def test_header_claiming_max_size_waits_without_allocating() -> None:
    buf = ReadBuffer()

    def run() -> None:
        buf.feed(b"D" + struct.pack("!i", MAX_MESSAGE_SIZE))
        assert buf.next_message() == -1
        for _ in range(10):
            buf.feed(b"x" * 1000)
            assert buf.next_message() == -1

    peak = _peak_during(run)
    assert peak < 1 << 20
    assert len(buf) == 5 + 10_000


def test_header_claiming_too_much_raises_without_allocating() -> None:
    buf = ReadBuffer()

    def run() -> None:
        buf.feed(b"D" + struct.pack("!i", MAX_MESSAGE_SIZE + 1))
        with pytest.raises(ProtocolViolation):
            buf.next_message()

    assert _peak_during(run) < 1 << 20


# --- runs of messages of one type (COPY TO data) --------------------------------------


def _alike_by_next_message(buf: ReadBuffer, limit: int) -> list[bytes]:
    """What payloads_alike() must give: next_message() while the type repeats.

    A bad length is raised by the next call, not this one (whose payloads
    are then handed over first).
    """
    mtype = buf.data[buf.start - 5]
    out = [buf.payload()]
    size = len(out[0])
    while size < limit and buf.pos < len(buf.data) and buf.data[buf.pos] == mtype:
        try:
            if buf.next_message() < 0:
                break
        except ProtocolViolation:
            break  # next_message() leaves the position as it was
        out.append(buf.payload())
        size += len(out[-1])
    return out


@settings(max_examples=300, deadline=None)
@given(
    messages=st.lists(
        st.tuples(st.sampled_from([b"d", b"d", b"d", b"c", b"C"]), st.binary(max_size=30)),
        min_size=1,
        max_size=25,
    ),
    cut=st.integers(min_value=0, max_value=40),
    limit=st.integers(min_value=1, max_value=200),
    garbage=st.sampled_from([b"", b"d\x00\x00\x00\x02", b"d\x7f\xff\xff\xff"]),
)
def test_payloads_alike_frames_what_next_message_frames(
    messages: list[tuple[bytes, bytes]], cut: int, limit: int, garbage: bytes
) -> None:
    # The stream may end inside a message, or with a header of a bad length:
    # both are left for next_message(), which waits or raises.
    stream = b"".join(frame(t, p) for t, p in messages) + garbage
    stream = stream[: len(stream) - cut] if cut < len(stream) - 5 else stream
    results = []
    for alike in (True, False):
        buf = ReadBuffer()
        buf.feed(stream)
        taken = []
        try:
            while buf.next_message() >= 0:
                if alike:
                    taken.append(buf.payloads_alike(limit))
                else:
                    taken.append(_alike_by_next_message(buf, limit))
                taken.append((buf.start, buf.end, buf.pos))
            taken.append("wait")
        except ProtocolViolation:
            taken.append("violation")
        results.append(taken)
    assert results[0] == results[1]
