"""How the channel reads from the socket: small reads for small answers, large ones for floods.

``socket.recv(n)`` allocates ``n`` bytes before reading and shrinks them to
what came.  A read size above glibc's mmap threshold makes every small
answer a fresh mapping (mmap, page faults, mremap, munmap) in a process
whose allocator never raised that threshold, which is what a short script
that imports pgwire and runs queries is.
"""

from __future__ import annotations

import os
import platform
import socket
import subprocess
import sys
import textwrap
from collections.abc import Iterator

import pytest

from pgwire.drivers.channel import RECV_SIZE, RECV_SIZE_BULK, Channel
from pgwire.protocol.core import Protocol


@pytest.fixture
def channel_and_peer() -> Iterator[tuple[Channel, socket.socket]]:
    ours, peer = socket.socketpair()
    chan = Channel(ours, Protocol())
    try:
        yield chan, peer
    finally:
        chan.close()
        peer.close()


def _read_all(chan: Channel, expected: int) -> list[int]:
    """Read until ``expected`` bytes are buffered; the sizes asked of each read."""
    asked = []
    while len(chan.proto.buf) < expected:
        asked.append(chan.recv_size)
        assert chan.recv_some()
    return asked


def test_reads_grow_while_the_kernel_fills_them_and_shrink_after(
    channel_and_peer: tuple[Channel, socket.socket],
) -> None:
    chan, peer = channel_and_peer
    assert RECV_SIZE < 128 * 1024 <= RECV_SIZE_BULK
    total = 0

    # Small answers: small reads, again and again.
    for _ in range(3):
        peer.sendall(b"x" * 40)
        total += 40
        assert _read_all(chan, total) == [RECV_SIZE]
    assert chan.recv_size == RECV_SIZE

    # A read the kernel fills: the next ones ask for more.
    peer.sendall(b"y" * (RECV_SIZE + 100))
    total += RECV_SIZE + 100
    assert _read_all(chan, total) == [RECV_SIZE, RECV_SIZE_BULK]
    # The rest (100 bytes) was small: back to small reads.
    assert chan.recv_size == RECV_SIZE

    peer.sendall(b"z" * RECV_SIZE)
    total += RECV_SIZE
    assert _read_all(chan, total) == [RECV_SIZE]
    assert chan.recv_size == RECV_SIZE_BULK
    # A large read that is not full keeps the large size; only a small one ends it.
    peer.sendall(b"w" * (RECV_SIZE + 1))
    total += RECV_SIZE + 1
    assert _read_all(chan, total) == [RECV_SIZE_BULK]
    assert chan.recv_size == RECV_SIZE_BULK
    peer.sendall(b"v" * 10)
    total += 10
    assert _read_all(chan, total) == [RECV_SIZE_BULK]
    assert chan.recv_size == RECV_SIZE

    # Every byte arrived, in order.
    buf = chan.proto.buf
    assert bytes(buf.data[buf.pos :]).count(b"y") == RECV_SIZE + 100
    assert len(buf) == total


def test_nothing_to_read_keeps_the_size(channel_and_peer: tuple[Channel, socket.socket]) -> None:
    chan, peer = channel_and_peer
    peer.sendall(b"y" * RECV_SIZE)
    _read_all(chan, RECV_SIZE)
    assert chan.recv_size == RECV_SIZE_BULK
    assert not chan.recv_some()  # would block
    assert chan.recv_size == RECV_SIZE_BULK


_QUERY_LOOP = textwrap.dedent(
    """
    import asyncio, resource, sys
    import pgwire

    dsn, runs = sys.argv[1], 300

    def faults():
        return resource.getrusage(resource.RUSAGE_SELF).ru_minflt

    conn = pgwire.connect(dsn, autocommit=True)
    cur = conn.cursor()
    def blocking(n):
        for i in range(n):
            cur.execute("SELECT %s::int + 1", (i,))
            assert cur.fetchone() == (i + 1,)
    blocking(50)
    before = faults()
    blocking(runs)
    print("blocking", (faults() - before) / runs)

    async def main():
        aconn = await pgwire.AsyncConnection.connect(dsn, autocommit=True)
        acur = aconn.cursor()
        async def loop(n):
            for i in range(n):
                await acur.execute("SELECT %s::int + 1", (i,))
                assert await acur.fetchone() == (i + 1,)
        await loop(50)
        before = faults()
        await loop(runs)
        print("asyncio", (faults() - before) / runs)
        await aconn.close()
    asyncio.run(main())
    """
)


@pytest.mark.skipif(
    sys.platform != "linux" or platform.libc_ver()[0] != "glibc",
    reason="glibc's malloc decides what a read costs here",
)
def test_a_loop_of_small_queries_maps_no_fresh_memory(dsn: str) -> None:
    """Each answer is read into heap memory: no page is faulted in per query.

    ``MALLOC_MMAP_THRESHOLD_`` holds glibc's threshold at its starting value
    (128 KiB), as in a process that has never freed a large mapping; reads
    asking for more than that fault in a fresh page for every answer.
    """
    env = dict(os.environ, MALLOC_MMAP_THRESHOLD_=str(128 * 1024))
    out = subprocess.run(
        [sys.executable, "-c", _QUERY_LOOP, dsn],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    per_query = dict(line.split() for line in out.stdout.splitlines())
    assert set(per_query) == {"blocking", "asyncio"}, out.stdout
    for driver, faults in per_query.items():
        assert float(faults) < 0.2, f"{driver}: {faults} page faults per query"
